"""COCO-WholeBody keypoints JSON (as mmpose reads and writes it), one image per frame.

The document is COCO's (``images``, ``annotations``, ``categories`` with the COCO person
category and its 17 body keypoint names); each annotation adds the whole-body parts as
their own flat ``[x, y, v, ...]`` lists beside the body's ``keypoints`` (17):

=====================  ======  ====================  ==================
key                    points  valid flag            box
=====================  ======  ====================  ==================
``foot_kpts``          6       ``foot_valid``        –
``face_kpts``          68      ``face_valid``        ``face_box``
``lefthand_kpts``      21      ``lefthand_valid``    ``lefthand_box``
``righthand_kpts``     21      ``righthand_valid``   ``righthand_box``
=====================  ======  ====================  ==================

Read onto the ``coco_wholebody`` skeleton (133 points, mmpose's order; names in
:mod:`skeleton_io.wholebody`). Coordinates are pixels of the image (x right, y down, origin
top-left). ``v = 0`` is missing; ``v >= 1`` (labelled) gives confidence 1 and a fractional
``v`` (some files store scores there) that value, unless a ``keypoint_scores`` list (133,
this module writes it; or 17 for the body) gives the confidence. A part whose ``*_valid``
flag is false is missing. A ``keypoints`` list of all 133 points (mmpose's prediction dumps)
is read too. Several people in an image are reduced to one main person as for COCO
(:mod:`skeleton_io.formats.coco`).

Written (:func:`save`): every part list in full (``0, 0, 0`` where missing, ``v = 2`` where
found), the valid flags (any point found), boxes ``[x, y, w, h]`` of the found points
(zeros when none), ``bbox`` over all found points, ``keypoint_scores`` (133) and
``info.fps``, so a round trip is exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .. import wholebody as wb
from ..errors import PoseFormatError
from ..pose import PoseSequence
from ..skeleton import COCO_WHOLEBODY
from .coco import box, read_people, to_sequence, triples, write
from .openpose import read_json

FORMAT = "coco_wholebody"

# (key, first point, number of points, valid flag, box key) in mmpose's 133-point order
_PARTS: tuple[tuple[str, int, int, str | None, str | None], ...] = (
    ("keypoints", 0, 17, None, None),
    ("foot_kpts", 17, len(wb.FEET), "foot_valid", None),
    ("face_kpts", 23, len(wb.FACE68), "face_valid", "face_box"),
    ("lefthand_kpts", 91, 21, "lefthand_valid", "lefthand_box"),
    ("righthand_kpts", 112, 21, "righthand_valid", "righthand_box"),
)
N = COCO_WHOLEBODY.num_joints


def looks_like(data: Any) -> bool:
    """Whether a parsed COCO document has whole-body annotations."""
    anns = data.get("annotations") if isinstance(data, dict) else None
    if not isinstance(anns, list):
        return False
    keys = {key for key, *_ in _PARTS[1:]}
    return any(
        isinstance(a, dict) and (keys & a.keys() or len(a.get("keypoints") or ()) == 3 * N)
        for a in anns
    )


# -------------------------------------------------------------------------- load
def _values(path: Path, ann: dict[str, Any]) -> np.ndarray:
    """The annotation's ``(133, 3)`` x, y, v (zeros for absent or invalid parts)."""
    what = f"{path}: annotation {ann.get('id')}"
    flat = ann.get("keypoints")
    if isinstance(flat, list) and len(flat) == 3 * N:
        lists = [(0, N, flat)]
    else:
        lists = []
        for key, first, n, valid, _box in _PARTS:
            vals = ann.get(key)
            if vals is None or (valid and ann.get(valid) is False):
                continue
            if not isinstance(vals, list) or len(vals) != 3 * n:
                got = len(vals) if isinstance(vals, list) else type(vals).__name__
                raise PoseFormatError(f"{what} has {got} {key} values; expected {3 * n}")
            lists.append((first, n, vals))
    out = np.zeros((N, 3))
    for first, n, vals in lists:
        try:
            a = np.asarray(vals, dtype=np.float64).reshape(n, 3)
        except (TypeError, ValueError):
            raise PoseFormatError(f"{what} has non-numeric keypoints") from None
        if not np.isfinite(a).all():
            raise PoseFormatError(f"{what} has non-finite keypoints")
        out[first : first + n] = a
    return out


def _keypoints(path: Path, ann: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    a = _values(path, ann)
    v = a[:, 2]
    conf = np.where(v > 0, np.minimum(v, 1.0), 0.0)
    scores = ann.get("keypoint_scores")
    if scores is not None:
        try:
            s = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
        except (TypeError, ValueError):
            raise PoseFormatError(
                f"{path}: annotation {ann.get('id')} has bad keypoint_scores"
            ) from None
        if s.shape not in ((N,), (17,)) or not np.isfinite(s).all():
            raise PoseFormatError(
                f"{path}: annotation {ann.get('id')} has {s.size} keypoint_scores; expected "
                f"{N} or 17"
            )
        conf[: len(s)] = np.where(v[: len(s)] > 0, s, 0.0)
    xy = np.where((conf > 0)[:, None], a[:, :2], 0.0)
    return xy, conf


def load(path: str | Path, fps: float | None = None, **_: Any) -> PoseSequence:
    """Load a COCO-WholeBody JSON as a 2D pixel sequence on ``coco_wholebody``.

    Args:
        path: the JSON file.
        fps: frame rate for files without ``info.fps`` (default assumed with a warning).
    """
    path = Path(path)
    data = read_json(path, "annotations", "a COCO-WholeBody keypoints file")
    images, people = read_people(path, data, _keypoints)
    return to_sequence(path, data, images, people, COCO_WHOLEBODY, fps, FORMAT)


# -------------------------------------------------------------------------- save
def _annotation(ann_id: int, image_id: int, xy: np.ndarray, conf: np.ndarray) -> dict[str, Any]:
    vis = conf > 0
    bbox = box(xy, vis)
    ann: dict[str, Any] = {
        "id": ann_id,
        "image_id": image_id,
        "category_id": 1,
        "num_keypoints": int(vis[:17].sum()),
        "bbox": bbox,
        "area": bbox[2] * bbox[3],
        "iscrowd": 0,
        "score": float(conf[vis].mean()),
        "keypoint_scores": conf.tolist(),
    }
    for key, first, n, valid, box_key in _PARTS:
        part = slice(first, first + n)
        ann[key] = triples(xy[part], conf[part])
        if valid:
            ann[valid] = bool(vis[part].any())
        if box_key:
            ann[box_key] = box(xy[part], vis[part])
    return ann


def save(seq: PoseSequence, path: str | Path, **_: Any) -> None:
    """Write a COCO-WholeBody JSON (converted to ``coco_wholebody`` by joint name).

    Raises:
        InvalidArgumentError: the sequence is 3D, or its frame size (``canvas``) is unknown.
    """
    write(seq, path, COCO_WHOLEBODY, _annotation, "COCO-WholeBody JSON")
