"""The learned temporal denoiser: network, representation, save/load, method, CLI, data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from retarget.cli import cli
from retarget.denoising import DEFAULT_METHOD, METHODS, add_noise, denoise, jitter, lag, mpjpe
from retarget.denoising.learned import (
    DEFAULT_MODEL,
    DETECTED,
    FILLED,
    UNKNOWN,
    Denoiser,
    DenoiserConfig,
    LearnedOptions,
    TemporalDenoiser,
    fill_for_network,
    load_denoiser,
    network_features,
    run_chunked,
    save_denoiser,
    sequence_scale,
    slow_down,
)
from retarget.denoising.learned.features import noise_level
from retarget.denoising.learned.train import losses
from retarget.denoising.metrics import NoiseStats
from retarget.denoising.synthetic import synthetic_motion
from retarget.representation import InputStats
from skeleton_io import BODY25, OPENPOSE15, PoseSequence, convert, load_file, save_file
from skeleton_io.errors import ModelError

from .conftest import MOCAP, OPENPOSE_REAL, need

TINY = DenoiserConfig(hidden=8, dilations=(1, 2), filters=(5, 9))


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny networks run fastest on one thread (and do not fight other jobs for cores)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def tiny_model(seed: int = 0, trained: bool = False) -> TemporalDenoiser:
    """A tiny seeded network; ``trained``: random output layer (not the zero start)."""
    torch.manual_seed(seed)
    model = TemporalDenoiser(TINY)
    if trained:
        torch.nn.init.normal_(model.out.weight, std=0.1)
        torch.nn.init.normal_(model.out.bias, std=0.1)
    return model.eval()


@pytest.fixture
def tiny_dir(tmp_path):
    folder = tmp_path / "tiny"
    save_denoiser(folder, tiny_model(), InputStats.identity(), extra={"command": "test"})
    return folder


def noisy_motion(skeleton="openpose15", frames=90, seed=0, level=0.01, max_freq=2.0):
    truth = synthetic_motion(skeleton, frames, 30.0, seed=seed, max_freq=max_freq)
    stats = NoiseStats(fps=30, frames=0, body_size=1, units="body", jitter={"Nose": level})
    xy, conf = add_noise(truth.coords, stats, np.random.default_rng(seed))
    return truth, truth.with_coords(xy, conf)


# ------------------------------------------------------------------ network
def test_network_shapes_and_receptive_radius():
    model = tiny_model(trained=True)
    feats, base = torch.randn(3, 60, 40), torch.randn(3, 40, 15, 2)
    out = model(feats, base)
    assert out.shape == (3, 40, 15, 2)
    assert TINY.radius == max(1 + 2, 9 // 2)
    assert DenoiserConfig().radius == 30  # 1 s at 30 fps on each side
    # an output depends on inputs within the radius only
    feats2, base2 = feats.clone(), base.clone()
    feats2[..., 30:] += 1.0
    base2[:, 30:] += 1.0
    changed = (model(feats2, base2) - out).abs().amax(dim=(0, 2, 3)) > 0
    assert not changed[: 30 - TINY.radius].any() and changed[30:].all()


def test_untrained_network_returns_its_input_exactly():
    den = Denoiser(tiny_model(), InputStats.identity())
    _, noisy = noisy_motion()
    out, conf = den(noisy.coords, noisy.confidence)
    np.testing.assert_array_equal(out, noisy.coords)
    np.testing.assert_array_equal(conf, noisy.confidence)


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="odd"):
        TemporalDenoiser(DenoiserConfig(kernel=2))
    with pytest.raises(ValueError, match="filter windows"):
        TemporalDenoiser(DenoiserConfig(filters=(4,)))


def test_chunked_inference_equals_one_pass():
    model = tiny_model(trained=True)
    feats, base = torch.randn(1, 60, 200), torch.randn(1, 200, 15, 2)
    whole = model(feats, base)
    for chunk in (16, 50, 64):
        torch.testing.assert_close(run_chunked(model, feats, base, chunk), whole)


def test_training_loss_falls_on_a_toy_problem():
    torch.manual_seed(0)
    truth = torch.as_tensor(
        np.stack([synthetic_motion("openpose15", 48, seed=s).coords for s in range(8)]),
        dtype=torch.float32,
    )
    base = truth + 4.0 * torch.randn(truth.shape)  # 1 % of a 400 px body
    presence = torch.full(truth.shape[:-1], DETECTED)
    model = TemporalDenoiser(TINY)
    stats = InputStats.identity()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        pos, accel, mp = losses(model, stats, base, presence, truth)
        loss = pos + accel
        first = first if first is not None else float(mp.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(losses(model, stats, base, presence, truth)[2].detach()) < 0.7 * first


# ------------------------------------------------------------------ representation
def test_fill_for_network_codes_and_positions():
    T = 40
    coords = np.tile(np.arange(T, dtype=float)[:, None, None], (1, 15, 2))
    conf = np.ones((T, 15))
    conf[10:15, 3] = 0  # short interior gap: filled
    conf[5:30, 4] = 0  # long interior gap: unknown, linear in base
    conf[:6, 6] = 0  # edge gap: unknown, held
    conf[:, 7] = 0  # never seen: on the hip
    coords[conf == 0] = 0.0
    base, presence, out_conf = fill_for_network(coords, conf, max_gap=10, fill_confidence=0.25)
    assert (presence[10:15, 3] == FILLED).all() and (out_conf[10:15, 3] == 0.25).all()
    assert (presence[5:30, 4] == UNKNOWN).all() and (out_conf[5:30, 4] == 0).all()
    np.testing.assert_allclose(base[5:30, 4, 0], np.arange(5, 30))  # linear across the gap
    np.testing.assert_allclose(base[:6, 6, 0], 6.0)  # nearest known value
    np.testing.assert_allclose(base[:, 7], base[:, 8])  # on the hip
    assert (presence[:, 0] == DETECTED).all()


def test_noise_level_known_answers():
    rng = np.random.default_rng(0)
    T = 300
    line = torch.as_tensor(np.linspace(0, 1, T)[None, :, None, None] * np.ones((1, T, 15, 2)))
    present = torch.full((1, T, 15), DETECTED, dtype=torch.float64)
    assert float(noise_level(line, present).abs().max()) < 1e-12  # motion without jitter: 0
    e = torch.as_tensor(rng.normal(size=(1, T, 15, 2)))
    one, two = noise_level(line + 0.01 * e, present), noise_level(line + 0.02 * e, present)
    torch.testing.assert_close(two, 2 * one)  # proportional to the jitter
    assert 0.01 * 1.5 < float(one.mean()) < 0.01 * 3.1  # Rayleigh mean 3.07 sigma, trimmed
    fourth = noise_level(line + 0.01 * e, present, order=4)
    assert 0.01 * 5 < float(fourth.mean()) < 0.01 * 10.5  # Rayleigh mean 10.5 sigma, trimmed
    # quantised output, mostly unchanged from frame to frame, still has a noise level
    steps = torch.as_tensor(np.round(0.3 * rng.normal(size=(1, T, 15, 2)))) * 0.01
    assert (noise_level(steps, present) > 0).all()
    # a joint never detected gets the others' median
    present[..., 3] = UNKNOWN
    assert float(noise_level(line + 0.01 * e, present)[0, 3]) > 0


def test_slow_down_stretches_time():
    t = np.arange(40, dtype=float)
    w = np.stack([np.sin(0.2 * t), 0.01 * t**2], -1)[None, :, None, :].repeat(3, 2)
    out = slow_down(w, 1.0, (2.0, 2.0), np.random.default_rng(0))
    np.testing.assert_allclose(out[0, ::2], w[0, :20], atol=1e-12)  # frame 2 t = old frame t
    np.testing.assert_array_equal(slow_down(w, 0.0, (2.0, 2.0), np.random.default_rng(0)), w)


def test_sequence_scale_falls_back_without_legs():
    seq = synthetic_motion("openpose15", 30, seed=1)
    base = torch.as_tensor(seq.coords[None])
    known = torch.ones(base.shape[:-1], dtype=torch.bool)
    full = float(sequence_scale(base, known)[0])
    assert 300 < full < 420  # legs + trunk of a 400 px tall figure
    no_legs = known.clone()
    no_legs[..., [10, 11, 13, 14]] = False
    assert 0.5 * full < float(sequence_scale(base, no_legs)[0]) < 1.5 * full
    feats = network_features(base.float(), known.float(), sequence_scale(base, known).float(),
                             InputStats.identity())  # fmt: skip
    assert feats.shape == (1, 60, 30) and torch.isfinite(feats).all()


# ------------------------------------------------------------------ save / load
def test_save_load_round_trip(tmp_path):
    model = tiny_model(trained=True)
    noise = NoiseStats(fps=30, frames=10, body_size=1, units="px", jitter={"Nose": 0.01})
    stats = InputStats(np.full((15, 2), 0.1), np.full((15, 2), 2.0))
    save_denoiser(tmp_path / "m", model, stats, noise, extra={"command": "retarget x"})
    assert {p.name for p in (tmp_path / "m").iterdir()} == {
        "config.json", "stats.json", "noise_stats.json", "weights.pt",
    }  # fmt: skip
    den = load_denoiser(tmp_path / "m", "cpu")
    assert den.model.cfg == TINY and den.config["command"] == "retarget x"
    np.testing.assert_allclose(den.stats.std, 2.0)
    _, noisy = noisy_motion()
    ref = Denoiser(model, stats)(noisy.coords, noisy.confidence)
    np.testing.assert_allclose(den(noisy.coords, noisy.confidence)[0], ref[0], atol=1e-9)
    assert NoiseStats.load(tmp_path / "m" / "noise_stats.json").jitter == {"Nose": 0.01}


def test_loading_a_wrong_folder_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="not a denoiser model folder"):
        load_denoiser(tmp_path)
    (tmp_path / "config.json").write_text('{"format": "other"}')
    (tmp_path / "stats.json").write_text("{}")
    (tmp_path / "weights.pt").write_bytes(b"")
    with pytest.raises(ModelError, match="not a denoiser model folder .format .other."):
        load_denoiser(tmp_path)


# ------------------------------------------------------------------ the method
def test_learned_is_registered_and_the_default():
    assert "learned" in METHODS and DEFAULT_METHOD == "learned"
    assert METHODS["learned"].fills


def test_missing_joints_long_gaps_filled_with_reduced_confidence(tiny_dir):
    _, noisy = noisy_motion(frames=90)
    conf = noisy.confidence.copy()
    conf[30:50, 4] = 0  # 20 frames: longer than cleanup fills (0.25 s), the network fills it
    conf[:10, 7] = 0  # at the start: stays missing
    conf[:, 10] = 0  # never seen: stays missing
    seq = noisy.with_coords(np.where(conf[..., None] > 0, noisy.coords, 0), conf)
    out = denoise(seq, "learned", model=str(tiny_dir))
    assert (out.confidence[30:50, 4] > 0).all()
    assert (out.confidence[30:50, 4] <= 0.25 * conf[[29, 50], 4].min() + 1e-9).all()
    assert (out.confidence[:10, 7] == 0).all() and (out.confidence[:, 10] == 0).all()
    assert (out.coords[out.confidence == 0] == 0).all()
    # never more missing joints than the classical gap filling leaves
    classical = denoise(seq, "savgol")
    assert (out.confidence == 0).sum() <= (classical.confidence == 0).sum()
    assert out.meta["denoise"]["method"] == "learned"
    none = denoise(seq, "learned", model=str(tiny_dir), max_fill=0)
    assert (none.confidence[30:50, 4] == 0).all()


def test_other_skeletons_and_3d_pass_through_an_untrained_model(tiny_dir):
    body = synthetic_motion("body25", 60, seed=3)
    out = denoise(body, "learned", model=str(tiny_dir), cleanup=False)
    # openpose15 joints are returned as they are; feet and face are smoothed (savgol)
    np.testing.assert_allclose(out.coords, body.coords, atol=2.0)  # 0.5 % of the body
    np.testing.assert_array_equal(out.coords[:, :15], body.coords[:, :15])
    # 3D, Y up (as BVH): two side views, each returned exactly
    xyz = np.concatenate([body.coords[:, :15], np.zeros((60, 15, 1))], -1)
    xyz = xyz[..., [0, 2, 1]] * np.array([1.0, 1.0, -1.0])  # y down -> z up: x, depth, up
    seq3 = PoseSequence(xyz, np.ones((60, 15)), OPENPOSE15, fps=30, units="cm")
    out3 = denoise(seq3, "learned", model=str(tiny_dir), cleanup=False)
    np.testing.assert_allclose(out3.coords, xyz, atol=1e-9)


def test_bad_options_are_rejected(tiny_dir):
    _, noisy = noisy_motion(frames=20)
    with pytest.raises(ValueError, match="fill_confidence"):
        denoise(noisy, "learned", model=str(tiny_dir), fill_confidence=0)
    with pytest.raises(ModelError):
        denoise(noisy, "learned", model=str(tiny_dir / "nope"))
    assert LearnedOptions().model == ""  # empty: the shipped model


# ------------------------------------------------------------------ CLI
def test_cli_denoise_learned_smoke(tmp_path, tiny_dir):
    _, noisy = noisy_motion(frames=40)
    save_file(noisy, tmp_path / "in.npz", "native")
    r = CliRunner().invoke(
        cli,
        ["denoise", str(tmp_path / "in.npz"), "-o", str(tmp_path / "out.npz"),
         "--method", "learned", "-p", f"model={tiny_dir}"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    out = load_file(tmp_path / "out.npz")
    assert out.num_frames == 40 and out.meta["denoise"]["options"]["model"] == str(tiny_dir)


def test_cli_extract_denoise_flag(tmp_path):
    need(DEFAULT_MODEL / "weights.pt")
    _, noisy = noisy_motion(frames=40, level=0.02)
    save_file(noisy, tmp_path / "in.npz", "native")
    runner = CliRunner()
    for flag, changed in (([], False), (["--denoise", "learned"], True), (["--no-denoise"], False)):
        out = tmp_path / f"out{len(flag)}.npz"
        r = runner.invoke(cli, ["extract", str(tmp_path / "in.npz"), "-o", str(out), *flag])
        assert r.exit_code == 0, r.output
        assert (np.abs(load_file(out).coords - noisy.coords).max() > 1e-6) == changed


@pytest.mark.shared
def test_cli_train_denoiser_smoke(tmp_path):
    need(MOCAP)
    noise = NoiseStats(fps=30, frames=0, body_size=1, units="body", jitter={"Nose": 0.01})
    noise.save(tmp_path / "noise.json")
    args = ["train-denoiser", "-o", str(tmp_path / "m"), "--data", str(MOCAP), "--noise-stats",
            str(tmp_path / "noise.json"), "--iterations", "3", "--pool", "16", "--batch", "4",
            "--hidden", "8", "--threads", "1"]  # fmt: skip
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    den = load_denoiser(tmp_path / "m", "cpu")
    assert den.config["result"]["steps"] == 3 and den.model.cfg.hidden == 8
    assert den.config["command"].startswith("retarget train-denoiser --output ")
    assert "--iterations 3 " in den.config["command"]
    r = CliRunner().invoke(cli, ["train-denoiser", "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and "--noise-from" in r.output


# ------------------------------------------------------------------ the shipped model
def test_shipped_model_beats_the_raw_input_on_synthetic_motion():
    need(DEFAULT_MODEL / "weights.pt")
    ratios = []
    for seed in range(3):
        # human-like speed (joint rotations up to 1 Hz); see the report on faster motion
        truth, noisy = noisy_motion(frames=150, seed=seed, level=0.01, max_freq=1.0)
        out = denoise(noisy, "learned")
        ratios.append(mpjpe(out.coords, truth.coords) / mpjpe(noisy.coords, truth.coords))
        assert abs(lag(out.coords, truth.coords)) < 0.3
    assert np.mean(ratios) < 0.8


@pytest.mark.shared
def test_shipped_model_halves_real_openpose_jitter_without_lag():
    need(DEFAULT_MODEL / "weights.pt")
    for clip in ("tall_man", "workout_march"):
        raw = convert(load_file(need(OPENPOSE_REAL / clip), fps=30), BODY25)  # tall_man: hands
        out = denoise(raw, "learned")
        assert jitter(out.coords, out.confidence) < 0.5 * jitter(raw.coords, raw.confidence)
        both = (raw.confidence > 0) & (out.confidence > 0)
        assert abs(lag(out.coords, raw.coords, both)) < 0.3
        assert BODY25.num_joints == out.num_joints
