"""``retarget align`` (retarget/pipeline/align.py): the driving motion on the reference's
body where the reference stands, as pose images; known answers on generated inputs, the CLI
as a user runs it, and hostile input (one error line, nothing written)."""

from __future__ import annotations

import logging

import av
import numpy as np
import pytest
from click.testing import CliRunner

from retarget.cli import cli
from retarget.geometry import HIP, as_openpose15, robust_lengths
from retarget.pipeline.align import align_poses, pose_align_video
from retarget.pipeline.video import ground_point
from skeleton_io import OPENPOSE15, OPENPOSE_WHOLEBODY, convert, load_file, save_file
from skeleton_io.errors import NoPersonFoundError
from skeleton_io.wholebody import LEFT_HAND

from .conftest import MEDIA, need
from .test_cli_extract import listing
from .test_extremities import wholebody_dance

REF_CANVAS = (400, 600)


def reference(hands: bool = True):
    """A small person standing in a 400 x 600 photo, feet at (150, 520), as a pose file."""
    ref = wholebody_dance("small", frames=1, size=0.7, yaw=-20, hands=hands)
    o15 = as_openpose15(ref)
    shift = np.array([150.0, 520.0]) - ground_point(o15, 0)
    ref = ref.with_coords(np.where(ref.confidence[..., None] > 0, ref.coords + shift, 0.0))
    ref.canvas = REF_CANVAS
    return ref


def driving(frames: int = 40):
    return wholebody_dance("average", frames=frames)


@pytest.fixture
def files(tmp_path):
    ref, drv = tmp_path / "ref.npz", tmp_path / "drv.npz"
    save_file(reference(), ref)
    save_file(driving(), drv)
    return ref, drv


# ---------------------------------------------------------------- known answers
def test_first_frame_stands_where_the_reference_stands_at_its_size():
    ref, drv = reference(), driving()
    out = align_poses(ref, ref, drv, model="limb")
    o15, r15 = as_openpose15(out), as_openpose15(ref)
    np.testing.assert_allclose(ground_point(o15, 0), ground_point(r15, 0), atol=1e-9)
    np.testing.assert_allclose(robust_lengths(o15), robust_lengths(r15), rtol=1e-9)
    assert out.canvas == REF_CANVAS and out.fps == drv.fps and out.num_frames == drv.num_frames
    assert out.meta["placed"]["anchor"] == "ground"
    # afterwards the hip moves as the driving's, scaled by the ratio of leg lengths
    m15 = as_openpose15(drv)
    lm, lr = robust_lengths(m15), robust_lengths(r15)
    k = (lr[9] + lr[10] + lr[12] + lr[13]) / (lm[9] + lm[10] + lm[12] + lm[13])
    np.testing.assert_allclose(
        o15.coords[:, HIP] - o15.coords[0, HIP],
        k * (m15.coords[:, HIP] - m15.coords[0, HIP]),
        atol=1e-9,
    )


def test_source_ground_from_unsure_and_missing_ankles():
    """The reference's ground point: ankles from the DWPose drawing threshold (0.3) count;
    one ankle missing is put where the seen side's shin puts it from the other knee (else
    hip); nothing seen gives None (the caller falls back to the hip)."""
    from retarget.pipeline.placement import ANCHOR_VISIBILITY, GROUND_VISIBILITY, source_ground

    r15 = as_openpose15(reference())
    sk = r15.skeleton
    la, ra, lk, rk, lh, rh = (
        sk.idx(n) for n in ("LAnkle", "RAnkle", "LKnee", "RKnee", "LHip", "RHip")
    )
    np.testing.assert_allclose(source_ground(r15), ground_point(r15, 0))
    unsure = r15.with_coords(r15.coords, r15.confidence.copy())
    unsure.confidence[0, la] = 0.5 * (GROUND_VISIBILITY + ANCHOR_VISIBILITY)
    np.testing.assert_allclose(source_ground(unsure), ground_point(r15, 0))
    one = r15.with_coords(r15.coords, r15.confidence.copy())
    one.confidence[0, la] = 0.1
    c = r15.coords[0]
    guess = c[lk] + c[ra] - c[rk]
    want = [(guess[0] + c[ra, 0]) / 2, max(guess[1], c[ra, 1])]
    np.testing.assert_allclose(source_ground(one), want)
    one.confidence[0, lk] = 0  # no left knee: from the hips
    guess = c[lh] + c[ra] - c[rh]
    np.testing.assert_allclose(
        source_ground(one), [(guess[0] + c[ra, 0]) / 2, max(guess[1], c[ra, 1])]
    )
    one.confidence[0, [lh, rh]] = 0  # nothing to put it from: the seen ankle alone
    np.testing.assert_allclose(source_ground(one), c[ra])
    one.confidence[0, ra] = 0
    assert source_ground(one) is None
    out = align_poses(one, one, driving(8), model="limb")
    assert out.meta["placed"]["anchor"] == "hip"


def test_with_the_model_feet_within_3_percent_and_size_within_5():
    ref, drv = reference(), driving(48)
    out = align_poses(ref, ref, drv)  # the shipped model, denoising both
    o15, r15 = as_openpose15(out), as_openpose15(ref)
    h = float(np.sum(robust_lengths(r15)[[0, 1, 9, 10]]))
    assert np.linalg.norm(ground_point(o15, 0) - ground_point(r15, 0)) <= 0.03 * h
    size = float(np.sum(robust_lengths(o15)[[0, 1, 9, 10]]))
    assert abs(size / h - 1) <= 0.05
    # hands follow at the reference's hand size (0.7 of the driving's)
    sk = OPENPOSE_WHOLEBODY
    hand = out.coords[:, [sk.idx(n) for n in LEFT_HAND]] - out.coords[:, [sk.idx("LWrist")]]
    src = drv.coords[:, [sk.idx(n) for n in LEFT_HAND]] - drv.coords[:, [sk.idx("LWrist")]]
    ratio = np.linalg.norm(hand, axis=-1)[:, 1:] / np.linalg.norm(src, axis=-1)[:, 1:]
    np.testing.assert_allclose(ratio, 0.7, rtol=0.10)


def test_a_reference_without_feet_is_placed_by_the_hips(caplog):
    ref = reference()
    for j in ("LAnkle", "RAnkle"):
        ref.confidence[:, ref.skeleton.idx(j)] = 0.1  # an estimator's guess
    with caplog.at_level(logging.WARNING):
        out = align_poses(ref, ref, driving(10), model="limb")
    assert out.meta["placed"]["anchor"] == "hip" and "no feet seen" in caplog.text
    hip = as_openpose15(out).coords[0, HIP]
    np.testing.assert_allclose(hip, as_openpose15(ref).coords[0, HIP], atol=1e-9)


def test_empty_driving_frames_stay_empty_and_nobody_is_an_error():
    drv = driving(12)
    drv.confidence[5] = 0.0
    drv.coords[5] = 0.0
    out = align_poses(reference(), reference(), drv, model="limb")
    assert not out.confidence[5].any() and out.confidence[6].any()
    drv.confidence[:] = 0.0
    with pytest.raises(NoPersonFoundError, match="nobody"):
        align_poses(reference(), reference(), drv, model="limb")


def test_pose_align_video_writes_video_json_and_reference_pose(tmp_path, files):
    ref, drv = files
    rep = pose_align_video(
        ref, drv, tmp_path / "out.mp4", json_dir=tmp_path / "kp", style="dwpose",
        reference_pose=tmp_path / "ref_pose.jpg", model="limb",
    )  # fmt: skip
    assert (rep.frames, rep.canvas, rep.hands, rep.face) == (40, REF_CANVAS, True, True)
    with av.open(str(tmp_path / "out.mp4")) as c:
        s = c.streams.video[0]
        assert (s.width, s.height) == REF_CANVAS and float(s.average_rate) == pytest.approx(30)
        assert sum(1 for _ in c.decode(s)) == 40
    kp = load_file(tmp_path / "kp")
    assert kp.skeleton.name == "dwpose" and kp.num_frames == 40 and kp.canvas == REF_CANVAS
    assert (tmp_path / "ref_pose.jpg").stat().st_size > 0


# --------------------------------------------------------------------- the CLI
def test_cli_smoke(tmp_path, files):
    ref, drv = files
    r = CliRunner().invoke(
        cli,
        ["align", str(ref), str(drv), "-o", str(tmp_path / "frames"), "--json",
         str(tmp_path / "kp"), "--max-frames", "6", "--no-face"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "6 pose image(s), 400x600" in r.output and "body + hands" in r.output
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 6
    kp = load_file(tmp_path / "kp", fps=30)
    assert kp.skeleton == OPENPOSE_WHOLEBODY and kp.num_frames == 6


def _bad_cases(tmp, ref, drv):
    nobody = reference()
    nobody.confidence[:] = 0.0
    save_file(nobody, tmp / "nobody.npz")
    no_canvas = reference()
    no_canvas.canvas = None
    save_file(no_canvas, tmp / "no_canvas.npz")
    return {
        "unknown style": ([ref, drv, "-o", tmp / "a.mp4", "--style", "comic"], "--style"),
        "unknown suffix": ([ref, drv, "-o", tmp / "a.gif"], "a.gif"),
        "json is a file": ([ref, drv, "-o", tmp / "a.mp4", "--json", tmp / "k.json"], "--json"),
        "reference pose is a video": (
            [ref, drv, "-o", tmp / "a.mp4", "--reference-pose", tmp / "r.mp4"], "--reference-pose"),
        "same outputs": ([ref, drv, "-o", tmp / "a", "--json", tmp / "a"], "different"),
        "reference with nobody": ([tmp / "nobody.npz", drv, "-o", tmp / "a.mp4"], "nobody"),
        "driving with nobody": ([ref, tmp / "nobody.npz", "-o", tmp / "a.mp4"], "nobody"),
        "reference without a canvas": ([tmp / "no_canvas.npz", drv, "-o", tmp / "a.mp4"], "--canvas"),
        "reference frame out of range": (
            [ref, drv, "-o", tmp / "a.mp4", "--reference-frame", "3"], "--reference-frame"),
        "start frame past the end": ([ref, drv, "-o", tmp / "a.mp4", "--start-frame", "99"], "--start-frame"),
        "bad view": ([ref, drv, "-o", tmp / "a.mp4", "--view", "sideways"], "sideways"),
        "unknown model": ([ref, drv, "-o", tmp / "a.mp4", "--model", "gorilla"], "gorilla"),
        "output is an input": ([ref, drv, "-o", drv], "drv.npz"),
        "missing driving": ([ref, tmp / "none.mp4", "-o", tmp / "a.mp4"], "none.mp4"),
        # a .png takes one frame: refused before the keypoints folder is written
        "many frames into a png": ([ref, drv, "-o", tmp / "a.png", "--json", tmp / "k"], "--max-frames 1"),
    }  # fmt: skip


BAD = [
    "unknown style", "unknown suffix", "json is a file", "reference pose is a video",
    "same outputs", "reference with nobody", "driving with nobody",
    "reference without a canvas", "reference frame out of range", "start frame past the end",
    "bad view", "unknown model", "output is an input", "missing driving", "many frames into a png",
]  # fmt: skip


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, files, case):
    args, named = _bad_cases(tmp_path, *files)[case]
    before = listing(tmp_path)
    args = [*map(str, args), *([] if "--model" in map(str, args) else ["--model", "limb"])]
    r = CliRunner().invoke(cli, ["align", *args])
    lines = r.stderr.splitlines()
    assert r.exit_code == 2, r.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], r.stderr
    assert listing(tmp_path) == before


def test_hidden_reference_hands_and_asked_for_missing_hands_are_warned(tmp_path):
    ref, drv, body = tmp_path / "ref.npz", tmp_path / "drv.npz", tmp_path / "body.npz"
    save_file(reference(hands=False), ref)
    save_file(driving(8), drv)
    save_file(convert(driving(8), OPENPOSE15), body)
    r = CliRunner().invoke(cli, ["align", str(ref), str(drv), "-o", str(tmp_path / "a.mp4")])
    assert r.exit_code == 0, r.output
    assert "ref.npz: no hands seen" in r.stderr and "forearm" in r.stderr
    r = CliRunner().invoke(
        cli,
        ["align", str(ref), str(body), "-o", str(tmp_path / "b.mp4"), "--hands", "--model", "limb"],
    )
    assert r.exit_code == 0, r.output
    assert "body.npz: has no hands; drawing without" in r.stderr
    assert (tmp_path / "b.mp4").exists()


def test_a_photo_and_a_video_with_nobody_are_named(tmp_path):
    from skeleton_io.video_writer import VideoWriter
    from viz.pose_image import write_png

    write_png(np.full((240, 160, 3), 90, np.uint8), tmp_path / "empty.png")
    with VideoWriter(tmp_path / "empty.mp4", fps=10) as w:
        for _ in range(4):
            w.write(np.full((240, 160, 3), 90, np.uint8))
    before = listing(tmp_path)
    ref, drv = tmp_path / "ref.npz", tmp_path / "drv.npz"
    save_file(reference(), ref)
    save_file(driving(4), drv)
    runner = CliRunner()
    for args, name in (
        ([tmp_path / "empty.png", drv], "empty.png"),
        ([ref, tmp_path / "empty.mp4"], "empty.mp4"),
    ):
        r = runner.invoke(cli, ["align", *map(str, args), "-o", str(tmp_path / "a.mp4")])
        assert r.exit_code == 2 and r.stderr.startswith("error: ") and name in r.stderr, r.output
        assert "no person" in r.stderr or "nobody" in r.stderr
    assert sorted(set(listing(tmp_path)) - set(before)) == ["drv.npz", "ref.npz"]


@pytest.mark.slow
def test_real_photo_and_dance_video(tmp_path):
    photo = need(MEDIA / "i07_unianimate_deepfashion.jpg")
    video = need(MEDIA / "v02_animatex_dance_1.mp4")
    rep = pose_align_video(photo, video, tmp_path / "a.mp4", max_frames=12)
    assert rep.frames == 12 and rep.canvas == (750, 1101) and rep.placement["anchor"] == "ground"
    assert rep.hands and rep.face


def test_unianimate_layout_frames_and_ref_pose_in_one_folder_rerun(tmp_path, files):
    ref, drv = files
    folder = tmp_path / "saved_pose" / "me"
    folder.parent.mkdir()
    args = ["align", str(ref), str(drv), "-o", str(folder), "--style", "dwpose", "--no-face",
            "--reference-pose", str(folder / "ref_pose.jpg"), "--max-frames", "3", "--model", "limb"]  # fmt: skip
    for _ in range(2):  # the second run replaces its own frames and reference pose
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, r.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["frame_000000.png", "frame_000001.png", "frame_000002.png", "ref_pose.jpg"]
    (folder / "notes.txt").write_text("mine")
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2 and "--overwrite" in r.output


def test_fill_derived_known_answer():
    from skeleton_io.convert import fill_derived

    seq = as_openpose15(reference())
    j = seq.skeleton.idx
    seq.confidence[0, [j("MidHip"), j("Neck")]] = 0.0
    seq.confidence[0, j("LShoulder")] = 0.4
    out = fill_derived(seq)
    np.testing.assert_allclose(
        out.coords[0, j("MidHip")], seq.coords[0, [j("LHip"), j("RHip")]].mean(0)
    )
    assert out.confidence[0, j("Neck")] == pytest.approx(0.4)
    assert fill_derived(out) is out  # nothing left to fill


@pytest.mark.parametrize("missing", ["MidHip", "Nose"])
def test_a_photo_missing_a_trunk_joint_keeps_its_size(missing):
    # one frame has no other frame to fill a joint from: the body is still measured
    ref = reference()
    ref.confidence[0, ref.skeleton.idx(missing)] = 0.0
    out = as_openpose15(align_poses(ref, ref, driving(24)))
    r15 = as_openpose15(reference())
    legs = [9, 10, 12, 13]  # thighs and shins
    np.testing.assert_allclose(robust_lengths(out)[legs], robust_lengths(r15)[legs], rtol=0.05)


# ------------------------------------------------------------------ several people
def _moved(seq, dx: float, dy: float = 0.0):
    return seq.with_coords(np.where(seq.confidence[..., None] > 0, seq.coords + [dx, dy], 0.0))


def _group(*seqs):
    from skeleton_io.group import PoseGroup

    return PoseGroup({k: s for k, s in enumerate(seqs)})


@pytest.fixture
def group_files(tmp_path):
    """Two reference people (the right one larger) and two dancers, as pose files."""
    small = reference()
    big = reference()
    o15 = as_openpose15(big)
    gp = ground_point(o15, 0)
    big = big.with_coords(np.where(big.confidence[..., None] > 0, (big.coords - gp) * 1.3 + gp, 0))
    refs = _group(_moved(big, 180.0), _moved(small, -60.0))  # listed right one first
    d = driving(30)
    dancers = _group(_moved(d, 300.0), d)  # listed right one first
    ref, drv = tmp_path / "refs.npz", tmp_path / "dancers.npz"
    save_file(refs, ref)
    save_file(dancers, drv)
    return ref, drv, refs, dancers


def test_people_all_each_dancer_stands_where_their_reference_person_stands(group_files):
    from retarget.pipeline.align import align_people, read_reference_people

    ref, _, refs, dancers = group_files
    people = read_reference_people(ref)
    assert [p.meta["track_id"] for p, _ in people] == [1, 0]  # left to right
    out = align_people(people, dancers, model="limb", denoise_method="none")
    assert out.ids == dancers.ids and out.canvas == REF_CANVAS
    assert out.meta["whom"] == {"1": 0, "0": 1}  # the left dancer on the left person
    for k, r in ((1, refs.person(1)), (0, refs.person(0))):
        o15, r15 = as_openpose15(out.person(k)), as_openpose15(r)
        np.testing.assert_allclose(ground_point(o15, 0), ground_point(r15, 0), atol=1e-6)
        np.testing.assert_allclose(robust_lengths(o15), robust_lengths(r15), rtol=1e-6)
    assert out.skeleton == OPENPOSE_WHOLEBODY  # hands and face came along


def test_people_all_one_reference_for_all_keeps_the_group_around_them(tmp_path):
    from retarget.pipeline.align import align_people

    ref = reference()
    d = driving(20)
    dancers = _group(d, _moved(d, 200.0))
    out = align_people([(ref, ref)], dancers, model="limb", denoise_method="none")
    r15 = as_openpose15(ref)
    feet = [ground_point(as_openpose15(out.person(k)), 0) for k in out.ids]
    # the group's centre stands where the one reference person stands
    np.testing.assert_allclose(np.mean(feet, axis=0), ground_point(r15, 0), atol=1e-6)
    gap = feet[1][0] - feet[0][0]
    assert 100 < gap < 200  # the dancers' 200 px, scaled with the smaller body
    for k in out.ids:
        np.testing.assert_allclose(
            robust_lengths(as_openpose15(out.person(k))), robust_lengths(r15), rtol=1e-6
        )


def test_people_all_cli_writes_every_dancer(tmp_path, group_files):
    ref, drv, _, _ = group_files
    r = CliRunner().invoke(
        cli,
        ["align", str(ref), str(drv), "--people", "all", "-o", str(tmp_path / "out.mp4"),
         "--json", str(tmp_path / "kp"), "--reference-pose", str(tmp_path / "ref.png"),
         "--model", "limb", "--no-denoise"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "30 pose image(s), 400x600" in r.output and "2 dancers on 2 reference people" in r.output
    from skeleton_io import load_group

    kp = load_group(tmp_path / "kp", fps=30)
    assert kp.num_people == 2 and kp.num_frames == 30
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 30
    assert (tmp_path / "ref.png").stat().st_size > 0


def test_people_all_counts_that_do_not_match_are_one_line(tmp_path, group_files):
    ref, _, _, _ = group_files
    d = driving(10)
    drv = tmp_path / "three.npz"
    save_file(_group(d, _moved(d, 100.0), _moved(d, 200.0)), drv)
    out = tmp_path / "out.mp4"
    r = CliRunner().invoke(
        cli, ["align", str(ref), str(drv), "--people", "all", "-o", str(out), "--model", "limb"]
    )
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "refs.npz shows 2 people but the driving has 3" in lines[0]
    assert "--people 2" in lines[0] and not out.exists()
