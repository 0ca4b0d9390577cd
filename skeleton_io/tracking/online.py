"""The online tracker: one call per frame links that frame's people to tracks.

The rules are listed in :mod:`skeleton_io.tracking` (steps 1-6).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .appearance import appearance_distance

log = logging.getLogger(__name__)

DUPLICATE = 0.15
"""Mean joint distance (body sizes) below which two detections are one person."""
MAX_STEP = 0.6
"""Largest position cost (body sizes) for a track seen in the previous frame."""
MAX_SPEED = 2.0
"""Body sizes per second a lost track's gate widens by."""
PREDICT_SECONDS = 0.5
"""A lost track is predicted to move at its last velocity for at most this long."""
APPEARANCE_WEIGHT = 1.0
MAX_APPEARANCE = 0.45
"""Largest appearance distance for re-finding a track unseen for more than a frame."""
REID_SECONDS = 1.0
"""After this long unseen, a track may be found anywhere, on appearance alone."""
REID_APPEARANCE = 0.3
"""Largest appearance distance for such a re-identification."""
LOST_PENALTY = 0.2
"""Cost added per second a track has been unseen."""
APPEARANCE_MEMORY = 10
"""A track's appearance is the mean of its last this-many clean views."""

_BIG = 1e6


# ------------------------------------------------------------------ tracking
@dataclass(frozen=True)
class Detection:
    """One person found in one frame.

    Attributes:
        xy: ``(J, 2)`` joints in pixels (x right, y down, origin top-left).
        confidence: ``(J,)`` in [0, 1]; 0 for a joint not found.
        appearance: optional :func:`appearance` descriptor.
        payload: the caller's own data for this detection (kept, not used).
    """

    xy: np.ndarray
    confidence: np.ndarray
    appearance: np.ndarray | None = None
    payload: Any = None

    @property
    def box(self) -> np.ndarray:
        """``(x0, y0, x1, y1)`` of the found joints."""
        pts = self.xy[self.confidence > 0]
        if len(pts) == 0:
            return np.zeros(4)
        return np.concatenate([pts.min(axis=0), pts.max(axis=0)])

    @property
    def size(self) -> float:
        """Body size: square root of the box area (at least 1 px)."""
        b = self.box
        return float(max(np.sqrt(max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)), 1.0))


def joint_distance(a: Detection, b_xy: np.ndarray, b_conf: np.ndarray) -> float:
    """Confidence-weighted mean distance (pixels) between ``a``'s joints and others; inf
    when they share no joint."""
    w = np.sqrt(a.confidence * b_conf)
    if w.sum() <= 0:
        return float("inf")
    d = np.linalg.norm(a.xy - b_xy, axis=1)
    return float((w * d).sum() / w.sum())


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(h, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def drop_duplicates(dets: list[Detection], threshold: float = DUPLICATE) -> list[Detection]:
    """Merge detections of one person (mean joint distance below ``threshold`` body sizes of
    the smaller one): the one with the higher mean confidence stays."""
    order = sorted(range(len(dets)), key=lambda i: -float(dets[i].confidence.mean()))
    kept: list[Detection] = []
    for i in order:
        d = dets[i]
        if all(
            joint_distance(d, k.xy, k.confidence) > threshold * min(d.size, k.size) for k in kept
        ):
            kept.append(d)
    return [d for d in dets if any(d is k for k in kept)]


@dataclass
class _TrackState:
    id: int
    xy: np.ndarray
    confidence: np.ndarray
    size: float
    last_frame: int
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    views: list[np.ndarray] = field(default_factory=list)

    @property
    def appearance(self) -> np.ndarray | None:
        if not self.views:
            return None
        with np.errstate(invalid="ignore"):
            stack = np.stack(self.views)
            seen = ~np.isnan(stack).any(axis=2)
            total = np.where(seen[..., None], stack, 0.0).sum(axis=0)
            count = seen.sum(axis=0)[:, None]
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def predict(self, frame: int, fps: float) -> np.ndarray:
        gap = min(frame - self.last_frame, max(1, round(PREDICT_SECONDS * fps)))
        return self.xy + self.velocity * gap


class Tracker:
    """Links detections frame by frame into tracks (the rules are the module docstring's).

    Keeps state across calls: call it with one clip's frames in order. ``fps`` turns the
    time-based settings into frames.
    """

    def __init__(self, fps: float) -> None:
        self.fps = float(fps)
        self.tracks: list[_TrackState] = []
        self._next_id = 0

    def __call__(self, frame: int, detections: list[Detection]) -> list[tuple[int, Detection]]:
        """``(track id, detection)`` for each person kept in frame number ``frame``."""
        dets = drop_duplicates(detections)
        if not dets:
            return []
        cost = self._cost(frame, dets)
        rows, cols = linear_sum_assignment(cost) if self.tracks else ([], [])
        taken: dict[int, int] = {}
        for r, c in zip(rows, cols):
            if cost[r, c] < _BIG:
                taken[int(c)] = int(r)
        clean = self._clean(dets)
        out = []
        for j, det in enumerate(dets):
            if j in taken:
                state = self.tracks[taken[j]]
                self._update(state, det, frame, clean[j])
            else:
                state = self._new(det, frame, clean[j])
            out.append((state.id, det))
        return out

    def _cost(self, frame: int, dets: list[Detection]) -> np.ndarray:
        cost = np.full((len(self.tracks), len(dets)), _BIG)
        for i, tr in enumerate(self.tracks):
            pred = tr.predict(frame, self.fps)
            unseen = (frame - tr.last_frame) / self.fps
            gate = MAX_STEP + MAX_SPEED * max(unseen - 1.0 / self.fps, 0.0)
            for j, det in enumerate(dets):
                pos = joint_distance(det, pred, tr.confidence) / tr.size
                app = appearance_distance(tr.appearance, det.appearance)
                lost = frame - tr.last_frame > 1
                if unseen > REID_SECONDS and pos > gate:
                    if np.isnan(app) or app > REID_APPEARANCE:
                        continue
                    pos = gate  # anywhere in the frame: appearance decides
                elif pos > gate or (lost and not np.isnan(app) and app > MAX_APPEARANCE):
                    continue
                app_cost = 0.0 if np.isnan(app) else APPEARANCE_WEIGHT * app
                cost[i, j] = pos + app_cost + LOST_PENALTY * (unseen - 1.0 / self.fps)
        return cost

    def predicted(self, track_id: int, frame: int) -> Detection | None:
        """Where track ``track_id`` is expected in frame ``frame`` (its last joints moved by
        its velocity), or None for an unknown id."""
        for tr in self.tracks:
            if tr.id == track_id:
                return Detection(tr.predict(frame, self.fps), tr.confidence)
        return None

    @staticmethod
    def _clean(dets: list[Detection]) -> list[bool]:
        """Detections that overlap nobody else (their colours are their own)."""
        boxes = [d.box for d in dets]
        return [
            all(box_iou(boxes[i], boxes[j]) < 0.05 for j in range(len(dets)) if j != i)
            for i in range(len(dets))
        ]

    def _new(self, det: Detection, frame: int, clean: bool) -> _TrackState:
        state = _TrackState(self._next_id, det.xy, det.confidence, det.size, frame)
        self._next_id += 1
        if clean and det.appearance is not None:
            state.views.append(det.appearance)
        self.tracks.append(state)
        return state

    @staticmethod
    def _update(state: _TrackState, det: Detection, frame: int, clean: bool) -> None:
        gap = frame - state.last_frame
        w_old = state.confidence > 0
        w_new = det.confidence > 0
        both = w_old & w_new
        if both.any() and gap <= 2:
            step = (det.xy[both].mean(axis=0) - state.xy[both].mean(axis=0)) / gap
            state.velocity = 0.5 * state.velocity + 0.5 * step
        elif gap > 2:
            state.velocity = np.zeros(2)
        state.xy, state.confidence, state.size = det.xy, det.confidence, det.size
        state.last_frame = frame
        if clean and det.appearance is not None:
            state.views = [*state.views, det.appearance][-APPEARANCE_MEMORY:]
