"""Measures of a rendered pose-transfer video against its inputs (numpy / OpenCV): does the
output person move like the driving person, look like the source person, stand in the
source's scene, and keep still where the driving keeps still.

Used by ``benchmarks/render.py --only cross`` (photo to dancer). Everything works on what a
detector finds in the frames (BlazePose keypoints and segmentation), never on the
renderer's own inputs, so any backend can be measured the same way.

Conventions: keypoints are ``(T, 15, 2)`` ``openpose15`` arrays in pixels (x right, y down)
with ``(T, 15)`` visibility in [0, 1]; a keypoint counts as found where its visibility is at
least ``thr`` (default :data:`VISIBLE`). Images are ``(H, W, 3)`` uint8 RGB, masks ``(H, W)``
float in [0, 1] (1 = person).
"""

from __future__ import annotations

import numpy as np

from skeleton_io.skeleton import OPENPOSE15

from ..denoising.metrics import jitter as raw_jitter

VISIBLE = 0.5
"""Visibility from which a detected keypoint counts as found."""
BONES: tuple[tuple[int, int], ...] = tuple(OPENPOSE15.edges)
"""The 14 ``openpose15`` bones (parent, child) whose image directions are compared."""
_NECK, _HIP = OPENPOSE15.idx("Neck"), OPENPOSE15.idx("MidHip")


def bone_angles(
    coords: np.ndarray, vis: np.ndarray, thr: float = VISIBLE
) -> tuple[np.ndarray, np.ndarray]:
    """Image direction of every bone of :data:`BONES`: ``(T, B)`` angles in degrees
    (``atan2(dy, dx)``, y down) and ``(T, B)`` both ends found."""
    a = np.array([b[0] for b in BONES])
    b = np.array([b[1] for b in BONES])
    d = coords[:, b] - coords[:, a]
    ang = np.degrees(np.arctan2(d[..., 1], d[..., 0]))
    ok = (vis[:, a] >= thr) & (vis[:, b] >= thr) & (np.linalg.norm(d, axis=-1) > 1e-6)
    return ang, ok


def angle_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a - b|`` of angles in degrees, wrapped to [0, 180]."""
    return np.abs((a - b + 180.0) % 360.0 - 180.0)


def bone_angle_error(
    got: tuple[np.ndarray, np.ndarray],
    want: tuple[np.ndarray, np.ndarray],
    thr: float = VISIBLE,
) -> tuple[float, np.ndarray]:
    """Mean bone-angle difference (degrees) between keypoints ``got`` and ``want`` (each
    ``(coords, vis)``), over the bones found in both, and per frame (NaN where none)."""
    ga, gok = bone_angles(*got, thr)
    wa, wok = bone_angles(*want, thr)
    both = gok & wok
    diff = angle_difference(ga, wa)
    per = np.array([diff[t][both[t]].mean() if both[t].any() else np.nan for t in range(len(diff))])
    return (float(diff[both].mean()) if both.any() else float("nan")), per


def missing_share(got_vis: np.ndarray, want_vis: np.ndarray, thr: float = VISIBLE) -> float:
    """Share of the keypoints found in ``want`` (``(T, 15)`` visibility) that are not found
    in ``got``."""
    want = want_vis >= thr
    return float((want & (got_vis < thr)).sum() / max(int(want.sum()), 1))


def spine_length(coords: np.ndarray, vis: np.ndarray, thr: float = VISIBLE) -> float:
    """Median spine length (Neck-MidHip, pixels) over the frames where both are found; NaN
    when never."""
    ok = (vis[:, _NECK] >= thr) & (vis[:, _HIP] >= thr)
    if not ok.any():
        return float("nan")
    return float(np.median(np.linalg.norm(coords[ok, _NECK] - coords[ok, _HIP], axis=-1)))


def jitter(coords: np.ndarray, vis: np.ndarray, thr: float = VISIBLE) -> float:
    """Mean |acceleration| (second difference over frames) of the keypoints found in three
    consecutive frames, in spine lengths (:func:`spine_length`) per frame squared: the same
    shake gives the same number on a large and on a small person."""
    size = spine_length(coords, vis, thr)
    if not np.isfinite(size) or size <= 0:
        return float("nan")
    return raw_jitter(coords, (vis >= thr).astype(float)) / size


def joint_jitter(coords: np.ndarray, vis: np.ndarray, thr: float = VISIBLE) -> np.ndarray:
    """``(J,)`` :func:`jitter` of each keypoint alone: its mean |acceleration| over the
    frames where it is found in three consecutive frames, in spine lengths per frame squared
    (NaN for a keypoint never so found, or when the spine is never found). Their mean,
    weighted by how often each is found, is :func:`jitter`: which joints shake the most."""
    size = spine_length(coords, vis, thr)
    found = (vis >= thr).astype(float)
    if not np.isfinite(size) or size <= 0:
        return np.full(found.shape[1], np.nan)
    each = [raw_jitter(coords[:, j : j + 1], found[:, j : j + 1]) for j in range(found.shape[1])]
    return np.array(each) / size


def inner(mask: np.ndarray, erode: int = 2, thr: float = 0.5) -> np.ndarray:
    """Bool ``mask > thr`` shrunk by ``erode`` pixels (the edge mixes in the scene)."""
    import cv2

    m = (mask > thr).astype(np.uint8)
    if erode > 0:
        m = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * erode + 1,) * 2))
    return m.astype(bool)


def colour_histogram(image: np.ndarray, where: np.ndarray, bins: int = 8) -> np.ndarray | None:
    """Normalised ``bins**3`` histogram of the CIE Lab colours (OpenCV's 8-bit Lab) of the
    pixels of ``image`` (RGB uint8) where ``where`` (bool) is set; None when fewer than 50
    pixels are set."""
    import cv2

    if int(where.sum()) < 50:
        return None
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    hist = cv2.calcHist(
        [lab], [0, 1, 2], where.astype(np.uint8), [bins] * 3, [0, 256, 0, 256, 0, 256]
    )
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya (Hellinger) distance between two normalised histograms: 0 the same, 1
    nothing in common."""
    bc = float(np.sqrt(np.clip(a, 0, None) * np.clip(b, 0, None)).sum())
    return float(np.sqrt(max(0.0, 1.0 - min(bc, 1.0))))


def background_error(frame: np.ndarray, scene: np.ndarray, region: np.ndarray) -> float:
    """Mean absolute RGB difference in [0, 1] between ``frame`` and ``scene`` over
    ``region`` (bool ``(H, W)``: e.g. outside both people, see :func:`grown`); NaN when it
    is empty."""
    if not region.any():
        return float("nan")
    diff = np.abs(frame.astype(np.float32) - scene.astype(np.float32)) / 255.0
    return float(diff[region].mean())


def grown(mask: np.ndarray, pixels: int, thr: float = 0.5) -> np.ndarray:
    """Bool ``mask > thr`` grown by ``pixels`` (a disc)."""
    import cv2

    m = (mask > thr).astype(np.uint8)
    if pixels > 0:
        m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1,) * 2))
    return m.astype(bool)


__all__ = [
    "BONES",
    "VISIBLE",
    "angle_difference",
    "background_error",
    "spine_length",
    "bone_angle_error",
    "bone_angles",
    "colour_histogram",
    "grown",
    "histogram_distance",
    "inner",
    "jitter",
    "missing_share",
]
