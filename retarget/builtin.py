"""Built-in inputs: a short synthetic dance and a few body types the project defines itself.

No third-party files: the motion is made from joint angles over time and the body types
from bone lengths chosen here, so demos and tests run on a fresh install.

Convention: 3D points in the *camera frame* of :mod:`retarget.geometry`: x to the image's
right, y DOWN, z AWAY from the camera, in centimetres. The performer faces the camera at
yaw 0, so its left side is on the image's right (+x). Ground at ``y = 0`` is *not* assumed:
the hip starts at the origin and the feet are below it (positive y).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE15


@dataclass(frozen=True)
class BodyType:
    """Bone lengths (cm) of a performer on the openpose15 skeleton.

    ``spine``: MidHip to Neck; ``head``: Neck to Nose; ``shoulder``: Neck to each shoulder;
    ``upper_arm``, ``forearm``; ``hip``: MidHip to each hip; ``thigh``, ``shin``.
    """

    name: str
    spine: float
    head: float
    shoulder: float
    upper_arm: float
    forearm: float
    hip: float
    thigh: float
    shin: float

    @property
    def height(self) -> float:
        """Standing height from ankle to nose (cm), the unit of the benchmark's errors."""
        return self.shin + self.thigh + self.spine + self.head

    def to_dict(self) -> dict:
        return asdict(self)


BODY_TYPES: dict[str, BodyType] = {
    b.name: b
    for b in (
        BodyType("average", spine=52, head=22, shoulder=19, upper_arm=29, forearm=26, hip=10, thigh=43, shin=42),
        BodyType("tall", spine=60, head=24, shoulder=21, upper_arm=34, forearm=30, hip=11, thigh=51, shin=50),
        BodyType("small", spine=40, head=19, shoulder=14, upper_arm=21, forearm=19, hip=8, thigh=31, shin=30),
        BodyType("stocky", spine=50, head=20, shoulder=24, upper_arm=26, forearm=23, hip=14, thigh=36, shin=35),
        BodyType("long_legs", spine=46, head=21, shoulder=18, upper_arm=30, forearm=27, hip=9, thigh=52, shin=52),
    )
}  # fmt: skip
"""Body types of the demo, by name. Heights 139 (small) to 185 cm (tall)."""

DOWN = np.array([0.0, 1.0, 0.0])


def _limb(side: int, abduction: np.ndarray, flexion: np.ndarray) -> np.ndarray:
    """Unit directions (T, 3) of a limb that hangs down at 0 degrees.

    ``abduction`` (degrees) swings it out sideways, away from the body (``side`` +1 for the
    performer's left, on +x; -1 for the right); ``flexion`` (degrees) swings it forward,
    towards the camera (-z).
    """
    angles = np.stack(np.broadcast_arrays(-side * abduction, -flexion), axis=-1)
    return Rotation.from_euler("zx", angles, degrees=True).apply(DOWN)


def builtin_motion(
    body: str | BodyType = "average", frames: int = 90, fps: float = 30.0
) -> PoseSequence:
    """A short dance (arm waves, a knee bounce and a side step) on a body type, in 3D.

    The joint *angles* depend only on time, never on the body: the same call with two body
    types is the exact answer of retargeting one onto the other.

    Returns:
        A 3D openpose15 :class:`PoseSequence` in the camera frame (cm, y down, z away from the
        camera), confidence 1, ``up="-y"``, ``meta["body_type"]`` the bone lengths.
    """
    b = BODY_TYPES[body] if isinstance(body, str) else body
    t = np.arange(frames) / fps
    w = 2 * np.pi * 0.8  # 0.8 Hz beat
    ph = w * t
    # Root: side-to-side sway, a bounce on the beat, a slow drift to the performer's left.
    bounce = 4.0 * (1 - np.cos(2 * ph)) / 2  # cm, down (+y) when knees bend
    sway = 6.0 * np.sin(ph)
    root = np.stack([sway + 0.15 * b.thigh * t, bounce, np.zeros_like(t)], axis=1)
    root *= (b.thigh + b.shin) / 85.0  # translation scales with leg length
    # Torso: lean follows the sway a little.
    lean = Rotation.from_euler("z", 6 * np.sin(ph)[:, None], degrees=True)
    up = lean.apply(-DOWN)
    lateral = lean.apply(np.array([1.0, 0.0, 0.0]))  # towards the performer's left (+x)
    neck = root + b.spine * up
    nose = neck + b.head * Rotation.from_euler(
        "x", 10 * np.sin(2 * ph)[:, None], degrees=True
    ).apply(up)
    l_sh = neck + b.shoulder * lateral
    r_sh = neck - b.shoulder * lateral
    # Arms: waves in opposite phase; elbows bend with the wave.
    l_up = _limb(+1, 70 + 50 * np.sin(ph), 20 * np.cos(ph))
    r_up = _limb(-1, 70 + 50 * np.sin(ph + np.pi), 20 * np.cos(ph + np.pi))
    l_fo = _limb(+1, 100 + 60 * np.sin(ph + 0.6), 30 + 25 * np.sin(2 * ph))
    r_fo = _limb(-1, 100 + 60 * np.sin(ph + np.pi + 0.6), 30 + 25 * np.sin(2 * ph + 1))
    l_el = l_sh + b.upper_arm * l_up
    r_el = r_sh + b.upper_arm * r_up
    l_wr = l_el + b.forearm * l_fo
    r_wr = r_el + b.forearm * r_fo
    # Legs: hips level with the pelvis; knees bend with the bounce, alternate small kicks.
    l_hip = root + b.hip * lateral
    r_hip = root - b.hip * lateral
    knee_bend = 25 * (1 - np.cos(2 * ph)) / 2
    kick = 15 * np.maximum(np.sin(ph), 0)
    r_kick = 15 * np.maximum(-np.sin(ph), 0)
    l_th = _limb(+1, 4.0, knee_bend + kick)
    r_th = _limb(-1, 4.0, knee_bend + r_kick)
    l_sn = _limb(+1, 0.0, -(knee_bend + kick * 0.5))  # the shin swings back: the knee bends
    r_sn = _limb(-1, 0.0, -(knee_bend + r_kick * 0.5))
    l_kn = l_hip + b.thigh * l_th
    r_kn = r_hip + b.thigh * r_th
    l_an = l_kn + b.shin * l_sn
    r_an = r_kn + b.shin * r_sn
    by_name = {
        "Nose": nose, "Neck": neck, "RShoulder": r_sh, "RElbow": r_el, "RWrist": r_wr,
        "LShoulder": l_sh, "LElbow": l_el, "LWrist": l_wr, "MidHip": root, "RHip": r_hip,
        "RKnee": r_kn, "RAnkle": r_an, "LHip": l_hip, "LKnee": l_kn, "LAnkle": l_an,
    }  # fmt: skip
    coords = np.stack([by_name[j] for j in OPENPOSE15.joints], axis=1)
    return PoseSequence(
        coords=coords,
        confidence=np.ones(coords.shape[:2]),
        skeleton=OPENPOSE15,
        fps=fps,
        units="cm",
        up="-y",
        meta={"source": "builtin", "body_type": b.to_dict(), "frame": "camera"},
    )


def project_to_canvas(
    seq3d: PoseSequence,
    canvas: tuple[int, int] = (512, 512),
    yaw: float = 0.0,
    px_per_cm: float = 2.0,
) -> PoseSequence:
    """Orthographic image of a 3D camera-frame sequence (cm) on a pixel canvas.

    The performer is turned by ``yaw`` degrees about the vertical through its first hip
    position (:func:`retarget.geometry.rotate`: positive turns it towards its own left),
    projected by dropping z, and scaled by ``px_per_cm``, so bodies keep their relative
    sizes; the first frame's hip is centred horizontally, at 45% of the canvas height.
    Pixels: x right, y down, origin top-left.
    """
    from .geometry import HIP, rotate

    pts = rotate(seq3d.coords, yaw, center=seq3d.coords[0, HIP])
    xy = (pts[..., :2] - pts[0, HIP, :2]) * px_per_cm + np.array([canvas[0] / 2, 0.45 * canvas[1]])
    out = seq3d.with_coords(xy, canvas=canvas, units="px", up="-y")
    out.meta.update(yaw=yaw, px_per_cm=px_per_cm)
    return out


# ------------------------------------------------------------------ hands and face
HAND_TO_FOREARM = 0.75
"""Hand length (wrist to middle finger tip) over forearm length (about 19 / 26 cm)."""
FACE_TO_HEAD = 0.7
"""Face height (brows to chin) over the neck-nose bone."""

_FINGER_ANGLES = (-48.0, -16.0, 0.0, 14.0, 28.0)  # thumb .. pinky, degrees from the forearm
_FINGER_REACH = (
    (0.22, 0.42, 0.58, 0.72),  # thumb CMC, MCP, IP, tip
    (0.48, 0.70, 0.84, 0.96),
    (0.50, 0.74, 0.89, 1.00),
    (0.48, 0.70, 0.84, 0.95),
    (0.44, 0.62, 0.74, 0.84),
)


def hand_template(side: str) -> np.ndarray:
    """``(21, 2)`` hand points (OpenPose's order) in units of the hand length, pointing along
    +x, the thumb towards -y for the left hand (+y for the right): relaxed fingers fanned."""
    sign = -1.0 if side == "L" else 1.0
    pts = [np.zeros(2)]
    for angle, reach in zip(_FINGER_ANGLES, _FINGER_REACH):
        a = np.deg2rad(angle) * -sign
        pts += [r * np.array([np.cos(a), np.sin(a)]) for r in reach]
    return np.array(pts)


def face_template() -> np.ndarray:
    """``(70, 2)`` face points (iBUG 68 order, then the right and left pupils) in units of
    the face height (brows to chin), the nose tip at the origin, x to the image's right
    (the person's left), y down, seen from the front."""
    t = np.linspace(np.pi, 0, 17)  # from the person's right ear (the image's left)
    jaw = np.stack([0.42 * np.cos(t), -0.2 + 0.62 * np.sin(t)], 1)
    brows = [(-0.36 + 0.065 * k, -0.42 + 0.02 * abs(k - 2)) for k in range(5)]
    brows += [(0.10 + 0.065 * k, -0.42 + 0.02 * abs(k - 2)) for k in range(5)]
    nose = [(0.0, -0.30 + 0.075 * k) for k in range(4)] + [
        (-0.09 + 0.045 * k, 0.02) for k in range(5)
    ]
    eye = [(-0.09, 0), (-0.045, -0.03), (0.0, -0.03), (0.045, 0), (0.0, 0.025), (-0.045, 0.025)]
    eyes = [(x - 0.18, y - 0.22) for x, y in eye] + [(x + 0.18, y - 0.22) for x, y in eye]
    turns = np.linspace(np.pi, -np.pi, 13)[:-1]  # the upper lip first, from the right corner
    lips = [(0.17 * np.cos(a), 0.2 - 0.06 * np.sin(a)) for a in turns]
    inner = [
        (0.11 * np.cos(a), 0.2 - 0.025 * np.sin(a)) for a in np.linspace(np.pi, -np.pi, 9)[:-1]
    ]
    pupils = [(-0.18, -0.22), (0.18, -0.22)]
    return np.array([*map(tuple, jaw), *brows, *nose, *eyes, *lips, *inner, *pupils])


def _turn(points: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """``(P, 2)`` template points turned by ``(T,)`` angles (radians): ``(T, P, 2)``."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    return np.stack([c * points[:, 0] - s * points[:, 1], s * points[:, 0] + c * points[:, 1]], -1)


def with_hands_and_face(seq2d: PoseSequence) -> PoseSequence:
    """A 2D sequence with template hands and a face added (``openpose_wholebody``): each hand
    (:func:`hand_template`, :data:`HAND_TO_FOREARM` of the forearm's longest 2D length)
    continues its forearm from the wrist, the face (:func:`face_template`,
    :data:`FACE_TO_HEAD` of the neck-nose length) sits on the nose, upright along the
    neck-nose direction. For demos and tests of whole-body retargeting; pixels, y down."""
    from skeleton_io import convert
    from skeleton_io import wholebody as wb
    from skeleton_io.skeleton import OPENPOSE_WHOLEBODY as SK

    out = convert(seq2d, SK)
    coords, conf = out.coords.copy(), out.confidence.copy()

    def joint(name: str) -> np.ndarray:
        return coords[:, SK.idx(name)]

    for side, names in (("L", wb.LEFT_HAND), ("R", wb.RIGHT_HAND)):
        arm = joint(f"{side}Wrist") - joint(f"{side}Elbow")
        size = HAND_TO_FOREARM * np.linalg.norm(arm, axis=-1).max()
        pts = size * _turn(hand_template(side), np.arctan2(arm[:, 1], arm[:, 0]))
        idx = [SK.idx(n) for n in names]
        coords[:, idx] = joint(f"{side}Wrist")[:, None] + pts
        conf[:, idx] = np.minimum(conf[:, [SK.idx(f"{side}Wrist")]], 0.9)
    head = joint("Nose") - joint("Neck")
    size = FACE_TO_HEAD * np.linalg.norm(head, axis=-1).max()
    up = np.arctan2(head[:, 1], head[:, 0]) + np.pi / 2  # 0 when the head is upright
    idx = [SK.idx(n) for n in wb.FACE70]
    coords[:, idx] = joint("Nose")[:, None] + size * _turn(face_template(), up)
    conf[:, idx] = np.minimum(conf[:, [SK.idx("Nose")]], 0.9)
    res = out.with_coords(np.where(conf[..., None] > 0, coords, 0.0), conf)
    res.meta.pop("converted_from", None)
    return res
