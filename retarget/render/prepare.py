"""Cutting the source person into part textures for the reference renderer
(:mod:`.reference`, step 1 of its docstring): the part cut, hands claimed by the forearms,
skirts by the torso, each part's texture with what the source does not show filled in,
limbs the source does not show borrowed or made up (with warnings).

Conventions: pixels of the source image, x right, y down; see :mod:`.base`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from skeleton_io.errors import NoPersonFoundError
from skeleton_io.pose import PoseSequence

from .background import extend_colors, remove_person
from .base import SourceAppearance, as_body15
from .crossing import crossed_limbs
from .parts import (
    PART_INDEX,
    PARTS,
    J,
    PartShape,
    capsule_area,
    cut_parts,
    head_centres,
    head_roll,
    measure_radii,
    mirror_name,
    neighbours,
    part_joints,
    part_shapes,
    skirt_area,
)

log = logging.getLogger(__name__)

SEEN = 0.5
"""A limb is textured from the source only where both its joints have at least this
confidence (:func:`prepare_source`); else it is drawn from its other-side twin or as a plain
limb, with a warning."""
_LIMB_RADII = [PART_INDEX[n] for n in ("r_upper_arm", "r_forearm", "r_thigh", "r_shin")]
_ARMS = ("r_upper_arm", "r_forearm", "l_upper_arm", "l_forearm")
_COVERS = {
    "torso": _ARMS,
    "head": ("r_forearm", "l_forearm"),
    "r_thigh": ("r_forearm", "l_forearm"),
    "l_thigh": ("r_forearm", "l_forearm"),
}
"""Parts that, where they cover a part in the source, hide it: there it is filled in."""


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
        far = np.linalg.norm((lab - ref) * _LAB_WEIGHT, axis=-1)
        claim = (core | (area.astype(bool) & (far < HAND_COLOUR) & (mask > 0.5))).astype(np.uint8)
        # The hand's fringe (colours mixed with what is behind it) goes with it too.
        fringe = area & (mask > 0.05) & (far < 1.5 * HAND_COLOUR)
        claim = cv2.dilate(claim, np.ones((5, 5), np.uint8)) & fringe
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


def _part_textures(
    shapes: list[PartShape],
    labels: np.ndarray,
    mask: np.ndarray,
    person: np.ndarray,
    image: np.ndarray,
    joints: np.ndarray,
    textured: np.ndarray,
    seam: int,
    reach: float,
    covers: dict[str, tuple[str, ...]],
) -> tuple[list, list, list, list, np.ndarray]:
    """Each ``textured`` part's :func:`part_texture` (lists; None for others), every part's
    median colour; a part without pixels is no longer ``textured`` (changed in place)."""
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
        tex = part_texture(i, shape, labels, mask, image, joints, seam, reach, covers)
        origins[i], textures[i], alphas[i], fills[i] = tex
    return origins, textures, alphas, fills, colors


def _stand_ins(
    textured: np.ndarray,
    usable: np.ndarray,
    labels: np.ndarray,
    person: np.ndarray,
    image: np.ndarray,
    colors: np.ndarray,
    crossed: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """For the parts the source does not show (or shows ``crossed`` by the other arm or
    leg, :func:`~.crossing.crossed_limbs`): their colours (set in ``colors``), the limb whose
    texture each borrows (-1: none, drawn plain), the warnings that say so."""
    warnings: list[str] = []
    # Colours of synthesised parts: the other side's, else the body they hang from.
    for i, spec in enumerate(PARTS):
        if textured[i] or spec.parent is None:
            continue
        p = PART_INDEX[spec.parent]
        mirror = PART_INDEX.get(mirror_name(spec.name), -1)
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
        donors = [mirror_name(spec.name)] + ([parent, mirror_name(parent)] if parent else [])
        for name in donors:
            m = PART_INDEX[name]
            if textured[m] and usable[m]:
                borrowed[i] = m
                break
    for pick, text in ((~crossed, "does not show "), (crossed, "shows crossing the other side: ")):
        names = [
            f"{PARTS[i].name} (drawn with the {PARTS[borrowed[i]].name}'s texture)"
            for i in np.nonzero((borrowed >= 0) & pick)[0]
        ]
        if names:
            warnings.append("the source " + text + ", ".join(names))
    missing = [p.name for i, p in enumerate(PARTS) if not textured[i] and borrowed[i] < 0]
    if missing:
        warnings.append(
            "the source does not show "
            + ", ".join(missing)
            + ": drawn as plain shaded limbs in the colour of the body next to them"
        )
    return borrowed, warnings


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
    # A limb over the other arm (leg) keeps its pixels (they cover the torso), not its texture.
    crossed = crossed_limbs(labels, shapes, usable, textured)
    textured &= ~crossed
    if (textured != usable).any():
        # Pixels of parts too little shown go to the textured parts next to them.
        labels = cut_parts(mask, shapes, textured | crossed, claims=claims)

    origins, textures, alphas, fills, colors = _part_textures(
        shapes, labels, mask, person, image, joints, textured, seam, seam_reach * limb_r, covers
    )
    borrowed, warnings = _stand_ins(textured, usable, labels, person, image, colors, crossed)
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


def parts_picture(prep: PreparedSource, image: np.ndarray) -> np.ndarray:
    """A picture of the cut: each part's pixels tinted in its own colour (for checking)."""
    palette = np.array(
        [[230, 230, 230], [255, 220, 0], [255, 60, 60], [255, 150, 150], [60, 120, 255]]
        + [[150, 190, 255], [200, 40, 200], [240, 150, 240], [40, 200, 80], [150, 240, 170]],
        np.float32,
    )
    out = image.astype(np.float32) * 0.4
    lab = prep.labels
    m = lab >= 0
    out[m] = 0.4 * image[m] + 0.6 * palette[lab[m]]
    return np.clip(out, 0, 255).astype(np.uint8)


__all__ = [
    "HAND_COLOUR",
    "HAND_REACH",
    "SEEN",
    "PreparedSource",
    "hand_areas",
    "part_texture",
    "parts_picture",
    "prepare_source",
    "shape_alpha",
    "sharpen_alpha",
]
