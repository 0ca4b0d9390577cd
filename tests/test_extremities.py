"""Hands, face and feet carried through retargeting (retarget/retargeters/extremities.py):
known answers on synthetic whole-body sequences."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from retarget.builtin import builtin_motion, project_to_canvas
from retarget.retargeters import make_baseline
from retarget.retargeters.extremities import (
    PARTS,
    carry_extremities,
    has_extremities,
    part_size,
    with_extremities,
)
from skeleton_io import OPENPOSE15, OPENPOSE_WHOLEBODY, convert
from skeleton_io.pose import PoseSequence
from skeleton_io.wholebody import FACE70, LEFT_HAND, RIGHT_HAND

HAND = np.array(
    [[0.0, 0.0]]
    + [
        [np.cos(a) * r, np.sin(a) * r]
        for a in np.radians([60, 75, 90, 105, 120])
        for r in (4, 7, 9, 11)
    ]
)
"""A hand of known shape (21 points, px at size 1): a fan of fingers pointing down (+y)."""
FACE = np.stack(
    [
        np.cos(np.linspace(0, 2 * np.pi, 70, endpoint=False)),
        np.sin(np.linspace(0, 2 * np.pi, 70, endpoint=False)),
    ],
    axis=1,
)
"""70 face points on a unit circle around the nose."""


def wholebody_dance(
    body: str = "average", frames: int = 40, size: float = 1.0, yaw: float = 0.0,
    hands: bool = True, face: bool = True,
) -> PoseSequence:  # fmt: skip
    """The built-in dance on ``openpose_wholebody`` with a hand of shape :data:`HAND` at each
    wrist (times ``size``) and a face of :data:`FACE` (radius ``6 * size`` px) at the nose."""
    seq = convert(
        project_to_canvas(builtin_motion(body, frames=frames), yaw=yaw), OPENPOSE_WHOLEBODY
    )
    coords, conf = seq.coords.copy(), seq.confidence.copy()
    sk = OPENPOSE_WHOLEBODY
    for names, wrist in ((LEFT_HAND, "LWrist"), (RIGHT_HAND, "RWrist")):
        if hands:
            idx = [sk.idx(n) for n in names]
            coords[:, idx] = coords[:, [sk.idx(wrist)]] + size * HAND
            conf[:, idx] = 0.9
    if face:
        idx = [sk.idx(n) for n in FACE70]
        coords[:, idx] = coords[:, [sk.idx("Nose")]] + 6 * size * FACE
        conf[:, idx] = 0.8
    return seq.with_coords(coords, conf)


def _close(actual: np.ndarray, desired: np.ndarray, atol: float = 1e-9) -> None:
    np.testing.assert_allclose(actual, np.broadcast_to(desired, actual.shape), atol=atol)


def _offsets(seq: PoseSequence, names, parent: str) -> np.ndarray:
    sk = seq.skeleton
    return seq.coords[:, [sk.idx(n) for n in names]] - seq.coords[:, [sk.idx(parent)]]


def test_a_hand_of_known_shape_on_a_body_scaled_by_two_comes_out_scaled_by_two():
    motion = wholebody_dance()
    structure = motion.with_coords(motion.coords * 2.0)
    body = make_baseline("limb")(motion, structure)
    out = carry_extremities(motion, structure, body)
    assert out.skeleton == OPENPOSE_WHOLEBODY
    for names, wrist in ((LEFT_HAND, "LWrist"), (RIGHT_HAND, "RWrist")):
        _close(_offsets(out, names, wrist), 2.0 * HAND)
    _close(_offsets(out, FACE70, "Nose"), 12.0 * FACE)
    assert out.meta["extremities"]["hand"] == {"scale": 2.0, "measured_on": "hand"}


def test_body_joints_are_the_retargeters_unchanged():
    motion = wholebody_dance()
    structure = wholebody_dance("small", size=0.7)
    body = make_baseline("limb")(motion, structure)
    out = carry_extremities(motion, structure, body)
    back = convert(out, OPENPOSE15)
    np.testing.assert_array_equal(back.coords, body.coords)
    np.testing.assert_array_equal(back.confidence, body.confidence)


@pytest.mark.parametrize("structure_size", [0.5, 1.7])
def test_distances_to_the_parent_joint_scale_with_the_structures_part(structure_size):
    motion = wholebody_dance(size=1.0)
    structure = wholebody_dance("tall", size=structure_size, yaw=-30)
    body = make_baseline("limb")(motion, structure)
    out = carry_extremities(motion, structure, body)
    for names, parent in ((LEFT_HAND, "LWrist"), (FACE70, "Nose")):
        d_in = np.linalg.norm(_offsets(motion, names, parent), axis=-1)
        d_out = np.linalg.norm(_offsets(out, names, parent), axis=-1)
        ok = d_in > 0
        np.testing.assert_allclose(d_out[ok] / d_in[ok], structure_size, rtol=0.10)


def test_hidden_hands_are_scaled_by_the_forearm_with_a_warning(caplog):
    motion = wholebody_dance()
    structure = wholebody_dance(hands=False).with_coords(wholebody_dance(hands=False).coords * 1.5)
    structure.meta["source_path"] = "photo.jpg"
    body = make_baseline("limb")(motion, structure)
    with caplog.at_level(logging.WARNING):
        out = carry_extremities(motion, structure, body)
    assert "photo.jpg: no hands seen" in caplog.text and "forearm" in caplog.text
    assert out.meta["extremities"]["hand"]["measured_on"] == "forearm"
    _close(_offsets(out, LEFT_HAND, "LWrist"), 1.5 * HAND, atol=1e-6)


def test_a_yaw_turn_foreshortens_the_card_horizontally():
    # a forearm hanging straight down keeps its 2D direction under a yaw turn: the hand's
    # horizontal offsets are multiplied by cos(yaw), its vertical ones kept
    motion = wholebody_dance(frames=3)
    sk = OPENPOSE_WHOLEBODY
    coords = motion.coords.copy()
    coords[:, sk.idx("LElbow")] = coords[:, sk.idx("LWrist")] - [0.0, 50.0]
    motion = motion.with_coords(coords)
    body = make_baseline("copy")(motion, motion)
    body.meta["view_yaw"] = 60.0
    out = carry_extremities(motion, motion, body)
    _close(_offsets(out, LEFT_HAND, "LWrist"), HAND * [0.5, 1.0])


def test_a_hand_turns_with_its_forearm():
    motion = wholebody_dance(frames=3)
    body = make_baseline("copy")(motion, motion)
    # the result's left forearm turned by 90 degrees about the wrist's parent (the elbow)
    j = body.skeleton.idx
    v = body.coords[:, j("LWrist")] - body.coords[:, j("LElbow")]
    coords = body.coords.copy()
    coords[:, j("LWrist")] = body.coords[:, j("LElbow")] + np.stack([-v[:, 1], v[:, 0]], -1)
    out = carry_extremities(motion, motion, body.with_coords(coords))
    rot = _offsets(out, LEFT_HAND, "LWrist")
    _close(rot, np.stack([-HAND[:, 1], HAND[:, 0]], -1))


def test_the_face_is_hidden_where_the_result_faces_away():
    motion = wholebody_dance(frames=4)
    body = make_baseline("copy")(motion, motion)
    mirrored = body.with_coords(2 * body.coords[:, :1].mean() - body.coords)  # shoulders swap
    mirrored.coords[:, :, 1] = body.coords[:, :, 1]
    out = carry_extremities(motion, motion, mirrored)
    sk = OPENPOSE_WHOLEBODY
    assert not out.confidence[:, [sk.idx(n) for n in FACE70]].any()
    assert out.confidence[:, [sk.idx(n) for n in LEFT_HAND]].all()


def test_a_body_only_motion_keeps_the_body_result():
    motion = project_to_canvas(builtin_motion("average", frames=10))
    body = make_baseline("limb")(motion, motion)
    assert not has_extremities(motion)
    assert with_extremities(motion, motion, body) is body


def test_missing_parts_and_parent_joints_stay_missing():
    motion = wholebody_dance(frames=5)
    sk = OPENPOSE_WHOLEBODY
    motion.confidence[2, sk.idx("LWrist")] = 0.0
    motion.confidence[3, [sk.idx(n) for n in RIGHT_HAND]] = 0.0
    body = make_baseline("copy")(motion, motion)
    out = carry_extremities(motion, motion, body)
    assert not out.confidence[2, [sk.idx(n) for n in LEFT_HAND]].any()
    assert not out.confidence[3, [sk.idx(n) for n in RIGHT_HAND]].any()
    assert out.confidence[4, [sk.idx(n) for n in RIGHT_HAND]].all()
    assert not out.coords[out.confidence == 0].any()


def test_part_sizes_known_answers():
    seq = wholebody_dance(frames=5, size=2.0)
    mcp = np.mean([np.linalg.norm(HAND[k]) for k in (5, 9, 13, 17)])
    assert part_size(seq, "hand") == pytest.approx(2.0 * mcp)
    assert np.isnan(part_size(wholebody_dance(hands=False), "hand"))
    assert {p.name for p in PARTS} == {"left_hand", "right_hand", "head", "left_foot", "right_foot"}


def test_transfer_carries_hands_and_face_at_the_structures_size():
    import retarget

    motion = wholebody_dance(frames=48)
    structure = wholebody_dance("small", frames=48, size=0.6, yaw=-20)
    out = retarget.transfer(motion, structure, denoise=False)
    body = retarget.transfer(motion, structure, denoise=False, extremities=False)
    assert out.skeleton == OPENPOSE_WHOLEBODY and body.skeleton == OPENPOSE15
    np.testing.assert_array_equal(convert(out, OPENPOSE15).coords, body.coords)
    d_in = np.linalg.norm(_offsets(motion, LEFT_HAND, "LWrist"), axis=-1)[:, 1:]
    d_out = np.linalg.norm(_offsets(out, LEFT_HAND, "LWrist"), axis=-1)[:, 1:]
    np.testing.assert_allclose(d_out / d_in, 0.6, rtol=0.10)
    turned = retarget.transfer(motion, structure, view=90.0, denoise=False)
    off = _offsets(turned, LEFT_HAND, "LWrist")
    assert np.isfinite(off).all() and np.abs(off).max() < 12 * 0.6 * 1.01
