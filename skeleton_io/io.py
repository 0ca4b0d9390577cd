"""Load and save pose sequences in any supported format.

``load_file(path, format=None)``: an explicit format wins; otherwise the format is
recognised from the path (folder, extension) and, where the extension is ambiguous
(``.json``, ``.npz``), from the content. ``save_file(seq, path, format)`` writes atomically.

Several people: ``load_group(path, format=None, people=None)`` reads every person of any
input as a :class:`~skeleton_io.group.PoseGroup` (a video or image is tracked, a file with
track ids keeps them, a one-person input gives a group of one); ``save_file`` also takes a
group for ``native``, ``openpose``, ``dwpose``, ``coco`` and ``csv``. ``load_file`` on a file holding
several people returns one (the only or main person, with a warning).

Formats (module in :mod:`skeleton_io.formats`):

==============  ====  ====  ======================================================
name            load  save  what
==============  ====  ====  ======================================================
native          yes   yes   ``.npz`` with arrays and a JSON header, lossless
openpose        yes   yes   a folder of OpenPose JSON, one file per frame (BODY_25,
                            and the hands and face when present)
dwpose          yes   yes   the JSON of the DWPose / OpenPose ControlNet annotators
                            (comfyui_controlnet_aux): a file of a list of frames, or
                            a folder; ``canvas_width/height``; pixels or normalised
coco            yes   yes   a COCO keypoints JSON (``images`` + ``annotations``)
coco_wholebody  yes   yes   COCO-WholeBody JSON (COCO + ``foot_kpts``,
                            ``face_kpts``, ``lefthand_kpts``, ``righthand_kpts``)
csv             yes   yes   ``frame,joint,x,y,z,confidence`` rows
bvh             yes   yes   BVH motion capture (hierarchy, channels, forward
                            kinematics)
smpl            yes   no    AMASS-style SMPL / SMPL-H ``.npz`` through smplx (model
                            files supplied by the user)
video           yes   no    a video file, through the BlazePose estimator (hands and
                            face too with ``hands_face=True``)
image           yes   no    an image file, through the BlazePose estimator
==============  ====  ====  ======================================================
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import inspect
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from .checks import check_fps
from .errors import InputNotFoundError, InvalidArgumentError, RetargetError, UnknownFormatError
from .formats import written_skeleton
from .group import PoseGroup
from .pose import PoseSequence

__all__ = [
    "IMAGE_EXTS",
    "LOAD_FORMATS",
    "SAVE_FORMATS",
    "VIDEO_EXTS",
    "detect_format",
    "format_module",
    "GROUP_SAVE_FORMATS",
    "load_file",
    "load_group",
    "check_output_suffix",
    "output_is_folder",
    "save_file",
    "written_skeleton",
]

LOAD_FORMATS = (
    "native", "openpose", "dwpose", "coco", "coco_wholebody", "csv", "bvh", "smpl", "video", "image",
)  # fmt: skip
SAVE_FORMATS = ("native", "openpose", "dwpose", "coco", "coco_wholebody", "csv", "bvh")
VIDEO_EXTS = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".gif"}
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
_MODULES = {"csv": "csvfmt", "dwpose": "dwpose_json"}
_GROUP_READERS = {
    "native": ("native", "load_group"),
    "csv": ("csvfmt", "load_group"),
    "openpose": ("tracked", "load_openpose_group"),
    "dwpose": ("tracked", "load_dwpose_group"),
    "coco": ("tracked", "load_coco_group"),
    "video": ("video_people", "load_group"),
    "image": ("video_people", "load_image_group"),
}
GROUP_SAVE_FORMATS = ("native", "csv", "openpose", "dwpose", "coco")
"""Formats that hold several people (:func:`save_file` with a group: their ``save`` takes
one)."""


def _function(spec: tuple[str, str]) -> Any:
    return getattr(importlib.import_module(f"skeleton_io.formats.{spec[0]}"), spec[1])


def format_module(name: str) -> ModuleType:
    """The module that implements a format (imported lazily)."""
    if name not in LOAD_FORMATS:
        raise UnknownFormatError(
            f"unknown pose format {name!r}: choose one of {', '.join(LOAD_FORMATS)}"
        )
    mod = "video" if name == "image" else _MODULES.get(name, name)
    return importlib.import_module(f"skeleton_io.formats.{mod}")


def detect_format(path: str | Path) -> str:
    """Recognise a pose input's format from its name and, where needed, its content."""
    path = check_input_path(path)
    if path.is_dir():
        first = min(path.glob("*.json"), default=None, key=lambda p: p.name)
        if first is not None:
            return "dwpose" if _detect_json(first) == "dwpose" else "openpose"
        raise UnknownFormatError(
            f"{path}: a folder without JSON files; expected a folder of OpenPose JSON"
        )
    ext = path.suffix.lower()
    if ext == ".bvh":
        return "bvh"
    if ext == ".csv":
        return "csv"
    if ext in VIDEO_EXTS:
        return "video"
    if ext in IMAGE_EXTS:
        return "image"
    if ext == ".json":
        return _detect_json(path)
    if ext == ".npz":
        return _detect_npz(path)
    raise UnknownFormatError(
        f"{path}: cannot tell the pose format from the extension {ext or '(none)'}; "
        f"name it with `format` ({', '.join(LOAD_FORMATS)})"
    )


def _detect_json(path: Path) -> str:
    from .formats import coco_wholebody, dwpose_json, load_json

    data = load_json(path)

    if dwpose_json.looks_like(data):
        return "dwpose"
    if isinstance(data, dict) and "people" in data:
        return "openpose"
    if coco_wholebody.looks_like(data):
        return "coco_wholebody"
    if isinstance(data, dict) and "annotations" in data:
        return "coco"
    raise UnknownFormatError(
        f"{path}: JSON with neither 'people' (OpenPose, DWPose) nor 'annotations' (COCO); "
        "name its format (`format`)"
    )


def _detect_npz(path: Path) -> str:
    from .errors import PoseFormatError
    from .formats.native import open_npz

    try:
        with open_npz(path) as z:
            files = set(z.files)
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise PoseFormatError(
            f"{path}: not a readable .npz ({e}); is the file truncated?"
        ) from None
    if "format" in files and "coords" in files:
        return "native"
    if "poses" in files or "pose_body" in files or "root_orient" in files:
        return "smpl"
    raise UnknownFormatError(
        f"{path}: an .npz that is neither a native pose file nor SMPL/AMASS parameters "
        "(no 'poses' key); name its format (`format`)"
    )


def _as_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgumentError(f"an input path is needed, got {type(path).__name__}")
    return Path(path)


def check_input_path(path: str | Path) -> Path:
    """``path`` when it is an existing file or folder to read, else the error that says why
    not: missing, a dangling link or a link loop, or a device (``/dev/zero`` never ends)."""
    path = _as_path(path)
    try:
        st = path.stat()
    except OSError as e:
        if path.is_symlink():
            why = "a symbolic link loop" if e.errno == errno.ELOOP else "a broken symbolic link"
            raise InputNotFoundError(f"{path}: {why}; point it at a pose input") from None
        raise InputNotFoundError(f"{path}: no such file or folder; check the path") from None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        raise InvalidArgumentError(f"{path}: not a file or folder (a device?); give a pose input")
    return path


def _check_kind(path: Path, fmt: str) -> None:
    """A folder is read only by the formats that have folders (OpenPose, DWPose JSON)."""
    if path.is_dir() and fmt not in ("openpose", "dwpose"):
        raise InvalidArgumentError(
            f"{path}: a folder, but {fmt} input is a file; name the file, or the folder's "
            "format (`format` openpose or dwpose)"
        )


def _check_request(path: Path, start_frame: int, max_frames: int | None, opts: dict) -> None:
    check_input_path(path)
    if start_frame < 0 or (max_frames is not None and max_frames < 1):
        raise InvalidArgumentError(
            f"{path}: `start_frame` must be >= 0 and `max_frames` >= 1, got {start_frame} "
            f"and {max_frames}"
        )
    if opts.get("fps") is not None:
        opts["fps"] = check_fps(opts["fps"])


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """Errors of a reader that do not name the file they came from get its path in front
    (``coords have 7 joints ...`` -> ``a.npz: coords have 7 joints ...``)."""
    try:
        yield
    except RetargetError as e:
        text = str(e)
        if str(path) in text or path.name in text or not e.args:
            raise
        try:
            new = type(e)(f"{path}: {text}")
        except TypeError:
            raise e from None
        raise new from None


def _sliced(seq: Any, path: Path, start_frame: int, max_frames: int | None) -> Any:
    """A file's sequence (or group) cut to the frames asked for, keeping the source's
    frame numbers."""
    if start_frame and start_frame >= seq.num_frames:
        raise InvalidArgumentError(
            f"{path}: no frames from frame {start_frame} on (it has {seq.num_frames}); "
            "choose a smaller `start_frame`"
        )
    if not start_frame and max_frames is None:
        return seq
    stop = None if max_frames is None else start_frame + max_frames
    if start_frame:  # keep the source's frame numbers (COCO file names use them)
        for one in seq.tracks.values() if isinstance(seq, PoseGroup) else [seq]:
            one.meta.setdefault("frame_index", list(range(one.num_frames)))
    source = getattr(seq, "source", None)
    seq = seq[start_frame:stop]
    if source is not None and hasattr(source, "slice_frames"):
        seq.source = source.slice_frames(start_frame, stop)
    return seq


def load_file(
    path: str | Path,
    format: str | None = None,
    *,
    start_frame: int = 0,
    max_frames: int | None = None,
    hands_face: bool = False,
    **opts: Any,
) -> PoseSequence:
    """Load any supported pose input (one person: see :func:`load_group` for several).

    Args:
        path: a file or (OpenPose) folder.
        format: one of :data:`LOAD_FORMATS`; recognised from the path when None.
        start_frame: first frame to keep (videos are decoded from there, files sliced).
        max_frames: at most this many frames from ``start_frame`` on.
        hands_face: for a video or image, also find the person's hands and face
            (:func:`skeleton_io.hands_face.add_hands_face`: a ``blazepose_wholebody``
            sequence); pose files keep what they hold.
        opts: passed to the format's ``load`` (e.g. ``fps``, ``max_side`` for videos,
            ``model_path`` for SMPL).
    """
    path = _as_path(path)
    _check_request(path, start_frame, max_frames, opts)
    fmt = format or detect_format(path)
    _check_kind(path, fmt)
    mod = format_module(fmt)
    with naming(path):
        if fmt in ("video", "image"):
            loader = mod.load_image if fmt == "image" else mod.load
            seq = loader(
                path, start_frame=start_frame, max_frames=max_frames, **_accepted(loader, opts)
            )
        else:
            seq = mod.load(path, **_accepted(mod.load, opts))
    seq = _sliced(seq, path, start_frame, max_frames) if fmt not in ("video", "image") else seq
    seq.meta.update(source_path=str(path), source_format=fmt)  # the file read now
    if hands_face and fmt in ("video", "image"):
        from .hands_face import add_hands_face  # mediapipe and PyAV on use, as the formats

        seq = add_hands_face(seq, path)
    return seq


def load_group(
    path: str | Path,
    format: str | None = None,
    *,
    people: int | None = None,
    start_frame: int = 0,
    max_frames: int | None = None,
    **opts: Any,
) -> PoseGroup:
    """Every person of any supported pose input, as a :class:`~skeleton_io.group.PoseGroup`.

    A video or image is tracked (:mod:`skeleton_io.formats.video_people`); OpenPose, COCO,
    CSV and native files give their people with their track ids (people without ids are
    linked by the tracker); BVH and SMPL give a group of one.

    Args:
        path, format, start_frame, max_frames, opts: as for :func:`load_file`.
        people: keep at most this many people, the largest on average (None: everyone).
    """
    path = _as_path(path)
    _check_request(path, start_frame, max_frames, opts)
    if people is not None and (
        isinstance(people, bool) or not isinstance(people, int) or people < 1
    ):
        raise InvalidArgumentError(
            f"{path}: `people` must be None (everyone) or a number >= 1, got {people!r}"
        )
    fmt = format or detect_format(path)
    if fmt not in _GROUP_READERS:
        group = PoseGroup.from_sequence(
            load_file(path, fmt, start_frame=start_frame, max_frames=max_frames, **opts)
        )
    elif fmt in ("video", "image"):
        reader = _function(_GROUP_READERS[fmt])
        frames = {} if fmt == "image" else {"start_frame": start_frame, "max_frames": max_frames}
        with naming(path):
            group = reader(path, people=people, **frames, **_accepted(reader, opts))
    else:
        reader = _function(_GROUP_READERS[fmt])
        _check_kind(path, fmt)
        with naming(path):
            group = reader(path, **_accepted(reader, opts))
        group = _sliced(group, path, start_frame, max_frames)
    if people is not None and group.num_people > people:
        group = group.largest(people)
    for one in (group, *group.tracks.values()):  # each person names the file read now
        one.meta.update(source_path=str(path), source_format=fmt)
    return group


def _accepted(func: Any, opts: dict[str, Any]) -> dict[str, Any]:
    """The options ``func`` takes: callers (the CLI) pass every input option to every format,
    and a format ignores those that do not concern it (``max_side`` for a CSV file)."""
    params = inspect.signature(func).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return opts
    names = {p.name for p in params}
    return {k: v for k, v in opts.items() if k in names}


def output_is_folder(path: str | Path, format: str) -> bool:
    """Whether :func:`save_file` writes ``format`` at ``path`` as a folder (OpenPose JSON;
    DWPose JSON unless the path ends in ``.json``) rather than a file."""
    return format == "openpose" or (format == "dwpose" and Path(path).suffix.lower() != ".json")


FILE_SUFFIXES = {
    "native": ".npz",
    "dwpose": ".json",
    "coco": ".json",
    "coco_wholebody": ".json",
    "csv": ".csv",
    "bvh": ".bvh",
}
"""The file extension of each format :func:`save_file` writes as one file (OpenPose: a
folder; DWPose: a ``.json`` file, or a folder)."""


def check_output_suffix(path: str | Path, format: str, name: str = "out_format") -> None:
    """Refuse an output path whose extension is another pose format's (``poses.json`` for
    the native ``.npz``): the file would be written, then read back as the wrong format.
    ``name``: the caller's name for the format, in the message.

    Raises:
        InvalidArgumentError: naming the path, the format's extension and the formats that
            take the path's extension.
    """
    suffix = Path(path).suffix.lower()
    known = set(FILE_SUFFIXES.values())
    if not suffix or suffix not in known or FILE_SUFFIXES.get(format) == suffix:
        return
    if format not in FILE_SUFFIXES and format != "openpose":
        return  # an unknown format is refused where it is looked up
    takes = [f for f, s in FILE_SUFFIXES.items() if s == suffix]
    if format == "openpose":
        want = "a folder of per-frame JSON files (a path without an extension)"
    else:
        want = f"a {FILE_SUFFIXES[format]} file"
    raise InvalidArgumentError(
        f"{path}: `{name}` {format} is written as {want}, not a {suffix} file; rename "
        f"the output, or choose the `{name}` of {suffix} files ({', '.join(takes)})"
    )


def save_file(
    seq: PoseSequence | PoseGroup, path: str | Path, format: str = "native", **opts: Any
) -> None:
    """Save a sequence, or a group of people, (atomically) in one of :data:`SAVE_FORMATS`
    (a group of several people: one of :data:`GROUP_SAVE_FORMATS`)."""
    if format not in SAVE_FORMATS:
        raise UnknownFormatError(
            f"cannot write pose format {format!r}: choose one of {', '.join(SAVE_FORMATS)}"
        )
    if isinstance(seq, PoseGroup) and format not in GROUP_SAVE_FORMATS:
        if seq.num_people > 1:
            raise InvalidArgumentError(
                f"{path}: {format} holds one person but there are {seq.num_people} (ids "
                f"{', '.join(map(str, seq.ids))}); write {', '.join(GROUP_SAVE_FORMATS)}, or one "
                "person of the group"
            )
        seq = seq.first
    check_output_suffix(path, format, "format")
    mod = format_module(format)
    mod.save(seq, path, **_accepted(mod.save, opts))
