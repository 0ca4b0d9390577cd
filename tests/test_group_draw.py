"""Every person of a group drawn: pose images (`retarget draw`), plots and animations
(`retarget plot` / `animate`), depth order, `--person ID`, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from retarget.cli import cli
from skeleton_io import OPENPOSE15, PoseGroup, save_file
from skeleton_io.group import overlap
from viz.draw import plot_frames
from viz.scene import Scene

from .test_group_transfer import dancer


def crossing() -> PoseGroup:
    """Two dancers: id 0 still, id 1 passing in front of it (lower in the picture) from the
    right to the left."""
    still = dancer(dx=0.0, frames=12)
    walk = dancer(dx=0.0, frames=12)
    shift = np.zeros((12, 1, 2))
    shift[:, 0, 0] = np.linspace(300.0, -300.0, 12)
    walk = walk.with_coords(walk.coords + shift + [0.0, 40.0])
    return PoseGroup({0: still, 1: walk})


def test_nearness_and_depth_order():
    g = crossing()
    assert g.depth_order(6) == [0, 1]  # the lower one is nearer: drawn last
    near = g.nearness()
    assert near.shape == (2, 12) and (near[1] > near[0]).all()
    assert g.left_to_right() == (0, 1) or g.left_to_right() == (1, 0)
    assert overlap(g)[6] > 0.5 and overlap(g)[0] == 0.0


def test_merged_holds_everyone():
    g = crossing()
    m = g.merged()
    assert m.num_joints == 2 * OPENPOSE15.num_joints and m.meta["people"] == [0, 1]
    assert m.skeleton.joints[OPENPOSE15.num_joints] == "1:Nose"
    np.testing.assert_array_equal(m.coords[:, OPENPOSE15.num_joints :], g.person(1).coords)
    assert len(m.skeleton.edges) == 2 * len(OPENPOSE15.edges)


def test_plot_of_a_group_labels_people_and_puts_the_nearer_on_top():
    g = crossing()
    scene = Scene.of(g)
    assert scene.people == (0, 1) and scene.layers.shape == (12, 30)
    fig = plot_frames(g, [6])
    ax = fig.axes[0]
    labels = {t.get_gid() for t in ax.texts}
    assert {"person:0", "person:1"} <= labels
    z = {line.get_gid(): line.get_zorder() for line in ax.lines}
    assert z["bone:1:MidHip-1:RHip"] > z["bone:0:MidHip-0:RHip"]


@pytest.fixture
def group_file(tmp_path):
    path = tmp_path / "two.npz"
    save_file(crossing(), path)
    return path


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def test_cli_draw_plot_animate_a_group(tmp_path, group_file):
    t = tmp_path
    r = run("draw", group_file, "-o", t / "f.png", "--frame", "6")
    assert r.exit_code == 0 and "2 people" in r.output, r.output
    r = run("draw", group_file, "-o", t / "p1.png", "--frame", "6", "--person", "1")
    assert r.exit_code == 0 and "people" not in r.output, r.output
    r = run("draw", group_file, "-o", t / "all.mp4")
    assert r.exit_code == 0 and "12 pose image(s)" in r.output, r.output
    for args in (["-o", t / "plot.png"], ["-o", t / "p.png", "--person", "0"],
                 ["-o", t / "j.png", "--joints", "RWrist"],
                 ["-o", t / "lift.png", "--lift", "--azim", "45"]):  # fmt: skip
        r = run("plot", group_file, *args)
        assert r.exit_code == 0, (args, r.output)
    r = run("animate", group_file, "-o", t / "a.gif", "--size", "96")
    assert r.exit_code == 0, r.output
    import cv2

    both = cv2.imread(str(t / "f.png"))
    one = cv2.imread(str(t / "p1.png"))
    assert (both > 0).any(axis=2).sum() > (one > 0).any(axis=2).sum() > 0


@pytest.mark.parametrize("command", ["draw", "plot", "animate"])
def test_cli_missing_person_is_one_line(tmp_path, group_file, command):
    out = tmp_path / ("x.png" if command != "animate" else "x.gif")
    extra = ["--frame", "0"] if command == "draw" else []
    r = run(command, group_file, "-o", out, "--person", "9", *extra)
    assert r.exit_code == 2, r.output
    assert "no person with track id 9 (--person); its ids are 0, 1" in r.output
    assert not out.exists()
