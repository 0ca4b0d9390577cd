"""Whole-body joint names as data: feet, 21-point hands, the 68/70-point face.

The three whole-body skeletons (:data:`~skeleton_io.skeleton.OPENPOSE_WHOLEBODY`,
:data:`~skeleton_io.skeleton.DWPOSE`, :data:`~skeleton_io.skeleton.COCO_WHOLEBODY`) are built
in :mod:`skeleton_io.skeleton` from the tables here; they share these names, so conversion
between them goes by name like every other conversion.

**Hands** (21 points per hand, OpenPose's and MediaPipe's order, the same in DWPose and
COCO-WholeBody): point 0 is the hand's root at the wrist (``LHandRoot``), then four points
per finger from the palm outwards: thumb ``CMC, MCP, IP, Tip``; index, middle, ring and
pinky ``MCP, PIP, DIP, Tip``. ``LHandRoot`` is the *hand* detector's wrist; it is a joint
of its own beside the *body* detector's ``LWrist`` (OpenPose, DWPose and COCO-WholeBody all
keep both, and they differ by a few pixels). Its parent is ``LWrist``. Conversion carries
each by its own name and never derives one from the other: a body-only source gives a
whole-body skeleton with missing hands, not hands of one point.

**Face** (the iBUG 300-W 68 points in their order, then OpenPose's two pupils = 70):
``Jaw`` 0-16 from the person's right ear over the ``Chin`` to the left ear, brows 17-26,
nose bridge 27-30, nose base 31-35, eyes 36-47, outer lips 48-59, inner lips 60-67,
``RPupil`` 68 and ``LPupil`` 69. Sided points carry ``R``/``L`` of the *person's* side (the
right eye is on the image's left in a frontal view) and a number counted from the face's
middle line outwards, so mirroring relabels them by name like the body's joints. Every face
point's parent is the body's ``Nose``; drawn edges are the contours (:data:`FACE_EDGES`).

**Feet**: BODY_25's six foot points (``LBigToe``, ``LSmallToe``, ``LHeel`` and the right
ones) are COCO-WholeBody's and DWPose's six feet under the same names.
"""

from __future__ import annotations

FINGERS = ("Thumb", "Index", "Middle", "Ring", "Pinky")
_THUMB_JOINTS = ("CMC", "MCP", "IP", "Tip")
_FINGER_JOINTS = ("MCP", "PIP", "DIP", "Tip")


def hand_names(side: str) -> tuple[str, ...]:
    """The 21 names of one hand, ``side`` ``"L"`` or ``"R"`` (the person's side)."""
    names = [f"{side}HandRoot"]
    for finger in FINGERS:
        joints = _THUMB_JOINTS if finger == "Thumb" else _FINGER_JOINTS
        names += [f"{side}{finger}{j}" for j in joints]
    return tuple(names)


LEFT_HAND = hand_names("L")
RIGHT_HAND = hand_names("R")

HAND_EDGES_INDEX: tuple[tuple[int, int], ...] = tuple(
    (0 if k == 0 else 4 * f + k, 4 * f + k + 1) for f in range(5) for k in range(4)
)
"""The 20 bones of a hand as (parent, child) point indices, in the order OpenPose and the
ControlNet annotator draw (and colour) them: thumb, index, middle, ring, pinky, each from
the root outwards."""


def hand_edges(side: str) -> tuple[tuple[str, str], ...]:
    """The 20 bones of one hand by name (:data:`HAND_EDGES_INDEX`)."""
    names = hand_names(side)
    return tuple((names[a], names[b]) for a, b in HAND_EDGES_INDEX)


def hand_parents(side: str) -> dict[str, str]:
    """Each hand point's parent: the root's is the body's wrist, a finger's first point's
    is the root, every other point's the point before it."""
    names = hand_names(side)
    parents = {names[0]: f"{side}Wrist"}
    parents.update({names[b]: names[a] for a, b in HAND_EDGES_INDEX})
    return parents


_JAW = (
    tuple(f"RJaw{k}" for k in range(8, 0, -1)) + ("Chin",) + tuple(f"LJaw{k}" for k in range(1, 9))
)
_BROWS = tuple(f"RBrow{k}" for k in range(5, 0, -1)) + tuple(f"LBrow{k}" for k in range(1, 6))
_NOSE = tuple(f"NoseBridge{k}" for k in range(1, 5)) + (
    "RNostril2", "RNostril1", "NoseBase", "LNostril1", "LNostril2",
)  # fmt: skip
_EYES = (
    "REyeCornerOut", "RUpperLidOut", "RUpperLidIn", "REyeCornerIn", "RLowerLidIn", "RLowerLidOut",
    "LEyeCornerIn", "LUpperLidIn", "LUpperLidOut", "LEyeCornerOut", "LLowerLidOut", "LLowerLidIn",
)  # fmt: skip
_LIPS = (
    "RMouthCorner", "RUpperLip2", "RUpperLip1", "UpperLipTop", "LUpperLip1", "LUpperLip2",
    "LMouthCorner", "LLowerLip2", "LLowerLip1", "LowerLipBottom", "RLowerLip1", "RLowerLip2",
    "RMouthInnerCorner", "RUpperLipInner", "UpperLipInner", "LUpperLipInner",
    "LMouthInnerCorner", "LLowerLipInner", "LowerLipInner", "RLowerLipInner",
)  # fmt: skip

FACE68: tuple[str, ...] = _JAW + _BROWS + _NOSE + _EYES + _LIPS
"""The iBUG 300-W 68 face points (DWPose's and COCO-WholeBody's face), in their order."""
FACE70: tuple[str, ...] = FACE68 + ("RPupil", "LPupil")
"""OpenPose's 70 face points: the 68 and the right and left pupils."""


def _chain(first: int, last: int, closed: bool = False) -> list[tuple[int, int]]:
    edges = [(k, k + 1) for k in range(first, last)]
    return edges + [(last, first)] if closed else edges


FACE_EDGES_INDEX: tuple[tuple[int, int], ...] = tuple(
    _chain(0, 16)  # jaw
    + _chain(17, 21)  # right brow
    + _chain(22, 26)  # left brow
    + _chain(27, 30)  # nose bridge
    + _chain(31, 35)  # nose base
    + _chain(36, 41, closed=True)  # right eye
    + _chain(42, 47, closed=True)  # left eye
    + _chain(48, 59, closed=True)  # outer lips
    + _chain(60, 67, closed=True)  # inner lips
)
"""The face's contours as pairs of point indices into :data:`FACE68` (OpenPose's face
rendering pairs; the annotator itself draws the face as dots only)."""

FACE_EDGES: tuple[tuple[str, str], ...] = tuple((FACE68[a], FACE68[b]) for a, b in FACE_EDGES_INDEX)

FEET: tuple[str, ...] = ("LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel")
"""The six foot points in COCO-WholeBody's (and DWPose's) order."""
FEET_PARENTS: dict[str, str] = {
    "LBigToe": "LAnkle", "LSmallToe": "LBigToe", "LHeel": "LAnkle",
    "RBigToe": "RAnkle", "RSmallToe": "RBigToe", "RHeel": "RAnkle",
}  # fmt: skip

PARTS: dict[str, tuple[str, ...]] = {
    "feet": FEET,
    "face": FACE70,
    "left_hand": LEFT_HAND,
    "right_hand": RIGHT_HAND,
}
"""The named parts beside the body, each a tuple of joint names."""
