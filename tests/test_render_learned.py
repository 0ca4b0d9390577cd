"""The learned renderer (retarget/render/learned, retarget/pipeline/train_renderer.py):
sizes and config, part maps, crops with known answers, the untrained network is the
reference render, the model folder round trip, a tiny training run that learns a synthetic
moving square, checkpoints and resume, the CLI (smoke test and bad options). The CUDA
checks are in test_cuda.py."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from retarget.cli import cli
from retarget.render import get_renderer
from retarget.render.parts import PARTS
from retarget.render.reference import PartWarpRenderer
from skeleton_io.errors import InvalidArgumentError, ModelError
from skeleton_io.video_io import probe

from .conftest import make_square_clip
from .test_render import (
    SIZE,
    STAND,
    J,
    background,
    dance,
    joints_of,
    make_driving,
    make_source,
    pose_seq,
)
from .test_render import fake_pose as fake_pose_fixture  # noqa: F401 (a fixture)

torch = pytest.importorskip("torch")

from retarget.render.learned import (  # noqa: E402
    FORMAT,
    MIRROR_PARTS,
    LearnedRenderer,
    RendererConfig,
    build_net,
    compose,
    held_out_blocks,
    load_renderer,
    part_maps,
    renderer_config,
    save_renderer,
    size_for_device,
)
from retarget.render.learned.features import CHANNELS  # noqa: E402
from retarget.render.learned.training import resample  # noqa: E402

TINY = {"widths": (4, 8), "crop": 16, "batch": 4, "eval_every": 10}


# ------------------------------------------------------------------ config and features
def test_sizes_grow_and_pick_from_the_device():
    s, m, big = (renderer_config(k) for k in "SML")
    assert sum(s.widths) < sum(m.widths) < sum(big.widths) and s.crop < m.crop < big.crop
    assert renderer_config("s", batch=4, lr=None).batch == 4  # case-free; None keeps the size's
    assert size_for_device("cuda:0") == "L" and size_for_device(torch.device("cpu")) == "S"
    with pytest.raises(InvalidArgumentError, match="`size` 'X'"):
        renderer_config("X")
    with pytest.raises(InvalidArgumentError, match="`crop`"):
        RendererConfig(widths=(4, 8, 16, 32, 64), crop=16)
    assert RendererConfig.from_dict(big.to_dict()) == big
    with pytest.raises(KeyError, match="unknown"):
        RendererConfig.from_dict({**s.to_dict(), "colour": 1})


def test_the_cpu_size_trains_on_single_frames_the_larger_ones_on_pairs():
    """S fits L1 and the multi-scale L1 on as many frames as a batch holds; M and L add the
    gradient and temporal losses, whose pairs of consecutive frames halve them."""
    from retarget.render.learned.losses import pixel_losses
    from retarget.render.learned.training import TrainingSet, sample_batch

    data = TrainingSet(make_square_clip(), np.ones(24, bool), torch.device("cpu"))
    rng = np.random.default_rng(0)
    for size in "SML":
        config = renderer_config(size, widths=(4, 8), crop=16, batch=4)
        batch = sample_batch(data, config, rng)
        parts = pixel_losses(batch.ref, batch.real, config, batch.pairs)
        assert batch.pairs == (size != "S") and ("temporal" in parts) == (size != "S")
        assert (config.weight_grad > 0) == (size != "S") and config.weight_ms > 0


def test_part_maps_mark_each_part():
    j = joints_of(STAND)
    present = np.ones(15, bool)
    present[J["LWrist"]] = False
    radii = np.full(len(PARTS), 6.0)
    maps = part_maps(j, present, radii, SIZE)
    assert maps.shape == (len(CHANNELS), SIZE[1], SIZE[0]) and not maps[len(PARTS) :].any()
    names = list(CHANNELS)
    mid = np.round((j[J["RShoulder"]] + j[J["RElbow"]]) / 2).astype(int)
    assert maps[names.index("r_upper_arm"), mid[1], mid[0]] > 0.8
    assert maps[names.index("torso"), 100, 100] == 1.0
    assert maps[names.index("l_forearm")].max() == 0.0  # a joint missing
    mirrored = [names[i] for i in MIRROR_PARTS]
    assert mirrored[names.index("r_thigh")] == "l_thigh" and mirrored[0] == "torso"
    assert mirrored[names.index("r_face")] == "l_face"
    # The face's sides: nose to eye to ear (the left ear missing: the left line stops at the eye).
    nose = j[J["Nose"]]
    face = (nose + np.array([[-6.0, -4], [6, -4], [-12, 0], [12, 0]]), np.array([1, 1, 1, 0], bool))
    maps = part_maps(j, present, radii, SIZE, face)
    r_eye_mid = np.round(nose + [-3, -2]).astype(int)
    assert maps[names.index("r_face"), r_eye_mid[1], r_eye_mid[0]] > 0.8
    assert maps[names.index("r_face"), int(nose[1]), int(nose[0]) - 12] > 0.5  # at the ear
    assert maps[names.index("l_face"), int(nose[1]), int(nose[0]) + 12] == 0  # no left ear


def test_resample_is_an_exact_crop_and_a_mirror():
    """A window as large as the crop, its corner on a pixel corner: the pixels themselves;
    mirrored: the columns reversed; at half scale (the part maps): the same place."""
    img = torch.arange(3 * 20 * 30, dtype=torch.float32).reshape(3, 20, 30) % 256
    img = img.to(torch.uint8)
    got = resample((img,), np.array([15.0, 10.0]), 8.0, False, 8)
    want = img[:, 6:14, 11:19].float() / 255
    assert torch.allclose(got, want, atol=1e-6)
    flipped = resample((img,), np.array([15.0, 10.0]), 8.0, True, 8)
    assert torch.allclose(flipped, want.flip(-1), atol=1e-6)
    half = resample((img,), np.array([16.0, 12.0]), 8.0, False, 4, scale=0.5)
    assert torch.allclose(half, img[:, 4:8, 6:10].float() / 255, atol=1e-6)


def test_held_out_blocks_are_spread_over_the_clip():
    held = held_out_blocks(96)
    runs = np.flatnonzero(np.diff(np.concatenate([[0], held.astype(int), [0]])))
    starts, ends = runs[::2], runs[1::2]
    assert len(starts) == 3 and held.sum() == 15
    assert starts[0] < 32 <= starts[1] < 64 <= starts[2] and ends[-1] <= 96
    assert not held_out_blocks(12).any()


# ------------------------------------------------------------------ network and folder
def test_untrained_network_returns_the_reference_exactly():
    torch.manual_seed(0)
    net = build_net(renderer_config("S", **TINY))
    ref = torch.rand(2, 3, 21, 19)
    out = net(ref, torch.rand(2, 3, 21, 19), torch.rand(2, len(CHANNELS), 11, 10))
    assert out.shape == ref.shape and torch.equal(out, ref)
    assert torch.equal(compose(ref, torch.zeros(2, 7, 21, 19)), ref)


def _save_untrained(folder, plate=None, **over):
    torch.manual_seed(0)
    net = build_net(renderer_config("S", **{**TINY, **over}))
    plate = background() if plate is None else plate
    return save_renderer(folder, net, plate, {"frames": [0, 3]}), net


def test_decoder_upsampling_is_bilinear_with_the_same_gradient():
    """The decoder's upsampling (its gradient made dense for speed) gives the same values and
    the same gradient as plain bilinear interpolation, in either memory layout, when its
    output's gradient is a channel slice of a concatenation's."""
    from torch.nn import functional as F

    from retarget.render.learned.network import _upsample

    g = torch.Generator().manual_seed(0)
    base = torch.randn(2, 5, 6, 7, generator=g)
    skip = torch.randn(2, 3, 12, 14, generator=g)
    weight = torch.randn(2, 8, 12, 14, generator=g)
    for layout in (torch.channels_last, torch.contiguous_format):
        grads, outs = [], []
        for up in (_upsample, lambda t, size: F.interpolate(t, size=size, mode="bilinear")):
            x = base.contiguous(memory_format=layout).requires_grad_(True)
            y = torch.cat([up(x, (12, 14)), skip.contiguous(memory_format=layout)], dim=1)
            (y * weight).sum().backward()
            outs.append(y.detach())
            grads.append(x.grad)
        torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)
        torch.testing.assert_close(grads[0], grads[1], rtol=1e-6, atol=1e-6)
        assert grads[0].abs().sum() > 0


def test_model_folder_round_trip_and_bad_folders(tmp_path):
    folder, net = _save_untrained(tmp_path / "m", map_scale=0.25)
    assert {p.name for p in folder.iterdir()} == {"config.json", "weights.pt", "background.png"}
    got = load_renderer(folder, device="cpu")
    assert got.config == net.config and np.array_equal(got.plate, background())
    for k, v in net.state_dict().items():
        assert torch.equal(got.net.state_dict()[k], v)
    with pytest.raises(ModelError, match="train-renderer"):
        load_renderer(tmp_path)  # not a model folder
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(
        json.dumps({**cfg, "format": "retarget-learned-renderer/1"})
    )
    with pytest.raises(ModelError, match="older versions: retrain"):
        load_renderer(folder)
    (folder / "config.json").write_text(
        json.dumps({**cfg, "net": {**cfg["net"], "widths": [4, 16]}})
    )
    with pytest.raises(ModelError, match="do not fit"):
        load_renderer(folder)
    assert cfg["format"] == FORMAT


def test_untrained_learned_renderer_is_the_reference_render(tmp_path):
    """The backend with an untrained model: the reference renderer's frames over the
    model's scene (the source has none of its own)."""
    model, _ = _save_untrained(tmp_path / "m")
    src = make_source()
    seq = pose_seq(dance(3, 25))
    got = list(get_renderer("learned", model=model, device="cpu", batch=2).render(src, seq))
    scene = make_source(background=background())
    want = list(PartWarpRenderer().render(scene, seq))
    assert len(got) == 3
    assert all(np.abs(a.astype(int) - b).max() <= 1 for a, b in zip(got, want))
    assert LearnedRenderer.device_needs == "any"
    with pytest.raises(InvalidArgumentError, match="`renderer_model`"):
        get_renderer("learned")


# ------------------------------------------------------------------ training
def test_a_tiny_training_run_learns_the_moving_square(tmp_path):
    from retarget.pipeline.train_renderer import fit_renderer, learned_l1

    clip = make_square_clip()
    config = renderer_config("S", **TINY, lr=5e-3, flip=0.0)
    before = float(np.abs(clip.ref.astype(float) - clip.real).mean() / 255)
    trainer, res = fit_renderer(clip, config, minutes=None, iterations=150, device="cpu",
                                progress=False)  # fmt: skip
    after = learned_l1(trainer, clip)
    assert res.step == 150 and 0 <= res.best_step <= 150 and res.history
    assert after < 0.5 * before, (before, after)


def test_checkpoint_and_resume_continue_the_run(tmp_path):
    from retarget.pipeline.train_renderer import fit_renderer

    clip = make_square_clip()
    config = renderer_config("S", **TINY)
    saved = {}

    def checkpoint(trainer, step, seconds):
        saved[step] = trainer.state() | {"step": step, "seconds": seconds}

    fit_renderer(clip, config, minutes=None, iterations=20, device="cpu", progress=False,
                 checkpoint=checkpoint, checkpoint_every=10)  # fmt: skip
    assert sorted(saved) == [10, 20]
    _, res = fit_renderer(clip, config, minutes=None, iterations=30, device="cpu",
                          progress=False, resume=saved[20])  # fmt: skip
    assert res.step == 30 and res.history[0]["step"] == 20


# ------------------------------------------------------------------ CLI
@pytest.mark.slow
@pytest.mark.usefixtures("fake_pose_fixture")
def test_cli_train_renderer_then_render(tmp_path):
    """A short training on a generated video: the model folder is complete, the clean plate
    shows the scene where the person moved away, the backend renders with it, and a resumed
    run continues it."""
    drv = make_driving(tmp_path / "clip.mp4", frames=24, fps=12, audio=False)
    model = tmp_path / "model"
    args = ["train-renderer", str(drv), "-o", str(model), "--frames", "0:24", "--size", "s",
            "--iterations", "4", "--batch", "2", "--device", "cpu"]  # fmt: skip
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "size S, 4 iterations on 24 frames" in res.output
    names = {p.name for p in model.iterdir()}
    assert names == {"weights.pt", "config.json", "background.png", "state.pt"}
    training = json.loads((model / "config.json").read_text())["training"]
    assert len(training["held_out_frames"]) == 3 and training["iterations_done"] == 4
    assert training["size"] == "S" and "train-renderer" in training["command"]
    plate = cv2_read(model / "background.png")
    assert plate.shape == (SIZE[1], SIZE[0], 3)
    assert np.abs(plate[:, :20].astype(int) - background()[:, :20]).mean() < 6  # the scene
    out = tmp_path / "o.mp4"
    res = CliRunner().invoke(
        cli,
        ["video", str(drv), str(drv), "-o", str(out), "--backend", "learned", "--renderer-model", str(model),
         "--start-frame", "16", "--max-frames", "6", "--device", "cpu"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert probe(out).num_frames == 6
    res = CliRunner().invoke(cli, [*args[:-6], "--iterations", "6", "--resume"])
    assert res.exit_code == 0, res.output
    assert json.loads((model / "config.json").read_text())["training"]["iterations_done"] == 6


def cv2_read(path):
    import cv2

    return cv2.imread(str(path))[..., ::-1]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--size", "X"], "--size"),
        (["--minutes", "0"], "--minutes"),
        (["--frames", "5:3"], "--frames"),
        (["--frames", "a:b"], "--frames"),
        (["--batch", "1"], "--batch"),
        (["--resume"], "nothing to resume"),
    ],
)
def test_cli_train_renderer_rejects_bad_options(tmp_path, extra, message):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")  # never read: the options fail first
    res = CliRunner().invoke(cli, ["train-renderer", str(video), "-o", str(tmp_path / "m"), *extra])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], res.output
    assert not (tmp_path / "m").exists()


def test_cli_train_renderer_refuses_a_folder_of_other_files(tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")
    res = CliRunner().invoke(cli, ["train-renderer", str(video), "-o", str(out)])
    assert res.exit_code == 2 and "notes.txt" in res.output
    assert (out / "notes.txt").read_text() == "mine"


def test_training_with_a_patch_discriminator_reports_both_losses():
    from retarget.pipeline.train_renderer import fit_renderer

    config = renderer_config("S", **TINY, weight_adv=0.1)
    trainer, res = fit_renderer(make_square_clip(), config, minutes=None, iterations=4,
                                device="cpu", progress=False)  # fmt: skip
    assert trainer.disc is not None and {"adv", "disc", "l1"} <= set(res.losses)
    assert all(np.isfinite(v) for v in res.losses.values())
    assert "disc" in trainer.state()


def test_clean_plate_shows_the_scene_where_the_person_moved_away():
    """Frames of a person walking right over a gradient: the plate is the gradient wherever
    some frames show it, also where the source frame (frame 0) has the person."""
    from retarget.render.learned import clean_plate
    from retarget.render.parts import body_area

    from .test_render import draw_person

    poses = np.stack([joints_of(STAND) + [dx - 30, 0] for dx in range(0, 60, 6)])
    frames = [draw_person(j)[0] for j in poses]
    src = make_source(poses[0])
    plate = clean_plate(frames, pose_seq(poses), src)
    scene = background()
    where0 = body_area(poses[0], np.ones(15, bool), SIZE, 1.0)
    last = body_area(poses[-1], np.ones(15, bool), SIZE, 1.5)
    seen = where0 & ~last  # the person of frame 0 stood here; later frames show the scene
    assert np.abs(plate[seen].astype(int) - scene[seen]).mean() < 4
