"""The shared learned-model layout: model folders and the training loop."""

from __future__ import annotations

import math

import pytest
import torch

from retarget.nn import Schedule, read_folder, run_loop, write_folder
from retarget.nn.folder import load_state
from skeleton_io.errors import ModelError


def test_schedule_is_a_cosine_over_the_budget():
    s = Schedule(lr=1.0, iterations=100, lr_final=0.1)
    assert s.lr_at(0.0) == 1.0 and s.lr_at(1.0) == pytest.approx(0.1)
    assert s.lr_at(0.5) == pytest.approx(0.55)
    assert s.progress(50) == 0.5 and s.progress(500) == 1.0
    timed = Schedule(lr=1.0, iterations=100, minutes=1.0)
    assert timed.progress(10, seconds=30.0) == 0.5  # the time budget is the tighter one
    with pytest.raises(ValueError):
        Schedule(lr=1.0, iterations=0)


def test_loop_runs_the_budget_and_sets_the_learning_rate():
    net = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.0)
    seen = []

    def step(i):
        seen.append(opt.param_groups[0]["lr"])
        return {"loss": float(i)}

    checkpoints = []
    res = run_loop(step, Schedule(2.0, 10), opt, checkpoint=checkpoints.append,
                   checkpoint_every=4, progress=False)  # fmt: skip
    assert res.step == 10 and len(seen) == 10
    assert seen[0] == 2.0 and seen == sorted(seen, reverse=True)
    assert checkpoints == [4, 8, 10]
    resumed = run_loop(step, Schedule(2.0, 10), opt, start_step=7, progress=False)
    assert resumed.step == 10 and len(seen) == 13


def test_loop_keeps_the_best_held_out_weights_and_stops_early():
    net = torch.nn.Linear(1, 1, bias=False)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    # the weight walks 0, 1, 2, ...; held-out loss is |w - 3|: best at w = 3, then worse
    with torch.no_grad():
        net.weight.fill_(0.0)

    def step(_):
        with torch.no_grad():
            net.weight += 1.0
        return {}

    res = run_loop(step, Schedule(0.1, 100), opt, model=net, progress=False,
                   validate=lambda: abs(float(net.weight.detach()) - 3.0), eval_every=1, patience=2)  # fmt: skip
    assert res.stopped_early and res.best_step == 3 and res.best_value == 0.0
    assert float(net.weight.detach()) == 3.0 and res.step == 5


def test_model_folder_round_trip_and_one_error(tmp_path):
    net = torch.nn.Linear(3, 2)
    write_folder(tmp_path / "m", {"format": "test/1", "width": 3}, net.state_dict(),
                 {"mean": [0.0]}, {"extra.json": "{}"})  # fmt: skip
    folder = read_folder(tmp_path / "m", "test/1", "test model folder", "train one")
    assert folder.config["width"] == 3 and folder.stats == {"mean": [0.0]}
    other = load_state(torch.nn.Linear(3, 2), folder, "test model", "train one")
    assert torch.equal(other.weight, net.weight)
    with pytest.raises(
        ModelError, match="not a test model folder .format 'test/1', expected 'x/1'"
    ):
        read_folder(tmp_path / "m", "x/1", "test model folder", "train one")
    with pytest.raises(ModelError, match="do not fit"):
        load_state(torch.nn.Linear(4, 2), folder, "test model", "train one")
    with pytest.raises(ModelError, match="not a test model folder"):
        read_folder(tmp_path / "missing", "test/1", "test model folder", "train one")
    assert not math.isnan(folder.state["weight"].sum())
