import numpy as np
import pytest

from skeleton_io import (
    BLAZEPOSE33,
    BODY25,
    COCO17,
    OPENPOSE15,
    SKELETONS,
    PoseSequence,
    SkeletonMismatchError,
    convert,
    load_file,
    save_file,
)
from skeleton_io.skeleton import Skeleton

from .conftest import make_pose_sequence


def test_registry_has_the_promised_skeletons():
    assert set(SKELETONS) >= {"openpose15", "body25", "coco17", "blazepose33"}
    assert OPENPOSE15.joints == BODY25.joints[:15]
    assert OPENPOSE15.joints == (
        "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
        "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle",
    )  # fmt: skip
    assert COCO17.num_joints == 17 and BLAZEPOSE33.num_joints == 33


@pytest.mark.parametrize("sk", list(SKELETONS.values()), ids=list(SKELETONS))
def test_symmetry_pairs_are_left_right(sk: Skeleton):
    assert sk.symmetry, sk.name
    for left, right in sk.symmetry:
        assert sk.joints[left].startswith("L") and sk.joints[right] == "R" + sk.joints[left][1:]
        assert sk.side(left) == "left" and sk.side(right) == "right"


def test_skeleton_dict_round_trip():
    for sk in SKELETONS.values():
        assert Skeleton.from_dict(sk.to_dict()) == sk


@pytest.mark.parametrize(
    "coords,conf",
    [
        (np.zeros((4, 15)), np.ones((4, 15))),  # 2 dims missing
        (np.zeros((4, 14, 2)), np.ones((4, 14))),  # wrong joint count
        (np.zeros((4, 15, 4)), np.ones((4, 15))),  # 4 dims
        (np.zeros((4, 15, 2)), np.ones((4, 14))),  # confidence shape
        (np.zeros((4, 15, 2)), np.full((4, 15), 2.0)),  # confidence > 1
    ],
)
def test_validation_rejects_bad_shapes(coords, conf):
    with pytest.raises(SkeletonMismatchError):
        PoseSequence(coords, conf, OPENPOSE15)


def test_nan_coords_become_missing():
    c = np.ones((2, 15, 2))
    c[1, 3] = np.nan
    s = PoseSequence(c, np.ones((2, 15)), OPENPOSE15)
    assert s.confidence[1, 3] == 0 and s.coords[1, 3].tolist() == [0, 0]


def test_slicing_keeps_metadata():
    s = make_pose_sequence(frames=10)
    t = s[2:5]
    assert t.num_frames == 3 and t.fps == s.fps and t.canvas == s.canvas
    np.testing.assert_array_equal(t.coords, s.coords[2:5])
    assert s[3].num_frames == 1 and s[-1].num_frames == 1


def test_native_round_trip_is_lossless(tmp_path):
    s = make_pose_sequence(BODY25, frames=6, dims=3)
    s.meta["note"] = "x"
    save_file(s, tmp_path / "a.npz")
    t = load_file(tmp_path / "a.npz")
    np.testing.assert_array_equal(t.coords, s.coords)
    np.testing.assert_array_equal(t.confidence, s.confidence)
    assert t.skeleton == s.skeleton and t.fps == s.fps and t.canvas == s.canvas
    assert t.meta["note"] == "x" and t.units == s.units


def test_convert_by_name_and_derived_joints():
    coco = make_pose_sequence(COCO17, frames=3)
    op = convert(coco, "openpose15")
    i = COCO17.index
    np.testing.assert_allclose(op.joint("LWrist"), coco.coords[:, i["LWrist"]])
    mid = (coco.coords[:, i["LHip"]] + coco.coords[:, i["RHip"]]) / 2
    np.testing.assert_allclose(op.joint("MidHip"), mid)
    np.testing.assert_allclose(
        op.confidence[:, OPENPOSE15.idx("Neck")],
        np.minimum(coco.confidence[:, i["LShoulder"]], coco.confidence[:, i["RShoulder"]]),
    )
    back = convert(op, "coco17")
    for name in ("LWrist", "RAnkle", "Nose"):
        np.testing.assert_allclose(back.joint(name), coco.joint(name))
    assert back.confidence[:, COCO17.idx("LEye")].max() == 0  # not in openpose15


def test_mirror_swaps_left_and_right():
    s = make_pose_sequence(frames=2)
    m = s.mirrored()
    w = s.canvas[0]
    np.testing.assert_allclose(m.joint("LWrist")[:, 0], w - s.joint("RWrist")[:, 0])
    np.testing.assert_allclose(m.joint("LWrist")[:, 1], s.joint("RWrist")[:, 1])
