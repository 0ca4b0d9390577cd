"""What a plot shows of a sequence: its points in view coordinates and their limits.

A :class:`Scene` holds a sequence's joints in the view frame of :mod:`viz.camera` (with the
camera following the performer when ``follow`` says so); :class:`Limits` are the extents of
the projected points, shared between panels so that sizes compare.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from skeleton_io.checks import require_person
from skeleton_io.convert import joint_names
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.group import PoseGroup
from skeleton_io.pose import PoseSequence

from .camera import FOLLOWS, Follow, Front, camera_rotation, project_points, view_frame

if TYPE_CHECKING:
    from matplotlib.axes import Axes

log = logging.getLogger(__name__)


# ----------------------------------------------------------------- limits
@dataclass(frozen=True)
class Limits:
    """Axes limits in drawing coordinates; ``y_down`` inverts the y axis (pixels)."""

    xmin: float
    xmax: float
    ymin: float
    ymax: float
    y_down: bool = False

    @property
    def aspect(self) -> float:
        """Width over height."""
        return (self.xmax - self.xmin) / (self.ymax - self.ymin)

    def apply(self, ax: Axes) -> None:
        ax.set_xlim(self.xmin, self.xmax)
        ax.set_ylim((self.ymax, self.ymin) if self.y_down else (self.ymin, self.ymax))
        ax.set_aspect("equal", adjustable="box")


def points_limits(
    xy: np.ndarray, visible: np.ndarray, pad: float = 0.08, y_down: bool = False
) -> Limits:
    """Tight limits around the visible points of ``xy`` (..., 2), padded by ``pad`` of the size."""
    pts = xy[visible]
    if pts.size == 0:
        return Limits(0.0, 1.0, 0.0, 1.0, y_down)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    size = float(max(hi[0] - lo[0], hi[1] - lo[1], 1e-6))
    m = pad * size
    return Limits(lo[0] - m, hi[0] + m, lo[1] - m, hi[1] + m, y_down)


def union(limits: Sequence[Limits]) -> Limits:
    return Limits(
        min(lim.xmin for lim in limits),
        max(lim.xmax for lim in limits),
        min(lim.ymin for lim in limits),
        max(lim.ymax for lim in limits),
        limits[0].y_down,
    )


# ----------------------------------------------------------------- scenes
def _layers(group: PoseGroup) -> np.ndarray:
    """``(T, J)`` of :meth:`PoseGroup.merged`'s joints: their person's rank from the back
    in each frame (0 the farthest), from :meth:`PoseGroup.depth_order`."""
    near = group.nearness()
    n = group.skeleton.num_joints
    rank = np.zeros((group.num_frames, group.num_people))
    for t in range(group.num_frames):
        for r, tid in enumerate(group.depth_order(t, near)):
            rank[t, group.ids.index(tid)] = r
    return np.repeat(rank, n, axis=1)


def root_track(seq: PoseSequence, points: np.ndarray) -> np.ndarray:
    """``(T, 3)`` position of the performer in each frame: the mean of the visible hip joints
    (``MidHip``, ``LHip``, ``RHip``, by name; BVH through its joint map), else of the
    skeleton's root, else of all visible joints; frames with nobody keep the last position."""
    names = joint_names(seq)
    vis = seq.visible
    candidates = [[names.index(n) for n in ("MidHip", "LHip", "RHip") if n in names]]
    candidates.append([j for j, p in enumerate(seq.skeleton.parents) if p < 0][:1])
    candidates.append(list(range(seq.num_joints)))
    track = np.full((seq.num_frames, 3), np.nan)
    for idx in candidates:
        if not idx:
            continue
        w = vis[:, idx].astype(float)
        n = w.sum(axis=1)
        mean = (points[:, idx] * w[..., None]).sum(axis=1) / np.maximum(n, 1)[:, None]
        fill = np.isnan(track[:, 0]) & (n > 0)
        track[fill] = mean[fill]
    last = np.zeros(3)
    for t in range(len(track)):
        if np.isnan(track[t, 0]):
            track[t] = last
        last = track[t]
    return track


@dataclass
class Scene:
    """A sequence ready to draw: 2D as it is, 3D in its view frame.

    Attributes:
        seq: the source sequence.
        points: 2D: ``(T, J, 2)`` drawing coordinates, the data's own. 3D: ``(T, J, 3)``
            view-frame points (Y up), shifted by ``offset``.
        offset: ``(T, 3)`` what was subtracted from each frame's view-frame points: the
            bounding-box centre of the whole sequence, or with ``follow`` the performer's
            horizontal position in each frame (the camera travels with the performer).
        follow: whether the camera follows the performer.
        front: the view frame's front (``"auto"`` or ``"data"``).
        people: for a group (:meth:`of` a :class:`PoseGroup`): the track ids, ``seq`` being
            :meth:`PoseGroup.merged` (one block of joints per person, in this order).
        layers: for a 2D group, ``(T, J)`` each joint's person's rank from the back in each
            frame (:meth:`PoseGroup.depth_order`), used as depth: nearer people on top.
    """

    seq: PoseSequence
    points: np.ndarray
    offset: np.ndarray
    follow: bool = False
    front: Front = "auto"
    people: tuple[int, ...] = ()
    layers: np.ndarray | None = None

    @classmethod
    def of(
        cls, seq: PoseSequence | PoseGroup, front: Front = "auto", follow: Follow = "auto"
    ) -> Scene:
        """Prepare ``seq`` (a sequence, or a group: everyone in one scene, seen through one
        camera whose front is the data's own, ``"data"``, whatever ``front`` says: people
        face every way). ``follow``:
        ``"yes"``, ``"no"``, or ``"auto"``, which follows a performer (a group: its mean
        position) whose path is longer than their height (walking mocap)."""
        if follow not in FOLLOWS:
            raise InvalidArgumentError(f"follow {follow!r} is not one of {', '.join(FOLLOWS)}")
        group = seq if isinstance(seq, PoseGroup) else None
        if group is not None:
            seq = group.merged()
        people = group.ids if group is not None else ()
        require_person(seq)  # nothing to draw: never a picture of nobody
        if seq.dims == 2:
            layers = None if group is None else _layers(group)
            zero = np.zeros((seq.num_frames, 2))
            return cls(seq, seq.coords, zero, False, front, people, layers)
        # a group's people face every way (two shaking hands face each other): its front is
        # the data's own (for video-derived 3D, the camera that filmed them)
        rot = view_frame(seq, "data" if group is not None else front)
        pts = rot.apply(seq.coords.reshape(-1, 3)).reshape(seq.coords.shape)
        vis = pts[seq.visible]
        center = (vis.min(axis=0) + vis.max(axis=0)) / 2 if vis.size else np.zeros(3)
        if group is None:
            track = root_track(seq, pts)
        else:  # the group's mean position (each person's where they are seen)
            n = group.skeleton.num_joints
            tracks = np.stack([
                np.where(p.present[:, None], root_track(p, pts[:, k * n : (k + 1) * n]), np.nan)
                for k, p in enumerate(group.tracks.values())
            ])  # fmt: skip
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                track = np.nan_to_num(np.nanmean(tracks, axis=0), nan=0.0)
        if follow == "auto":
            path = float(np.ptp(track[:, [0, 2]], axis=0).max()) if len(track) else 0.0
            height = float(np.ptp(vis[:, 1])) if vis.size else 0.0
            follow = "yes" if path > max(height, 1e-9) else "no"
        offset = np.tile(center, (seq.num_frames, 1))
        if follow == "yes":
            offset[:, [0, 2]] = track[:, [0, 2]]
        return cls(seq, pts - offset[:, None, :], offset, follow == "yes", front, people)

    def person_joints(self) -> list[np.ndarray]:
        """For a group: the joint indices of each person (in :attr:`people` order)."""
        if not self.people:
            return []
        n = self.seq.num_joints // len(self.people)
        return [np.arange(k * n, (k + 1) * n) for k in range(len(self.people))]

    @property
    def is_3d(self) -> bool:
        return self.points.shape[-1] == 3

    @property
    def y_down(self) -> bool:
        return not self.is_3d and self.seq.up.strip().startswith("-")

    def project(
        self, azim: float, elev: float, frames: slice | int | np.ndarray = slice(None)
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Drawing coordinates ``(..., J, 2)`` and depth (None for 2D) of ``frames``."""
        pts = self.points[frames]
        if not self.is_3d:
            return pts, None if self.layers is None else self.layers[frames]
        return project_points(pts, camera_rotation(azim, elev))

    def limits(
        self, azim: float = 0.0, elev: float = 0.0, pad: float = 0.08, floor: bool = True
    ) -> Limits:
        """Tight limits of the whole sequence (and its floor) in this view; frames share them."""
        xy, _ = self.project(azim, elev)
        lim = points_limits(xy, self.seq.visible, pad, self.y_down)
        if not (floor and self.is_3d and self.seq.visible.any()):
            return lim
        uv, _ = project_points(self._circle(), camera_rotation(azim, elev))
        return union([lim, points_limits(uv, np.ones(len(uv), bool), pad, self.y_down)])

    def sweep_limits(self, elev: float = 0.0, pad: float = 0.05) -> Limits:
        """Limits that hold at elevation ``elev`` from every azimuth (a turntable's bound)."""
        vis = self.points[self.seq.visible]
        if vis.size == 0:
            return Limits(-1.0, 1.0, -1.0, 1.0)
        r = self.floor_radius()
        y0, y1 = vis[:, 1].min(), vis[:, 1].max()
        c, s = np.cos(np.radians(elev)), abs(np.sin(np.radians(elev)))
        lo, hi = y0 * c - r * s, y1 * c + r * s
        m = pad * max(2 * r, hi - lo)
        return Limits(-r - m, r + m, lo - m, hi + m, False)

    def floor_radius(self) -> float:
        """Radius of the floor disc: a little more than the farthest joint from the up axis."""
        vis = self.points[self.seq.visible]
        return 1.1 * max(float(np.linalg.norm(vis[:, [0, 2]], axis=-1).max()), 1e-6)

    def _circle(self) -> np.ndarray:
        vis = self.points[self.seq.visible]
        y0, r = vis[:, 1].min(), self.floor_radius()
        a = np.linspace(0, 2 * np.pi, 73)
        return np.stack([r * np.cos(a), np.full_like(a, y0), r * np.sin(a)], 1)

    def floor(self, frame: int = 0, cells: int = 6) -> list[np.ndarray] | None:
        """The floor of ``frame`` as polylines ``(N, 3)`` in drawing coordinates: a disc
        under the lowest joint, ruled by a grid fixed to the world (``cells`` across), so
        the grid slides when the camera follows the performer and turns in a sweep."""
        if not self.is_3d or not self.seq.visible.any():
            return None
        circle = self._circle()
        y0, r = circle[0, 1], self.floor_radius()
        step = 2 * r / cells
        lines = [circle]
        for axis in (0, 2):
            shift = self.offset[frame, axis]
            first = np.ceil((-r + shift) / step) * step - shift
            for c in np.arange(first, r, step):
                half = np.sqrt(max(r * r - c * c, 0.0))
                seg = np.zeros((2, 3))
                seg[:, 1] = y0
                seg[:, axis] = c
                seg[:, 2 - axis] = [-half, half]
                lines.append(seg)
        return lines
