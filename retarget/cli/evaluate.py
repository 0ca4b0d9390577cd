"""``retarget evaluate``: the retargeting benchmark for a model run or a baseline."""

from __future__ import annotations

import logging
import platform
from pathlib import Path

import click

from skeleton_io.atomic import check_output_path
from skeleton_io.errors import InvalidArgumentError

from ..retargeters import BASELINES
from .options import opt, use_options
from .params import PATH

log = logging.getLogger(__name__)


def _load_model(run_dir: Path):
    from ..retargeters import load_retargeter

    return load_retargeter(run_dir)


@click.command("evaluate")
@use_options(
    opt(
        "model",
        type=PATH,
        callback=None,
        metavar=None,
        help="A training run folder (its checkpoint is evaluated).",
    ),
    "baseline",
    "data",
    "split",
    "noise",
    "pairs",
    opt(
        "noise_stats",
        help="Detector noise statistics JSON (retarget.denoising.NoiseStats) instead of the "
        "built-in model.",
    ),
    opt("seed", help="Seed of views, scaled performers and noise."),
    "max_cases",
    opt(
        "cache_dir",
        help="Where preprocessed mocap is cached (default $RETARGET_CACHE or ~/.cache/retarget).",
    ),
    "json_out",
    "progress",
)
def evaluate_cmd(
    model_dir,
    baseline,
    data,
    split,
    noise,
    pairs,
    noise_stats,
    seed,
    max_cases,
    cache_dir,
    json_out,
    progress,
) -> None:
    """TransMoMo's test protocol on motion capture: motion and view from performer a,
    structure from performer b; errors against b performing a's motion (in a's view, and in
    b's view for cross-view). Prints a Markdown table."""
    from retarget.benchmark import format_table, make_baseline
    from retarget.benchmark.protocol import run_benchmark, save_results
    from retarget.data import MocapLibrary
    from retarget.pipeline.fit import check_cache_dir

    if (model_dir is None) == (baseline is None):
        raise InvalidArgumentError("give exactly one of --model RUN_DIR or --baseline NAME")
    if json_out is not None:
        check_output_path(json_out, folder=False)
    check_cache_dir(cache_dir)
    if model_dir is not None:
        retargeters = [_load_model(model_dir)]
    elif baseline == "all":
        retargeters = [make_baseline(n) for n in (*BASELINES, "limb+gapfill")]
    else:
        retargeters = [make_baseline(baseline)]
    stats = None
    if noise_stats is not None:
        from retarget.denoising import NoiseStats

        stats = NoiseStats.load(noise_stats)
    lib = MocapLibrary.load(data, cache_dir)
    noises = ("clean", "detector") if noise == "both" else (noise,)
    results, sets = run_benchmark(
        retargeters,
        lib,
        split=split,
        seed=seed,
        noises=noises,
        max_cases=max_cases,
        noise_stats=stats,
        progress=progress,
        pairs=("scaled", "real") if pairs == "both" else (pairs,),
    )
    click.echo(format_table(results))
    for kind, ts in sets.items():
        summary = ts.summary()
        fams = ", ".join(f"{k}: {v['motions']} motions" for k, v in summary["families"].items())
        click.echo(
            f"\nsplit {split}, seed {seed}, {kind} pairs: {summary['cases']} cases ({fams}); "
            f"performers {', '.join(ts.performers)}"
        )
    if json_out is not None:
        extra = {"command": "retarget evaluate", "data": str(data), "machine": platform.platform()}
        save_results(results, sets, json_out, extra)
        click.echo(f"wrote {json_out}", err=True)
