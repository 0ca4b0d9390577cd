"""CUDA checks of the learned renderer (skipped without a GPU): forward and backward on the
GPU equal the CPU's, and training steps in bf16 learn. Imports neither PyAV nor mediapipe,
so that a GPU machine without them runs it (``make gpu-check`` does)."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import make_square_clip

torch = pytest.importorskip("torch")

from retarget.render.learned import build_net, renderer_config  # noqa: E402
from retarget.render.learned.features import CHANNELS  # noqa: E402

TINY = {"widths": (4, 8), "crop": 16, "batch": 4, "eval_every": 10}
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


def test_cuda_forward_backward_matches_the_cpu():
    torch.manual_seed(0)
    config = renderer_config("S", **TINY)
    net = build_net(config)
    for p in net.head.parameters():  # a head that does something
        torch.nn.init.normal_(p, std=0.1)
    args = [
        torch.rand(2, 3, 24, 20),
        torch.rand(2, 3, 24, 20),
        torch.rand(2, len(CHANNELS), 12, 10),
    ]
    want = net(*args)
    gpu = build_net(config).cuda()
    gpu.load_state_dict(net.state_dict())
    got = gpu(*(a.cuda() for a in args))
    assert torch.allclose(got.cpu(), want, atol=1e-4)
    got.abs().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in gpu.parameters())


def test_cuda_training_steps_learn_in_bf16():
    from retarget.pipeline.train_renderer import fit_renderer, learned_l1

    clip = make_square_clip()
    config = renderer_config("S", **TINY, lr=5e-3, flip=0.0, channels_last=True)
    trainer, res = fit_renderer(clip, config, minutes=None, iterations=150, device="cuda",
                                progress=False)  # fmt: skip
    before = float(np.abs(clip.ref.astype(float) - clip.real).mean() / 255)
    assert trainer.device.type == "cuda" and res.step == 150
    assert learned_l1(trainer, clip) < 0.5 * before
