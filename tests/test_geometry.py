"""The camera convention and geometry (numpy and torch), on skeletons with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from retarget import geometry as G
from retarget import geometry_torch as GT
from retarget.builtin import BODY_TYPES, builtin_motion
from skeleton_io import OPENPOSE15, PoseSequence
from skeleton_io.errors import InvalidArgumentError, SkeletonMismatchError

J = G.J


def tpose(lengths: dict[str, float] | None = None) -> np.ndarray:
    """(1, 15, 3) a T-pose in the camera frame facing the camera: every bone in the image
    plane (z = 0), the performer's left on +x, up = -y, MidHip at the origin."""
    b = {
        "spine": 50,
        "head": 20,
        "shoulder": 18,
        "upper_arm": 30,
        "forearm": 25,
        "hip": 10,
        "thigh": 45,
        "shin": 42,
    }
    b.update(lengths or {})
    p = {"MidHip": (0, 0, 0), "Neck": (0, -b["spine"], 0)}
    p["Nose"] = (0, -b["spine"] - b["head"], 0)
    for side, s in (("L", 1), ("R", -1)):
        sh = s * b["shoulder"]
        p[side + "Shoulder"] = (sh, -b["spine"], 0)
        p[side + "Elbow"] = (sh + s * b["upper_arm"], -b["spine"], 0)
        p[side + "Wrist"] = (sh + s * (b["upper_arm"] + b["forearm"]), -b["spine"], 0)
        p[side + "Hip"] = (s * b["hip"], 0, 0)
        p[side + "Knee"] = (s * b["hip"], b["thigh"], 0)
        p[side + "Ankle"] = (s * b["hip"], b["thigh"] + b["shin"], 0)
    return np.array([[p[n] for n in OPENPOSE15.joints]], dtype=float)


# ----------------------------------------------------------------------------- frames
def test_bvh_to_camera_frame_is_x_minus_y_minus_z():
    pts = np.array([[1.0, 2.0, 3.0], [-4.0, 5.0, -6.0]])
    np.testing.assert_allclose(G.to_camera_frame(pts), [[1, -2, -3], [-4, -5, 6]])
    np.testing.assert_allclose(G.from_camera_frame(G.to_camera_frame(pts)), pts)


@pytest.mark.parametrize("up,facing", [("+y", "+z"), ("+z", "-y"), ("-y", "+x"), ("+x", "+z")])
def test_camera_basis_maps_up_and_facing(up, facing):
    m = G.camera_basis(up, facing)
    assert np.isclose(np.linalg.det(m), 1.0)  # a proper rotation
    np.testing.assert_allclose(m @ G._axis(up), [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(m @ G._axis(facing), [0, 0, -1], atol=1e-12)


def test_camera_basis_rejects_bad_axes():
    with pytest.raises(InvalidArgumentError):
        G.camera_basis("+y", "-y")
    with pytest.raises(InvalidArgumentError):
        G.camera_basis("up", "+z")


def test_bvh_character_facing_plus_z_faces_the_camera_with_its_left_on_the_right():
    # A Y-up file character facing +z: its left hip at +x, nose up.
    world = G.from_camera_frame(tpose())
    cam = G.to_camera_frame(world)
    assert G.facing_yaw(cam)[0] == pytest.approx(0.0, abs=1e-9)
    assert cam[0, J["LShoulder"], 0] > cam[0, J["RShoulder"], 0]


# ----------------------------------------------------------------------------- angles
def test_yaw_sign_turns_the_performer_to_its_own_left():
    body = tpose()
    assert G.facing(body)[0] == pytest.approx([0, 0, -1])  # facing the camera
    turned = G.rotate(body, 90.0)
    # +90: it faces the image's right (+x), seen in profile; its left side is now away (+z).
    np.testing.assert_allclose(G.facing(turned)[0], [1, 0, 0], atol=1e-12)
    assert G.facing_yaw(turned)[0] == pytest.approx(90.0)
    assert turned[0, J["LShoulder"], 2] > turned[0, J["RShoulder"], 2]
    # the builtin dancer (its own construction, not ours) faces the camera at yaw 0 as well
    dancer = builtin_motion("average", frames=10).coords
    assert abs(G.mean_facing_yaw(dancer)) < 15
    assert G.mean_facing_yaw(G.rotate(dancer, 40.0)) == pytest.approx(
        G.mean_facing_yaw(dancer) + 40.0
    )


def test_roll_and_pitch_signs():
    np.testing.assert_allclose(
        G.rotate(np.array([1.0, 0, 0]), 0.0, roll=90.0), [0, 1, 0], atol=1e-12
    )
    np.testing.assert_allclose(
        G.rotate(np.array([0.0, -1, 0]), 0.0, pitch=90.0), [0, 0, -1], atol=1e-12
    )


def test_rotation_order_is_roll_pitch_yaw():
    p = np.random.default_rng(0).normal(size=(7, 3))
    step = G.rotate(G.rotate(G.rotate(p, 30.0), 0.0, pitch=20.0), 0.0, roll=-15.0)
    np.testing.assert_allclose(G.rotate(p, 30.0, roll=-15.0, pitch=20.0), step, atol=1e-12)


def test_batched_rotation_and_center():
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(3, 5, 15, 3))
    yaw, roll = np.array([10.0, -70.0, 200.0]), np.array([0.0, 5.0, -3.0])
    center = rng.normal(size=(3, 3))
    out = G.rotate(pts, yaw, roll, center=center)
    for b in range(3):
        np.testing.assert_allclose(
            out[b], G.rotate(pts[b], yaw[b], roll[b], center=center[b]), atol=1e-12
        )
    np.testing.assert_allclose(G.rotate(center[0], 33.0, 4.0, center=center[0]), center[0])
    with pytest.raises(InvalidArgumentError):
        G.rotate(pts[:2], yaw)


def test_project_scale_and_offset():
    pts = np.array([[[1.0, 2.0, 9.0]]])
    np.testing.assert_allclose(G.project(pts, 2.0, (10, 20)), [[[12, 24]]])


# ----------------------------------------------------------------------------- torch twins
def test_torch_rotation_equals_numpy():
    rng = np.random.default_rng(2)
    yaw, roll, pitch = (rng.uniform(-180, 180, 6) for _ in range(3))
    np.testing.assert_allclose(
        GT.view_matrix(torch.tensor(yaw), torch.tensor(roll), torch.tensor(pitch)).numpy(),
        G.rotation_matrix(yaw, roll, pitch),
        atol=1e-12,
    )
    pts = rng.normal(size=(6, 4, 15, 3))
    center = rng.normal(size=(6, 3))
    got = GT.rotate(
        torch.tensor(pts),
        torch.tensor(yaw),
        torch.tensor(roll),
        torch.tensor(pitch),
        torch.tensor(center),
    )
    np.testing.assert_allclose(got.numpy(), G.rotate(pts, yaw, roll, pitch, center), atol=1e-12)
    np.testing.assert_allclose(GT.project(torch.tensor(pts), 2.0).numpy(), G.project(pts, 2.0))
    # scalar angles, float32, gradients flow
    p32 = torch.tensor(pts[0], dtype=torch.float32, requires_grad=True)
    out = GT.rotate(p32, 45.0)
    assert out.dtype == torch.float32
    out.sum().backward()
    assert p32.grad is not None


def test_localize_globalize_roundtrip_numpy_and_torch():
    x = builtin_motion("tall", frames=12).coords
    loc = G.localize(x)
    assert np.allclose(loc[:, G.HIP][0], 0)
    np.testing.assert_allclose(loc[1:, G.HIP], np.diff(x[:, G.HIP], axis=0))
    np.testing.assert_allclose(G.globalize(loc, x[0, G.HIP]), x, atol=1e-9)
    np.testing.assert_allclose(GT.localize(torch.tensor(x)).numpy(), loc, atol=1e-12)
    np.testing.assert_allclose(
        GT.globalize(torch.tensor(loc), torch.tensor(x[0, G.HIP])).numpy(), x, atol=1e-9
    )
    np.testing.assert_allclose(G.fix_hip(x)[:, G.HIP], 0)


# ----------------------------------------------------------------------------- measures
def test_bone_lengths_and_height_of_a_known_skeleton():
    body = tpose({"thigh": 44, "shin": 41, "spine": 52, "head": 21})
    assert G.body_height(body) == pytest.approx(44 + 41 + 52 + 21)
    lengths = G.bone_lengths(body, 50)
    assert lengths[G.BONES.index((J["RShoulder"], J["RElbow"]))] == pytest.approx(30)
    # 2D: projected lengths are foreshortened except in the frames seen flat
    turned = np.concatenate([body, G.rotate(np.repeat(body, 9, axis=0), np.linspace(10, 80, 9))])
    assert G.body_height(turned[..., :2], percentile=100) == pytest.approx(158)
    # missing joints: NaN per frame, ignored by the robust statistic
    seq = PoseSequence(np.repeat(body, 3, axis=0), np.ones((3, 15)), OPENPOSE15, units="cm")
    seq.confidence[0, J["RKnee"]] = 0
    per_frame = G.bone_lengths(seq)
    assert np.isnan(per_frame[0, G.BONES.index((J["RHip"], J["RKnee"]))])
    assert G.body_height(seq) == pytest.approx(158)
    assert G.leg_length(lengths) == pytest.approx(85)


def test_body_height_of_builtin_types():
    for name in ("average", "small"):
        b = BODY_TYPES[name]
        assert G.body_height(builtin_motion(name, frames=5).coords) == pytest.approx(
            b.height, rel=1e-6
        )


def test_measures_reject_other_skeletons():
    with pytest.raises(SkeletonMismatchError):
        G.body_height(np.zeros((2, 25, 3)))


def test_canonicalize_faces_the_camera():
    body = np.repeat(tpose(), 4, axis=0)
    turned = G.rotate(body, 123.0, center=body[0, G.HIP])
    back, yaw = G.canonicalize(turned)
    assert yaw == pytest.approx(123.0)
    np.testing.assert_allclose(back, body, atol=1e-9)
