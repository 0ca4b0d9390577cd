"""Retargeters: the motion of one 2D sequence on the body of another, in a chosen view.

* :mod:`.base`: the :class:`Retargeter` contract (what goes in, what comes out).
* :mod:`.analytic`: ``copy``, ``limb`` (2D limb-length normalisation), ``edn`` (global
  normalisation) and the gap-filling wrapper; no model needed.
* :mod:`.model`: :class:`~.model.ModelRetargeter`, the TransMoMo-style model as a retargeter,
  imported (with torch) when it is first used.
* :mod:`.transfer`: :func:`~.transfer.transfer`, :func:`~.transfer.lift_3d` (no torch until a
  model is loaded).

:func:`load_retargeter` is the one way to get a retargeter from a name, a run folder, a
loaded one or nothing (the shipped model).
"""

from __future__ import annotations

from typing import Any

from .analytic import (
    BASELINES,
    CopyMotion,
    GapFilled,
    GlobalNormalization,
    LimbNormalization,
    limb_normalize,
    make_baseline,
)
from .base import MODES, Mode, Retargeter
from .loading import check_retargeter, load_retargeter
from .transfer import lift_3d, resolve_view, transfer

_LAZY = {"ModelRetargeter", "fuse"}


def __getattr__(name: str) -> Any:
    # The model's module imports torch: only when it is first used.
    if name in _LAZY:
        from . import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BASELINES",
    "MODES",
    "CopyMotion",
    "check_retargeter",
    "GapFilled",
    "GlobalNormalization",
    "LimbNormalization",
    "Mode",
    "ModelRetargeter",
    "Retargeter",
    "fuse",
    "lift_3d",
    "limb_normalize",
    "load_retargeter",
    "make_baseline",
    "resolve_view",
    "transfer",
]
