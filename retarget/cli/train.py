"""``retarget train``: train the retargeting model on motion capture."""

from __future__ import annotations

import json
from typing import Any

import click

from .common import command_line
from .options import opt, training_options, use_options


@click.command("train")
@use_options(
    "data",
    opt("output", dest="run_dir", help="Run folder (weights, config.json, stats.json, logs)."),
    training_options(iterations=20000, batch=32, lr=1e-3),
    "eval_every",
    "device",
    opt("resume", help="Continue the run in --output from its last checkpoint."),
    "cache_dir",
)
def train_cmd(**options: Any) -> None:
    """Train the TransMoMo-style model on the motion capture in --data (train split).

    Data-parallel: run it under torchrun (torchrun --standalone --nproc-per-node N
    .venv/bin/retarget train ...); --batch is per process, rank 0 writes the run folder.
    """
    from ..nn.distributed import from_env
    from ..pipeline.fit import fit

    # the options are fit's arguments: --data, --output (run_dir), the budget, --eval-every,
    # --device, --resume, --cache-dir
    result = fit(**options, command=command_line(click.get_current_context()))
    if from_env().is_main:  # under torchrun, rank 0 reports
        click.echo(json.dumps(result, indent=1, default=str))
