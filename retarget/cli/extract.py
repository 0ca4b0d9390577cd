"""``retarget extract``: pose sequences from videos, images and pose files (also converts)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ..pipeline.poses import extract_file
from .common import denoise_choice, denoise_options, pose_io_options, read_pose_kwargs

log = logging.getLogger(__name__)


@click.command("extract")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@denoise_options(
    "the poses",
    default="auto",
    default_help=" auto: learned for videos, none for images and pose files (conversions "
    "stay exact).",
)
@pose_io_options
def extract_cmd(
    input_path: Path,
    output: Path,
    denoise_method: str,
    no_denoise: bool,
    out_format: str,
    skeleton: str | None,
    overwrite: bool,
    **kw,
) -> None:
    """Read INPUT (a video, an image or any pose file) and write its pose sequence.

    Detections from a video are denoised (learned denoiser) unless --no-denoise. A
    whole-body --skeleton (openpose_wholebody, dwpose, coco_wholebody, blazepose_wholebody)
    also finds the hands and face in a video or image. With a pose file as INPUT this
    converts between formats.
    """
    seq = extract_file(
        input_path,
        output,
        out_format=out_format,
        skeleton=skeleton,
        denoise=denoise_choice(denoise_method, no_denoise),
        overwrite=overwrite,
        **read_pose_kwargs(**kw),
    )
    found = int(seq.present.sum())
    click.echo(
        f"wrote {output} ({out_format}, {seq.skeleton.name}): {seq.num_frames} frames, "
        f"person in {found}, {seq.fps:g} fps",
        err=True,
    )
