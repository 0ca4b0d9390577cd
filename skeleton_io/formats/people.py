"""One person of an OpenPose-style ``people`` list, with hands and face.

OpenPose (``--face --hand``), the ControlNet annotators and DWPose (as comfyui_controlnet_aux
writes it) all describe a person as a dict of flat ``[x0, y0, c0, x1, y1, c1, ...]`` lists:

=========================  ======  =======================================================
key                        points  names (:mod:`skeleton_io.wholebody`)
=========================  ======  =======================================================
``pose_keypoints_2d``      25, 18  BODY_25, or OpenPose's COCO-18 body (``body18``)
``face_keypoints_2d``      70, 68  the iBUG 68 face points (+ right and left pupil)
``hand_left_keypoints_2d``  21     the person's left hand, root (wrist) first
``hand_right_keypoints_2d`` 21     the right hand
``foot_keypoints_2d``       6      DWPose's feet; not in other tools' files (see
                                   :mod:`skeleton_io.formats.dwpose_json`)
=========================  ======  =======================================================

A part may be absent, ``null`` or ``[]`` (not estimated); some tools write lists of
``[x, y, c]`` triples instead of one flat list, which is read too. A point is *missing* when
its confidence is 0; in normalised files (coordinates in [0, 1] of the canvas) also when a
coordinate is negative (the annotators write ``-1`` or ``-1 / width`` for a missed hand
point and may give it confidence 1).

Which skeleton a file is read onto (:func:`skeleton_for`): the body's length picks the
family (25: OpenPose, 18: COCO-18) and any face or hand list in any frame makes it whole
body: ``body25`` / ``openpose_wholebody``, ``body18`` / ``dwpose``. ``dwpose`` has the 68
face points only: a 70-point face's two pupils are dropped there, silently when they are the
body's eyes (comfyui_controlnet_aux pads DWPose's 68-point face so) and with a warning
otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import wholebody as wb
from ..checks import MAX_COORD
from ..errors import PoseFormatError
from ..group import PoseGroup
from ..pose import PoseSequence
from ..skeleton import BODY18, BODY25, DWPOSE, OPENPOSE_WHOLEBODY, Skeleton, has_hands_or_face

log = logging.getLogger(__name__)

KEYS: dict[str, str] = {
    "body": "pose_keypoints_2d",
    "face": "face_keypoints_2d",
    "left_hand": "hand_left_keypoints_2d",
    "right_hand": "hand_right_keypoints_2d",
    "feet": "foot_keypoints_2d",
}
"""The JSON key of each part."""

_NAMES: dict[str, dict[int, tuple[str, ...]]] = {
    "body": {25: BODY25.joints, 18: BODY18.joints},
    "face": {70: wb.FACE70, 68: wb.FACE68},
    "left_hand": {21: wb.LEFT_HAND},
    "right_hand": {21: wb.RIGHT_HAND},
    "feet": {6: wb.FEET},
}

_LABEL = {"body": "pose"}

Person = dict[str, np.ndarray]
"""A person's parts: part name -> ``(n, 3)`` array of x, y, confidence as in the file."""


def names(part: str) -> tuple[str, ...]:
    """The joint names of a part's longest layout (the 70-point face, 21 hand points, ...)."""
    return max(_NAMES[part].values(), key=len)


def _part(file: Path, k: int, part: str, values: Any) -> np.ndarray | None:
    if values is None or (isinstance(values, list) and not values):
        return None
    what = f"{file}: person {k} has"
    label = f"{_LABEL.get(part, part.replace('_', ' '))} values ({KEYS[part]})"
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise PoseFormatError(f"{what} non-numeric {label}") from None
    if a.ndim == 2 and a.shape[1] == 3:
        a = a.ravel()
    counts = _NAMES[part]
    if a.ndim != 1 or a.size % 3 or a.size // 3 not in counts:
        expected = " or ".join(f"{3 * n} ({n} points)" for n in counts)
        raise PoseFormatError(
            f"{what} {a.size} {label}; expected {expected} as x, y, confidence triples"
        )
    bad = ~np.isfinite(a) | (np.abs(a) > MAX_COORD)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        kind = "out-of-range" if np.isfinite(a[k]) else "non-finite"
        raise PoseFormatError(
            f"{what} {kind} {label}: value {k} is {float(a[k])!r}, not a number within "
            f"{MAX_COORD:g}"
        )
    return a.reshape(-1, 3)


def read_person(file: Path, k: int, person: Any) -> Person | None:
    """The parts of ``people[k]`` (None if it has no body list), validated."""
    if not isinstance(person, dict):
        raise PoseFormatError(f"{file}: person {k} is not a JSON object")
    out = {p: a for p, key in KEYS.items() if (a := _part(file, k, p, person.get(key))) is not None}
    return out if "body" in out else None


def skeleton_for(path: Path, people: Iterable[Iterable[Person]]) -> Skeleton:
    """The skeleton a file's people are read onto (see the module docstring)."""
    people = [list(frame) for frame in people]
    bodies, whole = set(), False
    for frame in people:
        for p in frame:
            bodies.add(len(p["body"]))
            whole = whole or any(part in p for part in ("face", "left_hand", "right_hand"))
    if len(bodies) > 1:
        raise PoseFormatError(f"{path}: frames mix BODY_25 and COCO-18 keypoints")
    feet = any("feet" in p for frame in people for p in frame)  # DWPose's extra key
    if bodies == {18} and feet:
        return DWPOSE
    if bodies == {18}:
        return DWPOSE if whole else BODY18
    return OPENPOSE_WHOLEBODY if whole else BODY25


def is_normalised(people: Iterable[Iterable[Person]]) -> bool:
    """Whether every found point's coordinates lie within [-1, 1] (a file in canvas units,
    as comfyui_controlnet_aux's ``is_normalized`` decides); False for a file of nobody."""
    seen = False
    for frame in people:
        for p in frame:
            for a in p.values():
                found = a[a[:, 2] > 0, :2]
                if found.size and np.abs(found).max() > 1.0:
                    return False
                seen = seen or bool(found.size)
    return seen


def to_skeleton(
    path: Path, person: Person, skeleton: Skeleton, scale: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(xy (J, 2), confidence (J,))`` of one person on ``skeleton``, by joint name.

    ``scale`` = ``(width, height)`` for a normalised file: coordinates are multiplied by it
    and points with a negative coordinate are missing. Points the skeleton lacks are dropped
    (see the module docstring for the pupils).
    """
    J = skeleton.num_joints
    xy, conf = np.zeros((J, 2)), np.zeros(J)
    for part, a in person.items():
        names = _NAMES[part][len(a)]
        c = np.clip(a[:, 2], 0.0, 1.0)
        pts = a[:, :2]
        if scale is not None:
            c = np.where((pts < 0).any(axis=1), 0.0, c)
            pts = pts * np.asarray(scale, dtype=np.float64)
        for n, p, ci in zip(names, pts, c):
            j = skeleton.index.get(n)
            if j is not None and ci > 0:
                xy[j], conf[j] = p, ci
    if "face" in person and len(person["face"]) == 70 and "RPupil" not in skeleton.index:
        _check_dropped_pupils(path, xy, conf, skeleton, person["face"][68:], scale)
    return xy, conf


def _check_dropped_pupils(
    path: Path,
    xy: np.ndarray,
    conf: np.ndarray,
    skeleton: Skeleton,
    pupils: np.ndarray,
    scale: tuple[float, float] | None,
) -> None:
    pts = pupils[:, :2] * (np.asarray(scale) if scale is not None else 1.0)
    for c, p, eye in zip(pupils[:, 2], pts, ("REye", "LEye")):
        j = skeleton.index[eye]
        if c <= 0 or (conf[j] > 0 and np.allclose(p, xy[j], atol=1e-6 * max(1.0, abs(p).max()))):
            continue
        log.warning(
            "%s: the face's pupils (points 69 and 70) are not the body's eyes; the %s "
            "skeleton has 68 face points and drops them (read the file as OpenPose JSON "
            "with a BODY_25 body to keep them)",
            path,
            skeleton.name,
        )
        return


def person_dict(
    xy: np.ndarray,
    conf: np.ndarray,
    skeleton: Skeleton,
    layout: Sequence[tuple[str, int]],
    scale: tuple[float, float] | None = None,
    binary: float | None = None,
) -> dict[str, Any]:
    """One person as a dict of flat lists, ``layout`` = ``(part, points)`` in key order.

    Points ``skeleton`` lacks or does not see are ``0, 0, 0``; with ``scale`` = ``(width,
    height)`` coordinates are divided by it and missing points are ``-1, -1, 0``. With
    ``binary`` = a threshold, a point whose confidence reaches it gets confidence 1 and the
    others are missing (what the annotators write; ComfyUI's reader drops points below 1).
    A 70-point face of a skeleton without pupils gets the body's eyes as pupils, as
    comfyui_controlnet_aux writes DWPose's face.
    """
    out: dict[str, Any] = {}
    for part, n in layout:
        names = _NAMES[part][n]
        idx = [skeleton.index.get(name) for name in names]
        if part == "face" and n == 70 and idx[68] is None:
            idx[68:] = [skeleton.index.get("REye"), skeleton.index.get("LEye")]
        vals = np.zeros((n, 3))
        if scale is not None:
            vals[:, :2] = -1.0
        for k, j in enumerate(idx):
            c = 0.0 if j is None else float(conf[j])
            if binary is not None:
                c = 1.0 if c >= binary and c > 0 else 0.0
            if c > 0:
                p = xy[j] / np.asarray(scale, dtype=np.float64) if scale is not None else xy[j]
                vals[k] = (p[0], p[1], c)
        out[KEYS[part]] = vals.ravel().tolist()
    return out


def openpose_layout(skeleton: Skeleton) -> tuple[tuple[str, int], ...]:
    """OpenPose's person: BODY_25, and for a whole-body skeleton the 70-point face and
    both hands."""
    if not has_hands_or_face(skeleton):
        return (("body", 25),)
    return (("body", 25), ("face", 70), ("left_hand", 21), ("right_hand", 21))


def frame_dicts(
    seq: PoseSequence | PoseGroup, person: Callable[[PoseSequence, int], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every frame's dict, where ``person(seq, t)`` gives the frame dict of one person
    (``people`` empty if absent): a group's frame holds everyone present, in the group's
    order, each with ``person_id`` [track id]."""
    if not isinstance(seq, PoseGroup):
        return [person(seq, t) for t in range(seq.num_frames)]
    frames = []
    for t in range(seq.num_frames):
        doc: dict[str, Any] = {}
        people = []
        for tid, one in seq.items():
            doc = person(one, t)
            people += [{**p, "person_id": [tid]} for p in doc["people"]]
        frames.append({**doc, "people": people})
    return frames
