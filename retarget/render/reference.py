"""The CPU reference renderer: part-based warping of the source person, no training.

How a frame is made (:class:`PartWarpRenderer`):

1. **Cut** (once per source, :func:`~.prepare.prepare_source`): every pixel of the person
   mask goes to the nearest bone in units of that part's thickness
   (:func:`~.parts.cut_parts`): torso, head, upper arms, forearms with hands, thighs, shins
   with feet; the torso stops at the hip line (the crotch goes with the thighs), the head at
   the shoulder line; a hand found by BlazePose's hand landmarks goes with its forearm
   (:func:`~.prepare.hand_areas`; clasped hands split by the nearer palm), a skirt or a
   dress with the torso (:func:`~.parts.skirt_area`: a sheet hanging from the hips). Each
   part becomes an RGBA texture: its own pixels, their colours extended outward (no
   background colour at the soft edge: no halo), and what the source does not show filled
   in: the torso behind an arm, the head or a thigh behind a hand, the thighs under a
   skirt, any part of a limb outside the image (inpainted from the part's own colours a
   little away from what covers it). A limb
   whose joints the source does not show (confidence under :data:`~.prepare.SEEN`) or
   barely shows (less than ``min_coverage`` of its expected area) is drawn with the texture
   of its other-side twin, else of the limb it hangs from (a sleeve goes on), over a plain
   shaded limb; with a warning. So is a limb that lies over the other arm (or leg), whose
   pixels the cut cannot tell from the other limb's (:func:`~.crossing.crossed_limbs`).
2. **Move** (per frame): each part gets a source -> target transform
   (:func:`~.parts.part_transforms`: limbs rotate onto the target bone, stretch along it
   with foreshortening and keep their thickness; the torso follows an affine fit of its six
   joints; the head turns by the face's own roll, :func:`~.parts.head_turns`, when the
   target carries eyes and ears, else with the neck-nose direction). The torso and the head
   share one thin-plate spline (:meth:`PartWarpRenderer.part_maps`): the torso as its
   affine map says, the skull turning about the ears, the neck stretching between them; a
   skirt spreads with the knees. Each part is drawn as a layer through a dense *backward*
   map (``cv2.remap``): for an output pixel ``p`` the source position is
   ``sum_j w_j(p) M_j^-1(p)`` over the part and its skeletal neighbours, with weights
   ``softmax(-d_j(p)^2 / 2 sigma^2)`` of the distance to each target bone (neighbours only
   within ``blend_radius`` of the shared joint). Adjacent layers so use the same map around
   their joint: no seams, the joint bends smoothly (linear blend skinning of the backward
   map).
3. **Composite** back to front (legs, torso, head, arms; in profile the far arm and leg go
   behind the torso) over the background: by default the source's own scene with the person
   removed (:func:`~.background.remove_person`; ``retarget video`` brings the scene of a
   source video's frames, :mod:`retarget.pipeline.scene`).

The same textures are used for every frame, so the output cannot flicker beyond what the
target skeleton does. Thickness follows the body's size: the target's median spine length
over the source's. Frames are rendered in ``workers`` threads, in order.

Conventions: pixels of the source image, x right, y down; see :mod:`.base`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from skeleton_io.errors import InvalidArgumentError
from skeleton_io.pose import PoseSequence

from .base import SourceAppearance, as_body15, background_frames, fit_to_image, in_order
from .layers import Layer, blend, borrowed_layer, clip_roi, synth_layer
from .parts import (
    PART_INDEX,
    PARTS,
    TORSO_JOINTS,
    J,
    PartShape,
    head_centres,
    head_turns,
    invert_affine,
    neighbours,
    part_joints,
    part_shapes,
    part_transforms,
)
from .prepare import _LIMB_RADII, PreparedSource, prepare_source
from .warp import AffineMap, ThinPlateSpline, fit_tps

log = logging.getLogger(__name__)

NOSE_SHIFT = 0.25
"""How far (in head radii) the nose may move inside the head's outline to follow the
target's nose when the face turns sideways (:meth:`PartWarpRenderer.part_maps`)."""
PartMap = AffineMap | ThinPlateSpline
"""A part's backward map for one frame (target pixel -> source pixel)."""


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

        yield from in_order(one, enumerate(frames), self.workers)

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
                layers.append(synth_layer(out, prep, i, shapes[i]))
                layer = borrowed_layer(out, prep, i, joints, scale)
            else:
                layer = synth_layer(out, prep, i, shapes[i])
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
        roi = clip_roi(out, box)
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


__all__ = [
    "NOSE_SHIFT",
    "Layer",
    "PartMap",
    "PartWarpRenderer",
    "PreparedSource",
    "RenderPlan",
    "blend",
    "depth_order",
]
