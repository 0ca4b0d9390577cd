"""``retarget batch``: one job over many inputs, on local processes or a Ray cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from ..denoising import parse_params
from ..pipeline.batch import JOBS, parse_shard, run_batch
from .options import (
    denoise_choice,
    denoise_options,
    input_options,
    method_options,
    opt,
    read_pose_kwargs,
    use_options,
)

EXIT_SOME_FAILED = 1
EXIT_INTERRUPTED = 130


@click.command("batch")
@click.argument("job", metavar="JOB", type=click.Choice(sorted(JOBS)))
@use_options(
    "input",
    opt(
        "output",
        dest="out_dir",
        help="Output folder; outputs mirror the input tree (or a manifest's output column).",
    ),
    "format",
    "skeleton",
    opt(
        "workers",
        default=None,
        help="Worker processes, each loading the models once [default: 1; with "
        "--ray-address as many as the cluster fits].",
    ),
    "engine",
    "ray_address",
    "gpus_per_worker",
    "retry",
    opt("overwrite", help="Redo items whose output exists (default: skip them)."),
    "shard",
    "ledger",
    denoise_options(
        "the inputs",
        default="auto",
        default_help=" auto: extract: learned for videos, none for pose files; transfer, align: "
        "learned.",
    ),
    method_options("denoise job: "),
    opt(
        "structure",
        help="transfer job: the pose input whose body every item's motion is put on "
        "(or a manifest's structure column).",
    ),
    opt("view", prefix="transfer and align jobs: ", suffix=" align: structure is the reference's."),
    "reference",
    opt("reference_frame", prefix="align job: "),
    opt("style", prefix="align job: "),
    opt(
        "people",
        help="align job: main draws one dancer; all or N (the N largest) every dancer of a "
        "driving on a person of the reference, left to right (as `retarget align --people`).",
    ),
    "keypoints",
    opt("model", prefix="transfer and align jobs: "),
    opt("mode", help="transfer and align jobs: the model's decoding (see `retarget transfer`)."),
    opt("device", help="Where each worker's models run (auto: its GPU when it has one)."),
    input_options,
)
def batch_cmd(job: str, inputs: str, out_dir: Path, out_format: str, skeleton: str | None,
              workers: int | None, engine: str, ray_address: str | None,
              gpus_per_worker: float | None, retry: int, overwrite: bool, shard: str | None,
              ledger: Path | None, denoise_method: str, no_denoise: bool, method: str,
              params: tuple[str, ...], structure: Path | None, view, reference: Path | None,
              reference_frame: int, style: str, people: str | int, json_keypoints: bool,
              model_dir: str | None, mode: str, device: str, **kw) -> None:  # fmt: skip
    """Run JOB (extract, denoise, transfer, align) over every input in INPUTS, writing into
    OUT.

    align draws each driving motion on the --reference person as a pose video
    (OUT/.../NAME.mp4 on the reference's canvas, as `retarget align`).

    Re-running the same command skips the items already written (outputs appear only when
    complete) and retries the failed ones; a corrupt item is recorded as failed and the rest
    go on. Each worker loads the pose estimator and models once. Exit code 0 when all items
    are done, 1 when some failed (listed, with the ledger's path), 130 when interrupted.
    See docs/scale.md for Ray clusters and Slurm.
    """
    denoise = denoise_choice(denoise_method, no_denoise)
    settings = {
        "out_format": out_format,
        "skeleton": skeleton,
        "device": device,
        **read_pose_kwargs(**kw),
    }
    if job == "extract":
        settings["denoise"] = denoise
    elif job == "denoise":
        settings |= {"method": method, "params": parse_params(method, params)}
    elif job == "transfer":
        settings |= {"structure": structure, "view": view, "model": model_dir, "mode": mode,
                     "denoise": "learned" if denoise == "auto" else denoise}  # fmt: skip
    elif job == "align":
        from viz.pose_image import STYLES

        if (
            click.get_current_context().get_parameter_source("out_format")
            is ParameterSource.COMMANDLINE
        ):
            raise click.UsageError(
                "--format: the align job writes pose videos (.mp4); leave it out"
            )
        if style not in STYLES:
            raise click.BadParameter(f"choose one of {', '.join(STYLES)}", param_hint="--style")
        settings |= {"reference": reference, "reference_frame": reference_frame,
                     "style": style, "people": people, "json": json_keypoints, "view": view,
                     "model": model_dir, "mode": mode, "denoise": denoise}  # fmt: skip
    result = run_batch(
        job,
        inputs,
        out_dir,
        settings=settings,
        workers=workers,
        engine=engine,
        ray_address=ray_address,
        gpus_per_worker=gpus_per_worker,
        retry=retry,
        overwrite=overwrite,
        shard=parse_shard(shard) if shard else None,
        ledger=ledger,
    )
    for key, error in result.failures[:10]:
        click.echo(f"failed: {key}: {error}", err=True)
    if len(result.failures) > 10:
        click.echo(f"... and {len(result.failures) - 10} more (see the ledger)", err=True)
    click.echo(result.summary(), err=True)
    if result.interrupted:
        click.echo("re-run the same command to finish the rest", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if result.failed:
        sys.exit(EXIT_SOME_FAILED)
