"""Plane geometry of the part-based renderer (numpy, pixels, x right, y down): distances
to segments and convex polygons, and ``(2, 3)`` affine maps (a source pixel to a target
pixel: ``target = A[:, :2] @ source + A[:, 2]``): inverting, fitting, a limb's map along
its bone. Re-exported by :mod:`.parts`.
"""

from __future__ import annotations

import numpy as np


# ------------------------------------------------------------------------ distances
def segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of ``points`` ``(..., 2)`` to the segment ``a``-``b`` (pixels)."""
    ab = b - a
    den = float(ab @ ab)
    rel = points - a
    if den < 1e-12:
        return np.sqrt((rel * rel).sum(-1))
    t = np.clip((rel @ ab) / den, 0.0, 1.0)
    d = rel - t[..., None] * ab
    return np.sqrt((d * d).sum(-1))


def segment_distance_xy(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`segment_distance` on separate x and y arrays (float32 friendly, no stacking)."""
    abx, aby = float(b[0] - a[0]), float(b[1] - a[1])
    den = abx * abx + aby * aby
    rx, ry = x - np.float32(a[0]), y - np.float32(a[1])
    if den < 1e-12:
        return np.sqrt(rx * rx + ry * ry)
    t = np.clip((rx * abx + ry * aby) * np.float32(1.0 / den), 0.0, 1.0)
    dx, dy = rx - t * np.float32(abx), ry - t * np.float32(aby)
    return np.sqrt(dx * dx + dy * dy)


def convex_polygon(points: np.ndarray) -> np.ndarray:
    """The convex hull of ``points`` ``(N, 2)`` as vertices in order (clockwise as seen on
    an image, y down); fewer than 3 distinct points give the points themselves."""
    import cv2

    pts = np.asarray(points, dtype=np.float32).reshape(-1, 1, 2)
    hull = cv2.convexHull(pts, clockwise=False).reshape(-1, 2).astype(np.float64)
    return hull


def _edges(poly: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit outward normals ``(K, 2)`` and offsets ``(K,)`` of a convex polygon's edges."""
    nxt = np.roll(poly, -1, axis=0)
    e = nxt - poly
    n = np.stack([e[:, 1], -e[:, 0]], axis=1)
    length = np.linalg.norm(n, axis=1)
    keep = length > 1e-9
    n = n[keep] / length[keep, None]
    c = (n * poly[keep]).sum(1)
    # Orient outward: the centroid must be on the inner side.
    centre = poly.mean(0)
    flip = (n @ centre - c) > 0
    n[flip] *= -1
    c[flip] *= -1
    return n, c


def polygon_distance_xy(x: np.ndarray, y: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Distance outside a convex polygon (0 inside), as the largest signed distance to its
    edge lines (exact along edges, a little short near corners)."""
    if len(poly) < 3:
        if len(poly) == 2:
            return segment_distance_xy(x, y, poly[0], poly[1])
        return segment_distance_xy(x, y, poly[0], poly[0])
    n, c = _edges(poly)
    d = None
    for (nx, ny), ci in zip(n, c):
        di = x * np.float32(nx) + y * np.float32(ny) - np.float32(ci)
        d = di if d is None else np.maximum(d, di)
    return np.maximum(d, 0.0)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- transforms
def invert_affine(a: np.ndarray) -> np.ndarray:
    """The inverse of ``(..., 2, 3)`` affine maps."""
    lin = a[..., :2]
    inv = np.linalg.inv(lin)
    t = -np.einsum("...ij,...j->...i", inv, a[..., 2])
    return np.concatenate([inv, t[..., None]], axis=-1)


def _frame(u: np.ndarray) -> np.ndarray:
    """``[u, n]`` as columns, ``n`` = ``u`` turned a quarter turn (x right, y down)."""
    return np.array([[u[0], -u[1]], [u[1], u[0]]])


def limb_affine(
    sa: np.ndarray,
    sb: np.ndarray,
    ta: np.ndarray,
    tb: np.ndarray,
    scale: float,
    stretch: tuple[float, float] = (0.3, 1.6),
    anchor: str = "a",
    mirror: bool = False,
) -> np.ndarray:
    """Source -> target map of a limb: bone ``sa``->``sb`` onto ``ta``->``tb``.

    Rotates the bone onto the target's, stretches ALONG the bone by the length ratio
    (foreshortening; kept within ``stretch`` times ``scale``) and scales ACROSS it by
    ``scale`` (the limb keeps its thickness, in the target body's size). ``anchor`` ``"a"``
    maps ``sa`` exactly onto ``ta``, ``"b"`` maps ``sb`` onto ``tb``. ``mirror`` also flips
    the limb across its bone (a left limb drawn from a right one).
    """
    vs, vt = sb - sa, tb - ta
    ls, lt = float(np.linalg.norm(vs)), float(np.linalg.norm(vt))
    us = vs / ls if ls > 1e-9 else np.array([0.0, 1.0])
    ut = vt / lt if lt > 1e-9 else us
    s_along = float(np.clip(lt / max(ls, 1e-9), stretch[0] * scale, stretch[1] * scale))
    lin = _frame(ut) @ np.diag([s_along, -scale if mirror else scale]) @ _frame(us).T
    src, dst = (sa, ta) if anchor == "a" else (sb, tb)
    return np.concatenate([lin, (dst - lin @ src)[:, None]], axis=1)


def clamp_affine(a: np.ndarray, scale: float, lo: float = 0.25, hi: float = 2.0) -> np.ndarray:
    """``a`` with the singular values of its linear part kept within ``[lo, hi] * scale``
    (no collapse, no explosion; orientation kept); the translation is adjusted so the map
    of the origin does not change."""
    u, s, vt = np.linalg.svd(a[:, :2])
    lin = u @ np.diag(np.clip(s, lo * scale, hi * scale)) @ vt
    return np.concatenate([lin, a[:, 2:]], axis=1)


def fit_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    """Least-squares ``(2, 3)`` affine map of ``src`` ``(N, 2)`` onto ``dst``; None when the
    points do not span two dimensions."""
    if len(src) < 3:
        return None
    x = np.concatenate([src, np.ones((len(src), 1))], axis=1)
    sol, _, rank, _ = np.linalg.lstsq(x, dst, rcond=None)
    if rank < 3:
        return None
    return sol.T


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation; no mirror) of
    ``src`` onto ``dst`` (Umeyama)."""
    ms, md = src.mean(0), dst.mean(0)
    s0, d0 = src - ms, dst - md
    cov = d0.T @ s0 / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    corr = np.diag([1.0, d])
    rot = u @ corr @ vt
    var = (s0**2).sum() / len(src)
    scale = float((sig * np.diag(corr)).sum() / var) if var > 1e-12 else 1.0
    lin = scale * rot
    return np.concatenate([lin, (md - lin @ ms)[:, None]], axis=1)


__all__ = [
    "clamp_affine",
    "convex_polygon",
    "fit_affine",
    "invert_affine",
    "limb_affine",
    "polygon_distance_xy",
    "segment_distance",
    "segment_distance_xy",
    "similarity",
]
