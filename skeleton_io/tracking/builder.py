"""From the online tracker's output to a :class:`~skeleton_io.group.PoseGroup`: per-track
arrays, identity repair after contacts, fragments joined, short tracks dropped, the
largest kept (steps 7-9 of :mod:`skeleton_io.tracking`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..group import PoseGroup
from ..pose import PoseSequence
from ..skeleton import Skeleton
from .appearance import HIST_BINS, appearance_distance
from .online import MAX_SPEED, MAX_STEP, REID_APPEARANCE, REID_SECONDS, Detection, box_iou

log = logging.getLogger(__name__)

CONTACT_IOU = 0.05
"""Two people whose boxes overlap more than this are in contact (their identities may mix)."""
MODEL_SECONDS = 1.5
"""Clean frames this long before and after a contact describe who went in and came out."""
MIN_MODEL_FRAMES = 3
SWAP_MARGIN = 0.1
"""A relabelling after a contact must lower the mean appearance distance by this much."""
LINK_APPEARANCE = 0.45
"""Largest appearance distance for taking a track out of a contact as someone who went in."""
MOTION_WEIGHT = 0.5
"""Weight of the distance from where someone would be at their speed, against colours."""
LONE_MARGIN = 0.35
"""In a contact where fewer people are found than went in, a pose is kept only when its
colours are its own track's by this much over anyone else's (see
:meth:`TrackBuilder._drop_lone_poses`)."""
MAX_CONTACT_PEOPLE = 4
MIN_TRACK_SECONDS = 0.25
"""Tracks seen in fewer frames than this (and than a quarter of the clip) are dropped."""


@dataclass
class _Arrays:
    """One track's per-frame data."""

    coords: np.ndarray  # (T, J, D)
    confidence: np.ndarray  # (T, J)
    world: np.ndarray | None  # (T, J, 3)
    looks: np.ndarray  # (T, 3, HIST_BINS), NaN where unknown
    contact: np.ndarray  # (T,) bool
    box: np.ndarray  # (T, 4) x0, y0, x1, y1 of the found joints

    @classmethod
    def empty(cls, T: int, J: int, D: int, world: bool) -> _Arrays:
        return cls(
            np.zeros((T, J, D)),
            np.zeros((T, J)),
            np.zeros((T, J, 3)) if world else None,
            np.full((T, 3, HIST_BINS), np.nan, np.float32),
            np.zeros(T, bool),
            np.zeros((T, 4)),
        )

    def fields(self) -> list[np.ndarray]:
        return [a for a in (self.coords, self.confidence, self.world, self.looks, self.contact,
                            self.box) if a is not None]  # fmt: skip

    def resized(self, T: int) -> _Arrays:
        def fit(a: np.ndarray | None) -> np.ndarray | None:
            if a is None:
                return None
            out = np.full((T, *a.shape[1:]), np.nan if a.dtype == np.float32 else 0, a.dtype)
            n = min(T, len(a))
            out[:n] = a[:n]
            return out

        return _Arrays(*(fit(a) for a in (self.coords, self.confidence, self.world, self.looks,
                                          self.contact, self.box)))  # fmt: skip

    @property
    def present(self) -> np.ndarray:
        return (self.confidence > 0).any(axis=1)

    def centre(self, t: int) -> np.ndarray:
        vis = self.confidence[t] > 0
        return self.coords[t, vis, :2].mean(axis=0)

    def seen(self, t: int) -> bool:
        """Whether frame ``t`` holds a pose (``present[t]`` without making every frame's)."""
        return bool((self.confidence[t] > 0).any())

    def clear(self, frames: int | slice) -> None:
        """Empty ``frames`` (missing: colour descriptors NaN, the rest 0)."""
        for a in self.fields():
            a[frames] = np.nan if a.dtype == np.float32 else 0

    def size(self, t: int) -> float:
        pts = self.coords[t, self.confidence[t] > 0, :2]
        span = pts.max(axis=0) - pts.min(axis=0)
        return float(max(np.sqrt(span[0] * span[1]), 1.0))

    def model(self, t0: int, t1: int) -> np.ndarray | None:
        """Mean colour descriptor of the clean frames in ``[t0, t1)`` (None if too few)."""
        t0, t1 = max(t0, 0), min(t1, len(self.contact))
        clean = self.present[t0:t1] & ~self.contact[t0:t1]
        looks = self.looks[t0:t1][clean]
        looks = looks[~np.isnan(looks).all(axis=(1, 2))]
        if len(looks) < MIN_MODEL_FRAMES:
            return None
        with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
            sup.filter(RuntimeWarning)
            return np.nanmean(looks.astype(np.float64), axis=0)


class TrackBuilder:
    """Collects the online tracker's output frame by frame, then builds the group.

    Args:
        num_frames: frames of the clip (grown or trimmed with :meth:`resize`).
        skeleton: the joint table of the detections.
        dims: 2 (pixels) or 3.
        world: also collect ``(J, 3)`` world joints from each detection's payload
            (``payload.world``).
    """

    def __init__(self, num_frames: int, skeleton: Skeleton, dims: int = 2, world: bool = False):
        self.num_frames = num_frames
        self.skeleton = skeleton
        self.dims = dims
        self.world = world
        self.tracks: dict[int, _Arrays] = {}

    def add(self, frame: int, tracked: list[tuple[int, Detection]]) -> None:
        """Store frame ``frame``'s ``(track id, detection)`` pairs."""
        if frame >= self.num_frames:
            self.resize(max(frame + 1, 2 * self.num_frames))
        boxes = [d.box for _tid, d in tracked]
        for i, (tid, det) in enumerate(tracked):
            if tid not in self.tracks:
                self.tracks[tid] = _Arrays.empty(
                    self.num_frames, self.skeleton.num_joints, self.dims, self.world
                )
            tr = self.tracks[tid]
            found = (det.confidence > 0)[:, None]
            tr.coords[frame] = np.where(found, det.xy, 0.0)
            tr.confidence[frame] = det.confidence
            if tr.world is not None and det.payload is not None:
                tr.world[frame] = np.where(found, det.payload.world, 0.0)
            if det.appearance is not None:
                tr.looks[frame] = det.appearance
            tr.box[frame] = boxes[i]

    def resize(self, num_frames: int) -> None:
        """Grow (missing frames) or trim the arrays to ``num_frames``."""
        self.tracks = {k: a.resized(num_frames) for k, a in self.tracks.items()}
        self.num_frames = num_frames

    # ------------------------------------------------------------ identity repair
    def repair(self, fps: float) -> int:
        """Relabel tracks after each contact by appearance, then join fragments; returns
        the number of changes. A no-op without colour descriptors (pose files)."""
        if not self.tracks or all(np.isnan(a.looks).all() for a in self.tracks.values()):
            return 0
        window = max(MIN_MODEL_FRAMES, round(MODEL_SECONDS * fps))
        self._mark_contacts(window)
        changes = 0
        for t0, t1 in _runs(np.any(list(self._uncertain(window).values()), axis=0)):
            changes += self._relabel_contact(t0, t1, window)
        changes += self._join_fragments(fps, window)
        return changes

    def _mark_contacts(self, window: int) -> None:
        """A track is in contact in a frame where its box overlaps another's, or the last
        box of someone unseen for fewer than ``window`` frames (who may be behind it)."""
        ids = list(self.tracks)
        last: dict[int, tuple[int, np.ndarray]] = {}
        for t in range(self.num_frames):
            here = [k for k in ids if self.tracks[k].seen(t)]
            for k in here:
                others = [self.tracks[j].box[t] for j in here if j != k]
                others += [b for j, (t_seen, b) in last.items() if j != k and j not in here
                           and t - t_seen <= window]  # fmt: skip
                self.tracks[k].contact[t] = any(
                    box_iou(self.tracks[k].box[t], b) > CONTACT_IOU for b in others
                )
            for k in here:
                last[k] = (t, self.tracks[k].box[t])

    def _uncertain(self, window: int) -> dict[int, np.ndarray]:
        """Frames where a track's identity is in doubt: in contact, and up to ``window``
        frames of a disappearance that began in contact (hidden behind someone)."""
        out = {}
        for k, a in self.tracks.items():
            u = a.contact.copy()
            for g0, g1 in _runs(~a.present):
                if g0 > 0 and a.contact[g0 - 1]:
                    u[g0 : min(g1 + 1, g0 + window)] = True
            out[k] = u
        return out

    def _relabel_contact(self, t0: int, t1: int, window: int) -> int:
        """Who came out of the contact ``[t0, t1]``: tracks clean after it are matched to
        the tracks clean before it (Hungarian on appearance) and take over their ids; then
        poses inside the contact that look like someone else are moved or dropped."""
        known = set(self.tracks)
        involved = [
            k
            for k, a in self.tracks.items()
            if a.contact[t0 : t1 + 1].any() or t0 <= int(np.argmax(a.present)) <= t1 + window
        ]
        pre = {k: self.tracks[k].model(t0 - window, t0) for k in involved}
        post = {k: self.tracks[k].model(t1 + 1, t1 + 1 + window) for k in involved}
        pre = {k: m for k, m in pre.items() if m is not None}
        post = {k: m for k, m in post.items() if m is not None}
        if max(len(pre), len(post)) > MAX_CONTACT_PEOPLE:
            return 0
        changes = 0
        if pre and post and max(len(pre), len(post)) >= 2:
            motion = self._motion_costs(list(pre), list(post), t0, t1, window)
            mapping, gain = _best_relabelling(pre, post, motion)
            if any(q != p for q, p in mapping.items()):
                start = self._switch_frame(t0, t1, mapping, pre)
                self._move(mapping, start)
                log.debug("contact at %d-%d: relabelled %s from frame %d", t0, t1, mapping, start)
                changes += 1
        rows = [k for k in self.tracks if k in involved or k not in known]
        changes += self._sort_contact_frames(t0, t1, pre, rows)
        return changes + self._drop_lone_poses(t0, t1, max(len(pre), len(post)), pre, rows)

    def _drop_lone_poses(
        self, t0: int, t1: int, people: int, models: dict[int, np.ndarray], rows: list[int]
    ) -> int:
        """Inside a contact of ``people`` people who dress differently (colour models at
        least ``LONE_MARGIN`` apart), in a frame where fewer of them are found, the pose
        estimator may have followed either person or mixed the two, and the front person's
        colours cover whoever is behind: such a pose that touches someone is kept only when
        its colours are those of its own track by ``LONE_MARGIN`` over everyone else's, else
        dropped (missing). People dressed alike give no such evidence; their poses stay."""
        ids = list(models)
        if len(ids) < 2 or any(
            appearance_distance(models[i], models[j]) < LONE_MARGIN
            for i in ids for j in ids if i < j
        ):  # fmt: skip
            return 0
        dropped = 0
        for t in range(t0, t1 + 1):
            here = [k for k in rows if self.tracks[k].seen(t)]
            if len(here) >= people:
                continue
            for k in here:
                a = self.tracks[k]
                if not a.contact[t]:
                    continue
                d = {j: appearance_distance(a.looks[t], m) for j, m in models.items()}
                others = [v for j, v in d.items() if j != k]
                if k in d and d[k] + LONE_MARGIN <= min(others):
                    continue
                a.clear(t)
                dropped += 1
        return dropped

    def _motion_costs(
        self, P: list[int], Q: list[int], t0: int, t1: int, window: int
    ) -> np.ndarray:
        """``(len(Q), len(P))``: how far each track that came out of a contact is from
        where each that went in would be had it kept its speed, in body sizes per second of
        contact plus one, at most 1."""
        out = np.zeros((len(Q), len(P)))
        for j, p in enumerate(P):
            a = self.tracks[p]
            seen = [t for t in range(max(t0 - window, 0), t0) if a.seen(t)]
            if not seen:
                continue
            recent = seen[-min(len(seen), max(2, window // 3)) :]
            centres = np.array([a.centre(t) for t in recent])
            velocity = np.polyfit(recent, centres, 1)[0] if len(recent) > 1 else np.zeros(2)
            size = a.size(seen[-1])
            for i, q in enumerate(Q):
                b = self.tracks[q]
                after = np.flatnonzero(b.present[t1 + 1 :])
                if not len(after):
                    continue
                tq = t1 + 1 + int(after[0])
                guess = centres[-1] + velocity * (tq - seen[-1])
                spread = size * (1.0 + (tq - seen[-1]) / max(window, 1))
                out[i, j] = min(float(np.linalg.norm(b.centre(tq) - guess)) / spread, 1.0)
        return out

    def _sort_contact_frames(
        self, t0: int, t1: int, models: dict[int, np.ndarray], rows: list[int]
    ) -> int:
        """Inside a contact, a pose whose colours are clearly (by ``SWAP_MARGIN``) those of
        another person who went in (``models``) than its own track's is dropped (a mix of
        two people); a pose of a track that went in as nobody (a fragment born in the
        contact) goes to the person it clearly looks like when they have no pose there."""
        if not models:
            return 0
        changed = 0
        for t in range(t0, t1 + 1):
            for k in [k for k in rows if self.tracks[k].seen(t)]:
                d = {j: appearance_distance(self.tracks[k].looks[t], m) for j, m in models.items()}
                d = {j: v for j, v in d.items() if not np.isnan(v)}
                if not d:
                    continue
                ranked = sorted(d, key=d.get)
                j = ranked[0]
                rival = min(d.get(k, LINK_APPEARANCE), d[ranked[1]] if len(ranked) > 1 else 1.0)
                if j == k or d[j] + SWAP_MARGIN > rival:
                    continue
                src, dst = self.tracks[k], self.tracks[j]
                if k not in models and not dst.seen(t):
                    for a, b in zip(dst.fields(), src.fields()):
                        a[t] = b[t]
                src.clear(t)
                changed += 1
        return changed

    def _switch_frame(
        self, t0: int, t1: int, mapping: dict[int, int], pre: dict[int, np.ndarray]
    ) -> int:
        """Where in the contact ``[t0, t1]`` the relabelled tracks changed person: the first
        frame a relabelled track looks more like the person it is given to than like the
        one it went in as (a track that went in as nobody: its first frame in the contact),
        else the frame where the relabelled tracks were closest, else ``t0``."""
        starts = []
        for q, p in mapping.items():
            if q == p:
                continue
            a = self.tracks[q]
            for t in range(t0, t1 + 2):
                if t >= self.num_frames or not a.seen(t):
                    continue
                if q not in pre:
                    starts.append(t)
                    break
                to_p = appearance_distance(a.looks[t], pre[p])
                to_q = appearance_distance(a.looks[t], pre[q])
                if not np.isnan(to_p) and not np.isnan(to_q) and to_p < to_q:
                    starts.append(t)
                    break
        if starts:
            return min(starts)
        best, start = np.inf, t0
        for t in range(t0, t1 + 1):
            d = [
                np.linalg.norm(self.tracks[q].centre(t) - self.tracks[p].centre(t))
                for q, p in mapping.items()
                if q != p and self.tracks[q].seen(t) and self.tracks[p].seen(t)
            ]
            if d and sum(d) < best:
                best, start = sum(d), t
        return start

    def _move(self, mapping: dict[int, int], start: int) -> None:
        """From frame ``start`` on, track ``q``'s data becomes track ``mapping[q]``'s; data
        a target had there that nobody takes over becomes a new track."""
        mapping = {q: p for q, p in mapping.items() if q != p}
        for p in set(mapping.values()) - set(mapping):
            if self.tracks[p].present[start:].any():
                new = max(self.tracks) + 1
                self.tracks[new] = _Arrays.empty(
                    self.num_frames, self.skeleton.num_joints, self.dims, self.world
                )
                mapping[p] = new
        src = {q: [a[start:].copy() for a in self.tracks[q].fields()] for q in mapping}
        for q in mapping:
            if q not in mapping.values():
                self.tracks[q].clear(slice(start, None))
        for q, p in mapping.items():
            for a, b in zip(self.tracks[p].fields(), src[q]):
                a[start:] = b

    def _join_fragments(self, fps: float, window: int) -> int:
        """A track that starts after another ended, where that one could have walked to
        and looks alike, continues it (the earliest such pair first)."""
        joined = 0
        while True:
            pair = self._best_fragment_pair(fps, window)
            if pair is None:
                return joined
            a, b = pair
            start = int(np.argmax(self.tracks[b].present))
            self._move({b: a}, start)
            del self.tracks[b]
            joined += 1

    def _best_fragment_pair(self, fps: float, window: int) -> tuple[int, int] | None:
        best, pair = REID_APPEARANCE, None
        spans = {k: np.flatnonzero(a.present) for k, a in self.tracks.items()}
        for b, sb in spans.items():
            if not len(sb):
                continue
            head = self.tracks[b].model(sb[0], sb[0] + window)
            for a, sa in spans.items():
                if a == b or not len(sa) or sa[-1] >= sb[0]:
                    continue
                gap = (sb[0] - sa[-1]) / fps
                ta = self.tracks[a]
                dist = np.linalg.norm(ta.centre(sa[-1]) - self.tracks[b].centre(sb[0]))
                if gap <= REID_SECONDS and dist > (MAX_STEP + MAX_SPEED * gap) * ta.size(sa[-1]):
                    continue
                d = appearance_distance(ta.model(sa[-1] - window + 1, sa[-1] + 1), head)
                if not np.isnan(d) and d < best:
                    best, pair = d, (a, b)
        return pair

    # ------------------------------------------------------------ the group
    def group(
        self,
        fps: float,
        canvas: tuple[int, int] | None,
        people: int | None = None,
        meta: dict[str, Any] | None = None,
        units: str = "px",
        up: str = "-y",
    ) -> PoseGroup | None:
        """The tracks as a group (None if there is none): short tracks dropped, the
        ``people`` most prominent kept (all when None), ids 0, 1, ... by first appearance,
        then left to right."""
        seqs = {
            tid: PoseSequence(a.coords, a.confidence, self.skeleton, fps=fps, canvas=canvas,
                              units=units, up=up, world=a.world, meta=dict(meta or {}))
            for tid, a in self.tracks.items()
            if a.present.any()
        }  # fmt: skip
        if not seqs:
            return None
        min_frames = max(1, min(round(MIN_TRACK_SECONDS * fps), self.num_frames // 4))
        long = {k: s for k, s in seqs.items() if s.present.sum() >= min_frames}
        if len(long) < len(seqs):
            log.debug("dropped %d tracks seen in < %d frames", len(seqs) - len(long), min_frames)
        if not long:
            best = max(seqs, key=lambda k: seqs[k].present.sum())
            long = {best: seqs[best]}
        group = PoseGroup(long, dict(meta or {}))
        if people is not None and group.num_people > people:
            group = group.largest(people)
        order = sorted(group.ids, key=lambda k: _order_key(group.tracks[k]))
        return group.select(order).renumbered()


def _best_relabelling(
    pre: dict[int, np.ndarray], post: dict[int, np.ndarray], motion: np.ndarray
) -> tuple[dict[int, int], float]:
    """Which track that came out of a contact (``post``, colour models) is which that went
    in (``pre``): the least-cost matching on colour distance plus ``MOTION_WEIGHT`` times
    ``motion`` (see :meth:`TrackBuilder._motion_costs`), and how much less it costs than
    the best matching that keeps every id that went in and came out. A pair whose colours
    differ by more than ``LINK_APPEARANCE`` is never matched; a track left unmatched costs
    as much as the worst match."""
    P, Q = list(pre), list(post)
    app = np.array([[appearance_distance(post[q], pre[p]) for p in P] for q in Q])
    app = np.where(np.isnan(app), 1.0, app)
    nobody = LINK_APPEARANCE + MOTION_WEIGHT
    cost = np.where(app <= LINK_APPEARANCE, app + MOTION_WEIGHT * motion, 10.0)
    keep = cost.copy()
    for i, q in enumerate(Q):
        if q in P:
            keep[i, [j for j, p in enumerate(P) if p != q]] = 10.0

    def solve(c: np.ndarray) -> tuple[dict[int, int], float]:
        n, m = c.shape  # padded with a "nobody" row and column per track
        big = np.full((n + m, m + n), nobody)
        big[:n, :m] = c
        big[n:, m:] = 0.0
        rows, cols = linear_sum_assignment(big)
        pairs = {Q[r]: P[k] for r, k in zip(rows, cols) if r < n and k < m and c[r, k] < 10.0}
        return pairs, float(big[rows, cols].sum())

    best, best_cost = solve(cost)
    kept, keep_cost = solve(keep)
    gain = keep_cost - best_cost
    return (best, gain) if gain >= SWAP_MARGIN else (kept, gain)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` frame of each run of True."""
    padded = np.concatenate([[False], np.asarray(flags, bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(int)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def _order_key(seq: PoseSequence) -> tuple[int, float]:
    """First frame a track is seen, then the x of its joints' centre there."""
    first = int(np.argmax(seq.present))
    vis = seq.visible[first]
    return first, float(seq.coords[first, vis, 0].mean()) if vis.any() else 0.0


def track_detections(
    frames: list[list[Detection]], fps: float
) -> list[list[tuple[int, Detection]]]:
    """Track ids for every frame's detections (a whole clip at once; for pose files)."""
    from .online import Tracker

    tracker = Tracker(fps)
    return [tracker(t, dets) for t, dets in enumerate(frames)]
