"""The denoiser as a model folder (:mod:`retarget.nn.folder`) and the bundle
(:class:`Denoiser`) that runs it on arrays.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skeleton_io.errors import InvalidArgumentError, ModelError

from ...nn.folder import WEIGHTS, load_state, read_folder, write_folder
from ...representation import InputStats
from ...weights import DENOISER
from .. import filters as F
from ..metrics import NoiseStats
from .features import (
    fill_for_network,
    network_features,
    sequence_scale,
)
from .network import JOINTS, DenoiserConfig, TemporalDenoiser

log = logging.getLogger(__name__)


FORMAT = "retarget-denoiser/1"
DEFAULT_MODEL = DENOISER
"""The shipped model folder."""


# ------------------------------------------------------------------ the model bundle
class Denoiser:
    """A trained network with its input statistics; call it on ``openpose15`` 2D arrays.

    Args:
        model: the network (any device; inputs follow it).
        stats: input statistics of its training data.
        config: the folder's ``config.json`` contents (for reference).
    """

    def __init__(
        self, model: TemporalDenoiser, stats: InputStats, config: dict[str, Any] | None = None
    ) -> None:
        self.model = model.eval()
        self.stats = stats
        self.config = config or {}

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def __call__(
        self,
        coords: np.ndarray,
        confidence: np.ndarray,
        max_gap: int = 30,
        fill_confidence: float = 0.25,
        chunk: int = 4096,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Denoise ``(T, 15, 2)`` positions (any units, y down) with ``(T, 15)`` confidence.

        Args:
            max_gap: interior gaps up to this many frames are filled (see
                :func:`fill_for_network`).
            chunk: frames per network pass (passes overlap by the receptive field, so the
                result does not depend on it).

        Returns:
            ``(coords, confidence)``: joints unknown after filling stay missing (0, 0).
        """
        coords, confidence = F.check_arrays(coords, confidence)
        if coords.shape[1:] != (JOINTS, 2):
            raise InvalidArgumentError(
                f"the learned denoiser takes openpose15 2D arrays (T, 15, 2), got {coords.shape}"
            )
        base, presence, conf = fill_for_network(coords, confidence, max_gap, fill_confidence)
        known = presence > 0
        if not known.any():
            return coords, confidence
        dev = self.device
        b = torch.as_tensor(base[None], dtype=torch.float32, device=dev)
        p = torch.as_tensor(presence[None], dtype=torch.float32, device=dev)
        scale = sequence_scale(b, p > 0)
        feats = network_features(b, p, scale, self.stats, self.model.cfg.noise_order)
        base_n = b / scale
        correction = (run_chunked(self.model, feats, base_n, chunk) - base_n)[0] * scale[0]
        out = base + correction.double().cpu().numpy()
        out[~known] = 0.0
        return out, conf


def run_chunked(
    model: TemporalDenoiser, feats: torch.Tensor, base: torch.Tensor, chunk: int
) -> torch.Tensor:
    """``model(feats, base)`` in passes of ``chunk`` frames that overlap by the receptive
    radius: equal to one pass over the whole sequence."""
    T = feats.shape[-1]
    r = model.cfg.radius
    if T <= chunk + 2 * r:
        return model(feats, base)
    parts = []
    for s in range(0, T, chunk):
        e = min(T, s + chunk)
        lo, hi = max(0, s - r), min(T, e + r)
        out = model(feats[..., lo:hi], base[:, lo:hi])
        parts.append(out[:, s - lo : s - lo + (e - s)])
    return torch.cat(parts, 1)


_WHAT, _HINT = "denoiser model folder", "pass a `retarget train-denoiser` output"


def save_denoiser(
    folder: str | Path,
    model: TemporalDenoiser,
    stats: InputStats,
    noise: NoiseStats | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write a model folder (:func:`retarget.nn.write_folder`); ``extra`` goes into
    ``config.json``, the detector noise it was trained on into ``noise_stats.json``."""
    files = {"noise_stats.json": noise.to_json()} if noise is not None else None
    cfg = {"format": FORMAT, "net": asdict(model.cfg), **(extra or {})}
    write_folder(folder, cfg, model.state_dict(), stats.to_dict(), files)


def load_denoiser(folder: str | Path | None = None, device: str = "auto") -> Denoiser:
    """The :class:`Denoiser` of a model folder (default: the shipped model), cached."""
    from ...device import resolve_device

    folder = Path(folder) if folder else DEFAULT_MODEL
    dev = resolve_device(device)
    weights = folder / WEIGHTS
    stamp = weights.stat().st_mtime_ns if weights.exists() else 0
    return _load(str(folder.resolve()), str(dev), stamp)


@functools.lru_cache(maxsize=4)
def _load(folder_s: str, device: str, _stamp: int) -> Denoiser:
    folder = read_folder(folder_s, FORMAT, _WHAT, _HINT)
    try:
        stats = InputStats.from_dict(folder.stats)
        model = TemporalDenoiser(DenoiserConfig.from_dict(folder.config["net"]))
    except (KeyError, TypeError, ValueError) as e:
        raise ModelError(f"{folder.path}: cannot read the {_WHAT} ({e}); {_HINT}") from None
    load_state(model, folder, _WHAT, _HINT)
    return Denoiser(model.to(device), stats, folder.config)
