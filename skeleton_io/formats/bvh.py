"""BVH motion capture: parse, forward kinematics, write back exactly, map joints by meaning.

Conventions (stated once, used everywhere in this module):

* **Units and axes** are the file's own. Positions come out in the units of the OFFSET lines
  (centimetres for most sets) in the file's world frame; :func:`load` guesses the units and
  the up axis from the body and says so (``units``, ``up``, ``meta["body_height"]``).
* **Rotation channels** compose in the order they are listed, as intrinsic rotations:
  ``Zrotation Yrotation Xrotation`` is ``R = Rz @ Ry @ Rx`` (scipy
  ``Rotation.from_euler("ZYX", angles, degrees=True)``, uppercase = intrinsic). Angles are in
  degrees. Each joint keeps its own order.
* **Local transform** of joint ``j``: ``p_world[j] = p_world[parent] + R_world[parent] @ t[j]``
  and ``R_world[j] = R_world[parent] @ R_local[j]``, with ``t[j]`` the joint's translation:

  - a root's position channels are *added* to its OFFSET (Meredith & Maddock, "Motion capture
    file formats explained", 2001), unless the file's channels already hold the absolute root
    position (Blender, PyMO and Holden's BVH.py read and write it that way): then the channels
    *replace* the OFFSET. The OFFSET is zero in most files, where both agree. :func:`read_bvh`
    decides per file (:func:`root_channels_look_absolute`) and records it in
    ``BvhMotion.root_channels_absolute``; the iClone and LaFAN1 files here need the sum, the
    PyMO demo walk the replacement;
  - a non-root joint's position channels *replace* the OFFSET on their axis (the MotionBuilder
    export convention: the Bandai Namco files write each bone's constant length there); when
    :meth:`BvhMotion.positions` is given other ``offsets``, the channel keeps its deviation from
    the file's OFFSET (``t = channel + offsets - file_offset``), so limb scaling still works.
  - a joint without position channels is translated by its OFFSET.

* An End Site is a point at ``p_world[j] + R_world[j] @ end_site``.

* **Frame rate**: ``1 / Frame Time``, or the common rate the written frame time was rounded
  from (``0.033333`` -> 30 fps, not 30.0003; :func:`fps_from_frame_time`).
* **Units** are guessed from the body height (:func:`guess_units`): ``cm``, ``m``, ``mm``,
  ``in``, or ``asf`` (CMU's ASF length unit, 1/0.45 inch, kept by the Xia walks here);
  ``meta["units_to_m"]`` gives metres per unit.

Writing keeps joint names, channel names and orders, End Site offsets, the frame time string
as read, and every float at full precision (``repr``, the shortest string that reads back to
the same double), so ``read_bvh(write_bvh(read_bvh(f)))`` is numerically identical. A 3D
sequence that did not come from a BVH file is written by inverse kinematics on its
``openpose15`` joints (:func:`bvh_from_positions`).

Joint names differ between sources; :func:`joint_map` maps them onto the shared vocabulary
(``RShoulder`` ... ``LAnkle``, ``Nose``) by meaning: name tokens for the side and the body
part, then the kinematic chain (the elbow is the forearm joint nearest above the hand, the
shoulder the upper-arm joint nearest above the elbow), so a ``LeftShoulder`` that is the parent
of ``LeftArm`` is a clavicle, and a CMU ``lhipjoint`` is not the hip. Most BVH rigs have no
nose: the head joint (at the base of the skull) is mapped to ``Nose`` as an approximation
(logged once at INFO level). ``Neck`` and
``MidHip`` are never mapped: the shared vocabulary defines them as midpoints of the shoulders
and of the hips, which :func:`skeleton_io.convert` derives.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_file
from ..errors import InputNotFoundError, PoseFormatError
from ..pose import DEFAULT_FPS, PoseSequence
from ..skeleton import SKELETONS, Skeleton

log = logging.getLogger(__name__)

_AXES = "XYZ"
_CHANNEL_RE = re.compile(r"^([XYZ])(position|rotation)$", re.IGNORECASE)


# ---------------------------------------------------------------------------- data
@dataclass
class BvhJoint:
    """One joint of a BVH hierarchy.

    Attributes:
        name: the joint's name as written in the file.
        parent: index of the parent joint, -1 for a root.
        offset: ``(3,)`` OFFSET from the parent, in the file's units and the parent's frame.
        channels: channel names as in the file, in file order, e.g. ``("Zrotation",
            "Yrotation", "Xrotation")``.
        end_site: ``(3,)`` End Site offset in this joint's frame, or None.
    """

    name: str
    parent: int
    offset: np.ndarray
    channels: tuple[str, ...]
    end_site: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.offset = np.asarray(self.offset, dtype=np.float64).reshape(3)
        if self.end_site is not None:
            self.end_site = np.asarray(self.end_site, dtype=np.float64).reshape(3)
        self.channels = tuple(self.channels)


@dataclass
class BvhMotion:
    """A parsed BVH file: the hierarchy and the motion, enough to write the file back exactly.

    Attributes:
        joints: joints in file order (depth first; a parent comes before its children).
        frame_time: seconds per frame as a float.
        motion: ``(T, C)`` float64 channel values as read, ``C`` the total channel count,
            columns in file order (joint by joint, each joint's channels in its own order).
            Rotations in degrees, positions in the file's units.
        frame_time_str: the frame time exactly as written in the file (kept for writing).
        root_channels_absolute: a root's position channels replace its OFFSET (True) or are
            added to it (False, the BVH definition); see the module docstring.
    """

    joints: list[BvhJoint]
    frame_time: float
    motion: np.ndarray
    frame_time_str: str | None = None
    root_channels_absolute: bool = False
    _layout: list[tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.motion = np.asarray(self.motion, dtype=np.float64)
        if self.motion.ndim == 1 and self.motion.size == 0:
            self.motion = self.motion.reshape(0, self.num_channels)
        if self.motion.ndim != 2 or self.motion.shape[1] != self.num_channels:
            raise PoseFormatError(
                f"BVH motion must have shape (frames, {self.num_channels}), got {self.motion.shape}"
            )
        starts = np.cumsum([0] + [len(j.channels) for j in self.joints])
        self._layout = [tuple(range(starts[i], starts[i + 1])) for i in range(len(self.joints))]

    # ------------------------------------------------------------------ basics
    @property
    def num_frames(self) -> int:
        return self.motion.shape[0]

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    @property
    def num_channels(self) -> int:
        return sum(len(j.channels) for j in self.joints)

    @property
    def fps(self) -> float:
        """Frames per second: ``1 / frame_time``, or the common rate the written frame time was
        rounded from (``0.033333`` -> 30, ``0.008333`` -> 120; see :func:`fps_from_frame_time`).
        NaN when the frame time is not positive."""
        return fps_from_frame_time(self.frame_time, self.frame_time_str)

    @property
    def names(self) -> list[str]:
        return [j.name for j in self.joints]

    @property
    def parents(self) -> list[int]:
        return [j.parent for j in self.joints]

    @property
    def offsets(self) -> np.ndarray:
        """``(J, 3)`` the hierarchy's OFFSETs."""
        return np.stack([j.offset for j in self.joints]) if self.joints else np.zeros((0, 3))

    @property
    def end_site_joints(self) -> list[int]:
        """Indices of the joints that have an End Site, in joint order (the ``E`` axis)."""
        return [i for i, j in enumerate(self.joints) if j.end_site is not None]

    def channel_columns(self, joint: int) -> tuple[int, ...]:
        """Columns of ``motion`` that belong to joint index ``joint``."""
        return self._layout[joint]

    def slice_frames(self, start: int, stop: int | None = None) -> BvhMotion:
        """Frames ``start:stop`` (Python slice semantics) as a new motion, same hierarchy."""
        return BvhMotion(
            joints=self.joints,
            frame_time=self.frame_time,
            motion=self.motion[start:stop].copy(),
            frame_time_str=self.frame_time_str,
            root_channels_absolute=self.root_channels_absolute,
        )

    # ------------------------------------------------------- forward kinematics
    def rotations(self, world: bool = False) -> np.ndarray:
        """``(T, J, 3, 3)`` rotation matrices: each joint's local rotation (default) or its
        rotation in the world frame (``world=True``). A column vector in the joint's frame is
        mapped to its parent's (or the world's) frame by left multiplication."""
        mats = self._world_rotations(self._local_rotations()) if world else self._local_rotations()
        return np.stack([m.transpose(2, 0, 1) for m in mats], axis=1).reshape(
            self.num_frames, self.num_joints, 3, 3
        )

    def _local_rotations(self) -> list[np.ndarray]:
        """Per joint a ``(3, 3, T)`` local rotation (frames last: 3x3 products over frames are
        ~7x faster with einsum in this layout than numpy's stacked matmul)."""
        from scipy.spatial.transform import Rotation

        T = self.num_frames
        eye = np.broadcast_to(np.eye(3)[:, :, None], (3, 3, T))
        out = []
        for j, joint in enumerate(self.joints):
            mat = eye
            for c, name in zip(self._layout[j], joint.channels):
                axis, kind = _parse_channel(name)
                if kind != "rotation" or T == 0:
                    continue
                # One axis at a time, R = R_first @ R_second @ ... (intrinsic, channel order).
                # scipy's multi-axis from_euler is ~20x slower than this on long clips.
                r = Rotation.from_euler(axis, self.motion[:, c : c + 1], degrees=True)
                r = np.ascontiguousarray(r.as_matrix().transpose(1, 2, 0))
                mat = r if mat is eye else np.einsum("ijt,jkt->ikt", mat, r)
            out.append(mat)
        return out

    def _world_rotations(self, local: list[np.ndarray]) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for j, joint in enumerate(self.joints):
            p = joint.parent
            out.append(local[j] if p < 0 else np.einsum("ijt,jkt->ikt", out[p], local[j]))
        return out

    def translations(self, offsets: np.ndarray | None = None) -> np.ndarray:
        """``(T, J, 3)`` each joint's translation from its parent, in the parent's frame
        (see the module docstring for how position channels combine with OFFSETs)."""
        file_off = self.offsets
        off = file_off if offsets is None else np.asarray(offsets, dtype=np.float64)
        if off.shape != (self.num_joints, 3):
            raise PoseFormatError(
                f"offsets must have shape ({self.num_joints}, 3), got {off.shape}"
            )
        t = np.broadcast_to(off, (self.num_frames, *off.shape)).copy()
        for j, joint in enumerate(self.joints):
            for c, name in zip(self._layout[j], joint.channels):
                axis, kind = _parse_channel(name)
                if kind != "position":
                    continue
                a = _AXES.index(axis)
                if joint.parent < 0 and not self.root_channels_absolute:
                    t[:, j, a] = off[j, a] + self.motion[:, c]
                else:
                    t[:, j, a] = self.motion[:, c] + (off[j, a] - file_off[j, a])
        return t

    def positions(
        self, offsets: np.ndarray | None = None, end_sites: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """World positions by forward kinematics, in the file's units and axes.

        Args:
            offsets: ``(J, 3)`` to use instead of the hierarchy's OFFSETs (limb scaling); the
                root's translation channels are used as they are (see the module docstring).
            end_sites: also return the End Site positions.

        Returns:
            ``(T, J, 3)`` joint positions, or with ``end_sites=True`` a tuple of that and
            ``(T, E, 3)`` End Site positions, ``E`` along :attr:`end_site_joints`.
        """
        rot = self._world_rotations(self._local_rotations())
        trans = self.translations(offsets).transpose(1, 2, 0)  # (J, 3, T)
        pos: list[np.ndarray] = []
        for j, joint in enumerate(self.joints):
            p = joint.parent
            if p < 0:
                pos.append(trans[j])
            else:
                pos.append(pos[p] + np.einsum("ijt,jt->it", rot[p], trans[j]))
        T, J = self.num_frames, self.num_joints
        out = np.stack(pos, axis=0).transpose(2, 0, 1) if J else np.zeros((T, 0, 3))
        out = np.ascontiguousarray(out)
        if not end_sites:
            return out
        ee = [pos[j] + np.einsum("ijt,j->it", rot[j], self.joints[j].end_site) for j in
              self.end_site_joints]  # fmt: skip
        ends = np.stack(ee, axis=0).transpose(2, 0, 1) if ee else np.zeros((T, 0, 3))
        return out, np.ascontiguousarray(ends)


_COMMON_FPS = (
    1, 2, 5, 6, 8, 10, 12, 15, 20, 24, 25, 30, 40, 48, 50, 60, 72, 75, 90, 96, 100, 120, 144,
    150, 180, 200, 240, 250, 300, 360, 400, 480, 500, 600, 960, 1000,
    24000 / 1001, 30000 / 1001, 60000 / 1001, 120000 / 1001,
)  # fmt: skip
"""Frame rates of video and motion capture systems (NTSC rates included)."""


def fps_from_frame_time(frame_time: float, text: str | None = None) -> float:
    """The frame rate a frame time stands for.

    BVH writers print ``1 / fps`` with a few decimals (``0.033333``), so ``1 / frame_time`` is
    off by a little (30.0003). When ``text`` (the frame time as written) is given, the rates
    whose frame time rounds to that text are considered, and a common rate among them
    (:data:`_COMMON_FPS`) is returned; otherwise ``1 / frame_time``. NaN when the frame time
    is not positive.
    """
    if not (math.isfinite(frame_time) and frame_time > 0):
        return math.nan
    exact = 1.0 / frame_time
    m = re.fullmatch(r"[+]?\d*\.(\d+)", text.strip()) if text else None
    if m is None:
        return exact
    half = 0.5 * 10.0 ** -len(m.group(1))
    if frame_time <= half:
        return exact
    lo, hi = 1.0 / (frame_time + half), 1.0 / (frame_time - half)
    near = [r for r in _COMMON_FPS if lo <= r <= hi]
    return float(min(near, key=lambda r: abs(r - exact))) if near else exact


def _parse_channel(name: str) -> tuple[str, str]:
    m = _CHANNEL_RE.match(name)
    if m is None:  # validated at parse time; a hand-built motion may still get here
        raise PoseFormatError(
            f"unknown BVH channel {name!r}; expected X/Y/Z followed by position or rotation"
        )
    return m.group(1).upper(), m.group(2).lower()


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
    joints: list[BvhJoint] = []
    stack: list[int] = []  # open blocks: joint index, or -2 for an End Site
    pending: int | None = None  # a joint/End Site header waiting for its '{'
    end_offset: list[Any] = []
    while True:
        lineno, s = lines.next("MOTION")
        # A brace may share a line with a keyword ("JOINT Hips {"); split it off.
        if s != "{" and s.endswith("{"):
            lines.pushed.append((lineno, "{"))
            s = s[:-1].strip()
        word = s.split(None, 1)[0]
        key = word.upper()
        if s == "{":
            if pending is None:
                raise lines.error(lineno, "'{' without a ROOT, JOINT or End Site before it")
            stack.append(pending)
            pending = None
        elif s == "}" or set(s) == {"}"}:
            for _ in s:
                if not stack:
                    raise lines.error(lineno, "'}' without a matching '{'")
                closed = stack.pop()
                if closed == -2:
                    if not end_offset or end_offset[-1] is None:
                        raise lines.error(lineno, "End Site without an OFFSET")
                    j, off = end_offset.pop()
                    if joints[j].end_site is not None:
                        log.warning(
                            "%s:%d: joint %r has more than one End Site; keeping the first",
                            path,
                            lineno,
                            joints[j].name,
                        )
                    else:
                        joints[j].end_site = off
        elif key in ("ROOT", "JOINT"):
            if pending is not None:
                raise lines.error(lineno, f"expected '{{' before {word}")
            name = s[len(word) :].strip()
            if not name:
                raise lines.error(lineno, f"{word} without a name")
            if key == "JOINT" and (not stack or stack[-1] < 0):
                raise lines.error(lineno, f"JOINT {name} outside a ROOT or JOINT block")
            if key == "ROOT" and stack:
                raise lines.error(lineno, f"ROOT {name} inside another joint's block")
            parent = stack[-1] if key == "JOINT" else -1
            joints.append(BvhJoint(name, parent, np.full(3, np.nan), ()))
            pending = len(joints) - 1
        elif key == "END":
            if not stack or stack[-1] < 0:
                raise lines.error(lineno, "End Site outside a joint block")
            pending = -2
            end_offset.append(None)
        elif key == "OFFSET":
            if not stack:
                raise lines.error(lineno, "OFFSET outside a joint block")
            vals = _floats(lines, lineno, s.split()[1:], 3, "OFFSET")
            if stack[-1] == -2:
                end_offset[-1] = (_owner(stack), vals)
            else:
                joints[stack[-1]].offset = vals
        elif key == "CHANNELS":
            if not stack or stack[-1] < 0:
                raise lines.error(lineno, "CHANNELS outside a ROOT or JOINT block")
            parts = s.split()[1:]
            try:
                n = int(parts[0])
            except (IndexError, ValueError):
                raise lines.error(
                    lineno, "CHANNELS needs a count, then the channel names"
                ) from None
            names = parts[1:]
            if len(names) != n:
                raise lines.error(
                    lineno, f"CHANNELS says {n} channels but names {len(names)}: {' '.join(names)}"
                )
            for c in names:
                if not _CHANNEL_RE.match(c):
                    raise lines.error(
                        lineno,
                        f"unknown channel {c!r} in joint {joints[stack[-1]].name!r}; expected "
                        "Xposition, Yposition, Zposition, Xrotation, Yrotation or Zrotation",
                    )
            joints[stack[-1]].channels = tuple(names)
        elif key == "MOTION":
            if stack or pending is not None:
                raise lines.error(lineno, "MOTION before the hierarchy's blocks are closed")
            break
        else:
            raise lines.error(lineno, f"unexpected {s[:40]!r} in the HIERARCHY section")
    if not joints:
        raise lines.error(lineno, "no ROOT joint in the HIERARCHY section")
    for j in joints:
        if np.isnan(j.offset).any():
            raise PoseFormatError(f"{path}: joint {j.name!r} has no OFFSET")

    # MOTION: Frames, Frame Time, then the values.
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
    first = lines.i  # 0-based index of the first motion line
    motion = _parse_motion(lines, first, frames, sum(len(j.channels) for j in joints))
    out = BvhMotion(joints, frame_time, motion, frame_time_str=ft_str)
    out.root_channels_absolute = root_channels_look_absolute(out)
    if out.root_channels_absolute:
        log.info("%s: the root's position channels hold absolute positions (OFFSET ignored)", path)
    return out


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
    up = _up_axis(rel, joint_map(motion.names, motion.parents), motion.names)
    if up is not None:
        a = "xyz".index(up[1])
        if abs(o[a]) > 0.1 * norm:
            return bool(mean[a] * o[a] > 0.5 * o[a] ** 2)
    return bool(mean @ o / norm > 0.5 * norm)


def _owner(stack: list[int]) -> int:
    """The joint an End Site block on top of ``stack`` belongs to."""
    return next(k for k in reversed(stack) if k >= 0)


def _parse_motion(lines: _Lines, first: int, frames: int, nch: int) -> np.ndarray:
    body = lines.lines[first:]
    tokens: list[str] = []
    rows_done = 0
    for k, ln in enumerate(body):
        parts = ln.split()
        if not parts:
            continue
        if rows_done >= frames and len(tokens) >= frames * nch:
            log.warning(
                "%s:%d: more motion lines than 'Frames: %d' says; ignoring the rest",
                lines.path,
                first + k + 1,
                frames,
            )
            break
        tokens.extend(parts)
        rows_done += 1
    need = frames * nch
    if len(tokens) < need:
        got = len(tokens) // nch if nch else 0
        raise lines.error(
            len(lines.lines),
            f"truncated motion: 'Frames: {frames}' x {nch} channels needs {need} values, "
            f"the file has {len(tokens)} (about {got} frames); is the file cut short?",
        )
    if len(tokens) > need:
        if rows_done == frames:
            raise lines.error(
                first + 1, f"motion lines have more than the {nch} values the channels need"
            )
        tokens = tokens[:need]
    try:
        data = np.array(tokens[:need], dtype=np.float64)
    except ValueError:
        bad = next(t for t in tokens[:need] if not _is_float(t))
        k = next(i for i, ln in enumerate(body) if bad in ln.split())
        raise lines.error(first + k + 1, f"motion value {bad!r} is not a number") from None
    if not np.all(np.isfinite(data)):
        k = int(np.flatnonzero(~np.isfinite(data))[0]) // max(nch, 1)
        raise lines.error(first + k + 1, "motion values must be finite (found NaN or inf)")
    return data.reshape(frames, nch)


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------- writing
def _num(x: float) -> str:
    return repr(float(x))


def write_bvh(motion: BvhMotion, path: str | Path) -> None:
    """Write ``motion`` as a BVH file, atomically (nothing half-written on failure).

    Names, channel orders, End Sites and the frame time string are kept; floats are written
    with ``repr`` so that reading the file back gives identical doubles.
    """
    children: list[list[int]] = [[] for _ in motion.joints]
    for i, j in enumerate(motion.joints):
        if j.parent >= 0:
            children[j.parent].append(i)
    out: list[str] = ["HIERARCHY"]

    def emit(i: int, depth: int) -> None:
        j = motion.joints[i]
        ind = "\t" * depth
        out.append(f"{ind}{'ROOT' if j.parent < 0 else 'JOINT'} {j.name}")
        out.append(f"{ind}{{")
        out.append(f"{ind}\tOFFSET {' '.join(_num(v) for v in j.offset)}")
        if j.channels or j.parent < 0:
            out.append(f"{ind}\tCHANNELS {len(j.channels)} {' '.join(j.channels)}".rstrip())
        for c in children[i]:
            emit(c, depth + 1)
        if j.end_site is not None:
            out.append(f"{ind}\tEnd Site")
            out.append(f"{ind}\t{{")
            out.append(f"{ind}\t\tOFFSET {' '.join(_num(v) for v in j.end_site)}")
            out.append(f"{ind}\t}}")
        out.append(f"{ind}}}")

    for i, j in enumerate(motion.joints):
        if j.parent < 0:
            emit(i, 0)
    ft = motion.frame_time_str
    if ft is None or not _same_float(ft, motion.frame_time):
        ft = _num(motion.frame_time)
    out += ["MOTION", f"Frames: {motion.num_frames}", f"Frame Time: {ft}"]
    body = "\n".join(" ".join(map(repr, row)) for row in motion.motion.tolist())
    text = "\n".join(out) + "\n" + body + ("\n" if body else "")
    with atomic_file(path, suffix=".bvh") as tmp:
        tmp.write_text(text)


def _same_float(s: str, x: float) -> bool:
    try:
        return float(s) == x
    except ValueError:
        return False


# ---------------------------------------------------------------------------- joint names
_SIDE_WORDS = {"left": "L", "right": "R", "l": "L", "r": "R", "lft": "L", "rgt": "R", "rt": "R",
               "lt": "L"}  # fmt: skip
# Tokens that mark helper bones (never a body joint of the vocabulary).
_AUX = {"twist", "roll", "share", "sharebone", "helper", "adjust", "corrective", "nub", "end",
        "site", "tip", "top", "dummy", "ik", "pole", "target", "null", "effector", "goal",
        "upvector", "aux", "fk", "ctrl", "ctl", "con"}  # fmt: skip
_DIGIT = {"finger", "fingers", "fingerbase", "thumb", "index", "middle", "mid", "ring", "pinky",
          "little", "toe", "toes", "toebase", "bigtoe", "metacarpal", "carpal", "ball", "phalanx",
          "nail", "pinkytoe", "ringtoe", "midtoe", "indextoe", "handindex", "handthumb",
          "handmiddle", "handring", "handpinky"}  # fmt: skip
# Prefix tokens of common rigs that carry no meaning.
_NOISE = {"mixamorig", "character", "bip", "bip01", "bip001", "cc", "base", "def", "org", "mch",
          "jnt", "bn", "b", "bone", "skel", "sk", "rig", "mixamo", "valvebiped", "bvh", "j",
          "hik", "armature", "ref", "reference", "genesis", "g8", "g3"}  # fmt: skip
_PARTS: dict[str, set[str]] = {
    "forearm": {"forearm", "lowerarm", "lowarm", "radius", "ulna", "elbow", "forearms",
                "lowerarms", "forarm"},
    "upperarm": {"upperarm", "uparm", "arm", "humerus", "shldr", "bicep", "biceps"},
    "shoulder?": {"shoulder"},  # shoulder joint or clavicle: the chain decides
    "clavicle": {"clavicle", "collar", "scapula", "collarbone", "clav"},
    "hand": {"hand", "wrist", "palm", "carpus"},
    "shin": {"leg", "lowerleg", "lowleg", "calf", "shin", "knee", "tibia", "crus",
             "shank"},
    "thigh": {"upleg", "upperleg", "thigh", "femur", "uplegs", "upperlegs"},
    "hip?": {"hip", "hipjoint"},  # femur head (SMPL L_Hip) or pelvis bone (CMU lhipjoint)
    "foot": {"foot", "ankle", "feet"},
    "head": {"head"},
    "nose": {"nose"},
    "eye": {"eye", "eyeball"},
}  # fmt: skip
_PART_OF = {w: part for part, words in _PARTS.items() for w in words}
_KNOWN = set(_PART_OF) | _DIGIT

# (vocabulary name without side, end part, middle parts, top parts); see _limb_chain.
_LIMBS = (
    ("Wrist", "Elbow", "Shoulder", {"hand"}, {"forearm"}, {"upperarm", "shoulder?"}),
    ("Ankle", "Knee", "Hip", {"foot"}, {"shin"}, {"thigh", "hip?"}),
)


def _tokens(name: str) -> list[str]:
    """Lower-case word tokens of a joint name (namespaces, camelCase, separators, digits)."""
    name = name.rsplit(":", 1)[-1].rsplit("|", 1)[-1]
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
    return [w.lower() for w in words]


def classify_joint(name: str) -> tuple[str, str]:
    """``(side, part)`` of a joint name: side in {"L", "R", ""}, part one of ``forearm``,
    ``upperarm``, ``shoulder?``, ``clavicle``, ``hand``, ``shin``, ``thigh``, ``hip?``,
    ``foot``, ``head``, ``nose``, ``eye``, ``digit``, ``aux`` (twist, roll, end and helper
    bones) or ``""``.
    """
    toks = [t for t in _tokens(name) if not t.isdigit()]
    side = ""
    rest: list[str] = []
    for k, t in enumerate(toks):
        if t in _SIDE_WORDS and not side and (len(t) > 1 or len(toks) > 1):
            side = _SIDE_WORDS[t]
            continue
        # glued side: CMU "lhumerus", "rfemur"; all lower case "leftarm", "handright"
        if not side and k == 0:
            for pre, sd in (("left", "L"), ("right", "R"), ("l", "L"), ("r", "R")):
                if t.startswith(pre) and (t[len(pre) :] in _KNOWN or _glued_known(t[len(pre) :])):
                    side, t = sd, t[len(pre) :]
                    break
        if not side and k == len(toks) - 1:
            for suf, sd in (("left", "L"), ("right", "R")):
                if t.endswith(suf) and t[: -len(suf)] in _KNOWN:
                    side, t = sd, t[: -len(suf)]
                    break
        rest.append(t)
    rest = [t for t in rest if t not in _NOISE]
    if any(t in _AUX for t in rest):
        return side, "aux"
    if any(t in _DIGIT for t in rest):
        return side, "digit"
    core = "".join(rest)
    if core in _PART_OF:
        return side, _PART_OF[core]
    if core in _DIGIT:
        return side, "digit"
    # compound names such as "ForeArm", "UpLeg" split in two tokens: try the last one alone,
    # then any token, most specific category first.
    for t in reversed(rest):
        if t in ("fore", "lower", "low") and "arm" in rest:
            return side, "forearm"
        if t in ("up", "upper") and "leg" in rest:
            return side, "thigh"
        if t in ("up", "upper") and "arm" in rest:
            return side, "upperarm"
        if t in ("lower", "low") and "leg" in rest:
            return side, "shin"
    for t in reversed(rest):
        if t in _PART_OF:
            return side, _PART_OF[t]
    return side, ""


def _glued_known(t: str) -> bool:
    return any(t == w or (t.startswith(w) and t[len(w) :] in ("s", "joint")) for w in _KNOWN)


def joint_map(names: Sequence[str], parents: Sequence[int] | None = None) -> dict[str, str]:
    """Map BVH joint names to the shared vocabulary by meaning.

    Args:
        names: the file's joint names.
        parents: each joint's parent index (-1 for a root). With it, the kinematic chain
            settles ambiguous names (a ``LeftShoulder`` above ``LeftArm`` is a clavicle; CMU's
            ``lhipjoint`` above ``lfemur`` is not the hip); without it, name priorities do.

    Returns:
        ``{bvh_name: vocabulary_name}`` for ``R/L Shoulder, Elbow, Wrist, Hip, Knee, Ankle``,
        ``Nose`` (a joint named nose if the rig has one, else the head joint, an approximation:
        most BVH rigs have no nose) and ``R/LEye`` where the rig has eyes. ``Neck`` and
        ``MidHip`` are never mapped (they are midpoints by definition).

    The wrist is the hand joint nearest the root (CMU ``lwrist`` before ``lhand``); the elbow
    the nearest forearm-named joint above it (else its nearest non-helper parent); the shoulder
    the nearest upper-arm-named joint above the elbow (else its parent). Legs likewise.
    """
    names = list(names)
    cls = [classify_joint(n) for n in names]
    depth = _depths(parents) if parents is not None else [0] * len(names)
    out: dict[str, str] = {}
    for side in ("L", "R"):
        for *part_names, end_p, mid_p, top_p in _LIMBS:
            chain = _limb_chain(cls, parents, depth, side, end_p, mid_p, top_p)
            for name, idx in zip(part_names, chain):
                if idx is not None:
                    out[names[idx]] = side + name
        eyes = [i for i, (sd, p) in enumerate(cls) if sd == side and p == "eye"]
        if eyes:
            out[names[min(eyes, key=lambda i: depth[i])]] = side + "Eye"
    heads = [i for i, (sd, p) in enumerate(cls) if p == "nose" and sd == ""]
    heads = heads or [i for i, (sd, p) in enumerate(cls) if p == "head" and sd == ""]
    if heads:
        out[names[min(heads, key=lambda i: (depth[i], i))]] = "Nose"
    return out


def _depths(parents: Sequence[int]) -> list[int]:
    d: list[int] = []
    for p in parents:
        d.append(0 if p < 0 else d[p] + 1)
    return d


def _limb_chain(
    cls: list[tuple[str, str]],
    parents: Sequence[int] | None,
    depth: list[int],
    side: str,
    end_parts: set[str],
    mid_parts: set[str],
    top_parts: set[str],
) -> tuple[int | None, int | None, int | None]:
    """Indices of (end, middle, top) joints of one limb, e.g. (wrist, elbow, shoulder)."""
    on_side = [i for i, (sd, _) in enumerate(cls) if sd == side]
    if parents is None:
        return _limb_by_name(cls, on_side, end_parts, mid_parts, top_parts)
    ends = [i for i in on_side if cls[i][1] in end_parts]
    if not ends:
        return None, None, None
    # The hand (foot) joint nearest the root: CMU "lwrist" rather than "lhand" below it.
    end = min(ends, key=lambda i: (depth[i], i))
    mid = _nearest_above(end, parents, cls, mid_parts)
    top = _nearest_above(mid, parents, cls, top_parts) if mid is not None else None
    return end, mid, top


def _nearest_above(
    j: int, parents: Sequence[int], cls: list[tuple[str, str]], parts: set[str]
) -> int | None:
    """The nearest ancestor of ``j`` whose part is in ``parts`` (the top of a run of such
    joints, for rigs that split a bone in segments: Rigify ``upper_arm.L``, ``upper_arm.L.001``);
    failing that, the nearest ancestor that is not a helper bone and not on the centre line."""
    side = cls[j][0]
    p = parents[j]
    fallback = None
    while p >= 0:
        sd, part = cls[p]
        if part in parts:
            while parents[p] >= 0 and cls[parents[p]] == (sd, part):
                p = parents[p]
            return p
        if fallback is None and part != "aux" and sd == side:
            fallback = p
        if sd != side:  # reached the spine: stop looking
            break
        p = parents[p]
    return fallback


def _limb_by_name(
    cls: list[tuple[str, str]],
    on_side: list[int],
    end_parts: set[str],
    mid_parts: set[str],
    top_parts: set[str],
) -> tuple[int | None, int | None, int | None]:
    """Name-only choice (no hierarchy): definite names win over ambiguous ones."""

    def pick(parts: set[str], prefer: Sequence[str]) -> int | None:
        cands = [i for i in on_side if cls[i][1] in parts]
        if not cands:
            return None
        return min(cands, key=lambda i: (prefer.index(cls[i][1]) if cls[i][1] in prefer else 9, i))

    end = pick(end_parts, [])
    mid = pick(mid_parts, [])
    top = pick(top_parts, ["upperarm", "thigh"])
    return end, mid, top


# ---------------------------------------------------------------------------- PoseSequence
def _mirror_name(name: str) -> str | None:
    """The name of the other side's joint (``LeftArm`` -> ``RightArm``), or None."""
    swaps = (
        (r"Left", "Right"), (r"Right", "Left"), (r"left", "right"), (r"right", "left"),
        (r"LEFT", "RIGHT"), (r"RIGHT", "LEFT"),
    )  # fmt: skip
    for a, b in swaps:
        if a in name:
            return name.replace(a, b, 1)
    for pat, rep in (
        (r"(?<![A-Za-z])L(?=[A-Z_ .\d]|$)", "R"), (r"(?<![A-Za-z])R(?=[A-Z_ .\d]|$)", "L"),
        (r"(?<=[_ .])L(?![a-z])", "R"), (r"(?<=[_ .])R(?![a-z])", "L"),
        (r"(?<=[_ .])l(?![a-z])", "r"), (r"(?<=[_ .])r(?![a-z])", "l"),
        (r"^l(?=[a-z])", "r"), (r"^r(?=[a-z])", "l"),
    ):  # fmt: skip
        new, n = re.subn(pat, rep, name, count=1)
        if n:
            return new
    return None


def bvh_skeleton(motion: BvhMotion, name: str) -> Skeleton:
    """A :class:`Skeleton` with the file's joints, parents and left/right pairs."""
    names = _unique(motion.names)
    index = {n: i for i, n in enumerate(names)}
    sym = []
    for i, n in enumerate(names):
        side, _ = classify_joint(n)
        other = _mirror_name(n)
        if side == "L" and other is not None and other in index:
            if classify_joint(other)[0] == "R":
                sym.append((i, index[other]))
    return Skeleton(name, tuple(names), tuple(motion.parents), symmetry=tuple(sym))


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            new = f"{n}.{seen[n]}"
            log.warning("BVH joint name %r appears more than once; calling it %r", n, new)
            out.append(new)
        else:
            seen[n] = 0
            out.append(n)
    return out


def up_axis(positions: np.ndarray, mapping: dict[str, str], names: Sequence[str]) -> str:
    """The up axis (``"+y"``, ``"+z"`` ...) from the mean ankle-to-head direction; ``"+y"``
    when the map has no head or ankles."""
    return _up_axis(positions, mapping, names) or "+y"


def _up_axis(positions: np.ndarray, mapping: dict[str, str], names: Sequence[str]) -> str | None:
    names = list(names)
    inv = {v: names.index(k) for k, v in mapping.items()}
    feet = [inv[k] for k in ("LAnkle", "RAnkle") if k in inv]
    if "Nose" not in inv or not feet or positions.shape[0] == 0:
        return None
    d = (positions[:, inv["Nose"]] - positions[:, feet].mean(axis=1)).mean(axis=0)
    a = int(np.argmax(np.abs(d)))
    return ("+" if d[a] >= 0 else "-") + "xyz"[a]


def body_height(
    positions: np.ndarray, ends: np.ndarray, head: int | None, head_end: int | None, up: str
) -> float:
    """Body height: the 99th percentile over frames of the extent along the up axis from the
    lowest joint or End Site to the head's End Site (or the head joint). NaN without a head.

    The most upright frames set it, so a crouching clip still gives the standing height; a rig
    whose head End Site has zero length (Bandai Namco) measures to the head joint."""
    if head is None or positions.shape[0] == 0:
        return math.nan
    a = "xyz".index(up[1])
    sign = 1.0 if up[0] == "+" else -1.0
    top = ends[:, head_end, a] if head_end is not None else positions[:, head, a]
    allpts = np.concatenate([positions[..., a], ends[..., a]], axis=1)
    low = allpts.min(axis=1) if sign > 0 else allpts.max(axis=1)
    return float(np.percentile(sign * (top - low), 99))


UNITS_TO_M = {"cm": 0.01, "m": 1.0, "mm": 0.001, "in": 0.0254, "asf": 0.0254 / 0.45}
"""Metres per unit. ``asf`` is the length unit of CMU's ASF skeletons (1/0.45 inch, 5.64 cm),
which BVH files converted from them without rescaling keep (the Xia walks here)."""


def guess_units(height: float) -> str:
    """Units from a body height (1.2 to 2.3 m): ``cm``, ``m``, ``mm``, ``in``, ``asf`` or
    ``units`` (unknown)."""
    if not math.isfinite(height) or height <= 0:
        return "units"
    for unit, scale in UNITS_TO_M.items():
        if 1.2 <= height * scale <= 2.3:
            return unit
    return "units"


_NOSE_LOGGED = False


def _shadow_vocabulary_names(mapping: dict[str, str], joints: Sequence[str]) -> dict[str, str]:
    """The joint map plus ``name -> "bvh:name"`` for unmapped joints that happen to be spelled
    like a vocabulary joint (a BVH ``Neck`` is not our ``Neck``, the shoulders' midpoint), so
    that :func:`skeleton_io.convert`, which keeps unmapped names as they are, skips them."""
    vocab = {n for s in SKELETONS.values() for n in s.joints}
    out = dict(mapping)
    for j in joints:
        if j not in out and j in vocab:
            out[j] = f"bvh:{j}"
    return out


def load(path: str | Path, fps: float | None = None, **_: Any) -> PoseSequence:
    """Read a BVH file as a 3D pose sequence of its own joints.

    The skeleton is the file's hierarchy (``name="bvh:<stem>"``); ``coords`` are the forward
    kinematics positions in the file's units and axes; ``confidence`` is 1; ``fps`` is
    ``1 / Frame Time`` (``fps`` is used only when the file's frame time is not positive).
    ``units`` is guessed from the body height (``meta["body_height"]``, ``meta["units_guessed"]``),
    ``up`` from the ankle-to-head direction. ``meta["joint_map"]`` maps the joints onto the
    shared vocabulary (see :func:`joint_map`; a joint merely *named* like a vocabulary joint,
    such as a BVH ``Neck``, is mapped to ``"bvh:Neck"`` so that conversions skip it), and
    ``source`` holds the :class:`BvhMotion` so that :func:`save` writes the file back exactly.
    """
    global _NOSE_LOGGED
    path = Path(path)
    motion = read_bvh(path)
    meta: dict[str, Any] = {"format": "bvh"}
    file_fps = motion.fps
    if math.isfinite(file_fps):
        seq_fps = file_fps
    elif fps is not None:
        seq_fps = float(fps)
    else:
        seq_fps = DEFAULT_FPS
        meta["fps_assumed"] = True
        log.warning(
            "%s: Frame Time %r is not a positive number; assuming %g fps (pass --fps)",
            path,
            motion.frame_time_str,
            seq_fps,
        )
    skeleton = bvh_skeleton(motion, f"bvh:{path.stem}")
    mapping = joint_map(motion.names, motion.parents)
    mapping = {skeleton.joints[motion.names.index(k)]: v for k, v in mapping.items()}
    pos, ends = motion.positions(end_sites=True)
    up = up_axis(pos, mapping, skeleton.joints)
    inv = {v: skeleton.joints.index(k) for k, v in mapping.items()}
    head = inv.get("Nose")
    ej = motion.end_site_joints
    head_end = ej.index(head) if head is not None and head in ej else None
    height = body_height(pos, ends, head, head_end, up)
    units = guess_units(height)
    missing = [
        f"{s}{n}" for s in "RL" for n in ("Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle")
    ]
    missing = [m for m in [*missing, "Nose"] if m not in inv]
    if missing:
        log.warning("%s: no joint found for %s; they will be missing", path, ", ".join(missing))
    if head is not None and not _NOSE_LOGGED:
        _NOSE_LOGGED = True
        log.info("BVH has no nose: the head joint stands in for 'Nose' (an approximation)")
    meta.update(
        joint_map=_shadow_vocabulary_names(mapping, skeleton.joints),
        units_guessed=True,
        units_to_m=UNITS_TO_M.get(units),
        root_channels="absolute" if motion.root_channels_absolute else "offset+channels",
        body_height=None if not math.isfinite(height) else round(height, 6),
        frame_time=motion.frame_time_str,
    )
    if units == "units":
        log.warning(
            "%s: cannot tell the units from a body height of %.4g; calling them 'units'",
            path,
            height,
        )
    return PoseSequence(
        coords=pos,
        confidence=np.ones(pos.shape[:2]),
        skeleton=skeleton,
        fps=seq_fps,
        units=units,
        up=up,
        meta=meta,
        source=motion,
    )


def save(seq: PoseSequence, path: str | Path, **_: Any) -> None:
    """Write a sequence as BVH.

    A sequence read from a BVH file (``seq.source`` a :class:`BvhMotion` with the same frame
    count) is written back exactly. Any other 3D sequence (or a 2D one with ``world``
    coordinates, such as BlazePose's) is written by inverse kinematics on the ``openpose15``
    joints, see :func:`bvh_from_positions`.

    Raises:
        PoseFormatError: a 2D sequence without world coordinates, a sequence whose BVH source
            has another frame count, or one that lacks a joint BVH output needs.
    """
    src = seq.source
    if isinstance(src, BvhMotion):
        if src.num_frames != seq.num_frames:
            raise PoseFormatError(
                f"{path}: the sequence has {seq.num_frames} frames but its BVH source "
                f"{src.num_frames}; slice with skeleton_io.load_file(start_frame=, max_frames=)"
            )
        write_bvh(src, path)
        return
    if seq.dims != 3 and seq.world is None:
        raise PoseFormatError(
            f"{path}: BVH output needs 3D poses (joint rotations come from 3D bone directions); "
            f"this {seq.skeleton.name} sequence is 2D; use --format native, csv, openpose or coco"
        )
    log.info(
        "%s: writing BVH by inverse kinematics on openpose15 joints (median bone lengths; "
        "the twist about each bone is not recovered)",
        path,
    )
    write_bvh(bvh_from_positions(seq, where=str(path)), path)


# ---------------------------------------------------------------------------- IK writer
# openpose15 as a BVH hierarchy, depth first: (joint, parent, rest direction, the bone whose
# median length scales it, how its rotation is found). Rest directions are in a canonical body
# frame (x = the person's left, y = up, z = forward): a T-pose. "Spine" and "UpperNeck" sit on
# MidHip and Neck (zero OFFSET) and aim at Neck and Nose, so that every bone direction is
# followed exactly while MidHip and Neck turn with the hip and shoulder lines.
_IkJoint = tuple[str, str | None, tuple[int, int, int], tuple[str, str] | None, tuple | None]
_IK_TREE: tuple[_IkJoint, ...] = (
    ("MidHip", None, (0, 0, 0), None, ("frame", "RHip", "LHip", "MidHip", "Neck")),
    ("RHip", "MidHip", (-1, 0, 0), ("MidHip", "RHip"), ("aim", "RKnee")),
    ("RKnee", "RHip", (0, -1, 0), ("RHip", "RKnee"), ("aim", "RAnkle")),
    ("RAnkle", "RKnee", (0, -1, 0), ("RKnee", "RAnkle"), None),
    ("LHip", "MidHip", (1, 0, 0), ("MidHip", "LHip"), ("aim", "LKnee")),
    ("LKnee", "LHip", (0, -1, 0), ("LHip", "LKnee"), ("aim", "LAnkle")),
    ("LAnkle", "LKnee", (0, -1, 0), ("LKnee", "LAnkle"), None),
    ("Spine", "MidHip", (0, 0, 0), None, ("aim", "Neck")),
    ("Neck", "Spine", (0, 1, 0), ("MidHip", "Neck"),
     ("frame", "RShoulder", "LShoulder", "MidHip", "Neck")),
    ("RShoulder", "Neck", (-1, 0, 0), ("Neck", "RShoulder"), ("aim", "RElbow")),
    ("RElbow", "RShoulder", (-1, 0, 0), ("RShoulder", "RElbow"), ("aim", "RWrist")),
    ("RWrist", "RElbow", (-1, 0, 0), ("RElbow", "RWrist"), None),
    ("LShoulder", "Neck", (1, 0, 0), ("Neck", "LShoulder"), ("aim", "LElbow")),
    ("LElbow", "LShoulder", (1, 0, 0), ("LShoulder", "LElbow"), ("aim", "LWrist")),
    ("LWrist", "LElbow", (1, 0, 0), ("LElbow", "LWrist"), None),
    ("UpperNeck", "Neck", (0, 0, 0), None, ("aim", "Nose")),
    ("Nose", "UpperNeck", (0, 1, 0), ("Neck", "Nose"), None),
)  # fmt: skip
_AT = {"Spine": "MidHip", "UpperNeck": "Neck"}  # where the zero-offset joints sit
_ZYX = ("Zrotation", "Yrotation", "Xrotation")


def _canonical_to_data(up: str) -> np.ndarray:
    """``(3, 3)`` matrix taking the canonical body frame (x left, y up, z forward) to the
    data's axes, with the data's ``up`` axis as up and the first other axis as left."""
    sign = -1.0 if up.startswith("-") else 1.0
    a = "xyz".index(up[-1].lower())
    u = np.zeros(3)
    u[a] = sign
    left = np.zeros(3)
    left[0 if a != 0 else 1] = 1.0
    return np.stack([left, u, np.cross(left, u)], axis=1)


def _unit(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12), n[..., 0] > 1e-12


def _min_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(T, 3, 3)`` the smallest rotations taking unit vector ``a`` (3,) to unit ``b`` (T, 3)."""
    from scipy.spatial.transform import Rotation

    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = b @ a
    angle = np.arctan2(s, c)
    rotvec = np.zeros_like(b)
    ok = s > 1e-12
    rotvec[ok] = axis[ok] / s[ok, None] * angle[ok, None]
    flip = ~ok & (c < 0)  # opposite directions: half a turn about any perpendicular axis
    if flip.any():
        perp = np.cross(a, [1.0, 0, 0] if abs(a[0]) < 0.9 else [0, 1.0, 0])
        rotvec[flip] = perp / np.linalg.norm(perp) * np.pi
    return Rotation.from_rotvec(rotvec).as_matrix()


def _triad(v1: np.ndarray, v2: np.ndarray, r1: np.ndarray, r2: np.ndarray):
    """``(T, 3, 3)`` rotations W with ``W r1`` along ``v1`` exactly and ``W r2`` as near ``v2``
    as that allows (TRIAD; what ``Rotation.align_vectors`` does with an infinite weight on the
    first pair, batched over frames), and ``(T,)`` where it is defined."""

    def frame(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e1, ok1 = _unit(a)
        e2, ok2 = _unit(b - (b * e1).sum(-1, keepdims=True) * e1)
        return np.stack([e1, e2, np.cross(e1, e2)], axis=-1), ok1 & ok2

    obs, ok = frame(v1, v2)
    rest, _ = frame(r1[None], r2[None])
    return np.einsum("tij,tkj->tik", obs, rest), ok


def _ffill(values: np.ndarray, ok: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Replace rows where ``ok`` is False with the last good row (``fill`` before any)."""
    out = values.copy()
    last = fill
    for t in range(len(out)):
        if ok[t]:
            last = out[t]
        else:
            out[t] = last
    return out


def bvh_from_positions(seq: PoseSequence, where: str = "") -> BvhMotion:
    """A BVH motion whose forward kinematics follows ``seq``'s ``openpose15`` joints.

    Inverse kinematics on bone directions. The hierarchy is openpose15 rooted at ``MidHip``
    (translation and rotation channels; every other joint ``Zrotation Yrotation Xrotation``)
    plus two joints with zero OFFSET, ``Spine`` (on MidHip) and ``UpperNeck`` (on Neck). The
    OFFSETs are a T-pose with each bone's median length (x = the person's left, the data's up
    axis as up). Each frame, ``MidHip`` and ``Neck`` turn so that the hip and shoulder lines
    point exactly as observed (their roll from the spine), and every other joint by the
    smallest rotation that points its bone at its child (the twist about a limb is not
    recovered: it moves no joint). Where a joint is missing, the previous frame's rotation is
    kept. Positions come out in the sequence's units and axes; the bones follow the input's
    directions exactly and its lengths up to each frame's difference from the median (exact
    when ``Neck`` and ``MidHip`` are the midpoints and bone lengths are constant).

    A 2D sequence with ``world`` coordinates (BlazePose) uses those, with up ``-y``.
    """
    from scipy.spatial.transform import Rotation

    from ..convert import convert

    op = convert(seq, "openpose15")
    if op.dims == 3:
        pts, up = op.coords, seq.up or "+y"
    elif op.world is not None:
        pts, up = op.world, "-y"
    else:
        raise PoseFormatError(f"{where}: BVH output needs 3D poses; this sequence is 2D")
    if up[-1:].lower() not in ("x", "y", "z"):
        up = "+y"
    vis = op.visible
    canon = _canonical_to_data(up)
    T = op.num_frames

    def at(name: str) -> int:
        return op.skeleton.idx(_AT.get(name, name))

    offsets: dict[str, np.ndarray] = {}
    for name, _, rest, bone, _ in _IK_TREE:
        offsets[name] = np.zeros(3)
        if bone is None:
            continue
        a, b = at(bone[0]), at(bone[1])
        ok = vis[:, a] & vis[:, b]
        if not ok.any():
            raise PoseFormatError(
                f"{where}: cannot write BVH: {bone[0]}-{bone[1]} is never visible in any frame"
            )
        length = float(np.median(np.linalg.norm(pts[ok, b] - pts[ok, a], axis=-1)))
        offsets[name] = canon @ np.asarray(rest, dtype=float) * length

    names = [n for n, *_ in _IK_TREE]
    world: dict[str, np.ndarray] = {}
    local: dict[str, np.ndarray] = {}
    eye = np.broadcast_to(np.eye(3), (T, 3, 3))
    for name, parent, _, _, rule in _IK_TREE:
        w_parent = world[parent] if parent else eye
        if rule is None:
            local[name] = np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
        elif rule[0] == "aim":
            child = rule[1]
            j, k = at(name), at(child)
            v, ok = _unit(pts[:, k] - pts[:, j])
            v_local = np.einsum("tji,tj->ti", w_parent, v)  # into the parent's frame
            r, _ = _unit(offsets[child])
            local[name] = _ffill(_min_rotation(r, v_local), ok & vis[:, j] & vis[:, k], np.eye(3))
        else:  # "frame": right-to-left line exactly, roll from the spine
            rj, lj, bj, tj = (at(n) for n in rule[1:])
            w, ok = _triad(
                pts[:, lj] - pts[:, rj], pts[:, tj] - pts[:, bj], canon[:, 0], canon[:, 1]
            )
            ok &= vis[:, [rj, lj, bj, tj]].all(axis=1)
            local[name] = _ffill(np.einsum("tji,tjk->tik", w_parent, w), ok, np.eye(3))
        world[name] = np.einsum("tij,tjk->tik", w_parent, local[name])

    root = at("MidHip")
    cols = [_ffill(pts[:, root], vis[:, root], np.zeros(3))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # gimbal lock: the matrix is still exact
        for name in names:
            cols.append(Rotation.from_matrix(local[name]).as_euler("ZYX", degrees=True))
    has_child = {p for _, p, *_ in _IK_TREE if p}
    joints = []
    for name, parent, _, _, _ in _IK_TREE:
        channels = ("Xposition", "Yposition", "Zposition", *_ZYX) if parent is None else _ZYX
        end = 0.25 * offsets[name] if name not in has_child else None
        joints.append(BvhJoint(name, names.index(parent) if parent else -1, offsets[name],
                               channels, end))  # fmt: skip
    ft = 1.0 / seq.fps
    return BvhMotion(joints, ft, np.concatenate(cols, axis=1), frame_time_str=repr(ft))
