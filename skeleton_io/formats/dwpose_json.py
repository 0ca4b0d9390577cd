"""The JSON the DWPose and OpenPose ControlNet annotators write (comfyui_controlnet_aux).

A frame is ``{"people": [PERSON, ...], "canvas_width": W, "canvas_height": H}``; a PERSON
has ``pose_keypoints_2d`` (OpenPose's COCO-18 body: 18 x ``[x, y, c]``),
``face_keypoints_2d`` (70: DWPose's 68 face points, then the body's right and left eye as
pupils), ``hand_left_keypoints_2d`` and ``hand_right_keypoints_2d`` (21 each); a part that
was not found is ``null``, a point that was not found ``0, 0, 0``
(:mod:`skeleton_io.formats.people` reads all of it). comfyui_controlnet_aux's "Save Pose
Keypoints" node writes a *list* of such frames in one file (its ``POSE_KEYPOINT``); tools
that save one file per frame write folders of them. All three are read: a file holding a
list (frames in order), a file holding one frame, a folder of such files (natural order of
the names, each file a frame or a list of frames).

**Coordinates.** The DWPose annotator writes pixels of the canvas (x right, y down, origin
top-left); the OpenPose annotator and some editors write them *normalised* to [0, 1] of the
canvas, with ``-1`` (or ``-1 / width``) for a missed hand point. A file is normalised when
every found point lies within [-1, 1] (decided over the whole file, as
comfyui_controlnet_aux's ``is_normalized`` decides per person); ``normalized=`` overrides.
Normalised coordinates are multiplied by the canvas, which the file must state (or the
caller give).

**Confidence.** The annotators write confidence 1 for every point they keep (DWPose keeps
scores >= 0.3) and ComfyUI's reader drops points below 1. This writer keeps each point's
confidence (so a round trip is exact) unless ``binary=THRESHOLD``: then points at or above
the threshold get confidence 1 and the rest are left out, as the annotator has it.

**Written layout** (:func:`save`): the ``dwpose`` skeleton (converted by joint name): body 18,
face 70 (68 + the body's eyes as pupils, as comfyui_controlnet_aux pads it), both hands, and
the six feet under a ``foot_keypoints_2d`` key other tools ignore (DWPose finds feet but
the annotator's JSON has no place for them); a part with no point in a frame is ``null``.
A path ending in ``.json`` gets one file with the list of frames (ComfyUI's layout),
any other path a folder of ``{name}_{i:012d}_keypoints.json`` frames. A sequence without
hands, face or feet is written as bodies only. The canvas is required; the frame rate is
not stored (as in OpenPose JSON; ``fps`` comes from the caller). Pixel files round-trip
exactly; normalised ones to float precision (x / W * W). A
:class:`~skeleton_io.group.PoseGroup` is written with everyone present in each frame's
``people``, ``person_id`` = track id (read back by :mod:`skeleton_io.formats.tracked`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_file
from ..errors import InvalidArgumentError, PoseFormatError
from ..group import PoseGroup
from ..pose import PoseSequence
from ..skeleton import BODY18, Skeleton
from . import converted, load_json, written_skeleton
from . import people as people_json
from .openpose import frame_files, people_sequence, require_2d_pixels, write_folder

log = logging.getLogger(__name__)

FORMAT = "dwpose"


def looks_like(data: Any) -> bool:
    """Whether parsed JSON is this format: a frame with ``people`` and a canvas size, or a
    list of frames with ``people``."""
    if isinstance(data, dict):
        return "people" in data and ("canvas_width" in data or "canvas_height" in data)
    return (
        isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "people" in data[0]
    )


# -------------------------------------------------------------------------- load
def _read(file: Path) -> list[dict[str, Any]]:
    data = load_json(file)
    frames = data if isinstance(data, list) else [data]
    for k, frame in enumerate(frames):
        if not isinstance(frame, dict) or not isinstance(frame.get("people"), list):
            where = f"frame {k}" if isinstance(data, list) else "the file"
            raise PoseFormatError(
                f"{file}: {where} has no 'people' list; not DWPose/OpenPose annotator JSON"
            )
    return frames


def _canvas(path: Path, frames: list[tuple[Path, dict[str, Any]]]) -> tuple[int, int] | None:
    """The canvas the first frame states (None if no frame states one)."""
    sizes: list[tuple[int, int]] = []
    for file, frame in frames:
        w, h = frame.get("canvas_width"), frame.get("canvas_height")
        if w is None and h is None:
            continue
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (w, h))
        if not ok or min(w, h) <= 0 or int(w) != w or int(h) != h:
            raise PoseFormatError(
                f"{file}: canvas_width/canvas_height must be positive whole pixels, got "
                f"{w!r} x {h!r}"
            )
        sizes.append((int(w), int(h)))
    if len(set(sizes)) > 1:
        log.warning(
            "%s: frames of different canvas sizes %s; using the first", path, sorted(set(sizes))
        )
    return sizes[0] if sizes else None


def load(
    path: str | Path,
    fps: float | None = None,
    canvas: tuple[int, int] | None = None,
    normalized: bool | None = None,
    **_: Any,
) -> PoseSequence:
    """Load annotator JSON (a file of one frame or a list of frames, or a folder of them).

    Args:
        path: the file or folder.
        fps: frame rate (the files have none; default assumed with a warning).
        canvas: ``(width, height)`` for files that do not state it; the file's own wins.
        normalized: whether coordinates are in [0, 1] of the canvas (None: decided by
            content, see the module docstring).

    Returns:
        A 2D pixel sequence on ``dwpose`` (``body18`` if no frame has hands, face or feet),
        or ``openpose_wholebody`` / ``body25`` for files with BODY_25 bodies.
    """
    path = Path(path)
    frames, canvas, scale = read_frames(path, canvas, normalized)
    per_frame = [[p for _raw, p in fr] for fr in frames]
    meta: dict[str, Any] = {"format": FORMAT, "normalized": scale is not None}
    return people_sequence(path, per_frame, fps=fps, canvas=canvas, meta=meta, scale=scale)


def read_frames(
    path: Path, canvas: tuple[int, int] | None, normalized: bool | None
) -> tuple[
    list[list[tuple[dict[str, Any], people_json.Person]]],
    tuple[int, int] | None,
    tuple[float, float] | None,
]:
    """Every frame's people with a body (the JSON object as written and its parts), the
    canvas (the file's, else the caller's) and the scale of normalised coordinates (None:
    pixels); see :func:`load` for the arguments."""
    raw = [(f, frame) for f in frame_files(path) for frame in _read(f)]
    frames = [
        [
            (person, p)
            for k, person in enumerate(frame["people"])
            if (p := people_json.read_person(f, k, person))
        ]
        for f, frame in raw
    ]
    file_canvas = _canvas(path, raw)
    if file_canvas and canvas and tuple(canvas) != file_canvas:
        log.info("%s: using the file's canvas %s, not the %s given", path, file_canvas, canvas)
    canvas = file_canvas or canvas
    per_frame = [[p for _raw, p in fr] for fr in frames]
    norm = people_json.is_normalised(per_frame) if normalized is None else bool(normalized)
    if norm and canvas is None:
        raise PoseFormatError(
            f"{path}: coordinates are normalised to [0, 1] but the file states no "
            "canvas_width/canvas_height; pass the frame size (`canvas`, WIDTHxHEIGHT)"
        )
    scale = (float(canvas[0]), float(canvas[1])) if norm and canvas else None
    return frames, canvas, scale


# -------------------------------------------------------------------------- save
def _layout(skeleton: Skeleton) -> tuple[tuple[str, int], ...]:
    if skeleton == BODY18:
        return (("body", 18),)
    return (("body", 18), ("face", 70), ("left_hand", 21), ("right_hand", 21), ("feet", 6))


def frame_dict(
    coords: np.ndarray,
    conf: np.ndarray,
    skeleton: Skeleton,
    canvas: tuple[int, int],
    normalized: bool = False,
    binary: float | None = None,
) -> dict[str, Any]:
    """One frame of one person (``people`` empty if nobody) on ``dwpose`` or ``body18``."""
    people = []
    found = (conf > 0) if binary is None else (conf > 0) & (conf >= binary)
    if found.any():
        scale = (float(canvas[0]), float(canvas[1])) if normalized else None
        person = people_json.person_dict(coords, conf, skeleton, _layout(skeleton), scale, binary)
        for part in ("face", "left_hand", "right_hand", "feet"):
            key = people_json.KEYS[part]
            idx = [skeleton.index[n] for n in people_json.names(part) if n in skeleton.index]
            if key in person and not found[idx].any():
                person[key] = None
        people.append(person)
    return {"people": people, "canvas_height": int(canvas[1]), "canvas_width": int(canvas[0])}


def save(
    seq: PoseSequence | PoseGroup,
    path: str | Path,
    normalized: bool = False,
    binary: float | None = None,
    name: str | None = None,
    overwrite: bool = False,
    **_: Any,
) -> None:
    """Write annotator JSON: one ``.json`` file with the list of frames, or a folder.

    Args:
        seq: a 2D pixel sequence with a canvas, converted by joint name to ``dwpose`` (to
            ``body18`` when its skeleton has no hands, face or feet). Or a group of people:
            every person present in a frame in its ``people``, in the group's order, each
            with ``person_id`` [track id].
        path: ``*.json`` for one file (ComfyUI's layout), else a folder, written
            atomically; an existing folder is replaced when it holds only
            ``*_keypoints.json`` files, else refused unless ``overwrite`` (its other files
            are then kept).
        normalized: write coordinates in [0, 1] of the canvas, ``-1, -1, 0`` for missing.
        binary: a confidence threshold: write confidence 1 for the points at or above it
            and leave out the rest, as the annotators do (None: keep confidences).
        name: file name prefix in a folder; default the folder's name.

    Raises:
        InvalidArgumentError: the sequence is 3D or its canvas is unknown.
    """
    path = Path(path)
    check_writable(seq, path, binary)
    target = written_skeleton(FORMAT, seq.skeleton)
    body = converted(seq, target)

    def person(s: PoseSequence, t: int) -> dict[str, Any]:
        return frame_dict(s.coords[t], s.confidence[t], target, s.canvas, normalized, binary)

    write_frames(people_json.frame_dicts(body, person), path, name, overwrite)


def check_writable(seq: Any, path: Path, binary: float | None) -> None:
    """2D pixels with a canvas (a sequence's or a group's), ``binary`` a confidence."""
    require_2d_pixels(seq, path, "DWPose JSON")
    if seq.canvas is None:
        raise InvalidArgumentError(
            f"{path}: DWPose JSON states the canvas size, which this sequence lacks "
            "(OpenPose JSON and CSV do not store it); pass the frame size (`canvas`, WIDTHxHEIGHT)"
        )
    if binary is not None and not 0.0 <= binary <= 1.0:
        raise InvalidArgumentError(f"binary must be a confidence in [0, 1], got {binary}")


def write_frames(
    frames: list[dict[str, Any]], path: Path, name: str | None, overwrite: bool
) -> None:
    """Frame dicts to ``path``: one ``.json`` file with their list, else a folder."""
    if path.suffix.lower() == ".json":
        with atomic_file(path) as tmp:
            tmp.write_text(json.dumps(frames))
        return
    write_folder(frames, path, name, overwrite)
