"""The render target's geometry: the driving motion retargeted onto the source person's body
(:func:`retarget_onto`), placed where the source person stands (:func:`place_on_source`,
:func:`place_scaled`, :func:`fit_target`), kept in the picture (:func:`keep_in_view`) and
given the driving's eyes and ears (:func:`carry_face`); all of it for driving poses:
:func:`driving_target`. Pixels of the source, y down.

Used by :mod:`.video` (``retarget render``, ``retarget video``), :mod:`.people` and
:mod:`.align`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.checks import check_options
from skeleton_io.errors import InvalidArgumentError, ModelError
from skeleton_io.pose import PoseSequence

from ..render.base import SourceAppearance, as_body15
from ..retargeters import load_retargeter
from ..retargeters.extremities import with_extremities

log = logging.getLogger(__name__)

FITS = ("retarget", "place", "none")


@dataclass(frozen=True)
class DrivingOptions:
    """How driving poses are retargeted onto a body: the ``**options`` of
    :func:`driving_target`, :func:`retarget.pipeline.video.video_target`,
    :func:`retarget.pipeline.people.people_targets` and
    :func:`retarget.pipeline.align.align_people` (checked against these fields by
    :func:`skeleton_io.checks.check_options`); :func:`retarget.pipeline.align.align_poses`
    names the same."""

    view: str | float | PoseSequence = "motion"
    """``motion`` (the driving's view), ``structure`` (the body's), a yaw in degrees relative
    to the driving's view, or a sequence whose view is taken."""
    model: Any = None
    """A retargeter, its name (``limb``, ``musepose``, ...), a run folder, or None (the
    shipped model)."""
    device: str = "auto"
    """Where a model loaded here runs."""
    denoise_method: str = "learned"
    """A :func:`retarget.denoising.denoise` method for the driving poses (``none`` to skip)."""


def retarget_onto(
    motion: PoseSequence,
    structure: PoseSequence,
    view: str | float | PoseSequence = "motion",
    *,
    model: Any = None,
    device: str = "auto",
) -> PoseSequence:
    """``motion`` retargeted onto the body of ``structure`` (2D, pixels of ``structure``),
    with the motion's hands, face and feet when it shows them
    (:func:`~retarget.retargeters.extremities.carry_extremities`).

    ``model``: a loaded retargeter, a run folder, a baseline's name, or None (see
    :func:`load_retargeter`).
    """
    from ..retargeters import ModelRetargeter, transfer
    from ..retargeters.transfer import require_motion_view

    r = load_retargeter(model, device=device)
    if not isinstance(r, ModelRetargeter):
        require_motion_view(view, r)
        return with_extremities(motion, structure, r(motion, structure, None))
    try:
        return transfer(motion, structure, view, model=r)
    except ModelError:
        raise
    except (RuntimeError, ValueError) as e:
        raise ModelError(f"retargeting failed ({str(e).splitlines()[0]})") from None


ANCHOR_VISIBILITY = 0.5
"""A source joint must be seen this surely (and lie in the image) to anchor the target."""
GROUND_VISIBILITY = 0.3
"""The same for the legs' joints that give the source's ground point (``anchor="ground"``,
``retarget align``): the score from which DWPose and the OpenPose annotator draw a keypoint.
An ankle scored between this and :data:`ANCHOR_VISIBILITY` is where the person stands far
more often than not (feet within 3 % of the height in 88 % of the alignment benchmark's noisy
cases against 82 % at 0.5); a guess is better than no ground at all."""
ANCHORS = ("hip", "ground")
"""Where :func:`place_on_source` puts the target first: its hip on the source's hip, or its
feet on the source's ground point."""


def _anchor_seen(s15: PoseSequence, j: int, visibility: float = ANCHOR_VISIBILITY) -> bool:
    w, h = s15.canvas or (np.inf, np.inf)
    x, y = s15.coords[0, j]
    return bool(s15.confidence[0, j] >= visibility and 0 <= x < w and 0 <= y < h)


def source_ground(s15: PoseSequence) -> np.ndarray | None:
    """Where the source person (frame 0 of an ``openpose15`` sequence) stands, as
    :func:`ground_point` measures it, from the ankles seen (:data:`GROUND_VISIBILITY`, in
    the image); None without one. With one ankle seen, the other is put where the seen
    side's shin (knee to ankle; else its hip to ankle) puts it from the other knee (else
    hip), when both are seen: a standing person's missing foot is far nearer there than
    under the seen one (the ground's x is the feet's middle)."""
    sk = s15.skeleton
    seen = [
        j for j in (sk.idx("LAnkle"), sk.idx("RAnkle")) if _anchor_seen(s15, j, GROUND_VISIBILITY)
    ]
    if not seen:
        return None
    xy = [s15.coords[0, j] for j in seen]
    if len(seen) == 1:
        side = sk.joints[seen[0]][0]
        other = "L" if side == "R" else "R"
        for mid in ("Knee", "Hip"):
            a, b = sk.idx(f"{side}{mid}"), sk.idx(f"{other}{mid}")
            if _anchor_seen(s15, a, GROUND_VISIBILITY) and _anchor_seen(s15, b, GROUND_VISIBILITY):
                xy.append(s15.coords[0, b] + s15.coords[0, seen[0]] - s15.coords[0, a])
                break
    pts = np.array(xy)
    return np.array([pts[:, 0].mean(), pts[:, 1].max()])


def ground_point(seq15: PoseSequence, t: int) -> np.ndarray | None:
    """Where a person stands in frame ``t`` of an ``openpose15`` sequence: the mean x of its
    ankles present, the y of the lower one (pixels, y down); None when there is none."""
    idx = [seq15.skeleton.idx(n) for n in ("LAnkle", "RAnkle")]
    idx = [j for j in idx if seq15.confidence[t, j] > 0]
    if not idx:
        return None
    xy = seq15.coords[t, idx]
    return np.array([xy[:, 0].mean(), xy[:, 1].max()])


def place_on_source(
    target: PoseSequence, source_pose: PoseSequence, anchor: str = "hip"
) -> PoseSequence:
    """``target`` translated so that its first frame with a hip has its anchor on the source
    person's (frame 0 of ``source_pose``); canvas set to the source's; the target keeps its
    skeleton (hands and face move with the body). Pixels, y down.

    ``anchor``: ``hip`` (MidHip on MidHip) or ``ground`` (the target's :func:`ground_point`
    on the source's, :func:`source_ground`, so the feet stand where the source person
    stands). A source anchor must be seen (confidence at least :data:`ANCHOR_VISIBILITY`,
    :data:`GROUND_VISIBILITY` for the ankles, in the image): no ankle falls back to the hip,
    no hip (an upper-body photo) to the neck, so the upper body stays where the source shows
    it. ``meta["placed"]`` records the anchor used and the
    shift.
    """
    if anchor not in ANCHORS:
        raise InvalidArgumentError(f"`anchor` must be one of {', '.join(ANCHORS)}, got {anchor!r}")
    t15 = as_body15(target)
    s15 = as_body15(source_pose)
    seen = np.nonzero(t15.confidence[:, t15.skeleton.idx("MidHip")] > 0)[0]
    if len(seen) == 0:
        return target.with_coords(target.coords, canvas=s15.canvas)
    t0 = int(seen[0])
    ground = source_ground(s15) if anchor == "ground" else None
    if ground is not None and ground_point(t15, t0) is not None:
        src, tgt = ground, ground_point(t15, t0)
    else:
        anchor = "hip"
        j = t15.skeleton.idx("MidHip")
        if not _anchor_seen(s15, j):
            anchor, j = "neck", t15.skeleton.idx("Neck")
        if s15.confidence[0, j] <= 0 or t15.confidence[t0, j] <= 0:
            return target.with_coords(target.coords, canvas=s15.canvas)
        src, tgt = s15.coords[0, j], t15.coords[t0, j]
    shift = np.asarray(src) - np.asarray(tgt)
    coords = np.where(target.confidence[..., None] > 0, target.coords + shift, 0.0)
    out = target.with_coords(coords, canvas=s15.canvas)
    out.meta["placed_shift_px"] = shift.tolist()
    out.meta["placed"] = {"anchor": anchor, "shift_px": shift.tolist(), "frame": t0}
    return out


def place_scaled(target: PoseSequence, source_pose: PoseSequence) -> PoseSequence:
    """``target`` scaled so its median spine length (Neck-MidHip) is the source's, then
    :func:`place_on_source` (``--fit place``)."""
    t15 = as_body15(target)
    s15 = as_body15(source_pose)
    spine_t = np.linalg.norm(t15.joint("Neck") - t15.joint("MidHip"), axis=-1)
    ok = t15.visible[:, t15.skeleton.idx("Neck")] & t15.visible[:, t15.skeleton.idx("MidHip")]
    spine_s = float(np.linalg.norm(s15.joint("Neck")[0] - s15.joint("MidHip")[0]))
    if ok.any() and spine_s > 0:
        f = spine_s / max(float(np.median(spine_t[ok])), 1e-6)
        t15 = t15.with_coords(t15.coords * f)
    return place_on_source(t15, s15)


def fit_target(
    seq: PoseSequence,
    source: SourceAppearance,
    fit: str,
    *,
    view: str | float | PoseSequence = "motion",
    model: str | Path | None = None,
    device: str = "auto",
) -> PoseSequence:
    """A pose sequence made ready to render on ``source`` (``fit``: ``retarget`` onto the
    source's body then place; ``place``: scale and place; ``none``: as it is, rescaled from
    its canvas to the source image)."""
    from ..inputs import as_2d

    if fit not in FITS:
        raise InvalidArgumentError(f"fit must be one of {', '.join(FITS)}, got {fit!r}")
    seq2d = as_2d(seq)
    if fit == "none":
        from ..render.base import fit_to_image

        return fit_to_image(seq2d, source.size)
    if fit == "place":
        return place_scaled(seq2d, source.pose)
    out = retarget_onto(seq2d, source.body15, view, model=model, device=device)
    hidden = ~seq2d.present
    if hidden.any():
        out = out.with_coords(out.coords, np.where(hidden[:, None], 0.0, out.confidence))
    return place_on_source(out, source.pose)


VIEW_JOINTS = ("Nose", "Neck", "RShoulder", "LShoulder")
"""The joints :func:`keep_in_view` keeps in the picture (with the top of the head)."""
VIEW_SMOOTH = 0.3
"""Seconds over which the shifts of :func:`keep_in_view` are smoothed (a camera that eases
after the person, not one that jerks)."""


def _view_box(pose: PoseSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame, the box (``lo``, ``hi``: ``(T, 2)``) of :data:`VIEW_JOINTS` and of the
    middle of the forehead (half a head's length, neck to nose, above the nose), and
    whether all were found."""
    p15 = as_body15(pose)
    idx = [p15.skeleton.idx(n) for n in VIEW_JOINTS]
    pts = p15.coords[:, idx, :2]
    top = pts[:, 0] + 0.5 * (pts[:, 0] - pts[:, 1])
    allpts = np.concatenate([pts, top[:, None]], axis=1)
    return allpts.min(1), allpts.max(1), (p15.confidence[:, idx] > 0).all(1)


def keep_in_view(
    target: PoseSequence, size: tuple[int, int], source: PoseSequence | None = None
) -> PoseSequence:
    """``target`` (``openpose15``, pixels of an image of ``size`` ``(w, h)``) shifted, frame
    by frame, as little as keeps its head and shoulders in the picture (:data:`VIEW_JOINTS`
    and the forehead, within a margin of 2 % of the long side, or as far out as the
    ``source`` person's own are in its first frame: a head the photo cuts may stay cut), the
    shifts widened and smoothed over :data:`VIEW_SMOOTH` seconds: a close-up or upper-body
    source driven by a dancer who moves across the stage or jumps stays in the frame as if
    the camera followed. Frames where the person is in view are not moved."""
    from scipy.ndimage import gaussian_filter1d, maximum_filter1d

    t15 = as_body15(target)
    lo, hi, seen = _view_box(t15)
    if not seen.any():
        return t15
    w, h = size
    m = 0.02 * max(w, h)
    low, high = np.array([m, m]), np.array([w - m, h - m])
    if source is not None:
        s_lo, s_hi, s_seen = _view_box(source)
        if s_seen[0]:
            low, high = np.minimum(low, s_lo[0]), np.maximum(high, s_hi[0])
    # Out on one side: move in; too big to fit: centre it.
    need = np.where(lo < low, low - lo, 0.0) + np.where(hi > high, high - hi, 0.0)
    too_big = hi - lo > high - low
    shift = np.where(too_big, (low + high) / 2 - (lo + hi) / 2, need)
    shift[~seen] = 0.0
    if not np.abs(shift).max() > 0:
        return t15
    sigma = max(1.0, VIEW_SMOOTH * (t15.fps or 25.0))
    # Each way's need is widened in time before it is smoothed, so the smoothing eases in
    # before the person would leave the picture instead of cutting the peak.
    width = 2 * round(sigma) + 1
    up = maximum_filter1d(np.maximum(shift, 0.0), width, axis=0, mode="nearest")
    down = maximum_filter1d(np.maximum(-shift, 0.0), width, axis=0, mode="nearest")
    shift = gaussian_filter1d(up - down, sigma, axis=0, mode="nearest")
    coords = np.where(t15.confidence[..., None] > 0, t15.coords + shift[:, None, :], t15.coords)
    out = t15.with_coords(coords)
    out.meta["view_shift_px_max"] = float(np.abs(shift).max())
    return out


FACE_JOINTS = ("REye", "LEye", "REar", "LEar")
"""Joints carried from the driving poses into the render target (:func:`carry_face`)."""


def carry_face(target: PoseSequence, motion: PoseSequence) -> PoseSequence:
    """``target`` (``openpose15``, pixels of the source) on ``body25`` with the eyes and ears
    of ``motion`` (the driving poses, its own pixels): each placed at the target's nose
    plus its offset from the driving's nose, scaled by the bodies' size ratio (median spine
    lengths), so the renderer turns the head as the driving's face turns (its roll, which
    the nose and neck alone do not tell). Returned as it is (on ``openpose15``) when
    ``motion`` has no eyes or ears."""
    from skeleton_io.convert import convert
    from skeleton_io.skeleton import BODY25

    if not any(n in motion.skeleton.joints for n in FACE_JOINTS):
        return target
    t25 = convert(as_body15(target), BODY25)
    m25 = convert(motion, BODY25)
    spine = lambda p: np.linalg.norm(p.joint("Neck") - p.joint("MidHip"), axis=-1)  # noqa: E731
    ok = t25.visible[:, BODY25.idx("Neck")] & t25.visible[:, BODY25.idx("MidHip")]
    ok &= m25.visible[:, BODY25.idx("Neck")] & m25.visible[:, BODY25.idx("MidHip")]
    if not ok.any():
        return target
    k = float(np.median(spine(t25)[ok]) / max(float(np.median(spine(m25)[ok])), 1e-6))
    nose = BODY25.idx("Nose")
    coords, conf = t25.coords.copy(), t25.confidence.copy()
    for name in FACE_JOINTS:
        j = BODY25.idx(name)
        coords[:, j] = coords[:, nose] + k * (m25.coords[:, j, :2] - m25.coords[:, nose, :2])
        conf[:, j] = np.minimum(m25.confidence[:, j], conf[:, nose])
    return t25.with_coords(coords, conf)


def _in_source_pixels(seq: PoseSequence, source: SourceAppearance) -> PoseSequence:
    """Poses of the source video (pixels of its full frame, ``seq.canvas``) in the pixels of
    the source image (the frame scaled to the processing size)."""
    if seq.canvas is None or tuple(seq.canvas) == tuple(source.size):
        return seq
    k = source.size[0] / seq.canvas[0]
    return seq.with_coords(seq.coords * k, canvas=source.size)


def driving_target(
    motion: PoseSequence,
    source: SourceAppearance,
    *,
    structure: PoseSequence | None = None,
    **options: Any,
) -> PoseSequence:
    """Driving poses (as :func:`skeleton_io.formats.video.load` gives them) made into the
    target of a render on ``source``: denoised, retargeted onto the source's body, placed at
    the source person; frames without anybody get confidence 0 (nothing drawn). Other
    arguments as :class:`DrivingOptions`.

    ``structure``: poses of the source person over several frames (e.g. of the source video,
    denoised), to measure the body on instead of the one source frame; bone lengths seen in
    one frame are foreshortened or noisy, and the motion's are measured over all its frames.
    """
    from ..denoising import denoise
    from ..inputs import as_2d

    o = check_options(DrivingOptions, options)
    model, device, view = o["model"], o["device"], o["view"]
    if o["denoise_method"] != "none":
        motion = denoise(motion, o["denoise_method"])
    if model is None or isinstance(model, (str, Path)):  # denoised here, not again
        model = load_retargeter(model, device=device, denoise=None)
    body = source.body15 if structure is None else _in_source_pixels(as_body15(structure), source)
    target = retarget_onto(as_2d(motion), body, view, model=model, device=device)
    gone = ~motion.present
    if gone.any():
        log.info("nobody in %d driving frames; they show the background", int(gone.sum()))
        target = target.with_coords(target.coords, np.where(gone[:, None], 0.0, target.confidence))
    placed = keep_in_view(place_on_source(target, source.pose), source.size, source.pose)
    return carry_face(placed, motion) if isinstance(view, str) and view == "motion" else placed


__all__ = [
    "ANCHOR_VISIBILITY",
    "ANCHORS",
    "DrivingOptions",
    "FACE_JOINTS",
    "FITS",
    "VIEW_JOINTS",
    "VIEW_SMOOTH",
    "carry_face",
    "driving_target",
    "fit_target",
    "ground_point",
    "keep_in_view",
    "place_on_source",
    "place_scaled",
    "retarget_onto",
]
