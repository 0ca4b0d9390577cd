"""The scene without the person from the training video (a static camera is assumed).

The same clean plate ``retarget video`` makes from a source video's frames
(:func:`~retarget.render.background.plate_from_frames`: per pixel the median of the frames
where the person is elsewhere, where they agree; what no frame shows inpainted from around
it), here from every training frame and its target pose, which is where the real person
stands (the target of a training frame is that frame's own pose).
"""

from __future__ import annotations

import numpy as np

from skeleton_io.pose import PoseSequence

from ..background import plate_from_frames, remove_person
from ..base import SourceAppearance, as_body15, fit_to_image
from ..parts import body_area

WIDEN = 1.25
"""The person's area in a frame: the parts' default radii times this (loose clothes, hair),"""
MARGIN = 0.01
"""... grown by this share of the long side (as ``retarget video``'s scene)."""


def clean_plate(
    frames: list[np.ndarray], target: PoseSequence, source: SourceAppearance
) -> np.ndarray:
    """``(H, W, 3)`` uint8: the scene of ``frames`` (the training video's, at the source
    image's size) without the person, whose pose in each frame is ``target``'s (pixels of
    the source image, any skeleton naming the ``openpose15`` joints); where no frame shows
    the scene, the source frame with its person inpainted."""
    if not frames:
        raise ValueError("no frames for the scene")
    body = fit_to_image(as_body15(target), source.size)
    margin = MARGIN * max(source.size)
    free = [
        ~body_area(body.coords[t], body.confidence[t] > 0, source.size, WIDEN, margin)
        for t in range(min(len(frames), body.num_frames))
    ]
    plate, weight = plate_from_frames(list(frames[: len(free)]), free, source.image)
    return remove_person(plate, source.mask * (1.0 - weight))


__all__ = ["clean_plate"]
