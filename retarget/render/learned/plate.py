"""The scene without the person, from the training video (a static camera is assumed)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from skeleton_io.pose import PoseSequence

from ..base import SourceAppearance


def person_alpha(
    renderer: Any, source: SourceAppearance, target: PoseSequence
) -> Iterator[np.ndarray]:
    """``(H, W)`` float32 coverage of the rendered person in each target frame (rendered
    over black and over white: alpha = 1 - (white - black) / 255)."""
    size = source.image.shape
    black = SourceAppearance(source.image, source.pose, source.mask, np.zeros(size, np.uint8))
    white = SourceAppearance(source.image, source.pose, source.mask, np.full(size, 255, np.uint8))
    for fb, fw in zip(renderer.render(black, target), renderer.render(white, target)):
        diff = fw.astype(np.float32) - fb.astype(np.float32)
        yield 1.0 - diff.mean(axis=-1) / 255.0


def clean_plate(
    frames: list[np.ndarray],
    renderer: Any,
    source: SourceAppearance,
    target: PoseSequence,
    fallback: np.ndarray,
    min_share: float = 0.25,
) -> np.ndarray:
    """The scene without the person, from a video of a static camera: per pixel, the median
    of the frames in which the (rendered) person does not cover it, grown by a margin; where
    fewer than ``min_share`` of the frames show it, ``fallback`` (the source's scene with the
    person inpainted). uint8 ``(H, W, 3)``."""
    import cv2

    stack = np.stack(frames).astype(np.float32)
    free = []
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
    for alpha in person_alpha(renderer, source, target):
        free.append(cv2.dilate((alpha > 0.05).astype(np.uint8), k) == 0)
    free_arr = np.stack(free)
    masked = np.where(free_arr[..., None], stack, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels: the fallback
        med = np.nanmedian(masked, axis=0)
    enough = free_arr.mean(axis=0) >= min_share
    plate = np.where(enough[..., None], med, fallback.astype(np.float32))
    return np.clip(np.round(np.nan_to_num(plate)), 0, 255).astype(np.uint8)


__all__ = ["clean_plate", "person_alpha"]
