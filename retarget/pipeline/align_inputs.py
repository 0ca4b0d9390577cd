"""The inputs of ``retarget align`` (:mod:`.align`): the reference person (a photo, a video
or a pose file: :func:`read_reference`, every person of it: :func:`read_reference_people`)
and the driving poses (:func:`read_driving`, every dancer: :func:`read_driving_people`),
2D in their own pixels, with the frame, format and canvas checks they share.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from skeleton_io import load_file
from skeleton_io.errors import InvalidArgumentError, NoPersonFoundError
from skeleton_io.group import PoseGroup
from skeleton_io.io import detect_format
from skeleton_io.pose import PoseSequence

from ..inputs import as_2d
from .video import STRUCTURE_SECONDS, source_structure

log = logging.getLogger(__name__)


def _present_or_fail(seq: PoseSequence, path: str | Path, what: str) -> None:
    if not seq.present.any():
        raise NoPersonFoundError(
            f"{path}: nobody in the {what} ({seq.num_frames} frame(s)); give a {what} that "
            "shows a person"
        )


def read_reference(
    path: str | Path,
    *,
    reference_frame: int = 0,
    max_side: int | None = 512,
    hands_face: bool = True,
    driving: str | Path | None = None,
    driving_poses: PoseSequence | None = None,
    **read_kw: Any,
) -> tuple[PoseSequence, PoseSequence]:
    """The reference person: ``(pose, structure)``, both 2D in the reference's pixels.

    ``pose`` is one frame (the photo, frame ``reference_frame`` of a video or pose file),
    ``structure`` the frames the body is measured on (the photo itself; up to
    :data:`~.video.STRUCTURE_SECONDS` of a video or pose file from ``reference_frame``).
    ``read_kw``: :func:`skeleton_io.load_file` options for pose files (``fps``, ``canvas``,
    ``format``).

    Raises:
        NoPersonFoundError: nobody in the reference (frame).
        InvalidArgumentError: a pose file without a canvas, a frame out of range.
    """
    fmt = _reference_format(path, reference_frame, read_kw)
    if fmt == "image":
        seq = load_file(path, max_side=max_side, hands_face=hands_face, fps=read_kw.get("fps"))
        pose = structure = seq
    elif fmt == "video":
        structure = source_structure(
            path, driving or "", driving_poses, reference_frame, max_side, "none", hands_face
        )
        if structure is None:
            structure = load_file(
                path, start_frame=reference_frame, max_frames=1, max_side=max_side,
                hands_face=hands_face,
            )  # fmt: skip
        pose = structure[0]
    else:
        structure = _structure_frames(load_file(path, **read_kw), path, reference_frame)
        pose = structure[0]
    pose, structure = as_2d(pose, whole_body=True), as_2d(structure, whole_body=True)
    _require_canvas(pose, path)
    if not pose.present[0]:
        raise NoPersonFoundError(
            f"{path}: nobody in the reference (frame {reference_frame}); give a photo or frame "
            "that shows the person (`reference_frame` picks a video's frame)"
        )
    for seq in (pose, structure):
        seq.meta.setdefault("source_path", str(path))
    return pose, structure


def _reference_format(path: str | Path, reference_frame: int, read_kw: dict[str, Any]) -> str:
    """``image``, ``video`` or the pose format a reference is read as."""
    fmt = detect_format(path)
    if fmt not in ("image", "video") and read_kw.get("format"):
        fmt = read_kw["format"]
    if fmt == "image" and reference_frame:
        log.warning("%s: is an image; `reference_frame` %d ignored", path, reference_frame)
    return fmt


def _structure_frames(seq: Any, path: str | Path, reference_frame: int) -> Any:
    """The frames of a pose file (a sequence or a group) its reference body is measured on:
    :data:`~.video.STRUCTURE_SECONDS` from ``reference_frame``, which must exist."""
    if not 0 <= reference_frame < seq.num_frames:
        raise InvalidArgumentError(
            f"{path}: has no frame {reference_frame} (it has {seq.num_frames}); choose a "
            "smaller `reference_frame`"
        )
    span = max(1, round(STRUCTURE_SECONDS * seq.fps))
    return seq[reference_frame : reference_frame + span]


def _require_canvas(pose: PoseSequence, path: str | Path) -> None:
    if pose.canvas is None:
        raise InvalidArgumentError(
            f"{path}: the reference states no image size; pass one (`canvas`, WIDTHxHEIGHT "
            "or an image)"
        )


def read_driving(
    path: str | Path,
    *,
    start_frame: int = 0,
    max_frames: int | None = None,
    max_side: int | None = 512,
    hands_face: bool = True,
    **read_kw: Any,
) -> PoseSequence:
    """The driving poses, 2D on their own skeleton (a video's with hands and face when
    ``hands_face``). Raises :class:`NoPersonFoundError` when nobody is in any frame."""
    seq = load_file(
        path, start_frame=start_frame, max_frames=max_frames, max_side=max_side,
        hands_face=hands_face, **read_kw,
    )  # fmt: skip
    seq = as_2d(seq, whole_body=True)
    _present_or_fail(seq, path, "driving poses")
    return seq


def read_reference_people(
    path: str | Path,
    *,
    reference_frame: int = 0,
    max_side: int | None = 512,
    hands_face: bool = True,
    **read_kw: Any,
) -> list[tuple[PoseSequence, PoseSequence]]:
    """Every person seen in the reference (a photo, frame ``reference_frame`` of a video or
    pose file), left to right, as ``(pose, structure)`` pairs like :func:`read_reference`'s
    (a video's or pose file's people measured over :data:`~.video.STRUCTURE_SECONDS`).

    Raises:
        NoPersonFoundError: nobody in the reference (frame).
        InvalidArgumentError: a pose file without a canvas, a frame out of range.
    """
    from skeleton_io import load_group
    from skeleton_io.hands_face import add_hands_face
    from skeleton_io.video_io import probe

    fmt = _reference_format(path, reference_frame, read_kw)
    if fmt == "image":
        group = load_group(path, max_side=max_side)
    elif fmt == "video":
        span = max(1, round(STRUCTURE_SECONDS * (probe(path).fps or 25.0)))
        group = load_group(path, start_frame=reference_frame, max_frames=span, max_side=max_side)
    else:
        group = _structure_frames(load_group(path, **read_kw), path, reference_frame)
    if hands_face and fmt in ("image", "video"):
        group = group.map(lambda s: add_hands_face(s, path, max_side=max_side))
    here = [k for k, s in group.items() if s.present[0]]
    if not here:
        raise NoPersonFoundError(
            f"{path}: nobody in the reference (frame {reference_frame}); give a photo or frame "
            "that shows the people (`reference_frame` picks a video's frame)"
        )
    group = group.select(here)
    order = group[:1].left_to_right()  # where they stand in the reference frame
    out = []
    for k in order:
        structure = as_2d(group.person(k), whole_body=True)
        pose = structure[0]
        _require_canvas(pose, path)
        for seq in (pose, structure):
            seq.meta.update(source_path=str(path), track_id=int(k))
        out.append((pose, structure))
    return out


def read_driving_people(
    path: str | Path,
    people: int | str = "all",
    *,
    start_frame: int = 0,
    max_frames: int | None = None,
    max_side: int | None = 512,
    hands_face: bool = True,
    **read_kw: Any,
) -> PoseGroup:
    """The driving's dancers (``people``: ``all`` or the N largest on average), tracked,
    2D on their own skeleton (a video's with each dancer's hands and face when
    ``hands_face``). Raises :class:`NoPersonFoundError` when nobody is in any frame."""
    from skeleton_io import load_group
    from skeleton_io.hands_face import add_hands_face

    count = None if people in ("all", None) else int(people)
    group = load_group(
        path, people=count, start_frame=start_frame, max_frames=max_frames,
        max_side=max_side, **read_kw,
    )  # fmt: skip
    fmt = read_kw.get("format") or detect_format(path)
    if hands_face and fmt in ("image", "video"):
        group = group.map(lambda s: add_hands_face(s, path, max_side=max_side))
    group = group.map(lambda s: as_2d(s, whole_body=True), keep_missing=False)
    if not group.present.any():
        raise NoPersonFoundError(
            f"{path}: nobody in the driving poses ({group.num_frames} frame(s)); give a "
            "driving that shows a person"
        )
    group.meta.setdefault("source_path", str(path))
    return group


__all__ = [
    "read_driving",
    "read_driving_people",
    "read_reference",
    "read_reference_people",
]
