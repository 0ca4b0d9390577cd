"""COCO keypoints JSON (``images`` + ``annotations`` + ``categories``), one image per frame.

Written layout:

* ``images``: one per frame, ``id`` = the frame's index in the output, ``width`` and
  ``height`` of the original frame (the sequence's ``canvas``, required), ``file_name``
  ``frame_{k:06d}.jpg`` with ``k`` the source frame number when known.
* ``annotations``: one per frame with a person: ``id``, ``image_id``, ``category_id`` 1,
  ``keypoints`` as 17 x ``[x, y, v]`` in pixels of the original frame (x right, y down,
  origin top-left), ``v`` = 2 where the joint was found (confidence > 0), else
  ``0, 0, 0``; ``num_keypoints``, ``bbox`` ``[x, y, w, h]`` of the found joints, ``area``
  (the bbox's), ``iscrowd`` 0, ``score`` (mean confidence of the found joints) and the
  non-standard ``keypoint_scores`` (17 confidences) so a round trip keeps them.
* ``categories``: the COCO person category with its 17 lowercase keypoint names and its
  1-based ``skeleton`` links.
* ``info``: ``fps`` (and whether it was assumed), so a round trip keeps the frame rate.
* A :class:`~skeleton_io.group.PoseGroup`: one annotation per person per image, the
  person's track id under ``track_id`` (as PoseTrack names it; read back by
  :mod:`skeleton_io.formats.tracked`); images and the rest from the first person.

Reading accepts files from other tools too: images ordered by ``id`` are the frames; an
image without annotations is a frame with nobody; several annotations on one image are
reduced to one main person as for OpenPose (see
:func:`skeleton_io.formats.openpose.follow_main_person`). ``v = 0`` is missing; ``v > 0``
gives confidence ``keypoint_scores[k]`` when present, else 1.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_file
from ..checks import MAX_COORD
from ..errors import InvalidArgumentError, PoseFormatError
from ..group import PoseGroup
from ..pose import PoseSequence, pixel_sequence
from ..skeleton import COCO17, Skeleton
from . import converted
from .openpose import (
    follow_main_person,
    read_json,
    require_2d_pixels,
    resolve_fps,
    warn_several_people,
)

log = logging.getLogger(__name__)

COCO_KEYPOINT_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
"""COCO's own spelling of :data:`~skeleton_io.skeleton.COCO17`'s joints, same order."""

COCO_SKELETON = (
    (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8),
    (7, 9), (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
)  # fmt: skip
"""The person category's links as COCO publishes them (1-based keypoint indices)."""

PERSON_CATEGORY = {
    "id": 1,
    "name": "person",
    "supercategory": "person",
    "keypoints": list(COCO_KEYPOINT_NAMES),
    "skeleton": [list(e) for e in COCO_SKELETON],
}


# -------------------------------------------------------------------------- save
def triples(xy: np.ndarray, conf: np.ndarray) -> list[float | int]:
    """COCO's flat ``[x, y, v, ...]``: ``v`` = 2 where found (confidence > 0), else
    ``0, 0, 0``."""
    vis = conf > 0
    kps = np.zeros((len(conf), 3))
    kps[vis, :2] = xy[vis]
    kps[vis, 2] = 2
    return [v if k % 3 != 2 else int(v) for k, v in enumerate(kps.ravel().tolist())]


def box(xy: np.ndarray, vis: np.ndarray) -> list[float]:
    """``[x, y, w, h]`` of the points where ``vis`` (zeros when there are none)."""
    if not vis.any():
        return [0.0, 0.0, 0.0, 0.0]
    lo, hi = xy[vis].min(axis=0), xy[vis].max(axis=0)
    return [*lo.tolist(), *(hi - lo).tolist()]


def _annotation(ann_id: int, image_id: int, xy: np.ndarray, conf: np.ndarray) -> dict[str, Any]:
    vis = conf > 0
    bbox = box(xy, vis)
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": 1,
        "keypoints": triples(xy, conf),
        "num_keypoints": int(vis.sum()),
        "bbox": bbox,
        "area": bbox[2] * bbox[3],
        "iscrowd": 0,
        "score": float(conf[vis].mean()),
        "keypoint_scores": conf.tolist(),
    }


def _source_frame_numbers(seq: PoseSequence) -> list[int]:
    idx = seq.meta.get("frame_index")
    if isinstance(idx, list) and len(idx) == seq.num_frames:
        return [int(k) for k in idx]
    return list(range(seq.num_frames))


def to_coco(
    seq: PoseSequence | PoseGroup,
    annotation: Callable[[int, int, np.ndarray, np.ndarray], dict[str, Any]] = _annotation,
) -> dict[str, Any]:
    """The COCO document for a 2D pixel sequence on ``coco17`` with a canvas, or for a
    group of them (each annotation with its person's ``track_id``); ``annotation`` makes
    each person's ``(id, image_id, xy, confidence)`` annotation in a frame."""
    first = seq.first if isinstance(seq, PoseGroup) else seq
    people = list(seq.items()) if isinstance(seq, PoseGroup) else [(None, seq)]
    present = [one.present for _tid, one in people]
    width, height = first.canvas  # type: ignore[misc]
    images, annotations = [], []
    for i, k in enumerate(_source_frame_numbers(first)):
        images.append(
            {"id": i, "width": width, "height": height, "file_name": f"frame_{k:06d}.jpg"}
        )
        for (tid, one), found in zip(people, present):
            if found[i]:
                ann = annotation(len(annotations) + 1, i, one.coords[i], one.confidence[i])
                annotations.append(ann if tid is None else {**ann, "track_id": tid})
    info: dict[str, Any] = {"description": "pose sequence written by retarget", "fps": first.fps}
    if first.meta.get("fps_assumed"):
        info["fps_assumed"] = True
    return {
        "info": info,
        "images": images,
        "annotations": annotations,
        "categories": [PERSON_CATEGORY],
    }


def require_writable(seq: Any, path: Path, what: str) -> None:
    """COCO holds 2D pixels of frames of a known size (a sequence's or a group's
    ``canvas``)."""
    require_2d_pixels(seq, path, what)
    if seq.canvas is None:
        raise InvalidArgumentError(
            f"{path}: COCO images need the original frame size, which this sequence lacks "
            "(OpenPose JSON and CSV do not store it); pass the frame size (`canvas`, WIDTHxHEIGHT)"
        )


def write(
    seq: PoseSequence | PoseGroup,
    path: str | Path,
    skeleton: Skeleton,
    annotation: Callable[[int, int, np.ndarray, np.ndarray], dict[str, Any]],
    what: str,
) -> None:
    """Convert ``seq`` (or every person of a group) to ``skeleton`` by joint name and write
    its COCO document atomically.

    Raises:
        InvalidArgumentError: the sequence is 3D, or its frame size (``canvas``) is unknown.
    """
    path = Path(path)
    require_writable(seq, path, what)
    doc = to_coco(converted(seq, skeleton), annotation)
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(doc))


def save(seq: PoseSequence | PoseGroup, path: str | Path, **_: Any) -> None:
    """Write a COCO keypoints JSON (converted to ``coco17`` by joint name); a group: one
    annotation per person per image, with ``track_id``.

    Raises:
        InvalidArgumentError: the sequence is 3D, or its frame size (``canvas``) is unknown.
    """
    write(seq, path, COCO17, _annotation, "COCO keypoints JSON")


# -------------------------------------------------------------------------- load
def _person_category(path: Path, data: dict[str, Any]) -> int | None:
    """The id of the category whose annotations to read (None: take every annotation)."""
    cats = [c for c in data.get("categories") or [] if isinstance(c, dict) and "keypoints" in c]
    if not cats:
        return None
    cat = next((c for c in cats if c.get("name") == "person"), cats[0])
    names = [str(n).lower() for n in cat["keypoints"]]
    if names != list(COCO_KEYPOINT_NAMES):
        raise PoseFormatError(
            f"{path}: category {cat.get('name')!r} has {len(names)} keypoints "
            f"({', '.join(names[:5])}, ...); only COCO-17 person keypoints are supported"
        )
    return cat.get("id")


def _keypoints(path: Path, ann: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    n = COCO17.num_joints
    try:
        kps = np.asarray(ann["keypoints"], dtype=np.float64)
        if kps.shape != (3 * n,):
            raise ValueError(f"{kps.size} values")
        bad = ~np.isfinite(kps) | (np.abs(kps) > MAX_COORD)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"value {k} ({'xyv'[k % 3]} of {COCO_KEYPOINT_NAMES[k // 3]}) is {float(kps[k])!r}, not "
                f"a finite number within {MAX_COORD:g}"
            )
        scores = ann.get("keypoint_scores")
        scores = (
            np.ones(n) if scores is None else np.clip(np.asarray(scores, dtype=np.float64), 0, 1)
        )
        if scores.shape != (n,):
            raise ValueError(f"{scores.size} keypoint_scores")
    except (KeyError, TypeError, ValueError) as e:
        raise PoseFormatError(
            f"{path}: annotation {ann.get('id')} has bad keypoints ({e}); expected 17 x [x, y, v] "
            "numbers (v = 0 for a missing keypoint)"
        ) from None
    kps = kps.reshape(n, 3)
    vis = kps[:, 2] > 0
    conf = np.where(vis, scores, 0.0)
    xy = np.where((conf > 0)[:, None], kps[:, :2], 0.0)
    return xy, conf


def _canvas(path: Path, images: list[dict[str, Any]]) -> tuple[int, int] | None:
    sizes = {(im.get("width"), im.get("height")) for im in images}
    sizes = {s for s in sizes if s[0] and s[1]}
    if not sizes:
        return None
    if len(sizes) > 1:
        log.warning("%s: images of different sizes %s; using the first", path, sorted(sizes))
    for w, h in sizes:
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (w, h)):
            raise PoseFormatError(f"{path}: image size {w!r} x {h!r} is not a number of pixels")
    first = images[0]
    w, h = first.get("width"), first.get("height")
    return (int(w), int(h)) if w and h else sorted(sizes)[0]


def read_people(
    path: Path,
    data: dict[str, Any],
    keypoints: Callable[[Path, dict[str, Any]], tuple[np.ndarray, np.ndarray]],
) -> tuple[list[dict[str, Any]], list[list[tuple[np.ndarray, np.ndarray]]]]:
    """The images (frames, ordered by id) of a COCO document and, per image, the people of
    its person annotations as ``keypoints(path, annotation)`` reads them."""
    cat_id = _person_category(path, data)
    anns = [
        a
        for a in data["annotations"]
        if isinstance(a, dict) and (cat_id is None or a.get("category_id", cat_id) == cat_id)
    ]
    if not isinstance(data.get("images", []), list):
        raise PoseFormatError(f"{path}: 'images' is not a list; not a COCO keypoints file")
    images = [im for im in data.get("images") or [] if isinstance(im, dict) and "id" in im]
    if not images:
        images = [{"id": i} for i in sorted({a.get("image_id") for a in anns}, key=str)]
    try:
        images.sort(key=lambda im: im["id"])
    except TypeError:
        raise PoseFormatError(f"{path}: image ids of mixed types cannot be ordered") from None
    frame_of = {im["id"]: t for t, im in enumerate(images)}
    people: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in images]
    for a in anns:
        t = frame_of.get(a.get("image_id"))
        if t is None:
            raise PoseFormatError(
                f"{path}: annotation {a.get('id')} refers to image {a.get('image_id')!r}, "
                "which is not in 'images'"
            )
        people[t].append(keypoints(path, a))
    return images, people


def file_fps(
    path: Path, data: dict[str, Any], fps: float | None, meta: dict[str, Any]
) -> float | None:
    """The file's own frame rate (``info.fps``, which this module writes) over the
    caller's, noting an assumed one in ``meta``."""
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    if isinstance(info.get("fps"), (int, float)) and info["fps"] > 0:
        if fps is not None and float(fps) != float(info["fps"]):
            log.info("%s: using the file's %g fps, not the %g given", path, info["fps"], fps)
        fps = float(info["fps"])
        if info.get("fps_assumed"):
            meta["fps_assumed"] = True
    return fps


def to_sequence(
    path: Path,
    data: dict[str, Any],
    images: list[dict[str, Any]],
    people: list[list[tuple[np.ndarray, np.ndarray]]],
    skeleton: Skeleton,
    fps: float | None,
    fmt: str,
) -> PoseSequence:
    """The main person of every image as a sequence (fps from ``info.fps``, the caller's
    ``fps`` or the default; canvas from the images' sizes)."""
    coords, conf, crowded = follow_main_person(people, skeleton.num_joints)
    warn_several_people(path, crowded, len(images))
    meta: dict[str, Any] = {"format": fmt}
    fps = file_fps(path, data, fps, meta)
    names = [im.get("file_name") for im in images]
    if all(isinstance(n, str) for n in names):
        meta["frame_files"] = names
    fps = resolve_fps(path, fps, meta)
    return pixel_sequence(coords, conf, skeleton, fps, _canvas(path, images), meta)


def load(path: str | Path, fps: float | None = None, **_: Any) -> PoseSequence:
    """Load a COCO keypoints JSON as a 2D pixel sequence on ``coco17``.

    Args:
        path: the JSON file.
        fps: frame rate for files without one (``info.fps``, which this module writes);
            without either the default is assumed with a warning.
    """
    path = Path(path)
    data = read_json(path, "annotations", "a COCO keypoints file")
    images, people = read_people(path, data, _keypoints)
    return to_sequence(path, data, images, people, COCO17, fps, "coco")
