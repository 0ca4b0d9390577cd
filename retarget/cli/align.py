"""``retarget align``: the driving motion on the reference person's body, standing where the
reference stands, drawn as the pose images diffusion animators take."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from skeleton_io.errors import InvalidArgumentError

from .common import path_command
from .options import (
    denoise_choice,
    denoise_options,
    input_options,
    opt,
    own_options,
    read_pose_kwargs,
    use_options,
)
from .transfer import read_view


@path_command("align", ("reference", "REFERENCE"), ("driving", "DRIVING"))
@use_options(
    opt(
        "output",
        help="OUT.mp4 (the pose video, at the driving's fps), a path without a suffix (a folder "
        "of numbered PNGs) or OUT.png (a one-frame driving).",
    ),
    "json_dir",
    "style",
    "reference_pose",
    "reference_frame",
    "view",
    "hands",
    "face",
    "model",
    "people",
    denoise_options("the driving and reference body poses"),
    "device",
    "overwrite",
    input_options,
)
def align_cmd(
    reference: Path,
    driving: Path,
    output: Path,
    style: str,
    view: str | float | Path,
    model_dir: str | None,
    people: int | str,
    denoise_method: str,
    no_denoise: bool,
    **kw: Any,
) -> None:
    """The motion of DRIVING (a video or pose file) on the body of the person in REFERENCE
    (a photo, video or pose file), standing where that person stands, drawn on the
    reference's canvas as OpenPose/DWPose pose images: the pose input of MimicMotion,
    MusePose, UniAnimate, Animate Anyone and ControlNet OpenPose (docs/animators.md).
    With --people all every dancer goes on a person of REFERENCE (left to right) or, when
    it shows one person, on that person's body."""
    from viz.pose_image import STYLES

    from ..pipeline.align import pose_align_video

    if style not in STYLES:
        raise InvalidArgumentError(f"unknown `style` {style!r}: choose one of {', '.join(STYLES)}")
    read_kw = read_pose_kwargs(**kw)
    driving_frames = {k: read_kw.pop(k) for k in ("start_frame", "max_frames", "max_side")}
    # the other options by their names: --json, --reference-pose, --reference-frame, --hands,
    # --face, --device, --overwrite
    report = pose_align_video(
        reference,
        driving,
        output,
        style=style,
        view=read_view(view, read_kw),
        model=model_dir,
        denoise_method=denoise_choice(denoise_method, no_denoise),
        people=people,
        **driving_frames,
        **own_options(kw),
        **read_kw,
    )
    w, h = report.canvas
    parts = [p for p, on in (("hands", report.hands), ("face", report.face)) if on]
    extra = f"; keypoints in {report.json_dir}" if report.json_dir else ""
    if report.people > 1 or people != "main":
        who = (f"{report.people} dancers on {report.reference_people} reference "
               f"{'person' if report.reference_people == 1 else 'people'}")  # fmt: skip
        anchors = report.placement.get("anchors") or ["hip"]
        placed = max(set(anchors), key=anchors.count)
    else:
        who, placed = "one person", report.placement.get("anchor", "hip")
    click.echo(
        f"wrote {report.output}: {report.frames} pose image(s), {w}x{h} at {report.fps:g} fps, "
        f"{style} style, {who}, body{''.join(' + ' + p for p in parts)}, placed by the "
        f"{placed}{extra}",
        err=True,
    )
