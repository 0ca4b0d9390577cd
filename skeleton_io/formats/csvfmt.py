"""CSV: one row per frame and joint, header ``frame,joint,x,y,z,confidence``.

``frame`` is the frame's index in the file (0, 1, ...), ``joint`` the joint's name (the
skeleton's own, e.g. ``RShoulder`` for the vocabulary skeletons or a BVH file's names),
``x, y, z`` the coordinates as the sequence holds them (pixels, x right, y down for 2D;
the source's own units and axes for 3D, e.g. a BVH file's), ``z`` empty for 2D data, and
``confidence`` in [0, 1] (0: missing, with coordinates 0). Floats are written with
``repr`` (shortest exact round trip), so saving and loading gives back the same numbers.

The file does not say the frame rate, frame size, units or up axis: ``load`` takes ``fps``
and ``canvas`` from the caller (default fps assumed with a warning and
``meta["fps_assumed"]``), and 3D data gets ``units="units"`` (unknown) and ``up="+y"``
unless the caller says otherwise (``meta["up_assumed"]`` then). The skeleton is
reconstructed from the joint names: a registered skeleton whose joints are exactly these
names (in any order; its order is used), else a skeleton of these names whose parents come
from the smallest registered skeleton that has all of them (nearest present ancestor), else
one with no parents and no bones. Frame numbers missing from the file are frames with
nobody; joints missing from a frame are missing.

**Several people** (a :class:`~skeleton_io.group.PoseGroup`): a first column ``person``
holds the track id (an integer >= 0), ``person,frame,joint,x,y,z,confidence``; every person
has a row for every frame and joint (confidence 0 where they were not seen), so the frame
count survives. :func:`load` reads such a file as its only person, or the main one with a
warning; :func:`load_group` reads every person (a file without the column: a group of one).
"""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_file
from ..checks import MAX_COORD
from ..errors import PoseFormatError
from ..group import PoseGroup, one_person
from ..pose import PoseSequence
from ..skeleton import SKELETONS, Skeleton
from .openpose import resolve_fps

log = logging.getLogger(__name__)

HEADER = ("frame", "joint", "x", "y", "z", "confidence")
GROUP_HEADER = ("person", *HEADER)
_REQUIRED = ("frame", "joint", "x", "y", "confidence")


# -------------------------------------------------------------------------- save
def _rows(seq: PoseSequence, lead: tuple[int, ...] = ()) -> Any:
    names = seq.skeleton.joints
    for t in range(seq.num_frames):
        for j, name in enumerate(names):
            c = seq.coords[t, j].tolist()
            z = repr(c[2]) if seq.dims == 3 else ""
            yield (*lead, t, name, repr(c[0]), repr(c[1]), z, repr(float(seq.confidence[t, j])))


def save(seq: PoseSequence | PoseGroup, path: str | Path, **_: Any) -> None:
    """Write ``frame,joint,x,y,z,confidence`` rows (floats at full precision); a group
    gets the ``person`` column first."""
    path = Path(path)
    group = seq if isinstance(seq, PoseGroup) else None
    with atomic_file(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        if group is None:
            w.writerow(HEADER)
            w.writerows(_rows(seq))
            return
        w.writerow(GROUP_HEADER)
        for tid, track in group.items():
            w.writerows(_rows(track, (tid,)))


# -------------------------------------------------------------------------- load
def _sub_skeleton(names: list[str]) -> Skeleton:
    """A skeleton for these joint names, borrowing parents from a registered skeleton."""
    exact = [s for s in SKELETONS.values() if set(s.joints) == set(names)]
    if exact:
        return exact[0]
    supersets = sorted(
        (s for s in SKELETONS.values() if set(names) <= set(s.joints)), key=lambda s: s.num_joints
    )
    index = {n: i for i, n in enumerate(names)}
    parents = [-1] * len(names)
    if supersets:
        base = supersets[0]
        for i, n in enumerate(names):
            p = base.parents[base.idx(n)]
            while p >= 0 and base.joints[p] not in index:
                p = base.parents[p]
            parents[i] = index[base.joints[p]] if p >= 0 else -1
        derived = tuple(
            d for d in base.derived if d.name in index and all(s in index for s in d.sources)
        )
    else:
        derived = ()
    sym = tuple(
        (index[n], index["R" + n[1:]])
        for n in names
        if n.startswith("L") and n[1:2].isupper() and "R" + n[1:] in index
    )
    return Skeleton("csv", tuple(names), tuple(parents), symmetry=sym, derived=derived)


def _check_last_frame(path: Path, frames: list[int], num_joints: int) -> None:
    """A file cut short ends in a frame with fewer rows than all the (complete) others."""
    counts: dict[int, int] = {}
    for fr in frames:
        counts[fr] = counts.get(fr, 0) + 1
    last = counts[frames[-1]]
    others = [c for fr, c in counts.items() if fr != frames[-1]]
    if others and all(c == num_joints for c in others) and last < num_joints:
        raise PoseFormatError(
            f"{path}: the last frame has {last} of {num_joints} joints while every other frame "
            "has all; is the file truncated?"
        )


def _float(path: Path, line: int, column: str, value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise PoseFormatError(f"{path}: line {line}: {column} {value!r} is not a number") from None
    if not (math.isfinite(v) and abs(v) <= MAX_COORD):
        raise PoseFormatError(
            f"{path}: line {line}: {column} {value!r} is not a finite number within "
            f"{MAX_COORD:g}; write a missing joint as confidence 0"
        )
    return v


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header's fields and ``(line number, row)`` of every data row, checked for
    shape (a file cut short, empty frame or joint)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # a byte-order mark is fine
            reader = csv.DictReader(f)
            fields = reader.fieldnames or []
            missing = [c for c in _REQUIRED if c not in fields]
            if missing:
                raise PoseFormatError(
                    f"{path}: CSV header {','.join(fields) or '(empty)'} lacks "
                    f"{', '.join(missing)}; expected {','.join(HEADER)}"
                )
            rows = list(enumerate(reader, start=2))
    except UnicodeDecodeError as e:
        raise PoseFormatError(f"{path}: not a text CSV file ({e})") from None
    except csv.Error as e:
        raise PoseFormatError(f"{path}: bad CSV ({e})") from None
    if not rows:
        raise PoseFormatError(f"{path}: no data rows after the header")
    for k, r in rows:
        if None in r or any(r[c] is None for c in fields):
            raise PoseFormatError(
                f"{path}: line {k}: the row does not have the header's {len(fields)} fields; "
                "is the file truncated?"
            )
        if r.get("joint") in (None, "") or r.get("frame") in (None, ""):
            raise PoseFormatError(f"{path}: line {k}: empty frame or joint")
    return fields, rows


def _int(path: Path, line: int, column: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise PoseFormatError(
            f"{path}: line {line}: {column} {value!r} is not an integer"
        ) from None


def _parse(
    path: Path,
    rows: list[tuple[int, dict[str, str]]],
    span: tuple[int, int],
    **opts: Any,
) -> PoseSequence:
    """One person's rows as a sequence over frames ``span`` (first, count)."""
    names: list[str] = []
    seen: set[str] = set()
    frames = [_int(path, k, "frame", r["frame"]) for k, r in rows]
    for _k, r in rows:
        if r["joint"] not in seen:
            seen.add(r["joint"])
            names.append(r["joint"])
    _check_last_frame(path, frames, len(names))
    dims = 3 if any((r.get("z") or "").strip() for _k, r in rows) else 2
    skeleton = _sub_skeleton(names)
    first, T = span
    coords = np.zeros((T, skeleton.num_joints, dims))
    conf = np.zeros((T, skeleton.num_joints))
    seen: dict[tuple[int, int], int] = {}
    for (k, r), fr in zip(rows, frames):
        t, j = fr - first, skeleton.idx(r["joint"])
        c = _float(path, k, "confidence", r["confidence"] or "0")
        if not 0.0 <= c <= 1.0:
            raise PoseFormatError(f"{path}: line {k}: confidence {c} is outside [0, 1]")
        cols = ("x", "y", "z")[:dims]
        xyz = [0.0] * dims  # a missing joint's coordinates (0, or NaN from some tools) are not read
        if c > 0:
            xyz = [_float(path, k, col, (r.get(col) or "").strip()) for col in cols]
        if (t, j) in seen:
            if conf[t, j] != c or coords[t, j].tolist() != xyz:
                raise PoseFormatError(
                    f"{path}: line {k}: frame {fr}, joint {r['joint']} again, with other "
                    f"values than line {seen[t, j]}; one row per frame and joint"
                )
            continue
        seen[t, j] = k
        coords[t, j], conf[t, j] = xyz, c
    meta: dict[str, Any] = {"format": "csv"}
    if first:
        meta["frame_index"] = list(range(first, first + T))
    up, units = opts.get("up"), opts.get("units")
    if dims == 3 and up is None:
        meta["up_assumed"] = True
    return PoseSequence(
        coords=coords,
        confidence=conf,
        skeleton=skeleton,
        fps=resolve_fps(path, opts.get("fps"), meta),
        canvas=opts.get("canvas") if dims == 2 else None,
        units=units or ("px" if dims == 2 else "units"),
        up=up or ("-y" if dims == 2 else "+y"),
        meta=meta,
    )


MAX_EMPTY_FRAMES = 100_000
"""Frames with no rows a file may imply (between its first and last frame number) beyond
ten per frame that has rows: more is a typo or a corrupt number, not a recording."""


def _span(path: Path, rows: list[tuple[int, dict[str, str]]]) -> tuple[int, int]:
    frames = [_int(path, k, "frame", r["frame"]) for k, r in rows]
    low = min(frames)
    if low < 0:
        k = rows[frames.index(low)][0]
        raise PoseFormatError(f"{path}: line {k}: frame {low} is negative; frames count from 0")
    T = max(frames) - low + 1
    distinct = len(set(frames))
    if T - distinct > max(MAX_EMPTY_FRAMES, 10 * distinct):
        k = rows[frames.index(max(frames))][0]
        raise PoseFormatError(
            f"{path}: line {k}: frame {max(frames)} would make {T} frames, of which only "
            f"{distinct} have rows; is the frame number a typo?"
        )
    return low, T


def load_group(
    path: str | Path,
    fps: float | None = None,
    canvas: tuple[int, int] | None = None,
    units: str | None = None,
    up: str | None = None,
    **_: Any,
) -> PoseGroup:
    """Every person of ``frame,joint,x,y,z,confidence`` rows with a ``person`` column
    (without one: a group of one, id 0).

    Args:
        path: the CSV file.
        fps: frame rate (the file has none; default assumed with a warning).
        canvas: ``(width, height)`` of the frames for 2D data, if known.
        units, up: for 3D data, what the coordinates are (default ``"units"``, ``"+y"``).
    """
    path = Path(path)
    fields, rows = _read_rows(path)
    opts = {"fps": fps, "canvas": canvas, "units": units, "up": up}
    if "person" not in fields:
        return PoseGroup.from_sequence(_parse(path, rows, _span(path, rows), **opts))
    people: dict[int, list[tuple[int, dict[str, str]]]] = {}
    for k, r in rows:
        tid = _int(path, k, "person", r["person"])
        if tid < 0:
            raise PoseFormatError(f"{path}: line {k}: person {tid} is negative; ids are >= 0")
        people.setdefault(tid, []).append((k, r))
    span = _span(path, rows)
    if fps is None:  # one warning, not one per person
        opts["fps"] = resolve_fps(path, None, {})
    seqs = {tid: _parse(path, rs, span, **opts) for tid, rs in people.items()}
    if fps is None:
        for seq in seqs.values():
            seq.meta["fps_assumed"] = True
    skeletons = {s.skeleton.joints for s in seqs.values()}
    if len(skeletons) > 1:
        raise PoseFormatError(f"{path}: the people have different joints; one skeleton per file")
    return PoseGroup(seqs, {"format": "csv"})


def load(path: str | Path, **options: Any) -> PoseSequence:
    """Load ``frame,joint,x,y,z,confidence`` rows: the only person, or with a ``person``
    column the main one with a warning. Other arguments as for :func:`load_group`."""
    return one_person(load_group(path, **options), path)
