"""Shared test helpers: tests make their own data; real-data tests find ../shared or skip."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from skeleton_io import OPENPOSE15, PoseSequence, Skeleton

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RETARGET_SHARED", ROOT.parent / "shared"))
MEDIA = Path(os.environ.get("RETARGET_MEDIA", SHARED / "media"))
MOCAP = Path(os.environ.get("RETARGET_MOCAP", SHARED / "mocap"))
OPENPOSE_REAL = Path(os.environ.get("RETARGET_OPENPOSE_REAL", SHARED / "openpose_real"))


def need(path: Path) -> Path:
    """Skip the test with a clear reason when shared data is absent (a fresh clone)."""
    if not path.exists():
        pytest.skip(f"needs shared data at {path} (present in CI, absent in a fresh clone)")
    return path


def make_pose_sequence(
    skeleton: Skeleton = OPENPOSE15,
    frames: int = 8,
    dims: int = 2,
    seed: int = 0,
    canvas: tuple[int, int] | None = (640, 480),
    fps: float = 25.0,
) -> PoseSequence:
    """A random but valid sequence with a few missing joints."""
    rng = np.random.default_rng(seed)
    coords = rng.uniform(10, 400, size=(frames, skeleton.num_joints, dims))
    conf = rng.uniform(0.2, 1.0, size=(frames, skeleton.num_joints))
    conf[rng.random(conf.shape) < 0.1] = 0.0
    coords[conf == 0] = 0.0
    return PoseSequence(coords, conf, skeleton, fps=fps, canvas=canvas)


@pytest.fixture
def pose_seq() -> PoseSequence:
    return make_pose_sequence()


# A standing person in units of body height, origin at the top of the head, x right, y down
# (BODY_25 joints; the person's right is on the image's left).
_BODY25_TEMPLATE = {
    "Nose": (0.0, 0.06), "Neck": (0.0, 0.16), "RShoulder": (-0.11, 0.17),
    "RElbow": (-0.15, 0.32), "RWrist": (-0.17, 0.46), "LShoulder": (0.11, 0.17),
    "LElbow": (0.15, 0.32), "LWrist": (0.17, 0.46), "MidHip": (0.0, 0.50),
    "RHip": (-0.06, 0.50), "RKnee": (-0.07, 0.73), "RAnkle": (-0.07, 0.95),
    "LHip": (0.06, 0.50), "LKnee": (0.07, 0.73), "LAnkle": (0.07, 0.95),
    "REye": (-0.02, 0.045), "LEye": (0.02, 0.045), "REar": (-0.045, 0.055),
    "LEar": (0.045, 0.055), "LBigToe": (0.10, 0.99), "LSmallToe": (0.12, 0.98),
    "LHeel": (0.06, 0.97), "RBigToe": (-0.10, 0.99), "RSmallToe": (-0.12, 0.98),
    "RHeel": (-0.06, 0.97),
}  # fmt: skip


def _hand(wrist: np.ndarray, direction: float, size: float, rng) -> np.ndarray:
    """21 hand points: the root at the wrist, five fingers fanned around ``direction``."""
    pts = [wrist + rng.normal(0, 0.003, 2)]
    for f in range(5):
        a = direction + np.radians(-50 + 25 * f + rng.normal(0, 5))
        for k in range(1, 5):
            r = size * (0.25 + 0.19 * k) * (0.75 if f == 0 else 1.0)
            pts.append(wrist + r * np.array([np.cos(a), np.sin(a)]))
    return np.array(pts)


def _face(nose: np.ndarray, size: float) -> np.ndarray:
    """70 face points (iBUG 68 order, then the right and left pupil) around ``nose``."""
    jaw = [(np.cos(t) * 0.5, 0.1 + np.sin(t) * 0.55) for t in np.linspace(np.pi, 0, 17)][::-1]
    jaw = [(-x, y) for x, y in jaw]  # point 0 on the person's right (image left)
    brows = [(-0.38 + 0.07 * k, -0.30) for k in range(5)] + [
        (0.10 + 0.07 * k, -0.30) for k in range(5)
    ]
    nose_pts = [(0.0, -0.22 + 0.07 * k) for k in range(4)] + [
        (-0.1 + 0.05 * k, 0.05) for k in range(5)
    ]
    eye = [(-0.12, 0), (-0.06, -0.03), (0.0, -0.03), (0.06, 0), (0.0, 0.03), (-0.06, 0.03)]
    eyes = [(x - 0.18, y - 0.15) for x, y in eye] + [(x + 0.18, y - 0.15) for x, y in eye]
    mouth = [
        (0.22 * np.cos(t), 0.25 + 0.09 * np.sin(t)) for t in np.linspace(np.pi, -np.pi, 13)[:-1]
    ]
    inner = [
        (0.14 * np.cos(t), 0.25 + 0.04 * np.sin(t)) for t in np.linspace(np.pi, -np.pi, 9)[:-1]
    ]
    pupils = [(-0.18, -0.15), (0.18, -0.15)]
    pts = np.array(jaw + brows + nose_pts + eyes + mouth + inner + pupils)
    return nose + size * pts


def make_wholebody_sequence(
    frames: int = 6,
    seed: int = 0,
    canvas: tuple[int, int] = (512, 768),
    drop: float = 0.1,
) -> PoseSequence:
    """A plausible moving person on ``openpose_wholebody`` (BODY_25, 70-point face, hands),
    with confidences in (0, 1], some points missing and some below 0.3."""
    from skeleton_io import OPENPOSE_WHOLEBODY as SK

    rng = np.random.default_rng(seed)
    w, h = canvas
    height = 0.8 * h
    coords = np.zeros((frames, SK.num_joints, 2))
    for t in range(frames):
        origin = np.array([w / 2 + rng.normal(0, 0.03 * w), 0.1 * h])
        for name, (x, y) in _BODY25_TEMPLATE.items():
            coords[t, SK.idx(name)] = origin + height * (np.array([x, y]) + rng.normal(0, 0.01, 2))
        for side, sign in (("L", 1), ("R", -1)):
            wrist = coords[t, SK.idx(f"{side}Wrist")]
            hand = _hand(wrist, np.radians(90 - sign * 20), 0.1 * height, rng)
            idx = [SK.idx(n) for n in _hand_names(side)]
            coords[t, idx] = hand
        nose = coords[t, SK.idx("Nose")]
        coords[t, [SK.idx(n) for n in _face_names()]] = _face(nose, 0.11 * height)
    conf = rng.uniform(0.35, 1.0, size=coords.shape[:2])
    conf[rng.random(conf.shape) < drop] = 0.0
    conf[rng.random(conf.shape) < drop / 2] = 0.2  # below the annotator's threshold
    coords[conf == 0] = 0.0
    return PoseSequence(coords, conf, SK, fps=24.0, canvas=canvas)


def _hand_names(side: str) -> tuple[str, ...]:
    from skeleton_io.wholebody import hand_names

    return hand_names(side)


def _face_names() -> tuple[str, ...]:
    from skeleton_io.wholebody import FACE70

    return FACE70


def make_square_clip(n: int = 24, size: tuple[int, int] = (40, 32)) -> Any:
    """A grey square moving right over a dark scene; the reference draws it half as bright
    (the network must learn the brightness); part map 0 marks it (the rest are empty): a
    :class:`retarget.render.learned.RenderInputs`."""
    from retarget.render.learned import RenderInputs
    from retarget.render.learned.features import CHANNELS

    w, h = size
    real = np.full((n, h, w, 3), 30, np.uint8)
    ref = real.copy()
    maps = np.zeros((n, len(CHANNELS), h // 2, w // 2), np.uint8)
    boxes = np.zeros((n, 4), np.float32)
    for t in range(n):
        x = 4 + t % 20
        real[t, 10:22, x : x + 12] = 200
        ref[t, 10:22, x : x + 12] = 100
        maps[t, 0, 5:11, x // 2 : x // 2 + 6] = 255
        boxes[t] = (x - 2, 8, x + 14, 24)
    return RenderInputs(ref, maps, boxes, real[0] * 0 + 30, real, np.arange(n))
