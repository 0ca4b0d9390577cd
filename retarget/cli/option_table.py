"""The table of the CLI's options: each option once, with its flags, type, default and help
(:func:`retarget.cli.options.use_options` makes a command's options from it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from skeleton_io.checks import MAX_ANGLE, MAX_IMAGE_SIDE
from skeleton_io.io import LOAD_FORMATS, SAVE_FORMATS
from skeleton_io.skeleton import SKELETONS

from ..device import DEVICES
from .params import (
    PATH,
    CanvasSize,
    Choices,
    Finite,
    FrameRate,
    PeopleParam,
    ViewParam,
    frame_list,
    frame_range,
    name_list,
    not_empty,
    parse_assign,
)

AZIM, ELEV = 0.0, 10.0  # the default camera of 3D views


def _spec(*decls: str, **settings: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """An entry of :data:`OPTIONS`: click's ``param_decls`` and settings."""
    return decls, settings


VIEW_HELP = (
    "motion (the motion's own camera view), structure (the structure's), a yaw in degrees "
    "relative to the motion's view (positive turns the performer to its own left), or a pose "
    "input whose view is taken."
)

# One entry per option, its one meaning in every command that takes it (with `opt` a command
# words the help for itself or changes the default); a flag that takes another kind of value
# in one command has a second entry (`frame_range`, `network_size`, `skeleton_path`,
# `json_out`). `opt` shows a default other than None and False in --help.
OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    # the input options (`input_options`)
    "input_format": _spec(
        "--input-format",
        type=click.Choice(LOAD_FORMATS),
        help="Format of the input (default: recognised from the path and content).",
    ),
    "fps": _spec(
        "--fps",
        type=FrameRate(),
        help="Frame rate for inputs that have none (OpenPose JSON, CSV, images).",
    ),
    "canvas": _spec(
        "--canvas",
        type=CanvasSize(),
        metavar="WIDTHxHEIGHT",
        help="Frame size in pixels (WIDTHxHEIGHT, or an image of that size) for inputs that do "
        "not store it (OpenPose JSON, CSV); needed to write COCO and DWPose JSON.",
    ),
    "start_frame": _spec(
        "--start-frame",
        type=click.IntRange(min=0),
        default=0,
        help="First frame to use.",
    ),
    "max_frames": _spec("--max-frames", type=click.IntRange(min=1), help="Use at most N frames."),
    "max_side": _spec(
        "--max-side",
        type=click.IntRange(min=64),
        default=512,
        help="Videos and images are scaled so their long side is at most PX for pose "
        "estimation (coordinates stay in original pixels).",
    ),
    "smpl_model": _spec(
        "--smpl-model",
        type=click.Path(),
        help="SMPL/SMPL-H model file or folder, for AMASS .npz inputs.",
    ),
    # what a command writes
    "output": _spec("-o", "--output", type=PATH, required=True),
    "format": _spec(
        "--format",
        "out_format",
        type=click.Choice(SAVE_FORMATS),
        default="native",
        help="Output format: native .npz, OpenPose JSON folder, DWPose annotator JSON (a .json "
        "file of all frames, or a folder), COCO or COCO-WholeBody JSON, CSV or BVH.",
    ),
    "skeleton": _spec(
        "--skeleton",
        type=click.Choice(list(SKELETONS)),
        help="Skeleton of the output (default: the format's own, else the input's).",
    ),
    "overwrite": _spec(
        "--overwrite",
        is_flag=True,
        help="Write into an existing output folder that holds other files (they are kept; "
        "only this command's own files are replaced). Without it such a folder is refused.",
    ),
    "json_dir": _spec(
        "--json",
        "json_dir",
        type=PATH,
        metavar="DIR",
        help="Also write the aligned keypoints into this folder, one file per frame: OpenPose "
        "JSON (--style openpose) or DWPose annotator JSON (--style dwpose).",
    ),
    "json_out": _spec("--json", "json_out", type=PATH, help="Also write the results as JSON here."),
    # whom
    "people": _spec(
        "--people",
        type=PeopleParam(),
        default="main",
        metavar="all|main|N",
        help="Whom to follow in a video, image or multi-person file: `main` one person (the "
        "largest when first seen), `all` everyone, N the N largest on average; each person "
        "keeps one track id through the clip.",
    ),
    "person": _spec(
        "--person",
        type=click.IntRange(min=0),
        metavar="ID",
        help="Only the person with this track id (as `retarget extract --people all` numbers "
        "them; a video or image is then tracked).",
    ),
    # retargeting
    "model": _spec(
        "--model",
        "model_dir",
        callback=not_empty,
        metavar="RUN_DIR|NAME",
        help="Retargeting model: a run folder of `retarget train` or an analytic "
        "retargeter's name (limb, edn, musepose, unianimate, mimicmotion, ...); default: the "
        "shipped model.",
    ),
    "motion": _spec(
        "--motion",
        "motion_path",
        type=PATH,
        required=True,
        help="Pose input whose motion is wanted (A).",
    ),
    "structure": _spec(
        "--structure",
        type=PATH,
        help="Pose input whose body is wanted (B). For a motion of several people: once (one "
        "body for everyone) or once per person, matched to the people left to right.",
    ),
    "assign": _spec(
        "--assign",
        "assign",
        multiple=True,
        metavar="ID=FILE",
        callback=lambda ctx, param, value: parse_assign(value),
        help="The body of the person with track ID (as `retarget extract --people all` numbers "
        "them), repeatable; --structure then gives the others theirs.",
    ),
    "view": _spec(
        "--view",
        type=ViewParam(),
        default="motion",
        metavar="motion|structure|DEG|POSES",
        help=VIEW_HELP,
    ),
    "mode": _spec(
        "--mode",
        type=Choices("retarget.retargeters:MODES"),
        default="fused",
        help="fused: observed 2D directions + the network's depth (default); network: "
        "TransMoMo's decoder output as is.",
    ),
    "body_only": _spec(
        "--body-only",
        is_flag=True,
        help="Retarget the 15 body joints only (openpose15); by default the motion's hands, face "
        "and feet are carried onto the result at the structure's size.",
    ),
    "device": _spec(
        "--device",
        type=click.Choice(DEVICES),
        default="auto",
        help="Where torch runs (auto: the GPU when there is one).",
    ),
    # denoising (`denoise_options`, `method_options`: their choices come from the denoisers)
    "denoise": _spec("--denoise", "denoise_method"),
    "no_denoise": _spec(
        "--no-denoise",
        "no_denoise",
        is_flag=True,
        help="Use the poses as they are (same as --denoise none).",
    ),
    "method": _spec(
        "-m",
        "--method",
        help="Smoothing: learned (the shipped network), savgol and gaussian (zero lag), "
        "oneeuro (causal), none.",
    ),
    "param": _spec(
        "-p",
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        help="A parameter of the method, repeatable; times in seconds (savgol: window=0.2 "
        "polyorder=2; gaussian: sigma=0.03; oneeuro: min_cutoff=1 beta=10 d_cutoff=1; learned: "
        "model=DIR max_fill=1.0 fill_confidence=0.25 device=auto). An unknown KEY lists the "
        "valid ones.",
    ),
    "max_gap": _spec(
        "--max-gap",
        type=Finite(min=0),
        metavar="SECONDS",
        help="Fill dropouts up to SECONDS long by interpolation (0: fill none)",  # `retarget denoise` adds its default
    ),
    "no_cleanup": _spec(
        "--no-cleanup",
        is_flag=True,
        help="Smooth only: no left/right swap fix, outlier rejection or gap filling.",
    ),
    # pose images (`retarget draw`, `retarget align`)
    "style": _spec(
        "--style",
        default="openpose",
        metavar="openpose|dwpose",
        help="Draw as the ControlNet OpenPose annotator (70-point face) or the DWPose "
        "annotator (68-point face).",
    ),
    "hands": _spec(
        "--hands/--no-hands",
        default=None,
        help="Draw the hands (default: when the driving shows them); --no-hands also skips "
        "finding them in videos.",
    ),
    "face": _spec(
        "--face/--no-face",
        default=None,
        help="Draw the face (default: when the driving shows one; MusePose and UniAnimate draw "
        "their pose videos without).",
    ),
    "threshold": _spec(
        "--threshold",
        type=Finite(0.0, 1.0),
        help="Points with a lower confidence are left out (default 0.3: what DWPose keeps).",
    ),
    "frame": _spec(
        "--frame",
        type=click.IntRange(min=0),
        help="The frame an OUT.png shows (counted from --start-frame).",
    ),
    "reference": _spec(
        "--reference",
        type=PATH,
        metavar="PHOTO|VIDEO|POSES",
        help="align job: the person every driving motion is put on and drawn where they stand "
        "(or a manifest's reference column); pose files need a canvas.",
    ),
    "reference_pose": _spec(
        "--reference-pose",
        type=PATH,
        metavar="FILE",
        help="Also draw the reference person's own pose image here (.png or .jpg; UniAnimate "
        "reads it as ref_pose.jpg beside the frames).",
    ),
    "reference_frame": _spec(
        "--reference-frame",
        type=click.IntRange(min=0),
        default=0,
        help="The frame of a reference video or pose file that shows the person.",
    ),
    "keypoints": _spec(
        "--keypoints",
        "json_keypoints",
        is_flag=True,
        help="align job: also write each item's aligned keypoints into OUT/.../NAME_json/ "
        "(OpenPose JSON, or DWPose JSON with --style dwpose; one file per frame).",
    ),
    # plots and animations
    "frames": _spec(
        "--frames",
        callback=frame_list,
        help="Comma-separated frame numbers (default: 4 evenly spaced; 3 with --compare).",
    ),
    "azim": _spec(
        "--azim",
        type=Finite(-MAX_ANGLE, MAX_ANGLE),
        default=AZIM,
        help="Camera azimuth in degrees for 3D inputs: 0 looks at the performer's front, "
        "positive moves the camera towards the performer's left.",
    ),
    "elev": _spec(
        "--elev",
        type=Finite(-MAX_ANGLE, MAX_ANGLE),
        default=ELEV,
        help="Camera elevation in degrees for 3D inputs: positive looks down from above.",
    ),
    "front": _spec(
        "--front",
        type=Choices("viz.camera:FRONTS"),
        default="auto",
        help="What azimuth 0 faces: 'auto' the performer's front (from hips and shoulders), "
        "'data' the data's own axes (for video-derived 3D: the original camera).",
    ),
    "follow": _spec(
        "--follow",
        type=Choices("viz.camera:FOLLOWS"),
        default="auto",
        help="Move the camera with the performer ('auto': when their path is longer than "
        "their height, e.g. walking mocap).",
    ),
    "compare": _spec(
        "--compare",
        type=PATH,
        multiple=True,
        help="Another pose input to show beside IN with shared axes limits (repeatable).",
    ),
    "joints": _spec(
        "--joints",
        callback=name_list,
        help="Comma-separated joint names (e.g. RWrist,LAnkle): plot their coordinates over "
        "time instead, one line per input.",
    ),
    "lift": _spec(
        "--lift",
        is_flag=True,
        help="Lift 2D inputs (videos, OpenPose, ...) to 3D with the shipped retargeting "
        "model, so that --azim/--elev/--sweep show them from any angle.",
    ),
    "sweep": _spec(
        "--sweep",
        is_flag=True,
        help="Circle the camera around the performer over the animation (3D inputs).",
    ),
    "turns": _spec("--turns", type=float, default=1.0, help="Camera turns with --sweep."),
    "overlay": _spec(
        "--overlay",
        type=PATH,
        help="Draw the (2D, pixel) skeleton over the frames of this video.",
    ),
    "size": _spec(
        "--size",
        type=click.IntRange(min=64, max=MAX_IMAGE_SIDE),
        default=640,
        help="Long side of the animation in pixels (with --overlay: at most this).",
    ),
    # rendering (`retarget render`, `video`, `train-renderer`)
    "skeleton_path": _spec(
        "--skeleton",
        "skeleton_path",
        type=PATH,
        hidden=True,
        help="Deprecated spelling of the POSES argument.",
    ),
    "source": _spec(
        "--source",
        "source_path",
        type=PATH,
        required=True,
        help="Photo or video of the person to show.",
    ),
    "fit": _spec(
        "--fit",
        type=Choices("retarget.pipeline.video:FITS"),
        default="retarget",
        help="retarget: onto the source's body, placed at the source person; place: scaled and "
        "placed only; none: coordinates as they are.",
    ),
    "backend": _spec(
        "--backend",
        default="reference",
        help="Renderer backend (see `retarget env` for the installed ones).",
    ),
    "background": _spec(
        "--background",
        default="source",
        help="What is behind the person: source (the source's scene, person removed; "
        "default), driving (the driving video's frames; video only), an image file, or a "
        "colour (white, #rrggbb, R,G,B).",
    ),
    "source_frame": _spec(
        "--source-frame",
        type=click.IntRange(min=0),
        default=0,
        help="Frame of a source VIDEO to take the person from.",
    ),
    "renderer_model": _spec(
        "--renderer-model",
        type=PATH,
        help="Model folder of the backend (the learned backend's `retarget train-renderer` "
        "output).",
    ),
    "frame_range": _spec(
        "--frames",
        default="0:96",
        callback=frame_range,
        help="Frames A:B to learn from; frame A is the source.",
    ),
    "network_size": _spec(
        "--size",
        type=click.Choice(["S", "M", "L"], case_sensitive=False),
        help="Network size: S (CPU, minutes), M, L (GPU). [default: L on a GPU, S on the CPU]",
    ),
    # training (`training_options`: the budget) and the benchmark
    "data": _spec(
        "--data",
        type=PATH,
        default=Path(os.environ.get("RETARGET_MOCAP", "../shared/mocap")),
        help="Folder of BVH motion capture. $RETARGET_MOCAP sets the default.",
    ),
    "cache_dir": _spec(
        "--cache-dir",
        type=PATH,
        help="Where preprocessed motion capture is cached (default ~/.cache/retarget).",
    ),
    "iterations": _spec("--iterations", type=click.IntRange(min=1), help="Most training steps."),
    "minutes": _spec(
        "--minutes",
        type=Finite(min=0, min_open=True),
        help="Most wall time; the learning-rate schedule fits in it.",
    ),
    "batch": _spec("--batch", type=click.IntRange(min=2), help="Training samples per step."),
    "seed": _spec("--seed", type=int, default=0, help="Random seed."),
    "lr": _spec("--lr", type=Finite(min=0, min_open=True), help="Initial learning rate."),
    "resume": _spec(
        "--resume",
        is_flag=True,
        help="Continue the run in --output from its state.pt (its settings; --minutes is the "
        "total).",
    ),
    "eval_every": _spec(
        "--eval-every",
        type=click.IntRange(min=0),
        default=1000,
        help="Run the benchmark protocol on the validation split every N steps (0: only at the "
        "end).",
    ),
    "noise_from": _spec(
        "--noise-from",
        "noise_from",
        multiple=True,
        type=PATH,
        metavar="PATH",
        help="Real detector output to measure the noise on, repeatable: OpenPose folders, pose "
        "files, or videos (run through BlazePose).",
    ),
    "noise_stats": _spec(
        "--noise-stats",
        type=PATH,
        help="Noise statistics JSON (e.g. a model folder's noise_stats.json) instead of "
        "--noise-from.",
    ),
    "noise_fps": _spec(
        "--noise-fps",
        type=FrameRate(),
        default=30.0,
        help="Frame rate of --noise-from inputs that store none (OpenPose JSON).",
    ),
    "pool": _spec(
        "--pool",
        type=click.IntRange(min=16),
        default=12000,
        help="Noisy training windows made before training.",
    ),
    "hidden": _spec(
        "--hidden",
        type=click.IntRange(min=4),
        default=64,
        help="Channels of every layer of the network.",
    ),
    "threads": _spec(
        "--threads",
        type=click.IntRange(min=0),
        default=0,
        help="Torch threads for training (0: torch's default; 1 is fastest on a busy machine).",
    ),
    "workers": _spec(
        "--workers",
        type=click.IntRange(min=1),
        default=1,
        help="Processes making the training windows.",
    ),
    "baseline": _spec(
        "--baseline",
        type=Choices("retarget.retargeters:BASELINES", ("all",)),
        help="A baseline instead of a model: ours (copy, limb, edn) or a pose-guided animator's "
        "alignment (musepose, unianimate, mimicmotion); 'all' runs every one and limb+gapfill.",
    ),
    "split": _spec(
        "--split",
        type=Choices("retarget.data.splits:SPLIT_NAMES"),
        default="test",
        help="Which split's motions and performers (see retarget.data.splits).",
    ),
    "noise": _spec(
        "--noise",
        type=Choices("retarget.benchmark.protocol:NOISE_MODES", ("both",)),
        default="clean",
        help="Inputs as rendered, with detector-like noise, or both.",
    ),
    "pairs": _spec(
        "--pairs",
        type=click.Choice(["scaled", "real", "both"]),
        default="both",
        help="Performer pairs: a skeleton and its limb-scaled copies (TransMoMo's), pairs of "
        "different real characters, or both.",
    ),
    "max_cases": _spec(
        "--max-cases",
        type=click.IntRange(min=1),
        help="Evaluate a seeded subset of the cases.",
    ),
    "progress": _spec("--progress/--no-progress", default=False, help="Show a progress bar."),
    # `retarget batch`
    "input": _spec(
        "-i",
        "--input",
        "inputs",
        required=True,
        metavar="INPUTS",
        help="A folder (searched recursively), a quoted glob such as 'clips/**/*.mp4', or a "
        "manifest (.csv with a header row or .jsonl): an input column, optionally output "
        "and per-item options (fps, start_frame, max_frames, structure, reference, view, ...).",
    ),
    "engine": _spec(
        "--engine",
        type=Choices("retarget.pipeline.batch:ENGINES"),
        default="auto",
        help="auto: Ray when installed (pip install 'retarget[scale]'), else local "
        "processes; ray; processes (a local process pool); serial (this process).",
    ),
    "ray_address": _spec(
        "--ray-address",
        metavar="auto|HOST:PORT|ray://HOST:PORT",
        help="Run on an existing Ray cluster (default: a local Ray instance). Its nodes "
        "must see the same input and output paths.",
    ),
    "gpus_per_worker": _spec(
        "--gpus-per-worker",
        type=Finite(min=0),
        help="GPUs each Ray worker takes [default: 1 when the cluster has GPUs and the job "
        "uses them (denoise, transfer), else 0; the pose estimator of extract and align runs "
        "on the CPU].",
    ),
    "retry": _spec(
        "--retry",
        type=click.IntRange(min=0),
        default=1,
        help="Extra attempts for failures another try may fix (a worker that died, I/O "
        "errors); rejected inputs (corrupt, no person) fail once.",
    ),
    "shard": _spec(
        "--shard",
        metavar="I/N",
        help="Take every N-th item from the I-th (0-based), e.g. "
        "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT.",
    ),
    "ledger": _spec(
        "--ledger",
        type=PATH,
        help="JSONL ledger to append to [default: OUT/_ledgers/JOB-TIME.jsonl].",
    ),
}
