"""The learned renderer: a compact network, trained per person, that refines the reference
render (Everybody Dance Now / Dance Dance Generation style, made small enough for a CPU).

For each frame the reference backend (:mod:`.reference`) makes its part-warped picture;
the network (:class:`RefineNet`, a small U-Net) looks at that picture and at the target
skeleton as soft part maps (:func:`part_maps`) and predicts a *correction* of the picture,
at a low resolution (long side ``side``, default 128 px). The correction is scaled up and
added to the full-size reference render, so fine detail comes from the warp and the network
fixes what the warp gets wrong for this person and scene: the background where the person
stood in the source frame (the real scene shows through in other frames), shading and
clothes that move with the pose, the hidden side of the body. Its last layer starts at zero:
an untrained network gives the reference render. Behind the person it puts the scene as
the training video shows it (:func:`clean_plate`: a static camera is assumed; where the
person never leaves a spot, the source's inpainted scene), instead of the inpainted one.

Training (:func:`train_renderer`, ``retarget train-renderer VIDEO -o DIR``): the source is
the video's frame ``A`` of ``--frames A:B``, the targets are the video's own poses in frames
A to B (found, denoised and retargeted exactly as ``retarget video`` does), the network
learns to turn their reference renders into the real frames (L1 loss, random crops), for
``--minutes`` of wall time. The last :data:`VAL_FRACTION` of the frames are held out and the
weights that render them best are kept (early stopping: a longer budget cannot overfit). A model folder holds ``weights.pt`` and ``config.json`` (every
constructor argument, the reference renderer's settings, the training frames and command,
losses on the training frames) and ``background.npy`` (the clean plate, processing size).

Use: ``retarget video SRC DRIVING --backend learned --renderer-model DIR``. The model knows
one person in one scene: use it with sources of that person (frames of the training video).
Device: a GPU when present (``device="auto"``), else the CPU.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.errors import InvalidArgumentError, ModelError, require_files
from skeleton_io.pose import PoseSequence

from .base import SourceAppearance, as_body15, fit_to_image
from .parts import PARTS, J, part_joints, part_shapes, polygon_distance_xy, segment_distance_xy

log = logging.getLogger(__name__)

FORMAT = "retarget-learned-renderer/1"


@dataclass
class NetConfig:
    """Constructor arguments of :class:`RefineNet` and how it sees frames.

    Attributes:
        widths: channels per U-Net level (each level halves the size).
        side: long side in pixels at which the network runs.
        max_side: processing size of the frames it was trained on.
        reference: settings of the reference renderer it refines.
    """

    widths: tuple[int, ...] = (16, 32, 64, 96)
    side: int = 128
    max_side: int = 512
    reference: dict[str, Any] = field(default_factory=dict)

    @property
    def in_channels(self) -> int:
        return 3 + len(PARTS)


def _torch() -> Any:
    import torch

    return torch


def build_net(config: NetConfig) -> Any:
    """A :class:`RefineNet` for ``config`` (torch imported here)."""
    torch = _torch()
    nn = torch.nn

    class RefineNet(nn.Module):
        """A small U-Net: ``(N, 3 + P, H, W)`` (reference render in [0, 1] and part maps)
        -> ``(N, 3, H, W)`` correction in [-1, 1]; any H, W (padded to a multiple of the
        total stride inside)."""

        def __init__(self, in_channels: int, widths: tuple[int, ...]) -> None:
            super().__init__()
            self.down = nn.ModuleList()
            c = in_channels
            for i, w in enumerate(widths):
                stride = 1 if i == 0 else 2
                self.down.append(
                    nn.Sequential(
                        nn.Conv2d(c, w, 3, stride, 1),
                        nn.LeakyReLU(0.2, inplace=True),
                        nn.Conv2d(w, w, 3, 1, 1),
                        nn.LeakyReLU(0.2, inplace=True),
                    )
                )
                c = w
            self.up = nn.ModuleList()
            for w in reversed(widths[:-1]):
                self.up.append(
                    nn.Sequential(
                        nn.Conv2d(c + w, w, 3, 1, 1),
                        nn.LeakyReLU(0.2, inplace=True),
                        nn.Conv2d(w, w, 3, 1, 1),
                        nn.LeakyReLU(0.2, inplace=True),
                    )
                )
                c = w
            self.head = nn.Conv2d(c, 3, 1)
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)
            self.stride = 2 ** (len(widths) - 1)

        def forward(self, x: Any) -> Any:
            f = torch.nn.functional
            h, w = x.shape[-2:]
            ph, pw = (-h) % self.stride, (-w) % self.stride
            if ph or pw:
                x = f.pad(x, (0, pw, 0, ph), mode="replicate")
            skips = []
            for block in self.down:
                x = block(x)
                skips.append(x)
            for block, skip in zip(self.up, reversed(skips[:-1])):
                x = f.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
                x = block(torch.cat([x, skip], dim=1))
            return torch.tanh(self.head(x))[..., :h, :w]

    return RefineNet(config.in_channels, tuple(config.widths))


# ---------------------------------------------------------------------------- inputs
def net_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``(w, h)`` of a frame of ``size`` scaled so its long side is ``side``."""
    s = side / max(size)
    return max(8, round(size[0] * s)), max(8, round(size[1] * s))


def part_maps(
    joints: np.ndarray, present: np.ndarray, radii: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """``(P, h, w)`` float32 soft maps of the target's parts on a canvas of ``size``
    ``(w, h)``: 1 on a part's bone falling to 0 at its radius (torso: 1 inside its polygon);
    0 for parts with a joint missing. ``joints`` ``(15, 2)`` and ``radii`` ``(P,)`` are in
    pixels of that canvas."""
    w, h = size
    x = np.arange(w, dtype=np.float32)[None, :] + np.float32(0.5)
    y = np.arange(h, dtype=np.float32)[:, None] + np.float32(0.5)
    out = np.zeros((len(PARTS), h, w), np.float32)
    shapes = part_shapes(joints, radii)
    for i, (spec, shape) in enumerate(zip(PARTS, shapes)):
        if not present[[J[n] for n in part_joints(spec)]].all():
            continue
        r = np.float32(max(shape.radius, 1.0))
        if shape.polygon is not None and len(shape.polygon) >= 3:
            d = polygon_distance_xy(x, y, shape.polygon)
        else:
            d = segment_distance_xy(x, y, shape.a, shape.b)
        out[i] = np.clip(1.0 - d / r, 0.0, 1.0)
    return out


def net_input(
    frame: np.ndarray,
    joints: np.ndarray,
    present: np.ndarray,
    radii: np.ndarray,
    side: int,
) -> np.ndarray:
    """``(3 + P, h, w)`` float32 network input for one reference frame (full size) and its
    target joints (pixels of the frame)."""
    import cv2

    size = (frame.shape[1], frame.shape[0])
    small = net_size(size, side)
    s = small[0] / size[0]
    img = cv2.resize(frame, small, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    maps = part_maps(joints * s, present, radii * s, small)
    return np.concatenate([img.transpose(2, 0, 1), maps], axis=0)


# -------------------------------------------------------------------------- renderer
def load_model(model_dir: str | Path, device: str = "auto") -> tuple[Any, NetConfig, dict]:
    """``(network, config, saved metadata)`` of a model folder."""
    from ..device import resolve_device

    torch = _torch()
    d = Path(model_dir)
    require_files(
        d, ("config.json", "weights.pt"), "learned renderer model",
        "train one with `retarget train-renderer VIDEO -o DIR`",
    )  # fmt: skip
    try:
        meta = json.loads((d / "config.json").read_text())
        if meta.get("format") != FORMAT:
            raise ModelError(f"{d}: config.json is not a learned renderer's ({meta.get('format')})")
        net_cfg = meta["net"]
        config = NetConfig(
            widths=tuple(net_cfg["widths"]),
            side=int(net_cfg["side"]),
            max_side=int(net_cfg["max_side"]),
            reference=dict(net_cfg.get("reference", {})),
        )
        dev = resolve_device(device)
        net = build_net(config).to(dev)
        net.load_state_dict(torch.load(d / "weights.pt", map_location=dev, weights_only=True))
    except (json.JSONDecodeError, KeyError, TypeError, RuntimeError, EOFError) as e:
        raise ModelError(
            f"{d}: cannot load the renderer model ({str(e).splitlines()[0]})"
        ) from None
    return net.eval(), config, meta


class LearnedRenderer:
    """The learned backend (see the module docstring). Registered as ``learned``.

    Args:
        model: a model folder of ``retarget train-renderer``.
        device: ``auto`` (a GPU when present), ``cpu`` or ``cuda``.
        batch: frames refined at once.
    """

    name = "learned"
    device_needs = "any"

    def __init__(
        self, *, model: str | Path | None = None, device: str = "auto", batch: int = 8
    ) -> None:
        if model is None:
            raise InvalidArgumentError(
                "the learned renderer needs a model: pass --renderer-model DIR (train one with "
                "`retarget train-renderer VIDEO -o DIR`)"
            )
        from .reference import PartWarpRenderer

        self.net, self.config, self.meta = load_model(model, device)
        self.device = next(self.net.parameters()).device
        plate = Path(model) / "background.npy"
        self.plate = np.load(plate) if plate.exists() else None
        self.batch = max(1, int(batch))
        self.reference = PartWarpRenderer(**self.config.reference)

    def render(self, source: SourceAppearance, target: PoseSequence) -> Iterator[np.ndarray]:
        """Yield one refined frame per target frame (see :class:`~.base.Renderer`)."""
        if source.background is None and self.plate is not None:
            if self.plate.shape == source.image.shape:
                source = SourceAppearance(
                    source.image, source.pose, source.mask, self.plate, dict(source.meta)
                )
            else:
                log.warning(
                    "the model's scene is %dx%d, the source's %dx%d: using the source's scene",
                    self.plate.shape[1],
                    self.plate.shape[0],
                    *source.size,
                )
        prep = self.reference.prepare(source)
        tgt = fit_to_image(as_body15(target), source.size)
        radii = prep.radii * self.reference.scale_for(prep, tgt)
        pending: list[tuple[np.ndarray, np.ndarray]] = []
        frames = self.reference.render(source, tgt)
        for t, frame in enumerate(frames):
            x = net_input(frame, tgt.coords[t], tgt.confidence[t] > 0, radii, self.config.side)
            pending.append((frame, x))
            if len(pending) == self.batch:
                yield from self._refine(pending)
                pending = []
        if pending:
            yield from self._refine(pending)

    def _refine(self, items: list[tuple[np.ndarray, np.ndarray]]) -> Iterator[np.ndarray]:
        import cv2

        torch = _torch()
        x = torch.from_numpy(np.stack([i[1] for i in items])).to(self.device)
        with torch.no_grad():
            corr = self.net(x).float().cpu().numpy()
        for (frame, _), c in zip(items, corr):
            size = (frame.shape[1], frame.shape[0])
            up = cv2.resize(c.transpose(1, 2, 0), size, interpolation=cv2.INTER_LINEAR)
            out = frame.astype(np.float32) + 255.0 * up
            yield np.clip(out + 0.5, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- training
def person_alpha(
    renderer: Any, source: SourceAppearance, target: PoseSequence
) -> Iterator[np.ndarray]:
    """``(H, W)`` float32 coverage of the rendered person in each target frame (rendered
    over black and over white: alpha = 1 - (white - black) / 255)."""
    size = source.image.shape
    black = SourceAppearance(source.image, source.pose, source.mask, np.zeros(size, np.uint8))
    white = SourceAppearance(source.image, source.pose, source.mask, np.full(size, 255, np.uint8))
    for fb, fw in zip(renderer.render(black, target), renderer.render(white, target)):
        diff = fw.astype(np.float32) - fb.astype(np.float32)
        yield 1.0 - diff.mean(axis=-1) / 255.0


def clean_plate(
    frames: list[np.ndarray],
    renderer: Any,
    source: SourceAppearance,
    target: PoseSequence,
    fallback: np.ndarray,
    min_share: float = 0.25,
) -> np.ndarray:
    """The scene without the person, from a video of a static camera: per pixel, the median
    of the frames in which the (rendered) person does not cover it, grown by a margin; where
    fewer than ``min_share`` of the frames show it, ``fallback`` (the source's scene with the
    person inpainted). uint8 ``(H, W, 3)``."""
    import cv2

    stack = np.stack(frames).astype(np.float32)
    free = []
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
    for alpha in person_alpha(renderer, source, target):
        free.append(cv2.dilate((alpha > 0.05).astype(np.uint8), k) == 0)
    free_arr = np.stack(free)
    masked = np.where(free_arr[..., None], stack, np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(masked, axis=0)
    enough = free_arr.mean(axis=0) >= min_share
    plate = np.where(enough[..., None], med, fallback.astype(np.float32))
    return np.clip(np.round(np.nan_to_num(plate)), 0, 255).astype(np.uint8)


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

    from skeleton_io.atomic import atomic_dir, check_output_path
    from skeleton_io.formats.video import load as load_video
    from skeleton_io.video_io import iter_frames

    from ..device import resolve_device
    from .pipeline import video_target
    from .reference import PartWarpRenderer
    from .source import load_source

    torch = _torch()
    a, b = frames
    if a < 0 or b <= a + 1:
        raise InvalidArgumentError(f"--frames {a}:{b}: expected A:B with 0 <= A < B - 1")
    if minutes <= 0:
        raise InvalidArgumentError(f"--minutes must be positive, got {minutes}")
    check_output_path(out_dir, inputs=[video])
    t0 = time.perf_counter()
    source = load_source(video, source_frame=a, max_side=max_side)
    motion = load_video(video, start_frame=a, max_frames=b - a, max_side=max_side)
    target = video_target(
        video, video, motion, source, source_frame=a, max_side=max_side, model=model, device=device
    )
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


VAL_FRACTION = 0.15

__all__ = [
    "FORMAT",
    "VAL_FRACTION",
    "LearnedRenderer",
    "NetConfig",
    "TrainReport",
    "build_net",
    "clean_plate",
    "load_model",
    "net_input",
    "net_size",
    "part_maps",
    "person_alpha",
    "train_renderer",
]
