"""The denoiser network: dilated residual temporal convolutions that weigh a bank of
Savitzky-Golay smoothers and a free correction (:class:`TemporalDenoiser`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch
from einops import rearrange
from torch import nn

from skeleton_io.errors import InvalidArgumentError
from skeleton_io.skeleton import OPENPOSE15

log = logging.getLogger(__name__)


JOINTS = OPENPOSE15.num_joints


# ------------------------------------------------------------------ network
@dataclass(frozen=True)
class DenoiserConfig:
    """Constructor arguments of :class:`TemporalDenoiser` (saved in ``config.json``).

    Attributes:
        joints: joints per frame (15, ``openpose15``).
        hidden: channels of every layer.
        kernel: temporal kernel size (odd).
        dilations: one residual block per entry, with that dilation.
        filters: the filter bank: Savitzky-Golay windows in frames (odd; polynomial order
            ``polyorder``) the network blends per joint and frame.
        polyorder: their polynomial order.
        out_scale: the free correction's unit in body heights (about the size of a
            correction).
        noise_order: the difference order of the noise-level input (:func:`noise_level`).
    """

    joints: int = JOINTS
    hidden: int = 64
    kernel: int = 3
    dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)
    filters: tuple[int, ...] = (5, 9, 15, 21, 31)
    polyorder: int = 2
    out_scale: float = 0.01
    noise_order: int = 2

    @property
    def radius(self) -> int:
        """Frames on each side an output depends on (half the receptive field)."""
        conv = (self.kernel - 1) // 2 * sum(self.dilations)
        return max(conv, *(w // 2 for w in self.filters)) if self.filters else conv

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DenoiserConfig:
        d = dict(d)
        for key in ("dilations", "filters"):
            if key in d:
                d[key] = tuple(d[key])
        return cls(**d)


class _Block(nn.Module):
    """``x + mix(act(conv_dilated(act(x))))``, replicate padding (same length out)."""

    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        pad = dilation * (kernel - 1) // 2
        self.conv = nn.Conv1d(
            channels, channels, kernel, dilation=dilation, padding=pad, padding_mode="replicate"
        )
        self.mix = nn.Conv1d(channels, channels, 1)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(self.act(self.conv(self.act(x))))


def odd_pad(x: torch.Tensor, p: int) -> torch.Tensor:
    """Extend ``(..., T)`` by ``p`` on both ends by point reflection (``2 x[0] - x[k]``), so a
    straight line continues as one; past ``T - 1`` samples, by repeating the end value."""
    T = x.shape[-1]
    q = min(p, T - 1)
    left = 2 * x[..., :1] - x[..., 1 : q + 1].flip(-1)
    right = 2 * x[..., -1:] - x[..., T - 1 - q : T - 1].flip(-1)
    out = torch.cat([left, x, right], -1)
    if q < p:
        out = torch.nn.functional.pad(out, (p - q, p - q), mode="replicate")
    return out


class TemporalDenoiser(nn.Module):
    """A learned, adaptive temporal filter.

    ``forward(feats, base)``: features ``(B, 4 J, T)`` (:func:`network_features`) and the
    positions ``base`` ``(B, T, J, 2)`` in body heights -> denoised positions, same shape::

        out = base + sum_k a_k * (S_k(base) - base) + out_scale * d

    ``S_k`` are fixed Savitzky-Golay smoothers (:attr:`DenoiserConfig.filters`, ends by point
    reflection); the weights ``a_k`` (per joint and frame, shared by x and y) and the free
    correction ``d`` come from a stack of dilated residual temporal convolutions. Its output
    layer starts at zero, so an untrained network returns ``base`` exactly.
    """

    def __init__(self, cfg: DenoiserConfig = DenoiserConfig()) -> None:  # noqa: B008 (frozen)
        super().__init__()
        from scipy.signal import savgol_coeffs

        if cfg.kernel % 2 == 0 or cfg.kernel < 1:
            raise InvalidArgumentError(f"kernel must be odd, got {cfg.kernel}")
        bad = [w for w in cfg.filters if w % 2 == 0 or w <= cfg.polyorder]
        if bad:
            raise InvalidArgumentError(
                f"filter windows must be odd and above polyorder {cfg.polyorder}, got {bad}"
            )
        self.cfg = cfg
        K = len(cfg.filters)
        self.inp = nn.Conv1d(4 * cfg.joints, cfg.hidden, 1)
        self.blocks = nn.Sequential(*(_Block(cfg.hidden, cfg.kernel, d) for d in cfg.dilations))
        self.act = nn.GELU()
        self.out = nn.Conv1d(cfg.hidden, (K + 2) * cfg.joints, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        for k, w in enumerate(cfg.filters):
            coeffs = torch.as_tensor(savgol_coeffs(w, cfg.polyorder), dtype=torch.float32)
            self.register_buffer(f"sg{k}", coeffs.flip(0).reshape(1, 1, w), persistent=False)

    def smoothed(self, base: torch.Tensor) -> torch.Tensor:
        """``(B, T, J, 2)`` -> ``(B, T, J, 2, K)``: each filter of the bank applied."""
        x = rearrange(base, "b t j c -> (b j c) 1 t")
        outs = []
        for k, w in enumerate(self.cfg.filters):
            kern = getattr(self, f"sg{k}").to(x.dtype)
            outs.append(torch.nn.functional.conv1d(odd_pad(x, w // 2), kern))
        y = torch.cat(outs, 1)  # (b j c, K, t)
        B, _, J, C = base.shape
        return rearrange(y, "(b j c) k t -> b t j c k", b=B, j=J, c=C)

    def forward(self, feats: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
        K = len(self.cfg.filters)
        h = self.blocks(self.inp(feats))
        o = rearrange(self.out(self.act(h)), "b (j c) t -> b t j c", j=self.cfg.joints)
        out = base + o[..., K:] * self.cfg.out_scale
        if K:
            gain = o[..., None, :K]  # (B, T, J, 1, K)
            out = out + ((self.smoothed(base) - base[..., None]) * gain).sum(-1)
        return out
