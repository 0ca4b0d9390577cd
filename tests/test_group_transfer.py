"""Several people retargeted at once (`retarget transfer` of a group): who gets which body,
each person's proportions, the layout scaled with the bodies, views, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from retarget.builtin import builtin_motion, project_to_canvas
from retarget.cli import cli
from retarget.geometry import HIP, robust_lengths
from retarget.retargeters.group import assign_structures, layout_shifts, transfer_group
from skeleton_io import InvalidArgumentError, PoseGroup, load_group, save_file
from skeleton_io.group import overlap

CANVAS = (1600, 900)


def dancer(body: str = "average", px_per_cm: float = 1.5, dx: float = 0.0, frames: int = 48):
    """The built-in dance on a body type, seen from the front, moved ``dx`` pixels right."""
    seq = project_to_canvas(builtin_motion(body, frames=frames), CANVAS, px_per_cm=px_per_cm)
    return seq.with_coords(seq.coords + [dx, 0.0])


@pytest.fixture(scope="module")
def model():
    from retarget.retargeters import load_retargeter

    return load_retargeter(None, denoise=None)


def bone_error(out, truth) -> float:
    """Median relative error of the output's bone lengths against the truth's."""
    a, b = robust_lengths(out), robust_lengths(truth)
    return float(np.nanmedian(np.abs(a - b) / b))


def hip_x(seq) -> np.ndarray:
    return seq.coords[:, HIP, 0]


def test_two_people_onto_a_body_twice_as_tall_come_out_twice_as_tall_gap_doubled(model):
    group = PoseGroup({0: dancer(dx=-150), 1: dancer(dx=150)})
    big = dancer(px_per_cm=3.0)
    out = transfer_group(group, big, model=model, denoise=False)
    assert out.ids == (0, 1) and out.num_frames == 48
    for k in out.ids:
        assert bone_error(out.person(k), big) < 0.03
        assert out.person(k).meta["root_scale"] == pytest.approx(2.0, rel=0.02)
    gap_in = hip_x(group.person(1)) - hip_x(group.person(0))
    gap_out = hip_x(out.person(1)) - hip_x(out.person(0))
    np.testing.assert_allclose(gap_out, 2.0 * gap_in, rtol=0.02)
    centre_in = (hip_x(group.person(0)) + hip_x(group.person(1)))[0] / 2
    centre_out = (hip_x(out.person(0)) + hip_x(out.person(1)))[0] / 2
    assert centre_out == pytest.approx(centre_in, abs=1.0)  # the group stays where it was
    assert overlap(group).max() == 0 and overlap(out).max() == 0


def test_one_body_per_person_matched_left_to_right_not_by_id(model):
    # id 0 stands on the right, id 1 on the left: bodies given left to right
    group = PoseGroup({0: dancer(dx=200), 1: dancer(dx=-200)})
    small, tall = dancer("small", 1.5), dancer("tall", 2.0)
    assert group.left_to_right() == (1, 0)
    out = transfer_group(group, [small, tall], model=model, denoise=False)
    assert bone_error(out.person(1), small) < 0.03
    assert bone_error(out.person(0), tall) < 0.03
    # the offset between them scales by the mean of their size ratios
    r = [out.person(k).meta["root_scale"] for k in (0, 1)]
    gap_in = hip_x(group.person(0)) - hip_x(group.person(1))
    gap_out = hip_x(out.person(0)) - hip_x(out.person(1))
    np.testing.assert_allclose(gap_out, np.mean(r) * gap_in, rtol=0.02)


def _feet_y(seq) -> np.ndarray:
    from retarget.geometry import J

    return seq.coords[:, [J["RAnkle"], J["LAnkle"]], 1].max(axis=1)


def test_people_made_taller_and_smaller_keep_one_floor(model):
    """Two dancers on one floor, one onto a body 2.5x as tall as the other's: their feet
    stay on one line (the hips would otherwise stay level and the small one float), and
    move as the mean ratio moves them."""
    group = PoseGroup({0: dancer(dx=-250), 1: dancer(dx=250)})
    tall, small = dancer("tall", 2.0), dancer("small", 1.0)
    out = transfer_group(group, [tall, small], model=model, denoise=False)
    feet = [_feet_y(out.person(k)) for k in (0, 1)]
    height = np.ptp(out.person(0).coords[0, :, 1])
    gap = np.abs(feet[0] - feet[1]) / height  # what is left: each one's own foot skate
    assert gap[0] < 0.02 and np.median(gap) < 0.02 and gap.max() < 0.04
    r = [out.person(k).meta["root_scale"] for k in (0, 1)]
    assert r[0] > 2 * r[1]
    hip0, feet0 = group.person(0).coords[0, HIP, 1], _feet_y(group.person(0))[0]
    np.testing.assert_allclose(feet[0][0], hip0 + np.mean(r) * (feet0 - hip0), atol=0.01 * height)


def test_assign_by_track_id_and_the_rest_left_to_right():
    group = PoseGroup({0: dancer(dx=-300), 1: dancer(dx=0), 2: dancer(dx=300)})
    a, b, c = dancer("small"), dancer("tall"), dancer("stocky")
    got = assign_structures(group, [a, b], {1: c})
    assert got[1] is c and got[0] is a and got[2] is b
    got = assign_structures(group, [a], {2: c})
    assert got[0] is a and got[1] is a and got[2] is c
    with pytest.raises(InvalidArgumentError, match="track id 7.*ids 0, 1, 2"):
        assign_structures(group, [a], {7: c})
    with pytest.raises(InvalidArgumentError, match="2 `structure` inputs for 3 people"):
        assign_structures(group, [a, b])
    with pytest.raises(InvalidArgumentError, match="no body for the people with track ids 0, 2"):
        assign_structures(group, [], {1: c})


def test_a_group_of_one_is_placed_as_one_person(model):
    from retarget import transfer

    one = dancer(dx=100)
    body = dancer("tall", 2.5)
    alone = transfer(one, body, model=model, denoise=False)
    out = transfer_group(PoseGroup({4: one}), body, model=model, denoise=False)
    np.testing.assert_allclose(out.person(4).coords, alone.coords, atol=1e-9)


def test_layout_shifts_known_answers():
    rng = np.random.default_rng(0)
    hips = rng.uniform(0, 500, (1, 10, 2))
    np.testing.assert_allclose(layout_shifts(hips, np.array([1.7])), 0.0, atol=1e-12)
    # two people apart by 200 px, still; ratios 1 and 3: the offset becomes 2 x 200
    hips = np.zeros((2, 5, 2))
    hips[0, :, 0], hips[1, :, 0] = 100.0, 300.0
    ratios = np.array([1.0, 3.0])
    placed = hips + layout_shifts(hips, ratios)  # where each hip goes (still motion)
    np.testing.assert_allclose(placed[1, :, 0] - placed[0, :, 0], 400.0)
    np.testing.assert_allclose(placed[:, :, 0].mean(axis=0), 200.0)  # centre kept
    # turned by 90 degrees about the group's vertical axis: side by side becomes behind
    turned = hips + layout_shifts(hips, np.array([1.0, 1.0]), yaw=90.0)
    np.testing.assert_allclose(turned[..., 0], 200.0, atol=1e-9)
    # one floor: hips 80 px above the feet, ratios 1 and 3 (mean 2): the first moves down
    # by 80 px, the second up by 80 px, so both feet end 2 x 80 below the hips' line;
    # a person whose feet were never seen (NaN) keeps the hip placement
    floor = layout_shifts(hips, ratios, legs=np.array([80.0, 80.0])) - layout_shifts(hips, ratios)
    np.testing.assert_allclose(floor[0, :, 1], 80.0)
    np.testing.assert_allclose(floor[1, :, 1], -80.0)
    np.testing.assert_allclose(floor[..., 0], 0.0)
    unseen = layout_shifts(hips, ratios, legs=np.array([80.0, np.nan])) - layout_shifts(
        hips, ratios
    )
    np.testing.assert_allclose(unseen[1], 0.0)


def test_a_turned_view_turns_the_group_about_its_centre(model):
    group = PoseGroup({0: dancer(dx=-200), 1: dancer(dx=200)})
    out = transfer_group(group, dancer(), 60.0, model=model, denoise=False)
    assert out.meta["view_yaw"] == 60.0
    gap = hip_x(out.person(1)) - hip_x(out.person(0))
    np.testing.assert_allclose(gap[0], 400.0 * np.cos(np.radians(60)), rtol=0.02)
    # the structure's view: one yaw for the whole group, from its main person
    turned = project_to_canvas(builtin_motion("tall", frames=48), CANVAS, yaw=40, px_per_cm=1.5)
    out = transfer_group(group, turned, "structure", model=model, denoise=False)
    yaw, ratio = out.meta["view_yaw"], out.person(0).meta["root_scale"]
    assert 15 < yaw < 60
    gap = hip_x(out.person(1)) - hip_x(out.person(0))
    np.testing.assert_allclose(gap[0], 400.0 * ratio * np.cos(np.radians(yaw)), rtol=0.02)


def test_frames_where_a_person_is_unseen_stay_missing(model):
    late = dancer(dx=250)
    late.confidence[:10] = 0.0
    late.coords[:10] = 0.0
    out = transfer_group(PoseGroup({0: dancer(dx=-250), 1: late}), dancer(), model=model)
    assert not out.person(1).present[:10].any() and out.person(1).present[10:].all()
    assert out.person(0).present.all()


# ---------------------------------------------------------------------- the command
@pytest.fixture
def files(tmp_path):
    save_file(
        PoseGroup({0: dancer(dx=250, frames=24), 1: dancer(dx=-250, frames=24)}),
        tmp_path / "two.npz",
    )
    save_file(dancer("tall", 3.0, frames=24), tmp_path / "big.npz")
    save_file(dancer("small", 1.5, frames=24), tmp_path / "small.npz")
    return tmp_path


def run(*args):
    return CliRunner().invoke(cli, ["transfer", *map(str, args)])


def test_cli_gives_each_person_their_body(files):
    t = files
    r = run("--motion", t / "two.npz", "--structure", t / "small.npz", "--structure",
            t / "big.npz", "-o", t / "out.npz", "--no-denoise")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "2 people" in r.output
    out = load_group(t / "out.npz")
    assert out.ids == (0, 1)
    # id 1 stands on the left: the first structure
    assert bone_error(out.person(1), dancer("small", 1.5)) < 0.03
    assert bone_error(out.person(0), dancer("tall", 3.0)) < 0.03
    r = run("--motion", t / "two.npz", "--assign", f"1={t / 'big.npz'}", "--structure",
            t / "small.npz", "-o", t / "out2", "--format", "openpose", "--no-denoise")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert load_group(t / "out2", fps=25).ids == (0, 1)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--structure", "big.npz", "--structure", "small.npz", "--structure", "big.npz"],
         "3 --structure inputs for 2 people (track ids 1, 0, left to right)"),
        (["--assign", "7=big.npz"], "--assign names track id 7, but the motion's people are ids 0, 1"),
        (["--structure", "two.npz"], "two.npz: a --structure is one body, but this file holds 2"),
        (["--structure", "big.npz", "--format", "bvh"], "--format bvh holds one person"),
        (["--structure", "big.npz", "--people", "0"], "--people"),
        (["--assign", "one=big.npz"], "is not ID=FILE"),
        (["--assign", "0=big.npz", "--assign", "0=small.npz"], "track id 0 is given twice"),
        ([], "give the body to retarget onto"),
    ],
)  # fmt: skip
def test_cli_bad_input_is_one_line_and_nothing_written(files, monkeypatch, args, message):
    monkeypatch.chdir(files)
    out = "out.bvh" if "bvh" in args else "out.npz"
    r = run("--motion", "two.npz", *args, "-o", out)
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
    assert not (files / out).exists()


def test_bodies_of_different_sizes_never_overlap_more_than_the_motion(model):
    from retarget.retargeters.group import OVERLAP_SLACK

    group = PoseGroup({0: dancer(dx=-80), 1: dancer(dx=80)})  # their hands meet
    big, small = dancer("tall", 2.2), dancer("small", 1.0)
    out = transfer_group(group, [big, small], model=model, denoise=False)
    assert out.meta["layout_spread"] > 0
    assert (overlap(out) <= overlap(group) + OVERLAP_SLACK + 1e-9).all()
    assert bone_error(out.person(0), big) < 0.03 and bone_error(out.person(1), small) < 0.03
    # the same body for both (the motion's proportions at another size): no spread
    same = transfer_group(group, dancer(px_per_cm=2.2), model=model, denoise=False)
    assert same.meta["layout_spread"] == 0.0


def test_batch_transfer_gives_every_person_of_a_group_file_the_body(files, tmp_path):
    from retarget.pipeline.batch import run_batch

    inputs = tmp_path / "in"
    inputs.mkdir()
    (files / "two.npz").rename(inputs / "two.npz")
    save_file(dancer(frames=24), inputs / "one.npz")
    res = run_batch(
        "transfer", inputs, tmp_path / "out",
        settings={"structure": files / "big.npz", "denoise": "none"},
        engine="serial", progress=False,
    )  # fmt: skip
    assert res.done == 2 and not res.failed
    two = load_group(tmp_path / "out/two.npz")
    assert two.ids == (0, 1)
    for k in two.ids:
        assert bone_error(two.person(k), dancer("tall", 3.0, frames=24)) < 0.03
    assert load_group(tmp_path / "out/one.npz").num_people == 1
