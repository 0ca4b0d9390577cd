"""An explicit orthographic camera for looking at 3D pose sequences from any angle.

Frames (all right-handed):

* **data frame**: the sequence's own axes and units; ``seq.up`` names the up axis
  (``"+y"`` for BVH, ``"+z"`` for AMASS, ``"-y"`` for image-like data where y points down).
* **view frame** (``front``): ``Y`` up, ``Z`` towards the camera at azimuth 0, ``X = Y x Z``
  to the image's right at azimuth 0. Two choices of front:

  - ``"auto"``: from the skeleton. ``X`` is the horizontal part of the performer's
    right-to-left vector (left minus right hip and shoulder, else all left/right pairs) in
    the first frame where it can be measured, so ``Z = X x Y`` is the direction the
    performer faces: **azimuth 0 looks at the performer's front**, with the performer's
    left on the image's right, as when facing someone. If no left/right pair is visible it
    falls back to ``"data"``.
  - ``"data"``: from the data axes. ``X`` is the data's x axis (y if x is up), ``Y`` the up
    axis, ``Z = X x Y``. For image-like data (``"-y"``) azimuth 0 is the original camera's
    view; for ``"+y"`` data the camera sits on +z looking at -z; for ``"+z"`` it sits on -y.

* **camera frame**: ``u`` to the image's right, ``v`` up in the image, ``depth`` towards the
  camera (larger is nearer). Projection is orthographic: ``(u, v)`` in the data's units.

Angles, in degrees:

* ``azim``: the camera circles the up axis counter-clockwise seen from above (right-hand
  rule about up). **Positive azimuth moves the camera to the performer's left**: at
  ``azim=90`` the camera looks at the performer's left side and the performer faces the
  image's left; ``azim=180`` shows the back.
* ``elev``: the camera rises above the horizontal plane and looks down; ``elev=90`` looks
  straight down.

In matrices: ``camera = Rx(elev) @ Ry(-azim) @ view_from_data`` applied to data points
(the world turns the opposite way to the camera).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from scipy.spatial.transform import Rotation

from skeleton_io.checks import check_angle
from skeleton_io.convert import joint_names
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.pose import PoseSequence

Front = Literal["auto", "data"]
"""How the view frame is chosen (see the module docstring)."""
FRONTS: tuple[str, ...] = get_args(Front)
Follow = Literal["auto", "yes", "no"]
"""Whether the camera follows the performer (``auto``: when their path is longer than their height)."""
FOLLOWS: tuple[str, ...] = get_args(Follow)
_AXES = {"x": 0, "y": 1, "z": 2}
# Left/right pairs that give the body's facing best (the torso, not the limbs).
_TORSO_PAIRS = (("LHip", "RHip"), ("LShoulder", "RShoulder"))


def up_vector(up: str) -> np.ndarray:
    """Unit vector of an up axis named ``"+y"``, ``"-y"``, ``"z"``, ... in data coordinates."""
    s = str(up).strip().lower()
    sign = -1.0 if s.startswith("-") else 1.0
    axis = s.lstrip("+-")
    if axis not in _AXES:
        raise InvalidArgumentError(f"up axis {up!r} is not one of +x, -x, +y, -y, +z, -z")
    v = np.zeros(3)
    v[_AXES[axis]] = sign
    return v


def _frame_from(right: np.ndarray, up: np.ndarray) -> Rotation:
    """Rotation taking data coordinates to a frame with X = right, Y = up, Z = X x Y."""
    x = right - np.dot(right, up) * up
    x /= np.linalg.norm(x)
    z = np.cross(x, up)
    return Rotation.from_matrix(np.stack([x, up, z]))


def data_view_frame(up: str) -> Rotation:
    """The ``"data"`` view frame: X the data's x axis (y when x is up), Y up, Z = X x Y."""
    u = up_vector(up)
    right = np.array([0.0, 1.0, 0.0]) if abs(u[0]) > 0.5 else np.array([1.0, 0.0, 0.0])
    return _frame_from(right, u)


def left_vector(seq: PoseSequence) -> tuple[np.ndarray, int] | None:
    """The performer's right-to-left vector (data coordinates) and the frame it was taken in.

    Uses hips and shoulders when the skeleton names them (BVH names through its joint map),
    else every left/right pair; the first frame where at least one pair is visible.
    """
    names = joint_names(seq)
    index = {n: i for i, n in enumerate(names)}
    pairs = [(index[a], index[b]) for a, b in _TORSO_PAIRS if a in index and b in index]
    if not pairs:
        pairs = list(seq.skeleton.symmetry)
    if not pairs:
        return None
    left = np.array([p[0] for p in pairs])
    right = np.array([p[1] for p in pairs])
    ok = seq.visible[:, left] & seq.visible[:, right]  # (T, P)
    usable = np.flatnonzero(ok.any(axis=1))
    if usable.size == 0:
        return None
    t = int(usable[0])
    diff = seq.coords[t, left] - seq.coords[t, right]  # (P, 3)
    vec = diff[ok[t]].mean(axis=0)
    return vec, t


def view_frame(seq: PoseSequence, front: Front = "auto") -> Rotation:
    """Rotation from ``seq``'s data frame to its view frame (see the module docstring)."""
    if front not in FRONTS:
        raise InvalidArgumentError(f"front {front!r} is not one of {', '.join(FRONTS)}")
    if seq.dims != 3:
        raise InvalidArgumentError(
            f"a view of a {seq.dims}D sequence was asked for; views need 3D coordinates"
        )
    u = up_vector(seq.up)
    if front == "auto":
        found = left_vector(seq)
        if found is not None:
            vec = found[0]
            horizontal = vec - np.dot(vec, u) * u
            if np.linalg.norm(horizontal) > 1e-9 * max(1.0, float(np.linalg.norm(vec))):
                return _frame_from(horizontal, u)
    return data_view_frame(seq.up)


def camera_rotation(azim: float = 0.0, elev: float = 0.0) -> Rotation:
    """Rotation from the view frame to the camera frame: ``Rx(elev) @ Ry(-azim)``.

    Raises:
        InvalidArgumentError: an angle that is not a finite number of degrees.
    """
    azim, elev = check_angle(azim, "azim"), check_angle(elev, "elev")
    return Rotation.from_euler("yx", [-azim, elev], degrees=True)


def view_rotation(
    seq: PoseSequence, azim: float = 0.0, elev: float = 0.0, front: Front = "auto"
) -> Rotation:
    """Rotation from ``seq``'s data frame straight to the camera frame."""
    return camera_rotation(azim, elev) * view_frame(seq, front)


def project_points(points: np.ndarray, rotation: Rotation) -> tuple[np.ndarray, np.ndarray]:
    """Orthographic projection of ``(..., 3)`` data points.

    Returns ``(uv, depth)``: ``(..., 2)`` image coordinates (u right, v UP, data units) and
    ``(...)`` depth towards the camera.
    """
    pts = np.asarray(points, dtype=float)
    cam = rotation.apply(pts.reshape(-1, 3)).reshape(pts.shape)
    return cam[..., :2], cam[..., 2]


@dataclass
class Projection:
    """A 3D sequence seen by the camera.

    Attributes:
        seq: 2D sequence of the image coordinates (u right, v UP: ``up="+y"``; the source's
            units; same confidence, skeleton, fps and metadata plus ``meta["view"]``).
        depth: ``(T, J)`` distance towards the camera (larger is nearer).
        rotation: data frame to camera frame.
    """

    seq: PoseSequence
    depth: np.ndarray
    rotation: Rotation


def project(
    seq: PoseSequence, azim: float = 0.0, elev: float = 0.0, front: Front = "auto"
) -> Projection:
    """Look at a 3D sequence from azimuth ``azim`` and elevation ``elev`` (degrees)."""
    rot = view_rotation(seq, azim, elev, front)
    uv, depth = project_points(seq.coords, rot)
    depth = np.where(seq.visible, depth, 0.0)
    uv = np.where(seq.visible[..., None], uv, 0.0)
    out = seq.with_coords(uv, up="+y", canvas=None, world=None)
    out.meta["view"] = {"azim": float(azim), "elev": float(elev), "front": front}
    return Projection(out, depth, rot)
