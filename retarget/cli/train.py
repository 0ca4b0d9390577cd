"""``retarget train``: train the retargeting model on motion capture."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import command_line
from .options import device_option, mocap_data_option, output_option, training_options


@click.command("train")
@mocap_data_option()
@output_option("Run folder (weights, config.json, stats.json, logs).", "run_dir")
@training_options(iterations=20000, batch=32, lr=1e-3)
@click.option(
    "--eval-every",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Run the benchmark protocol on the validation split every N steps (0: only at the end).",
)
@device_option
@click.option(
    "--resume", is_flag=True, help="Continue the run in --output from its last checkpoint."
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where preprocessed motion capture is cached (default ~/.cache/retarget).",
)
def train_cmd(
    data: Path,
    run_dir: Path,
    iterations: int,
    minutes: float | None,
    batch: int,
    lr: float,
    seed: int,
    eval_every: int,
    device: str,
    resume: bool,
    cache_dir: Path | None,
) -> None:
    """Train the TransMoMo-style model on the motion capture in --data (train split).

    Data-parallel: run it under torchrun (torchrun --standalone --nproc-per-node N
    .venv/bin/retarget train ...); --batch is per process, rank 0 writes the run folder.
    """
    from ..nn.distributed import from_env
    from ..pipeline.fit import fit

    command = command_line(click.get_current_context())
    result = fit(
        run_dir,
        data=data,
        iterations=iterations,
        minutes=minutes,
        batch=batch,
        lr=lr,
        seed=seed,
        eval_every=eval_every,
        device=device,
        resume=resume,
        cache_dir=cache_dir,
        command=command,
    )
    if from_env().is_main:  # under torchrun, rank 0 reports
        click.echo(json.dumps(result, indent=1, default=str))
