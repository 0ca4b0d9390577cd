"""The learned renderer: a U-Net, trained per person, that renders the person at the
processing size from the reference render (Everybody Dance Now / pix2pixHD style, with the
part warp as a strong prior).

For each frame the reference backend (:mod:`retarget.render.reference`) warps the source
person's parts to the target pose over the scene. The network (:class:`RendererNet`) sees
that render, the scene without the person and the target skeleton as soft part maps (one
channel per body part, :func:`part_maps`), all at the processing size (``max_side``, the
maps at half of it), and draws the frame: a blend mask between the reference render and
colours of its own, plus a residual (:func:`~.network.compose`). Its head starts at zero: an
untrained network returns the reference render exactly. Behind the person it puts the scene
as the training video shows it (:func:`clean_plate`, made as ``retarget video`` makes the
scene of a source video: a static camera is assumed; where the person never leaves a spot,
the source's inpainted scene), unless the source comes with a scene of its own.

Modules:

* :mod:`.config`: :class:`RendererConfig` and the sizes ``S`` (CPU), ``M``, ``L`` (GPU).
* :mod:`.network`: :class:`RendererNet` and the optional :class:`PatchDiscriminator`.
* :mod:`.features`: the part maps and the person's box.
* :mod:`.data`: :class:`RenderInputs`, the inputs of a run of frames, and the held-out blocks.
* :mod:`.plate`: the scene without the person from the training frames.
* :mod:`.losses`: L1, multi-scale L1, gradient and flow-free temporal losses (no
  downloaded weights), least-squares GAN losses.
* :mod:`.training`: one step (crops, pairs, augmentation) and the held-out evaluation for
  :func:`retarget.nn.run_loop`.
* :mod:`.folder`: the model folder; :mod:`.backend`: :class:`LearnedRenderer`.

Training (``retarget train-renderer VIDEO -o DIR``,
:func:`retarget.pipeline.train_renderer.train_renderer`): the source is frame ``A`` of
``--frames A:B``, the targets the video's own poses in frames A to B-1 (found, denoised and
retargeted exactly as ``retarget video`` does), for ``--minutes`` of wall time; three blocks
of frames spread over the clip (15 %) are held out and the weights that render them best
are kept. Use: ``retarget video SRC DRIVING --backend learned --renderer-model DIR``. The
model knows one person in one scene: use it with sources of that person.

Torch is imported by this package (``import retarget`` does not import it).
"""

from __future__ import annotations

from .backend import LearnedRenderer
from .config import SIZES, RendererConfig, renderer_config, size_for_device
from .data import RenderInputs, held_out_blocks, iter_inputs, render_inputs
from .features import MIRROR_PARTS, frame_maps, part_maps, person_box
from .folder import FORMAT, RendererModel, load_renderer, save_renderer
from .network import PatchDiscriminator, RendererNet, build_net, compose
from .plate import clean_plate
from .training import RendererTrainer, TrainingSet, render_batch, sample_batch

__all__ = [
    "FORMAT",
    "MIRROR_PARTS",
    "SIZES",
    "LearnedRenderer",
    "PatchDiscriminator",
    "RenderInputs",
    "RendererConfig",
    "RendererModel",
    "RendererNet",
    "RendererTrainer",
    "TrainingSet",
    "build_net",
    "clean_plate",
    "compose",
    "frame_maps",
    "held_out_blocks",
    "iter_inputs",
    "load_renderer",
    "part_maps",
    "person_box",
    "render_batch",
    "render_inputs",
    "renderer_config",
    "sample_batch",
    "save_renderer",
    "size_for_device",
]
