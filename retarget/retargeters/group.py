"""Several people retargeted at once: each person of a :class:`~skeleton_io.PoseGroup` onto a
body of their own, the group's layout scaled with the bodies.

**Who gets which body** (:func:`assign_structures`): one structure for everyone; one per
person, matched *left to right* (each track's mean x over the frames it is in,
:meth:`PoseGroup.left_to_right`; extraction numbers tracks by first appearance, so id order
is not place order); or named per track id (``assign``), the structures given besides going
to the others by the same rule.

**Each person** is retargeted as one person is (:func:`retarget.transfer`: same model,
denoising, proportions), in pixels of their structure's scale, keeping their own facing.

**The layout** (:func:`layout_shifts`): a retargeter puts a person's hip where the motion's
starts and scales its motion by the ratio of the bodies' sizes ``R`` (``meta["root_scale"]``;
for retargeters that do not say, the ratio of the two bodies' heights). Left at that,
people made larger would run into each other and people made smaller drift apart. So each
person is moved, frame by frame, to

    ``P_k(t) = C(t) + R_k (h_k(t) - c(t)) - mean_j R_j (h_j(t) - c(t))``,
    ``C(t) = c(0) + R̄ (c(t) - c(0))``

where ``h_k`` is the motion's hip (gaps filled), ``c(t)`` the mean hip of the group, and
``R̄`` the mean ratio: the group's centre (the mean of the placed hips) starts where it was
and moves as the mean body scales it; each person's offset from the others scales with the
bodies. For two people the offset between them scales by exactly the mean of their ratios;
with one ratio for all, every offset (the gaps between people included) scales by it; a
group of one is placed as :func:`retarget.transfer` places one person. People keep one
floor: with ratios that differ, each person also moves up by ``(R_k - R̄)`` times their hip's
height above their feet in the motion (:func:`hip_heights`), so every person's feet move as
the mean ratio moves them.

Bodies of different sizes are not scaled alike, though: a person made larger who reaches
towards one made smaller (an arm out) reaches further than the mean ratio spaces them. So
the offsets between people are then spread a little wider (the same ``spread`` added to
every ratio in the offset term, :func:`least_spread`): the least that keeps every frame's
overlap of their boxes (:func:`skeleton_io.group.overlap`) within :data:`OVERLAP_SLACK` of
the motion's. People never overlap more than in the motion, and drift apart no more than
that takes (``meta["layout_spread"]``; 0 where the bodies differ from the motion's by size
alone).

**Views**: the whole group turns as one about the vertical axis through its centre
(``c(0)``), so relative positions turn too: a yaw in degrees turns everyone by it;
``structure`` or a pose input turns the group by the yaw that gives its *main* person
(largest on average) that view, and everyone else by the same yaw (each keeps their facing
relative to the others). The hips are taken to lie in one plane facing the camera (depth 0,
as one person's are): seen from the side (90 degrees), people standing side by side line up
one behind the other. Analytic retargeters keep the motion's view.

Conventions: 2D pixels, x right, y down, origin top-left (:mod:`skeleton_io.pose`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.checks import check_options
from skeleton_io.convert import convert
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.group import PoseGroup, overlap, person_boxes
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE_WHOLEBODY

from ..geometry import HIP, J, as_openpose15, height_from_bones, robust_lengths
from ..inputs import as_2d
from .base import Mode, Retargeter
from .extremities import with_extremities
from .transfer import denoise_method, resolve_view, transfer

log = logging.getLogger(__name__)

Structures = PoseSequence | Sequence[PoseSequence] | Mapping[int, PoseSequence]
"""What :func:`transfer_group` takes as bodies: one for all, a list (left to right) or a
mapping track id -> body."""


# ---------------------------------------------------------------------- who gets what
def assign_structures(
    group: PoseGroup,
    structure: PoseSequence | Sequence[PoseSequence] = (),
    assign: Mapping[int, PoseSequence] | None = None,
    names: Sequence[str] | None = None,
) -> dict[int, PoseSequence]:
    """Track id -> structure for every person of ``group`` (see the module docstring).

    Args:
        structure: one body for everyone (not named in ``assign``), or one per such person
            in left-to-right order.
        assign: bodies by track id; each id must be one of the group's.
        names: how to name the structures in messages (file names), in ``structure`` order.

    Raises:
        InvalidArgumentError: an id of ``assign`` the group lacks, a count of ``structure``
            that is neither 1 nor the number of people left, or people left without a body.
    """
    structs = [structure] if isinstance(structure, PoseSequence) else list(structure)
    assign = dict(assign or {})
    ids = ", ".join(map(str, group.ids))
    for tid in assign:
        if tid not in group:
            raise InvalidArgumentError(
                f"`assign` names track id {tid}, but the motion's people are ids {ids}; "
                "name one of those"
            )
    rest = [k for k in group.left_to_right() if k not in assign]
    out = dict(assign)
    if not rest:
        if structs:
            log.warning(
                "every person has a body by `assign`; the %d `structure` input(s) are not used",
                len(structs),
            )
        return {k: out[k] for k in group.ids}
    if not structs:
        raise InvalidArgumentError(
            f"no body for the people with track ids {', '.join(map(str, rest))}; give a "
            "`structure` for them (or name them in `assign`)"
        )
    if len(structs) == 1:
        out.update(dict.fromkeys(rest, structs[0]))
    elif len(structs) == len(rest):
        out.update(zip(rest, structs))
    else:
        left = "people" if not assign else "people not named in `assign`"
        raise InvalidArgumentError(
            f"{len(structs)} `structure` inputs for {len(rest)} {left} (track ids "
            f"{', '.join(map(str, rest))}, left to right); give one `structure` for everyone, "
            f"one per person (matched left to right), or name people with `assign` ID=FILE"
        )
    if names is not None and len(structs) > 1:
        label = dict(zip(map(id, structs), names))
        log.info(
            "bodies left to right: %s",
            ", ".join(f"id {k} <- {label.get(id(out[k]), '?')}" for k in rest),
        )
    return {k: out[k] for k in group.ids}


# ---------------------------------------------------------------------- layout
def filled_hips(seq: PoseSequence) -> np.ndarray:
    """``(T, 2)`` the MidHip of a 2D sequence with its gaps filled as the retargeters fill
    them (:func:`retarget.denoising.filters.fill_all_gaps`: interpolated, held at the ends)."""
    from ..denoising.filters import fill_all_gaps

    return fill_all_gaps(as_openpose15(seq)).coords[:, HIP, :2]


def size_ratio(out: PoseSequence, motion: PoseSequence) -> float:
    """How much the retargeter scaled ``motion``'s hip motion: its ``meta["root_scale"]``,
    else the ratio of the two skeletons' heights (bone lengths, :func:`height_from_bones`)."""
    if "root_scale" in out.meta:
        return float(out.meta["root_scale"])
    h_out = float(height_from_bones(robust_lengths(as_openpose15(out))))
    h_in = float(height_from_bones(robust_lengths(as_openpose15(motion))))
    return h_out / h_in if np.isfinite(h_out) and np.isfinite(h_in) and h_in > 0 else 1.0


def layout_shifts(
    hips: np.ndarray,
    ratios: np.ndarray,
    yaw: float = 0.0,
    spread: float = 0.0,
    legs: np.ndarray | None = None,
) -> np.ndarray:
    """``(K, T, 2)`` what to add to each person's retargeted pose so the group keeps its
    layout (the module docstring's ``P_k(t)``).

    Args:
        hips: ``(K, T, 2)`` each person's hip in the motion, pixels, gaps filled.
        ratios: ``(K,)`` each person's size ratio ``R_k`` (output body over motion body).
        yaw: the group's turn in degrees (the retargeter turned each person's hip motion
            about their first hip by it; the group turns about its centre instead).
        spread: added to every ratio where it scales the offsets between people (not the
            group's own motion): the group spread wider (see :func:`least_spread`).
        legs: ``(K,)`` each person's hip height above their feet in the motion, pixels
            (:func:`hip_heights`; NaN: unknown). With them people keep one floor: person
            ``k`` also moves up by ``(R_k - R̄) legs_k``, so every person's feet move as
            the mean ratio moves them (a body made taller than the others would otherwise
            stand lower, its hip where the motion's was; one made smaller would float).

    A retargeter places person ``k`` at ``h_k(0) + Π(R_k (h_k(t) - h_k(0)))``, with ``Π`` the
    orthographic view of the turn (x times cos yaw, depth 0); the shift to ``P_k(t)`` is
    ``c(0) - h_k(0) + Π(R̄ (c(t) - c(0)) + S_k (h_k(t) - c(t)) - mean_j S_j (h_j(t) - c(t))
    - R_k (h_k(t) - h_k(0)))`` with ``S_k = R_k + spread``. It is 0 for a group of one.
    """
    hips = np.asarray(hips, dtype=np.float64)
    ratios = np.asarray(ratios, dtype=np.float64)
    centre = hips.mean(axis=0)  # (T, 2)
    c0, h0 = centre[0], hips[:, 0]  # (2,), (K, 2)
    offsets = (ratios + spread)[:, None, None] * (hips - centre[None])  # (K, T, 2)
    inner = (
        ratios.mean() * (centre - c0)[None]
        + offsets
        - offsets.mean(axis=0)[None]
        - ratios[:, None, None] * (hips - h0[:, None])
    )
    inner[..., 0] *= np.cos(np.radians(yaw))
    out = (c0 - h0)[:, None] + inner
    if legs is not None:
        up = (ratios - ratios.mean()) * np.nan_to_num(np.asarray(legs, dtype=np.float64))
        out[..., 1] -= up[:, None]
    return out


def hip_heights(seq: PoseSequence) -> float:
    """How far a person's hip is above their feet in a 2D sequence, pixels: the median over
    frames of the lower ankle's y minus the hip's (y down); NaN without ankles seen."""
    body = as_openpose15(seq)
    ankles = [J["RAnkle"], J["LAnkle"]]
    seen = body.confidence[:, ankles] > 0
    y = np.where(seen, body.coords[:, ankles, 1], np.nan)
    ok = (body.confidence[:, HIP] > 0) & seen.any(axis=1)
    if not ok.any():
        return float("nan")
    return float(np.median(np.nanmax(y[ok], axis=1) - body.coords[ok, HIP, 1]))


OVERLAP_SLACK = 0.05
"""How much more (as a share of the smaller person's box) people may overlap in a frame
than in the motion before :func:`least_spread` spreads the group."""


def least_spread(
    boxes: np.ndarray,
    driving: np.ndarray,
    hips: np.ndarray,
    ratios: np.ndarray,
    slack: float = OVERLAP_SLACK,
    legs: np.ndarray | None = None,
) -> float:
    """The least ``spread`` (:func:`layout_shifts`) with which no frame's overlap
    (:func:`skeleton_io.group.box_overlap`) exceeds ``driving``'s by more than ``slack``.

    With one ratio for all it is 0. A larger person who reaches towards a smaller one
    (an arm out) reaches further than the mean ratio spaces them: the offsets then grow
    as little as keeps every frame's overlap within the motion's. Where no spread up to
    the largest ratio does, the one that leaves the least excess.

    Args:
        boxes: ``(K, T, 4)`` each retargeted person's box before the layout shifts.
        driving: ``(T,)`` the motion's overlap.
        hips, ratios, legs: as :func:`layout_shifts` takes them (no turn).
    """
    from skeleton_io.group import box_overlap

    def excess(spread: float) -> float:
        shift = layout_shifts(hips, ratios, 0.0, spread, legs)
        ours = box_overlap(boxes + np.concatenate([shift, shift], axis=-1))
        return float(np.maximum(ours - driving - slack, 0.0).sum())

    if len(ratios) < 2 or excess(0.0) == 0.0:
        return 0.0
    grid = np.linspace(0.0, float(np.max(ratios)), 17)
    costs = [excess(s) for s in grid]
    best = int(np.argmin(costs))
    if costs[best] > 0.0:
        return float(grid[best])
    lo, hi = float(grid[best - 1]), float(grid[best])  # excess(lo) > 0 = excess(hi)
    for _ in range(12):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if excess(mid) == 0.0 else (mid, hi)
    return hi


# ---------------------------------------------------------------------- retargeting
def _retargeter(model: Any, mode: Mode | None, device: str) -> Retargeter:
    """A retargeter that does not denoise its inputs (they come denoised)."""
    from . import load_retargeter

    if model is not None and not isinstance(model, (str, Path)):
        with_options = getattr(model, "with_options", None)
        return with_options(mode=mode, denoise=False) if with_options else model
    return load_retargeter(model, device=device, mode=mode or "fused", denoise=None)


def _group_yaw(
    r: Retargeter,
    view: str | float | PoseSequence,
    motion: Mapping[int, PoseSequence],
    bodies: Mapping[int, PoseSequence],
    main: int,
) -> float:
    """The one yaw (degrees) the whole group turns by (see the module docstring)."""
    resolved = resolve_view(view, bodies[main])
    if resolved is None:
        return 0.0
    if not isinstance(resolved, PoseSequence):
        return float(resolved)
    analyse = getattr(r, "analyse", None)
    if analyse is None:  # an analytic retargeter keeps the motion's view
        log.info("the %s retargeter keeps the motion's view", getattr(r, "name", "analytic"))
        return 0.0
    return float(analyse(as_2d(resolved)).yaw - analyse(motion[main]).yaw)


def transfer_group(
    motion: PoseGroup,
    structure: Structures,
    view: str | float | PoseSequence = "motion",
    **options: Any,
) -> PoseGroup:
    """Every person of ``motion`` on a body of their own (see the module docstring).

    Args:
        motion: 2D people (any skeleton converting to openpose15), pixels.
        structure: one body for all, a list (one per person, left to right) or a mapping
            track id -> body (:func:`assign_structures` makes one from files and ``--assign``).
        view: ``"motion"``, ``"structure"`` (the main person's body's view), a yaw in degrees
            or a sequence; the group turns as one.
        options: ``model``, ``mode``, ``device``, ``denoise`` and ``extremities`` as
            :func:`retarget.transfer` takes them; ``denoise`` applies to every motion and body
            first, ``extremities`` to each person.

    Returns:
        A group with ``motion``'s track ids, frames, fps and canvas: ``openpose15`` people
        (``openpose_wholebody`` where the motion shows hands, a face or feet) in pixels, each
        at their structure's scale; frames where a person was not seen stay missing. Each
        track's ``meta`` holds ``root_scale`` and ``layout_shift_px`` (the mean shift
        applied), the group's ``meta["view_yaw"]``.
    """
    opts = check_options(transfer, options)
    if not isinstance(motion, PoseGroup):
        hint = " (one person: retarget.transfer)" if isinstance(motion, PoseSequence) else ""
        raise InvalidArgumentError(
            f"`motion` must be a PoseGroup, got {type(motion).__name__}{hint}"
        )
    bodies = _bodies(motion, structure)
    model, denoise = opts["model"], opts["denoise"]
    r = _retargeter(model, opts["mode"], opts["device"])
    if denoise is None:  # a loaded model's own setting, else the learned denoiser
        method = getattr(model, "denoise", "learned") if hasattr(model, "analyse") else "learned"
    else:
        method = denoise_method(denoise)
    seen = {k: s for k, s in motion.items() if s.present.any()}
    if not seen:
        raise InvalidArgumentError("nobody is seen in any frame of the motion; nothing to retarget")
    prepared = {k: _prepared(as_2d(s), method) for k, s in seen.items()}
    ready = {}
    for body in {id(b): b for b in bodies.values()}.values():
        ready[id(body)] = _prepared(as_2d(body), method)
    sub = motion.select(seen)
    main = sub.main_id()
    yaw = _group_yaw(r, view, prepared, {k: ready[id(bodies[k])] for k in seen}, main)
    outs = {k: r(prepared[k], ready[id(bodies[k])], yaw or None) for k in seen}
    ratios = np.array([size_ratio(outs[k], prepared[k]) for k in seen])
    hips = np.stack([filled_hips(prepared[k]) for k in seen])
    legs = np.array([hip_heights(prepared[k]) for k in seen])
    spread = 0.0
    if not yaw:  # in another view the motion's overlap is no measure
        visible = [out.with_coords(out.coords, np.where(sub.person(k).present[:, None], out.confidence, 0.0))
                   for k, out in outs.items()]  # fmt: skip
        boxes = np.stack([person_boxes(v) for v in visible])
        spread = least_spread(boxes, overlap(sub), hips, ratios, legs=legs)
    shifts = layout_shifts(hips, ratios, yaw, spread, legs)
    if opts["extremities"]:  # after the layout, which measures the bodies
        outs = _with_extremities(outs, seen, bodies)
    group = _moved(motion, outs, shifts, ratios)
    group.meta.update(view_yaw=float(yaw), main_track=main, layout_spread=spread)
    return group


def _bodies(motion: PoseGroup, structure: Structures) -> dict[int, PoseSequence]:
    """Track id -> body for every person of ``motion`` (a mapping must name them all)."""
    if not isinstance(structure, Mapping):
        return assign_structures(motion, structure)
    missing = [k for k in motion.ids if k not in structure]
    if missing:
        raise InvalidArgumentError(f"no `structure` for track ids {', '.join(map(str, missing))}")
    return {k: structure[k] for k in motion.ids}


def _moved(
    motion: PoseGroup,
    outs: dict[int, PoseSequence],
    shifts: np.ndarray,
    ratios: np.ndarray,
) -> PoseGroup:
    """The people retargeted (``outs``, the people seen) moved by their layout ``shifts``,
    missing where ``motion`` does not see them; a person never seen all missing."""
    tracks = {}
    for (k, out), shift, ratio in zip(outs.items(), shifts, ratios):
        present = motion.person(k).present
        conf = np.where(present[:, None], out.confidence, 0.0)
        coords = np.where(conf[..., None] > 0, out.coords + shift[:, None], 0.0)
        moved = out.with_coords(coords, conf)
        moved.meta.update(
            track_id=k, root_scale=float(ratio), layout_shift_px=shift.mean(axis=0).tolist()
        )
        tracks[k] = moved
    for k in motion.ids:  # a person never seen has nothing to retarget: all missing
        if k not in tracks:
            log.warning("person %d is not seen in any frame; left out of the retargeting", k)
            blank = next(iter(tracks.values()))
            tracks[k] = blank.with_coords(
                np.zeros_like(blank.coords), np.zeros_like(blank.confidence)
            )
            tracks[k].meta["track_id"] = k
    return PoseGroup({k: tracks[k] for k in motion.ids}, dict(motion.meta))


def _with_extremities(
    outs: dict[int, PoseSequence],
    motion: Mapping[int, PoseSequence],
    bodies: Mapping[int, PoseSequence],
) -> dict[int, PoseSequence]:
    """Each person's hands, face and feet carried onto their result; when only some show
    them, the others on ``openpose_wholebody`` too (a group shares one skeleton)."""
    outs = {k: with_extremities(motion[k], bodies[k], out) for k, out in outs.items()}
    if len({o.skeleton.name for o in outs.values()}) > 1:
        outs = {k: convert(o, OPENPOSE_WHOLEBODY) for k, o in outs.items()}
    return outs


def _prepared(seq: PoseSequence, method: str | None) -> PoseSequence:
    """``seq`` on openpose15, denoised by ``method`` (None: as it is)."""
    seq = as_openpose15(seq)
    if not method:
        return seq
    from ..denoising import denoise

    return denoise(seq, method)


__all__ = [
    "Structures",
    "assign_structures",
    "filled_hips",
    "hip_heights",
    "layout_shifts",
    "least_spread",
    "size_ratio",
    "transfer_group",
]
