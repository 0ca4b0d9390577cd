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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidArgumentError, SkeletonMismatchError
from .pose import PoseSequence

log = logging.getLogger(__name__)

_SHARED = ("num_frames", "fps", "canvas", "units", "up", "dims")


def body_size(seq: PoseSequence) -> np.ndarray:
    """``(T,)`` size of the person in each frame: the square root of the area of the box
    around the found joints (in ``seq``'s units), 0 in frames without the person."""
    vis = seq.visible
    big = np.where(vis[..., None], seq.coords, -np.inf).max(axis=1)
    small = np.where(vis[..., None], seq.coords, np.inf).min(axis=1)
    span = np.where(vis.any(axis=1)[:, None], big - small, 0.0)[:, :2]
    return np.sqrt(np.prod(span, axis=1))


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

    @property
    def num_frames(self) -> int:
        return self.first.num_frames

    @property
    def fps(self) -> float:
        return self.first.fps

    @property
    def canvas(self) -> tuple[int, int] | None:
        return self.first.canvas

    @property
    def skeleton(self) -> Any:
        return self.first.skeleton

    @property
    def dims(self) -> int:
        return self.first.dims

    @property
    def units(self) -> str:
        return self.first.units

    @property
    def up(self) -> str:
        return self.first.up

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
        try:
            return self.tracks[track_id]
        except KeyError:
            raise InvalidArgumentError(
                f"no person with track id {track_id!r}; the ids are {', '.join(map(str, self.ids))}"
            ) from None

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

    def renumbered(self) -> PoseGroup:
        """The same tracks with ids 0, 1, ... in listed order."""
        return PoseGroup(dict(enumerate(self.tracks.values())), copy.deepcopy(self.meta))

    def copy(self) -> PoseGroup:
        return PoseGroup({k: s.copy() for k, s in self.items()}, copy.deepcopy(self.meta))


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
