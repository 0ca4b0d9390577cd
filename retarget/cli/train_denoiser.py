"""``retarget train-denoiser``: train the learned temporal denoiser on motion capture."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from skeleton_io.atomic import check_output_path
from skeleton_io.errors import InvalidArgumentError

from .common import command_line
from .options import opt, training_options, use_options


@click.command("train-denoiser")
@use_options(
    opt(
        "output",
        help="Model folder to write (weights.pt, config.json, stats.json, noise_stats.json).",
    ),
    opt(
        "data",
        help="Folder of BVH motion capture (its train split is used). $RETARGET_MOCAP sets the "
        "default.",
    ),
    "noise_from",
    "noise_stats",
    "noise_fps",
    training_options(iterations=8000, batch=64),
    "pool",
    "hidden",
    "workers",
    "threads",
    "device",
)
def train_denoiser_cmd(
    output: Path,
    data: Path,
    noise_from: tuple[Path, ...],
    noise_stats: Path | None,
    noise_fps: float,
    hidden: int,
    **settings: Any,
) -> None:
    """Train the learned denoiser (``retarget denoise --method learned -p model=DIR``) on the
    train split of --data, with synthetic noise measured on real detector output.

    Data-parallel under torchrun as `retarget train`: --batch is per process, the --pool
    windows are split among the processes.
    """
    from ..denoising.learned import (
        DenoiserConfig,
        TrainSettings,
        measure_noise_stats,
        train_denoiser,
    )
    from ..denoising.metrics import NoiseStats
    from ..nn.distributed import from_env

    check_output_path(output, folder=True)
    if bool(noise_from) == bool(noise_stats):
        raise InvalidArgumentError(
            "train-denoiser: give the detector noise either by --noise-from PATH (repeatable) "
            "or by --noise-stats JSON"
        )
    command = command_line(click.get_current_context())
    if noise_stats:
        noise = NoiseStats.load(noise_stats)
    else:
        noise = measure_noise_stats(noise_from, fps=noise_fps)
    result = train_denoiser(
        output,
        noise,
        data=data,
        settings=TrainSettings(**settings),  # the budget, --pool, --workers, --threads, --device
        net=DenoiserConfig(hidden=hidden),
        command=command,
    )
    if from_env().is_main:  # under torchrun, rank 0 reports
        click.echo(json.dumps(asdict(result), indent=1))
