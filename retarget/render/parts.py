"""Body parts for part-based rendering: the part table, distances to bones, cutting the
source person into parts, and each part's source-to-target transform (numpy).

Conventions:

* Pixels, x right, y down, origin at the top-left corner; points are ``(..., 2)`` arrays
  ``(x, y)``; joints are ``(15, 2)`` arrays on the ``openpose15`` skeleton.
* An affine transform is a ``(2, 3)`` matrix ``A`` mapping a SOURCE pixel to a TARGET pixel:
  ``target = A[:, :2] @ source + A[:, 2]``; :func:`invert_affine` gives target -> source.
* Lengths are in pixels; part thickness is a *radius* (half the width of a limb).

Parts (:data:`PARTS`): torso, head, upper arms, forearms (with the hands), thighs, shins
(with the feet). Each limb and the head follows one bone; the torso is the area of the
shoulders, neck and hips. Each part but the torso hangs from a parent at a shared joint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from skeleton_io.pose import PoseSequence

from ..geometry import J
from .planar import (
    clamp_affine,
    convex_polygon,
    fit_affine,
    invert_affine,
    limb_affine,
    polygon_distance_xy,
    segment_distance,
    segment_distance_xy,
    similarity,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartSpec:
    """One body part.

    Attributes:
        name: e.g. ``"r_forearm"`` (R/L are the performer's own sides).
        bone: ``(from, to)`` joint names; the torso's is the spine (Neck, MidHip).
        parent: the part it hangs from (None for the torso).
        joint: the joint shared with the parent.
        extend: the part reaches beyond ``bone[1]`` by this many bone lengths (hand, foot,
            skull above the nose).
        radius: default half-thickness in body units (:func:`body_unit`), used where the
            mask cannot measure it.
        depth: default drawing order, back (0) to front.
        side: ``"R"``, ``"L"`` or ``""``.
    """

    name: str
    bone: tuple[str, str]
    parent: str | None
    joint: str | None
    extend: float
    radius: float
    depth: int
    side: str = ""


PARTS: tuple[PartSpec, ...] = (
    PartSpec("torso", ("Neck", "MidHip"), None, None, 0.0, 0.45, 2),
    PartSpec("head", ("Neck", "Nose"), "torso", "Neck", 0.35, 0.36, 3),
    PartSpec("r_upper_arm", ("RShoulder", "RElbow"), "torso", "RShoulder", 0.0, 0.2, 4, "R"),
    PartSpec("r_forearm", ("RElbow", "RWrist"), "r_upper_arm", "RElbow", 0.4, 0.16, 5, "R"),
    PartSpec("l_upper_arm", ("LShoulder", "LElbow"), "torso", "LShoulder", 0.0, 0.2, 4, "L"),
    PartSpec("l_forearm", ("LElbow", "LWrist"), "l_upper_arm", "LElbow", 0.4, 0.16, 5, "L"),
    PartSpec("r_thigh", ("RHip", "RKnee"), "torso", "RHip", 0.0, 0.26, 0, "R"),
    PartSpec("r_shin", ("RKnee", "RAnkle"), "r_thigh", "RKnee", 0.25, 0.19, 1, "R"),
    PartSpec("l_thigh", ("LHip", "LKnee"), "torso", "LHip", 0.0, 0.26, 0, "L"),
    PartSpec("l_shin", ("LKnee", "LAnkle"), "l_thigh", "LKnee", 0.25, 0.19, 1, "L"),
)
PART_INDEX = {p.name: i for i, p in enumerate(PARTS)}


def mirror_name(name: str) -> str:
    """The other side's part of the same kind (``"r_forearm"`` -> ``"l_forearm"``); the torso
    and the head are their own."""
    side = {"r_": "l_", "l_": "r_"}.get(name[:2])
    return side + name[2:] if side else name


TORSO_JOINTS = ("Neck", "RShoulder", "LShoulder", "MidHip", "RHip", "LHip")
TORSO_OFFSET = 0.8
"""Score added to the torso when cutting: inside the torso area a limb still owns the
pixels within 0.8 of its radius from its bone (an arm held in front of the chest)."""
FACE_LINES = (("LEye", "REye"), ("LEar", "REar"))
"""Joint pairs whose line gives the head's roll (:func:`head_roll`)."""
OUT_OF_PLACE = 4.0
"""Score added where a part does not belong (see :func:`cut_parts`)."""


def part_joints(spec: PartSpec) -> tuple[str, ...]:
    """Joints a part needs: its bone's, plus the torso's corners for the torso."""
    return TORSO_JOINTS if spec.name == "torso" else spec.bone


def neighbours(name: str) -> list[tuple[str, str]]:
    """``[(part, shared joint), ...]``: the parent and the children of a part."""
    spec = PARTS[PART_INDEX[name]]
    out = [(spec.parent, spec.joint)] if spec.parent else []
    out += [(p.name, p.joint) for p in PARTS if p.parent == name]
    return out  # type: ignore[return-value]


def body_unit(joints: np.ndarray) -> float:
    """The body's size unit in pixels: the shoulder width, or 0.6 of the spine length when
    that is larger (a body seen in profile has narrow shoulders)."""
    sw = float(np.linalg.norm(joints[J["RShoulder"]] - joints[J["LShoulder"]]))
    spine = float(np.linalg.norm(joints[J["Neck"]] - joints[J["MidHip"]]))
    return max(sw, 0.6 * spine, 1.0)


def part_segment(spec: PartSpec, joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The part's bone as a segment ``(a, b)``, extended beyond its end by ``spec.extend``."""
    a = joints[J[spec.bone[0]]]
    b = joints[J[spec.bone[1]]]
    return a, b + spec.extend * (b - a)


@dataclass(frozen=True)
class PartShape:
    """Where a part lies in one image: its segment, its torso polygon (torso only), its
    radius (pixels)."""

    a: np.ndarray
    b: np.ndarray
    radius: float
    polygon: np.ndarray | None = None

    def distance_xy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Distance to the part's skeleton: the bone segment, or for the torso the torso
        polygon (0 inside) joined with a spine capsule of the torso's radius (so a body
        seen edge-on still has a torso)."""
        d = segment_distance_xy(x, y, self.a, self.b)
        if self.polygon is None:
            return d
        spine = np.maximum(d - np.float32(self.radius), 0.0)
        return np.minimum(polygon_distance_xy(x, y, self.polygon), spine)


def part_shapes(joints: np.ndarray, radii: np.ndarray) -> list[PartShape]:
    """The :class:`PartShape` of every part of :data:`PARTS` for ``joints`` ``(15, 2)``."""
    out = []
    for spec, r in zip(PARTS, radii):
        a, b = part_segment(spec, joints)
        poly = None
        if spec.name == "torso":
            poly = convex_polygon(joints[[J[n] for n in TORSO_JOINTS]])
        out.append(PartShape(a, b, float(r), poly))
    return out


# -------------------------------------------------------------------- the source cut
def default_radii(joints: np.ndarray) -> np.ndarray:
    """``(P,)`` default radii in pixels (:attr:`PartSpec.radius` times :func:`body_unit`);
    the head's is at least 0.55 of the neck-nose distance."""
    unit = body_unit(joints)
    r = np.array([p.radius * unit for p in PARTS])
    head = PART_INDEX["head"]
    neck_nose = float(np.linalg.norm(joints[J["Nose"]] - joints[J["Neck"]]))
    r[head] = max(r[head], 0.55 * neck_nose)
    return r


def measure_radii(mask: np.ndarray, joints: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """``(P,)`` part radii in pixels measured on the person ``mask`` (binary ``(H, W)``).

    For a limb, the median distance-to-background of the mask at points along the middle of
    its bone (inside the image and the mask), kept within 0.6-1.25 of the default
    (:func:`default_radii`), which it falls back to where nothing can be measured
    (``usable`` False, the bone outside the image). The torso keeps its default.
    """
    radii = default_radii(joints)
    edt = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    h, w = mask.shape
    for i, spec in enumerate(PARTS):
        if spec.name == "torso" or not usable[i]:
            continue
        a, b = joints[J[spec.bone[0]]], joints[J[spec.bone[1]]]
        t = np.linspace(0.25, 0.75, 9)[:, None]
        pts = a + t * (b - a)
        if spec.name == "head":
            pts = joints[J["Nose"]] + np.linspace(-0.2, 0.3, 9)[:, None] * (b - a)
        ix = np.round(pts).astype(int)
        inside = (ix[:, 0] >= 0) & (ix[:, 0] < w) & (ix[:, 1] >= 0) & (ix[:, 1] < h)
        if inside.sum() < 3:
            continue
        vals = edt[ix[inside, 1], ix[inside, 0]]
        vals = vals[vals > 0]
        if len(vals) < 3:
            continue
        radii[i] = float(np.clip(np.median(vals), 0.6 * radii[i], 1.25 * radii[i]))
    return radii


def beyond(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, end: str) -> np.ndarray:
    """Bool: the points lie beyond the line through ``a`` (``end="a"``) or ``b``
    (``end="b"``) perpendicular to the segment ``a``-``b``, on the side away from the
    segment (pixels; False everywhere for a segment of no length)."""
    abx, aby = float(b[0] - a[0]), float(b[1] - a[1])
    if abx * abx + aby * aby < 1e-12:
        return np.zeros(np.broadcast_shapes(x.shape, y.shape), bool)
    o = a if end == "a" else b
    side = (x - np.float32(o[0])) * np.float32(abx) + (y - np.float32(o[1])) * np.float32(aby)
    return side < 0 if end == "a" else side > 0


def cut_parts(
    mask: np.ndarray,
    shapes: list[PartShape],
    usable: np.ndarray,
    threshold: float = 0.02,
    claims: dict[int, np.ndarray] | None = None,
) -> np.ndarray:
    """Label every person pixel with the part it belongs to (``(H, W)`` int8, -1 = none).

    A pixel goes to the usable part of lowest score ``distance / radius`` (the torso's score
    plus :data:`TORSO_OFFSET`), i.e. to the nearest bone measured in part thicknesses. Below
    the hip line (through MidHip, across the spine) the torso is only its polygon, without
    the spine's round end, so the crotch goes with the thighs; the head does not reach below
    the shoulder line (through Neck, across the neck): a collar goes with the torso, unless
    no other part is usable. ``claims`` maps a part index to a bool ``(H, W)`` area it owns
    outright (e.g. a hand from hand landmarks), where that part is usable. ``mask`` is the
    soft person alpha; pixels above ``threshold`` are labelled.
    """
    labels = np.full(mask.shape, -1, dtype=np.int8)
    ys, xs = np.nonzero(mask > threshold)
    if len(xs) == 0 or not usable.any():
        return labels
    x = xs.astype(np.float32)
    y = ys.astype(np.float32)
    best = np.full(len(xs), np.inf, dtype=np.float32)
    who = np.full(len(xs), -1, dtype=np.int8)
    for i, (spec, shape) in enumerate(zip(PARTS, shapes)):
        if not usable[i]:
            continue
        score = shape.distance_xy(x, y) / np.float32(max(shape.radius, 1.0))
        if spec.name == "torso":
            # Below the hip line only the torso polygon counts (not the spine's round end):
            # the crotch goes with the thighs, a skirt's sides stay with the torso.
            low = beyond(x, y, shape.a, shape.b, "b")
            if shape.polygon is not None and low.any():
                flat = polygon_distance_xy(x[low], y[low], shape.polygon)
                score[low] = flat / np.float32(max(shape.radius, 1.0))
            score = score + np.float32(TORSO_OFFSET)
        elif spec.name == "head":
            score = np.where(beyond(x, y, shape.a, shape.b, "a"), score + OUT_OF_PLACE, score)
        better = score < best
        best = np.where(better, score, best)
        who = np.where(better, np.int8(i), who)
    for i, area in (claims or {}).items():
        if usable[i]:
            who = np.where(area[ys, xs], np.int8(i), who)
    labels[ys, xs] = who
    return labels


def body_area(
    joints: np.ndarray,
    present: np.ndarray,
    size: tuple[int, int],
    widen: float = 1.6,
    margin: float = 0.0,
) -> np.ndarray:
    """Bool ``(h, w)`` for an image of ``size`` ``(w, h)``: where a body with ``joints``
    ``(15, 2)`` (pixels; ``present`` ``(15,)``) may be: every part's region with
    :func:`default_radii` times ``widen`` (loose clothes, hair) and a disc around each ankle
    (a foot points any way), grown by ``margin`` pixels. Empty when the torso's joints are not all present."""
    import cv2

    w, h = size
    out = np.zeros((h, w), np.uint8)
    if not present[[J[n] for n in TORSO_JOINTS]].all():
        return out.astype(bool)
    radii = default_radii(joints) * widen
    for spec, shape in zip(PARTS, part_shapes(joints, radii)):
        if not present[[J[n] for n in part_joints(spec)]].all():
            continue
        r = max(1, round(shape.radius + margin))
        if shape.polygon is not None:
            cv2.fillConvexPoly(out, np.round(shape.polygon).astype(np.int32), 1)
        a, b = np.round(shape.a).astype(int), np.round(shape.b).astype(int)
        cv2.line(out, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), 1, thickness=2 * r + 1)
        for p in (a, b):
            cv2.circle(out, (int(p[0]), int(p[1])), r, 1, thickness=-1)
    for knee, ankle in (("RKnee", "RAnkle"), ("LKnee", "LAnkle")):
        # Feet point any way from the ankle.
        if present[J[knee]] and present[J[ankle]]:
            p = np.round(joints[J[ankle]]).astype(int)
            foot = 0.35 * float(np.linalg.norm(joints[J[ankle]] - joints[J[knee]])) + margin
            cv2.circle(out, (int(p[0]), int(p[1])), max(1, round(foot)), 1, thickness=-1)
    if margin > 0:
        k = 2 * round(margin) + 1
        poly = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        out = cv2.dilate(out, poly)
    return out.astype(bool)


SKIRT_COVER = 0.7
"""A source shows a skirt or a dress when the person covers at least this share of the gap
between the thighs (:func:`skirt_area`)."""
SKIRT_COLOUR = 25.0
"""... or, legs together, when the cloth on the thighs and the shins differ by more than
this (8-bit CIE Lab)."""


def skirt_area(
    person: np.ndarray, joints: np.ndarray, radii: np.ndarray, image: np.ndarray
) -> np.ndarray | None:
    """Bool ``(H, W)``: the skirt or dress of the person (``person`` bool ``(H, W)``, joints
    ``(15, 2)``, part radii ``(P,)``, pixels; ``image`` ``(H, W, 3)`` uint8 RGB), or None.

    Legs apart: between the thighs (the quadrilateral of the hips and knees, farther than
    1.3 radii from both thigh bones, from a fifth to two thirds of the way down: below the
    crotch of baggy trousers, above the hem of most skirts), a person in trousers shows the
    scene, in a skirt cloth; a skirt when the person covers :data:`SKIRT_COVER` of it. Legs
    together (that gap under 0.3 thigh lengths times the thigh radius): a skirt when the
    shins are bare (most of their pixels of the face's colour) and the thighs are covered
    (a third of the quadrilateral not of skin) by cloth of another colour
    (:data:`SKIRT_COLOUR`): a dress over bare legs, not trousers (shorts pass for a skirt
    here); only when the knees and ankles are in the image.

    The skirt is then the person's pixels below the hip line within the quadrilateral grown
    by the thigh radius, but for bare skin (the face's colour, :data:`SKIN_COLOUR`), and of
    that only the sheet that hangs from the hips (:func:`_hanging_sheet`: not the shaded
    edges of bare thighs under shorts, nor a shaded knee): cloth that spreads with the
    knees."""
    import cv2

    h, w = person.shape
    rh, lh, lk, rk = (joints[J[n]] for n in ("RHip", "LHip", "LKnee", "RKnee"))
    inside = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(inside, cv2.convexHull(np.round([rh, lh, lk, rk]).astype(np.int32)), 1)
    ys, xs = np.nonzero(inside)
    if len(xs) == 0:
        return None
    x, y = xs.astype(np.float32), ys.astype(np.float32)
    ir, il = PART_INDEX["r_thigh"], PART_INDEX["l_thigh"]
    away = (segment_distance_xy(x, y, rh, rk) > 1.3 * radii[ir]) & (
        segment_distance_xy(x, y, lh, lk) > 1.3 * radii[il]
    )
    hip_mid, knee_mid = 0.5 * (rh + lh), 0.5 * (rk + lk)
    axis = knee_mid - hip_mid
    along = ((x - hip_mid[0]) * axis[0] + (y - hip_mid[1]) * axis[1]) / max(
        float(axis @ axis), 1e-6
    )
    gap = away & (along > 0.2) & (along < 0.67)
    grow = max(1, round(max(radii[ir], radii[il])))
    zone = cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2))
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    below = beyond(gx, gy, joints[J["Neck"]], joints[J["MidHip"]], "b")
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    skin = _skin(lab, person, joints, radii)
    skirt = zone.astype(bool) & below & person & ~skin
    skirt = _hanging_sheet(skirt, rh, lh, min(radii[ir], radii[il]))
    thigh = 0.5 * float(np.linalg.norm(rk - rh) + np.linalg.norm(lk - lh))
    if gap.sum() >= max(30.0, 0.3 * thigh * 0.5 * (radii[ir] + radii[il])):
        return skirt if person[ys[gap], xs[gap]].mean() >= SKIRT_COVER else None
    legs = joints[[J[n] for n in ("RKnee", "LKnee", "RAnkle", "LAnkle")]]
    if not ((legs >= 0).all() and (legs[:, 0] < w).all() and (legs[:, 1] < h).all()):
        return None
    shins = np.zeros((h, w), np.uint8)
    for knee, ankle, part in (("RKnee", "RAnkle", "r_shin"), ("LKnee", "LAnkle", "l_shin")):
        a, b = np.round(joints[J[knee]]), np.round(joints[J[ankle]])
        a = a + 0.25 * (b - a)  # below the knee: a hem near it is the skirt's
        r = max(1, round(0.6 * radii[PART_INDEX[part]]))
        cv2.line(shins, tuple(int(v) for v in a), tuple(int(v) for v in b), 1, 2 * r + 1)
    shins = shins.astype(bool) & person
    thighs = skirt & (inside > 0)
    if shins.sum() < 20 or thighs.sum() < 0.3 * (inside > 0).sum():
        return None
    bare = skin[shins].mean() >= 0.5
    apart = np.linalg.norm(np.median(lab[thighs], 0) - np.median(lab[shins], 0))
    return skirt if bare and apart > SKIRT_COLOUR else None


SKIRT_STRIP = 0.3
"""Parts of a skirt narrower than twice this share of the thigh radius are left to the legs
(:func:`skirt_area`)."""


def _hanging_sheet(area: np.ndarray, rh: np.ndarray, lh: np.ndarray, radius: float) -> np.ndarray:
    """What of ``area`` (bool ``(H, W)``) may be cloth hanging from the hips: a sheet, so
    without its strips narrower than :data:`SKIRT_STRIP` of the thigh ``radius`` across
    (the shaded edge of a bare thigh), and in pieces that reach within ``radius`` of the
    hip segment ``rh``-``lh`` (a shaded knee is not a skirt)."""
    import cv2

    k = 2 * max(1, round(SKIRT_STRIP * radius)) + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    sheet = cv2.morphologyEx(area.astype(np.uint8), cv2.MORPH_OPEN, disc)
    n, comp = cv2.connectedComponents(sheet)
    ys, xs = np.nonzero(sheet)
    near = segment_distance_xy(xs.astype(np.float32), ys.astype(np.float32), rh, lh) <= radius
    keep = np.zeros(n, bool)
    keep[np.unique(comp[ys[near], xs[near]])] = True
    keep[0] = False
    return keep[comp]


SKIN_COLOUR = 22.0
"""Pixels within this distance (8-bit CIE Lab, lightness weighted by 0.5) of the face's
median colour count as bare skin (:func:`skirt_area` leaves bare legs to the legs)."""


def _skin(lab: np.ndarray, person: np.ndarray, joints: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Bool ``(H, W)``: pixels of the colour of the face (the person's pixels within half
    the head's radius of the nose); all False when there are too few of them."""
    h, w = person.shape
    nose = joints[J["Nose"]]
    r = 0.5 * radii[PART_INDEX["head"]]
    gy, gx = np.mgrid[0:h, 0:w]
    face = person & ((gx - nose[0]) ** 2 + (gy - nose[1]) ** 2 < r * r)
    if face.sum() < 20:
        return np.zeros((h, w), bool)
    ref = np.median(lab[face], 0)
    weight = np.array([0.5, 1.0, 1.0], np.float32)
    return np.linalg.norm((lab - ref) * weight, axis=-1) < SKIN_COLOUR


def capsule_area(shape: PartShape) -> float:
    """Area in pixels of the part's expected region (a capsule; the torso's polygon)."""
    if shape.polygon is not None and len(shape.polygon) >= 3:
        x, y = shape.polygon[:, 0], shape.polygon[:, 1]
        return float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
    length = float(np.linalg.norm(shape.b - shape.a))
    return 2 * shape.radius * length + np.pi * shape.radius**2


# ---------------------------------------------------------------------- transforms
def head_roll(pose: PoseSequence, thr: float = 0.5) -> np.ndarray:
    """``(T,)`` direction in radians (``atan2(dy, dx)``, y down) of the face's left-right
    line: the sum of ``LEye - REye`` and ``LEar - REar`` over the pairs found (confidence
    >= ``thr``); NaN where neither pair is found, the pose has no such joints, or the line
    is shorter than a quarter of the nose-neck distance (a face in profile)."""
    from skeleton_io.convert import convert
    from skeleton_io.skeleton import BODY25

    names = set(pose.skeleton.joints)
    out = np.full(pose.num_frames, np.nan)
    if not any(a in names and b in names for a, b in FACE_LINES):
        return out
    body = pose if pose.skeleton.name == BODY25.name else convert(pose, BODY25)
    xy, conf = body.coords[..., :2], body.confidence
    v = np.zeros((pose.num_frames, 2))
    for a, b in FACE_LINES:
        ia, ib = BODY25.idx(a), BODY25.idx(b)
        seen = (conf[:, ia] >= thr) & (conf[:, ib] >= thr)
        v += np.where(seen[:, None], xy[:, ia] - xy[:, ib], 0.0)
    head = np.linalg.norm(xy[:, BODY25.idx("Nose")] - xy[:, BODY25.idx("Neck")], axis=-1)
    ok = np.linalg.norm(v, axis=-1) >= 0.25 * np.maximum(head, 1e-6)
    out[ok] = np.arctan2(v[ok, 1], v[ok, 0])
    return out


def head_centres(pose: PoseSequence, thr: float = 0.5) -> np.ndarray:
    """``(T, 2)`` midpoint of the ears (pixels) where both are found (confidence >=
    ``thr``), NaN elsewhere or when the pose has no ears. The head turns about it: when the
    face turns sideways the nose swings, the midpoint of the ears stays over the neck."""
    out = np.full((pose.num_frames, 2), np.nan)
    names = pose.skeleton.joints
    if "LEar" not in names or "REar" not in names:
        return out
    il, ir = pose.skeleton.idx("LEar"), pose.skeleton.idx("REar")
    ok = (pose.confidence[:, il] >= thr) & (pose.confidence[:, ir] >= thr)
    mid = 0.5 * (pose.coords[:, il, :2] + pose.coords[:, ir, :2])
    out[ok] = mid[ok]
    return out


def head_turns(source: PoseSequence, target: PoseSequence) -> np.ndarray:
    """``(T,)`` roll of the head in radians from the source's first frame to each target
    frame: the change of :func:`head_roll` taken as a line's (within -pi/2..pi/2, so a face
    seen from behind, whose left and right swap on the image, is not turned upside down);
    NaN where either is unknown."""
    d = head_roll(target) - head_roll(source)[0]
    return (d + np.pi / 2) % np.pi - np.pi / 2


def part_transforms(
    src: np.ndarray,
    dst: np.ndarray,
    scale: float,
    dst_ok: np.ndarray | None = None,
    head_turn: float | None = None,
) -> np.ndarray:
    """``(P, 2, 3)`` source -> target maps of every part of :data:`PARTS`.

    Limbs: :func:`limb_affine` anchored at the joint they hang from. Head: rotation by
    ``head_turn`` (radians, the face's own roll, :func:`head_turns`) or, when that is None
    or NaN, by the neck->nose direction's turn, and ``scale``, anchored at the nose (the
    neck->nose direction also swings when the head turns sideways or the shoulders
    shrug: a poor measure of the head's roll). Torso: the
    least-squares affine map of its six joints (:data:`TORSO_JOINTS`, those present in the
    target), with singular values kept within 0.25-2 times ``scale``.

    Args:
        src, dst: ``(15, 2)`` source and target joints (pixels).
        scale: the target body's size over the source's (thickness factor).
        dst_ok: ``(15,)`` target joints present (default all).
    """
    ok = np.ones(len(dst), bool) if dst_ok is None else dst_ok
    out = np.zeros((len(PARTS), 2, 3))
    for i, spec in enumerate(PARTS):
        a, b = J[spec.bone[0]], J[spec.bone[1]]
        if spec.name == "torso":
            idx = [J[n] for n in TORSO_JOINTS if ok[J[n]]]
            aff = fit_affine(src[idx], dst[idx]) if len(idx) >= 3 else None
            if aff is None:
                aff = similarity(src[idx], dst[idx]) if len(idx) >= 2 else None
            if aff is None:
                lin = scale * np.eye(2)
                aff = np.concatenate([lin, (dst[a] - lin @ src[a])[:, None]], axis=1)
            out[i] = clamp_affine(aff, scale)
        elif spec.name == "head" and head_turn is not None and np.isfinite(head_turn):
            cos, sin = np.cos(head_turn), np.sin(head_turn)
            lin = scale * np.array([[cos, -sin], [sin, cos]])
            out[i] = np.concatenate([lin, (dst[b] - lin @ src[b])[:, None]], axis=1)
        elif spec.name == "head":
            out[i] = limb_affine(src[a], src[b], dst[a], dst[b], scale, (1.0, 1.0), anchor="b")
        else:
            out[i] = limb_affine(src[a], src[b], dst[a], dst[b], scale)
    return out


__all__ = [
    "J",
    "PARTS",
    "PART_INDEX",
    "TORSO_JOINTS",
    "PartShape",
    "PartSpec",
    "beyond",
    "body_area",
    "body_unit",
    "capsule_area",
    "clamp_affine",
    "convex_polygon",
    "cut_parts",
    "default_radii",
    "fit_affine",
    "mirror_name",
    "head_centres",
    "head_roll",
    "head_turns",
    "invert_affine",
    "limb_affine",
    "measure_radii",
    "neighbours",
    "part_segment",
    "part_shapes",
    "part_transforms",
    "polygon_distance_xy",
    "segment_distance",
    "segment_distance_xy",
    "SKIRT_COLOUR",
    "SKIRT_COVER",
    "similarity",
    "skirt_area",
]
