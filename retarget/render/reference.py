"""The CPU reference renderer: part-based warping of the source person, no training.

How a frame is made (:class:`PartWarpRenderer`):

1. **Cut** (once per source, :func:`prepare_source`): every pixel of the person mask goes
   to the nearest bone in units of that part's thickness (:func:`~.parts.cut_parts`):
   torso, head, upper arms, forearms with hands, thighs, shins with feet; the torso stops
   at the hip line (the crotch goes with the thighs), the head at the shoulder line, and a
   hand found by BlazePose's hand landmarks goes with its forearm (:func:`hand_areas`: a
   hand resting on a thigh leaves with the arm). Each part becomes an RGBA texture: its
   own pixels, their colours extended outward (no background colour at the soft edge: no
   halo), and what the source does not show filled in: the torso behind an arm, the head
   or a thigh behind a hand, and any part of a limb outside the image, from the part's own
   colours (blurred). A part the source barely shows (less than
   ``min_coverage`` of its expected area: the legs of a knees-up photo) is *synthesised*:
   a shaded limb in the colour of the body next to it, with a warning.
2. **Move** (per frame): each part gets a source -> target transform
   (:func:`~.parts.part_transforms`: limbs rotate onto the target bone, stretch along it
   with foreshortening and keep their thickness; the torso follows an affine fit of its six
   joints; the head turns with the neck-nose direction). Each part is drawn as a layer
   through a dense *backward* map (``cv2.remap``): for an output pixel ``p`` the source
   position is ``sum_j w_j(p) A_j^-1 p`` over the part and its skeletal neighbours, with
   weights ``softmax(-d_j(p)^2 / 2 sigma^2)`` of the distance to each target bone
   (neighbours only within ``blend_radius`` of the shared joint). Adjacent layers so use the
   same map around their joint: no seams, the joint bends smoothly (linear blend skinning
   of the backward map).
3. **Composite** back to front (legs, torso, head, arms; in profile the far arm and leg go
   behind the torso) over the background: by default the source's own scene with the person
   removed (:func:`~.background.remove_person`).

The same textures are used for every frame, so the output cannot flicker beyond what the
target skeleton does. Thickness follows the body's size: the target's median spine length
over the source's.

Conventions: pixels of the source image, x right, y down; see :mod:`.base`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from skeleton_io.errors import InvalidArgumentError, NoPersonFoundError
from skeleton_io.pose import PoseSequence

from .background import extend_colors, remove_person
from .base import SourceAppearance, as_body15, background_frames, fit_to_image
from .parts import (
    PART_INDEX,
    PARTS,
    TORSO_JOINTS,
    J,
    PartShape,
    capsule_area,
    cut_parts,
    head_centres,
    head_roll,
    head_turns,
    invert_affine,
    limb_affine,
    measure_radii,
    neighbours,
    part_joints,
    part_shapes,
    part_transforms,
    skirt_area,
)
from .warp import AffineMap, ThinPlateSpline, fit_tps

log = logging.getLogger(__name__)

SEEN = 0.5
"""A limb is textured from the source only where both its joints have at least this
confidence (:func:`prepare_source`); else it is drawn from its other-side twin or as a plain
limb, with a warning."""
NOSE_SHIFT = 0.25
"""How far (in head radii) the nose may move inside the head's outline to follow the
target's nose when the face turns sideways (:meth:`PartWarpRenderer.part_maps`)."""
_LIMB_RADII = [PART_INDEX[n] for n in ("r_upper_arm", "r_forearm", "r_thigh", "r_shin")]
_ARMS = ("r_upper_arm", "r_forearm", "l_upper_arm", "l_forearm")
_COVERS = {
    "torso": _ARMS,
    "head": ("r_forearm", "l_forearm"),
    "r_thigh": ("r_forearm", "l_forearm"),
    "l_thigh": ("r_forearm", "l_forearm"),
}
"""Parts that, where they cover a part in the source, hide it: there it is filled in."""
PartMap = AffineMap | ThinPlateSpline
"""A part's backward map for one frame (target pixel -> source pixel)."""
Layer = tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]
"""One part drawn: ``(roi, rgb, alpha255)``, the box ``(x0, y0, x1, y1)`` of the output it
covers, its uint8 ``(h, w, 3)`` colours and its alpha (0-255, ``(h, w)``)."""


@dataclass
class PreparedSource:
    """A source cut into part textures (:func:`prepare_source`).

    Attributes:
        joints: ``(15, 2)`` source joints (pixels of the image); ``ok`` ``(15,)`` present.
        radii: ``(P,)`` part radii (pixels).
        labels: ``(H, W)`` int8 part of each person pixel (-1 none).
        textured: ``(P,)`` part drawn from the source's pixels (else synthesised).
        origins: per part, ``(x0, y0)`` of its texture in image pixels (None if synthesised).
        textures: per part, ``(h, w, 3)`` uint8 RGB texture (None if synthesised).
        alphas: per part, ``(h, w)`` uint8 alpha (0-255) of what the source shows.
        fills: per part, ``(h, w)`` uint8 alpha of what it fills in (None if nothing); drawn
            only where the part's own motion dominates the blended map.
        colors: ``(P, 3)`` float32 colour of each part (for synthesised parts).
        coverage: ``(P,)`` part's visible pixels over its expected area.
        borrowed: ``(P,)`` for a limb not shown, the textured limb whose texture it is
            drawn with (its other-side twin, else the limb it hangs from), else -1.
        background: the default background (source scene, person removed).
        spine: source spine length (Neck-MidHip) in pixels.
        warnings: what was guessed.
        head_centre: ``(2,)`` midpoint of the ears (:func:`~.parts.head_centres`), NaN when
            unknown; head_roll: direction of the face's left-right line in radians
            (:func:`~.parts.head_roll`), NaN when unknown.
        skirt: the torso has a skirt or a dress (:func:`~.parts.skirt_area`).
    """

    joints: np.ndarray
    ok: np.ndarray
    radii: np.ndarray
    labels: np.ndarray
    textured: np.ndarray
    origins: list[tuple[int, int] | None]
    textures: list[np.ndarray | None]
    alphas: list[np.ndarray | None]
    fills: list[np.ndarray | None]
    colors: np.ndarray
    coverage: np.ndarray
    borrowed: np.ndarray
    background: np.ndarray
    spine: float
    warnings: list[str] = field(default_factory=list)
    head_centre: np.ndarray = field(default_factory=lambda: np.full(2, np.nan))
    _rgba: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def rgba(self, i: int) -> np.ndarray:
        """Part ``i``'s texture and alpha as one ``(h, w, 4)`` uint8 array (made once)."""
        if i not in self._rgba:
            self._rgba[i] = np.ascontiguousarray(np.dstack([self.textures[i], self.alphas[i]]))
        return self._rgba[i]

    head_roll: float = float("nan")
    skirt: bool = False


# --------------------------------------------------------------------- shape alphas
def shape_alpha(shape: PartShape, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Antialiased coverage (1 px ramp) of a part's expected region: a capsule of its radius
    around its bone; for the torso its polygon joined with a capsule of its radius around
    the spine (a torso seen edge-on), 1 inside, fading to 0 one pixel outside."""
    from .parts import segment_distance_xy

    if shape.polygon is not None:
        return np.clip(1.0 - shape.distance_xy(x, y), 0.0, 1.0)

    d = segment_distance_xy(x, y, shape.a, shape.b)
    return np.clip(np.float32(shape.radius) - d + 0.5, 0.0, 1.0)


def _bbox(shape: PartShape, pad: float) -> tuple[int, int, int, int]:
    pts = [shape.a, shape.b] + ([] if shape.polygon is None else list(shape.polygon))
    p = np.array(pts)
    r = shape.radius + pad
    lo = np.floor(p.min(0) - r).astype(int)
    hi = np.ceil(p.max(0) + r).astype(int) + 1
    return int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])


def _crop(a: np.ndarray, box: tuple[int, int, int, int], fill: Any) -> np.ndarray:
    """``a[y0:y1, x0:x1]`` with out-of-range pixels set to ``fill``."""
    x0, y0, x1, y1 = box
    h, w = a.shape[:2]
    out = np.full((y1 - y0, x1 - x0, *a.shape[2:]), fill, dtype=a.dtype)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = a[sy0:sy1, sx0:sx1]
    return out


def sharpen_alpha(mask: np.ndarray, gain: float) -> np.ndarray:
    """Narrow a blurry mask's soft edge: ``clip((m - 0.5) * gain + 0.5)``."""
    return np.clip((mask - 0.5) * np.float32(gain) + 0.5, 0.0, 1.0).astype(np.float32)


# ------------------------------------------------------------------------- prepare
HAND_REACH = 1.2
"""Fingers reach beyond BlazePose's index and pinky landmarks (the knuckles) by this share
of their distance from the wrist."""


HAND_COLOUR = 30.0
"""Beyond the palm (wrist, thumb, knuckles), a pixel belongs to the hand only if its colour
is within this distance (8-bit CIE Lab, lightness weighted by :data:`_LAB_WEIGHT`: lit and
shaded skin differ most in lightness) of the palm's median colour."""
_LAB_WEIGHT = np.array([0.4, 1.0, 1.0], np.float32)


def _rests_on_alike(
    labels: np.ndarray, area: np.ndarray, lab: np.ndarray, ref: np.ndarray, part: str
) -> bool:
    """Whether the part (not the arm) that most of the person pixels around the hand
    (``area``) belong to has a median colour (8-bit Lab, away from the hand) within
    :data:`HAND_COLOUR` of the palm's ``ref``."""
    under = labels[area]
    arm = [PART_INDEX[part], PART_INDEX[part.replace("forearm", "upper_arm")]]
    other = under[(under >= 0) & ~np.isin(under, arm)]
    if len(other) == 0:
        return False
    host = int(np.bincount(other).argmax())
    rest = (labels == host) & ~area
    if rest.sum() < 20:
        return False
    return bool(np.linalg.norm(np.median(lab[rest], 0) - ref) < HAND_COLOUR)


def hand_areas(
    pose: PoseSequence,
    image: np.ndarray,
    mask: np.ndarray,
    grow: float,
    labels: np.ndarray | None = None,
) -> dict[int, np.ndarray]:
    """The hands of ``pose`` (first frame, pixels of ``image``) as bool ``(h, w)`` areas, by
    forearm part index: the palm (convex hull of the wrist, the thumb and the index and
    pinky knuckles) and, of the person (``mask`` > 0.5) around it (the fingers beyond the
    knuckles, :data:`HAND_REACH`, all grown by ``grow`` pixels), what has the palm's colour
    (:data:`HAND_COLOUR`): a hand resting on the thigh takes its fingers, not the trousers.
    Where the two hands' areas overlap (hands together), the nearer palm's claims. With ``labels``
    (the cut without hands, :func:`~.parts.cut_parts`), a hand whose palm has the colour of
    the part it lies on (a hand in a pocket, a glove of the trousers' colour) claims nothing:
    its landmarks then point at the part, not at a hand. Only hands whose four landmarks
    are all found (confidence >= 0.5) on a skeleton that has them (``blazepose33``); empty
    otherwise."""
    import cv2

    h, w = mask.shape
    lab = None
    names = pose.skeleton.joints
    out: dict[int, np.ndarray] = {}
    palms: dict[int, np.ndarray] = {}
    for side, part in (("R", "r_forearm"), ("L", "l_forearm")):
        want = [side + n for n in ("Wrist", "Pinky", "Index", "Thumb")]
        if not all(n in names for n in want):
            continue
        idx = [pose.skeleton.idx(n) for n in want]
        if (pose.confidence[0, idx] < 0.5).any():
            continue
        wr, p, i, t = pose.coords[0, idx]
        palm = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(palm, cv2.convexHull(np.round([wr, p, i, t]).astype(np.int32)), 1)
        reach = np.array([wr, p, i, t, p + HAND_REACH * (p - wr), i + HAND_REACH * (i - wr)])
        area = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(area, cv2.convexHull(np.round(reach).astype(np.int32)), 1)
        r = max(1, round(grow))
        area = cv2.dilate(area, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
        core = palm.astype(bool) & (mask > 0.5)
        if core.sum() < 5:
            continue
        if lab is None:
            lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
        ref = np.median(lab[core], 0)
        if labels is not None and _rests_on_alike(labels, area.astype(bool), lab, ref, part):
            continue
        alike = np.linalg.norm((lab - ref) * _LAB_WEIGHT, axis=-1) < HAND_COLOUR
        claim = (core | (area.astype(bool) & alike & (mask > 0.5))).astype(np.uint8)
        # The hand's fringe (colours mixed with what is behind it) goes with it too.
        claim = cv2.dilate(claim, np.ones((5, 5), np.uint8)) & area & (mask > 0.05)
        out[PART_INDEX[part]] = claim.astype(bool)
        palms[PART_INDEX[part]] = np.mean([wr, p, i, t], axis=0)
    if len(out) == 2:
        # Hands together (a grip, a clasp): where they overlap, the nearer palm claims.
        ir, il = PART_INDEX["r_forearm"], PART_INDEX["l_forearm"]
        ys, xs = np.nonzero(out[ir] & out[il])
        if len(xs):
            pts = np.stack([xs, ys], axis=1).astype(np.float64)
            nearer_r = np.linalg.norm(pts - palms[ir], axis=1) <= np.linalg.norm(
                pts - palms[il], axis=1
            )
            out[il][ys[nearer_r], xs[nearer_r]] = False
            out[ir][ys[~nearer_r], xs[~nearer_r]] = False
    return out


def _mirror_name(name: str) -> str:
    if name.startswith("r_"):
        return "l_" + name[2:]
    if name.startswith("l_"):
        return "r_" + name[2:]
    return name


def part_texture(
    i: int,
    shape: PartShape,
    labels: np.ndarray,
    mask: np.ndarray,
    image: np.ndarray,
    joints: np.ndarray,
    seam: int,
    seam_radius: float,
    covers: dict[str, tuple[str, ...]] | None = None,
) -> tuple[tuple[int, int], np.ndarray, np.ndarray, np.ndarray | None]:
    """Texture of part ``i`` (:data:`~.parts.PARTS` index) cut from the source.

    Returns ``(origin, rgb, alpha, fill)``: the texture's top-left corner ``(x0, y0)`` in
    image pixels (it may reach beyond the image), its ``(h, w, 3)`` uint8 colours, the
    ``(h, w)`` uint8 alpha of what the source shows (the part's pixels, reaching ``seam``
    pixels into its skeletal neighbours within ``seam_radius`` of their shared joint), and
    the uint8 alpha of what it fills in (the part's expected region where a part in front
    hides it or beyond the image's border; None if nothing). Colours are the image's inside
    the silhouette and the part's own colours extended (blurred) elsewhere.
    """
    import cv2

    spec = PARTS[i]
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * seam + 1, 2 * seam + 1))
    box = _bbox(shape, pad=seam + 2)
    ys, xs = np.nonzero(labels == i)
    box = (
        min(box[0], int(xs.min()) - seam - 2),
        min(box[1], int(ys.min()) - seam - 2),
        max(box[2], int(xs.max()) + seam + 3),
        max(box[3], int(ys.max()) + seam + 3),
    )
    lab = _crop(labels, box, np.int8(-2))  # -2: outside the image
    m = _crop(mask, box, np.float32(0))
    img = _crop(image, box, np.uint8(0))
    own = lab == i
    gy, gx = np.mgrid[box[1] : box[3], box[0] : box[2]].astype(np.float32)
    adjacent = own.copy()
    for other, joint in neighbours(spec.name):
        jx, jy = joints[J[joint]]
        near = (gx - jx) ** 2 + (gy - jy) ** 2 < seam_radius**2
        adjacent |= (lab == PART_INDEX[other]) & near
    soft = cv2.dilate(own.astype(np.uint8), kernel).astype(bool) & adjacent
    alpha = m * soft
    # What the source does not show: the part's expected region where other parts cover it
    # (torso: an arm in front; head: a hand) or beyond the image's border.
    region = shape_alpha(shape, gx, gy)
    hidden = lab == -2
    covering = (covers or _COVERS).get(spec.name, ())
    for other in covering:
        hidden |= lab == PART_INDEX[other]
    fill = region * hidden * (m if covering else 1.0)
    # Colours are trusted one pixel inside the silhouette (its edge mixes in the scene); at
    # the borders between parts the image's own colours are kept.
    solid = cv2.erode((m > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    interior = own & solid
    if interior.sum() < 10:
        interior = own & (m > 0.5)
    if not interior.any():
        interior = own
    ext = extend_colors(img, interior)
    blur = cv2.GaussianBlur(ext, (0, 0), max(1.5, 0.25 * shape.radius))
    rgb = np.ascontiguousarray(np.where((interior | (soft & solid))[..., None], img, blur))
    alpha8 = np.round(alpha * 255).astype(np.uint8)
    fill8 = None
    if fill.max() > 0:
        fill8 = np.round(np.maximum(fill - alpha, 0) * 255).astype(np.uint8)
        # Next to what covers the part lie its soft edge, its shadow, fingers it did not
        # claim: colours are taken from a little farther away.
        ring = max(1, round(0.3 * shape.radius))
        near = cv2.dilate((fill8 > 0).astype(np.uint8), np.ones((2 * ring + 1,) * 2, np.uint8))
        known = interior & ~near.astype(bool)
        rgb = _inpaint_fill(rgb, fill8 > 0, known if known.sum() >= 20 else interior)
    return (box[0], box[1]), rgb, alpha8, fill8


def _inpaint_fill(rgb: np.ndarray, hole: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``rgb`` with ``hole`` (what a part fills in) painted from the ``known`` pixels around
    it (OpenCV's Telea inpainting, at up to 128 px across the hole's box): the dress and the
    jacket around a forearm continue into its place instead of blurring into grey."""
    import cv2

    ys, xs = np.nonzero(hole)
    if len(xs) == 0:
        return rgb
    pad = 8
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, rgb.shape[0])
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, rgb.shape[1])
    crop = rgb[y0:y1, x0:x1]
    unknown = (~known[y0:y1, x0:x1]).astype(np.uint8)
    f = min(1.0, 128.0 / max(crop.shape[:2]))
    small = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else crop
    small_unknown = (
        cv2.resize(unknown, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST)
        if f < 1
        else unknown
    )
    painted = cv2.inpaint(small, small_unknown, 3, cv2.INPAINT_TELEA)
    if f < 1:
        painted = cv2.resize(
            painted, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR
        )
    out = rgb.copy()
    region = hole[y0:y1, x0:x1] & ~known[y0:y1, x0:x1]
    out[y0:y1, x0:x1][region] = painted[region]
    return out


def prepare_source(
    source: SourceAppearance,
    *,
    min_coverage: float = 0.3,
    edge_gain: float = 2.5,
    seam: int = 2,
    seam_reach: float = 1.5,
    default_background: bool = True,
    skirts: bool = True,
) -> PreparedSource:
    """Cut ``source`` into part textures (step 1 of the module docstring).

    Args:
        min_coverage: a part showing less than this fraction of its expected area is
            synthesised.
        edge_gain: :func:`sharpen_alpha` gain for the mask's edge.
        seam: pixels a part's alpha reaches into its skeletal neighbours (overlap at joints),
            within ``seam_reach`` mean limb radii of the joint they share.
        default_background: also build the person-removed background (skip when the caller
            brings its own).
        skirts: look for a skirt or a dress (:func:`~.parts.skirt_area`): it goes with the
            torso, and moves with the hips and the knees.

    Raises:
        NoPersonFoundError: the mask is empty or the torso's joints are missing.
    """
    pose = as_body15(source.pose)
    joints = pose.coords[0].copy()
    ok = pose.confidence[0] > 0
    if not ok[[J[n] for n in ("Neck", "RShoulder", "LShoulder")]].all() or not (
        ok[J["MidHip"]] or (ok[J["RHip"]] and ok[J["LHip"]])
    ):
        raise NoPersonFoundError(
            f"{source.meta.get('path', 'source')}: the source skeleton lacks shoulders or hips; "
            "the renderer needs at least the torso of the person"
        )
    mask = sharpen_alpha(source.mask, edge_gain)
    person = mask > 0.5
    if person.sum() < 50:
        raise NoPersonFoundError(
            f"{source.meta.get('path', 'source')}: the person mask is empty; pass a mask that "
            "covers the person"
        )
    # A limb is cut out only where the source shows both its joints: one guessed out of
    # view or behind the body points at other pixels (an arm of the suit's chest).
    seen = ok & (pose.confidence[0] >= SEEN)
    usable = np.array(
        [
            (ok if p.name in ("torso", "head") else seen)[[J[n] for n in part_joints(p)]].all()
            for p in PARTS
        ]
    )
    radii = measure_radii(person, joints, usable)
    shapes = part_shapes(joints, radii)
    limb_r = float(np.mean(radii[_LIMB_RADII]))
    labels = cut_parts(mask, shapes, usable)
    claims = hand_areas(source.pose, source.image, mask, 0.5 * limb_r, labels)
    legs = [J[n] for n in ("RHip", "LHip", "RKnee", "LKnee", "Neck", "MidHip")]
    skirt = skirt_area(person, joints, radii, source.image) if skirts and ok[legs].all() else None
    if skirt is not None:
        claims = {PART_INDEX["torso"]: skirt, **claims}
    if claims:
        labels = cut_parts(mask, shapes, usable, claims=claims)
    image = source.image
    warnings: list[str] = []

    coverage = np.zeros(len(PARTS))
    for i, shape in enumerate(shapes):
        if usable[i]:
            coverage[i] = float(((labels == i) & person).sum()) / max(capsule_area(shape), 1.0)
    textured = usable & (coverage >= min_coverage)
    covers = _COVERS
    if skirt is not None:
        # The thighs are under the skirt, not missing: what shows of them (below the hem)
        # is their texture, the rest is filled in from it.
        covers = {**_COVERS, "r_thigh": ("torso", *_COVERS["r_thigh"])}
        covers["l_thigh"] = covers["r_thigh"]
        for name in ("r_thigh", "l_thigh"):
            k = PART_INDEX[name]
            textured[k] |= usable[k] and ((labels == k) & person).sum() >= 20
    textured[PART_INDEX["torso"]] = usable[PART_INDEX["torso"]]
    if (textured != usable).any():
        # Pixels of parts too little shown go to the textured parts next to them.
        labels = cut_parts(mask, shapes, textured, claims=claims)

    origins: list[tuple[int, int] | None] = [None] * len(PARTS)
    textures: list[np.ndarray | None] = [None] * len(PARTS)
    alphas: list[np.ndarray | None] = [None] * len(PARTS)
    fills: list[np.ndarray | None] = [None] * len(PARTS)
    colors = np.zeros((len(PARTS), 3), dtype=np.float32)
    for i, shape in enumerate(shapes):
        member = labels == i
        if not member.any():
            textured[i] = False
            continue
        colors[i] = np.median(
            image[member & person] if (member & person).any() else image[member], 0
        )
        if not textured[i]:
            continue
        tex = part_texture(i, shape, labels, mask, image, joints, seam, seam_reach * limb_r, covers)
        origins[i], textures[i], alphas[i], fills[i] = tex

    # Colours of synthesised parts: the other side's, else the body they hang from.
    for i, spec in enumerate(PARTS):
        if textured[i] or spec.parent is None:
            continue
        p = PART_INDEX[spec.parent]
        mirror = PART_INDEX.get(_mirror_name(spec.name), -1)
        if mirror >= 0 and textured[mirror]:
            colors[i] = colors[mirror]
        elif ((labels == p) & person).sum() >= 20:
            colors[i] = np.median(image[(labels == p) & person], 0)
        else:
            colors[i] = colors[p]
    borrowed = np.full(len(PARTS), -1)
    for i, spec in enumerate(PARTS):
        if textured[i] or spec.side == "":
            continue
        # The other side's twin, else the limb it hangs from (a sleeve goes on), on this
        # side or the other.
        parent = spec.parent if spec.parent and PARTS[PART_INDEX[spec.parent]].side else None
        donors = [_mirror_name(spec.name)] + ([parent, _mirror_name(parent)] if parent else [])
        for name in donors:
            m = PART_INDEX[name]
            if textured[m] and usable[m]:
                borrowed[i] = m
                break
    if (borrowed >= 0).any():
        names = [
            f"{PARTS[i].name} (drawn with the {PARTS[borrowed[i]].name}'s texture)"
            for i in np.nonzero(borrowed >= 0)[0]
        ]
        warnings.append("the source does not show " + ", ".join(names))
    missing = [p.name for i, p in enumerate(PARTS) if not textured[i] and borrowed[i] < 0]
    if missing:
        warnings.append(
            "the source does not show "
            + ", ".join(missing)
            + ": drawn as plain shaded limbs in the colour of the body next to them"
        )
    spine = float(np.linalg.norm(joints[J["Neck"]] - joints[J["MidHip"]]))
    background = remove_person(image, source.mask) if default_background else np.zeros_like(image)
    return PreparedSource(
        joints=joints,
        ok=ok,
        radii=radii,
        labels=labels,
        textured=textured,
        origins=origins,
        textures=textures,
        alphas=alphas,
        fills=fills,
        colors=colors,
        coverage=coverage,
        borrowed=borrowed,
        background=background,
        spine=max(spine, 1.0),
        warnings=warnings,
        head_centre=head_centres(source.pose)[0],
        head_roll=float(head_roll(source.pose)[0]),
        skirt=skirt is not None,
    )


# --------------------------------------------------------------------------- frames
def depth_order(prep: PreparedSource, joints: np.ndarray, scale: float) -> list[int]:
    """Parts back to front for one target frame.

    Default: thighs, shins, torso, head, upper arms, forearms. When the target's shoulders
    are narrower than 0.4 of the source's (scaled) while the source faces the camera (a
    profile), the far side's arm and leg go behind everything: the far side is the
    performer's left when the nose is right of the neck on the image (turned towards its
    own left), else its right.
    """
    depth = {p.name: float(p.depth) for p in PARTS}
    s_sh = prep.joints[J["LShoulder"]] - prep.joints[J["RShoulder"]]
    t_sh = joints[J["LShoulder"]] - joints[J["RShoulder"]]
    den = float(s_sh @ s_sh) * scale
    if den > 1e-6 and s_sh[0] > 0 and float(t_sh @ s_sh) / den < 0.4:
        facing_right = joints[J["Nose"], 0] > joints[J["Neck"], 0]
        far = "L" if facing_right else "R"
        for p in PARTS:
            if p.side == far:
                depth[p.name] -= 10.0
    return sorted(range(len(PARTS)), key=lambda i: (depth[PARTS[i].name], i))


@dataclass
class RenderPlan:
    """A target made ready for :meth:`PartWarpRenderer.render_frame` (pixels of the source
    image): the prepared source, ``(T, 15, 2)`` joints and ``(T, 15)`` presence on
    ``openpose15``, the thickness scale, and per frame the head's roll (radians) and the
    ears' midpoint ``(T, 2)`` (NaN where unknown)."""

    prep: PreparedSource
    joints: np.ndarray
    present: np.ndarray
    scale: float
    turns: np.ndarray
    centres: np.ndarray

    def frame(self, t: int) -> tuple[PreparedSource, np.ndarray, np.ndarray, float]:
        """The positional arguments of :meth:`PartWarpRenderer.render_frame` for frame
        ``t`` up to the background."""
        return self.prep, self.joints[t], self.present[t], self.scale


class PartWarpRenderer:
    """The CPU reference backend (see the module docstring). Registered as ``reference``.

    Args:
        blend_sigma: width of the blend at joints, in mean limb radii.
        blend_radius: how far from a joint a neighbour's motion reaches, in mean limb radii.
        min_coverage: parts showing less than this fraction of themselves are synthesised.
        edge_gain: sharpening of the mask's soft edge (1 keeps it as it is).
        thickness: ``"auto"`` (target spine over source spine, median over frames) or a
            number: the target body's size over the source's, across the limbs.
        map_step: the backward map is computed every ``map_step`` pixels and scaled up.
        agree: a neighbour's map is blended in only where it lands within about
            ``agree * sigma`` of the part's own map in the source.
        trunk_warp: ``"tps"`` (one thin-plate spline for the torso and the head, through
            the torso's joints and the face, see :meth:`part_maps`) or ``"affine"`` (the
            least-squares affine map of the torso's joints; the head turns rigidly).
        tps_smoothing: smoothing of that spline (squared pixels; 0: exact at the joints).
        skirts: a skirt or a dress goes with the torso and spreads with the knees
            (:func:`~.parts.skirt_area`; with ``trunk_warp="tps"``).
        workers: frames rendered at once, in threads (1: one after the other).
    """

    name = "reference"
    device_needs = "cpu"

    def __init__(
        self,
        *,
        blend_sigma: float = 0.45,
        blend_radius: float = 1.2,
        min_coverage: float = 0.3,
        edge_gain: float = 2.5,
        thickness: str | float = "auto",
        map_step: int = 4,
        agree: float = 2.0,
        trunk_warp: str = "tps",
        tps_smoothing: float = 0.0,
        skirts: bool = True,
        workers: int = 2,
    ) -> None:
        if blend_sigma <= 0 or blend_radius <= 0:
            raise InvalidArgumentError("blend_sigma and blend_radius must be positive")
        if not 0 <= min_coverage <= 1:
            raise InvalidArgumentError(f"min_coverage must be within 0..1, got {min_coverage}")
        if thickness != "auto" and not (isinstance(thickness, (int, float)) and thickness > 0):
            raise InvalidArgumentError(f"thickness must be 'auto' or > 0, got {thickness!r}")
        self.blend_sigma = blend_sigma
        self.blend_radius = blend_radius
        self.min_coverage = min_coverage
        self.edge_gain = edge_gain
        self.thickness = thickness
        if map_step < 1:
            raise InvalidArgumentError(f"map_step must be >= 1, got {map_step}")
        self.map_step = int(map_step)
        self.agree = float(agree)
        if trunk_warp not in ("affine", "tps"):
            raise InvalidArgumentError(f"trunk_warp must be affine or tps, got {trunk_warp!r}")
        self.trunk_warp = trunk_warp
        self.tps_smoothing = float(tps_smoothing)
        self.skirts = bool(skirts)
        if workers < 1:
            raise InvalidArgumentError(f"workers must be >= 1, got {workers}")
        self.workers = int(workers)
        self._cache: tuple[tuple, PreparedSource, SourceAppearance] | None = None

    def prepare(self, source: SourceAppearance) -> PreparedSource:
        """:func:`prepare_source` with this renderer's settings (cached for the last source:
        the same image, mask and pose objects, and a background given or not)."""
        key = (id(source.image), id(source.mask), id(source.pose), source.background is None)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        prep = prepare_source(
            source,
            min_coverage=self.min_coverage,
            edge_gain=self.edge_gain,
            default_background=source.background is None,
            skirts=self.skirts,
        )
        for text in prep.warnings:
            log.warning("%s: %s", source.meta.get("path", "source"), text)
        # The source is kept with the key: the ids stay its own while it lives.
        self._cache = (key, prep, source)
        return prep

    def scale_for(self, prep: PreparedSource, target: PoseSequence) -> float:
        """The target body's size over the source's (see ``thickness``)."""
        if self.thickness != "auto":
            return float(self.thickness)
        spine = np.linalg.norm(target.joint("Neck") - target.joint("MidHip"), axis=-1)
        ok = target.visible[:, J["Neck"]] & target.visible[:, J["MidHip"]]
        if not ok.any():
            return 1.0
        return float(np.clip(np.median(spine[ok]) / prep.spine, 0.2, 5.0))

    def plan(self, source: SourceAppearance, target: PoseSequence) -> RenderPlan:
        """What :meth:`render_frame` needs for each frame of ``target`` on ``source``."""
        prep = self.prepare(source)
        full = fit_to_image(target, source.size)
        tgt = as_body15(full)
        return RenderPlan(
            prep=prep,
            joints=tgt.coords[..., :2],
            present=tgt.confidence > 0,
            scale=self.scale_for(prep, tgt),
            turns=head_turns(source.pose, full),
            centres=head_centres(full),
        )

    def render(self, source: SourceAppearance, target: PoseSequence) -> Iterator[np.ndarray]:
        """Yield one frame per target frame (see :class:`~.base.Renderer`)."""
        plan = self.plan(source, target)
        prep = plan.prep
        frames = background_frames(source.background, prep.background, len(plan.joints))

        def one(t: int, bg: np.ndarray) -> np.ndarray:
            return self.render_frame(
                *plan.frame(t), bg, head_turn=plan.turns[t], head_centre=plan.centres[t]
            )

        if self.workers == 1:
            for t, bg in enumerate(frames):
                yield one(t, bg)
            return
        # Frames in order from a few threads (OpenCV and numpy let go of the interpreter
        # while they work), at most two per thread ahead: memory stays flat.
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(self.workers, thread_name_prefix="render") as pool:
            ahead: deque = deque()
            for t, bg in enumerate(frames):
                ahead.append(pool.submit(one, t, bg))
                if len(ahead) >= 2 * self.workers:
                    yield ahead.popleft().result()
            while ahead:
                yield ahead.popleft().result()

    # ------------------------------------------------------------------ one frame
    def render_frame(
        self,
        prep: PreparedSource,
        joints: np.ndarray,
        present: np.ndarray,
        scale: float,
        background: np.ndarray,
        labels: np.ndarray | None = None,
        head_turn: float | None = None,
        head_centre: np.ndarray | None = None,
    ) -> np.ndarray:
        """One frame: the parts at ``joints`` ``(15, 2)`` composited over ``background``;
        ``head_turn``: the head's roll from the source in radians (see
        :func:`~.parts.part_transforms`); ``head_centre``: ``(2,)`` the midpoint of the
        target's ears (see :meth:`part_maps`), NaN or None when unknown.

        ``labels``: an ``(H, W)`` int array filled in place with the part (:data:`PARTS`
        index) drawn on top at each pixel where its alpha is at least one half, -1 where
        none is (for measuring where the error comes from)."""
        out = background.copy()
        if labels is not None:
            labels[...] = -1
        fwd = part_transforms(prep.joints, joints, scale, present, head_turn)
        inv = self.part_maps(prep, joints, present, fwd, head_turn, head_centre, scale)
        # The limbs blend in the trunk's affine map by the shoulders and hips, where the
        # spline passes through it (and is dearer to evaluate).
        limb_inv = [AffineMap(m) for m in invert_affine(fwd)]
        radii = prep.radii * scale
        shapes = part_shapes(joints, radii)
        limb_r = float(np.mean(radii[_LIMB_RADII]))
        sigma = self.blend_sigma * limb_r
        reach = self.blend_radius * limb_r
        layers: list[Layer | None] = []
        for i in depth_order(prep, joints, scale):
            spec = PARTS[i]
            if not present[[J[n] for n in part_joints(spec)]].all():
                continue
            if prep.textured[i]:
                maps = inv if spec.name in ("torso", "head") else limb_inv
                layer = self._warp_layer(out, prep, i, fwd, maps, shapes, joints, sigma, reach)
            elif prep.borrowed[i] >= 0:
                # A plain limb under the borrowed texture: where that does not reach (its
                # donor partly hidden), the limb is still whole.
                layers.append(self._synth_layer(out, prep, i, shapes[i]))
                layer = self._borrowed_layer(out, prep, i, joints, scale)
            else:
                layer = self._synth_layer(out, prep, i, shapes[i])
            for done in [*layers, layer]:
                if done is None:
                    continue
                roi, rgb, alpha = done
                blend(out, roi, rgb, alpha)
                if labels is not None:
                    x0, y0, x1, y1 = roi
                    labels[y0:y1, x0:x1][alpha >= 127.5] = i
            layers.clear()
        return out

    def part_maps(
        self,
        prep: PreparedSource,
        joints: np.ndarray,
        present: np.ndarray,
        fwd: np.ndarray,
        head_turn: float | None = None,
        head_centre: np.ndarray | None = None,
        scale: float = 1.0,
    ) -> list[PartMap]:
        """The backward map (target pixel -> source pixel) of every part for one frame: the
        inverse of its affine map ``fwd``; with ``torso_warp="tps"`` the torso's is the
        thin-plate spline through its joints (each target joint lands exactly on the source
        joint, the torso bends and twists between them instead of following their
        least-squares affine fit)."""
        maps: list[PartMap] = [AffineMap(m) for m in invert_affine(fwd)]
        if self.trunk_warp != "tps":
            return maps
        ih, it = PART_INDEX["head"], PART_INDEX["torso"]
        head = prep.textured[ih] and present[J["Nose"]] and present[J["Neck"]]
        knees = [J["RKnee"], J["LKnee"]]
        skirt = prep.skirt and present[knees].all()
        if not (head or skirt):
            return maps
        # The torso moves as its own (affine) map says at its joints.
        src = prep.joints[[J[n] for n in TORSO_JOINTS if prep.ok[J[n]]]]
        dst = src @ fwd[it, :, :2].T + fwd[it, :, 2]
        if head:
            src, dst = self._head_points(prep, joints, fwd, src, dst, head_turn, head_centre, scale)
        if skirt:  # the skirt spreads with the knees
            src = np.concatenate([src, prep.joints[knees]])
            dst = np.concatenate([dst, joints[knees]])
        try:
            tps = fit_tps(dst, src, self.tps_smoothing)
        except InvalidArgumentError:
            return maps
        maps[it] = tps
        if head:
            maps[ih] = tps
        return maps

    @staticmethod
    def _head_points(
        prep: PreparedSource,
        joints: np.ndarray,
        fwd: np.ndarray,
        src: np.ndarray,
        dst: np.ndarray,
        turn: float | None,
        centre: np.ndarray | None,
        scale: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``src``, ``dst`` with the head's control points of :meth:`part_maps` added.

        With the ears' midpoint known in the source and the target and the head's roll
        ``turn``: the skull (points a head's radius above and beside the midpoint) turns
        by ``turn`` about it and moves with it, and the nose goes to the target's nose: a
        face turning sideways moves inside the head's outline instead of dragging the
        head off the neck. Else the face (the nose and points around it) moves rigidly
        as the head's own map ``fwd`` says."""
        ih = PART_INDEX["head"]
        nose = prep.joints[J["Nose"]]
        r = 0.8 * prep.radii[ih]
        known = (
            turn is not None
            and np.isfinite(turn)
            and centre is not None
            and np.isfinite(centre).all()
            and np.isfinite(prep.head_centre).all()
            and np.isfinite(prep.head_roll)
        )
        if known:
            c = prep.head_centre
            lr = np.array([np.cos(prep.head_roll), np.sin(prep.head_roll)])
            up = np.array([lr[1], -lr[0]])  # a quarter turn from the left-right line
            skull = c + r * np.array([up, up + lr, up - lr, lr, -lr]) / [
                [1],
                [1.4],
                [1.4],
                [1],
                [1],
            ]
            cos, sin = np.cos(turn), np.sin(turn)
            lin = scale * np.array([[cos, -sin], [sin, cos]])
            moved = (skull - c) @ lin.T + centre
            # The nose follows the target's within a quarter of the head's radius of where
            # the skull takes it (a 2D warp cannot turn a face much further).
            rigid = (nose - c) @ lin.T + centre
            shift = joints[J["Nose"]] - rigid
            reach = NOSE_SHIFT * r * scale
            shift *= min(1.0, reach / max(float(np.linalg.norm(shift)), 1e-6))
            src = np.concatenate([src, skull, nose[None]])
            dst = np.concatenate([dst, moved, (rigid + shift)[None]])
            return src, dst
        neck = prep.joints[J["Neck"]]
        up = nose - neck
        up = up / max(float(np.linalg.norm(up)), 1e-6)
        side = np.array([-up[1], up[0]])
        face = np.array([nose, nose + r * up, nose + r * side, nose - r * side])
        src = np.concatenate([src, face])
        dst = np.concatenate([dst, face @ fwd[ih, :, :2].T + fwd[ih, :, 2]])
        return src, dst

    @staticmethod
    def _roi(out: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
        h, w = out.shape[:2]
        x0, y0, x1, y1 = max(box[0], 0), max(box[1], 0), min(box[2], w), min(box[3], h)
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None

    def backward_map(
        self,
        roi: tuple[int, int, int, int],
        i: int,
        inv: list[PartMap],
        shapes: list[PartShape],
        joints: np.ndarray,
        group: list[tuple[int, str | None]],
        sigma: float,
        reach: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Source pixel ``(qx, qy)`` (float32 ``(h, w)``) of every output pixel of ``roi``
        for layer ``i``: the blend of the inverse maps of ``group`` (the part and its
        textured neighbours, with their shared joints) described in the module docstring;
        and the part's own weight in the blend (None when it is 1 everywhere).

        Computed on a grid ``map_step`` times coarser and scaled up bilinearly (the map is
        smooth; an affine map is reproduced exactly)."""
        import cv2

        x0, y0, x1, y1 = roi
        w, h = x1 - x0, y1 - y0
        step = self.map_step
        cw, ch = -(-w // step), -(-h // step)
        off = np.float32(0.5 * step - 0.5)
        x = (x0 + off + step * np.arange(cw, dtype=np.float32))[None, :]
        y = (y0 + off + step * np.arange(ch, dtype=np.float32))[:, None]
        own = None
        if len(group) == 1:
            qx, qy = inv[i](x, y)
        else:
            k = np.float32(-0.5 / sigma**2)
            kq = np.float32(-0.5 / (self.agree * sigma) ** 2)
            own_x, own_y = inv[i](x, y)
            logits, maps = [], []
            for j, jn in group:
                d = shapes[j].distance_xy(x, y)
                if jn is None:
                    mx, my = own_x, own_y
                    logit = k * d * d
                else:
                    jx, jy = joints[J[jn]]
                    far = np.sqrt((x - np.float32(jx)) ** 2 + (y - np.float32(jy)) ** 2)
                    d = np.maximum(d, far - np.float32(reach))
                    mx, my = (own_x, own_y) if inv[j] is inv[i] else inv[j](x, y)
                    # Two maps that send p far apart in the source are not blended: what
                    # lies between them belongs to neither part.
                    dq = (mx - own_x) ** 2 + (my - own_y) ** 2
                    logit = k * d * d + kq * dq
                logits.append(logit)
                maps.append((mx, my))
            top = np.maximum.reduce(logits)
            weights = [np.exp(lg - top) for lg in logits]
            total = np.add.reduce(weights)
            qx = np.zeros((ch, cw), np.float32)
            qy = np.zeros((ch, cw), np.float32)
            for (mx, my), wj in zip(maps, weights):
                wj = wj / total
                qx += wj * mx
                qy += wj * my
            own = weights[0] / total
        qx = np.broadcast_to(qx, (ch, cw)).astype(np.float32)
        qy = np.broadcast_to(qy, (ch, cw)).astype(np.float32)
        if step > 1:
            size = (cw * step, ch * step)
            qx = cv2.resize(qx, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
            qy = cv2.resize(qy, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
            if own is not None:
                own = cv2.resize(own, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
        return qx, qy, own

    def _warp_layer(
        self,
        out: np.ndarray,
        prep: PreparedSource,
        i: int,
        fwd: np.ndarray,
        inv: list[PartMap],
        shapes: list[PartShape],
        joints: np.ndarray,
        sigma: float,
        reach: float,
    ) -> Layer | None:
        import cv2

        tex = prep.textures[i]
        ox, oy = prep.origins[i]  # type: ignore[misc]
        th, tw = tex.shape[:2]  # type: ignore[union-attr]
        corners = np.array([[ox, oy], [ox + tw, oy], [ox, oy + th], [ox + tw, oy + th]], float)
        mapped = corners @ fwd[i, :, :2].T + fwd[i, :, 2]
        pad = reach + 2 * sigma
        if not isinstance(inv[i], AffineMap):
            pad += 0.25 * max(tw, th)  # a spline bends away from the affine fit
        box = (
            int(np.floor(mapped[:, 0].min() - pad)),
            int(np.floor(mapped[:, 1].min() - pad)),
            int(np.ceil(mapped[:, 0].max() + pad)) + 1,
            int(np.ceil(mapped[:, 1].max() + pad)) + 1,
        )
        roi = self._roi(out, box)
        if roi is None:
            return None
        group: list[tuple[int, str | None]] = [(i, None)] + [
            (PART_INDEX[n], jn)
            for n, jn in neighbours(PARTS[i].name)
            if prep.textured[PART_INDEX[n]]
        ]
        qx, qy, own = self.backward_map(roi, i, inv, shapes, joints, group, sigma, reach)
        qx -= np.float32(ox)
        qy -= np.float32(oy)
        # Colours and alpha in one pass (the texture's margin keeps the border's black away
        # from where alpha is set).
        rgba = cv2.remap(prep.rgba(i), qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        rgb, alpha = rgba[..., :3], rgba[..., 3]
        if prep.fills[i] is not None:
            fill = cv2.remap(
                prep.fills[i],
                qx,
                qy,
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=0,
            ).astype(np.float32)
            if own is not None:
                # Fill only where the part's own motion rules: elsewhere the map points into
                # a neighbour's place in the source, where the fill means nothing.
                fill *= np.clip(2.0 * own - 0.5, 0.0, 1.0)
            alpha = alpha + fill
        return roi, rgb, alpha

    def _borrowed_layer(
        self, out: np.ndarray, prep: PreparedSource, i: int, joints: np.ndarray, scale: float
    ) -> Layer | None:
        """Part ``i`` drawn with the texture of another limb (``prep.borrowed``), its bone
        laid on the part's, mirrored across it when the donor is of the other side (no
        blending with its neighbours: the texture comes from elsewhere)."""
        import cv2

        m = int(prep.borrowed[i])
        spec, twin = PARTS[i], PARTS[m]
        sa, sb = prep.joints[J[twin.bone[0]]], prep.joints[J[twin.bone[1]]]
        ta, tb = joints[J[spec.bone[0]]], joints[J[spec.bone[1]]]
        flip = twin.side != spec.side
        if twin.name.split("_", 1)[1] != spec.name.split("_", 1)[1]:
            # The limb it hangs from, turned end for end: the cloth by the joint they share
            # (a sleeve at the elbow, a trouser leg at the knee) goes on across it.
            sa, sb = sb, sa
            flip = not flip
        fwd = limb_affine(sa, sb, ta, tb, scale, mirror=flip)
        inv = invert_affine(fwd).astype(np.float32)
        tex, alpha_tex = prep.textures[m], prep.alphas[m]
        ox, oy = prep.origins[m]  # type: ignore[misc]
        th, tw = tex.shape[:2]  # type: ignore[union-attr]
        corners = np.array([[ox, oy], [ox + tw, oy], [ox, oy + th], [ox + tw, oy + th]], float)
        mapped = corners @ fwd[:, :2].T + fwd[:, 2]
        box = (
            int(np.floor(mapped[:, 0].min())) - 1,
            int(np.floor(mapped[:, 1].min())) - 1,
            int(np.ceil(mapped[:, 0].max())) + 2,
            int(np.ceil(mapped[:, 1].max())) + 2,
        )
        roi = self._roi(out, box)
        if roi is None:
            return None
        x0, y0, x1, y1 = roi
        x = np.arange(x0, x1, dtype=np.float32)[None, :]
        y = np.arange(y0, y1, dtype=np.float32)[:, None]
        qx = inv[0, 0] * x + inv[0, 1] * y + (inv[0, 2] - np.float32(ox))
        qy = inv[1, 0] * x + inv[1, 1] * y + (inv[1, 2] - np.float32(oy))
        qx = np.ascontiguousarray(qx, dtype=np.float32)
        qy = np.ascontiguousarray(qy, dtype=np.float32)
        rgb = cv2.remap(tex, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        alpha = cv2.remap(
            alpha_tex, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )
        return roi, rgb, alpha

    def _synth_layer(
        self, out: np.ndarray, prep: PreparedSource, i: int, shape: PartShape
    ) -> Layer | None:
        from .parts import segment_distance_xy

        roi = self._roi(out, _bbox(shape, pad=2))
        if roi is None:
            return None
        x0, y0, x1, y1 = roi
        x = np.arange(x0, x1, dtype=np.float32)[None, :]
        y = np.arange(y0, y1, dtype=np.float32)[:, None]
        d = segment_distance_xy(x, y, shape.a, shape.b)
        r = np.float32(max(shape.radius, 1.0))
        alpha = np.clip(r - d + 0.5, 0.0, 1.0)
        shade = 1.0 - 0.3 * np.minimum(d / r, 1.0) ** 2
        rgb = np.clip(shade[..., None] * prep.colors[i][None, None, :], 0, 255).astype(np.uint8)
        return roi, rgb, alpha * np.float32(255)


def blend(
    out: np.ndarray, roi: tuple[int, int, int, int], rgb: np.ndarray, alpha255: np.ndarray
) -> None:
    """Composite ``rgb`` (uint8 ``(h, w, 3)``) with alpha ``alpha255`` (0-255, ``(h, w)``)
    over ``out[roi]`` (uint8) in place, through ``cv2.blendLinear``."""
    import cv2

    x0, y0, x1, y1 = roi
    a = alpha255.astype(np.float32)
    view = out[y0:y1, x0:x1]
    view[...] = cv2.blendLinear(rgb, view, a, np.float32(255) - a)


def parts_picture(prep: PreparedSource, image: np.ndarray) -> np.ndarray:
    """A picture of the cut: each part's pixels tinted in its own colour (for checking)."""
    palette = np.array(
        [
            [230, 230, 230],
            [255, 220, 0],
            [255, 60, 60],
            [255, 150, 150],
            [60, 120, 255],
            [150, 190, 255],
            [200, 40, 200],
            [240, 150, 240],
            [40, 200, 80],
            [150, 240, 170],
        ],
        dtype=np.float32,
    )
    out = image.astype(np.float32) * 0.4
    lab = prep.labels
    m = lab >= 0
    out[m] = 0.4 * image[m] + 0.6 * palette[lab[m]]
    return np.clip(out, 0, 255).astype(np.uint8)


__all__ = [
    "PartWarpRenderer",
    "PreparedSource",
    "RenderPlan",
    "depth_order",
    "hand_areas",
    "part_texture",
    "parts_picture",
    "prepare_source",
    "shape_alpha",
    "sharpen_alpha",
]
