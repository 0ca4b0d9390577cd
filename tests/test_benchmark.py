"""The retargeting benchmark: exact answers on known cases, baselines, metrics, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from retarget.benchmark import (
    CopyMotion,
    GapFilled,
    GlobalNormalization,
    LimbNormalization,
    Retargeter,
    build_test_set,
    evaluate,
    format_table,
    limb_normalize,
    make_baseline,
)
from retarget.benchmark.metrics import Pool, foot_contacts
from retarget.benchmark.protocol import TestSet
from retarget.builtin import builtin_motion
from retarget.cli import cli
from retarget.data import MocapLibrary, scale_limbs
from retarget.data.splits import Split
from retarget.data.views import to_sequence
from retarget.geometry import HIP, J, body_height, bone_lengths, fix_hip, rotate
from skeleton_io import convert
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.skeleton import BODY25

from .test_data import write_toy_mocap


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> MocapLibrary:
    root = write_toy_mocap(tmp_path_factory.mktemp("mocap"), n_a=3, n_b=2, frames=72)
    return MocapLibrary.load(root, cache_dir=root / "cache")


def everything(lib: MocapLibrary) -> Split:
    return Split("test", tuple(sorted(lib.clips)), tuple(sorted(lib.characters)), "all")


def small_set(lib: MocapLibrary, seed: int = 0, **kw) -> TestSet:
    return build_test_set(
        lib, everything(lib), seed, motions_per_family=4, variants=1, max_len=48, **kw
    )


def image(x3d: np.ndarray, yaw: float) -> np.ndarray:
    """Orthographic 2D of camera-frame 3D turned by ``yaw`` about the first hip."""
    return rotate(x3d, yaw, center=x3d[0, HIP])[..., :2]


# ----------------------------------------------------------------------------- exact answers
def test_a_performer_onto_itself_has_zero_error(toy):
    ts = small_set(toy, same_performer=True)
    ts.cases = [c for c in ts.cases if c.a == c.b]
    assert ts.cases
    res = evaluate(CopyMotion(), toy, ts, settings=("in_view",))
    m = res.metrics["in_view"]
    assert m["mse"] == 0.0 and m["mae"] == 0.0 and m["bone"] == 0.0 and m["missing"] == 0.0


def test_limb_baseline_is_exact_with_known_bone_lengths():
    dancer = builtin_motion("average", frames=40).coords
    factors = np.array([1.2, 0.8, 1.1, 0.9, 1.15, 1.3, 0.85, 1.05])
    target = scale_limbs(dancer, factors, floor=None)
    for yaw in (0.0, 35.0, -120.0):
        a2, b2 = image(dancer, yaw), image(target, yaw)
        out, conf = limb_normalize(
            a2, np.ones((40, 15)), bone_lengths(dancer, 50), bone_lengths(target, 50)
        )
        np.testing.assert_allclose(fix_hip(out), fix_hip(b2), atol=1e-9)
        assert conf.min() == 1.0


def test_limb_baseline_class_is_exact_when_every_bone_is_once_seen_flat():
    dancer = builtin_motion("tall", frames=30).coords
    flat_a = dancer[:1].copy()
    flat_a[..., 2] = 0.0  # one frame with every bone parallel to the image plane
    factors = np.array([0.9, 1.1, 1.2, 0.8, 1.0, 1.1, 1.25, 0.95])
    a3 = np.concatenate([flat_a, dancer])
    b3 = scale_limbs(a3, factors, floor=None)
    a2 = to_sequence(a3[..., :2], canvas=(640, 480))
    b2 = to_sequence(b3[..., :2], canvas=(640, 480))
    out = LimbNormalization(percentile=100, symmetric=False)(a2, b2)
    np.testing.assert_allclose(fix_hip(out.coords), fix_hip(b2.coords), atol=1e-9)
    assert out.meta["retargeter"] == "limb" and out.canvas == (640, 480)


def test_edn_is_exact_for_a_uniformly_scaled_body():
    dancer = builtin_motion("average", frames=20).coords
    bigger = scale_limbs(dancer, np.ones(8), global_scale=1.3, floor=None)
    a2, b2 = to_sequence(image(dancer, 20.0)), to_sequence(image(bigger, 20.0))
    out = GlobalNormalization(percentile=100)(a2, b2)
    np.testing.assert_allclose(fix_hip(out.coords), fix_hip(b2.coords), atol=1e-6)


def test_baselines_follow_the_protocol_and_take_other_skeletons():
    seq = to_sequence(image(builtin_motion("small", frames=12).coords, 0.0))
    body25 = convert(seq, BODY25)
    for name in ("copy", "limb", "edn", "limb+gapfill"):
        r = make_baseline(name)
        assert isinstance(r, Retargeter) and r.name == name
        out = r(body25, seq)
        assert out.skeleton.name == "openpose15" and out.num_frames == 12
    with pytest.raises(InvalidArgumentError):
        make_baseline("nope")


def test_gap_filling_fills_every_seen_joint():
    seq = to_sequence(image(builtin_motion("average", frames=20).coords, 10.0))
    holes = seq.copy()
    holes.confidence[3:7, J["RWrist"]] = 0
    holes.confidence[:2, J["LKnee"]] = 0
    holes.coords[holes.confidence == 0] = 0
    limb = LimbNormalization()(holes, seq)
    assert (limb.confidence == 0).any()  # a missing joint and its children
    filled = GapFilled(LimbNormalization())(holes, seq)
    assert (filled.confidence > 0).all()
    assert filled.meta["retargeter"] == "limb+gapfill"


# ----------------------------------------------------------------------------- protocol
def test_protocol_is_deterministic_under_a_seed(toy):
    a = evaluate(LimbNormalization(), toy, small_set(toy, seed=4), noise="detector")
    b = evaluate(LimbNormalization(), toy, small_set(toy, seed=4), noise="detector")
    assert a.metrics == b.metrics
    c = small_set(toy, seed=5)
    assert [m.yaw for m in c.motions] != [m.yaw for m in small_set(toy, seed=4).motions]


def test_protocol_cases_and_settings(toy):
    ts = small_set(toy)
    perf = list(ts.performers)
    assert len(perf) == 3  # two real characters + one scaled variant
    n_m = len(ts.motions)
    assert len(ts.cases) == len(perf) * (len(perf) - 1) * n_m * (n_m - 1)
    assert all(c.a != c.b and c.i != c.j for c in ts.cases)
    res = [evaluate(make_baseline(n), toy, ts) for n in ("copy", "limb")]
    copy, limb = (r.metrics for r in res)
    assert limb["in_view"]["mse"] < copy["in_view"]["mse"]
    assert copy["cross_view"]["mse"] > copy["in_view"]["mse"]  # a 2D baseline cannot change views
    table = format_table(res)
    assert table.count("\n") == 5 and "cross-view" in table
    sub = build_test_set(
        toy, everything(toy), 0, motions_per_family=4, variants=1, max_len=48, max_cases=7
    )
    assert len(sub.cases) == 7


def test_real_pairs_pair_different_real_characters_on_the_same_motions(toy):
    scaled = small_set(toy)
    real = small_set(toy, pairs="real")
    assert real.pairs == "real" and set(real.performers) == set(toy.characters)
    assert not any(p.is_scaled for p in real.performers.values())
    assert [m.to_dict() for m in real.motions] == [m.to_dict() for m in scaled.motions]
    n_p, n_m = len(real.performers), len(real.motions)
    assert len(real.cases) == n_p * (n_p - 1) * n_m * (n_m - 1)
    assert all(c.a != c.b and c.i != c.j for c in real.cases)
    res = evaluate(LimbNormalization(), toy, real, settings=("in_view",))
    assert res.pairs == "real" and "real pairs" in format_table([res])
    with pytest.raises(InvalidArgumentError):
        small_set(toy, pairs="cartoon")


def test_noise_drops_joints_and_gap_filling_restores_them(toy):
    ts = small_set(toy, max_cases=20)
    noisy = evaluate(CopyMotion(), toy, ts, noise="detector", settings=("in_view",)).metrics[
        "in_view"
    ]
    clean = evaluate(CopyMotion(), toy, ts, settings=("in_view",)).metrics["in_view"]
    filled = evaluate(GapFilled(CopyMotion()), toy, ts, noise="detector", settings=("in_view",))
    assert noisy["missing"] > 0 and clean["missing"] == 0
    assert filled.metrics["in_view"]["missing"] == 0
    assert noisy["accel"] > clean["accel"]
    with pytest.raises(InvalidArgumentError):
        evaluate(CopyMotion(), toy, ts, noise="fog")


# ----------------------------------------------------------------------------- metrics
def test_pool_units_on_a_known_error():
    truth = builtin_motion("average", frames=10).coords * 2.0  # "pixels"
    out = truth[..., :2].copy()
    out[:, J["RWrist"], 0] += 5.0
    p = Pool()
    p.add(out, np.ones((10, 15)), truth, 30.0)
    r = p.result()
    h = body_height(truth)
    assert r["mae_px"] == pytest.approx(5.0 / 30)
    assert r["mse_px"] == pytest.approx(25.0 / 30)
    assert r["mse"] == pytest.approx(25.0 / 30 / h**2)
    assert r["mae"] == pytest.approx(5.0 / 30 / h)
    assert r["missing"] == 0.0


def test_foot_contacts_of_a_planted_and_a_swinging_foot():
    T = 30
    x = np.zeros((T, 15, 3))
    x[:, J["Nose"], 1] = -150
    x[:, J["RAnkle"]] = [0, 0, 0]  # planted at ground level (y down: ground = max y)
    x[:, J["LAnkle"]] = np.stack([np.linspace(0, 60, T), np.full(T, -30.0), np.zeros(T)], 1)
    c = foot_contacts(x, 150.0, 30.0)
    assert c[:, 0].all() and not c[:, 1].any()


# ----------------------------------------------------------------------------- CLI
def test_cli_evaluate_smoke(toy, tmp_path, monkeypatch):
    monkeypatch.setenv("RETARGET_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "res.json"
    r = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--baseline",
            "copy",
            "--data",
            str(toy.root),
            "--split",
            "train",
            "--max-cases",
            "4",
            "--json",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "| copy | limb-scaled | clean | in-view |" in r.output
    assert "| copy | real pairs | clean | in-view |" in r.output
    payload = json.loads(out.read_text())
    assert payload["results"][0]["cases"] == 4
    bad = CliRunner().invoke(cli, ["evaluate", "--data", str(toy.root)])
    assert bad.exit_code == 2 and "exactly one of" in bad.output


# ----------------------------------------------------------------------------- real video
def test_real_pair_metrics_on_known_bodies():
    from retarget.benchmark.real import real_pair_metrics

    a = to_sequence(image(builtin_motion("average", frames=30).coords, 15.0))
    b = to_sequence(image(builtin_motion("stocky", frames=30).coords, 15.0))
    limb = real_pair_metrics(LimbNormalization(), a, b)
    copy = real_pair_metrics(CopyMotion(), a, b)
    assert limb["prop_structure"] < 0.02 < limb["prop_motion"]
    assert copy["prop_motion"] == 0.0 and copy["prop_structure"] > 0.05
    assert abs(limb["size"] - 1) < 0.02 and copy["missing"] == 0.0


def test_real_openpose_pair_keeps_the_structure_proportions():
    from retarget.benchmark.real import real_pair_metrics
    from skeleton_io import load_file

    from .conftest import OPENPOSE_REAL, need

    need(OPENPOSE_REAL / "tall_man")
    tall = load_file(OPENPOSE_REAL / "tall_man", fps=30.0)
    small = load_file(OPENPOSE_REAL / "small_man", fps=30.0)
    m = real_pair_metrics(make_baseline("limb+gapfill"), tall, small)
    assert m["prop_structure"] < 0.05 < m["prop_motion"] and m["missing"] == 0.0
