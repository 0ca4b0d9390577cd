"""The source video's scene without the person (a clean plate), for ``retarget video``.

When the source is a video, frames in which the person stands elsewhere show the scene
behind them: :class:`SceneSampler` keeps a few decoded frames while the poses are found
(``frames_seen`` of :func:`skeleton_io.formats.video.load`: nothing is decoded twice), and
:meth:`SceneSampler.plate` makes the plate from them: the per-pixel median of the frames
where the pixel is away from the person (:func:`~retarget.render.background.plate_from_frames`,
which falls back to the source frame where the frames disagree, e.g. a moving camera), and
what none of them shows inpainted from around it.

Conventions: images ``(H, W, 3)`` uint8 RGB at the processing size (the source image's);
poses in pixels of the original video frame (their ``canvas``), scaled here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from skeleton_io.pose import PoseSequence

from ..render.background import plate_from_frames, remove_person
from ..render.base import SourceAppearance, as_body15
from ..render.parts import body_area

if TYPE_CHECKING:  # PyAV is imported only when a video is read
    from skeleton_io.video_io import VideoFrame

log = logging.getLogger(__name__)

PLATE_FRAMES = 24
"""Most frames a plate is made from."""
BODY_WIDEN = 1.25
"""The person's area in a frame: the parts' default radii times this (loose clothes, hair)."""
BODY_MARGIN = 0.01
"""... grown by this share of the long side (the pose is a little off, shadows, blur)."""


@dataclass
class SceneSampler:
    """Keeps every ``every``-th decoded frame of a video (at most :data:`PLATE_FRAMES`), to
    make the scene's plate once the poses in them are known. Pass it as ``frames_seen``.

    Attributes:
        size: ``(w, h)`` of the frames to keep (the source image's); others are ignored.
        every: keep frames whose index is a multiple of this.
        frames: ``(frame index, rgb)`` kept so far.
        poses: the person's poses in the same video, set by whoever found them
            (``meta["frame_index"]`` naming each pose's frame; pixels of its ``canvas``).
    """

    size: tuple[int, int]
    every: int = 1
    frames: list[tuple[int, np.ndarray]] = field(default_factory=list)
    poses: PoseSequence | None = None

    @classmethod
    def spread_over(cls, size: tuple[int, int], total: int) -> SceneSampler:
        """A sampler keeping about :data:`PLATE_FRAMES` frames of ``total``."""
        return cls(size, max(1, math.ceil(total / PLATE_FRAMES)))

    def __call__(self, frame: VideoFrame) -> None:
        h, w = frame.rgb.shape[:2]
        if frame.index % self.every or (w, h) != tuple(self.size):
            return
        if len(self.frames) < PLATE_FRAMES:
            self.frames.append((frame.index, frame.rgb))

    def plate(self, source: SourceAppearance) -> np.ndarray | None:
        """The scene of ``source`` without the person (see the module docstring), from the
        frames kept and :attr:`poses`; None when fewer than 3 kept frames have a pose."""
        poses = self.poses
        if poses is None:
            return None
        index = poses.meta.get("frame_index") or list(range(poses.num_frames))
        at = {int(f): t for t, f in enumerate(index)}
        body = as_body15(poses)
        k = source.size[0] / body.canvas[0] if body.canvas else 1.0
        margin = BODY_MARGIN * max(source.size)
        frames, free = [], []
        for f, rgb in self.frames:
            t = at.get(f)
            if t is None or not (body.confidence[t] > 0).any():
                continue  # nobody found: perhaps somebody there all the same
            area = body_area(
                body.coords[t] * k, body.confidence[t] > 0, source.size, BODY_WIDEN, margin
            )
            frames.append(rgb)
            free.append(~area)
        if len(frames) < 3:
            return None
        plate, weight = plate_from_frames(frames, free, source.image)
        # What no frame shows (where the person always stood) is inpainted from the plate.
        rest = source.mask * (1.0 - weight)
        log.info(
            "scene from %d frames: %.0f %% of the person's place seen", len(frames),
            100 * float((weight * source.mask).sum() / max(float(source.mask.sum()), 1.0)),
        )  # fmt: skip
        return remove_person(plate, rest)


__all__ = ["BODY_MARGIN", "BODY_WIDEN", "PLATE_FRAMES", "SceneSampler"]
