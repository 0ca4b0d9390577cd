"""``retarget render`` (a pose sequence on a person) and ``retarget video`` (the whole
pipeline: a source person dancing like a driving video)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from .common import command_line, path_command
from .options import denoise_choice, denoise_options, opt, training_options, use_options
from .transfer import read_view

log = logging.getLogger(__name__)


def _report(report) -> None:
    parts = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    who = "" if report.people is None else f", {report.people.num_people} people"
    click.echo(
        f"wrote {report.output}: {report.frames} frames{who}, {report.fps:g} fps, "
        f"{report.size[0]}x{report.size[1]}, backend {report.backend}"
        f"{', with sound' if report.audio else ''} ({parts})",
        err=True,
    )


def _renderer_kwargs(
    model_dir: str | None, renderer_model: Path | None, **options: Any
) -> dict[str, Any]:
    """The options of :data:`_backend_options` as the renderer's keyword arguments (of
    ``render_skeleton`` and ``pose_transfer_video``): ``--model`` as ``model``, the
    constructor settings of the chosen backend from ``--renderer-model`` and ``--device``;
    the others by their names."""
    settings = (
        {} if renderer_model is None else {"model": renderer_model, "device": options["device"]}
    )
    return {**options, "model": model_dir, "renderer_settings": settings}


_backend_options = use_options(
    "backend",
    "background",
    "source_frame",
    opt("max_side", help="Processing and output size: long side in pixels (never enlarged)."),
    "model",
    "renderer_model",
    "device",
)
"""The options of the renderer and what it is given, of `retarget render` and `video`."""


@click.command("render")
@click.argument("poses_path", metavar="POSES", type=click.Path(path_type=Path), required=False)
@use_options(
    "skeleton_path",
    "source",
    opt("output", help="MP4 file to write."),
    "fit",
    opt("fps", help="Output frame rate (default: the sequence's)."),
    _backend_options,
)
def render_cmd(
    poses_path: Path | None,
    skeleton_path: Path | None,
    source_path: Path,
    output: Path,
    fit: str,
    fps: float | None,
    **renderer: Any,
) -> None:
    """Render the pose sequence POSES (any pose file; 3D is projected) as video of the
    person in --source."""
    from ..pipeline.video import render_skeleton

    if skeleton_path is not None:
        log.warning("--skeleton FILE is deprecated: pass the pose file as the POSES argument")
    poses_path = poses_path or skeleton_path
    if poses_path is None:
        raise click.UsageError("missing the POSES argument (the pose file to render)")

    report = render_skeleton(
        poses_path,
        source_path,
        output,
        fit=fit,
        fps=fps,
        **_renderer_kwargs(**renderer),
    )
    _report(report)


@path_command("video", ("source_path", "SOURCE"), ("driving_path", "DRIVING"))
@use_options(
    opt("output", help="MP4 file to write."),
    "view",
    opt("start_frame", help="First driving frame to use."),
    opt("max_frames", help="Use at most N driving frames."),
    denoise_options("the driving poses"),
    "people",
    _backend_options,
)
def video_cmd(
    source_path: Path,
    driving_path: Path,
    output: Path,
    view: str | float | Path,
    start_frame: int,
    max_frames: int | None,
    denoise_method: str,
    no_denoise: bool,
    people: str | int,
    **renderer: Any,
) -> None:
    """SOURCE (a photo or video of a person) moving like the person in DRIVING (a video).

    Writes an H.264 MP4 on the source's canvas with the driving video's frame rate, one
    frame per driving frame used, and its sound. With --people all (or N), every dancer of
    DRIVING is tracked and drives a person of SOURCE: one per dancer, matched left to
    right, or copies of SOURCE's one person; nearer people are drawn over farther ones.
    """
    from ..pipeline.video import pose_transfer_video

    report = pose_transfer_video(
        source_path,
        driving_path,
        output,
        view=read_view(view, {}),
        start_frame=start_frame,
        max_frames=max_frames,
        denoise_method=denoise_choice(denoise_method, no_denoise),
        people=people,
        **_renderer_kwargs(**renderer),
    )
    _report(report)


@path_command("train-renderer", ("video_path", "VIDEO"))
@use_options(
    opt("output", help="Model folder to write."),
    "frame_range",
    "network_size",
    training_options(iterations=None, batch=None, lr=None, minutes=5.0),
    opt("max_side", help="Processing size, as for `retarget video`."),
    opt("model", prefix="The training targets are made as `retarget video` makes them. "),
    "resume",
    "device",
)
def train_renderer_cmd(
    video_path: Path,
    output: Path,
    frames: tuple[int, int],
    size: str | None,
    iterations: int | None,
    minutes: float | None,
    batch: int | None,
    seed: int,
    lr: float | None,
    max_side: int,
    model_dir: str | None,
    resume: bool,
    device: str,
) -> None:
    """Train the learned renderer on a video of one person (use it with
    `retarget video ... --backend learned --renderer-model DIR`)."""
    from ..pipeline.train_renderer import train_renderer

    if minutes is None and iterations is None:
        raise click.UsageError("give a budget: --minutes or --iterations")
    report = train_renderer(
        video_path,
        output,
        frames=frames,
        minutes=minutes,
        iterations=iterations,
        size=size.upper() if size else None,
        max_side=max_side,
        batch=batch,
        lr=lr,
        model=model_dir,
        seed=seed,
        device=device,
        resume=resume,
        command=command_line(click.get_current_context()),
    )
    held = f", held-out {report.held_out_l1:.4f}" if report.held_out_l1 is not None else ""
    click.echo(
        f"wrote {report.model_dir}: size {report.size}, {report.iterations} iterations on "
        f"{report.frames} frames in {report.seconds['total']:.0f} s; L1 on them "
        f"{report.l1_learned:.4f}{held} (reference renderer {report.l1_reference:.4f})",
        err=True,
    )
