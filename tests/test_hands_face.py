"""Hands and face beside the body from videos and images (skeleton_io.hands_face)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from skeleton_io import BLAZEPOSE33, PoseSequence, load_file
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.hands_face import MESH_TO_FACE70, HandsFace, add_hands_face
from skeleton_io.skeleton import BLAZEPOSE_WHOLEBODY
from skeleton_io.video_writer import VideoWriter
from skeleton_io.wholebody import FACE70, LEFT_HAND, RIGHT_HAND

from .conftest import MEDIA, make_pose_sequence, need
from .test_cli_extract import run
from .test_wholebody import IBUG_FLIP

HAVE_MEDIAPIPE = importlib.util.find_spec("mediapipe") is not None
needs_mediapipe = pytest.mark.skipif(not HAVE_MEDIAPIPE, reason="mediapipe is not installed")


def test_face_table_is_70_distinct_mesh_points():
    assert len(MESH_TO_FACE70) == len(FACE70) == 70
    assert len(set(MESH_TO_FACE70)) == 70 and max(MESH_TO_FACE70) < 478
    assert MESH_TO_FACE70[68:] == (468, 473)  # the iris centres as pupils


class Scripted:
    """A stand-in estimator: hands and face at known normalised places, some frames without."""

    def __init__(self):
        self.calls = 0
        self.closed = False

    def __call__(self, rgb, body_xy, visibility):
        t = self.calls
        self.calls += 1
        hand = np.tile([[0.25, 0.5]], (21, 1)) + np.arange(21)[:, None] * 0.001
        face = np.tile([[0.5, 0.2]], (70, 1))
        return HandsFace(
            left=hand if t != 1 else None,
            right=hand + 0.5 if t != 2 else None,
            face=face,
            left_score=0.9,
            right_score=0.2 if t == 3 else 0.8,  # below the hand threshold in frame 3
            face_score=0.7,
        )

    def close(self):
        self.closed = True


def _video_and_body(tmp_path, frames=5, size=(64, 48)):
    path = tmp_path / "clip.mp4"
    with VideoWriter(path, fps=10) as w:
        for k in range(frames):
            w.write(np.full((size[1], size[0], 3), 20 * k, np.uint8))
    body = make_pose_sequence(BLAZEPOSE33, frames=frames, canvas=size, fps=10.0)
    body.confidence[:] = np.maximum(body.confidence, 0.6)
    body.confidence[4] = 0.0  # nobody in the last frame
    body.coords[4] = 0.0
    body.meta.update(frame_index=list(range(frames)), source_format="video")
    return path, body


@pytest.mark.parametrize("wrists", ["hand", "body"])
def test_add_hands_face_known_answer(tmp_path, wrists, monkeypatch):
    path, body = _video_and_body(tmp_path)
    est = Scripted()
    out = add_hands_face(body, path, estimator=est, wrists=wrists, fill_gaps=0)
    sk = BLAZEPOSE_WHOLEBODY
    assert out.skeleton == sk and est.closed and est.calls == 4  # not called without a body
    lroot, rroot, chin = sk.idx("LHandRoot"), sk.idx("RHandRoot"), sk.idx("Chin")
    np.testing.assert_allclose(out.coords[0, lroot], (0.25 * 64, 0.5 * 48))
    np.testing.assert_allclose(out.coords[0, rroot], (0.75 * 64, 1.0 * 48))
    assert out.confidence[0, lroot] == 0.9 and out.confidence[0, rroot] == 0.8
    assert out.confidence[1, lroot] == 0 and out.confidence[2, rroot] == 0  # not found
    assert out.confidence[3, rroot] == 0  # found below the threshold: missing, not guessed
    assert out.confidence[4].max() == 0  # nobody
    assert (out.confidence[:4, chin] == 0.7).all()
    np.testing.assert_array_equal(out.coords[:, :33][:, 0], body.coords[:, 0])  # the nose
    wrist = sk.idx("LWrist")
    if wrists == "hand":
        np.testing.assert_allclose(out.coords[0, wrist], out.coords[0, lroot])
        np.testing.assert_array_equal(out.coords[1, wrist], body.coords[1, wrist])
    else:
        np.testing.assert_array_equal(out.coords[:, wrist], body.coords[:, wrist])
    counts = out.meta["hands_face"]
    assert (counts["frames_with_left_hand"], counts["frames_with_right_hand"]) == (3, 2)
    assert counts["frames_with_face"] == 4
    # by default the left hand missed for one frame between two found ones is filled in
    # (the scripted hand stays put while the dancer's forearm turns: let that count as alike)
    monkeypatch.setattr("skeleton_io.hand_gaps.HAND_CHANGE", 1e4)
    filled = add_hands_face(body, path, estimator=Scripted(), wrists=wrists)
    assert filled.meta["hands_face"]["frames_with_left_hand_filled"] == 1
    assert filled.meta["hands_face"]["left_hand_filled_frames"] == [1]
    assert filled.confidence[1, lroot] == 0.9  # the lower of its neighbours' scores
    # frame 3's right hand, scored 0.2 (under the threshold, over HAND_KEEP_THRESHOLD), is
    # kept beside the alike one found clearly 2 frames (0.2 s) before; then frame 2 lies
    # between two hands and is filled, at the lower score
    info = filled.meta["hands_face"]
    assert info["right_hand_weak_kept_frames"] == [3] and info["left_hand_weak_kept_frames"] == []
    assert filled.confidence[3, rroot] == 0.2
    assert info["right_hand_filled_frames"] == [2] and filled.confidence[2, rroot] == 0.2
    # without gap filling a weak hand is not kept either (as on a photo)
    assert out.meta["hands_face"]["right_hand_weak_kept_frames"] == []
    # a hand scored under the estimator's keep threshold (the palm detector's second look
    # reports any score) is missing however alike its neighbours
    est = Scripted()
    est.keep_threshold = 0.25
    faint = add_hands_face(body, path, estimator=est, wrists=wrists)
    assert faint.meta["hands_face"]["right_hand_weak_kept_frames"] == []
    assert faint.meta["hands_face"]["hand_keep_threshold"] == 0.25


def _moving_hands(frames: int = 12, fps: float = 10.0, turn: float = 0.0) -> PoseSequence:
    """A whole-body sequence whose arms move and whose hands grow linearly in time, the roots
    3 px from the wrists along the forearm; with ``turn`` (radians a frame) the forearm and
    its hand turn rigidly about the elbow: what blending in the forearm's frame gives
    exactly."""
    sk = BLAZEPOSE_WHOLEBODY
    coords = np.zeros((frames, sk.num_joints, 2))
    conf = np.zeros((frames, sk.num_joints))
    base = np.stack([np.arange(21.0), np.arange(21.0) * 0.5], axis=1)  # a hand's points
    for t in range(frames):
        a = turn * t
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        for side, x0, hand in (("L", 100.0, LEFT_HAND), ("R", 200.0, RIGHT_HAND)):
            elbow = np.array([x0 + 4.0 * t, 150.0 - 2.0 * t])
            wrist = elbow + rot @ np.array([40.0, 0.0])
            coords[t, sk.idx(f"{side}Elbow")], coords[t, sk.idx(f"{side}Wrist")] = elbow, wrist
            conf[t, [sk.idx(f"{side}Elbow"), sk.idx(f"{side}Wrist")]] = 0.9
            idx = [sk.idx(n) for n in hand]
            shape = base * (1.0 + 0.1 * t)  # grows linearly: blending recovers it exactly
            coords[t, idx] = wrist + (np.array([3.0, 0.0]) + shape) @ rot.T
            conf[t, idx] = 0.8
    return PoseSequence(coords, conf, sk, fps=fps, canvas=(320, 240))


@pytest.mark.parametrize("turn", [0.0, 0.5])
def test_fill_hand_gaps_known_answer(turn):
    from skeleton_io.hands_face import fill_hand_gaps

    truth = _moving_hands(turn=turn)
    sk = truth.skeleton
    left = [sk.idx(n) for n in LEFT_HAND]
    right = [sk.idx(n) for n in RIGHT_HAND]
    seq = truth.with_coords(truth.coords.copy(), truth.confidence.copy())
    seq.confidence[3:5, left] = 0  # 2 frames (0.2 s): filled
    seq.confidence[6:9, right] = 0  # 3 frames (0.3 s): too long, left missing
    seq.confidence[10:, left] = 0  # at the end: nothing after it, left missing
    seq.confidence[1, right] = 0
    seq.confidence[1, sk.idx("RElbow")] = 0  # the forearm unseen: not filled
    out = fill_hand_gaps(seq, max_seconds=0.2)
    np.testing.assert_allclose(out.coords[3:5][:, left], truth.coords[3:5][:, left], atol=1e-9)
    assert (out.confidence[3:5][:, left] == 0.8).all()
    assert (out.confidence[6:9][:, right] == 0).all()
    assert (out.confidence[10:][:, left] == 0).all()
    assert (out.confidence[1, right] == 0).all()
    assert seq.confidence[3, left[0]] == 0  # the input is not changed
    assert fill_hand_gaps(seq, max_seconds=0) is seq


def test_fill_hand_gaps_leaves_a_gap_between_unlike_hands():
    """An open hand before the gap, a fist after it: no in-between hand is made up."""
    from skeleton_io.hands_face import fill_hand_gaps

    seq = _moving_hands()
    sk = seq.skeleton
    left = [sk.idx(n) for n in LEFT_HAND]
    root = seq.coords[:, left[:1]]
    seq.coords[5:, left] = root[5:] + 0.2 * (seq.coords[5:, left] - root[5:])  # closed
    seq.confidence[4, left] = 0
    out = fill_hand_gaps(seq, max_seconds=0.2)
    assert (out.confidence[4, left] == 0).all()


def test_a_weak_hand_is_kept_only_beside_an_alike_clearly_found_one():
    """Hysteresis: a hand scored under the threshold is kept when the same hand was found
    clearly within the span and looks alike; too far from one, or unlike it, it is missing."""
    from skeleton_io.hand_gaps import keep_supported

    truth = _moving_hands()
    sk = truth.skeleton
    left = [sk.idx(n) for n in LEFT_HAND]
    coords, conf = truth.coords.copy(), truth.confidence.copy()
    conf[3:8, left] = 0  # clearly found in 0-2 and 8-11 only
    weak = {t: (truth.coords[t, left], 0.15) for t in (3, 4, 5)}  # 1, 2 and 3 frames away
    root = truth.coords[7, left[:1]]
    weak[7] = (root + 0.2 * (truth.coords[7, left] - root), 0.15)  # a fist beside open hands
    kept = keep_supported(coords, conf, weak, "L", 2, sk)
    assert kept == [3, 4]
    np.testing.assert_array_equal(coords[3:5][:, left], truth.coords[3:5][:, left])
    assert (conf[3:5][:, left] == 0.15).all() and (conf[5:8][:, left] == 0).all()


def test_weak_hands_support_each_other_as_a_hand_closes():
    """A hand closing over weakly scored frames: each is alike the frame before it, the last
    not alike the last clear one. Kept in a chain, within the span of the clear one; a weak
    hand beyond the span stays missing however alike."""
    from skeleton_io.hand_gaps import HAND_CHANGE, _alike, keep_supported

    truth = _moving_hands()
    sk = truth.skeleton
    left = [sk.idx(n) for n in LEFT_HAND]
    coords, conf = truth.coords.copy(), truth.confidence.copy()
    conf[3:, left] = 0  # clearly found in 0-2 only
    root = truth.coords[2, left[:1]]
    shape = truth.coords[2, left] - root
    closing = {3: 0.7, 4: 0.4, 5: 0.4}
    weak = {t: (root + f * shape, 0.15) for t, f in closing.items()}
    assert _alike(0.7 * shape, shape) and _alike(0.4 * shape, 0.7 * shape)
    assert not _alike(0.4 * shape, shape), f"frame 4 must differ from 2 by > {HAND_CHANGE}"
    kept = keep_supported(coords, conf, weak, "L", 2, sk)
    assert kept == [3, 4]
    np.testing.assert_allclose(coords[4, left], root + 0.4 * shape)
    assert (conf[3:5][:, left] == 0.15).all() and (conf[5][left] == 0).all()


def test_add_hands_face_rejects_what_it_cannot_use(tmp_path):
    path, body = _video_and_body(tmp_path)
    with pytest.raises(InvalidArgumentError, match="BlazePose"):
        add_hands_face(make_pose_sequence(frames=5), path, estimator=Scripted())
    with pytest.raises(InvalidArgumentError, match="wrists"):
        add_hands_face(body, path, estimator=Scripted(), wrists="elbow")


def _frontal_photo_result():
    photo = need(MEDIA / "i12_moore_anyone11.png")
    return load_file(photo, hands_face=True)


@needs_mediapipe
def test_a_frontal_photo_has_both_hands_at_the_wrists_and_a_well_ordered_face():
    seq = _frontal_photo_result()
    sk = seq.skeleton
    assert sk == BLAZEPOSE_WHOLEBODY
    conf, xy = seq.confidence[0], seq.coords[0]
    height = np.ptp(xy[:33][conf[:33] >= 0.5, 1])
    for side, names in (("L", LEFT_HAND), ("R", RIGHT_HAND)):
        idx = [sk.idx(n) for n in names]
        assert (conf[idx] >= 0.5).all(), side
        assert (
            np.linalg.norm(xy[sk.idx(f"{side}HandRoot")] - xy[sk.idx(f"{side}Wrist")])
            <= 0.02 * height
        )
    face = np.array([xy[sk.idx(n)] for n in FACE70])
    assert (conf[[sk.idx(n) for n in FACE70]] >= 0.5).all()
    # the person's right is on the image's left in a frontal photo
    x = {n: xy[sk.idx(n), 0] for n in FACE70}
    assert x["RJaw8"] < x["REyeCornerOut"] < x["RPupil"] < x["REyeCornerIn"] < x["LEyeCornerIn"]
    assert x["LEyeCornerIn"] < x["LPupil"] < x["LEyeCornerOut"] < x["LJaw8"]
    assert x["RMouthCorner"] < x["UpperLipTop"] < x["LMouthCorner"]
    y = {n: xy[sk.idx(n), 1] for n in FACE70}
    assert y["RBrow3"] < y["RUpperLidIn"] < y["RLowerLidIn"] < y["NoseBase"] < y["UpperLipTop"]
    assert (
        y["UpperLipTop"]
        < y["UpperLipInner"]
        <= y["LowerLipInner"]
        < y["LowerLipBottom"]
        < y["Chin"]
    )
    # the 300-W mirror pairs lie mirrored about the face's middle line
    mid = x["NoseBridge1"]
    width = x["LJaw8"] - x["RJaw8"]
    for k, j in enumerate(IBUG_FLIP):
        assert abs((face[k, 0] - mid) + (face[j, 0] - mid)) < 0.15 * width, (k, j)
        assert abs(face[k, 1] - face[j, 1]) < 0.15 * width, (k, j)
    nose = xy[sk.idx("Nose")]
    assert face[:, 0].min() < nose[0] < face[:, 0].max()


@needs_mediapipe
def test_extract_a_video_whole_body_to_openpose_json(tmp_path):
    clip = need(MEDIA / "h04_articulated_ted_partial.mp4")
    out = tmp_path / "ted"
    r = run(
        "extract", clip, "-o", out, "--format", "openpose", "--skeleton", "openpose_wholebody",
        "--max-frames", "6", "--no-denoise",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "Feedback manager" not in r.stderr  # mediapipe's start-up chatter is silenced
    files = sorted(out.iterdir())
    assert len(files) == 6
    with_hands = 0
    for f in files:
        person = json.loads(f.read_text())["people"][0]
        for key in ("hand_left_keypoints_2d", "hand_right_keypoints_2d"):
            c = np.reshape(person[key], (21, 3))[:, 2]
            assert set(np.unique(c)) <= {0.0} or (c > 0).all()  # a hand is whole or absent
            with_hands += bool((c > 0).all())
        assert (np.reshape(person["face_keypoints_2d"], (70, 3))[:, 2] > 0).any()
    assert with_hands >= 10  # of 12 hands: the speaker's hands are in view
    seq = load_file(out, fps=10)
    assert isinstance(seq, PoseSequence) and seq.skeleton.name == "openpose_wholebody"
