"""Several people in one container (PoseGroup) and in every pose file format: validation,
slicing, the main person, exact round trips with track ids, and `retarget extract --people`."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from click.testing import CliRunner

from skeleton_io import (
    BODY18,
    BODY25,
    COCO17,
    DWPOSE,
    OPENPOSE15,
    OPENPOSE_WHOLEBODY,
    InvalidArgumentError,
    PoseGroup,
    SkeletonMismatchError,
    load_file,
    load_group,
    save_file,
)

from .conftest import make_pose_sequence

SUFFIX = {"native": "g.npz", "openpose": "g", "coco": "g.json", "csv": "g.csv"}
READ = {"fps": 25.0, "canvas": (640, 480)}


def make_group(skeleton=BODY25, frames: int = 6, ids=(3, 0, 7)) -> PoseGroup:
    """People with random poses, each missing in one frame, ids in a non-sorted order."""
    seqs = {}
    for k, tid in enumerate(ids):
        s = make_pose_sequence(skeleton, frames=frames, seed=k)
        s.confidence[k % frames] = 0.0
        s.coords[k % frames] = 0.0
        s.meta["frame_index"] = list(range(10, 10 + frames))
        seqs[tid] = s
    return PoseGroup(seqs, {"note": "made"})


def assert_same(a: PoseGroup, b: PoseGroup, atol: float = 0.0) -> None:
    assert a.ids == b.ids and a.num_frames == b.num_frames
    for (_ka, sa), (_kb, sb) in zip(a.items(), b.items()):
        assert sa.skeleton.joints == sb.skeleton.joints
        np.testing.assert_array_equal(sa.confidence, sb.confidence)
        np.testing.assert_allclose(sa.coords, sb.coords, rtol=0, atol=atol)


# ---------------------------------------------------------------- the container
def test_group_basics():
    g = make_group()
    assert g.ids == (3, 0, 7) and g.num_people == 3 and len(g) == 6 and g.fps == 25.0
    assert g.canvas == (640, 480) and g.skeleton == BODY25 and 3 in g and 4 not in g
    assert g.present.shape == (3, 6) and not g.present[0, 0] and g.present[0, 1:].all()
    coords, conf = g.stacked()
    assert coords.shape == (3, 6, 25, 2) and conf.shape == (3, 6, 25)
    part = g[2:5]
    assert part.ids == g.ids and part.num_frames == 3
    assert part.person(3).meta["frame_index"] == [12, 13, 14]
    np.testing.assert_array_equal(part.person(7).coords, g.person(7).coords[2:5])
    with pytest.raises(TypeError):
        iter(g)
    with pytest.raises(
        InvalidArgumentError, match="no person with track id 5; the ids are 3, 0, 7"
    ):
        g.person(5)
    with pytest.raises(AttributeError, match="every track's own"):
        g.fps = 30.0  # shared by the tracks: read from them, not set on the group


def test_main_and_largest_go_by_size_over_the_clip():
    small = make_pose_sequence(OPENPOSE15, frames=10, seed=1)
    big = small.with_coords(small.coords * 2.0)
    conf = big.confidence.copy()
    conf[2:] = 0.0
    brief = big.with_coords(big.coords * 1.5, conf)  # the largest, but seen in two frames
    g = PoseGroup({0: small, 1: big, 2: brief})
    assert g.main_id() == 1 and g.main() is g.person(1)
    assert g.largest(2).ids == (0, 1) and g.select([2, 0]).ids == (2, 0)
    assert g.renumbered().ids == (0, 1, 2)
    with pytest.raises(InvalidArgumentError):
        g.largest(0)


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda s: s[:4], "num_frames"),
        (lambda s: s.with_coords(s.coords, fps=30.0), "fps"),
        (lambda s: s.with_coords(s.coords, canvas=(100, 100)), "canvas"),
    ],
)
def test_group_tracks_must_share_frames(change, match):
    a = make_pose_sequence(OPENPOSE15, frames=6)
    with pytest.raises(SkeletonMismatchError, match=match):
        PoseGroup({0: a, 1: change(a)})


def test_group_rejects_bad_tracks():
    a = make_pose_sequence(OPENPOSE15, frames=6)
    with pytest.raises(InvalidArgumentError, match="at least one"):
        PoseGroup({})
    with pytest.raises(InvalidArgumentError, match="integers >= 0"):
        PoseGroup({-1: a})
    with pytest.raises(InvalidArgumentError, match="integers >= 0"):
        PoseGroup({"a": a})
    with pytest.raises(SkeletonMismatchError, match="skeleton"):
        PoseGroup({0: a, 1: make_pose_sequence(BODY25, frames=6)})


def test_map_keeps_absent_frames_missing():
    g = make_group(OPENPOSE15)

    def fill(s):  # a filter that fills every frame (as gap filling would)
        return s.with_coords(s.coords + 1.0, np.full_like(s.confidence, 0.5))

    out = g.map(fill)
    np.testing.assert_array_equal(out.present, g.present)
    assert (out.person(3).coords[0] == 0).all()
    assert g.map(fill, keep_missing=False).present.all()


# ---------------------------------------------------------------- formats
@pytest.mark.parametrize(
    "fmt, skeleton, name",
    [
        ("native", BODY25, "g.npz"),
        ("openpose", BODY25, "g"),
        ("openpose", OPENPOSE_WHOLEBODY, "g"),
        ("dwpose", BODY18, "g.json"),
        ("dwpose", DWPOSE, "g"),
        ("csv", BODY25, "g.csv"),
        ("coco", COCO17, "g.json"),
    ],
)
def test_round_trip_keeps_people_ids_and_numbers(tmp_path, fmt, skeleton, name):
    g = make_group(skeleton)
    save_file(g, tmp_path / name, fmt)
    back = load_group(tmp_path / name, format=fmt, **READ)
    assert back.skeleton == skeleton
    assert_same(back, g, atol=1e-9 if fmt == "coco" else 0.0)
    assert back.fps == 25.0 and back.canvas == (640, 480)
    if fmt == "native":  # everything else too
        read = {k: v for k, v in back.person(0).meta.items() if not k.startswith("source_")}
        assert back.meta["note"] == "made" and read == g.person(0).meta  # + where it was read


def test_file_layouts_name_each_person(tmp_path):
    g = make_group()
    save_file(g, tmp_path / "op", "openpose")
    doc = json.loads((tmp_path / "op" / "op_000000000001_keypoints.json").read_text())
    assert [p["person_id"] for p in doc["people"]] == [[3], [7]]  # id 0 is missing in frame 1
    save_file(g.map(lambda s: s), tmp_path / "g.csv", "csv")
    lines = (tmp_path / "g.csv").read_text().splitlines()
    assert lines[0] == "person,frame,joint,x,y,z,confidence"
    assert lines[1].startswith("3,0,Nose,") and len(lines) == 1 + 3 * 6 * 25
    save_file(make_group(COCO17), tmp_path / "c.json", "coco")
    anns = json.loads((tmp_path / "c.json").read_text())["annotations"]
    assert len(anns) == 3 * 6 - 3 and {a["track_id"] for a in anns} == {0, 3, 7}


@pytest.mark.parametrize("fmt", ["native", "openpose", "csv", "coco"])
def test_single_person_files_stay_as_they_are(tmp_path, fmt):
    seq = make_pose_sequence(COCO17 if fmt == "coco" else BODY25, frames=5)
    save_file(seq, tmp_path / SUFFIX[fmt], fmt)
    group = load_group(tmp_path / SUFFIX[fmt], **READ)
    assert group.num_people == 1
    np.testing.assert_array_equal(
        group.first.coords, load_file(tmp_path / SUFFIX[fmt], **READ).coords
    )
    if fmt == "csv":
        assert (tmp_path / "g.csv").read_text().startswith("frame,joint,")


@pytest.mark.parametrize("fmt", ["native", "csv"])
def test_load_file_on_a_group_gives_the_main_person(tmp_path, fmt, caplog):
    g = make_group()
    save_file(g, tmp_path / SUFFIX[fmt], fmt)
    with caplog.at_level(logging.WARNING):
        seq = load_file(tmp_path / SUFFIX[fmt], **READ)
    np.testing.assert_array_equal(seq.coords, g.main().coords)
    assert "3 tracked people" in caplog.text and SUFFIX[fmt] in caplog.text


def test_untracked_openpose_people_are_linked_by_the_tracker(tmp_path):
    """OpenPose's own files (person_id -1, people in any order): two people walking past
    each other come out as two tracks."""
    folder = tmp_path / "op"
    folder.mkdir()
    base = np.array([[0.5, 0.1], [0.5, 0.25], [0.3, 0.25], [0.2, 0.45], [0.15, 0.6], [0.7, 0.25],
                     [0.8, 0.45], [0.85, 0.6], [0.5, 0.55], [0.4, 0.55], [0.4, 0.75],
                     [0.4, 0.95], [0.6, 0.55], [0.6, 0.75], [0.6, 0.95]])  # fmt: skip
    for t in range(20):
        people = []
        for x0, y0 in ((10 + 5 * t, 10), (200 - 5 * t, 40)):
            xy = np.zeros((25, 2))
            xy[:15] = base * [40, 100] + [x0, y0]
            flat = np.concatenate([xy, np.r_[np.full(15, 0.9), np.zeros(10)][:, None]], 1)
            people.append({"person_id": [-1], "pose_keypoints_2d": flat.ravel().tolist()})
        if t % 2:
            people.reverse()
        doc = {"version": 1.3, "people": people}
        (folder / f"x_{t:012d}_keypoints.json").write_text(json.dumps(doc))
    g = load_group(folder, fps=25)
    assert g.num_people == 2
    for (_k, s), x0 in zip(g.items(), (10 + 5 * np.arange(20), 200 - 5 * np.arange(20))):
        assert s.present.all()
        np.testing.assert_allclose(s.coords[:, 1, 0], x0 + 20, atol=1e-9)


def test_group_options_and_errors(tmp_path):
    g = make_group()
    save_file(g, tmp_path / "g.npz")
    assert load_group(tmp_path / "g.npz", people=2).num_people == 2
    part = load_group(tmp_path / "g.npz", start_frame=2, max_frames=3)
    assert part.num_frames == 3 and part.person(0).meta["frame_index"] == [12, 13, 14]
    for bad in (0, -1, 1.5):
        with pytest.raises(InvalidArgumentError, match="people"):
            load_group(tmp_path / "g.npz", people=bad)
    with pytest.raises(InvalidArgumentError, match="bvh holds one person but there are 3"):
        save_file(g, tmp_path / "g.bvh", "bvh")
    assert not (tmp_path / "g.bvh").exists()
    with pytest.raises(InvalidArgumentError, match="frame size"):
        save_file(make_group(COCO17).map(lambda s: s.with_coords(s.coords, canvas=None)),
                  tmp_path / "c.json", "coco")  # fmt: skip
    one = PoseGroup.from_sequence(make_pose_sequence(OPENPOSE15, frames=4))
    save_file(one, tmp_path / "one.csv", "csv")
    assert (tmp_path / "one.csv").read_text().startswith("person,frame,")


# ---------------------------------------------------------------- the command line
def test_cli_people_option(tmp_path):
    from retarget.cli import cli

    runner = CliRunner()
    g = make_group()
    save_file(g, tmp_path / "g.npz")
    out = tmp_path / "o.csv"
    r = runner.invoke(cli, ["extract", str(tmp_path / "g.npz"), "-o", str(out), "--format", "csv",
                            "--people", "all"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "3 people" in r.output
    assert_same(load_group(out, fps=25), g)
    r = runner.invoke(cli, ["extract", str(tmp_path / "g.npz"), "-o", str(tmp_path / "m.npz")])
    assert r.exit_code == 0 and load_file(tmp_path / "m.npz").num_frames == 6  # main: one person
    for bad in ("0", "-1", "abc"):
        target = tmp_path / f"bad{bad}.npz"
        r = runner.invoke(cli, ["extract", str(tmp_path / "g.npz"), "-o", str(target),
                                "--people", bad])  # fmt: skip
        assert r.exit_code == 2 and "--people" in r.output and bad in r.output
        assert len(r.output.strip().splitlines()) == 1 and not target.exists()
