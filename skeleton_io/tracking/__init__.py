"""Track identities: link each frame's people into tracks that keep one id per person.

The input is, per frame, everyone a pose estimator (or a pose file) found: a list of
:class:`Detection` (joints in pixels of the original frame, x right, y down, origin
top-left, a confidence per joint, optionally an :func:`appearance` colour descriptor).
:class:`Tracker` gives each a track id, frame by frame; :class:`TrackBuilder` collects the
result, repairs identities and builds a :class:`~skeleton_io.group.PoseGroup`.

How tracks are chosen. Online (:class:`Tracker`, one call per frame):

1. **Duplicates** (two detections of one person) are merged first: detections whose joints
   lie within ``DUPLICATE`` body sizes of each other on average; the more confident stays.
2. **Prediction**: every track predicts its joints in this frame from its last seen joints
   and its velocity (the mean joint's, smoothed), for at most ``PREDICT_SECONDS``.
3. **Cost** of giving detection ``d`` to track ``k``: the confidence-weighted mean distance
   between ``d``'s joints and ``k``'s prediction, in units of ``k``'s body size (square root
   of its box area), plus ``APPEARANCE_WEIGHT`` times the distance of their clothing colours
   (:func:`appearance_distance`), plus ``LOST_PENALTY`` per second unseen.
4. **Gates** (a pair outside them is never matched): the position cost must stay below
   ``MAX_STEP + MAX_SPEED * seconds unseen`` body sizes; a track unseen for more than a
   frame must also look alike (below ``MAX_APPEARANCE``); a track unseen for longer than
   ``REID_SECONDS`` may be found anywhere (people leave and come back elsewhere) but only on
   appearance, below ``REID_APPEARANCE``.
5. **Matching**: scipy's ``linear_sum_assignment`` on the cost matrix.
6. **Updates**: a matched track takes the detection's joints and updates its velocity; its
   colour model (mean of its last ``APPEARANCE_MEMORY`` views) learns only from detections
   that overlap nobody (no mixed colours). An unmatched detection starts a new track.

Offline, once the clip is done (:meth:`TrackBuilder.repair`, :meth:`TrackBuilder.group`):

7. **Contacts**: while two people's boxes overlap (``CONTACT_IOU``; also the last box of
   someone who vanished in the last ``MODEL_SECONDS``, who may be behind) a pose estimator
   may follow the wrong one. After each such contact, the tracks seen clean in the
   ``MODEL_SECONDS`` after it are matched (Hungarian) to those seen clean before it, on
   colour distance (below ``LINK_APPEARANCE``) plus ``MOTION_WEIGHT`` times how far each is
   from where the other would be at its speed. Where that matching beats the best one that
   keeps the ids by ``SWAP_MARGIN``, tracks take over the matched ids from the frame where
   they changed person (people dressed alike give no gain: motion decides or ids are kept).
   Inside the contact, a pose that clearly looks like someone else than its track is
   dropped, and a fragment's pose goes to whom it clearly looks like. In a frame of the
   contact where fewer of its people are found than went in, the estimator may have
   followed either or mixed the two (and the front person's colours cover whoever is
   behind): a pose there is kept only when its colours are its own track's by
   ``LONE_MARGIN`` over everyone else's, else it is missing (people dressed alike: kept).
8. **Fragments**: a track that starts after another ended continues it when it looks alike
   (below ``REID_APPEARANCE``) and is where that person could have walked to in between.
9. **Selection**: tracks seen in fewer frames than ``MIN_TRACK_SECONDS`` are dropped, the
   ``people`` most prominent are kept (largest on average: mean body size over all frames,
   0 where absent), and ids are renumbered 0, 1, ... by first appearance, then left to
   right.

A track is never given a detection outside its gates, so a frame where a person is hidden
or out of view is *missing* in their track, never filled with somebody else.
"""

from .appearance import HIST_BINS, appearance, appearance_distance
from .builder import (
    CONTACT_IOU,
    LINK_APPEARANCE,
    LONE_MARGIN,
    MIN_TRACK_SECONDS,
    MODEL_SECONDS,
    MOTION_WEIGHT,
    SWAP_MARGIN,
    TrackBuilder,
    track_detections,
)
from .online import (
    APPEARANCE_MEMORY,
    APPEARANCE_WEIGHT,
    DUPLICATE,
    LOST_PENALTY,
    MAX_APPEARANCE,
    MAX_SPEED,
    MAX_STEP,
    PREDICT_SECONDS,
    REID_APPEARANCE,
    REID_SECONDS,
    Detection,
    Tracker,
    box_iou,
    drop_duplicates,
    joint_distance,
)

__all__ = [
    "APPEARANCE_MEMORY",
    "APPEARANCE_WEIGHT",
    "CONTACT_IOU",
    "DUPLICATE",
    "HIST_BINS",
    "LINK_APPEARANCE",
    "LONE_MARGIN",
    "LOST_PENALTY",
    "MAX_APPEARANCE",
    "MAX_SPEED",
    "MAX_STEP",
    "MIN_TRACK_SECONDS",
    "MODEL_SECONDS",
    "MOTION_WEIGHT",
    "PREDICT_SECONDS",
    "REID_APPEARANCE",
    "REID_SECONDS",
    "SWAP_MARGIN",
    "Detection",
    "TrackBuilder",
    "Tracker",
    "appearance",
    "appearance_distance",
    "box_iou",
    "drop_duplicates",
    "joint_distance",
    "track_detections",
]
