"""What every rendering pipeline writes with: the run's report, the video writer, the
renderer by name, and the driving video's timing and frames as a background.

Shared by :mod:`.video` (one person) and :mod:`.people` (several), which sits below it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.group import PoseGroup
from skeleton_io.pose import PoseSequence

from ..render.base import Renderer
from ..render.registry import get_renderer

DEFAULT_PRESET = "veryfast"
"""x264 preset of rendered videos (speed over file size)."""


@dataclass
class RenderReport:
    """What a rendering run produced.

    Attributes:
        output: the video written.
        frames: frames written; fps: their rate; size: ``(w, h)``.
        audio: the output has the driving video's sound.
        backend: renderer name.
        seconds: wall time per stage (``source``, ``driving``, ``retarget``, ``render``, ``total``).
        warnings: what was guessed or left out.
        target: the skeleton sequence rendered (pixels of the output), when known.
        people: several people's targets by track id (``people`` all), when rendered.
    """

    output: Path
    frames: int
    fps: float
    size: tuple[int, int]
    audio: bool
    backend: str
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    target: PoseSequence | None = None
    people: PoseGroup | None = None


# ------------------------------------------------------------------------ writing
def _progress(frames: Iterator[np.ndarray], total: int, name: str) -> Iterator[np.ndarray]:
    import sys

    from tqdm import tqdm

    return iter(
        tqdm(
            frames, total=total, desc=name, unit="frame", file=sys.stderr, disable=None, leave=False
        )
    )


def write_video(
    frames: Iterator[np.ndarray],
    output: str | Path,
    fps: float,
    *,
    total: int | None = None,
    audio_from: str | Path | None = None,
    audio_start: float = 0.0,
    crf: int = 18,
    preset: str = DEFAULT_PRESET,
) -> int:
    """Write ``frames`` to an H.264 MP4 atomically (:class:`skeleton_io.video_io.VideoWriter`)
    and return how many were written. ``frames`` are made in a background thread while the
    previous ones are encoded (rendering and encoding both release the GIL)."""
    from skeleton_io.video_io import prefetch
    from skeleton_io.video_writer import VideoWriter

    with VideoWriter(
        output, fps, crf=crf, preset=preset, audio_from=audio_from, audio_start=audio_start
    ) as writer:
        for rgb in _progress(prefetch(frames, name="render"), total or 0, Path(output).name):
            writer.write(rgb)
        return writer.frames_written


def write_driven(
    frames: Iterator[np.ndarray],
    output: str | Path,
    driving: str | Path,
    info: Any,
    poses: PoseSequence | PoseGroup,
    total: int,
) -> tuple[int, float]:
    """:func:`write_video` of ``frames`` made from the driving video ``driving`` (``info``:
    its probe; ``poses``: what was read of it): at its fps (the poses' when it has none),
    with its sound from the first frame used on; the frames written and the fps."""
    audio_start = stream_start(driving) + float(poses.meta.get("start_time", 0.0))
    fps = info.fps if info.fps > 0 else poses.fps
    n = write_video(
        frames,
        output,
        fps,
        total=total,
        audio_from=driving if info.has_audio else None,
        audio_start=audio_start,
    )
    return n, fps


def make_renderer(backend: str | Renderer, settings: dict[str, Any] | None) -> Renderer:
    """``backend`` itself, or the registered renderer of that name made with ``settings``."""
    if isinstance(backend, str):
        return get_renderer(backend, **(settings or {}))
    return backend


def stream_start(path: str | Path) -> float:
    """Presentation time (seconds) of a video stream's start (0 when unknown)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.start_time is None or stream.time_base is None:
            return 0.0
        return float(stream.start_time * stream.time_base)


def driving_background(
    path: str | Path,
    start_frame: int,
    max_frames: int | None,
    max_side: int | None,
    size: tuple[int, int],
) -> Iterator[np.ndarray]:
    """The driving video's frames (from ``start_frame``) scaled to cover ``size``, decoded
    in a background thread."""
    from skeleton_io.video_io import iter_frames, prefetch

    from ..render.background import cover

    frames = iter_frames(path, start_frame=start_frame, max_frames=max_frames, max_side=max_side)
    for frame in prefetch(frames, name="decode"):
        yield cover(frame.rgb, size)


__all__ = [
    "DEFAULT_PRESET",
    "RenderReport",
    "driving_background",
    "make_renderer",
    "stream_start",
    "write_driven",
    "write_video",
]
