"""Training data of the denoiser: clean mocap windows and detector-like corruption."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE15

from ...geometry import J
from .. import filters as F
from ..metrics import NoiseStats, add_noise
from ..registry import CleanupOptions, clean
from .features import (
    fill_for_network,
)
from .inference import LearnedOptions
from .network import JOINTS

log = logging.getLogger(__name__)


_MIRROR = list(range(JOINTS))
for _l, _r in OPENPOSE15.symmetry:
    _MIRROR[_l], _MIRROR[_r] = _r, _l


# ------------------------------------------------------------------ training data
@dataclass
class TrainSettings:
    """Settings of :func:`train_denoiser` (saved in ``config.json``).

    Motion: the train split's windows, ``slow`` of them played slower by a factor in
    ``slow_factor`` (:func:`slow_down`). Noise (per training window): the measured statistics with jitter times a log-uniform
    factor in ``jitter_scale`` (and per joint times a log-uniform factor in ``joint_spread``),
    dropout, outlier and swap rates times a uniform factor in ``structure_scale``.
    Each joint's jitter is independent plus a whole-body shift (standard deviation a uniform
    factor in ``shared`` of the median joint's); ``colored`` of the windows get temporally
    correlated jitter (a Gaussian filter of ``colored_sigma`` frames, same standard
    deviation); ``quantize`` of them are rounded to a grid of ``quantize_step`` body sizes
    (detectors output pixels); each window gets extra dropouts (runs of 1-12 frames)
    at a uniform rate in ``extra_dropout``; ``long_gap`` of them lose one joint for 9-30
    frames, ``limb_loss`` lose a limb for the whole window. Each window then goes through
    :func:`~retarget.denoising.clean` and :func:`fill_for_network`, as at inference.
    """

    iterations: int = 8000
    minutes: float | None = None
    batch: int = 64
    window: int = 64
    pool: int = 12000
    lr: float = 2e-3
    lr_final: float = 2e-5
    weight_decay: float = 1e-4
    accel_weight: float = 2.0
    relative_loss: bool = True
    """Optimise each window's error relative to its input's (see :func:`losses`)."""
    jitter_scale: tuple[float, float] = (0.1, 3.0)
    joint_spread: tuple[float, float] = (0.6, 1.6)
    structure_scale: tuple[float, float] = (0.0, 3.0)
    colored: float = 0.5
    colored_sigma: tuple[float, float] = (0.5, 2.5)
    shared: tuple[float, float] = (0.0, 1.0)
    quantize: float = 0.3
    quantize_step: tuple[float, float] = (0.001, 0.005)
    extra_dropout: tuple[float, float] = (0.0, 0.05)
    long_gap: float = 0.3
    limb_loss: float = 0.05
    slow: float = 0.3
    slow_factor: tuple[float, float] = (1.5, 4.0)
    max_fill: float = LearnedOptions.max_fill
    fps: float = 30.0
    seed: int = 0
    device: str = "auto"
    workers: int = 1
    threads: int = 0
    """Torch threads (0: torch's default)."""


_LIMBS = (
    ["RElbow", "RWrist"], ["LElbow", "LWrist"], ["RKnee", "RAnkle"], ["LKnee", "LAnkle"],
    ["RKnee", "RAnkle", "LKnee", "LAnkle"], ["Nose"],
)  # fmt: skip


def corrupt(
    clean_xy: np.ndarray, noise: NoiseStats, rng: np.random.Generator, s: TrainSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Detector-like noise on one clean ``(T, 15, 2)`` window (see :class:`TrainSettings`)."""
    T = clean_xy.shape[0]
    k = rng.uniform(*s.structure_scale)
    extra = rng.uniform(*s.extra_dropout)
    structure = replace(
        noise,
        jitter={},
        dropout_rate={n: min(0.5, noise.dropout_of(n) * k + extra) for n in OPENPOSE15.joints},
        dropout_lengths=list(noise.dropout_lengths) + list(range(1, 13)),
        outlier_rate=min(0.2, noise.outlier_rate * k),
        swap_rate=min(0.3, noise.swap_rate * k),
    )
    noisy, conf = add_noise(clean_xy, structure, rng, skeleton=OPENPOSE15)
    lo, hi = np.log(s.jitter_scale)
    spread = np.exp(rng.uniform(*np.log(s.joint_spread), size=JOINTS))
    sigma = np.array([noise.jitter_of(n) for n in OPENPOSE15.joints]) * spread
    sigma *= math.exp(rng.uniform(lo, hi)) * F.body_size(clean_xy, np.ones((T, JOINTS)))
    e = rng.normal(size=noisy.shape)  # per joint, plus a whole-body shift (detector crops)
    e = e * sigma[None, :, None] + rng.normal(size=(T, 1, 2)) * (
        rng.uniform(*s.shared) * float(np.median(sigma))
    )
    if rng.random() < s.colored:
        from scipy.ndimage import gaussian_filter1d

        sd = e.std(axis=0, keepdims=True)
        e = gaussian_filter1d(e, rng.uniform(*s.colored_sigma), axis=0, mode="nearest")
        e *= sd / (e.std(axis=0, keepdims=True) + 1e-12)
    noisy = noisy + e
    if rng.random() < s.quantize:  # detector output on a pixel grid (OpenPose: about 2 px)
        step = rng.uniform(*s.quantize_step) * F.body_size(clean_xy, np.ones((T, JOINTS)))
        noisy = np.round(noisy / step) * step
    if rng.random() < s.long_gap and T > 12:
        n = int(rng.integers(9, min(31, T - 2)))
        start = int(rng.integers(1, T - n))
        conf[start : start + n, rng.integers(JOINTS)] = 0.0
    if rng.random() < s.limb_loss:
        limb = _LIMBS[int(rng.integers(len(_LIMBS)))]
        conf[:, [J[n] for n in limb]] = 0.0
    noisy[conf == 0] = 0.0
    return noisy, conf


def make_item(
    clean_xy: np.ndarray, noise: NoiseStats, rng: np.random.Generator, s: TrainSettings
) -> tuple[np.ndarray, np.ndarray]:
    """One training input from a clean window: ``(base (T, 15, 2), presence (T, 15))``,
    corrupted, cleaned and gap-filled exactly as at inference."""
    noisy, conf = corrupt(clean_xy, noise, rng, s)
    seq = PoseSequence(noisy, conf, OPENPOSE15, fps=s.fps, units="cm")
    cleaned, _ = clean(seq, CleanupOptions())
    max_gap = int(round(s.max_fill * s.fps))
    base, presence, _ = fill_for_network(cleaned.coords, cleaned.confidence, max_gap)
    return base, presence


def _make_items(args: tuple) -> tuple[np.ndarray, np.ndarray]:
    clean_xy, noise, s, seed = args
    rng = np.random.default_rng(seed)
    items = [make_item(x, noise, rng, s) for x in clean_xy]
    return np.stack([b for b, _ in items]), np.stack([p for _, p in items])


def make_pool(
    clean_xy: np.ndarray, noise: NoiseStats, s: TrainSettings, seed: int = 0, workers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs for clean windows ``(N, T, 15, 2)``: ``(base, presence)`` as float32 arrays."""
    chunks = np.array_split(np.arange(len(clean_xy)), max(1, workers * 8))
    jobs = [(clean_xy[c], noise, s, seed * 100003 + i) for i, c in enumerate(chunks) if len(c)]
    if workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as ex:
            results = list(ex.map(_make_items, jobs))
    else:
        results = [_make_items(j) for j in jobs]
    base = np.concatenate([r[0] for r in results]).astype(np.float32)
    presence = np.concatenate([r[1] for r in results]).astype(np.float32)
    return base, presence


def clean_windows(
    lib: Any, split: str, n: int, window: int, seed: int, device: torch.device | str = "cpu"
) -> np.ndarray:
    """``n`` clean 2D windows ``(n, window, 15, 2)`` of a split: the retargeting model's
    :class:`~retarget.data.sampler.BatchSampler` (random views, limb scaling), projected
    orthographically (x right, y down, centimetres)."""
    from ...data.sampler import BatchSampler

    sampler = BatchSampler(lib, split, window=window, stride=8, device=device, seed=seed)
    out = []
    while sum(len(o) for o in out) < n:
        out.append(sampler(min(256, n))["x3d"][..., :2].double().cpu().numpy())
    return np.concatenate(out)[:n]


def slow_down(
    windows: np.ndarray, fraction: float, factor: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """Play ``fraction`` of the windows ``(N, T, J, D)`` slower by a uniform factor in
    ``factor`` (the start of each, stretched by a cubic spline to the same length): motion
    capture is mostly brisk; people in videos often stand or move slowly."""
    from scipy.interpolate import CubicSpline

    out = windows.copy()
    T = windows.shape[1]
    for i in np.flatnonzero(rng.random(len(windows)) < fraction):
        k = rng.uniform(*factor)
        out[i] = CubicSpline(np.arange(T), windows[i], axis=0)(np.arange(T) / k)
    return out
