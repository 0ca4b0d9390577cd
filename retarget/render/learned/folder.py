"""The learned renderer as a model folder (:mod:`retarget.nn.folder`): ``config.json``
(format :data:`FORMAT`, the network's :class:`~.config.RendererConfig` under ``net``, the
training settings, frames, command and losses under ``training``), ``weights.pt``,
``background.png`` (the scene without the person at the processing size) and, for
``retarget train-renderer --resume``, ``state.pt`` (optimiser, step, random state).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skeleton_io.atomic import atomic_file
from skeleton_io.errors import ModelError

from ...nn.folder import CONFIG, WEIGHTS, load_state, read_folder, write_folder
from .config import RendererConfig
from .network import RendererNet, build_net

FORMAT = "retarget-renderer/2"
PLATE = "background.png"
STATE = "state.pt"
OWN_FILES = (CONFIG, WEIGHTS, PLATE, STATE)
"""The files of a model folder (anything else in an output folder is the user's)."""
WHAT = "learned renderer model folder"
HINT = "train one with `retarget train-renderer VIDEO -o DIR`"


@dataclass
class RendererModel:
    """A loaded model folder: the network (eval mode, on its device), its configuration,
    the whole ``config.json`` and the scene ``(H, W, 3)`` uint8 (None without one)."""

    net: RendererNet
    config: RendererConfig
    meta: dict[str, Any]
    plate: np.ndarray | None

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device


def save_renderer(
    folder: str | Path,
    net: RendererNet,
    plate: np.ndarray,
    training: dict[str, Any],
    state: dict[str, Any] | None = None,
) -> Path:
    """Write (or update) a model folder, each file atomically; ``state``: a resumable
    training state (``state.pt``)."""
    import cv2

    folder = write_folder(
        folder, {"format": FORMAT, "net": net.config.to_dict(), "training": training},
        net.state_dict(),
    )  # fmt: skip
    with atomic_file(folder / PLATE) as tmp:
        if not cv2.imwrite(str(tmp), np.ascontiguousarray(plate[..., ::-1])):
            raise OSError(f"{folder / PLATE}: cannot write the scene")
    if state is not None:
        with atomic_file(folder / STATE) as tmp:
            torch.save(state, tmp)
    return folder


def load_renderer(folder: str | Path, device: str = "auto") -> RendererModel:
    """The :class:`RendererModel` of a model folder.

    Raises:
        ModelError: not a renderer's folder, an older renderer's, or weights that do not fit.
    """
    import cv2

    from ...device import resolve_device

    found = read_folder(folder, FORMAT, WHAT, HINT + " (models of older versions: retrain)",
                        stats=False)  # fmt: skip
    try:
        config = RendererConfig.from_dict(found.config["net"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelError(f"{found.path / CONFIG}: cannot read the {WHAT} ({e}); {HINT}") from None
    net = load_state(build_net(config), found, WHAT, HINT)
    plate = None
    if (found.path / PLATE).exists():
        bgr = cv2.imread(str(found.path / PLATE), cv2.IMREAD_COLOR)
        if bgr is None:
            raise ModelError(f"{found.path / PLATE}: cannot read the scene; {HINT}")
        plate = np.ascontiguousarray(bgr[..., ::-1])
    from .training import bf16_device

    dev = resolve_device(device)
    net = net.to(dev).eval()
    if config.channels_last and config.bf16 and bf16_device(dev):
        net = net.to(memory_format=torch.channels_last)
    return RendererModel(net, config, found.config, plate)


def load_training_state(folder: str | Path) -> dict[str, Any]:
    """The ``state.pt`` of a model folder (for resuming)."""
    path = Path(folder) / STATE
    if not path.exists():
        raise ModelError(f"{folder}: nothing to resume (no {STATE}); drop `resume`")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError) as e:
        raise ModelError(f"{path}: cannot read the training state ({e}); drop `resume`") from None


__all__ = [
    "FORMAT",
    "OWN_FILES",
    "PLATE",
    "STATE",
    "RendererModel",
    "load_renderer",
    "load_training_state",
    "save_renderer",
]
