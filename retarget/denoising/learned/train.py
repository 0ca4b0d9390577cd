"""Training of the denoiser (``retarget train-denoiser``) with :func:`retarget.nn.run_loop`."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from skeleton_io.atomic import check_output_path
from skeleton_io.checks import check_count, max_local_workers

from ...nn.training import Schedule, check_budget, require_windows, run_loop
from ...representation import InputStats, compute_stats, to_local
from ..metrics import NoiseStats
from .features import (
    network_features,
    sequence_scale,
)
from .folder import save_denoiser
from .network import DenoiserConfig, TemporalDenoiser
from .synthesis import (
    _MIRROR,
    TrainSettings,
    clean_windows,
    make_pool,
    slow_down,
)

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ training
def augment(
    base: torch.Tensor, presence: torch.Tensor, target: torch.Tensor, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random mirror (x negated, left/right relabelled), time reversal and in-plane rotation
    (up to 15 degrees), the same for input and target (the noise is symmetric)."""
    B, dev = base.shape[0], base.device
    flip = torch.rand(B, generator=gen, device=dev) < 0.5
    if flip.any():
        sign = torch.tensor([-1.0, 1.0], device=dev)
        for x in (base, target):
            x[flip] = x[flip][:, :, _MIRROR] * sign
        presence[flip] = presence[flip][:, :, _MIRROR]
    rev = torch.rand(B, generator=gen, device=dev) < 0.5
    if rev.any():
        for x in (base, presence, target):
            x[rev] = x[rev].flip(1)
    ang = (torch.rand(B, generator=gen, device=dev) - 0.5) * math.radians(30)
    c, s = torch.cos(ang), torch.sin(ang)
    rot = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)  # (B, 2, 2)
    base = torch.einsum("bij,btkj->btki", rot, base)
    target = torch.einsum("bij,btkj->btki", rot, target)
    return base, presence, target


def losses(
    model: TemporalDenoiser,
    stats: InputStats,
    base: torch.Tensor,
    presence: torch.Tensor,
    target: torch.Tensor,
    relative: bool = False,
    eps: float = 1e-4,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(position L1, acceleration L1, MPJPE)`` over known joints, in body heights.

    With ``relative`` the first two are each window's error divided by its input's (plus
    ``eps`` body heights), averaged over windows: every noise level weighs the same, and
    the ratios to the raw input are what is optimised.
    """
    known = presence > 0
    scale = sequence_scale(base, known)
    s = scale[:, None, None, None]
    cfg = getattr(model, "module", model).cfg  # the network itself, or inside DDP
    feats = network_features(base, presence, scale, stats, cfg.noise_order)
    err = model(feats, base / s) - target / s
    m = known.to(base.dtype)
    ma = m[:, 2:] * m[:, 1:-1] * m[:, :-2]

    def per_window(e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        acc = e[:, 2:] - 2 * e[:, 1:-1] + e[:, :-2]
        pos = (e.abs().sum(-1) * m).sum((1, 2)) / (2 * m.sum((1, 2))).clamp_min(1)
        accel = (acc.abs().sum(-1) * ma).sum((1, 2)) / (2 * ma.sum((1, 2))).clamp_min(1)
        return pos, accel

    pos, accel = per_window(err)
    if relative:
        with torch.no_grad():
            pos0, accel0 = per_window((base - target) / s)
        pos, accel = pos / (pos0 + eps), accel / (accel0 + eps)
    mpjpe = (torch.linalg.vector_norm(err, dim=-1) * m).sum() / m.sum().clamp_min(1)
    return pos.mean(), accel.mean(), mpjpe


@dataclass
class TrainResult:
    """What :func:`train_denoiser` measured."""

    steps: int
    seconds: float
    pool_seconds: float
    parameters: int
    val: dict[str, float] = field(default_factory=dict)


def _check_settings(s: TrainSettings, cfg: DenoiserConfig, folder: str | Path) -> None:
    """Refuse settings out of range and an output folder that cannot be written, before
    anything is computed."""
    check_budget(s.iterations, s.minutes, s.batch, s.lr)
    check_count(s.workers, "workers", 1, max_local_workers())
    check_count(s.threads, "threads", 0, max_local_workers())
    check_count(s.pool, "pool", 1, 10_000_000)
    check_count(cfg.hidden, "hidden", 4, 4096, "a number of channels")
    check_output_path(folder, folder=True)


def _clean_windows(data: str | Path, s: TrainSettings) -> tuple[np.ndarray, np.ndarray]:
    """The clean training windows (some slowed down) and the validation windows of the
    motion capture in ``data``; both splits must have clips of a window's length."""
    from ...data.mocap import MocapLibrary
    from ...data.splits import get_split

    lib = MocapLibrary.load(data)
    for split in ("train", "val"):
        lengths = [lib.clips[c].num_frames for c in get_split(lib, split).clips]
        require_windows(lengths, s.window, lib.root, split)
    train_xy = clean_windows(lib, "train", s.pool, s.window, s.seed)
    train_xy = slow_down(train_xy, s.slow, s.slow_factor, np.random.default_rng(s.seed))
    val_xy = clean_windows(lib, "val", min(512, max(16, s.pool // 8)), s.window, s.seed + 1)
    return train_xy, val_xy


def train_denoiser(
    folder: str | Path,
    noise: NoiseStats,
    *,
    data: str | Path = "../shared/mocap",
    settings: TrainSettings | None = None,
    net: DenoiserConfig | None = None,
    command: str = "",
    progress: bool = True,
) -> TrainResult:
    """Train a denoiser on the ``train`` split of the motion capture in ``data`` with
    synthetic noise of statistics ``noise`` (see :class:`TrainSettings`); write the model
    folder. Validation: the ``val`` split with the measured noise (factor 1).

    Stops after ``settings.iterations`` steps or ``settings.minutes`` (pool making counted),
    whichever comes first; the learning rate follows a cosine over that budget.
    """
    from ...device import resolve_device
    from ...nn import distributed

    s = settings or TrainSettings()
    cfg = net or DenoiserConfig()
    _check_settings(s, cfg, folder)
    if s.threads:
        torch.set_num_threads(s.threads)
    t0 = time.perf_counter()
    dist, dev = distributed.setup(resolve_device(s.device))
    torch.manual_seed(s.seed)  # the same initial weights on every rank
    gen = torch.Generator(device=dev).manual_seed(s.seed + dist.rank)
    train_xy, val_xy = _clean_windows(data, s)
    stats = compute_stats(
        [to_local(torch.as_tensor(x), _scale_np(x)).numpy() for x in np.array_split(train_xy, 16)]
    )
    train_xy = train_xy[dist.rank :: dist.world_size]  # each rank its own windows and noise
    base, presence = make_pool(train_xy, noise, s, s.seed + 7919 * dist.rank, s.workers)
    val_settings = replace(s, jitter_scale=(1.0, 1.0), structure_scale=(1.0, 1.0))
    val_base, val_presence = make_pool(val_xy, noise, val_settings, s.seed + 7, s.workers)
    pool_seconds = dist.max(time.perf_counter() - t0)
    log.info("training pool: %d windows in %.0f s", len(base), pool_seconds)

    tensors = [torch.as_tensor(a, device=dev) for a in (base, presence, train_xy.astype("f4"))]
    val = [torch.as_tensor(a, device=dev) for a in (val_base, val_presence, val_xy.astype("f4"))]
    model = TemporalDenoiser(cfg).to(dev)
    trained = distributed.wrap(model, dist, dev)  # under torchrun: gradients averaged
    opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=s.weight_decay)

    def step_fn(_: int) -> dict[str, float]:
        idx = torch.randint(0, len(tensors[0]), (s.batch,), generator=gen, device=dev)
        b, pr, tg = augment(*(t[idx].clone() for t in tensors), gen)
        pos, accel, mp = losses(trained, stats, b, pr, tg, relative=s.relative_loss)
        loss = pos + s.accel_weight * accel
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return {"mpjpe_pct": 100 * float(mp.detach())}

    model.train()
    try:
        loop = run_loop(
            step_fn,
            Schedule(s.lr, s.iterations, s.minutes, s.lr_final),
            opt,
            seconds_spent=pool_seconds,  # the pool counts in the time budget
            on_log=lambda step, m: log.info(
                "step %d: train MPJPE %.4f%% body", step, m["mpjpe_pct"]
            ),
            log_every=200,
            progress=progress,
            desc="train-denoiser",
            dist=dist,
        )
    finally:
        trained = step_fn = None  # free the DDP wrapper before its process group goes
        distributed.cleanup(dist)
    step = loop.step
    model.eval()
    result = TrainResult(
        steps=step,
        seconds=round(time.perf_counter() - t0, 1),
        pool_seconds=round(pool_seconds, 1),
        parameters=sum(p.numel() for p in model.parameters()),
        val=validate(model, stats, *val) if dist.is_main else {},
    )
    if not dist.is_main:  # rank 0 writes the model
        return result
    extra = {
        "train": asdict(s),
        "command": command,
        "data": {
            "mocap": str(data),
            "split": "train (CMU only; val for validation)",
            "pool_windows": len(base) * dist.world_size,
            "world_size": dist.world_size,
        },
        "result": asdict(result),
    }
    save_denoiser(folder, model.cpu(), stats, noise, extra)
    return result


def _scale_np(x: np.ndarray) -> torch.Tensor:
    t = torch.as_tensor(x)
    return sequence_scale(t, torch.ones(t.shape[:-1], dtype=torch.bool))


@torch.no_grad()
def validate(
    model: TemporalDenoiser,
    stats: InputStats,
    base: torch.Tensor,
    presence: torch.Tensor,
    target: torch.Tensor,
) -> dict[str, float]:
    """MPJPE and acceleration error in % of body height of the input and the output on
    held-out windows (known joints)."""
    model.eval()
    zero = TemporalDenoiser(model.cfg).to(base.device)  # zero output: the input itself
    out = {}
    for name, m in (("input", zero), ("model", model)):
        pos, accel, mp = losses(m, stats, base, presence, target)
        out[f"{name}_mpjpe_pct"] = round(100 * float(mp), 4)
        out[f"{name}_accel_l1_pct"] = round(100 * float(accel), 4)
    return out
