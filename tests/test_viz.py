"""Pictures that are right, not only produced: known projections, colours, opacity, pixels,
frame counts and rates of animations read back with PyAV."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.colors import to_rgb, to_rgba

import viz
from skeleton_io import COCO17, OPENPOSE15, PoseSequence, save_file
from skeleton_io.errors import InvalidArgumentError
from viz import camera
from viz.animate import animate, animate_lifted, animate_overlay, pose_frame_map, render_frames
from viz.colors import CENTER, LEFT, RIGHT, bone_side, confidence_alpha
from viz.scene import Scene

from .conftest import MOCAP, OPENPOSE_REAL, need

# Bone lengths (cm) of the test figure, chosen here.
SHOULDER, UPPER_ARM, FOREARM = 20.0, 30.0, 25.0
HIP, THIGH, SHIN = 10.0, 45.0, 40.0
SPINE, HEAD, NOSE_FORWARD = 50.0, 20.0, 8.0

# Data frames for the same figure: (up, rotation from the y-up, +z-facing frame to it).
UPS = {
    "+y": np.eye(3),  # BVH: y up, the figure faces +z
    "+z": np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], float),  # AMASS-like: z up, faces -y
    "-y": np.diag([1.0, -1.0, -1.0]),  # image-like: y down, faces the camera (-z)
}


def stick_figure(
    frames: int = 4, up: str = "+y", yaw: float = 0.0, fps: float = 25.0
) -> PoseSequence:
    """A standing openpose15 figure, arms hanging, in cm, facing +z with its left on +x
    (y-up frame), then turned by ``yaw`` degrees about up and expressed in ``up``'s frame.
    The nose sits ``NOSE_FORWARD`` in front of the head line so the facing is visible."""
    y_hip = SHIN + THIGH
    p = {
        "MidHip": [0, y_hip, 0],
        "Neck": [0, y_hip + SPINE, 0],
        "Nose": [0, y_hip + SPINE + HEAD, NOSE_FORWARD],
        "LShoulder": [SHOULDER, y_hip + SPINE, 0],
        "RShoulder": [-SHOULDER, y_hip + SPINE, 0],
        "LElbow": [SHOULDER, y_hip + SPINE - UPPER_ARM, 0],
        "RElbow": [-SHOULDER, y_hip + SPINE - UPPER_ARM, 0],
        "LWrist": [SHOULDER, y_hip + SPINE - UPPER_ARM - FOREARM, 0],
        "RWrist": [-SHOULDER, y_hip + SPINE - UPPER_ARM - FOREARM, 0],
        "LHip": [HIP, y_hip, 0],
        "RHip": [-HIP, y_hip, 0],
        "LKnee": [HIP, SHIN, 0],
        "RKnee": [-HIP, SHIN, 0],
        "LAnkle": [HIP, 0, 0],
        "RAnkle": [-HIP, 0, 0],
    }
    pts = np.array([p[j] for j in OPENPOSE15.joints], float)
    c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    pts = pts @ np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]).T  # turn about +y
    pts = pts @ UPS[up].T
    coords = np.repeat(pts[None], frames, axis=0)
    coords[:, :, 0] += np.arange(frames)[:, None] * 1.0  # a slow step to the side
    return PoseSequence(coords, np.ones(coords.shape[:2]), OPENPOSE15, fps=fps, units="cm", up=up)


def pose_2d(frames: int = 3) -> PoseSequence:
    """A 2D pixel pose (y down): the figure seen from the front, left side on the image's
    right, on a 400x300 canvas."""
    seq = stick_figure(frames, up="-y")
    xy = seq.coords[..., :2] + [200.0, 260.0]
    return seq.with_coords(xy, units="px", up="-y", canvas=(400, 300))


def uv(proj: camera.Projection, name: str, t: int = 0) -> np.ndarray:
    return proj.seq.coords[t, OPENPOSE15.idx(name)]


def depth(proj: camera.Projection, name: str, t: int = 0) -> float:
    return float(proj.depth[t, OPENPOSE15.idx(name)])


def bone(ax, parent: str, child: str):
    (line,) = [a for a in ax.lines if a.get_gid() == f"bone:{parent}-{child}"]
    return line


# ------------------------------------------------------------------ the camera
@pytest.mark.parametrize("up", list(UPS))
@pytest.mark.parametrize("front", ["auto", "data"])
def test_front_view_shows_left_on_image_right(up, front):
    proj = camera.project(stick_figure(up=up), azim=0, elev=0, front=front)
    width = uv(proj, "LShoulder")[0] - uv(proj, "RShoulder")[0]
    assert width == pytest.approx(2 * SHOULDER)
    # v is up in the image, bone lengths along the vertical are kept
    assert uv(proj, "Nose")[1] > uv(proj, "Neck")[1] > uv(proj, "MidHip")[1]
    shin = uv(proj, "LKnee")[1] - uv(proj, "LAnkle")[1]
    assert shin == pytest.approx(SHIN)
    # the nose is in front: nearer the camera than the neck
    assert depth(proj, "Nose") - depth(proj, "Neck") == pytest.approx(NOSE_FORWARD)


@pytest.mark.parametrize("up", list(UPS))
def test_azimuth_90_shows_the_left_side(up):
    proj = camera.project(stick_figure(up=up), azim=90, elev=0)
    # the shoulder line points at the camera: its width collapses, vertical bones stay
    assert abs(uv(proj, "LShoulder")[0] - uv(proj, "RShoulder")[0]) < 1e-9
    upper = uv(proj, "LShoulder")[1] - uv(proj, "LElbow")[1]
    assert upper == pytest.approx(UPPER_ARM)
    assert uv(proj, "LKnee")[1] - uv(proj, "LAnkle")[1] == pytest.approx(SHIN)
    # the camera is on the performer's left: the left shoulder is nearer by the width
    assert depth(proj, "LShoulder") - depth(proj, "RShoulder") == pytest.approx(2 * SHOULDER)
    # ... and the performer faces the image's left
    assert uv(proj, "Nose")[0] - uv(proj, "Neck")[0] == pytest.approx(-NOSE_FORWARD)


def test_azimuth_minus_90_and_180():
    seq = stick_figure()
    right = camera.project(seq, azim=-90, elev=0)
    assert depth(right, "RShoulder") > depth(right, "LShoulder")
    assert uv(right, "Nose")[0] > uv(right, "Neck")[0]  # faces the image's right
    back = camera.project(seq, azim=180, elev=0)
    assert uv(back, "LShoulder")[0] - uv(back, "RShoulder")[0] == pytest.approx(-2 * SHOULDER)


def test_elevation_90_looks_down():
    proj = camera.project(stick_figure(), azim=0, elev=90)
    # vertical bones collapse, the shoulder width stays, the head is nearest the camera
    assert abs(uv(proj, "LKnee")[1] - uv(proj, "LAnkle")[1]) < 1e-9
    assert uv(proj, "LShoulder")[0] - uv(proj, "RShoulder")[0] == pytest.approx(2 * SHOULDER)
    assert depth(proj, "Nose") > depth(proj, "LAnkle")
    # the front points down the image
    assert uv(proj, "Nose")[1] - uv(proj, "Neck")[1] == pytest.approx(-NOSE_FORWARD)


@pytest.mark.parametrize("yaw", [40.0, -125.0])
def test_auto_front_follows_the_performer_and_azimuth_sign(yaw):
    """A performer turned by ``yaw`` (counter-clockwise from above) looks the same under
    the auto front; under the data front, the camera at azim = yaw sees the front."""
    base = camera.project(stick_figure(), 0, 0, front="data").seq.coords
    turned = stick_figure(yaw=yaw)
    auto = camera.project(turned, 0, 0, front="auto").seq.coords
    data = camera.project(turned, yaw, 0, front="data").seq.coords
    np.testing.assert_allclose(auto - auto[:, :1], base - base[:, :1], atol=1e-9)
    np.testing.assert_allclose(data - data[:, :1], base - base[:, :1], atol=1e-9)


def test_camera_rejects_2d_and_bad_up():
    with pytest.raises(InvalidArgumentError):
        camera.project(pose_2d())
    with pytest.raises(InvalidArgumentError):
        camera.up_vector("up")
    with pytest.raises(InvalidArgumentError):
        camera.view_frame(stick_figure(), front="side")


def test_no_left_right_pairs_falls_back_to_data_front():
    seq = stick_figure(up="+z")
    conf = seq.confidence.copy()
    conf[:, [OPENPOSE15.idx(n) for n in OPENPOSE15.joints if n[0] in "LR" and n[1].isupper()]] = 0
    seq = seq.with_coords(seq.coords, conf)
    np.testing.assert_allclose(
        camera.view_frame(seq, "auto").as_matrix(), camera.data_view_frame("+z").as_matrix()
    )


# ------------------------------------------------------------------ colours, opacity
def test_bone_sides():
    i = OPENPOSE15.idx
    assert bone_side(OPENPOSE15, (i("LShoulder"), i("LElbow"))) == "left"
    assert bone_side(OPENPOSE15, (i("Neck"), i("RShoulder"))) == "right"
    assert bone_side(OPENPOSE15, (i("MidHip"), i("Neck"))) == "center"
    c = COCO17.idx
    assert bone_side(COCO17, (c("LShoulder"), c("RShoulder"))) == "center"
    np.testing.assert_allclose(confidence_alpha([0, 0.2, 1], 0.15), [0, 0.32, 1])


def test_left_arm_drawn_in_left_colour_2d():
    seq = pose_2d()
    fig = viz.new_figure(4, 3)
    ax = fig.add_subplot()
    viz.draw_pose(ax, seq, 1)
    left, right = bone(ax, "LElbow", "LWrist"), bone(ax, "RElbow", "RWrist")
    assert to_rgb(left.get_color()) == pytest.approx(to_rgb(LEFT))
    assert to_rgb(right.get_color()) == pytest.approx(to_rgb(RIGHT))
    assert to_rgb(bone(ax, "MidHip", "Neck").get_color()) == pytest.approx(to_rgb(CENTER))
    # the line's data are the joints' pixels; the left arm lies on the image's right
    xs, ys = left.get_data()
    np.testing.assert_allclose(
        np.c_[xs, ys], seq.coords[1, [OPENPOSE15.idx("LElbow"), OPENPOSE15.idx("LWrist")]]
    )
    assert np.mean(xs) > np.mean(bone(ax, "RElbow", "RWrist").get_data()[0])
    # pixels: y axis inverted, equal aspect
    assert ax.yaxis_inverted()
    assert ax.get_aspect() == 1.0


def test_left_arm_in_left_colour_3d_from_the_front_and_the_back():
    for azim, left_on_right in ((0, True), (180, False)):
        fig = viz.new_figure(4, 4)
        ax = fig.add_subplot()
        viz.draw_pose(ax, stick_figure(), 0, azim=azim, elev=0)
        assert not ax.yaxis_inverted()
        lx = np.mean(bone(ax, "LElbow", "LWrist").get_data()[0])
        rx = np.mean(bone(ax, "RElbow", "RWrist").get_data()[0])
        assert (lx > rx) == left_on_right
        assert to_rgb(bone(ax, "LElbow", "LWrist").get_color()) == pytest.approx(to_rgb(LEFT))


def test_low_confidence_faded_missing_not_drawn():
    seq = pose_2d()
    conf = seq.confidence.copy()
    conf[:, OPENPOSE15.idx("LWrist")] = 0.2
    conf[:, OPENPOSE15.idx("RAnkle")] = 0.0
    seq = seq.with_coords(seq.coords, conf)
    fig = viz.new_figure(4, 3)
    ax = fig.add_subplot()
    art = viz.draw_pose(ax, seq, 0)
    assert bone(ax, "LElbow", "LWrist").get_alpha() == pytest.approx(0.15 + 0.85 * 0.2)
    assert bone(ax, "LShoulder", "LElbow").get_alpha() == pytest.approx(1.0)
    assert not bone(ax, "RKnee", "RAnkle").get_visible()
    # joints: the scatter leaves the missing ankle out and fades the wrist
    assert OPENPOSE15.idx("RAnkle") not in art.joint_index
    k = list(art.joint_index).index(OPENPOSE15.idx("LWrist"))
    face = art.joints.get_facecolors()
    assert face[k, 3] == pytest.approx(0.32)
    assert face[k, :3] == pytest.approx(to_rgba(LEFT)[:3])
    assert len(art.joints.get_offsets()) == OPENPOSE15.num_joints - 1


def _pixel_near(img: np.ndarray, x: float, y: float, color: str, r: int = 3) -> bool:
    """Some pixel within ``r`` of display point (x, y) (origin bottom-left) has ``color``."""
    h = img.shape[0]
    row, col = int(round(h - y)), int(round(x))
    patch = img[max(row - r, 0) : row + r + 1, max(col - r, 0) : col + r + 1, :3].astype(float)
    target = np.array(to_rgb(color)) * (255 if img.dtype == np.uint8 else 1.0)
    return bool((np.abs(patch - target).max(axis=-1) < 0.08 * patch.max()).any())


@pytest.mark.parametrize("dims", [2, 3])
def test_rendered_png_has_left_colour_at_left_wrist(tmp_path, dims):
    import matplotlib.image as mpimg

    seq = pose_2d() if dims == 2 else stick_figure()
    fig = viz.new_figure(4, 4)
    ax = fig.add_axes((0, 0, 1, 1))
    viz.draw_pose(ax, seq, 0, elev=0)
    fig.canvas.draw()
    out = viz.save_figure(fig, tmp_path / "pose.png")
    img = mpimg.imread(out)
    for name, color in (("LWrist", LEFT), ("RWrist", RIGHT)):
        line = bone(ax, name[0] + "Elbow", name)
        wx, wy = line.get_data()[0][1], line.get_data()[1][1]
        px, py = ax.transData.transform((wx, wy))
        assert _pixel_near(img, px, py, color), name
        other = RIGHT if color == LEFT else LEFT
        assert not _pixel_near(img, px, py, other, r=1), name
    # the left wrist is on the image's right half
    lx = ax.transData.transform(bone(ax, "LElbow", "LWrist").get_xydata()[1])[0]
    assert lx > img.shape[1] / 2


# ------------------------------------------------------------------ figures
def test_plot_frames_grid_and_shared_limits(tmp_path):
    seq = stick_figure(frames=6)
    fig = viz.plot_frames(seq, [0, 2, 5], azim=30, elev=20, ncols=2)
    axes = [a for a in fig.axes if a.lines]
    assert len(axes) == 3
    assert {a.get_xlim() for a in axes} == {axes[0].get_xlim()}
    viz.save_figure(fig, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000
    with pytest.raises(InvalidArgumentError):
        viz.plot_frames(seq, [7])
    with pytest.raises(InvalidArgumentError):
        viz.save_figure(fig, tmp_path / "f.jpeg2000")


def test_plot_compare_shares_limits_within_units():
    a, b = stick_figure(frames=3), stick_figure(frames=3, up="+z", yaw=30)
    fig = viz.plot_compare([pose_2d(), a, b], ["2d", "a", "b"], frames=[0, 2])
    grid = [ax for ax in fig.axes if ax.lines]
    assert len(grid) == 6
    cm = [ax for ax in grid if not ax.yaxis_inverted()]
    assert len(cm) == 4 and {ax.get_xlim() for ax in cm} == {cm[0].get_xlim()}
    assert [ax.get_title() for ax in fig.axes[:3]] == ["2d", "a", "b"]
    with pytest.raises(InvalidArgumentError):
        viz.plot_compare([a], ["x", "y"])


def test_plot_views_and_lift_hook(tmp_path):
    seq = stick_figure()
    fig = viz.plot_views(seq, azims=(0, 90), frames=[1])
    first, second = [ax for ax in fig.axes if ax.lines]
    width0 = np.ptp(bone(first, "Neck", "LShoulder").get_xydata()[:, 0]) * 2
    width90 = np.ptp(bone(second, "Neck", "LShoulder").get_xydata()[:, 0])
    assert width0 == pytest.approx(2 * SHOULDER)
    assert width90 < 1e-6

    def lift(seq2d: PoseSequence) -> PoseSequence:
        return stick_figure(frames=seq2d.num_frames)

    fig = viz.plot_lifted(pose_2d(), lift, azims=(0, 90))
    assert len([ax for ax in fig.axes if ax.lines]) == 3
    with pytest.raises(InvalidArgumentError):
        viz.plot_lifted(pose_2d(), lambda s: s)
    out = animate_lifted(pose_2d(), lift, tmp_path / "lift.gif", size=96, progress=False)
    assert _read_video(out)[0] == 3


def test_plot_trajectories_data_and_gaps():
    raw = pose_2d(frames=5)
    conf = raw.confidence.copy()
    conf[2, OPENPOSE15.idx("RWrist")] = 0
    raw = raw.with_coords(raw.coords, conf)
    smooth = raw.with_coords(raw.coords + 1.0, np.ones_like(conf))
    fig = viz.plot_trajectories([raw, smooth], ["RWrist", "LAnkle"], ["raw", "smooth"])
    assert len(fig.axes) == 4  # x and y rows, two joints
    x_ax = fig.axes[0]
    (line_raw, line_smooth) = x_ax.lines
    assert line_raw.get_label() == "raw"
    y = line_raw.get_ydata()
    assert np.isnan(y[2]) and y[0] == pytest.approx(raw.joint("RWrist")[0, 0])
    assert line_smooth.get_ydata()[2] == pytest.approx(raw.joint("RWrist")[2, 0] + 1)
    with pytest.raises(Exception, match="no joint"):
        viz.plot_trajectories(raw, ["Tail"])


def test_follow_keeps_a_walking_performer_centred():
    seq = stick_figure(frames=5)
    walk = seq.with_coords(seq.coords + np.arange(5)[:, None, None] * [100.0, 0, 0])
    scene = Scene.of(walk, follow="auto")
    assert scene.follow
    hips = scene.points[:, OPENPOSE15.idx("MidHip")]
    np.testing.assert_allclose(hips[:, [0, 2]], 0, atol=1e-9)
    assert not Scene.of(seq, follow="auto").follow
    # the floor grid is fixed to the world: it slides by the step between frames
    f0, f1 = scene.floor(0), scene.floor(1)
    assert len(f0) > 3 and len(f1) > 3


# ------------------------------------------------------------------ animations
def _read_video(path):
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
        return len(frames), float(s.average_rate), s.codec_context.name, frames


@pytest.mark.parametrize(("ext", "codec"), [(".mp4", "h264"), (".gif", "gif")])
def test_animation_frame_count_and_fps(tmp_path, ext, codec):
    seq = stick_figure(frames=12, fps=25.0)
    out = animate(seq, tmp_path / f"a{ext}", sweep=True, size=160, progress=False)
    n, fps, name, frames = _read_video(out)
    assert (n, fps, name) == (12, 25.0, codec)
    assert frames[0].shape[1] <= 160 and frames[0].shape[0] % 2 == 0
    # the sweep turns the camera: the first and a later frame differ
    assert np.abs(frames[0].astype(int) - frames[3].astype(int)).mean() > 0.5
    assert not list(tmp_path.glob(".a*"))  # no temporary left behind


def test_animation_fps_override_and_errors(tmp_path):
    seq = pose_2d(frames=4)
    out = animate(seq, tmp_path / "b.mp4", fps=10, size=128, progress=False)
    assert _read_video(out)[:2] == (4, 10.0)
    with pytest.raises(InvalidArgumentError, match="sweep"):
        animate(seq, tmp_path / "c.mp4", sweep=True, progress=False)
    with pytest.raises(InvalidArgumentError, match=".avi"):
        animate(seq, tmp_path / "c.avi", progress=False)
    assert not (tmp_path / "c.mp4").exists()


def test_render_frames_reuses_one_canvas():
    frames = render_frames(stick_figure(frames=3), size=96)
    a = next(frames)
    shape, ptr = a.shape, a.__array_interface__["data"][0]
    b = next(frames)
    assert b.shape == shape and b.__array_interface__["data"][0] == ptr


def _make_video(path, frames=6, size=(160, 120), fps=25):
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            img = np.full((size[1], size[0], 3), 40 + 10 * i, np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def test_overlay_on_video(tmp_path):
    video = _make_video(tmp_path / "v.mp4")
    # poses found in a 400x300 frame: twice the video's size, same aspect
    seq = pose_2d(frames=4)
    seq.meta["frame_index"] = [1, 2, 3, 4]
    out = animate_overlay(seq, video, tmp_path / "o.mp4", progress=False)
    n, fps, _, frames = _read_video(out)
    assert (n, fps) == (4, 25.0)
    img = frames[1]  # video frame 2, pose frame 1
    assert img.shape == (120, 160, 3)
    wx, wy = seq.coords[1, OPENPOSE15.idx("LWrist")] * (160 / 400)
    patch = img[int(wy) - 2 : int(wy) + 3, int(wx) - 2 : int(wx) + 3].reshape(-1, 3).astype(int)
    target = (np.array(to_rgb(LEFT)) * 255).astype(int)
    assert (np.abs(patch - target).max(axis=1) < 40).any()
    with pytest.raises(InvalidArgumentError, match="2D"):
        animate_overlay(stick_figure(), video, tmp_path / "x.mp4", progress=False)
    assert pose_frame_map(pose_2d(2), video_start=5) == {5: 0, 6: 1}


# ------------------------------------------------------------------ CLI
def test_cli_plot_and_animate(tmp_path):
    from retarget.cli import cli

    seq3d, seq2d = stick_figure(frames=6), pose_2d(frames=6)
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    save_file(seq3d, a)
    save_file(seq2d, b)
    run = CliRunner().invoke
    r = run(cli, ["plot", str(a), "-o", str(tmp_path / "p.png"), "--frames", "0,5", "--azim", "30"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "p.png").exists()
    r = run(cli, ["plot", str(a), "--compare", str(b), "-o", str(tmp_path / "c.svg")])
    assert r.exit_code == 0, r.output
    r = run(cli, ["plot", str(b), "--joints", "RWrist", "-o", str(tmp_path / "t.pdf")])
    assert r.exit_code == 0, r.output
    r = run(cli, ["animate", str(a), "-o", str(tmp_path / "s.gif"), "--sweep", "--size", "96"])
    assert r.exit_code == 0, r.output
    assert _read_video(tmp_path / "s.gif")[0] == 6
    r = run(cli, ["animate", str(b), "-o", str(tmp_path / "s.mp4"), "--fps", "12", "--size", "96"])
    assert r.exit_code == 0, r.output
    assert _read_video(tmp_path / "s.mp4")[:2] == (6, 12.0)
    for cmd, out in (("plot", "p.txt"), ("animate", "s.avi")):
        r = run(cli, [cmd, str(a), "-o", str(tmp_path / out)])
        assert r.exit_code == 2
        assert "error:" in r.output and len(r.output.strip().splitlines()) == 1
    r = run(cli, ["plot", str(a), "-o", str(tmp_path / "p.png"), "--frames", "x"])
    assert r.exit_code == 2


# ------------------------------------------------------------------ real data
@pytest.mark.shared
def test_real_openpose_and_bvh_plot(tmp_path):
    from skeleton_io import load_file

    op = load_file(need(OPENPOSE_REAL / "tall_man"), fps=30, max_frames=40)
    fig = viz.plot_frames(op, [0, 39])
    ax = [a for a in fig.axes if a.lines][0]
    assert ax.yaxis_inverted()
    # a person facing the camera: the left shoulder on the image's right
    ls, rs = op.joint("LShoulder")[0, 0], op.joint("RShoulder")[0, 0]
    assert ls > rs
    bvh = sorted(need(MOCAP / "format_samples").glob("*.bvh"))[0]
    seq = load_file(bvh, max_frames=30)
    fig = viz.plot_views(seq, azims=(0, 90))
    viz.save_figure(fig, tmp_path / "bvh.png")
    assert (tmp_path / "bvh.png").stat().st_size > 1000


def test_examples_are_written(tmp_path):
    from retarget.demo.examples import write_examples

    paths = write_examples(tmp_path, animations=False)
    assert sorted(p.name for p in paths) == [
        "compare.png",
        "frames.png",
        "trajectories.png",
        "views.png",
    ]
    assert all(p.stat().st_size > 10_000 for p in paths)


def _saved(tmp_path, kind):
    from skeleton_io import convert, save_file

    seq2d, seq3d = pose_2d(frames=3), stick_figure(frames=3)
    table = {
        "native3d": (seq3d, "native", "s.npz"),
        "openpose": (convert(seq2d, "body25"), "openpose", "op"),
        "coco": (convert(seq2d, "coco17"), "coco", "c.json"),
        "csv2d": (seq2d, "csv", "a.csv"),
        "csv3d": (seq3d, "csv", "b.csv"),
    }
    seq, fmt, name = table[kind]
    save_file(seq, tmp_path / name, fmt)
    return tmp_path / name


@pytest.mark.parametrize("kind", ["native3d", "openpose", "coco", "csv2d", "csv3d", "bvh"])
def test_cli_on_every_pose_input(tmp_path, kind):
    from retarget.cli import cli

    if kind == "bvh":
        src = sorted(need(MOCAP / "format_samples").glob("*.bvh"))[0]
    else:
        src = _saved(tmp_path, kind)
    run = CliRunner().invoke
    common = ["--max-frames", "3", "--fps", "10"]
    r = run(cli, ["plot", str(src), "-o", str(tmp_path / "p.png"), *common])
    assert r.exit_code == 0, r.output
    r = run(cli, ["animate", str(src), "-o", str(tmp_path / "a.gif"), "--size", "96", *common])
    assert r.exit_code == 0, r.output
    n, fps, _, _ = _read_video(tmp_path / "a.gif")
    assert (n, fps) == (3, 10.0)


@pytest.mark.parametrize("yaw", [-60.0, 60.0])
def test_lift_3d_turns_a_2d_input_the_right_way(yaw):
    """A 2D view of a performer turned by a known yaw, lifted by the shipped model: the
    shoulder nearer the camera (smaller z) is the one the turn brings forward."""
    from retarget.builtin import builtin_motion, project_to_canvas
    from retarget.retargeters import lift_3d

    seq2d = project_to_canvas(builtin_motion("average", frames=40), yaw=yaw)
    seq3d = lift_3d(seq2d, device="cpu")
    assert seq3d.dims == 3 and seq3d.num_frames == 40 and seq3d.present.all()
    j = OPENPOSE15.index.__getitem__
    dz = seq3d.coords[:, j("LShoulder"), 2] - seq3d.coords[:, j("RShoulder"), 2]
    # positive yaw turns the performer to its own left: the right shoulder comes forward,
    # so the left one is further from the camera (larger z)
    assert np.sign(np.median(dz)) == np.sign(yaw), np.median(dz)
    np.testing.assert_allclose(seq3d.coords[..., :2], seq2d.coords, atol=0.15 * 2 * 170)
    assert lift_3d(seq3d) is seq3d  # 3D stays as it is


def test_cli_plot_lift_and_2d_warning(tmp_path, caplog):
    from retarget.builtin import builtin_motion, project_to_canvas
    from retarget.cli import cli

    src = tmp_path / "a.npz"
    save_file(project_to_canvas(builtin_motion("average", frames=20), yaw=30), src)
    out = tmp_path / "side.png"
    res = CliRunner().invoke(cli, ["plot", str(src), "-o", str(out), "--azim", "90", "--lift"])
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 0 and "2D input" not in res.output
    res = CliRunner().invoke(cli, ["plot", str(src), "-o", str(out), "--azim", "90"])
    assert res.exit_code == 0 and "add --lift" in res.output
    anim = tmp_path / "turn.gif"
    res = CliRunner().invoke(cli, ["animate", str(src), "-o", str(anim), "--sweep", "--lift",
                                   "--size", "96"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert anim.stat().st_size > 0
