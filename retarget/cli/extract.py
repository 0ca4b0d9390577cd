"""``retarget extract``: pose sequences from videos, images and pose files (also converts)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from skeleton_io import load_file
from skeleton_io.atomic import check_output_path
from skeleton_io.skeleton import get_skeleton, has_hands_or_face

from .common import denoise_choice, denoise_options, pose_io_options, read_pose_kwargs, write_poses

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
    check_output_path(output, inputs=[input_path])
    seq = load_file(input_path, **read_pose_kwargs(**kw))
    source = seq.meta.get("source_format")
    method = denoise_choice(denoise_method, no_denoise)
    if method == "auto":
        method = "learned" if source == "video" else "none"
    if method != "none":
        from ..denoising import denoise

        seq = denoise(seq, method)
    if source in ("video", "image") and skeleton and has_hands_or_face(get_skeleton(skeleton)):
        from skeleton_io.hands_face import add_hands_face

        # after the body's denoising: hands and face are never filled in, only found
        seq = add_hands_face(seq, input_path)
    seq = write_poses(seq, output, out_format, skeleton, overwrite)
    found = int(seq.present.sum())
    click.echo(
        f"wrote {output} ({out_format}, {seq.skeleton.name}): {seq.num_frames} frames, "
        f"person in {found}, {seq.fps:g} fps",
        err=True,
    )
