"""A :class:`~.base.SourceAppearance` from a photo or a video frame: the person's skeleton
and mask from BlazePose (mediapipe, bundled models, segmentation on).

Everything is at the *processing* size: the image scaled so its long side is at most
``max_side`` (never enlarged); the pose is in pixels of that image. ``meta["scale"]`` maps
them back to the original (original pixels per processing pixel).

Bad input: nobody in the image raises :class:`~skeleton_io.errors.NoPersonFoundError`;
several people give a warning and the largest is used; a very large photo is processed
downscaled (with a warning when it is larger than :data:`LARGE_SIDE`); legs outside the
image or hidden (a knees-up photo) give a warning: the renderer then draws them as plain
shaded limbs (see :mod:`.reference`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.errors import InvalidArgumentError, NoPersonFoundError
from skeleton_io.io import IMAGE_EXTS
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import BLAZEPOSE33

from .base import Background, SourceAppearance

log = logging.getLogger(__name__)

LARGE_SIDE = 4096
"""Photos with a longer side than this get a warning that they are processed downscaled."""
LEG_VISIBILITY = 0.5
"""BlazePose visibility under which a knee or ankle counts as not shown."""


def is_image(path: str | Path) -> bool:
    """Whether ``path`` is a still image (by its extension)."""
    return Path(path).suffix.lower() in IMAGE_EXTS


def read_frame(path: str | Path, frame: int = 0, max_side: int | None = 512) -> Any:
    """Frame ``frame`` of a video, or the image, as a :class:`~skeleton_io.video_io.VideoFrame`
    at the processing size."""
    from skeleton_io.video_io import iter_frames, probe, read_image_frame

    if is_image(path):
        if frame:
            log.warning("%s: is an image; `source_frame` %d ignored", path, frame)
        return read_image_frame(path, max_side=max_side)
    got = next(iter_frames(path, start_frame=frame, max_frames=1, max_side=max_side), None)
    if got is None:
        n = probe(path).num_frames
        raise InvalidArgumentError(
            f"{path}: has no frame {frame} (it has {n}); choose a smaller `source_frame`"
        )
    return got


def refine_mask(
    image: np.ndarray, mask: np.ndarray, radius: int | None = None, eps: float = 1e-3
) -> np.ndarray:
    """A coarse person mask snapped to the image's edges: the colour-guided filter of He,
    Sun and Tang (ECCV 2010) with ``image`` as the guide. mediapipe's segmentation comes
    from a 256 px model and is blurry at full size; filtered, hair and limbs keep their own
    outline and the scene's colour stays out of the edge.

    Args:
        image: ``(H, W, 3)`` uint8 RGB guide.
        mask: ``(H, W)`` float32 in [0, 1].
        radius: window radius in pixels (default 1 % of the long side, at least 2).
        eps: regularisation (larger: smoother, closer to ``mask``).
    """
    import cv2

    r = radius or max(2, round(0.01 * max(mask.shape)))
    k = (2 * r + 1, 2 * r + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, k)

    guide = image.astype(np.float32) / 255.0
    p = mask.astype(np.float32)
    mean_i, mean_p = box(guide), box(p)
    cov_ip = box(guide * p[..., None]) - mean_i * mean_p[..., None]
    var = np.empty((*p.shape, 3, 3), np.float32)
    for i in range(3):
        for j in range(i, 3):
            var[..., i, j] = var[..., j, i] = (
                box(guide[..., i] * guide[..., j]) - mean_i[..., i] * mean_i[..., j]
            )
    var += np.float32(eps) * np.eye(3, dtype=np.float32)
    a = np.linalg.solve(var, cov_ip[..., None])[..., 0]
    b = mean_p - (a * mean_i).sum(-1)
    out = (box(a) * guide).sum(-1) + box(b)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def detect_person(
    rgb: np.ndarray, *, name: str = "source", estimator: Any = None, refine: bool = True
) -> tuple[PoseSequence, np.ndarray, int]:
    """The largest person in ``rgb``: a one-frame ``blazepose33`` pose in pixels of ``rgb``,
    their mask ``(H, W)`` float32 (:func:`refine_mask` applied when ``refine``) and how many
    people were found.

    Raises:
        NoPersonFoundError: nobody found.
    """
    from skeleton_io.formats.video import BlazePoseEstimator, choose_main

    own = estimator is None
    if own:
        estimator = BlazePoseEstimator(video=False, num_poses=4, segmentation=True)
    try:
        people = estimator(rgb, 0.0)
    finally:
        if own:
            estimator.close()
    if not people:
        raise NoPersonFoundError(
            f"{name}: no person found; use a photo or frame (`source_frame`) that shows one "
            "person, ideally the whole body"
        )
    h, w = rgb.shape[:2]
    pick = choose_main([p.box((w, h)) for p in people], None)
    person = people[pick]  # type: ignore[index]
    coords = person.xy * np.array([w, h], dtype=np.float64)
    conf = np.clip(person.visibility, 1e-3, 1.0)
    pose = PoseSequence(coords[None], conf[None], BLAZEPOSE33, canvas=(w, h), meta={"source": name})
    mask = person.mask
    if mask is None or mask.shape != (h, w):
        raise NoPersonFoundError(f"{name}: the estimator gave no person mask")
    mask = np.clip(mask, 0.0, 1.0).astype(np.float32)
    if refine:
        mask = refine_mask(rgb, mask)
    return pose, mask, len(people)


MAX_SOURCE_PEOPLE = 8
"""Most people :func:`detect_people` looks for in one source image."""


def detect_people(
    rgb: np.ndarray,
    *,
    name: str = "source",
    estimator: Any = None,
    refine: bool = True,
    rounds: int = 3,
) -> list[tuple[PoseSequence, np.ndarray]]:
    """Everyone in ``rgb``, left to right: each a one-frame ``blazepose33`` pose in pixels
    of ``rgb`` and their mask ``(H, W)`` float32 (refined as :func:`detect_person`'s).

    mediapipe's detector misses a person standing near another, so the image is looked at
    again with the people found painted over in grey, up to ``rounds`` times (until nobody
    new is found).

    Raises:
        NoPersonFoundError: nobody found.
    """
    from skeleton_io.formats.video import BlazePoseEstimator
    from skeleton_io.tracking import box_iou

    own = estimator is None
    if own:
        estimator = BlazePoseEstimator(video=False, num_poses=MAX_SOURCE_PEOPLE, segmentation=True)
    h, w = rgb.shape[:2]
    found: list[tuple[PoseSequence, np.ndarray, np.ndarray]] = []
    image = rgb
    try:
        for _ in range(max(1, rounds)):
            new = []
            for person in estimator(image, 0.0):
                if person.mask is None or person.mask.shape != (h, w):
                    continue
                coords = person.xy * np.array([w, h], dtype=np.float64)
                conf = np.clip(person.visibility, 1e-3, 1.0)
                box = np.array([*coords.min(axis=0), *coords.max(axis=0)])
                if any(box_iou(box, b) > 0.5 for _, _, b in found + new):
                    continue
                pose = PoseSequence(coords[None], conf[None], BLAZEPOSE33, canvas=(w, h),
                                    meta={"source": name})  # fmt: skip
                new.append((pose, np.clip(person.mask, 0.0, 1.0).astype(np.float32), box))
            if not new:
                break
            found += new
            covered = np.max([m for _, m, _ in found], axis=0) > 0.3
            image = np.where(covered[..., None], np.uint8(128), rgb)
    finally:
        if own:
            estimator.close()
    if not found:
        raise NoPersonFoundError(
            f"{name}: no person found; use a photo or frame (`source_frame`) that shows the "
            "people, ideally whole"
        )
    found.sort(key=lambda f: (f[2][0] + f[2][2]) / 2)
    return [(pose, refine_mask(rgb, mask) if refine else mask) for pose, mask, _ in found]


def load_sources(
    path: str | Path,
    *,
    source_frame: int = 0,
    max_side: int | None = 512,
    estimator: Any = None,
) -> list[SourceAppearance]:
    """Every person of a photo, or of frame ``source_frame`` of a video, ready to render,
    left to right. They share one background: the scene with all of them removed
    (:func:`~.background.remove_person` on the union of their masks). Other arguments as
    :func:`load_source`.

    Raises:
        NoPersonFoundError: nobody in the image.
    """
    from .background import remove_person

    path = Path(path)
    frame = read_frame(path, source_frame, max_side)
    people = detect_people(frame.rgb, name=str(path), estimator=estimator)
    union = np.max([m for _, m in people], axis=0)
    scene = remove_person(frame.rgb, union)
    out = []
    for k, (pose, mask) in enumerate(people):
        warnings = [] if legs_shown(pose) else [
            f"person {k + 1} of {len(people)} (left to right) does not show the legs: they "
            "are made up from what it shows"
        ]  # fmt: skip
        for text in warnings:
            log.warning("%s: %s", path, text)
        meta = {
            "path": str(path), "frame": frame.index, "scale": frame.scale,
            "original_size": list(frame.original_size), "people": len(people), "person": k,
            "warnings": warnings,
        }  # fmt: skip
        pose.meta.update(path=str(path), frame_index=[frame.index], person=k)
        out.append(SourceAppearance(frame.rgb, pose, mask, background=scene, meta=meta))
    return out


def legs_shown(pose: PoseSequence) -> bool:
    """Whether both knees and ankles are inside the image and visible."""
    w, h = pose.canvas or (np.inf, np.inf)
    for name in ("LKnee", "RKnee", "LAnkle", "RAnkle"):
        i = pose.skeleton.idx(name)
        x, y = pose.coords[0, i]
        if pose.confidence[0, i] < LEG_VISIBILITY or not (0 <= x < w and 0 <= y < h):
            return False
    return True


def load_source(
    path: str | Path,
    *,
    source_frame: int = 0,
    max_side: int | None = 512,
    background: Background | None = None,
    estimator: Any = None,
) -> SourceAppearance:
    """The person of a photo, or of frame ``source_frame`` of a video, ready to render.

    Args:
        path: an image or a video.
        source_frame: the video frame to take the person from.
        max_side: processing size (long side, pixels; None: the original size).
        background: passed on to :class:`SourceAppearance` (None: the source scene with
            the person removed).
        estimator: a BlazePose-like estimator returning masks (default: BlazePose, image
            mode, segmentation on).

    Raises:
        NoPersonFoundError: nobody in the image.
    """
    path = Path(path)
    frame = read_frame(path, source_frame, max_side)
    original = frame.original_size
    h, w = frame.rgb.shape[:2]
    warnings: list[str] = []
    if max(original) > LARGE_SIDE:
        warnings.append(
            f"large image ({original[0]}x{original[1]}): processed and rendered at {w}x{h}"
        )
    pose, mask, people = detect_person(frame.rgb, name=str(path), estimator=estimator)
    if people > 1:
        warnings.append(f"{people} people in the source; using the largest")
    if not legs_shown(pose):
        warnings.append(
            "the source does not show the legs (knees and ankles in view): they are made up "
            "from what it shows (the limbs they hang from, else plain limbs); use a full-body "
            "photo for a better result"
        )
    for text in warnings:
        log.warning("%s: %s", path, text)
    meta = {
        "path": str(path),
        "frame": frame.index,
        "scale": frame.scale,
        "original_size": list(original),
        "people": people,
        "warnings": warnings,
    }
    pose.meta.update(path=str(path), frame_index=[frame.index])
    return SourceAppearance(frame.rgb, pose, mask, background=background, meta=meta)


__all__ = [
    "LARGE_SIDE",
    "MAX_SOURCE_PEOPLE",
    "detect_people",
    "load_sources",
    "detect_person",
    "is_image",
    "legs_shown",
    "load_source",
    "read_frame",
    "refine_mask",
]
