"""Hands over time in a whole-body sequence: weakly scored hands kept beside alike clearly
found ones (hysteresis), short gaps filled, body wrists moved to the hands' roots.

Used by :func:`skeleton_io.hands_face.add_hands_face` after the models have run; works on any
skeleton with the ``openpose_wholebody`` hand names (``LHandRoot``, ..., ``LWrist``,
``LElbow``). "Alike" compares two hands in their forearms' frames (x along elbow -> wrist):
their shapes from their roots, and where their roots sit from the wrist, against
:data:`HAND_CHANGE` of the hand's size. Coordinates: pixels, as the sequence.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import wholebody as wb
from .pose import PoseSequence
from .skeleton import BLAZEPOSE_WHOLEBODY

HAND_GAP_SECONDS = 0.2
"""A hand missed for at most this long in a video, between two frames where it was found
with its wrist seen throughout, is filled in (:func:`fill_hand_gaps`): the models lose a
hand for a frame or two in motion blur, and pose images of animators flicker with it."""
HAND_CHANGE = 0.35
"""Two found hands whose shapes (in their forearms' frames) differ by more than this share of
the hand's size (RMS over points) are too unlike to fill the frames between them."""


def keep_supported(
    coords: np.ndarray,
    conf: np.ndarray,
    weak: dict[int, tuple[np.ndarray, float]],
    side: str,
    span: int,
    sk: Any,
) -> list[int]:
    """Keep (in place) each weak hand of one side (``weak``: frame -> pixel points and
    score, found below the hand threshold) that lies within ``span`` frames of a clearly seen
    hand of that side and is alike its nearest kept or clearly seen neighbour in the
    forearm's frame (its shape, and where its root sits from the wrist, each within
    :data:`HAND_CHANGE` of the hand's size); the frames kept, in order. Clearly seen hands
    are those already in ``conf``.

    Hysteresis, as an edge detector keeps weak edges joined to strong ones: a weak hand
    kept supports the weak hand beside it, so a hand fading out over a few frames is
    compared with the frame before, not with the last clear one while it turns.
    """
    hand, wrist, elbow = _side(sk, side)
    strong = np.flatnonzero(conf[:, hand[0]] > 0)
    arm = (conf[:, wrist] > 0) & (conf[:, elbow] > 0)
    if not len(strong):
        return []
    near = {t for t in weak if np.abs(strong - t).min() <= span and arm[t]}
    accepted = set(strong.tolist())
    kept: list[int] = []
    while near:
        added = []
        for t in sorted(near):
            s = min(accepted, key=lambda a: (abs(a - t), a not in strong))
            if abs(s - t) > span or not arm[s] or not _supports(coords, s, t, weak[t][0], side, sk):
                continue
            added.append(t)
        if not added:
            break
        for t in added:
            coords[t, hand], conf[t, hand] = weak[t]
            accepted.add(t)
            near.discard(t)
        kept.extend(added)
    return sorted(kept)


def _supports(coords: np.ndarray, s: int, t: int, pts: np.ndarray, side: str, sk: Any) -> bool:
    """Whether the hand of frame ``s`` is alike the points ``pts`` found in frame ``t``:
    shape, and the root's offset from the wrist, in their forearms' frames."""
    hand, wrist, elbow = _side(sk, side)
    frame = coords[t].copy()
    frame[hand] = pts
    (shape, off), (shape_s, off_s) = (
        _in_forearm(f, hand, wrist, elbow) for f in (frame, coords[s])
    )
    return _alike(shape, shape_s) and bool(
        np.linalg.norm(off - off_s) <= HAND_CHANGE * _size(shape_s)
    )


def fill_hand_gaps(seq: PoseSequence, max_seconds: float = HAND_GAP_SECONDS) -> PoseSequence:
    """``seq`` with each hand missed for at most ``max_seconds`` filled in, where the hand
    was found just before and just after and its body wrist is seen throughout.

    A filled hand is the two found ones blended in their forearms' frame (x along elbow ->
    wrist): its points from its root, and its root from the body's wrist, each blended
    linearly in time, then turned with the forearm seen in that frame. Its points take the
    lower of the two found hands' scores. Nothing is filled where the two found hands are
    unlike (:data:`HAND_CHANGE`), where the gap is longer, at either end of the sequence, or
    where the elbow or wrist is not seen. Works on any skeleton with the
    ``openpose_wholebody`` hand names (``LHandRoot``, ..., ``LWrist``, ``LElbow``).
    """
    if seq.num_frames < 3 or max_seconds <= 0:
        return seq
    coords, conf = seq.coords.copy(), seq.confidence.copy()
    span = int(round(max_seconds * seq.fps))
    n = sum(len(fill_side_gaps(coords, conf, side, span, seq.skeleton)) for side in "LR")
    return seq.with_coords(coords, conf) if n else seq


def fill_side_gaps(
    coords: np.ndarray, conf: np.ndarray, side: str, span: int, sk: Any
) -> list[int]:
    """Fill one side's hand gaps of at most ``span`` frames in place; the frames filled."""
    hand, wrist, elbow = _side(sk, side)
    has = conf[:, hand[0]] > 0
    arm = (conf[:, wrist] > 0) & (conf[:, elbow] > 0)
    filled: list[int] = []
    t, T = 1, len(has)
    while t < T:
        if has[t] or not has[t - 1]:
            t += 1
            continue
        end = t  # the gap is [t, end)
        while end < T and not has[end]:
            end += 1
        a, b = t - 1, end
        if b < T and end - t <= span and arm[a : b + 1].all():
            local = [_in_forearm(coords[f], hand, wrist, elbow) for f in (a, b)]
            if _alike(local[0][0], local[1][0]):
                score = np.minimum(conf[a, hand], conf[b, hand])
                for u in range(t, end):
                    w = (u - a) / (b - a)
                    shape = (1 - w) * local[0][0] + w * local[1][0]
                    off = (1 - w) * local[0][1] + w * local[1][1]
                    rot = _forearm_rotation(coords[u], wrist, elbow)
                    coords[u, hand] = coords[u, wrist] + (off + shape) @ rot.T
                    conf[u, hand] = score
                filled.extend(range(t, end))
        t = end + 1
    return filled


def _side(sk: Any, side: str) -> tuple[list[int], int, int]:
    """One side's (``"L"``/``"R"``) hand points (root first), wrist and elbow on ``sk``."""
    hand = [sk.idx(n) for n in (wb.LEFT_HAND if side == "L" else wb.RIGHT_HAND)]
    return hand, sk.idx(f"{side}Wrist"), sk.idx(f"{side}Elbow")


def _size(shape: np.ndarray) -> float:
    """A hand's size: the longer side of its points' bounding box."""
    return float(np.ptp(shape, axis=0).max())


def _forearm_rotation(frame: np.ndarray, wrist: int, elbow: int) -> np.ndarray:
    """The 2x2 rotation from the forearm's frame (x along elbow -> wrist) to the image's."""
    d = frame[wrist] - frame[elbow]
    c, s = np.array([d[0], d[1]]) / max(float(np.hypot(*d)), 1e-9)
    return np.array([[c, -s], [s, c]])


def _in_forearm(
    frame: np.ndarray, hand: list[int], wrist: int, elbow: int
) -> tuple[np.ndarray, np.ndarray]:
    """A found hand in its forearm's frame: its points from its root, and its root from the
    body's wrist."""
    rot = _forearm_rotation(frame, wrist, elbow)
    root = frame[hand[0]]
    return (frame[hand] - root) @ rot, (root - frame[wrist]) @ rot


def _alike(a: np.ndarray, b: np.ndarray) -> bool:
    size = max(_size(a), _size(b), 1e-9)
    return float(np.sqrt(((a - b) ** 2).sum(axis=1).mean())) <= HAND_CHANGE * size


def wrists_to_hands(coords: np.ndarray, conf: np.ndarray) -> int:
    """Move each body wrist to its found hand's root (in place); the number moved."""
    sk = BLAZEPOSE_WHOLEBODY
    moved = 0
    for side in "LR":
        wrist, root = sk.idx(f"{side}Wrist"), sk.idx(f"{side}HandRoot")
        has = conf[:, root] > 0
        coords[has, wrist] = coords[has, root]
        moved += int(has.sum())
    return moved
