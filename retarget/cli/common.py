"""Shared pieces of the CLI: the group, error handling, common options."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from skeleton_io.errors import RetargetError
from skeleton_io.io import LOAD_FORMATS, SAVE_FORMATS
from skeleton_io.skeleton import SKELETONS

EXIT_USAGE = 2


class _OneLineError(click.ClickException):
    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class RetargetGroup(click.Group):
    """A click group that turns the toolkit's errors into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RetargetError as e:
            raise _OneLineError(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
        except FileNotFoundError as e:
            raise _OneLineError(f"{e.filename}: no such file or folder") from None
        except PermissionError as e:
            raise _OneLineError(f"{e.filename}: permission denied") from None


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _setup_logging(verbose: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.captureWarnings(True)
    warnings.filterwarnings("ignore", module="google.protobuf")


@click.group(cls=RetargetGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.version_option(package_name="retarget")
def cli(verbose: int) -> None:
    """Skeleton-level motion retargeting: extract poses, retarget the motion of one person
    onto the body of another from any view, denoise, plot and render."""
    _setup_logging(verbose)


def main() -> None:
    cli(prog_name="retarget")


# ----------------------------------------------------------------- shared options
class CanvasSize(click.ParamType):
    """``WIDTHxHEIGHT`` in pixels, e.g. ``1280x720``."""

    name = "canvas"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        try:
            w, h = (int(v) for v in str(value).lower().split("x"))
            if w > 0 and h > 0:
                return (w, h)
        except ValueError:
            pass
        self.fail(f"{value!r} is not WIDTHxHEIGHT in pixels, e.g. 1280x720", param, ctx)


def input_options(f: Callable) -> Callable:
    """Options every command that reads a pose sequence takes."""
    opts = [
        click.option(
            "--input-format",
            type=click.Choice(LOAD_FORMATS),
            default=None,
            help="Format of the input (default: recognised from the path and content).",
        ),
        click.option(
            "--fps",
            type=float,
            default=None,
            help="Frame rate for inputs that have none (OpenPose JSON, CSV, images).",
        ),
        click.option(
            "--canvas",
            type=CanvasSize(),
            default=None,
            metavar="WIDTHxHEIGHT",
            help="Frame size in pixels for inputs that do not store it (OpenPose JSON, CSV); needed to write COCO.",
        ),
        click.option(
            "--start-frame",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="First frame to use.",
        ),
        click.option(
            "--max-frames", type=click.IntRange(min=1), default=None, help="Use at most N frames."
        ),
        click.option(
            "--max-side",
            type=click.IntRange(min=64),
            default=512,
            show_default=True,
            help="Videos and images are scaled so their long side is at most PX for pose estimation (coordinates stay in original pixels).",
        ),
        click.option(
            "--smpl-model",
            type=click.Path(),
            default=None,
            help="SMPL/SMPL-H model file or folder, for AMASS .npz inputs.",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def pose_output_option(f: Callable) -> Callable:
    """``-o/--output`` of every command that writes a pose sequence."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(path_type=Path),
        required=True,
        help="Output file (or folder for --format openpose).",
    )(f)


def device_option(f: Callable) -> Callable:
    """``--device auto|cpu|cuda`` (auto: CUDA when there is one)."""
    return click.option(
        "--device",
        type=click.Choice(["auto", "cpu", "cuda"]),
        default="auto",
        show_default=True,
        help="Where torch runs (auto: the GPU when there is one).",
    )(f)


def mocap_data_option(help: str = "Folder of BVH motion capture.") -> Callable:
    """``--data FOLDER`` of the commands that read the motion capture library."""
    return click.option(
        "--data",
        type=click.Path(path_type=Path),
        default=Path(os.environ.get("RETARGET_MOCAP", "../shared/mocap")),
        show_default=True,
        help=help + " $RETARGET_MOCAP sets the default.",
    )


def denoise_options(what: str, default: str = "learned") -> Callable:
    """``--denoise METHOD`` and its shortcut ``--no-denoise`` (passed on as ``denoise_method``;
    see :func:`denoise_choice`)."""

    def deco(f: Callable) -> Callable:
        f = click.option(
            "--no-denoise",
            "no_denoise",
            is_flag=True,
            help="Use the detections as they are (same as --denoise none).",
        )(f)
        return click.option(
            "--denoise",
            "denoise_method",
            default=default,
            show_default=True,
            help=f"Denoise {what} first: a `retarget denoise` method (learned, savgol, "
            "gaussian, oneeuro, none).",
        )(f)

    return deco


def denoise_choice(denoise_method: str, no_denoise: bool) -> str:
    """The method ``--denoise``/``--no-denoise`` select (``"none"`` to skip)."""
    return "none" if no_denoise else denoise_method


def output_format_option(f: Callable) -> Callable:
    return click.option(
        "--format",
        "out_format",
        type=click.Choice(SAVE_FORMATS),
        default="native",
        show_default=True,
        help="Output format: native .npz, OpenPose JSON folder, COCO JSON, CSV or BVH.",
    )(f)


def skeleton_option(default: str | None = None) -> Callable:
    return click.option(
        "--skeleton",
        type=click.Choice(list(SKELETONS)),
        default=default,
        help="Skeleton of the output (default: the format's own, else the input's).",
    )


def read_pose_kwargs(**kw: Any) -> dict[str, Any]:
    """Map the CLI's input options to :func:`skeleton_io.load_file` keyword arguments."""
    fmt = kw.get("input_format")
    out: dict[str, Any] = {
        "format": fmt,
        "start_frame": kw.get("start_frame", 0),
        "max_frames": kw.get("max_frames"),
    }
    if kw.get("fps") is not None:
        out["fps"] = kw["fps"]
    if kw.get("canvas") is not None:
        out["canvas"] = kw["canvas"]
    if kw.get("max_side") is not None:
        out["max_side"] = kw["max_side"]
    if kw.get("smpl_model") is not None:
        out["model_path"] = kw["smpl_model"]
    return out
