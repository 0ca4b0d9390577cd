"""Pose file formats: OpenPose JSON folders, COCO keypoints JSON, CSV, SMPL/AMASS parameters."""

from __future__ import annotations

import json
import logging
import pickle
import time

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from skeleton_io import (
    BODY25,
    COCO17,
    OPENPOSE15,
    OPENPOSE_WHOLEBODY,
    InvalidArgumentError,
    ModelError,
    PoseFormatError,
    PoseSequence,
    convert,
    detect_format,
    load_file,
    save_file,
)
from skeleton_io.formats import coco, csvfmt, openpose, smpl
from skeleton_io.pose import DEFAULT_FPS

from .conftest import OPENPOSE_REAL, make_pose_sequence, need


def _person(n: int, xy: tuple[float, float], spread: float, conf: float = 0.9) -> list[float]:
    """OpenPose flat keypoints: ``n`` joints on a line from ``xy``, ``spread`` px apart."""
    flat = []
    for j in range(n):
        flat += [xy[0] + spread * j, xy[1] + spread * j, conf]
    return flat


def _write_frame(path, people: list[list[float]]) -> None:
    doc = {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": p} for p in people]}
    path.write_text(json.dumps(doc))


def _assert_same(a: PoseSequence, b: PoseSequence) -> None:
    assert a.skeleton.joints == b.skeleton.joints
    np.testing.assert_array_equal(a.confidence, b.confidence)
    np.testing.assert_array_equal(a.coords, b.coords)


# ------------------------------------------------------------------------ OpenPose
def test_openpose_round_trip_is_exact_and_has_openpose_layout(tmp_path):
    seq = make_pose_sequence(BODY25, frames=6, seed=1)
    seq.confidence[3] = 0.0  # a frame with nobody
    seq.coords[3] = 0.0
    out = tmp_path / "clip"
    openpose.save(seq, out)
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"clip_{i:012d}_keypoints.json" for i in range(6)]
    doc = json.loads((out / files[0]).read_text())
    assert doc["version"] == 1.3 and len(doc["people"]) == 1
    person = doc["people"][0]
    assert person["person_id"] == [-1] and len(person["pose_keypoints_2d"]) == 75
    for key in ("face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
                "pose_keypoints_3d"):  # fmt: skip
        assert person[key] == []
    assert json.loads((out / files[3]).read_text())["people"] == []
    back = openpose.load(out, fps=seq.fps)
    _assert_same(back, seq)
    assert back.fps == seq.fps and "fps_assumed" not in back.meta
    assert back.canvas is None and back.units == "px"


def test_openpose_save_converts_by_name_and_zeroes_missing_joints(tmp_path):
    seq = make_pose_sequence(OPENPOSE15, frames=3, seed=2)
    openpose.save(seq, tmp_path / "o")
    back = openpose.load(tmp_path / "o", fps=25)
    assert back.skeleton == BODY25
    _assert_same(convert(back, OPENPOSE15), seq)
    flat = json.loads(next((tmp_path / "o").iterdir()).read_text())["people"][0]
    assert flat["pose_keypoints_2d"][15 * 3 :] == [0.0] * 30  # eyes, ears, feet: 0, 0, 0


def test_openpose_frames_in_natural_order_and_single_file(tmp_path):
    d = tmp_path / "nat"
    d.mkdir()
    for k in (10, 2, 1):  # written out of order; names sort wrongly as plain text
        _write_frame(d / f"v_{k}_keypoints.json", [_person(25, (k, 0), 1.0)])
    seq = openpose.load(d, fps=10)
    np.testing.assert_array_equal(seq.coords[:, 0, 0], [1, 2, 10])
    one = openpose.load(d / "v_2_keypoints.json", fps=10)
    assert one.num_frames == 1 and one.coords[0, 0, 0] == 2


def test_openpose_missing_fps_is_assumed_with_a_warning(tmp_path, caplog):
    d = tmp_path / "f"
    d.mkdir()
    _write_frame(d / "a_0_keypoints.json", [_person(25, (5, 5), 2.0)])
    with caplog.at_level(logging.WARNING):
        seq = openpose.load(d)
    assert seq.fps == DEFAULT_FPS and seq.meta["fps_assumed"] is True
    assert any("frame rate" in r.message for r in caplog.records)


def test_openpose_zeros_are_missing_and_body18_is_recognised(tmp_path):
    d = tmp_path / "b18"
    d.mkdir()
    flat = _person(18, (100, 50), 10.0)
    flat[3 * 4 : 3 * 4 + 3] = [0.0, 0.0, 0.0]  # RWrist missed
    _write_frame(d / "x_0_keypoints.json", [flat])
    seq = openpose.load(d, fps=30)
    assert seq.skeleton.name == "body18" and seq.num_joints == 18
    assert seq.confidence[0, seq.skeleton.idx("RWrist")] == 0
    op15 = convert(seq, OPENPOSE15)
    lhip, rhip = seq.joint("LHip")[0], seq.joint("RHip")[0]
    np.testing.assert_allclose(op15.joint("MidHip")[0], (lhip + rhip) / 2)


def test_openpose_follows_one_main_person(tmp_path, caplog):
    d = tmp_path / "two"
    d.mkdir()
    big, small = (100.0, 100.0), (600.0, 100.0)
    # frame 0: the big person first; then the listing order swaps and both move a little
    _write_frame(d / "c_0_keypoints.json", [_person(25, small, 2.0), _person(25, big, 8.0)])
    _write_frame(
        d / "c_1_keypoints.json", [_person(25, (110, 100), 2.0), _person(25, (590, 100), 8.0)]
    )
    _write_frame(d / "c_2_keypoints.json", [])
    _write_frame(
        d / "c_3_keypoints.json", [_person(25, (590, 100), 8.0), _person(25, (120, 100), 2.0)]
    )
    with caplog.at_level(logging.WARNING):
        seq = openpose.load(d, fps=30)
    # frame 0 picks the larger box; frame 1 the one nearest to it (the small one at 110)
    np.testing.assert_array_equal(seq.coords[:, 0, 0], [100, 110, 0, 120])
    assert not seq.present[2]
    warnings = [r for r in caplog.records if "several people" in r.message]
    assert len(warnings) == 1 and "3 of 4 frames" in warnings[0].message


@pytest.mark.parametrize(
    "content,match",
    [
        ('{"people": [', "not valid JSON"),
        ('{"frames": []}', "no 'people'"),
        ('{"people": [{"pose_keypoints_2d": [1, 2, 3]}]}', "3 pose values"),
    ],
)
def test_openpose_bad_file_names_the_file(tmp_path, content, match):
    d = tmp_path / "bad"
    d.mkdir()
    _write_frame(d / "ok_0_keypoints.json", [_person(25, (1, 1), 1.0)])
    (d / "ok_1_keypoints.json").write_text(content)
    with pytest.raises(PoseFormatError, match=match) as e:
        openpose.load(d, fps=30)
    assert "ok_1_keypoints.json" in str(e.value)


def test_openpose_and_coco_refuse_3d(tmp_path):
    seq = make_pose_sequence(OPENPOSE15, dims=3)
    with pytest.raises(InvalidArgumentError, match="3D"):
        openpose.save(seq, tmp_path / "x")
    with pytest.raises(InvalidArgumentError, match="3D"):
        coco.save(seq, tmp_path / "x.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.shared
def test_openpose_real_folders_load():
    root = need(OPENPOSE_REAL)
    expected = {"tall_man": 135, "small_man": 121, "model": 121, "workout_march": 120}
    for name, frames in expected.items():
        t0 = time.perf_counter()
        seq = load_file(root / name, fps=30)
        took = time.perf_counter() - t0
        # tall_man was run with --hand: its files have hand lists
        want = OPENPOSE_WHOLEBODY if name == "tall_man" else BODY25
        assert seq.skeleton == want and seq.num_frames == frames
        assert seq.present.all()
        op15 = convert(seq, OPENPOSE15)
        assert (op15.confidence[:, : OPENPOSE15.idx("MidHip")] > 0).mean() > 0.9
        assert took < 2.0, f"{name}: {took:.2f} s"


# -------------------------------------------------------------------------- COCO
def test_coco_round_trip_is_exact_with_fps_and_canvas(tmp_path):
    seq = make_pose_sequence(COCO17, frames=5, seed=3, fps=24.0, canvas=(720, 405))
    seq.confidence[2] = 0.0
    seq.coords[2] = 0.0
    coco.save(seq, tmp_path / "p.json")
    back = coco.load(tmp_path / "p.json")
    _assert_same(back, seq)
    assert back.fps == 24.0 and back.canvas == (720, 405) and "fps_assumed" not in back.meta


def test_coco_layout(tmp_path):
    seq = make_pose_sequence(OPENPOSE15, frames=3, seed=4, canvas=(640, 480))
    seq.confidence[1] = 0.0
    seq.meta["frame_index"] = [12, 13, 14]
    coco.save(seq, tmp_path / "p.json")
    doc = json.loads((tmp_path / "p.json").read_text())
    assert [im["id"] for im in doc["images"]] == [0, 1, 2]
    assert doc["images"][0] == {
        "id": 0,
        "width": 640,
        "height": 480,
        "file_name": "frame_000012.jpg",
    }
    assert [a["image_id"] for a in doc["annotations"]] == [0, 2]
    ann = doc["annotations"][0]
    kps = np.array(ann["keypoints"]).reshape(17, 3)
    c17 = convert(seq, COCO17)
    vis = c17.confidence[0] > 0
    assert set(kps[vis, 2]) == {2} and (kps[~vis] == 0).all()
    np.testing.assert_array_equal(kps[vis, :2], c17.coords[0, vis])
    x0, y0 = c17.coords[0, vis].min(axis=0)
    x1, y1 = c17.coords[0, vis].max(axis=0)
    np.testing.assert_allclose(ann["bbox"], [x0, y0, x1 - x0, y1 - y0])
    assert ann["num_keypoints"] == vis.sum() and ann["category_id"] == 1 and ann["iscrowd"] == 0
    assert ann["area"] == pytest.approx((x1 - x0) * (y1 - y0))
    cat = doc["categories"][0]
    assert cat["keypoints"][:3] == ["nose", "left_eye", "right_eye"] and len(cat["keypoints"]) == 17
    assert [16, 14] in cat["skeleton"] and min(min(e) for e in cat["skeleton"]) == 1
    assert doc["info"]["fps"] == seq.fps


def test_coco_needs_a_canvas(tmp_path):
    seq = make_pose_sequence(COCO17, canvas=None)
    with pytest.raises(InvalidArgumentError, match="`canvas`"):
        coco.save(seq, tmp_path / "p.json")
    assert list(tmp_path.iterdir()) == []


def test_coco_from_another_tool(tmp_path, caplog):
    def ann(i, image_id, x0, spread, v=2):
        kps = []
        for j in range(17):
            kps += [x0 + spread * j, 10.0 + spread * j, v if j != 5 else 0]
        return {"id": i, "image_id": image_id, "category_id": 1, "keypoints": kps}

    doc = {
        "images": [  # unordered ids, one image without annotations
            {"id": 30, "width": 100, "height": 80, "file_name": "c.jpg"},
            {"id": 10, "width": 100, "height": 80, "file_name": "a.jpg"},
            {"id": 20, "width": 100, "height": 80, "file_name": "b.jpg"},
        ],
        "annotations": [
            ann(1, 10, 5.0, 1.0), ann(2, 10, 50.0, 3.0),  # two people: the bigger one is main
            ann(3, 30, 48.0, 3.0), ann(4, 30, 6.0, 1.0),
        ],
        "categories": [{"id": 1, "name": "person", "keypoints": list(coco.COCO_KEYPOINT_NAMES)}],
    }  # fmt: skip
    path = tmp_path / "other.json"
    path.write_text(json.dumps(doc))
    assert detect_format(path) == "coco"
    with caplog.at_level(logging.WARNING):
        seq = coco.load(path, fps=12)
    assert seq.fps == 12 and seq.canvas == (100, 80) and seq.num_frames == 3
    assert seq.meta["frame_files"] == ["a.jpg", "b.jpg", "c.jpg"]
    np.testing.assert_array_equal(seq.coords[:, 0, 0], [50.0, 0.0, 48.0])
    assert not seq.present[1]
    np.testing.assert_array_equal(seq.confidence[0], [1.0] * 5 + [0.0] + [1.0] * 11)
    assert any("several people" in r.message for r in caplog.records)


def test_coco_bad_keypoints_names_the_file(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"images": [{"id": 0}], "annotations": [
        {"id": 7, "image_id": 0, "category_id": 1, "keypoints": [1, 2, 2]}]}))  # fmt: skip
    with pytest.raises(PoseFormatError, match="b.json: annotation 7"):
        coco.load(path)


# --------------------------------------------------------------------------- CSV
@pytest.mark.parametrize("dims", [2, 3])
def test_csv_round_trip_is_exact(tmp_path, dims):
    seq = make_pose_sequence(OPENPOSE15, frames=4, dims=dims, seed=5)
    seq.coords[1, 2] = [1 / 3, 2 / 7, np.pi][:dims]  # floats that %f would round
    csvfmt.save(seq, tmp_path / "p.csv")
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "frame,joint,x,y,z,confidence"
    assert len(lines) == 1 + 4 * 15
    assert lines[1].startswith("0,Nose,") and lines[15].startswith("0,LAnkle,")
    z = lines[1].split(",")[4]
    assert (z == "") == (dims == 2)
    back = csvfmt.load(tmp_path / "p.csv", fps=seq.fps, canvas=seq.canvas)
    assert back.skeleton == OPENPOSE15
    _assert_same(back, seq)
    assert back.units == ("px" if dims == 2 else "units")


def test_csv_skeleton_from_names(tmp_path):
    sub = convert(make_pose_sequence(BODY25, frames=2), OPENPOSE15)
    keep = [OPENPOSE15.idx(n) for n in ("MidHip", "LHip", "LKnee", "LAnkle", "RHip")]
    part = PoseSequence(
        sub.coords[:, keep], sub.confidence[:, keep], OPENPOSE15.__class__(
            "part", tuple(OPENPOSE15.joints[k] for k in keep), (-1,) * 5), fps=25)  # fmt: skip
    csvfmt.save(part, tmp_path / "s.csv")
    back = csvfmt.load(tmp_path / "s.csv", fps=25)
    sk = back.skeleton
    assert sk.joints == ("MidHip", "LHip", "LKnee", "LAnkle", "RHip")
    assert [sk.joints[p] if p >= 0 else None for p in sk.parents] == [
        None, "MidHip", "LHip", "LKnee", "MidHip"]  # fmt: skip
    assert (sk.idx("LHip"), sk.idx("RHip")) in sk.symmetry
    (tmp_path / "u.csv").write_text(
        "frame,joint,x,y,z,confidence\n0,Hips,1,2,3,1\n0,Spine,1,3,3,1\n"
    )
    odd = csvfmt.load(tmp_path / "u.csv", fps=25)
    assert odd.skeleton.joints == ("Hips", "Spine") and odd.skeleton.parents == (-1, -1)
    assert odd.dims == 3 and odd.meta["up_assumed"] is True


@pytest.mark.parametrize(
    "text,match",
    [
        ("frame,joint,x\n0,Nose,1\n", "lacks y, confidence"),
        ("frame,joint,x,y,z,confidence\n0,Nose,1,abc,,1\n", "line 2: y 'abc'"),
        ("frame,joint,x,y,z,confidence\nzero,Nose,1,2,,1\n", "frame 'zero'"),
        ("frame,joint,x,y,z,confidence\n0,Nose,1,2,,7\n", "outside"),
        ("frame,joint,x,y,z,confidence\n", "no data rows"),
    ],
)
def test_csv_bad_content_names_file_and_line(tmp_path, text, match):
    (tmp_path / "b.csv").write_text(text)
    with pytest.raises(PoseFormatError, match=match) as e:
        csvfmt.load(tmp_path / "b.csv", fps=25)
    assert "b.csv" in str(e.value)


def test_load_file_passes_only_options_a_format_takes(tmp_path):
    seq = make_pose_sequence()
    save_file(seq, tmp_path / "n.npz", "native")
    save_file(seq, tmp_path / "c.csv", "csv")
    # the CLI passes every input option to every format; native/csv ignore max_side etc.
    assert load_file(tmp_path / "n.npz", fps=9, max_side=512, model_path="x").fps == seq.fps
    assert load_file(tmp_path / "c.csv", fps=9, max_side=512, canvas=(4, 3)).canvas == (4, 3)


# -------------------------------------------------------------------------- SMPL
# A tiny hand-checkable SMPL model: one vertex at each joint, J_regressor = identity, so the
# joints are the template's vertices; beta 0 scales the body by 1% per unit.
TEMPLATE = np.array([
    [0, 0.9, 0], [0.1, 0.85, 0], [-0.1, 0.85, 0], [0, 1.0, 0], [0.1, 0.5, 0], [-0.1, 0.5, 0],
    [0, 1.1, 0], [0.1, 0.1, 0], [-0.1, 0.1, 0], [0, 1.2, 0], [0.1, 0.0, 0.1], [-0.1, 0.0, 0.1],
    [0, 1.4, 0], [0.05, 1.35, 0], [-0.05, 1.35, 0], [0, 1.55, 0], [0.2, 1.35, 0],
    [-0.2, 1.35, 0], [0.45, 1.35, 0], [-0.45, 1.35, 0], [0.7, 1.35, 0], [-0.7, 1.35, 0],
    [0.78, 1.35, 0], [-0.78, 1.35, 0],
])  # fmt: skip


def fake_smpl_model(sparse: bool = False) -> dict:
    import scipy.sparse

    V = len(TEMPLATE)
    shapedirs = np.zeros((V, 3, 10))
    shapedirs[:, :, 0] = 0.01 * TEMPLATE
    kintree = np.array([[2**32 - 1, *smpl.SMPL_PARENTS[1:]], np.arange(24)], dtype=np.int64)
    jreg = np.eye(24)
    return {
        "v_template": TEMPLATE.copy(),
        "shapedirs": shapedirs,
        "posedirs": np.zeros((V, 3, 207)),
        "J_regressor": scipy.sparse.csc_matrix(jreg) if sparse else jreg,
        "weights": np.eye(24),
        "kintree_table": kintree,
        "f": np.array([[0, 1, 2], [3, 4, 5]]),
    }


def _amass(path, poses, trans, betas=None, **extra):
    np.savez(path, poses=poses, trans=trans, betas=np.zeros(16) if betas is None else betas,
             gender="male", mocap_framerate=120.0, **extra)  # fmt: skip


@pytest.fixture
def smpl_model_file(tmp_path):
    path = tmp_path / "SMPL_NEUTRAL.pkl"
    with open(path, "wb") as f:
        pickle.dump(fake_smpl_model(sparse=True), f)
    return path


def test_smpl_zero_pose_gives_template_plus_translation(tmp_path, smpl_model_file):
    trans = np.array([[0, 0, 0], [1.0, 2.0, 3.0]])
    _amass(tmp_path / "a.npz", np.zeros((2, 156)), trans)
    assert detect_format(tmp_path / "a.npz") == "smpl"
    seq = load_file(tmp_path / "a.npz", model_path=smpl_model_file)
    assert seq.skeleton.name == "smpl24" and seq.num_joints == 24 and seq.dims == 3
    np.testing.assert_allclose(seq.coords, TEMPLATE[None] + trans[:, None], atol=1e-12)
    assert seq.fps == 120.0 and seq.units == "m" and seq.up == "+z"
    assert (seq.confidence == 1).all()


def test_smpl_elbow_rotation_root_rotation_and_shape(tmp_path, smpl_model_file):
    poses = np.zeros((2, 72))
    poses[:, 18 * 3 : 18 * 3 + 3] = [0, 0, np.pi / 2]  # left elbow 90 deg about +z
    poses[1, 0:3] = [np.pi / 2, 0, 0]  # frame 1: the root turned 90 deg about +x as well
    betas = np.zeros(10)
    betas[0] = 10.0  # 10% taller everywhere
    np.savez(tmp_path / "p.npz", poses=poses, trans=np.zeros((2, 3)), betas=betas)
    seq = smpl.load(tmp_path / "p.npz", model_path=smpl_model_file, fps=50)
    assert seq.fps == 50 and seq.up == "+y" and seq.meta["up_assumed"] is True
    rest = TEMPLATE * 1.1
    elbow = rest[18]
    # forearm (0.25 m * 1.1 along +x) turns to +y: wrist straight above the elbow
    np.testing.assert_allclose(seq.joint("left_elbow")[0], elbow, atol=1e-12)
    np.testing.assert_allclose(seq.joint("left_wrist")[0], elbow + [0, 0.275, 0], atol=1e-12)
    np.testing.assert_allclose(seq.joint("left_hand")[0], elbow + [0, 0.33 * 1.1, 0], atol=1e-12)
    np.testing.assert_allclose(seq.joint("right_wrist")[0], rest[21], atol=1e-12)
    # the root rotation turns everything about the pelvis
    rx = Rotation.from_rotvec([np.pi / 2, 0, 0])
    np.testing.assert_allclose(
        seq.coords[1], rest[0] + rx.apply(seq.coords[0] - rest[0]), atol=1e-12
    )


def test_smpl_maps_to_the_vocabulary(tmp_path, smpl_model_file):
    _amass(tmp_path / "a.npz", np.zeros((1, 156)), np.zeros((1, 3)))
    seq = smpl.load(tmp_path / "a.npz", model_path=smpl_model_file)
    op = convert(seq, OPENPOSE15, strict=True)
    for ours, theirs in (("LShoulder", "left_shoulder"), ("RKnee", "right_knee"), ("Nose", "head")):
        np.testing.assert_array_equal(op.joint(ours), seq.joint(theirs))
    np.testing.assert_allclose(op.joint("Neck")[0], [0, 1.35, 0])  # shoulders' midpoint
    np.testing.assert_allclose(op.joint("MidHip")[0], [0, 0.85, 0])  # hips' midpoint


def test_smpl_model_folder_by_gender_and_npz_model(tmp_path):
    folder = tmp_path / "models"
    (folder / "smpl").mkdir(parents=True)
    np.savez(folder / "smpl" / "SMPL_MALE.npz", **fake_smpl_model())
    _amass(tmp_path / "a.npz", np.zeros((1, 72)), np.zeros((1, 3)))
    seq = smpl.load(tmp_path / "a.npz", model_path=folder)
    assert seq.meta["model_file"].endswith("SMPL_MALE.npz") and seq.meta["gender"] == "male"
    np.testing.assert_allclose(seq.coords[0], TEMPLATE, atol=1e-12)


def test_smpl_needs_model_files(tmp_path, smpl_model_file):
    _amass(tmp_path / "a.npz", np.zeros((1, 156)), np.zeros((1, 3)))
    with pytest.raises(
        ModelError, match=r"a.npz: SMPL parameters need model files: pass `model_path`"
    ):
        load_file(tmp_path / "a.npz")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no SMPLH model for gender 'male'"):
        smpl.load(tmp_path / "a.npz", model_path=tmp_path / "empty")
    with pytest.raises(ModelError, match="no such SMPL model file or folder"):
        smpl.load(tmp_path / "a.npz", model_path=tmp_path / "nowhere")
    np.savez(tmp_path / "shape.npz", betas=np.zeros(16), gender="male")
    with pytest.raises(PoseFormatError, match="no pose parameters"):
        smpl.load(tmp_path / "shape.npz", model_path=smpl_model_file)


def test_csv_cut_short_is_an_error(tmp_path):
    csvfmt.save(make_pose_sequence(OPENPOSE15, frames=3), tmp_path / "p.csv")
    lines = (tmp_path / "p.csv").read_text().splitlines()
    (tmp_path / "p.csv").write_text("\n".join(lines[:-4]) + "\n")  # whole rows missing
    with pytest.raises(PoseFormatError, match="last frame has 11 of 15 joints"):
        csvfmt.load(tmp_path / "p.csv", fps=25)
    (tmp_path / "p.csv").write_text("\n".join(lines[:-1]) + "\n2,LAnkle,3.5")  # a row cut
    with pytest.raises(PoseFormatError, match="line 46: the row does not have the header's 6"):
        csvfmt.load(tmp_path / "p.csv", fps=25)


def test_openpose_save_failing_midway_leaves_nothing(tmp_path, monkeypatch):
    seq = make_pose_sequence(BODY25, frames=5)
    calls = []

    def flaky(coords, conf, *_):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return {"version": 1.3, "people": []}

    monkeypatch.setattr(openpose, "frame_json", flaky)
    with pytest.raises(OSError, match="disk full"):
        openpose.save(seq, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_smpl_joints_match_smplx_full_lbs(tmp_path):
    import torch
    from smplx.lbs import lbs

    rng = np.random.default_rng(0)
    body, betas = rng.normal(0, 0.4, (5, 66)), rng.normal(0, 1, 10)
    m = fake_smpl_model()
    parents = torch.as_tensor(np.array(smpl.SMPL_PARENTS))
    full = torch.zeros(5, 72, dtype=torch.float64)
    full[:, :66] = torch.as_tensor(body)
    t = {k: torch.as_tensor(np.asarray(m[k], dtype=np.float64)) for k in m if k != "f"}
    _, ref = lbs(torch.as_tensor(betas)[None].expand(5, -1), full, t["v_template"], t["shapedirs"],
                 t["posedirs"].reshape(-1, 207).T, t["J_regressor"], parents, t["weights"])  # fmt: skip
    dense = {k: np.asarray(m[k], dtype=np.float64) for k in smpl._MODEL_KEYS}
    ours = smpl.joint_positions(dense, body, np.zeros((5, 3)), betas)
    np.testing.assert_allclose(ours, ref.numpy(), atol=1e-12)


def test_an_output_named_as_another_formats_file_is_refused_and_its_own_names_pass():
    from skeleton_io.errors import InvalidArgumentError
    from skeleton_io.io import check_output_suffix

    for path, fmt in [("p.npz", "native"), ("p", "native"), ("p.txt", "native"),
                      ("p.json", "dwpose"), ("p", "dwpose"), ("p", "openpose"),
                      ("p.json", "coco_wholebody"), ("P.CSV", "csv"), ("p.bvh", "bvh")]:  # fmt: skip
        check_output_suffix(path, fmt)
    for path, fmt, takes in [("p.json", "native", "(dwpose, coco, coco_wholebody)"),
                             ("p.npz", "coco", "(native)"), ("p.csv", "bvh", "(csv)"),
                             ("p.json", "openpose", "(dwpose, coco, coco_wholebody)")]:  # fmt: skip
        with pytest.raises(InvalidArgumentError) as err:
            check_output_suffix(path, fmt)
        assert str(err.value).startswith(f"{path}: `out_format` {fmt} is written as ")
        assert str(err.value).endswith(takes)
    # the library's own writer names its own parameter
    with pytest.raises(InvalidArgumentError, match="`format` native is written as a .npz file"):
        save_file(make_pose_sequence(frames=2), "p.json")
