"""``retarget transfer``: the motion of A, the body of B, the view of your choice."""

from __future__ import annotations

from pathlib import Path

import click

from skeleton_io.pose import PoseSequence

from ..retargeters import MODES
from .common import (
    denoise_choice,
    denoise_options,
    device_option,
    input_options,
    output_format_option,
    overwrite_option,
    pose_output_option,
    read_pose_kwargs,
    view_option,
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
@click.option(
    "--motion",
    "motion_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Pose input whose motion is wanted (A).",
)
@click.option(
    "--structure",
    "structure_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Pose input whose body is wanted (B).",
)
@view_option()
@pose_output_option
@output_format_option
@overwrite_option
@click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Run folder of `retarget train` (default: the shipped model).",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="fused",
    show_default=True,
    help="fused: observed 2D directions + the network's depth (default); network: TransMoMo's decoder output as is.",
)
@click.option(
    "--body-only",
    is_flag=True,
    help="Retarget the 15 body joints only (openpose15); by default the motion's hands, face "
    "and feet are carried onto the result at the structure's size.",
)
@denoise_options("both inputs")
@device_option
@input_options
def transfer_cmd(
    motion_path: Path,
    structure_path: Path,
    view: str | float | Path,
    output: Path,
    out_format: str,
    overwrite: bool,
    model_dir: Path | None,
    mode: str,
    body_only: bool,
    denoise_method: str,
    no_denoise: bool,
    device: str,
    **kw,
) -> None:
    """Retarget: the motion of --motion on the body of --structure, seen from --view."""
    from ..pipeline.poses import transfer_file

    out = transfer_file(
        motion_path,
        structure_path,
        output,
        view=view,
        model=model_dir,
        mode=mode,
        device=device,
        denoise=denoise_choice(denoise_method, no_denoise),
        extremities=not body_only,
        out_format=out_format,
        overwrite=overwrite,
        **read_pose_kwargs(**kw),
    )
    click.echo(
        f"wrote {output} ({out_format}): {out.num_frames} frames, view yaw {out.meta['view_yaw']:+.1f} deg",
        err=True,
    )
