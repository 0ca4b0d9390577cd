"""``retarget batch``: one job over many inputs, on local processes or a Ray cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from ..denoising import parse_params
from ..device import DEVICES
from ..pipeline.batch import ENGINES, JOBS, parse_shard, run_batch
from ..retargeters import MODES
from .options import (
    Finite,
    PeopleParam,
    denoise_choice,
    denoise_options,
    input_options,
    method_options,
    output_format_option,
    output_option,
    read_pose_kwargs,
    reference_frame_option,
    retargeter_option,
    skeleton_option,
    style_option,
    view_option,
)

EXIT_SOME_FAILED = 1
EXIT_INTERRUPTED = 130


@click.command("batch")
@click.argument("job", metavar="JOB", type=click.Choice(sorted(JOBS)))
@click.option(
    "-i",
    "--input",
    "inputs",
    required=True,
    metavar="INPUTS",
    help="A folder (searched recursively), a quoted glob such as 'clips/**/*.mp4', or a "
    "manifest (.csv with a header row or .jsonl): an input column, optionally output "
    "and per-item options (fps, start_frame, max_frames, structure, reference, view, ...).",
)
@output_option(
    "Output folder; outputs mirror the input tree (or a manifest's output column).", "out_dir"
)
@output_format_option
@skeleton_option()
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes, each loading the models once [default: 1; with "
    "--ray-address as many as the cluster fits].",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    help="auto: Ray when installed (pip install 'retarget[scale]'), else local "
    "processes; ray; processes (a local process pool); serial (this process).",
)
@click.option(
    "--ray-address",
    default=None,
    metavar="auto|HOST:PORT|ray://HOST:PORT",
    help="Run on an existing Ray cluster (default: a local Ray instance). Its nodes "
    "must see the same input and output paths.",
)
@click.option(
    "--gpus-per-worker",
    type=Finite(min=0),
    default=None,
    help="GPUs each Ray worker takes [default: 1 when the cluster has GPUs and the job "
    "uses them (denoise, transfer), else 0; the pose estimator of extract and align runs "
    "on the CPU].",
)
@click.option(
    "--retry",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Extra attempts for failures another try may fix (a worker that died, I/O "
    "errors); rejected inputs (corrupt, no person) fail once.",
)
@click.option(
    "--overwrite", is_flag=True, help="Redo items whose output exists (default: skip them)."
)
@click.option(
    "--shard",
    default=None,
    metavar="I/N",
    help="Take every N-th item from the I-th (0-based), e.g. "
    "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT.",
)
@click.option(
    "--ledger",
    type=click.Path(path_type=Path),
    default=None,
    help="JSONL ledger to append to [default: OUT/_ledgers/JOB-TIME.jsonl].",
)
@denoise_options(
    "the inputs",
    default="auto",
    default_help=" auto: extract: learned for videos, none for pose files; transfer, align: "
    "learned.",
)
@method_options("denoise job: ")
@click.option(
    "--structure",
    type=click.Path(path_type=Path),
    default=None,
    help="transfer job: the pose input whose body every item's motion is put on "
    "(or a manifest's structure column).",
)
@view_option(prefix="transfer and align jobs: ", suffix=" align: structure is the reference's.")
@click.option(
    "--reference",
    type=click.Path(path_type=Path),
    default=None,
    metavar="PHOTO|VIDEO|POSES",
    help="align job: the person every driving motion is put on and drawn where they stand "
    "(or a manifest's reference column); pose files need a canvas.",
)
@reference_frame_option("align job: ")
@style_option("align job: ")
@click.option(
    "--people",
    type=PeopleParam(),
    default="main",
    show_default=True,
    metavar="all|main|N",
    help="align job: main draws one dancer; all or N (the N largest) every dancer of a "
    "driving on a person of the reference, left to right (as `retarget align --people`).",
)
@click.option(
    "--keypoints",
    "json_keypoints",
    is_flag=True,
    help="align job: also write each item's aligned keypoints into OUT/.../NAME_json/ "
    "(OpenPose JSON, or DWPose JSON with --style dwpose; one file per frame).",
)
@retargeter_option("transfer and align jobs: ")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="fused",
    show_default=True,
    help="transfer and align jobs: the model's decoding (see `retarget transfer`).",
)
@click.option(
    "--device",
    type=click.Choice(DEVICES),
    default="auto",
    show_default=True,
    help="Where each worker's models run (auto: its GPU when it has one).",
)
@input_options
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
