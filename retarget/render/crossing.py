"""Limbs that cross the other arm or leg in the source, for the part cut of
:mod:`.prepare`: where a forearm lies over the other arm, both limbs' regions hold the same
pixels and the nearest-bone cut (:func:`~.parts.cut_parts`) cannot tell which are whose.

Conventions: pixels of the source image, x right, y down; see :mod:`.parts`.
"""

from __future__ import annotations

import numpy as np

from .parts import PART_INDEX, PARTS, PartShape, mirror_name

CROSSED = 0.25
"""A limb of which more than this share of the cut pixels lies within the radius of a limb
of the other side (:func:`crossed_limbs`) is drawn with its twin's texture."""


def _other_side(i: int) -> list[int]:
    """The limbs of the other side of the same pair as limb ``i`` (arms for an arm, legs for
    a leg); none for the torso and the head."""
    spec = PARTS[i]
    if not spec.side:
        return []
    arm = "arm" in spec.name
    return [
        j
        for j, p in enumerate(PARTS)
        if p.side and p.side != spec.side and ("arm" in p.name) == arm
    ]


def crossed_limbs(
    labels: np.ndarray, shapes: list[PartShape], usable: np.ndarray, textured: np.ndarray
) -> np.ndarray:
    """``(P,)`` bool: the ``textured`` limbs whose cut (``labels``, :func:`~.parts.cut_parts`) is not
    to be trusted because they cross the other arm (or leg) in the source.

    Where a forearm lies over the other arm (a golfer's grip, arms folded), both limbs'
    regions hold the same pixels and which are whose cannot be told from the image: the
    nearest-bone cut splits one arm into stripes of both. A limb is so marked when more than
    :data:`CROSSED` of its pixels lie within the radius of a usable limb of the other side
    while its twin (the same limb of the other side) is textured and crosses less than
    that: it is then drawn with the twin's texture (:func:`~.prepare.prepare_source`). When
    both twins cross, neither is marked (there is nothing better to borrow)."""
    share = np.zeros(len(PARTS))
    for i in range(len(PARTS)):
        ys, xs = np.nonzero(labels == i)
        others = [j for j in _other_side(i) if usable[j]]
        if len(xs) == 0 or not others:
            continue
        x, y = xs.astype(np.float32), ys.astype(np.float32)
        inside = np.zeros(len(xs), bool)
        for j in others:
            inside |= shapes[j].distance_xy(x, y) <= np.float32(shapes[j].radius)
        share[i] = float(inside.mean())
    out = np.zeros(len(PARTS), bool)
    for i, spec in enumerate(PARTS):
        twin = PART_INDEX[mirror_name(spec.name)] if spec.side else -1
        if textured[i] and twin >= 0 and textured[twin] and share[i] > CROSSED >= share[twin]:
            out[i] = True
    return out


__all__ = ["CROSSED", "crossed_limbs"]
