"""``retarget plot`` and ``retarget animate``: pictures and animations of pose sequences."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from skeleton_io import PoseGroup
from skeleton_io.atomic import check_output_path

from .common import path_command
from .option_table import AZIM, ELEV
from .options import (
    input_options,
    opt,
    person_options,
    read_pose_kwargs,
    use_options,
)

log = logging.getLogger(__name__)

view_options = use_options("azim", "elev", "front", "follow")
"""Camera options of 3D views: --azim, --elev, --front, --follow."""


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


@path_command("plot", ("input_path", "IN"))
@use_options(
    opt("output", help="Picture to write: .png, .pdf or .svg."),
    "frames",
    view_options,
    "compare",
    "joints",
    "lift",
    person_options,
    input_options,
)
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
    camera = {"azim": azim, "elev": elev, "front": front, "follow": follow}
    if joints:
        fig = plot_trajectories(seqs, joints, titles)
    elif compare:
        fig = plot_compare(seqs, titles, frames, **camera)
    else:
        fig = plot_frames(seqs[0], frames, **camera)
    save_figure(fig, output)
    click.echo(f"wrote {output}", err=True)


@path_command("animate", ("input_path", "IN"))
@use_options(
    opt("output", help="Animation to write: .mp4 (H.264) or .gif."),
    view_options,
    "sweep",
    "turns",
    "overlay",
    "size",
    "lift",
    person_options,
    input_options,
)
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
        camera = {"azim": azim, "elev": elev, "front": front, "follow": follow}
        animate(seq, output, sweep=sweep, turns=turns, fps=fps, size=size, **camera)
    click.echo(f"wrote {output}", err=True)
