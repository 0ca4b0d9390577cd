"""The rendering part of ``make demo``: the built-in dance on scikit-image's astronaut photo.

:func:`render_demo` renders :func:`retarget.builtin.builtin_motion` (projected to 2D with
:func:`retarget.builtin.project_to_canvas`) onto ``skimage.data.astronaut()`` (Eileen
Collins, NASA, public domain; 512 x 512) with the reference backend, and writes an MP4 and
a frame strip.

What the photo shows, and what the demo therefore does: a portrait from the chest up, in a
spacesuit, holding a helmet on the right. The hips sit on the bottom edge and the legs are
not in the picture; the upper arms are the suit's sleeves along the body, the right hand
shows at the bottom, the left forearm is behind the helmet. The output keeps the photo's
framing (the canvas of the source), so only the upper body is seen: the dance's side-step
and knee bounce move the torso and head, the arm waves raise the sleeves. Parts the photo
does not show are filled in and announced by warnings: a forearm the photo hides is drawn
with the other one's texture, mirrored, or with its upper arm's (the sleeve goes on); the
legs (off the canvas here) likewise; the helmet is part of the scene and stays where it is.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

STRIP_FRAMES = 6
"""Frames in the strip picture."""


def astronaut_source(max_side: int = 512):
    """scikit-image's astronaut photo as a :class:`~.base.SourceAppearance` (BlazePose pose
    and mask)."""
    from skimage import data

    from ..render.base import SourceAppearance
    from ..render.source import detect_person

    image = np.ascontiguousarray(data.astronaut())
    if max(image.shape[:2]) > max_side:
        import cv2

        f = max_side / max(image.shape[:2])
        image = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    pose, mask, _ = detect_person(image, name="skimage.data.astronaut")
    return SourceAppearance(image, pose, mask, meta={"path": "skimage.data.astronaut"})


def frame_strip(frames: list[np.ndarray], height: int = 256, gap: int = 4) -> np.ndarray:
    """Frames side by side, each scaled to ``height`` pixels, ``gap`` white pixels apart."""
    import cv2

    tiles = []
    for f in frames:
        s = height / f.shape[0]
        tile = cv2.resize(f, (round(f.shape[1] * s), height), interpolation=cv2.INTER_AREA)
        tiles += [tile, np.full((height, gap, 3), 255, np.uint8)]
    return np.concatenate(tiles[:-1], axis=1)


def render_demo(out_dir: str | Path, frames: int = 90, fit: str = "retarget") -> list[Path]:
    """Render the built-in dance onto the astronaut photo; write
    ``render_astronaut.mp4`` and ``render_astronaut_strip.png`` into ``out_dir``.

    Returns:
        The paths written.
    """
    from skeleton_io.atomic import atomic_file
    from skeleton_io.video_writer import VideoWriter

    from ..builtin import builtin_motion, project_to_canvas
    from ..pipeline.video import DEFAULT_PRESET, fit_target
    from ..render.reference import PartWarpRenderer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    source = astronaut_source()
    motion = project_to_canvas(builtin_motion("average", frames=frames), canvas=source.size)
    target = fit_target(motion, source, fit)
    renderer = PartWarpRenderer()
    video = out / "render_astronaut.mp4"
    picks = set(np.linspace(0, frames - 1, STRIP_FRAMES).round().astype(int).tolist())
    kept = []
    with VideoWriter(video, motion.fps, preset=DEFAULT_PRESET) as writer:
        for t, frame in enumerate(renderer.render(source, target)):
            writer.write(frame)
            if t in picks:
                kept.append(frame)
    strip = out / "render_astronaut_strip.png"
    with atomic_file(strip) as tmp:
        import cv2

        cv2.imwrite(str(tmp), np.ascontiguousarray(frame_strip(kept)[..., ::-1]))
    log.info("rendered the built-in dance on the astronaut photo: %s, %s", video, strip)
    return [video, strip]


__all__ = ["STRIP_FRAMES", "astronaut_source", "frame_strip", "render_demo"]
