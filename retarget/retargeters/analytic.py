"""The analytic retargeters: what every model is measured against, and the fallback when no
model is installed. They follow :class:`~retarget.retargeters.base.Retargeter`.

Baselines (all 2D, so they ignore ``view``):

* :class:`CopyMotion` (``copy``): the motion unchanged.
* :class:`LimbNormalization` (``limb``): keep each 2D bone direction (and foreshortening) of the
  motion, rescale every bone by structure length / motion length, each length estimated as a
  high percentile of its per-frame 2D lengths (left and right pooled); exact when the bodies
  differ by bone scaling and the lengths are known (:func:`limb_normalize`).
* :class:`GlobalNormalization` (``edn``): Everybody Dance Now's global pose normalisation:
  one scale (the ratio of skeleton heights) and a translation that keeps the feet on the
  motion's ground line; in an orthographic camera EDN's near/far ankle interpolation reduces
  to this.
* the pose alignments of MusePose, UniAnimate and MimicMotion (:mod:`.alignment`:
  ``musepose``, ``unianimate``, ``mimicmotion``), registered here too;
* :class:`GapFilled`: a wrapper that fills missing joints of every input (interpolation in
  time, nearest frame at the ends) before calling another retargeter.
"""

from __future__ import annotations

import numpy as np

from skeleton_io.errors import InvalidArgumentError
from skeleton_io.pose import PoseSequence

from ..data.performers import BONE_ORDER
from ..denoising.filters import fill_all_gaps
from ..geometry import BONES, HIP, LEG_BONES, J, as_openpose15, height_from_bones, robust_lengths
from .alignment import ALIGNMENT_BASELINES
from .base import Retargeter, output_sequence


# ------------------------------------------------------------------------ limb scaling
def limb_normalize(
    coords: np.ndarray,
    confidence: np.ndarray,
    src_lengths: np.ndarray,
    dst_lengths: np.ndarray,
    root_scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rescale every bone of a 2D motion from ``src_lengths`` to ``dst_lengths``.

    Args:
        coords: ``(T, 15, 2)`` openpose15 motion (any units).
        confidence: ``(T, 15)``, 0 = missing.
        src_lengths, dst_lengths: ``(14,)`` bone lengths of the motion's and the target body
            (:data:`retarget.geometry.BONES` order); a bone with an unknown (NaN) length keeps
            its own length.
        root_scale: factor on the hip's displacement from its first position; default the
            ratio of leg lengths (thigh + shin), so the feet keep their ground speed.

    Returns:
        ``(coords, confidence)``: each bone vector of the motion times ``dst / src``, children
        following parents from the MidHip; a joint whose bone cannot be formed is missing.
        Exact (bone vector for bone vector) when the bodies differ by bone scaling.
    """
    coords = np.asarray(coords, dtype=np.float64)
    conf = np.asarray(confidence, dtype=np.float64)
    src = np.asarray(src_lengths, dtype=np.float64)
    dst = np.asarray(dst_lengths, dtype=np.float64)
    with np.errstate(all="ignore"):
        k = dst / src
    k = np.where(np.isfinite(k) & (k > 0), k, 1.0)
    if root_scale is None:
        legs = [b for pair in LEG_BONES for b in pair]
        s_leg, d_leg = np.nansum(src[legs]), np.nansum(dst[legs])
        root_scale = float(d_leg / s_leg) if s_leg > 0 and d_leg > 0 else 1.0
    out = np.zeros_like(coords)
    out_conf = np.zeros_like(conf)
    hip = coords[:, HIP]
    present = conf[:, HIP] > 0
    if present.any():
        first = int(np.flatnonzero(present)[0])
        out[:, HIP] = hip[first] + root_scale * (hip - hip[first])
        out_conf[:, HIP] = conf[:, HIP]
    for e in BONE_ORDER:
        p, c = BONES[e]
        ok = (out_conf[:, p] > 0) & (conf[:, p] > 0) & (conf[:, c] > 0)
        out[:, c] = np.where(ok[:, None], out[:, p] + k[e] * (coords[:, c] - coords[:, p]), 0.0)
        out_conf[:, c] = np.where(ok, np.minimum(conf[:, c], out_conf[:, p]), 0.0)
    return out, out_conf


class CopyMotion:
    """The motion unchanged (the trivial baseline)."""

    name = "copy"

    def __call__(
        self, motion: PoseSequence, structure: PoseSequence, view: PoseSequence | None = None
    ) -> PoseSequence:
        m = as_openpose15(motion, "motion")
        return output_sequence(m, m.coords.copy(), m.confidence.copy(), self.name)


class LimbNormalization:
    """Per-limb length normalisation in 2D (see :func:`limb_normalize`).

    Args:
        percentile: of the per-frame 2D bone lengths taken as each bone's length (100 = the
            maximum, exact when every bone is seen parallel to the image at least once).
        symmetric: pool left and right bones.
    """

    name = "limb"

    def __init__(self, percentile: float = 95.0, symmetric: bool = True) -> None:
        self.percentile = float(percentile)
        self.symmetric = symmetric

    def __call__(
        self, motion: PoseSequence, structure: PoseSequence, view: PoseSequence | None = None
    ) -> PoseSequence:
        m = as_openpose15(motion, "motion")
        s = as_openpose15(structure, "structure")
        src = robust_lengths(m, self.percentile, self.symmetric)
        dst = robust_lengths(s, self.percentile, self.symmetric)
        coords, conf = limb_normalize(m.coords, m.confidence, src, dst)
        return output_sequence(m, coords, conf, self.name)


class GlobalNormalization:
    """Everybody Dance Now's global normalisation: one scale, feet on the ground line.

    The scale is the ratio of the two skeleton heights (:func:`robust_lengths` summed along
    ankle-knee-hip-neck-nose); the motion is scaled about the point on its ground line (the
    lower ankle of the first frame with both ankles) below its first hip, so the feet stay on
    the motion's floor.
    """

    name = "edn"

    def __init__(self, percentile: float = 95.0) -> None:
        self.percentile = float(percentile)

    def __call__(
        self, motion: PoseSequence, structure: PoseSequence, view: PoseSequence | None = None
    ) -> PoseSequence:
        m = as_openpose15(motion, "motion")
        s = as_openpose15(structure, "structure")
        h_m = float(height_from_bones(robust_lengths(m, self.percentile)))
        h_s = float(height_from_bones(robust_lengths(s, self.percentile)))
        scale = h_s / h_m if (np.isfinite(h_m) and np.isfinite(h_s) and h_m > 0) else 1.0
        vis = m.confidence > 0
        anchor = np.zeros(2)
        hips = np.flatnonzero(vis[:, HIP])
        if hips.size:
            anchor[0] = m.coords[hips[0], HIP, 0]
            anchor[1] = m.coords[hips[0], HIP, 1]
        both = np.flatnonzero(vis[:, J["LAnkle"]] & vis[:, J["RAnkle"]])
        if both.size:
            anchor[1] = m.coords[both[0], [J["LAnkle"], J["RAnkle"]], 1].max()
        coords = anchor + scale * (m.coords - anchor)
        return output_sequence(m, coords, m.confidence.copy(), self.name)


class GapFilled:
    """Fill the gaps of every input (:func:`fill_all_gaps`), then call ``inner``."""

    def __init__(self, inner: Retargeter) -> None:
        self.inner = inner
        self.name = f"{inner.name}+gapfill"

    def __call__(
        self, motion: PoseSequence, structure: PoseSequence, view: PoseSequence | None = None
    ) -> PoseSequence:
        m = fill_all_gaps(as_openpose15(motion, "motion"))
        s = fill_all_gaps(as_openpose15(structure, "structure"))
        v = None if view is None else fill_all_gaps(as_openpose15(view, "view"))
        out = self.inner(m, s, v)
        out.meta["retargeter"] = self.name
        return out


BASELINES = {
    "copy": CopyMotion,
    "limb": LimbNormalization,
    "edn": GlobalNormalization,
    **ALIGNMENT_BASELINES,
}
"""Baseline classes by name: ours and the animators' alignments (:mod:`.alignment`)."""


def make_baseline(name: str) -> Retargeter:
    """A baseline by name: ``copy``, ``limb``, ``edn``, ``musepose``, ``unianimate``,
    ``mimicmotion``; ``NAME+gapfill`` wraps it in :class:`GapFilled`."""
    base, _, suffix = name.partition("+")
    if base not in BASELINES or suffix not in ("", "gapfill"):
        raise InvalidArgumentError(
            f"unknown baseline {name!r}: choose {', '.join(BASELINES)} (optionally +gapfill)"
        )
    r: Retargeter = BASELINES[base]()
    return GapFilled(r) if suffix else r
