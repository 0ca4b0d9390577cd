"""The learned temporal denoiser (``--method learned``): network, training, inference.

A fully convolutional stack of dilated 1D convolutions over time (GFLA's temporal
convolutions, SmoothNet's residual idea) sees a whole 2D ``openpose15`` sequence and predicts
a **correction** to its gap-filled input; the last layer starts at zero, so an untrained
network returns its input exactly. Being fully convolutional it takes any length without
windows or seams (long inputs run in chunks that overlap by the receptive field, with the
same result).

What the network sees (:func:`network_features`), for ``base`` ``(B, T, 15, 2)`` (camera
frame / pixels: x right, y down) and a presence code per joint ``(B, T, 15)``:

* ``base`` is the input after :func:`~retarget.denoising.clean` (swaps undone, outliers
  dropped, short gaps interpolated) and :func:`fill_for_network` (interior gaps up to
  ``max_fill`` seconds interpolated linearly; the network then corrects them).
* presence: :data:`DETECTED` (1) for joints the input has, :data:`FILLED` (0.5) for joints
  :func:`fill_for_network` interpolated, :data:`UNKNOWN` (0) for joints still missing (they
  stay missing in the output).
* coordinates: hip-local with the hip's per-frame velocity in the ``MidHip`` slot, divided
  by the sequence's 2D body height (:func:`sequence_scale`, after
  :func:`retarget.representation.body_scale`), standardised by the training data's
  :class:`~retarget.representation.InputStats`; unknown joints 0.
* the output: per joint and frame, weights of a bank of Savitzky-Golay smoothers and a free
  correction, applied to ``base`` in body heights (:class:`TemporalDenoiser`): a learned
  filter that adapts to the motion and to the noise it sees.

Other skeletons go through ``openpose15`` by joint name (:func:`skeleton_io.convert`); their
other joints (feet, face, hands) are smoothed by Savitzky-Golay (the ``savgol`` defaults). 3D sequences are denoised as
two orthographic side views that share the vertical axis (:func:`denoise_3d`).

A model folder (``retarget train-denoiser -o DIR``; the shipped one is
``retarget/weights/denoiser``) holds ``weights.pt``, ``config.json`` (the network's
constructor arguments, the training settings and command, validation numbers),
``stats.json`` and ``noise_stats.json`` (the detector noise it was trained on).
"""

from __future__ import annotations

from .features import DETECTED, FILLED, UNKNOWN, fill_for_network, network_features, sequence_scale
from .folder import DEFAULT_MODEL, FORMAT, Denoiser, load_denoiser, run_chunked, save_denoiser
from .inference import LearnedOptions, denoise_3d, denoise_learned, denoise_skeleton
from .network import JOINTS, DenoiserConfig, TemporalDenoiser
from .noise import measure_noise_stats
from .synthesis import TrainSettings, corrupt, make_item, make_pool, slow_down
from .train import TrainResult, train_denoiser, validate

__all__ = [
    "DETECTED",
    "FILLED",
    "FORMAT",
    "JOINTS",
    "UNKNOWN",
    "DEFAULT_MODEL",
    "Denoiser",
    "DenoiserConfig",
    "LearnedOptions",
    "TemporalDenoiser",
    "TrainResult",
    "TrainSettings",
    "corrupt",
    "denoise_3d",
    "denoise_learned",
    "denoise_skeleton",
    "fill_for_network",
    "load_denoiser",
    "make_item",
    "make_pool",
    "measure_noise_stats",
    "network_features",
    "run_chunked",
    "save_denoiser",
    "sequence_scale",
    "slow_down",
    "train_denoiser",
    "validate",
]
