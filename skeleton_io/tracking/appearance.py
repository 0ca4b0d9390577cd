"""Clothing colours of a person, to tell people apart and to find them again.

:func:`appearance` samples the image along a person's bones (torso quadrilateral, arms,
legs) and builds one colour histogram per part; :func:`appearance_distance` compares two
such descriptors (Bhattacharyya distance, 0 same colours, 1 disjoint). On the benchmark
clips the same person scores about 0.27 between frames, two differently dressed people
about 0.7 (``benchmarks/people.py``).
"""

from __future__ import annotations

import numpy as np

from ..skeleton import Skeleton

APPEARANCE_CONFIDENCE = 0.5
"""Joints below this confidence are not used to sample colours."""

# Body parts whose colours describe a person: segments between joints (sampled along the
# bone and beside it) and the torso quadrilateral.
_UPPER = (("LShoulder", "LElbow"), ("RShoulder", "RElbow"), ("LElbow", "LWrist"),
          ("RElbow", "RWrist"))  # fmt: skip
_LOWER = (("LHip", "LKnee"), ("RHip", "RKnee"), ("LKnee", "LAnkle"), ("RKnee", "RAnkle"))
_TORSO = ("LShoulder", "RShoulder", "RHip", "LHip")
_HUE_BINS, _SAT_BINS, _GREY_BINS = 12, 2, 4
HIST_BINS = _HUE_BINS * _SAT_BINS + _GREY_BINS
"""Bins of one part's colour histogram."""
_MIN_SAMPLES = 12


def _torso_points(q: np.ndarray, n: int = 7) -> np.ndarray:
    """Points on an ``n x n`` grid inside the quadrilateral ``q`` (4, 2), corners in order."""
    u = np.linspace(0.15, 0.85, n)
    a, b = np.meshgrid(u, u)
    a, b = a.ravel()[:, None], b.ravel()[:, None]
    top = q[0] + a * (q[1] - q[0])
    bottom = q[3] + a * (q[2] - q[3])
    return top + b * (bottom - top)


def _segment_points(p: np.ndarray, q: np.ndarray, n: int = 8) -> np.ndarray:
    """Points along the segment ``p -> q`` and on two parallels at 8 % of its length."""
    t = np.linspace(0.15, 0.85, n)[:, None]
    line = p + t * (q - p)
    normal = np.array([-(q - p)[1], (q - p)[0]]) * 0.08
    return np.concatenate([line, line + normal, line - normal])


def _hsv_hist(rgb: np.ndarray) -> np.ndarray:
    """Colour histogram of ``(N, 3)`` uint8 RGB pixels: hue x saturation for coloured
    pixels, value for grey ones; sums to 1."""
    x = rgb.astype(np.float64) / 255.0
    v = x.max(axis=1)
    c = v - x.min(axis=1)
    s = np.where(v > 0, c / np.maximum(v, 1e-9), 0.0)
    r, g, b = x.T
    safe = np.maximum(c, 1e-9)
    h = np.where(
        v == r, ((g - b) / safe) % 6, np.where(v == g, (b - r) / safe + 2, (r - g) / safe + 4)
    )
    h = h / 6.0
    colour = (s >= 0.25) & (v >= 0.2)
    hist = np.zeros(HIST_BINS)
    hb = np.minimum((h[colour] * _HUE_BINS).astype(int), _HUE_BINS - 1)
    sb = (s[colour] >= 0.6).astype(int)
    np.add.at(hist, hb * _SAT_BINS + sb, 1.0)
    gb = np.minimum((v[~colour] * _GREY_BINS).astype(int), _GREY_BINS - 1)
    np.add.at(hist, _HUE_BINS * _SAT_BINS + gb, 1.0)
    return hist / max(hist.sum(), 1.0)


def appearance(
    rgb: np.ndarray,
    xy: np.ndarray,
    confidence: np.ndarray,
    skeleton: Skeleton,
    scale: tuple[float, float] = (1.0, 1.0),
) -> np.ndarray:
    """Colour descriptor of one person: ``(3, HIST_BINS)`` histograms of the torso, the
    arms and the legs (rows of NaN for a part not seen well enough).

    Args:
        rgb: ``(H, W, 3)`` uint8 image the person is in.
        xy: ``(J, 2)`` joints in pixels of the *original* frame (x right, y down).
        confidence: ``(J,)``; joints below ``APPEARANCE_CONFIDENCE`` are not used.
        skeleton: names the joints (any skeleton with shoulders, elbows, hips, ...).
        scale: image pixels per original pixel along x and y.
    """
    pts = np.asarray(xy, dtype=np.float64) * np.asarray(scale)
    ok = np.asarray(confidence) >= APPEARANCE_CONFIDENCE
    index = skeleton.index

    def have(*names: str) -> bool:
        return all(n in index and ok[index[n]] for n in names)

    parts: list[list[np.ndarray]] = [[], [], []]
    if have(*_TORSO):
        parts[0].append(_torso_points(pts[[index[n] for n in _TORSO]]))
    for row, segs in ((1, _UPPER), (2, _LOWER)):
        for a, b in segs:
            if have(a, b):
                parts[row].append(_segment_points(pts[index[a]], pts[index[b]]))
    h, w = rgb.shape[:2]
    out = np.full((3, HIST_BINS), np.nan)
    for row, chunks in enumerate(parts):
        if not chunks:
            continue
        p = np.concatenate(chunks).round().astype(int)
        p = p[(p[:, 0] >= 0) & (p[:, 0] < w) & (p[:, 1] >= 0) & (p[:, 1] < h)]
        if len(p) >= _MIN_SAMPLES:
            out[row] = _hsv_hist(rgb[p[:, 1], p[:, 0]])
    return out


def appearance_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Mean Bhattacharyya distance (0 same colours, 1 disjoint) over the parts both
    descriptors have; NaN when they share none."""
    if a is None or b is None:
        return float("nan")
    both = ~(np.isnan(a).any(axis=1) | np.isnan(b).any(axis=1))
    if not both.any():
        return float("nan")
    bc = np.sqrt(a[both] * b[both]).sum(axis=1)
    return float(np.sqrt(np.clip(1.0 - bc, 0.0, 1.0)).mean())
