"""``retarget draw``: pose images as the ControlNet OpenPose / DWPose annotators draw them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from skeleton_io import PoseGroup
from skeleton_io.atomic import check_output_path
from skeleton_io.errors import InvalidArgumentError

from .common import path_command
from .options import input_options, opt, person_options, read_pose_kwargs, use_options

log = logging.getLogger(__name__)

# viz (matplotlib) is imported when the command runs, not when the CLI starts.


@path_command("draw", ("input_path", "SEQ"))
@use_options(
    opt(
        "output",
        help="OUT.mp4 (a video at the sequence's fps), OUT.png (one frame, see --frame) or a "
        "path without a suffix (a folder of numbered PNGs).",
    ),
    opt(
        "style",
        help="openpose: the ControlNet OpenPose annotator (70-point face); dwpose: the DWPose "
        "annotator (68-point face).",
    ),
    opt(
        "canvas",
        dest="canvas_",
        metavar="WxH|IMAGE",
        help="Canvas size, or an image whose size to take (default: the sequence's frame size; "
        "poses are scaled to it). Also the frame size of inputs that store none.",
    ),
    opt("hands", help="Draw the hands (default: when the sequence has them)."),
    opt("face", help="Draw the face (default: when the sequence has one)."),
    "threshold",
    "frame",
    person_options,
    "overwrite",
    input_options(canvas=False),
)
def draw_cmd(
    input_path: Path,
    output: Path,
    style: str,
    canvas_: tuple[int, int] | None,
    hands: bool | None,
    face: bool | None,
    threshold: float | None,
    frame: int | None,
    people: str | int | None,
    person: int | None,
    overwrite: bool,
    **kw: Any,
) -> None:
    """Draw SEQ (any pose input) as the pose images pose-guided animators take: the
    OpenPose/DWPose annotator's body, hands and face on a black canvas. A video or image
    as SEQ is run through the pose estimator, with its hands and face unless --no-hands
    --no-face. Several people are drawn on one canvas, nearer ones over farther ones;
    --person ID draws one."""
    from viz.pose_image import STYLES, output_kind, write_pose_images

    if style not in STYLES:
        raise InvalidArgumentError(f"unknown `style` {style!r}: choose one of {', '.join(STYLES)}")
    output_kind(output)
    check_output_path(output, inputs=[input_path])
    opts = read_pose_kwargs(**kw)
    if canvas_ is not None:
        opts["canvas"] = canvas_
    from ..pipeline.poses import read_poses

    hands_face = hands is not False or face is not False  # for videos and images
    seq = read_poses(input_path, people, person, hands_face=hands_face, **opts)
    extra = {} if threshold is None else {"threshold": threshold}
    written = write_pose_images(
        seq,
        output,
        style=style,
        canvas=canvas_,
        hands=hands,
        face=face,
        frame=frame,
        overwrite=overwrite,
        **extra,
    )
    w, h = canvas_ or seq.canvas or (0, 0)
    who = f", {seq.num_people} people" if isinstance(seq, PoseGroup) else ""
    click.echo(f"wrote {output}: {written} pose image(s), {w}x{h}, {style} style{who}", err=True)
