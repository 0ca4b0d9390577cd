"""Video and image input/output through PyAV: streaming decode, probing, H.264 writing.

Conventions:

* Frames are RGB ``uint8`` arrays of shape ``(height, width, 3)``, row 0 at the top, as
  the video is *displayed*: rotation and mirroring metadata (an MP4 display matrix, a
  JPEG's EXIF orientation) are applied before a frame leaves this module.
* Sizes are ``(width, height)`` in pixels of the displayed (rotated) frame.
* Orientation is ``(turns, mirror)``: the displayed image is
  ``np.rot90(np.fliplr(raw) if mirror else raw, turns)``, i.e. an optional left-right
  mirror and then ``turns`` quarter turns *counter-clockwise* (PyAV's
  ``VideoFrame.rotation`` convention: a phone video shot upright has rotation -90, i.e.
  3 turns).
* Decoding streams: one frame at a time, memory flat in clip length. Frames are scaled
  to an *analysis* size (long side at most ``max_side``) by swscale while converting to
  RGB; :attr:`VideoFrame.scale` maps analysis pixels back to original ones.

Errors: a file that cannot be opened or decoded raises :class:`VideoReadError` with one
line. A file whose tail is missing (a truncated download) is read up to the damage and a
warning says how many frames were read; damage before the tail raises.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import struct
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import av
import numpy as np

from .atomic import atomic_file
from .errors import InputNotFoundError, InvalidArgumentError, VideoReadError

log = logging.getLogger(__name__)

Orientation = tuple[int, bool]
"""``(turns, mirror)``: mirror left-right first, then ``turns`` quarter turns counter-clockwise."""

T = TypeVar("T")

# Audio codecs an MP4 can carry as they are; anything else is re-encoded to AAC.
_MP4_AUDIO_COPY = {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame.

    Attributes:
        index: frame number in the source, 0 for its first frame (counts every decoded
            frame, also those skipped before ``start_frame``).
        time: presentation time in seconds from the start of the stream.
        rgb: ``(h, w, 3)`` uint8 at the analysis size, displayed orientation.
        scale: original pixels per analysis pixel (long side over long side); use
            ``original_size`` for exact per-axis mapping of normalised coordinates.
        original_size: ``(width, height)`` of the original displayed frame.
    """

    index: int
    time: float
    rgb: np.ndarray
    scale: float
    original_size: tuple[int, int]


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` finds out about a video.

    Attributes:
        width, height: displayed size in pixels (after rotation).
        fps: frames per second (the stream's average rate).
        num_frames: frame count from the container, or estimated from the duration when
            the container has none (``frames_estimated`` True).
        rotation: counter-clockwise rotation in degrees (0, 90, 180, 270) applied for display.
        mirrored: the display matrix also mirrors the image.
        has_audio: the file has an audio stream.
        codec: the video codec's name (``h264``, ``hevc`` ...).
        duration: seconds.
        pix_fmt: the decoder's pixel format (``yuv420p``, ``yuv420p10le`` ...).
    """

    width: int
    height: int
    fps: float
    num_frames: int
    rotation: int
    has_audio: bool
    codec: str
    duration: float
    mirrored: bool = False
    frames_estimated: bool = False
    pix_fmt: str = ""


# --------------------------------------------------------------------- orientation
def orient(image: np.ndarray, orientation: Orientation) -> np.ndarray:
    """Apply ``(turns, mirror)`` to an ``(H, W, ...)`` array (see the module docstring)."""
    turns, mirror = orientation
    if mirror:
        image = image[:, ::-1]
    if turns % 4:
        image = np.rot90(image, turns % 4)
    return np.ascontiguousarray(image)


_QUARTER = np.array([[0, 1], [-1, 0]])  # one CCW quarter turn acting on (x, y), y down
_MIRROR = np.array([[-1, 0], [0, 1]])  # left-right mirror acting on (x, y)


def orientation_matrix(orientation: Orientation) -> np.ndarray:
    """The 2x2 integer matrix mapping a raw pixel's (x, y) to its displayed (x', y')."""
    turns, mirror = orientation
    m = np.linalg.matrix_power(_QUARTER, turns % 4)
    return m @ _MIRROR if mirror else m


def orientation_from_display_matrix(matrix: np.ndarray) -> Orientation:
    """``(turns, mirror)`` from FFmpeg's 3x3 display matrix (9 int32, 16.16 fixed point).

    FFmpeg maps a decoded pixel (p, q) to the displayed (a p + c q, b p + d q) with
    ``matrix = [a, b, u, c, d, v, x, y, w]``. Angles that are not a multiple of 90 degrees
    are rounded to the nearest quarter turn with a warning.
    """
    m = np.asarray(matrix, dtype=np.float64).reshape(3, 3)[:2, :2] / 65536.0
    linear = m.T  # rows: (a, c), (b, d)
    best = min(
        ((t, f) for t in range(4) for f in (False, True)),
        key=lambda o: float(np.abs(orientation_matrix(o) - linear).sum()),
    )
    if np.abs(orientation_matrix(best) - linear).sum() > 0.1:
        log.warning("display matrix %s is not a quarter turn; using %s", m.tolist(), best)
    return best


# EXIF orientation tag value -> (turns, mirror); 1 is upright.
EXIF_ORIENTATION: dict[int, Orientation] = {
    1: (0, False),
    2: (0, True),
    3: (2, False),
    4: (2, True),
    5: (1, True),
    6: (3, False),
    7: (3, True),
    8: (1, False),
}


def read_exif_orientation(path: str | Path) -> int:
    """The EXIF orientation tag (1..8) of a JPEG file; 1 when absent or not a JPEG.

    Only JPEG's APP1 ``Exif`` segment is read (PNG/WebP EXIF chunks are rare and ignored).
    """
    try:
        with open(path, "rb") as f:
            if f.read(2) != b"\xff\xd8":
                return 1
            while True:
                marker = f.read(2)
                if len(marker) < 2 or marker[0] != 0xFF or marker[1] in (0xD9, 0xDA):
                    return 1
                (length,) = struct.unpack(">H", f.read(2))
                body = f.read(length - 2)
                if marker[1] == 0xE1 and body.startswith(b"Exif\x00\x00"):
                    return _tiff_orientation(body[6:])
    except (OSError, struct.error):
        return 1


def _tiff_orientation(tiff: bytes) -> int:
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return 1
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
    for i in range(count):
        entry = tiff[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        tag, _type, _n = struct.unpack(order + "HHI", entry[:8])
        if tag == 0x0112:
            (value,) = struct.unpack(order + "H", entry[8:10])
            return value if value in EXIF_ORIENTATION else 1
    return 1


def frame_orientation(frame: av.VideoFrame) -> Orientation:
    """The orientation a decoded video frame asks for (its display matrix side data)."""
    try:
        for item in frame.side_data:
            if item.type.name == "DISPLAYMATRIX":
                return orientation_from_display_matrix(np.frombuffer(bytes(item)[:36], "<i4"))
    except ValueError:
        # PyAV cannot name some side data types (e.g. EXIF); fall back to the angle alone.
        pass
    return (round(frame.rotation / 90) % 4, False)


# ------------------------------------------------------------------------ decoding
def _open(path: str | Path, what: str = "video") -> av.container.InputContainer:
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"{path}: no such file; check the path")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise VideoReadError(
            f"{path}: cannot open as {'an' if what == 'image' else 'a'} {what} "
            f"({_reason(e)}); the file is damaged, truncated or not a {what}"
        ) from None


def _reason(e: BaseException) -> str:
    """A short, one-line reason from a PyAV/OS error."""
    text = getattr(e, "strerror", None) or str(e)
    return text.splitlines()[0] if text else type(e).__name__


def _video_stream(container: av.container.InputContainer, path: Path) -> av.video.VideoStream:
    if not container.streams.video:
        raise VideoReadError(f"{path}: has no video stream; expected a video file")
    return container.streams.video[0]


def analysis_size(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """``(w, h)`` with the long side at most ``max_side`` (never enlarged), aspect kept."""
    width, height = size
    if max_side is None or max(width, height) <= max_side:
        return width, height
    if max_side < 1:
        raise InvalidArgumentError(f"max_side must be a positive number of pixels, got {max_side}")
    s = max_side / max(width, height)
    return max(1, round(width * s)), max(1, round(height * s))


def _to_rgb(frame: av.VideoFrame, orientation: Orientation, size: tuple[int, int]) -> np.ndarray:
    """Scale (to displayed ``size``), convert to RGB and orient one decoded frame."""
    w, h = size if orientation[0] % 2 == 0 else size[::-1]
    if (w, h) == (frame.width, frame.height):
        rgb = frame.to_ndarray(format="rgb24")
    else:
        rgb = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
    return orient(rgb, orientation)


def _fps(stream: av.video.VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 0.0


def _displayed(width: int, height: int, orientation: Orientation) -> tuple[int, int]:
    return (width, height) if orientation[0] % 2 == 0 else (height, width)


def probe(path: str | Path) -> VideoInfo:
    """Size, frame rate, frame count, rotation, audio and codec of a video.

    Decodes the first frame (the display matrix lives on decoded frames).
    """
    path = Path(path)
    with _open(path) as container:
        stream = _video_stream(container, path)
        try:
            first = next(container.decode(stream), None)
        except av.error.FFmpegError as e:
            raise VideoReadError(f"{path}: cannot decode its first frame ({_reason(e)})") from None
        if first is None:
            raise VideoReadError(f"{path}: the video stream has no frames")
        orientation = frame_orientation(first)
        fps = _fps(stream)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        frames = int(stream.frames or 0)
        estimated = frames <= 0
        if estimated:
            frames = max(1, round(duration * fps))
        width, height = _displayed(first.width, first.height, orientation)
        return VideoInfo(
            width=width,
            height=height,
            fps=fps,
            num_frames=frames,
            rotation=(orientation[0] % 4) * 90,
            mirrored=orientation[1],
            has_audio=bool(container.streams.audio),
            codec=stream.codec_context.name,
            duration=duration,
            frames_estimated=estimated,
            pix_fmt=first.format.name,
        )


def iter_frames(
    path: str | Path,
    start_frame: int = 0,
    max_frames: int | None = None,
    max_side: int | None = None,
) -> Iterator[VideoFrame]:
    """Decode a video one frame at a time, displayed orientation, analysis size.

    Args:
        path: a video file.
        start_frame: index of the first frame to yield (earlier frames are decoded, not
            converted: exact for any codec and variable frame rates).
        max_frames: yield at most this many frames.
        max_side: scale so the long side is at most this many pixels (None: original size).

    Raises:
        VideoReadError: the file cannot be opened, or is damaged before its tail.
    """
    path = Path(path)
    if start_frame < 0 or (max_frames is not None and max_frames < 1):
        raise InvalidArgumentError("start_frame must be >= 0 and max_frames >= 1")
    with _open(path) as container:
        stream = _video_stream(container, path)
        # No frame threading: it hides decode errors and drops frames around damage.
        file_size = path.stat().st_size
        fps = _fps(stream) or 30.0
        t0 = None
        if stream.start_time is not None and stream.time_base is not None:
            t0 = float(stream.start_time * stream.time_base)
        index = -1
        emitted = 0
        damaged = False
        orientation: Orientation | None = None
        size = analysis = (0, 0)
        try:
            for packet in container.demux(stream):
                try:
                    decoded = packet.decode()
                except av.error.FFmpegError as e:
                    if _at_tail(packet, file_size):
                        damaged = True
                        continue
                    raise VideoReadError(
                        f"{path}: decode error after frame {index + 1} ({_reason(e)}); the file "
                        "is damaged: re-encode it (e.g. ffmpeg -i IN -c:v libx264 OUT)"
                    ) from None
                for frame in decoded:
                    index += 1
                    if index < start_frame:
                        continue
                    if orientation is None:
                        orientation = frame_orientation(frame)
                        size = _displayed(frame.width, frame.height, orientation)
                        analysis = analysis_size(size, max_side)
                    if frame.time is not None:
                        t0 = frame.time if t0 is None else t0
                        time = float(frame.time - t0)
                    else:
                        time = index / fps
                    yield VideoFrame(
                        index=index,
                        time=time,
                        rgb=_to_rgb(frame, orientation, analysis),
                        scale=max(size) / max(analysis),
                        original_size=size,
                    )
                    emitted += 1
                    if max_frames is not None and emitted >= max_frames:
                        return
        except av.error.FFmpegError as e:
            raise VideoReadError(
                f"{path}: read error after frame {index + 1} ({_reason(e)}); the file is damaged"
            ) from None
        expected = int(stream.frames or 0)
        if damaged or (expected and index + 1 < expected):
            log.warning(
                "%s: the video ends early: read %d of %s frames; the file looks truncated",
                path,
                index + 1,
                expected or "?",
            )


_DONE = object()


def prefetch(items: Iterable[T], depth: int = 4, name: str = "prefetch") -> Iterator[T]:
    """``items`` produced in a background thread, up to ``depth`` ahead of the consumer.

    For stages that release the GIL (PyAV decoding and encoding, swscale, OpenCV,
    mediapipe): a decoder thread then runs on one core while the caller estimates poses
    on another. Order is kept; an exception raised by ``items`` is raised here, at the item
    where it happened. When the consumer stops early (``break``, an error, garbage
    collection) the producer stops too and ``items`` is closed (a generator's ``finally``
    runs, files are closed) in the producer's thread.
    """
    if depth < 1:
        return iter(items)
    return _prefetch(items, depth, name)


def _prefetch(items: Iterable[T], depth: int, name: str) -> Iterator[T]:
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        it = iter(items)
        try:
            for item in it:
                if not put((item, None)):
                    break
            else:
                put((_DONE, None))
        except BaseException as e:  # handed to the consumer, raised there
            put((_DONE, e))
        finally:
            close = getattr(it, "close", None)
            if callable(close):
                close()

    worker = threading.Thread(target=produce, name=name, daemon=True)
    worker.start()
    try:
        while True:
            item, error = box.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def _at_tail(packet: av.Packet, file_size: int) -> bool:
    """A packet cut off by the end of the file (or the decoder's final flush)."""
    pos = packet.pos
    if packet.size == 0 or pos is None or pos < 0:
        return True
    return pos + packet.size >= file_size


# -------------------------------------------------------------------------- images
def read_image_frame(path: str | Path, max_side: int | None = None) -> VideoFrame:
    """Read an image (JPEG, PNG, BMP, WebP, TIFF ... through PyAV) as a one-frame video.

    EXIF orientation of JPEG files is applied. Transparent pixels are composited onto
    white (pose estimators expect opaque images).
    """
    path = Path(path)
    with _open(path, "image") as container:
        try:
            frame = next(container.decode(video=0), None)
        except (av.error.FFmpegError, IndexError) as e:
            raise VideoReadError(
                f"{path}: cannot decode as an image ({_reason(e)}); the file is damaged or not an image"
            ) from None
    if frame is None:
        raise VideoReadError(f"{path}: no image in the file")
    orientation = EXIF_ORIENTATION[read_exif_orientation(path)]
    size = _displayed(frame.width, frame.height, orientation)
    analysis = analysis_size(size, max_side)
    if frame.format.has_palette or any(c.is_alpha for c in frame.format.components):
        w, h = analysis if orientation[0] % 2 == 0 else analysis[::-1]
        rgba = frame.reformat(width=w, height=h, format="rgba").to_ndarray().astype(np.float32)
        alpha = rgba[..., 3:] / 255.0
        rgb = np.round(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
        rgb = orient(rgb, orientation)
    else:
        rgb = _to_rgb(frame, orientation, analysis)
    return VideoFrame(0, 0.0, rgb, max(size) / max(analysis), size)


def read_image(path: str | Path) -> np.ndarray:
    """An image file as ``(H, W, 3)`` RGB uint8, EXIF orientation applied."""
    return read_image_frame(path).rgb


# ------------------------------------------------------------------------- writing
class VideoWriter:
    """Write RGB frames to an H.264 MP4 (yuv420p), atomically.

    ::

        with VideoWriter("out.mp4", fps=25, audio_from="driving.mp4") as writer:
            for rgb in frames:
                writer.write(rgb)

    The output appears under its name only when the ``with`` block ends without an error;
    otherwise nothing is left behind. The frame size is fixed by the first frame; odd
    widths or heights (which yuv420p cannot hold) are padded by one edge pixel. With
    ``audio_from``, that file's first audio stream is copied (re-encoded to AAC when MP4
    cannot carry its codec) and cut at the video's end; with ``audio_start`` it starts that
    many seconds into the file (its presentation times), so a clip cut from a longer video
    keeps its sound in sync.

    Args:
        path: output ``.mp4``.
        fps: frame rate (29.97 and the like are stored as exact NTSC fractions).
        crf: x264 quality, 0 (lossless) .. 51; 18 is visually lossless.
        audio_from: a video or audio file whose sound to pass through.
        audio_start: the presentation time (seconds) in ``audio_from`` that plays at the
            output's start: the time of the first video frame used. Copied packets that
            start before it are dropped (the sound may begin up to one packet, ~20 ms, late
            but stays in sync); re-encoded sound is cut to the sample.
        preset: x264 speed preset.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float,
        *,
        crf: int = 18,
        audio_from: str | Path | None = None,
        preset: str = "medium",
        audio_start: float = 0.0,
    ) -> None:
        if not (np.isfinite(fps) and fps > 0):
            raise InvalidArgumentError(f"fps must be a positive number, got {fps}")
        if not 0 <= crf <= 51:
            raise InvalidArgumentError(f"crf must be within 0..51, got {crf}")
        self.path = Path(path)
        self.fps = float(fps)
        self.rate = Fraction(self.fps).limit_denominator(1001)
        self.crf = crf
        self.preset = preset
        self.audio_from = None if audio_from is None else Path(audio_from)
        self.audio_start = float(audio_start)
        self.frames_written = 0
        self._stack = contextlib.ExitStack()
        self._container: Any = None
        self._stream: Any = None
        self._audio_in: Any = None
        self._audio_out: Any = None
        self._audio_transcode = False
        self._size: tuple[int, int] | None = None
        self._tmp = self._stack.enter_context(atomic_file(self.path))

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort(exc_type, exc, tb)

    def _start(self, width: int, height: int) -> None:
        self._size = (width, height)
        self._container = av.open(str(self._tmp), "w", format="mp4")
        stream = self._container.add_stream("libx264", rate=self.rate)
        stream.width, stream.height = width + width % 2, height + height % 2
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(self.crf), "preset": self.preset}
        self._stream = stream
        if self.audio_from is not None:
            self._add_audio()

    def _add_audio(self) -> None:
        source = _open(self.audio_from, "video")  # type: ignore[arg-type]
        if not source.streams.audio:
            log.warning(
                "%s: has no audio stream; writing %s without sound", self.audio_from, self.path
            )
            source.close()
            return
        self._audio_in = source
        audio = source.streams.audio[0]
        if audio.codec_context.name in _MP4_AUDIO_COPY:
            self._audio_out = self._container.add_stream_from_template(audio)
        else:
            layout = "mono" if audio.codec_context.channels == 1 else "stereo"
            self._audio_out = self._container.add_stream("aac", rate=audio.rate, layout=layout)
            self._audio_transcode = True

    def write(self, rgb: np.ndarray) -> None:
        """Append one ``(H, W, 3)`` uint8 RGB frame."""
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise InvalidArgumentError(
                f"{self.path}: frames must be (height, width, 3) uint8 RGB, got {rgb.shape} {rgb.dtype}"
            )
        height, width = rgb.shape[:2]
        if self._container is None:
            self._start(width, height)
        elif (width, height) != self._size:
            raise InvalidArgumentError(
                f"{self.path}: frame {self.frames_written} is {width}x{height}, the first was "
                f"{self._size[0]}x{self._size[1]}; all frames must have one size"  # type: ignore[index]
            )
        if width % 2 or height % 2:
            rgb = np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames_written
        frame.time_base = 1 / self.rate
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file and move it into place (called by ``with``)."""
        try:
            if self._container is None:
                raise InvalidArgumentError(f"{self.path}: no frames were written; nothing to save")
            for packet in self._stream.encode():
                self._container.mux(packet)
            if self._audio_out is not None:
                self._copy_audio(self.frames_written / self.fps)
            self._container.close()
            self._container = None
        except BaseException as e:
            self._abort(type(e), e, e.__traceback__)
            raise
        self._close_audio_source()
        self._stack.close()

    def _copy_audio(self, seconds: float) -> None:
        stream = self._audio_in.streams.audio[0]
        begin = self.audio_start
        end = begin + seconds
        if self._audio_transcode:
            for frame in self._audio_in.decode(stream):
                start = frame.time or 0.0
                rate = frame.sample_rate
                if start >= end:
                    break
                stop = start + frame.samples / rate
                if stop <= begin:
                    continue
                first = max(0, round((begin - start) * rate))
                last = min(frame.samples, round((end - start) * rate))
                if first > 0 or last < frame.samples:
                    frame = _cut_audio(frame, last, first)
                frame.pts = None
                for packet in self._audio_out.encode(frame):
                    self._container.mux(packet)
            for packet in self._audio_out.encode():
                self._container.mux(packet)
            return
        shift = round(begin / stream.time_base) if begin and stream.time_base else 0
        for packet in self._audio_in.demux(stream):
            if packet.dts is None:
                continue
            if packet.pts is not None and packet.pts * packet.time_base >= end:
                break
            if shift:
                if packet.pts is None or packet.pts < shift:
                    continue
                packet.pts -= shift
                packet.dts -= shift
            packet.stream = self._audio_out
            self._container.mux(packet)

    def _close_audio_source(self) -> None:
        if self._audio_in is not None:
            self._audio_in.close()
            self._audio_in = None

    def _abort(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close everything and delete the temporary file."""
        if self._container is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError):
                self._container.close()
            self._container = None
        self._close_audio_source()
        self._stack.__exit__(exc_type or RuntimeError, exc or RuntimeError("aborted"), tb)


def _cut_audio(frame: av.AudioFrame, samples: int, first: int = 0) -> av.AudioFrame:
    """Samples ``first`` to ``samples`` (exclusive) of an audio frame."""
    data = frame.to_ndarray()
    channels = 1 if frame.format.is_planar else frame.layout.nb_channels
    cut = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(data[:, first * channels : samples * channels]),
        format=frame.format.name,
        layout=frame.layout.name,
    )
    cut.sample_rate = frame.sample_rate
    return cut
