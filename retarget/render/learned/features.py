"""What the renderer network sees besides pictures: the target skeleton as soft part maps.

Conventions: pixels of the frame, x right, y down, origin at the top-left corner of the
top-left pixel (pixel ``(i, j)`` has its centre at ``(j + 0.5, i + 0.5)``); joints
``(15, 2)`` in ``openpose15`` order (:data:`~retarget.render.parts.J`); face joints
``(4, 2)`` in :data:`FACE_JOINTS` order.

Channels: one per body part of :data:`~retarget.render.parts.PARTS`, then the two sides of
the face (:data:`FACE_LINES`: nose to eye to ear, which the body's parts do not show: the
head's turn).
"""

from __future__ import annotations

import numpy as np

from skeleton_io.pose import PoseSequence

from ..parts import (
    PARTS,
    J,
    mirror_name,
    part_joints,
    part_shapes,
    polygon_distance_xy,
    segment_distance_xy,
)

FACE_JOINTS = ("REye", "LEye", "REar", "LEar")
"""The face joints a target may carry (``body25``'s names), in the order of ``face``."""
FACE_LINES: tuple[tuple[str, tuple[str, str, str]], ...] = (
    ("r_face", ("Nose", "REye", "REar")),
    ("l_face", ("Nose", "LEye", "LEar")),
)
"""The face channels after the parts: polylines from the nose."""
FACE_RADIUS = 0.3
"""Their radius in head radii."""
CHANNELS: tuple[str, ...] = tuple(p.name for p in PARTS) + tuple(n for n, _ in FACE_LINES)
"""The names of the map channels, in order."""

_INDEX = {n: i for i, n in enumerate(CHANNELS)}
MIRROR_PARTS: tuple[int, ...] = tuple(_INDEX[mirror_name(n)] for n in CHANNELS)
"""Channel order of the part maps of a mirrored picture: left and right parts swapped."""


def part_maps(
    joints: np.ndarray,
    present: np.ndarray,
    radii: np.ndarray,
    size: tuple[int, int],
    face: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """``(C, h, w)`` float32 soft maps (:data:`CHANNELS`) of the target on a canvas of
    ``size`` ``(w, h)``: 1 on a part's bone falling to 0 at its radius (torso: 1 inside its
    polygon), 0 for parts with a joint missing; then the face lines (:data:`FACE_LINES`)
    from ``face`` = ``(coords (4, 2), present (4,))`` of :data:`FACE_JOINTS` (0 without).
    ``joints`` ``(15, 2)`` and ``radii`` ``(P,)`` are in pixels of that canvas."""
    w, h = size
    x = np.arange(w, dtype=np.float32)[None, :] + np.float32(0.5)
    y = np.arange(h, dtype=np.float32)[:, None] + np.float32(0.5)
    out = np.zeros((len(CHANNELS), h, w), np.float32)
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
    if face is not None and present[J["Nose"]]:
        r = np.float32(max(FACE_RADIUS * radii[_INDEX["head"]], 1.0))
        at = dict(zip(FACE_JOINTS, zip(*face)))
        for k, (_, (a, b, c)) in enumerate(FACE_LINES):
            pts = [(joints[J[a]], True), at[b], at[c]]
            d = np.full((h, w), np.inf, np.float32)
            for (p, ok_p), (q, ok_q) in zip(pts[:-1], pts[1:]):
                if ok_p and ok_q:
                    d = np.minimum(d, segment_distance_xy(x, y, np.asarray(p), np.asarray(q)))
            out[len(PARTS) + k] = np.clip(1.0 - d / r, 0.0, 1.0)
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
    face: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """``(C, h, w)`` uint8 maps (0-255, :func:`part_maps`) of one target frame at ``scale``
    of the frame's ``size`` ``(w, h)``; ``joints``, ``face`` and ``radii`` in pixels of the
    frame."""
    small = map_size(size, scale)
    s = small[0] / size[0]
    face_s = None if face is None else (np.asarray(face[0], np.float64) * s, face[1])
    maps = part_maps(
        np.asarray(joints, np.float64) * s, present, np.asarray(radii) * s, small, face_s
    )
    return np.round(maps * 255).astype(np.uint8)


def face_of(target: PoseSequence) -> tuple[np.ndarray, np.ndarray] | None:
    """``(coords (T, 4, 2), present (T, 4))`` of :data:`FACE_JOINTS` in ``target`` (any
    skeleton naming them; missing ones absent), or None when it names none."""
    names = target.skeleton.joints
    if not any(n in names for n in FACE_JOINTS):
        return None
    coords = np.zeros((target.num_frames, len(FACE_JOINTS), 2))
    present = np.zeros((target.num_frames, len(FACE_JOINTS)), bool)
    for k, n in enumerate(FACE_JOINTS):
        if n in names:
            coords[:, k] = target.joint(n)[:, :2]
            present[:, k] = target.confidence[:, target.skeleton.idx(n)] > 0
    return coords, present


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


__all__ = [
    "CHANNELS",
    "FACE_JOINTS",
    "FACE_LINES",
    "MIRROR_PARTS",
    "face_of",
    "frame_maps",
    "map_size",
    "part_maps",
    "person_box",
]
