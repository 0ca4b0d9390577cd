"""File-to-file pose jobs: ``retarget extract``, ``denoise`` and ``transfer`` as library calls.

Each reads one input, writes one output (atomically, :func:`skeleton_io.save_file`) and
returns the sequence it wrote. The commands and ``retarget batch`` call these same
functions, so a batch item's output equals the single command's.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from skeleton_io import PoseGroup, convert, load_file, load_group, save_file
from skeleton_io.atomic import check_output_path
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import get_skeleton, has_hands_or_face

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
    if target and out_format != "bvh" and target != seq.skeleton.name:
        seq = each(seq, lambda s: convert(s, target), keep_missing=False)
    save_file(seq, output, out_format, overwrite=overwrite)
    return seq


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
    check_output_path(output, inputs=[input_path])
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

    check_output_path(output, inputs=[input_path])
    seq = load_file(input_path, **load_kw)
    out = denoise(seq, method, cleanup=cleanup, **(options or {}))
    return write_poses(out, output, out_format, skeleton, overwrite)


def transfer_file(
    motion: str | Path | PoseSequence,
    structure: str | Path | PoseSequence,
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
    **load_kw: Any,
) -> PoseSequence:
    """``retarget transfer``: the motion of ``motion`` on the body of ``structure``.

    Inputs may be paths (read with ``load_kw``; the structure and a view input whole) or
    sequences already read; ``model`` a run folder or a loaded retargeter (see
    :func:`retarget.transfer`); ``extremities``: carry the motion's hands, face and feet
    (inputs are read on their own skeletons), else the body only.
    """
    from ..inputs import read_2d
    from ..retargeters import transfer

    paths = [p for p in (motion, structure) if not isinstance(p, PoseSequence)]
    check_output_path(output, inputs=paths)
    whole = {k: v for k, v in load_kw.items() if k not in ("start_frame", "max_frames")}
    if not isinstance(motion, PoseSequence):
        motion = read_2d(motion, whole_body=extremities, **load_kw)
    if not isinstance(structure, PoseSequence):
        structure = read_2d(structure, whole_body=extremities, **whole)
    if isinstance(view, Path):
        view = read_2d(view, **whole)
    out = transfer(
        motion, structure, view, model=model, mode=mode, device=device, denoise=denoise,
        extremities=extremities,
    )  # fmt: skip
    save_file(out, output, out_format, overwrite=overwrite)
    return out
