"""BVH reading: the text parser (hierarchy, motion lines, root channel convention).

Every error names the file and line; see :func:`read_bvh`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.checks import MAX_COORD
from skeleton_io.errors import InputNotFoundError, PoseFormatError

from .motion import _AXES, _CHANNEL_RE, BvhJoint, BvhMotion, _parse_channel
from .names import _up_axis, joint_map

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- reading
def read_bvh(path: str | Path) -> BvhMotion:
    """Parse a BVH file.

    Raises:
        InputNotFoundError: the file does not exist.
        PoseFormatError: the file is not a BVH (binary, text without HIERARCHY), has an unknown
            channel, a broken hierarchy, or fewer motion values than ``Frames`` x channels. The
            message names the path and line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"{path}: no such file; check the path")
    raw = path.read_bytes()
    if b"\0" in raw[:65536]:
        raise PoseFormatError(f"{path}: a binary file, not a BVH text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        if sum(ch < " " and ch not in "\t\r\n\f" for ch in text[:65536]) > 0:
            raise PoseFormatError(f"{path}: a binary file, not a BVH text file") from None
    return _parse(text, path)


class _Lines:
    """Lines with their 1-based numbers, skipping blank ones."""

    def __init__(self, text: str, path: Path) -> None:
        self.lines = text.splitlines()
        self.i = 0
        self.path = path
        self.pushed: list[tuple[int, str]] = []

    def next(self, what: str) -> tuple[int, str]:
        if self.pushed:
            return self.pushed.pop()
        while self.i < len(self.lines):
            self.i += 1
            s = self.lines[self.i - 1].strip()
            if s:
                return self.i, s
        raise self.error(len(self.lines), f"file ends early, expected {what}; is it truncated?")

    def error(self, lineno: int, msg: str) -> PoseFormatError:
        return PoseFormatError(f"{self.path}:{lineno}: {msg}")


def _floats(lines: _Lines, lineno: int, parts: Sequence[str], n: int, what: str) -> np.ndarray:
    if len(parts) != n:
        raise lines.error(lineno, f"{what} needs {n} numbers, found {len(parts)}")
    try:
        vals = np.array([float(p) for p in parts])
    except ValueError:
        raise lines.error(
            lineno, f"{what} has a value that is not a number: {' '.join(parts)}"
        ) from None
    if not np.all(np.isfinite(vals)):
        raise lines.error(lineno, f"{what} has a value that is not finite")
    return vals


def _parse(text: str, path: Path) -> BvhMotion:
    lines = _Lines(text, path)
    lineno, s = lines.next("HIERARCHY")
    if s.split()[0].upper() != "HIERARCHY":
        raise lines.error(
            lineno, f"not a BVH file: expected 'HIERARCHY' on the first line, found {s[:40]!r}"
        )
    joints = _Hierarchy(lines).parse()
    frames, frame_time, ft_str = _motion_header(lines)
    first = lines.i  # 0-based index of the first motion line
    motion = _parse_motion(lines, first, frames, sum(len(j.channels) for j in joints))
    out = BvhMotion(joints, frame_time, motion, frame_time_str=ft_str)
    out.root_channels_absolute = root_channels_look_absolute(out)
    if out.root_channels_absolute:
        log.info("%s: the root's position channels hold absolute positions (OFFSET ignored)", path)
    return out


class _Hierarchy:
    """The HIERARCHY section, keyword by keyword, up to ``MOTION``."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.joints: list[BvhJoint] = []
        self.stack: list[int] = []  # open blocks: joint index, or -2 for an End Site
        self.pending: int | None = None  # a joint/End Site header waiting for its '{'
        self.end_offset: list[Any] = []

    def parse(self) -> list[BvhJoint]:
        lines = self.lines
        while True:
            lineno, s = lines.next("MOTION")
            # A brace may share a line with a keyword ("JOINT Hips {"); split it off.
            if s != "{" and s.endswith("{"):
                lines.pushed.append((lineno, "{"))
                s = s[:-1].strip()
            key = s.split(None, 1)[0].upper()
            if s == "{":
                self.open(lineno)
            elif set(s) == {"}"}:
                for _ in s:
                    self.close(lineno)
            elif key in ("ROOT", "JOINT"):
                self.joint(lineno, s)
            elif key == "END":
                if not self.stack or self.stack[-1] < 0:
                    raise lines.error(lineno, "End Site outside a joint block")
                self.pending = -2
                self.end_offset.append(None)
            elif key == "OFFSET":
                self.offset(lineno, s)
            elif key == "CHANNELS":
                self.channels(lineno, s)
            elif key == "MOTION":
                if self.stack or self.pending is not None:
                    raise lines.error(lineno, "MOTION before the hierarchy's blocks are closed")
                break
            else:
                raise lines.error(lineno, f"unexpected {s[:40]!r} in the HIERARCHY section")
        if not self.joints:
            raise lines.error(lineno, "no ROOT joint in the HIERARCHY section")
        for j in self.joints:
            if np.isnan(j.offset).any():
                raise PoseFormatError(f"{lines.path}: joint {j.name!r} has no OFFSET")
        return self.joints

    def open(self, lineno: int) -> None:
        if self.pending is None:
            raise self.lines.error(lineno, "'{' without a ROOT, JOINT or End Site before it")
        self.stack.append(self.pending)
        self.pending = None

    def close(self, lineno: int) -> None:
        if not self.stack:
            raise self.lines.error(lineno, "'}' without a matching '{'")
        if self.stack.pop() != -2:
            return
        if not self.end_offset or self.end_offset[-1] is None:
            raise self.lines.error(lineno, "End Site without an OFFSET")
        j, off = self.end_offset.pop()
        if self.joints[j].end_site is not None:
            log.warning("%s:%d: joint %r has more than one End Site; keeping the first",
                        self.lines.path, lineno, self.joints[j].name)  # fmt: skip
        else:
            self.joints[j].end_site = off

    def joint(self, lineno: int, s: str) -> None:
        word = s.split(None, 1)[0]
        key = word.upper()
        if self.pending is not None:
            raise self.lines.error(lineno, f"expected '{{' before {word}")
        name = s[len(word) :].strip()
        if not name:
            raise self.lines.error(lineno, f"{word} without a name")
        if key == "JOINT" and (not self.stack or self.stack[-1] < 0):
            raise self.lines.error(lineno, f"JOINT {name} outside a ROOT or JOINT block")
        if key == "ROOT" and self.stack:
            raise self.lines.error(lineno, f"ROOT {name} inside another joint's block")
        parent = self.stack[-1] if key == "JOINT" else -1
        if any(j.name == name for j in self.joints):
            raise self.lines.error(
                lineno, f"a second joint named {name!r}; joint names must be unique"
            )
        self.joints.append(BvhJoint(name, parent, np.full(3, np.nan), ()))
        self.pending = len(self.joints) - 1

    def offset(self, lineno: int, s: str) -> None:
        if not self.stack:
            raise self.lines.error(lineno, "OFFSET outside a joint block")
        vals = _floats(self.lines, lineno, s.split()[1:], 3, "OFFSET")
        if self.stack[-1] == -2:
            self.end_offset[-1] = (_owner(self.stack), vals)
        else:
            self.joints[self.stack[-1]].offset = vals

    def channels(self, lineno: int, s: str) -> None:
        if not self.stack or self.stack[-1] < 0:
            raise self.lines.error(lineno, "CHANNELS outside a ROOT or JOINT block")
        parts = s.split()[1:]
        try:
            n = int(parts[0])
        except (IndexError, ValueError):
            raise self.lines.error(
                lineno, "CHANNELS needs a count, then the channel names"
            ) from None
        names = parts[1:]
        if len(names) != n:
            raise self.lines.error(
                lineno, f"CHANNELS says {n} channels but names {len(names)}: {' '.join(names)}"
            )
        joint = self.joints[self.stack[-1]]
        for c in names:
            if not _CHANNEL_RE.match(c):
                raise self.lines.error(
                    lineno,
                    f"unknown channel {c!r} in joint {joint.name!r}; expected "
                    "Xposition, Yposition, Zposition, Xrotation, Yrotation or Zrotation",
                )
        joint.channels = tuple(names)


def _motion_header(lines: _Lines) -> tuple[int, float, str]:
    """``Frames: N`` and ``Frame Time: seconds``: the frame count, the frame time and the
    frame time as written."""
    lineno, s = lines.next("'Frames: N'")
    m = re.match(r"^Frames\s*:?\s*(\d+)\s*$", s, re.IGNORECASE)
    if not m:
        raise lines.error(lineno, f"expected 'Frames: N', found {s[:40]!r}")
    frames = int(m.group(1))
    lineno, s = lines.next("'Frame Time: seconds'")
    m = re.match(r"^Frame\s*Time\s*:?\s*(\S+)\s*$", s, re.IGNORECASE)
    if not m:
        raise lines.error(lineno, f"expected 'Frame Time: seconds', found {s[:40]!r}")
    ft_str = m.group(1)
    try:
        frame_time = float(ft_str)
    except ValueError:
        raise lines.error(lineno, f"Frame Time {ft_str!r} is not a number") from None
    return frames, frame_time, ft_str


def root_channels_look_absolute(motion: BvhMotion) -> bool:
    """Whether the root's position channels already include its OFFSET.

    Files written by Blender, PyMO or Holden's BVH.py put the rest position of the hips in the
    root OFFSET *and* the absolute hips position in the channels; by the BVH definition the two
    add up, which would lift such a body by its own hip height. The test: the mean channel
    position, projected on the OFFSET's direction, is more than half the OFFSET's length (the
    channels sit near the OFFSET rather than near zero). False when the OFFSET is zero or the
    root has not all three position channels.
    """
    if not motion.joints or motion.num_frames == 0:
        return False
    root = motion.joints[0]
    o = root.offset
    pos = {}
    for c, name in zip(motion.channel_columns(0), root.channels):
        axis, kind = _parse_channel(name)
        if kind == "position":
            pos[axis] = c
    norm = float(np.linalg.norm(o))
    if len(pos) != 3 or norm == 0.0:
        return False
    mean = motion.motion[:, [pos[a] for a in _AXES]].mean(axis=0)
    # On the up axis: the OFFSET holds the hip height in both conventions, the channels hold
    # either the hip height too (absolute) or a small displacement. Sideways travel says little.
    idx = np.unique(np.linspace(0, motion.num_frames - 1, 32).astype(int))
    rel = BvhMotion(motion.joints, motion.frame_time, motion.motion[idx]).positions()
    rel = rel - rel[:, :1]  # root-relative: the same in both conventions
    up = _up_axis(rel, joint_map(motion.names, motion.parents, rel), motion.names)
    if up is not None:
        a = "xyz".index(up[1])
        if abs(o[a]) > 0.1 * norm:
            return bool(mean[a] * o[a] > 0.5 * o[a] ** 2)
    return bool(mean @ o / norm > 0.5 * norm)


def _owner(stack: list[int]) -> int:
    """The joint an End Site block on top of ``stack`` belongs to."""
    return next(k for k in reversed(stack) if k >= 0)


def _parse_motion(lines: _Lines, first: int, frames: int, nch: int) -> np.ndarray:
    """``(frames, nch)`` motion values, one frame per line: a line with another number of
    values is an error naming it (one value short on a line and one extra on the next would
    otherwise shift every channel after it)."""
    body = lines.lines[first:]
    rows: list[list[str]] = []
    numbers: list[int] = []  # the file's line number of each row
    for k, ln in enumerate(body):
        parts = ln.split()
        if not parts:
            continue
        if len(rows) >= frames:
            log.warning(
                "%s:%d: more motion lines than 'Frames: %d' says; ignoring the rest",
                lines.path,
                first + k + 1,
                frames,
            )
            break
        if len(parts) < nch and not any(ln.strip() for ln in body[k + 1 :]):
            raise lines.error(
                first + k + 1,
                f"truncated motion: the last motion line has {len(parts)} of {nch} values "
                f"(frame {len(rows) + 1} of {frames}); is the file cut short?",
            )
        if len(parts) != nch:
            raise lines.error(
                first + k + 1,
                f"motion line {len(rows) + 1} has {len(parts)} values, the {nch} channels "
                "need one each; is the file damaged?",
            )
        rows.append(parts)
        numbers.append(first + k + 1)
    if len(rows) < frames:
        raise lines.error(
            len(lines.lines),
            f"truncated motion: 'Frames: {frames}' but the file has {len(rows)} motion "
            "lines; is the file cut short?",
        )
    try:
        data = np.array(rows, dtype=np.float64).reshape(frames, nch)
    except ValueError:
        k, bad = next((k, p) for k, r in enumerate(rows) for p in r if not _is_float(p))
        raise lines.error(numbers[k], f"motion value {bad!r} is not a number") from None
    wrong = ~np.isfinite(data) | (np.abs(data) > MAX_COORD)
    if wrong.any():
        k = int(np.flatnonzero(wrong.any(axis=1))[0])
        raise lines.error(numbers[k], f"motion values must be finite numbers within {MAX_COORD:g}")
    return data


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True
