"""Motion capture data: performers, library and cache, splits, training windows.

Tests write their own tiny BVH files (two characters of one hierarchy); the real-data tests
read ../shared/mocap in place and stay short.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retarget.data import LIMB_GROUPS, MocapLibrary, Performer, scale_limbs
from retarget.data.dataset import NO_AUGMENT, Augment, MocapWindows, NormStats, compute_norm_stats
from retarget.data.mocap import ASF_UNIT_CM, Clip
from retarget.data.performers import (
    BONE_GROUP,
    bone_factors,
    leg_factor,
    scale_root,
    scaled_variants,
)
from retarget.data.splits import Split, make_splits
from retarget.data.views import View, make_window, render
from retarget.geometry import BONES, HIP, J, bone_lengths, rotate
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.formats.bvh import BvhJoint, BvhMotion, write_bvh

from .conftest import MOCAP, need

# ----------------------------------------------------------------------------- toy mocap
ROT = ("Zrotation", "Yrotation", "Xrotation")
POS = ("Xposition", "Yposition", "Zposition")


def toy_hierarchy(arm: float = 1.0, leg: float = 1.0) -> list[BvhJoint]:
    """A Mixamo-named Y-up hierarchy facing +z (left = +x); ``arm``/``leg`` scale the limbs."""
    js: list[BvhJoint] = []

    def add(name, parent, offset, end=None):
        js.append(
            BvhJoint(name, parent, np.array(offset, float), ROT if parent >= 0 else POS + ROT, end)
        )
        return len(js) - 1

    hips = add("Hips", -1, (0, 0, 0))
    for side, s in (("Left", 1), ("Right", -1)):
        up = add(f"{side}UpLeg", hips, (s * 9, -5, 0))
        kn = add(f"{side}Leg", up, (0, -42 * leg, 0))
        add(f"{side}Foot", kn, (0, -40 * leg, 0), end=(0, -6, 12))
    spine = add("Spine", hips, (0, 12, 0))
    neck = add("Neck", spine, (0, 40, 0))
    add("Head", neck, (0, 10, 0), end=(0, 15, 0))
    for side, s in (("Left", 1), ("Right", -1)):
        cl = add(f"{side}Shoulder", spine, (s * 6, 36, 0))
        arm_j = add(f"{side}Arm", cl, (s * 12, 0, 0))
        fo = add(f"{side}ForeArm", arm_j, (s * 28 * arm, 0, 0))
        add(f"{side}Hand", fo, (s * 24 * arm, 0, 0), end=(s * 8, 0, 0))
    return js


def toy_motion(joints: list[BvhJoint], frames: int, seed: int, fps: float = 30.0) -> BvhMotion:
    """Walking-like sinusoids: legs swing, arms hang and wave, the root moves forward (+z)."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    cols = []
    for j in joints:
        if j.parent < 0:
            cols += [np.zeros_like(t), 87.0 + 2 * np.sin(4 * t), 60 * t]
            cols += [np.zeros_like(t), 20 * np.sin(0.5 * t + seed), np.zeros_like(t)]
            continue
        ph = rng.uniform(0, 2 * np.pi)
        amp = rng.uniform(5, 25)
        z = (
            -70.0 * np.sign(j.offset[0])
            if j.name.endswith("Arm") and not j.name.endswith("ForeArm")
            else 0.0
        )
        cols += [
            z + 0.3 * amp * np.sin(3 * t + ph),
            np.zeros_like(t),
            amp * np.sin(2 * np.pi * t + ph),
        ]
    return BvhMotion(joints, 1.0 / fps, np.stack(cols, axis=1))


def write_toy_mocap(root: Path, n_a: int = 3, n_b: int = 2, frames: int = 80) -> Path:
    """``root/toy/*.bvh``: ``n_a`` clips of character A, ``n_b`` of B (longer legs, shorter arms)."""
    (root / "toy").mkdir(parents=True, exist_ok=True)
    a, b = toy_hierarchy(), toy_hierarchy(arm=0.85, leg=1.15)
    for k in range(n_a):
        write_bvh(toy_motion(a, frames + 8 * k, seed=k), root / "toy" / f"a_walk_{k:03d}.bvh")
    for k in range(n_b):
        write_bvh(toy_motion(b, frames + 4 * k, seed=10 + k), root / "toy" / f"b_dance_{k:03d}.bvh")
    return root


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> MocapLibrary:
    root = write_toy_mocap(tmp_path_factory.mktemp("mocap"))
    return MocapLibrary.load(root, cache_dir=root / "cache")


def all_clips_split(lib: MocapLibrary) -> Split:
    return Split("all", tuple(sorted(lib.clips)), tuple(sorted(lib.characters)), "every clip")


# ----------------------------------------------------------------------------- performers
def test_scale_limbs_scales_every_bone_vector():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 15, 3)) * 20
    f = rng.uniform(0.7, 1.4, size=8)
    out = scale_limbs(x, f, global_scale=1.1, floor=None)
    vec = lambda a: a[:, [c for _, c in BONES]] - a[:, [p for p, _ in BONES]]  # noqa: E731
    np.testing.assert_allclose(vec(out), vec(x) * (bone_factors(f) * 1.1)[None, :, None], atol=1e-9)
    np.testing.assert_allclose(out[:, HIP], x[:, HIP])
    np.testing.assert_allclose(scale_limbs(x, np.ones(8), floor=0.0), x)
    assert [LIMB_GROUPS[g] for g in BONE_GROUP[:2]] == ["neck", "spine"]
    with pytest.raises(InvalidArgumentError):
        bone_factors([1.0, 2.0])


def test_root_scaling_keeps_planted_feet_on_the_floor():
    # A standing pose whose ankles touch the floor y = 0; the hip drifts sideways while the
    # feet stay planted (the legs lean). Uniform scaling keeps them planted and on the floor.
    x = np.zeros((5, 15, 3))
    hip = np.stack([np.linspace(0, 8, 5), np.full(5, 90.0), np.zeros(5)], axis=1)
    for name, dx in (("RHip", -10), ("LHip", 10)):
        x[:, J[name]] = hip + [dx, 0, 0]
    for name, dx in (("RAnkle", -10), ("LAnkle", 10)):
        x[:, J[name]] = [dx, 0, 0]
    for name, ank, hp in (("RKnee", "RAnkle", "RHip"), ("LKnee", "LAnkle", "LHip")):
        x[:, J[name]] = 0.5 * (x[:, J[ank]] + x[:, J[hp]])
    x[:, HIP] = hip
    for name, dy in (("Neck", 50), ("Nose", 70), ("RShoulder", 50), ("LShoulder", 50)):
        x[:, J[name]] = hip + [0, dy, 0]
    for name in ("RElbow", "RWrist", "LElbow", "LWrist"):
        x[:, J[name]] = hip + [0, 30, 0]
    out = scale_limbs(x, np.ones(8), global_scale=1.3, floor=0.0)
    ankles = out[:, [J["RAnkle"], J["LAnkle"]]]
    np.testing.assert_allclose(ankles, ankles[:1].repeat(5, axis=0), atol=1e-9)  # no sliding
    np.testing.assert_allclose(ankles[..., 1], 0.0, atol=1e-9)  # on the floor
    assert leg_factor(np.full(8, 1.3)) == pytest.approx(1.3)
    np.testing.assert_allclose(scale_root(x, 1.0), x)


def test_scaled_variants_are_seeded():
    a = scaled_variants("c", 3, np.random.default_rng(5))
    b = scaled_variants("c", 3, np.random.default_rng(5))
    assert a == b and len({p.name for p in a}) == 3
    assert all(0.8 <= f <= 1.25 for p in a for f in p.factors)
    assert Performer("c", "c").is_scaled is False


# ----------------------------------------------------------------------------- library
def test_library_forward_kinematics_with_other_characters(toy):
    assert len(toy.characters) == 2
    (name_a, char_a), (name_b, char_b) = sorted(toy.characters.items())
    assert char_a.family == char_b.family
    # B's legs are 15 % longer, its arms 15 % shorter: measured on the 15 joints
    thigh = BONES.index((J["RHip"], J["RKnee"]))
    forearm = BONES.index((J["RElbow"], J["RWrist"]))
    assert char_b.bones[thigh] / char_a.bones[thigh] == pytest.approx(1.15, rel=1e-6)
    assert char_b.bones[forearm] / char_a.bones[forearm] == pytest.approx(0.85, rel=1e-6)
    clip = next(c for c in toy.clips.values() if c.character == name_a)
    on_b = toy.pose(clip.name, name_b)
    np.testing.assert_allclose(bone_lengths(on_b)[:, thigh], char_b.bones[thigh], rtol=1e-5)
    # root scaled by the leg ratio about the floor: the lowest ankle stays at floor level
    own = toy.pose(clip.name)
    ankles = [J["RAnkle"], J["LAnkle"]]
    assert on_b[:, ankles, 1].min() == pytest.approx(own[:, ankles, 1].min(), abs=1.0)
    assert own.shape == (clip.num_frames, 15, 3)


def _renamed(joints: list[BvhJoint], neck_tilt: float, size: float) -> list[BvhJoint]:
    """The toy hierarchy under other names (``L_UpLeg`` ...), scaled by ``size``, with the
    neck and head OFFSETs tilted forward by ``neck_tilt`` (cm): another character of the rig."""
    out = []
    for j in joints:
        name = j.name.replace("Left", "L_").replace("Right", "R_").replace("Hips", "Pelvis")
        off = j.offset * size
        if j.name in ("Neck", "Head"):
            off = off + [0.0, 0.0, neck_tilt]
        out.append(BvhJoint(name, j.parent, off, j.channels, j.end_site))
    return out


def test_rig_convention_joins_hierarchies_under_other_names(tmp_path):
    """Same parents, channels and limb directions, other names: one rig, forward kinematics
    across it (the exact retargeting, structure included); another topology: bone transfer."""
    from retarget.data.views import transfer_performer

    (tmp_path / "m").mkdir()
    a = toy_hierarchy()
    c = _renamed(a, neck_tilt=6.0, size=1.1)
    d = toy_hierarchy(arm=0.9)  # another topology: one more joint
    d.append(BvhJoint("Jaw", [j.name for j in d].index("Head"), np.array([0.0, 2.0, 4.0]), ROT))
    for name, joints, seed in (("a_walk_000", a, 0), ("c_walk_000", c, 1), ("d_walk_000", d, 2)):
        write_bvh(toy_motion(joints, 40, seed=seed), tmp_path / "m" / f"{name}.bvh")
    lib = MocapLibrary.load(tmp_path, cache_dir="")
    assert len(lib.characters) == 3
    own = {k: lib.clips[f"m/{k}_walk_000"].character for k in "acd"}
    ca, cc, cd = (lib.characters[own[k]] for k in "acd")
    assert ca.rig == cc.rig and ca.family != cc.family and cd.rig != ca.rig
    assert set(lib.clips["m/c_walk_000"].poses) == {own["a"], own["c"]}
    # C's clip on A's skeleton: C's rotations, so every limb points as C's; A's bone lengths
    on_a, mine = lib.pose("m/c_walk_000", own["a"]), lib.pose("m/c_walk_000")
    limbs = [BONES.index((J[p], J[q])) for p, q in (("RElbow", "RWrist"), ("LHip", "LKnee"),
                                                    ("RShoulder", "RElbow"), ("LKnee", "LAnkle"))]  # fmt: skip
    vec = lambda x: x[:, [q for _, q in BONES]] - x[:, [p for p, _ in BONES]]  # noqa: E731
    unit = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(unit(vec(on_a))[:, limbs], unit(vec(mine))[:, limbs], atol=1e-6)
    np.testing.assert_allclose(bone_lengths(on_a, 50)[limbs], ca.bones[limbs], rtol=1e-5)
    # ... but the head sits on A's neck, not along C's tilted one (structure, not limb scale)
    head = BONES.index((J["Neck"], J["Nose"]))
    cos = (unit(vec(on_a))[:, head] * unit(vec(mine))[:, head]).sum(-1)
    assert np.degrees(np.arccos(cos.min())) > 3.0
    # D (another topology) performs A's clip by bone transfer: A's directions, D's lengths
    stand_in = transfer_performer(lib, "m/a_walk_000", Performer("d", own["d"]))
    assert stand_in.character == own["a"]
    win = make_window(lib, "m/a_walk_000", 0, 40)
    from retarget.data.views import perform

    got = perform(lib, win, Performer("d", own["d"]))
    np.testing.assert_allclose(unit(vec(got)), unit(vec(lib.pose("m/a_walk_000"))), atol=1e-9)
    np.testing.assert_allclose(bone_lengths(got, 50), cd.bones, rtol=1e-3)


def test_library_cache_roundtrip(toy):
    again = MocapLibrary.load(toy.root, cache_dir=toy.root / "cache")
    assert again.from_cache and not toy.from_cache
    assert again.clips.keys() == toy.clips.keys()
    for name, c in toy.clips.items():
        for ch, arr in c.poses.items():
            np.testing.assert_array_equal(again.clips[name].poses[ch], arr)
    np.testing.assert_allclose(
        again.characters[c.character].bones, toy.characters[c.character].bones
    )
    s = again.summary()["toy"]
    assert s["clips"] == 5 and len(s["characters"]) == 2


def test_library_resamples_to_30_fps(tmp_path):
    (tmp_path / "x").mkdir()
    write_bvh(toy_motion(toy_hierarchy(), 120, seed=1, fps=120.0), tmp_path / "x" / "fast.bvh")
    lib = MocapLibrary.load(tmp_path, cache_dir="")
    assert lib.clips["x/fast"].num_frames == 30
    assert lib.clips["x/fast"].source_fps == pytest.approx(120.0)


def test_generic_splits_partition_the_clips(toy):
    splits = make_splits(toy, seed=0)
    names = [c for s in splits.values() for c in s.clips]
    assert sorted(names) == sorted(toy.clips)
    assert len(splits["val"].clips) >= 1 and len(splits["test"].clips) >= 1


def test_shared_splits_respect_licences_and_hold_out_a_performer():
    fake = np.zeros((70, 15, 3), np.float32)
    names = ["cmu_subjects/01/01_01", "cmu_subjects/01/01_14", "cmu_subjects/02/02_10", "cmu_subjects/03/03_01",
             "cmu_dance_basketball/005_01", "bandai_namco_1/dataset-1_walk_normal_001", "xia_styles/angry_13_000",
             "format_samples/Lafan1_example"]  # fmt: skip
    clips, chars = {}, {}
    from retarget.data.mocap import SOURCES, Character

    for n in names:
        parts = n.split("/")
        ch = "/".join(parts[:2]) if parts[0] == "cmu_subjects" else parts[0]
        clips[n] = Clip(n, parts[0], "f", ch, "g", 0.0, {ch: fake})
        chars[ch] = Character(ch, "f", parts[0], np.ones(14), SOURCES[parts[0]].train_ok)
    lib = MocapLibrary(Path("."), clips, chars)
    sp = make_splits(lib)
    assert set(sp["train"].clips) == {"cmu_subjects/01/01_01", "cmu_dance_basketball/005_01"}
    assert "cmu_subjects/03" not in sp["train"].characters
    assert sp["val"].characters == ("cmu_subjects/03",)
    assert set(sp["test"].clips) == {
        "bandai_namco_1/dataset-1_walk_normal_001",
        "xia_styles/angry_13_000",
    }
    for s in ("train", "val"):
        assert all(lib.characters[c].train_ok for c in sp[s].characters)
    # the held-out subject's skeleton is a test performer (real pairs), its clips are not
    assert "cmu_subjects/03" in sp["test"].characters
    assert not any(c.startswith("cmu_subjects/") for c in sp["test"].clips)


# ----------------------------------------------------------------------------- views
def test_render_puts_the_first_hip_at_the_canvas_centre(toy):
    clip = sorted(toy.clips)[0]
    win = make_window(toy, clip, 4, 36)
    perf = Performer(toy.clips[clip].character, toy.clips[clip].character)
    a = render(toy, win, perf, View(30.0))
    np.testing.assert_allclose(a[0, HIP], [256, 256, 0], atol=1e-9)
    b = render(toy, win, perf, View(75.0))
    np.testing.assert_allclose(rotate(a, 45.0, center=a[0, HIP]), b, atol=1e-9)
    # pixels: 2 px per cm
    np.testing.assert_allclose(
        bone_lengths(a, 50), 2 * bone_lengths(toy.pose(clip, None, 4, 36), 50), rtol=1e-6
    )


# ----------------------------------------------------------------------------- dataset
def test_window_items_shapes_and_exact_limb_scaling(toy):
    ds = MocapWindows(toy, all_clips_split(toy), window=16, stride=8, seed=3)
    it = ds[0]
    T = 16
    shapes = {"x": (T, 15, 2), "x3d": (T, 15, 3), "x_s": (T, 15, 2), "x3d_s": (T, 15, 3), "conf": (T, 15),
              "view": (3,), "factors": (8,), "factors_s": (8,), "bones": (14,), "height": ()}  # fmt: skip
    for k, shape in shapes.items():
        assert tuple(it[k].shape) == shape, k
    x3d, x3d_s = it["x3d"].double().numpy(), it["x3d_s"].double().numpy()
    np.testing.assert_allclose(it["x"].numpy(), it["x3d"][..., :2].numpy())
    np.testing.assert_allclose(x3d[0, HIP], 0, atol=1e-4)
    ratio = bone_lengths(x3d_s, 50) / bone_lengths(x3d, 50)
    expect = bone_factors(it["factors_s"].double().numpy()) * float(it["scale_s"])
    np.testing.assert_allclose(ratio, expect, rtol=1e-4)
    assert len(ds) == sum(len(range(0, c.num_frames - 16 + 1, 8)) for c in toy.clips.values())


def test_window_items_are_seeded(toy):
    ds = MocapWindows(toy, all_clips_split(toy), window=16, stride=8, seed=1)
    a, b = ds[3], ds[3]
    assert all(np.array_equal(a[k], b[k]) for k in a)
    ds.set_epoch(1)
    assert not np.array_equal(a["x"], ds[3]["x"])
    fixed = MocapWindows(toy, all_clips_split(toy), window=16, augment=NO_AUGMENT, seed=1)
    first = fixed[2]["x"]
    fixed.set_epoch(5)
    assert np.array_equal(first, fixed[2]["x"])


def test_paired_items_hold_the_exact_answers(toy):
    aug = Augment(roll=(0.0, 0.0), pitch=(0.0, 0.0))
    ds = MocapWindows(
        toy, all_clips_split(toy), window=16, stride=8, augment=aug, paired=True, seed=2
    )
    for i in range(4):
        it = ds[i]
        xy, xy_v = it["xy3d"].double().numpy(), it["xy3d_view_y"].double().numpy()
        dyaw = float(it["view_y"][0] - it["view"][0])
        np.testing.assert_allclose(rotate(xy, dyaw, center=xy[0, HIP]), xy_v, atol=1e-3)
        # the answer has y's performer's rigid bones (arms and legs)
        rigid = [
            BONES.index((J[p], J[c]))
            for p, c in (("RElbow", "RWrist"), ("RHip", "RKnee"), ("LKnee", "LAnkle"))
        ]
        np.testing.assert_allclose(
            bone_lengths(xy, 50)[rigid],
            bone_lengths(it["y3d"].double().numpy(), 50)[rigid],
            rtol=1e-3,
        )


def test_norm_stats_roundtrip(toy, tmp_path):
    ds = MocapWindows(toy, all_clips_split(toy), window=16, stride=8)
    st = compute_norm_stats(ds, items=6)
    assert st.mean2d.shape == (15, 2) and st.std3d.shape == (15, 3)
    assert np.all(st.std2d > 0)
    st.save(tmp_path / "stats.json")
    back = NormStats.load(tmp_path / "stats.json")
    np.testing.assert_allclose(back.mean3d, st.mean3d)
    z = st.normalize(np.ones((4, 15, 2)))
    np.testing.assert_allclose(st.denormalize(z), 1.0)


def test_dataset_rejects_too_long_windows(toy):
    with pytest.raises(InvalidArgumentError):
        MocapWindows(toy, all_clips_split(toy), window=10_000)


# ----------------------------------------------------------------------------- real data
def test_real_xia_walks_load_in_cm_at_30_fps(tmp_path):
    need(MOCAP / "xia_styles")
    lib = MocapLibrary.load(MOCAP, cache_dir=tmp_path, datasets=["xia_styles"])
    ch = lib.characters["xia_styles"]
    assert 120 < ch.height < 180  # skeleton height (ankle to head joint), cm
    assert ASF_UNIT_CM == pytest.approx(5.644, rel=1e-3)
    assert all(c.num_frames < 100 for c in lib.clips.values())  # 120 fps cut to 30
    assert lib.seconds < 30


# ----------------------------------------------------------------------------- batch sampler
def test_batch_sampler_draws_other_real_skeletons_and_structure_ranges(toy):
    from retarget.data.dataset import STRUCTURE_GROUPS
    from retarget.data.sampler import BatchSampler

    split = Split("train", tuple(sorted(toy.clips)), tuple(sorted(toy.characters)), "all")
    one = (1.0, 1.0)
    fixed = dict(scale=one, limb=one, structure=one, limb_s=one, scale_s=one)
    # x_s always from the other character: its bones are the other skeleton's
    other = BatchSampler(
        toy, split, window=16, stride=16, augment=Augment(**fixed, other_character=1.0)
    )
    batch = other.shard(1, 2)(8)  # (a shard's partners may lie in the other shard)
    limbs = [
        e for e, g in enumerate(BONE_GROUP) if LIMB_GROUPS[g] in ("arms", "forearms", "thighs")
    ]
    lengths = {n: ch.bones[limbs] for n, ch in toy.characters.items()}
    a, b = sorted(lengths)
    for x, xs in zip(batch["x3d"].double().numpy(), batch["x3d_s"].double().numpy()):
        mine = a if np.allclose(bone_lengths(x, 50)[limbs], lengths[a], rtol=1e-3) else b
        theirs = bone_lengths(xs, 50)[limbs]
        np.testing.assert_allclose(theirs, lengths[b if mine == a else a], rtol=1e-3)
    # structure groups scaled, limbs not (one seed: the same windows)
    wide = dict(fixed, structure=(1.5, 1.5))
    x, x_wide = (
        BatchSampler(toy, split, window=16, stride=16, augment=Augment(**aug), seed=4)(3)["x3d"]
        for aug in (fixed, wide)
    )
    ratio = np.concatenate(
        [
            bone_lengths(w.double().numpy()) / bone_lengths(v.double().numpy())
            for v, w in zip(x, x_wide)
        ]
    )
    groups = np.array([LIMB_GROUPS[g] for g in BONE_GROUP])
    is_structure = np.isin(groups, STRUCTURE_GROUPS)
    np.testing.assert_allclose(ratio[:, is_structure], 1.5, rtol=1e-4)
    np.testing.assert_allclose(ratio[:, ~is_structure], 1.0, rtol=1e-4)
