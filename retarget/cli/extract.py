"""``retarget extract``: pose sequences from videos, images and pose files (also converts)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from skeleton_io import PoseGroup, load_file, load_group
from skeleton_io.atomic import check_output_path
from skeleton_io.skeleton import get_skeleton, has_hands_or_face

from .common import (
    denoise_choice,
    denoise_options,
    people_count,
    people_option,
    pose_io_options,
    read_pose_kwargs,
    write_poses,
)

log = logging.getLogger(__name__)


@click.command("extract")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@denoise_options(
    "the poses",
    default="auto",
    default_help=" auto: learned for videos, none for images and pose files (conversions "
    "stay exact).",
)
@people_option
@pose_io_options
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
    check_output_path(output, inputs=[input_path])
    if people == "main":
        seq: Any = load_file(input_path, **read_pose_kwargs(**kw))
    else:
        seq = load_group(input_path, people=people_count(people), **read_pose_kwargs(**kw))
    source = seq.meta.get("source_format")
    method = denoise_choice(denoise_method, no_denoise)
    if method == "auto":
        method = "learned" if source == "video" else "none"
    if method != "none":
        from ..denoising import denoise

        seq = _each(seq, lambda s: denoise(s, method))
    if source in ("video", "image") and skeleton and has_hands_or_face(get_skeleton(skeleton)):
        from skeleton_io.hands_face import add_hands_face

        # after the body's denoising: hands and face are never filled in, only found
        seq = _each(seq, lambda s: add_hands_face(s, input_path))
    seq = write_poses(seq, output, out_format, skeleton, overwrite)
    click.echo(f"wrote {output} ({out_format}, {seq.skeleton.name}): {_summary(seq)}", err=True)


def _each(seq: Any, fn: Any) -> Any:
    """``fn`` on a sequence, or on every person of a group (their unseen frames stay
    missing)."""
    return seq.map(fn) if isinstance(seq, PoseGroup) else fn(seq)


def _summary(seq: Any) -> str:
    """Frames, who was found in how many, fps."""
    if isinstance(seq, PoseGroup):
        seen = ", ".join(f"{k}: {int(s.present.sum())}" for k, s in seq.items())
        found = f"{seq.num_people} {'person' if seq.num_people == 1 else 'people'} (frames seen by id: {seen})"
    else:
        found = f"person in {int(seq.present.sum())}"
    return f"{seq.num_frames} frames, {found}, {seq.fps:g} fps"
