"""Render quality: the cross-identity measures of :mod:`retarget.render.quality` on data with
known answers, and the reference backend's cut (crotch to the thighs, head above the
shoulders, hands by their landmarks and colour) on synthetic people."""

from __future__ import annotations

import numpy as np
import pytest

from retarget.render import SourceAppearance
from retarget.render import quality as q
from retarget.render.parts import PART_INDEX, cut_parts, part_shapes
from retarget.render.prepare import hand_areas, prepare_source
from retarget.render.reference import PartWarpRenderer
from skeleton_io import OPENPOSE15, PoseSequence
from skeleton_io.skeleton import BLAZEPOSE33

from .test_render import COLOURS, STAND, J, colour_pixels, draw_person, joints_of, pose_seq

cv2 = pytest.importorskip("cv2")


def stand_seq(frames: int = 5) -> tuple[np.ndarray, np.ndarray]:
    coords = np.repeat(joints_of(STAND)[None], frames, 0)
    return coords, np.ones(coords.shape[:2])


# ------------------------------------------------------------------ measures
def test_angle_difference_wraps():
    assert q.angle_difference(np.array(170.0), np.array(-170.0)) == pytest.approx(20.0)
    assert q.angle_difference(np.array(10.0), np.array(10.0)) == 0.0


def test_bone_angle_error_one_bone_turned():
    c, v = stand_seq()
    turned = c.copy()
    # The right forearm turned by 30 degrees about the elbow in every frame.
    e, w = turned[:, J["RElbow"]], turned[:, J["RWrist"]] - turned[:, J["RElbow"]]
    a = np.radians(30)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    turned[:, J["RWrist"]] = e + w @ rot.T
    mean, per = q.bone_angle_error((turned, v), (c, v))
    assert len(q.BONES) == 14
    assert mean == pytest.approx(30.0 / 14)
    assert np.allclose(per, 30.0 / 14)
    # A bone whose end is not found is left out: the error is then 0.
    v2 = v.copy()
    v2[:, J["RWrist"]] = 0.1
    assert q.bone_angle_error((turned, v2), (c, v))[0] == pytest.approx(0.0)


def test_missing_share():
    want = np.ones((2, 15))
    got = np.ones((2, 15))
    got[0, :3] = 0.0
    want[1, 5] = 0.0
    got[1, 5] = 0.0  # not wanted: not missing
    assert q.missing_share(got, want) == pytest.approx(3 / 29)


def test_jitter_zero_for_steady_motion_and_size_free():
    c, v = stand_seq(10)
    moving = c + np.arange(10)[:, None, None] * np.array([2.0, 1.0])  # constant velocity
    assert q.jitter(moving, v) == pytest.approx(0.0, abs=1e-12)
    rng = np.random.default_rng(0)
    shaky = c + rng.normal(0, 1.0, c.shape)
    big = shaky * 2.0  # the same shake on a person twice the size
    assert q.jitter(shaky, v) > 0
    assert q.jitter(big, v) == pytest.approx(q.jitter(shaky, v))
    spine = np.linalg.norm(c[0, J["Neck"]] - c[0, J["MidHip"]])
    assert q.spine_length(c, v) == pytest.approx(spine)


def test_joint_jitter_finds_the_shaking_joint():
    c, v = stand_seq(10)
    shaky = c.copy()
    w = J["RWrist"]
    shaky[:, w, 0] += np.where(np.arange(10) % 2, 1.0, -1.0)  # zigzag: |accel| = 4 px
    spine = np.linalg.norm(c[0, J["Neck"]] - c[0, J["MidHip"]])
    got = q.joint_jitter(shaky, v)
    assert got[w] == pytest.approx(4.0 / spine)
    assert np.delete(got, w) == pytest.approx(0.0, abs=1e-12)
    # The found-weighted mean is the overall jitter; a keypoint never found is NaN.
    assert got.mean() == pytest.approx(q.jitter(shaky, v))
    v2 = v.copy()
    v2[:, J["LAnkle"]] = 0.0
    assert np.isnan(q.joint_jitter(shaky, v2)[J["LAnkle"]])
    v2[:, J["Neck"]] = 0.0  # no spine, no size
    assert np.isnan(q.joint_jitter(shaky, v2)).all()


def test_colour_histograms():
    red = np.zeros((20, 20, 3), np.uint8)
    red[..., 0] = 220
    blue = np.zeros_like(red)
    blue[..., 2] = 220
    all_ = np.ones((20, 20), bool)
    hr, hb = q.colour_histogram(red, all_), q.colour_histogram(blue, all_)
    assert hr.sum() == pytest.approx(1.0)
    assert q.histogram_distance(hr, hr) == pytest.approx(0.0, abs=1e-6)
    assert q.histogram_distance(hr, hb) == pytest.approx(1.0)
    assert q.colour_histogram(red, np.zeros((20, 20), bool)) is None


def test_background_error_and_masks():
    scene = np.full((30, 30, 3), 100, np.uint8)
    frame = scene.copy()
    frame[:, :15] += 51  # 0.2 in [0, 1] on the left half
    region = np.zeros((30, 30), bool)
    region[:, 10:20] = True
    assert q.background_error(frame, scene, region) == pytest.approx(0.1)
    assert np.isnan(q.background_error(frame, scene, np.zeros_like(region)))
    m = np.zeros((30, 30), np.float32)
    m[10:20, 10:20] = 1
    assert q.grown(m, 2).sum() > 100 > q.inner(m, 2).sum() > 0


# --------------------------------------------------------------------- the cut
def test_cut_crotch_goes_to_thighs_and_head_stays_above_shoulders():
    # The crotch: between the thighs (a thigh's thickness or so from each bone), below the
    # hip line, where the spine's round end reaches too.
    joints = joints_of({**STAND, "RHip": (91, 140), "LHip": (109, 140)})
    img, mask = draw_person(joints)
    src = SourceAppearance(img, pose_seq(joints), mask)
    prep = prepare_source(src)
    lab = prep.labels
    hip = joints[J["MidHip"]].astype(int)
    below = lab[hip[1] + 10, hip[0]]
    assert below in (PART_INDEX["r_thigh"], PART_INDEX["l_thigh"])
    assert lab[hip[1] - 8, hip[0]] == PART_INDEX["torso"]
    neck = joints[J["Neck"]].astype(int)
    assert lab[neck[1] + 3, neck[0]] == PART_INDEX["torso"]  # under the shoulder line
    assert lab[neck[1] - 8, neck[0]] == PART_INDEX["head"]


def test_cut_without_legs_keeps_lower_body_on_torso():
    joints = joints_of(STAND)
    img, mask = draw_person(joints)
    shapes = part_shapes(joints, np.full(len(PART_INDEX), 10.0))
    usable = np.zeros(len(PART_INDEX), bool)
    usable[[PART_INDEX["torso"], PART_INDEX["head"]]] = True
    lab = cut_parts(mask, shapes, usable)
    ankle = joints[J["RAnkle"]].astype(int)
    assert lab[ankle[1] - 5, ankle[0]] == PART_INDEX["torso"]  # nothing else to take it


def test_cut_claims_override():
    joints = joints_of(STAND)
    _, mask = draw_person(joints)
    shapes = part_shapes(joints, np.full(len(PART_INDEX), 10.0))
    usable = np.ones(len(PART_INDEX), bool)
    area = np.zeros(mask.shape, bool)
    area[100:110, 95:105] = True  # on the belly
    lab = cut_parts(mask, shapes, usable, claims={PART_INDEX["r_forearm"]: area})
    assert (lab[100:110, 95:105] == PART_INDEX["r_forearm"]).all()
    usable[PART_INDEX["r_forearm"]] = False
    lab = cut_parts(mask, shapes, usable, claims={PART_INDEX["r_forearm"]: area})
    assert (lab[100:110, 95:105] == PART_INDEX["torso"]).all()


HAND_DOWN = {
    **STAND,
    "RElbow": (76, 112), "RWrist": (80, 152), "LElbow": (124, 112), "LWrist": (120, 152),
}  # fmt: skip
SKIN = (250, 140, 220)


def hand_pose(joints: np.ndarray, hands: dict[str, np.ndarray]) -> PoseSequence:
    """A one-frame blazepose33 pose: the openpose15 joints it has, plus hand landmarks."""
    coords = np.zeros((1, 33, 2))
    conf = np.zeros((1, 33))
    for name in OPENPOSE15.joints:
        if name in BLAZEPOSE33.joints:
            coords[0, BLAZEPOSE33.idx(name)] = joints[J[name]]
            conf[0, BLAZEPOSE33.idx(name)] = 1.0
    for name, xy in hands.items():
        coords[0, BLAZEPOSE33.idx(name)] = xy
        conf[0, BLAZEPOSE33.idx(name)] = 1.0
    return PoseSequence(coords, conf, BLAZEPOSE33, canvas=(200, 240))


def hand_on_thigh() -> tuple[SourceAppearance, np.ndarray]:
    """Arms down, the right hand (skin, a disc) resting on the right thigh."""
    joints = joints_of(HAND_DOWN)
    img, mask = draw_person(joints)
    centre = (81, 161)
    cv2.circle(img, centre, 7, SKIN, -1)
    m = (mask * 255).astype(np.uint8)
    cv2.circle(m, centre, 7, 255, -1)
    w = joints[J["RWrist"]]
    hands = {"RPinky": w + (6, 10), "RIndex": w + (-2, 12), "RThumb": w + (-4, 6)}
    pose = hand_pose(joints, hands)
    return SourceAppearance(img, pose, m.astype(np.float32) / 255.0), joints


def test_hand_area_takes_skin_not_trousers():
    src, _ = hand_on_thigh()
    areas = hand_areas(src.pose, src.image, src.mask, 4.0)
    assert set(areas) == {PART_INDEX["r_forearm"]}  # the left hand has no landmarks
    area = areas[PART_INDEX["r_forearm"]]
    skin = colour_pixels(src.image, SKIN, 10)
    assert area[skin].mean() > 0.9
    thigh = colour_pixels(src.image, COLOURS["r_thigh"], 10)
    assert not (area & thigh).any()
    # An openpose15 pose has no hand landmarks: no areas.
    assert hand_areas(pose_seq(joints_of(HAND_DOWN)), src.image, src.mask, 4.0) == {}


def test_hand_leaves_the_thigh_when_the_arm_rises():
    src, joints = hand_on_thigh()
    up = joints.copy()
    up[J["RElbow"]] = (52, 74)
    up[J["RWrist"]] = (26, 76)
    frame = next(PartWarpRenderer().render(src, pose_seq(up)))
    # Where the hand rested, the thigh is drawn again (filled from its own colours).
    patch = frame[157:165, 82:87]
    assert colour_pixels(patch, SKIN, 30).mean() < 0.1
    assert colour_pixels(patch, COLOURS["r_thigh"], 40).mean() > 0.6
    # The hand went with the arm: skin near the raised wrist.
    wx, wy = up[J["RWrist"]].astype(int)
    near = frame[wy - 12 : wy + 12, max(wx - 12, 0) : wx + 12]
    assert colour_pixels(near, SKIN, 30).any()
