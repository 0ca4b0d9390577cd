"""What the renderer network sees besides pictures: the target skeleton as soft part maps.

Conventions: pixels of the frame, x right, y down, origin at the top-left corner of the
top-left pixel (pixel ``(i, j)`` has its centre at ``(j + 0.5, i + 0.5)``); joints
``(15, 2)`` in ``openpose15`` order (:data:`~retarget.render.parts.J`).
"""

from __future__ import annotations

import numpy as np

from ..parts import PARTS, J, part_joints, part_shapes, polygon_distance_xy, segment_distance_xy


def _mirror_name(name: str) -> str:
    side = {"r_": "l_", "l_": "r_"}.get(name[:2])
    return side + name[2:] if side else name


_INDEX = {p.name: i for i, p in enumerate(PARTS)}
MIRROR_PARTS: tuple[int, ...] = tuple(_INDEX[_mirror_name(p.name)] for p in PARTS)
"""Channel order of the part maps of a mirrored picture: left and right parts swapped."""


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


def map_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """``(w, h)`` of the part maps of a frame of ``size`` ``(w, h)``."""
    return max(8, round(size[0] * scale)), max(8, round(size[1] * scale))


def frame_maps(
    joints: np.ndarray,
    present: np.ndarray,
    radii: np.ndarray,
    size: tuple[int, int],
    scale: float,
) -> np.ndarray:
    """``(P, h, w)`` uint8 part maps (0-255) of one target frame at ``scale`` of the frame's
    ``size`` ``(w, h)``; ``joints`` and ``radii`` in pixels of the frame."""
    small = map_size(size, scale)
    s = small[0] / size[0]
    maps = part_maps(np.asarray(joints, np.float64) * s, present, np.asarray(radii) * s, small)
    return np.round(maps * 255).astype(np.uint8)


def person_box(
    joints: np.ndarray, present: np.ndarray, radii: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """``(4,)`` float32 ``x0, y0, x1, y1``: the box around the present joints grown by the
    largest part radius and by 10 % of its size, inside the frame of ``size`` ``(w, h)``;
    the whole frame when no joint is present."""
    w, h = size
    if not present.any():
        return np.array([0, 0, w, h], np.float32)
    p = joints[present]
    lo, hi = p.min(0), p.max(0)
    grow = float(np.max(radii)) + 0.1 * (hi - lo)
    lo, hi = lo - grow, hi + grow
    return np.array([max(lo[0], 0), max(lo[1], 0), min(hi[0], w), min(hi[1], h)], np.float32)


__all__ = ["MIRROR_PARTS", "frame_maps", "map_size", "part_maps", "person_box"]
