"""Device selection: ``auto`` takes CUDA when there is one, else the CPU."""

from __future__ import annotations

from skeleton_io.errors import InvalidArgumentError

DEVICES = ("auto", "cpu", "cuda")
"""What ``device`` arguments take (``cuda:N`` names one GPU of several)."""


def resolve_device(device: str = "auto"):
    """A ``torch.device`` for ``auto``, ``cpu``, ``cuda`` or ``cuda:N``."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidArgumentError(f"`device` {device}: no CUDA device here; use cpu or auto")
    if device != "cpu" and not device.startswith("cuda"):
        raise InvalidArgumentError(f"`device` {device}: choose {', '.join(DEVICES)}")
    return torch.device(device)
