"""Pose sequences from videos and images through BlazePose (mediapipe 0.10.14).

The estimator is BlazePose *full* (``model_complexity=1``), the one model the mediapipe
0.10.14 wheel bundles (``lite`` and ``heavy`` would be downloaded at run time: never
used). It runs through mediapipe's Tasks API ``PoseLandmarker``, which can follow several
people; its ``.task`` bundle is assembled in memory from the wheel's two bundled models
(:func:`task_bundle`), so nothing is downloaded.

Output (:func:`load`, :func:`load_image`), skeleton ``blazepose33``:

* ``coords``: ``(T, 33, 2)`` pixels of the ORIGINAL displayed frame (rotation metadata
  applied), x right, y down, origin top-left; ``canvas`` is that frame's ``(width, height)``.
  Joints outside the frame keep their (extrapolated) coordinates.
* ``confidence``: BlazePose's per-landmark *visibility*, clipped to
  ``[MIN_CONFIDENCE, 1]`` for every landmark of a found person: no threshold is applied
  here, so hidden or out-of-frame joints keep their coordinates with a low confidence
  (mediapipe's own drawing code treats visibility < 0.5 as hidden). Frames in which the
  main person is not found have confidence 0 for all joints (``meta["missing_frames"]``).
* ``world``: ``(T, 33, 3)`` BlazePose world landmarks in metres (origin between the
  hips, x to the image's right, y down, z away from the camera); 0 where missing.
* ``fps`` from the video (or the caller's ``fps``); ``meta["frame_index"]`` the source
  frame of each pose; ``meta["start_time"]`` the time (seconds from the stream's start)
  of the first frame used.

Several people: the estimator follows up to ``num_poses`` people (default 2). The *main*
person is the one with the largest bounding box when first seen; in each later frame it is
the person whose box overlaps the previous main box most (IoU >= ``MIN_IOU``). When no
one overlaps, the frame is marked missing rather than jumping to someone else; after
``REACQUIRE_SECONDS`` without the main person, the largest person is taken again. A file in
which two or more people were seen gets one warning.

Speed (:class:`MainPersonEstimator`, what :func:`load` uses): mediapipe's video mode with
``num_poses=1`` *tracks* one person (the landmarks of one frame give the next frame's
region; the detector runs only when the person is lost), about 35 ms per frame on one CPU
core; with ``num_poses=2`` it reruns the detector on every frame while fewer than two people
are tracked (its output then equals image mode's), about 60 ms. So a single-person video is
followed with ``num_poses=1``, and an image-mode landmarker with ``num_poses`` *probes* for
other people on the first frame, every ``PROBE_SECONDS``, and whenever the tracked person is
newly found or jumps. The first probe that sees two or more people switches the rest of the
video to a ``num_poses`` video-mode landmarker and the rules above (with ``num_poses=1`` the
detector would follow its most confident detection, not the largest person). Frames before
that switch count as single-person frames in ``meta["frames_with_several_people"]``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import InvalidArgumentError, NoPersonFoundError, missing_dependency
from ..pose import DEFAULT_FPS, PoseSequence, pixel_sequence
from ..skeleton import BLAZEPOSE33
from ..tracking.online import box_iou
from ..video_io import (
    Closing,
    VideoFrame,
    VideoInfo,
    iter_frames,
    prefetch,
    probe,
    read_image_frame,
)

log = logging.getLogger(__name__)

NUM_LANDMARKS = 33
MIN_CONFIDENCE = 1e-3
"""Lowest confidence given to a landmark of a found person (0 would mean *missing*)."""
MIN_IOU = 0.1
"""Box overlap below which a person is not taken as the previous frame's main person."""
REACQUIRE_SECONDS = 1.0
"""After this long without the main person, the largest person becomes the main one."""
PROBE_SECONDS = 1.0
"""How often :class:`MainPersonEstimator` looks for other people while it tracks one."""
ESTIMATOR_NAME = "blazepose-full (mediapipe 0.10.14, tasks PoseLandmarker)"

# Input normalisation of the two bundled models, as mediapipe's legacy graphs set it
# (pose_detection_cpu: tensor range [-1, 1]; pose_landmark_by_roi_cpu: [0, 1]).
_DETECTOR = ("modules/pose_detection/pose_detection.tflite", 127.5, 127.5)
_LANDMARKER = ("modules/pose_landmark/pose_landmark_full.tflite", 0.0, 255.0)


@dataclass(frozen=True)
class PersonLandmarks:
    """One person's landmarks in one image.

    Attributes:
        xy: ``(33, 2)`` normalised image coordinates: x / width, y / height of the image the
            estimator saw (x right, y down); may lie outside [0, 1] for joints out of frame.
        visibility: ``(33,)`` probability that the landmark is visible (not occluded).
        presence: ``(33,)`` probability that the landmark is inside the image.
        world: ``(33, 3)`` metres, origin between the hips (see the module docstring).
    """

    xy: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    mask: np.ndarray | None = None
    """``(H, W)`` float32 person segmentation in [0, 1] at the size of the image the
    estimator saw, when it was asked for (``BlazePoseEstimator(segmentation=True)``)."""

    def box(self, size: tuple[int, int]) -> np.ndarray:
        """``(x0, y0, x1, y1)`` bounding box in pixels of an image of ``size`` (w, h),
        clipped to the image."""
        px = np.clip(self.xy, 0.0, 1.0) * np.asarray(size, dtype=np.float64)
        return np.concatenate([px.min(axis=0), px.max(axis=0)])


class PoseEstimator(Protocol):
    """A stage that finds people's landmarks in RGB frames.

    Settings go to the constructor; frames go through the call. Estimators may keep
    state across calls (tracking): call them with one video's frames in order.
    """

    def __call__(self, rgb: np.ndarray, timestamp: float) -> list[PersonLandmarks]: ...

    def close(self) -> None: ...


# -------------------------------------------------------------------- mediapipe
def _import_mediapipe() -> Any:
    try:
        import mediapipe
        from mediapipe.tasks.python import BaseOptions, vision  # noqa: F401
    except ImportError:
        raise missing_dependency("mediapipe", "video", "pose estimation from video") from None
    return mediapipe


@functools.lru_cache(maxsize=1)
def task_bundle() -> bytes:
    """A PoseLandmarker ``.task`` bundle built from the models bundled in the wheel.

    A ``.task`` file is a zip of ``pose_detector.tflite`` and
    ``pose_landmarks_detector.tflite``; the Tasks API also needs each model's input
    normalisation as TFLite metadata, which the legacy models lack and which is added here.
    """
    mp = _import_mediapipe()
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    root = Path(mp.__file__).parent
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        for name, (rel, mean, std) in (
            ("pose_detector.tflite", _DETECTOR),
            ("pose_landmarks_detector.tflite", _LANDMARKER),
        ):
            model = bytearray((root / rel).read_bytes())
            writer = metadata_writer.MetadataWriter.create(model)
            writer.add_general_info(Path(rel).stem).add_image_input([mean], [std])
            bundle.writestr(name, bytes(writer.populate()[0]))
    return out.getvalue()


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence C++ log lines (absl/TFLite start-up chatter) written straight to fd 2."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class BlazePoseEstimator(Closing):
    """BlazePose full through mediapipe's Tasks ``PoseLandmarker``, on RGB frames.

    In video mode it KEEPS STATE across calls: it tracks people from frame to frame and
    smooths their landmarks, so call it with one video's frames in order (timestamps in
    seconds, increasing; equal or decreasing ones are nudged forward by 1 ms). Use a new
    instance per video. In image mode (``video=False``) every call is independent.

    Args:
        video: video (tracking) mode or image mode.
        num_poses: most people to find per frame; 1 is ~40% faster but cannot tell that
            several people are in view (mediapipe's detector then picks one).
        min_detection_confidence: person detector threshold.
        min_presence_confidence: landmark model's person-presence threshold.
        min_tracking_confidence: below this, tracking is dropped and the detector reruns.
        segmentation: also return each person's segmentation mask
            (:attr:`PersonLandmarks.mask`).
    """

    def __init__(
        self,
        *,
        video: bool = True,
        num_poses: int = 2,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        segmentation: bool = False,
    ) -> None:
        if num_poses < 1:
            raise InvalidArgumentError(f"num_poses must be >= 1, got {num_poses}")
        mp = _import_mediapipe()
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        self.video = video
        self.num_poses = num_poses
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=task_bundle()),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_segmentation_masks=segmentation,
        )
        with _quiet_native_stderr():
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._last_ms = -1

    def __call__(self, rgb: np.ndarray, timestamp: float = 0.0) -> list[PersonLandmarks]:
        """People in one ``(H, W, 3)`` uint8 RGB frame shown at ``timestamp`` seconds."""
        image = self._mp.Image(
            image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb, np.uint8)
        )
        with warnings.catch_warnings():
            # protobuf's deprecation notice from inside mediapipe, once per process.
            warnings.filterwarnings("ignore", "SymbolDatabase.GetPrototype", UserWarning)
            if self.video:
                ms = max(int(round(timestamp * 1000.0)), self._last_ms + 1)
                self._last_ms = ms
                result = self._landmarker.detect_for_video(image, ms)
            else:
                result = self._landmarker.detect(image)
        people = []
        masks = list(result.segmentation_masks or [])
        for i, (marks, world) in enumerate(zip(result.pose_landmarks, result.pose_world_landmarks)):
            a = np.array([(m.x, m.y, m.visibility or 0.0, m.presence or 0.0) for m in marks])
            w = np.array([(m.x, m.y, m.z) for m in world], dtype=np.float64)
            mask = np.array(masks[i].numpy_view(), dtype=np.float32) if i < len(masks) else None
            people.append(PersonLandmarks(a[:, :2], a[:, 2], a[:, 3], w, mask))
        return people

    def close(self) -> None:
        self._landmarker.close()


class MainPersonEstimator:
    """BlazePose on a video that tracks one person cheaply and probes for others (see the
    module docstring, "Speed"); a :class:`PoseEstimator`.

    Call it with one video's frames in order. It returns the tracked person (a list of at
    most one) until a probe sees two or more people; from that frame on it returns everyone
    a ``num_poses`` video-mode landmarker finds.

    Args:
        num_poses: most people to follow once several are seen (>= 2).
        probe_every: frames between two probes while one person is tracked.
        make: ``make(video, num_poses)`` builds the underlying estimators (default
            :class:`BlazePoseEstimator`; tests pass scripted ones).
    """

    def __init__(
        self,
        num_poses: int = 2,
        probe_every: int = 30,
        make: Callable[[bool, int], PoseEstimator] | None = None,
    ) -> None:
        if num_poses < 2:
            raise InvalidArgumentError(f"num_poses must be >= 2 to probe, got {num_poses}")
        self.num_poses = num_poses
        self.probe_every = max(1, int(probe_every))
        self._make = make or (lambda video, n: BlazePoseEstimator(video=video, num_poses=n))
        self._track: PoseEstimator | None = self._make(True, 1)
        self._probe: PoseEstimator | None = None
        self._all: PoseEstimator | None = None
        self._last_box: np.ndarray | None = None
        self._since_probe = 0
        self.probes = 0
        self.switched_at: int | None = None
        """Call (0-based) at which several people were first seen, or None."""
        self._calls = 0

    def __call__(self, rgb: np.ndarray, timestamp: float = 0.0) -> list[PersonLandmarks]:
        call, self._calls = self._calls, self._calls + 1
        if self._all is not None:
            return self._all(rgb, timestamp)
        assert self._track is not None
        people = self._track(rgb, timestamp)
        box = people[0].box((1, 1)) if people else None  # normalised: IoU is the same
        self._since_probe += 1
        due = call == 0 or self._since_probe >= self.probe_every
        found_or_jumped = box is not None and (
            self._last_box is None or box_iou(box, self._last_box) < MIN_IOU
        )
        self._last_box = box
        if not (due or found_or_jumped):
            return people
        self._since_probe = 0
        self.probes += 1
        if self._probe is None:
            self._probe = self._make(False, self.num_poses)
        if len(self._probe(rgb, timestamp)) < 2:
            return people
        log.debug("several people at call %d; following up to %d", call, self.num_poses)
        self.switched_at = call
        self._close_single()
        self._all = self._make(True, self.num_poses)
        return self._all(rgb, timestamp)

    def _close_single(self) -> None:
        for est in (self._track, self._probe):
            if est is not None:
                est.close()
        self._track = self._probe = None

    def close(self) -> None:
        self._close_single()
        if self._all is not None:
            self._all.close()
            self._all = None


# --------------------------------------------------------------- main person
def choose_main(
    boxes: list[np.ndarray], previous: np.ndarray | None, min_iou: float = MIN_IOU
) -> int | None:
    """Index of the main person among ``boxes`` (``(x0, y0, x1, y1)``), or None.

    Without a ``previous`` main box: the largest box. With one: the box overlapping it
    most, if that overlap (IoU) reaches ``min_iou``; otherwise None (the main person is
    not in view; do not jump to someone else).
    """
    if not boxes:
        return None
    if previous is None:
        return int(np.argmax([(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]))
    ious = [box_iou(b, previous) for b in boxes]
    best = int(np.argmax(ious))
    return best if ious[best] >= min_iou else None


class MainPersonTracker:
    """Follows one main person through a video (the rule is :func:`choose_main`'s).

    Keeps state across frames: the main person's last box and how long ago it was seen.
    """

    def __init__(self, reacquire_after: int) -> None:
        self.reacquire_after = reacquire_after
        self._box: np.ndarray | None = None
        self._unseen = 0

    def __call__(
        self, people: list[PersonLandmarks], size: tuple[int, int]
    ) -> PersonLandmarks | None:
        if self._unseen > self.reacquire_after:
            self._box = None
        boxes = [p.box(size) for p in people]
        pick = choose_main(boxes, self._box)
        if pick is None:
            self._unseen += 1
            return None
        self._box, self._unseen = boxes[pick], 0
        return people[pick]


# ------------------------------------------------------------------- loading
@dataclass
class _Track:
    """Per-frame arrays of the main person, filled frame by frame."""

    coords: list[np.ndarray]
    confidence: list[np.ndarray]
    world: list[np.ndarray]
    frame_index: list[int]
    several: int = 0
    most_people: int = 0
    missing: int = 0
    start_time: float = 0.0

    def add(
        self, frame: VideoFrame, people: list[PersonLandmarks], main: PersonLandmarks | None
    ) -> None:
        if not self.frame_index:
            self.start_time = frame.time
        self.frame_index.append(frame.index)
        self.most_people = max(self.most_people, len(people))
        self.several += len(people) > 1
        if main is None:
            self.missing += 1
            self.coords.append(np.zeros((NUM_LANDMARKS, 2)))
            self.confidence.append(np.zeros(NUM_LANDMARKS))
            self.world.append(np.zeros((NUM_LANDMARKS, 3)))
            return
        self.coords.append(main.xy * np.asarray(frame.original_size, dtype=np.float64))
        self.confidence.append(np.clip(main.visibility, MIN_CONFIDENCE, 1.0))
        self.world.append(main.world)

    def to_sequence(
        self, fps: float, canvas: tuple[int, int], meta: dict[str, Any]
    ) -> PoseSequence:
        """The track as a ``blazepose33`` sequence in pixels (y down) with world landmarks."""
        coords, confidence = np.stack(self.coords), np.stack(self.confidence)
        world = np.stack(self.world)
        return pixel_sequence(coords, confidence, BLAZEPOSE33, fps, canvas, meta, world=world)


def track_main_person(frames: Iterable[VideoFrame], estimator: PoseEstimator, fps: float) -> _Track:
    """Run ``estimator`` over ``frames`` and keep the main person of each frame."""
    tracker = MainPersonTracker(reacquire_after=max(1, round(REACQUIRE_SECONDS * fps)))
    track = _Track([], [], [], [])
    for frame in frames:
        people = estimator(frame.rgb, frame.time)
        track.add(frame, people, tracker(people, frame.original_size))
    return track


def _tap(frames: Iterable[VideoFrame], fn: Callable[[VideoFrame], None]) -> Iterator[VideoFrame]:
    for frame in frames:
        fn(frame)
        yield frame


def _progress(frames: Iterator[VideoFrame], total: int, name: str) -> Iterator[VideoFrame]:
    from tqdm import tqdm

    return iter(
        tqdm(
            frames, total=total, desc=name, unit="frame", file=sys.stderr, disable=None, leave=False
        )
    )


def decode(
    path: Path, start_frame: int, max_frames: int | None, max_side: int | None
) -> tuple[VideoInfo, float, int, Iterator[VideoFrame]]:
    """What a video's pose extraction starts from: its probe, its frame rate (the default
    when it has none), how many frames to expect, and the frames, decoded in a thread (PyAV
    and mediapipe release the GIL: on a second core decoding costs no time)."""
    info = probe(path)
    video_fps = info.fps if info.fps > 0 else DEFAULT_FPS
    total = max(0, info.num_frames - start_frame)
    if max_frames is not None:
        total = min(total, max_frames)
    frames = prefetch(
        iter_frames(path, start_frame=start_frame, max_frames=max_frames, max_side=max_side),
        name="decode",
    )
    return info, video_fps, total, frames


def load(
    path: str | Path,
    start_frame: int = 0,
    max_frames: int | None = None,
    max_side: int | None = 512,
    fps: float | None = None,
    num_poses: int = 2,
    estimator: PoseEstimator | None = None,
    frames_seen: Callable[[VideoFrame], None] | None = None,
    **_: Any,
) -> PoseSequence:
    """The main person's BlazePose-33 landmarks in every frame of a video.

    Args:
        path: a video file (anything FFmpeg decodes).
        start_frame: first source frame to use.
        max_frames: use at most this many frames.
        max_side: the estimator sees frames scaled to this long side (None: original
            size); coordinates are always in original pixels.
        fps: frame rate to store instead of the video's own.
        num_poses: most people the estimator follows; with 2 or more one person is tracked
            and others probed for (:class:`MainPersonEstimator`), with 1 mediapipe's most
            confident detection is tracked and other people go unnoticed.
        estimator: another :class:`PoseEstimator` (a fresh one per call; it is closed).
        frames_seen: called with every decoded frame (at the ``max_side`` size) before the
            estimator sees it, e.g. to keep a few (decoding happens once).

    Raises:
        NoPersonFoundError: nobody in any frame.
        VideoReadError: the file cannot be decoded.
    """
    path = Path(path)
    info, video_fps, total, frames = decode(path, start_frame, max_frames, max_side)
    if estimator is None and num_poses >= 2:
        every = max(1, round(PROBE_SECONDS * video_fps))
        estimator = MainPersonEstimator(num_poses=num_poses, probe_every=every)
    elif estimator is None:
        estimator = BlazePoseEstimator(video=True, num_poses=num_poses)
    if frames_seen is not None:
        frames = _tap(frames, frames_seen)
    try:
        track = track_main_person(_progress(frames, total, path.name), estimator, video_fps)
    finally:
        estimator.close()
    n = len(track.frame_index)
    if n == 0:
        raise InvalidArgumentError(
            f"{path}: no frames from frame {start_frame} on (the video has {info.num_frames}); "
            "choose a smaller `start_frame`"
        )
    if track.missing == n:
        raise NoPersonFoundError(
            f"{path}: no person found in {n} frames (frames {track.frame_index[0]}-"
            f"{track.frame_index[-1]}); make sure a whole person is in view, or choose other "
            "frames with `start_frame` and `max_frames`"
        )
    if track.several:
        log.warning(
            "%s: up to %d people in %d of %d frames; following one main person (the largest "
            "when first seen, then the one overlapping it most from frame to frame)",
            path,
            track.most_people,
            track.several,
            n,
        )
    if track.missing:
        log.info("%s: no person in %d of %d frames (marked missing)", path, track.missing, n)
    meta = {
        "frame_index": track.frame_index,
        "missing_frames": track.missing,
        "estimator": ESTIMATOR_NAME,
        "max_side": max_side,
        "people_max": track.most_people,
        "frames_with_several_people": track.several,
        "start_time": track.start_time,
        "rotation": info.rotation,
        "video_fps": info.fps,
    }
    if info.fps <= 0 and fps is None:
        meta["fps_assumed"] = True
    return track.to_sequence(fps if fps is not None else video_fps, (info.width, info.height), meta)


def load_image(
    path: str | Path,
    max_side: int | None = 512,
    fps: float | None = None,
    num_poses: int = 4,
    estimator: PoseEstimator | None = None,
    **_: Any,
) -> PoseSequence:
    """The main (largest) person's BlazePose-33 landmarks in one image, as one frame.

    Same conventions as :func:`load`; the estimator runs in image mode. ``fps`` is
    stored as given, else the default with ``meta["fps_assumed"]``.
    """
    path = Path(path)
    frame = read_image_frame(path, max_side=max_side)
    if estimator is None:
        estimator = BlazePoseEstimator(video=False, num_poses=num_poses)
    try:
        track = track_main_person([frame], estimator, DEFAULT_FPS)
    finally:
        estimator.close()
    if track.missing:
        raise NoPersonFoundError(
            f"{path}: no person found in the image; make sure a whole person is in view"
        )
    if track.several:
        log.warning("%s: %d people in the image; using the largest", path, track.most_people)
    meta: dict[str, Any] = {
        "frame_index": [0],
        "missing_frames": 0,
        "estimator": ESTIMATOR_NAME,
        "max_side": max_side,
        "people_max": track.most_people,
    }
    if fps is None:
        meta["fps_assumed"] = True
    return track.to_sequence(fps if fps is not None else DEFAULT_FPS, frame.original_size, meta)
