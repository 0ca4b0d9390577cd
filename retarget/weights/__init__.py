"""Weights shipped with the package, one folder per learned model.

Every folder has the one layout of :mod:`retarget.nn.folder`: ``config.json`` (the model's
configuration and the command that trained it), ``weights.pt`` and its normalisation
statistics. Nothing here is downloaded at run time.
"""

from __future__ import annotations

from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent
"""The folder of the shipped weights."""

RETARGETER = WEIGHTS / "transmomo_cmu"
"""The TransMoMo-style retargeting model (trained on the CMU motion capture only)."""

DENOISER = WEIGHTS / "denoiser"
"""The learned temporal denoiser."""

__all__ = ["DENOISER", "RETARGETER", "WEIGHTS"]
