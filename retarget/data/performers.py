"""Performers: one motion, many bodies, with the exact answer of retargeting between them.

A *performer* is a real character of the motion capture (a skeleton measured on a person:
CMU subjects 01, 02, 03 ...) with optional per-limb scale factors on its ``openpose15`` bones
(TransMoMo's limb scaling). "Motion ``m`` performed by performer ``p``" is

1. forward kinematics of ``m``'s joint rotations with the offsets of ``p``'s character (done
   once, in :mod:`retarget.data.mocap`, for every character whose hierarchy matches ``m``'s),
2. then :func:`scale_limbs`: every ``openpose15`` bone vector multiplied by ``p``'s factor for
   that bone, children following their parents, and the hip's trajectory scaled by the leg
   factor about the floor point below the first frame's hip, so that the feet do not slide.

Both steps keep every joint's rotation, so two performers of one motion are the exact answer
of retargeting one onto the other.

Arrays here are ``(T, 15, 3)`` positions in a Y-up world frame (the BVH file's), centimetres,
unless stated otherwise; ``floor`` is the height (y) of the ground.

Limb groups (TransMoMo's 8 local scales, left and right together), in :data:`LIMB_GROUPS`
order: ``neck`` (Neck-Nose), ``shoulders`` (Neck-shoulder), ``arms`` (upper arms),
``forearms``, ``spine`` (MidHip-Neck), ``pelvis`` (MidHip-hip), ``thighs``, ``shins``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from skeleton_io.errors import InvalidArgumentError

from ..geometry import BONES, HIP, LEG_BONES, J

LIMB_GROUPS = ("neck", "shoulders", "arms", "forearms", "spine", "pelvis", "thighs", "shins")

_GROUP_OF_CHILD = {
    "Nose": "neck",
    "RShoulder": "shoulders",
    "LShoulder": "shoulders",
    "RElbow": "arms",
    "LElbow": "arms",
    "RWrist": "forearms",
    "LWrist": "forearms",
    "Neck": "spine",
    "RHip": "pelvis",
    "LHip": "pelvis",
    "RKnee": "thighs",
    "LKnee": "thighs",
    "RAnkle": "shins",
    "LAnkle": "shins",
}
_NAMES = {i: n for n, i in J.items()}
BONE_GROUP = np.array([LIMB_GROUPS.index(_GROUP_OF_CHILD[_NAMES[c]]) for _, c in BONES])
"""``(14,)`` index into :data:`LIMB_GROUPS` for each bone of :data:`retarget.geometry.BONES`."""


def _topological_bones() -> list[int]:
    depth = {HIP: 0}
    order: list[int] = []
    pending = list(range(len(BONES)))
    while pending:
        for e in list(pending):
            p, c = BONES[e]
            if p in depth:
                depth[c] = depth[p] + 1
                order.append(e)
                pending.remove(e)
    return order


BONE_ORDER = _topological_bones()
"""Bone indices with every parent bone before its children."""


def bone_factors(factors: np.ndarray | list[float]) -> np.ndarray:
    """Per-bone ``(14,)`` factors from 8 group factors (or 14 per-bone factors as they are)."""
    f = np.asarray(factors, dtype=np.float64)
    if f.shape == (len(LIMB_GROUPS),):
        return f[BONE_GROUP]
    if f.shape == (len(BONES),):
        return f
    raise InvalidArgumentError(
        f"limb factors must have {len(LIMB_GROUPS)} (groups) or {len(BONES)} (bones) values, "
        f"got shape {f.shape}"
    )


def leg_factor(factors: np.ndarray, lengths: np.ndarray | None = None) -> float:
    """How much longer the legs get (thigh + shin, both sides), weighting bones by length."""
    f = bone_factors(factors)
    if lengths is None:
        lengths = np.ones(len(BONES))
    idx = [b for pair in LEG_BONES for b in pair]
    w = np.asarray(lengths, dtype=np.float64)[idx]
    return float((f[idx] * w).sum() / w.sum())


def scale_root(coords: np.ndarray, k: float, floor: float = 0.0, up: int = 1) -> np.ndarray:
    """Scale the hip's trajectory by ``k`` about the floor point below the first frame's hip.

    The body moves rigidly with its MidHip; the horizontal displacement from the first frame
    and the height above ``floor`` (along axis ``up``) are both multiplied by ``k``.
    """
    coords = np.asarray(coords, dtype=np.float64)
    hip = coords[..., HIP, :]
    ground = hip[..., :1, :].copy()
    ground[..., up] = floor
    new_hip = ground + k * (hip - ground)
    return coords + (new_hip - hip)[..., None, :]


def scale_limbs(
    coords: np.ndarray,
    factors: np.ndarray | list[float],
    global_scale: float = 1.0,
    floor: float | None = 0.0,
    up: int = 1,
) -> np.ndarray:
    """Scale each ``openpose15`` bone vector; children follow their parents.

    Args:
        coords: ``(..., T, 15, D)`` positions (2D or 3D).
        factors: 8 group factors (:data:`LIMB_GROUPS`) or 14 bone factors.
        global_scale: multiplies every bone (and the root motion) on top of ``factors``.
        floor: the ground height along axis ``up`` about which the hip trajectory is scaled by
            the leg factor times ``global_scale`` (:func:`scale_root`); None keeps the hip's
            trajectory as it is (TransMoMo's 2D limb scaling, hip-local data).
        up: the vertical axis of ``coords``.

    Returns:
        Positions of the same shape whose bone vectors are the input's times the factors.
    """
    coords = np.asarray(coords, dtype=np.float64)
    f = bone_factors(factors) * float(global_scale)
    vec = coords[..., [c for _, c in BONES], :] - coords[..., [p for p, _ in BONES], :]
    out = coords.copy()
    for e in BONE_ORDER:
        p, c = BONES[e]
        out[..., c, :] = out[..., p, :] + f[e] * vec[..., e, :]
    if floor is not None:
        lengths = np.linalg.norm(vec, axis=-1).reshape(-1, len(BONES)).mean(axis=0)
        out = scale_root(out, leg_factor(f, lengths), floor=floor, up=up)
    return out


def random_factors(
    rng: np.random.Generator, low: float = 0.8, high: float = 1.25, n: int = len(LIMB_GROUPS)
) -> np.ndarray:
    """``n`` factors drawn log-uniformly in ``[low, high]`` (so 0.8 and 1.25 are as likely)."""
    if not 0 < low <= high:
        raise InvalidArgumentError(
            f"limb factor range must satisfy 0 < low <= high, got {low, high}"
        )
    return np.exp(rng.uniform(np.log(low), np.log(high), size=n))


@dataclass(frozen=True)
class Performer:
    """A real character with per-limb scale factors.

    Attributes:
        name: e.g. ``"cmu_subjects/03"`` or ``"bandai_namco_1~1"`` for a scaled variant.
        character: the real character (a key of :attr:`MocapLibrary.characters`).
        factors: 8 group factors (:data:`LIMB_GROUPS`), all 1 for the character itself.
        global_scale: overall size factor on top of ``factors``.
    """

    name: str
    character: str
    factors: tuple[float, ...] = field(default=(1.0,) * len(LIMB_GROUPS))
    global_scale: float = 1.0

    @property
    def is_scaled(self) -> bool:
        return self.global_scale != 1.0 or any(f != 1.0 for f in self.factors)

    def apply(self, coords: np.ndarray, floor: float | None = 0.0, up: int = 1) -> np.ndarray:
        """The character's positions ``(..., T, 15, D)`` as this performer's."""
        if not self.is_scaled:
            return np.asarray(coords, dtype=np.float64)
        return scale_limbs(coords, np.array(self.factors), self.global_scale, floor=floor, up=up)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "character": self.character,
            "factors": dict(zip(LIMB_GROUPS, (round(float(f), 4) for f in self.factors))),
            "global_scale": round(float(self.global_scale), 4),
        }


def scaled_variants(
    character: str,
    count: int,
    rng: np.random.Generator,
    low: float = 0.8,
    high: float = 1.25,
    global_range: tuple[float, float] = (0.88, 1.14),
) -> list[Performer]:
    """``count`` seeded performers ``character~1`` ... with random limb and global factors."""
    out = []
    for k in range(count):
        f = random_factors(rng, low, high)
        g = float(np.exp(rng.uniform(*np.log(global_range))))
        out.append(Performer(f"{character}~{k + 1}", character, tuple(float(x) for x in f), g))
    return out
