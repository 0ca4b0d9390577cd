"""How noisy a pose sequence is, how well it was denoised, and synthetic detector noise.

Against clean truth (motion capture): :func:`mpjpe` and :func:`accel_error` (SmoothNet's
definitions). Without truth (real clips): :func:`jitter` (mean acceleration) and :func:`lag`
against the raw detections. All in the data's units and **frames**: MPJPE in units,
acceleration in units per frame², lag in frames (multiply by ``1 / fps`` for seconds).

:func:`measure_noise` measures a real detector sequence's noise (per-joint jitter, dropouts,
outliers, left/right swaps) as :class:`NoiseStats`, relative to the body size so they carry
over to other data; :func:`add_noise` puts noise with those statistics on clean data (to train
and test denoisers).

Arrays follow :mod:`retarget.denoising.filters`: ``(T, J, D)`` coordinates, ``(T, J)``
confidence with 0 = missing; ``mask`` arguments are ``(T, J)`` booleans of joints to count.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.atomic import atomic_file
from skeleton_io.errors import InvalidArgumentError, PoseFormatError
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import Skeleton

from . import filters as F
from .registry import CleanupOptions


# ------------------------------------------------------------------ accuracy and smoothness
def _mask(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    if mask is None:
        return np.ones(shape[:2], dtype=bool)
    mask = np.asarray(mask)
    if mask.shape != shape[:2]:
        raise InvalidArgumentError(f"mask must have shape {shape[:2]}, got {mask.shape}")
    return mask.astype(bool) if mask.dtype == bool else mask > 0


def _same_shape(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, truth = np.asarray(pred, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    if pred.shape != truth.shape or pred.ndim != 3:
        raise InvalidArgumentError(
            f"prediction and truth must both be (T, J, D); got {pred.shape} and {truth.shape}"
        )
    return pred, truth


def _mean(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].mean()) if mask.any() else math.nan


def accel(coords: np.ndarray) -> np.ndarray:
    """Second differences ``x[t+1] - 2 x[t] + x[t-1]``: ``(T-2, J, D)``, units per frame²."""
    c = np.asarray(coords, dtype=np.float64)
    return c[2:] - 2 * c[1:-1] + c[:-2]


def _accel_mask(mask: np.ndarray) -> np.ndarray:
    return mask[2:] & mask[1:-1] & mask[:-2]


def mpjpe(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean per-joint position error: the mean Euclidean distance over masked joints."""
    pred, truth = _same_shape(pred, truth)
    return _mean(np.linalg.norm(pred - truth, axis=-1), _mask(mask, pred.shape))


def accel_error(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Acceleration error (SmoothNet): mean over frames and joints of
    ``|accel(pred) - accel(truth)|``, units per frame². A joint counts at frame t when the
    mask holds at t-1, t and t+1."""
    pred, truth = _same_shape(pred, truth)
    m = _accel_mask(_mask(mask, pred.shape))
    return _mean(np.linalg.norm(accel(pred) - accel(truth), axis=-1), m)


def jitter(coords: np.ndarray, confidence: np.ndarray | None = None) -> float:
    """Mean acceleration magnitude ``|x[t+1] - 2 x[t] + x[t-1]|`` over joints present at
    t-1, t and t+1, in units per frame² (no truth needed)."""
    coords = np.asarray(coords, dtype=np.float64)
    m = _accel_mask(_mask(confidence, coords.shape))
    return _mean(np.linalg.norm(accel(coords), axis=-1), m)


def slow_share(
    coords: np.ndarray, confidence: np.ndarray | None, fps: float, hz: float = 4.0
) -> float:
    """The share of a sequence's acceleration that lies below ``hz`` (RMS of the
    acceleration's spectrum below ``hz`` over the RMS of all of it; 0..1).

    Human motion lives below a few hertz, a detector's jitter is spread over every frequency:
    on real clips, where there is no truth, this is the part of :func:`jitter` that is the
    performer's own motion, which a denoiser without lag cannot remove (a rough floor for
    ``jitter(out) / jitter(raw)``). Joints are taken where present at t-1, t and t+1 (other
    accelerations count as 0).
    """
    coords = np.asarray(coords, dtype=np.float64)
    a = accel(coords)
    m = _accel_mask(_mask(confidence, coords.shape))
    a = np.where(m[..., None], a, 0.0).reshape(len(a), -1)
    if len(a) < 4:
        raise InvalidArgumentError(f"slow_share needs at least 6 frames, got {len(a) + 2}")
    power = np.abs(np.fft.rfft(a - a.mean(axis=0), axis=0)) ** 2
    freq = np.fft.rfftfreq(len(a), 1.0 / fps)
    total = power.sum()
    return float(np.sqrt(power[freq < hz].sum() / total)) if total > 0 else 0.0


def lag(
    filtered: np.ndarray,
    raw: np.ndarray,
    confidence: np.ndarray | None = None,
    max_lag: int = 10,
    smooth: float = 3.0,
) -> float:
    """The delay of ``filtered`` behind ``raw`` in frames (sub-frame, may be negative).

    The shift ``s`` maximising the normalised cross-correlation of the two sequences'
    velocities (first differences, mean velocity per joint removed, over joints present in
    both frames of each difference); ``filtered[t]`` best matches ``raw[t - s]``. Refined by a
    parabola through the peak. A zero-phase filter gives about 0, a causal one > 0.

    Both velocities are first smoothed alike by a zero-phase Gaussian of ``smooth`` frames
    (0: not at all). That does not move the peak of the motion itself but keeps the
    detector's white jitter, whose correlation peaks at 0 for any causal filter, from
    hiding the delay of the motion (the delay one sees).
    """
    from scipy.ndimage import gaussian_filter1d

    f, r = _same_shape(filtered, raw)
    m = _mask(confidence, f.shape)
    m = m[1:] & m[:-1]
    vf, vr = np.diff(f, axis=0), np.diff(r, axis=0)
    for v in (vf, vr):
        v -= (v * m[..., None]).sum(0) / np.maximum(m.sum(0), 1)[:, None]
        v[~m] = 0.0
        if smooth > 0:
            v[:] = gaussian_filter1d(v, smooth, axis=0, mode="constant")
    n = len(vf)
    max_lag = min(max_lag, n - 2)
    if max_lag < 1:
        return math.nan
    shifts = np.arange(-max_lag, max_lag + 1)
    corr = np.full(len(shifts), -np.inf)
    for i, s in enumerate(shifts):
        a, b = (vf[s:], vr[: n - s]) if s >= 0 else (vf[:s], vr[-s:])
        den = math.sqrt(float((a * a).sum() * (b * b).sum()))
        if den > 0:
            corr[i] = float((a * b).sum()) / den
    i = int(np.argmax(corr))
    if not np.isfinite(corr[i]):
        return math.nan
    best = float(shifts[i])
    if 0 < i < len(shifts) - 1 and np.isfinite(corr[i - 1]) and np.isfinite(corr[i + 1]):
        c0, c1, c2 = corr[i - 1], corr[i], corr[i + 1]
        den = c0 - 2 * c1 + c2
        if den < 0:
            best += 0.5 * (c0 - c2) / den
    return best


# ------------------------------------------------------------------ noise statistics
@dataclass
class NoiseStats:
    """Noise of a pose detector, measured on real output (JSON-serialisable).

    Distances are fractions of the body size (:func:`~retarget.denoising.filters.body_size`),
    times in frames at ``fps``.

    Attributes:
        fps: frame rate of the measured sequence(s).
        frames: frames measured.
        body_size: body size of the measured sequence in its units (for reference).
        units: those units.
        jitter: per joint name, the standard deviation of the noise on each coordinate.
        dropout_rate: per joint name, the fraction of frames (with a person) it is missing.
        dropout_lengths: the length in frames of every dropout (joints never seen excluded).
        outlier_rate: fraction of present joint-frames that jump away from their neighbours.
        outlier_magnitudes: each outlier's distance from its robust local fit.
        swap_rate: fraction of frames in which a limb is swapped with its partner (mean over
            limbs).
        swap_lengths: the length in frames of every swap.
        confidence: median detector confidence of present joints.
        sources: where the numbers come from.
    """

    fps: float
    frames: int
    body_size: float
    units: str
    jitter: dict[str, float] = field(default_factory=dict)
    dropout_rate: dict[str, float] = field(default_factory=dict)
    dropout_lengths: list[int] = field(default_factory=list)
    outlier_rate: float = 0.0
    outlier_magnitudes: list[float] = field(default_factory=list)
    swap_rate: float = 0.0
    swap_lengths: list[int] = field(default_factory=list)
    confidence: float = 1.0
    sources: list[str] = field(default_factory=list)

    def jitter_of(self, joint: str | None) -> float:
        """A joint's jitter; the median over joints for one not measured."""
        return _lookup(self.jitter, joint)

    def dropout_of(self, joint: str | None) -> float:
        """A joint's dropout rate; the median over joints for one not measured."""
        return _lookup(self.dropout_rate, joint)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NoiseStats:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + "\n"

    def save(self, path: str | Path) -> None:
        """Write as JSON (atomically)."""
        with atomic_file(path) as tmp:
            Path(tmp).write_text(self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> NoiseStats:
        from skeleton_io.io import check_input_path

        check_input_path(path)
        try:
            data = json.loads(Path(path).read_text())
            if not isinstance(data, dict):
                raise TypeError(f"a JSON {type(data).__name__}, not an object")
            return cls.from_dict(data)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError, KeyError) as e:
            raise PoseFormatError(
                f"{path}: not a noise statistics JSON ({type(e).__name__}: {e}); pass the "
                "noise_stats.json of a denoiser model folder"
            ) from None

    @classmethod
    def combine(cls, stats: list[NoiseStats]) -> NoiseStats:
        """Pool several measurements, weighting by frames (jitter as a pooled variance)."""
        if not stats:
            raise InvalidArgumentError("combine needs at least one NoiseStats")
        w = np.array([s.frames for s in stats], dtype=float)

        def pool(get: Any, rms: bool = False) -> dict[str, float]:
            keys = sorted({k for s in stats for k in get(s)})
            out = {}
            for k in keys:
                vals = np.array([get(s).get(k, np.nan) for s in stats])
                ok = np.isfinite(vals)
                v = vals[ok] ** 2 if rms else vals[ok]
                mean = float(np.average(v, weights=w[ok]))
                out[k] = math.sqrt(mean) if rms else mean
            return out

        units = {s.units for s in stats}
        return cls(
            fps=stats[0].fps,
            frames=int(w.sum()),
            body_size=float(np.average([s.body_size for s in stats], weights=w)),
            units=units.pop() if len(units) == 1 else "mixed",
            jitter=pool(lambda s: s.jitter, rms=True),
            dropout_rate=pool(lambda s: s.dropout_rate),
            dropout_lengths=[n for s in stats for n in s.dropout_lengths],
            outlier_rate=float(np.average([s.outlier_rate for s in stats], weights=w)),
            outlier_magnitudes=[m for s in stats for m in s.outlier_magnitudes],
            swap_rate=float(np.average([s.swap_rate for s in stats], weights=w)),
            swap_lengths=[n for s in stats for n in s.swap_lengths],
            confidence=float(np.average([s.confidence for s in stats], weights=w)),
            sources=[x for s in stats for x in s.sources],
        )


def _lookup(table: dict[str, float], key: str | None) -> float:
    if key is not None and key in table:
        return float(table[key])
    return float(np.median(list(table.values()))) if table else 0.0


def measure_noise(
    seq: PoseSequence,
    *,
    jitter_window: float = 0.3,
    cleanup: CleanupOptions | None = None,
) -> NoiseStats:
    """Measure a detector sequence's noise.

    In order: left/right swaps are found and undone
    (:func:`~retarget.denoising.filters.fix_swaps`); outliers are found and dropped (Hampel,
    :func:`~retarget.denoising.filters.reject_outliers`); the jitter of each joint is the
    root mean square of its high-pass residual, the difference from a
    Savitzky-Golay fit (order 2 over ``jitter_window`` seconds, inner frames of each run),
    scaled by ``1 / sqrt(1 - h0)`` (``h0`` the fit's centre weight) so that white noise of
    standard deviation s measures s. (Not the median absolute deviation: detector output is
    quantised, OpenPose's to about 2 px, and the median of a quantised residual is often 0.)
    Motion faster than the fit follows (about 10 Hz at 30 fps) counts as jitter.

    Args:
        jitter_window: the Savitzky-Golay window in seconds.
        cleanup: how swaps and outliers are found (its swap and outlier fields; default
            :class:`~retarget.denoising.registry.CleanupOptions`), the same as
            :func:`~retarget.denoising.denoise` uses.
    """
    from scipy.signal import savgol_coeffs, savgol_filter

    o = cleanup or CleanupOptions()
    coords, conf = seq.coords, seq.confidence
    T, J = conf.shape
    size = F.body_size(coords, conf)
    names = seq.skeleton.joints
    person = (conf > 0).any(axis=1)
    n_person = max(int(person.sum()), 1)

    # swaps, per limb
    coords, conf, swapped = F.fix_swaps(coords, conf, seq.skeleton, **o.swap_kwargs(size))
    limbs = F.limb_groups(seq.skeleton)
    swap_lengths: list[int] = []
    limb_rates = []
    for limb in limbs:
        sw = swapped[:, limb[0]].any(axis=1)
        limb_rates.append(sw.sum() / n_person)
        swap_lengths += [e - s for s, e in F.runs(sw)]

    # outliers
    kw = o.outlier_kwargs(seq.fps, size)
    n_present = max(int((conf > 0).sum()), 1)
    dev, _ = F.hampel_deviation(coords, conf, kw["window"])
    coords, conf, outliers = F.reject_outliers(coords, conf, **kw)

    # jitter
    w = F.seconds_to_frames(jitter_window, seq.fps, odd=True, minimum=5)
    h0 = savgol_coeffs(w, 2)[w // 2]
    half = w // 2
    jit: dict[str, float] = {}
    vis = conf > 0
    for j in range(J):
        res = [
            (coords[s:e, j] - savgol_filter(coords[s:e, j], w, 2, axis=0))[half:-half]
            for s, e in F.runs(vis[:, j])
            if e - s >= w
        ]
        if res:
            r = np.concatenate(res).ravel()
            sd = math.sqrt(float(np.mean(r**2)) / (1 - h0))
            jit[names[j]] = round(float(sd / size), 6)

    # dropouts (on the detector's own output: before outliers were dropped)
    seen = seq.confidence > 0
    rates: dict[str, float] = {}
    lengths: list[int] = []
    for j in range(J):
        if not seen[:, j].any():
            continue
        miss = ~seen[:, j] & person
        rates[names[j]] = round(float(miss.sum() / n_person), 6)
        lengths += [e - s for s, e in F.runs(miss)]

    present_conf = seq.confidence[seq.confidence > 0]
    return NoiseStats(
        fps=seq.fps,
        frames=T,
        body_size=round(size, 4),
        units=seq.units,
        jitter=jit,
        dropout_rate=rates,
        dropout_lengths=lengths,
        outlier_rate=round(float(outliers.sum() / n_present), 6),
        outlier_magnitudes=[round(float(v / size), 4) for v in dev[outliers]],
        swap_rate=round(float(np.mean(limb_rates)), 6) if limb_rates else 0.0,
        swap_lengths=swap_lengths,
        confidence=round(float(np.median(present_conf)), 4) if present_conf.size else 1.0,
        sources=[str(seq.meta.get("source_path", ""))],
    )


# ------------------------------------------------------------------ synthetic noise
def _sample_runs(
    T: int, rate: float, lengths: list[int], rng: np.random.Generator, default: int = 1
) -> np.ndarray:
    """A ``(T,)`` mask of runs covering about ``rate`` of the frames, run lengths drawn from
    ``lengths`` (or ``default``)."""
    mask = np.zeros(T, dtype=bool)
    if rate <= 0 or T == 0:
        return mask
    if rate >= 1:
        return ~mask
    lengths = list(lengths) or [default]
    mean = float(np.mean(lengths))
    p = min(1.0, rate / (mean * (1 - rate)))
    for s in np.flatnonzero(rng.random(T) < p):
        mask[s : s + int(rng.choice(lengths))] = True
    return mask


def add_noise(
    clean: np.ndarray,
    stats: NoiseStats,
    rng: np.random.Generator,
    *,
    skeleton: Skeleton | None = None,
    confidence: np.ndarray | None = None,
    default_outlier: float = 0.15,
) -> tuple[np.ndarray, np.ndarray]:
    """Detector-like noise with the statistics ``stats`` on clean ``(T, J, D)`` coordinates.

    Distances scale with the clean data's own body size, so statistics measured in pixels
    apply to motion capture in centimetres. In order:

    * jitter: white Gaussian noise, standard deviation ``stats.jitter_of(joint)`` on each
      coordinate;
    * left/right swaps: whole limbs (:func:`~retarget.denoising.filters.limb_groups`) swapped
      for runs of frames, ``stats.swap_rate`` of the frames per limb, run lengths drawn from
      ``stats.swap_lengths``;
    * outliers: ``stats.outlier_rate`` of the joint-frames moved in a random direction by a
      distance drawn from ``stats.outlier_magnitudes`` (``default_outlier`` if empty); their
      confidence is halved;
    * dropouts: runs with lengths drawn from ``stats.dropout_lengths`` covering
      ``stats.dropout_of(joint)`` of each joint's frames (confidence 0, coordinates 0).

    Args:
        skeleton: gives joint names (for per-joint statistics) and left/right pairs (for
            swaps); without it every joint gets the median statistics and nothing is swapped.
        confidence: ``(T, J)`` of the clean data; its missing joints stay missing.

    Returns:
        ``(noisy, confidence)``: confidence about ``stats.confidence`` where present.
    """
    clean = np.asarray(clean, dtype=np.float64)
    if clean.ndim != 3:
        raise InvalidArgumentError(f"clean coords must be (T, J, D), got {clean.shape}")
    T, J, D = clean.shape
    if skeleton is not None and skeleton.num_joints != J:
        raise InvalidArgumentError(
            f"skeleton {skeleton.name!r} has {skeleton.num_joints} joints, data has {J}"
        )
    base = np.ones((T, J)) if confidence is None else np.asarray(confidence, dtype=np.float64)
    size = F.body_size(clean, base)
    names: list[str | None] = list(skeleton.joints) if skeleton else [None] * J

    sigma = np.array([stats.jitter_of(n) for n in names]) * size
    noisy = clean + rng.normal(size=clean.shape) * sigma[None, :, None]
    conf = np.clip(rng.normal(stats.confidence, 0.1, size=(T, J)), 0.05, 1.0)

    if skeleton is not None and skeleton.symmetry and stats.swap_rate > 0:
        pairs = np.array(skeleton.symmetry, dtype=int)
        for limb in F.limb_groups(skeleton):
            frames = _sample_runs(T, stats.swap_rate, stats.swap_lengths, rng)
            swapped = np.zeros((T, len(pairs)), dtype=bool)
            swapped[np.ix_(frames, limb[0])] = True
            noisy, conf = F.swap_pairs(noisy, conf, pairs, swapped)

    out = rng.random((T, J)) < stats.outlier_rate
    n = int(out.sum())
    if n:
        mags = np.asarray(stats.outlier_magnitudes or [default_outlier], dtype=float)
        direction = rng.normal(size=(n, D))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        noisy[out] += direction * rng.choice(mags, size=n)[:, None] * size
        conf[out] *= 0.5

    for j, name in enumerate(names):
        conf[_sample_runs(T, stats.dropout_of(name), stats.dropout_lengths, rng), j] = 0.0
    conf[base <= 0] = 0.0
    noisy[conf == 0] = 0.0
    return noisy, conf


__all__ = [
    "NoiseStats",
    "accel",
    "accel_error",
    "add_noise",
    "jitter",
    "lag",
    "measure_noise",
    "mpjpe",
]
