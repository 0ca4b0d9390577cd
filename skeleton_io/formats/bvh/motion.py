"""BVH data: the hierarchy and motion container (:class:`BvhMotion`) and its forward kinematics.

Conventions: see :mod:`skeleton_io.formats.bvh`.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field

import numpy as np

from skeleton_io.errors import PoseFormatError

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
