"""The pose alignment of pose-guided diffusion animators, as retargeters (benchmark baselines).

MusePose, UniAnimate and MimicMotion re-proportion a driving video's DWPose skeletons to a
reference photo before animating it. Each is re-implemented here from its published code
(read, not copied) on the 15 ``openpose15`` body joints, following the
:class:`~retarget.retargeters.base.Retargeter` contract: ``structure``'s frame 0 is the
reference photo, ``motion`` the driving video; ``view`` is ignored (all three are 2D).

* :class:`MusePoseAlign` (``musepose``; MusePose's ``pose_align.py``,
  ``run_align_video_with_filterPose_translate_smooth`` and ``align_img``): coordinates in
  units of each image's height; from the reference and the driving's frame 0 (``align_frame``
  0), one ratio per body part: neck (neck -> nose), shoulders (shoulder to shoulder), upper
  arms and forearms (the two sides' ratios averaged), body length (neck -> mid-hip), thighs
  and shins (averaged). Every frame: the nose and the shoulders are scaled about the neck, the
  hips about the neck by the body length ratio, each arm and leg bone about its parent by its
  ratio (children follow); then all points move by the reference's neck minus frame 0's neck.
  Ratios that come out infinite take the mean of the finite ones, NaN ones 1 (as MusePose).
* :class:`UniAnimateAlign` (``unianimate``; UniAnimate's ``run_align_pose.py``):
  coordinates in units of each image's width and height; every frame is scaled about the
  origin by ``x_ratio`` = the reference's signed shoulder span (left minus right shoulder x)
  over frame 0's and ``y_ratio`` = the reference's shoulder-centre to hip-centre height over
  frame 0's; then each bone of the neck, shoulders, arms and legs is scaled about its
  parent (children follow) by the reference's length over frame 0's (after the x/y scaling);
  the hips and the trunk keep the x/y scaling only; all points move by the reference's neck
  minus frame 0's aligned neck. The signed shoulder ratio mirrors a driving person who faces
  the other way than the reference, as UniAnimate does.
* :class:`MimicMotionAlign` (``mimicmotion``; MimicMotion's ``get_video_pose``): one linear
  map for the whole video, fitted over the body points the reference shows (nose, neck,
  shoulders, hips, knees, ankles; the eyes and ears of DWPose are not in ``openpose15``):
  ``y_ref = a_y y + b_y`` by least squares over every frame's points against the reference's,
  ``a_x`` the same scale in pixels (``a_y`` corrected for the two aspect ratios), ``b_x``
  the mean x residual; every point of every frame is mapped by it.

Differences from the originals, all in the baselines' favour: a joint missing in the
reference or in the driving frame makes its ratio NaN (taken as 1 by MusePose's rule, and
here by every baseline) instead of entering DWPose's ``-1`` coordinates into the ratio;
MimicMotion's fit leaves missing points out instead of fitting their ``-1``; a joint whose
parent is missing is missing (the originals place it from the parent's ``-1``).

Coordinates: pixels, x right, y down, origin top-left. The normalisation by image size uses
both sequences' ``canvas`` when both have one (else pixels as they are); the result is in
``structure``'s pixels, with ``motion``'s confidences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skeleton_io.pose import PoseSequence

from ..geometry import J, as_openpose15
from .base import output_sequence

_MUSE_CHAINS: tuple[tuple[str, str, str], ...] = (
    # (parent, child, ratio): applied in this order, each child placed from its aligned parent
    ("Neck", "Nose", "neck"),
    ("Neck", "RShoulder", "shoulder"),
    ("Neck", "LShoulder", "shoulder"),
    ("RShoulder", "RElbow", "arm_upper"),
    ("RElbow", "RWrist", "arm_lower"),
    ("LShoulder", "LElbow", "arm_upper"),
    ("LElbow", "LWrist", "arm_lower"),
    ("Neck", "RHip", "body_len"),
    ("Neck", "LHip", "body_len"),
    ("Neck", "MidHip", "body_len"),
    ("RHip", "RKnee", "leg_upper"),
    ("RKnee", "RAnkle", "leg_lower"),
    ("LHip", "LKnee", "leg_upper"),
    ("LKnee", "LAnkle", "leg_lower"),
)


@dataclass
class _Inputs:
    """Driving and reference on ``openpose15``, each image's ``(W, H)`` for normalised
    coordinates (ones when either lacks a canvas), the reference photo's frame ``r0`` and
    the driving's align frame ``d0``."""

    m: PoseSequence
    s: PoseSequence
    wm: np.ndarray
    ws: np.ndarray
    r0: int
    d0: int


def _inputs(motion: PoseSequence, structure: PoseSequence) -> _Inputs:
    m = as_openpose15(motion, "motion")
    s = as_openpose15(structure, "structure")
    if m.canvas is None or s.canvas is None:
        wm = ws = np.ones(2)
    else:
        wm, ws = np.asarray(m.canvas, dtype=float), np.asarray(s.canvas, dtype=float)
    return _Inputs(m, s, wm, ws, _first_frame(s), _first_frame(m))


def _length(p: np.ndarray, conf: np.ndarray, a: str, b: str) -> float:
    """Distance between two joints of one frame ``(15, 2)``; NaN when either is missing."""
    if conf[J[a]] <= 0 or conf[J[b]] <= 0:
        return float("nan")
    return float(np.linalg.norm(p[J[a]] - p[J[b]]))


def _ratio(ref: float, drv: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(ref) / np.float64(drv))


def _first_frame(seq: PoseSequence) -> int:
    """The reference photo / align frame: frame 0, or the first frame with anybody."""
    present = np.flatnonzero(seq.present)
    return int(present[0]) if present.size else 0


def _chain(
    coords: np.ndarray,
    conf: np.ndarray,
    links: tuple[tuple[str, str, float], ...],
    fixed: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Each ``(parent, child, k)`` in order: child = aligned parent + k * (child - parent) of
    the input; ``fixed`` joints keep their input positions. A child whose parent (or itself)
    is missing is missing. ``coords`` ``(T, 15, 2)``."""
    out = np.zeros_like(coords)
    out_conf = np.zeros_like(conf)
    for name in fixed:
        out[:, J[name]], out_conf[:, J[name]] = coords[:, J[name]], conf[:, J[name]]
    for parent, child, k in links:
        p, c = J[parent], J[child]
        ok = (out_conf[:, p] > 0) & (conf[:, c] > 0)
        out[:, c] = np.where(ok[:, None], out[:, p] + k * (coords[:, c] - coords[:, p]), 0.0)
        out_conf[:, c] = np.where(ok, conf[:, c], 0.0)
    return out, out_conf


class MusePoseAlign:
    """MusePose's ``pose_align`` (see the module docstring)."""

    name = "musepose"

    def ratios(
        self, ref: np.ndarray, ref_conf: np.ndarray, drv: np.ndarray, drv_conf: np.ndarray
    ) -> dict[str, float]:
        """The part ratios (reference length / driving frame-0 length), with MusePose's
        rules for infinite and NaN ones."""

        def r(a: str, b: str) -> float:
            return _ratio(_length(ref, ref_conf, a, b), _length(drv, drv_conf, a, b))

        def mid_hip_len(p: np.ndarray, c: np.ndarray) -> float:
            if min(c[J["Neck"]], c[J["RHip"]], c[J["LHip"]]) <= 0:
                return float("nan")
            return float(np.linalg.norm(p[J["Neck"]] - (p[J["RHip"]] + p[J["LHip"]]) / 2))

        raw = {
            "neck": r("Neck", "Nose"),
            "shoulder": r("RShoulder", "LShoulder"),
            "arm_upper": (r("RShoulder", "RElbow") + r("LShoulder", "LElbow")) / 2,
            "arm_lower": (r("RElbow", "RWrist") + r("LElbow", "LWrist")) / 2,
            "body_len": _ratio(mid_hip_len(ref, ref_conf), mid_hip_len(drv, drv_conf)),
            "leg_upper": (r("RHip", "RKnee") + r("LHip", "LKnee")) / 2,
            "leg_lower": (r("RKnee", "RAnkle") + r("LKnee", "LAnkle")) / 2,
        }
        finite = [v for v in raw.values() if np.isfinite(v)]
        fill = float(np.mean(finite)) if finite else 1.0
        return {k: (fill if np.isinf(v) else 1.0 if np.isnan(v) else v) for k, v in raw.items()}

    def __call__(
        self, motion: PoseSequence, structure: PoseSequence, view: PoseSequence | None = None
    ) -> PoseSequence:
        a = _inputs(motion, structure)
        m, s, r0, d0, hm, hs = a.m, a.s, a.r0, a.d0, a.wm[1], a.ws[1]
        x = m.coords / hm
        ref = s.coords[r0] / hs
        k = self.ratios(ref, s.confidence[r0], x[d0], m.confidence[d0])
        links = tuple((p, c, k[name]) for p, c, name in _MUSE_CHAINS)
        out, conf = _chain(x, m.confidence, links, fixed=("Neck",))
        if s.confidence[r0, J["Neck"]] > 0 and m.confidence[d0, J["Neck"]] > 0:
            out = out + (ref[J["Neck"]] - x[d0, J["Neck"]])
        return output_sequence(m, out * hs, conf, self.name)


_UNI_CHAINS: tuple[tuple[str, str], ...] = (
    ("Neck", "Nose"),
    ("Neck", "RShoulder"),
    ("Neck", "LShoulder"),
    ("RShoulder", "RElbow"),
    ("RElbow", "RWrist"),
    ("LShoulder", "LElbow"),
    ("LElbow", "LWrist"),
    ("RHip", "RKnee"),
    ("RKnee", "RAnkle"),
    ("LHip", "LKnee"),
    ("LKnee", "LAnkle"),
)


class UniAnimateAlign:
    """UniAnimate's pose alignment (see the module docstring)."""

    name = "unianimate"

    @staticmethod
    def xy_ratios(ref: np.ndarray, drv: np.ndarray) -> np.ndarray:
        """``(x_ratio, y_ratio)``: signed shoulder spans, shoulder-to-hip heights (NaN
        where a joint is missing in either, non-finite ratios taken as 1)."""
        span = lambda p: p[J["LShoulder"], 0] - p[J["RShoulder"], 0]  # noqa: E731
        height = lambda p: (  # noqa: E731
            (p[J["RHip"], 1] + p[J["LHip"], 1]) / 2
            - (p[J["RShoulder"], 1] + p[J["LShoulder"], 1]) / 2
        )
        r = np.array([_ratio(span(ref), span(drv)), _ratio(height(ref), height(drv))])
        return np.where(np.isfinite(r), r, 1.0)

    def __call__(
        self, motion: PoseSequence, structure: PoseSequence, view: PoseSequence | None = None
    ) -> PoseSequence:
        a = _inputs(motion, structure)
        m, s, wm, ws, r0, d0 = a.m, a.s, a.wm, a.ws, a.r0, a.d0
        ref, rc = np.where(s.visible[r0][:, None], s.coords[r0] / ws, np.nan), s.confidence[r0]
        x = m.coords / wm
        drv = np.where(m.visible[d0][:, None], x[d0], np.nan)
        x = x * self.xy_ratios(ref, drv)
        d0c = m.confidence[d0]
        ks = []
        for a, b in _UNI_CHAINS:
            k = _ratio(_length(ref, rc, a, b), _length(x[d0], d0c, a, b))
            ks.append((a, b, k if np.isfinite(k) else 1.0))
        out, conf = _chain(x, m.confidence, tuple(ks), fixed=("Neck", "MidHip", "RHip", "LHip"))
        if rc[J["Neck"]] > 0 and d0c[J["Neck"]] > 0:
            out = out + (ref[J["Neck"]] - out[d0, J["Neck"]])
        return output_sequence(m, out * ws, conf, self.name)


MIMIC_POINTS = ("Nose", "Neck", "RShoulder", "LShoulder", "RHip", "RKnee", "RAnkle", "LHip",
                "LKnee", "LAnkle")  # fmt: skip
"""The body points MimicMotion's fit uses that ``openpose15`` has (its ``ref_keypoint_id``
0, 1, 2, 5, 8-13; the eyes and ears 14-17 are not in ``openpose15``)."""


class MimicMotionAlign:
    """MimicMotion's global linear rescale (see the module docstring)."""

    name = "mimicmotion"

    @staticmethod
    def fit(
        ref: np.ndarray, ref_conf: np.ndarray, coords: np.ndarray, conf: np.ndarray, aspect: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(a, b)`` of ``out = a * coords + b`` in normalised coordinates; ``aspect`` is
        MimicMotion's ``fh / fw / height * width`` (driving over reference aspect)."""
        ids = [J[n] for n in MIMIC_POINTS if ref_conf[J[n]] > 0]
        if not ids:
            return np.ones(2), np.zeros(2)
        seen = conf[:, ids] > 0
        target = np.broadcast_to(ref[ids], coords[:, ids].shape)
        drv_y, ref_y = coords[:, ids, 1][seen], target[..., 1][seen]
        if drv_y.size < 2 or np.ptp(drv_y) <= 0:
            return np.ones(2), np.zeros(2)
        ay, by = np.polyfit(drv_y, ref_y, 1)
        ax = ay / aspect
        bx = float(np.mean(target[..., 0][seen] - coords[:, ids, 0][seen] * ax))
        return np.array([ax, ay]), np.array([bx, by])

    def __call__(
        self, motion: PoseSequence, structure: PoseSequence, view: PoseSequence | None = None
    ) -> PoseSequence:
        a = _inputs(motion, structure)
        m, s, wm, ws, r0 = a.m, a.s, a.wm, a.ws, a.r0
        aspect = (wm[1] / wm[0]) / (ws[1] / ws[0])
        x = m.coords / wm
        a, b = self.fit(s.coords[r0] / ws, s.confidence[r0], x, m.confidence, aspect)
        return output_sequence(m, (x * a + b) * ws, m.confidence.copy(), self.name)


ALIGNMENT_BASELINES = {
    "musepose": MusePoseAlign,
    "unianimate": UniAnimateAlign,
    "mimicmotion": MimicMotionAlign,
}
"""The animators' alignments by name (also in :data:`~.analytic.BASELINES`)."""

__all__ = [
    "ALIGNMENT_BASELINES",
    "MIMIC_POINTS",
    "MimicMotionAlign",
    "MusePoseAlign",
    "UniAnimateAlign",
]
