"""The TransMoMo-style retargeting model: networks, losses, training, inference."""

from __future__ import annotations

from pathlib import Path


def load_retargeter(run_dir: str | Path | None = None, device: str = "auto", mode: str = "fused"):
    """A :class:`~retarget.model.retargeter.ModelRetargeter` from a run folder (default: shipped)."""
    from .retargeter import ModelRetargeter

    return ModelRetargeter.load(run_dir, device=device, mode=mode)


__all__ = ["load_retargeter"]
