"""``retarget train-denoiser``: train the learned temporal denoiser on motion capture."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from skeleton_io.atomic import check_output_path
from skeleton_io.errors import InvalidArgumentError

from .common import command_line
from .options import FrameRate, device_option, mocap_data_option, output_option, training_options


@click.command("train-denoiser")
@output_option("Model folder to write (weights.pt, config.json, stats.json, noise_stats.json).")
@mocap_data_option("Folder of BVH motion capture (its train split is used).")
@click.option(
    "--noise-from",
    "noise_from",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Real detector output to measure the noise on, repeatable: OpenPose folders, pose "
    "files, or videos (run through BlazePose).",
)
@click.option(
    "--noise-stats",
    type=click.Path(path_type=Path),
    default=None,
    help="Noise statistics JSON (e.g. a model folder's noise_stats.json) instead of --noise-from.",
)
@click.option(
    "--noise-fps",
    type=FrameRate(),
    default=30.0,
    show_default=True,
    help="Frame rate of --noise-from inputs that store none (OpenPose JSON).",
)
@training_options(iterations=8000, batch=64)
@click.option(
    "--pool",
    type=click.IntRange(min=16),
    default=12000,
    show_default=True,
    help="Noisy training windows made before training.",
)
@click.option(
    "--hidden",
    type=click.IntRange(min=4),
    default=64,
    show_default=True,
    help="Channels of every layer of the network.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes making the training windows.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Torch threads for training (0: torch's default; 1 is fastest on a busy machine).",
)
@device_option
def train_denoiser_cmd(
    output: Path,
    data: Path,
    noise_from: tuple[Path, ...],
    noise_stats: Path | None,
    noise_fps: float,
    minutes: float | None,
    iterations: int,
    batch: int,
    pool: int,
    hidden: int,
    seed: int,
    workers: int,
    threads: int,
    device: str,
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
    settings = TrainSettings(
        iterations=iterations,
        minutes=minutes,
        batch=batch,
        pool=pool,
        seed=seed,
        device=device,
        workers=workers,
        threads=threads,
    )
    result = train_denoiser(
        output,
        noise,
        data=data,
        settings=settings,
        net=DenoiserConfig(hidden=hidden),
        command=command,
    )
    if from_env().is_main:  # under torchrun, rank 0 reports
        click.echo(json.dumps(asdict(result), indent=1))
