"""The toolkit's one error hierarchy.

Every error the toolkit raises on purpose derives from :class:`RetargetError`, and also from
the built-in type a caller would naturally catch (``ValueError``, ``OSError``,
``ImportError``). Messages say what was expected, what came, and how to fix the call; the
CLI prints them as one line and exits with code 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


class RetargetError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class PoseFormatError(RetargetError, ValueError):
    """A pose file could not be parsed (bad content, unknown channel, truncated file)."""


class UnknownFormatError(RetargetError, ValueError):
    """The input's format could not be recognised from its name or content."""


class SkeletonMismatchError(RetargetError, ValueError):
    """Two skeletons or a skeleton and an array do not fit together."""


class NoPersonFoundError(RetargetError, ValueError):
    """A video or image in which the pose estimator found nobody at all."""


class VideoReadError(RetargetError, OSError):
    """A video or image could not be opened or decoded."""


class OutputError(RetargetError, OSError):
    """An output path cannot be written (missing folder, no permission, same as an input)."""


class MissingDependencyError(RetargetError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class ModelError(RetargetError, ValueError):
    """A model checkpoint is missing, incomplete or does not fit the data."""


def require_files(folder: Path, names: Sequence[str], what: str, hint: str) -> None:
    """Raise :class:`ModelError` ``"FOLDER: not a WHAT (missing ...); HINT"`` unless every
    file of ``names`` is in ``folder`` (model folders: weights beside their config)."""
    missing = [n for n in names if not (Path(folder) / n).exists()]
    if missing:
        raise ModelError(f"{folder}: not a {what} (missing {', '.join(missing)}); {hint}")


def missing_dependency(module: str, extra: str, what: str) -> MissingDependencyError:
    """Build the error for an optional import that failed."""
    return MissingDependencyError(
        f"{what} needs the optional package '{module}', which is not installed: "
        f"install it with `pip install 'retarget[{extra}]'`"
    )


class InputNotFoundError(RetargetError, FileNotFoundError):
    """An input path does not exist."""


class InvalidArgumentError(RetargetError, ValueError):
    """An argument's value is out of range or does not fit the data."""


class ClusterError(RetargetError, ConnectionError):
    """A compute cluster (``retarget batch --ray-address``) cannot be reached or used."""


def look_up(
    table: Mapping[_K, _V], key: _K, error: type[RetargetError], message: str, **fields: Any
) -> _V:
    """``table[key]``; where ``key`` is not in it, ``error`` with ``message`` formatted with
    ``key``, ``known`` (the table's keys, comma separated) and ``fields``, raised without the
    ``KeyError`` behind it."""
    try:
        return table[key]
    except KeyError:
        known = ", ".join(map(str, table))
        raise error(message.format(key=key, known=known, **fields)) from None
