"""BVH joint names mapped onto the shared vocabulary by meaning (name tokens, then the
kinematic chain), and the file's own :class:`~skeleton_io.skeleton.Skeleton` with left/right pairs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np

from skeleton_io.skeleton import Skeleton

from .motion import BvhMotion

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- joint names
_SIDE_WORDS = {"left": "L", "right": "R", "l": "L", "r": "R", "lft": "L", "rgt": "R", "rt": "R",
               "lt": "L"}  # fmt: skip
# Tokens that mark helper bones (never a body joint of the vocabulary).
_AUX = {"twist", "roll", "share", "sharebone", "helper", "adjust", "corrective", "nub", "end",
        "site", "tip", "top", "dummy", "ik", "pole", "target", "null", "effector", "goal",
        "upvector", "aux", "fk", "ctrl", "ctl", "con"}  # fmt: skip
_DIGIT = {"finger", "fingers", "fingerbase", "thumb", "index", "middle", "mid", "ring", "pinky",
          "little", "toe", "toes", "toebase", "bigtoe", "metacarpal", "carpal", "ball", "phalanx",
          "nail", "pinkytoe", "ringtoe", "midtoe", "indextoe", "handindex", "handthumb",
          "handmiddle", "handring", "handpinky"}  # fmt: skip
# Prefix tokens of common rigs that carry no meaning.
_NOISE = {"mixamorig", "character", "bip", "bip01", "bip001", "cc", "base", "def", "org", "mch",
          "jnt", "bn", "b", "bone", "skel", "sk", "rig", "mixamo", "valvebiped", "bvh", "j",
          "hik", "armature", "ref", "reference", "genesis", "g8", "g3"}  # fmt: skip
_PARTS: dict[str, set[str]] = {
    "forearm": {"forearm", "lowerarm", "lowarm", "radius", "ulna", "elbow", "forearms",
                "lowerarms", "forarm"},
    "upperarm": {"upperarm", "uparm", "arm", "humerus", "shldr", "bicep", "biceps"},
    "shoulder?": {"shoulder"},  # shoulder joint or clavicle: the chain decides
    "clavicle": {"clavicle", "collar", "scapula", "collarbone", "clav"},
    "hand": {"hand", "wrist", "palm", "carpus"},
    "shin": {"leg", "lowerleg", "lowleg", "calf", "shin", "knee", "tibia", "crus",
             "shank"},
    "thigh": {"upleg", "upperleg", "thigh", "femur", "uplegs", "upperlegs"},
    "hip?": {"hip", "hipjoint"},  # femur head (SMPL L_Hip) or pelvis bone (CMU lhipjoint)
    "foot": {"foot", "ankle", "feet"},
    "head": {"head"},
    "nose": {"nose"},
    "eye": {"eye", "eyeball"},
}  # fmt: skip
_PART_OF = {w: part for part, words in _PARTS.items() for w in words}
_KNOWN = set(_PART_OF) | _DIGIT

# (vocabulary name without side, end part, middle parts, top parts); see _limb_chain.
_LIMBS = (
    ("Wrist", "Elbow", "Shoulder", {"hand"}, {"forearm"}, {"upperarm", "shoulder?"}),
    ("Ankle", "Knee", "Hip", {"foot"}, {"shin"}, {"thigh", "hip?"}),
)


def _tokens(name: str) -> list[str]:
    """Lower-case word tokens of a joint name (namespaces, camelCase, separators, digits)."""
    name = name.rsplit(":", 1)[-1].rsplit("|", 1)[-1]
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
    return [w.lower() for w in words]


def classify_joint(name: str) -> tuple[str, str]:
    """``(side, part)`` of a joint name: side in {"L", "R", ""}, part one of ``forearm``,
    ``upperarm``, ``shoulder?``, ``clavicle``, ``hand``, ``shin``, ``thigh``, ``hip?``,
    ``foot``, ``head``, ``nose``, ``eye``, ``digit``, ``aux`` (twist, roll, end and helper
    bones) or ``""``.
    """
    toks = [t for t in _tokens(name) if not t.isdigit()]
    side = ""
    rest: list[str] = []
    for k, t in enumerate(toks):
        if t in _SIDE_WORDS and not side and (len(t) > 1 or len(toks) > 1):
            side = _SIDE_WORDS[t]
            continue
        # glued side: CMU "lhumerus", "rfemur"; all lower case "leftarm", "handright"
        if not side and k == 0:
            for pre, sd in (("left", "L"), ("right", "R"), ("l", "L"), ("r", "R")):
                if t.startswith(pre) and (t[len(pre) :] in _KNOWN or _glued_known(t[len(pre) :])):
                    side, t = sd, t[len(pre) :]
                    break
        if not side and k == len(toks) - 1:
            for suf, sd in (("left", "L"), ("right", "R")):
                if t.endswith(suf) and t[: -len(suf)] in _KNOWN:
                    side, t = sd, t[: -len(suf)]
                    break
        rest.append(t)
    rest = [t for t in rest if t not in _NOISE]
    if any(t in _AUX for t in rest):
        return side, "aux"
    if any(t in _DIGIT for t in rest):
        return side, "digit"
    core = "".join(rest)
    if core in _PART_OF:
        return side, _PART_OF[core]
    if core in _DIGIT:
        return side, "digit"
    # compound names such as "ForeArm", "UpLeg" split in two tokens: try the last one alone,
    # then any token, most specific category first.
    for t in reversed(rest):
        if t in ("fore", "lower", "low") and "arm" in rest:
            return side, "forearm"
        if t in ("up", "upper") and "leg" in rest:
            return side, "thigh"
        if t in ("up", "upper") and "arm" in rest:
            return side, "upperarm"
        if t in ("lower", "low") and "leg" in rest:
            return side, "shin"
    for t in reversed(rest):
        if t in _PART_OF:
            return side, _PART_OF[t]
    return side, ""


def _glued_known(t: str) -> bool:
    return any(t == w or (t.startswith(w) and t[len(w) :] in ("s", "joint")) for w in _KNOWN)


def joint_map(
    names: Sequence[str],
    parents: Sequence[int] | None = None,
    positions: np.ndarray | None = None,
) -> dict[str, str]:
    """Map BVH joint names to the shared vocabulary by meaning.

    Args:
        names: the file's joint names.
        parents: each joint's parent index (-1 for a root). With it, the kinematic chain
            settles ambiguous names (a ``LeftShoulder`` above ``LeftArm`` is a clavicle; CMU's
            ``lhipjoint`` above ``lfemur`` is not the hip); without it, name priorities do.
        positions: ``(J, 3)`` or ``(T, J, 3)`` joint positions (a few frames of forward
            kinematics), with ``parents``: where each joint *is* settles what names cannot
            (see below). Without it, names and the chain decide alone.

    Returns:
        ``{bvh_name: vocabulary_name}`` for ``R/L Shoulder, Elbow, Wrist, Hip, Knee, Ankle``,
        ``Nose`` (a joint named nose if the rig has one, else the head joint, an approximation:
        most BVH rigs have no nose) and ``R/LEye`` where the rig has eyes. ``Neck`` and
        ``MidHip`` are never mapped (they are midpoints by definition).

    The wrist is the hand joint nearest the root (CMU ``lwrist`` before ``lhand``); the elbow
    the nearest forearm-named joint above it (else its nearest non-helper parent); the shoulder
    the nearest upper-arm-named joint above the elbow (else its parent). Legs likewise. Where
    a run of joints carries one part's name (Rigify ``thigh.L`` above ``thigh.L.001``), the top
    of the run is the landmark: the bone was split into segments. With ``positions`` a joint
    of the run counts only if it lies on the line of the bone below it (an earlier segment
    of that bone): in ``Hips > LHipJoint (at the root) > LeftHip > LeftKnee`` both hip joints
    are named "hip", but only ``LeftHip`` sits where the thigh starts; ``LHipJoint`` sits on
    the pelvis, off the thigh's line, and is not the hip.
    """
    names = list(names)
    cls = [classify_joint(n) for n in names]
    depth = _depths(parents) if parents is not None else [0] * len(names)
    pos = None if positions is None or parents is None else np.asarray(positions, dtype=float)
    if pos is not None and pos.ndim == 2:
        pos = pos[None]
    out: dict[str, str] = {}
    for side in ("L", "R"):
        for *part_names, end_p, mid_p, top_p in _LIMBS:
            chain = _limb_chain(cls, parents, depth, side, end_p, mid_p, top_p, pos)
            for name, idx in zip(part_names, chain):
                if idx is not None:
                    out[names[idx]] = side + name
        eyes = [i for i, (sd, p) in enumerate(cls) if sd == side and p == "eye"]
        if eyes:
            out[names[min(eyes, key=lambda i: depth[i])]] = side + "Eye"
    heads = [i for i, (sd, p) in enumerate(cls) if p == "nose" and sd == ""]
    heads = heads or [i for i, (sd, p) in enumerate(cls) if p == "head" and sd == ""]
    if heads:
        out[names[min(heads, key=lambda i: (depth[i], i))]] = "Nose"
    return out


def _depths(parents: Sequence[int]) -> list[int]:
    d: list[int] = []
    for p in parents:
        d.append(0 if p < 0 else d[p] + 1)
    return d


def _limb_chain(
    cls: list[tuple[str, str]],
    parents: Sequence[int] | None,
    depth: list[int],
    side: str,
    end_parts: set[str],
    mid_parts: set[str],
    top_parts: set[str],
    pos: np.ndarray | None = None,
) -> tuple[int | None, int | None, int | None]:
    """Indices of (end, middle, top) joints of one limb, e.g. (wrist, elbow, shoulder)."""
    on_side = [i for i, (sd, _) in enumerate(cls) if sd == side]
    if parents is None:
        return _limb_by_name(cls, on_side, end_parts, mid_parts, top_parts)
    ends = [i for i in on_side if cls[i][1] in end_parts]
    if not ends:
        return None, None, None
    # The hand (foot) joint nearest the root: CMU "lwrist" rather than "lhand" below it.
    end = min(ends, key=lambda i: (depth[i], i))
    mid = _nearest_above(end, parents, cls, mid_parts, pos)
    top = _nearest_above(mid, parents, cls, top_parts, pos) if mid is not None else None
    return end, mid, top


SEGMENT_DEGREES = 10.0
"""A joint named like the one below it is an earlier segment of the same bone when the two
segments are within this angle of one line (in the median frame)."""


def _same_bone(pos: np.ndarray | None, upper: int, seg: int, below: int) -> bool:
    """Whether ``upper`` -> ``seg`` continues along the line ``seg`` -> ``below`` (positions
    ``(T, J, 3)``; True without positions: names decide). A joint at ``seg``'s own place
    (zero OFFSET) is no separate landmark either way: False."""
    if pos is None:
        return True
    a = pos[:, seg] - pos[:, upper]
    b = pos[:, below] - pos[:, seg]
    na, nb = np.linalg.norm(a, axis=-1), np.linalg.norm(b, axis=-1)
    scale = max(float(np.median(nb)), 1e-12)
    if float(np.median(na)) <= 1e-6 * scale:
        return False
    cos = (a * b).sum(-1) / np.maximum(na * nb, 1e-12)
    return float(np.median(cos)) >= np.cos(np.radians(SEGMENT_DEGREES))


def _nearest_above(
    j: int,
    parents: Sequence[int],
    cls: list[tuple[str, str]],
    parts: set[str],
    pos: np.ndarray | None = None,
) -> int | None:
    """The nearest ancestor of ``j`` whose part is in ``parts`` (the top of a run of such
    joints, for rigs that split a bone in segments: Rigify ``upper_arm.L``, ``upper_arm.L.001``,
    each on the line of the bone when ``pos`` tells; see :func:`_same_bone`); failing that,
    the nearest ancestor that is not a helper bone and not on the centre line."""
    side = cls[j][0]
    p = parents[j]
    fallback = None
    while p >= 0:
        sd, part = cls[p]
        if part in parts:
            while (
                parents[p] >= 0
                and cls[parents[p]] == (sd, part)
                and _same_bone(pos, parents[p], p, j)
            ):
                p = parents[p]
            return p
        if fallback is None and part != "aux" and sd == side:
            fallback = p
        if sd != side:  # reached the spine: stop looking
            break
        p = parents[p]
    return fallback


def _limb_by_name(
    cls: list[tuple[str, str]],
    on_side: list[int],
    end_parts: set[str],
    mid_parts: set[str],
    top_parts: set[str],
) -> tuple[int | None, int | None, int | None]:
    """Name-only choice (no hierarchy): definite names win over ambiguous ones."""

    def pick(parts: set[str], prefer: Sequence[str]) -> int | None:
        cands = [i for i in on_side if cls[i][1] in parts]
        if not cands:
            return None
        return min(cands, key=lambda i: (prefer.index(cls[i][1]) if cls[i][1] in prefer else 9, i))

    end = pick(end_parts, [])
    mid = pick(mid_parts, [])
    top = pick(top_parts, ["upperarm", "thigh"])
    return end, mid, top


# ---------------------------------------------------------------------------- PoseSequence
def _mirror_name(name: str) -> str | None:
    """The name of the other side's joint (``LeftArm`` -> ``RightArm``), or None."""
    swaps = (
        (r"Left", "Right"), (r"Right", "Left"), (r"left", "right"), (r"right", "left"),
        (r"LEFT", "RIGHT"), (r"RIGHT", "LEFT"),
    )  # fmt: skip
    for a, b in swaps:
        if a in name:
            return name.replace(a, b, 1)
    for pat, rep in (
        (r"(?<![A-Za-z])L(?=[A-Z_ .\d]|$)", "R"), (r"(?<![A-Za-z])R(?=[A-Z_ .\d]|$)", "L"),
        (r"(?<=[_ .])L(?![a-z])", "R"), (r"(?<=[_ .])R(?![a-z])", "L"),
        (r"(?<=[_ .])l(?![a-z])", "r"), (r"(?<=[_ .])r(?![a-z])", "l"),
        (r"^l(?=[a-z])", "r"), (r"^r(?=[a-z])", "l"),
    ):  # fmt: skip
        new, n = re.subn(pat, rep, name, count=1)
        if n:
            return new
    return None


def bvh_skeleton(motion: BvhMotion, name: str) -> Skeleton:
    """A :class:`Skeleton` with the file's joints, parents and left/right pairs."""
    names = _unique(motion.names)
    index = {n: i for i, n in enumerate(names)}
    sym = []
    for i, n in enumerate(names):
        side, _ = classify_joint(n)
        other = _mirror_name(n)
        if side == "L" and other is not None and other in index:
            if classify_joint(other)[0] == "R":
                sym.append((i, index[other]))
    return Skeleton(name, tuple(names), tuple(motion.parents), symmetry=tuple(sym))


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            new = f"{n}.{seen[n]}"
            log.warning("BVH joint name %r appears more than once; calling it %r", n, new)
            out.append(new)
        else:
            seen[n] = 0
            out.append(n)
    return out


def up_axis(positions: np.ndarray, mapping: dict[str, str], names: Sequence[str]) -> str:
    """The up axis (``"+y"``, ``"+z"`` ...) from the mean ankle-to-head direction; ``"+y"``
    when the map has no head or ankles."""
    return _up_axis(positions, mapping, names) or "+y"


def _up_axis(positions: np.ndarray, mapping: dict[str, str], names: Sequence[str]) -> str | None:
    names = list(names)
    inv = {v: names.index(k) for k, v in mapping.items()}
    feet = [inv[k] for k in ("LAnkle", "RAnkle") if k in inv]
    if "Nose" not in inv or not feet or positions.shape[0] == 0:
        return None
    d = (positions[:, inv["Nose"]] - positions[:, feet].mean(axis=1)).mean(axis=0)
    a = int(np.argmax(np.abs(d)))
    return ("+" if d[a] >= 0 else "-") + "xyz"[a]
