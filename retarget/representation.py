"""What the networks see: 2D openpose15 sequences, hip-local, in units of body height.

For a 2D sequence ``x`` ``(B, T, 15, 2)`` (camera frame, x right, y down) with confidence
``conf`` ``(B, T, 15)``:

1. ``scale`` ``(B,)`` = the sequence's 2D body height: per bone, a high percentile (95th) of
   its projected length over the frames (a bone is foreshortened in most frames, seen at
   full length in a few), summed along ankle-knee-hip-MidHip-Neck-Nose
   (:func:`retarget.geometry.height_from_bones`). It is the unit of everything below, so
   the networks see proportions, not size.
2. ``local = localize(x) / scale``: joints relative to the frame's MidHip, the MidHip slot
   holding the hip's per-frame velocity (:func:`retarget.geometry_torch.localize`).
3. The input is ``(local - mean) / std`` (statistics of the training data, saved with the
   model) with missing joints set to 0, plus the confidence: ``(B, 15 * 2 + 15, T)``.

3D targets and decoder outputs are ``localize(x3d) / scale`` (same units) ``(B, T, 15, 3)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from einops import rearrange

from .geometry import BONES, LEG_BONES, TRUNK_BONES, body_size
from .geometry_torch import localize

_PARENT = torch.tensor([b[0] for b in BONES])
_CHILD = torch.tensor([b[1] for b in BONES])


def bone_lengths(x: torch.Tensor) -> torch.Tensor:
    """``(..., T, 15, D) -> (..., T, 14)`` length of each bone of :data:`BONES`."""
    return torch.linalg.vector_norm(x[..., _CHILD, :] - x[..., _PARENT, :], dim=-1)


def height(lengths: torch.Tensor) -> torch.Tensor:
    """Skeleton height from bone lengths ``(..., 14)`` (as :func:`retarget.geometry.height_from_bones`)."""
    legs = torch.stack([lengths[..., a] + lengths[..., b] for a, b in LEG_BONES], -1).mean(-1)
    return legs + lengths[..., TRUNK_BONES[0]] + lengths[..., TRUNK_BONES[1]]


def robust_bone_lengths(
    x: torch.Tensor, conf: torch.Tensor | None = None, q: float = 0.95
) -> torch.Tensor:
    """``(B, T, 15, D) -> (B, 14)``: the ``q`` quantile of each bone's length over frames.

    Frames where a bone's joints are missing (confidence 0) are left out; a bone missing in
    every frame gets NaN.
    """
    length = bone_lengths(x)
    if conf is not None:
        ok = (conf[..., _CHILD] > 0) & (conf[..., _PARENT] > 0)
        length = torch.where(ok, length, torch.full_like(length, float("nan")))
    return torch.nanquantile(length.transpose(-1, -2), q, dim=-1)


def body_scale(
    x: torch.Tensor, conf: torch.Tensor | None = None, partial: bool = False
) -> torch.Tensor:
    """``(B, T, 15, 2) -> (B,)`` 2D body height (see the module docstring), in ``x``'s units.

    A side whose leg is missing altogether uses the other side. With ``partial``, a
    sequence without a whole leg measures twice its trunk (hip-neck-nose) and one without a
    trunk the median largest side of its bounding box (:func:`retarget.geometry.body_size`);
    otherwise such a sequence gets 1.
    """
    lengths = robust_bone_lengths(x, conf)
    legs = torch.stack([lengths[..., a] + lengths[..., b] for a, b in LEG_BONES], -1)
    leg = torch.nanmean(legs, -1)
    trunk = lengths[..., TRUNK_BONES[0]] + lengths[..., TRUNK_BONES[1]]
    if not partial:
        return torch.nan_to_num(leg + trunk, nan=1.0).clamp_min(1e-6)
    h = torch.where(torch.isnan(leg), 2 * trunk, leg + trunk)
    known = torch.ones(x.shape[:-1], dtype=torch.bool) if conf is None else conf > 0
    for i in torch.nonzero(~torch.isfinite(h) | (h <= 0)).flatten().tolist():
        h[i] = body_size(x[i].detach().cpu().double().numpy(), known[i].cpu().numpy())
    return h.clamp_min(1e-6)


@dataclass
class InputStats:
    """Per joint-coordinate mean and std of ``local`` 2D over the training data."""

    mean: np.ndarray  # (15, 2)
    std: np.ndarray  # (15, 2)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist(), "units": "body height (2D)"}

    @classmethod
    def from_dict(cls, d: dict) -> InputStats:
        return cls(np.asarray(d["mean"], dtype=np.float64), np.asarray(d["std"], dtype=np.float64))

    @classmethod
    def identity(cls, joints: int = 15) -> InputStats:
        return cls(np.zeros((joints, 2)), np.ones((joints, 2)))


def to_local(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``(B, T, J, D)`` positions -> hip-local + hip velocity, in units of ``scale`` ``(B,)``."""
    return localize(x) / scale[:, None, None, None]


def network_input(local2d: torch.Tensor, conf: torch.Tensor, stats: InputStats) -> torch.Tensor:
    """``(B, T, 15, 2)`` local, ``(B, T, 15)`` confidence -> ``(B, 45, T)`` network input."""
    mean = torch.as_tensor(stats.mean, dtype=local2d.dtype, device=local2d.device)
    std = torch.as_tensor(stats.std, dtype=local2d.dtype, device=local2d.device)
    z = (local2d - mean) / std
    present = (conf > 0).to(z.dtype)
    z = z * present[..., None]
    feats = torch.cat(
        [rearrange(z, "b t j d -> b (j d) t"), rearrange(present, "b t j -> b j t")], 1
    )
    return feats


def compute_stats(locals2d: list[np.ndarray]) -> InputStats:
    """:class:`InputStats` from a list of ``(T, 15, 2)`` local arrays."""
    a = np.concatenate([x.reshape(-1, *x.shape[-2:]) for x in locals2d])
    return InputStats(a.mean(0), np.maximum(a.std(0), 1e-3))
