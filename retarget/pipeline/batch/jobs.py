"""The jobs ``retarget batch`` runs, one table entry each (:data:`JOBS`; add with
:func:`register_job`).

A :class:`Job` says which inputs it reads from a folder, which per-item options a manifest
may give, what a worker loads ONCE (``setup``: the pose estimator, the denoiser, the
retargeting model) and what it does per item (``run``: read one input, write one output
atomically, return the frames written). ``settings`` are the command's options as the
library names them (``out_format``, ``denoise``, ``fps``, ``start_frame``...); an item's
manifest options override them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skeleton_io.errors import InvalidArgumentError, RetargetError
from skeleton_io.io import FILE_SUFFIXES, IMAGE_EXTS, LOAD_FORMATS, SAVE_FORMATS, VIDEO_EXTS

from .items import Item

POSE_EXTS = frozenset({".npz", ".json", ".csv", ".bvh"})
OUTPUT_SUFFIX = {f: FILE_SUFFIXES.get(f, "") for f in SAVE_FORMATS}
"""The output's extension per format (:data:`skeleton_io.io.FILE_SUFFIXES`; "" for OpenPose:
a folder)."""
LOAD_OPTIONS = ("format", "fps", "canvas", "start_frame", "max_frames", "max_side", "model_path")
"""Settings passed on to :func:`skeleton_io.load_file`."""


@dataclass(frozen=True)
class Job:
    """One kind of batch work.

    Attributes:
        name: the ``retarget batch JOB`` word.
        summary: one line for ``--help``.
        suffixes: input file extensions taken from a folder or glob (lower case).
        folders: subfolders of OpenPose frames are items too.
        options: per-item option name -> parser of a manifest cell (str or JSON value).
        setup: ``setup(settings) -> state``, once per worker (load models here).
        run: ``run(state, item, settings) -> frames`` for one item.
        path_options: options that are paths (relative ones are relative to the manifest).
        uses_gpu: give each worker a GPU by default when there are GPUs (its models run
            there); False keeps the workers on the CPU unless asked (``gpus_per_worker``).
        out_suffix: the output's extension whatever ``out_format`` says (``align``: a pose
            video, ``.mp4``); None: the pose format's (:data:`OUTPUT_SUFFIX`).
        required: options every item needs, from the command or a manifest column; a run
            where some item has none is refused before any worker starts.
        side_outputs: ``side_outputs(item, settings) -> paths`` the item writes besides
            ``item.output`` (written before it, so its output existing means all are
            complete; an item is done when all exist, and a killed run's temporaries of
            them are removed too).
    """

    name: str
    summary: str
    suffixes: frozenset[str]
    folders: bool
    options: Mapping[str, Callable[[Any], Any]]
    setup: Callable[[dict[str, Any]], Any]
    run: Callable[[Any, Item, dict[str, Any]], int]
    path_options: tuple[str, ...] = ()
    uses_gpu: bool = True
    out_suffix: str | None = None
    required: tuple[str, ...] = ()
    side_outputs: Callable[[Item, dict[str, Any]], tuple[Path, ...]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def output_suffix(self, settings: dict[str, Any]) -> str:
        """The items' output extension under ``settings`` ("" for a folder)."""
        if self.out_suffix is not None:
            return self.out_suffix
        return output_suffix(settings.get("out_format", "native"))

    def outputs(self, item: Item, settings: dict[str, Any]) -> tuple[Path, ...]:
        """Every path ``item`` writes: its output, then its side outputs."""
        extra = self.side_outputs(item, merged(settings, item)) if self.side_outputs else ()
        return (item.output, *extra)


JOBS: dict[str, Job] = {}


def register_job(job: Job) -> Job:
    """Add (or replace) a job in :data:`JOBS`."""
    JOBS[job.name] = job
    return job


def get_job(name: str) -> Job:
    if name not in JOBS:
        raise InvalidArgumentError(
            f"unknown batch job {name!r}: choose one of {', '.join(sorted(JOBS))}"
        )
    return JOBS[name]


def load_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    """The :func:`skeleton_io.load_file` keyword arguments among ``settings``."""
    return {k: settings[k] for k in LOAD_OPTIONS if settings.get(k) is not None}


# ------------------------------------------------------------------ option parsers
def _positive_int(v: Any) -> int:
    n = int(v)
    if n < 1:
        raise ValueError("must be at least 1")
    return n


def _non_negative_int(v: Any) -> int:
    n = int(v)
    if n < 0:
        raise ValueError("must be at least 0")
    return n


def _positive_float(v: Any) -> float:
    x = float(v)
    if not x > 0:
        raise ValueError("must be positive")
    return x


def _input_format(v: Any) -> str:
    if v not in LOAD_FORMATS:
        raise ValueError(f"choose one of {', '.join(LOAD_FORMATS)}")
    return str(v)


def _canvas(v: Any) -> tuple[int, int]:
    w, h = (int(x) for x in str(v).lower().split("x"))
    if w < 1 or h < 1:
        raise ValueError("WIDTHxHEIGHT in pixels")
    return (w, h)


def _denoise_method(v: Any) -> str:
    from ...denoising import method_names

    if v not in (*method_names(), "auto"):
        raise ValueError(f"choose one of auto, {', '.join(method_names())}")
    return str(v)


def _view(v: Any) -> str | float | Path:
    if v in ("motion", "structure"):
        return str(v)
    try:
        return float(v)
    except ValueError:
        return Path(str(v))


def _mode(v: Any) -> str:
    from ...retargeters import MODES

    if v not in MODES:
        raise ValueError(f"choose one of {', '.join(MODES)}")
    return str(v)


READ_OPTIONS: dict[str, Callable[[Any], Any]] = {
    "input_format": _input_format,
    "fps": _positive_float,
    "canvas": _canvas,
    "start_frame": _non_negative_int,
    "max_frames": _positive_int,
    "max_side": _positive_int,
}
"""Manifest columns every job takes (``input_format`` is :func:`skeleton_io.load_file`'s
``format``)."""


def merged(settings: dict[str, Any], item: Item) -> dict[str, Any]:
    """The command's settings with the item's own options on top."""
    out = dict(settings)
    for k, v in item.options.items():
        out["format" if k == "input_format" else k] = v
    return out


def _write_poses(
    write: Callable[..., Any], item: Item, s: dict[str, Any], *args: Any, **kwargs: Any
) -> int:
    """``write(item.input, *args, item.output, **kwargs)`` with the output format,
    overwrite and reading options of the item's settings ``s``: a file function of
    :mod:`retarget.pipeline.poses` (``extract_file``, ``denoise_file``, ``transfer_file``)
    run on one item; the frames written."""
    out = write(
        item.input,
        *args,
        item.output,
        out_format=s.get("out_format", "native"),
        overwrite=bool(s.get("overwrite")),
        **kwargs,
        **load_kwargs(s),
    )
    return out.num_frames


# ------------------------------------------------------------------------ extract
def _setup_extract(settings: dict[str, Any]) -> None:
    """Nothing to load up front: the estimator's model bundle and the learned denoiser are
    cached per process on the first video (:func:`skeleton_io.formats.video.task_bundle`,
    :func:`retarget.denoising.learned.load_denoiser`), and pose files need neither. The
    estimator itself is made per clip: it tracks the person from frame to frame, and a
    fresh one gives every clip what `retarget extract` gives it."""


def _run_extract(_: Any, item: Item, settings: dict[str, Any]) -> int:
    from ..poses import extract_file

    s = merged(settings, item)
    return _write_poses(
        extract_file, item, s, skeleton=s.get("skeleton"), denoise=s.get("denoise", "auto")
    )


register_job(
    Job(
        "extract",
        "pose sequences of videos and images (as `retarget extract`)",
        frozenset(VIDEO_EXTS | IMAGE_EXTS),
        folders=False,
        options={**READ_OPTIONS, "denoise": _denoise_method, "skeleton": str},
        setup=_setup_extract,
        run=_run_extract,
        # mediapipe's BlazePose runs on the CPU in this build; a GPU would only speed up the
        # denoiser (about 2 ms a frame on a CPU core), and one per worker would cap the
        # workers at the GPU count
        uses_gpu=False,
    )
)


# ------------------------------------------------------------------------ denoise
def _setup_denoise(settings: dict[str, Any]) -> None:
    if settings.get("method", "learned") == "learned":
        from ...denoising.learned import load_denoiser

        model = (settings.get("params") or {}).get("model")
        load_denoiser(model, (settings.get("params") or {}).get("device", "auto"))


def _run_denoise(_: Any, item: Item, settings: dict[str, Any]) -> int:
    from ..poses import denoise_file

    s = merged(settings, item)
    return _write_poses(
        denoise_file,
        item,
        s,
        method=s.get("method", "learned"),
        options=s.get("params"),
        cleanup=s.get("cleanup"),
        skeleton=s.get("skeleton"),
    )


register_job(
    Job(
        "denoise",
        "cleaned and smoothed pose sequences (as `retarget denoise`)",
        frozenset(POSE_EXTS | VIDEO_EXTS),
        folders=True,
        options={**READ_OPTIONS, "method": _denoise_method, "skeleton": str},
        setup=_setup_denoise,
        run=_run_denoise,
    )
)


# ----------------------------------------------------------------------- transfer
@dataclass
class _ModelState:
    """A worker's retargeter and the inputs every item shares, read once (structures,
    views, references: by path and reading options)."""

    retargeter: Any
    structures: dict[tuple[Any, ...], Any] = field(default_factory=dict)


def _setup_transfer(settings: dict[str, Any]) -> _ModelState:
    """The retargeter, loaded once: a run folder, an analytic retargeter's name or the
    shipped model (:func:`retarget.retargeters.load_retargeter`), denoising its inputs."""
    from ...retargeters import load_retargeter
    from ...retargeters.transfer import denoise_method

    denoise = settings.get("denoise")
    r = load_retargeter(
        settings.get("model"),
        device=settings.get("device", "auto"),
        mode=settings.get("mode") or "fused",
        denoise="learned" if denoise in (None, "auto") else denoise_method(denoise),
    )
    return _ModelState(r)


def _require(s: dict[str, Any], item: Item, key: str) -> None:
    if s.get(key) is None:
        raise InvalidArgumentError(
            f"{item.input}: no {key}; give `{key}` (or a manifest {key} column)"
        )


def _read_whole(state: _ModelState, path: Path, s: dict[str, Any]) -> Any:
    """A structure (or view) input read once per worker (all its frames)."""
    from ...inputs import read_2d

    kw = {k: v for k, v in load_kwargs(s).items() if k not in ("start_frame", "max_frames")}
    key = (str(Path(path).resolve()), repr(sorted(kw.items())))
    if key not in state.structures:
        state.structures[key] = read_2d(path, **kw)
    return state.structures[key]


def _read_view(state: _ModelState, s: dict[str, Any]) -> Any:
    """The item's ``view``: a word or a yaw as given, a pose file's sequence (read once per
    worker)."""
    view = s.get("view", "motion")
    return _read_whole(state, view, s) if isinstance(view, Path) else view


def _run_transfer(state: _ModelState, item: Item, settings: dict[str, Any]) -> int:
    from ..poses import transfer_file

    s = merged(settings, item)
    _require(s, item, "structure")
    view = _read_view(state, s)
    return _write_poses(
        transfer_file,
        item,
        s,
        _read_whole(state, Path(s["structure"]), s),
        view=view,
        model=state.retargeter,
        denoise=s.get("denoise"),  # an analytic retargeter's inputs are denoised there
    )


register_job(
    Job(
        "transfer",
        "the motion of each input (every person of a group) on the body of --structure (as `retarget transfer`)",
        frozenset(POSE_EXTS | VIDEO_EXTS | IMAGE_EXTS),
        folders=True,
        options={**READ_OPTIONS, "structure": str, "view": _view},
        setup=_setup_transfer,
        run=_run_transfer,
        path_options=("structure", "view"),
        required=("structure",),
    )
)


# -------------------------------------------------------------------------- align
_setup_align = _setup_transfer


def _json_dir(item: Item, s: dict[str, Any]) -> tuple[Path, ...]:
    """``OUT/.../NAME_json/``: the item's keypoints, one file per frame (``json``)."""
    return (item.output.with_name(item.output.stem + "_json"),) if s.get("json") else ()


def _align_reference(
    state: _ModelState, item: Item, s: dict[str, Any], kw: dict[str, Any]
) -> tuple[Any, Any] | None:
    """The item's reference ``(pose, structure)``, read once per worker and reading options
    (a reference that failed fails again without being read again); None when the item's
    driving is the reference video itself (its body is then measured on the driving's
    frames: :func:`retarget.pipeline.align.pose_align_video` reads it)."""
    from ..align import read_reference

    path = Path(s["reference"])
    if path.resolve() == item.input.resolve():
        return None
    frame, max_side = s.get("reference_frame", 0), s.get("max_side") or 512
    key = ("reference", str(path.resolve()), frame, max_side, repr(sorted(kw.items())))
    if key not in state.structures:
        try:
            state.structures[key] = read_reference(
                path, reference_frame=frame, max_side=max_side, hands_face=True, **kw
            )
        except RetargetError as e:
            state.structures[key] = e
    got = state.structures[key]
    if isinstance(got, RetargetError):
        raise got
    return got


def _run_align(state: _ModelState, item: Item, settings: dict[str, Any]) -> int:
    from ..align import pose_align_video

    s = merged(settings, item)
    _require(s, item, "reference")
    kw = load_kwargs(s)
    start, max_frames = kw.pop("start_frame", 0), kw.pop("max_frames", None)
    kw.pop("max_side", None)
    view = _read_view(state, s)
    people = s.get("people", "main")
    report = pose_align_video(
        s["reference"],
        item.input,
        item.output,
        json_dir=next(iter(_json_dir(item, s)), None),
        style=s.get("style", "openpose"),
        view=view,
        start_frame=start,
        max_frames=max_frames,
        max_side=s.get("max_side") or 512,
        reference_frame=s.get("reference_frame", 0),
        model=state.retargeter,
        device=s.get("device", "auto"),
        overwrite=bool(s.get("overwrite")),
        people=people,
        reference_poses=_align_reference(state, item, s, kw) if people == "main" else None,
        **kw,
    )
    return report.frames


def _people(v: Any) -> str | int:
    text = str(v).strip().lower()
    if text in ("all", "main"):
        return text
    if int(text) < 1:
        raise ValueError("all, main or a number of people >= 1")
    return int(text)


def _style(v: Any) -> str:
    from viz.pose_image import STYLES

    if v not in STYLES:
        raise ValueError(f"choose one of {', '.join(STYLES)}")
    return str(v)


register_job(
    Job(
        "align",
        "the motion of each driving input on the body of --reference, standing where that "
        "person stands, as an OpenPose/DWPose pose video (as `retarget align`)",
        frozenset(POSE_EXTS | VIDEO_EXTS),
        folders=True,
        options={
            **READ_OPTIONS,
            "reference": str,
            "reference_frame": _non_negative_int,
            "view": _view,
            "style": _style,
            "people": _people,
        },
        setup=_setup_align,
        run=_run_align,
        path_options=("reference", "view"),
        out_suffix=".mp4",
        required=("reference",),
        # a driving clip's time is the CPU's: pose estimation with hands and face about
        # 50 ms a frame, drawing and encoding 12; the model's retargeting is under 1 ms a
        # frame on a CPU core, and a GPU per worker would cap the workers at the GPU count
        uses_gpu=False,
        side_outputs=_json_dir,
    )
)


def output_suffix(out_format: str) -> str:
    if out_format not in OUTPUT_SUFFIX:
        raise InvalidArgumentError(
            f"cannot write pose format {out_format!r}: choose one of {', '.join(OUTPUT_SUFFIX)}"
        )
    return OUTPUT_SUFFIX[out_format]
