"""Checks of a rendering or training request, made before any work (no decoding, no model
loading): a bad output, frame rate, backend, background or model folder is one error at
once, not after minutes of pose estimation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from skeleton_io.atomic import check_output_path
from skeleton_io.checks import check_fps
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.io import check_input_path

from ..retargeters import check_retargeter


def check_start_frame(
    path: str | Path, start_frame: int, num_frames: int, name: str = "start_frame"
) -> None:
    """A video of ``num_frames`` (0: unknown) has frames from ``start_frame`` on (``name``:
    the parameter that gave it)."""
    if num_frames and start_frame >= num_frames:
        raise InvalidArgumentError(
            f"{path}: no frames from frame {start_frame} on (it has {num_frames}); choose a "
            f"smaller first frame (`{name}`)"
        )


VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov")
"""Extensions of a rendered video's path: it is written as MP4 (H.264 in an ISO media file)."""


def check_video_output(output: str | Path) -> None:
    """Refuse a rendered video's path whose extension is not an MP4 one (``out.png`` would
    hold an MP4 video)."""
    suffix = Path(output).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        got = f"not {suffix}" if suffix else "a path without an extension"
        raise InvalidArgumentError(
            f"{output}: the video is written as MP4 ({got}); name the output .mp4 (or "
            f"{', '.join(VIDEO_SUFFIXES[1:])})"
        )


def check_render_request(
    output: str | Path,
    inputs: Sequence[Any],
    *,
    backend: Any = "reference",
    background: str = "source",
    fps: float | None = None,
    model: Any = None,
    renderer_settings: dict[str, Any] | None = None,
    driving: bool = False,
) -> Path:
    """Everything of ``retarget render`` / ``video`` that can be checked before reading
    anything: the inputs exist, ``output`` can be written (and is no input), the frame
    rate, the backend's name, the background (``driving`` only with a driving video) and
    the model folders. Returns ``output`` as a path."""
    from ..render.background import check_background
    from ..render.registry import check_backend

    paths = [p for p in inputs if p is None or isinstance(p, (str, Path))]
    for p in paths:
        check_input_path(p)
    output = check_output_path(output, inputs=paths, folder=False)
    check_video_output(output)
    if fps is not None:
        check_fps(fps)
    if isinstance(backend, str):
        check_backend(backend)
    check_background(background, driving=driving)
    check_retargeter(model)
    settings_model = (renderer_settings or {}).get("model")
    if isinstance(settings_model, (str, Path)):
        check_input_path(settings_model)
    return output
