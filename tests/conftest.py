"""Shared test helpers: tests make their own data; real-data tests find ../shared or skip."""

from __future__ import annotations

import os
from pathlib import Path

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
