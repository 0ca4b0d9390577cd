"""``retarget transfer``: the motion of A, the body of B, the view of your choice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from skeleton_io import PoseGroup
from skeleton_io.pose import PoseSequence

from .options import (
    denoise_choice,
    denoise_options,
    input_options,
    opt,
    own_options,
    pose_output_option,
    read_pose_kwargs,
    use_options,
)


def read_view(view: str | float | Path, read_kw: dict) -> str | float | PoseSequence:
    """``--view`` as :func:`retarget.transfer` takes it: a pose input is read (2D) here."""
    if not isinstance(view, Path):
        return view
    from ..inputs import read_2d

    return read_2d(
        view, **{k: v for k, v in read_kw.items() if k not in ("start_frame", "max_frames")}
    )


@click.command("transfer")
@use_options(
    "motion",
    opt("structure", dest="structure_paths", multiple=True),
    "assign",
    opt(
        "people",
        default=None,
        help="Whom of the motion to retarget: all, main (one person) or the N largest on "
        "average [default: everyone a pose file holds; the main person of a video or image].",
    ),
    "view",
    pose_output_option,
    "format",
    "overwrite",
    "model",
    "mode",
    "body_only",
    denoise_options("both inputs"),
    "device",
    input_options,
)
def transfer_cmd(
    motion_path: Path,
    structure_paths: tuple[Path, ...],
    assign: dict[int, Path],
    output: Path,
    out_format: str,
    model_dir: str | None,
    body_only: bool,
    denoise_method: str,
    no_denoise: bool,
    **kw: Any,
) -> None:
    """Retarget: the motion of --motion on the body of --structure, seen from --view.

    A motion of several people (a pose file of `retarget extract --people all`, or a video
    with --people all) gives every person a body: one --structure for all, one per person
    (left to right), or --assign ID=FILE; each keeps their place, the gaps between them
    scaled with the bodies, and the group turns as one in another --view."""
    from ..pipeline.poses import transfer_file

    if not structure_paths and not assign:
        raise click.UsageError(
            "give the body to retarget onto: --structure FILE (or --assign ID=FILE)"
        )
    out = transfer_file(
        motion_path,
        list(structure_paths),
        output,
        assign=assign,
        model=model_dir,
        denoise=denoise_choice(denoise_method, no_denoise),
        extremities=not body_only,
        out_format=out_format,
        **own_options(kw),  # --people, --view, --overwrite, --mode, --device
        **read_pose_kwargs(**kw),
    )
    if isinstance(out, PoseGroup):
        click.echo(f"wrote {output} ({out_format}): {group_summary(out)}", err=True)
        return
    click.echo(
        f"wrote {output} ({out_format}): {out.num_frames} frames, view yaw {out.meta['view_yaw']:+.1f} deg",
        err=True,
    )


def group_summary(out: PoseGroup) -> str:
    """People, frames, view and each person's size ratio, for the command's last line."""
    ratios = ", ".join(f"{k}: x{s.meta.get('root_scale', 1.0):.2f}" for k, s in out.items())
    return (
        f"{out.num_people} people, {out.num_frames} frames, view yaw "
        f"{out.meta.get('view_yaw', 0.0):+.1f} deg; size ratio by track id {ratios}"
    )
