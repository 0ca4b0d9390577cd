"""``retarget train-renderer``: train the learned renderer (:mod:`retarget.render.learned`) on a
video of one person, with exactly the targets ``retarget video`` gives for that video."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from skeleton_io.errors import InvalidArgumentError

from ..render.base import SourceAppearance, as_body15
from ..render.learned import (
    FORMAT,
    VAL_FRACTION,
    NetConfig,
    _torch,
    build_net,
    clean_plate,
    net_input,
    net_size,
)

log = logging.getLogger(__name__)

MAX_MINUTES = 7 * 24 * 60.0
"""The longest training budget taken (a week); more is a typo."""
MAX_NET_SIDE = 1024
"""The largest network side (``side``) trained."""


@dataclass
class TrainReport:
    """What :func:`train_renderer` did."""

    model_dir: Path
    frames: int
    iterations: int
    seconds: dict[str, float]
    l1_reference: float
    l1_learned: float


def _crop_batch(
    x: np.ndarray, y: np.ndarray, idx: np.ndarray, crop: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    h, w = x.shape[-2:]
    ch, cw = min(crop[0], h), min(crop[1], w)
    xs, ys = [], []
    for i in idx:
        top = int(rng.integers(0, h - ch + 1))
        left = int(rng.integers(0, w - cw + 1))
        xs.append(x[i, :, top : top + ch, left : left + cw])
        ys.append(y[i, :, top : top + ch, left : left + cw])
    return np.stack(xs), np.stack(ys)


def train_renderer(
    video: str | Path,
    out_dir: str | Path,
    *,
    frames: tuple[int, int] = (0, 96),
    minutes: float = 5.0,
    side: int = 128,
    max_side: int = 512,
    batch: int = 8,
    lr: float = 2e-3,
    seed: int = 0,
    device: str = "auto",
    model: str | Path | None = None,
    command: str = "",
) -> TrainReport:
    """Train a learned renderer on frames ``A:B`` of a video of one person (see the module
    docstring) and save it to ``out_dir`` (written to a temporary folder, renamed at the end).

    Args:
        frames: ``(A, B)``: the source is frame A, the training frames A to B-1.
        minutes: wall-time budget of the optimisation.
        side: the network's long side in pixels.
        max_side: processing size (as ``retarget video --max-side``).
        model: retargeting model (default: the shipped one), as ``retarget video --model``.
    """
    import cv2

    from skeleton_io.atomic import atomic_dir, check_folder_output, check_output_path
    from skeleton_io.checks import MAX_IMAGE_SIDE, check_range, check_size
    from skeleton_io.formats.video import load as load_video
    from skeleton_io.io import check_input_path
    from skeleton_io.video_io import iter_frames, probe

    from ..device import resolve_device
    from ..render.reference import PartWarpRenderer
    from ..render.source import load_source
    from ..retargeters import check_retargeter
    from .checks import check_start_frame
    from .video import video_target

    torch = _torch()
    a, b = frames
    if a < 0 or b <= a + 1:
        raise InvalidArgumentError(f"`frames` {a}:{b}: expected A:B with 0 <= A < B - 1")
    check_range(minutes, "minutes", 1e-3, MAX_MINUTES, "a number of minutes")
    check_size(side, "side", MAX_NET_SIDE, low=32)
    check_size(max_side, "max_side", MAX_IMAGE_SIDE, low=64)
    check_input_path(video)
    check_output_path(out_dir, inputs=[video], folder=True)
    check_folder_output(out_dir, overwrite=None)  # a model folder is written whole
    check_retargeter(model)
    check_start_frame(video, a, probe(video).num_frames, "frames")
    t0 = time.perf_counter()
    source = load_source(video, source_frame=a, max_side=max_side)
    motion = load_video(video, start_frame=a, max_frames=b - a, max_side=max_side)
    # On openpose15, as the learned backend hands it to the reference renderer when it
    # renders (the head turns with the neck-nose line in both).
    target = as_body15(
        video_target(
            video, video, motion, source, source_frame=a, max_side=max_side, model=model,
            device=device,
        )
    )  # fmt: skip
    config = NetConfig(side=side, max_side=max_side)
    reference = PartWarpRenderer(**config.reference)
    prep = reference.prepare(source)
    radii = prep.radii * reference.scale_for(prep, target)
    real = [f.rgb for f in iter_frames(video, start_frame=a, max_frames=b - a, max_side=max_side)]
    n = min(len(real), target.num_frames)
    plate = clean_plate(real[:n], reference, source, target[:n], prep.background)
    source = SourceAppearance(source.image, source.pose, source.mask, plate, dict(source.meta))
    xs, ys = [], []
    for t, frame in enumerate(reference.render(source, target[:n])):
        xs.append(net_input(frame, target.coords[t], target.confidence[t] > 0, radii, side))
        small = net_size((frame.shape[1], frame.shape[0]), side)
        ys.append(cv2.resize(real[t], small, interpolation=cv2.INTER_AREA).transpose(2, 0, 1))
    x = np.stack(xs).astype(np.float32)
    y = np.stack(ys).astype(np.float32) / 255.0
    l1_reference = float(np.abs(x[:, :3] - y).mean())
    t1 = time.perf_counter()

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    dev = resolve_device(device)
    net = build_net(config).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    h, w = x.shape[-2:]
    crop = (max(16, int(h * 0.75)), max(16, int(w * 0.75)))
    budget = minutes * 60.0
    # The last VAL_FRACTION of the frames (a block: neighbours of training frames look alike)
    # is held out; the weights that render it best are kept, so a long budget cannot overfit.
    n_val = int(round(n * VAL_FRACTION)) if n >= 20 else 0
    n_fit = n - n_val

    def val_l1() -> float:
        with torch.no_grad():
            err = [
                float(
                    (
                        (torch.from_numpy(x[i : i + batch]).to(dev)[:, :3]
                         + net(torch.from_numpy(x[i : i + batch]).to(dev))).clamp(0, 1)
                        - torch.from_numpy(y[i : i + batch]).to(dev)
                    ).abs().mean()
                ) * len(x[i : i + batch])
                for i in range(n_fit, n, batch)
            ]  # fmt: skip
        return sum(err) / n_val

    best = (float(np.abs(x[n_fit:n, :3] - y[n_fit:n]).mean()) if n_val else math.inf, 0)
    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    start = time.perf_counter()
    it = 0
    log_every = 50
    running = 0.0
    while True:
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            break
        for g in opt.param_groups:  # cosine decay over the time budget
            g["lr"] = lr * 0.5 * (1 + np.cos(np.pi * min(elapsed / budget, 1.0)))
        idx = rng.integers(0, n_fit, size=batch)
        xb, yb = _crop_batch(x, y, idx, crop, rng)
        xb_t = torch.from_numpy(xb).to(dev)
        yb_t = torch.from_numpy(yb).to(dev)
        pred = xb_t[:, :3] + net(xb_t)
        loss = torch.nn.functional.l1_loss(pred, yb_t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running += float(loss.detach())
        it += 1
        if it % log_every == 0:
            log.info("iteration %d (%.0f s): L1 %.4f", it, elapsed, running / log_every)
            running = 0.0
            if n_val:
                net.eval()
                v = val_l1()
                net.train()
                if v < best[0]:
                    best = (v, it)
                    best_state = {k: t.detach().clone() for k, t in net.state_dict().items()}
    if n_val:
        net.load_state_dict(best_state)
        log.info("kept the weights of iteration %d (held-out L1 %.4f)", best[1], best[0])
    net.eval()
    with torch.no_grad():
        pred = [
            (
                torch.from_numpy(x[i : i + batch]).to(dev)[:, :3]
                + net(torch.from_numpy(x[i : i + batch]).to(dev))
            )
            .clamp(0, 1)
            .cpu()
            .numpy()
            for i in range(0, n, batch)
        ]
    l1_learned = float(np.abs(np.concatenate(pred) - y).mean())
    t2 = time.perf_counter()
    meta = {
        "format": FORMAT,
        "net": {**asdict(config), "widths": list(config.widths)},
        "training": {
            "video": str(video),
            "frames": [a, a + n],
            "minutes": minutes,
            "batch": batch,
            "lr": lr,
            "seed": seed,
            "iterations": it,
            "kept_iteration": best[1] if n_val else it,
            "held_out_frames": [a + n_fit, a + n] if n_val else None,
            "held_out_l1": best[0] if n_val else None,
            "seconds": {"data": t1 - t0, "train": t2 - t1},
            "l1_reference": l1_reference,
            "l1_learned": l1_learned,
            "command": command,
        },
    }
    out = Path(out_dir)
    with atomic_dir(out) as tmp:
        torch.save(net.state_dict(), tmp / "weights.pt")
        (tmp / "config.json").write_text(json.dumps(meta, indent=1))
        np.save(tmp / "background.npy", plate)
    log.info(
        "trained %d iterations on %d frames: L1 on them %.4f (reference %.4f)",
        it,
        n,
        l1_learned,
        l1_reference,
    )
    return TrainReport(
        out, n, it, {"data": t1 - t0, "train": t2 - t1, "total": t2 - t0}, l1_reference, l1_learned
    )


__all__ = ["TrainReport", "train_renderer"]
