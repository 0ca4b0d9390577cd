"""The BVH writer for 3D positions that did not come from a BVH file: inverse kinematics on
the ``openpose15`` joints (bone directions followed exactly, median bone lengths, twist lost).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from skeleton_io.errors import PoseFormatError
from skeleton_io.pose import PoseSequence

from .motion import BvhJoint, BvhMotion

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- IK writer
# openpose15 as a BVH hierarchy, depth first: (joint, parent, rest direction, the bone whose
# median length scales it, how its rotation is found). Rest directions are in a canonical body
# frame (x = the person's left, y = up, z = forward): a T-pose. "Spine" and "UpperNeck" sit on
# MidHip and Neck (zero OFFSET) and aim at Neck and Nose, so that every bone direction is
# followed exactly while MidHip and Neck turn with the hip and shoulder lines.
_IkJoint = tuple[str, str | None, tuple[int, int, int], tuple[str, str] | None, tuple | None]
_IK_TREE: tuple[_IkJoint, ...] = (
    ("MidHip", None, (0, 0, 0), None, ("frame", "RHip", "LHip", "MidHip", "Neck")),
    ("RHip", "MidHip", (-1, 0, 0), ("MidHip", "RHip"), ("aim", "RKnee")),
    ("RKnee", "RHip", (0, -1, 0), ("RHip", "RKnee"), ("aim", "RAnkle")),
    ("RAnkle", "RKnee", (0, -1, 0), ("RKnee", "RAnkle"), None),
    ("LHip", "MidHip", (1, 0, 0), ("MidHip", "LHip"), ("aim", "LKnee")),
    ("LKnee", "LHip", (0, -1, 0), ("LHip", "LKnee"), ("aim", "LAnkle")),
    ("LAnkle", "LKnee", (0, -1, 0), ("LKnee", "LAnkle"), None),
    ("Spine", "MidHip", (0, 0, 0), None, ("aim", "Neck")),
    ("Neck", "Spine", (0, 1, 0), ("MidHip", "Neck"),
     ("frame", "RShoulder", "LShoulder", "MidHip", "Neck")),
    ("RShoulder", "Neck", (-1, 0, 0), ("Neck", "RShoulder"), ("aim", "RElbow")),
    ("RElbow", "RShoulder", (-1, 0, 0), ("RShoulder", "RElbow"), ("aim", "RWrist")),
    ("RWrist", "RElbow", (-1, 0, 0), ("RElbow", "RWrist"), None),
    ("LShoulder", "Neck", (1, 0, 0), ("Neck", "LShoulder"), ("aim", "LElbow")),
    ("LElbow", "LShoulder", (1, 0, 0), ("LShoulder", "LElbow"), ("aim", "LWrist")),
    ("LWrist", "LElbow", (1, 0, 0), ("LElbow", "LWrist"), None),
    ("UpperNeck", "Neck", (0, 0, 0), None, ("aim", "Nose")),
    ("Nose", "UpperNeck", (0, 1, 0), ("Neck", "Nose"), None),
)  # fmt: skip
_AT = {"Spine": "MidHip", "UpperNeck": "Neck"}  # where the zero-offset joints sit
_ZYX = ("Zrotation", "Yrotation", "Xrotation")


def _canonical_to_data(up: str) -> np.ndarray:
    """``(3, 3)`` matrix taking the canonical body frame (x left, y up, z forward) to the
    data's axes, with the data's ``up`` axis as up and the first other axis as left."""
    sign = -1.0 if up.startswith("-") else 1.0
    a = "xyz".index(up[-1].lower())
    u = np.zeros(3)
    u[a] = sign
    left = np.zeros(3)
    left[0 if a != 0 else 1] = 1.0
    return np.stack([left, u, np.cross(left, u)], axis=1)


def _unit(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12), n[..., 0] > 1e-12


def _min_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(T, 3, 3)`` the smallest rotations taking unit vector ``a`` (3,) to unit ``b`` (T, 3)."""
    from scipy.spatial.transform import Rotation

    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = b @ a
    angle = np.arctan2(s, c)
    rotvec = np.zeros_like(b)
    ok = s > 1e-12
    rotvec[ok] = axis[ok] / s[ok, None] * angle[ok, None]
    flip = ~ok & (c < 0)  # opposite directions: half a turn about any perpendicular axis
    if flip.any():
        perp = np.cross(a, [1.0, 0, 0] if abs(a[0]) < 0.9 else [0, 1.0, 0])
        rotvec[flip] = perp / np.linalg.norm(perp) * np.pi
    return Rotation.from_rotvec(rotvec).as_matrix()


def _triad(v1: np.ndarray, v2: np.ndarray, r1: np.ndarray, r2: np.ndarray):
    """``(T, 3, 3)`` rotations W with ``W r1`` along ``v1`` exactly and ``W r2`` as near ``v2``
    as that allows (TRIAD; what ``Rotation.align_vectors`` does with an infinite weight on the
    first pair, batched over frames), and ``(T,)`` where it is defined."""

    def frame(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e1, ok1 = _unit(a)
        e2, ok2 = _unit(b - (b * e1).sum(-1, keepdims=True) * e1)
        return np.stack([e1, e2, np.cross(e1, e2)], axis=-1), ok1 & ok2

    obs, ok = frame(v1, v2)
    rest, _ = frame(r1[None], r2[None])
    return np.einsum("tij,tkj->tik", obs, rest), ok


def _ffill(values: np.ndarray, ok: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Replace rows where ``ok`` is False with the last good row (``fill`` before any)."""
    out = values.copy()
    last = fill
    for t in range(len(out)):
        if ok[t]:
            last = out[t]
        else:
            out[t] = last
    return out


def bvh_from_positions(seq: PoseSequence, where: str = "") -> BvhMotion:
    """A BVH motion whose forward kinematics follows ``seq``'s ``openpose15`` joints.

    Inverse kinematics on bone directions. The hierarchy is openpose15 rooted at ``MidHip``
    (translation and rotation channels; every other joint ``Zrotation Yrotation Xrotation``)
    plus two joints with zero OFFSET, ``Spine`` (on MidHip) and ``UpperNeck`` (on Neck). The
    OFFSETs are a T-pose with each bone's median length (x = the person's left, the data's up
    axis as up). Each frame, ``MidHip`` and ``Neck`` turn so that the hip and shoulder lines
    point exactly as observed (their roll from the spine), and every other joint by the
    smallest rotation that points its bone at its child (the twist about a limb is not
    recovered: it moves no joint). Where a joint is missing, the previous frame's rotation is
    kept. Positions come out in the sequence's units and axes; the bones follow the input's
    directions exactly and its lengths up to each frame's difference from the median (exact
    when ``Neck`` and ``MidHip`` are the midpoints and bone lengths are constant).

    A 2D sequence with ``world`` coordinates (BlazePose) uses those, with up ``-y``.
    """
    from scipy.spatial.transform import Rotation

    from skeleton_io.convert import convert

    op = convert(seq, "openpose15")
    if op.dims == 3:
        pts, up = op.coords, seq.up or "+y"
    elif op.world is not None:
        pts, up = op.world, "-y"
    else:
        raise PoseFormatError(f"{where}: BVH output needs 3D poses; this sequence is 2D")
    if up[-1:].lower() not in ("x", "y", "z"):
        up = "+y"
    vis = op.visible
    canon = _canonical_to_data(up)
    T = op.num_frames

    def at(name: str) -> int:
        return op.skeleton.idx(_AT.get(name, name))

    offsets: dict[str, np.ndarray] = {}
    for name, _, rest, bone, _ in _IK_TREE:
        offsets[name] = np.zeros(3)
        if bone is None:
            continue
        a, b = at(bone[0]), at(bone[1])
        ok = vis[:, a] & vis[:, b]
        if not ok.any():
            raise PoseFormatError(
                f"{where}: cannot write BVH: {bone[0]}-{bone[1]} is never visible in any frame"
            )
        length = float(np.median(np.linalg.norm(pts[ok, b] - pts[ok, a], axis=-1)))
        offsets[name] = canon @ np.asarray(rest, dtype=float) * length

    names = [n for n, *_ in _IK_TREE]
    world: dict[str, np.ndarray] = {}
    local: dict[str, np.ndarray] = {}
    eye = np.broadcast_to(np.eye(3), (T, 3, 3))
    for name, parent, _, _, rule in _IK_TREE:
        w_parent = world[parent] if parent else eye
        if rule is None:
            local[name] = np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
        elif rule[0] == "aim":
            child = rule[1]
            j, k = at(name), at(child)
            v, ok = _unit(pts[:, k] - pts[:, j])
            v_local = np.einsum("tji,tj->ti", w_parent, v)  # into the parent's frame
            r, _ = _unit(offsets[child])
            local[name] = _ffill(_min_rotation(r, v_local), ok & vis[:, j] & vis[:, k], np.eye(3))
        else:  # "frame": right-to-left line exactly, roll from the spine
            rj, lj, bj, tj = (at(n) for n in rule[1:])
            w, ok = _triad(
                pts[:, lj] - pts[:, rj], pts[:, tj] - pts[:, bj], canon[:, 0], canon[:, 1]
            )
            ok &= vis[:, [rj, lj, bj, tj]].all(axis=1)
            local[name] = _ffill(np.einsum("tji,tjk->tik", w_parent, w), ok, np.eye(3))
        world[name] = np.einsum("tij,tjk->tik", w_parent, local[name])

    root = at("MidHip")
    cols = [_ffill(pts[:, root], vis[:, root], np.zeros(3))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # gimbal lock: the matrix is still exact
        for name in names:
            cols.append(Rotation.from_matrix(local[name]).as_euler("ZYX", degrees=True))
    has_child = {p for _, p, *_ in _IK_TREE if p}
    joints = []
    for name, parent, _, _, _ in _IK_TREE:
        channels = ("Xposition", "Yposition", "Zposition", *_ZYX) if parent is None else _ZYX
        end = 0.25 * offsets[name] if name not in has_child else None
        joints.append(BvhJoint(name, names.index(parent) if parent else -1, offsets[name],
                               channels, end))  # fmt: skip
    ft = 1.0 / seq.fps
    return BvhMotion(joints, ft, np.concatenate(cols, axis=1), frame_time_str=repr(ft))
