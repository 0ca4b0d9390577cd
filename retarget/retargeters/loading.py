"""The one way to get a retargeter: :func:`load_retargeter` from a name, a run folder, a
loaded one or nothing (the shipped model); :func:`check_retargeter` finds what it would
refuse without loading anything. The model's module (torch) is imported only to load one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from skeleton_io.errors import InvalidArgumentError, require_files

from ..nn.folder import CONFIG, STATS, WEIGHTS
from ..weights import RETARGETER
from .analytic import BASELINES, make_baseline
from .base import Mode, Retargeter

log = logging.getLogger("retarget.retargeters")


def is_baseline(model: Any) -> bool:
    return (
        isinstance(model, str) and model.partition("+")[0] in BASELINES and not Path(model).exists()
    )


def check_retargeter(model: Retargeter | str | Path | None) -> None:
    """What :func:`load_retargeter` would refuse, found without loading anything: a
    ``model`` that is neither a retargeter, a known name nor a complete run folder."""
    if model is None or isinstance(model, Retargeter) or is_baseline(model):
        return
    if not Path(model).is_dir():
        raise InvalidArgumentError(
            f"`model` {model} is neither a run folder nor a retargeter name "
            f"({', '.join(BASELINES)}, optionally +gapfill)"
        )
    require_files(
        Path(model), (CONFIG, WEIGHTS, STATS), "model folder", "pass a `retarget train` output"
    )


def load_retargeter(
    model: Retargeter | str | Path | None = None,
    *,
    device: str = "auto",
    mode: Mode = "fused",
    denoise: str | None = "learned",
) -> Retargeter:
    """The retargeter ``model`` names.

    Args:
        model: a retargeter (returned as it is), the name of an analytic one (``copy``,
            ``limb``, ``edn``, optionally ``+gapfill``), a trained run folder, or None: the
            shipped model, or when none is installed the ``limb`` retargeter (2D limb-length
            normalisation, which keeps the motion's view) with a warning.
        device: where a model runs (``auto``: a GPU when there is one).
        mode: the model's decoding, ``fused`` or ``network``.
        denoise: the denoising method a model applies to its inputs first (None: none, for
            inputs that come denoised).

    Raises:
        InvalidArgumentError: ``model`` is neither a retargeter, a known name nor a folder.
        ModelError: the folder is not a complete model folder.
    """
    if isinstance(model, Retargeter):
        return model
    if is_baseline(model):
        return make_baseline(str(model))
    if model is None and not (RETARGETER / "weights.pt").exists():
        log.warning("no retargeting model installed (%s); using the limb baseline", RETARGETER)
        return make_baseline("limb")
    check_retargeter(model)
    from .model import ModelRetargeter

    return ModelRetargeter.load(model, device=device, mode=mode, denoise=denoise)


__all__ = ["check_retargeter", "is_baseline", "load_retargeter"]
