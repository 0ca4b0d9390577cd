"""Denoising: cleanup steps, classical filters, the registry, metrics, synthetic noise, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from retarget.cli import cli
from retarget.denoising import (
    METHODS,
    MethodSpec,
    NoiseStats,
    OneEuroFilter,
    SavgolOptions,
    accel_error,
    add_noise,
    denoise,
    fill_gaps,
    fix_swaps,
    gaussian,
    jitter,
    lag,
    measure_noise,
    mpjpe,
    one_euro,
    parse_params,
    register_method,
    reject_outliers,
    savgol,
)
from retarget.denoising.filters import body_size, limb_groups, runs
from retarget.denoising.synthetic import synthetic_motion
from skeleton_io import BODY25, InvalidArgumentError, PoseSequence, load_file, save_file

from .conftest import OPENPOSE_REAL, need

FPS = 30.0


def _track(values: np.ndarray, joints: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(T, D)`` values as a ``(T, joints, D)`` array with full confidence."""
    coords = np.repeat(np.asarray(values, float)[:, None, :], joints, axis=1)
    return coords, np.ones(coords.shape[:2])


FILTERS = {
    "savgol": lambda c, k: savgol(c, k, 9, 2),
    "gaussian": lambda c, k: gaussian(c, k, 2.0),
    "oneeuro": lambda c, k: one_euro(c, k, FPS, min_cutoff=1.0, beta=0.03),
}


# ------------------------------------------------------------------ filters
@pytest.mark.parametrize("name", FILTERS)
def test_constant_stays_constant(name):
    coords, conf = _track(np.tile([[120.0, -35.5]], (40, 1)), joints=3)
    np.testing.assert_allclose(FILTERS[name](coords, conf), coords, atol=1e-9)


@pytest.mark.parametrize("name", ["savgol", "gaussian"])
def test_line_stays_a_line_to_the_ends(name):
    t = np.arange(50.0)
    coords, conf = _track(np.stack([3 * t + 1, -0.5 * t], axis=1))
    np.testing.assert_allclose(FILTERS[name](coords, conf), coords, atol=1e-9)


def test_savgol_keeps_a_quadratic():
    t = np.arange(40.0)
    coords, conf = _track(np.stack([0.2 * t**2, t], axis=1))
    np.testing.assert_allclose(savgol(coords, conf, 7, 2), coords, atol=1e-8)


@pytest.mark.parametrize("name", FILTERS)
def test_noise_variance_drops(name):
    rng = np.random.default_rng(1)
    t = np.arange(300) / FPS
    clean = np.stack([100 * np.sin(2 * np.pi * 0.1 * t), 50 * np.cos(2 * np.pi * 0.07 * t)], 1)
    truth, conf = _track(clean, joints=2)
    noisy = truth + rng.normal(0, 3.0, truth.shape)
    out = FILTERS[name](noisy, conf)
    assert mpjpe(out, truth) < 0.8 * mpjpe(noisy, truth)
    assert jitter(out) < 0.35 * jitter(noisy)


def test_one_euro_is_causal():
    rng = np.random.default_rng(2)
    coords, conf = _track(rng.normal(0, 5, (60, 2)), joints=2)
    changed = coords.copy()
    changed[31:] += rng.normal(0, 50, changed[31:].shape)
    a = one_euro(coords, conf, FPS, min_cutoff=0.5, beta=0.05)
    b = one_euro(changed, conf, FPS, min_cutoff=0.5, beta=0.05)
    np.testing.assert_array_equal(a[:31], b[:31])
    assert not np.allclose(a[31:], b[31:])


def test_one_euro_stream_matches_sequence_and_lags_less_with_beta():
    t = np.arange(90) / FPS
    coords, conf = _track(np.stack([200 * np.sin(2 * np.pi * 1.5 * t), 0 * t], 1))
    f = OneEuroFilter(min_cutoff=1.0, beta=0.02)
    streamed = np.stack([f(coords[i], t[i]) for i in range(len(t))])
    np.testing.assert_allclose(streamed, one_euro(coords, conf, t, min_cutoff=1.0, beta=0.02))
    slow = one_euro(coords, conf, FPS, min_cutoff=1.0, beta=0.0)
    fast = one_euro(coords, conf, FPS, min_cutoff=1.0, beta=0.05)
    assert 0 < lag(fast, coords) < lag(slow, coords)
    with pytest.raises(InvalidArgumentError):
        f(coords[0], t[5])  # time went backwards
    with pytest.raises(InvalidArgumentError):
        OneEuroFilter(min_cutoff=0)


def test_filters_respect_missingness():
    rng = np.random.default_rng(3)
    coords = rng.normal(100, 5, (40, 3, 2))
    conf = np.ones((40, 3))
    conf[10:20, 0] = 0  # a gap
    conf[::7, 1] = 0  # scattered
    coords[conf == 0] = 0
    for fn in FILTERS.values():
        out = fn(coords, conf)
        assert np.all(out[conf == 0] == 0)
        # nothing leaks across the gap: frames before it do not feel frames after it
        changed = coords.copy()
        changed[20:, 0] += 1000
        np.testing.assert_allclose(fn(changed, conf)[:10, 0], out[:10, 0])


# ------------------------------------------------------------------ cleanup
@pytest.mark.parametrize("kind", ["pchip", "cubic", "linear"])
def test_gap_filling_restores_a_linear_gap_exactly(kind):
    t = np.arange(30.0)
    truth, conf = _track(np.stack([2 * t + 5, 100 - t], axis=1))
    conf[:, 0] = 0.8
    coords = truth.copy()
    conf[12:17, 0] = 0
    coords[12:17, 0] = 0
    out, c, filled = fill_gaps(coords, conf, max_gap=5, kind=kind)
    np.testing.assert_allclose(out, truth, atol=1e-9)
    assert filled[12:17, 0].all() and filled.sum() == 5
    assert np.all((c[12:17, 0] > 0) & (c[12:17, 0] < 0.8))


def test_long_and_edge_gaps_stay_missing():
    coords, conf = _track(np.ones((30, 2)))
    conf[5:15, 0] = 0  # 10 frames: too long
    conf[:3, 0] = 0  # at the start: nothing to interpolate from
    coords[conf == 0] = 0
    out, c, filled = fill_gaps(coords, conf, max_gap=7)
    assert not filled.any()
    np.testing.assert_array_equal(c, conf)
    np.testing.assert_array_equal(out, coords)


def test_outlier_rejection_removes_an_injected_spike():
    rng = np.random.default_rng(4)
    t = np.arange(60) / FPS
    clean = np.stack([300 + 80 * np.sin(2 * np.pi * 0.5 * t), 200 + 40 * t], 1)
    coords, conf = _track(clean + rng.normal(0, 1.0, clean.shape), joints=2)
    coords[25, 1] += [60.0, -40.0]
    coords[40:42, 0] += [-80.0, 0.0]  # a two-frame excursion
    out, c, outliers = reject_outliers(coords, conf, window=7, k=3.0, min_deviation=10.0)
    assert outliers[25, 1] and outliers[40:42, 0].all()
    assert outliers.sum() == 3
    assert np.all(c[outliers] == 0) and np.all(out[outliers] == 0)


def test_swap_fix_repairs_an_injected_left_right_swap():
    truth = synthetic_motion("body25", 60, FPS, seed=5)
    coords, conf = truth.coords.copy(), truth.confidence.copy()
    sk = truth.skeleton
    leg = [sk.idx(n) for n in ("LKnee", "LAnkle", "LBigToe", "LSmallToe", "LHeel")]
    other = [sk.idx("R" + sk.joints[j][1:]) for j in leg]
    coords[20:24, leg + other] = coords[20:24, other + leg]
    out, c, swapped = fix_swaps(coords, conf, sk, min_gain=5.0)
    np.testing.assert_allclose(out, truth.coords)
    pairs = [p for p, (a, _) in enumerate(sk.symmetry) if a in leg]
    assert swapped[20:24][:, pairs].all() and swapped.sum() == 4 * len(pairs)


def test_swap_fix_relabels_a_sequence_that_starts_swapped():
    truth = synthetic_motion("openpose15", 40, FPS, seed=6)
    coords = truth.coords.copy()
    sk = truth.skeleton
    arm = [sk.idx(n) for n in ("LShoulder", "LElbow", "LWrist")]
    other = [sk.idx("R" + sk.joints[j][1:]) for j in arm]
    coords[:12, arm + other] = coords[:12, other + arm]  # the first frames are swapped
    out, _, _ = fix_swaps(coords, truth.confidence, sk, min_gain=5.0)
    np.testing.assert_allclose(out, truth.coords)


def test_limb_groups_cover_every_pair_once():
    groups = limb_groups(BODY25)
    whole = sorted(p for g in groups for p in g[0])
    assert whole == list(range(len(BODY25.symmetry)))


# ------------------------------------------------------------------ the entry point
def _noisy_seq(seed: int = 0, frames: int = 120) -> tuple[PoseSequence, PoseSequence]:
    truth = synthetic_motion("body25", frames, FPS, seed=seed)
    stats = NoiseStats(
        fps=FPS,
        frames=frames,
        body_size=1.0,
        units="px",
        jitter={"LWrist": 0.01},
        dropout_rate={"LWrist": 0.05},
        dropout_lengths=[2, 3],
        outlier_rate=0.005,
        outlier_magnitudes=[0.2],
        confidence=0.8,
    )
    noisy, conf = add_noise(truth.coords, stats, np.random.default_rng(seed), skeleton=BODY25)
    return truth, truth.with_coords(noisy, conf)


# zero-lag filters must bring the MPJPE down; the causal One-Euro trades some of it for lag
@pytest.mark.parametrize(
    "method, mpjpe_ratio, max_lag",
    [("savgol", 0.8, 0.1), ("gaussian", 0.8, 0.1), ("oneeuro", 1.5, 1.0)],
)
def test_denoise_improves_a_noisy_sequence(method, mpjpe_ratio, max_lag):
    truth, noisy = _noisy_seq()
    out = denoise(noisy, method)
    assert out.coords.shape == noisy.coords.shape and out.skeleton == noisy.skeleton
    both = (out.confidence > 0) & (noisy.confidence > 0)
    raw_error = mpjpe(noisy.coords, truth.coords, both)
    assert mpjpe(out.coords, truth.coords, both) < mpjpe_ratio * raw_error
    assert jitter(out.coords, out.confidence) < 0.5 * jitter(noisy.coords, noisy.confidence)
    assert abs(lag(out.coords, truth.coords, both)) < max_lag
    info = json.loads(json.dumps(out.meta["denoise"]))  # JSON-serialisable
    assert info["method"] == method and info["filled"]
    for joint, spans in info["filled"].items():
        j = out.skeleton.idx(joint)
        for s, e in spans:
            assert np.all(noisy.confidence[s:e, j] == 0) or info["outliers"].get(joint)
            assert np.all(out.confidence[s:e, j] > 0)


def test_missing_joints_stay_missing_through_every_method():
    truth, noisy = _noisy_seq(seed=1)
    conf = noisy.confidence.copy()
    conf[30:60, 3] = 0  # a long dropout: longer than max_gap
    noisy = noisy.with_coords(np.where(conf[..., None] > 0, noisy.coords, 0.0), conf)
    # methods that fill gaps (learned) are tested in test_denoise_learned.py
    for method in [m for m, spec in METHODS.items() if not spec.fills]:
        for cleanup in (False, True):
            out = denoise(noisy, method, cleanup=cleanup)
            assert np.all(out.confidence[30:60, 3] == 0)
            assert np.all(out.coords[out.confidence == 0] == 0)
            if not cleanup:
                np.testing.assert_array_equal(out.confidence, noisy.confidence)


def test_none_method_is_the_identity():
    _, noisy = _noisy_seq(seed=2)
    out = denoise(noisy, "none")
    np.testing.assert_array_equal(out.coords, noisy.coords)
    np.testing.assert_array_equal(out.confidence, noisy.confidence)


def test_world_coordinates_are_smoothed_alike():
    truth, noisy = _noisy_seq(seed=3)
    world = np.concatenate([noisy.coords / 400, np.zeros((*noisy.coords.shape[:2], 1))], -1)
    seq = noisy.with_coords(noisy.coords, world=world)
    out = denoise(seq, "savgol")
    np.testing.assert_allclose(out.world[..., :2], out.coords / 400, atol=1e-9)


def test_options_and_parameters():
    assert parse_params("savgol", ["window=0.5", "polyorder=3"]) == {
        "window": 0.5,
        "polyorder": 3,
    }
    _, noisy = _noisy_seq(seed=4, frames=40)
    a = denoise(noisy, "savgol", window=0.5)
    b = denoise(noisy, "savgol", SavgolOptions(window=0.5))
    np.testing.assert_array_equal(a.coords, b.coords)
    with pytest.raises(InvalidArgumentError, match="window"):
        denoise(noisy, "savgol", widow=0.5)
    with pytest.raises(InvalidArgumentError, match="choose one of"):
        denoise(noisy, "kalman")
    with pytest.raises(InvalidArgumentError):
        parse_params("savgol", ["polyorder=two"])
    with pytest.raises(InvalidArgumentError):
        denoise(noisy, "savgol", window=0.01)  # fewer frames than the polynomial needs


def _halve(seq: PoseSequence, options: object) -> PoseSequence:
    return seq.with_coords(seq.coords * 0.5)


def test_a_method_plugs_in_by_name():
    register_method(MethodSpec("halve", SavgolOptions, "tests.test_denoise:_halve"))
    try:
        _, noisy = _noisy_seq(seed=5, frames=30)
        out = denoise(noisy, "halve", cleanup=False)
        np.testing.assert_allclose(out.coords, noisy.coords * 0.5)
    finally:
        METHODS.pop("halve")


# ------------------------------------------------------------------ metrics
def test_mpjpe_of_a_constant_offset_is_its_norm():
    rng = np.random.default_rng(6)
    truth = rng.normal(size=(20, 5, 3))
    assert mpjpe(truth + [3.0, 4.0, 12.0], truth) == pytest.approx(13.0)
    mask = np.zeros((20, 5), bool)
    mask[:, 0] = True
    pred = truth.copy()
    pred[:, 1:] += 100.0
    assert mpjpe(pred, truth, mask) == 0.0


def test_accel_error_and_jitter_known_answers():
    t = np.arange(30.0)[:, None, None]
    quad = np.concatenate([0.5 * t**2, 2 * t], axis=2)  # acceleration (1, 0) per frame^2
    assert accel_error(quad, quad) == 0.0
    assert accel_error(quad + 7.0, quad) == pytest.approx(0.0)
    assert jitter(quad) == pytest.approx(1.0)
    assert accel_error(quad + np.concatenate([1.5 * t**2, 0 * t], 2), quad) == pytest.approx(3.0)
    zigzag = np.zeros((30, 1, 2))
    zigzag[::2, 0, 0] = 1.0  # +-1 alternation: second difference magnitude 2
    assert jitter(zigzag) == pytest.approx(2.0)


def test_lag_finds_a_known_shift():
    t = np.arange(200) / FPS
    x = np.stack([np.sin(2 * np.pi * 0.7 * t) + 0.5 * np.sin(2 * np.pi * 1.9 * t), 0 * t], 1)
    raw = x[10:-10, None]
    delayed = x[7:-13, None]  # delayed[t] = x[t + 7] = raw[t - 3]
    assert lag(delayed, raw) == pytest.approx(3.0, abs=0.05)
    assert lag(raw, raw) == pytest.approx(0.0, abs=1e-6)


def test_measure_noise_recovers_known_statistics_and_round_trips(tmp_path):
    truth = synthetic_motion("body25", 600, FPS, seed=7)
    stats = NoiseStats(
        fps=FPS,
        frames=600,
        body_size=1.0,
        units="px",
        jitter={n: 0.004 for n in BODY25.joints} | {"RWrist": 0.01},
        dropout_rate={n: 0.03 for n in BODY25.joints},
        dropout_lengths=[1, 2, 4],
        outlier_rate=0.01,
        outlier_magnitudes=[0.15, 0.2],
        confidence=0.7,
    )
    noisy, conf = add_noise(truth.coords, stats, np.random.default_rng(7), skeleton=BODY25)
    got = measure_noise(truth.with_coords(noisy, conf))
    assert got.jitter_of("RWrist") == pytest.approx(0.01, rel=0.2)
    assert np.median(list(got.jitter.values())) == pytest.approx(0.004, rel=0.2)
    assert np.mean(list(got.dropout_rate.values())) == pytest.approx(0.03, rel=0.35)
    assert got.outlier_rate == pytest.approx(0.01, rel=0.35)
    assert got.confidence == pytest.approx(0.7, abs=0.05)
    assert body_size(truth.coords, truth.confidence) == pytest.approx(got.body_size, rel=0.02)
    got.save(tmp_path / "noise.json")
    assert NoiseStats.load(tmp_path / "noise.json") == got
    both = NoiseStats.combine([got, got])
    assert both.frames == 1200 and both.jitter == pytest.approx(got.jitter)


def test_add_noise_swaps_limbs_at_the_requested_rate():
    truth = synthetic_motion("body25", 900, FPS, seed=8)
    stats = NoiseStats(FPS, 900, 1.0, "px", swap_rate=0.02, swap_lengths=[3])
    noisy, conf = add_noise(truth.coords, stats, np.random.default_rng(8), skeleton=BODY25)
    knee, rknee = BODY25.idx("LKnee"), BODY25.idx("RKnee")
    swapped = np.all(noisy[:, knee] == truth.coords[:, rknee], axis=1)
    assert 0.005 < swapped.mean() < 0.05
    assert all(e - s >= 3 for s, e in runs(swapped))
    assert np.all(conf > 0)  # no dropouts asked for


# ------------------------------------------------------------------ CLI and real data
def test_cli_denoise_smoke(tmp_path):
    _, noisy = _noisy_seq(seed=9, frames=60)
    src, dst = tmp_path / "in.npz", tmp_path / "out.npz"
    save_file(noisy, src)
    runner = CliRunner()
    res = runner.invoke(
        cli, ["denoise", str(src), "-o", str(dst), "--method", "oneeuro", "-p", "beta=0.5"]
    )
    assert res.exit_code == 0, res.output
    out = load_file(dst)
    assert out.coords.shape == noisy.coords.shape
    assert out.meta["denoise"]["options"]["beta"] == 0.5
    assert jitter(out.coords, out.confidence) < jitter(noisy.coords, noisy.confidence)
    res = runner.invoke(cli, ["denoise", str(src), "-o", str(dst), "-p", "nope=1"])
    assert res.exit_code == 2 and "max_fill" in res.output  # the default method: learned


@pytest.mark.shared
def test_real_openpose_jitter_halves_without_lag():
    folder = need(OPENPOSE_REAL / "workout_march")
    raw = load_file(folder, fps=30)
    out = denoise(raw, "savgol")
    assert jitter(out.coords, out.confidence) < 0.5 * jitter(raw.coords, raw.confidence)
    assert abs(lag(out.coords, raw.coords, (raw.confidence > 0) & (out.confidence > 0))) < 0.5
    assert measure_noise(raw).dropout_rate  # something measured


def test_slow_share_separates_slow_motion_from_white_jitter():
    from retarget.denoising import slow_share

    fps, t = 30.0, np.arange(300) / 30.0
    slow = np.zeros((300, 3, 2))
    slow[:, :, 0] = 50 * np.sin(2 * np.pi * 1.0 * t)[:, None]  # a 1 Hz sway: all below 4 Hz
    assert slow_share(slow, None, fps) == pytest.approx(1.0, abs=1e-3)
    white = np.random.default_rng(0).normal(0, 1.0, (300, 3, 2))
    # white positions: acceleration power ~ (2 sin(pi f / fs))^4, so little of it below 4 Hz
    share = slow_share(white, None, fps)
    assert 0.0 < share < 0.1, share
    mixed = slow_share(slow + white, None, fps)
    assert share < mixed < 1.0
    conf = np.ones((300, 3))
    conf[100:110] = 0  # missing frames do not count as motion
    assert slow_share(slow, conf, fps) > 0.9
    with pytest.raises(InvalidArgumentError):
        slow_share(slow[:5], None, fps)
