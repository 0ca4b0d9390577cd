"""Rendering fidelity: thin-plate warps, the clean plate from video frames, the head's roll
from the face, keeping the person in view, skirts, and borrowed limbs — known answers on
synthetic images and poses (no media, no mediapipe)."""

from __future__ import annotations

import numpy as np
import pytest

from retarget.pipeline.scene import SceneSampler
from retarget.pipeline.video import carry_face, keep_in_view, place_on_source
from retarget.render import SourceAppearance
from retarget.render.background import plate_from_frames
from retarget.render.crossing import crossed_limbs
from retarget.render.parts import (
    PART_INDEX,
    PARTS,
    body_area,
    cut_parts,
    head_roll,
    head_turns,
    measure_radii,
    part_shapes,
    skirt_area,
)
from retarget.render.prepare import prepare_source
from retarget.render.reference import PartWarpRenderer
from retarget.render.warp import AffineMap, fit_tps, grid_map
from skeleton_io import BLAZEPOSE33, BODY25, OPENPOSE15, PoseSequence
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.video_io import VideoFrame

from .test_render import (  # noqa: F401
    SIZE,
    STAND,
    background,
    draw_person,
    fake_pose,
    joints_of,
    make_source,
    pose_seq,
)

cv2 = pytest.importorskip("cv2")
J = {n: i for i, n in enumerate(OPENPOSE15.joints)}


def checkerboard(w: int = 120, h: int = 100, cell: int = 10) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    board = (((x // cell) + (y // cell)) % 2 * 200 + 30).astype(np.uint8)
    return np.dstack([board, np.roll(board, 3, axis=1), 255 - board])


# --------------------------------------------------------------------- thin plates
def test_tps_through_affine_points_is_that_affine():
    """Points moved by one affine map: the spline is that map, at and between the points."""
    a = np.array([[0.9, -0.3, 12.0], [0.25, 1.1, -7.0]])
    src = np.array([[10, 10], [90, 15], [50, 80], [20, 60], [70, 45]], float)
    dst = src @ a[:, :2].T + a[:, 2]
    tps = fit_tps(src, dst)
    x, y = np.meshgrid(np.linspace(0, 100, 7), np.linspace(0, 90, 5))
    got = np.stack(tps(x, y), -1)
    want = np.stack(AffineMap(a)(x, y), -1)
    np.testing.assert_allclose(got, want, atol=1e-3)


def test_tps_passes_through_its_points_and_bends_between():
    src = np.array([[0, 0], [100, 0], [0, 100], [100, 100], [50, 50]], float)
    dst = src.copy()
    dst[4] += [8, -5]  # the centre pushed: not an affine map
    tps = fit_tps(src, dst)
    np.testing.assert_allclose(np.stack(tps(src[:, 0], src[:, 1]), -1), dst, atol=1e-3)
    qx, qy = tps(np.array([25.0]), np.array([50.0]))
    assert 0 < qx[0] - 25 < 8 and -5 < qy[0] - 50 < 0  # part of the push, not all of it


def test_tps_warp_of_an_image_matches_the_known_transform():
    """Warping a checkerboard through a spline fitted to a rotation+scale+shift gives what
    cv2.warpAffine gives (backward map: output pixel -> source pixel)."""
    img = checkerboard()
    fwd = cv2.getRotationMatrix2D((60, 50), 12, 0.9)  # source -> output
    fwd[:, 2] += [4, -3]
    src = np.array([[10, 10], [110, 12], [15, 90], [105, 85], [60, 50]], float)
    out_pts = src @ fwd[:, :2].T + fwd[:, 2]
    qx, qy = grid_map(fit_tps(out_pts, src), (0, 0, 120, 100), step=4)
    got = cv2.remap(img, qx, qy, cv2.INTER_LINEAR)
    want = cv2.warpAffine(img, fwd, (120, 100), flags=cv2.INTER_LINEAR)
    inner = (slice(10, 90), slice(10, 110))
    assert np.abs(got[inner].astype(int) - want[inner]).mean() < 1.0


def test_tps_rejects_bad_points():
    with pytest.raises(InvalidArgumentError, match="not on one line"):
        fit_tps(np.array([[0, 0], [1, 1], [2, 2]], float), np.zeros((3, 2)))
    with pytest.raises(InvalidArgumentError, match=r"\(N, 2\)"):
        fit_tps(np.zeros((4, 2)), np.zeros((3, 2)))


# ---------------------------------------------------------------- the clean plate
def test_plate_median_recovers_the_scene_behind_a_moving_person():
    scene = background((64, 48))
    frames, free = [], []
    for k in range(9):
        f = scene.copy()
        x0 = 4 + 6 * k  # a square "person" walking across
        f[10:40, x0 : x0 + 12] = (250, 20, 20)
        area = np.zeros((48, 64), bool)
        area[8:42, x0 - 2 : x0 + 14] = True
        frames.append(f)
        free.append(~area)
    fallback = np.zeros_like(scene)
    plate, weight = plate_from_frames(frames, free, fallback, min_frames=3, min_share=0.2)
    seen = np.stack(free).sum(0) >= 3
    assert np.abs(plate[seen].astype(int) - scene[seen]).max() <= 1
    assert (weight[seen] > 0.99).mean() > 0.9
    never = ~np.stack(free).any(0)
    assert not never.any() or (plate[never] == 0).all()


def test_plate_keeps_the_fallback_where_the_frames_disagree():
    """A moving camera: the frames disagree everywhere, the median is not used."""
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) for _ in range(8)]
    free = [np.ones((32, 32), bool)] * 8
    fallback = np.full((32, 32, 3), 77, np.uint8)
    plate, weight = plate_from_frames(frames, free, fallback)
    assert weight.max() < 0.05
    assert np.abs(plate.astype(int) - 77).max() <= 3
    with pytest.raises(InvalidArgumentError):
        plate_from_frames(frames, free[:3], fallback)


def test_scene_sampler_keeps_spread_frames_and_makes_a_plate():
    """Frames of a 'video' of the stick figure stepping aside: the plate shows the scene
    where the figure stood in the source frame."""
    joints = joints_of(STAND)
    scene = background()
    sampler = SceneSampler.spread_over(SIZE, 24)
    assert sampler.every == 1
    coords = []
    for k in range(12):
        j = joints + [(-1) ** k * 55.0 if k else 0.0, 0.0]
        img, _ = draw_person(j, bg=scene)
        sampler(VideoFrame(k, k / 25, img, 1.0, SIZE))
        coords.append(j)
    sampler(VideoFrame(12, 0.5, np.zeros((10, 10, 3), np.uint8), 1.0, (10, 10)))  # other size
    assert len(sampler.frames) == 12
    sampler.poses = pose_seq(np.array(coords))
    img, mask = draw_person(joints, bg=scene)
    plate = sampler.plate(SourceAppearance(img, pose_seq(joints), mask))
    person = mask > 0.5
    assert np.abs(plate[person].astype(int) - scene[person]).mean() < 3


def test_body_area_covers_the_drawn_figure():
    joints = joints_of(STAND)
    _, mask = draw_person(joints)
    area = body_area(joints, np.ones(15, bool), SIZE, widen=1.25, margin=2)
    assert area[mask > 0.5].mean() > 0.97
    assert area.mean() < 0.5
    assert not body_area(joints, np.zeros(15, bool), SIZE).any()


# --------------------------------------------------------------------- the head
def face_pose(angle_deg: float, swap: bool = False) -> PoseSequence:
    """A blazepose33 frame with the eyes and ears on a line turned by ``angle_deg``."""
    coords = np.zeros((1, 33, 2))
    conf = np.ones((1, 33))
    names = BLAZEPOSE33.joints
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    lr = np.array([c, s])
    nose = np.array([100.0, 50.0])
    put = {"Nose": nose, "LEye": nose + 8 * lr, "REye": nose - 8 * lr}
    put |= {"LEar": nose + 20 * lr, "REar": nose - 20 * lr}
    if swap:
        put["LEye"], put["REye"], put["LEar"], put["REar"] = (
            put["REye"], put["LEye"], put["REar"], put["LEar"],
        )  # fmt: skip
    put |= {"LShoulder": [125.0, 90.0], "RShoulder": [75.0, 90.0]}
    put |= {"LHip": [115.0, 170.0], "RHip": [85.0, 170.0]}
    for n, p in put.items():
        coords[0, names.index(n)] = p
    return PoseSequence(coords, conf, BLAZEPOSE33, canvas=(200, 240))


@pytest.mark.parametrize("angle", [-30.0, 0.0, 15.0])
def test_head_turn_is_the_face_lines_turn(angle):
    src, tgt = face_pose(0.0), face_pose(angle)
    assert np.degrees(head_roll(src)[0]) == pytest.approx(0.0, abs=1e-6)
    assert np.degrees(head_turns(src, tgt)[0]) == pytest.approx(angle, abs=1e-6)


def test_head_seen_from_behind_is_not_turned_upside_down():
    """Left and right swap on the image when the face turns away: a line, not an arrow."""
    assert np.degrees(head_turns(face_pose(0.0), face_pose(10.0, swap=True))[0]) == pytest.approx(
        10.0, abs=1e-6
    )
    profile = face_pose(0.0)
    profile.coords[0, [BLAZEPOSE33.idx(n) for n in ("LEye", "REye", "LEar", "REar")]] = 100.0
    assert np.isnan(head_roll(profile)[0])  # no line to read: the neck-nose rule is used


def test_carry_face_puts_the_drivings_eyes_on_the_target():
    from skeleton_io import convert

    motion = face_pose(20.0)
    as15 = convert(motion, OPENPOSE15)
    target = PoseSequence(as15.coords * 2 + 5, as15.confidence, OPENPOSE15, canvas=(400, 480))
    out = carry_face(target, motion)
    assert out.skeleton.name == BODY25.name
    nose = out.coords[0, BODY25.idx("Nose")]
    eye = out.coords[0, BODY25.idx("LEye")] - nose
    want = 2 * 8 * np.array([np.cos(np.radians(20)), np.sin(np.radians(20))])
    np.testing.assert_allclose(eye, want, atol=1e-6)
    assert np.degrees(head_turns(motion, out)[0]) == pytest.approx(0.0, abs=1e-6)


def test_head_turn_rotates_the_drawn_head():
    """The source's own pose with a head turn: the head's pixels turn about the face."""
    joints = joints_of(STAND)
    img, mask = draw_person(joints)
    pose = pose_seq(joints)
    src = SourceAppearance(img, pose, mask)
    r = PartWarpRenderer(trunk_warp="affine")
    prep = r.prepare(src)
    still = r.render_frame(prep, joints, np.ones(15, bool), 1.0, background())
    turned = r.render_frame(prep, joints, np.ones(15, bool), 1.0, background(), head_turn=0.6)
    head = np.abs(turned[20:60, 80:120].astype(int) - still[20:60, 80:120]).sum(-1) > 60
    body = np.abs(turned[100:140].astype(int) - still[100:140]).sum(-1) > 60
    assert head.mean() > 0.05 and body.mean() < 0.01


# ----------------------------------------------------------------- in the picture
def test_keep_in_view_shifts_a_head_out_of_the_picture_back():
    joints = joints_of(STAND)
    rise = [max(0, k - 50) * 6.0 for k in range(70)]  # still, then rising out of the top
    frames = np.stack([joints - [0, r] for r in rise])
    out = keep_in_view(pose_seq(frames), SIZE)
    nose, neck = out.coords[:, J["Nose"], 1], out.coords[:, J["Neck"], 1]
    top = nose - 0.5 * (neck - nose)  # the forehead
    assert top.min() > -3 and (frames[:, J["Nose"], 1] * 2 - frames[:, J["Neck"], 1]).min() < -80
    np.testing.assert_allclose(out.coords[0], frames[0], atol=0.5)  # in view: kept
    still = keep_in_view(pose_seq(np.stack([joints] * 5)), SIZE)
    np.testing.assert_allclose(still.coords, np.stack([joints] * 5))


def test_upper_body_source_anchors_the_neck():
    joints = joints_of(STAND)
    src = pose_seq(joints).copy()
    src.confidence[0, [J["RHip"], J["LHip"], J["MidHip"]]] = 0.1  # hips not seen
    target = pose_seq(joints + [30.0, 50.0])
    out = place_on_source(target, src)
    np.testing.assert_allclose(out.coords[0, J["Neck"]], joints[J["Neck"]])


# ---------------------------------------------------------------- skirts, limbs
def dress_figure(legs_apart: float, skirt: bool):
    joints = joints_of(STAND).copy()
    for side, sign in (("R", -1), ("L", 1)):
        for n in ("Knee", "Ankle"):
            joints[J[side + n], 0] += sign * legs_apart
    img, mask = draw_person(joints)
    if skirt:
        quad = np.round(
            [joints[J["RHip"]] - [8, 0], joints[J["LHip"]] + [8, 0],
             joints[J["LKnee"]] + [8, 0], joints[J["RKnee"]] - [8, 0]]
        ).astype(np.int32)  # fmt: skip
        cv2.fillConvexPoly(img, quad, (40, 160, 60))
        m = (mask * 255).astype(np.uint8)
        cv2.fillConvexPoly(m, quad, 255)
        mask = m.astype(np.float32) / 255
    return joints, img, mask


@pytest.mark.parametrize(("skirt", "found"), [(True, True), (False, False)])
def test_skirt_found_between_legs_apart(skirt, found):
    joints, img, mask = dress_figure(18.0, skirt)
    radii = measure_radii(mask > 0.5, joints, np.ones(len(PARTS), bool))
    area = skirt_area(mask > 0.5, joints, radii, img)
    assert (area is not None) == found
    if found:
        gap = np.round((joints[J["RKnee"]] + joints[J["LKnee"]]) / 2 - [0, 12]).astype(int)
        assert area[gap[1], gap[0]]


def test_skirt_goes_with_the_torso_and_spreads_with_the_knees():
    joints, img, mask = dress_figure(18.0, True)
    src = SourceAppearance(img, pose_seq(joints), mask)
    prep = prepare_source(src, default_background=False)
    assert prep.skirt
    gap = np.round((joints[J["RKnee"]] + joints[J["LKnee"]]) / 2 - [0, 12]).astype(int)
    assert prep.labels[gap[1], gap[0]] == PART_INDEX["torso"]
    wide = joints.copy()
    for side, sign in (("R", -1), ("L", 1)):
        for n in ("Knee", "Ankle"):
            wide[J[side + n], 0] += sign * 15
    frame = PartWarpRenderer().render_frame(prep, wide, np.ones(15, bool), 1.0, background())
    mid = np.round((wide[J["RKnee"]] + wide[J["LKnee"]]) / 2 - [0, 12]).astype(int)
    # Between the spread knees: the dress, not the scene showing through a split.
    assert np.abs(frame[mid[1], mid[0]].astype(int) - (40, 160, 60)).max() < 40


def test_forearm_not_shown_borrows_its_upper_arm():
    """A source whose forearms are unseen (low confidence) and whose other-side twin is
    unseen too: drawn with the upper arm's texture (the sleeve goes on), with a warning."""
    joints = joints_of(STAND)
    img, mask = draw_person(joints)
    pose = pose_seq(joints).copy()
    pose.confidence[0, [J["RWrist"], J["LWrist"]]] = 0.2
    prep = prepare_source(SourceAppearance(img, pose, mask), default_background=False)
    for side in ("r", "l"):
        i = PART_INDEX[f"{side}_forearm"]
        assert not prep.textured[i]
        assert prep.borrowed[i] == PART_INDEX[f"{side}_upper_arm"]
    assert any("drawn with the r_upper_arm's texture" in w for w in prep.warnings)


def shorts_figure():
    """Legs together: bare shins of the face's colour, shorts of cloth on the upper thighs
    and, below the shorts, bare thighs whose outer edges are a darker shade (not the face's
    colour) in 2 px strips down to the knees, and a shaded patch on each knee."""
    joints = joints_of(STAND)
    img, mask = draw_person(joints)
    skin, shade, cloth = (230, 190, 150), (120, 80, 60), (40, 160, 60)
    hip_y = int(joints[J["MidHip"], 1])
    for side in ("R", "L"):
        hip, knee, ankle = (
            tuple(int(v) for v in joints[J[side + n]]) for n in ("Hip", "Knee", "Ankle")
        )
        cv2.line(img, hip, knee, skin, 15)
        cv2.line(img, knee, ankle, skin, 12)
        dx = -7 if side == "R" else 7
        cv2.line(img, (hip[0] + dx, hip[1]), (knee[0] + dx, knee[1]), shade, 2)
        cv2.circle(img, knee, 4, shade, -1)
    img[hip_y : hip_y + 20, 70:131][mask[hip_y : hip_y + 20, 70:131] > 0.5] = cloth
    return joints, img, mask


def test_shorts_leave_the_shaded_thighs_to_the_legs():
    """Shorts over bare legs pass for a skirt (legs together), but only the cloth hanging
    from the hips: the shaded strips along the thighs and the shaded knees go to the legs."""
    joints, img, mask = shorts_figure()
    radii = measure_radii(mask > 0.5, joints, np.ones(len(PARTS), bool))
    area = skirt_area(mask > 0.5, joints, radii, img)
    assert area is not None
    hip_y = int(joints[J["MidHip"], 1])
    assert area[hip_y + 10, 100] and area[hip_y + 10, 85]  # the shorts
    for side, sign in (("R", -1), ("L", 1)):
        knee = joints[J[side + "Knee"]].astype(int)
        strip = (knee + joints[J[side + "Hip"]].astype(int)) // 2 + [sign * 7, 10]
        assert not area[strip[1] - 2 : strip[1] + 3, strip[0] - 2 : strip[0] + 3].any()
        assert not area[knee[1] - 2 : knee[1] + 3, knee[0] - 2 : knee[0] + 3].any()


def crossed_arm_figure():
    """The left arm bent inward with its forearm lying over the right upper arm (drawn in
    front of it): the right upper arm's pixels are the left forearm's."""
    joints = joints_of(STAND).copy()
    joints[J["LElbow"]] = (100, 74)
    joints[J["LWrist"]] = (58, 74)
    img, mask = draw_person(joints)
    return joints, img, mask


def test_limb_under_the_other_arm_borrows_its_twin():
    joints, img, mask = crossed_arm_figure()
    prep = prepare_source(SourceAppearance(img, pose_seq(joints), mask), default_background=False)
    iu, tu = PART_INDEX["r_upper_arm"], PART_INDEX["l_upper_arm"]
    assert not prep.textured[iu] and prep.borrowed[iu] == tu
    assert (prep.labels == iu).any()  # its pixels still cover the torso: not the torso's
    for name in ("l_upper_arm", "r_forearm", "l_forearm"):
        assert prep.textured[PART_INDEX[name]], name
    assert any("crossing the other side: r_upper_arm" in w for w in prep.warnings)
    # Not crossed: nothing changes.
    plain = prepare_source(make_source(), default_background=False)
    assert plain.textured.all() and (plain.borrowed < 0).all() and not plain.warnings


@pytest.mark.parametrize(
    ("bent", "marked"),
    [
        # The left forearm over the right upper arm (straight out): it is marked, and so
        # is the right upper arm under it (its twin is clear); the right forearm is not.
        ({"LElbow": (100, 76), "LWrist": (60, 76)}, {"l_forearm", "r_upper_arm"}),
        # Forearms crossed in an X over each other: both cross, neither is marked (no
        # clear twin to borrow from).
        (
            {"RElbow": (70, 110), "RWrist": (125, 100), "LElbow": (130, 110), "LWrist": (75, 100)},
            set(),
        ),
    ],
)
def test_crossed_limbs_marks_the_limb_whose_twin_is_clear(bent, marked):
    joints = joints_of(STAND).copy()
    for name, xy in bent.items():
        joints[J[name]] = xy
    shapes = part_shapes(joints, np.full(len(PARTS), 6.0))
    gy, gx = np.mgrid[0 : SIZE[1], 0 : SIZE[0]].astype(np.float32)
    mask = np.any([s.distance_xy(gx, gy) <= s.radius for s in shapes], axis=0)
    usable = np.ones(len(PARTS), bool)
    labels = cut_parts(mask.astype(np.float32), shapes, usable)
    out = crossed_limbs(labels, shapes, usable, usable)
    assert {PARTS[i].name for i in np.nonzero(out)[0]} >= marked
    for side in ("r", "l"):
        assert not out[PART_INDEX[f"{side}_forearm"]] or f"{side}_forearm" in marked


# ------------------------------------------------------------------- the pipeline
@pytest.mark.usefixtures("fake_pose")
def test_video_source_gets_its_scene_from_its_frames(tmp_path):
    """``retarget video CLIP CLIP``: the pose extraction hands its decoded frames to the
    scene sampler (nothing decoded twice) and the report carries the target rendered."""
    from retarget.pipeline.video import pose_transfer_video
    from skeleton_io.formats.video import load as load_video

    from .test_render import make_driving

    clip = make_driving(tmp_path / "d.mp4", frames=12, fps=12, audio=False)
    seen = []
    motion = load_video(clip, max_side=None, frames_seen=lambda f: seen.append(f.index))
    assert seen == list(range(12)) and motion.num_frames == 12
    rep = pose_transfer_video(clip, clip, tmp_path / "o.mp4", max_side=None, model="limb")
    assert rep.frames == 12 and rep.target is not None and rep.target.num_frames == 12


def test_keep_in_view_leaves_a_head_the_source_cuts():
    """The photo cuts the head at its top: a target as high stays where it is."""
    joints = joints_of(STAND) - [0, 52.0]  # the forehead above the picture
    still = np.stack([joints] * 5)
    out = keep_in_view(pose_seq(still), SIZE, source=pose_seq(joints))
    np.testing.assert_allclose(out.coords, still)
