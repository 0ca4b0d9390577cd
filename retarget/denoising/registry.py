"""Denoising a :class:`~skeleton_io.PoseSequence`: options, the method registry, ``denoise``.

``denoise(seq, method, **params)`` first cleans the sequence (:func:`clean`: undo left/right
swaps, drop outliers, fill short dropouts; see :class:`CleanupOptions`), then smooths it with
the method. Methods are entries of :data:`METHODS`; a method is an options dataclass and a
function ``run(seq, options) -> PoseSequence``, both named by ``"module:attribute"`` strings
so heavy methods (the learned one, with torch) are imported only when used::

    register_method(MethodSpec("learned", "retarget.denoising.learned:LearnedOptions",
                               "retarget.denoising.learned:denoise_learned"))

At this level time spans are in **seconds** (converted with ``seq.fps``) and distances are
**fractions of the body size** (:func:`~retarget.denoising.filters.body_size`, about the body
height), so the defaults suit pixels, centimetres or metres alike.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import typing
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from skeleton_io.errors import InvalidArgumentError, look_up
from skeleton_io.group import require_pose
from skeleton_io.pose import PoseSequence

from . import filters as F

log = logging.getLogger(__name__)

DEFAULT_METHOD = "learned"


# ------------------------------------------------------------------ options
@dataclass(frozen=True)
class CleanupOptions:
    """What :func:`clean` does before a method smooths.

    Attributes:
        fix_swaps: undo left/right limb swaps (:func:`~retarget.denoising.filters.fix_swaps`).
        swap_ratio: a swap must cut the limb's frame-to-frame distance to below this fraction.
        swap_min_gain: ... and by at least this fraction of the body size.
        reject_outliers: drop joints that jump away from their neighbours (Hampel filter).
        outlier_window: the Hampel window in seconds.
        outlier_k: threshold in robust standard deviations.
        outlier_min: deviations below this fraction of the body size are never outliers.
        outlier_max: deviations above this fraction of the body size always are.
        max_gap: fill dropouts up to this long, in seconds (0: fill nothing).
        interp: ``"pchip"``, ``"cubic"`` or ``"linear"`` (see ``fill_gaps``).
        fill_confidence: a filled joint's confidence, as a fraction of its neighbours'.
    """

    fix_swaps: bool = True
    swap_ratio: float = 0.5
    swap_min_gain: float = 0.1
    reject_outliers: bool = True
    outlier_window: float = 0.25
    outlier_k: float = 3.0
    outlier_min: float = 0.03
    outlier_max: float = 0.25
    max_gap: float = 0.25
    interp: str = "pchip"
    fill_confidence: float = 0.5

    def __post_init__(self) -> None:
        check_options(self, flags=True)

    def swap_kwargs(self, size: float) -> dict[str, Any]:
        """Keyword arguments of :func:`~retarget.denoising.filters.fix_swaps` for a body of
        ``size`` (data units)."""
        return {"ratio": self.swap_ratio, "min_gain": self.swap_min_gain * size}

    def outlier_kwargs(self, fps: float, size: float) -> dict[str, Any]:
        """Keyword arguments of :func:`~retarget.denoising.filters.reject_outliers` at ``fps``
        for a body of ``size`` (data units)."""
        return {
            "window": F.seconds_to_frames(self.outlier_window, fps, odd=True, minimum=3),
            "k": self.outlier_k,
            "min_deviation": self.outlier_min * size,
            "max_deviation": self.outlier_max * size,
        }


@dataclass(frozen=True)
class NoneOptions:
    """The identity: no parameters."""


@dataclass(frozen=True)
class SavgolOptions:
    """Savitzky-Golay smoothing: zero lag, keeps polynomials of degree ``polyorder``.

    Attributes:
        window: window length in seconds, rounded to an odd number of frames (0.2 s: 7
            frames at 30 fps). Longer smooths more but flattens fast motion.
        polyorder: degree of the local polynomial.
    """

    window: float = 0.2
    polyorder: int = 2


@dataclass(frozen=True)
class GaussianOptions:
    """Gaussian smoothing: zero lag.

    Attributes:
        sigma: standard deviation of the kernel in seconds (0.03 s: about 1 frame at 30 fps).
            It flattens fast motion more than Savitzky-Golay at the same smoothing.
    """

    sigma: float = 0.03


@dataclass(frozen=True)
class OneEuroOptions:
    """The One-Euro filter (Casiez et al. 2012): causal, some lag on fast motion.

    Attributes:
        min_cutoff: cutoff at rest in Hz.
        beta: cutoff increase in Hz per body size per second of joint speed (a wrist moving
            at one body height per second gets ``min_cutoff + beta`` Hz).
        d_cutoff: cutoff of the speed estimate in Hz.

    The defaults halve the jitter of real OpenPose output with a lag of about 0.6 frames
    (``benchmarks/denoise_classical.py``).
    """

    min_cutoff: float = 1.0
    beta: float = 10.0
    d_cutoff: float = 1.0


# ------------------------------------------------------------------ cleanup
@dataclass
class CleanupReport:
    """What :func:`clean` changed: ``(T, J)`` masks ``filled`` and ``outliers``, and the
    ``(T, P)`` mask ``swapped`` over ``skeleton.symmetry`` pairs."""

    filled: np.ndarray
    outliers: np.ndarray
    swapped: np.ndarray

    def to_meta(self, seq: PoseSequence) -> dict[str, Any]:
        """JSON-serialisable summary: ``{joint: [[start, stop), ...]}`` per mask (frames)."""
        names = seq.skeleton.joints
        pairs = [f"{names[a]}/{names[b]}" for a, b in seq.skeleton.symmetry]

        def as_runs(mask: np.ndarray, labels: Sequence[str]) -> dict[str, list[list[int]]]:
            out = {labels[j]: [list(r) for r in F.runs(mask[:, j])] for j in range(mask.shape[1])}
            return {k: v for k, v in out.items() if v}

        return {
            "filled": as_runs(self.filled, names),
            "outliers": as_runs(self.outliers, names),
            "swapped": as_runs(self.swapped, pairs),
        }


def clean(
    seq: PoseSequence, options: CleanupOptions | None = None
) -> tuple[PoseSequence, CleanupReport]:
    """Undo left/right swaps, drop outliers, then fill short gaps (in that order).

    Decisions are made on ``seq.coords``; ``seq.world`` (if any) gets the same swaps, the
    same joints dropped and its gaps filled alike. Returns the cleaned sequence (filled joints
    with reduced confidence) and a :class:`CleanupReport`.
    """
    o = options or CleanupOptions()
    coords, conf = seq.coords.copy(), seq.confidence.copy()
    world = None if seq.world is None else seq.world.copy()
    T, J = conf.shape
    size = F.body_size(coords, conf)
    pairs = np.array(seq.skeleton.symmetry, dtype=int).reshape(-1, 2)
    swapped = np.zeros((T, len(pairs)), bool)
    outliers = np.zeros((T, J), bool)
    if o.fix_swaps and len(pairs):
        coords, conf, swapped = F.fix_swaps(coords, conf, seq.skeleton, **o.swap_kwargs(size))
        if world is not None:
            world, _ = F.swap_pairs(world, seq.confidence, pairs, swapped)
    if o.reject_outliers and T >= 3:
        kw = o.outlier_kwargs(seq.fps, size)
        coords, conf, outliers = F.reject_outliers(coords, conf, **kw)
    max_gap = int(round(o.max_gap * seq.fps))
    fill: dict[str, Any] = {"kind": o.interp, "confidence_scale": o.fill_confidence}
    if world is not None:
        masked = np.where(conf[..., None] > 0, world, 0.0)
        world, _, _ = F.fill_gaps(masked, conf, max_gap, **fill)
    coords, conf, filled = F.fill_gaps(coords, conf, max_gap, **fill)
    if world is not None:
        world[conf == 0] = 0.0
    out = seq.with_coords(coords, conf, world=world)
    return out, CleanupReport(filled, outliers, swapped)


# ------------------------------------------------------------------ methods
def _run_none(seq: PoseSequence, options: NoneOptions) -> PoseSequence:
    return seq.copy()


def _smooth(seq: PoseSequence, fn: Callable[[np.ndarray], np.ndarray]) -> PoseSequence:
    """Apply an array filter ``fn(coords) -> coords`` to ``coords`` and ``world``."""
    world = None if seq.world is None else fn(seq.world)
    return seq.with_coords(fn(seq.coords), world=world)


def _run_savgol(seq: PoseSequence, o: SavgolOptions) -> PoseSequence:
    w = F.seconds_to_frames(o.window, seq.fps, odd=True)
    return _smooth(seq, lambda x: F.savgol(x, seq.confidence, w, o.polyorder))


def _run_gaussian(seq: PoseSequence, o: GaussianOptions) -> PoseSequence:
    sigma = o.sigma * seq.fps
    return _smooth(seq, lambda x: F.gaussian(x, seq.confidence, sigma))


def _run_oneeuro(seq: PoseSequence, o: OneEuroOptions) -> PoseSequence:
    def fn(x: np.ndarray) -> np.ndarray:
        beta = o.beta / F.body_size(x, seq.confidence)  # Hz per (body size / s) -> per unit
        return F.one_euro(
            x,
            seq.confidence,
            seq.fps,
            min_cutoff=o.min_cutoff,
            beta=beta,
            d_cutoff=o.d_cutoff,
        )

    return _smooth(seq, fn)


@dataclass(frozen=True)
class MethodSpec:
    """A denoising method.

    Attributes:
        name: the registry key and the CLI's ``--method`` choice.
        options: the options dataclass, or ``"module:Class"`` (imported when used).
        run: ``run(seq, options) -> PoseSequence``, or ``"module:function"``; gets the
            cleaned sequence when ``cleanup`` is on and must not change its confidence.
        cleanup: whether :func:`denoise` cleans first unless told otherwise.
        summary: one line for help texts.
        fills: the method may fill joints missing in its input (it returns them with
            confidence > 0); other confidence must stay as it was.
    """

    name: str
    options: type | str
    run: Callable[..., PoseSequence] | str
    cleanup: bool = True
    summary: str = ""
    fills: bool = False

    @staticmethod
    def _resolve(obj: Any) -> Any:
        if not isinstance(obj, str):
            return obj
        module, _, attr = obj.partition(":")
        return getattr(importlib.import_module(module), attr)

    def options_class(self) -> type:
        return self._resolve(self.options)

    def runner(self) -> Callable[..., PoseSequence]:
        return self._resolve(self.run)


METHODS: dict[str, MethodSpec] = {
    "none": MethodSpec("none", NoneOptions, _run_none, cleanup=False, summary="no change"),
    "savgol": MethodSpec("savgol", SavgolOptions, _run_savgol, summary="Savitzky-Golay"),
    "gaussian": MethodSpec("gaussian", GaussianOptions, _run_gaussian, summary="Gaussian"),
    "oneeuro": MethodSpec("oneeuro", OneEuroOptions, _run_oneeuro, summary="One-Euro, causal"),
}
"""The registered methods, by name."""


def register_method(spec: MethodSpec) -> None:
    """Add (or replace) a method in :data:`METHODS`."""
    METHODS[spec.name] = spec


def get_method(name: str) -> MethodSpec:
    return look_up(
        METHODS,
        name,
        InvalidArgumentError,
        "unknown denoising method {key!r}: choose one of {known}",
    )


def make_options(method: str, **params: Any) -> Any:
    """The method's options dataclass built from keyword parameters (unknown ones rejected)."""
    cls = get_method(method).options_class()
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise InvalidArgumentError(
            f"method {method!r} has no parameter {', '.join(unknown)}; it takes "
            f"{', '.join(names) or 'none'}"
        )
    return cls(**params)


def parse_params(method: str, items: Sequence[str]) -> dict[str, Any]:
    """``["window=0.3", ...]`` as typed keyword parameters of the method's options."""
    cls = get_method(method).options_class()
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in hints:
            valid = ", ".join(hints) or "none"
            raise InvalidArgumentError(
                f"bad method parameter {item!r}: use KEY=VALUE with KEY one of {valid}"
            )
        out[key] = _convert(hints[key], value.strip(), key)
    check_options(make_options(method, **out))  # before any input is read
    return out


def _convert(tp: Any, value: str, key: str) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
    if value.lower() == "none" and type(None) in typing.get_args(tp):
        return None
    base = args[0]
    try:
        if base is bool:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        return base(value) if base in (int, float, str) else value
    except ValueError:
        what = {"float": "a number", "int": "a whole number"}.get(getattr(base, "__name__", ""))
        raise InvalidArgumentError(
            f"denoising parameter {key}={value!r}: expected {what or base}"
        ) from None


MAX_PARAM = 1e6
"""The largest value of a numeric denoising parameter (seconds, Hz, fractions, orders)."""


def check_options(options: Any, flags: bool = False) -> Any:
    """``options`` (a dataclass) unchanged when every number in it is finite and within
    [0, :data:`MAX_PARAM`]; else :class:`InvalidArgumentError` naming the field (as a
    parameter in backticks with ``flags``: ``max_gap`` is also the CLI's ``--max-gap``)."""
    if not dataclasses.is_dataclass(options):
        return options
    for f in dataclasses.fields(options):
        v = getattr(options, f.name)
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
            continue
        if not (np.isfinite(v) and 0 <= v <= MAX_PARAM):
            name = f"`{f.name}`" if flags else f"denoising parameter {f.name}"
            raise InvalidArgumentError(
                f"{name}={v!r} is not a finite number from 0 to {MAX_PARAM:g}"
            )
    return options


# ------------------------------------------------------------------ entry point
def denoise(
    seq: PoseSequence,
    method: str = DEFAULT_METHOD,
    options: Any = None,
    *,
    cleanup: CleanupOptions | bool | None = None,
    **params: Any,
) -> PoseSequence:
    """Clean and smooth a pose sequence.

    Args:
        seq: the input (2D or 3D; ``world`` is smoothed too).
        method: a name in :data:`METHODS` (``"none"``, ``"savgol"``, ``"gaussian"``,
            ``"oneeuro"``, and whatever is registered).
        options: the method's options dataclass; or give its fields as ``params``.
        cleanup: :class:`CleanupOptions`, True (defaults) or False (none); None: the method's
            own default (on, except for ``"none"``).

    Returns:
        A new sequence. Joints missing after cleanup stay missing (coordinates 0, confidence
        0); filled joints have reduced confidence. ``meta["denoise"]`` records the method,
        its options and which joints were filled, dropped as outliers or swapped (frame runs
        ``[start, stop)``).
    """
    require_pose(seq, "seq")
    spec = get_method(method)
    if options is None:
        options = make_options(method, **params)
    elif params:
        raise InvalidArgumentError("give either an options object or keyword parameters")
    check_options(options)
    if cleanup is None:
        cleanup = spec.cleanup
    cleanup_opts = check_options(CleanupOptions() if cleanup is True else cleanup or None, True)
    report = None
    if cleanup_opts is not None:
        seq, report = clean(seq, cleanup_opts)
    out = spec.runner()(seq, options)
    conf = (
        np.where(seq.confidence == 0, out.confidence, seq.confidence)
        if spec.fills
        else seq.confidence
    )
    missing = conf == 0
    coords = np.where(missing[..., None], 0.0, out.coords)
    world = None if out.world is None else np.where(missing[..., None], 0.0, out.world)
    out = out.with_coords(coords, conf, world=world)
    out.meta["denoise"] = {
        "method": method,
        "options": asdict(options) if dataclasses.is_dataclass(options) else repr(options),
        "cleanup": asdict(cleanup_opts) if cleanup_opts else None,
        **(report.to_meta(seq) if report else {}),
    }
    if report is not None:
        log.info(
            "denoise %s: filled %d joint-frames, dropped %d outliers, swapped %d pair-frames",
            method,
            report.filled.sum(),
            report.outliers.sum(),
            report.swapped.sum(),
        )
    return out


def method_names() -> list[str]:
    """Registered method names (the CLI's choices)."""
    return list(METHODS)


__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "CleanupOptions",
    "CleanupReport",
    "GaussianOptions",
    "MethodSpec",
    "NoneOptions",
    "OneEuroOptions",
    "SavgolOptions",
    "clean",
    "denoise",
    "get_method",
    "make_options",
    "method_names",
    "parse_params",
    "register_method",
]
