"""``retarget plot`` and ``retarget animate``: pictures and animations of pose sequences."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import click

from skeleton_io import PoseGroup
from skeleton_io.atomic import check_output_path
from skeleton_io.checks import MAX_IMAGE_SIDE
from viz.camera import FOLLOWS, FRONTS

from .options import input_options, output_option, person_options, read_pose_kwargs

log = logging.getLogger(__name__)

_AZIM_HELP = (
    "Camera azimuth in degrees for 3D inputs: 0 looks at the performer's front, positive "
    "moves the camera towards the performer's left."
)
_ELEV_HELP = "Camera elevation in degrees for 3D inputs: positive looks down from above."
_FRONT_HELP = (
    "What azimuth 0 faces: 'auto' the performer's front (from hips and shoulders), "
    "'data' the data's own axes (for video-derived 3D: the original camera)."
)


AZIM, ELEV = 0.0, 10.0  # the default camera of 3D views


def view_options(f: Callable) -> Callable:
    """Camera options of 3D views: --azim, --elev, --front, --follow."""
    opts = [
        click.option("--azim", type=float, default=AZIM, show_default=True, help=_AZIM_HELP),
        click.option("--elev", type=float, default=ELEV, show_default=True, help=_ELEV_HELP),
        click.option(
            "--front",
            type=click.Choice(FRONTS),
            default="auto",
            show_default=True,
            help=_FRONT_HELP,
        ),
        click.option(
            "--follow",
            type=click.Choice(FOLLOWS),
            default="auto",
            show_default=True,
            help="Move the camera with the performer ('auto': when their path is longer "
            "than their height, e.g. walking mocap).",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def lift_option(f: Callable) -> Callable:
    """``--lift``: 2D inputs become 3D (the retargeting model's lift) so any view applies."""
    return click.option(
        "--lift",
        is_flag=True,
        help="Lift 2D inputs (videos, OpenPose, ...) to 3D with the shipped retargeting "
        "model, so that --azim/--elev/--sweep show them from any angle.",
    )(f)


def prepare_views(seqs: list, paths: list[Path], lift: bool, turning: bool) -> list:
    """Lift the 2D sequences with --lift; say once when a camera angle is asked of 2D data."""
    if lift:
        from ..retargeters import ModelRetargeter, lift_3d

        model = ModelRetargeter.load() if any(s.dims == 2 for s in seqs) else None
        return [
            s.map(lambda p: lift_3d(p, model)) if isinstance(s, PoseGroup) else lift_3d(s, model)
            for s in seqs
        ]
    flat = [str(p) for p, s in zip(paths, seqs, strict=True) if s.dims == 2]
    if turning and flat:
        log.warning(
            "%s: 2D input, drawn as it is; add --lift to view it from another angle",
            ", ".join(flat),
        )
    return seqs


def _int_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        out = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated frame numbers, got {value!r}") from None
    if not out or min(out) < 0:
        raise click.BadParameter(f"expected frame numbers >= 0, got {value!r}")
    return out


def _name_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()] or None


def _people_lines(seqs: list, names: list[str]) -> tuple[list, list[str]]:
    """Groups split into their people (``NAME #ID``), for one line each."""
    out, titles = [], []
    for seq, name in zip(seqs, names, strict=True):
        if isinstance(seq, PoseGroup):
            out += list(seq.tracks.values())
            titles += [f"{name} #{k}" for k in seq.ids]
        else:
            out.append(seq)
            titles.append(name)
    return out, titles


@click.command("plot")
@click.argument("input_path", metavar="IN", type=click.Path(path_type=Path))
@output_option("Picture to write: .png, .pdf or .svg.")
@click.option(
    "--frames",
    callback=_int_list,
    default=None,
    help="Comma-separated frame numbers (default: 4 evenly spaced; 3 with --compare).",
)
@view_options
@click.option(
    "--compare",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Another pose input to show beside IN with shared axes limits (repeatable).",
)
@click.option(
    "--joints",
    callback=_name_list,
    default=None,
    help="Comma-separated joint names (e.g. RWrist,LAnkle): plot their coordinates over "
    "time instead, one line per input.",
)
@lift_option
@person_options
@input_options
def plot_cmd(
    input_path: Path,
    output: Path,
    frames: list[int] | None,
    azim: float,
    elev: float,
    front: str,
    follow: str,
    compare: tuple[Path, ...],
    joints: list[str] | None,
    lift: bool,
    people: str | int | None,
    person: int | None,
    **kw,
) -> None:
    """Plot IN (any pose input: a pose file, an OpenPose folder, a BVH, a video ...).

    3D inputs are drawn from any camera angle (--azim, --elev); 2D ones as they are, in
    pixels. With --compare, the inputs are shown side by side, one row per frame. Several
    people are drawn together, each labelled with their track id; --person ID draws one.
    """
    from viz.draw import check_plot_path, plot_compare, plot_frames, plot_trajectories, save_figure

    from ..pipeline.poses import read_poses

    check_plot_path(output)
    check_output_path(output, inputs=[input_path, *compare])
    opts = read_pose_kwargs(**kw)
    paths = [input_path, *compare]
    seqs = [read_poses(p, people, person, **opts) for p in paths]
    if joints:  # one line per person of each input
        seqs, titles = _people_lines(seqs, [p.name for p in paths])
    else:
        seqs = prepare_views(seqs, paths, lift, turning=(azim, elev) != (AZIM, ELEV))
        titles = [p.name for p in paths]
    if joints:
        fig = plot_trajectories(seqs, joints, titles)
    elif compare:
        fig = plot_compare(seqs, titles, frames, azim=azim, elev=elev, front=front, follow=follow)
    else:
        fig = plot_frames(seqs[0], frames, azim=azim, elev=elev, front=front, follow=follow)
    save_figure(fig, output)
    click.echo(f"wrote {output}", err=True)


@click.command("animate")
@click.argument("input_path", metavar="IN", type=click.Path(path_type=Path))
@output_option("Animation to write: .mp4 (H.264) or .gif.")
@view_options
@click.option(
    "--sweep",
    is_flag=True,
    help="Circle the camera around the performer over the animation (3D inputs).",
)
@click.option(
    "--turns", type=float, default=1.0, show_default=True, help="Camera turns with --sweep."
)
@click.option(
    "--overlay",
    type=click.Path(path_type=Path),
    default=None,
    help="Draw the (2D, pixel) skeleton over the frames of this video.",
)
@click.option(
    "--size",
    type=click.IntRange(min=64, max=MAX_IMAGE_SIDE),
    default=640,
    show_default=True,
    help="Long side of the animation in pixels (with --overlay: at most this).",
)
@lift_option
@person_options
@input_options
def animate_cmd(
    input_path: Path,
    output: Path,
    azim: float,
    elev: float,
    front: str,
    follow: str,
    sweep: bool,
    turns: float,
    overlay: Path | None,
    size: int,
    lift: bool,
    people: str | int | None,
    person: int | None,
    **kw,
) -> None:
    """Animate IN (any pose input) to an MP4 or GIF at its frame rate.

    --fps sets the rate of inputs that have none and of the animation. Several people are
    drawn together, each labelled with their track id; --person ID draws one.
    """
    from viz.animate import animate, animate_overlay, check_video_path

    check_video_path(output)
    inputs = [input_path] + ([overlay] if overlay else [])
    check_output_path(output, inputs=inputs)
    from ..pipeline.poses import read_poses

    seq = read_poses(input_path, people, person, **read_pose_kwargs(**kw))
    if overlay is None:
        turning = sweep or (azim, elev) != (AZIM, ELEV)
        seq = prepare_views([seq], [input_path], lift, turning)[0]
    fps = kw.get("fps")
    if overlay is not None:
        animate_overlay(
            seq, overlay, output, fps=fps, video_start=kw.get("start_frame", 0), max_side=size
        )
    else:
        animate(
            seq,
            output,
            azim=azim,
            elev=elev,
            front=front,
            follow=follow,
            sweep=sweep,
            turns=turns,
            fps=fps,
            size=size,
        )
    click.echo(f"wrote {output}", err=True)
