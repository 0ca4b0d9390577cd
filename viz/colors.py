"""Colours and the drawing style: left/right consistently, confidence as opacity.

Left and right are the *person's* (``Skeleton.side``). The palette is Okabe-Ito, readable
with the common colour-vision deficiencies: left blue, right vermillion, centre dark grey.

A bone takes the side of its child joint (``edges`` are ``(parent, child)``), except a bone
that joins a left joint to a right one (COCO's shoulder-to-shoulder line), which is centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skeleton_io.skeleton import Skeleton

LEFT = "#0072B2"
"""The person's left side: blue."""
RIGHT = "#D55E00"
"""The person's right side: vermillion."""
CENTER = "#4D4D4D"
"""Bones and joints on the midline: dark grey."""
FLOOR = "#C8C8C8"


@dataclass(frozen=True)
class Style:
    """How a skeleton is drawn.

    Attributes:
        left, right, center: colours of the person's left side, right side and midline.
        linewidth: bone width in points.
        joint_size: joint marker area in points^2 (matplotlib ``scatter`` ``s``).
        min_alpha: opacity of a joint with a confidence just above 0; confidence 1 is opaque.
            Opacity is ``min_alpha + (1 - min_alpha) * confidence``; confidence 0 (missing)
            is not drawn at all.
        floor: draw a floor grid under 3D skeletons.
    """

    left: str = LEFT
    right: str = RIGHT
    center: str = CENTER
    linewidth: float = 3.0
    joint_size: float = 22.0
    min_alpha: float = 0.15
    floor: bool = True

    def color(self, side: str) -> str:
        """The colour of ``'left'``, ``'right'`` or ``'center'``."""
        return {"left": self.left, "right": self.right}.get(side, self.center)


def bone_side(skeleton: Skeleton, edge: tuple[int, int]) -> str:
    """Side of a bone ``(parent, child)``: its child's, or centre if it joins left and right."""
    a, b = skeleton.side(edge[0]), skeleton.side(edge[1])
    if {a, b} == {"left", "right"}:
        return "center"
    return b


def confidence_alpha(confidence: np.ndarray, min_alpha: float = 0.15) -> np.ndarray:
    """Opacity for confidences in [0, 1]: 0 stays 0 (missing), else ``min_alpha`` to 1."""
    c = np.clip(np.asarray(confidence, dtype=float), 0.0, 1.0)
    return np.where(c > 0, min_alpha + (1.0 - min_alpha) * c, 0.0)


DEFAULT_STYLE = Style()
"""The style every drawing function uses unless given another."""
OVERLAY_STYLE = Style(linewidth=2.5, joint_size=16)
"""Slightly thinner bones for skeletons drawn over video frames."""
