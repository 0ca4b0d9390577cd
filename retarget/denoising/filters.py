"""Classical cleanup and smoothing of pose trajectories, on raw arrays.

Conventions (the same as :class:`skeleton_io.PoseSequence`):

* ``coords`` is ``(T, J, D)`` (frames, joints, 2 or 3 dims) in the data's own units (pixels
  for 2D detections, the source's units for 3D). Nothing here depends on the axes' directions.
* ``confidence`` is ``(T, J)`` in [0, 1]; 0 means *missing*, and a missing joint's
  coordinates are 0.
* Time spans at this level are in **frames**; the sequence-level entry point
  (:func:`retarget.denoising.denoise`) takes seconds and converts with the frame rate.
* Distances (thresholds) are in the data's units; the sequence level gives them as fractions
  of :func:`body_size`.

Every function is pure: it returns new arrays and never moves a missing joint into
existence, except :func:`fill_gaps`, whose job that is. Smoothing filters work on each run of
consecutive present frames of a joint separately, so nothing is smeared across a gap, and keep
the confidence as it is.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from skeleton_io.errors import InvalidArgumentError, SkeletonMismatchError
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import Skeleton

from ..geometry import body_size

Interp = Literal["pchip", "cubic", "linear"]


# ------------------------------------------------------------------ helpers
def check_arrays(coords: np.ndarray, confidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate and copy ``(T, J, D)`` coordinates and ``(T, J)`` confidence."""
    coords = np.array(coords, dtype=np.float64)
    confidence = np.array(confidence, dtype=np.float64)
    if coords.ndim != 3 or coords.shape[2] not in (2, 3):
        raise SkeletonMismatchError(
            f"coords must have shape (frames, joints, 2 or 3), got {coords.shape}"
        )
    if confidence.shape != coords.shape[:2]:
        raise SkeletonMismatchError(
            f"confidence must have shape {coords.shape[:2]}, got {confidence.shape}"
        )
    return coords, confidence


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True in a 1D boolean array."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def seconds_to_frames(seconds: float, fps: float, *, odd: bool = False, minimum: int = 1) -> int:
    """A time span in seconds as a whole number of frames (rounded; odd if asked)."""
    n = max(minimum, int(round(seconds * fps)))
    if odd and n % 2 == 0:
        n += 1
    return n


def apply_to_runs(
    coords: np.ndarray,
    confidence: np.ndarray,
    fn: Callable[[np.ndarray], np.ndarray],
    min_length: int = 1,
) -> np.ndarray:
    """Apply ``fn((n, D)) -> (n, D)`` to each run of consecutive present frames of each joint
    (runs shorter than ``min_length`` are left as they are); missing joints stay 0."""
    coords, confidence = check_arrays(coords, confidence)
    out = coords.copy()
    vis = confidence > 0
    for j in range(coords.shape[1]):
        for s, e in runs(vis[:, j]):
            if e - s >= min_length:
                out[s:e, j] = fn(coords[s:e, j])
    out[~vis] = 0.0
    return out


# ------------------------------------------------------------------ gap filling
def fill_gaps(
    coords: np.ndarray,
    confidence: np.ndarray,
    max_gap: int,
    *,
    kind: Interp = "pchip",
    support: int = 4,
    confidence_scale: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interpolate short dropouts of each joint.

    A gap is a run of frames in which a joint is missing, with the joint present right before
    and right after it. Gaps of at most ``max_gap`` frames are interpolated from up to
    ``support`` present frames on each side (only frames of the present runs touching the
    gap): with at least 2 on each side by ``kind`` (``"pchip"``: shape-preserving cubic, no
    overshoot; ``"cubic"``: not-a-knot cubic spline), otherwise linearly. Longer gaps, and
    gaps at the start or end of the sequence (nothing to interpolate towards), stay missing.

    Args:
        coords: ``(T, J, D)`` positions.
        confidence: ``(T, J)``, 0 = missing.
        max_gap: longest gap to fill, in frames (0 fills nothing).
        kind: interpolation where both sides have 2+ support frames.
        support: present frames used on each side of a gap.
        confidence_scale: a filled joint gets this times the lower of the two confidences
            bounding its gap (never below 1e-3, so it counts as present).

    Returns:
        ``(coords, confidence, filled)``, ``filled`` a ``(T, J)`` boolean mask.
    """
    coords, confidence = check_arrays(coords, confidence)
    if kind not in ("pchip", "cubic", "linear"):
        raise InvalidArgumentError(f"unknown interpolation {kind!r}: use pchip, cubic or linear")
    from scipy.interpolate import CubicSpline, PchipInterpolator

    out, conf = coords.copy(), confidence.copy()
    T, J, _ = coords.shape
    filled = np.zeros((T, J), dtype=bool)
    vis = confidence > 0
    for j in range(J):
        for s, e in runs(~vis[:, j]):
            if s == 0 or e == T or e - s > max_gap:
                continue
            left = s - 1
            while left > 0 and s - left < support and vis[left - 1, j]:
                left -= 1
            right = e + 1
            while right < T and right - e < support and vis[right, j]:
                right += 1
            t_sup = np.r_[left:s, e:right]
            y = coords[t_sup, j]
            t_gap = np.arange(s, e)
            if kind != "linear" and s - left >= 2 and right - e >= 2:
                interp = PchipInterpolator if kind == "pchip" else CubicSpline
                out[s:e, j] = interp(t_sup, y, axis=0)(t_gap)
            else:
                w = ((t_gap - (s - 1)) / (e - (s - 1)))[:, None]
                out[s:e, j] = (1 - w) * coords[s - 1, j] + w * coords[e, j]
            low = min(confidence[s - 1, j], confidence[e, j])
            conf[s:e, j] = max(1e-3, confidence_scale * low)
            filled[s:e, j] = True
    return out, conf, filled


# ------------------------------------------------------------------ outliers
def hampel_deviation(
    coords: np.ndarray, confidence: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each joint's distance from a robust local fit, and the local robust noise level.

    The fit is the per-coordinate median of the joint's present positions in a centred
    window of ``window`` frames; the noise level ``sigma`` is the median distance of those
    positions from the fit, divided by the median of a chi distribution with ``D`` degrees of
    freedom (so that it estimates the per-coordinate standard deviation of Gaussian noise).

    Returns:
        ``(deviation, sigma)``, both ``(T, J)`` in the data's units, NaN where the joint is
        missing or either half of its window holds fewer than ``(window // 2 + 1) // 2``
        present frames (2 for a window of 7): a one-sided median is biased by the motion
        itself, so the first and last frames of a run are not judged.
    """
    coords, confidence = check_arrays(coords, confidence)
    from scipy.stats import chi

    if window < 3:
        raise InvalidArgumentError(f"outlier window must be at least 3 frames, got {window}")
    half = window // 2
    if coords.shape[0] == 0:
        return np.zeros(confidence.shape), np.zeros(confidence.shape)
    vis = confidence > 0
    x = np.where(vis[..., None], coords, np.nan)
    pad = np.pad(x, ((half, half), (0, 0), (0, 0)), constant_values=np.nan)
    win = sliding_window_view(pad, 2 * half + 1, axis=0)  # (T, J, D, W)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: handled below
        fit = np.nanmedian(win, axis=-1)  # (T, J, D)
        spread = np.linalg.norm(win - fit[..., None], axis=2)  # (T, J, W)
        sigma = np.nanmedian(spread, axis=-1) / chi(coords.shape[2]).median()
    ok = np.isfinite(win[:, :, 0, :])
    side = max(1, (half + 1) // 2)
    enough = (ok[..., :half].sum(-1) >= side) & (ok[..., half + 1 :].sum(-1) >= side)
    dev = np.linalg.norm(x - fit, axis=-1)
    dev[~enough] = np.nan
    sigma[~enough] = np.nan
    return dev, sigma


def reject_outliers(
    coords: np.ndarray,
    confidence: np.ndarray,
    *,
    window: int = 7,
    k: float = 3.0,
    min_deviation: float = 0.0,
    max_deviation: float = math.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mark joints that jump away from a robust local fit as missing (a Hampel filter).

    A present joint is an outlier when its distance from the window's median position (see
    :func:`hampel_deviation`) exceeds ``k`` robust standard deviations, clipped to
    ``[min_deviation, max_deviation]``: deviations below ``min_deviation`` are jitter, never
    outliers; deviations above ``max_deviation`` always are. Fill the result with
    :func:`fill_gaps` to replace outliers by interpolation.

    Args:
        window: odd window in frames (a run of up to ``window // 2`` bad frames is caught).
        k: threshold in robust standard deviations.
        min_deviation, max_deviation: distances in the data's units.

    Returns:
        ``(coords, confidence, outliers)``: outliers zeroed with confidence 0, and the
        ``(T, J)`` boolean mask of them.
    """
    coords, confidence = check_arrays(coords, confidence)
    dev, sigma = hampel_deviation(coords, confidence, window)
    threshold = np.clip(k * sigma, min_deviation, max_deviation)
    with np.errstate(invalid="ignore"):
        outliers = np.nan_to_num(dev, nan=0.0) > np.nan_to_num(threshold, nan=np.inf)
    coords[outliers] = 0.0
    confidence[outliers] = 0.0
    return coords, confidence, outliers


# ------------------------------------------------------------------ left/right swaps
def limb_groups(skeleton: Skeleton) -> list[list[list[int]]]:
    """Left/right pairs grouped by limb, with the swaps to try in each.

    A limb is the chain of left joints under one root (a joint whose parent is not a left
    joint, or a hip/shoulder: a hip and its leg form one limb even where the skeleton hangs
    the hip under the shoulder). A swap exchanges a left joint and everything below it in the
    limb with their right partners, so a detector that swapped only the lower leg is undone
    without touching the hips.

    Returns:
        One list per limb; each holds candidate swaps as lists of indices into
        ``skeleton.symmetry``.
    """
    pair_of = {left: p for p, (left, _) in enumerate(skeleton.symmetry)}

    def is_root(j: int) -> bool:
        name = skeleton.joints[j]
        return skeleton.parents[j] not in pair_of or name.endswith(("Hip", "Shoulder"))

    def root(j: int) -> int:
        while not is_root(j):
            j = skeleton.parents[j]
        return j

    def below(j: int) -> list[int]:  # pair indices of j and its left descendants in the limb
        out = [pair_of[j]]
        for c, p in enumerate(skeleton.parents):
            if p == j and c in pair_of and not is_root(c):
                out += below(c)
        return out

    groups: dict[int, list[list[int]]] = {}
    for left in pair_of:
        groups.setdefault(root(left), []).append(sorted(below(left)))
    return [sorted(g, key=len, reverse=True) for _, g in sorted(groups.items())]


def fix_swaps(
    coords: np.ndarray,
    confidence: np.ndarray,
    skeleton: Skeleton,
    *,
    ratio: float = 0.5,
    min_gain: float = 0.0,
    lookback: int = 5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undo frames where a detector swapped a left limb with the right one.

    Frames are visited in order. For each limb (:func:`limb_groups`) the cost of a labelling
    is the summed distance of its joints from where the same joints were last seen (within
    ``lookback`` frames, in the corrected output). The cheapest candidate swap is applied
    when its cost is below ``ratio`` times the cost of keeping the labels and saves more than
    ``min_gain``. Afterwards a pair that ended up swapped in most of the frames where it is
    seen is relabelled throughout (the first frames were the swapped ones).

    Args:
        skeleton: gives the left/right pairs (``skeleton.symmetry``) and the limbs.
        ratio: how much more continuous a swap must be, in (0, 1].
        min_gain: the least distance a swap must save, in the data's units.
        lookback: frames a joint's last position stays valid.

    Returns:
        ``(coords, confidence, swapped)``, ``swapped`` a ``(T, P)`` boolean mask over the
        pairs of ``skeleton.symmetry``: True where the pair was exchanged.
    """
    coords, confidence = check_arrays(coords, confidence)
    if coords.shape[1] != skeleton.num_joints:
        raise SkeletonMismatchError(
            f"coords have {coords.shape[1]} joints, skeleton {skeleton.name!r} has "
            f"{skeleton.num_joints}"
        )
    T = coords.shape[0]
    pairs = np.array(skeleton.symmetry, dtype=int).reshape(-1, 2)
    swapped = np.zeros((T, len(pairs)), dtype=bool)
    if not len(pairs) or T < 2:
        return coords, confidence, swapped
    L, R = pairs[:, 0], pairs[:, 1]
    groups = [[np.array(c) for c in g] for g in limb_groups(skeleton)]
    last = coords[0].copy()
    seen = np.where(confidence[0] > 0, 0, -(10**9))
    for t in range(1, T):
        vis = confidence[t] > 0
        ok = (t - seen) <= lookback
        now = (coords[t], vis, last, ok)
        usable = ok[L] & ok[R] & (vis[L] | vis[R])
        keep = np.where(usable, _dist(*now, L, L) + _dist(*now, R, R), 0.0)
        swap = np.where(usable, _dist(*now, R, L) + _dist(*now, L, R), 0.0)
        for cands in groups:
            k = keep[cands[0]].sum()  # cands[0] is the whole limb
            costs = [k - keep[c].sum() + swap[c].sum() for c in cands]
            best = int(np.argmin(costs))
            c = cands[best]
            if costs[best] < ratio * k and k - costs[best] > min_gain:
                swapped[t, c] = True
        sw = swapped[t]
        if sw.any():
            _swap_pairs(coords, confidence, t, pairs[sw])
        vis = confidence[t] > 0
        last[vis] = coords[t, vis]
        seen[vis] = t
    # a pair swapped in most frames it is seen in: the labels were wrong from the start
    seen_pair = (confidence[:, L] > 0) | (confidence[:, R] > 0)
    for p in np.flatnonzero(swapped.sum(axis=0) * 2 > seen_pair.sum(axis=0)):
        frames = np.flatnonzero(seen_pair[:, p])
        swapped[frames, p] = ~swapped[frames, p]
        for t in frames:
            _swap_pairs(coords, confidence, t, pairs[[p]])
    return coords, confidence, swapped


def _dist(
    x: np.ndarray, vis: np.ndarray, last: np.ndarray, ok: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Distance of joints ``a`` now from joints ``b`` when last seen (0 where unknown)."""
    return np.where(vis[a] & ok[b], np.linalg.norm(x[a] - last[b], axis=-1), 0.0)


def _swap_pairs(coords: np.ndarray, confidence: np.ndarray, t: int, pairs: np.ndarray) -> None:
    """Exchange left and right joints of ``pairs`` at frame ``t``, in place."""
    a, b = pairs[:, 0], pairs[:, 1]
    coords[t, a], coords[t, b] = coords[t, b].copy(), coords[t, a].copy()
    confidence[t, a], confidence[t, b] = confidence[t, b].copy(), confidence[t, a].copy()


def swap_pairs(
    coords: np.ndarray, confidence: np.ndarray, pairs: np.ndarray, swapped: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exchange the left/right ``pairs`` (``(P, 2)`` joint indices) where ``swapped``
    (``(T, P)``) is True; e.g. to apply :func:`fix_swaps`' decisions to other arrays."""
    coords, confidence = np.array(coords, dtype=np.float64), np.array(confidence, dtype=float)
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    for t in np.flatnonzero(np.asarray(swapped).any(axis=1)):
        _swap_pairs(coords, confidence, t, pairs[swapped[t]])
    return coords, confidence


# ------------------------------------------------------------------ smoothing
def savgol(
    coords: np.ndarray, confidence: np.ndarray, window: int, polyorder: int = 2
) -> np.ndarray:
    """Savitzky-Golay smoothing (:func:`scipy.signal.savgol_filter`) of each present run.

    A least-squares polynomial of degree ``polyorder`` over a centred window of ``window``
    frames (odd): zero lag, and polynomials of that degree pass unchanged (a straight line
    stays a line, to the ends: ``mode="interp"``). Runs shorter than ``window`` use the
    longest odd window they hold; runs of ``polyorder + 1`` frames or fewer stay as they are.

    Returns:
        The smoothed ``(T, J, D)`` coordinates (confidence is unchanged).
    """
    from scipy.signal import savgol_filter

    if window < 3 or window % 2 == 0 or polyorder >= window or polyorder < 0:
        raise InvalidArgumentError(
            f"Savitzky-Golay needs an odd window >= 3 frames above the polynomial order, got "
            f"window={window}, polyorder={polyorder}"
        )

    def fn(seg: np.ndarray) -> np.ndarray:
        w = min(window, len(seg) if len(seg) % 2 else len(seg) - 1)
        return savgol_filter(seg, w, polyorder, axis=0, mode="interp")

    return apply_to_runs(coords, confidence, fn, min_length=polyorder + 2)


def gaussian(
    coords: np.ndarray, confidence: np.ndarray, sigma: float, truncate: float = 4.0
) -> np.ndarray:
    """Gaussian smoothing (:func:`scipy.ndimage.gaussian_filter1d`) of each present run.

    ``sigma`` in frames. Zero lag. Each run is extended past its ends by point reflection
    (``2 x[0] - x[k]``), so a straight line stays a line to the ends instead of bending
    towards a constant.

    Returns:
        The smoothed ``(T, J, D)`` coordinates (confidence is unchanged).
    """
    from scipy.ndimage import gaussian_filter1d

    if not sigma > 0:
        raise InvalidArgumentError(f"Gaussian sigma must be > 0 frames, got {sigma}")
    radius = int(truncate * sigma + 0.5)

    def fn(seg: np.ndarray) -> np.ndarray:
        p = min(radius, len(seg) - 1)
        padded = np.concatenate(
            [2 * seg[0] - seg[p:0:-1], seg, 2 * seg[-1] - seg[len(seg) - 2 : len(seg) - 2 - p : -1]]
        )
        return gaussian_filter1d(padded, sigma, axis=0, mode="nearest", truncate=truncate)[
            p : p + len(seg)
        ]

    return apply_to_runs(coords, confidence, fn, min_length=2)


class OneEuroFilter:
    """The One-Euro filter (Casiez, Roussel & Vogel, CHI 2012): causal, for streaming.

    An exponential smoother whose cutoff frequency rises with speed, so slow motion is
    smoothed hard (little jitter) and fast motion lightly (little lag):
    ``cutoff = min_cutoff + beta * |dx/dt|`` with the speed itself smoothed at ``d_cutoff``.

    Stateful: call it once per frame with ``(x, timestamp)``; the output depends only on the
    frames seen so far. ``x`` is ``(..., D)``: the last axis is one point's coordinates and
    the speed of the whole point (its norm) sets the cutoff, so a joint's x and y are
    smoothed alike. A point that is missing (``present`` False) is not updated, outputs 0,
    and starts afresh when it comes back.

    Args:
        min_cutoff: cutoff at rest, in Hz (lower: smoother, more lag when slow).
        beta: cutoff increase per unit of speed, in Hz per (data units per second); higher:
            less lag on fast motion, more jitter.
        d_cutoff: cutoff of the speed estimate, in Hz.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0):
        if not (min_cutoff > 0 and d_cutoff > 0 and beta >= 0):
            raise InvalidArgumentError(
                f"One-Euro needs min_cutoff > 0, d_cutoff > 0 and beta >= 0 (Hz), got "
                f"{min_cutoff}, {d_cutoff}, {beta}"
            )
        self.min_cutoff, self.beta, self.d_cutoff = float(min_cutoff), float(beta), float(d_cutoff)
        self.reset()

    def reset(self) -> None:
        """Forget all state."""
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: np.ndarray | None = None

    @staticmethod
    def _alpha(dt: np.ndarray, cutoff: np.ndarray | float) -> np.ndarray:
        tau = 1.0 / (2 * np.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau / dt)

    def __call__(
        self, x: np.ndarray, timestamp: float, present: np.ndarray | None = None
    ) -> np.ndarray:
        """Filter one frame: ``x`` ``(..., D)`` at ``timestamp`` seconds (increasing)."""
        x = np.asarray(x, dtype=np.float64)
        shape = x.shape[:-1]
        present = np.ones(shape, bool) if present is None else np.asarray(present, bool)
        if self._x is None or self._x.shape != x.shape:
            self._x, self._dx = np.zeros_like(x), np.zeros_like(x)
            self._t = np.full(shape, np.nan)
        assert self._dx is not None and self._t is not None
        old = present & np.isfinite(self._t)
        new = present & ~old
        self._x[new], self._dx[new] = x[new], 0.0
        if old.any():
            dt = timestamp - self._t[old]
            if np.any(dt <= 0):
                raise InvalidArgumentError(
                    f"One-Euro timestamps must increase; got {timestamp} after {self._t[old].max()}"
                )
            dt = dt[:, None]
            dx = (x[old] - self._x[old]) / dt
            dx_hat = self._dx[old] + self._alpha(dt, self.d_cutoff) * (dx - self._dx[old])
            cutoff = self.min_cutoff + self.beta * np.linalg.norm(dx_hat, axis=-1, keepdims=True)
            self._x[old] = self._x[old] + self._alpha(dt, cutoff) * (x[old] - self._x[old])
            self._dx[old] = dx_hat
        self._t[present] = timestamp
        self._t[~present] = np.nan
        return np.where(present[..., None], self._x, 0.0)


def one_euro(
    coords: np.ndarray,
    confidence: np.ndarray,
    timestamps: np.ndarray | float,
    *,
    min_cutoff: float = 1.0,
    beta: float = 0.0,
    d_cutoff: float = 1.0,
) -> np.ndarray:
    """Run a :class:`OneEuroFilter` over a whole sequence, frame by frame (causal).

    Args:
        timestamps: ``(T,)`` seconds, or the frame rate in frames per second.
        min_cutoff, beta, d_cutoff: see :class:`OneEuroFilter` (``beta`` per data unit).

    Returns:
        The filtered ``(T, J, D)`` coordinates (confidence is unchanged).
    """
    coords, confidence = check_arrays(coords, confidence)
    T = coords.shape[0]
    if np.ndim(timestamps) == 0:
        timestamps = np.arange(T) / float(timestamps)  # type: ignore[arg-type]
    timestamps = np.asarray(timestamps, dtype=np.float64)
    if timestamps.shape != (T,):
        raise InvalidArgumentError(f"need {T} timestamps, got {timestamps.shape}")
    f = OneEuroFilter(min_cutoff, beta, d_cutoff)
    vis = confidence > 0
    return np.stack([f(coords[t], timestamps[t], vis[t]) for t in range(T)]) if T else coords


__all__: Sequence[str] = (
    "OneEuroFilter",
    "apply_to_runs",
    "body_size",
    "check_arrays",
    "fill_gaps",
    "fix_swaps",
    "gaussian",
    "hampel_deviation",
    "limb_groups",
    "one_euro",
    "reject_outliers",
    "runs",
    "savgol",
    "seconds_to_frames",
    "swap_pairs",
)


def fill_all_gaps(seq: PoseSequence) -> PoseSequence:
    """Every missing joint filled: interpolated between present frames, held at the ends.

    A joint missing in every frame stays missing. Filled joints get half the confidence of
    their neighbours (see :func:`fill_gaps`).
    """
    T = seq.num_frames
    coords, conf, _ = fill_gaps(seq.coords, seq.confidence, max_gap=T, kind="linear")
    vis = conf > 0
    for j in range(seq.num_joints):
        idx = np.flatnonzero(vis[:, j])
        if idx.size == 0 or idx.size == T:
            continue
        first, last = idx[0], idx[-1]
        coords[:first, j] = coords[first, j]
        conf[:first, j] = max(1e-3, 0.5 * conf[first, j])
        coords[last + 1 :, j] = coords[last, j]
        conf[last + 1 :, j] = max(1e-3, 0.5 * conf[last, j])
    return seq.with_coords(coords, conf)
