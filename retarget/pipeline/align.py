"""``retarget align REFERENCE DRIVING``: the driving motion on the reference person's body,
standing where the reference person stands, as the pose images diffusion animators take.

Pose-guided animators (MusePose, UniAnimate, MimicMotion, Animate Anyone, ControlNet
OpenPose in ComfyUI or diffusers) animate a reference photo with a *pose video*: the
OpenPose/DWPose whole-body skeleton drawn on a black canvas the size of the photo. Their
own alignment re-proportions the driving skeleton from one frame's bone ratios
(:mod:`retarget.retargeters.alignment`); :func:`align_poses` retargets it instead:

1. **Reference** (:func:`read_reference`): a photo, a video (the person of frame
   ``reference_frame``; the body measured over :data:`~.video.STRUCTURE_SECONDS` from
   there, :func:`~.video.source_structure`) or a pose file (its ``canvas`` from the file or
   the caller); the reference's pose in that frame fixes where the person stands, its hands
   and face (when seen) their sizes.
2. **Driving** (:func:`read_driving`): a video (poses with hands and face found by
   :func:`skeleton_io.hands_face.add_hands_face`) or any pose file.
3. **Retargeting** (:func:`~.placement.retarget_onto`): the driving body onto the reference's
   (the shipped model, which denoises both first; any retargeter name or run folder), in
   the chosen ``view``; hands, face and feet carried at the reference's size
   (:func:`~retarget.retargeters.extremities.carry_extremities`; hidden reference hands are
   scaled from the forearm, with a warning). Driving frames with nobody stay empty.
4. **Placement** (:func:`~.placement.place_on_source`, ``anchor="ground"``): the result is
   moved so that in the driving's first frame with a person its feet stand on the
   reference person's ground point (the mean x of the ankles, the lower ankle's y); later
   frames move as the driving person moves, scaled by the body ratio (the retargeter scales
   the hip's path by the ratio of leg lengths), so feet on the driving's floor stay on the
   reference's ground line. A reference without visible ankles (confidence under
   :data:`~.placement.ANCHOR_VISIBILITY` or outside the image) is anchored at the hips, one
   without visible hips either (an upper-body photo) at the neck.
5. **Output** (:func:`pose_align_video`): the pose images
   (:func:`viz.pose_image.write_pose_images`) on the reference image's canvas, one per
   driving frame at the driving's fps (``.mp4``, a folder of PNGs, or a ``.png`` for one
   frame); optionally the keypoints as OpenPose (``openpose`` style) or DWPose (``dwpose``
   style) JSON in a folder, and the reference's own pose image (UniAnimate wants it as
   ``ref_pose.jpg`` beside the frames).

Several people (``people`` ``all`` or N, :func:`align_people`): every dancer of the driving
(tracked, :func:`read_driving_people`) on a person of the reference
(:func:`read_reference_people`: everyone seen in the reference frame, left to right): with
one reference person every dancer gets their body; with one per dancer they are matched
left to right; other counts are refused. The group is retargeted together
(:func:`retarget.retargeters.group.transfer_group`: each dancer's path scaled with their
body, the group turned as one) and placed with ``anchor="ground"``: with one reference
person, as one group (:func:`~.people.place_group`: its centre where that person stands,
the driving's layout kept around it); with one reference person per dancer, each dancer
where their reference person stands (the animator draws each person from the reference
pixels under their pose). Drawn on one canvas, nearer people over farther ones.

Coordinates: pixels of the reference image (x right, y down, origin top-left).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io import convert, save_file
from skeleton_io.atomic import check_output_path
from skeleton_io.checks import check_options
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.group import PoseGroup, require_pose
from skeleton_io.pose import PoseSequence

from ..retargeters import load_retargeter
from .align_inputs import (
    _present_or_fail,
    read_driving,
    read_driving_people,
    read_reference,
    read_reference_people,
)
from .placement import DrivingOptions, place_on_source, retarget_onto

log = logging.getLogger(__name__)

JSON_FORMATS = {"openpose": "openpose", "dwpose": "dwpose"}
"""The pose format ``json_dir`` is written in, by drawing style."""


@dataclass
class AlignReport:
    """What :func:`pose_align_video` wrote.

    Attributes:
        output: the pose images (video, PNG or folder); frames: how many; fps: their rate;
        canvas: ``(width, height)``, the reference image's size; style: the drawing style.
        json_dir: the keypoints folder (or None); reference_pose: the reference's own pose
        image (or None).
        hands, face: whether they were drawn.
        placement: the anchor used (``ground`` or ``hip``) and the shift in pixels.
        extremities: each part's size ratio and what it was measured on.
        seconds: wall time per stage.
        people, reference_people: the dancers drawn and the reference people they were
            put on (1 and 1 for one person).
    """

    output: Path
    frames: int
    fps: float
    canvas: tuple[int, int]
    style: str
    json_dir: Path | None = None
    reference_pose: Path | None = None
    hands: bool = False
    face: bool = False
    placement: dict[str, Any] = field(default_factory=dict)
    extremities: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    people: int = 1
    reference_people: int = 1


def align_poses(
    reference_pose: PoseSequence,
    structure: PoseSequence,
    driving: PoseSequence,
    *,
    view: str | float | PoseSequence = "motion",
    model: Any = None,
    device: str = "auto",
    denoise_method: str = "learned",
) -> PoseSequence:
    """The driving motion on the reference's body, placed where the reference stands (steps
    3 and 4 of the module docstring).

    Args:
        reference_pose: the reference person's pose, one frame, 2D pixels with a canvas.
        structure: the frames its body is measured on (may be ``reference_pose``).
        driving: the driving poses, 2D (any skeleton; hands, face and feet carried).
        view: ``motion`` (the driving's view), ``structure`` (the reference's), a yaw in
            degrees relative to the driving's view, or a sequence whose view is taken.
        model: a retargeter, its name (``limb``, ``musepose``, ...), a run folder, or None
            (the shipped model).
        denoise_method: applied by the model to both inputs first (``none`` to skip).

    Returns:
        The aligned poses (``openpose_wholebody`` when the driving shows hands, a face or
        feet, else ``openpose15``), the driving's frame count and fps, on the reference's
        canvas; ``meta["placed"]`` the anchor and shift, ``meta["extremities"]`` the part
        size ratios.
    """
    for value, name in ((reference_pose, "reference_pose"), (structure, "structure"),
                        (driving, "driving")):  # fmt: skip
        require_pose(value, name)
    _present_or_fail(driving, driving.meta.get("source_path", "driving"), "driving poses")
    _present_or_fail(
        reference_pose, reference_pose.meta.get("source_path", "reference"), "reference"
    )
    denoise = None if denoise_method == "none" else denoise_method
    r = load_retargeter(model, device=device, denoise=denoise)
    out = retarget_onto(driving, structure, view, model=r, device=device)
    gone = ~driving.present
    if gone.any():
        log.info("nobody in %d driving frames; they stay empty", int(gone.sum()))
        out = out.with_coords(out.coords, np.where(gone[:, None], 0.0, out.confidence))
    placed = place_on_source(out, reference_pose, anchor="ground")
    placed.meta["reference"] = reference_pose.meta.get("source_path")
    used = placed.meta.get("placed", {}).get("anchor", "ground")
    if used != "ground":
        log.warning(
            "%s: no feet seen in the reference; the result is placed by the %s",
            reference_pose.meta.get("source_path", "the reference"),
            "hips" if used == "hip" else "neck",
        )
    return placed


def align_people(
    references: list[tuple[PoseSequence, PoseSequence]],
    driving: PoseGroup,
    *,
    name: str = "the reference",
    **options: Any,
) -> PoseGroup:
    """Every dancer of ``driving`` on a reference person's body, the group placed where the
    reference people stand (see the module docstring; ``references`` as
    :func:`read_reference_people` gives them). Other arguments as :func:`align_poses` takes
    them (:class:`~retarget.pipeline.placement.DrivingOptions`).

    Returns:
        A group with the driving's track ids, frames and fps on the reference's canvas;
        ``meta["placed"]`` the anchors and shift, ``meta["whom"]`` track id -> index of the
        reference person (left to right).

    Raises:
        InvalidArgumentError: neither one reference person nor one per dancer.
    """
    from ..retargeters.group import transfer_group
    from .people import match_people, place_group

    o = check_options(DrivingOptions, options)
    whom = match_people(driving, references, name, what="reference")
    r = load_retargeter(o["model"], device=o["device"], denoise=None)
    bodies = {k: references[whom[k]][1] for k in driving.ids}
    denoise = False if o["denoise_method"] == "none" else o["denoise_method"]
    moved = transfer_group(driving, bodies, o["view"], model=r, device=o["device"], denoise=denoise)
    poses = [p for p, _ in references]
    if len(references) == 1:  # copies of one person: the driving's layout around them
        placed = place_group(moved, poses, whom, anchor="ground")
    else:  # each dancer where their reference person stands
        tracks = {k: place_on_source(s, poses[whom[k]], anchor="ground") for k, s in moved.items()}
        placed = PoseGroup(tracks, dict(moved.meta))
        placed.meta["placed"] = {
            "anchors": [t.meta.get("placed", {}).get("anchor", "hip") for t in tracks.values()],
            "shift_px": [t.meta.get("placed_shift_px", [0.0, 0.0]) for t in tracks.values()],
        }
    placed.meta["whom"] = {str(k): int(i) for k, i in whom.items()}
    if any(a != "ground" for a in placed.meta["placed"]["anchors"]):
        log.warning("%s: no feet seen in a reference person; the group is placed partly by "
                    "the hips or necks", name)  # fmt: skip
    return placed


def _inside(image: Path, folder: Path) -> bool:
    """Whether ``image`` goes into the folder of frames ``folder`` (UniAnimate's layout)."""
    from viz.pose_image import output_kind

    return output_kind(folder) == "folder" and image.parent.resolve() == folder.resolve()


def _frames_overwrite(output: Path, reference_pose: Path | None, overwrite: bool) -> bool:
    """``overwrite`` for the frames' folder: also when the only other file in it is the
    reference pose image this run rewrites."""
    from viz.pose_image import frame_file

    if overwrite or reference_pose is None or not _inside(reference_pose, output):
        return overwrite
    if not output.is_dir():
        return False
    own = reference_pose.resolve()
    return all(frame_file(p) or p.resolve() == own for p in output.iterdir())


def _check_outputs(
    output: str | Path,
    json_dir: str | Path | None,
    reference_pose: str | Path | None,
    inputs: Sequence[str | Path],
) -> tuple[Path, Path | None, Path | None]:
    """The outputs of :func:`pose_align_video` as paths (``json_dir`` and
    ``reference_pose`` None where not asked for), checked before anything is read: each
    can be written, is of its kind, is none of the ``inputs`` and no other output."""
    from viz.pose_image import output_kind

    output = Path(output)
    json_dir = None if json_dir is None else Path(json_dir)
    reference_pose = None if reference_pose is None else Path(reference_pose)
    output_kind(output)
    check_output_path(output, inputs=inputs)
    outs = [output]
    if json_dir is not None:
        if json_dir.suffix.lower() == ".json":
            raise InvalidArgumentError(
                f"{json_dir}: `json_dir` is a folder (one JSON file per frame); give a path "
                "without .json"
            )
        check_output_path(json_dir, inputs=inputs)
        outs.append(json_dir)
    if reference_pose is not None:
        if output_kind(reference_pose) != "image":
            raise InvalidArgumentError(
                f"{reference_pose}: `reference_pose` is one image; give a .png or .jpg path"
            )
        if not _inside(reference_pose, output):  # else the frames' folder makes its folder
            check_output_path(reference_pose, inputs=inputs)
        outs.append(reference_pose)
    resolved = [p.resolve() for p in outs]
    if len(set(resolved)) < len(resolved):
        raise InvalidArgumentError("the outputs must be different paths")
    return output, json_dir, reference_pose


def _check_frames_fit(output: Path, frames: int) -> None:
    """A pose image output (``.png``, ``.jpg``) takes one frame: refuse more, before anything
    is written."""
    from viz.pose_image import output_kind

    if frames > 1 and output_kind(output) == "image":
        raise InvalidArgumentError(
            f"{output}: a {output.suffix} holds one frame but the driving gives {frames}; write "
            "a .mp4 or a folder, or align one frame (`max_frames` 1)"
        )


def write_aligned(
    poses: PoseSequence | PoseGroup,
    reference_pose: PoseSequence | PoseGroup,
    output: Path,
    json_dir: Path | None = None,
    reference_image: Path | None = None,
    *,
    style: str = "openpose",
    hands: bool | None = None,
    face: bool | None = None,
    overwrite: bool = False,
) -> tuple[int, bool, bool]:
    """Draw the aligned ``poses`` on the reference's canvas into ``output``, their keypoints
    into ``json_dir`` and the reference's own pose into ``reference_image`` (see
    :func:`pose_align_video`); returns the images written and whether hands and face were
    drawn."""
    from viz.pose_image import parts_to_draw, style_skeleton, write_pose_images

    _check_frames_fit(output, poses.num_frames)
    hands, face = parts_to_draw(poses, hands, face)
    draw = {"style": style, "canvas": reference_pose.canvas, "hands": hands, "face": face}
    if json_dir is not None:
        skeleton = style_skeleton(style)
        keypoints = (
            poses.map(lambda s: convert(s, skeleton), keep_missing=False)
            if isinstance(poses, PoseGroup)
            else convert(poses, skeleton)
        )
        save_file(keypoints, json_dir, JSON_FORMATS[style], overwrite=overwrite)
    n = write_pose_images(
        poses, output, overwrite=_frames_overwrite(output, reference_image, overwrite), **draw
    )
    if reference_image is not None:  # its parts when it shows them (hidden hands: warned)
        ref_draw = {**draw, "hands": None if hands else False, "face": None if face else False}
        write_pose_images(reference_pose, reference_image, **ref_draw)
    return n, hands, face


def pose_align_video(
    reference: str | Path,
    driving: str | Path,
    output: str | Path,
    *,
    json_dir: str | Path | None = None,
    reference_pose: str | Path | None = None,
    style: str = "openpose",
    view: str | float | PoseSequence = "motion",
    start_frame: int = 0,
    max_frames: int | None = None,
    max_side: int | None = 512,
    reference_frame: int = 0,
    hands: bool | None = None,
    face: bool | None = None,
    model: Any = None,
    device: str = "auto",
    denoise_method: str = "learned",
    overwrite: bool = False,
    people: int | str = "main",
    reference_poses: tuple[PoseSequence, PoseSequence] | None = None,
    **read_kw: Any,
) -> AlignReport:
    """``retarget align``: read both inputs, :func:`align_poses`, draw and write (see the
    module docstring).

    Args:
        reference: a photo, video or pose file of the target person.
        driving: a video or pose file of the driving person.
        output: ``*.mp4``, a folder (no suffix: numbered PNGs) or ``*.png`` (one frame).
        json_dir: also write the keypoints here (OpenPose JSON for ``style="openpose"``,
            DWPose JSON for ``"dwpose"``; one file per frame).
        reference_pose: also draw the reference's own pose here (``.png``/``.jpg``).
        style: ``openpose`` or ``dwpose`` (:func:`viz.pose_image.draw_people_image`).
        start_frame, max_frames: the driving frames used.
        max_side: videos and images are scaled to this long side for pose estimation.
        reference_frame: the frame of a reference video or pose file.
        hands, face: draw them (None: when the driving shows them; asked for without them:
            drawn without, warned); False also skips finding them in videos.
        overwrite: write into existing output folders holding other files (kept).
        people: ``main`` (one person), ``all`` or N (the N largest dancers): every dancer
            on a person of the reference (see the module docstring).
        reference_poses: the reference already read (:func:`read_reference`'s ``(pose,
            structure)``), e.g. once for many drivings (``retarget batch align``);
            ``reference`` then only names it (one person: ``people="main"``).
        read_kw: :func:`skeleton_io.load_file` options for pose files (``fps``, ``canvas``,
            ``format``).

    Raises:
        InvalidArgumentError: an unknown style or output kind, outputs equal to inputs.
        NoPersonFoundError: nobody in the reference, or in any driving frame.
    """
    from viz.pose_image import style_skeleton

    t0 = time.perf_counter()
    style_skeleton(style)
    if people != "main":
        return _align_group(
            reference, driving, output, json_dir=json_dir, reference_pose=reference_pose,
            style=style, view=view, start_frame=start_frame, max_frames=max_frames,
            max_side=max_side, reference_frame=reference_frame, hands=hands, face=face,
            model=model, device=device, denoise_method=denoise_method, overwrite=overwrite,
            people=people, **read_kw,
        )  # fmt: skip
    output, json_path, ref_path = _check_outputs(
        output, json_dir, reference_pose, [reference, driving]
    )
    find = hands is not False or face is not False
    motion = read_driving(
        driving, start_frame=start_frame, max_frames=max_frames, max_side=max_side,
        hands_face=find, **read_kw,
    )  # fmt: skip
    _check_frames_fit(output, motion.num_frames)
    t1 = time.perf_counter()
    pose, structure = reference_poses or read_reference(
        reference, reference_frame=reference_frame, max_side=max_side, hands_face=find,
        driving=driving, driving_poses=motion, **read_kw,
    )  # fmt: skip
    t2 = time.perf_counter()
    poses = align_poses(
        pose, structure, motion, view=view, model=model, device=device,
        denoise_method=denoise_method,
    )  # fmt: skip
    return _write_report(
        poses, pose, output, json_path, ref_path, (t0, t1, t2), style=style, hands=hands,
        face=face, overwrite=overwrite, extremities=dict(poses.meta.get("extremities", {})),
    )  # fmt: skip


def _align_group(
    reference: str | Path,
    driving: str | Path,
    output: str | Path,
    *,
    json_dir: str | Path | None,
    reference_pose: str | Path | None,
    style: str,
    view: str | float | PoseSequence,
    start_frame: int,
    max_frames: int | None,
    max_side: int | None,
    reference_frame: int,
    hands: bool | None,
    face: bool | None,
    model: Any,
    device: str,
    denoise_method: str,
    overwrite: bool,
    people: int | str,
    **read_kw: Any,
) -> AlignReport:
    """:func:`pose_align_video` for several people (see the module docstring)."""
    t0 = time.perf_counter()
    output, json_path, ref_path = _check_outputs(
        output, json_dir, reference_pose, [reference, driving]
    )
    find = hands is not False or face is not False
    dancers = read_driving_people(
        driving, people, start_frame=start_frame, max_frames=max_frames, max_side=max_side,
        hands_face=find, **read_kw,
    )  # fmt: skip
    t1 = time.perf_counter()
    refs = read_reference_people(
        reference, reference_frame=reference_frame, max_side=max_side, hands_face=find,
        **read_kw,
    )  # fmt: skip
    t2 = time.perf_counter()
    poses = align_people(
        refs, dancers, view=view, model=model, device=device, denoise_method=denoise_method,
        name=str(reference),
    )  # fmt: skip
    ref_group = PoseGroup({i: p for i, (p, _) in enumerate(refs)})
    return _write_report(
        poses, ref_group, output, json_path, ref_path, (t0, t1, t2), style=style, hands=hands,
        face=face, overwrite=overwrite,
        extremities={str(k): s.meta.get("extremities", {}) for k, s in poses.items()},
        people=poses.num_people, reference_people=len(refs),
    )  # fmt: skip


def _write_report(
    poses: PoseSequence | PoseGroup,
    reference: PoseSequence | PoseGroup,
    output: Path,
    json_path: Path | None,
    ref_path: Path | None,
    times: tuple[float, float, float],
    *,
    style: str,
    hands: bool | None,
    face: bool | None,
    overwrite: bool,
    **report: Any,
) -> AlignReport:
    """Write the aligned poses (:func:`write_aligned`) and report the run; ``times``: when
    it started, read the driving and read the reference."""
    t0, t1, t2 = times
    t3 = time.perf_counter()
    n, hands, face = write_aligned(
        poses, reference, output, json_path, ref_path, style=style, hands=hands, face=face,
        overwrite=overwrite,
    )  # fmt: skip
    t4 = time.perf_counter()
    seconds = {"driving": t1 - t0, "reference": t2 - t1, "retarget": t3 - t2, "write": t4 - t3,
               "total": t4 - t0}  # fmt: skip
    return AlignReport(
        output=output, frames=n, fps=poses.fps, canvas=tuple(_canvas(reference)), style=style,
        json_dir=json_path, reference_pose=ref_path, hands=hands, face=face,
        placement=dict(poses.meta.get("placed", {})), seconds=seconds, **report,
    )  # fmt: skip


def _canvas(reference: PoseSequence | PoseGroup) -> tuple[int, int]:
    first = reference.first if isinstance(reference, PoseGroup) else reference
    return tuple(first.canvas)  # type: ignore[return-value]


__all__ = [
    "JSON_FORMATS",
    "AlignReport",
    "align_people",
    "align_poses",
    "pose_align_video",
    "read_driving",
    "read_driving_people",
    "read_reference",
    "read_reference_people",
    "write_aligned",
]
