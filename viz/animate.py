"""Animations of pose sequences to MP4 (H.264, yuv420p) and GIF, through PyAV, streaming.

One figure is made per animation and reused: each frame moves the artists, renders the
canvas to an RGBA array and hands it straight to the encoder, so memory stays flat however
long the sequence is. Outputs are written to a temporary file beside the target and renamed
at the end (:func:`skeleton_io.atomic.atomic_file`); a failed run leaves nothing behind.

GIF frame delays are whole hundredths of a second, so a GIF plays at ``100 / round(100 / fps)``
frames per second (25 fps exactly; 30 fps as 33.3). MP4 keeps the exact rate.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from skeleton_io.atomic import atomic_file
from skeleton_io.checks import (
    MAX_IMAGE_SIDE,
    check_fps,
    check_options,
    check_range,
    check_size,
)
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.group import PoseGroup
from skeleton_io.pose import PoseSequence

from .camera import Follow, Front
from .colors import DEFAULT_STYLE, OVERLAY_STYLE, Style
from .draw import (
    DEFAULT_ELEV,
    FloorArtist,
    Lift,
    PeopleLabels,
    SkeletonArtist,
    check_extension,
    lift_checked,
    new_figure,
)
from .scene import Limits, Scene

log = logging.getLogger(__name__)

VIDEO_EXTS = (".mp4", ".gif")
MAX_TURNS = 1000.0
"""The most camera turns of a sweep (more only blurs the animation)."""


def check_video_path(path: str | Path) -> Path:
    """Fail early on an animation extension we do not write."""
    return check_extension(path, VIDEO_EXTS, "an animation")


def _rate(fps: float) -> Fraction:
    return Fraction(check_fps(fps)).limit_denominator(1001)


class GifWriter:
    """Encodes RGB frames to a GIF as they come, through PyAV: ``write(rgb)`` with
    ``(H, W, 3)`` uint8 arrays, all of one size.

    A palette is made for each frame (ffmpeg's palettegen/paletteuse, no dithering), so
    flat plot colours stay exact. Prefer :func:`open_video`, which also writes atomically.
    """

    def __init__(self, path: str | Path, fps: float) -> None:
        import av

        self._av = av
        self.path = Path(path)
        self.rate = _rate(fps)
        self.container = av.open(str(self.path), mode="w", format="gif")
        self.stream = None
        self.graph = None
        self.frames_written = 0
        self.size: tuple[int, int] | None = None

    def _start(self, width: int, height: int) -> None:
        self.size = (width, height)
        stream = self.container.add_stream("gif", rate=self.rate)
        stream.pix_fmt = "pal8"
        stream.width, stream.height = width, height
        graph = self._av.filter.Graph()
        src = graph.add_buffer(width=width, height=height, format="rgb24", time_base=1 / self.rate)
        split = graph.add("split")
        palette = graph.add("palettegen", "stats_mode=single:reserve_transparent=0")
        use = graph.add("paletteuse", "new=1:dither=none")
        sink = graph.add("buffersink")
        src.link_to(split)
        split.link_to(palette, 0, 0)
        split.link_to(use, 1, 0)
        palette.link_to(use, 0, 1)
        use.link_to(sink)
        graph.configure()
        self.stream, self.graph = stream, graph

    def write(self, rgb: np.ndarray) -> None:
        """Append one ``(H, W, 3)`` uint8 RGB frame."""
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise InvalidArgumentError(
                f"{self.path}: frames must be (height, width, 3) uint8 RGB, got {rgb.shape} {rgb.dtype}"
            )
        if self.stream is None:
            self._start(rgb.shape[1], rgb.shape[0])
        elif (rgb.shape[1], rgb.shape[0]) != self.size:
            raise InvalidArgumentError(
                f"{self.path}: frame {self.frames_written} is {rgb.shape[1]}x{rgb.shape[0]}, "
                f"the first was {self.size[0]}x{self.size[1]}; all frames must have one size"
            )
        frame = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames_written
        frame.time_base = 1 / self.rate
        self.graph.push(frame)
        self._drain()
        self.frames_written += 1

    def _drain(self) -> None:
        av = self._av
        while True:
            try:
                out = self.graph.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            for packet in self.stream.encode(out):
                self.container.mux(packet)

    def close(self) -> None:
        """Flush the filter and the encoder and close the file."""
        try:
            if self.stream is None:
                raise InvalidArgumentError(f"{self.path}: no frames were written; nothing to save")
            self.graph.push(None)
            self._drain()
            for packet in self.stream.encode(None):
                self.container.mux(packet)
        finally:
            self.container.close()


@contextlib.contextmanager
def open_video(path: str | Path, fps: float, audio_from: str | Path | None = None) -> Iterator[Any]:
    """A writer with ``write(rgb)`` and ``frames_written`` for ``path``, written atomically:
    ``.mp4`` through :class:`skeleton_io.video_io.VideoWriter` (H.264, yuv420p; sound
    copied from ``audio_from``), ``.gif`` through :class:`GifWriter` (no sound)."""
    path = check_video_path(path)
    if path.suffix.lower() == ".mp4":
        from skeleton_io.video_writer import VideoWriter

        with VideoWriter(path, fps, audio_from=audio_from) as writer:
            yield writer
        return
    with atomic_file(path) as tmp:
        writer = GifWriter(tmp, fps)
        try:
            yield writer
        except BaseException:
            with contextlib.suppress(Exception):
                writer.container.close()
            raise
        writer.close()


def figure_rgba(fig) -> np.ndarray:
    """Render ``fig`` and return its canvas as ``(H, W, 4)`` uint8 (a view, valid until the
    next draw)."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def _figure_for(limits: Limits, size: int, dpi: int = 100):
    """A figure whose one axes shows ``limits`` at equal aspect, long side ``size`` px."""
    aspect = float(np.clip(limits.aspect, 0.3, 3.0))
    w, h = (size, size / aspect) if aspect >= 1 else (size * aspect, size)
    w, h = _even(w), _even(h)
    fig = new_figure(w / dpi, h / dpi, dpi)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    limits.apply(ax)
    return fig, ax


def _progress(total: int, desc: str, progress: bool) -> tqdm:
    # disable=None: shown on a terminal, silent in logs and pipes.
    return tqdm(total=total, unit="frame", desc=desc, disable=None if progress else True)


def render_frames(
    seq: PoseSequence | PoseGroup,
    *,
    azim: float = 0.0,
    elev: float = DEFAULT_ELEV,
    front: Front = "auto",
    follow: Follow = "auto",
    sweep: bool = False,
    turns: float = 1.0,
    size: int = 640,
    style: Style = DEFAULT_STYLE,
    label: bool = True,
) -> Iterator[np.ndarray]:
    """Frames of an animation of ``seq`` as ``(H, W, 4)`` RGBA arrays, one at a time.

    3D sequences are seen from ``azim``/``elev`` (:mod:`viz.camera`); with ``sweep`` the
    camera circles the performer ``turns`` times over the animation, starting at ``azim``
    (positive direction: towards the performer's left). 2D sequences are drawn as they are.
    A group: everyone, labelled with their track ids, nearer people over farther ones.
    Each array is a view of the reused canvas: use it before asking for the next.
    """
    check_range(turns, "turns", -MAX_TURNS, MAX_TURNS, "a number of camera turns")
    check_size(size, "size", MAX_IMAGE_SIDE, low=16)
    scene = Scene.of(seq, front, follow)
    seq = scene.seq
    if sweep and not scene.is_3d:
        raise InvalidArgumentError("a view sweep needs a 3D sequence; this one is 2D")
    if scene.is_3d:
        limits = scene.sweep_limits(elev) if sweep else scene.limits(azim, elev, floor=style.floor)
    else:
        limits = scene.limits()
    fig, ax = _figure_for(limits, size)
    floor = FloorArtist(ax, scene) if scene.is_3d and style.floor else None
    art = SkeletonArtist(ax, seq.skeleton, style)
    names = PeopleLabels(ax, scene, style) if scene.people else None
    text = ax.text(0.02, 0.98, "", transform=ax.transAxes, va="top", fontsize=9, color="#333333")
    n = seq.num_frames
    for t in range(n):
        a = azim + 360.0 * turns * t / n if sweep else azim
        if floor is not None:
            floor.update(a, elev, t)
        xy, depth = scene.project(a, elev, t)
        art.update(xy, seq.confidence[t], depth)
        if names is not None:
            names.update(xy, seq.confidence[t])
        if label:
            view = f"   azim {a % 360:.0f}°" if scene.is_3d else ""
            text.set_text(f"frame {t}  {t / seq.fps:.2f} s{view}")
        yield figure_rgba(fig)


def animate(
    seq: PoseSequence | PoseGroup,
    path: str | Path,
    *,
    fps: float | None = None,
    progress: bool = True,
    **options: Any,
) -> Path:
    """Write an animation of ``seq`` to ``path`` (``.mp4`` or ``.gif``) at ``fps`` (default:
    the sequence's own). Other arguments (the view options) as :func:`render_frames`."""
    options = check_options(render_frames, options)
    path = check_video_path(path)
    fps = seq.fps if fps is None else check_fps(fps)
    frames = render_frames(seq, **options)
    with (
        open_video(path, fps) as writer,
        _progress(seq.num_frames, path.name, progress) as bar,
    ):
        for image in frames:
            writer.write(image[..., :3])
            bar.update()
    log.info("wrote %s: %d frames at %g fps", path, writer.frames_written, fps)
    return path


def animate_lifted(
    seq2d: PoseSequence, lift: Lift, path: str | Path, *, sweep: bool = True, **options
) -> Path:
    """Animate the 3D lifting of a 2D sequence by a model (``lift(seq2d) -> seq3d``), by
    default turning around it. ``options`` go to :func:`animate`."""
    return animate(lift_checked(seq2d, lift), path, sweep=sweep, **options)


# ----------------------------------------------------------------- overlays
def pose_frame_map(seq: PoseSequence, video_start: int = 0) -> dict[int, int]:
    """Video frame index -> pose frame index: ``meta["frame_index"]`` when the sequence has
    one (poses extracted from a video), else pose frame ``t`` is video frame
    ``video_start + t``."""
    index = seq.meta.get("frame_index")
    if index is None:
        return {video_start + t: t for t in range(seq.num_frames)}
    if len(index) != seq.num_frames:
        raise InvalidArgumentError(
            f"meta['frame_index'] has {len(index)} entries for {seq.num_frames} frames"
        )
    return {int(v): t for t, v in enumerate(index)}


def animate_overlay(
    seq: PoseSequence | PoseGroup,
    video: str | Path,
    path: str | Path,
    *,
    fps: float | None = None,
    video_start: int = 0,
    max_side: int = 720,
    style: Style = OVERLAY_STYLE,
    progress: bool = True,
) -> Path:
    """Draw a 2D pixel pose sequence over the frames of its video and write ``path``.

    Pose coordinates are pixels of ``seq.canvas`` (the displayed frame the poses were found
    in; the video's own size if None), x right, y down; they are scaled to the video. The
    output covers the video frames from the first to the last posed frame, long side at most
    ``max_side``, at ``fps`` (default: the video's rate, else the sequence's); an MP4 keeps
    the video's sound when it starts at the video's first frame. Pose frames are matched to
    video frames by ``meta["frame_index"]``, else pose frame 0 is video frame
    ``video_start``. Frames are decoded, drawn and encoded one at a time. A group: everyone,
    labelled with their track ids, nearer people over farther ones.
    """
    from skeleton_io.video_io import analysis_size, iter_frames, probe

    path = check_video_path(path)
    fps = None if fps is None else check_fps(fps)
    check_size(max_side, "max_side", MAX_IMAGE_SIDE, low=16)
    if seq.dims != 2:
        raise InvalidArgumentError(
            "an overlay needs a 2D pose sequence in pixels; this one is 3D (plot or animate it instead)"
        )
    info = probe(video)
    cw, ch = seq.canvas or (info.width, info.height)
    if abs(cw / ch - info.width / info.height) > 0.02:
        log.warning(
            "%s is %dx%d but the poses were found in a %dx%d frame; the overlay may not line up",
            video,
            info.width,
            info.height,
            cw,
            ch,
        )
    scene = Scene.of(seq)
    if isinstance(seq, PoseGroup) and "frame_index" in seq.first.meta:
        scene.seq.meta.setdefault("frame_index", seq.first.meta["frame_index"])
    seq = scene.seq
    frame_map = pose_frame_map(seq, video_start)
    first, last = min(frame_map), max(frame_map)
    total = last - first + 1
    ow, oh = analysis_size((info.width, info.height), max_side)
    dpi = 100
    fig = new_figure(ow / dpi, oh / dpi, dpi)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    image = ax.imshow(np.zeros((oh, ow, 3), np.uint8), extent=(0, cw, ch, 0), zorder=0)
    Limits(0.0, float(cw), 0.0, float(ch), y_down=True).apply(ax)
    ax.set_aspect("auto")
    art = SkeletonArtist(ax, seq.skeleton, style)
    names = PeopleLabels(ax, scene, style) if scene.people else None
    nobody = np.zeros(seq.num_joints)
    rate = fps or info.fps or seq.fps
    audio = video if (first == 0 and info.has_audio) else None
    with (
        open_video(path, rate, audio_from=audio) as writer,
        _progress(total, path.name, progress) as bar,
    ):
        for frame in iter_frames(video, first, total, max_side):
            image.set_data(frame.rgb)
            t = frame_map.get(frame.index)
            if t is None:
                art.update(np.zeros((seq.num_joints, 2)), nobody)
            else:
                xy, layer = scene.project(0.0, 0.0, t)
                art.update(xy, seq.confidence[t], layer)
            if names is not None:
                names.update(*((seq.coords[t], seq.confidence[t]) if t is not None
                               else (np.zeros((seq.num_joints, 2)), nobody)))  # fmt: skip
            writer.write(figure_rgba(fig)[..., :3])
            bar.update()
    if writer.frames_written < total:
        log.warning(
            "%s: the video ended after %d of %d posed frames", video, writer.frames_written, total
        )
    return path
