"""``retarget train``: train the retargeting model on motion capture."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click

from .common import cli, device_option, mocap_data_option


@cli.command("train")
@mocap_data_option()
@click.option(
    "-o",
    "--output",
    "run_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Run folder (weights, config.json, stats.json, logs).",
)
@click.option("--iterations", type=click.IntRange(min=1), default=20000, show_default=True)
@click.option(
    "--minutes", type=float, default=None, help="Stop after this many minutes (checkpoint kept)."
)
@click.option("--batch", type=click.IntRange(min=2), default=32, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
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
    """Train the TransMoMo-style model on the motion capture in --data (train split)."""
    from ..pipeline.fit import fit

    command = "retarget " + " ".join(shlex.quote(a) for a in sys.argv[1:])
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
    click.echo(json.dumps(result, indent=1, default=str))
