"""Torch twins of :mod:`retarget.geometry` for the model (batched, differentiable, any device).

Same camera frame and angle conventions as :mod:`retarget.geometry` (read its docstring):
x right, y down, z away from the camera; yaw about the up axis (``-y``), positive turning the
performer to its own left; ``R = R_roll @ R_pitch @ R_yaw``; angles in degrees. The rotation
matrices are written out here because scipy cannot act on tensors; tests check them equal to
the scipy-based numpy functions.

Shapes: angles are tensors of shape ``(B,)`` (or 0-d), points ``(B, ..., 3)``.
"""

from __future__ import annotations

import torch

from .geometry import HIP


def _angle(a: torch.Tensor | float, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(a, dtype=like.dtype, device=like.device)


def view_matrix(
    yaw: torch.Tensor | float,
    roll: torch.Tensor | float = 0.0,
    pitch: torch.Tensor | float = 0.0,
    like: torch.Tensor | None = None,
) -> torch.Tensor:
    """``(..., 3, 3)`` rotation ``R_roll @ R_pitch @ R_yaw`` for angles in degrees.

    ``like`` gives dtype and device when all angles are Python floats.
    """
    ref = like if like is not None else (yaw if isinstance(yaw, torch.Tensor) else torch.zeros(()))
    y, r, p = (torch.deg2rad(_angle(a, ref)) for a in (yaw, roll, pitch))
    y, r, p = torch.broadcast_tensors(y, r, p)
    zero, one = torch.zeros_like(y), torch.ones_like(y)
    cy, sy = torch.cos(y), torch.sin(y)
    # about the up axis (-y): R_y(-yaw)
    r_yaw = torch.stack(
        [
            torch.stack([cy, zero, -sy], -1),
            torch.stack([zero, one, zero], -1),
            torch.stack([sy, zero, cy], -1),
        ],
        -2,
    )
    cp, sp = torch.cos(p), torch.sin(p)
    r_pitch = torch.stack(
        [
            torch.stack([one, zero, zero], -1),
            torch.stack([zero, cp, -sp], -1),
            torch.stack([zero, sp, cp], -1),
        ],
        -2,
    )
    cr, sr = torch.cos(r), torch.sin(r)
    r_roll = torch.stack(
        [
            torch.stack([cr, -sr, zero], -1),
            torch.stack([sr, cr, zero], -1),
            torch.stack([zero, zero, one], -1),
        ],
        -2,
    )
    return r_roll @ r_pitch @ r_yaw


def rotate(
    points: torch.Tensor,
    yaw: torch.Tensor | float,
    roll: torch.Tensor | float = 0.0,
    pitch: torch.Tensor | float = 0.0,
    center: torch.Tensor | None = None,
) -> torch.Tensor:
    """Rotate camera-frame points ``(B, ..., 3)`` by per-batch angles ``(B,)`` about ``center``.

    ``center`` is ``(B, 3)`` (or ``(3,)``), default the origin. Scalar angles rotate all.
    """
    mats = view_matrix(yaw, roll, pitch, like=points)
    if mats.dim() == 3:
        mats = mats.reshape(mats.shape[0], *([1] * (points.dim() - 2)), 3, 3)
    if center is not None:
        c = center
        if c.dim() == 2:
            c = c.reshape(c.shape[0], *([1] * (points.dim() - 2)), 3)
        return (mats @ (points - c).unsqueeze(-1)).squeeze(-1) + c
    return (mats @ points.unsqueeze(-1)).squeeze(-1)


def project(points: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Orthographic projection ``(..., 3) -> (..., 2)``: ``scale * (x, y)``."""
    return scale * points[..., :2]


def localize(coords: torch.Tensor) -> torch.Tensor:
    """Torch :func:`retarget.geometry.localize`: ``(..., T, 15, D)`` hip-local + hip velocity."""
    hip = coords[..., HIP, :]
    out = coords - hip.unsqueeze(-2)
    vel = torch.zeros_like(hip)
    vel[..., 1:, :] = hip[..., 1:, :] - hip[..., :-1, :]
    out = out.clone()
    out[..., HIP, :] = vel
    return out


def globalize(local: torch.Tensor, start: torch.Tensor | None = None) -> torch.Tensor:
    """Torch :func:`retarget.geometry.globalize`."""
    hip = torch.cumsum(local[..., HIP, :], dim=-2)
    if start is not None:
        hip = hip + start.unsqueeze(-2)
    out = local + hip.unsqueeze(-2)
    out = out.clone()
    out[..., HIP, :] = hip
    return out
