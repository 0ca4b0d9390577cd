"""The retargeting model: tiny seeded networks (8 channels, 16 frames), known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from retarget.builtin import builtin_motion, project_to_canvas
from retarget.data.performers import scale_limbs as scale_limbs_np
from retarget.data.sampler import scale_limbs as scale_limbs_torch
from retarget.geometry import BONES, HIP, J, bone_lengths, fix_hip, localize, rotate
from retarget.model import losses as L
from retarget.model.networks import TransMoMo, TransMoMoConfig
from retarget.model.train import (
    LossWeights,
    RunConfig,
    TrainConfig,
    load_run,
    save_run,
    training_step,
)
from retarget.representation import InputStats, body_scale, network_input, to_local
from retarget.retargeters.model import Analysis, ModelRetargeter, fuse
from skeleton_io import load_file, save_file

TINY = TransMoMoConfig(
    motion_channels=8, body_channels=8, view_channels=8, hidden=8, kernel=3, layers=2
)


def tiny_model(seed: int = 0) -> TransMoMo:
    torch.manual_seed(seed)
    return TransMoMo(TINY)


def test_shapes_of_encoders_and_decoder():
    m = tiny_model()
    x = torch.randn(3, TINY.in_channels, 16)
    mo, bo, vo = m.encode(x)
    assert mo.shape == (3, 8, 16) and bo.shape == (3, 8) and vo.shape == (3, 8)
    assert m.decode(mo, bo, vo).shape == (3, 16, 15, 3)
    # pooled codes do not depend on the length of the sequence's crop order: any T works
    assert m.body(torch.randn(2, TINY.in_channels, 5)).shape == (2, 8)


def test_losses_are_zero_where_they_should_be():
    x = torch.randn(2, 16, 15, 3)
    assert L.reconstruction(x, x) == 0
    assert L.invariance(x, x) == 0
    assert L.bone_consistency(x, x) == 0
    a = torch.tensor([[1.0, 0.0]])
    assert L.triplet(a, a, -a, margin=0.3) == 0  # positive equal, negative opposite
    assert L.triplet(a, -a, a, margin=0.3) > 0  # the wrong way round
    # projection keeps x and y of the camera frame
    assert torch.equal(L.projected(x), x[..., :2])


def test_body_scale_is_the_2d_height():
    seq = project_to_canvas(builtin_motion("tall", frames=30), px_per_cm=2.0)
    x = torch.as_tensor(seq.coords)[None]
    # facing the camera, the chain ankle-knee-hip-neck-nose is seen nearly at full length
    expected = 2.0 * (50 + 51 + 60 + 24)
    assert float(body_scale(x)[0]) == pytest.approx(expected, rel=0.03)


def test_network_input_marks_missing_joints():
    x = torch.randn(1, 16, 15, 2)
    conf = torch.ones(1, 16, 15)
    conf[0, 3, 4] = 0
    inp = network_input(x, conf, InputStats.identity())
    assert inp.shape == (1, 45, 16)
    assert inp[0, 2 * 4, 3] == 0 and inp[0, 2 * 4 + 1, 3] == 0  # coordinates zeroed
    assert inp[0, 30 + 4, 3] == 0 and inp[0, 30 + 4, 2] == 1  # presence channel


def _toy_batch(n: int = 4, t: int = 16) -> dict[str, torch.Tensor]:
    seqs, seqs_s = [], []
    for i, (a, b) in enumerate(
        [("average", "small"), ("tall", "stocky"), ("long_legs", "average"), ("small", "tall")][:n]
    ):
        x = builtin_motion(a, frames=t + 10 * i)[10 * i :].coords
        xs = builtin_motion(b, frames=t + 10 * i)[10 * i :].coords
        seqs.append(rotate(x - x[0, HIP], 30.0 * i))
        seqs_s.append(rotate(xs - xs[0, HIP], 30.0 * i))
    return {
        "x3d": torch.as_tensor(np.stack(seqs), dtype=torch.float32),
        "x3d_s": torch.as_tensor(np.stack(seqs_s), dtype=torch.float32),
    }


def test_training_loss_falls_on_a_toy_problem():
    model = tiny_model(1)
    batch = _toy_batch()
    cfg = TrainConfig(jitter=0.0, dropout_joint=0.0, dropout_limb=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    first = None
    for _ in range(150):
        loss, parts = training_step(model, batch, InputStats.identity(), LossWeights(), cfg, gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first if first is not None else parts
    assert set(parts) >= {
        "rec",
        "rec3d",
        "cross",
        "struct_inv",
        "rot_inv",
        "rot_rec",
        "triplet_body",
        "triplet_view",
        "bone",
    }
    assert parts["rec3d"] < 0.6 * first["rec3d"]
    assert parts["rec"] < 0.6 * first["rec"]


def test_save_load_round_trip(tmp_path):
    model = tiny_model(2)
    stats = InputStats(np.random.default_rng(0).normal(size=(15, 2)), np.full((15, 2), 0.5))
    cfg = RunConfig(net=TINY, train=TrainConfig(iterations=3))
    save_run(tmp_path / "run", model, stats, cfg)
    m2, s2, c2 = load_run(tmp_path / "run")
    x = torch.randn(1, TINY.in_channels, 16)
    torch.testing.assert_close(model.eval()(x), m2(x))
    np.testing.assert_array_equal(s2.mean, stats.mean)
    assert c2.net == TINY and c2.train.iterations == 3


def test_load_run_rejects_a_folder_that_is_not_a_model(tmp_path):
    from skeleton_io.errors import ModelError

    with pytest.raises(ModelError, match="not a model folder"):
        load_run(tmp_path)


@pytest.mark.parametrize(
    "factors", [np.full(8, 1.0), np.array([0.8, 1.2, 1.1, 0.9, 1.25, 0.85, 1.05, 0.95])]
)
def test_torch_limb_scaling_equals_numpy(factors):
    world = builtin_motion("average", frames=12).coords * np.array([1, -1, -1])  # y-up, like BVH
    from retarget.data.performers import bone_factors

    expected = scale_limbs_np(world, factors, 1.1, floor=-100.0, up=1)
    got = scale_limbs_torch(
        torch.as_tensor(world)[None],
        torch.as_tensor(bone_factors(factors) * 1.1)[None],
        torch.tensor([-100.0], dtype=torch.float64),
    )[0].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-9)


def _exact_analysis(seq3d_px: np.ndarray) -> Analysis:
    """An Analysis whose lift is the exact 3D (what a perfect network would give)."""
    x2 = seq3d_px[..., :2]
    scale = float(body_scale(torch.as_tensor(x2)[None])[0])
    local3 = localize(seq3d_px) / scale
    lengths = np.median(bone_lengths(fix_hip(seq3d_px)), axis=0) / scale
    return Analysis(
        coords=x2, conf=np.ones(x2.shape[:2]), scale=scale, local2d=localize(x2) / scale, lift=local3,
        motion=torch.zeros(1), body=torch.zeros(1), view=torch.zeros(1), lengths=lengths, yaw=0.0,
    )  # fmt: skip


@pytest.mark.parametrize("yaw", [0.0, 35.0, -120.0])
def test_fuse_is_exact_with_an_exact_lift(yaw):
    """Motion of the average body, bones of the small one: fusing gives the small body's dance."""
    a3 = project_to_canvas(builtin_motion("average", frames=20), yaw=yaw)
    a3d = rotate(builtin_motion("average", frames=20).coords, yaw) * 2.0
    b3d = rotate(builtin_motion("small", frames=20).coords, yaw) * 2.0
    a = _exact_analysis(a3d)
    target = np.median(bone_lengths(fix_hip(b3d)), axis=0) / a.scale
    out = fuse(a, target) * a.scale
    np.testing.assert_allclose(out, fix_hip(b3d), atol=1e-6)
    assert a3.num_frames == 20


def test_lengths_come_from_the_sequence_2d_with_the_lift_only_for_angles():
    """A body turned 45 degrees from the camera foreshortens its shoulder and hip lines in every
    frame; a lift with the right angles but other proportions (wider shoulders and hips, a
    longer neck: a body unlike the training data's) must not lend its lengths."""
    from retarget.data.performers import LIMB_GROUPS
    from retarget.retargeters.model import _lengths

    x3d = rotate(builtin_motion("stocky", frames=60).coords, 45.0) * 2.0
    scale = float(body_scale(torch.as_tensor(x3d[..., :2])[None])[0])
    factors = np.ones(len(LIMB_GROUPS))
    for g in ("shoulders", "pelvis", "neck"):
        factors[LIMB_GROUPS.index(g)] = 1.4
    lift = localize(scale_limbs_np(x3d, factors, floor=None)) / scale
    got = _lengths(lift, localize(x3d[..., :2]) / scale, np.ones(x3d.shape[:2])) * scale
    true = np.median(bone_lengths(fix_hip(x3d)), axis=0)
    widths = [BONES.index((J[p], J[c])) for p, c in (("Neck", "RShoulder"), ("MidHip", "LHip"))]
    head = BONES.index((J["Neck"], J["Nose"]))
    np.testing.assert_allclose(got[widths + [head]], true[widths + [head]], rtol=0.02)
    # the 2D alone sees the widths at most at cos(45 deg) of their length in this dance
    p95 = np.percentile(bone_lengths(x3d[..., :2]), 95, axis=0)
    assert (p95[widths] < 0.8 * true[widths]).all()
    np.testing.assert_allclose(got, true, rtol=0.05)


def test_model_retargeter_output_contract():
    model = tiny_model(3)
    r = ModelRetargeter(model, InputStats.identity())
    motion = project_to_canvas(builtin_motion("average", frames=40), yaw=20)
    motion.confidence[5:9, motion.skeleton.idx("RWrist")] = 0  # a dropout
    motion.confidence[:, motion.skeleton.idx("LAnkle")] = 0  # a joint never seen
    structure = project_to_canvas(builtin_motion("small", frames=25), yaw=-30)
    for view in (None, structure, 45.0):
        out = r(motion, structure, view)
        assert out.coords.shape == (40, 15, 2) and out.skeleton.name == "openpose15"
        assert (out.confidence > 0).all()  # no missing joints
        assert out.fps == motion.fps and out.canvas == motion.canvas
        # hip starts at A's (up to the denoiser's smoothing of the first frames)
        np.testing.assert_allclose(out.coords[0, HIP], motion.coords[0, HIP], atol=0.5)
    # 3D bone lengths of the result are the structure's estimate, frame to frame
    lift = r.lift(structure)
    assert lift.dims == 3 and lift.num_frames == 25


def test_cli_train_and_transfer_smoke(tmp_path, monkeypatch):
    """`transfer` with a saved tiny model on synthetic files, every view form."""
    from retarget.cli import cli

    run = tmp_path / "run"
    save_run(run, tiny_model(4), InputStats.identity(), RunConfig(net=TINY))
    a = tmp_path / "a.npz"
    b = tmp_path / "b.npz"
    save_file(project_to_canvas(builtin_motion("tall", frames=30), yaw=10), a)
    save_file(project_to_canvas(builtin_motion("small", frames=20), yaw=-50), b)
    runner = CliRunner()
    for view in ("motion", "structure", "-30", str(b)):
        out = tmp_path / f"out_{view.replace('/', '_')}.json"
        res = runner.invoke(
            cli,
            [
                "transfer",
                "--motion",
                str(a),
                "--structure",
                str(b),
                "--view",
                view,
                "-o",
                str(out),
                "--format",
                "coco",
                "--model",
                str(run),
                "--device",
                "cpu",
            ],
        )
        assert res.exit_code == 0, res.output
        assert out.exists()
    res = runner.invoke(
        cli,
        [
            "transfer",
            "--motion",
            str(a),
            "--structure",
            str(b),
            "--view",
            "sideways",
            "-o",
            str(tmp_path / "x.npz"),
            "--model",
            str(run),
        ],
    )
    assert res.exit_code == 2 and "sideways" in res.output
    res = runner.invoke(
        cli,
        [
            "transfer",
            "--motion",
            str(a),
            "--structure",
            str(b),
            "-o",
            str(tmp_path / "x.npz"),
            "--model",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 2 and "not a model folder" in res.output
    assert not (tmp_path / "x.npz").exists()


def test_bones_in_order():
    # every bone's parent joint is reached before its child in the fusion's order
    from retarget.data.performers import BONE_ORDER

    seen = {HIP}
    for e in BONE_ORDER:
        p, c = BONES[e]
        assert p in seen
        seen.add(c)
    assert len(seen) == 15
    assert to_local(torch.zeros(1, 2, 15, 2), torch.ones(1)).shape == (1, 2, 15, 2)


def test_cli_transfer_denoises_with_the_learned_denoiser_by_default(tmp_path):
    """Default = learned denoiser; --no-denoise is --denoise none; a bad method is one line."""
    from retarget.cli import cli

    run = tmp_path / "run"
    save_run(run, tiny_model(4), InputStats.identity(), RunConfig(net=TINY))
    rng = np.random.default_rng(0)
    a = project_to_canvas(builtin_motion("tall", frames=40), yaw=10)
    a = a.with_coords(a.coords + rng.normal(0, 3.0, a.coords.shape))  # px jitter
    save_file(a, tmp_path / "a.npz")
    save_file(project_to_canvas(builtin_motion("small", frames=20), yaw=-50), tmp_path / "b.npz")
    base = ["transfer", "--motion", str(tmp_path / "a.npz"), "--structure",
            str(tmp_path / "b.npz"), "--model", str(run), "--device", "cpu"]  # fmt: skip
    outs = {}
    for name, extra in (("default", []), ("none", ["--denoise", "none"]),
                        ("off", ["--no-denoise"])):  # fmt: skip
        out = tmp_path / f"{name}.npz"
        res = CliRunner().invoke(cli, [*base, "-o", str(out), *extra])
        assert res.exit_code == 0, res.output
        outs[name] = load_file(out).coords
    np.testing.assert_array_equal(outs["none"], outs["off"])
    # the learned denoiser removes jitter: the output accelerates less
    acc = {k: np.abs(np.diff(v, 2, axis=0)).mean() for k, v in outs.items()}
    assert acc["default"] < 0.6 * acc["none"], acc
    res = CliRunner().invoke(cli, [*base, "-o", str(tmp_path / "x.npz"), "--denoise", "magic"])
    assert res.exit_code == 2 and "magic" in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.npz").exists()


def _photo(pitch: float) -> tuple[np.ndarray, float]:
    """One frame of the average body, pitched ``pitch`` degrees about the camera's x axis
    (leaning towards the camera), in pixels, and its 2D body scale."""
    x3d = builtin_motion("average", frames=1).coords * 2.0
    c, s = np.cos(np.radians(pitch)), np.sin(np.radians(pitch))
    y, z = x3d[..., 1].copy(), x3d[..., 2].copy()
    x3d[..., 1], x3d[..., 2] = c * y - s * z, s * y + c * z
    return x3d, float(body_scale(torch.as_tensor(x3d[..., :2])[None])[0])


def test_a_photo_measures_its_spine_and_head_through_the_lift_angle():
    """One frame of a body leaning 35 degrees towards the camera: its 2D spine and head are
    cos(35 deg) of their length. With an exact lift a photo gets them back exactly; arms and
    legs are their longer side's 2D length times PHOTO_LIMB; the widths the lift's. Five such
    frames (a sequence) keep the sequence rules: the 2D spine."""
    from retarget.geometry import SIDE_PAIRS
    from retarget.retargeters.model import (
        HEAD_BONE,
        PHOTO_LIMB,
        SPINE_BONE,
        WIDTH_BONES,
        _lengths,
    )

    x3d, scale = _photo(35.0)
    lift, local2d = localize(x3d) / scale, localize(x3d[..., :2]) / scale
    got = _lengths(lift, local2d, np.ones((1, 15))) * scale
    true = bone_lengths(x3d)[0]
    seen2d = bone_lengths(x3d[..., :2])[0]
    assert seen2d[SPINE_BONE] < 0.85 * true[SPINE_BONE]
    np.testing.assert_allclose(
        got[[SPINE_BONE, HEAD_BONE]], true[[SPINE_BONE, HEAD_BONE]], rtol=1e-6
    )
    np.testing.assert_allclose(got[list(WIDTH_BONES)], true[list(WIDTH_BONES)], rtol=1e-6)
    for r, left in SIDE_PAIRS:
        if r not in WIDTH_BONES:
            want = PHOTO_LIMB * max(seen2d[r], seen2d[left])
            np.testing.assert_allclose(got[[r, left]], [want, want], rtol=1e-6)
    seq = _lengths(*(np.repeat(v, 5, axis=0) for v in (lift, local2d, np.ones((1, 15))))) * scale
    np.testing.assert_allclose(seq[SPINE_BONE], seen2d[SPINE_BONE], rtol=1e-6)


def test_a_photo_keeps_its_trunk_and_forearms_at_least_a_fraction_of_its_legs():
    """One frontal frame whose lift puts every bone in the image plane while the trunk is
    pitched (the 2D spine is 0.3 of the leg) and both forearms point at the camera (a fifth
    of their 2D length left): the spine and the forearms take their PHOTO_FLOOR fraction
    (times PHOTO_FLOOR_MARGIN) of the leg (thigh plus shin, times PHOTO_LIMB); the other bones keep their photo lengths. Five such frames (a sequence) keep the
    2D spine."""
    from retarget.retargeters.model import (
        PHOTO_FLOOR,
        PHOTO_FLOOR_MARGIN,
        PHOTO_LIMB,
        SPINE_BONE,
        _lengths,
    )

    x3d, scale = _photo(0.0)
    xy = localize(x3d[..., :2])
    seen2d = bone_lengths(xy)[0]
    legs = [(BONES.index((J[h], J[k])), BONES.index((J[k], J[a])))
            for h, k, a in (("RHip", "RKnee", "RAnkle"), ("LHip", "LKnee", "LAnkle"))]  # fmt: skip
    leg = PHOTO_LIMB * max(seen2d[t] + seen2d[s] for t, s in legs)
    upper = [J[n] for n in ("Neck", "Nose", "RShoulder", "LShoulder", "RElbow", "LElbow",
                            "RWrist", "LWrist")]  # fmt: skip
    neck = xy[0, J["Neck"]].copy()
    xy[0, upper] += (0.3 * leg / seen2d[SPINE_BONE] - 1.0) * neck  # the hip is at 0
    for side in "RL":
        elbow = xy[0, J[side + "Elbow"]]
        xy[0, J[side + "Wrist"]] = elbow + 0.2 * (xy[0, J[side + "Wrist"]] - elbow)
    lift = np.concatenate([xy, np.zeros_like(xy[..., :1])], axis=-1) / scale
    got = _lengths(lift, xy / scale, np.ones((1, 15))) * scale
    photo2d = bone_lengths(xy)[0]
    fore = [BONES.index((J["RElbow"], J["RWrist"])), BONES.index((J["LElbow"], J["LWrist"]))]
    fractions = {
        BONES.index((J[a], J[b])): PHOTO_FLOOR_MARGIN * f
        for k, f in PHOTO_FLOOR.items()
        for a, b in k
    }
    np.testing.assert_allclose(got[SPINE_BONE], fractions[SPINE_BONE] * leg, rtol=1e-6)
    assert (PHOTO_LIMB * photo2d[fore] < fractions[fore[0]] * leg).all()
    np.testing.assert_allclose(got[fore], fractions[fore[0]] * leg, rtol=1e-6)
    thigh = legs[0][0]
    np.testing.assert_allclose(got[thigh], PHOTO_LIMB * seen2d[thigh], rtol=1e-6)
    seq = _lengths(*(np.repeat(v, 5, axis=0) for v in (lift, xy / scale, np.ones((1, 15)))))
    np.testing.assert_allclose(seq[SPINE_BONE] * scale, 0.3 * leg, rtol=1e-6)


def test_a_photo_does_not_measure_a_joint_the_detector_doubts():
    """A photo whose right elbow is misplaced by a third of the body, with half the others'
    confidence: the right arm is measured by the left one. The same photo with the elbow at
    full confidence would take the misplaced (longer) arm."""
    from retarget.retargeters.model import PHOTO_LIMB, _lengths

    x3d, scale = _photo(0.0)
    left = bone_lengths(x3d[..., :2])[0][BONES.index((J["LShoulder"], J["LElbow"]))]
    lift, local2d = localize(x3d) / scale, localize(x3d[..., :2]) / scale
    moved = local2d.copy()
    moved[0, J["RElbow"], 0] -= 0.33
    conf = np.full((1, 15), 0.7)
    conf[0, J["RElbow"]] = 0.35
    upper = [BONES.index((J["RShoulder"], J["RElbow"])), BONES.index((J["LShoulder"], J["LElbow"]))]
    got = _lengths(lift, moved, conf) * scale
    np.testing.assert_allclose(got[upper], [PHOTO_LIMB * left] * 2, rtol=1e-6)
    trusting = _lengths(lift, moved, np.full((1, 15), 0.7)) * scale
    assert (trusting[upper] > 1.3 * left).all()


def test_a_photo_keeps_its_seen_limbs_and_shoulders_at_least_their_2d_length():
    """One frontal frame whose lift is wrong in two ways: both forearms point 72 degrees out
    of the image plane (three times their 2D length: a sequence of such frames takes the
    lift's length) and the shoulders are half their width. A photo keeps the forearms' 2D
    length (times PHOTO_LIMB) and raises the shoulders to their 2D length, a lower bound;
    the hips keep the lift's."""
    from retarget.retargeters.model import PHOTO_LIMB, WIDTH_BONES, _lengths

    x3d, scale = _photo(0.0)
    lift, local2d = localize(x3d) / scale, localize(x3d[..., :2]) / scale
    fore = [BONES.index((J["RElbow"], J["RWrist"])), BONES.index((J["LElbow"], J["LWrist"]))]
    seen2d = bone_lengths(x3d[..., :2])[0]
    for e in fore:
        p, c = BONES[e]
        lift[0, c, 2] = lift[0, p, 2] + np.sqrt(8.0) * seen2d[e] / scale  # 3x, cos 1/3
    for side in ("RShoulder", "LShoulder"):
        lift[0, J[side]] = 0.5 * (lift[0, J[side]] + lift[0, J["Neck"]])
    got = _lengths(lift, local2d, np.ones((1, 15))) * scale
    np.testing.assert_allclose(got[fore], PHOTO_LIMB * seen2d[fore].max(), rtol=1e-6)
    shoulders, hips = list(WIDTH_BONES[:2]), list(WIDTH_BONES[2:])
    np.testing.assert_allclose(got[shoulders], seen2d[shoulders].max(), rtol=1e-6)
    true = bone_lengths(x3d)[0]
    np.testing.assert_allclose(got[hips], true[hips].mean(), rtol=1e-6)
    seq = _lengths(*(np.repeat(v, 5, axis=0) for v in (lift, local2d, np.ones((1, 15)))))
    np.testing.assert_allclose(seq[fore] * scale, 3 * seen2d[fore].mean(), rtol=1e-6)
