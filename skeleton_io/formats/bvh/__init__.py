"""BVH motion capture: parse, forward kinematics, write back exactly, map joints by meaning.

Conventions (stated once, used everywhere in this module):

* **Units and axes** are the file's own. Positions come out in the units of the OFFSET lines
  (centimetres for most sets) in the file's world frame; :func:`load` guesses the units and
  the up axis from the body and says so (``units``, ``up``, ``meta["body_height"]``).
* **Rotation channels** compose in the order they are listed, as intrinsic rotations:
  ``Zrotation Yrotation Xrotation`` is ``R = Rz @ Ry @ Rx`` (scipy
  ``Rotation.from_euler("ZYX", angles, degrees=True)``, uppercase = intrinsic). Angles are in
  degrees. Each joint keeps its own order.
* **Local transform** of joint ``j``: ``p_world[j] = p_world[parent] + R_world[parent] @ t[j]``
  and ``R_world[j] = R_world[parent] @ R_local[j]``, with ``t[j]`` the joint's translation:

  - a root's position channels are *added* to its OFFSET (Meredith & Maddock, "Motion capture
    file formats explained", 2001), unless the file's channels already hold the absolute root
    position (Blender, PyMO and Holden's BVH.py read and write it that way): then the channels
    *replace* the OFFSET. The OFFSET is zero in most files, where both agree. :func:`read_bvh`
    decides per file (:func:`root_channels_look_absolute`) and records it in
    ``BvhMotion.root_channels_absolute``; the iClone and LaFAN1 files here need the sum, the
    PyMO demo walk the replacement;
  - a non-root joint's position channels *replace* the OFFSET on their axis (the MotionBuilder
    export convention: the Bandai Namco files write each bone's constant length there); when
    :meth:`BvhMotion.positions` is given other ``offsets``, the channel keeps its deviation from
    the file's OFFSET (``t = channel + offsets - file_offset``), so limb scaling still works.
  - a joint without position channels is translated by its OFFSET.

* An End Site is a point at ``p_world[j] + R_world[j] @ end_site``.

* **Frame rate**: ``1 / Frame Time``, or the common rate the written frame time was rounded
  from (``0.033333`` -> 30 fps, not 30.0003; :func:`fps_from_frame_time`).
* **Units** are guessed from the body height (:func:`guess_units`): ``cm``, ``m``, ``mm``,
  ``in``, or ``asf`` (CMU's ASF length unit, 1/0.45 inch, kept by the Xia walks here);
  ``meta["units_to_m"]`` gives metres per unit.

Writing keeps joint names, channel names and orders, End Site offsets, the frame time string
as read, and every float at full precision (``repr``, the shortest string that reads back to
the same double), so ``read_bvh(write_bvh(read_bvh(f)))`` is numerically identical. A 3D
sequence that did not come from a BVH file is written by inverse kinematics on its
``openpose15`` joints (:func:`bvh_from_positions`).

Joint names differ between sources; :func:`joint_map` maps them onto the shared vocabulary
(``RShoulder`` ... ``LAnkle``, ``Nose``) by meaning: name tokens for the side and the body
part, then the kinematic chain (the elbow is the forearm joint nearest above the hand, the
shoulder the upper-arm joint nearest above the elbow), so a ``LeftShoulder`` that is the parent
of ``LeftArm`` is a clavicle, and a CMU ``lhipjoint`` is not the hip. Where names cannot tell,
where the joints *are* (a few frames of forward kinematics) decides: in ``Hips > LHipJoint >
LeftHip > LeftKnee`` both are named "hip", and the hip is ``LeftHip``, on the thigh's line
(``LHipJoint``, with a zero OFFSET, sits on the root). Most BVH rigs have no
nose: the head joint (at the base of the skull) is mapped to ``Nose`` as an approximation
(logged once at INFO level). ``Neck`` and
``MidHip`` are never mapped: the shared vocabulary defines them as midpoints of the shoulders
and of the hips, which :func:`skeleton_io.convert` derives.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.checks import FPS_MAX, FPS_MIN
from skeleton_io.errors import PoseFormatError
from skeleton_io.pose import DEFAULT_FPS, PoseSequence
from skeleton_io.skeleton import SKELETONS

from .ik import bvh_from_positions
from .motion import BvhJoint, BvhMotion, fps_from_frame_time
from .names import bvh_skeleton, classify_joint, joint_map, up_axis
from .parse import read_bvh, root_channels_look_absolute
from .write import write_bvh

__all__ = [
    "UNITS_TO_M",
    "BvhJoint",
    "BvhMotion",
    "body_height",
    "bvh_from_positions",
    "bvh_skeleton",
    "classify_joint",
    "fps_from_frame_time",
    "guess_units",
    "joint_map",
    "load",
    "read_bvh",
    "root_channels_look_absolute",
    "save",
    "up_axis",
    "write_bvh",
]

log = logging.getLogger(__name__)


def body_height(
    positions: np.ndarray, ends: np.ndarray, head: int | None, head_end: int | None, up: str
) -> float:
    """Body height: the 99th percentile over frames of the extent along the up axis from the
    lowest joint or End Site to the head's End Site (or the head joint). NaN without a head.

    The most upright frames set it, so a crouching clip still gives the standing height; a rig
    whose head End Site has zero length (Bandai Namco) measures to the head joint."""
    if head is None or positions.shape[0] == 0:
        return math.nan
    a = "xyz".index(up[1])
    sign = 1.0 if up[0] == "+" else -1.0
    top = ends[:, head_end, a] if head_end is not None else positions[:, head, a]
    allpts = np.concatenate([positions[..., a], ends[..., a]], axis=1)
    low = allpts.min(axis=1) if sign > 0 else allpts.max(axis=1)
    return float(np.percentile(sign * (top - low), 99))


UNITS_TO_M = {"cm": 0.01, "m": 1.0, "mm": 0.001, "in": 0.0254, "asf": 0.0254 / 0.45}
"""Metres per unit. ``asf`` is the length unit of CMU's ASF skeletons (1/0.45 inch, 5.64 cm),
which BVH files converted from them without rescaling keep (the Xia walks here)."""


def guess_units(height: float) -> str:
    """Units from a body height (1.2 to 2.3 m): ``cm``, ``m``, ``mm``, ``in``, ``asf`` or
    ``units`` (unknown)."""
    if not math.isfinite(height) or height <= 0:
        return "units"
    for unit, scale in UNITS_TO_M.items():
        if 1.2 <= height * scale <= 2.3:
            return unit
    return "units"


_NOSE_LOGGED = False


def _shadow_vocabulary_names(mapping: dict[str, str], joints: Sequence[str]) -> dict[str, str]:
    """The joint map plus ``name -> "bvh:name"`` for unmapped joints that happen to be spelled
    like a vocabulary joint (a BVH ``Neck`` is not our ``Neck``, the shoulders' midpoint), so
    that :func:`skeleton_io.convert`, which keeps unmapped names as they are, skips them."""
    vocab = {n for s in SKELETONS.values() for n in s.joints}
    out = dict(mapping)
    for j in joints:
        if j not in out and j in vocab:
            out[j] = f"bvh:{j}"
    return out


def load(path: str | Path, fps: float | None = None, **_: Any) -> PoseSequence:
    """Read a BVH file as a 3D pose sequence of its own joints.

    The skeleton is the file's hierarchy (``name="bvh:<stem>"``); ``coords`` are the forward
    kinematics positions in the file's units and axes; ``confidence`` is 1; ``fps`` is
    ``1 / Frame Time`` (``fps`` is used only when the file's frame time is not positive).
    ``units`` is guessed from the body height (``meta["body_height"]``, ``meta["units_guessed"]``),
    ``up`` from the ankle-to-head direction. ``meta["joint_map"]`` maps the joints onto the
    shared vocabulary (see :func:`joint_map`; a joint merely *named* like a vocabulary joint,
    such as a BVH ``Neck``, is mapped to ``"bvh:Neck"`` so that conversions skip it), and
    ``source`` holds the :class:`BvhMotion` so that :func:`save` writes the file back exactly.
    """
    global _NOSE_LOGGED
    path = Path(path)
    motion = read_bvh(path)
    meta: dict[str, Any] = {"format": "bvh"}
    file_fps = motion.fps
    if FPS_MIN <= file_fps <= FPS_MAX:
        seq_fps = file_fps
    elif fps is not None:
        seq_fps = float(fps)
    else:
        seq_fps = DEFAULT_FPS
        meta["fps_assumed"] = True
        log.warning(
            "%s: Frame Time %r is not a usable number of seconds; assuming %g fps (pass `fps`)",
            path,
            motion.frame_time_str,
            seq_fps,
        )
    skeleton = bvh_skeleton(motion, f"bvh:{path.stem}")
    pos, ends = motion.positions(end_sites=True)
    some = np.unique(np.linspace(0, max(motion.num_frames - 1, 0), 16).astype(int))
    mapping = joint_map(motion.names, motion.parents, pos[some] if len(pos) else None)
    mapping = {skeleton.joints[motion.names.index(k)]: v for k, v in mapping.items()}
    up = up_axis(pos, mapping, skeleton.joints)
    inv = {v: skeleton.joints.index(k) for k, v in mapping.items()}
    head = inv.get("Nose")
    ej = motion.end_site_joints
    head_end = ej.index(head) if head is not None and head in ej else None
    height = body_height(pos, ends, head, head_end, up)
    units = guess_units(height)
    missing = [
        f"{s}{n}" for s in "RL" for n in ("Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle")
    ]
    missing = [m for m in [*missing, "Nose"] if m not in inv]
    if missing:
        log.warning("%s: no joint found for %s; they will be missing", path, ", ".join(missing))
    if head is not None and not _NOSE_LOGGED:
        _NOSE_LOGGED = True
        log.info("BVH has no nose: the head joint stands in for 'Nose' (an approximation)")
    meta.update(
        joint_map=_shadow_vocabulary_names(mapping, skeleton.joints),
        units_guessed=True,
        units_to_m=UNITS_TO_M.get(units),
        root_channels="absolute" if motion.root_channels_absolute else "offset+channels",
        body_height=None if not math.isfinite(height) else round(height, 6),
        frame_time=motion.frame_time_str,
    )
    if units == "units":
        log.warning(
            "%s: cannot tell the units from a body height of %.4g; calling them 'units'",
            path,
            height,
        )
    return PoseSequence(
        coords=pos,
        confidence=np.ones(pos.shape[:2]),
        skeleton=skeleton,
        fps=seq_fps,
        units=units,
        up=up,
        meta=meta,
        source=motion,
    )


def save(seq: PoseSequence, path: str | Path, **_: Any) -> None:
    """Write a sequence as BVH.

    A sequence read from a BVH file (``seq.source`` a :class:`BvhMotion` with the same frame
    count) is written back exactly. Any other 3D sequence (or a 2D one with ``world``
    coordinates, such as BlazePose's) is written by inverse kinematics on the ``openpose15``
    joints, see :func:`bvh_from_positions`.

    Raises:
        PoseFormatError: a 2D sequence without world coordinates, a sequence whose BVH source
            has another frame count, or one that lacks a joint BVH output needs.
    """
    src = seq.source
    if isinstance(src, BvhMotion):
        if src.num_frames != seq.num_frames:
            raise PoseFormatError(
                f"{path}: the sequence has {seq.num_frames} frames but its BVH source "
                f"{src.num_frames}; slice with skeleton_io.load_file(start_frame=, max_frames=)"
            )
        write_bvh(src, path)
        return
    if seq.dims != 3 and seq.world is None:
        raise PoseFormatError(
            f"{path}: BVH output needs 3D poses (joint rotations come from 3D bone directions); "
            f"this {seq.skeleton.name} sequence is 2D; write it as native, csv, openpose or coco"
        )
    log.info(
        "%s: writing BVH by inverse kinematics on openpose15 joints (median bone lengths; "
        "the twist about each bone is not recovered)",
        path,
    )
    write_bvh(bvh_from_positions(seq, where=str(path)), path)
