"""``retarget extract``: pose sequences from videos, images and pose files (also converts)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from skeleton_io import PoseGroup

from ..pipeline.poses import extract_file
from .common import path_command
from .options import (
    denoise_choice,
    denoise_options,
    pose_io_options,
    read_pose_kwargs,
    use_options,
)

log = logging.getLogger(__name__)


@path_command("extract", ("input_path", "INPUT"))
@use_options(
    denoise_options(
        "the poses",
        default="auto",
        default_help=" auto: learned for videos, none for images and pose files (conversions "
        "stay exact).",
    ),
    "people",
    pose_io_options,
)
def extract_cmd(
    input_path: Path,
    output: Path,
    denoise_method: str,
    no_denoise: bool,
    out_format: str,
    skeleton: str | None,
    overwrite: bool,
    people: str | int,
    **kw,
) -> None:
    """Read INPUT (a video, an image or any pose file) and write its pose sequence.

    Detections from a video are denoised (learned denoiser) unless --no-denoise. A
    whole-body --skeleton (openpose_wholebody, dwpose, coco_wholebody, blazepose_wholebody)
    also finds the hands and face in a video or image. With a pose file as INPUT this
    converts between formats. With --people all or N every person is tracked (video,
    image) or read (a multi-person pose file) and written with their track id (native,
    openpose, coco and csv hold several people).
    """
    seq = extract_file(
        input_path,
        output,
        out_format=out_format,
        skeleton=skeleton,
        denoise=denoise_choice(denoise_method, no_denoise),
        people=None if people == "main" else people,
        overwrite=overwrite,
        **read_pose_kwargs(**kw),
    )
    click.echo(f"wrote {output} ({out_format}, {seq.skeleton.name}): {_summary(seq)}", err=True)


def _summary(seq: Any) -> str:
    """Frames, who was found in how many, fps."""
    if isinstance(seq, PoseGroup):
        seen = ", ".join(f"{k}: {int(s.present.sum())}" for k, s in seq.items())
        n = seq.num_people
        found = f"{n} {'person' if n == 1 else 'people'} (frames seen by id: {seen})"
    else:
        found = f"person in {int(seq.present.sum())}"
    return f"{seq.num_frames} frames, {found}, {seq.fps:g} fps"
