"""Skeletons as data.

A :class:`Skeleton` is a table: joint names, each joint's parent, the bones drawn between
joints, left/right pairs, and rules for joints derived from others. Code that maps between
formats or retargets goes by joint *name*, never by a bare index.

Joint names are one vocabulary across the 2D detectors (OpenPose, COCO, BlazePose), in
OpenPose's spelling (``Nose``, ``Neck``, ``RShoulder`` ... ``LAnkle``). Left and right are
the *person's* left and right. A BVH file brings its own names; :mod:`skeleton_io.formats.bvh`
maps them to this vocabulary by meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from . import wholebody as wb
from .errors import SkeletonMismatchError, look_up

_NO_JOINT = "skeleton {skeleton!r} has no joint {key!r}; it has {known}"
_UNKNOWN_SKELETON = "unknown skeleton {key!r}: choose one of {known}"


@dataclass(frozen=True)
class DerivedJoint:
    """A joint computed as the mean of others; its confidence is the minimum of theirs."""

    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Skeleton:
    """A joint table.

    Attributes:
        name: registry name (``openpose15``, ``body25``, ``body18``, ``coco17``,
            ``blazepose33``, ``openpose_wholebody``, ``dwpose``, ``coco_wholebody``, or a BVH
            file's own).
        joints: joint names, in the order of the joint axis of pose arrays.
        parents: index of each joint's parent, -1 for a root. Drawn bones are ``edges``.
        edges: bones as pairs of joint indices (parent, child), for drawing and bone lengths.
        symmetry: left/right pairs as pairs of joint indices (left, right).
        derived: rules for joints this skeleton has but some formats lack.
    """

    name: str
    joints: tuple[str, ...]
    parents: tuple[int, ...]
    edges: tuple[tuple[int, int], ...] = ()
    symmetry: tuple[tuple[int, int], ...] = ()
    derived: tuple[DerivedJoint, ...] = ()
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.joints)) != len(self.joints):
            raise SkeletonMismatchError(f"skeleton {self.name!r}: joint names must be unique")
        if len(self.parents) != len(self.joints):
            raise SkeletonMismatchError(
                f"skeleton {self.name!r}: {len(self.joints)} joints but {len(self.parents)} parents"
            )
        n = len(self.joints)
        for i, p in enumerate(self.parents):
            if not -1 <= p < n or p == i:
                raise SkeletonMismatchError(f"skeleton {self.name!r}: bad parent {p} of joint {i}")
        for a, b in (*self.edges, *self.symmetry):
            if not (0 <= a < n and 0 <= b < n):
                raise SkeletonMismatchError(f"skeleton {self.name!r}: index out of range in {a, b}")
        object.__setattr__(self, "index", {j: i for i, j in enumerate(self.joints)})
        if not self.edges:
            edges = tuple((p, i) for i, p in enumerate(self.parents) if p >= 0)
            object.__setattr__(self, "edges", edges)

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    def idx(self, name: str) -> int:
        """Index of a joint by name (``SkeletonMismatchError`` if absent)."""
        return look_up(self.index, name, SkeletonMismatchError, _NO_JOINT, skeleton=self.name)

    def side(self, j: int) -> str:
        """'left', 'right' or 'center' for joint index ``j`` (the person's left/right)."""
        for left, right in self.symmetry:
            if j == left:
                return "left"
            if j == right:
                return "right"
        return "center"

    def mirror_permutation(self) -> list[int]:
        """Joint order that swaps every left joint with its right partner."""
        perm = list(range(self.num_joints))
        for left, right in self.symmetry:
            perm[left], perm[right] = right, left
        return perm

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "joints": list(self.joints),
            "parents": list(self.parents),
            "edges": [list(e) for e in self.edges],
            "symmetry": [list(s) for s in self.symmetry],
            "derived": [{"name": d.name, "sources": list(d.sources)} for d in self.derived],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Skeleton:
        return cls(
            name=d["name"],
            joints=tuple(d["joints"]),
            parents=tuple(int(p) for p in d["parents"]),
            edges=tuple((int(a), int(b)) for a, b in d.get("edges", [])),
            symmetry=tuple((int(a), int(b)) for a, b in d.get("symmetry", [])),
            derived=tuple(
                DerivedJoint(x["name"], tuple(x["sources"])) for x in d.get("derived", [])
            ),
        )


def _build(
    name: str,
    joints: Sequence[str],
    parent_of: dict[str, str | None],
    extra_edges: Sequence[tuple[str, str]] = (),
    derived: Sequence[DerivedJoint] = (),
) -> Skeleton:
    """Build a skeleton from names: ``parent_of`` gives each joint's parent name (or None)."""
    index = {j: i for i, j in enumerate(joints)}
    parents = tuple(-1 if parent_of.get(j) is None else index[parent_of[j]] for j in joints)  # type: ignore[index]
    edges = [(p, i) for i, p in enumerate(parents) if p >= 0]
    edges += [(index[a], index[b]) for a, b in extra_edges]
    sym = []
    for j in joints:
        if j.startswith("L") and j[1:2].isupper() and ("R" + j[1:]) in index:
            sym.append((index[j], index["R" + j[1:]]))
    return Skeleton(name, tuple(joints), parents, tuple(edges), tuple(sym), tuple(derived))


NECK = DerivedJoint("Neck", ("LShoulder", "RShoulder"))
MIDHIP = DerivedJoint("MidHip", ("LHip", "RHip"))

_OP15 = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle",
)  # fmt: skip
_OP15_PARENTS: dict[str, str | None] = {
    "MidHip": None, "Neck": "MidHip", "Nose": "Neck",
    "RShoulder": "Neck", "RElbow": "RShoulder", "RWrist": "RElbow",
    "LShoulder": "Neck", "LElbow": "LShoulder", "LWrist": "LElbow",
    "RHip": "MidHip", "RKnee": "RHip", "RAnkle": "RKnee",
    "LHip": "MidHip", "LKnee": "LHip", "LAnkle": "LKnee",
}  # fmt: skip

OPENPOSE15 = _build("openpose15", _OP15, _OP15_PARENTS, derived=(NECK, MIDHIP))

_BODY25 = _OP15 + (
    "REye", "LEye", "REar", "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)  # fmt: skip
BODY25 = _build(
    "body25",
    _BODY25,
    {
        **_OP15_PARENTS,
        "REye": "Nose",
        "LEye": "Nose",
        "REar": "REye",
        "LEar": "LEye",
        "LBigToe": "LAnkle",
        "LSmallToe": "LBigToe",
        "LHeel": "LAnkle",
        "RBigToe": "RAnkle",
        "RSmallToe": "RBigToe",
        "RHeel": "RAnkle",
    },  # fmt: skip
    derived=(NECK, MIDHIP),
)

_COCO17 = (
    "Nose", "LEye", "REye", "LEar", "REar", "LShoulder", "RShoulder", "LElbow", "RElbow",
    "LWrist", "RWrist", "LHip", "RHip", "LKnee", "RKnee", "LAnkle", "RAnkle",
)  # fmt: skip
COCO17 = _build(
    "coco17",
    _COCO17,
    {
        "Nose": None,
        "LEye": "Nose",
        "REye": "Nose",
        "LEar": "LEye",
        "REar": "REye",
        "LShoulder": None,
        "RShoulder": None,
        "LElbow": "LShoulder",
        "RElbow": "RShoulder",
        "LWrist": "LElbow",
        "RWrist": "RElbow",
        "LHip": "LShoulder",
        "RHip": "RShoulder",
        "LKnee": "LHip",
        "RKnee": "RHip",
        "LAnkle": "LKnee",
        "RAnkle": "RKnee",
    },  # fmt: skip
    extra_edges=(("LShoulder", "RShoulder"), ("LHip", "RHip")),
)

_BLAZE33 = (
    "Nose", "LEyeInner", "LEye", "LEyeOuter", "REyeInner", "REye", "REyeOuter", "LEar", "REar",
    "LMouth", "RMouth", "LShoulder", "RShoulder", "LElbow", "RElbow", "LWrist", "RWrist",
    "LPinky", "RPinky", "LIndex", "RIndex", "LThumb", "RThumb", "LHip", "RHip", "LKnee",
    "RKnee", "LAnkle", "RAnkle", "LHeel", "RHeel", "LFootIndex", "RFootIndex",
)  # fmt: skip
_BLAZE_PARENTS: dict[str, str | None] = {
    "Nose": None, "LEyeInner": "Nose", "LEye": "LEyeInner", "LEyeOuter": "LEye", "LEar": "LEyeOuter",
    "REyeInner": "Nose", "REye": "REyeInner", "REyeOuter": "REye", "REar": "REyeOuter",
    "LMouth": None, "RMouth": "LMouth",
    "LShoulder": None, "RShoulder": None, "LElbow": "LShoulder", "RElbow": "RShoulder",
    "LWrist": "LElbow", "RWrist": "RElbow", "LPinky": "LWrist", "RPinky": "RWrist",
    "LIndex": "LWrist", "RIndex": "RWrist", "LThumb": "LWrist", "RThumb": "RWrist",
    "LHip": "LShoulder", "RHip": "RShoulder", "LKnee": "LHip", "RKnee": "RHip",
    "LAnkle": "LKnee", "RAnkle": "RKnee", "LHeel": "LAnkle", "RHeel": "RAnkle",
    "LFootIndex": "LHeel", "RFootIndex": "RHeel",
}  # fmt: skip
BLAZEPOSE33 = _build(
    "blazepose33",
    _BLAZE33,
    _BLAZE_PARENTS,
    extra_edges=(
        ("LShoulder", "RShoulder"),
        ("LHip", "RHip"),
        ("LPinky", "LIndex"),
        ("RPinky", "RIndex"),
        ("LAnkle", "LFootIndex"),
        ("RAnkle", "RFootIndex"),
    ),  # fmt: skip
)

_BODY18 = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
)  # fmt: skip
BODY18 = _build(
    "body18",
    _BODY18,
    {
        "Neck": None,
        "Nose": "Neck",
        "RShoulder": "Neck",
        "RElbow": "RShoulder",
        "RWrist": "RElbow",
        "LShoulder": "Neck",
        "LElbow": "LShoulder",
        "LWrist": "LElbow",
        "RHip": "Neck",
        "RKnee": "RHip",
        "RAnkle": "RKnee",
        "LHip": "Neck",
        "LKnee": "LHip",
        "LAnkle": "LKnee",
        "REye": "Nose",
        "LEye": "Nose",
        "REar": "REye",
        "LEar": "LEye",
    },  # fmt: skip
    derived=(NECK,),
)
"""OpenPose's COCO-18 body (``--model_pose COCO``, the ControlNet annotator's and DWPose's
body): COCO-17 with a Neck, in OpenPose's order; no MidHip, no feet."""


def _wholebody(name: str, body: Skeleton, parts: Sequence[Sequence[str]]) -> Skeleton:
    """A body skeleton followed by whole-body parts (:mod:`skeleton_io.wholebody`).

    Parents: the body's, then each part point's (hand roots hang on the wrists, face points
    on the nose, feet on the ankles). Edges: the body's, the feet's, 20 per hand and the
    face contours (no wrist-to-hand-root edge: the two points nearly coincide).
    """
    joints = tuple(body.joints) + tuple(n for part in parts for n in part)
    index = {j: i for i, j in enumerate(joints)}
    parent_of: dict[str, str] = {
        **wb.FEET_PARENTS,
        **wb.hand_parents("L"),
        **wb.hand_parents("R"),
        **{n: "Nose" for n in wb.FACE70},
    }
    parents = tuple(body.parents) + tuple(index[parent_of[n]] for n in joints[body.num_joints :])
    feet = [(p, c) for c, p in wb.FEET_PARENTS.items()]
    named = [*feet, *wb.hand_edges("L"), *wb.hand_edges("R"), *wb.FACE_EDGES]
    have = set(body.edges)
    extra = [(index[a], index[b]) for a, b in named if a in index and b in index]
    extra = [e for e in extra if e not in have]
    sym = tuple(
        (i, index["R" + j[1:]])
        for i, j in enumerate(joints)
        if j.startswith("L") and j[1:2].isupper() and ("R" + j[1:]) in index
    )
    return Skeleton(name, joints, parents, tuple(body.edges) + tuple(extra), sym, body.derived)


OPENPOSE_WHOLEBODY = _wholebody(
    "openpose_wholebody", BODY25, (wb.FACE70, wb.LEFT_HAND, wb.RIGHT_HAND)
)
"""OpenPose with ``--face --hand`` (137 points): BODY_25, the 70-point face, the left hand,
the right hand, in the order of OpenPose's JSON keys (``pose_keypoints_2d``,
``face_keypoints_2d``, ``hand_left_keypoints_2d``, ``hand_right_keypoints_2d``)."""

DWPOSE = _wholebody("dwpose", BODY18, (wb.FEET, wb.FACE68, wb.LEFT_HAND, wb.RIGHT_HAND))
"""The DWPose annotator's 134 points: OpenPose's COCO-18 body (the annotator inserts the
Neck as the shoulders' mean), six feet, the 68-point face, the left hand, the right hand."""

COCO_WHOLEBODY = _wholebody(
    "coco_wholebody", COCO17, (wb.FEET, wb.FACE68, wb.LEFT_HAND, wb.RIGHT_HAND)
)
"""COCO-WholeBody's 133 points in mmpose's order: COCO-17 body, six feet, 68-point face,
left hand, right hand."""

BLAZEPOSE_WHOLEBODY = _wholebody(
    "blazepose_wholebody", BLAZEPOSE33, (wb.FACE70, wb.LEFT_HAND, wb.RIGHT_HAND)
)
"""What whole-body extraction from video gives (:mod:`skeleton_io.hands_face`): BlazePose's
33 body points, the 70-point face, the left hand, the right hand."""

SKELETONS: dict[str, Skeleton] = {
    s.name: s
    for s in (
        OPENPOSE15, BODY25, BODY18, COCO17, BLAZEPOSE33, OPENPOSE_WHOLEBODY, DWPOSE,
        COCO_WHOLEBODY, BLAZEPOSE_WHOLEBODY,
    )
}  # fmt: skip
"""The registry of named skeletons. BVH skeletons are built per file and not registered."""


def get_skeleton(name: str | Skeleton) -> Skeleton:
    """A registered skeleton by name (or the skeleton itself)."""
    if isinstance(name, Skeleton):
        return name
    return look_up(SKELETONS, name, SkeletonMismatchError, _UNKNOWN_SKELETON)


def part_indices(skeleton: Skeleton, part: str) -> list[int]:
    """Indices of the joints of ``part`` (a key of :data:`skeleton_io.wholebody.PARTS`) that ``skeleton`` has,
    in the part's order (empty when it has none)."""
    return [skeleton.index[n] for n in wb.PARTS[part] if n in skeleton.index]


def has_hands_or_face(skeleton: Skeleton) -> bool:
    """Whether ``skeleton`` has any hand or face point (a whole-body skeleton)."""
    names = set(skeleton.joints)
    return any(n in names for part in ("face", "left_hand", "right_hand") for n in wb.PARTS[part])
