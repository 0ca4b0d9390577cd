"""Data-parallel training on CPU with 2 processes (gloo): gradients averaged, ranks in step,
the loss curve of 2 x batch B like 1 x batch 2B, torchrun with checkpoints and resume."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from retarget.builtin import builtin_motion
from retarget.geometry import HIP, rotate
from retarget.model.networks import TransMoMoConfig
from retarget.model.train import RunConfig, TrainConfig, train
from retarget.nn import distributed
from tests.conftest import MOCAP, need

TINY = TransMoMoConfig(motion_channels=8, body_channels=8, view_channels=8, hidden=8, kernel=3,
                       layers=2)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_rank(rank: int, world: int, port: int) -> None:
    os.environ.update({"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world),
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})  # fmt: skip
    torch.set_num_threads(1)


def test_single_process_helpers_are_no_ops():
    d, dev = distributed.setup("cpu")
    assert (d.rank, d.world_size, d.enabled, d.is_main) == (0, 1, False, True)
    assert d.mean({"a": 2.0}) == {"a": 2.0} and d.max(3.0) == 3.0 and d.broadcast(5) == 5
    m = torch.nn.Linear(2, 1)
    assert distributed.wrap(m, d, dev) is m


def _grad_worker(rank: int, world: int, port: int, out: str) -> None:
    """Each rank: the same weights, its own data; after backward the gradient is the mean
    of the ranks' own gradients."""
    _as_rank(rank, world, port)
    d, dev = distributed.setup("cpu")
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    ddp = distributed.wrap(model, d, dev)
    x = torch.full((4, 3), float(rank + 1))
    ddp(x).sum().backward()
    losses = d.mean({"loss": float(rank + 1)})
    torch.save({"grad": model.weight.grad.clone(), "loss": losses["loss"],
                "max": d.max(float(rank)), "bcast": d.broadcast(f"from {rank}")},
               Path(out) / f"rank{rank}.pt")  # fmt: skip
    del ddp  # its reducer holds the process group: free it before the group goes
    d.barrier()  # leave together: a rank destroying the group early can abort the other
    distributed.cleanup(d)


@pytest.mark.slow
def test_gradients_are_averaged_over_ranks(tmp_path):
    mp.spawn(_grad_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    # d(sum(w.x + b))/dw = sum of x's rows: 4*1 on rank 0, 4*2 on rank 1 -> mean 6
    assert torch.allclose(r0["grad"], torch.full((1, 3), 6.0))
    assert torch.equal(r0["grad"], r1["grad"])
    assert r0["loss"] == r1["loss"] == 1.5 and r0["max"] == r1["max"] == 1.0
    assert r0["bcast"] == r1["bcast"] == "from 0"


class ToySampler:
    """Random windows of the built-in dance on five bodies (and a limb-scaled copy: another
    body), turned by a random yaw: the keys ``train`` wants, made on the spot."""

    BODIES = ("average", "small", "tall", "stocky", "long_legs")

    def __init__(self, seed: int = 0, window: int = 24) -> None:
        self.gen = torch.Generator().manual_seed(seed)
        pairs = []
        for i, a in enumerate(self.BODIES):
            b = self.BODIES[(i + 1) % len(self.BODIES)]
            xa, xb = builtin_motion(a, frames=120).coords, builtin_motion(b, frames=120).coords
            for start in range(0, 120 - window + 1, 8):
                pairs.append((xa[start : start + window], xb[start : start + window]))
        self.x = torch.as_tensor(np.stack([p[0] for p in pairs]), dtype=torch.float32)
        self.xs = torch.as_tensor(np.stack([p[1] for p in pairs]), dtype=torch.float32)

    def shard(self, rank: int, world: int) -> ToySampler:
        self.x, self.xs = self.x[rank::world], self.xs[rank::world]
        return self

    def __call__(self, batch: int) -> dict[str, torch.Tensor]:
        idx = torch.randint(0, len(self.x), (batch,), generator=self.gen)
        yaw = (torch.rand(batch, generator=self.gen) * 360 - 180).numpy()
        out = {}
        for key, src in (("x3d", self.x), ("x3d_s", self.xs)):
            w = src[idx].numpy()
            w = w - w[:, :1, HIP : HIP + 1]
            out[key] = torch.as_tensor(
                np.stack([rotate(s, float(y)) for s, y in zip(w, yaw)]), dtype=torch.float32
            )
        return out


def _config(batch: int, seed: int, iterations: int) -> RunConfig:
    return RunConfig(net=TINY, train=TrainConfig(iterations=iterations, batch=batch, seed=seed,
                                                 lr=3e-3, device="cpu", checkpoint_every=0))  # fmt: skip


def _train_worker(rank: int, world: int, port: int, run: str, batch: int, iters: int) -> None:
    _as_rank(rank, world, port)
    train(run, ToySampler(seed=rank).shard(rank, world), _config(batch, 0, iters),
          progress=False)  # fmt: skip


def _curve(run: Path) -> np.ndarray:
    return np.array([json.loads(x)["total"] for x in (run / "log.jsonl").read_text().splitlines()])


@pytest.mark.slow
def test_two_ranks_follow_one_process_with_the_doubled_batch(tmp_path):
    torch.set_num_threads(1)
    iters = 120
    one = {seed: tmp_path / f"one{seed}" for seed in (0, 1)}
    for seed, run in one.items():
        train(run, ToySampler(seed=seed), _config(16, seed, iters), progress=False)
    two = tmp_path / "two"
    mp.spawn(_train_worker, args=(2, _free_port(), str(two), 8, iters), nprocs=2)
    a, b, noise = _curve(one[0]), _curve(two), _curve(one[1])
    assert len(a) == len(b) == iters // 20
    assert a[-1] < 0.7 * a[0] and b[-1] < 0.7 * b[0]  # both learn
    seed_gap = np.abs(a - noise).max()
    assert np.abs(a - b).max() <= max(3 * seed_gap, 0.05 * a.mean()), (a, b, noise)
    cfg = json.loads((two / "config.json").read_text())
    assert cfg["train"]["world_size"] == 2 and cfg["train"]["batch"] == 8
    assert json.loads((one[0] / "config.json").read_text())["train"]["world_size"] == 1


@pytest.mark.slow
@pytest.mark.shared
def test_torchrun_train_checkpoints_on_rank_0_and_resumes(tmp_path):
    need(MOCAP)
    torchrun = Path(sys.executable).with_name("torchrun")
    retarget = Path(sys.executable).with_name("retarget")
    run = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def go(iterations: int, *extra: str) -> subprocess.CompletedProcess:
        cmd = [str(torchrun), "--standalone", "--nproc-per-node", "2", str(retarget), "train",
               "--data", str(MOCAP), "-o", str(run), "--iterations", str(iterations),
               "--batch", "2", "--eval-every", "0", *extra]  # fmt: skip
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-8000:]
        return r

    r = go(20)
    assert json.loads(r.stdout)["step"] == 20  # rank 0 reports, once
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["train"]["world_size"] == 2
    assert [json.loads(x)["step"] for x in (run / "log.jsonl").read_text().splitlines()] == [20]
    assert torch.load(run / "state.pt", weights_only=False)["step"] == 20
    go(40, "--resume")
    steps = [json.loads(x)["step"] for x in (run / "log.jsonl").read_text().splitlines()]
    assert steps == [20, 40]  # continued from 20, one writer
    assert torch.load(run / "state.pt", weights_only=False)["step"] == 40
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no half-written files
