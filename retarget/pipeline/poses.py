"""File-to-file pose jobs: ``retarget extract``, ``denoise`` and ``transfer`` as library calls.

Each reads one input, writes one output (atomically, :func:`skeleton_io.save_file`) and
returns the sequence it wrote. The commands and ``retarget batch`` call these same
functions, so a batch item's output equals the single command's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skeleton_io import PoseGroup, convert, load_file, load_group, save_file
from skeleton_io.atomic import check_output_path
from skeleton_io.checks import require_joints, require_person
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.io import GROUP_SAVE_FORMATS, check_output_suffix, output_is_folder
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import get_skeleton, has_hands_or_face

from ..inputs import as_2d

log = logging.getLogger(__name__)


def output_skeleton(out_format: str, requested: str | None, source: Any) -> str | None:
    """The skeleton to convert to before writing (None: keep the source's own): the one
    asked for (``skeleton``), else the one the format writes
    (:func:`skeleton_io.formats.written_skeleton`: ``body25`` or ``openpose_wholebody`` for
    OpenPose JSON, ``coco17`` for COCO, ...)."""
    from skeleton_io.io import written_skeleton
    from skeleton_io.skeleton import has_hands_or_face

    if requested:
        return requested
    written = written_skeleton(out_format, source)
    if written is not None and has_hands_or_face(source) and not has_hands_or_face(written):
        log.warning(
            "`out_format` %s holds the body only: the hands and face are left out "
            "(`out_format` openpose, dwpose or coco_wholebody keeps them)",
            out_format,
        )
    return None if written is None else written.name


def write_poses(
    seq: PoseSequence | PoseGroup,
    output: str | Path,
    out_format: str = "native",
    skeleton: str | None = None,
    overwrite: bool = False,
) -> PoseSequence | PoseGroup:
    """Convert ``seq`` (a sequence or a group of people) to ``skeleton`` (or the one
    ``out_format`` implies) and write it; returns what was written. BVH keeps the
    sequence's own skeleton. ``overwrite``: write into an existing output folder that holds
    other files."""
    target = output_skeleton(out_format, skeleton, seq.skeleton)
    require_person(seq)
    if target and out_format != "bvh" and target != seq.skeleton.name:
        before = seq
        seq = each(seq, lambda s: convert(s, target), keep_missing=False)
        if not isinstance(seq, PoseGroup):
            require_joints(seq, before, target)
    save_file(seq, output, out_format, overwrite=overwrite)
    return seq


def check_pose_output(output: str | Path, out_format: str, inputs: list) -> None:
    """Fail before any work when ``output`` cannot take ``out_format`` (see
    :func:`skeleton_io.atomic.check_output_path`)."""
    check_output_suffix(output, out_format)
    check_output_path(output, inputs=inputs, folder=output_is_folder(output, out_format))


def each(seq: Any, fn: Any, keep_missing: bool = True) -> Any:
    """``fn`` on a sequence, or on every person of a group (with ``keep_missing``, their
    unseen frames stay missing)."""
    return seq.map(fn, keep_missing=keep_missing) if isinstance(seq, PoseGroup) else fn(seq)


def extract_file(
    input_path: str | Path,
    output: str | Path,
    *,
    out_format: str = "native",
    skeleton: str | None = None,
    denoise: str = "auto",
    people: int | str | None = None,
    overwrite: bool = False,
    **load_kw: Any,
) -> PoseSequence | PoseGroup:
    """``retarget extract``: the pose sequence of a video, an image or a pose file. A
    whole-body ``skeleton`` (openpose_wholebody, dwpose, ...) also finds the hands and face
    in a video or image.

    Args:
        denoise: a :func:`retarget.denoise` method, ``"none"``, or ``"auto"``: ``learned``
            for videos, none for images and pose files (conversions stay exact).
        people: None for the main person (a :class:`PoseSequence`); ``"all"`` or a number:
            every person (or the N largest on average), tracked, as a :class:`PoseGroup`.
        load_kw: :func:`skeleton_io.load_file` options (``start_frame``, ``max_side``...).
    """
    check_pose_output(output, out_format, [input_path])
    if people is None:
        seq: Any = load_file(input_path, **load_kw)
    else:
        seq = load_group(input_path, people=None if people == "all" else int(people), **load_kw)
    source = seq.meta.get("source_format")
    method = denoise
    if method == "auto":
        method = "learned" if source == "video" else "none"
    if method != "none":
        from ..denoising import denoise as run_denoise

        seq = each(seq, lambda s: run_denoise(s, method))
    if source in ("video", "image") and skeleton and has_hands_or_face(get_skeleton(skeleton)):
        from skeleton_io.hands_face import add_hands_face

        # after the body's denoising: hands and face are never filled in, only found
        seq = each(seq, lambda s: add_hands_face(s, input_path))
    return write_poses(seq, output, out_format, skeleton, overwrite)


def denoise_file(
    input_path: str | Path,
    output: str | Path,
    *,
    method: str = "learned",
    options: dict[str, Any] | None = None,
    cleanup: Any = None,
    out_format: str = "native",
    skeleton: str | None = None,
    overwrite: bool = False,
    **load_kw: Any,
) -> PoseSequence:
    """``retarget denoise``: clean and smooth one pose input (``options``: the method's
    parameters; ``cleanup``: as :func:`retarget.denoise` takes it)."""
    from ..denoising import denoise

    check_pose_output(output, out_format, [input_path])
    seq = require_person(load_file(input_path, **load_kw))
    out = denoise(seq, method, cleanup=cleanup, **(options or {}))
    return write_poses(out, output, out_format, skeleton, overwrite)


def transfer_file(
    motion: str | Path | PoseSequence | PoseGroup,
    structure: Any,
    output: str | Path,
    *,
    view: str | float | Path | PoseSequence = "motion",
    model: Any = None,
    mode: str | None = None,
    device: str = "auto",
    denoise: str | bool | None = None,
    extremities: bool = True,
    out_format: str = "native",
    overwrite: bool = False,
    people: int | str | None = None,
    assign: Mapping[int, Any] | None = None,
    **load_kw: Any,
) -> PoseSequence | PoseGroup:
    """``retarget transfer``: the motion of ``motion`` on the body of ``structure``.

    Inputs may be paths (read with ``load_kw``; the structures and a view input whole) or
    sequences already read; ``model`` a run folder or a loaded retargeter (see
    :func:`retarget.transfer`); ``extremities``: carry the motion's hands, face and feet
    (inputs are read on their own skeletons), else the body only.

    Several people (:func:`retarget.retargeters.group.transfer_group`): a motion holding
    several people gives a :class:`PoseGroup`, each person on a body: ``structure`` is one
    input for all or a list of one per person (matched left to right), ``assign`` maps track
    ids to their own. ``people``: whom of the motion to take, ``"all"``, ``"main"`` or N (the
    N largest on average); None: everyone a pose file holds, the main person of a video or
    image (as one person's transfer always did).

    Raises:
        InvalidArgumentError: a structure input holding several people, a count of
            structures that matches no count of people, an ``assign`` id the motion lacks,
            several people for an ``out_format`` that holds one.
    """
    from ..inputs import read_2d
    from ..retargeters import transfer
    from ..retargeters.transfer import require_somebody

    structs = list(structure) if isinstance(structure, (list, tuple)) else [structure]
    assign = dict(assign or {})
    named = [*structs, *assign.values(), motion]
    check_pose_output(output, out_format, [p for p in named if isinstance(p, (str, Path))])
    whole = {k: v for k, v in load_kw.items() if k not in ("start_frame", "max_frames")}
    group = motion if isinstance(motion, PoseGroup) else read_poses(motion, people, **load_kw)
    if isinstance(view, Path):
        view = read_2d(view, **whole)
    bodies = [read_structure(s, whole_body=extremities, **whole) for s in structs if s is not None]
    if isinstance(group, PoseSequence) or (
        group.num_people == 1 and len(bodies) == 1 and not assign
    ):
        one = group if isinstance(group, PoseSequence) else group.first
        if len(bodies) != 1 or assign:
            group = PoseGroup.from_sequence(one, int(one.meta.get("track_id", 0)))
        else:
            require_somebody(one, "motion")  # before as_2d, which keeps only openpose15's joints
            out = transfer(
                as_2d(one, whole_body=extremities), bodies[0], view, model=model, mode=mode,
                device=device, denoise=denoise, extremities=extremities,
            )  # fmt: skip
            save_file(out, output, out_format, overwrite=overwrite)
            return out
    from ..retargeters.group import assign_structures, transfer_group

    by_id = {int(k): read_structure(v, whole_body=extremities, **whole) for k, v in assign.items()}
    names = [Path(s).name if isinstance(s, (str, Path)) else f"structure {i + 1}"
             for i, s in enumerate(structs)]  # fmt: skip
    mapping = assign_structures(group, bodies, by_id, names)
    if group.num_people > 1 and out_format not in GROUP_SAVE_FORMATS:
        raise InvalidArgumentError(
            f"{output}: `out_format` {out_format} holds one person but the motion has "
            f"{group.num_people}; write {', '.join(GROUP_SAVE_FORMATS)}, or take one person "
            "(`people` main)"
        )
    out_group = transfer_group(
        group.map(lambda s: as_2d(s, whole_body=extremities), keep_missing=False), mapping, view,
        model=model, mode=mode, device=device, denoise=denoise, extremities=extremities,
    )  # fmt: skip
    save_file(out_group, output, out_format, overwrite=overwrite)
    return out_group


def read_poses(
    path: str | Path,
    people: int | str | None = None,
    person: int | None = None,
    hands_face: bool = False,
    **load_kw: Any,
) -> PoseSequence | PoseGroup:
    """A pose input as the commands that draw or retarget several people read it.

    Args:
        people: ``"main"`` (one person, a :class:`PoseSequence`), ``"all"`` or N (the N
            largest on average: a :class:`PoseGroup`); None: everyone a pose file holds,
            the main person of a video or image (tracking everyone costs about one
            estimator run per person and frame).
        person: one track id of the group (a :class:`PoseSequence`; a video or image is
            then tracked).
        hands_face: a video or image also gives the hands and face (each person's).
        load_kw: :func:`skeleton_io.load_file` options.

    Raises:
        InvalidArgumentError: ``person`` is not a track id of the input.
    """
    from skeleton_io.io import detect_format

    fmt = load_kw.get("format") or detect_format(path)
    media = fmt in ("video", "image")
    if people is None:
        people = "main" if media and person is None else "all"
    if people == "main" and person is None:
        return load_file(path, hands_face=hands_face and media, **load_kw)
    group = load_group(path, people=None if people in ("all", "main") else int(people), **load_kw)
    if person is not None:
        if person not in group:
            raise InvalidArgumentError(
                f"{path}: no person with track id {person} (`person`); its ids are "
                f"{', '.join(map(str, group.ids))}"
            )
        group = group.select([person])
    if hands_face and media:
        from skeleton_io.hands_face import add_hands_face

        group = group.map(lambda s: add_hands_face(s, path))
    if person is None:
        return group
    one = group.first
    one.meta["track_id"] = person
    return one


def read_structure(
    path: str | Path | PoseSequence, whole_body: bool = False, **load_kw: Any
) -> PoseSequence:
    """A body (structure) input as 2D openpose15 (``whole_body``: 2D on its own skeleton, see
    :func:`retarget.inputs.as_2d`): a pose file must hold one person (a video or an image
    gives its main person, as for one person's transfer).

    Raises:
        InvalidArgumentError: a pose file with several people.
        NoPersonFoundError: nobody in it (or only joints no skeleton knows).
    """
    from skeleton_io.io import detect_format

    from ..retargeters.transfer import require_somebody

    if isinstance(path, PoseSequence):
        require_somebody(path, "structure")
        return as_2d(path, whole_body=whole_body)
    fmt = load_kw.get("format") or detect_format(path)
    if fmt in ("video", "image"):
        return as_2d(load_file(path, **load_kw), whole_body=whole_body)
    group = load_group(path, **load_kw)
    if group.num_people > 1:
        raise InvalidArgumentError(
            f"{path}: a `structure` is one body, but this file holds {group.num_people} "
            f"people (track ids {', '.join(map(str, group.ids))}); write one person of it "
            "(retarget extract --people main), or give the motion's people their bodies "
            "one file each"
        )
    require_somebody(group.first, "structure")
    return as_2d(group.first, whole_body=whole_body)
