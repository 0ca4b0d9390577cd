"""H.264 MP4 writing through PyAV: frames in, an MP4 with the source's sound out, written to a
temporary file and renamed at the end (:class:`VideoWriter`).

Frames are RGB ``uint8`` arrays ``(height, width, 3)``, as in :mod:`skeleton_io.video_io`.
"""

from __future__ import annotations

import contextlib
import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from .atomic import atomic_file
from .errors import InvalidArgumentError
from .video_io import Closing, _open

log = logging.getLogger(__name__)

# Audio codecs an MP4 can carry as they are; anything else is re-encoded to AAC.
_MP4_AUDIO_COPY = {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}


class VideoWriter(Closing):
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
            self._abort(e)
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

    def _abort(self, exc: BaseException) -> None:
        """Close everything and delete the temporary file."""
        if self._container is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError):
                self._container.close()
            self._container = None
        self._close_audio_source()
        self._stack.__exit__(type(exc), exc, exc.__traceback__)


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
