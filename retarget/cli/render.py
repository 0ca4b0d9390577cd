"""``retarget render`` (a pose sequence on a person) and ``retarget video`` (the whole
pipeline: a source person dancing like a driving video)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ..pipeline.video import FITS
from .common import command_line
from .options import (
    FrameRate,
    denoise_choice,
    denoise_options,
    device_option,
    max_side_option,
    output_option,
    people_option,
    retargeter_option,
    training_options,
    view_option,
)
from .transfer import read_view

log = logging.getLogger(__name__)

BACKGROUND_HELP = (
    "What is behind the person: source (the source's scene, person removed; default), "
    "driving (the driving video's frames; video only), an image file, or a colour "
    "(white, #rrggbb, R,G,B)."
)


def _report(report) -> None:
    parts = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    who = "" if report.people is None else f", {report.people.num_people} people"
    click.echo(
        f"wrote {report.output}: {report.frames} frames{who}, {report.fps:g} fps, "
        f"{report.size[0]}x{report.size[1]}, backend {report.backend}"
        f"{', with sound' if report.audio else ''} ({parts})",
        err=True,
    )


def _settings(backend: str, renderer_model: Path | None, device: str) -> dict:
    """Constructor settings of the chosen backend from the command line."""
    if renderer_model is None:
        return {}
    return {"model": renderer_model, "device": device}


def _backend_options(f):
    opts = [
        click.option(
            "--backend",
            default="reference",
            show_default=True,
            help="Renderer backend (see `retarget env` for the installed ones).",
        ),
        click.option("--background", default="source", show_default=True, help=BACKGROUND_HELP),
        click.option(
            "--source-frame",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="Frame of a source VIDEO to take the person from.",
        ),
        max_side_option("Processing and output size: long side in pixels (never enlarged)."),
        retargeter_option(),
        click.option(
            "--renderer-model",
            type=click.Path(path_type=Path),
            default=None,
            help="Model folder of the backend (the learned backend's `retarget train-renderer` output).",
        ),
        device_option,
    ]
    for o in reversed(opts):
        f = o(f)
    return f


@click.command("render")
@click.argument("poses_path", metavar="POSES", type=click.Path(path_type=Path), required=False)
@click.option(
    "--skeleton",
    "skeleton_path",
    type=click.Path(path_type=Path),
    default=None,
    hidden=True,
    help="Deprecated spelling of the POSES argument.",
)
@click.option(
    "--source",
    "source_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Photo or video of the person to show.",
)
@output_option("MP4 file to write.")
@click.option(
    "--fit",
    type=click.Choice(FITS),
    default="retarget",
    show_default=True,
    help="retarget: onto the source's body, placed at the source person; place: scaled and placed only; none: coordinates as they are.",
)
@click.option(
    "--fps", type=FrameRate(), default=None, help="Output frame rate (default: the sequence's)."
)
@_backend_options
def render_cmd(
    poses_path: Path | None,
    skeleton_path: Path | None,
    source_path: Path,
    output: Path,
    fit: str,
    fps: float | None,
    backend: str,
    background: str,
    source_frame: int,
    max_side: int,
    model_dir: str | None,
    renderer_model: Path | None,
    device: str,
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
        backend=backend,
        background=background,
        source_frame=source_frame,
        fit=fit,
        max_side=max_side,
        fps=fps,
        model=model_dir,
        device=device,
        renderer_settings=_settings(backend, renderer_model, device),
    )
    _report(report)


@click.command("video")
@click.argument("source_path", metavar="SOURCE", type=click.Path(path_type=Path))
@click.argument("driving_path", metavar="DRIVING", type=click.Path(path_type=Path))
@output_option("MP4 file to write.")
@view_option()
@click.option(
    "--start-frame",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="First driving frame to use.",
)
@click.option(
    "--max-frames", type=click.IntRange(min=1), default=None, help="Use at most N driving frames."
)
@denoise_options("the driving poses")
@people_option
@_backend_options
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
    backend: str,
    background: str,
    source_frame: int,
    max_side: int,
    model_dir: str | None,
    renderer_model: Path | None,
    device: str,
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
        backend=backend,
        view=read_view(view, {}),
        start_frame=start_frame,
        max_frames=max_frames,
        max_side=max_side,
        source_frame=source_frame,
        background=background,
        model=model_dir,
        device=device,
        denoise_method=denoise_choice(denoise_method, no_denoise),
        renderer_settings=_settings(backend, renderer_model, device),
        people=people,
    )
    _report(report)


def _frames(ctx: click.Context, param: click.Parameter, text: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in str(text).split(":"))
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected A:B, e.g. 0:96") from None
    if a < 0 or b <= a + 1:
        raise click.BadParameter(f"{text!r}: expected A:B with 0 <= A < B - 1, e.g. 0:96")
    return a, b


@click.command("train-renderer")
@click.argument("video_path", metavar="VIDEO", type=click.Path(path_type=Path))
@output_option("Model folder to write.")
@click.option(
    "--frames",
    default="0:96",
    callback=_frames,
    show_default=True,
    help="Frames A:B to learn from; frame A is the source.",
)
@click.option(
    "--size",
    type=click.Choice(["S", "M", "L"], case_sensitive=False),
    default=None,
    help="Network size: S (CPU, minutes), M, L (GPU). [default: L on a GPU, S on the CPU]",
)
@training_options(iterations=None, batch=None, lr=None, minutes=5.0)
@max_side_option("Processing size, as for `retarget video`.")
@retargeter_option("The training targets are made as `retarget video` makes them. ")
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run in --output from its state.pt (its settings; --minutes is the total).",
)
@device_option
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
