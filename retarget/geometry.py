"""The one camera convention of the toolkit, and the geometry built on it (numpy).

Glossary (used by :mod:`retarget.data`, :mod:`retarget.benchmark` and the model):

* **Camera frame**: right-handed; ``x`` to the image's right, ``y`` *down*, ``z`` *away* from
  the camera (depth). Orthographic projection to image-like 2D keeps ``(x, y)``; pixels are
  ``scale * (x, y) + offset``, so 2D data keeps the orientation of images (y down), as
  :class:`skeleton_io.PoseSequence` has it.
* **Up** is ``-y`` in the camera frame. The **vertical axis** of a body is the camera's ``y``.
* **From a file frame**: a BVH file is Y-up with the character's rest pose facing ``+z``;
  :func:`to_camera_frame` maps it by ``(x, y, z) -> (x, -y, -z)`` (a 180 degree rotation about
  ``x``, a proper rotation). A character facing ``+z`` in its file then *faces the camera*,
  and its own left hand (``+x`` in the file) appears on the image's right, as in a photo of
  someone facing you.
* **Facing** of a body: the horizontal unit vector ``cross(left, up)`` where ``left`` points
  from the right hip/shoulder to the left one (:func:`facing`).
* **Yaw** (degrees): a right-handed rotation about the *up* axis (``-y`` in the camera frame).
  Positive yaw turns the performer towards its own left, counter-clockwise seen from above:
  a performer facing the camera, turned by +90, faces the image's right (``+x``) and is seen
  in profile. :func:`facing_yaw` is the inverse (yaw 0 = facing the camera).
* **Pitch** (degrees): a rotation about the camera's ``+x`` axis; positive pitch turns ``y``
  (down) towards ``z`` (away), so the performer's head comes towards the camera: the camera
  looks from above.
* **Roll** (degrees): a rotation about the camera's ``+z`` axis (the optical axis); positive
  roll turns image ``x`` towards image ``y``, i.e. clockwise as displayed (y down).
* Composition: ``R = R_roll @ R_pitch @ R_yaw`` (turn the body about its vertical first, then
  tilt the camera, then roll the image), applied about a centre point (default the origin).

Every rotation goes through :class:`scipy.spatial.transform.Rotation` with ``degrees=True``;
the torch twins in :mod:`retarget.geometry_torch` are tested equal to these functions.

Joint arrays follow the ``openpose15`` skeleton (:data:`skeleton_io.OPENPOSE15`) where a
function needs joints by name; shapes are ``(..., T, J, D)`` unless stated otherwise.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from skeleton_io.convert import convert
from skeleton_io.errors import InvalidArgumentError, SkeletonMismatchError
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE15

UP = np.array([0.0, -1.0, 0.0])
"""The up direction in the camera frame."""

J = {name: i for i, name in enumerate(OPENPOSE15.joints)}
"""Joint indices of the openpose15 skeleton by name."""
HIP = J["MidHip"]

BONES: tuple[tuple[int, int], ...] = tuple(OPENPOSE15.edges)
"""The 14 bones of openpose15 as (parent, child) joint indices, in skeleton order."""

_AXES = {"x": 0, "y": 1, "z": 2}


# --------------------------------------------------------------------------- frames
def _axis(spec: str) -> np.ndarray:
    """A signed axis such as ``"+y"`` or ``"-z"`` as a unit vector."""
    spec = spec.strip().lower()
    if len(spec) == 1:
        spec = "+" + spec
    if len(spec) != 2 or spec[0] not in "+-" or spec[1] not in _AXES:
        raise InvalidArgumentError(f"axis {spec!r}: expected one of +x, -x, +y, -y, +z, -z")
    v = np.zeros(3)
    v[_AXES[spec[1]]] = 1.0 if spec[0] == "+" else -1.0
    return v


@functools.lru_cache(maxsize=64)
def _camera_basis(up: str, facing: str) -> np.ndarray:
    u, f = _axis(up), _axis(facing)
    if abs(float(u @ f)) > 0.5:
        raise InvalidArgumentError(f"up {up!r} and facing {facing!r} must be different axes")
    left = np.cross(u, f)
    src = np.stack([left, u, f], axis=1)  # columns: file vectors
    dst = np.stack([[1.0, 0, 0], [0, -1.0, 0], [0, 0, -1.0]], axis=1)
    m = dst @ src.T
    m.setflags(write=False)
    return m


def camera_basis(up: str = "+y", facing: str = "+z") -> np.ndarray:
    """The ``(3, 3)`` rotation from a file frame to the camera frame.

    Args:
        up: the file's up axis (BVH: ``"+y"``).
        facing: the axis the character faces in the file's rest pose (BVH: ``"+z"``); it is
            mapped to ``-z`` (towards the camera).

    Returns:
        ``M`` with ``camera = M @ file``: ``up -> (0, -1, 0)``, ``facing -> (0, 0, -1)`` and
        the character's left (``up x facing``) ``-> (1, 0, 0)``.
    """
    return _camera_basis(up, facing).copy()


def to_camera_frame(points: np.ndarray, up: str = "+y", facing: str = "+z") -> np.ndarray:
    """Map ``(..., 3)`` points from a file frame to the camera frame (see the module doc).

    For a BVH file (Y-up, facing ``+z``) this is ``(x, y, z) -> (x, -y, -z)``.
    """
    points = np.asarray(points, dtype=np.float64)
    return points @ _camera_basis(up, facing).T


def from_camera_frame(points: np.ndarray, up: str = "+y", facing: str = "+z") -> np.ndarray:
    """Inverse of :func:`to_camera_frame`."""
    points = np.asarray(points, dtype=np.float64)
    return points @ _camera_basis(up, facing)


# ------------------------------------------------------------------------ rotations
def view_rotation(
    yaw: float | np.ndarray, roll: float | np.ndarray = 0.0, pitch: float | np.ndarray = 0.0
) -> Rotation:
    """The camera-frame rotation ``R_roll * R_pitch * R_yaw`` for angles in degrees.

    Each angle is a scalar or an array of shape ``(B,)``; the result holds one rotation per
    batch element (a single rotation when all are scalars).
    """
    yaw_a, roll_a, pitch_a = (np.asarray(a, dtype=np.float64) for a in (yaw, roll, pitch))
    shape = np.broadcast_shapes(yaw_a.shape, roll_a.shape, pitch_a.shape)
    if len(shape) > 1:
        raise InvalidArgumentError(f"angles must be scalars or 1-D, got shape {shape}")
    yaw_a, roll_a, pitch_a = (
        np.broadcast_to(a, shape).reshape(-1) for a in (yaw_a, roll_a, pitch_a)
    )
    r_yaw = Rotation.from_rotvec(np.deg2rad(yaw_a)[:, None] * UP[None])
    r_pitch = Rotation.from_euler("x", pitch_a[:, None], degrees=True)
    r_roll = Rotation.from_euler("z", roll_a[:, None], degrees=True)
    r = r_roll * r_pitch * r_yaw
    return r[0] if shape == () else r


def rotation_matrix(
    yaw: float | np.ndarray, roll: float | np.ndarray = 0.0, pitch: float | np.ndarray = 0.0
) -> np.ndarray:
    """``(3, 3)`` or ``(B, 3, 3)`` matrix of :func:`view_rotation`."""
    return view_rotation(yaw, roll, pitch).as_matrix()


def apply_matrix(mats: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply ``(3, 3)`` or per-batch ``(B, 3, 3)`` matrices to points ``(..., 3)``.

    With ``(B, 3, 3)`` the points' leading axis must be ``B``: ``(B, ..., 3)``.
    """
    points = np.asarray(points, dtype=np.float64)
    if mats.ndim == 2:
        return points @ mats.T
    if points.shape[0] != mats.shape[0]:
        raise InvalidArgumentError(
            f"{mats.shape[0]} rotations for points with leading axis {points.shape[0]}"
        )
    m = mats.reshape(mats.shape[0], *([1] * (points.ndim - 2)), 3, 3)
    return np.einsum("...ij,...j->...i", m, points)


def rotate(
    points: np.ndarray,
    yaw: float | np.ndarray,
    roll: float | np.ndarray = 0.0,
    pitch: float | np.ndarray = 0.0,
    center: np.ndarray | None = None,
) -> np.ndarray:
    """Rotate camera-frame points ``(..., 3)`` by a view change (degrees), about ``center``.

    Args:
        points: ``(..., 3)``; with batched angles ``(B,)`` the leading axis must be ``B``.
        yaw, roll, pitch: see the module docstring for the signs.
        center: a point ``(3,)`` (or ``(B, 3)`` with batched angles) the rotation keeps fixed,
            e.g. the first frame's MidHip; the origin when None.
    """
    mats = rotation_matrix(yaw, roll, pitch)
    points = np.asarray(points, dtype=np.float64)
    if center is None:
        return apply_matrix(mats, points)
    c = np.asarray(center, dtype=np.float64)
    if c.ndim == 2:
        c = c.reshape(c.shape[0], *([1] * (points.ndim - 2)), 3)
    return apply_matrix(mats, points - c) + c


def project(
    points: np.ndarray, scale: float = 1.0, offset: np.ndarray | tuple[float, float] = (0.0, 0.0)
) -> np.ndarray:
    """Orthographic projection of camera-frame points ``(..., 3)`` to ``(..., 2)``.

    ``scale * (x, y) + offset``: with ``scale`` in pixels per unit this gives pixels, x to
    the right and y down.
    """
    points = np.asarray(points, dtype=np.float64)
    return scale * points[..., :2] + np.asarray(offset, dtype=np.float64)


# ------------------------------------------------------------------- body measures
def _coords_conf(x: PoseSequence | np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(x, PoseSequence):
        if x.skeleton.name != OPENPOSE15.name:
            raise SkeletonMismatchError(
                f"expected an openpose15 sequence, got {x.skeleton.name!r}; "
                "convert it first with skeleton_io.convert(seq, 'openpose15')"
            )
        return x.coords, x.confidence
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim < 2 or arr.shape[-2] != OPENPOSE15.num_joints:
        raise SkeletonMismatchError(
            f"expected openpose15 joints (..., 15, D), got shape {arr.shape}"
        )
    return arr, None


def bone_vectors(coords: np.ndarray) -> np.ndarray:
    """``(..., 14, D)`` child minus parent for each bone of :data:`BONES`."""
    coords = np.asarray(coords)
    a = [b[0] for b in BONES]
    c = [b[1] for b in BONES]
    return coords[..., c, :] - coords[..., a, :]


def bone_lengths(x: PoseSequence | np.ndarray, percentile: float | None = None) -> np.ndarray:
    """Bone lengths of openpose15 data.

    Args:
        x: a sequence or an array ``(T, 15, D)``.
        percentile: None for per-frame lengths ``(T, 14)`` (NaN where a joint is missing);
            a number in [0, 100] for one robust length per bone ``(14,)`` over the frames
            (50 = median, for 3D data; a high percentile such as 95 for 2D data, where a bone
            is foreshortened in most frames and seen at full length in a few).
    """
    coords, conf = _coords_conf(x)
    length = np.linalg.norm(bone_vectors(coords), axis=-1)
    if conf is not None:
        a = [b[0] for b in BONES]
        c = [b[1] for b in BONES]
        ok = (conf[..., a] > 0) & (conf[..., c] > 0)
        length = np.where(ok, length, np.nan)
    if percentile is None:
        return length
    flat = length.reshape(-1, length.shape[-1])
    if np.isfinite(flat).all():
        return (
            np.percentile(flat, percentile, axis=0)
            if flat.shape[0]
            else np.full(flat.shape[1], np.nan)
        )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.nanpercentile(flat, percentile, axis=0)
    return out


def _bone(parent: str, child: str) -> int:
    return BONES.index((J[parent], J[child]))


LEG_BONES = (
    (_bone("RHip", "RKnee"), _bone("RKnee", "RAnkle")),
    (_bone("LHip", "LKnee"), _bone("LKnee", "LAnkle")),
)
TRUNK_BONES = (_bone("MidHip", "Neck"), _bone("Neck", "Nose"))


def height_from_bones(lengths: np.ndarray) -> np.ndarray:
    """Skeleton height from bone lengths ``(..., 14)``: mean leg + MidHip-Neck + Neck-Nose.

    The leg is thigh + shin, averaged over both sides (a side whose bones are NaN is
    skipped). This chain (ankle to nose, standing straight) is about 0.85 of the stature.
    """
    lengths = np.asarray(lengths, dtype=np.float64)
    legs = np.stack([lengths[..., a] + lengths[..., b] for a, b in LEG_BONES], axis=-1)
    with np.errstate(all="ignore"):
        leg = np.nanmean(legs, axis=-1)
    return leg + lengths[..., TRUNK_BONES[0]] + lengths[..., TRUNK_BONES[1]]


def leg_length(lengths: np.ndarray) -> np.ndarray:
    """Mean thigh + shin over both sides from bone lengths ``(..., 14)``."""
    lengths = np.asarray(lengths, dtype=np.float64)
    legs = np.stack([lengths[..., a] + lengths[..., b] for a, b in LEG_BONES], axis=-1)
    with np.errstate(all="ignore"):
        return np.nanmean(legs, axis=-1)


def body_height(x: PoseSequence | np.ndarray, percentile: float | None = None) -> float:
    """Skeleton height (see :func:`height_from_bones`) of openpose15 data, in its units.

    Args:
        x: a sequence or an array ``(T, 15, D)``.
        percentile: per-bone statistic over frames; default 50 (median) for 3D data and 95
            for 2D data (a robust stand-in for each bone's unforeshortened length).
    """
    coords, _ = _coords_conf(x)
    if percentile is None:
        percentile = 50.0 if coords.shape[-1] == 3 else 95.0
    return float(height_from_bones(bone_lengths(x, percentile)))


def body_size(coords: np.ndarray, confidence: np.ndarray) -> float:
    """A robust body size in the data's units: the median over frames of the largest side of
    the bounding box of the present joints (the body height for a standing person).

    Only frames with at least half of the joints present count; when none has, any frame
    with two joints does. Returns 1.0 when no frame has two joints (nothing to scale).
    """
    vis = np.asarray(confidence) > 0
    count = vis.sum(axis=1)
    for need in (max(2, vis.shape[1] // 2), 2):
        frames = np.flatnonzero(count >= need)
        if frames.size:
            break
    else:
        return 1.0
    c = np.asarray(coords)[frames]
    v = vis[frames][..., None]
    hi = np.where(v, c, -np.inf).max(axis=1)
    lo = np.where(v, c, np.inf).min(axis=1)
    size = float(np.median((hi - lo).max(axis=1)))
    return size if size > 0 else 1.0


# --------------------------------------------------------------- hip-local motion
def hip_velocity(hip: np.ndarray) -> np.ndarray:
    """``(..., T, D)`` per-frame displacement of the hip; 0 at the first frame."""
    hip = np.asarray(hip, dtype=np.float64)
    vel = np.zeros_like(hip)
    vel[..., 1:, :] = hip[..., 1:, :] - hip[..., :-1, :]
    return vel


def localize(coords: np.ndarray) -> np.ndarray:
    """Hip-local coordinates with the hip's velocity in the MidHip slot (TransMoMo's input).

    Args:
        coords: ``(..., T, 15, D)`` openpose15 positions.

    Returns:
        ``(..., T, 15, D)``: every joint minus the frame's MidHip, except joint ``MidHip``
        which holds the hip's displacement since the previous frame (0 at frame 0).
    """
    coords = np.asarray(coords, dtype=np.float64)
    hip = coords[..., HIP, :]
    out = coords - hip[..., None, :]
    out[..., HIP, :] = hip_velocity(hip)
    return out


def globalize(local: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Inverse of :func:`localize`: positions with the first frame's MidHip at ``start``.

    Args:
        local: ``(..., T, 15, D)`` as :func:`localize` returns it.
        start: ``(..., D)`` first-frame MidHip position (default the origin).
    """
    local = np.asarray(local, dtype=np.float64)
    hip = np.cumsum(local[..., HIP, :], axis=-2)
    if start is not None:
        hip = hip + np.asarray(start, dtype=np.float64)[..., None, :]
    out = local + hip[..., None, :]
    out[..., HIP, :] = hip
    return out


def fix_hip(coords: np.ndarray) -> np.ndarray:
    """``(..., T, 15, D)`` positions minus each frame's MidHip (the protocol's hip fixing)."""
    coords = np.asarray(coords, dtype=np.float64)
    return coords - coords[..., HIP : HIP + 1, :]


# ---------------------------------------------------------------------- facing
def facing(coords: np.ndarray) -> np.ndarray:
    """``(..., T, 3)`` horizontal unit facing direction of camera-frame openpose15 data.

    ``left`` = (LHip - RHip) + (LShoulder - RShoulder) with its vertical part removed; the
    facing direction is ``cross(left, up)``, so a body facing the camera gives ``(0, 0, -1)``.
    """
    coords = np.asarray(coords, dtype=np.float64)
    left = (coords[..., J["LHip"], :] - coords[..., J["RHip"], :]) + (
        coords[..., J["LShoulder"], :] - coords[..., J["RShoulder"], :]
    )
    left = left - (left @ UP)[..., None] * UP
    f = np.cross(left, UP)
    n = np.linalg.norm(f, axis=-1, keepdims=True)
    return f / np.maximum(n, 1e-12)


def yaw_of_direction(direction: np.ndarray) -> np.ndarray:
    """Yaw in degrees that turns a body facing the camera to face ``direction`` (..., 3)."""
    d = np.asarray(direction, dtype=np.float64)
    return np.rad2deg(np.arctan2(d[..., 0], -d[..., 2]))


def facing_yaw(coords: np.ndarray) -> np.ndarray:
    """``(..., T)`` yaw of the body (degrees, 0 = facing the camera; see the module doc)."""
    return yaw_of_direction(facing(coords))


def mean_facing_yaw(coords: np.ndarray) -> float:
    """Yaw (degrees) of the mean facing direction over the frames of ``(T, 15, 3)`` data."""
    f = facing(coords).reshape(-1, 3).mean(axis=0)
    return float(yaw_of_direction(f))


def canonicalize(coords: np.ndarray, center: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Turn ``(T, 15, 3)`` camera-frame data about the vertical so it faces the camera on average.

    The rotation is about the vertical axis through ``center`` (default the first frame's
    MidHip). Returns the turned data and the yaw (degrees) that was removed, so that
    ``rotate(out, yaw, center=center)`` gives the input back.
    """
    coords = np.asarray(coords, dtype=np.float64)
    if center is None:
        center = coords[0, HIP]
    yaw = mean_facing_yaw(coords)
    return rotate(coords, -yaw, center=center), yaw


def as_openpose15(seq: PoseSequence, what: str = "input") -> PoseSequence:
    """``seq`` on the openpose15 skeleton (converted by joint name), 2D pixels."""
    if seq.dims != 2:
        raise SkeletonMismatchError(
            f"{what}: retargeting takes 2D pose sequences, got {seq.dims}D; project it first"
        )
    if seq.skeleton.name == OPENPOSE15.name:
        return seq
    return convert(seq, OPENPOSE15)


def _pairs() -> list[tuple[int, int]]:
    out = []
    for p, c in (
        ("Neck", "Shoulder"), ("Shoulder", "Elbow"), ("Elbow", "Wrist"),
        ("MidHip", "Hip"), ("Hip", "Knee"), ("Knee", "Ankle"),
    ):  # fmt: skip
        pr = p if p in ("Neck", "MidHip") else "R" + p
        pl = p if p in ("Neck", "MidHip") else "L" + p
        out.append((BONES.index((J[pr], J["R" + c])), BONES.index((J[pl], J["L" + c]))))
    return out


SIDE_PAIRS = _pairs()
"""``(right bone, left bone)`` index pairs of :data:`retarget.geometry.BONES`."""


def robust_lengths(
    seq: PoseSequence, percentile: float = 95.0, symmetric: bool = True
) -> np.ndarray:
    """``(14,)`` bone lengths of a 2D sequence: a high percentile of the per-frame lengths.

    In 2D a bone is foreshortened in most frames and about its full length in a few, so a
    high percentile estimates the full length while ignoring rare outliers. ``symmetric``
    gives both sides the larger of the two (as TransMoMo's ``get_limb_lengths``). NaN for a
    bone never seen.
    """
    lengths = bone_lengths(seq, percentile)
    if symmetric:
        for r, left in SIDE_PAIRS:
            both = lengths[[r, left]]
            if np.isfinite(both).any():
                lengths[[r, left]] = np.nanmax(both)
    return lengths


def describe() -> dict[str, Any]:
    """The convention as data (written into benchmark and model metadata)."""
    return {
        "camera_frame": "x right, y down, z away from the camera (right-handed)",
        "projection": "orthographic: (x, y)",
        "bvh_to_camera": "(x, y, z) -> (x, -y, -z)",
        "yaw": "degrees about the up axis; positive turns the performer to its own left",
        "roll": "degrees about the camera z axis; positive is clockwise as displayed",
        "pitch": "degrees about the camera x axis; positive looks from above",
        "order": "R = R_roll @ R_pitch @ R_yaw",
    }
