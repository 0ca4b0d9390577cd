"""Several people from a video or an image: BlazePose plus the tracker.

:func:`load_group` gives every person of a video as a :class:`~skeleton_io.group.PoseGroup`
of ``blazepose33`` sequences, one per track id, with the conventions of
:mod:`skeleton_io.formats.video` (pixels of the original displayed frame, x right, y
down, origin top-left; confidence = BlazePose visibility, 0 only where the person is not
seen; world landmarks in metres). :func:`load_image_group` does the same for one image.

**Finding people** (:class:`PeopleTracker`). mediapipe's own several-people mode misses
a person who stands near another (on the benchmark clip of two people crossing, its
image-mode detector found both in 75 of 219 frames, its video mode fewer), so each person
gets their own tracker here:

* **Probes** find people: an image-mode PoseLandmarker on the whole frame, with the people
  already followed painted over in grey so that the detector sees the others, in up to
  ``DISCOVERY_ROUNDS`` rounds (each blanking those found before; an image: until nobody
  new is found). A probe runs on the first frame, every ``PROBE_SECONDS`` while everyone
  seen so far is followed, four times as often while someone is missing, and on every
  frame while nobody is followed.
* **Slots** follow them: each person found gets a single-person video-mode PoseLandmarker
  (BlazePose full, its tracking and smoothing as for one person) run on a square crop
  around where the person is expected (``CROP_SCALE`` times their extent), which stays put
  while they stay inside its middle ``CROP_KEEP`` (a still camera, as on a whole clip).
  The other people followed are painted over in the crop (their segmentation masks of the
  previous frame), so a landmarker does not drift onto someone passing in front. A slot
  that loses its person for ``LOST_SECONDS`` is freed for the next person found.

So a clip with two people costs about two landmark runs per frame, plus a probe now and
then; ``cap`` people are followed at once at most (``MAX_PEOPLE`` for everyone, else twice
the people asked for, so that the largest can be chosen).

**Identities** come from :mod:`skeleton_io.tracking` (position, motion and the colours of
each person's clothes; its docstring lists how tracks are chosen, online and after each
contact between people). With ``people=N`` the N most prominent tracks are kept (largest on
average over the clip), ids renumbered 0, 1, ... by first appearance, then left to right.

A person who leaves and is not seen again for the last ``LEFT_SECONDS`` or more of the clip
gets one warning naming the file (their remaining frames are missing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError, NoPersonFoundError
from ..group import PoseGroup
from ..pose import DEFAULT_FPS
from ..skeleton import BLAZEPOSE33
from ..tracking import Detection, TrackBuilder, Tracker, appearance, box_iou
from ..video_io import VideoFrame, read_image_frame
from . import video as video_fmt
from .video import (
    ESTIMATOR_NAME,
    MIN_CONFIDENCE,
    PROBE_SECONDS,
    PersonLandmarks,
    PoseEstimator,
)

log = logging.getLogger(__name__)

MAX_PEOPLE = 8
"""Most people followed at once when everyone is asked for (``people=None``)."""
LEFT_SECONDS = 1.0
"""A person unseen for at least this long at the end of the clip is warned about."""
CROP_SCALE = 1.6
"""A person's crop is this many times their extent (the larger of box width and height)."""
CROP_KEEP = 0.9
"""A person's crop stays put while their box is inside this middle share of it."""
CROP_MAX = 384
"""Crops are shown to the landmarker at most this many pixels wide."""
MIN_CROP = 48.0
LOST_SECONDS = 0.5
"""A landmarker keeps looking for its lost person this long before it is freed."""
BLANK = 128
"""Grey that other people are painted with in a person's crop."""
DISCOVERY_ROUNDS = 2
"""Probe rounds per probed video frame (each blanks the people found before)."""


def _blazepose(video: bool, num_poses: int) -> PoseEstimator:
    """The default estimators: image-mode probes, and video-mode single-person landmarkers
    with segmentation masks (to blank people out of each other's crops)."""
    # Looked up at call time so that tests can replace the estimator class.
    return video_fmt.BlazePoseEstimator(video=video, num_poses=num_poses, segmentation=video)


def check_people(people: int | None) -> None:
    """``people`` is None (everyone) or an int >= 1."""
    if people is None:
        return
    if isinstance(people, bool) or not isinstance(people, (int, np.integer)) or people < 1:
        raise InvalidArgumentError(
            f"people must be None (everyone) or a number >= 1, got {people!r}"
        )


def follow_cap(people: int | None) -> int:
    """Most people followed at once for ``people`` asked for (None: everyone)."""
    return MAX_PEOPLE if people is None else max(2 * int(people), 2)


@dataclass
class Crop:
    """A square window of a frame: ``side`` analysis pixels from ``(x0, y0)`` (x right,
    y down), shown to a landmarker as an ``out`` x ``out`` image."""

    x0: float
    y0: float
    side: float
    out: int

    @classmethod
    def around(cls, box: np.ndarray, side: float) -> Crop:
        """A window of ``side`` centred on ``box`` ``(x0, y0, x1, y1)``."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        side = max(side, MIN_CROP)
        return cls(cx - side / 2, cy - side / 2, side, int(round(min(side, CROP_MAX))))

    @property
    def matrix(self) -> np.ndarray:
        """``2 x 3`` affine map from analysis pixels to crop pixels."""
        k = self.out / self.side
        return np.array([[k, 0.0, -k * self.x0], [0.0, k, -k * self.y0]])

    def image(self, rgb: np.ndarray) -> np.ndarray:
        """The crop of an analysis-size image (zeros outside the frame)."""
        import cv2

        return cv2.warpAffine(rgb, self.matrix, (self.out, self.out), flags=cv2.INTER_LINEAR)

    def to_frame_image(self, img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """A crop-size image put back into an analysis-size ``(w, h)`` frame."""
        import cv2

        return cv2.warpAffine(img, self.matrix, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)

    def to_frame(self, xy: np.ndarray) -> np.ndarray:
        """Normalised crop coordinates -> analysis pixels."""
        return np.asarray([self.x0, self.y0]) + xy * self.side


@dataclass(eq=False)
class _Slot:
    """A single-person video-mode landmarker following one track on a moving crop."""

    est: PoseEstimator
    track: int | None = None
    missed: int = 0
    crop: Crop | None = None
    mask: np.ndarray | None = None
    """The person's segmentation in the last frame (analysis size, bool), if any."""


@dataclass(frozen=True)
class Found:
    """What a :class:`~skeleton_io.tracking.Detection` made here carries: the landmarks
    (normalised to the whole frame) and the slot that found them (None: a probe)."""

    landmarks: PersonLandmarks
    slot: _Slot | None = None

    @property
    def world(self) -> np.ndarray:
        return self.landmarks.world


class PeopleTracker:
    """Finds and follows everyone in a video, frame by frame (see the module docstring).

    Call it with one video's frames in order; it returns ``(track id, Detection)`` for
    each person found in the frame.

    Args:
        fps: the video's frame rate (time-based settings are converted with it).
        cap: most people followed at once.
        probe_every: frames between two probes while everyone seen is followed.
        make: ``make(video, num_poses)`` builds the underlying estimators (default
            BlazePose; tests pass scripted ones).
        rounds: probe rounds per probed frame (each blanks the people found before).
    """

    def __init__(
        self,
        fps: float,
        cap: int = MAX_PEOPLE,
        probe_every: int = 30,
        make: Callable[[bool, int], PoseEstimator] | None = None,
        rounds: int = DISCOVERY_ROUNDS,
    ) -> None:
        if cap < 1:
            raise InvalidArgumentError(f"cap must be >= 1, got {cap}")
        self.tracker = Tracker(fps)
        self.cap = cap
        self.probe_every = max(1, int(probe_every))
        self.lost_after = max(1, round(LOST_SECONDS * fps))
        self._make = make or _blazepose
        self._probe: PoseEstimator | None = None
        self.slots: list[_Slot] = []
        self.most_seen = 0
        self.probes = 0
        self.rounds = max(1, rounds)
        self._since_probe = 0

    def __call__(self, t: int, frame: VideoFrame) -> list[tuple[int, Detection]]:
        dets = self._follow(t, frame)
        self._since_probe += 1
        if self._probe_due(t):
            self._since_probe = 0
            dets += self._discover(frame, dets)
        tracked = self.tracker(t, dets)
        self._rebind(tracked)
        self.most_seen = max(self.most_seen, len(tracked))
        return tracked

    def _probe_due(self, t: int) -> bool:
        bound = sum(s.track is not None for s in self.slots)
        if t == 0 or bound == 0:
            return True
        every = self.probe_every if bound >= self.most_seen else max(1, self.probe_every // 4)
        return self._since_probe >= every and bound < self.cap

    def _follow(self, t: int, frame: VideoFrame) -> list[Detection]:
        """Each slot's landmarker on a crop around its track's predicted place, with the
        other people followed blanked out (their masks of the previous frame)."""
        size = np.asarray(frame.original_size, dtype=np.float64)
        to_a = np.array(frame.rgb.shape[1::-1], dtype=np.float64) / size
        crops = {}
        for slot in self.slots:
            pred = None if slot.track is None else self.tracker.predicted(slot.track, t)
            if pred is None:
                slot.mask = None
                continue
            slot.crop = _keep_or_move(slot.crop, pred.box * np.tile(to_a, 2))
            crops[id(slot)] = slot.crop
        out = []
        masks = {id(s): s.mask for s in self.slots if s.mask is not None}
        for slot in self.slots:
            crop = crops.get(id(slot))
            if crop is None:
                continue
            image = crop.image(_blank_others(frame.rgb, slot, masks))
            people = slot.est(image, frame.time)
            if not people:
                slot.mask = None
                continue
            lm = people[0]
            xy = crop.to_frame(lm.xy) / to_a / size  # normalised to the whole frame
            if lm.mask is not None:
                back = crop.to_frame_image(lm.mask, frame.rgb.shape[1::-1])
                slot.mask = back > 0.5
            lm = PersonLandmarks(xy, lm.visibility, lm.presence, lm.world)
            out.extend(detections([lm], frame, slot))
        return out

    def _discover(self, frame: VideoFrame, known: list[Detection]) -> list[Detection]:
        """People a whole-frame probe finds once the people already found are blanked out
        (mediapipe's detector misses a person standing near another); two rounds."""
        if self._probe is None:
            self._probe = self._make(False, self.cap)
        self.probes += 1
        size = np.asarray(frame.original_size, dtype=np.float64)
        to_a = np.tile(np.array(frame.rgb.shape[1::-1], dtype=np.float64) / size, 2)
        rgb = frame.rgb.copy()
        fill = rgb.reshape(-1, 3).mean(axis=0).astype(np.uint8)
        boxes = [d.box for d in known]
        new: list[Detection] = []
        for _round in range(self.rounds):
            for b in boxes:
                x0, y0, x1, y1 = _grow(b * to_a, 0.1, rgb.shape)
                rgb[y0:y1, x0:x1] = fill
            found = [
                d
                for d in detections(self._probe(rgb, frame.time), frame)
                if all(box_iou(d.box, k.box) < 0.3 for k in [*known, *new])
            ]
            if not found:
                break
            new += found
            boxes = [d.box for d in found]
        return new

    def _rebind(self, tracked: list[tuple[int, Detection]]) -> None:
        """Slots follow the tracks their detections were given; a slot whose track another
        slot took, or that lost its person for ``LOST_SECONDS``, is freed; a person found
        by a probe gets a free slot."""
        got = {tid: det.payload.slot for tid, det in tracked}
        for tid, det in tracked:
            if det.payload.slot is not None:
                det.payload.slot.track, det.payload.slot.missed = tid, 0
        for slot in self.slots:
            if slot.track is None or any(slot is s for s in got.values()):
                continue
            if slot.track in got and got[slot.track] is not None:
                self._release(slot)  # another slot follows this person now
            elif slot.track in got:
                slot.missed = 0  # a probe found the person again: look again next frame
                self._reset(slot)
            else:
                slot.missed += 1
                if slot.missed > self.lost_after:
                    self._release(slot)
        followed = {s.track for s in self.slots if s.track is not None}
        for tid, slot in got.items():
            if slot is None and tid not in followed and len(followed) < self.cap:
                free = self._acquire()
                free.track, free.missed, free.crop = tid, 0, None
                followed.add(tid)

    def _acquire(self) -> _Slot:
        for slot in self.slots:
            if slot.track is None:
                return slot
        slot = _Slot(self._make(True, 1))
        self.slots.append(slot)
        return slot

    def _reset(self, slot: _Slot) -> None:
        """Make a slot's landmarker forget its person (it detects afresh next call)."""
        slot.est(np.zeros((64, 64, 3), np.uint8), 0.0)

    def _release(self, slot: _Slot) -> None:
        self._reset(slot)
        slot.track, slot.missed, slot.crop, slot.mask = None, 0, None, None

    def close(self) -> None:
        for est in [self._probe, *(s.est for s in self.slots)]:
            if est is not None:
                est.close()
        self._probe, self.slots = None, []


def _keep_or_move(crop: Crop | None, box: np.ndarray) -> Crop:
    """The crop to show a landmarker for a person expected in ``box`` (analysis pixels):
    the same as before while the box stays inside its middle ``CROP_KEEP`` and its size
    fits, so the landmarker sees a still camera as it would on a whole clip; else a new
    one centred on the box."""
    side = float(max(box[2] - box[0], box[3] - box[1])) * CROP_SCALE
    if crop is not None and 0.8 * crop.side <= side <= 1.25 * crop.side:
        margin = crop.side * (1 - CROP_KEEP) / 2
        inner = np.array([crop.x0 + margin, crop.y0 + margin,
                          crop.x0 + crop.side - margin, crop.y0 + crop.side - margin])  # fmt: skip
        if box[0] >= inner[0] and box[1] >= inner[1] and box[2] <= inner[2] and box[3] <= inner[3]:
            return crop
    return Crop.around(box, side)


def _blank_others(rgb: np.ndarray, slot: _Slot, masks: dict[int, np.ndarray]) -> np.ndarray:
    """``rgb`` with the pixels of the other followed people (not ``slot``'s own) in grey."""
    others = [m for k, m in masks.items() if k != id(slot)]
    if not others:
        return rgb
    cover = np.logical_or.reduce(others)
    if slot.mask is not None:
        cover &= ~slot.mask
    if not cover.any():
        return rgb
    out = rgb.copy()
    out[cover] = BLANK
    return out


def _grow(box: np.ndarray, share: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """A box grown by ``share`` of its size on each side, as integer pixel bounds."""
    w, h = box[2] - box[0], box[3] - box[1]
    x0 = int(np.clip(box[0] - share * w, 0, shape[1]))
    y0 = int(np.clip(box[1] - share * h, 0, shape[0]))
    x1 = int(np.clip(np.ceil(box[2] + share * w), 0, shape[1]))
    y1 = int(np.clip(np.ceil(box[3] + share * h), 0, shape[0]))
    return x0, y0, x1, y1


def detections(
    people: Iterable[PersonLandmarks], frame: VideoFrame, slot: _Slot | None = None
) -> list[Detection]:
    """The tracker's view of one frame's people: joints in original pixels, confidence =
    visibility clipped to ``[MIN_CONFIDENCE, 1]``, clothing colours from the frame."""
    size = np.asarray(frame.original_size, dtype=np.float64)
    h, w = frame.rgb.shape[:2]
    scale = (w / size[0], h / size[1])
    out = []
    for p in people:
        xy = p.xy * size
        conf = np.clip(p.visibility, MIN_CONFIDENCE, 1.0)
        look = appearance(frame.rgb, xy, conf, BLAZEPOSE33, scale)
        out.append(Detection(xy, conf, look, payload=Found(p, slot)))
    return out


def _track(
    frames: Iterable[VideoFrame], people: PeopleTracker, total: int
) -> tuple[TrackBuilder, list[VideoFrame], list[int]]:
    """Run the people tracker over the frames (the frames are kept without pixels)."""
    builder = TrackBuilder(total, BLAZEPOSE33, world=True)
    seen: list[VideoFrame] = []
    counts: list[int] = []
    for t, frame in enumerate(frames):
        tracked = people(t, frame)
        counts.append(len(tracked))
        builder.add(t, tracked)
        seen.append(VideoFrame(frame.index, frame.time, frame.rgb[:0], frame.scale,
                               frame.original_size))  # fmt: skip
    builder.resize(len(seen))
    return builder, seen, counts


def warn_leavers(group: PoseGroup, path: Path) -> None:
    """One warning per person not seen during the last ``LEFT_SECONDS`` of the clip."""
    tail = max(1, round(LEFT_SECONDS * group.fps))
    T = group.num_frames
    for tid, seq in group.items():
        last = int(np.flatnonzero(seq.present)[-1]) if seq.present.any() else -1
        if 0 <= last < T - tail:
            log.warning(
                "%s: person %d leaves after frame %d and is not seen in the last %d of %d "
                "frames; those frames are missing",
                path,
                tid,
                last,
                T - 1 - last,
                T,
            )


def load_group(
    path: str | Path,
    people: int | None = None,
    start_frame: int = 0,
    max_frames: int | None = None,
    max_side: int | None = 512,
    fps: float | None = None,
    make: Callable[[bool, int], PoseEstimator] | None = None,
    **_: Any,
) -> PoseGroup:
    """Every person of a video (or the ``people`` largest on average), tracked.

    Args:
        path: a video file (anything FFmpeg decodes).
        people: most people to keep (None: everyone, up to ``MAX_PEOPLE`` at once).
        start_frame, max_frames, max_side, fps: as for
            :func:`skeleton_io.formats.video.load`.
        make: ``make(video, num_poses)`` builds the estimators (default BlazePose); see
            :class:`PeopleTracker`.

    Raises:
        InvalidArgumentError: ``people`` < 1, or no frames from ``start_frame`` on.
        NoPersonFoundError: nobody in any frame.
        VideoReadError: the file cannot be decoded.
    """
    check_people(people)
    path = Path(path)
    info, video_fps, total, frames = video_fmt.decode(path, start_frame, max_frames, max_side)
    every = max(1, round(PROBE_SECONDS * video_fps))
    tracker = PeopleTracker(video_fps, follow_cap(people), probe_every=every, make=make)
    try:
        builder, seen, counts = _track(
            video_fmt._progress(frames, total, path.name), tracker, max(total, 1)
        )
    finally:
        tracker.close()
    n = len(seen)
    if n == 0:
        raise InvalidArgumentError(
            f"{path}: no frames from frame {start_frame} on (the video has {info.num_frames}); "
            "choose a smaller --start-frame"
        )
    meta = {
        "frame_index": [f.index for f in seen],
        "estimator": ESTIMATOR_NAME,
        "max_side": max_side,
        "start_time": seen[0].time,
        "rotation": info.rotation,
        "video_fps": info.fps,
    }
    if info.fps <= 0 and fps is None:
        meta["fps_assumed"] = True
    builder.repair(video_fps)
    group = builder.group(
        fps if fps is not None else video_fps, (info.width, info.height), people, meta
    )
    if group is None:
        raise NoPersonFoundError(
            f"{path}: no person found in {n} frames (frames {seen[0].index}-{seen[-1].index}); "
            "make sure a whole person is in view, or choose other frames with "
            "--start-frame/--max-frames"
        )
    return _finish(group, path, counts, people, builder)


def _finish(
    group: PoseGroup,
    path: Path,
    counts: list[int],
    people: int | None,
    builder: TrackBuilder,
) -> PoseGroup:
    found = len(builder.tracks)
    group.meta.update(
        {
            "people_requested": "all" if people is None else int(people),
            "tracks_found": found,
            "people_max": max(counts, default=0),
            "frames_with_several_people": int(sum(c > 1 for c in counts)),
        }
    )
    for tid, seq in group.items():
        seq.meta["track_id"] = tid
        seq.meta["missing_frames"] = int((~seq.present).sum())
    if people is not None and found > group.num_people:
        log.info(
            "%s: %d tracks found; kept the %d largest on average", path, found, group.num_people
        )
    warn_leavers(group, path)
    return group


def load_image_group(
    path: str | Path,
    people: int | None = None,
    max_side: int | None = 512,
    fps: float | None = None,
    make: Callable[[bool, int], PoseEstimator] | None = None,
    **_: Any,
) -> PoseGroup:
    """Every person in one image (or the ``people`` largest), as a one-frame group; ids
    left to right. The probe runs in rounds, each blanking the people found before,
    until it finds nobody new."""
    check_people(people)
    path = Path(path)
    frame = read_image_frame(path, max_side=max_side)
    cap = follow_cap(people)
    tracker = PeopleTracker(DEFAULT_FPS, cap, make=make, rounds=cap)
    try:
        builder, _seen, counts = _track([frame], tracker, 1)
    finally:
        tracker.close()
    meta: dict[str, Any] = {"frame_index": [0], "estimator": ESTIMATOR_NAME, "max_side": max_side}
    if fps is None:
        meta["fps_assumed"] = True
    group = builder.group(
        fps if fps is not None else DEFAULT_FPS, frame.original_size, people, meta
    )
    if group is None:
        raise NoPersonFoundError(
            f"{path}: no person found in the image; make sure a whole person is in view"
        )
    return _finish(group, path, counts, people, builder)
