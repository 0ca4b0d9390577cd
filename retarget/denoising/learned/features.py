"""What the denoiser network sees: scale, noise level, features, gap filling
(see :mod:`retarget.denoising.learned`).
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from einops import rearrange

from ...geometry import HIP
from ...representation import InputStats, body_scale, to_local
from .. import filters as F

log = logging.getLogger(__name__)


DETECTED, FILLED, UNKNOWN = 1.0, 0.5, 0.0
"""Presence codes of the network input (see :mod:`retarget.denoising.learned`)."""


# ------------------------------------------------------------------ representation
def sequence_scale(base: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """``(B, T, 15, 2)``, ``(B, T, 15)`` bool -> ``(B,)`` 2D body height in the input's units:
    :func:`retarget.representation.body_scale` with ``partial=True`` (upper bodies too)."""
    return body_scale(base, known.to(base.dtype), partial=True)


def noise_level(
    base_n: torch.Tensor, presence: torch.Tensor, order: int = 2, keep: float = 0.8
) -> torch.Tensor:
    """``(B, T, J, 2)`` positions in body heights, presence -> ``(B, J)``: each joint's mean
    |difference of ``order``| over the lowest ``keep`` of the frames where it is detected
    throughout (trimmed: robust to outliers; a mean, not a median, so that quantised detector
    output, often unchanged from frame to frame, still shows its steps). A higher order
    damps smooth motion more (a 2 Hz motion at 30 fps: 6-fold by the 2nd difference, 30-fold
    by the 4th), so less fast motion is taken for noise; the shipped model uses 2 (4 did
    worse on the real clips). A joint without such frames gets the median of the others (0
    when none has)."""
    T = base_n.shape[1]
    if T <= order:
        return torch.zeros(base_n.shape[0], base_n.shape[2], dtype=base_n.dtype)
    det = presence == DETECTED
    diff = torch.linalg.vector_norm(torch.diff(base_n, n=order, dim=1), dim=-1)
    ok = det[:, : T - order].clone()
    for i in range(1, order + 1):
        ok &= det[:, i : T - order + i]
    diff = torch.where(ok, diff, torch.full_like(diff, float("nan")))
    q = torch.nanquantile(diff, keep, dim=1, keepdim=True)
    low = ok & (diff <= q)
    n = low.sum(1)
    level = torch.where(low, diff, torch.zeros_like(diff)).sum(1) / n.clamp_min(1)
    level = torch.where(n > 0, level, torch.full_like(level, float("nan")))
    fill = torch.nan_to_num(torch.nanmedian(level, dim=1, keepdim=True).values, nan=0.0)
    return torch.where(torch.isnan(level), fill.expand_as(level), level)


def network_features(
    base: torch.Tensor,
    presence: torch.Tensor,
    scale: torch.Tensor,
    stats: InputStats,
    noise_order: int = 2,
) -> torch.Tensor:
    """``(B, T, 15, 2)`` base, ``(B, T, 15)`` presence, ``(B,)`` scale -> ``(B, 60, T)``:
    standardised hip-local coordinates (30), presence (15) and each joint's
    :func:`noise_level` (of ``noise_order``) over the whole sequence (15,
    ``log(level + 1e-4) + 4.5``, constant in time)."""
    local = to_local(base, scale)
    mean = torch.as_tensor(stats.mean, dtype=base.dtype, device=base.device)
    std = torch.as_tensor(stats.std, dtype=base.dtype, device=base.device)
    z = (local - mean) / std * (presence > 0).to(base.dtype)[..., None]
    level = noise_level(base / scale[:, None, None, None], presence, noise_order)
    level = torch.log(level + 1e-4) + 4.5
    return torch.cat(
        [
            rearrange(z, "b t j d -> b (j d) t"),
            rearrange(presence, "b t j -> b j t"),
            level[..., None].expand(-1, -1, base.shape[1]),
        ],
        1,
    )


def fill_for_network(
    coords: np.ndarray,
    confidence: np.ndarray,
    max_gap: int,
    fill_confidence: float = 0.25,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's ``base`` and presence for one ``openpose15`` sequence (numpy).

    Interior gaps up to ``max_gap`` frames are interpolated linearly
    (:func:`~retarget.denoising.fill_gaps`; confidence ``fill_confidence`` times the lower
    neighbour's) and become :data:`FILLED`. Every other missing frame of a joint also gets a
    position in ``base`` (linear across longer gaps, the nearest known value before the first
    and after the last), so that the filters and the hip-local features are defined, but stays
    :data:`UNKNOWN`; a joint never seen sits on the hip (or at 0).

    Returns:
        ``(base (T, 15, 2), presence (T, 15), confidence (T, 15))``; the confidence is that
        of the output (filled joints reduced, unknown ones 0).
    """
    known = confidence > 0
    _, conf, filled = F.fill_gaps(
        coords, confidence, max_gap, kind="linear", confidence_scale=fill_confidence
    )
    presence = np.where(filled, FILLED, np.where(known, DETECTED, UNKNOWN))
    base = np.zeros_like(coords, dtype=np.float64)
    t = np.arange(len(conf))
    never = []
    for j in range(conf.shape[1]):
        ok = np.flatnonzero(known[:, j])
        if not len(ok):
            never.append(j)
            continue
        for d in range(coords.shape[2]):
            base[:, j, d] = np.interp(t, ok, coords[ok, j, d])
    if never and HIP not in never:
        base[:, never] = base[:, HIP, None]
    return base, presence, conf
