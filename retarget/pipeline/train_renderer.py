"""``retarget train-renderer``: train the learned renderer (:mod:`retarget.render.learned`) on
a video of one person, with exactly the targets ``retarget video`` gives for that video.

Three steps, each usable alone (``benchmarks/gpu_check.py`` runs the last two on a machine
without PyAV or mediapipe, from a clip prepared elsewhere):

1. :func:`load_clip`: the source person (frame A), the target poses of frames A to B-1 and
   the real frames (pose estimation: PyAV and mediapipe).
2. :func:`clip_inputs`: the scene without the person (:func:`~retarget.render.learned.clean_plate`),
   the reference renders over it and the part maps (:class:`~retarget.render.learned.RenderInputs`).
3. :func:`fit_renderer`: the network trained with :func:`retarget.nn.run_loop` (time budget,
   cosine schedule, early stopping on held-out blocks, checkpoints, resume).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.errors import InvalidArgumentError, ModelError
from skeleton_io.pose import PoseSequence

from ..render.base import SourceAppearance

log = logging.getLogger(__name__)

MAX_MINUTES = 7 * 24 * 60.0
"""The longest training budget taken (a week); more is a typo."""


@dataclass
class TrainingClip:
    """The pose-level inputs of a training run.

    Attributes:
        source: the source person (image, pose, mask) at the processing size.
        target: the target poses of the frames (pixels of the source image).
        real: the real frames ``(H, W, 3)`` uint8, one per target frame.
        first_frame: the video's frame number of ``real[0]``.
        video: where they came from (for the record).
    """

    source: SourceAppearance
    target: PoseSequence
    real: list[np.ndarray]
    first_frame: int = 0
    video: str = ""

    def __post_init__(self) -> None:
        n = min(len(self.real), self.target.num_frames)
        if n < 2:
            raise InvalidArgumentError(f"{self.video or 'clip'}: fewer than 2 frames to learn from")
        self.real, self.target = list(self.real[:n]), self.target[:n]


@dataclass
class TrainReport:
    """What :func:`train_renderer` did."""

    model_dir: Path
    frames: int
    iterations: int
    seconds: dict[str, float]
    l1_reference: float
    l1_learned: float
    size: str = "S"
    held_out_l1: float | None = None
    history: list[dict[str, float]] = field(default_factory=list)


def check_frames(frames: tuple[int, int]) -> tuple[int, int]:
    """``(A, B)`` with ``0 <= A < B - 1``, else :class:`InvalidArgumentError`."""
    a, b = (int(v) for v in frames)
    if a < 0 or b <= a + 1:
        raise InvalidArgumentError(f"`frames` {a}:{b}: expected A:B with 0 <= A < B - 1")
    return a, b


def load_clip(
    video: str | Path,
    frames: tuple[int, int],
    *,
    max_side: int = 512,
    model: Any = None,
    device: str = "auto",
    source_frame: int | None = None,
) -> TrainingClip:
    """Frames ``A:B`` of ``video`` as :class:`TrainingClip`: the source is frame
    ``source_frame`` (default A), the targets are the poses of frames A to B-1 as
    ``retarget video VIDEO VIDEO --source-frame A`` makes them."""
    from skeleton_io.formats.video import load as load_video
    from skeleton_io.video_io import iter_frames

    from ..render.source import load_source
    from .video import video_target

    a, b = check_frames(frames)
    s = a if source_frame is None else source_frame
    source = load_source(video, source_frame=s, max_side=max_side)
    motion = load_video(video, start_frame=a, max_frames=b - a, max_side=max_side)
    # As `retarget video` hands it to the renderer (body25 with the driving's eyes and
    # ears where it has them: the head turns with them, in training as when rendering).
    target = video_target(video, video, motion, source, source_frame=s, max_side=max_side,
                          model=model, device=device)  # fmt: skip
    real = [f.rgb for f in iter_frames(video, start_frame=a, max_frames=b - a, max_side=max_side)]
    return TrainingClip(source, target, real, a, str(video))


def clip_inputs(clip: TrainingClip, reference_settings: dict[str, Any], map_scale: float) -> Any:
    """:class:`~retarget.render.learned.RenderInputs` of a clip: the reference renders over
    the clip's clean plate (:func:`~retarget.render.learned.clean_plate`), part maps,
    boxes and the real frames."""
    from ..render.learned import clean_plate, render_inputs
    from ..render.reference import PartWarpRenderer

    reference = PartWarpRenderer(**reference_settings)
    plate = clean_plate(clip.real, clip.target, clip.source)
    src = clip.source
    src = SourceAppearance(src.image, src.pose, src.mask, plate, dict(src.meta))
    return render_inputs(reference, src, clip.target, map_scale, clip.real, clip.first_frame)


def fit_renderer(
    inputs: Any,
    config: Any,
    *,
    minutes: float | None,
    iterations: int = 10**9,
    seed: int = 0,
    device: str = "auto",
    resume: dict[str, Any] | None = None,
    checkpoint: Callable[[Any, int, float], None] | None = None,
    checkpoint_every: int = 500,
    progress: bool = True,
) -> tuple[Any, Any]:
    """Train a network on ``inputs`` (held out: :func:`~retarget.render.learned.held_out_blocks`)
    for the budget; returns ``(trainer, LoopResult)`` with the best held-out weights in
    ``trainer.net``. ``resume``: a ``state.pt`` to continue from (its step and seconds count
    in the budget); ``checkpoint(trainer, step, seconds)`` every ``checkpoint_every`` steps."""
    import torch

    from ..device import resolve_device
    from ..nn.training import Schedule, run_loop
    from ..render.learned import RendererTrainer, TrainingSet, build_net, held_out_blocks

    dev = resolve_device(device)
    torch.manual_seed(seed)
    data = TrainingSet(inputs, ~held_out_blocks(len(inputs)), dev)
    trainer = RendererTrainer(build_net(config).to(dev), data, config, seed)
    start, spent = 0, 0.0
    if resume is not None:
        trainer.load(resume)
        start, spent = int(resume["step"]), float(resume["seconds"])
    t0 = time.perf_counter() - spent
    schedule = Schedule(config.lr, iterations, minutes, lr_final=config.lr / 20)
    result = run_loop(
        trainer.step, schedule, trainer.optimizer, model=trainer.net, start_step=start,
        seconds_spent=spent, validate=trainer.validate if len(data.held) else None,
        eval_every=config.eval_every, validate_first=True, progress=progress, desc="renderer",
        checkpoint=(lambda s: checkpoint(trainer, s, time.perf_counter() - t0)) if checkpoint else None,
        checkpoint_every=checkpoint_every,
    )  # fmt: skip
    return trainer, result


def _mean_l1(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([np.abs(x.astype(np.float32) - y).mean() / 255 for x, y in zip(a, b)]))


def learned_l1(trainer: Any, inputs: Any) -> float:
    """Mean L1 (RGB in [0, 1]) of the trained network's frames against the real ones."""
    import torch

    from ..render.learned import render_batch

    dev, total = trainer.device, 0.0
    for s in range(0, len(inputs), 4):
        as_t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(dev)  # noqa: E731
        ref = as_t(inputs.ref[s : s + 4]).permute(0, 3, 1, 2)
        out = render_batch(trainer.net, ref, as_t(inputs.plate).permute(2, 0, 1)[None],
                           as_t(inputs.maps[s : s + 4]))  # fmt: skip
        real = as_t(inputs.real[s : s + 4]).permute(0, 3, 1, 2).float() / 255
        total += float((out - real).abs().mean()) * len(ref)
    return total / len(inputs)


def prepare_output(out_dir: str | Path, video: str | Path, resume: bool) -> dict[str, Any] | None:
    """Check ``out_dir`` before any work: a new folder, or one holding only a model's files;
    with ``resume`` its ``state.pt`` (returned)."""
    from skeleton_io.atomic import check_folder_output, check_output_path

    from ..render.learned.folder import OWN_FILES, load_training_state

    out = check_output_path(out_dir, inputs=[video], folder=True)
    # a model folder is written whole: nothing else may be in it
    check_folder_output(out, owned=lambda e: e.name in OWN_FILES, overwrite=None)
    return load_training_state(out) if resume else None


def train_renderer(
    video: str | Path,
    out_dir: str | Path,
    *,
    frames: tuple[int, int] = (0, 96),
    minutes: float | None = 5.0,
    iterations: int | None = None,
    size: str | None = None,
    max_side: int = 512,
    batch: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    device: str = "auto",
    model: str | Path | None = None,
    resume: bool = False,
    command: str = "",
    progress: bool = True,
) -> TrainReport:
    """Train a learned renderer on frames ``A:B`` of a video of one person (see the module
    docstring) and write the model folder ``out_dir`` (each file atomically; ``state.pt``
    every 500 steps and at the end, so that an interrupted run can ``resume``).

    Args:
        frames: ``(A, B)``: the source is frame A, the training frames A to B-1.
        minutes, iterations: the budget (whichever comes first; at least one).
        size: ``S``, ``M`` or ``L`` (:func:`~retarget.render.learned.renderer_config`;
            default: ``L`` on a GPU, ``S`` on the CPU).
        max_side: processing size (as ``retarget video --max-side``).
        batch, lr: override the size's.
        model: retargeting model (default: the shipped one), as ``retarget video --model``.
        resume: continue the run in ``out_dir`` (its settings; the budget is the total).
    """
    from skeleton_io.checks import MAX_IMAGE_SIDE, check_range, check_size
    from skeleton_io.io import check_input_path
    from skeleton_io.video_io import probe

    from ..device import resolve_device
    from ..render.learned import save_renderer
    from ..retargeters import check_retargeter
    from .checks import check_start_frame

    a, b = check_frames(frames)
    if minutes is None and iterations is None:
        raise InvalidArgumentError("give a budget: `minutes` or `iterations`")
    if minutes is not None:
        check_range(minutes, "minutes", 1e-3, MAX_MINUTES, "a number of minutes")
    check_size(max_side, "max_side", MAX_IMAGE_SIDE, low=64)
    check_input_path(video)
    state = prepare_output(out_dir, video, resume)
    check_retargeter(model)
    check_start_frame(video, a, probe(video).num_frames, "frames")
    config = _config(out_dir, state, size, device, max_side, batch, lr)
    t0 = time.perf_counter()
    clip = load_clip(video, (a, b), max_side=config.max_side, model=model, device=device)
    inputs = clip_inputs(clip, config.reference, config.map_scale)
    t1 = time.perf_counter()
    settings = {"video": str(video), "frames": [a, a + len(inputs)], "seed": seed,
                "minutes": minutes, "iterations": iterations, "command": command}  # fmt: skip

    def save(trainer: Any, step: int, seconds: float, extra: dict | None = None) -> None:
        st = trainer.state() | {"step": step, "seconds": seconds}
        save_renderer(out_dir, trainer.net, inputs.plate, settings | (extra or {}), st)

    trainer, res = fit_renderer(
        inputs, config, minutes=minutes, iterations=iterations or 10**9, seed=seed,
        device=str(resolve_device(device)), resume=state, checkpoint=save, progress=progress,
    )  # fmt: skip
    l1_ref = _mean_l1(inputs.ref, inputs.real)
    l1_net = learned_l1(trainer, inputs)
    held = res.best_value if np.isfinite(res.best_value) else None
    save(trainer, res.step, res.seconds, {
        "iterations_done": res.step, "kept_iteration": res.best_step, "held_out_l1": held,
        "held_out_frames": inputs.frames[trainer.data.held].tolist(),
        "history": res.history, "l1_reference": l1_ref, "l1_learned": l1_net,
        "seconds": {"data": t1 - t0, "train": res.seconds}, "size": config.size,
    })  # fmt: skip
    log.info("trained %d iterations on %d frames: L1 %.4f (reference %.4f), held out %s",
             res.step, len(inputs), l1_net, l1_ref, held)  # fmt: skip
    seconds = {"data": t1 - t0, "train": res.seconds, "total": time.perf_counter() - t0}
    return TrainReport(Path(out_dir), len(inputs), res.step, seconds, l1_ref, l1_net,
                       config.size, held, res.history)  # fmt: skip


def _config(
    out_dir: str | Path, state: dict | None, size: str | None, device: str, max_side: int,
    batch: int | None, lr: float | None,
) -> Any:  # fmt: skip
    """The run's :class:`~retarget.render.learned.RendererConfig`: a resumed run's own, else
    ``size`` (default from the device) with the overrides."""
    from ..device import resolve_device
    from ..nn.folder import read_folder
    from ..render.learned import RendererConfig, renderer_config, size_for_device
    from ..render.learned.folder import FORMAT, HINT, WHAT

    if state is not None:
        found = read_folder(out_dir, FORMAT, WHAT, HINT, stats=False)
        try:
            return RendererConfig.from_dict(found.config["net"])
        except (KeyError, TypeError) as e:
            raise ModelError(f"{out_dir}: cannot resume ({e}); drop `resume`") from None
    key = size or size_for_device(resolve_device(device))
    return renderer_config(key, max_side=max_side, batch=batch, lr=lr)


__all__ = [
    "TrainReport",
    "TrainingClip",
    "check_frames",
    "clip_inputs",
    "fit_renderer",
    "learned_l1",
    "load_clip",
    "train_renderer",
]
