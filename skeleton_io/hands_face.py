"""Hands and face beside the body, from videos and images, offline (mediapipe 0.10.14).

The wheel bundles the hand landmark model (``hand_landmark_full``), its re-crop model
(``holistic_landmark/hand_recrop``), the short-range face detector and the attention face
mesh (478 points with the irises); mediapipe's Holistic graph finds hands and face from a
body's landmarks with them. :class:`HandsFaceEstimator` runs those two halves of Holistic
(``HandLandmarksLeftAndRightCpu``, ``FaceLandmarksFromPoseCpu``) on *our* body landmarks
(the main person :mod:`skeleton_io.formats.video` followed), so hands and face belong to
that person: each hand is looked for in a region around its wrist, index and pinky
landmarks, the face around the head's landmarks. Nothing is downloaded.

**Confidence.** Hand and face models give one presence score per hand and per face, no
per-point scores; the graph is opened up so every point of a hand (face) gets its hand's
(face's) own presence score. A hand whose score is below ``hand_threshold`` (0.3), a face
below ``face_threshold`` (0.5), is missing (confidence 0), with one exception in a video
(hysteresis): a hand scored from :data:`HAND_KEEP_THRESHOLD` (0.1) up is kept, with its own
score, when the same hand was found above ``hand_threshold`` within :data:`HAND_GAP_SECONDS`
and looks alike its nearest kept or clear neighbour (an edge-on or blurred hand seen clearly a
moment before or after; weak hands kept support the next, as a hand fades out). In a
video, a hand missed for at most :data:`HAND_GAP_SECONDS` between two frames where it was
found (its wrist seen all along) is filled in from those two when they are alike
(:func:`fill_hand_gaps`); kept and filled frames are listed in ``meta``; a hand missed for
longer, or never found, stays missing. The body keeps BlazePose's confidences.

**Face points.** The 478-point mesh is reduced to the 68 iBUG points and two pupils by the
index table :data:`MESH_TO_FACE70` (mesh point indices of mediapipe's canonical face
model, chosen along the same contours: jaw 0-16 along the face oval from the person's
right ear over the chin, brows on the brows' upper edge, nose bridge and base, the eye
corners and lids, the outer and inner lip contours, the iris centres as pupils).

**Wrists.** The hand model's root (point 0) is the wrist seen at hand resolution; the
body's wrist comes from the whole-body crop at ``max_side`` pixels, lags a little in video
(BlazePose smooths its landmarks over time) and sits 1-3 % of the body's height from it.
With ``wrists="hand"`` (the default) the body's wrist is moved to the root of a hand that
was found, so the output's hands hang on its arms (what OpenPose-style pose images need);
``wrists="body"`` keeps both as estimated. ``meta["hands_face"]`` counts what was found.

Coordinates: pixels of the original frame (x right, y down, origin top-left), as the body.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import wholebody as wb
from .errors import InvalidArgumentError, missing_dependency
from .formats.video import _quiet_native_stderr
from .hand_gaps import (  # noqa: F401  (HAND_CHANGE, fill_hand_gaps: re-exported)
    HAND_CHANGE,
    HAND_GAP_SECONDS,
    fill_hand_gaps,
    fill_side_gaps,
    keep_supported,
    wrists_to_hands,
)
from .pose import PoseSequence
from .skeleton import BLAZEPOSE33, BLAZEPOSE_WHOLEBODY
from .video_io import Closing, VideoFrame, iter_frames, prefetch, read_image_frame

log = logging.getLogger(__name__)

ESTIMATOR_NAME = "mediapipe 0.10.14 holistic hand and face graphs on the body's landmarks"
HAND_THRESHOLD = 0.3
"""Presence score below which a hand is missing (DWPose keeps points from 0.3; mediapipe's
own default, 0.5, misses small and blurred hands in dance video)."""
HAND_KEEP_THRESHOLD = 0.1
"""In a video, a hand scored at least this but below the hand threshold is kept when a hand of
that side scored the hand threshold or more within :data:`HAND_GAP_SECONDS` and it is alike
(:data:`HAND_CHANGE`) its nearest kept or clearly seen neighbour: hysteresis, a weak look at
a hand that was clearly seen a moment ago (an edge-on or blurred hand); alone, or on a
photo, it is missing. Hands scored below it (the palm detector's second look reports any
score) are missing."""
FACE_THRESHOLD = 0.5
"""Presence score below which a face is missing (mediapipe's default; lower ones put faces
on the backs of heads)."""
DEFAULT_MAX_SIDE = 1280
"""Frames are decoded at most this large for the hand and face models (hands are small)."""

# fmt: off
MESH_TO_FACE68: tuple[int, ...] = (
    127, 234, 93, 132, 58, 172, 136, 149, 152, 378, 365, 397, 288, 361, 323, 454, 356,  # jaw
    70, 63, 105, 66, 107,  # right brow, outer to inner
    336, 296, 334, 293, 300,  # left brow, inner to outer
    168, 197, 5, 4,  # nose bridge, top to tip
    98, 97, 2, 326, 327,  # nose base, right to left
    33, 160, 158, 133, 153, 144,  # right eye: outer corner, upper lid, inner corner, lower lid
    362, 385, 387, 263, 373, 380,  # left eye: inner corner, upper lid, outer corner, lower lid
    61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91,  # outer lips from the right corner
    78, 81, 13, 311, 308, 402, 14, 178,  # inner lips from the right corner
)
# fmt: on
"""Face-mesh index of each of the 68 iBUG points (:data:`skeleton_io.wholebody.FACE68`)."""
IRIS_CENTRES = (468, 473)
"""Mesh indices of the right and left iris centres: OpenPose's pupils 68 and 69."""
MESH_TO_FACE70: tuple[int, ...] = MESH_TO_FACE68 + IRIS_CENTRES

_HANDS = "handlandmarksleftandrightcpu__handlandmarksfromposecpu_{k}__handlandmarkcpu__"
_FACE = "facelandmarksfromposecpu__facelandmarkcpu__"
_GRAPH = """
input_stream: "image"
input_stream: "pose_landmarks"
output_stream: "left_hand_landmarks"
output_stream: "right_hand_landmarks"
output_stream: "face_landmarks"
node {
  calculator: "HandLandmarksLeftAndRightCpu"
  input_stream: "IMAGE:image"
  input_stream: "POSE_LANDMARKS:pose_landmarks"
  output_stream: "LEFT_HAND_LANDMARKS:left_hand_landmarks"
  output_stream: "RIGHT_HAND_LANDMARKS:right_hand_landmarks"
}
node {
  calculator: "SplitNormalizedLandmarkListCalculator"
  input_stream: "pose_landmarks"
  output_stream: "face_landmarks_from_pose"
  options { [mediapipe.SplitVectorCalculatorOptions.ext] { ranges { begin: 0 end: 11 } } }
}
node {
  calculator: "FaceLandmarksFromPoseCpu"
  input_stream: "IMAGE:image"
  input_stream: "FACE_LANDMARKS_FROM_POSE:face_landmarks_from_pose"
  output_stream: "FACE_LANDMARKS:face_landmarks"
  input_side_packet: "REFINE_LANDMARKS:refine_face_landmarks"
}
"""


@dataclass(frozen=True)
class HandsFace:
    """One person's hands and face in one image.

    Attributes:
        left, right: ``(21, 2)`` hand points (the person's left and right hand) in
            normalised image coordinates (x / width, y / height), or None if not found.
        face: ``(70, 2)`` face points (:data:`MESH_TO_FACE70`), normalised, or None.
        left_score, right_score, face_score: presence scores (0 where not found).
    """

    left: np.ndarray | None
    right: np.ndarray | None
    face: np.ndarray | None
    left_score: float = 0.0
    right_score: float = 0.0
    face_score: float = 0.0


def _open_graph(hand_threshold: float, face_threshold: float) -> tuple[Any, dict[str, str]]:
    """The hand and face graph, flattened, with the presence scores as extra outputs and
    the presence thresholds set."""
    try:
        from google.protobuf import text_format
        from mediapipe.framework import calculator_pb2
        from mediapipe.framework.formats import landmark_pb2  # noqa: F401
        from mediapipe.python._framework_bindings import validated_graph_config
        from mediapipe.python.solution_base import PacketDataType, SolutionBase
        from mediapipe.python.solutions import holistic  # noqa: F401  (registers options)
    except ImportError:
        raise missing_dependency("mediapipe", "video", "hand and face estimation") from None
    graph = text_format.Parse(_GRAPH, calculator_pb2.CalculatorGraphConfig())
    validated = validated_graph_config.ValidatedGraphConfig()
    validated.initialize(graph_config=graph)
    flat = calculator_pb2.CalculatorGraphConfig()
    flat.ParseFromString(validated.binary_config)
    scores: dict[str, str] = {}
    for node in flat.node:
        for key, prefix in (
            ("left", _HANDS.format(k=1)),
            ("right", _HANDS.format(k=2)),
            ("face", _FACE),
        ):
            if node.name == prefix + "ThresholdingCalculator":
                scores[key] = node.input_stream[0].split(":", 1)[1]
                opts = node.options.Extensions[_thresholding_ext()]
                opts.threshold = face_threshold if key == "face" else hand_threshold
    if set(scores) != {"left", "right", "face"}:
        raise RuntimeError(f"mediapipe's holistic graph changed: found scores for {sorted(scores)}")
    flat.output_stream.extend(scores.values())
    hints = {s: PacketDataType.FLOAT for s in scores.values()}
    hints["pose_landmarks"] = PacketDataType.PROTO
    names = ["left_hand_landmarks", "right_hand_landmarks", "face_landmarks", *scores.values()]
    solution = SolutionBase(
        graph_config=flat,
        side_inputs={"refine_face_landmarks": True},
        outputs=names,
        stream_type_hints=hints,
    )
    return solution, scores


def _thresholding_ext() -> Any:
    from mediapipe.calculators.util import thresholding_calculator_pb2

    return thresholding_calculator_pb2.ThresholdingCalculatorOptions.ext


_WRISTS = {"left": (15, 13), "right": (16, 14)}  # BlazePose's (wrist, elbow) indices


class PalmSearch:
    """A second look for a hand the body-driven graph missed: mediapipe's palm detector and
    hand landmarks (legacy ``Hands``, image mode) in a square around the wrist, reaching
    0.3 forearm lengths past it, 2.5 forearm lengths wide, scaled to 256 pixels.

    The hand nearest the body's wrist is kept if its root lies within half a forearm of
    it. Its score is the probability mediapipe's handedness classifier gives it being the
    hand of that side (mediapipe labels hands as seen in a mirror; this is undone), so a
    hand of the other side found there (hands together) scores low.
    """

    def __init__(self) -> None:
        try:
            import cv2
            from mediapipe.python.solutions import hands
        except ImportError:
            raise missing_dependency("mediapipe", "video", "hand estimation") from None
        self._cv2 = cv2
        with _quiet_native_stderr():
            self._hands = hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=1)
            with warnings.catch_warnings():  # wait for the models to open (see above)
                warnings.filterwarnings("ignore", "SymbolDatabase.GetPrototype", UserWarning)
                self._hands.process(np.zeros((64, 64, 3), np.uint8))

    def __call__(
        self, rgb: np.ndarray, side: str, wrist: np.ndarray, elbow: np.ndarray
    ) -> tuple[np.ndarray | None, float]:
        """``(21, 2)`` pixel points of the ``side`` (``"left"``/``"right"``) hand at
        ``wrist`` (pixels; ``elbow`` gives the forearm), and its score; (None, 0) if none."""
        forearm = float(np.linalg.norm(wrist - elbow))
        h, w = rgb.shape[:2]
        if forearm < 4:
            return None, 0.0
        centre = wrist + 0.3 * (wrist - elbow)
        half = 1.25 * forearm
        x0, y0 = np.floor(np.maximum(centre - half, 0)).astype(int)
        x1, y1 = np.ceil(np.minimum(centre + half, (w, h))).astype(int)
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None, 0.0
        crop = rgb[y0:y1, x0:x1]
        k = 256.0 / max(crop.shape[:2])
        crop = self._cv2.resize(crop, None, fx=k, fy=k, interpolation=self._cv2.INTER_LINEAR)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "SymbolDatabase.GetPrototype", UserWarning)
            out = self._hands.process(np.ascontiguousarray(crop))
        best: tuple[float, np.ndarray, float] | None = None
        mirrored = "Right" if side == "left" else "Left"
        for marks, hand in zip(out.multi_hand_landmarks or [], out.multi_handedness or []):
            ch, cw = crop.shape[:2]
            pts = np.array([(m.x * cw / k + x0, m.y * ch / k + y0) for m in marks.landmark])
            gap = float(np.linalg.norm(pts[0] - wrist))
            label = hand.classification[0]
            score = label.score if label.label == mirrored else 1.0 - label.score
            if gap <= 0.5 * forearm and (best is None or gap < best[0]):
                best = (gap, pts, float(score))
        return (None, 0.0) if best is None else (best[1], best[2])

    def close(self) -> None:
        self._hands.close()


class HandsFaceEstimator(Closing):
    """Hands and face of one person from the body's landmarks (see the module docstring).

    It KEEPS STATE across calls (hand and face regions are tracked from frame to frame):
    call it with one video's frames in order; a new instance per video.

    Args:
        hand_threshold, face_threshold: presence scores below which a hand or a face is
            not reported.
        palm_search: look again with the palm detector for a hand the body-driven graph
            missed (:class:`PalmSearch`) where the body's wrist is visible.
        keep_threshold: hands scored from this up to ``hand_threshold`` are reported too,
            with their score, for :func:`add_hands_face` to keep where a clearly seen hand
            supports them (:data:`HAND_KEEP_THRESHOLD`); the palm detector still looks
            again for them.
    """

    def __init__(
        self,
        hand_threshold: float = HAND_THRESHOLD,
        face_threshold: float = FACE_THRESHOLD,
        palm_search: bool = True,
        keep_threshold: float = HAND_KEEP_THRESHOLD,
    ) -> None:
        for name, value in (
            ("hand_threshold", hand_threshold),
            ("face_threshold", face_threshold),
            ("keep_threshold", keep_threshold),
        ):
            if not 0.0 <= value <= 1.0:
                raise InvalidArgumentError(f"`{name}` must be within [0, 1], got {value}")
        self.hand_threshold, self.face_threshold = hand_threshold, face_threshold
        self.keep_threshold = min(keep_threshold, hand_threshold)
        with _quiet_native_stderr():
            self._solution, self._scores = _open_graph(self.keep_threshold, face_threshold)
            # the graph opens its models on worker threads, which chatter on fd 2: one
            # call on an empty picture (nobody in it) waits for them in silence
            self._process(np.zeros((64, 64, 3), np.uint8), np.zeros((33, 2)), np.zeros(33))
        self._palms = PalmSearch() if palm_search else None

    def __call__(self, rgb: np.ndarray, body_xy: np.ndarray, visibility: np.ndarray) -> HandsFace:
        """Hands and face in one ``(H, W, 3)`` uint8 RGB image.

        Args:
            rgb: the image.
            body_xy: ``(33, 2)`` BlazePose landmarks of the person, normalised to the image
                (x / width, y / height).
            visibility: ``(33,)`` their visibility (the body's confidence).
        """
        out = self._process(rgb, body_xy, visibility)

        def points(lms: Any, index: Iterable[int] | None = None) -> np.ndarray | None:
            if lms is None:
                return None
            a = np.array([(m.x, m.y) for m in lms.landmark], dtype=np.float64)
            return a if index is None else a[list(index)]

        def score(key: str, found: np.ndarray | None) -> float:
            value = getattr(out, self._scores[key], None)
            return (
                float(np.clip(value, 0.0, 1.0)) if found is not None and value is not None else 0.0
            )

        hands = {}
        for key, lms in (("left", out.left_hand_landmarks), ("right", out.right_hand_landmarks)):
            pts = points(lms)
            hands[key] = (pts, score(key, pts))
            if self._palms is not None and hands[key][1] < self.hand_threshold:
                found = self._search(rgb, key, body_xy, visibility)
                if found is not None and found[1] >= hands[key][1]:
                    hands[key] = found
        face = out.face_landmarks
        face_pts = None
        if face is not None and len(face.landmark) >= max(MESH_TO_FACE70) + 1:
            face_pts = points(face, MESH_TO_FACE70)
        (left, ls), (right, rs) = hands["left"], hands["right"]
        return HandsFace(left, right, face_pts, ls, rs, score("face", face_pts))

    def _process(self, rgb: np.ndarray, body_xy: np.ndarray, visibility: np.ndarray) -> Any:
        from mediapipe.framework.formats import landmark_pb2

        marks = landmark_pb2.NormalizedLandmarkList()
        for (x, y), v in zip(np.asarray(body_xy, float), np.asarray(visibility, float)):
            m = marks.landmark.add()
            m.x, m.y, m.z, m.visibility, m.presence = float(x), float(y), 0.0, float(v), 1.0
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "SymbolDatabase.GetPrototype", UserWarning)
            return self._solution.process(
                {"image": np.ascontiguousarray(rgb, np.uint8), "pose_landmarks": marks}
            )

    def _search(
        self, rgb: np.ndarray, key: str, body_xy: np.ndarray, visibility: np.ndarray
    ) -> tuple[np.ndarray, float] | None:
        wrist, elbow = _WRISTS[key]
        if visibility[wrist] < 0.5 or self._palms is None:
            return None
        size = np.array([rgb.shape[1], rgb.shape[0]], dtype=np.float64)
        pts, score = self._palms(rgb, key, body_xy[wrist] * size, body_xy[elbow] * size)
        return None if pts is None else (pts / size, score)

    def close(self) -> None:
        self._solution.close()
        if self._palms is not None:
            self._palms.close()


# ------------------------------------------------------------------ sequences
def _frames(path: Path, seq: PoseSequence, max_side: int | None) -> Iterator[VideoFrame]:
    """The frames of ``seq`` again (its ``meta["frame_index"]``), at ``max_side``."""
    if seq.meta.get("source_format") == "image":
        yield read_image_frame(path, max_side=max_side)
        return
    index = list(seq.meta.get("frame_index") or range(seq.num_frames))
    frames = iter_frames(
        path, start_frame=index[0], max_frames=index[-1] - index[0] + 1, max_side=max_side
    )
    wanted = set(index)
    for frame in prefetch(frames, name="decode-parts"):
        if frame.index in wanted:
            yield frame


def _progress(frames: Iterator[VideoFrame], total: int, name: str) -> Iterator[VideoFrame]:
    from tqdm import tqdm

    desc = f"{name} hands+face"
    return iter(
        tqdm(
            frames, total=total, desc=desc, unit="frame", file=sys.stderr, disable=None, leave=False
        )
    )


def add_hands_face(
    seq: PoseSequence,
    path: str | Path,
    *,
    hand_threshold: float = HAND_THRESHOLD,
    face_threshold: float = FACE_THRESHOLD,
    wrists: str = "hand",
    max_side: int | None = DEFAULT_MAX_SIDE,
    estimator: HandsFaceEstimator | None = None,
    fill_gaps: float = HAND_GAP_SECONDS,
) -> PoseSequence:
    """The hands and face of the person of ``seq`` (BlazePose from the video or image at
    ``path``, as :func:`skeleton_io.load_file` gives it), as a ``blazepose_wholebody``
    sequence.

    Args:
        seq: a ``blazepose33`` sequence in pixels with ``meta["frame_index"]`` (a video's)
            or one frame (an image's).
        path: the video or image the sequence came from.
        hand_threshold, face_threshold: presence scores below which a hand or a face is
            missing.
        wrists: ``"hand"``: the body's wrist moves to a found hand's root; ``"body"``:
            both kept as estimated (see the module docstring).
        max_side: decode frames at most this large for the hand and face models.
        estimator: another :class:`HandsFaceEstimator` (closed afterwards).
        fill_gaps: in a video, hands missed for at most this many seconds between two
            found ones are filled in (:func:`fill_hand_gaps`), and weakly scored hands this
            close to a clearly found alike one are kept (:data:`HAND_KEEP_THRESHOLD`); 0:
            neither.

    Returns:
        The sequence on ``blazepose_wholebody``: body as given, hands and face with their
        presence scores as confidences, 0 where not found.
    """
    if seq.skeleton != BLAZEPOSE33 or seq.dims != 2 or seq.canvas is None:
        raise InvalidArgumentError(
            f"{path}: hands and face are found beside BlazePose's 33 body points in a video "
            f"or image; got a {seq.dims}D {seq.skeleton.name} sequence"
        )
    if wrists not in ("hand", "body"):
        raise InvalidArgumentError(f"wrists must be 'hand' or 'body', got {wrists!r}")
    path = Path(path)
    sk = BLAZEPOSE_WHOLEBODY
    coords = np.zeros((seq.num_frames, sk.num_joints, 2))
    conf = np.zeros((seq.num_frames, sk.num_joints))
    coords[:, :33], conf[:, :33] = seq.coords, seq.confidence
    size = np.asarray(seq.canvas, dtype=np.float64)
    parts = {
        "left": [sk.idx(n) for n in wb.LEFT_HAND],
        "right": [sk.idx(n) for n in wb.RIGHT_HAND],
        "face": [sk.idx(n) for n in wb.FACE70],
    }
    found = dict.fromkeys(parts, 0)
    estimator = estimator or HandsFaceEstimator(hand_threshold, face_threshold)
    threshold = {"left": hand_threshold, "right": hand_threshold, "face": face_threshold}
    weak = {key: {} for key in ("left", "right")}  # frame -> (points, score) below threshold
    keep_from = min(getattr(estimator, "keep_threshold", HAND_KEEP_THRESHOLD), hand_threshold)
    try:
        frames = _progress(_frames(path, seq, max_side), seq.num_frames, path.name)
        for t, frame in enumerate(frames):
            if t >= seq.num_frames or not seq.present[t]:
                continue
            got = estimator(frame.rgb, seq.coords[t] / size, seq.confidence[t])
            for key, idx in parts.items():
                pts, score = getattr(got, key), getattr(got, f"{key}_score")
                if pts is None or score <= 0:
                    continue
                if score < threshold[key]:
                    if key in weak and score >= keep_from:
                        weak[key][t] = (pts * size, score)
                    continue
                coords[t, idx], conf[t, idx] = pts * size, score
                found[key] += 1
    finally:
        estimator.close()
    kept: dict[str, list[int]] = {"left": [], "right": []}
    filled: dict[str, list[int]] = {"left": [], "right": []}
    if fill_gaps > 0 and seq.num_frames > 1:
        span = int(round(fill_gaps * seq.fps))
        for key, side in (("left", "L"), ("right", "R")):
            kept[key] = keep_supported(coords, conf, weak[key], side, span, BLAZEPOSE_WHOLEBODY)
            filled[key] = fill_side_gaps(coords, conf, side, span, BLAZEPOSE_WHOLEBODY)
    moved = wrists_to_hands(coords, conf) if wrists == "hand" else 0
    out = seq.with_coords(coords, conf, skeleton=sk, world=None)
    out.meta["hands_face"] = {
        "estimator": ESTIMATOR_NAME,
        "hand_threshold": hand_threshold,
        "face_threshold": face_threshold,
        "frames_with_left_hand": found["left"],
        "frames_with_right_hand": found["right"],
        "frames_with_face": found["face"],
        "wrists": wrists,
        "wrists_moved_to_hands": moved,
        "hand_gap_seconds": fill_gaps,
        "hand_keep_threshold": keep_from,
        "left_hand_weak_kept_frames": kept["left"],
        "right_hand_weak_kept_frames": kept["right"],
        "frames_with_left_hand_filled": len(filled["left"]),
        "frames_with_right_hand_filled": len(filled["right"]),
        "left_hand_filled_frames": filled["left"],
        "right_hand_filled_frames": filled["right"],
    }
    return out
