"""OpenPose JSON: a folder with one file per frame, as OpenPose's ``--write_json`` writes it.

Each file is ``{"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d":
[x0, y0, c0, x1, y1, c1, ...], "face_keypoints_2d": [], ...}]}``. Coordinates are pixels of
the original frame (x right, y down, origin top-left); a joint OpenPose missed is
``0, 0, 0``. BODY_25 (75 values) and the older COCO-18 model (54 values, read onto the
``body18`` skeleton below) are recognised by length.

Frames are the folder's ``*.json`` files in natural order of their names
(``clip_000000000002_keypoints.json`` before ``clip_000000000010_keypoints.json``); a
single ``.json`` file is one frame.

**Several people.** OpenPose lists everyone it sees, in no stable order. The loader follows
one main person (:func:`follow_main_person`): in the first frame with anybody, the person
whose visible joints span the largest bounding box; in each later frame, the person whose
visible joints' centre is closest to the main person's last known centre. A warning says
once that several people were present.

**What the files lack.** OpenPose JSON has no frame rate and no frame size. ``fps`` comes
from the caller, else :data:`~skeleton_io.pose.DEFAULT_FPS` with a warning and
``meta["fps_assumed"] = True``; ``canvas`` comes from the caller, else stays None (nothing
is estimated). Neither survives a round trip through this format.

Writing converts by joint name to BODY_25 (joints the sequence lacks become ``0, 0, 0``) and
writes ``{name}_{i:012d}_keypoints.json`` per frame, ``people`` empty in frames without a
person. Only 2D pixel data can be written. A :class:`~skeleton_io.group.PoseGroup` is
written with everyone present in each frame, ``person_id`` = track id (read back by
:mod:`skeleton_io.formats.tracked`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_dir
from ..errors import InvalidArgumentError, PoseFormatError
from ..group import PoseGroup
from ..pose import DEFAULT_FPS, PoseSequence, pixel_sequence
from ..skeleton import BODY25, Skeleton
from . import converted, load_json, written_skeleton
from . import people as people_json

log = logging.getLogger(__name__)

OPENPOSE_VERSION = 1.3

_EMPTY_PARTS = (
    "face_keypoints_2d",
    "hand_left_keypoints_2d",
    "hand_right_keypoints_2d",
    "pose_keypoints_3d",
    "face_keypoints_3d",
    "hand_left_keypoints_3d",
    "hand_right_keypoints_3d",
)


# --------------------------------------------------------------------- main person
def _centre(coords: np.ndarray, conf: np.ndarray) -> np.ndarray | None:
    vis = conf > 0
    return coords[vis].mean(axis=0) if vis.any() else None


def _box_area(coords: np.ndarray, conf: np.ndarray) -> float:
    pts = coords[conf > 0]
    if len(pts) == 0:
        return -1.0
    span = pts.max(axis=0) - pts.min(axis=0)
    return float(np.prod(span))


def follow_main_person(
    people: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]],
    num_joints: int,
    dims: int = 2,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Pick one main person per frame from everyone detected.

    Args:
        people: per frame, a list of ``(coords (J, D), confidence (J,))`` for each person.
        num_joints: ``J``; dims: ``D``.

    Returns:
        ``coords (T, J, D)``, ``confidence (T, J)`` (0 where nobody was chosen) and the
        number of frames with more than one person.

    The main person is, in the first frame with anybody, the one whose visible joints span
    the largest bounding box (ties: the higher summed confidence); afterwards, in each frame
    the person whose visible-joint centre is closest to the main person's last known centre.
    """
    T = len(people)
    coords = np.zeros((T, num_joints, dims))
    conf = np.zeros((T, num_joints))
    last: np.ndarray | None = None
    crowded = 0
    for t, persons in enumerate(people):
        persons = [p for p in persons if (p[1] > 0).any()]
        if not persons:
            continue
        if len(persons) > 1:
            crowded += 1
        if last is None:
            best = max(persons, key=lambda p: (_box_area(*p), float(p[1].sum())))
        else:
            best = min(persons, key=lambda p: float(np.linalg.norm(_centre(*p) - last)))
        coords[t], conf[t] = best
        last = _centre(*best)
    return coords, conf, crowded


def warn_several_people(path: Path, crowded: int, total: int) -> None:
    if crowded:
        log.warning(
            "%s: several people in %d of %d frames; following one main person (the largest "
            "in the first frame, then the nearest to where they were)",
            path,
            crowded,
            total,
        )


def resolve_fps(path: Path, fps: float | None, meta: dict[str, Any]) -> float:
    """The caller's fps, else the default with a warning and ``meta["fps_assumed"]``."""
    if fps is not None:
        return float(fps)
    log.warning(
        "%s: the format stores no frame rate; assuming %g fps (pass `fps`)", path, DEFAULT_FPS
    )
    meta["fps_assumed"] = True
    return DEFAULT_FPS


# -------------------------------------------------------------------------- load
def natural_key(name: str) -> list[Any]:
    """Sort key that orders digit runs by value: ``f2`` before ``f10``."""
    return [(0, int(s), "") if s.isdigit() else (1, 0, s) for s in re.split(r"(\d+)", name) if s]


def frame_files(path: Path) -> list[Path]:
    """The JSON files of an OpenPose folder in frame order (or ``[path]`` for a file)."""
    if path.is_dir():
        files = sorted(path.glob("*.json"), key=lambda p: natural_key(p.name))
        if not files:
            raise PoseFormatError(f"{path}: no .json files in this folder; expected OpenPose JSON")
        return files
    return [path]


def read_json(path: Path, key: str, what: str) -> dict[str, Any]:
    """A JSON object with a list under ``key``, else :class:`PoseFormatError` naming the file."""
    data = load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise PoseFormatError(f"{path}: no {key!r} list; not {what}")
    return data


def _read_people(file: Path) -> list[people_json.Person]:
    return [p for _raw, p in read_people(file)]


def read_people(file: Path) -> list[tuple[dict[str, Any], people_json.Person]]:
    """Each person of a frame file with a body: the JSON object as written (its
    ``person_id``, ...) and its parts."""
    data = read_json(file, "people", "an OpenPose JSON file")
    found = ((raw, people_json.read_person(file, k, raw)) for k, raw in enumerate(data["people"]))
    return [(raw, p) for raw, p in found if p is not None]


def load(
    path: str | Path,
    fps: float | None = None,
    canvas: tuple[int, int] | None = None,
    **_: Any,
) -> PoseSequence:
    """Load an OpenPose JSON folder (one file per frame) or a single JSON file (one frame).

    Args:
        path: a folder of ``*_keypoints.json`` or one such file.
        fps: frame rate (the files have none; default assumed with a warning).
        canvas: ``(width, height)`` of the frames, if known (the files do not say).

    Returns:
        A 2D pixel sequence on ``body25`` (``body18`` for COCO-18 files), or on
        ``openpose_wholebody`` (``dwpose``) when the files have hand or face lists (see
        :mod:`skeleton_io.formats.people`).
    """
    path = Path(path)
    files = frame_files(path)
    per_frame = [_read_people(f) for f in files]
    meta: dict[str, Any] = {"format": "openpose", "frame_files": [f.name for f in files]}
    return people_sequence(path, per_frame, fps=fps, canvas=canvas, meta=meta)


def people_sequence(
    path: Path,
    per_frame: list[list[people_json.Person]],
    *,
    fps: float | None,
    canvas: tuple[int, int] | None,
    meta: dict[str, Any],
    scale: tuple[float, float] | None = None,
) -> PoseSequence:
    """The main person of people-list frames (:mod:`skeleton_io.formats.people`) as a 2D
    pixel sequence on the skeleton their parts call for (``scale``: multiply normalised
    coordinates by it)."""
    skeleton = people_json.skeleton_for(path, per_frame)
    top = max((float(a[:, 2].max()) for fr in per_frame for p in fr for a in p.values()), default=0)
    if top > 1.0:
        log.warning("%s: confidences above 1 (up to %g) are read as 1", path, top)
    people = [[people_json.to_skeleton(path, p, skeleton, scale) for p in fr] for fr in per_frame]
    coords, conf, crowded = follow_main_person(people, skeleton.num_joints)
    warn_several_people(path, crowded, len(per_frame))
    if crowded:
        meta["several_people_frames"] = crowded
    return pixel_sequence(coords, conf, skeleton, resolve_fps(path, fps, meta), canvas, meta)


# -------------------------------------------------------------------------- save
def keypoints_file(entry: Path) -> bool:
    """A file an OpenPose folder writer owns (and may replace)."""
    return entry.is_file() and entry.name.endswith("_keypoints.json")


def require_2d_pixels(seq: PoseSequence | PoseGroup, path: Path, what: str) -> None:
    if seq.dims != 2:
        raise InvalidArgumentError(
            f"{path}: {what} holds 2D image keypoints but this sequence is 3D ({seq.units}); "
            "write it as csv, native or bvh"
        )


def frame_json(coords: np.ndarray, conf: np.ndarray, skeleton: Skeleton = BODY25) -> dict[str, Any]:
    """One OpenPose frame dict for a single person (``people`` empty if nobody) on ``body25``
    or ``openpose_wholebody`` (then with its face and hand lists; other parts empty)."""
    people = []
    if (conf > 0).any():
        layout = people_json.openpose_layout(skeleton)
        person: dict[str, Any] = {"person_id": [-1]}
        person.update(people_json.person_dict(coords, conf, skeleton, layout))
        person.update({k: [] for k in _EMPTY_PARTS if k not in person})
        people.append(person)
    return {"version": OPENPOSE_VERSION, "people": people}


def save(
    seq: PoseSequence | PoseGroup,
    path: str | Path,
    name: str | None = None,
    overwrite: bool = False,
    **_: Any,
) -> None:
    """Write a folder of OpenPose JSON files, one per frame, as OpenPose writes them.

    Args:
        seq: a 2D pixel sequence, converted by joint name to ``body25``, or to
            ``openpose_wholebody`` when its skeleton has hands or a face (then every person
            has 70 face and 2 x 21 hand points, ``0, 0, 0`` where missing). Or a group of
            people: every person present in a frame, in the group's order, with
            ``person_id`` [track id].
        path: the output folder, written atomically. An existing folder is replaced when it
            holds only ``*_keypoints.json`` files; one holding anything else is refused
            unless ``overwrite`` (its other files are then kept).
        name: file name prefix; default the folder's name.
    """
    path = Path(path)
    require_2d_pixels(seq, path, "OpenPose JSON")
    target = written_skeleton("openpose", seq.skeleton)
    body = converted(seq, target)
    frames = people_json.frame_dicts(
        body, lambda s, t: frame_json(s.coords[t], s.confidence[t], target)
    )
    write_folder(frames, path, name, overwrite)


def write_folder(
    frames: list[dict[str, Any]], path: Path, name: str | None, overwrite: bool
) -> None:
    """Frame dicts as a folder of ``{name}_{i:012d}_keypoints.json`` files (``name``:
    default the folder's), written atomically; see :func:`save` for an existing folder."""
    prefix = name or path.name
    with atomic_dir(path, keypoints_file, overwrite) as tmp:
        for i, frame in enumerate(frames):
            (tmp / f"{prefix}_{i:012d}_keypoints.json").write_text(json.dumps(frame))
