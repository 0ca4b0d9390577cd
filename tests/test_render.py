"""Rendering: part geometry, the reference backend on synthetic people with known answers,
backgrounds and compositing, the backend registry and its example plugin, the render/video
pipeline and CLI (with a scripted pose estimator: no mediapipe needed), bad input, and a
few short runs on the shared media."""

from __future__ import annotations

import importlib.metadata as md
import logging
import tomllib
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from retarget.cli import cli
from retarget.pipeline.video import place_on_source
from retarget.render import SourceAppearance, available_renderers, get_renderer
from retarget.render import registry as reg
from retarget.render.background import background_image, parse_color, remove_person
from retarget.render.base import fit_to_image
from retarget.render.parts import (
    PARTS,
    fit_affine,
    invert_affine,
    limb_affine,
    part_transforms,
    polygon_distance_xy,
    segment_distance,
)
from retarget.render.prepare import prepare_source
from retarget.render.reference import PartWarpRenderer, blend, depth_order
from retarget.render.source import load_source
from skeleton_io import OPENPOSE15, PoseSequence, save_file
from skeleton_io.errors import InvalidArgumentError, NoPersonFoundError, OutputError
from skeleton_io.formats import video as video_fmt
from skeleton_io.formats.video import PersonLandmarks
from skeleton_io.skeleton import BLAZEPOSE33
from skeleton_io.video_io import iter_frames, probe
from skeleton_io.video_writer import VideoWriter

from .conftest import MEDIA, ROOT, need

cv2 = pytest.importorskip("cv2")

J = {n: i for i, n in enumerate(OPENPOSE15.joints)}

# A person facing the camera on a 200 x 240 canvas (x right, y down), arms out sideways.
STAND = {
    "Nose": (100, 40), "Neck": (100, 70), "RShoulder": (80, 72), "RElbow": (52, 74),
    "RWrist": (26, 76), "LShoulder": (120, 72), "LElbow": (148, 74), "LWrist": (174, 76),
    "MidHip": (100, 140), "RHip": (88, 140), "RKnee": (86, 182), "RAnkle": (85, 222),
    "LHip": (112, 140), "LKnee": (114, 182), "LAnkle": (115, 222),
}  # fmt: skip
COLOURS = {
    "torso": (40, 60, 200), "head": (230, 190, 150), "r_upper_arm": (220, 30, 30),
    "r_forearm": (30, 200, 40), "l_upper_arm": (200, 200, 30), "l_forearm": (30, 200, 200),
    "r_thigh": (120, 40, 160), "r_shin": (160, 90, 40), "l_thigh": (120, 40, 160),
    "l_shin": (160, 90, 40),
}  # fmt: skip
SIZE = (200, 240)


def joints_of(pose: dict) -> np.ndarray:
    return np.array([pose[n] for n in OPENPOSE15.joints], dtype=np.float64)


def background(size=SIZE) -> np.ndarray:
    """A smooth, person-free scene: a colour gradient."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = np.stack([60 + 100 * x / w, 150 + 60 * y / h, 120 + 0 * x], axis=-1)
    return bg.astype(np.uint8)


def draw_person(joints: np.ndarray, size=SIZE, bg: np.ndarray | None = None):
    """A stick-figure person: thick limbs, a torso polygon and a round head, each part in
    its own flat colour. Returns (image, mask)."""
    img = background(size) if bg is None else bg.copy()
    mask = np.zeros(img.shape[:2], np.uint8)

    def pt(name):
        return tuple(int(v) for v in np.round(joints[J[name]]))

    torso = np.array([pt("RShoulder"), pt("LShoulder"), pt("LHip"), pt("RHip")], np.int32)
    thick = {"upper_arm": 11, "forearm": 9, "thigh": 15, "shin": 12}
    for side in ("r", "l"):
        s = side.upper()
        for part, (a, b) in (("thigh", ("Hip", "Knee")), ("shin", ("Knee", "Ankle"))):
            c = COLOURS[f"{side}_{part}"]
            for target, colour in ((img, c), (mask, 255)):
                cv2.line(target, pt(s + a), pt(s + b), colour, thick[part])
    for target, colour in ((img, COLOURS["torso"]), (mask, 255)):
        cv2.fillConvexPoly(target, torso, colour)
        cv2.line(target, pt("Neck"), pt("MidHip"), colour, 24)
    for target, colour in ((img, COLOURS["head"]), (mask, 255)):
        cv2.circle(target, (pt("Nose")[0], pt("Nose")[1] - 4), 15, colour, -1)
        cv2.line(target, pt("Neck"), pt("Nose"), colour, 8)
    for side in ("r", "l"):
        s = side.upper()
        for part, (a, b) in (("upper_arm", ("Shoulder", "Elbow")), ("forearm", ("Elbow", "Wrist"))):
            c = COLOURS[f"{side}_{part}"]
            for target, colour in ((img, c), (mask, 255)):
                cv2.line(target, pt(s + a), pt(s + b), colour, thick[part])
    return img, mask.astype(np.float32) / 255.0


def pose_seq(joints: np.ndarray, size=SIZE, fps: float = 25.0) -> PoseSequence:
    coords = joints[None] if joints.ndim == 2 else joints
    return PoseSequence(coords, np.ones(coords.shape[:2]), OPENPOSE15, fps=fps, canvas=size)


def make_source(joints: np.ndarray | None = None, **kw) -> SourceAppearance:
    joints = joints_of(STAND) if joints is None else joints
    img, mask = draw_person(joints)
    return SourceAppearance(img, pose_seq(joints), mask, **kw)


def colour_pixels(img: np.ndarray, colour, tol: int = 25) -> np.ndarray:
    return np.abs(img.astype(int) - np.array(colour)).max(axis=-1) <= tol


# ------------------------------------------------------------------------ geometry
def test_segment_and_polygon_distances():
    pts = np.array([[0.0, 5.0], [12.0, 0.0], [5.0, -3.0]])
    d = segment_distance(pts, np.array([0.0, 0.0]), np.array([10.0, 0.0]))
    np.testing.assert_allclose(d, [5.0, 2.0, 3.0])
    square = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    x = np.array([5.0, 13.0, 5.0], np.float32)
    y = np.array([5.0, 5.0, -2.0], np.float32)
    np.testing.assert_allclose(polygon_distance_xy(x, y, square), [0.0, 3.0, 2.0], atol=1e-5)


@pytest.mark.parametrize("angle", [0.0, 37.0, 90.0, 180.0, -120.0])
def test_limb_affine_maps_bone_onto_bone(angle):
    sa, sb = np.array([10.0, 20.0]), np.array([40.0, 20.0])
    rad = np.deg2rad(angle)
    ta = np.array([100.0, 50.0])
    tb = ta + 30 * np.array([np.cos(rad), np.sin(rad)])
    a = limb_affine(sa, sb, ta, tb, scale=1.0)
    np.testing.assert_allclose(a[:, :2] @ sa + a[:, 2], ta, atol=1e-9)
    np.testing.assert_allclose(a[:, :2] @ sb + a[:, 2], tb, atol=1e-9)
    assert np.linalg.det(a[:, :2]) > 0  # no mirror
    # A point beside the bone stays beside it, at the same distance (thickness kept).
    side = a[:, :2] @ np.array([25.0, 26.0]) + a[:, 2]
    assert np.linalg.norm(side - (ta + tb) / 2) == pytest.approx(6.0)
    inv = invert_affine(a)
    np.testing.assert_allclose(inv[:, :2] @ ta + inv[:, 2], sa, atol=1e-9)


def test_limb_affine_foreshortens_along_the_bone_only():
    a = limb_affine(
        np.array([0.0, 0]), np.array([0.0, 40]), np.array([0.0, 0]), np.array([0.0, 20]), 1.0
    )
    np.testing.assert_allclose(a[:, :2], [[1.0, 0.0], [0.0, 0.5]], atol=1e-12)
    m = limb_affine(
        np.array([0.0, 0]),
        np.array([0.0, 40]),
        np.array([0.0, 0]),
        np.array([0.0, 40]),
        1.0,
        mirror=True,
    )
    np.testing.assert_allclose(m[:, :2], [[-1.0, 0.0], [0.0, 1.0]], atol=1e-12)


def test_fit_affine_recovers_a_known_map():
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (6, 2))
    true = np.array([[1.1, 0.2, 5.0], [-0.3, 0.9, -7.0]])
    np.testing.assert_allclose(fit_affine(src, src @ true[:, :2].T + true[:, 2]), true, atol=1e-9)
    assert fit_affine(src[:2], src[:2]) is None


def test_part_transforms_identity_for_the_same_pose():
    j = joints_of(STAND)
    eye = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    for a in part_transforms(j, j, 1.0):
        np.testing.assert_allclose(a, eye, atol=1e-9)


def test_fit_to_image_rescales_from_the_canvas():
    seq = pose_seq(joints_of(STAND), size=(400, 480))
    out = fit_to_image(seq, (200, 240))
    np.testing.assert_allclose(out.coords, seq.coords / 2)
    assert out.canvas == (200, 240)


def test_source_appearance_rejects_bad_input():
    img, mask = draw_person(joints_of(STAND))
    with pytest.raises(InvalidArgumentError, match="uint8"):
        SourceAppearance(img.astype(float), pose_seq(joints_of(STAND)), mask)
    with pytest.raises(InvalidArgumentError, match="mask"):
        SourceAppearance(img, pose_seq(joints_of(STAND)), mask[:10])


# -------------------------------------------------------------- reference backend
def test_cut_gives_every_part_its_own_pixels():
    src = make_source(background=background())
    prep = prepare_source(src, default_background=False)
    assert prep.textured.all()
    for i, part in enumerate(PARTS):
        own = prep.labels == i
        colour = colour_pixels(src.image, COLOURS[part.name], tol=5) & (src.mask > 0.99)
        if part.name in ("r_thigh", "l_thigh", "r_shin", "l_shin"):
            colour &= (
                np.arange(SIZE[0])[None, :] < 100
                if part.side == "R"
                else np.arange(SIZE[0])[None, :] >= 100
            )
        # Most pixels of a part's colour are labelled as that part.
        assert (own & colour).sum() / colour.sum() > 0.8, part.name


def test_identity_pose_reproduces_the_source():
    src = make_source()
    frame = next(PartWarpRenderer().render(src, src.pose))
    person = cv2.erode((src.mask > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    diff = np.abs(frame.astype(int) - src.image.astype(int)).max(axis=-1)
    assert np.median(diff[person]) <= 1
    assert (diff[person] <= 8).mean() > 0.97


def test_pure_translation_copies_the_person_exactly():
    src = make_source()
    dx, dy = 7, 4
    moved = joints_of(STAND) + [dx, dy]
    frame = next(PartWarpRenderer().render(src, pose_seq(moved)))
    inner = cv2.erode((src.mask > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    ys, xs = np.nonzero(inner)
    got = frame[ys + dy, xs + dx].astype(int)
    want = src.image[ys, xs].astype(int)
    assert np.abs(got - want).max() <= 1


def test_rotated_limb_lands_on_its_bone():
    """The right arm swung down by 90 degrees about the shoulder: the red upper arm lies
    along the new bone, and its old place shows the background."""
    src = make_source()
    j = joints_of(STAND)
    down = j.copy()
    sh = j[J["RShoulder"]]
    down[J["RElbow"]] = sh + [0, 28]
    down[J["RWrist"]] = sh + [0, 54]
    frame = next(PartWarpRenderer().render(src, pose_seq(down)))
    red = colour_pixels(frame, COLOURS["r_upper_arm"])
    ys, xs = np.nonzero(red)
    assert len(xs) > 150
    # Centroid on the middle of the new bone, long axis vertical.
    assert abs(xs.mean() - sh[0]) < 2.5
    # From the shoulder's round cap (radius ~6) down to the elbow (28 px below).
    assert sh[1] - 9 <= ys.min() and ys.max() <= sh[1] + 28 + 4
    assert abs(np.median(ys) - (sh[1] + 12)) < 5
    cov = np.cov(np.stack([xs, ys]))
    w, v = np.linalg.eigh(cov)
    assert abs(v[0, 1]) < 0.2  # principal axis along y
    # Where the arm was (left of the shoulder, beyond the blend zone) no red is left.
    old = red[64:84, 30:62]
    assert old.mean() < 0.02
    # The green forearm follows, below the elbow.
    green = colour_pixels(frame, COLOURS["r_forearm"])
    gy, gx = np.nonzero(green)
    assert abs(gx.mean() - sh[0]) < 3 and gy.mean() > sh[1] + 30


def test_blended_joint_has_no_gap():
    """An elbow bent by 90 degrees: the arm stays one connected piece (no seam showing the
    background between upper arm and forearm)."""
    src = make_source()
    j = joints_of(STAND)
    bent = j.copy()
    bent[J["RWrist"]] = j[J["RElbow"]] + [0, 26]
    frame = next(PartWarpRenderer().render(src, pose_seq(bent)))
    arm = colour_pixels(frame, COLOURS["r_upper_arm"]) | colour_pixels(frame, COLOURS["r_forearm"])
    # Along the forearm's bone, right below the elbow, every pixel is arm.
    ex, ey = np.round(j[J["RElbow"]]).astype(int)
    assert arm[ey : ey + 22, ex].all()
    n, _ = cv2.connectedComponents(arm.astype(np.uint8))
    assert n - 1 == 1


def test_background_fill_leaves_no_person_pixels():
    src = make_source()
    bg = remove_person(src.image, src.mask)
    person = src.mask > 0.05
    for colour in COLOURS.values():
        assert colour_pixels(bg, colour, tol=20)[person].mean() < 0.01
    far = cv2.dilate(person.astype(np.uint8), np.ones((25, 25), np.uint8)) == 0
    np.testing.assert_array_equal(bg[far], src.image[far])
    # The fill is close to the true (smooth) scene.
    assert np.abs(bg[person].astype(int) - background()[person].astype(int)).mean() < 25


def test_alpha_compositing():
    out = np.full((4, 6, 3), 100, np.uint8)
    rgb = np.full((2, 3, 3), 200, np.uint8)
    alpha = np.array([[0, 128, 255], [255, 64, 0]], np.float32)
    blend(out, (1, 1, 4, 3), rgb, alpha)
    want = np.round(100 + (200 - 100) * alpha / 255)
    np.testing.assert_allclose(out[1:3, 1:4, 0], want, atol=1)
    assert (out[0] == 100).all() and (out[:, 0] == 100).all()


def test_person_is_composited_onto_a_given_background():
    plain = np.zeros((SIZE[1], SIZE[0], 3), np.uint8) + np.array([0, 255, 0], np.uint8)
    src = make_source(background=plain)
    frame = next(PartWarpRenderer().render(src, src.pose))
    outside = cv2.dilate((src.mask > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    assert (frame[outside] == [0, 255, 0]).all()
    # A soft edge, no halo: edge pixels lie between the person's colour and the background.
    assert frame[src.mask > 0.99].mean() > 0


def test_frames_are_stable_over_time():
    src = make_source()
    seq = pose_seq(np.repeat(joints_of(STAND)[None], 3, axis=0))
    frames = list(PartWarpRenderer().render(src, seq))
    assert len(frames) == 3
    assert all(np.array_equal(frames[0], f) for f in frames[1:])


def test_missing_target_joints_hide_their_part():
    src = make_source()
    seq = pose_seq(joints_of(STAND))
    conf = seq.confidence.copy()
    conf[0, J["RWrist"]] = 0
    frame = next(PartWarpRenderer().render(src, seq.with_coords(seq.coords, conf)))
    full = colour_pixels(src.image, COLOURS["r_forearm"]).sum()
    # What is left is the elbow's end, which the upper arm owns.
    assert colour_pixels(frame, COLOURS["r_forearm"]).sum() < 0.3 * full
    assert colour_pixels(frame, COLOURS["l_forearm"]).sum() > 100


def test_knees_up_source_gets_synthesised_legs(caplog):
    """A source cut above the knees: the shins are drawn with the thighs' texture (the
    trousers go on), with a warning."""
    j = joints_of(STAND)
    img, mask = draw_person(j)
    img[160:], mask[160:] = background()[160:], 0
    pose = pose_seq(j)
    src = SourceAppearance(img, pose, mask)
    prep = prepare_source(src, default_background=False)
    for name in ("r_shin", "l_shin"):
        assert not prep.textured[[p.name for p in PARTS].index(name)]
    assert any("r_shin (drawn with the r_thigh's texture)" in w for w in prep.warnings)
    frame = next(PartWarpRenderer().render(src, pose))
    ax, ay = np.round(j[J["RAnkle"]] - [0, 12]).astype(int)
    assert np.abs(frame[ay, ax].astype(int) - background()[ay, ax]).sum() > 30


def test_profile_puts_the_far_arm_behind():
    src = make_source()
    prep = prepare_source(src, default_background=False)
    j = joints_of(STAND)
    side = j.copy()
    side[:, 0] = 100 + 0.1 * (j[:, 0] - 100)  # shoulders nearly on top of each other
    side[J["Nose"], 0] = 110  # facing the image's right: the left side is far
    order = [PARTS[i].name for i in depth_order(prep, side, 1.0)]
    assert order.index("l_forearm") < order.index("torso") < order.index("r_forearm")
    order = [PARTS[i].name for i in depth_order(prep, j, 1.0)]
    assert order.index("torso") < order.index("l_forearm")


def test_place_on_source_moves_the_hip():
    src_pose = pose_seq(joints_of(STAND))
    tgt = pose_seq(np.repeat(joints_of(STAND)[None] + [30, -10], 4, axis=0))
    out = place_on_source(tgt, src_pose)
    np.testing.assert_allclose(out.coords[0, J["MidHip"]], STAND["MidHip"])
    np.testing.assert_allclose(out.coords[3] - out.coords[0], 0)


# --------------------------------------------------------------------- backgrounds
@pytest.mark.parametrize(
    ("text", "rgb"),
    [
        ("white", (255, 255, 255)),
        ("#ff8000", (255, 128, 0)),
        ("10,20,30", (10, 20, 30)),
        ("nope", None),
        ("1,2,300", None),
    ],
)
def test_parse_color(text, rgb):
    assert parse_color(text) == rgb


def test_background_image_choices(tmp_path):
    assert background_image("source", (8, 6)) is None
    assert (background_image("black", (8, 6)) == 0).all()
    img = tmp_path / "bg.png"
    cv2.imwrite(str(img), np.full((30, 10, 3), 200, np.uint8))
    got = background_image(str(img), (8, 6))
    assert got.shape == (6, 8, 3) and (got == 200).all()
    with pytest.raises(InvalidArgumentError, match="colour"):
        background_image("no-such-thing", (8, 6))
    with pytest.raises(InvalidArgumentError, match="driving"):
        background_image("driving", (8, 6))


# ------------------------------------------------------------------------ registry
class FakeEntryPoint:
    def __init__(self, name, value):
        self.name, self.value, self.group = name, value, reg.GROUP

    def load(self):
        return reg._load_target(self.value)


PLUGIN = ROOT / "examples" / "renderer_plugin"


def test_builtin_backend_is_registered():
    assert "reference" in available_renderers()
    r = get_renderer("reference", blend_sigma=0.5)
    assert r.name == "reference" and r.device_needs == "cpu" and r.blend_sigma == 0.5
    with pytest.raises(InvalidArgumentError, match="unknown renderer"):
        get_renderer("nope")


def test_pyproject_declares_the_builtin_entry_point():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    eps = meta["project"]["entry-points"]["retarget.renderers"]
    assert eps["reference"] == reg.BUILTIN["reference"]


def test_example_plugin_registers_through_its_entry_point(monkeypatch):
    """The example package's declared entry point, as an installed one would be, loads a
    working backend; `retarget env` lists it."""
    meta = tomllib.loads((PLUGIN / "pyproject.toml").read_text())
    declared = meta["project"]["entry-points"]["retarget.renderers"]
    monkeypatch.syspath_prepend(str(PLUGIN))
    fake = [FakeEntryPoint(n, v) for n, v in declared.items()]
    real = md.entry_points

    def entry_points(**kw):
        if kw.get("group") == reg.GROUP:
            return fake
        return real(**kw)

    monkeypatch.setattr(md, "entry_points", entry_points)
    assert "silhouette" in available_renderers()
    r = get_renderer("silhouette")
    assert r.device_needs == "cpu"
    src = make_source()
    frames = list(r.render(src, pose_seq(np.repeat(joints_of(STAND)[None], 2, 0))))
    assert len(frames) == 2 and frames[0].shape == src.image.shape
    from retarget.envinfo import environment_report

    assert "silhouette" in dict(environment_report())["renderers"]


def test_broken_backends_give_clear_errors(monkeypatch):
    fake = [FakeEntryPoint("gone", "no_such_module_xyz:R"), FakeEntryPoint("bad", "builtins:dict")]
    monkeypatch.setattr(reg, "_entry_points", lambda: {e.name: e for e in fake})
    with pytest.raises(ImportError, match="cannot be imported"):
        get_renderer("gone")
    with pytest.raises(InvalidArgumentError, match="lacks"):
        get_renderer("bad")


# ---------------------------------------------------- pipeline with a fake estimator
def landmarks(joints: np.ndarray, size, mask: np.ndarray | None = None) -> PersonLandmarks:
    """BlazePose-33 landmarks of an openpose15 pose (joints BlazePose lacks sit at the nose)."""
    xy = np.tile(joints[J["Nose"]], (33, 1)).astype(np.float64)
    for i, name in enumerate(BLAZEPOSE33.joints):
        if name in J:
            xy[i] = joints[J[name]]
    xy /= np.array(size, dtype=np.float64)
    return PersonLandmarks(xy, np.full(33, 0.9), np.ones(33), np.zeros((33, 3)), mask)


def dance(frames: int, fps: float) -> np.ndarray:
    """``(T, 15, 2)`` the stick figure waving its arms and swaying."""
    j = joints_of(STAND)
    out = np.repeat(j[None], frames, axis=0)
    t = np.arange(frames) / fps
    out[:, :, 0] += (6 * np.sin(2 * np.pi * t))[:, None]
    for side, sign in (("R", 1), ("L", -1)):
        ang = np.deg2rad(sign * 40 * np.sin(2 * np.pi * 0.5 * t))
        sh = out[:, J[side + "Shoulder"]]
        for name in ("Elbow", "Wrist"):
            rel = out[:, J[side + name]] - sh
            c, s = np.cos(ang), np.sin(ang)
            out[:, J[side + name]] = sh + np.stack(
                [c * rel[:, 0] - s * rel[:, 1], s * rel[:, 0] + c * rel[:, 1]], 1
            )
    return out


def make_driving(
    path: Path, frames: int = 24, fps: int = 12, audio: bool = True, onset: float = 1.0
) -> Path:
    """A video of the dancing stick figure with AAC sound: silence, then a tone from
    ``onset`` seconds on (to check sync)."""
    poses = dance(frames, fps)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height = SIZE
        s.pix_fmt = "yuv420p"
        a = c.add_stream("aac", rate=16000, layout="mono") if audio else None
        for i in range(frames):
            img, _ = draw_person(poses[i])
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
        if a is not None:
            n = int(16000 * frames / fps) + 2048
            t = np.arange(n, dtype=np.float32) / 16000
            wave = np.where(t >= onset, 0.5 * np.sin(2 * np.pi * 440 * t), 0.0).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(wave[None], format="fltp", layout="mono")
            frame.rate = 16000
            for p in [*a.encode(frame), *a.encode()]:
                c.mux(p)
    return path


class FakeBlazePose:
    """Stands in for BlazePoseEstimator: image mode finds the stick figure of STAND (with
    its mask), video mode the dancing one of frame round(t * fps)."""

    image_people = 1
    video_people = 1
    fps = 12

    def __init__(self, *, video=True, segmentation=False, **kw):
        self.video, self.segmentation = video, segmentation

    def __call__(self, rgb, timestamp=0.0):
        h, w = rgb.shape[:2]
        if not self.video:
            j = joints_of(STAND) * (w / SIZE[0])
            _, mask = draw_person(joints_of(STAND))
            mask = cv2.resize(mask, (w, h)) if (w, h) != SIZE else mask
            return [landmarks(j, (w, h), mask)] * self.image_people
        k = int(round(timestamp * self.fps))
        j = dance(k + 1, self.fps)[k] * (w / SIZE[0])
        return [landmarks(j, (w, h))] * self.video_people

    def close(self):
        pass


@pytest.fixture
def fake_pose(monkeypatch):
    monkeypatch.setattr(video_fmt, "BlazePoseEstimator", FakeBlazePose)
    FakeBlazePose.image_people = FakeBlazePose.video_people = 1
    return FakeBlazePose


@pytest.fixture
def source_png(tmp_path):
    img, _ = draw_person(joints_of(STAND))
    path = tmp_path / "person.png"
    cv2.imwrite(str(path), img[..., ::-1])
    return path


def audio_onset(path: Path) -> float:
    """Presentation time of the first loud audio sample."""
    with av.open(str(path)) as c:
        for frame in c.decode(audio=0):
            x = frame.to_ndarray()[0]
            loud = np.nonzero(np.abs(x) > 0.2)[0]
            if len(loud):
                return float(frame.time + loud[0] / frame.sample_rate)
    return float("nan")


def test_video_writer_cuts_the_sound_at_the_start(tmp_path):
    drv = make_driving(tmp_path / "d.mp4", frames=24, fps=12, onset=1.0)
    out = tmp_path / "o.mp4"
    with VideoWriter(out, 12, audio_from=drv, audio_start=0.5) as w:
        for _ in range(12):
            w.write(np.zeros((16, 16, 3), np.uint8))
    # The encoder's priming delays the tone a little in the source too: compare to it.
    assert audio_onset(out) == pytest.approx(audio_onset(drv) - 0.5, abs=0.03)
    with av.open(str(out)) as c:
        a = c.streams.audio[0]
        assert float(a.duration * a.time_base) == pytest.approx(1.0, abs=0.1)


def test_cli_video_frames_fps_and_sound_in_sync(tmp_path, fake_pose, source_png):
    drv = make_driving(tmp_path / "drv.mp4", frames=24, fps=12, onset=1.0)
    out = tmp_path / "out.mp4"
    res = CliRunner().invoke(
        cli,
        [
            "video",
            str(source_png),
            str(drv),
            "-o",
            str(out),
            "--start-frame",
            "6",
            "--max-frames",
            "12",
        ],
    )
    assert res.exit_code == 0, res.output
    info = probe(out)
    assert (info.num_frames, info.fps, info.has_audio) == (12, 12.0, True)
    assert (info.width, info.height) == SIZE
    # Driving frame 6 is at 0.5 s: the tone (at 1.0 s in the driving) starts at 0.5 s.
    assert audio_onset(out) == pytest.approx(audio_onset(drv) - 0.5, abs=0.03)
    frames = [f.rgb for f in iter_frames(out)]
    assert not np.array_equal(frames[0], frames[-1])  # the person moves


def test_cli_video_background_choices(tmp_path, fake_pose, source_png):
    drv = make_driving(tmp_path / "drv.mp4", frames=6, fps=12, audio=False)
    for bg in ("driving", "black"):
        out = tmp_path / f"out_{bg}.mp4"
        res = CliRunner().invoke(
            cli, ["video", str(source_png), str(drv), "-o", str(out), "--background", bg]
        )
        assert res.exit_code == 0, res.output
        frame = next(iter_frames(out)).rgb
        if bg == "black":
            assert frame[:10, :10].max() < 12


def test_cli_render_smoke(tmp_path, fake_pose, source_png):
    seq = pose_seq(dance(10, 25))
    seq_path = tmp_path / "seq.npz"
    save_file(seq, seq_path)
    out = tmp_path / "r.mp4"
    for fit in ("retarget", "place", "none"):
        res = CliRunner().invoke(
            cli,
            [
                "render",
                str(seq_path),
                "--source",
                str(source_png),
                "-o",
                str(out),
                "--fit",
                fit,
            ],
        )
        assert res.exit_code == 0, res.output
        info = probe(out)
        assert (info.num_frames, info.fps, info.has_audio) == (10, 25.0, False)


def test_bad_input_messages(tmp_path, fake_pose, source_png):
    drv = make_driving(tmp_path / "drv.mp4", frames=4, fps=12, audio=False)
    runner = CliRunner()
    # Output equal to an input.
    res = runner.invoke(cli, ["video", str(source_png), str(drv), "-o", str(drv)])
    assert res.exit_code == 2 and "same as an input" in res.output
    seq_path = tmp_path / "s.npz"
    save_file(pose_seq(dance(3, 25)), seq_path)
    res = runner.invoke(
        cli,
        ["render", "--skeleton", str(seq_path), "--source", str(source_png), "-o", str(source_png)],
    )
    assert res.exit_code == 2 and "same as an input" in res.output
    # Nobody in the source.
    fake_pose.image_people = 0
    res = runner.invoke(cli, ["video", str(source_png), str(drv), "-o", str(tmp_path / "x.mp4")])
    assert res.exit_code == 2 and "no person found" in res.output
    assert not (tmp_path / "x.mp4").exists()
    # Nobody in the driving video.
    fake_pose.image_people, fake_pose.video_people = 1, 0
    res = runner.invoke(cli, ["video", str(source_png), str(drv), "-o", str(tmp_path / "x.mp4")])
    assert res.exit_code == 2 and "no person found" in res.output and "drv.mp4" in res.output
    assert not (tmp_path / "x.mp4").exists()
    # A bad background.
    fake_pose.video_people = 1
    res = runner.invoke(
        cli,
        ["video", str(source_png), str(drv), "-o", str(tmp_path / "x.mp4"), "--background", "zzz"],
    )
    assert res.exit_code == 2 and "--background zzz" in res.output


def test_two_people_warn_and_follow_one(tmp_path, fake_pose, source_png, caplog):
    fake_pose.image_people = 2
    with caplog.at_level(logging.WARNING):
        src = load_source(source_png)
    assert "2 people" in caplog.text and src.meta["people"] == 2


def test_large_photo_is_downscaled_with_a_warning(tmp_path, fake_pose, caplog):
    j = joints_of(STAND)
    img, _ = draw_person(j)
    big = cv2.resize(
        img, (SIZE[0] * 21, SIZE[1] * 21), interpolation=cv2.INTER_NEAREST
    )  # 4200 x 5040
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), big[..., ::-1])
    with caplog.at_level(logging.WARNING):
        src = load_source(path, max_side=480)
    assert src.image.shape[:2] == (480, 400)
    assert "large image" in caplog.text


def test_knees_up_source_warns(tmp_path, fake_pose, caplog):
    j = joints_of(STAND)
    img, _ = draw_person(j)
    path = tmp_path / "crop.png"
    cv2.imwrite(str(path), img[:170, :, ::-1])  # the knees and feet are cut off
    with caplog.at_level(logging.WARNING):
        load_source(path)
    assert "does not show the legs" in caplog.text


# ------------------------------------------------------------------- shared media
@pytest.mark.shared
@pytest.mark.slow
def test_real_photo_and_dance_short(tmp_path):
    src = need(MEDIA / "i01_imper_ins3.jpg")
    drv = need(MEDIA / "v02_animatex_dance_1.mp4")
    out = tmp_path / "out.mp4"
    res = CliRunner().invoke(
        cli,
        ["video", str(src), str(drv), "-o", str(out), "--max-frames", "12", "--start-frame", "24"],
    )
    assert res.exit_code == 0, res.output
    info, dinfo = probe(out), probe(drv)
    assert (info.num_frames, info.fps, info.has_audio) == (12, dinfo.fps, True)
    with av.open(str(out)) as c:
        a = c.streams.audio[0]
        assert float(a.duration * a.time_base) == pytest.approx(12 / dinfo.fps, abs=0.1)


@pytest.mark.shared
@pytest.mark.slow
def test_real_source_with_nobody_is_a_clear_error(tmp_path):
    drv = need(MEDIA / "v02_animatex_dance_1.mp4")
    empty = tmp_path / "empty.png"
    cv2.imwrite(str(empty), np.full((300, 200, 3), 128, np.uint8))
    res = CliRunner().invoke(
        cli, ["video", str(empty), str(drv), "-o", str(tmp_path / "o.mp4"), "--max-frames", "2"]
    )
    assert res.exit_code == 2 and "no person found" in res.output


def test_library_errors_are_typed(tmp_path, source_png):
    src = make_source()
    empty = SourceAppearance(src.image, src.pose, np.zeros_like(src.mask))
    with pytest.raises(NoPersonFoundError, match="mask is empty"):
        prepare_source(empty)
    from retarget.pipeline.video import pose_transfer_video

    with pytest.raises(OutputError, match="same as an input"):
        pose_transfer_video(source_png, source_png, source_png)


def test_driving_target_measures_the_body_on_a_structure_sequence_in_source_pixels():
    """Reconstruction: the same person's poses at 2x the source image's pixels, given as the
    structure, retarget the motion onto itself (the identity, in source pixels); one source
    frame whose shins look 10 % shorter changes the legs."""
    from retarget.builtin import builtin_motion, project_to_canvas
    from retarget.pipeline.video import driving_target
    from retarget.retargeters import load_retargeter

    seq = project_to_canvas(builtin_motion("average", frames=48), canvas=(400, 480), yaw=20)
    big = seq.with_coords(seq.coords * 2.0, canvas=(800, 960))  # the video's own pixels
    frame0 = seq.coords[0].copy()
    j = OPENPOSE15.index
    for side in "RL":  # a foreshortened shin in the one source frame
        knee, ankle = j[side + "Knee"], j[side + "Ankle"]
        frame0[ankle] = frame0[knee] + 0.9 * (frame0[ankle] - frame0[knee])
    src = SourceAppearance(np.zeros((480, 400, 3), np.uint8), pose_seq(frame0, (400, 480)),
                           np.zeros((480, 400), np.float32))  # fmt: skip
    r = load_retargeter(None, device="cpu", denoise=None)
    with_seq = driving_target(big, src, model=r, denoise_method="none", structure=big)
    err = np.linalg.norm(with_seq.coords - seq.coords, axis=-1)
    assert with_seq.canvas == (400, 480) and err.mean() < 1.5, err.mean()
    one = driving_target(big, src, model=r, denoise_method="none")
    shin = np.linalg.norm(one.coords[:, j["RAnkle"]] - one.coords[:, j["RKnee"]], axis=-1)
    shin_true = np.linalg.norm(seq.coords[:, j["RAnkle"]] - seq.coords[:, j["RKnee"]], axis=-1)
    assert np.median(shin / shin_true) < 0.95
