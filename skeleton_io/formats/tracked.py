"""Several people in OpenPose, DWPose and COCO files, with their track ids.

Reading gives a :class:`~skeleton_io.group.PoseGroup`. (Writing one is the formats' own
``save``, which takes a group as well as a sequence. The one-person readers of
:mod:`~skeleton_io.formats.openpose` and :mod:`~skeleton_io.formats.coco` are unchanged: a
file with several people read as one sequence still follows its main person, with a
warning.)

* **OpenPose** and **DWPose/ControlNet annotator JSON**: each frame lists everyone in
  ``people``; a person's ``person_id`` (a one-element list, as OpenPose writes it, or a bare
  integer) is their track id. Written: ``"person_id": [id]`` and the parts the one-person
  writer writes, for every person present in the frame, in the group's order; a frame with
  nobody has ``people`` empty.
* **COCO**: one annotation per person per image, the track id under ``track_id`` (as
  PoseTrack names it); images and everything else as :mod:`~skeleton_io.formats.coco`
  writes them.

Files whose people have no usable ids (OpenPose's default ``person_id`` ``[-1]``, COCO
without ``track_id``, or one id twice in a frame) are linked across frames by the tracker
(:mod:`skeleton_io.tracking`, on joint positions and motion: no image, no colours); ids are
then 0, 1, ... by first appearance. Round trips keep coordinates, confidences and ids
exactly; a person absent from every written frame is not in the file.
"""

from __future__ import annotations

import graphlib
import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import check_options
from ..group import PoseGroup
from ..pose import PoseSequence
from ..skeleton import COCO17, Skeleton
from ..tracking import Detection, TrackBuilder, track_detections
from . import coco, dwpose_json, openpose
from . import people as people_json

log = logging.getLogger(__name__)

Found = tuple[int | None, np.ndarray, np.ndarray]
"""One person in one frame: track id (None: not given), ``(J, 2)`` pixels, ``(J,)``."""


# ------------------------------------------------------------------ shared
def _track_id(value: Any) -> int | None:
    """A usable track id from ``person_id``/``track_id`` (``[3]``, ``3``), else None."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value >= 0 and float(value).is_integer() else None


def _listing_order(frames: list[list[Any]]) -> list[Any]:
    """One order of all ids that keeps every frame's order (so the order a group was
    written in comes back); ties, and files whose frames disagree, by first appearance."""
    first = list(dict.fromkeys(i for ids in frames for i in ids))
    graph = graphlib.TopologicalSorter({i: set() for i in first})
    for ids in frames:
        for a, b in zip(ids, ids[1:]):
            graph.add(b, a)
    try:
        graph.prepare()
    except graphlib.CycleError:
        return first
    order: list[Any] = []
    while graph.is_active():
        ready = sorted(graph.get_ready(), key=first.index)
        order.append(ready[0])
        graph.done(ready[0])
    return order


def group_from_frames(
    path: Path,
    frames: list[list[Found]],
    skeleton: Skeleton,
    fps: float,
    canvas: tuple[int, int] | None,
    meta: dict[str, Any],
) -> PoseGroup:
    """The group of people found frame by frame in file ``path``: by their ids when every
    person has one (unique in its frame), one person (id 0) when no frame holds more than
    one, else linked by the tracker."""
    T, J = len(frames), skeleton.num_joints
    ids = [[f[0] for f in fr] for fr in frames]
    if all(len(fr) <= 1 for fr in ids) and any(None in fr for fr in ids):
        ids = [[0] * len(fr) for fr in ids]  # one person at a time, untracked: one person
        frames = [[(0, xy, c) for _tid, xy, c in fr] for fr in frames]
    if all(None not in fr and len(set(fr)) == len(fr) for fr in ids):
        order = _listing_order(ids)
        coords = {k: np.zeros((T, J, 2)) for k in order}
        conf = {k: np.zeros((T, J)) for k in order}
        for t, fr in enumerate(frames):
            for tid, xy, c in fr:
                coords[tid][t], conf[tid][t] = xy, c
        seqs = {k: PoseSequence(coords[k], conf[k], skeleton, fps=fps, canvas=canvas,
                                meta=dict(meta)) for k in order}  # fmt: skip
        if not seqs:
            seqs = {0: PoseSequence(np.zeros((T, J, 2)), np.zeros((T, J)), skeleton, fps=fps,
                                    canvas=canvas, meta=dict(meta))}  # fmt: skip
        return PoseGroup(seqs, dict(meta))
    dets = [[Detection(xy, c) for _tid, xy, c in fr] for fr in frames]
    builder = TrackBuilder(T, skeleton)
    for t, tracked in enumerate(track_detections(dets, fps)):
        builder.add(t, tracked)
    group = builder.group(fps, canvas, meta=meta)
    log.info("%s: people without track ids; linked them into %d tracks", path,
             0 if group is None else group.num_people)  # fmt: skip
    if group is None:
        empty = PoseSequence(np.zeros((T, J, 2)), np.zeros((T, J)), skeleton, fps=fps,
                             canvas=canvas, meta=dict(meta))  # fmt: skip
        return PoseGroup.from_sequence(empty)
    return group


def _check_2d(group: PoseGroup, path: Path, what: str) -> None:
    openpose.require_2d_pixels(group.first, path, what)


# ------------------------------------------------------------------ people lists
def _people_lists(
    path: Path,
    frames: list[list[tuple[dict[str, Any], people_json.Person]]],
    scale: tuple[float, float] | None,
) -> tuple[list[list[Found]], Skeleton]:
    """OpenPose/DWPose frames (each person's JSON object and parts) as found people on the
    skeleton their parts call for."""
    skeleton = people_json.skeleton_for(path, [[p for _raw, p in fr] for fr in frames])
    found = [
        [(_track_id(raw.get("person_id")), *people_json.to_skeleton(path, p, skeleton, scale))
         for raw, p in fr]
        for fr in frames
    ]  # fmt: skip
    return found, skeleton


def load_openpose_group(
    path: str | Path,
    fps: float | None = None,
    canvas: tuple[int, int] | None = None,
    **_: Any,
) -> PoseGroup:
    """Every person of an OpenPose JSON folder (or file), on the skeleton
    :func:`skeleton_io.formats.openpose.load` would use; ``fps`` and ``canvas`` as there."""
    path = Path(path)
    files = openpose.frame_files(path)
    found, skeleton = _people_lists(path, [openpose.read_people(f) for f in files], None)
    meta: dict[str, Any] = {"format": "openpose", "frame_files": [f.name for f in files]}
    fps = openpose.resolve_fps(path, fps, meta)
    return group_from_frames(path, found, skeleton, fps, canvas, meta)


def load_dwpose_group(path: str | Path, **options: Any) -> PoseGroup:
    """Every person of DWPose/ControlNet annotator JSON; other arguments as for
    :func:`skeleton_io.formats.dwpose_json.load`."""
    o = check_options(dwpose_json.load, options)
    path = Path(path)
    frames, canvas, scale = dwpose_json.read_frames(path, o["canvas"], o["normalized"])
    found, skeleton = _people_lists(path, frames, scale)
    meta: dict[str, Any] = {"format": dwpose_json.FORMAT, "normalized": scale is not None}
    fps = openpose.resolve_fps(path, o["fps"], meta)
    return group_from_frames(path, found, skeleton, fps, canvas, meta)


# ------------------------------------------------------------------ COCO
def load_coco_group(path: str | Path, fps: float | None = None, **_: Any) -> PoseGroup:
    """Every person of a COCO keypoints JSON on ``coco17`` (``track_id`` = track id)."""
    path = Path(path)
    data = openpose.read_json(path, "annotations", "a COCO keypoints file")

    def person(file: Path, ann: dict[str, Any]) -> Any:
        return (_track_id(ann.get("track_id")), *coco._keypoints(file, ann))

    images, found = coco.read_people(path, data, person)
    meta: dict[str, Any] = {"format": "coco"}
    fps = openpose.resolve_fps(path, coco.file_fps(path, data, fps, meta), meta)
    names = [im.get("file_name") for im in images]
    if all(isinstance(n, str) for n in names):
        meta["frame_files"] = names
    return group_from_frames(path, found, COCO17, fps, coco._canvas(path, images), meta)
