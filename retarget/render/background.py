"""Backgrounds and compositing: the source scene with the person removed, backgrounds from
``--background`` (``source``, ``driving``, an image path or a colour), colour extension for
clean edges, and alpha compositing (numpy / OpenCV).

Images are ``(H, W, 3)`` uint8 RGB unless said otherwise; masks and alphas ``(H, W)``
float32 in [0, 1].
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from scipy import ndimage

from skeleton_io.errors import InvalidArgumentError

log = logging.getLogger(__name__)

INPAINT_SIDE = 256
"""Long side in pixels at which the person's hole is filled (then scaled back up)."""


def extend_colors(image: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """``image`` with every pixel outside ``inside`` (bool ``(H, W)``) given the colour of the
    nearest inside pixel (nearest in Euclidean distance). Used to keep colours of the
    background out of a layer's soft edge: sampling near the edge then only sees the
    layer's own colours. Returns ``image`` unchanged when ``inside`` is empty."""
    if not inside.any():
        return image
    _, (iy, ix) = ndimage.distance_transform_edt(~inside, return_indices=True)
    return image[iy, ix]


def _disk(radius: int) -> np.ndarray:
    import cv2

    k = 2 * radius + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def remove_person(
    image: np.ndarray, mask: np.ndarray, *, grow: float = 0.02, threshold: float = 0.05
) -> np.ndarray:
    """The scene of ``image`` without the person of ``mask``: the person's area, grown by
    ``grow`` of the image's long side (shadows, blur at the edge), is filled from around it
    (OpenCV's Telea inpainting at :data:`INPAINT_SIDE` px, scaled up and smoothed), the rest
    of the image is kept exactly."""
    import cv2

    h, w = mask.shape
    hole = (mask > threshold).astype(np.uint8)
    if not hole.any():
        return image.copy()
    r = max(1, round(grow * max(h, w)))
    hole = cv2.dilate(hole, _disk(r))
    f = min(1.0, INPAINT_SIDE / max(h, w))
    sw, sh = max(1, round(w * f)), max(1, round(h * f))
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(hole, (sw, sh), interpolation=cv2.INTER_NEAREST)
    small_hole = cv2.dilate(small_hole, _disk(1))
    filled = cv2.inpaint(small, small_hole, 5, cv2.INPAINT_TELEA)
    # Smooth the fill inside the hole only (Telea leaves streaks), then scale back up.
    blur = cv2.GaussianBlur(filled, (0, 0), max(1.0, 0.02 * max(sw, sh)))
    filled = np.where(small_hole[..., None] > 0, blur, filled)
    up = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
    soft = cv2.GaussianBlur(hole.astype(np.float32), (0, 0), max(1.0, r / 2))
    soft = np.maximum(soft, hole.astype(np.float32))[..., None]
    out = image.astype(np.float32) * (1 - soft) + up.astype(np.float32) * soft
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _masked_median(values: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel median over the first axis of ``values`` ``(K, ...)`` (integers) of the
    entries where ``keep`` (bool, same shape) is set, and how many there are (the median is
    0 where there are none)."""
    big = np.int16(32000)
    a = np.where(keep, values.astype(np.int16), big)
    a = np.moveaxis(a, 0, -1).copy()
    a.sort(axis=-1)
    n = keep.sum(0)
    lo = np.take_along_axis(a, np.maximum((n - 1) // 2, 0)[..., None], -1)[..., 0]
    hi = np.take_along_axis(a, np.maximum(n // 2, 0)[..., None], -1)[..., 0]
    med = np.where(n > 0, (lo.astype(np.float32) + hi) / 2, 0.0)
    return med.astype(np.float32), n


def plate_from_frames(
    frames: list[np.ndarray],
    free: list[np.ndarray],
    fallback: np.ndarray,
    *,
    min_frames: int = 3,
    min_share: float = 0.2,
    spread: tuple[float, float] = (4.0, 10.0),
) -> tuple[np.ndarray, np.ndarray]:
    """The scene without the person from frames of a video (a *clean plate*): per pixel,
    the median of the frames where the pixel is free of the person.

    Used where at least ``min_frames`` and ``min_share`` of the frames show the pixel and
    where they agree: the median absolute deviation of their brightness from the median is
    under ``spread[0]`` (8-bit levels), fading out to ``spread[1]`` (a moving camera, a
    passer-by, a flickering screen: there a median would blur or mix). Elsewhere
    ``fallback`` (e.g. the source frame with the person inpainted, :func:`remove_person`).
    A static camera so gets the scene behind the person from the frames where they stand
    elsewhere, and the scene everywhere without the noise of one frame.

    Args:
        frames: ``K`` ``(H, W, 3)`` uint8 RGB frames of one video, all of one size.
        free: ``K`` bool ``(H, W)``: where each frame shows the scene (not the person).
        fallback: ``(H, W, 3)`` uint8.

    Returns:
        The plate ``(H, W, 3)`` uint8 and the ``(H, W)`` float32 weight of the median in it
        (0: ``fallback`` kept).
    """
    import cv2

    if len(frames) != len(free) or not frames:
        raise InvalidArgumentError(
            f"frames and free must be two equally long non-empty lists, got {len(frames)} "
            f"and {len(free)}"
        )
    stack = np.stack(frames)
    keep = np.stack(free)
    if stack.shape[1:] != fallback.shape or keep.shape != stack.shape[:3]:
        raise InvalidArgumentError(
            f"frames {stack.shape[1:]}, free {keep.shape[1:]} and fallback {fallback.shape} "
            "must have one size"
        )
    med, n = _masked_median(stack, np.broadcast_to(keep[..., None], stack.shape))
    n = n[..., 0]
    luma = stack.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    dev = np.abs(luma - med @ np.array([0.299, 0.587, 0.114], np.float32))
    mad, _ = _masked_median(np.round(dev).astype(np.int16), keep)
    enough = (n >= min_frames) & (n >= min_share * len(frames))
    lo, hi = spread
    weight = (np.clip((hi - mad) / max(hi - lo, 1e-6), 0.0, 1.0) * enough).astype(np.float32)
    weight = np.minimum(weight, cv2.GaussianBlur(weight, (0, 0), 2.0))  # no hard edges
    out = fallback.astype(np.float32) * (1 - weight[..., None]) + med * weight[..., None]
    return np.clip(np.round(out), 0, 255).astype(np.uint8), weight


def parse_color(text: str) -> tuple[int, int, int] | None:
    """An RGB colour from ``"R,G,B"`` (0-255), ``#rrggbb`` or a colour name; None if it is
    none of these."""
    t = text.strip()
    parts = t.split(",")
    if len(parts) == 3:
        try:
            rgb = tuple(int(v) for v in parts)
        except ValueError:
            return None
        if all(0 <= v <= 255 for v in rgb):
            return rgb  # type: ignore[return-value]
        return None
    from matplotlib.colors import to_rgb

    try:
        return tuple(int(round(255 * v)) for v in to_rgb(t))  # type: ignore[return-value]
    except ValueError:
        return None


def cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` scaled to cover ``size`` ``(w, h)`` and centre-cropped to it (no distortion)."""
    import cv2

    w, h = size
    ih, iw = image.shape[:2]
    f = max(w / iw, h / ih)
    nw, nh = max(w, round(iw * f)), max(h, round(ih * f))
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    big = cv2.resize(image, (nw, nh), interpolation=interp)
    x0, y0 = (nw - w) // 2, (nh - h) // 2
    return np.ascontiguousarray(big[y0 : y0 + h, x0 : x0 + w])


def check_background(spec: str, driving: bool = False) -> str:
    """``spec`` when it names a background (see :func:`background_image`; ``driving`` only
    where there is a driving video), else :class:`InvalidArgumentError`. Reads nothing."""
    if spec == "source" or (spec == "driving" and driving):
        return spec
    if spec == "driving":
        raise InvalidArgumentError(
            "`background` driving needs a driving video (retarget video); use source, an image "
            "path or a colour here"
        )
    if Path(spec).exists() or parse_color(spec) is not None:
        return spec
    raise InvalidArgumentError(
        f"`background` {spec}: not source, driving, an existing image file nor a colour "
        "(a name such as white, #rrggbb, or R,G,B)"
    )


def background_image(spec: str, size: tuple[int, int]) -> np.ndarray | None:
    """The background named by ``spec`` for a canvas of ``size`` ``(w, h)``.

    ``"source"`` gives None (the renderer's default: the source scene, person removed);
    an existing image path gives that image scaled to cover the canvas; a colour
    (:func:`parse_color`) a plain image. ``"driving"`` is not an image and is handled by the
    video pipeline.
    """
    if check_background(spec) == "source":
        return None
    path = Path(spec)
    if path.exists():
        from skeleton_io.video_io import read_image

        return cover(read_image(path), size)
    rgb = parse_color(spec)
    return np.broadcast_to(np.array(rgb, dtype=np.uint8), (size[1], size[0], 3)).copy()


__all__ = [
    "INPAINT_SIDE",
    "background_image",
    "check_background",
    "cover",
    "extend_colors",
    "parse_color",
    "plate_from_frames",
    "remove_person",
]
