"""Outputs written to a temporary path and renamed at the end.

A failed run leaves nothing half-written behind and never overwrites a good output.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .errors import OutputError


def check_output_path(path: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """Fail early, before any work, if ``path`` cannot be written.

    Raises :class:`OutputError` when the parent folder is missing or not writable, when the
    path is an existing folder where a file is expected, or when it equals an input.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    for src in inputs:
        with contextlib.suppress(OSError):
            if Path(src).exists() and path.exists() and path.resolve() == Path(src).resolve():
                raise OutputError(f"{path}: output path is the same as an input; choose another")
        if Path(src).resolve() == path.resolve():
            raise OutputError(f"{path}: output path is the same as an input; choose another")
    if not parent.is_dir():
        raise OutputError(f"{path}: folder {parent} does not exist; create it or choose another -o")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: folder {parent} is not writable; choose another -o")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{path}: file exists and is not writable; choose another -o")
    return path


def temporary_name(path: str | Path) -> re.Pattern[str]:
    """The names :func:`atomic_file` and :func:`atomic_dir` give their temporaries for
    ``path`` (``.NAME.xxxxxxxx...`` beside it, hidden). A process killed mid-write (SIGKILL)
    leaves one behind; a later run can remove them (:func:`remove_temporaries`)."""
    path = Path(path)
    stems = {re.escape(path.stem), re.escape(path.name)}
    return re.compile(rf"^\.(?:{'|'.join(sorted(stems))})\.(?:old\.)?[a-z0-9_]{{8}}(?:\.[^/]*)?$")


def remove_temporaries(paths: Sequence[str | Path]) -> list[Path]:
    """Remove what writes to ``paths`` left half-done (see :func:`temporary_name`); each
    folder is listed once. Only for outputs no other process is writing now. Returns the
    removed paths."""
    by_dir: dict[Path, list[re.Pattern[str]]] = {}
    for p in paths:
        p = Path(p)
        by_dir.setdefault(p.parent, []).append(temporary_name(p))
    removed = []
    for folder, patterns in by_dir.items():
        try:
            names = [n for n in os.listdir(folder) if n.startswith(".")]
        except OSError:
            continue
        for name in names:
            if any(pat.match(name) for pat in patterns):
                target = folder / name
                if target.is_dir():
                    shutil.rmtree(target, ignore_errors=True)
                else:
                    target.unlink(missing_ok=True)
                removed.append(target)
    return removed


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _publish_mode(tmp: Path, is_dir: bool) -> None:
    """Give a temporary output the permissions a plainly created one would have: mkstemp and
    mkdtemp create 0600/0700, which would hide results from other users and tools."""
    os.chmod(tmp, (0o777 if is_dir else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_file(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary file path beside ``path``; rename it onto ``path`` on success.

    ``suffix`` defaults to ``path``'s own, so libraries that pick a format by extension
    (PyAV, matplotlib) still see it.
    """
    path = Path(path)
    check_output_path(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.stem}.",
        suffix=suffix if suffix is not None else path.suffix,
        dir=path.parent or ".",
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _publish_mode(tmp_path, is_dir=False)
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(
    path: str | Path, owned: Callable[[Path], bool] | None = None, overwrite: bool = False
) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` on success.

    An existing folder is only ever replaced as a whole when everything in it is the
    writer's own (``owned(entry)``, e.g. ``*_keypoints.json``; with ``owned`` None: nothing
    is). Anything else in it (an input, other results, subfolders) makes this an
    :class:`OutputError` before any work, unless ``overwrite``: then those entries are kept,
    moved into the new folder, and only the writer's own files are replaced.
    """
    path = Path(path)
    check_output_path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder; choose another -o")
    foreign = [] if not path.is_dir() else [e for e in path.iterdir() if not (owned and owned(e))]
    if foreign and not overwrite:
        raise OutputError(
            f"{path}: the folder holds files this command does not write ({foreign[0].name}"
            f"{f' and {len(foreign) - 1} more' if len(foreign) > 1 else ''}); choose a new or "
            "empty folder, or pass `overwrite` to write into it (those files are kept)"
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent or "."))
    try:
        yield tmp
        _publish_mode(tmp, is_dir=True)
        for entry in foreign:  # kept: the user's files stay where they were
            if not (tmp / entry.name).exists():
                os.replace(entry, tmp / entry.name)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent or "."))
            os.replace(path, old / "x")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
