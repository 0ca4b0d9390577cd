"""Argument checks shared by every reader, writer and command: one definition of a valid
frame rate, angle, size, coordinate, and of "somebody is in this sequence".

Messages name the parameter in backticks (`fps`); the CLI turns that into the command's
flag (``--fps``). Every check raises :class:`~skeleton_io.errors.InvalidArgumentError`
(or :class:`~skeleton_io.errors.NoPersonFoundError`), never returns a silently fixed value.
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable, Collection, Mapping
from typing import Any

import numpy as np

from .errors import InvalidArgumentError, NoPersonFoundError

FPS_MIN, FPS_MAX = 0.001, 100_000.0
"""Frame rates outside this range are refused (one frame per 1000 s; a high-speed camera)."""

MAX_COORD = 1e9
"""Coordinates beyond this magnitude (pixels, cm, ...) are refused: no body is that large,
and squaring them overflows."""

MAX_CANVAS_SIDE = 65_536
"""The largest frame side a pose sequence may state (JPEG's and H.264's limits are lower)."""

MAX_IMAGE_SIDE = 16_384
"""The largest side of an image or video the toolkit draws (16384 x 16384 RGB is 800 MB)."""

MAX_ANGLE = 36_000.0
"""Angles in degrees beyond a hundred turns are refused (no precision left in them)."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def check_fps(fps: Any, name: str | None = "fps") -> float:
    """``fps`` as a float, or :class:`InvalidArgumentError` unless it is a frame rate in
    [:data:`FPS_MIN`, :data:`FPS_MAX`] (``name``: the parameter that gave it; None for a
    value read from data, which no option can fix)."""
    v = _number(fps)
    if v is None or not FPS_MIN <= v <= FPS_MAX:
        what = f"`{name}`" if name else "the frame rate"
        raise InvalidArgumentError(
            f"{what} must be from {FPS_MIN:g} to {FPS_MAX:g} frames per second, got {fps!r}"
        )
    return v


def check_angle(value: Any, name: str) -> float:
    """A finite angle in degrees within ±:data:`MAX_ANGLE`."""
    v = _number(value)
    if v is None or not math.isfinite(v) or abs(v) > MAX_ANGLE:
        raise InvalidArgumentError(
            f"`{name}` must be a finite angle in degrees (at most {MAX_ANGLE:g} either way), "
            f"got {value!r}"
        )
    return v


def check_range(value: Any, name: str, low: float, high: float, what: str = "a number") -> float:
    """A finite number within [``low``, ``high``]."""
    v = _number(value)
    if v is None or not (math.isfinite(v) and low <= v <= high):
        raise InvalidArgumentError(
            f"`{name}` must be {what} from {low:g} to {high:g}, got {value!r}"
        )
    return v


def check_size(size: Any, name: str, high: int = MAX_IMAGE_SIDE, low: int = 1) -> int:
    """A whole number of pixels within [``low``, ``high``]."""
    v = _number(size)
    if v is None or v != int(v) or not low <= v <= high:
        raise InvalidArgumentError(
            f"`{name}` must be a whole number of pixels from {low} to {high}, got {size!r}"
        )
    return int(v)


def check_count(value: Any, name: str, low: int, high: int, what: str = "a whole number") -> int:
    """A whole number within [``low``, ``high``] (workers, threads, channels, ...)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not low <= value <= high
    ):
        raise InvalidArgumentError(f"`{name}` must be {what} from {low} to {high}, got {value!r}")
    return int(value)


def check_options(
    primary: Callable[..., Any], options: Mapping[str, Any], but: Collection[str] = ()
) -> dict[str, Any]:
    """The keyword arguments ``options`` of a function documented "other arguments as
    :func:`primary`", with ``primary``'s defaults for the optional parameters not given
    (those of ``but`` left out: the function's own, or ones it does not pass on); an option
    ``primary`` does not take is refused, naming it, as a misspelt keyword would be (unless
    ``primary`` takes any keyword, as a format's reader does to ignore other formats'
    options)."""
    params = inspect.signature(primary).parameters.values()
    defaults = {
        p.name: p.default
        for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.default is not p.empty
        and p.name not in but
    }
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    for name in options:
        if name not in defaults and not takes_any:
            raise InvalidArgumentError(
                f"unknown option `{name}`; the options are {', '.join(defaults)}"
            )
    return {**defaults, **options}


def max_local_workers() -> int:
    """The most processes (or threads) one machine is asked to run: four per core, and at
    least 64."""
    return max(64, 4 * (os.cpu_count() or 1))


def source_name(seq: Any, what: str | None = None) -> str:
    """How messages name a sequence: its file when it was read from one, else ``what``."""
    return str(seq.meta.get("source_path") or what or "the pose sequence")


def require_person(seq: Any, what: str | None = None) -> Any:
    """``seq`` (a :class:`~skeleton_io.pose.PoseSequence` or a group of people) unchanged
    when some frame has somebody in it (a joint with confidence > 0); else
    :class:`NoPersonFoundError` naming its file (or ``what``): a sequence of nobody is never
    made into a person."""
    if seq.num_frames and seq.present.any():
        return seq
    name = source_name(seq, what)
    if not seq.num_frames:
        raise NoPersonFoundError(f"{name}: no frames in it; a person is needed here")
    raise NoPersonFoundError(
        f"{name}: nobody in any of its {seq.num_frames} frames (every joint missing); "
        "a person is needed here: give a pose input with somebody in it"
    )


def require_joints(seq: Any, before: Any, target: str, what: str | None = None) -> Any:
    """``seq`` (``before`` converted to the ``target`` skeleton) unless the conversion lost
    everyone: a :class:`NoPersonFoundError` that says none of the joints are ``target``'s."""
    require_person(before, what)
    if seq.num_frames and seq.present.any():
        return seq
    names = ", ".join(before.skeleton.joints[:6]) + (", ..." if before.num_joints > 6 else "")
    raise NoPersonFoundError(
        f"{source_name(before, what)}: none of its joints ({names}) is on the {target} "
        "skeleton, so nobody is left; name the joints as the toolkit's skeletons do (Nose, Neck, RShoulder, "
        "...) or choose another input"
    )
