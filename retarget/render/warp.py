"""Dense 2D maps for warping images: affine maps and thin-plate splines through control
points, evaluated on pixel grids (numpy, scipy).

Conventions: pixels, x right, y down, origin at the top-left corner; points are ``(N, 2)``
arrays ``(x, y)``. A map sends a point ``p`` to ``map(p)``; for warping an image with
``cv2.remap`` one uses a *backward* map: output pixel -> source pixel. The names say which
way a map goes (``fit(src, dst)`` maps ``src`` onto ``dst``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skeleton_io.errors import InvalidArgumentError


@dataclass(frozen=True)
class AffineMap:
    """``p -> A[:, :2] @ p + A[:, 2]`` for a ``(2, 3)`` matrix ``A``."""

    matrix: np.ndarray

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The map of the points ``(x, y)`` (float32 arrays that broadcast)."""
        a = self.matrix.astype(np.float32)
        return a[0, 0] * x + a[0, 1] * y + a[0, 2], a[1, 0] * x + a[1, 1] * y + a[1, 2]


@dataclass(frozen=True)
class ThinPlateSpline:
    """The thin-plate spline through control points (Bookstein 1989): the smoothest map
    (least bending energy) taking ``src`` exactly onto ``dst`` (or, with ``smoothing``,
    close to it), affine far from the points. Built by :func:`fit_tps`."""

    src: np.ndarray
    dst: np.ndarray
    smoothing: float
    _rbf: object

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The map of the points ``(x, y)`` (arrays that broadcast), float32."""
        xb, yb = np.broadcast_arrays(x, y)
        pts = np.stack([xb.ravel(), yb.ravel()], axis=1).astype(np.float64)
        out = self._rbf(pts).astype(np.float32)  # type: ignore[operator]
        return out[:, 0].reshape(xb.shape), out[:, 1].reshape(xb.shape)


def fit_tps(src: np.ndarray, dst: np.ndarray, smoothing: float = 0.0) -> ThinPlateSpline:
    """The :class:`ThinPlateSpline` taking ``src`` ``(N, 2)`` onto ``dst`` ``(N, 2)``
    (pixels; N >= 3 points not all on one line). ``smoothing`` > 0 trades exactness at the
    points for less bending (scipy's ``RBFInterpolator`` smoothing, in squared pixels).

    Raises:
        InvalidArgumentError: shapes differ, fewer than 3 points, or they are collinear.
    """
    from scipy.interpolate import RBFInterpolator

    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2:
        raise InvalidArgumentError(
            f"src and dst must both be (N, 2) points, got {src.shape} and {dst.shape}"
        )
    if len(src) < 3 or np.linalg.matrix_rank(src - src.mean(0), tol=1e-6) < 2:
        raise InvalidArgumentError("a thin-plate spline needs 3 or more points not on one line")
    rbf = RBFInterpolator(src, dst, kernel="thin_plate_spline", smoothing=smoothing, degree=1)
    return ThinPlateSpline(src, dst, smoothing, rbf)


def grid_map(
    fn: AffineMap | ThinPlateSpline, box: tuple[int, int, int, int], step: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """``fn`` at the pixel centres of ``box`` ``(x0, y0, x1, y1)`` as two float32 ``(h, w)``
    arrays, evaluated every ``step`` pixels and scaled up bilinearly (exact for an affine
    map), ready for ``cv2.remap``."""
    import cv2

    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cw, ch = -(-w // step), -(-h // step)
    off = np.float32(0.5 * step - 0.5)
    x = (x0 + off + step * np.arange(cw, dtype=np.float32))[None, :]
    y = (y0 + off + step * np.arange(ch, dtype=np.float32))[:, None]
    qx, qy = fn(x, y)
    qx = np.ascontiguousarray(np.broadcast_to(qx, (ch, cw)), dtype=np.float32)
    qy = np.ascontiguousarray(np.broadcast_to(qy, (ch, cw)), dtype=np.float32)
    if step > 1:
        size = (cw * step, ch * step)
        qx = cv2.resize(qx, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
        qy = cv2.resize(qy, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
    return qx, qy


__all__ = ["AffineMap", "ThinPlateSpline", "fit_tps", "grid_map"]
