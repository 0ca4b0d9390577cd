"""Hands, face and feet carried through retargeting.

The retargeters work on the 15 ``openpose15`` body joints. :func:`carry_extremities` puts
the driving person's hands, face (with eyes and ears) and feet back on a retargeted body:
each *part* is a rigid 2D card hanging on its parent joint of the body,

========== ============================ ============ ================= ===================
part       joints                       parent joint parent bone       size (fallback)
========== ============================ ============ ================= ===================
left hand  ``LHandRoot`` + 20 finger    ``LWrist``   elbow -> wrist    palm (forearm)
right hand the same, ``R``              ``RWrist``   elbow -> wrist    palm (forearm)
head       face 70, eyes, ears          ``Nose``     neck -> nose      face (neck -> nose)
left foot  ``LBigToe``, ``LSmallToe``,  ``LAnkle``   knee -> ankle     foot (shin)
           ``LHeel``
right foot the same, ``R``              ``RAnkle``   knee -> ankle     foot (shin)
========== ============================ ============ ================= ===================

and in every frame a part's points keep their offsets from the parent joint as the driving
person (the *motion*) shows them, so the hand articulation and the facial expression are the
driving person's, with three changes:

1. **Size**: offsets are scaled by ``structure size / motion size`` of the part, measured on
   each sequence (:func:`part_size`: the palm is the mean distance from the hand's root to
   the four finger MCP joints, the face the distance from the brows' centre to the chin,
   the foot the largest distance from the ankle to a foot point; each the 90th percentile
   over the frames it is seen in, left and right pooled). When the structure never shows
   the part (hands hidden in a photo, a body-only pose file) the ratio of its parent bone
   is used instead (forearm, neck -> nose, shin; robust 2D lengths as the ``limb``
   baseline measures them) and a warning names the structure's file.
2. **Turn** (other views; ``body_out.meta["view_yaw"]`` degrees, 0 when absent): a part is
   2D, so it is treated as a flat card through its parent joint, facing the camera in the
   motion, turned with the body about the vertical: its horizontal offsets are multiplied by
   ``cos(yaw)`` (foreshortened; mirrored past 90 degrees, as a card seen from behind). The
   face and eyes are hidden in frames where the result faces away from the camera (its
   shoulders' left-right order reversed) while the motion faced it. This is an
   approximation: a hand or a face seen at an angle in the motion is turned as if it were
   seen face-on, and a part's own depth (fingers pointing at the camera) is not known.
3. **In-plane rotation**: the card turns by the angle between the result's parent bone and
   the motion's parent bone (itself foreshortened as in 2.), so a hand stays in line with its
   forearm when the retargeter changes the forearm's 2D direction (other views, the
   ``network`` decoding, the alignment baselines). Where either bone is shorter than
   :data:`MIN_BONE_FRACTION` of its length, its direction is not trusted and the card is
   not turned. In the motion's own view the ``fused`` model and the ``limb`` baseline keep
   every 2D bone direction, so this angle is 0 and a part is the motion's, scaled.

So every carried point's distance to its parent joint is the motion's times the part's size
ratio (exactly, in the motion's view). The body joints of the result are not touched.

Coordinates: 2D pixels, x right, y down, origin top-left; the motion in its own pixels, the
structure and ``body_out`` in the structure's (as every retargeter returns them). The result
is an ``openpose_wholebody`` sequence (BODY_25 + 70-point face + two hands) with the body of
``body_out``; points the motion lacks, or whose parent joint is missing in the motion or the
result, have confidence 0.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from skeleton_io import wholebody as wb
from skeleton_io.convert import convert
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.group import require_pose
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE_WHOLEBODY

from ..geometry import BONES, J, as_openpose15, robust_lengths

log = logging.getLogger(__name__)

MIN_BONE_FRACTION = 0.3
"""A parent bone shorter than this fraction of its robust length gives no direction."""
SIZE_PERCENTILE = 90.0
"""Percentile over frames of a part's per-frame size (see :func:`part_size`)."""
_FINGER_MCPS = ("IndexMCP", "MiddleMCP", "RingMCP", "PinkyMCP")
_BROWS = tuple(n for n in wb.FACE68 if "Brow" in n)


@dataclass(frozen=True)
class Part:
    """A rigid 2D part hanging on a body joint (see the module docstring).

    Attributes:
        name: ``left_hand``, ``right_hand``, ``head``, ``left_foot`` or ``right_foot``.
        joints: the part's points by name.
        anchor: its parent joint on the ``openpose15`` body.
        bone: the parent bone (parent joint name, ``anchor``) whose 2D direction turns it.
        size: the measure of its size (``hand``, ``face`` or ``foot``; :func:`part_size`).
        hidden_when_turned: left out where the result faces away and the motion did not.
    """

    name: str
    joints: tuple[str, ...]
    anchor: str
    bone: tuple[str, str]
    size: str
    hidden_when_turned: tuple[str, ...] = ()


def _foot(side: str) -> tuple[str, ...]:
    return (f"{side}BigToe", f"{side}SmallToe", f"{side}Heel")


PARTS: tuple[Part, ...] = (
    Part("left_hand", wb.LEFT_HAND, "LWrist", ("LElbow", "LWrist"), "hand"),
    Part("right_hand", wb.RIGHT_HAND, "RWrist", ("RElbow", "RWrist"), "hand"),
    Part(
        "head",
        ("REye", "LEye", "REar", "LEar", *wb.FACE70),
        "Nose",
        ("Neck", "Nose"),
        "face",
        hidden_when_turned=("REye", "LEye", *wb.FACE70),
    ),
    Part("left_foot", _foot("L"), "LAnkle", ("LKnee", "LAnkle"), "foot"),
    Part("right_foot", _foot("R"), "RAnkle", ("RKnee", "RAnkle"), "foot"),
)
"""The parts carried, with their parent joints and size measures."""

_FALLBACK_BONE = {
    "hand": ("LElbow", "LWrist"),
    "face": ("Neck", "Nose"),
    "foot": ("LKnee", "LAnkle"),
}
_FALLBACK_NAME = {"hand": "forearm", "face": "neck-nose", "foot": "shin"}


def _idx(seq: PoseSequence, names: tuple[str, ...]) -> list[int]:
    return [seq.skeleton.index[n] for n in names if n in seq.skeleton.index]


def has_extremities(seq: PoseSequence) -> bool:
    """Whether ``seq`` shows any point of a carried part (:data:`PARTS`) in some frame."""
    idx = _idx(seq, tuple(n for p in PARTS for n in p.joints))
    return bool(idx) and bool((seq.confidence[:, idx] > 0).any())


def _percentile(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.percentile(values, SIZE_PERCENTILE)) if values.size else float("nan")


def _dist(seq: PoseSequence, a: str, b: str) -> np.ndarray:
    """``(T,)`` distance between two joints by name, NaN where either is missing or absent."""
    k = seq.skeleton.index
    if a not in k or b not in k:
        return np.full(seq.num_frames, np.nan)
    ok = seq.visible[:, k[a]] & seq.visible[:, k[b]]
    d = np.linalg.norm(seq.coords[:, k[a]] - seq.coords[:, k[b]], axis=-1)
    return np.where(ok, d, np.nan)


def part_size(seq: PoseSequence, kind: str) -> float:
    """A part's size in ``seq``'s pixels, NaN when it is never seen.

    ``hand``: per frame, the mean distance from a hand's root to its four finger MCP joints
    (both hands pooled); ``face``: the distance from the centre of the brows to the chin;
    ``foot``: the largest distance from an ankle to its heel or toes; each the
    :data:`SIZE_PERCENTILE` th percentile over the frames it is seen in.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if kind == "hand":
            per = [
                np.nanmean(
                    np.stack([_dist(seq, f"{s}HandRoot", f"{s}{m}") for m in _FINGER_MCPS]), 0
                )
                for s in "LR"
            ]
            return _percentile(np.concatenate(per))
        if kind == "face":
            idx = _idx(seq, _BROWS)
            if not idx or "Chin" not in seq.skeleton.index:
                return float("nan")
            chin = seq.skeleton.index["Chin"]
            ok = seq.visible[:, idx].all(axis=1) & seq.visible[:, chin]
            d = np.linalg.norm(seq.coords[:, idx].mean(axis=1) - seq.coords[:, chin], axis=-1)
            return _percentile(np.where(ok, d, np.nan))
        if kind == "foot":
            per = [
                np.nanmax(np.stack([_dist(seq, f"{s}Ankle", n) for n in _foot(s)]), 0) for s in "LR"
            ]
            return _percentile(np.concatenate(per))
    raise InvalidArgumentError(f"unknown part size {kind!r}: choose hand, face or foot")


def _bone_ratio(motion15: PoseSequence, structure15: PoseSequence, kind: str) -> float:
    e = BONES.index((J[_FALLBACK_BONE[kind][0]], J[_FALLBACK_BONE[kind][1]]))
    lm = robust_lengths(motion15)[e]
    ls = robust_lengths(structure15)[e]
    return float(ls / lm) if np.isfinite(lm) and np.isfinite(ls) and lm > 0 else 1.0


def part_scales(
    motion: PoseSequence, structure: PoseSequence, kinds: set[str] | None = None
) -> dict[str, tuple[float, str]]:
    """``kind -> (structure size / motion size, what was measured)`` for each size kind (see
    the module docstring, 1.); a part the structure does not show is scaled by its parent
    bone, with a warning naming the structure's file."""
    m15, s15 = as_openpose15(motion, "motion"), as_openpose15(structure, "structure")
    out: dict[str, tuple[float, str]] = {}
    for kind in sorted(kinds if kinds is not None else {"hand", "face", "foot"}):
        sm, ss = part_size(motion, kind), part_size(structure, kind)
        if np.isfinite(sm) and np.isfinite(ss) and sm > 0 and ss > 0:
            out[kind] = (ss / sm, kind)
            continue
        out[kind] = (_bone_ratio(m15, s15, kind), _FALLBACK_NAME[kind])
        if np.isfinite(sm) and not np.isfinite(ss):
            source = structure.meta.get("source_path", "the structure")
            part = {"hand": "hands are", "face": "face is", "foot": "feet are"}[kind]
            log.warning(
                "%s: no %s seen; the driving %s scaled by the %s length instead",
                source,
                part.rsplit(" ", 1)[0],
                part,
                _FALLBACK_NAME[kind],
            )
    return out


def _angle(v: np.ndarray) -> np.ndarray:
    return np.arctan2(v[..., 1], v[..., 0])


def _facing(seq15: PoseSequence) -> np.ndarray:
    """``(T,)`` +1 where the body faces the camera (its left shoulder on the image's right),
    -1 where it faces away, 0 where a shoulder is missing."""
    ls, rs = J["LShoulder"], J["RShoulder"]
    ok = seq15.visible[:, ls] & seq15.visible[:, rs]
    return np.where(ok, np.sign(seq15.coords[:, ls, 0] - seq15.coords[:, rs, 0]), 0.0)


def _carry_part(
    part: Part,
    motion: PoseSequence,
    m15: PoseSequence,
    out15: PoseSequence,
    scale: float,
    yaw: float,
    lengths: tuple[np.ndarray, np.ndarray],
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The part's joint names (those the motion has), ``(T, P, 2)`` and ``(T, P)``."""
    names = [n for n in part.joints if n in motion.skeleton.index and n in OPENPOSE_WHOLEBODY.index]
    idx = [motion.skeleton.index[n] for n in names]
    a, p = J[part.anchor], J[part.bone[0]]
    cos = np.cos(np.deg2rad(yaw))
    squash = np.array([cos, 1.0])
    bone_m = (m15.coords[:, a] - m15.coords[:, p]) * squash
    bone_o = out15.coords[:, a] - out15.coords[:, p]
    e = BONES.index((p, a))
    floor_m, floor_o = (MIN_BONE_FRACTION * np.nan_to_num(x[e]) for x in lengths)
    trusted = (
        (np.linalg.norm(bone_m, axis=-1) > floor_m * abs(cos))
        & (np.linalg.norm(bone_o, axis=-1) > floor_o)
        & m15.visible[:, p]
        & out15.visible[:, p]
    )
    turn = np.where(trusted, _angle(bone_o) - _angle(bone_m), 0.0)
    c, s = np.cos(turn)[:, None], np.sin(turn)[:, None]
    off = (motion.coords[:, idx] - m15.coords[:, a, None]) * squash
    rot = np.stack([c * off[..., 0] - s * off[..., 1], s * off[..., 0] + c * off[..., 1]], -1)
    coords = out15.coords[:, a, None] + scale * rot
    ok = m15.visible[:, a] & out15.visible[:, a]
    conf = np.where(ok[:, None], motion.confidence[:, idx], 0.0)
    if part.hidden_when_turned:
        away = (_facing(m15) > 0) & (_facing(out15) < 0)
        hide = [k for k, n in enumerate(names) if n in part.hidden_when_turned]
        conf[np.ix_(away, hide)] = 0.0
    return names, coords, conf


def carry_extremities(
    motion: PoseSequence, structure: PoseSequence, body_out: PoseSequence
) -> PoseSequence:
    """``body_out`` (a retargeter's 2D ``openpose15`` result for ``motion`` on ``structure``)
    with the motion's hands, face and feet carried onto it (see the module docstring).

    Args:
        motion: the driving 2D sequence, any skeleton (whole-body or not), its pixels.
        structure: the 2D sequence whose body was retargeted onto (its parts give the sizes).
        body_out: the retargeted body, ``motion``'s frame count; ``meta["view_yaw"]`` is
            the turn relative to the motion's view (0 when absent).

    Returns:
        An ``openpose_wholebody`` sequence: ``body_out``'s joints unchanged, the carried
        parts beside them; ``meta["extremities"]`` records each size ratio and what it was
        measured on.
    """
    for value, name in ((motion, "motion"), (structure, "structure"), (body_out, "body_out")):
        require_pose(value, name)
    m15 = as_openpose15(motion, "motion")
    out15 = as_openpose15(body_out, "body_out")
    if out15.num_frames != m15.num_frames:
        raise InvalidArgumentError(
            f"`body_out` has {out15.num_frames} frames for a motion of {m15.num_frames}"
        )
    full = convert(out15, OPENPOSE_WHOLEBODY)
    coords, conf = full.coords.copy(), full.confidence.copy()
    carried = [p for p in PARTS if _idx(motion, p.joints)]
    scales = part_scales(motion, structure, {p.size for p in carried})
    yaw = float(body_out.meta.get("view_yaw", 0.0) or 0.0)
    lengths = (robust_lengths(m15), robust_lengths(out15))
    for part in carried:
        scale = scales[part.size][0]
        names, xy, c = _carry_part(part, motion, m15, out15, scale, yaw, lengths)
        idx = [OPENPOSE_WHOLEBODY.index[n] for n in names]
        coords[:, idx], conf[:, idx] = xy, c
    coords = np.where(conf[..., None] > 0, coords, 0.0)
    out = full.with_coords(coords, conf)
    out.meta.pop("converted_from", None)
    out.meta["extremities"] = {
        k: {"scale": round(v[0], 6), "measured_on": v[1]} for k, v in scales.items()
    }
    return out


def with_extremities(
    motion: PoseSequence, structure: PoseSequence, body_out: PoseSequence
) -> PoseSequence:
    """:func:`carry_extremities` when ``motion`` shows hands, a face or feet, else
    ``body_out`` as it is (a body-only motion keeps the ``openpose15`` result)."""
    if motion.dims != 2 or not has_extremities(motion):
        return body_out
    return carry_extremities(motion, structure, body_out)


__all__ = [
    "MIN_BONE_FRACTION",
    "PARTS",
    "Part",
    "carry_extremities",
    "has_extremities",
    "part_scales",
    "part_size",
    "with_extremities",
]
