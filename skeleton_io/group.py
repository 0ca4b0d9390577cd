"""Several people's pose sequences: :class:`PoseGroup`.

A group is an ordered mapping *track id* -> :class:`~skeleton_io.pose.PoseSequence`, one
sequence per person, all on the same frames: same number of frames, frame rate, canvas,
skeleton, dimensions, units and up axis (the conventions of :mod:`skeleton_io.pose`: 2D
pixels, x right, y down, origin top-left). Frame ``t`` of every track is the same moment.
A person's frames where they were not seen are *missing* (confidence 0 for every joint),
never filled with somebody else.

Track ids are integers >= 0 that name a person across the clip (what OpenPose JSON stores as
``person_id``, COCO/PoseTrack as ``track_id``, CSV as ``person``). Their order in the group
is the order people are listed in (extraction numbers them by first appearance, then left
to right).

Slicing (``group[10:20]``, ``group[mask]``) cuts frames of every track, numpy style, and
keeps every track id even where a track has no frame left. :meth:`PoseGroup.person` picks
one track, :meth:`PoseGroup.main` the most prominent one (largest on average).
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from .errors import InvalidArgumentError, SkeletonMismatchError, look_up
from .pose import PoseSequence
from .skeleton import Skeleton

log = logging.getLogger(__name__)

DEPTH_SMOOTH = 0.5
"""Seconds over which :meth:`PoseGroup.nearness` is averaged."""
_NO_PERSON = "no person with track id {key!r}; the ids are {known}"
_SHARED = ("num_frames", "fps", "canvas", "units", "up", "dims")
T = TypeVar("T")


def body_size(seq: PoseSequence) -> np.ndarray:
    """``(T,)`` size of the person in each frame: the square root of the area of the box
    around the found joints (in ``seq``'s units), 0 in frames without the person."""
    box = person_boxes(seq)
    size = np.sqrt(np.prod(box[:, 2:] - box[:, :2], axis=1))
    return np.where(seq.present, size, 0.0)


class _Shared(Generic[T]):
    """An attribute of a group that all its tracks share (see :class:`PoseGroup`): the
    first track's."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, group: PoseGroup | None, owner: type | None = None) -> T:
        if group is None:  # on the class: the descriptor itself
            return self  # type: ignore[return-value]
        return getattr(group.first, self.name)

    def __set__(self, group: PoseGroup, value: T) -> None:
        raise AttributeError(f"{self.name} is every track's own; set it on the tracks")


@dataclass
class PoseGroup:
    """Pose sequences of several people, one per track id, on shared frames.

    Attributes:
        tracks: ``{track_id: PoseSequence}`` in listing order; ids are ints >= 0.
        meta: JSON-serialisable facts about the whole group (source path, tracking
            settings, ...); each track keeps its own ``meta`` as well.
    """

    tracks: dict[int, PoseSequence]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tracks = dict(self.tracks.items() if isinstance(self.tracks, Mapping) else self.tracks)
        if not tracks:
            raise InvalidArgumentError("a PoseGroup needs at least one track")
        for tid, seq in tracks.items():
            if isinstance(tid, bool) or not isinstance(tid, (int, np.integer)) or tid < 0:
                raise InvalidArgumentError(f"track ids must be integers >= 0, got {tid!r}")
            if not isinstance(seq, PoseSequence):
                raise InvalidArgumentError(
                    f"track {tid}: expected a PoseSequence, got {type(seq).__name__}"
                )
        self.tracks = {int(k): v for k, v in tracks.items()}
        first_id, first = next(iter(self.tracks.items()))
        for tid, seq in self.tracks.items():
            if seq.skeleton != first.skeleton:
                raise SkeletonMismatchError(
                    f"track {tid} is on skeleton {seq.skeleton.name!r}, track {first_id} on "
                    f"{first.skeleton.name!r}; convert them to one skeleton first"
                )
            for name in _SHARED:
                if getattr(seq, name) != getattr(first, name):
                    raise SkeletonMismatchError(
                        f"track {tid} has {name} {getattr(seq, name)!r} but track {first_id} "
                        f"has {getattr(first, name)!r}; the tracks of a group share frames"
                    )

    # ------------------------------------------------------------------ basics
    @classmethod
    def from_sequence(cls, seq: PoseSequence, track_id: int = 0, **meta: Any) -> PoseGroup:
        """A group of one person."""
        return cls({track_id: seq}, dict(meta))

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(self.tracks)

    @property
    def num_people(self) -> int:
        return len(self.tracks)

    @property
    def first(self) -> PoseSequence:
        """The first listed track (for the shared attributes)."""
        return next(iter(self.tracks.values()))

    num_frames = _Shared[int]()
    fps = _Shared[float]()
    canvas = _Shared[tuple[int, int] | None]()
    skeleton = _Shared[Skeleton]()
    dims = _Shared[int]()
    units = _Shared[str]()
    up = _Shared[str]()

    @property
    def present(self) -> np.ndarray:
        """``(K, T)`` boolean: track ``k`` (in :attr:`ids` order) found in frame ``t``."""
        return np.stack([s.present for s in self.tracks.values()])

    def stacked(self) -> tuple[np.ndarray, np.ndarray]:
        """``coords (K, T, J, D)`` and ``confidence (K, T, J)`` in :attr:`ids` order."""
        seqs = list(self.tracks.values())
        return np.stack([s.coords for s in seqs]), np.stack([s.confidence for s in seqs])

    def items(self) -> Iterable[tuple[int, PoseSequence]]:
        return self.tracks.items()

    def __len__(self) -> int:
        return self.num_frames

    __iter__ = None  # type: ignore[assignment]  # ambiguous: use .items() or .ids

    def __contains__(self, track_id: object) -> bool:
        return track_id in self.tracks

    def __getitem__(self, item: int | slice | np.ndarray) -> PoseGroup:
        """Slice frames of every track, numpy style (an int keeps one frame)."""
        return PoseGroup({k: s[item] for k, s in self.tracks.items()}, copy.deepcopy(self.meta))

    def person(self, track_id: int) -> PoseSequence:
        """One person's sequence by track id."""
        return look_up(self.tracks, track_id, InvalidArgumentError, _NO_PERSON)

    def prominence(self) -> dict[int, float]:
        """Each track's mean :func:`body_size` over *all* frames (0 where absent): how large
        and how long a person is in view."""
        return {k: float(body_size(s).mean()) if s.num_frames else 0.0 for k, s in self.items()}

    def main_id(self) -> int:
        """The id of the most prominent track (:meth:`prominence`; ties: listed first)."""
        prom = self.prominence()
        return max(self.ids, key=lambda k: (prom[k], -self.ids.index(k)))

    def main(self) -> PoseSequence:
        """The most prominent person (largest on average, see :meth:`prominence`)."""
        return self.tracks[self.main_id()]

    def select(self, ids: Iterable[int]) -> PoseGroup:
        """These tracks, in this order."""
        return PoseGroup({k: self.person(k) for k in ids}, copy.deepcopy(self.meta))

    def largest(self, people: int) -> PoseGroup:
        """The ``people`` most prominent tracks (:meth:`prominence`), in their listed order."""
        if people < 1:
            raise InvalidArgumentError(f"`people` must be >= 1, got {people}")
        prom = self.prominence()
        keep = set(sorted(self.ids, key=lambda k: -prom[k])[:people])
        return self.select(k for k in self.ids if k in keep)

    def map(
        self, fn: Callable[[PoseSequence], PoseSequence], keep_missing: bool = True
    ) -> PoseGroup:
        """Apply ``fn`` to every track (e.g. ``lambda s: convert(s, "body25")``).

        With ``keep_missing`` the frames where a track was absent stay missing afterwards
        (a denoiser that fills gaps must not invent a person who was not seen).
        """
        out = {}
        for k, seq in self.items():
            new = fn(seq)
            if keep_missing and new.num_frames == seq.num_frames:
                absent = ~seq.present
                if absent.any() and new.present[absent].any():
                    new = new.copy()
                    new.confidence[absent] = 0.0
                    new.coords[absent] = 0.0
                    if new.world is not None:
                        new.world[absent] = 0.0
            out[k] = new
        return PoseGroup(out, copy.deepcopy(self.meta))

    def boxes(self) -> np.ndarray:
        """``(K, T, 4)`` box ``(x0, y0, x1, y1)`` around each person's found joints in each
        frame (in :attr:`ids` order; the first two coordinates), NaN where absent."""
        return np.stack([person_boxes(s) for s in self.tracks.values()])

    def left_to_right(self) -> tuple[int, ...]:
        """The track ids ordered by each person's mean x over the frames they are in (the
        centre of their box), left to right; people never seen go last, in listed order.

        Extraction numbers tracks by first appearance, so this, not id order, is how
        people are matched to a list of bodies or sources given left to right."""
        centre = self.boxes()[..., [0, 2]].mean(axis=-1)  # (K, T), NaN where absent
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean_x = np.nanmean(centre, axis=1)
        keys = np.where(np.isfinite(mean_x), mean_x, np.inf)
        order = sorted(range(self.num_people), key=lambda k: (keys[k], k))
        return tuple(self.ids[k] for k in order)

    def nearness(self, smooth_seconds: float = DEPTH_SMOOTH) -> np.ndarray:
        """``(K, T)`` how near each person is to the camera (larger: nearer; NaN where
        absent): the bottom of their box plus its height, in pixels, averaged over
        ``smooth_seconds`` of the frames they are in. Under a camera above the floor a
        nearer person stands lower in the picture and is taller; the average keeps two
        people side by side from swapping order with every jitter."""
        from scipy.ndimage import uniform_filter1d

        box = self.boxes()
        key = box[..., 3] + (box[..., 3] - box[..., 1])  # (K, T)
        ok = np.isfinite(key)
        size = max(1, int(round(smooth_seconds * self.fps)) | 1)
        num = uniform_filter1d(np.where(ok, key, 0.0), size, axis=1, mode="nearest")
        den = uniform_filter1d(ok.astype(float), size, axis=1, mode="nearest")
        with np.errstate(all="ignore"):
            return np.where(ok, num / np.maximum(den, 1e-12), np.nan)

    def depth_order(self, frame: int, nearness: np.ndarray | None = None) -> list[int]:
        """Track ids of the people present in ``frame``, farthest first (the order to draw
        or composite them in: nearer people over farther ones); ``nearness`` as
        :meth:`nearness` gives it (computed when None). Ties keep the listed order."""
        near = self.nearness() if nearness is None else nearness
        here = [k for k in range(self.num_people) if np.isfinite(near[k, frame])]
        return [self.ids[k] for k in sorted(here, key=lambda k: (near[k, frame], k))]

    def merged(self) -> PoseSequence:
        """Everyone as one sequence: the tracks' joints side by side (in :attr:`ids` order)
        on a skeleton of one copy per person, joint names ``"ID:Name"``, with each copy's
        bones and left/right pairs; ``meta["people"]`` lists the ids and
        ``meta["joint_owner"]`` the track id of each joint. For code that draws or
        measures one sequence (plots, limits); convert it back by slicing the joints."""
        sk = self.skeleton
        n = sk.num_joints
        joints, parents, edges, sym = [], [], [], []
        for k, tid in enumerate(self.ids):
            joints += [f"{tid}:{j}" for j in sk.joints]
            parents += [p + k * n if p >= 0 else -1 for p in sk.parents]
            edges += [(a + k * n, b + k * n) for a, b in sk.edges]
            sym += [(a + k * n, b + k * n) for a, b in sk.symmetry]
        skeleton = Skeleton(
            f"{self.num_people}x{sk.name}", tuple(joints), tuple(parents), tuple(edges), tuple(sym)
        )
        coords, conf = self.stacked()
        first = self.first
        return PoseSequence(
            np.concatenate(list(coords), axis=1),
            np.concatenate(list(conf), axis=1),
            skeleton,
            fps=first.fps,
            canvas=first.canvas,
            units=first.units,
            up=first.up,
            meta={
                **copy.deepcopy(self.meta),
                "people": list(self.ids),
                "joint_owner": [tid for tid in self.ids for _ in range(n)],
            },
        )

    def renumbered(self) -> PoseGroup:
        """The same tracks with ids 0, 1, ... in listed order."""
        return PoseGroup(dict(enumerate(self.tracks.values())), copy.deepcopy(self.meta))

    def copy(self) -> PoseGroup:
        return PoseGroup({k: s.copy() for k, s in self.items()}, copy.deepcopy(self.meta))


def person_boxes(seq: PoseSequence) -> np.ndarray:
    """``(T, 4)`` box ``(x0, y0, x1, y1)`` around the found joints of each frame (the first
    two coordinates), NaN in frames without the person."""
    vis = seq.visible[..., None]
    xy = seq.coords[..., :2]
    lo = np.where(vis, xy, np.inf).min(axis=1)
    hi = np.where(vis, xy, -np.inf).max(axis=1)
    box = np.concatenate([lo, hi], axis=1)
    return np.where(seq.present[:, None], box, np.nan)


def overlap(group: PoseGroup) -> np.ndarray:
    """``(T,)`` how much people overlap in each frame: over every pair present, the largest
    share of the smaller person's box that the other's box covers (0: apart, 1: one box
    inside the other); 0 in frames with fewer than two people (:func:`box_overlap`).

    Unlike the boxes' IoU this does not fall when one person grows: a child in front of an
    adult covers the same share of the child however tall the adult is."""
    return box_overlap(group.boxes())


def box_overlap(boxes: np.ndarray) -> np.ndarray:
    """:func:`overlap` of ``(K, T, 4)`` boxes ``(x0, y0, x1, y1)`` (NaN where absent)."""
    out = np.zeros(boxes.shape[1])
    area = np.prod(np.maximum(boxes[..., 2:] - boxes[..., :2], 0.0), axis=-1)
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            lo = np.maximum(boxes[i, :, :2], boxes[j, :, :2])
            hi = np.minimum(boxes[i, :, 2:], boxes[j, :, 2:])
            inter = np.prod(np.maximum(hi - lo, 0.0), axis=-1)
            small = np.minimum(area[i], area[j])
            with np.errstate(all="ignore"):
                share = np.where(small > 0, inter / small, 0.0)
            out = np.fmax(out, np.nan_to_num(share, nan=0.0))
    return out


def one_person(group: PoseGroup, path: str | Path) -> PoseSequence:
    """The sequence a single-person reader returns for a file holding ``group``: its only
    track, else the main one (:meth:`PoseGroup.main`) with a warning naming the file."""
    if group.num_people == 1:
        return group.first
    main = group.main_id()
    log.warning(
        "%s: %d tracked people (ids %s); using the largest on average, id %d (read them all "
        "with load_group or --people all)",
        path,
        group.num_people,
        ", ".join(map(str, group.ids)),
        main,
    )
    seq = group.tracks[main].copy()
    seq.meta["track_id"] = main
    return seq


def require_pose(
    value: Any, name: str, group: bool = False, group_hint: str = "take one, e.g. group.first "
    "or group.tracks[track_id]"
) -> Any:  # fmt: skip
    """``value`` unchanged when it is a :class:`~skeleton_io.pose.PoseSequence` (or, with
    ``group``, a :class:`~skeleton_io.group.PoseGroup`); else :class:`InvalidArgumentError`
    naming the parameter ``name``, what it got and what to do (read a file into one; for a
    group: ``group_hint``)."""
    if isinstance(value, (PoseSequence, PoseGroup) if group else PoseSequence):
        return value
    want = "a PoseSequence or PoseGroup" if group else "a PoseSequence"
    if isinstance(value, PoseGroup):
        hint = f" (a group of people: {group_hint})"
    else:
        hint = " (skeleton_io.load_file(path) / retarget.load(path) reads a pose file or video)"
    raise InvalidArgumentError(f"`{name}` must be {want}, got {type(value).__name__}{hint}")
