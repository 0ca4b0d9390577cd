"""The CLI's value types and the callbacks that parse option values: paths, choices a
library module holds, canvas sizes, frame rates, finite numbers, ``--people``, ``--view``,
frame lists and ranges, ``--assign``."""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any, NamedTuple

import click

from skeleton_io.checks import FPS_MAX, FPS_MIN, MAX_CANVAS_SIDE, check_fps
from skeleton_io.errors import InputNotFoundError, RetargetError
from skeleton_io.io import IMAGE_EXTS

PATH = click.Path(path_type=Path)
"""A path, passed on as a :class:`~pathlib.Path`."""


class Choices(NamedTuple):
    """The choices a library module holds (``"module:NAME"``, plus ``extra``), imported when
    a command declares the option, not with this module: ``retarget extract`` imports
    neither the models nor matplotlib (as :data:`retarget.cli.common.COMMANDS`)."""

    where: str
    extra: tuple[str, ...] = ()

    def load(self) -> click.Choice:
        module, _, name = self.where.partition(":")
        return click.Choice([*getattr(importlib.import_module(module), name), *self.extra])


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


def not_empty(ctx: Any, param: Any, value: str | None) -> str | None:
    """``--model``: a blank value is refused (``None``, the option left out, is the default)."""
    if value is not None and not value.strip():
        raise click.BadParameter("empty; give a run folder or a retargeter's name")
    return value


def frame_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[int] | None:
    """Comma-separated frame numbers >= 0 (``--frames`` of ``retarget plot``)."""
    if value is None:
        return None
    try:
        out = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated frame numbers, got {value!r}") from None
    if not out or min(out) < 0:
        raise click.BadParameter(f"expected frame numbers >= 0, got {value!r}")
    return out


def name_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    """Comma-separated names (``--joints``); None when there are none."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()] or None


def frame_range(ctx: click.Context, param: click.Parameter, text: str) -> tuple[int, int]:
    """``A:B``, frames A to B with 0 <= A < B - 1 (``--frames`` of ``retarget train-renderer``)."""
    try:
        a, b = (int(v) for v in str(text).split(":"))
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected A:B, e.g. 0:96") from None
    if a < 0 or b <= a + 1:
        raise click.BadParameter(f"{text!r}: expected A:B with 0 <= A < B - 1, e.g. 0:96")
    return a, b


def parse_assign(values: tuple[str, ...]) -> dict[int, Path]:
    """``--assign ID=FILE`` values as {track id: path} (a usage error for a bad one)."""
    out: dict[int, Path] = {}
    for value in values:
        tid, sep, path = str(value).partition("=")
        try:
            key = int(tid)
        except ValueError:
            key = -1
        if not sep or key < 0 or not path:
            raise click.BadParameter(
                f"{value!r} is not ID=FILE (a track id >= 0, e.g. 1=body.npz)",
                param_hint="--assign",
            )
        if key in out:
            raise click.BadParameter(f"track id {key} is given twice", param_hint="--assign")
        out[key] = Path(path)
    return out
