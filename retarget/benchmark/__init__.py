"""The retargeting benchmark: TransMoMo's protocol on motion capture, baselines, metrics.

* :mod:`.protocol`: :func:`build_test_set`, :func:`evaluate` (in-view and cross-view, clean or
  with detector noise), :func:`format_table`.
* :mod:`.baselines`: the :class:`Retargeter` protocol; ``copy``, ``limb``, ``edn`` and the
  :class:`GapFilled` wrapper.
* :mod:`.metrics`: hip-fixed MSE/MAE in body heights and pixels, bone-length error, foot
  sliding, acceleration error.
"""

from ..retargeters.analytic import (
    BASELINES,
    CopyMotion,
    GapFilled,
    GlobalNormalization,
    LimbNormalization,
    Retargeter,
    limb_normalize,
    make_baseline,
)
from .protocol import (
    NOISE_MODES,
    SETTINGS,
    Case,
    Result,
    TestSet,
    build_test_set,
    detector_noise_stats,
    evaluate,
    format_table,
)

__all__ = [
    "BASELINES",
    "NOISE_MODES",
    "SETTINGS",
    "Case",
    "CopyMotion",
    "GapFilled",
    "GlobalNormalization",
    "LimbNormalization",
    "Result",
    "Retargeter",
    "TestSet",
    "build_test_set",
    "detector_noise_stats",
    "evaluate",
    "format_table",
    "limb_normalize",
    "make_baseline",
]
