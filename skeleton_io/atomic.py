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
from typing import Any

from .errors import OutputError


def check_output_path(
    path: str | Path, inputs: Sequence[str | Path] = (), folder: bool | None = None
) -> Path:
    """Fail early, before any work, if ``path`` cannot be written.

    Raises :class:`OutputError` when the parent folder is missing or not writable, when it
    equals an input, or when it is an existing folder where a file is written
    (``folder=False``) or an existing file where a folder is (``folder=True``).
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    for src in inputs:
        if not isinstance(src, (str, os.PathLike)):  # not read from a path: no clash
            continue
        with contextlib.suppress(OSError):
            if Path(src).exists() and path.exists() and os.path.samefile(src, path):
                raise OutputError(f"{path}: output path is the same as an input; choose another")
        if os.path.realpath(src) == os.path.realpath(path):
            raise OutputError(f"{path}: output path is the same as an input; choose another")
    if not parent.is_dir():
        why = "is not a folder" if parent.exists() else "does not exist"
        raise OutputError(f"{path}: {parent} {why}; create the folder or choose another output")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: folder {parent} is not writable; choose another output")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{path}: file exists and is not writable; choose another output")
    if path.exists() and not (path.is_file() or path.is_dir()):
        raise OutputError(
            f"{path}: not a regular file or folder (a device, a pipe?); choose another output"
        )
    if folder is False and path.is_dir():
        raise OutputError(f"{path}: is a folder; name a file to write (or remove the folder)")
    if folder is True and path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder; choose another output")
    if path.is_symlink() and not path.exists():
        raise OutputError(f"{path}: a broken symbolic link or a link loop; choose another output")
    try:  # root passes os.access everywhere: try for real (an unnamed file, nothing left)
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise OutputError(
            f"{path}: cannot write in {parent} ({e.strerror or e}); choose another output"
        ) from None
    return path


def check_folder_output(
    path: str | Path,
    owned: Callable[[Path], bool] | None = None,
    overwrite: bool | None = False,
) -> list[Path]:
    """The entries of an existing output folder ``path`` that its writer does not own
    (``owned(entry)``; None: it owns nothing), after :func:`check_output_path`. Unless
    ``overwrite`` any such entry is an :class:`OutputError` (None: the writer cannot keep
    them, so the message does not offer it). Call it before any work: the folder would be
    refused at the end anyway."""
    path = Path(path)
    check_output_path(path, folder=True)
    foreign = [] if not path.is_dir() else [e for e in path.iterdir() if not (owned and owned(e))]
    if foreign and not overwrite:
        offer = (
            ""
            if overwrite is None
            else ", or pass `overwrite` to write into it (those files are kept)"
        )
        raise OutputError(
            f"{path}: the folder holds files this command does not write ({foreign[0].name}"
            f"{f' and {len(foreign) - 1} more' if len(foreign) > 1 else ''}); choose a new or "
            f"empty folder{offer}"
        )
    return foreign


def _temporary(path: Path, make: Callable[..., Any], **kw: Any) -> Path:
    """A temporary beside ``path`` (``make``: mkstemp or mkdtemp), or :class:`OutputError`
    naming ``path`` (not the temporary) when the folder does not take new files."""
    try:
        made = make(dir=path.parent or ".", **kw)
    except OSError as e:
        raise OutputError(
            f"{path}: cannot write in {path.parent} ({e.strerror or e}); choose another output"
        ) from None
    if isinstance(made, tuple):
        os.close(made[0])
        made = made[1]
    return Path(made)


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


_pending_stop: list[BaseException] = []


def request_stop(exc: BaseException) -> None:
    """For a signal handler, before it raises ``exc``: a signal that lands while Python runs
    a weakref or garbage-collector callback has its exception printed and dropped, and the
    command would go on to publish its output; :func:`atomic_file` and :func:`atomic_dir`
    raise ``exc`` at their next publish instead, so that nothing is written after a stop."""
    _pending_stop[:] = [exc]


def clear_stop() -> None:
    """Forget a :func:`request_stop` (the stop was handled)."""
    _pending_stop.clear()


def _raise_pending_stop() -> None:
    if _pending_stop:
        raise _pending_stop.pop()


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
    check_output_path(path, folder=False)
    tmp_path = _temporary(
        path, tempfile.mkstemp, prefix=f".{path.stem}.",
        suffix=suffix if suffix is not None else path.suffix,
    )  # fmt: skip
    try:
        yield tmp_path
        _raise_pending_stop()
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
    foreign = check_folder_output(path, owned, overwrite or (None if owned is None else False))
    tmp = _temporary(path, tempfile.mkdtemp, prefix=f".{path.name}.")
    try:
        yield tmp
        _raise_pending_stop()
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
