"""The items of a batch: from a folder, a glob or a manifest, each with its output path.

* A **folder**: every file in it and its subfolders that the job reads (by extension, see
  :attr:`Job.suffixes`), plus, where the job reads pose files, every subfolder holding
  OpenPose ``*.json`` (one item). Outputs mirror the tree under the output folder.
* A **glob** (``clips/**/*.mp4``; quote it): the matching paths; outputs mirror the tree
  below the pattern's fixed prefix (``clips/``).
* A **manifest** (``.csv`` with a header row, or ``.jsonl`` with one object per line): one
  row per item; the ``input`` column is required (relative paths are relative to the
  manifest's folder), ``output`` is optional (relative to the output folder), every other
  column is a per-item option of the job (:attr:`Job.options`; an empty CSV cell or a
  missing key takes the command's value).

An item's key is its input's path relative to the tree's root (or the manifest's row
number and input); outputs that collide are an error before anything runs.
"""

from __future__ import annotations

import csv
import glob
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skeleton_io.errors import InputNotFoundError, InvalidArgumentError

MANIFEST_SUFFIXES = (".csv", ".jsonl")
RESERVED_COLUMNS = ("input", "output")


@dataclass(frozen=True)
class Item:
    """One unit of work: read ``input``, write ``output`` (``options``: per-item overrides)."""

    key: str
    input: Path
    output: Path
    options: dict[str, Any] = field(default_factory=dict)


def is_manifest(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES


def _is_glob(text: str) -> bool:
    return glob.has_magic(text)


OPENPOSE_FRAME = "_keypoints.json"
"""How OpenPose names its per-frame files; a subfolder holding such files is one item."""


def _is_openpose_folder(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*" + OPENPOSE_FRAME))


def _walk(root: Path, suffixes: frozenset[str], folders: bool, exclude: Path) -> list[Path]:
    """Files under ``root`` with one of ``suffixes``, and (``folders``) subfolders of
    OpenPose frames, sorted. Hidden entries (atomic writes' temporaries) and the folder
    ``exclude`` (the outputs, when they lie inside the inputs) are skipped."""
    found: list[Path] = []
    exclude = exclude.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            n for n in dirnames if not n.startswith(".") and (here / n).resolve() != exclude
        )
        if folders and here != root and any(f.endswith(OPENPOSE_FRAME) for f in filenames):
            found.append(here)
            dirnames[:] = []
            continue
        for f in filenames:
            if f.startswith(".") or (folders and f.endswith(OPENPOSE_FRAME)):
                continue
            if Path(f).suffix.lower() in suffixes:
                found.append(here / f)
    return sorted(found)


def output_path(out_dir: Path, rel: Path, out_suffix: str) -> Path:
    """Where an input at ``rel`` (relative to its tree) writes: the same place under
    ``out_dir`` with ``out_suffix`` ("" for folder outputs: the name without extension)."""
    name = rel.name if rel.suffix == "" else rel.stem
    return out_dir / rel.parent / (name + out_suffix)


def discover(
    inputs: str | Path,
    out_dir: Path,
    *,
    suffixes: frozenset[str],
    folders: bool,
    out_suffix: str,
    option_parsers: dict[str, Callable[[Any], Any]],
    path_options: tuple[str, ...] = (),
) -> list[Item]:
    """The items of ``inputs`` (a folder, a glob or a manifest; see the module docstring).

    Raises:
        InputNotFoundError: ``inputs`` does not exist / matches nothing.
        InvalidArgumentError: a manifest without an ``input`` column or with unknown
            columns, bad option values, an empty folder, or two items with one output.
    """
    text = str(inputs)
    path = Path(text)
    if is_manifest(path):
        items = read_manifest(path, out_dir, out_suffix, option_parsers, path_options)
        what = f"{path}: the manifest has no rows"
    elif path.is_dir():
        root = path
        items = [
            Item(str(p.relative_to(root)), p, output_path(out_dir, p.relative_to(root), out_suffix))
            for p in _walk(root, suffixes, folders, out_dir)
        ]
        kinds = " ".join(sorted(suffixes)) + (", OpenPose folders" if folders else "")
        what = f"{path}: no inputs this job reads ({kinds}) in the folder or its subfolders"
    elif _is_glob(text):
        root = _glob_root(text)
        matched = sorted(Path(p) for p in glob.glob(text, recursive=True))
        items = [
            Item(str(_rel(p, root)), p, output_path(out_dir, _rel(p, root), out_suffix))
            for p in matched
            if p.is_file() or (folders and _is_openpose_folder(p))
        ]
        what = f"{text}: the pattern matches no file"
    elif path.exists():
        raise InvalidArgumentError(
            f"{path}: `inputs` must be a folder, a glob (quoted) or a manifest "
            f"({', '.join(MANIFEST_SUFFIXES)}); for one file use the single command"
        )
    else:
        raise InputNotFoundError(f"{path}: no such file or folder; check `inputs`")
    if not items:
        raise InvalidArgumentError(what)
    _check_unique_outputs(items)
    return items


def _glob_root(pattern: str) -> Path:
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if _is_glob(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _rel(p: Path, root: Path) -> Path:
    try:
        return p.relative_to(root)
    except ValueError:
        return Path(p.name)


def _check_unique_outputs(items: list[Item]) -> None:
    seen: dict[Path, str] = {}
    for it in items:
        out = it.output.resolve()
        if out == it.input.resolve():
            raise InvalidArgumentError(
                f"{it.key}: its output would replace the input {it.input}; choose another `out_dir`"
            )
        if out in seen:
            raise InvalidArgumentError(
                f"{seen[out]} and {it.key} would both write {it.output}; rename one or give "
                "outputs in a manifest's output column"
            )
        seen[out] = it.key


# --------------------------------------------------------------------- manifests
def read_manifest(
    path: Path,
    out_dir: Path,
    out_suffix: str,
    option_parsers: dict[str, Callable[[Any], Any]],
    path_options: tuple[str, ...] = (),
) -> list[Item]:
    """Items of a CSV or JSONL manifest (see the module docstring)."""
    rows = _manifest_rows(path)
    if not rows:
        return []
    columns = {k for row in rows for k in row}
    if "input" not in columns:
        raise InvalidArgumentError(
            f"{path}: the manifest has no 'input' column (columns: {', '.join(sorted(columns))}); "
            "add one naming each item's input file"
        )
    unknown = sorted(columns - set(RESERVED_COLUMNS) - set(option_parsers))
    if unknown:
        raise InvalidArgumentError(
            f"{path}: unknown manifest column(s) {', '.join(unknown)}; this job takes "
            f"{', '.join([*RESERVED_COLUMNS, *sorted(option_parsers)])}"
        )
    base = path.parent
    items = []
    for n, row in enumerate(rows, start=1):
        where = f"{path}: row {n}"
        src = row.get("input")
        if src in (None, ""):
            raise InvalidArgumentError(f"{where}: empty input")
        src_path = _resolve(base, str(src))
        out = row.get("output")
        rel = Path(str(src)) if not Path(str(src)).is_absolute() else Path(Path(str(src)).name)
        dst = (
            _resolve(out_dir, str(out))
            if out not in (None, "")
            else output_path(out_dir, rel, out_suffix)
        )
        options = {}
        for key, value in row.items():
            if key in RESERVED_COLUMNS or value in (None, ""):
                continue
            try:
                value = option_parsers[key](value)
            except (TypeError, ValueError) as e:
                raise InvalidArgumentError(f"{where}: bad {key} {value!r} ({e})") from None
            if key in path_options and isinstance(value, (str, Path)):
                if not (isinstance(value, str) and value in ("motion", "structure")):
                    value = _resolve(base, str(value))
            options[key] = value
        items.append(Item(f"{n}:{src}", src_path, dst, options))
    return items


def _resolve(base: Path, text: str) -> Path:
    p = Path(text).expanduser()
    return p if p.is_absolute() else base / p


def _manifest_rows(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidArgumentError(f"{path}: not a UTF-8 text manifest ({e})") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        rows = []
        for row in reader:
            if None in row:
                raise InvalidArgumentError(
                    f"{path}: line {reader.line_num} has more cells than the header"
                )
            rows.append({k.strip(): (v.strip() if isinstance(v, str) else v)
                         for k, v in row.items() if k})  # fmt: skip
        return rows
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise InvalidArgumentError(f"{path}: line {n} is not JSON ({e})") from None
        if not isinstance(row, dict):
            raise InvalidArgumentError(f"{path}: line {n} is not a JSON object")
        rows.append(row)
    return rows
