"""Any pose input as the 2D ``openpose15`` sequence retargeting works on.

2D inputs (videos, images, OpenPose, COCO, CSV 2D, native 2D) are converted by joint name.
3D inputs (BVH, SMPL, CSV 3D, native 3D) are turned into the camera frame of
:mod:`retarget.geometry` (from their ``up`` axis; the body facing the camera on average) and
projected orthographically onto a :data:`CANVAS` canvas with the body :data:`HEIGHT_FRAC` of
its height, hip of the first frame at the centre: the image a camera in front of them takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io import convert, load_file
from skeleton_io.checks import require_person
from skeleton_io.group import require_pose
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE15

from .geometry import HIP, body_height, canonicalize, to_camera_frame

CANVAS = (512, 512)
HEIGHT_FRAC = 0.6


def project_3d(
    seq: PoseSequence, canvas: tuple[int, int] = CANVAS, yaw: float = 0.0
) -> PoseSequence:
    """An orthographic front view (then turned by ``yaw`` degrees) of a 3D sequence, in pixels."""
    from .geometry import rotate

    require_person(seq)  # the first frame's hip is the centre: there must be one
    seq = seq if seq.skeleton.name == OPENPOSE15.name else convert(seq, OPENPOSE15)
    up = seq.up if seq.up in ("+x", "-x", "+y", "-y", "+z", "-z") else "+y"
    cam = seq.coords if up == "-y" else to_camera_frame(seq.coords, up=up)
    cam, _ = canonicalize(cam)
    if yaw:
        cam = rotate(cam, yaw, center=cam[0, HIP])
    h = body_height(cam) or 1.0
    scale = HEIGHT_FRAC * canvas[1] / h
    xy = (cam[..., :2] - cam[0, HIP, :2]) * scale + np.array(canvas) / 2
    out = seq.with_coords(xy, seq.confidence, canvas=canvas, units="px", up="-y", world=None)
    out.meta["projected_from_3d"] = {"units": seq.units, "px_per_unit": float(scale), "yaw": yaw}
    return out


def as_2d(seq: PoseSequence, whole_body: bool = False) -> PoseSequence:
    """``seq`` as 2D openpose15 pixels (see the module docstring); with ``whole_body`` a 2D
    sequence keeps its own skeleton (hands, face and feet, for :func:`retarget.transfer` to
    carry) and only 3D ones are projected."""
    require_pose(seq, "seq")
    if seq.dims == 3:
        return project_3d(seq)
    if whole_body or seq.skeleton.name == OPENPOSE15.name:
        return seq
    return convert(seq, OPENPOSE15)


def read_2d(path: str | Path, whole_body: bool = False, **kw: Any) -> PoseSequence:
    """Load any pose input (:func:`skeleton_io.load_file` options) as 2D openpose15, or
    with ``whole_body`` as 2D on its own skeleton (see :func:`as_2d`)."""
    return as_2d(load_file(path, **kw), whole_body=whole_body)
