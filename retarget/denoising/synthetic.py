"""Smooth synthetic 2D motion with a known answer, for tests and benchmarks of denoisers.

:func:`synthetic_motion` poses a stick figure by 2D forward kinematics: every joint turns the
bones below it by a sum of random sinusoids, and the whole figure drifts and bobs. Pixels,
x right, y down (as detector output), body height about ``height`` pixels.
"""

from __future__ import annotations

import numpy as np

from skeleton_io.errors import SkeletonMismatchError
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import Skeleton, get_skeleton

# A standing figure facing the camera (the person's right is the image's left), in body
# heights, MidHip at the origin, y down.
TEMPLATE: dict[str, tuple[float, float]] = {
    "MidHip": (0.0, 0.0), "Neck": (0.0, -0.30), "Nose": (0.0, -0.40),
    "REye": (-0.02, -0.42), "LEye": (0.02, -0.42), "REar": (-0.045, -0.41),
    "LEar": (0.045, -0.41), "RShoulder": (-0.10, -0.30), "RElbow": (-0.12, -0.14),
    "RWrist": (-0.13, 0.0), "LShoulder": (0.10, -0.30), "LElbow": (0.12, -0.14),
    "LWrist": (0.13, 0.0), "RHip": (-0.06, 0.0), "RKnee": (-0.065, 0.24),
    "RAnkle": (-0.07, 0.48), "LHip": (0.06, 0.0), "LKnee": (0.065, 0.24),
    "LAnkle": (0.07, 0.48), "RHeel": (-0.075, 0.50), "RBigToe": (-0.09, 0.52),
    "RSmallToe": (-0.11, 0.51), "LHeel": (0.075, 0.50), "LBigToe": (0.09, 0.52),
    "LSmallToe": (0.11, 0.51),
}  # fmt: skip

_LIMB = ("Shoulder", "Elbow", "Hip", "Knee")


def synthetic_motion(
    skeleton: str | Skeleton = "body25",
    frames: int = 150,
    fps: float = 30.0,
    *,
    seed: int = 0,
    height: float = 400.0,
    max_freq: float = 2.0,
    amplitude: float = 0.6,
    canvas: tuple[int, int] = (720, 720),
) -> PoseSequence:
    """A smooth random motion of a stick figure (every joint present).

    Args:
        skeleton: one whose joints are all in :data:`TEMPLATE` (``openpose15``, ``body25``,
            ``coco17``).
        frames, fps: length and frame rate.
        seed: the random motion.
        height: body height in pixels.
        max_freq: highest frequency of the joint rotations in Hz (fast motion: 3 and up).
        amplitude: rotation amplitude of shoulders, elbows, hips and knees in radians
            (other joints get a quarter of it).
        canvas: the frame size; the figure stands in its middle.
    """
    sk = get_skeleton(skeleton)
    missing = [j for j in sk.joints if j not in TEMPLATE]
    if missing:
        raise SkeletonMismatchError(
            f"synthetic_motion has no template for {', '.join(missing)}; use body25, "
            "openpose15 or coco17"
        )
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    J = sk.num_joints

    def wave(amp: float, fmin: float, fmax: float, n: int = 3) -> np.ndarray:
        f = rng.uniform(fmin, fmax, n)
        phase = rng.uniform(0, 2 * np.pi, n)
        a = amp * rng.uniform(0.3, 1.0, n) / n
        return (a[:, None] * np.sin(2 * np.pi * f[:, None] * t + phase[:, None])).sum(0)

    local = np.stack(
        [
            wave(amplitude if sk.joints[j].endswith(_LIMB) else amplitude / 4, 0.2, max_freq)
            for j in range(J)
        ],
        axis=1,
    )  # (T, J) rotation of the bones below each joint
    template = np.array([TEMPLATE[j] for j in sk.joints]) * height
    pos = np.zeros((frames, J, 2))
    angle = np.zeros((frames, J))
    root = np.stack([wave(0.3 * height, 0.05, 0.4), wave(0.03 * height, 0.5, 2.0)], axis=1)
    centre = np.array(canvas, dtype=float) / 2
    for j in _topological(sk):
        p = sk.parents[j]
        if p < 0:
            pos[:, j] = centre + template[j] + root
            angle[:, j] = local[:, j]
            continue
        g = angle[:, p]
        c, s = np.cos(g), np.sin(g)
        dx, dy = template[j] - template[p]
        pos[:, j] = pos[:, p] + np.stack([c * dx - s * dy, s * dx + c * dy], axis=1)
        angle[:, j] = g + local[:, j]
    return PoseSequence(
        pos, np.ones((frames, J)), sk, fps=fps, canvas=canvas, meta={"synthetic_seed": seed}
    )


def _topological(sk: Skeleton) -> list[int]:
    order: list[int] = []
    done: set[int] = set()
    while len(order) < sk.num_joints:
        for j, p in enumerate(sk.parents):
            if j not in done and (p < 0 or p in done):
                order.append(j)
                done.add(j)
    return order
