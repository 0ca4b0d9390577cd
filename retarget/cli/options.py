"""The CLI's shared options and parameter types: canvas sizes, frame rates, the input
options, ``--view``, ``--denoise``, ``--device``, the training budget, the pose output
options; :func:`read_pose_kwargs` maps the input options to :func:`skeleton_io.load_file`'s
arguments."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from skeleton_io.checks import FPS_MAX, FPS_MIN, MAX_CANVAS_SIDE, check_fps
from skeleton_io.errors import InputNotFoundError, RetargetError
from skeleton_io.io import IMAGE_EXTS, LOAD_FORMATS, SAVE_FORMATS
from skeleton_io.skeleton import SKELETONS

from ..device import DEVICES


class CanvasSize(click.ParamType):
    """``WIDTHxHEIGHT`` in pixels, e.g. ``1280x720``, or an image file whose size to take."""

    name = "canvas"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        path = Path(str(value))
        if path.suffix.lower() in IMAGE_EXTS:
            if not path.is_file():
                raise InputNotFoundError(f"{path}: no such image for --canvas; check the path")
            from skeleton_io.video_io import probe

            info = probe(path)
            return (info.width, info.height)
        try:
            w, h = (int(v) for v in str(value).lower().split("x"))
            if 0 < w <= MAX_CANVAS_SIDE and 0 < h <= MAX_CANVAS_SIDE:
                return (w, h)
        except ValueError:
            pass
        self.fail(
            f"{value!r} is not WIDTHxHEIGHT in pixels (1 to {MAX_CANVAS_SIDE} each), e.g. 1280x720",
            param,
            ctx,
        )


class FrameRate(click.ParamType):
    """A frame rate in frames per second (:func:`skeleton_io.checks.check_fps`'s range)."""

    name = "fps"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            return check_fps(float(value))
        except (ValueError, RetargetError):
            self.fail(f"{value!r} is not a frame rate from {FPS_MIN:g} to {FPS_MAX:g}", param, ctx)


class Finite(click.FloatRange):
    """A finite number (click's FloatRange lets NaN through), optionally within a range."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        out = super().convert(value, param, ctx)
        if out is not None and not math.isfinite(out):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return out


class PeopleParam(click.ParamType):
    """``all``, ``main`` or a number of people >= 1 (see :func:`people_count`)."""

    name = "people"

    def convert(self, value: Any, param: Any, ctx: Any) -> str | int:
        text = str(value).strip().lower()
        if text in ("all", "main"):
            return text
        try:
            if int(text) >= 1:
                return int(text)
        except ValueError:
            pass
        self.fail(f"{value!r} is not all, main or a number of people >= 1", param, ctx)


def people_option(f: Callable) -> Callable:
    """``--people all|main|N`` of the commands that read poses of several people."""
    return click.option(
        "--people",
        type=PeopleParam(),
        default="main",
        show_default=True,
        metavar="all|main|N",
        help="Whom to follow in a video, image or multi-person file: `main` one person (the "
        "largest when first seen), `all` everyone, N the N largest on average; each person "
        "keeps one track id through the clip.",
    )(f)


def person_options(f: Callable) -> Callable:
    """``--people`` and ``--person ID`` of the commands that draw several people."""
    f = click.option(
        "--person",
        type=click.IntRange(min=0),
        default=None,
        metavar="ID",
        help="Only the person with this track id (as `retarget extract --people all` numbers "
        "them; a video or image is then tracked).",
    )(f)
    return click.option(
        "--people",
        type=PeopleParam(),
        default=None,
        metavar="all|main|N",
        help="Whom to draw: all, main (one person) or the N largest on average [default: "
        "everyone a pose file holds; the main person of a video or image].",
    )(f)


def people_count(people: str | int) -> int | None:
    """``--people`` as :func:`skeleton_io.load_group`'s ``people`` (None: everyone)."""
    return None if people == "all" else int(people)


def input_options(f: Callable | None = None, *, canvas: bool = True) -> Callable:
    """Options every command that reads a pose sequence takes (``@input_options``;
    ``@input_options(canvas=False)`` for a command with a ``--canvas`` of its own)."""
    if f is None:
        return lambda g: input_options(g, canvas=canvas)
    opts = [
        click.option(
            "--input-format",
            type=click.Choice(LOAD_FORMATS),
            default=None,
            help="Format of the input (default: recognised from the path and content).",
        ),
        click.option(
            "--fps",
            type=FrameRate(),
            default=None,
            help="Frame rate for inputs that have none (OpenPose JSON, CSV, images).",
        ),
        click.option(
            "--canvas",
            type=CanvasSize(),
            default=None,
            metavar="WIDTHxHEIGHT",
            help="Frame size in pixels (WIDTHxHEIGHT, or an image of that size) for inputs that do not store it (OpenPose JSON, CSV); needed to write COCO and DWPose JSON.",
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
        max_side_option(
            "Videos and images are scaled so their long side is at most PX for pose "
            "estimation (coordinates stay in original pixels)."
        ),
        click.option(
            "--smpl-model",
            type=click.Path(),
            default=None,
            help="SMPL/SMPL-H model file or folder, for AMASS .npz inputs.",
        ),
    ]
    if not canvas:
        del opts[2]  # the --canvas option above
    for o in reversed(opts):
        f = o(f)
    return f


def pose_output_option(f: Callable) -> Callable:
    """``-o/--output`` of every command that writes a pose sequence."""
    return output_option(
        "Output file (or folder for --format openpose, and dwpose without .json)."
    )(f)


def device_option(f: Callable) -> Callable:
    """``--device auto|cpu|cuda`` (auto: CUDA when there is one)."""
    return click.option(
        "--device",
        type=click.Choice(DEVICES),
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


_NO_LR = object()


def training_options(
    iterations: int | None,
    batch: int | None,
    lr: float | None | object = _NO_LR,
    minutes: float | None = None,
) -> Callable:
    """The budget options every training command takes: ``--iterations``, ``--minutes``,
    ``--batch``, ``--seed`` (and ``--lr`` where ``lr`` is given; None: the model's own);
    the run ends at whichever of iterations or minutes comes first
    (:class:`retarget.nn.Schedule`). None defaults mean: no step limit (``iterations``), the
    model's own (``batch``)."""

    def deco(f: Callable) -> Callable:
        opts = [
            click.option("--iterations", type=click.IntRange(min=1), default=iterations,
                         show_default=iterations is not None,
                         help="Most training steps." + (" [default: no limit]" if iterations is None else "")),
            click.option("--minutes", type=Finite(min=0, min_open=True), default=minutes,
                         show_default=minutes is not None,
                         help="Most wall time; the learning-rate schedule fits in it."),
            click.option("--batch", type=click.IntRange(min=2), default=batch,
                         show_default=batch is not None,
                         help="Training samples per step." + (" [default: the model size's]" if batch is None else "")),
            click.option("--seed", type=int, default=0, show_default=True, help="Random seed."),
        ]  # fmt: skip
        if lr is not _NO_LR:
            opts.append(click.option("--lr", type=Finite(min=0, min_open=True),
                                     default=lr, show_default=lr is not None,
                                     help="Initial learning rate." + (" [default: the model size's]" if lr is None else "")))  # fmt: skip
        for o in reversed(opts):
            f = o(f)
        return f

    return deco


def denoise_options(what: str, default: str = "learned", default_help: str = "") -> Callable:
    """``--denoise METHOD`` and its shortcut ``--no-denoise``, the same in every command
    (passed on as ``denoise_method`` and ``no_denoise``; see :func:`denoise_choice`)."""
    from ..denoising import method_names

    choices = [*method_names(), *(["auto"] if default == "auto" else [])]

    def deco(f: Callable) -> Callable:
        f = click.option(
            "--no-denoise",
            "no_denoise",
            is_flag=True,
            help="Use the poses as they are (same as --denoise none).",
        )(f)
        return click.option(
            "--denoise",
            "denoise_method",
            type=click.Choice(choices),
            default=default,
            show_default=True,
            help=f"Denoise {what} first with this `retarget denoise` method.{default_help}",
        )(f)

    return deco


def method_options(prefix: str = "") -> Callable:
    """``-m/--method`` and ``-p/--param KEY=VALUE`` of ``retarget denoise`` (``prefix``
    starts their help where another command takes them)."""
    from ..denoising import DEFAULT_METHOD, method_names

    def deco(f: Callable) -> Callable:
        f = click.option(
            "-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
            help=prefix + "A parameter of the method, repeatable; times in seconds (savgol: "
            "window=0.2 polyorder=2; gaussian: sigma=0.03; oneeuro: min_cutoff=1 beta=10 "
            "d_cutoff=1; learned: model=DIR max_fill=1.0 fill_confidence=0.25 device=auto). "
            "An unknown KEY lists the valid ones.",
        )(f)  # fmt: skip
        return click.option(
            "-m", "--method", type=click.Choice(method_names()), default=DEFAULT_METHOD,
            show_default=True,
            help=prefix + "Smoothing: learned (the shipped network), savgol and gaussian (zero "
            "lag), oneeuro (causal), none.",
        )(f)  # fmt: skip

    return deco


def denoise_choice(denoise_method: str, no_denoise: bool) -> str:
    """The method ``--denoise``/``--no-denoise`` select (``"none"`` to skip)."""
    return "none" if no_denoise else denoise_method


class ViewParam(click.ParamType):
    """``--view``: ``motion``, ``structure``, a yaw in degrees, or a pose input whose view is
    taken (returned as a :class:`~pathlib.Path`; the command reads it)."""

    name = "view"

    def convert(self, value: Any, param: Any, ctx: Any) -> str | float | Path:
        if isinstance(value, (float, Path)) or value in ("motion", "structure"):
            return value
        if not str(value).strip():
            self.fail("empty: give motion, structure, a yaw in degrees or a pose input", param, ctx)
        try:
            yaw = float(value)
        except ValueError:
            if Path(value).exists():
                return Path(value)
            self.fail(
                f"{value}: not motion, structure, a yaw in degrees, nor an existing pose input",
                param,
                ctx,
            )
        if not math.isfinite(yaw) or abs(yaw) > 36000:
            self.fail(f"{value}: a yaw must be a finite number of degrees", param, ctx)
        return yaw


VIEW_HELP = (
    "motion (the motion's own camera view), structure (the structure's), a yaw in degrees "
    "relative to the motion's view (positive turns the performer to its own left), or a pose "
    "input whose view is taken."
)


def view_option(default: str = "motion", prefix: str = "", suffix: str = "") -> Callable:
    """``--view`` of every command that retargets (one parser: :class:`ViewParam`);
    ``prefix``/``suffix`` around its help (``retarget batch``: which jobs take it)."""
    return click.option("--view", type=ViewParam(), default=default, show_default=True,
                        metavar="motion|structure|DEG|POSES",
                        help=prefix + VIEW_HELP + suffix)  # fmt: skip


def style_option(prefix: str = "") -> Callable:
    """``--style`` of the commands that draw pose images for animators (checked by the
    command: :data:`viz.pose_image.STYLES`, imported only when drawing)."""
    return click.option(
        "--style",
        default="openpose",
        show_default=True,
        metavar="openpose|dwpose",
        help=prefix + "Draw as the ControlNet OpenPose annotator (70-point face) or the DWPose "
        "annotator (68-point face).",
    )


def output_option(help: str, dest: str | None = None) -> Callable:
    """The required ``-o/--output`` path of a command (stored as ``dest``, default
    ``output``)."""
    names = ["-o", "--output", *([dest] if dest else [])]
    return click.option(*names, type=click.Path(path_type=Path), required=True, help=help)


def max_side_option(help: str) -> Callable:
    """``--max-side PX``: the long side images and videos are scaled to (never enlarged)."""
    return click.option(
        "--max-side", type=click.IntRange(min=64), default=512, show_default=True, help=help
    )


def retargeter_option(prefix: str = "") -> Callable:
    """``--model`` of the commands that retarget: a run folder or an analytic retargeter's
    name (:func:`retarget.retargeters.load_retargeter` takes either)."""

    def not_empty(ctx: Any, param: Any, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise click.BadParameter("empty; give a run folder or a retargeter's name")
        return value

    return click.option(
        "--model",
        "model_dir",
        default=None,
        callback=not_empty,
        metavar="RUN_DIR|NAME",
        help=prefix + "Retargeting model: a run folder of `retarget train` or an analytic "
        "retargeter's name (limb, edn, musepose, unianimate, mimicmotion, ...); default: the "
        "shipped model.",
    )


def reference_frame_option(prefix: str = "") -> Callable:
    """``--reference-frame`` of the commands that align onto a reference person."""
    return click.option(
        "--reference-frame",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help=prefix + "The frame of a reference video or pose file that shows the person.",
    )


def output_format_option(f: Callable) -> Callable:
    return click.option(
        "--format",
        "out_format",
        type=click.Choice(SAVE_FORMATS),
        default="native",
        show_default=True,
        help="Output format: native .npz, OpenPose JSON folder, DWPose annotator JSON (a .json "
        "file of all frames, or a folder), COCO or COCO-WholeBody JSON, CSV or BVH.",
    )(f)


def skeleton_option(default: str | None = None) -> Callable:
    return click.option(
        "--skeleton",
        type=click.Choice(list(SKELETONS)),
        default=default,
        help="Skeleton of the output (default: the format's own, else the input's).",
    )


def overwrite_option(f: Callable) -> Callable:
    """``--overwrite``: write into an existing output folder that holds other files."""
    return click.option(
        "--overwrite",
        is_flag=True,
        help="Write into an existing output folder that holds other files (they are kept; "
        "only this command's own files are replaced). Without it such a folder is refused.",
    )(f)


def pose_io_options(f: Callable) -> Callable:
    """What every command that reads one pose sequence and writes one takes: ``-o``,
    ``--format``, ``--skeleton``, ``--overwrite`` and the input options."""
    for deco in (
        input_options, overwrite_option, skeleton_option(), output_format_option,
        pose_output_option,
    ):  # fmt: skip
        f = deco(f)
    return f


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
