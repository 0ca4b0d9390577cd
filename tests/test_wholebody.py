"""Whole-body skeletons (hands, face, feet) and the formats that carry them: OpenPose JSON
with hands and face, the DWPose / ControlNet annotator JSON, COCO-WholeBody."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from skeleton_io import PoseFormatError, convert, detect_format, load_file, save_file
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.skeleton import BODY18, BODY25, COCO17, COCO_WHOLEBODY, DWPOSE, OPENPOSE_WHOLEBODY
from skeleton_io.wholebody import FACE68, FACE70, FEET, LEFT_HAND, RIGHT_HAND, hand_edges

from .conftest import OPENPOSE_REAL, SHARED, make_pose_sequence, make_wholebody_sequence, need

# The 300-W flip table: the index each of the 68 face points takes in a mirrored face.
IBUG_FLIP = (
    list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30]
    + [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65]
)  # fmt: skip


def _same(a, b, tol=0.0):
    assert a.skeleton == b.skeleton and a.num_frames == b.num_frames
    np.testing.assert_allclose(a.coords, b.coords, atol=tol, rtol=0)
    np.testing.assert_array_equal(a.confidence, b.confidence)
    assert a.canvas == b.canvas


def _wholebody(skeleton, frames=5, seed=0):
    seq = convert(make_wholebody_sequence(frames=frames, seed=seed), skeleton)
    seq.meta.clear()
    seq.confidence[frames // 2] = 0.0  # a frame with nobody
    seq.coords[frames // 2] = 0.0
    return seq


# ---------------------------------------------------------------- skeletons
def test_the_three_skeletons_as_their_tools_order_them():
    assert OPENPOSE_WHOLEBODY.joints == BODY25.joints + FACE70 + LEFT_HAND + RIGHT_HAND
    assert DWPOSE.joints == BODY18.joints + FEET + FACE68 + LEFT_HAND + RIGHT_HAND
    assert COCO_WHOLEBODY.joints == COCO17.joints + FEET + FACE68 + LEFT_HAND + RIGHT_HAND
    assert (OPENPOSE_WHOLEBODY.num_joints, DWPOSE.num_joints, COCO_WHOLEBODY.num_joints) == (
        137,
        134,
        133,
    )
    assert LEFT_HAND[:6] == (
        "LHandRoot", "LThumbCMC", "LThumbMCP", "LThumbIP", "LThumbTip", "LIndexMCP",
    )  # fmt: skip
    assert BODY25.joints[19:] == FEET[:3] + FEET[3:]  # BODY_25's feet are these six


def test_hand_bones_face_contours_and_parents():
    sk = OPENPOSE_WHOLEBODY
    names = {(sk.joints[a], sk.joints[b]) for a, b in sk.edges}
    assert len(hand_edges("L")) == 20 and set(hand_edges("L")) <= names
    assert ("LThumbIP", "LThumbTip") in names and ("LHandRoot", "LPinkyMCP") in names
    assert ("Chin", "LJaw1") in names and ("REyeCornerOut", "RUpperLidOut") in names
    parent = {sk.joints[i]: (sk.joints[p] if p >= 0 else None) for i, p in enumerate(sk.parents)}
    assert parent["LHandRoot"] == "LWrist" and parent["RIndexTip"] == "RIndexDIP"
    assert parent["Chin"] == "Nose" and parent["LHeel"] == "LAnkle"


def test_mirroring_the_face_is_the_300w_flip():
    for sk in (DWPOSE, COCO_WHOLEBODY):
        perm = sk.mirror_permutation()
        first = sk.idx(FACE68[0])
        face = [perm[first + k] - first for k in range(68)]
        assert face == IBUG_FLIP
        hands = [sk.joints[perm[sk.idx(n)]] for n in LEFT_HAND]
        assert hands == list(RIGHT_HAND)


def test_conversion_between_the_three_keeps_every_shared_point():
    seq = make_wholebody_sequence(frames=3, seed=4)
    for a, b in [(OPENPOSE_WHOLEBODY, DWPOSE), (DWPOSE, COCO_WHOLEBODY), (COCO_WHOLEBODY, DWPOSE)]:
        src = convert(seq, a)
        out = convert(src, b)
        for name in set(a.joints) & set(b.joints):
            np.testing.assert_array_equal(out.joint(name), src.joint(name))
            np.testing.assert_array_equal(
                out.confidence[:, b.idx(name)], src.confidence[:, a.idx(name)]
            )
    # DWPose's Neck is the shoulders' mean, with the lower of their confidences
    coco = convert(seq, COCO_WHOLEBODY)
    dw = convert(coco, DWPOSE)
    np.testing.assert_allclose(
        dw.joint("Neck"), (coco.joint("LShoulder") + coco.joint("RShoulder")) / 2
    )


def test_a_body_only_source_gives_missing_hands_not_a_hand_of_one_point():
    body = make_pose_sequence(BODY25, frames=3)
    whole = convert(body, OPENPOSE_WHOLEBODY)
    idx = [OPENPOSE_WHOLEBODY.idx(n) for n in LEFT_HAND + RIGHT_HAND + FACE70]
    assert not whole.confidence[:, idx].any()
    np.testing.assert_array_equal(whole.joint("LWrist"), body.joint("LWrist"))


# ----------------------------------------------------------- OpenPose JSON
def test_openpose_json_with_hands_and_face_round_trips_exactly(tmp_path):
    seq = _wholebody(OPENPOSE_WHOLEBODY)
    save_file(seq, tmp_path / "op", "openpose")
    doc = json.loads(sorted((tmp_path / "op").iterdir())[0].read_text())
    person = doc["people"][0]
    assert len(person["pose_keypoints_2d"]) == 75 and len(person["face_keypoints_2d"]) == 210
    assert len(person["hand_left_keypoints_2d"]) == len(person["hand_right_keypoints_2d"]) == 63
    back = load_file(tmp_path / "op", fps=24, canvas=seq.canvas)
    _same(back, seq)


def test_real_openpose_hands_are_read_at_the_wrists():
    seq = load_file(need(OPENPOSE_REAL) / "tall_man", fps=30)
    assert seq.skeleton == OPENPOSE_WHOLEBODY
    height = np.ptp(seq.joint("Nose")[:, 1]) + np.median(
        seq.joint("LAnkle")[:, 1] - seq.joint("Nose")[:, 1]
    )
    for side, other in (("L", "R"), ("R", "L")):
        root, wrist = seq.skeleton.idx(f"{side}HandRoot"), seq.skeleton.idx(f"{side}Wrist")
        both = (seq.confidence[:, root] > 0.05) & (seq.confidence[:, wrist] > 0.2)
        assert both.sum() > 5  # (OpenPose's hand roots here have low confidences)
        gap = np.median(np.linalg.norm(seq.coords[both, root] - seq.coords[both, wrist], axis=1))
        far = np.median(
            np.linalg.norm(seq.coords[both, root] - seq.joint(f"{other}Wrist")[both], axis=1)
        )
        assert gap < 0.08 * height and gap < far / 3, (side, gap, far, height)
    assert not seq.confidence[:, [seq.skeleton.idx(n) for n in FACE70]].any()  # no --face


# ------------------------------------------------------------- DWPose JSON
@pytest.mark.parametrize("target", ["frames.json", "folder"])
def test_dwpose_json_round_trips_exactly(tmp_path, target):
    seq = _wholebody(DWPOSE)
    save_file(seq, tmp_path / target, "dwpose")
    assert detect_format(tmp_path / target) == "dwpose"
    back = load_file(tmp_path / target, fps=24)
    _same(back, seq)
    assert back.meta["normalized"] is False


def test_dwpose_json_layout_is_the_annotators(tmp_path):
    seq = _wholebody(DWPOSE, frames=3)
    face = [DWPOSE.idx(n) for n in FACE68]
    seq.confidence[2, face] = 0.0  # no face in frame 2 (and nobody in frame 1)
    save_file(seq, tmp_path / "p.json", "dwpose")
    frames = json.loads((tmp_path / "p.json").read_text())
    assert isinstance(frames, list) and len(frames) == 3
    f0, f1, f2 = frames
    assert (f0["canvas_width"], f0["canvas_height"]) == seq.canvas and f1["people"] == []
    person = f0["people"][0]
    assert len(person["pose_keypoints_2d"]) == 54 and len(person["face_keypoints_2d"]) == 210
    pupils = np.reshape(person["face_keypoints_2d"], (70, 3))[68:]
    for pupil, eye in zip(pupils, ("REye", "LEye")):  # the body's eyes, as comfyui pads it
        j = DWPOSE.idx(eye)
        assert seq.confidence[0, j] == 0 or tuple(pupil[:2]) == tuple(seq.coords[0, j])
    assert f2["people"][0]["face_keypoints_2d"] is None


def test_dwpose_json_normalised_variant_round_trips_and_is_recognised(tmp_path):
    seq = _wholebody(DWPOSE)
    save_file(seq, tmp_path / "n.json", "dwpose", normalized=True)
    frames = json.loads((tmp_path / "n.json").read_text())
    values = np.reshape(frames[0]["people"][0]["hand_left_keypoints_2d"], (21, 3))
    missing = values[:, 2] == 0
    assert (values[missing, :2] == -1).all() and (np.abs(values[~missing, :2]) <= 1).all()
    back = load_file(tmp_path / "n.json", fps=24)
    assert back.meta["normalized"] is True
    _same(back, seq, tol=1e-9)


def _comfy_person(w, h, normalised):
    """A person as comfyui_controlnet_aux writes it: 18 body points, no face, a left hand
    (a missed point is 0, 0, 0; its OpenPose annotator's normalised output has missed hand
    points at -1/W with confidence 1)."""
    s = (1.0 / w, 1.0 / h) if normalised else (1.0, 1.0)
    body = []
    for k in range(18):
        body += [(100 + 10 * k) * s[0], (200 + 5 * k) * s[1], 1.0]
    body[3 * 14 : 3 * 14 + 3] = [0.0, 0.0, 0.0]  # REye not found
    hand = []
    for k in range(21):
        missed = [-1 / w, -1 / h, 1.0] if normalised else [0.0, 0.0, 0.0]
        hand += [(300 + k) * s[0], (400 - k) * s[1], 1.0] if k != 5 else missed
    return {
        "pose_keypoints_2d": body,
        "face_keypoints_2d": None,
        "hand_left_keypoints_2d": hand
        if normalised
        else [hand[i : i + 3] for i in range(0, 63, 3)],
        "hand_right_keypoints_2d": None,
    }


@pytest.mark.parametrize("normalised", [False, True])
def test_comfyui_annotator_json_known_answer(tmp_path, normalised):
    w, h = 640, 480
    frame = {"people": [_comfy_person(w, h, normalised)], "canvas_height": h, "canvas_width": w}
    (tmp_path / "pose.json").write_text(json.dumps(frame))  # one frame, not a list
    seq = load_file(tmp_path / "pose.json", fps=25)
    assert seq.skeleton == DWPOSE and seq.canvas == (w, h) and seq.num_frames == 1
    assert seq.meta["normalized"] is normalised
    np.testing.assert_allclose(seq.joint("LEar")[0], (270, 285), atol=1e-9)  # point 17
    assert seq.confidence[0, DWPOSE.idx("REye")] == 0
    np.testing.assert_allclose(seq.joint("LThumbCMC")[0], (301, 399), atol=1e-9)
    assert seq.confidence[0, DWPOSE.idx("LIndexMCP")] == 0  # the -1 point
    right = [DWPOSE.idx(n) for n in RIGHT_HAND + FACE68 + FEET]
    assert not seq.confidence[0, right].any()


def test_distinct_pupils_on_dwpose_are_dropped_with_a_warning(tmp_path, caplog):
    seq = _wholebody(OPENPOSE_WHOLEBODY, frames=2)
    frame = {"people": [], "canvas_width": 512, "canvas_height": 768}
    person = {"pose_keypoints_2d": [], "face_keypoints_2d": []}
    for n in BODY18.joints:
        j = OPENPOSE_WHOLEBODY.idx(n)
        person["pose_keypoints_2d"] += [*seq.coords[0, j], 0.9]
    for n in FACE70:
        j = OPENPOSE_WHOLEBODY.idx(n)
        person["face_keypoints_2d"] += [*seq.coords[0, j], 0.9]
    frame["people"].append(person)
    (tmp_path / "p.json").write_text(json.dumps([frame]))
    with caplog.at_level(logging.WARNING):
        out = load_file(tmp_path / "p.json", fps=25)
    assert out.skeleton == DWPOSE and "pupils" in caplog.text and "p.json" in caplog.text


def test_binary_confidence_as_the_annotator_writes_it(tmp_path):
    seq = _wholebody(DWPOSE, frames=2)
    save_file(seq, tmp_path / "b.json", "dwpose", binary=0.5)
    back = load_file(tmp_path / "b.json", fps=24)
    kept = seq.confidence >= 0.5
    assert set(np.unique(back.confidence)) <= {0.0, 1.0}
    np.testing.assert_array_equal(back.confidence > 0, kept)
    np.testing.assert_array_equal(back.coords[kept], seq.coords[kept])


def test_dwpose_json_needs_a_canvas(tmp_path):
    seq = _wholebody(DWPOSE, frames=2)
    seq.canvas = None
    with pytest.raises(InvalidArgumentError, match="`canvas`"):
        save_file(seq, tmp_path / "x.json", "dwpose")
    assert not list(tmp_path.iterdir())
    normalised = [{"people": [_comfy_person(640, 480, True)]}]  # no canvas stated
    (tmp_path / "n.json").write_text(json.dumps(normalised))
    with pytest.raises(PoseFormatError, match="normalised.*`canvas`"):
        load_file(tmp_path / "n.json", format="dwpose")
    assert load_file(tmp_path / "n.json", format="dwpose", canvas=(640, 480)).canvas == (640, 480)


# ----------------------------------------------------------- COCO-WholeBody
def test_coco_wholebody_round_trips_exactly(tmp_path):
    seq = _wholebody(COCO_WHOLEBODY)
    hand = [COCO_WHOLEBODY.idx(n) for n in RIGHT_HAND]
    seq.confidence[0, hand] = 0.0
    seq.coords[0, hand] = 0.0
    save_file(seq, tmp_path / "wb.json", "coco_wholebody")
    assert detect_format(tmp_path / "wb.json") == "coco_wholebody"
    ann = json.loads((tmp_path / "wb.json").read_text())["annotations"][0]
    assert ann["righthand_valid"] is False and ann["righthand_box"] == [0.0, 0.0, 0.0, 0.0]
    assert ann["lefthand_valid"] is True and len(ann["face_kpts"]) == 204
    _same(load_file(tmp_path / "wb.json"), seq)


def test_real_coco_wholebody_file_known_values():
    path = need(SHARED / "pose_samples" / "coco_wholebody_mmpose_test.json")
    assert detect_format(path) == "coco_wholebody"
    seq = load_file(path, fps=1)
    assert seq.skeleton == COCO_WHOLEBODY and seq.num_frames == 4
    data = json.loads(path.read_text())
    first = min(data["images"], key=lambda im: im["id"])
    assert seq.canvas == (first["width"], first["height"])
    ann = next(a for a in data["annotations"] if a["image_id"] == first["id"])
    feet = np.reshape(ann["foot_kpts"], (6, 3))
    np.testing.assert_array_equal(seq.joint("LBigToe")[0], feet[0, :2])
    face = np.reshape(ann["face_kpts"], (68, 3))
    np.testing.assert_array_equal(seq.joint("Chin")[0], face[8, :2])
    assert ann["lefthand_valid"] is False
    assert not seq.confidence[0, [COCO_WHOLEBODY.idx(n) for n in LEFT_HAND]].any()
    right = np.reshape(ann["righthand_kpts"], (21, 3))
    found = right[:, 2] > 0
    conf = seq.confidence[0, [COCO_WHOLEBODY.idx(n) for n in RIGHT_HAND]]
    np.testing.assert_allclose(conf[found], np.minimum(right[found, 2], 1.0))


# ---------------------------------------------------------- hostile input
def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


PERSON18 = {"pose_keypoints_2d": [1.0] * 54}
HOSTILE = {
    "hand of 20 points": (
        {"people": [{**PERSON18, "hand_left_keypoints_2d": [1.0] * 60}], "canvas_width": 9,
         "canvas_height": 9},
        "60 left hand values",
    ),
    "face of strings": (
        {"people": [{**PERSON18, "face_keypoints_2d": ["a"] * 204}], "canvas_width": 9,
         "canvas_height": 9},
        "non-numeric face values",
    ),
    "infinite hand": (
        [{"people": [{**PERSON18, "hand_right_keypoints_2d": [1e400] * 63}]}],
        "non-finite right hand values",
    ),
    "zero canvas": ({"people": [PERSON18], "canvas_width": 0, "canvas_height": 9}, "canvas"),
    "fractional canvas": ({"people": [PERSON18], "canvas_width": 9.5, "canvas_height": 9}, "canvas"),
    "list of non-frames": ([{"people": []}, 3], "frame 1"),
    "person not an object": ({"people": [[1, 2]], "canvas_width": 9, "canvas_height": 9}, "person 0"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_dwpose_json_is_one_named_error(tmp_path, case):
    doc, match = HOSTILE[case]
    path = _write(tmp_path, "bad.json", json.dumps(doc).replace("Infinity", "1e400"))
    with pytest.raises(PoseFormatError, match=match) as err:
        load_file(path, fps=25, format="dwpose")
    assert "bad.json" in str(err.value)


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("lefthand_kpts", [1.0] * 60, "60 lefthand_kpts values"),
        ("face_kpts", "x" * 204, "face_kpts"),
        ("foot_kpts", [float("nan")] * 18, "non-finite"),
        ("keypoint_scores", [0.5] * 5, "5 keypoint_scores"),
    ],
)
def test_hostile_coco_wholebody_is_one_named_error(tmp_path, field, value, match):
    seq = _wholebody(COCO_WHOLEBODY, frames=2)
    save_file(seq, tmp_path / "wb.json", "coco_wholebody")
    doc = json.loads((tmp_path / "wb.json").read_text())
    doc["annotations"][0][field] = value
    path = _write(tmp_path, "wb.json", json.dumps(doc))
    with pytest.raises(PoseFormatError, match=match) as err:
        load_file(path)
    assert "wb.json" in str(err.value)


def test_truncated_files_name_themselves(tmp_path):
    seq = _wholebody(DWPOSE, frames=2)
    for fmt, name in (("dwpose", "d.json"), ("coco_wholebody", "c.json")):
        save_file(seq, tmp_path / name, fmt)
        text = (tmp_path / name).read_text()
        (tmp_path / name).write_text(text[: len(text) // 2])
        with pytest.raises(PoseFormatError, match=f"{name}: not valid JSON"):
            load_file(tmp_path / name, format=fmt)


def test_dwpose_folder_replaces_only_its_own_frames(tmp_path):
    from skeleton_io.errors import OutputError

    seq = _wholebody(DWPOSE, frames=3)
    folder = tmp_path / "frames"
    save_file(seq, folder, "dwpose")
    save_file(seq[:2], folder, "dwpose")  # its own files: replaced
    assert len(list(folder.iterdir())) == 2
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="notes.txt"):
        save_file(seq, folder, "dwpose")
    save_file(seq, folder, "dwpose", overwrite=True)
    assert (folder / "notes.txt").read_text() == "mine" and len(list(folder.iterdir())) == 4
