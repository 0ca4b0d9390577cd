"""Video and image input through PyAV: streaming decode, probing, orientation (writing is
:mod:`skeleton_io.video_writer`).

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

import logging
import queue
import struct
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import av
import numpy as np

from .errors import InputNotFoundError, InvalidArgumentError, VideoReadError

log = logging.getLogger(__name__)

Orientation = tuple[int, bool]
"""``(turns, mirror)``: mirror left-right first, then ``turns`` quarter turns counter-clockwise."""

T = TypeVar("T")


class Closing:
    """Something that holds native resources until :meth:`close` (a landmarker, an
    encoder), also a ``with`` block: closed at the block's end or, when the block raises,
    given up (:meth:`_abort`, by default the same)."""

    def close(self) -> None:
        raise NotImplementedError

    def _abort(self, exc: BaseException) -> None:
        """After an error inside the ``with`` block (``exc``): by default, close."""
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self._abort(exc)


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
        why = "a broken symbolic link or a link loop" if path.is_symlink() else "no such file"
        raise InputNotFoundError(f"{path}: {why}; check the path")
    a = "an" if what == "image" else "a"
    if path.is_dir():
        raise VideoReadError(f"{path}: a folder, not {a} {what}; check the path")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise VideoReadError(
            f"{path}: cannot open as {a} {what} ({_reason(e)}); the file is damaged, truncated "
            f"or not {a} {what}"
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
