"""A motion performed by a performer, seen from a view: camera-frame 3D and pixels.

Camera and angles as :mod:`retarget.geometry` defines them. A view's ``yaw`` is relative to
the motion's *mean facing* over the window: yaw 0 shows the performer facing the camera on
average, +90 in profile facing the image's right. The mean facing is measured once per motion
window (on the clip's own character) and used for every performer of that motion, so two
performers of one motion under one view are seen by the same camera.

Pixels: :data:`PX_PER_CM` pixels per centimetre on a :data:`CANVAS` canvas, the first frame's
MidHip at the canvas centre; x right, y down. The 3D comes in the same pixel units, camera
frame, with the first frame's MidHip at ``(cx, cy, 0)``, so ``coords3d[..., :2]`` are the pixels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from skeleton_io.pose import PoseSequence, pixel_sequence
from skeleton_io.skeleton import OPENPOSE15

from ..geometry import HIP, bone_lengths, mean_facing_yaw, rotate, to_camera_frame
from .mocap import FPS, MocapLibrary
from .performers import Performer, bone_factors

PX_PER_CM = 2.0
"""Pixels per centimetre of the benchmark's images (a 170 cm person is about 340 px tall)."""
CANVAS = (512, 512)
"""``(width, height)`` of the benchmark's images."""


@dataclass(frozen=True)
class View:
    """A camera relative to the body, in degrees (signs: :mod:`retarget.geometry`)."""

    yaw: float = 0.0
    roll: float = 0.0
    pitch: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def motion_facing(world: np.ndarray) -> float:
    """Mean facing yaw (degrees) of a Y-up world window ``(T, 15, 3)`` in the camera frame."""
    return mean_facing_yaw(to_camera_frame(world))


def camera_coords(
    world: np.ndarray,
    view: View,
    facing_yaw: float,
    px_per_cm: float = PX_PER_CM,
    canvas: tuple[int, int] = CANVAS,
) -> np.ndarray:
    """``(T, 15, 3)`` camera-frame pixels of a Y-up world window (cm) seen from ``view``.

    The body is first turned by ``-facing_yaw`` (to face the camera on average), then by the
    view, about the vertical through the first frame's MidHip, which lands at the canvas
    centre (depth 0).
    """
    cam = to_camera_frame(world)
    center = cam[0, HIP]
    cam = rotate(cam, view.yaw - facing_yaw, roll=view.roll, pitch=view.pitch, center=center)
    offset = np.array([canvas[0] / 2, canvas[1] / 2, 0.0])
    return (cam - center) * px_per_cm + offset


def to_sequence(
    coords2d: np.ndarray,
    canvas: tuple[int, int] = CANVAS,
    fps: float = FPS,
    meta: dict | None = None,
    confidence: np.ndarray | None = None,
) -> PoseSequence:
    """A 2D ``openpose15`` pixel sequence (confidence 1 unless given)."""
    conf = np.ones(coords2d.shape[:2]) if confidence is None else confidence
    return pixel_sequence(coords2d, conf, OPENPOSE15, fps, canvas, dict(meta or {}))


@dataclass
class Window:
    """A motion: frames ``start:stop`` of a clip, with its mean facing measured once."""

    clip: str
    start: int
    stop: int
    facing_yaw: float

    @property
    def num_frames(self) -> int:
        return self.stop - self.start

    def to_dict(self) -> dict:
        return asdict(self)


def make_window(lib: MocapLibrary, clip: str, start: int, stop: int) -> Window:
    """A :class:`Window` with its facing measured on the clip's own character."""
    world = lib.pose(clip, None, start, stop)
    return Window(clip, int(start), int(stop), motion_facing(world))


def transfer_performer(lib: MocapLibrary, clip: str, performer: Performer) -> Performer:
    """``performer`` as one that can perform ``clip``.

    A character of the clip's rig performs it by forward kinematics (exact; see
    :mod:`retarget.data.mocap`). A character of another rig (another hierarchy convention,
    where no joint rotation carries over) is stood in for by the clip's own character with
    every ``openpose15`` bone scaled to the performer's length (per-bone factors against the
    clip's own median bone lengths): each bone keeps the clip's direction, the answer inverse
    kinematics on the 15 joints gives (:func:`skeleton_io.formats.bvh.bvh_from_positions`
    with the performer's bone lengths).
    """
    c = lib.clips[clip]
    if performer.character in c.poses:
        return performer
    target = lib.characters[performer.character].bones * bone_factors(np.array(performer.factors))
    own = bone_lengths(lib.pose(clip), 50)
    per_bone = tuple(float(x) for x in target / own)
    return Performer(performer.name, c.character, per_bone, performer.global_scale)


def perform(lib: MocapLibrary, window: Window, performer: Performer) -> np.ndarray:
    """``(T, 15, 3)`` Y-up world positions (cm) of the window performed by ``performer``
    (a character of another rig through :func:`transfer_performer`)."""
    c = lib.clips[window.clip]
    performer = transfer_performer(lib, window.clip, performer)
    world = lib.pose(window.clip, performer.character, window.start, window.stop)
    return performer.apply(world, floor=c.floor, up=1)


def render(
    lib: MocapLibrary,
    window: Window,
    performer: Performer,
    view: View,
    px_per_cm: float = PX_PER_CM,
    canvas: tuple[int, int] = CANVAS,
) -> np.ndarray:
    """``(T, 15, 3)`` camera-frame pixels of ``window`` performed by ``performer`` from ``view``.

    ``[..., :2]`` is the 2D image (see the module docstring).
    """
    world = perform(lib, window, performer)
    return camera_coords(world, view, window.facing_yaw, px_per_cm, canvas)
