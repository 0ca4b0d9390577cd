"""TransMoMo's losses, each a pure function, and the weighted training objective.

All positions are in units of the 2D body height of their sequence (see
:mod:`retarget.representation`); codes are the encoders' outputs. Weights live in
:class:`LossWeights` and are saved in the run's config.

=================  ======  ===============================================================
loss               weight  what it asks
=================  ======  ===============================================================
``rec``            1.0     the decoded 3D of ``x``, projected, equals ``x`` (2D)
``rec3d``          1.0     the decoded 3D equals the motion capture's 3D (we have it: our
                           training data is motion capture, TransMoMo's was video)
``cross``          1.0     motion and view of ``x`` with the structure of ``x_s`` (its
                           limb-scaled copy) decode to ``x_s``, and vice versa (2D + 3D)
``struct_inv``     0.5     motion and view codes unchanged by limb scaling
``rot_inv``        0.5     motion and structure codes unchanged when the same motion is seen
                           from another yaw (an exactly rotated and projected skeleton)
``rot_rec``        1.0     the rotated view's codes decode to the rotated 3D
``triplet_body``   0.3     structure codes of two halves of a sequence closer than to the
                           limb-scaled copy's (margin 0.3, on unit-normalised codes)
``triplet_view``   0.3     view codes of two halves closer than to the rotated view's
``bone``           0.5     decoded 3D bone lengths constant over time and equal to the truth
=================  ======  ===============================================================

No adversarial term: with 3D motion capture as supervision its role (making rotated
projections look real) is taken by ``rot_rec``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from ..representation import bone_lengths


@dataclass
class LossWeights:
    rec: float = 1.0
    rec3d: float = 1.0
    cross: float = 1.0
    struct_inv: float = 0.5
    rot_inv: float = 0.5
    rot_rec: float = 1.0
    triplet_body: float = 0.3
    triplet_view: float = 0.3
    bone: float = 0.5
    margin: float = 0.3

    def to_dict(self) -> dict:
        return asdict(self)


def reconstruction(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean absolute error over ``(B, T, J, D)``; ``mask`` ``(B, T, J)`` weights the joints."""
    err = (pred - target).abs().mean(-1)
    if mask is None:
        return err.mean()
    return (err * mask).sum() / mask.sum().clamp_min(1.0)


def projected(x3d: torch.Tensor) -> torch.Tensor:
    """Orthographic projection ``(..., 3) -> (..., 2)`` (camera frame: keep x and y)."""
    return x3d[..., :2]


def invariance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of two codes of the same shape."""
    return F.mse_loss(a, b)


def triplet(
    anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float
) -> torch.Tensor:
    """Triplet loss on unit-normalised codes ``(B, C)``: d(a, p) + margin <= d(a, n)."""
    a, p, n = (F.normalize(c, dim=-1) for c in (anchor, positive, negative))
    return F.relu((a - p).pow(2).sum(-1) - (a - n).pow(2).sum(-1) + margin).mean()


def bone_consistency(pred3d: torch.Tensor, target3d: torch.Tensor) -> torch.Tensor:
    """Decoded bone lengths equal the truth's in every frame (hip-local 3D, MidHip slot ignored)."""
    return (bone_lengths(_positions(pred3d)) - bone_lengths(_positions(target3d))).abs().mean()


def _positions(local: torch.Tensor) -> torch.Tensor:
    """Hip-local positions with the MidHip slot (which holds the hip velocity) set to 0."""
    from ..geometry import HIP

    out = local.clone()
    out[..., HIP, :] = 0
    return out
