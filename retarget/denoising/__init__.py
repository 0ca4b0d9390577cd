"""Temporal denoising of pose sequences: cleanup, classical filters, metrics, synthetic noise.

* :func:`denoise` (``retarget denoise``): clean a :class:`~skeleton_io.PoseSequence` (undo
  left/right swaps, drop outliers, fill short dropouts) and smooth it with a registered
  method: ``"learned"`` (the default, :mod:`.learned`), ``"none"``, ``"savgol"``,
  ``"gaussian"``, ``"oneeuro"`` (causal); more plug in through :func:`register_method`.
* :mod:`.filters`: the same steps on raw ``(T, J, D)`` arrays, in frames and data units, and
  :class:`OneEuroFilter` for streaming, one ``(x, timestamp)`` at a time.
* :mod:`.metrics`: MPJPE, acceleration error, jitter, lag; :func:`measure_noise` and
  :func:`add_noise` for detector-like synthetic noise.
"""

from .filters import (
    OneEuroFilter,
    body_size,
    fill_gaps,
    fix_swaps,
    gaussian,
    limb_groups,
    one_euro,
    reject_outliers,
    savgol,
)
from .metrics import (
    NoiseStats,
    accel_error,
    add_noise,
    jitter,
    lag,
    measure_noise,
    mpjpe,
    slow_share,
)
from .registry import (
    DEFAULT_METHOD,
    METHODS,
    CleanupOptions,
    GaussianOptions,
    MethodSpec,
    NoneOptions,
    OneEuroOptions,
    SavgolOptions,
    clean,
    denoise,
    make_options,
    method_names,
    parse_params,
    register_method,
)

register_method(
    MethodSpec(
        "learned",
        "retarget.denoising.learned:LearnedOptions",
        "retarget.denoising.learned:denoise_learned",
        summary="temporal network trained on motion capture with measured detector noise",
        fills=True,
    )
)

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "CleanupOptions",
    "GaussianOptions",
    "MethodSpec",
    "NoiseStats",
    "NoneOptions",
    "OneEuroFilter",
    "OneEuroOptions",
    "SavgolOptions",
    "accel_error",
    "add_noise",
    "body_size",
    "clean",
    "denoise",
    "fill_gaps",
    "fix_swaps",
    "gaussian",
    "jitter",
    "lag",
    "slow_share",
    "limb_groups",
    "make_options",
    "measure_noise",
    "method_names",
    "mpjpe",
    "one_euro",
    "parse_params",
    "reject_outliers",
    "register_method",
    "savgol",
]
