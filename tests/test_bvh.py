"""BVH: parsing, forward kinematics on hand-checked fixtures, exact round trips, joint maps by
meaning for many rigs, every real file in ../shared/mocap, bad inputs and the CLI."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from skeleton_io import (
    OPENPOSE15,
    InputNotFoundError,
    PoseFormatError,
    PoseSequence,
    convert,
    load_file,
    save_file,
)
from skeleton_io.formats import bvh
from skeleton_io.formats.bvh import BvhJoint, BvhMotion, joint_map, read_bvh, write_bvh
from skeleton_io.formats.bvh import ik as bvh_ik

from .conftest import MOCAP, make_pose_sequence, need

# ------------------------------------------------------------------ a hand-checkable fixture
# Hips (root, ZYX), Chest (ZYX), Head (XYZ: another order), LeftUpLeg (XYZ); End Sites on Head
# and LeftUpLeg. Root OFFSET (0, 10, 0) is added to the root's position channels.
TINY = """HIERARCHY
ROOT Hips
{
  OFFSET 0 10 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT Chest
  {
    OFFSET 0 5 0
    CHANNELS 3 Zrotation Yrotation Xrotation
    JOINT Head
    {
      OFFSET 0 3 0
      CHANNELS 3 Xrotation Yrotation Zrotation
      End Site
      {
        OFFSET 0 2 0
      }
    }
  }
  JOINT LeftUpLeg
  {
    OFFSET 1 0 0
    CHANNELS 3 Xrotation Yrotation Zrotation
    End Site
    {
      OFFSET 0 -4 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.04
0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
1 0 2 90 0 0 0 0 90 0 0 0 90 0 0
0 0 0 0 0 0 90 0 90 90 0 90 0 0 0
"""

# Worked on paper with Rz(90): x -> y, y -> -x and Rx(90): y -> z, z -> -y.
# Frame 1: root at (1,0,2) + OFFSET = (1,10,2), turned Rz90. Chest = root + Rz90 (0,5,0) =
# (-4,10,2); its Xrotation 90 makes Chest's world rotation Rz90 Rx90, so Head = Chest +
# Rz90 Rx90 (0,3,0) = Chest + (0,0,3). LeftUpLeg = root + Rz90 (1,0,0) = (1,11,2); its Rx90
# turns the End Site (0,-4,0) into (0,0,-4).
# Frame 2: Chest ZYX = (90, 0, 90): R = Rz90 Rx90, Head = (0,15,0) + (0,0,3). Head XYZ =
# (90, 0, 90): R = Rx90 Rz90, so its End Site (0,2,0) -> Rz90 -> (-2,0,0) -> Rx90 -> (-2,0,0),
# then the chest's Rz90 Rx90 -> (0,-2,0): at (0,13,3). (In the chest's order ZYX the same two
# angles would put it at (2,15,3): the order matters.)
TINY_JOINTS = [
    [[0, 10, 0], [0, 15, 0], [0, 18, 0], [1, 10, 0]],
    [[1, 10, 2], [-4, 10, 2], [-4, 10, 5], [1, 11, 2]],
    [[0, 10, 0], [0, 15, 0], [0, 15, 3], [1, 10, 0]],
]
TINY_ENDS = [
    [[0, 20, 0], [1, 6, 0]],
    [[-4, 10, 7], [1, 11, -2]],
    [[0, 13, 3], [1, 6, 0]],
]


def write(tmp_path: Path, text: str, name: str = "tiny.bvh") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def mocap_files(folder: str = "") -> list[Path]:
    return sorted((need(MOCAP) / folder).rglob("*.bvh"))


# One file per dialect: CMU ASF, iClone, Bandai Namco, Xia (CMU-style names), PyMO, LaFAN1.
DIALECTS = [
    "cmu_subjects/01/01_01.bvh",
    "cmu_dance_basketball/005_18.bvh",
    "bandai_namco_1/dataset-1_walk_normal_001.bvh",
    "xia_styles/angry_13_000.bvh",
    "format_samples/AV_8Walk_Meredith_HVHA_Rep1.bvh",
    "format_samples/Lafan1_example.bvh",
]


# ------------------------------------------------------------------ an independent FK
def _axis_matrix(axis: str, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    if axis == "X":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "Y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def naive_fk(motion: BvhMotion, frame: int) -> np.ndarray:
    """World positions of one frame with a 4x4 matrix per joint, channel by channel."""
    world: list[np.ndarray] = []
    col = 0
    for j in motion.joints:
        local = np.eye(4)
        local[:3, 3] = j.offset
        rot = np.eye(3)
        for ch in j.channels:
            v = motion.motion[frame, col]
            col += 1
            axis, kind = ch[0].upper(), ch[1:].lower()
            if kind == "position":
                a = "XYZ".index(axis)
                root_add = j.parent < 0 and not motion.root_channels_absolute
                local[a, 3] = (j.offset[a] + v) if root_add else v
            else:
                rot = rot @ _axis_matrix(axis, v)
        local[:3, :3] = rot
        world.append(local if j.parent < 0 else world[j.parent] @ local)
    return np.array([w[:3, 3] for w in world])


# ------------------------------------------------------------------ fixture tests
def test_tiny_file_positions_match_paper(tmp_path):
    m = read_bvh(write(tmp_path, TINY))
    assert m.names == ["Hips", "Chest", "Head", "LeftUpLeg"]
    assert m.parents == [-1, 0, 1, 0]
    assert m.joints[2].channels == ("Xrotation", "Yrotation", "Zrotation")
    assert m.end_site_joints == [2, 3]
    assert m.num_frames == 3 and m.frame_time == 0.04 and m.fps == pytest.approx(25.0)
    assert not m.root_channels_absolute
    pos, ends = m.positions(end_sites=True)
    np.testing.assert_allclose(pos, TINY_JOINTS, atol=1e-12)
    np.testing.assert_allclose(ends, TINY_ENDS, atol=1e-12)
    np.testing.assert_allclose(m.positions(), pos)


def test_absolute_root_channels_are_recognised(tmp_path):
    # The same motion written the Blender/PyMO way: the channels hold the absolute root
    # position (OFFSET + displacement) on the up axis; the positions must not change.
    lines = TINY.splitlines()
    rows = [line.split() for line in lines[-3:]]
    for r in rows:
        r[1] = repr(float(r[1]) + 10.0)
    text = "\n".join(lines[:-3] + [" ".join(r) for r in rows]) + "\n"
    m = read_bvh(write(tmp_path, text))
    assert m.root_channels_absolute
    np.testing.assert_allclose(m.positions(), TINY_JOINTS, atol=1e-12)


def test_local_and_world_rotations(tmp_path):
    m = read_bvh(write(tmp_path, TINY))
    local, world = m.rotations(), m.rotations(world=True)
    assert local.shape == world.shape == (3, 4, 3, 3)
    rz90 = _axis_matrix("Z", 90)
    rx90 = _axis_matrix("X", 90)
    np.testing.assert_allclose(local[1, 0], rz90, atol=1e-12)
    np.testing.assert_allclose(local[2, 1], rz90 @ rx90, atol=1e-12)  # ZYX = Rz Ry Rx
    np.testing.assert_allclose(local[2, 2], rx90 @ rz90, atol=1e-12)  # XYZ = Rx Ry Rz
    np.testing.assert_allclose(world[2, 2], local[2, 0] @ local[2, 1] @ local[2, 2], atol=1e-12)


def test_offsets_override_scales_limbs(tmp_path):
    m = read_bvh(write(tmp_path, TINY))
    pos = m.positions()
    scaled = m.positions(offsets=m.offsets * np.array([[1.0], [2.0], [2.0], [2.0]]))
    rel, rel2 = pos - pos[:, :1], scaled - scaled[:, :1]
    np.testing.assert_allclose(rel2, 2 * rel, atol=1e-12)  # root translation untouched
    np.testing.assert_allclose(scaled[:, 0], pos[:, 0])
    with pytest.raises(PoseFormatError):
        m.positions(offsets=np.zeros((3, 3)))


def test_position_channels_on_a_child_replace_its_offset(tmp_path):
    text = TINY.replace(
        "OFFSET 0 5 0\n    CHANNELS 3 Zrotation Yrotation Xrotation",
        "OFFSET 0 5 0\n    CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation",
    )
    rows = ["0 0 0 0 0 0 0 7 0 0 0 0 0 0 0 0 0 0", "0 0 0 0 0 0 0 5 0 0 0 0 0 0 0 0 0 0"]
    text = text.split("MOTION")[0] + "MOTION\nFrames: 2\nFrame Time: 0.04\n" + "\n".join(rows)
    m = read_bvh(write(tmp_path, text))
    pos = m.positions()
    np.testing.assert_allclose(pos[:, 1], [[0, 17, 0], [0, 15, 0]])  # 7 replaces the 5
    # limb scaling keeps the channel's deviation from the OFFSET: 7 + (10 - 5)
    off = m.offsets.copy()
    off[1] = [0, 10, 0]
    np.testing.assert_allclose(m.positions(offsets=off)[:, 1], [[0, 22, 0], [0, 20, 0]])


def test_fk_matches_naive_4x4_on_the_fixture(tmp_path):
    m = read_bvh(write(tmp_path, TINY))
    pos = m.positions()
    for t in range(m.num_frames):
        np.testing.assert_allclose(pos[t], naive_fk(m, t), atol=1e-12)


def test_round_trip_is_exact(tmp_path):
    src = write(tmp_path, TINY.replace("0.04", "0.0333333"))
    m = read_bvh(src)
    write_bvh(m, tmp_path / "out.bvh")
    text = (tmp_path / "out.bvh").read_text()
    assert "Frame Time: 0.0333333\n" in text
    m2 = read_bvh(tmp_path / "out.bvh")
    assert_same_motion(m, m2)
    write_bvh(m2, tmp_path / "out2.bvh")
    assert (tmp_path / "out2.bvh").read_text() == text


def test_round_trip_keeps_full_precision(tmp_path):
    rng = np.random.default_rng(0)
    m = read_bvh(write(tmp_path, TINY))
    m.motion = rng.normal(scale=100, size=m.motion.shape)
    m.joints[1].offset = rng.normal(size=3) * 1e-7
    m.joints[2].end_site = np.array([1 / 3, -0.0, 1e300])
    write_bvh(m, tmp_path / "p.bvh")
    assert_same_motion(m, read_bvh(tmp_path / "p.bvh"))


def assert_same_motion(a: BvhMotion, b: BvhMotion) -> None:
    assert a.names == b.names and a.parents == b.parents
    assert [j.channels for j in a.joints] == [j.channels for j in b.joints]
    assert np.array_equal(a.offsets, b.offsets)
    for ja, jb in zip(a.joints, b.joints):
        assert (ja.end_site is None) == (jb.end_site is None)
        if ja.end_site is not None:
            assert np.array_equal(ja.end_site, jb.end_site)
    assert a.frame_time == b.frame_time and a.frame_time_str == b.frame_time_str
    assert a.root_channels_absolute == b.root_channels_absolute
    assert np.array_equal(a.motion, b.motion)


def test_slice_frames_and_load_file_range(tmp_path):
    src = write(tmp_path, TINY)
    m = read_bvh(src)
    s = m.slice_frames(1, 3)
    assert s.num_frames == 2 and np.array_equal(s.motion, m.motion[1:3])
    np.testing.assert_allclose(s.positions(), m.positions()[1:3])
    seq = load_file(src, start_frame=1, max_frames=1)
    assert seq.num_frames == 1 and seq.source.num_frames == 1
    np.testing.assert_allclose(seq.coords[0], TINY_JOINTS[1], atol=1e-12)
    bvh.save(seq, tmp_path / "cut.bvh")
    cut = read_bvh(tmp_path / "cut.bvh")
    assert np.array_equal(cut.motion, m.motion[1:2])


def test_load_builds_the_sequence(tmp_path):
    seq = load_file(write(tmp_path, TINY))
    assert seq.skeleton.name == "bvh:tiny"
    assert seq.skeleton.joints == ("Hips", "Chest", "Head", "LeftUpLeg")
    assert seq.skeleton.parents == (-1, 0, 1, 0)
    assert seq.fps == pytest.approx(25.0) and seq.dims == 3
    assert np.all(seq.confidence == 1)
    np.testing.assert_allclose(seq.coords, TINY_JOINTS, atol=1e-12)
    assert seq.meta["joint_map"] == {"Head": "Nose"}
    assert seq.meta["frame_time"] == "0.04"
    assert isinstance(seq.source, BvhMotion)


def test_zero_frame_time_takes_fps_argument(tmp_path, caplog):
    src = write(tmp_path, TINY.replace("Frame Time: 0.04", "Frame Time: 0"))
    assert bvh.load(src, fps=50).fps == 50
    seq = bvh.load(src)
    assert seq.meta.get("fps_assumed") and "Frame Time" in caplog.text
    write_bvh(seq.source, tmp_path / "z.bvh")
    assert "Frame Time: 0\n" in (tmp_path / "z.bvh").read_text()


@pytest.mark.parametrize(
    ("text", "fps"),
    [("0.033333", 30.0), ("0.0333333", 30.0), ("0.008333", 120.0), ("0.04", 25.0),
     ("0.0416667", 24.0), ("0.033367", 30000 / 1001), ("0.0123", 1 / 0.0123),
     ("3.3333e-02", 1 / 0.033333)],
)  # fmt: skip
def test_fps_from_the_written_frame_time(text, fps):
    assert bvh.fps_from_frame_time(float(text), text) == pytest.approx(fps, rel=1e-12)


def test_hierarchy_variants_parse(tmp_path):
    # braces on the keyword's line, tabs, a CRLF file, lower-case channel names, names with
    # spaces, and a root with rotation channels only.
    text = (
        "HIERARCHY\r\nROOT Bip01 Pelvis {\r\n\tOFFSET 0 0 0\r\n\tCHANNELS 3 zrotation xrotation "
        "yrotation\r\n\tJOINT Bip01 L Thigh {\r\n\t\tOFFSET 1 0 0\r\n\t\tCHANNELS 1 Xrotation\r\n"
        "\t\tEnd Site {\r\n\t\t\tOFFSET 0 -2 0\r\n\t\t}\r\n\t}\r\n}\r\nMOTION\r\nFrames: 2\r\n"
        "Frame Time: 0.5\r\n0 0 0 0\r\n0 0 0 90\r\n"
    )
    m = read_bvh(write(tmp_path, text))
    assert m.names == ["Bip01 Pelvis", "Bip01 L Thigh"]
    _, ends = m.positions(end_sites=True)
    np.testing.assert_allclose(ends[1, 0], [1, 0, -2], atol=1e-12)
    write_bvh(m, tmp_path / "v.bvh")
    assert_same_motion(m, read_bvh(tmp_path / "v.bvh"))


def test_fk_speed_5000_frames_31_joints():
    rng = np.random.default_rng(1)
    zyx = ("Zrotation", "Yrotation", "Xrotation")
    zxy = ("Zrotation", "Xrotation", "Yrotation")
    root = ("Xposition", "Yposition", "Zposition", *zyx)
    joints = [BvhJoint("root", -1, np.zeros(3), root)]
    for i in range(1, 31):
        parent = int(rng.integers(0, i))
        joints.append(BvhJoint(f"j{i}", parent, rng.normal(size=3), zxy if i % 2 else zyx))
    m = BvhMotion(joints, 1 / 120, rng.normal(scale=30, size=(5000, 6 + 30 * 3)))
    m.positions()
    start = time.perf_counter()
    pos = m.positions()
    elapsed = time.perf_counter() - start
    assert pos.shape == (5000, 31, 3)
    assert elapsed < 1.0, f"FK of 5000 x 31 took {elapsed:.2f} s"
    for t in (0, 2500, 4999):
        np.testing.assert_allclose(pos[t], naive_fk(m, t), rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ bad inputs
def _bad_files(tmp: Path) -> dict[str, tuple[Path, type, str]]:
    lines = TINY.splitlines()
    truncated = "\n".join(lines[:-1]) + "\n0 0 0 0 0\n"
    return {
        "text named .bvh": (write(tmp, "just some notes\nnot motion\n", "notes.bvh"),
                            PoseFormatError, "HIERARCHY"),
        "truncated": (write(tmp, truncated, "trunc.bvh"), PoseFormatError, "truncated"),
        "unknown channel": (write(tmp, TINY.replace("3 Xrotation Yrotation Zrotation\n      End",
                                                    "3 Wrotation Yrotation Zrotation\n      End"),
                                  "wrot.bvh"), PoseFormatError, "Wrotation"),
        "binary": (tmp / "bin.bvh", PoseFormatError, "binary"),
        "missing": (tmp / "nope.bvh", InputNotFoundError, "nope.bvh"),
        "bad number": (write(tmp, TINY.replace("0 0 90 0 0 0 90", "0 0 x9 0 0 0 90"), "num.bvh"),
                       PoseFormatError, "x9"),
        "bad offset": (write(tmp, TINY.replace("OFFSET 0 5 0", "OFFSET 0 5"), "off.bvh"),
                       PoseFormatError, "OFFSET"),
        "unclosed": (write(tmp, TINY.replace("  }\n}\nMOTION", "  }\nMOTION"), "open.bvh"),
                     PoseFormatError, "MOTION"),
        "empty": (write(tmp, "", "empty.bvh"), PoseFormatError, "HIERARCHY"),
    }  # fmt: skip


@pytest.mark.parametrize(
    "case",
    ["text named .bvh", "truncated", "unknown channel", "binary", "missing", "bad number",
     "bad offset", "unclosed", "empty"],
)  # fmt: skip
def test_bad_input_is_one_clear_error(tmp_path, case):
    (tmp_path / "bin.bvh").write_bytes(bytes(range(256)) * 8)
    path, err, needle = _bad_files(tmp_path)[case]
    with pytest.raises(err) as info:
        load_file(path)
    msg = str(info.value)
    assert "\n" not in msg and needle in msg and str(path) in msg
    if case in ("unknown channel", "bad number", "bad offset"):
        assert f"{path}:" in msg and any(ch.isdigit() for ch in msg.split(":")[1])


def test_truncated_error_names_the_line(tmp_path):
    path, _, _ = _bad_files(tmp_path)["truncated"]
    with pytest.raises(PoseFormatError, match=r"trunc\.bvh:\d+: truncated motion"):
        read_bvh(path)


def test_save_needs_3d_or_a_bvh_source(tmp_path):
    seq = make_pose_sequence(dims=2)
    with pytest.raises(PoseFormatError, match="BVH output needs 3D poses"):
        bvh.save(seq, tmp_path / "x.bvh")
    assert not (tmp_path / "x.bvh").exists()
    full = bvh.load(write(tmp_path, TINY))
    cut = full[0:2]
    cut.source = full.source  # 3 frames in the source, 2 in the sequence
    with pytest.raises(PoseFormatError, match="frames"):
        bvh.save(cut, tmp_path / "y.bvh")
    assert not (tmp_path / "y.bvh").exists()


# ------------------------------------------------------------------ IK writer
def _ik_hierarchy_motion(frames: int, seed: int) -> BvhMotion:
    """The IK writer's own hierarchy (random bone lengths) with random rotations."""
    rng = np.random.default_rng(seed)
    coords = rng.normal(scale=30, size=(1, 15, 3))
    m = bvh.bvh_from_positions(PoseSequence(coords, np.ones((1, 15)), OPENPOSE15, up="+y"))
    motion = rng.uniform(-170, 170, size=(frames, m.num_channels))
    motion[:, :3] = rng.normal(scale=50, size=(frames, 3))
    return BvhMotion(m.joints, 1 / 30, motion)


def test_ik_writer_reproduces_constant_length_motion(tmp_path):
    src = _ik_hierarchy_motion(40, seed=3)
    truth = src.positions()
    names = [n for n in src.names if n not in ("Spine", "UpperNeck")]
    coords = truth[:, [src.names.index(n) for n in OPENPOSE15.joints]]
    seq = PoseSequence(coords, np.ones(coords.shape[:2]), OPENPOSE15, fps=30, units="cm", up="+y")
    bvh.save(seq, tmp_path / "ik.bvh")
    back = load_file(tmp_path / "ik.bvh")
    assert back.fps == 30
    assert {back.meta["joint_map"][n] for n in names if n not in ("Neck", "MidHip")} == set(
        OPENPOSE15.joints
    ) - {"Neck", "MidHip"}
    # (Reloaded, Neck and MidHip become midpoints again; compare the file's own joints.)
    out = back.coords[:, [back.skeleton.idx(n) for n in OPENPOSE15.joints]]
    np.testing.assert_allclose(out, coords, atol=1e-9 * np.abs(coords).max())


def test_ik_writer_on_real_mocap_follows_bone_directions(tmp_path):
    seq = convert(load_file(need(MOCAP / DIALECTS[0]), max_frames=60), "openpose15")
    bvh.save(seq, tmp_path / "ik.bvh")
    op = convert(load_file(tmp_path / "ik.bvh"), "openpose15")
    for a, b in OPENPOSE15.edges:
        u = seq.coords[:, b] - seq.coords[:, a]
        v = op.coords[:, b] - op.coords[:, a]
        cos = (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
        assert cos.min() > 1 - 1e-9, (OPENPOSE15.joints[a], OPENPOSE15.joints[b])
    legs = [OPENPOSE15.idx(n) for n in ("MidHip", "RHip", "RKnee", "RAnkle", "LKnee", "LAnkle")]
    np.testing.assert_allclose(op.coords[:, legs], seq.coords[:, legs], atol=1e-6)
    # The spine's length varies a little in the source (a climbing clip); the median length
    # moves the upper body by < 2% of the body height.
    assert np.abs(op.coords - seq.coords).max() < 0.02 * seq.meta["body_height"]


def test_ik_writer_keeps_last_rotation_where_joints_are_missing(tmp_path):
    src = _ik_hierarchy_motion(10, seed=4)
    coords = src.positions()[:, [src.names.index(n) for n in OPENPOSE15.joints]]
    conf = np.ones(coords.shape[:2])
    conf[5, OPENPOSE15.idx("RElbow")] = 0
    seq = PoseSequence(coords, conf, OPENPOSE15, fps=30, units="cm", up="+y")
    m = bvh.bvh_from_positions(seq)
    pos = m.positions()
    rs = m.names.index("RShoulder")
    np.testing.assert_allclose(m.rotations()[5, rs], m.rotations()[4, rs])
    np.testing.assert_allclose(pos[[4, 6]], coords[[4, 6]][:, _ik_order(m)], atol=1e-8)


def _ik_order(m: BvhMotion) -> list[int]:
    return [OPENPOSE15.idx(bvh_ik._AT.get(n, n)) for n in m.names]


# ------------------------------------------------------------------ joint maps
def _rig(spec: str) -> tuple[list[str], list[int]]:
    """``"child<parent"`` pairs separated by commas; the first name is the root."""
    names: list[str] = []
    parents: list[int] = []
    for item in spec.split(","):
        child, _, parent = item.strip().partition("<")
        names.append(child.strip())
        parents.append(names.index(parent.strip()) if parent else -1)
    return names, parents


def _limbs(side: str, prefix: str = "", **names: str) -> dict[str, str]:
    return {prefix + v: side + k for k, v in names.items()}


RIGS = {
    "mixamo": (
        "mixamorig:Hips, mixamorig:Spine<mixamorig:Hips, mixamorig:Neck<mixamorig:Spine,"
        "mixamorig:Head<mixamorig:Neck, mixamorig:HeadTop_End<mixamorig:Head,"
        "mixamorig:LeftShoulder<mixamorig:Spine, mixamorig:LeftArm<mixamorig:LeftShoulder,"
        "mixamorig:LeftForeArm<mixamorig:LeftArm, mixamorig:LeftHand<mixamorig:LeftForeArm,"
        "mixamorig:LeftHandIndex1<mixamorig:LeftHand,"
        "mixamorig:LeftUpLeg<mixamorig:Hips, mixamorig:LeftLeg<mixamorig:LeftUpLeg,"
        "mixamorig:LeftFoot<mixamorig:LeftLeg, mixamorig:LeftToeBase<mixamorig:LeftFoot",
        {"mixamorig:Head": "Nose", "mixamorig:LeftArm": "LShoulder",
         "mixamorig:LeftForeArm": "LElbow", "mixamorig:LeftHand": "LWrist",
         "mixamorig:LeftUpLeg": "LHip", "mixamorig:LeftLeg": "LKnee",
         "mixamorig:LeftFoot": "LAnkle"},
    ),
    "3ds max biped": (
        "Bip01, Bip01 Pelvis<Bip01, Bip01 Spine<Bip01 Pelvis, Bip01 Neck<Bip01 Spine,"
        "Bip01 Head<Bip01 Neck, Bip01 HeadNub<Bip01 Head, Bip01 R Clavicle<Bip01 Neck,"
        "Bip01 R UpperArm<Bip01 R Clavicle, Bip01 R Forearm<Bip01 R UpperArm,"
        "Bip01 R ForeTwist<Bip01 R Forearm, Bip01 R Hand<Bip01 R Forearm,"
        "Bip01 R Finger0<Bip01 R Hand, Bip01 R Thigh<Bip01 Pelvis, Bip01 R Calf<Bip01 R Thigh,"
        "Bip01 R Foot<Bip01 R Calf, Bip01 R Toe0<Bip01 R Foot",
        {"Bip01 Head": "Nose", "Bip01 R UpperArm": "RShoulder", "Bip01 R Forearm": "RElbow",
         "Bip01 R Hand": "RWrist", "Bip01 R Thigh": "RHip", "Bip01 R Calf": "RKnee",
         "Bip01 R Foot": "RAnkle"},
    ),
    "motionbuilder Character1_": (
        "Character1_Hips, Character1_Spine<Character1_Hips, Character1_Head<Character1_Spine,"
        "Character1_RightShoulder<Character1_Spine,"
        "Character1_RightArm<Character1_RightShoulder, Character1_RightArmRoll<Character1_RightArm,"
        "Character1_RightForeArm<Character1_RightArm,"
        "Character1_RightHand<Character1_RightForeArm, Character1_RightUpLeg<Character1_Hips,"
        "Character1_RightLeg<Character1_RightUpLeg, Character1_RightFoot<Character1_RightLeg",
        {"Character1_Head": "Nose", "Character1_RightArm": "RShoulder",
         "Character1_RightForeArm": "RElbow", "Character1_RightHand": "RWrist",
         "Character1_RightUpLeg": "RHip", "Character1_RightLeg": "RKnee",
         "Character1_RightFoot": "RAnkle"},
    ),
    "L_ underscore (H36M-like)": (
        "Pelvis, Spine<Pelvis, Head<Spine, L_Shoulder<Spine, L_Elbow<L_Shoulder,"
        "L_Wrist<L_Elbow, L_Hip<Pelvis, L_Knee<L_Hip, L_Ankle<L_Knee",
        {"Head": "Nose", "L_Shoulder": "LShoulder", "L_Elbow": "LElbow", "L_Wrist": "LWrist",
         "L_Hip": "LHip", "L_Knee": "LKnee", "L_Ankle": "LAnkle"},
    ),
    "snake case": (
        "pelvis, spine<pelvis, head<spine, left_collar<spine, left_shoulder<left_collar,"
        "left_elbow<left_shoulder, left_wrist<left_elbow, left_hip<pelvis,"
        "left_knee<left_hip, left_ankle<left_knee, left_foot<left_ankle",
        {"head": "Nose", "left_shoulder": "LShoulder", "left_elbow": "LElbow",
         "left_wrist": "LWrist", "left_hip": "LHip", "left_knee": "LKnee",
         "left_ankle": "LAnkle"},
    ),
    "VRM / Unity humanoid": (
        "Hips, Spine<Hips, Chest<Spine, UpperChest<Chest, Neck<UpperChest, Head<Neck,"
        "LeftEye<Head, LeftShoulder<UpperChest, LeftUpperArm<LeftShoulder,"
        "LeftLowerArm<LeftUpperArm, LeftHand<LeftLowerArm, LeftUpperLeg<Hips,"
        "LeftLowerLeg<LeftUpperLeg, LeftFoot<LeftLowerLeg, LeftToes<LeftFoot",
        {"Head": "Nose", "LeftEye": "LEye", "LeftUpperArm": "LShoulder",
         "LeftLowerArm": "LElbow", "LeftHand": "LWrist", "LeftUpperLeg": "LHip",
         "LeftLowerLeg": "LKnee", "LeftFoot": "LAnkle"},
    ),
    "DAZ / Poser": (
        "hip, abdomen<hip, chest<abdomen, neck<chest, head<neck, lCollar<chest,"
        "lShldr<lCollar, lForeArm<lShldr, lHand<lForeArm, lThigh<hip, lShin<lThigh,"
        "lFoot<lShin, lToe<lFoot",
        {"head": "Nose", "lShldr": "LShoulder", "lForeArm": "LElbow", "lHand": "LWrist",
         "lThigh": "LHip", "lShin": "LKnee", "lFoot": "LAnkle"},
    ),
    "DAZ Genesis bend/twist": (
        "hip, pelvis<hip, abdomenLower<hip, chestUpper<abdomenLower, head<chestUpper,"
        "rCollar<chestUpper, rShldrBend<rCollar, rShldrTwist<rShldrBend,"
        "rForearmBend<rShldrTwist, rForearmTwist<rForearmBend, rHand<rForearmTwist,"
        "rThighBend<pelvis, rThighTwist<rThighBend, rShin<rThighTwist, rFoot<rShin",
        {"head": "Nose", "rShldrBend": "RShoulder", "rForearmBend": "RElbow", "rHand": "RWrist",
         "rThighBend": "RHip", "rShin": "RKnee", "rFoot": "RAnkle"},
    ),
    "SMPL": (
        "Pelvis, L_Hip<Pelvis, Spine1<Pelvis, L_Knee<L_Hip, Spine2<Spine1, L_Ankle<L_Knee,"
        "Spine3<Spine2, L_Foot<L_Ankle, Neck<Spine3, L_Collar<Spine3, Head<Neck,"
        "L_Shoulder<L_Collar, L_Elbow<L_Shoulder, L_Wrist<L_Elbow, L_Hand<L_Wrist",
        {"Head": "Nose", "L_Shoulder": "LShoulder", "L_Elbow": "LElbow", "L_Wrist": "LWrist",
         "L_Hip": "LHip", "L_Knee": "LKnee", "L_Ankle": "LAnkle"},
    ),
    "Kinect v2": (
        "SpineBase, SpineMid<SpineBase, SpineShoulder<SpineMid, Neck<SpineShoulder, Head<Neck,"
        "ShoulderLeft<SpineShoulder, ElbowLeft<ShoulderLeft, WristLeft<ElbowLeft,"
        "HandLeft<WristLeft, HandTipLeft<HandLeft, ThumbLeft<HandLeft, HipLeft<SpineBase,"
        "KneeLeft<HipLeft, AnkleLeft<KneeLeft, FootLeft<AnkleLeft",
        {"Head": "Nose", "ShoulderLeft": "LShoulder", "ElbowLeft": "LElbow",
         "WristLeft": "LWrist", "HipLeft": "LHip", "KneeLeft": "LKnee", "AnkleLeft": "LAnkle"},
    ),
    "Unreal mannequin": (
        "root, pelvis<root, spine_01<pelvis, neck_01<spine_01, head<neck_01,"
        "clavicle_r<spine_01, upperarm_r<clavicle_r, lowerarm_r<upperarm_r,"
        "lowerarm_twist_01_r<lowerarm_r, hand_r<lowerarm_r, thigh_r<pelvis, calf_r<thigh_r,"
        "calf_twist_01_r<calf_r, foot_r<calf_r, ball_r<foot_r",
        {"head": "Nose", "upperarm_r": "RShoulder", "lowerarm_r": "RElbow", "hand_r": "RWrist",
         "thigh_r": "RHip", "calf_r": "RKnee", "foot_r": "RAnkle"},
    ),
    "Biovision classic": (
        "Hips, Chest<Hips, Neck<Chest, Head<Neck, LeftCollar<Chest, LeftUpArm<LeftCollar,"
        "LeftLowArm<LeftUpArm, LeftHand<LeftLowArm, LeftUpLeg<Hips, LeftLowLeg<LeftUpLeg,"
        "LeftFoot<LeftLowLeg",
        {"Head": "Nose", "LeftUpArm": "LShoulder", "LeftLowArm": "LElbow", "LeftHand": "LWrist",
         "LeftUpLeg": "LHip", "LeftLowLeg": "LKnee", "LeftFoot": "LAnkle"},
    ),
    "3ds Max LeftShoulder-style": (
        "Hips, Spine<Hips, Neck<Spine, Head<Neck, LeftCollar<Spine, LeftShoulder<LeftCollar,"
        "LeftElbow<LeftShoulder, LeftWrist<LeftElbow, LeftHip<Hips, LeftKnee<LeftHip,"
        "LeftAnkle<LeftKnee",
        {"Head": "Nose", "LeftShoulder": "LShoulder", "LeftElbow": "LElbow",
         "LeftWrist": "LWrist", "LeftHip": "LHip", "LeftKnee": "LKnee", "LeftAnkle": "LAnkle"},
    ),
    "Blender Rigify DEF": (
        "DEF-spine, DEF-spine.006<DEF-spine, DEF-shoulder.L<DEF-spine,"
        "DEF-upper_arm.L<DEF-shoulder.L, DEF-upper_arm.L.001<DEF-upper_arm.L,"
        "DEF-forearm.L<DEF-upper_arm.L.001, DEF-forearm.L.001<DEF-forearm.L,"
        "DEF-hand.L<DEF-forearm.L.001, DEF-thigh.L<DEF-spine, DEF-thigh.L.001<DEF-thigh.L,"
        "DEF-shin.L<DEF-thigh.L.001, DEF-shin.L.001<DEF-shin.L, DEF-foot.L<DEF-shin.L.001",
        {"DEF-upper_arm.L": "LShoulder", "DEF-forearm.L": "LElbow", "DEF-hand.L": "LWrist",
         "DEF-thigh.L": "LHip", "DEF-shin.L": "LKnee", "DEF-foot.L": "LAnkle"},
    ),
    "CMU ASF": (
        "root, lhipjoint<root, lfemur<lhipjoint, ltibia<lfemur, lfoot<ltibia, ltoes<lfoot,"
        "lowerback<root, upperback<lowerback, thorax<upperback, lowerneck<thorax,"
        "upperneck<lowerneck, head<upperneck, lclavicle<thorax, lhumerus<lclavicle,"
        "lradius<lhumerus, lwrist<lradius, lhand<lwrist, lfingers<lhand, lthumb<lhand",
        {"head": "Nose", "lhumerus": "LShoulder", "lradius": "LElbow", "lwrist": "LWrist",
         "lfemur": "LHip", "ltibia": "LKnee", "lfoot": "LAnkle"},
    ),
    "Bandai Namco": (
        "joint_Root, Hips<joint_Root, Spine<Hips, Chest<Spine, Neck<Chest, Head<Neck,"
        "Shoulder_R<Chest, UpperArm_R<Shoulder_R, LowerArm_R<UpperArm_R, Hand_R<LowerArm_R,"
        "UpperLeg_R<Hips, LowerLeg_R<UpperLeg_R, Foot_R<LowerLeg_R, Toes_R<Foot_R",
        {"Head": "Nose", "UpperArm_R": "RShoulder", "LowerArm_R": "RElbow", "Hand_R": "RWrist",
         "UpperLeg_R": "RHip", "LowerLeg_R": "RKnee", "Foot_R": "RAnkle"},
    ),
    "iClone CC_Base": (
        "CC_Base_Hip, CC_Base_Pelvis<CC_Base_Hip, CC_Base_L_Thigh<CC_Base_Pelvis,"
        "CC_Base_L_Calf<CC_Base_L_Thigh, CC_Base_L_Foot<CC_Base_L_Calf,"
        "CC_Base_L_ToeBaseShareBone<CC_Base_L_Foot, CC_Base_L_KneeShareBone<CC_Base_L_Calf,"
        "CC_Base_Waist<CC_Base_Hip, CC_Base_Head<CC_Base_Waist, CC_Base_L_Eye<CC_Base_Head,"
        "CC_Base_L_Clavicle<CC_Base_Waist, CC_Base_L_Upperarm<CC_Base_L_Clavicle,"
        "CC_Base_L_Forearm<CC_Base_L_Upperarm, CC_Base_L_ElbowShareBone<CC_Base_L_Forearm,"
        "CC_Base_L_Hand<CC_Base_L_Forearm, CC_Base_L_UpperarmTwist01<CC_Base_L_Upperarm",
        {"CC_Base_Head": "Nose", "CC_Base_L_Eye": "LEye", "CC_Base_L_Upperarm": "LShoulder",
         "CC_Base_L_Forearm": "LElbow", "CC_Base_L_Hand": "LWrist",
         "CC_Base_L_Thigh": "LHip", "CC_Base_L_Calf": "LKnee", "CC_Base_L_Foot": "LAnkle"},
    ),
    "Xia / cgspeed": (
        "Hips, LHipJoint<Hips, LeftUpLeg<LHipJoint, LeftLeg<LeftUpLeg, LeftFoot<LeftLeg,"
        "LeftToeBase<LeftFoot, LowerBack<Hips, Spine<LowerBack, Neck<Spine, Head<Neck,"
        "LeftShoulder<Spine, LeftArm<LeftShoulder, LeftForeArm<LeftArm, LeftHand<LeftForeArm,"
        "LeftFingerBase<LeftHand, LThumb<LeftHand",
        {"Head": "Nose", "LeftArm": "LShoulder", "LeftForeArm": "LElbow", "LeftHand": "LWrist",
         "LeftUpLeg": "LHip", "LeftLeg": "LKnee", "LeftFoot": "LAnkle"},
    ),
    "openpose names (our IK output)": (
        "MidHip, RHip<MidHip, RKnee<RHip, RAnkle<RKnee, Spine<MidHip, Neck<Spine,"
        "RShoulder<Neck, RElbow<RShoulder, RWrist<RElbow, UpperNeck<Neck, Nose<UpperNeck",
        {"Nose": "Nose", "RShoulder": "RShoulder", "RElbow": "RElbow", "RWrist": "RWrist",
         "RHip": "RHip", "RKnee": "RKnee", "RAnkle": "RAnkle"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("rig", list(RIGS))
def test_joint_map_by_meaning(rig):
    spec, expected = RIGS[rig]
    names, parents = _rig(spec)
    assert joint_map(names, parents) == expected


@pytest.mark.parametrize(
    "rig", ["mixamo", "3ds max biped", "SMPL", "Kinect v2", "CMU ASF", "Bandai Namco",
            "Xia / cgspeed", "VRM / Unity humanoid", "Biovision classic"]
)  # fmt: skip
def test_joint_map_without_parents_agrees(rig):
    spec, expected = RIGS[rig]
    names, _ = _rig(spec)
    assert joint_map(names) == expected


def test_joint_map_with_positions_keeps_split_segments():
    """Rigify splits a bone in segments on one line: with positions the run's top is still the
    landmark (the segments are collinear), as by names alone."""
    spec, expected = RIGS["Blender Rigify DEF"]
    names, parents = _rig(spec)
    where = {"DEF-spine": (0, 100, 0), "DEF-spine.006": (0, 150, 0),
             "DEF-shoulder.L": (3, 145, 0), "DEF-upper_arm.L": (18, 145, 0),
             "DEF-upper_arm.L.001": (31, 145, 0), "DEF-forearm.L": (44, 145, 1),
             "DEF-forearm.L.001": (56, 145, 2), "DEF-hand.L": (68, 145, 3),
             "DEF-thigh.L": (9, 95, 0), "DEF-thigh.L.001": (9, 75, 1), "DEF-shin.L": (9, 55, 2),
             "DEF-shin.L.001": (9, 35, 1), "DEF-foot.L": (9, 12, 0)}  # fmt: skip
    pos = np.array([where[n] for n in names], dtype=float)
    assert joint_map(names, parents, pos) == expected


def test_mirrored_rig_maps_right_side_too():
    names, parents = _rig(RIGS["mixamo"][0])
    names += [n.replace("Left", "Right") for n in names if "Left" in n]
    parents += [names.index(names[p].replace("Left", "Right")) if "Left" in names[p] else p
                for n, p in zip(names[: len(parents)], parents) if "Left" in n]  # fmt: skip
    m = joint_map(names, parents)
    assert m["mixamorig:RightArm"] == "RShoulder" and m["mixamorig:RightFoot"] == "RAnkle"
    assert "Neck" not in m.values() and "MidHip" not in m.values()


def test_symmetry_pairs_left_and_right():
    names = (
        "Hips LHipJoint LeftUpLeg RHipJoint RightUpLeg Spine LeftArm RightArm LThumb RThumb "
        "lfemur rfemur Hand_L Hand_R CC_Base_L_Calf CC_Base_R_Calf Head"
    ).split() + ["Bip01 L Hand", "Bip01 R Hand"]
    joints = [BvhJoint(n, -1 if i == 0 else 0, np.ones(3), ()) for i, n in enumerate(names)]
    sk = bvh.bvh_skeleton(BvhMotion(joints, 0.1, np.zeros((1, 0))), "bvh:x")
    pairs = {(sk.joints[a], sk.joints[b]) for a, b in sk.symmetry}
    assert pairs == {
        ("LHipJoint", "RHipJoint"), ("LeftUpLeg", "RightUpLeg"), ("LeftArm", "RightArm"),
        ("LThumb", "RThumb"), ("lfemur", "rfemur"), ("Hand_L", "Hand_R"),
        ("CC_Base_L_Calf", "CC_Base_R_Calf"), ("Bip01 L Hand", "Bip01 R Hand"),
    }  # fmt: skip


# ------------------------------------------------------------------ real files
@pytest.mark.parametrize("rel", DIALECTS)
def test_real_file_round_trip_and_independent_fk(tmp_path, rel):
    path = need(MOCAP / rel)
    seq = load_file(path)
    load_file_out = tmp_path / "rt.bvh"
    bvh.save(seq, load_file_out)
    again = read_bvh(load_file_out)
    assert_same_motion(seq.source, again)
    np.testing.assert_array_equal(load_file(load_file_out).coords, seq.coords)
    m = seq.source
    scale = np.abs(seq.coords).max()
    for t in np.linspace(0, m.num_frames - 1, 4).astype(int):
        np.testing.assert_allclose(seq.coords[t], naive_fk(m, t), rtol=0, atol=1e-9 * scale)


def _descendants(parents: list[int], j: int) -> list[int]:
    out = []
    for i in range(len(parents)):
        k = parents[i]
        while k >= 0 and k != j:
            k = parents[k]
        if k == j:
            out.append(i)
    return out


LIMB_CM = {  # plausible adult bone lengths, cm (the rigs here span 22 to 50 cm per segment)
    ("Shoulder", "Elbow"): (22, 36),
    ("Elbow", "Wrist"): (17, 30),
    ("Hip", "Knee"): (33, 52),
    ("Knee", "Ankle"): (33, 52),
}


# The BVH joint at each limb landmark (shoulder, elbow, wrist, hip, knee, ankle), written by
# hand per convention; "{L}" is the side as the rig spells it.
_MIXAMO = ("{L}Arm", "{L}ForeArm", "{L}Hand", "{L}UpLeg", "{L}Leg", "{L}Foot")
LANDMARKS = {
    "cmu_subjects": ("{l}humerus", "{l}radius", "{l}wrist", "{l}femur", "{l}tibia", "{l}foot"),
    "cmu_dance_basketball": tuple(
        f"CC_Base_{{S}}_{n}" for n in ("Upperarm", "Forearm", "Hand", "Thigh", "Calf", "Foot")
    ),
    "bandai_namco_1": ("UpperArm_{S}", "LowerArm_{S}", "Hand_{S}", "UpperLeg_{S}",
                       "LowerLeg_{S}", "Foot_{S}"),
    "xia_styles": _MIXAMO,
    "format_samples": _MIXAMO,
    "CMU-derived LHipJoint > LeftHip": ("{L}Shoulder", "{L}Elbow", "{L}Wrist", "{L}Hip",
                                        "{L}Knee", "{L}Ankle"),
}  # fmt: skip
_LIMB_LANDMARKS = ("Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle")


def assert_limbs_match_independent_fk(
    op: PoseSequence, motion: BvhMotion, landmarks: tuple[str, ...], where: object, frames: int = 3
) -> None:
    """The openpose15 limb joints (and MidHip) of a loaded BVH lie within 0.1 % of the body
    height of the hand-named BVH joints placed by :func:`naive_fk` (4x4 matrices)."""
    tol = 1e-3 * op.meta["body_height"]
    for t in np.linspace(0, motion.num_frames - 1, frames).astype(int):
        fk = naive_fk(motion, t)
        for side, spelled in (("L", {"L": "Left", "l": "l", "S": "L"}),
                              ("R", {"L": "Right", "l": "r", "S": "R"})):  # fmt: skip
            for name, bvh_name in zip(_LIMB_LANDMARKS, landmarks):
                want = fk[motion.names.index(bvh_name.format(**spelled))]
                got = op.coords[t, OPENPOSE15.idx(side + name)]
                assert np.linalg.norm(got - want) <= tol, (where, t, side + name, got, want)
        hips = [fk[motion.names.index(landmarks[3].format(**sp))]
                for sp in ({"L": "Left", "l": "l", "S": "L"}, {"L": "Right", "l": "r", "S": "R"})]  # fmt: skip
        assert np.linalg.norm(op.coords[t, OPENPOSE15.idx("MidHip")] - np.mean(hips, 0)) <= tol


@pytest.mark.parametrize(
    "folder", ["cmu_subjects", "cmu_dance_basketball", "bandai_namco_1", "xia_styles",
               "format_samples"]
)  # fmt: skip
def test_every_mocap_file_loads_and_maps(folder):
    files = mocap_files(folder)
    assert files, f"no BVH files in {MOCAP / folder}"
    vocab = [s + n for s in "RL" for n in ("Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle")]
    for f in files:
        seq = load_file(f)
        m = seq.source
        mp = seq.meta["joint_map"]
        inv = {v: seq.skeleton.idx(k) for k, v in mp.items()}
        assert set(vocab + ["Nose"]) <= set(inv), (f, mp)
        assert seq.up == "+y" and seq.units in ("cm", "in", "asf"), f
        to_cm = seq.meta["units_to_m"] * 100
        assert 120 < seq.meta["body_height"] * to_cm < 200, f
        p = seq.coords
        for (a, b), (lo, hi) in LIMB_CM.items():
            for s in "LR":
                length = np.median(np.linalg.norm(p[:, inv[s + a]] - p[:, inv[s + b]], axis=-1))
                assert lo < length * to_cm < hi, (f, s + a, s + b, length * to_cm)
        # Left is the person's left: with the feet pointing forward (frames where a foot is
        # down), the left hip and shoulder lie on the left of the facing direction.
        for s in "LR":
            a = inv[s + "Ankle"]
            low = p[:, a, 1] <= np.quantile(p[:, a, 1], 0.3)
            fwd = p[low][:, _descendants(m.parents, a)].mean(axis=1) - p[low, a]
            fwd[:, 1] = 0
            left = np.cross([0.0, 1.0, 0.0], fwd)
            for pair in ("Hip", "Shoulder"):
                d = p[low, inv["L" + pair]] - p[low, inv["R" + pair]]
                assert ((d * left).sum(-1) > 0).mean() > 0.75, (f, s, pair)
        op = convert(seq, "openpose15", strict=True)
        np.testing.assert_allclose(
            op.joint("Neck"), (op.joint("LShoulder") + op.joint("RShoulder")) / 2
        )
        assert_limbs_match_independent_fk(op, m, LANDMARKS[folder], f)


def test_units_and_height_per_dataset():
    need(MOCAP)
    cases = {
        "cmu_subjects/02/02_01.bvh": "cm",
        "xia_styles/neutral_01_000.bvh": "asf",
        "format_samples/AV_8Walk_Meredith_HVHA_Rep1.bvh": "in",
        "format_samples/Lafan1_example.bvh": "cm",
    }
    for rel, unit in cases.items():
        seq = load_file(MOCAP / rel)
        assert seq.units == unit, rel
    # The PyMO file stores absolute root positions; the LaFAN1 and iClone files add them to the
    # root OFFSET. Either way the feet end up on the floor (y = 0), not a hip height away.
    for rel in (DIALECTS[4], DIALECTS[5], "cmu_dance_basketball/006_01.bvh"):
        seq = load_file(MOCAP / rel)
        floor = np.median(seq.coords[..., 1].min(axis=1)) * seq.meta["units_to_m"] * 100
        assert abs(floor) < 15, (rel, floor)


def cmu_derived_rig(frames: int = 12, seed: int = 0) -> BvhMotion:
    """A CMU-derived rig: ``Hips > LHipJoint (OFFSET 0) > LeftHip (OFFSET to the hip joint) >
    LeftKnee > LeftAnkle > LeftToe``, ``lowerback > Chest > Chest2 > lowerneck > Neck > Head``,
    ``LeftCollar > LeftShoulder > LeftElbow > LeftWrist`` (and the right side), centimetres,
    Y-up, facing +z, with seeded rotations of up to 35 degrees on every joint."""
    rot = ("Zrotation", "Yrotation", "Xrotation")
    js: list[BvhJoint] = []

    def add(name, parent, offset, end=None):
        chans = ("Xposition", "Yposition", "Zposition", *rot) if parent < 0 else rot
        js.append(BvhJoint(name, parent, np.array(offset, float), chans, end))
        return len(js) - 1

    hips = add("Hips", -1, (0, 0, 0))
    for side, s in (("Left", 1), ("Right", -1)):
        hj = add(f"{side[0]}HipJoint", hips, (0, 0, 0))
        hp = add(f"{side}Hip", hj, (s * 8.5, -6.0, 2.0))
        kn = add(f"{side}Knee", hp, (s * 2.0, -42.0, 0))
        an = add(f"{side}Ankle", kn, (0, -41.0, -1.0))
        add(f"{side}Toe", an, (0, -5.0, 12.0), end=(0, 0, 4.0))
    lb = add("lowerback", hips, (0, 0, 0))
    ch = add("Chest", lb, (0, 12.0, -1.0))
    ch2 = add("Chest2", ch, (0, 13.0, 0))
    ln = add("lowerneck", ch2, (0, 15.0, -2.0))
    nk = add("Neck", ln, (0, 6.0, 1.0))
    add("Head", nk, (0, 8.0, 1.5), end=(0, 12.0, 0))
    for side, s in (("Left", 1), ("Right", -1)):
        co = add(f"{side}Collar", ch2, (s * 2.0, 13.0, -1.0))
        sh = add(f"{side}Shoulder", co, (s * 16.0, 1.0, 0))
        el = add(f"{side}Elbow", sh, (s * 28.0, 0, 0))
        add(f"{side}Wrist", el, (s * 24.0, 0, 0), end=(s * 8.0, 0, 0))
    rng = np.random.default_rng(seed)
    n_ch = sum(len(j.channels) for j in js)
    motion = rng.uniform(-35, 35, size=(frames, n_ch))
    motion[:, :3] = [0.0, 95.0, 0.0] + rng.normal(scale=5.0, size=(frames, 3))
    return BvhMotion(js, 1 / 30, motion, frame_time_str="0.0333333")


def test_cmu_derived_hip_joints_map_where_the_thigh_starts(tmp_path):
    """``LHipJoint`` (at the root) and ``LeftHip`` are both named "hip": the hip is the one
    on the thigh's line (``LeftHip``), so the hips are apart and MidHip is between them."""
    path = tmp_path / "cmu_derived.bvh"
    write_bvh(cmu_derived_rig(), path)
    seq = load_file(path)
    assert seq.meta["joint_map"]["LeftHip"] == "LHip" and "LHipJoint" not in seq.meta["joint_map"]
    op = convert(seq, "openpose15", strict=True)
    width = np.linalg.norm(op.joint("LHip") - op.joint("RHip"), axis=-1)
    assert (width > 0.08 * seq.meta["body_height"]).all()
    assert_limbs_match_independent_fk(op, seq.source, LANDMARKS["CMU-derived LHipJoint > LeftHip"],
                                      path, frames=12)  # fmt: skip
    # names and parents alone cannot tell (the run of "hip" joints): the positions do
    names, parents = seq.source.names, seq.source.parents
    assert joint_map(names, parents)["LHipJoint"] == "LHip"
    # the 18 conventions of RIGS (no positions) map as before: see test_joint_map_by_meaning


def test_cli_extract_cmu_derived_rig_to_csv_puts_the_hips_apart(tmp_path):
    from retarget.cli import cli

    src = tmp_path / "X.bvh"
    motion = cmu_derived_rig(frames=6, seed=3)
    write_bvh(motion, src)
    out = tmp_path / "x.csv"
    res = CliRunner().invoke(
        cli, ["extract", str(src), "-o", str(out), "--format", "csv", "--skeleton", "openpose15"]
    )
    assert res.exit_code == 0, res.output
    with open(out, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["frame"] == "2"]
    got = {r["joint"]: np.array([float(r[a]) for a in "xyz"]) for r in rows}
    fk = naive_fk(read_bvh(src), 2)
    for side in ("Left", "Right"):
        want = fk[motion.names.index(f"{side}Hip")]
        np.testing.assert_allclose(got[side[0] + "Hip"], want, atol=1e-6)
    np.testing.assert_allclose(got["MidHip"], (got["LHip"] + got["RHip"]) / 2, atol=1e-6)


# ------------------------------------------------------------------ CLI
def test_cli_extract_bvh_to_csv_openpose15(tmp_path):
    from retarget.cli import cli

    src = need(MOCAP / DIALECTS[2])
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(
        cli,
        [
            "extract",
            str(src),
            "-o",
            str(out),
            "--format",
            "csv",
            "--skeleton",
            "openpose15",
            "--max-frames",
            "20",
            "--start-frame",
            "5",
        ],  # fmt: skip
    )
    assert res.exit_code == 0, res.output
    ref = convert(load_file(src, start_frame=5, max_frames=20), "openpose15")
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 20 * 15
    for r in rows:
        t, j = int(r["frame"]), ref.skeleton.idx(r["joint"])
        xyz = [float(r["x"]), float(r["y"]), float(r["z"])]
        assert xyz == ref.coords[t, j].tolist()
        assert float(r["confidence"]) == 1.0


def test_cli_extract_bvh_to_bvh_is_exact(tmp_path):
    from retarget.cli import cli

    src = write(tmp_path, TINY)
    out = tmp_path / "copy.bvh"
    res = CliRunner().invoke(cli, ["extract", str(src), "-o", str(out), "--format", "bvh"])
    assert res.exit_code == 0, res.output
    assert_same_motion(read_bvh(src), read_bvh(out))
    res = CliRunner().invoke(
        cli,
        [
            "extract",
            str(src),
            "-o",
            str(tmp_path / "c.bvh"),
            "--format",
            "bvh",
            "--start-frame",
            "1",
            "--max-frames",
            "1",
        ],  # fmt: skip
    )
    assert res.exit_code == 0, res.output
    assert np.array_equal(read_bvh(tmp_path / "c.bvh").motion, read_bvh(src).motion[1:2])


def test_cli_extract_3d_native_to_bvh_by_ik(tmp_path):
    from retarget.cli import cli

    src = _ik_hierarchy_motion(12, seed=5)
    coords = src.positions()[:, [src.names.index(n) for n in OPENPOSE15.joints]]
    seq = PoseSequence(coords, np.ones(coords.shape[:2]), OPENPOSE15, fps=25, units="cm", up="+y")
    save_file(seq, tmp_path / "in.npz")
    out = tmp_path / "out.bvh"
    res = CliRunner().invoke(cli, ["extract", str(tmp_path / "in.npz"), "-o", str(out),
                                   "--format", "bvh"])  # fmt: skip
    assert res.exit_code == 0, res.output
    m = read_bvh(out)
    assert m.num_frames == 12 and m.fps == 25
    pos = m.positions()[:, [m.names.index(n) for n in OPENPOSE15.joints]]
    np.testing.assert_allclose(pos, coords, atol=1e-8)


def test_cli_bad_bvh_is_one_line_exit_2(tmp_path):
    from retarget.cli import cli

    src = write(tmp_path, TINY.replace("Zrotation Yrotation Xrotation\n    JOINT",
                                       "Zrotation Wrotation Xrotation\n    JOINT"))  # fmt: skip
    out = tmp_path / "o.csv"
    res = CliRunner().invoke(cli, ["extract", str(src), "-o", str(out), "--format", "csv"])
    assert res.exit_code == 2
    assert "Wrotation" in res.output and f"{src}:" in res.output
    assert not out.exists()
