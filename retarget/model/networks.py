"""TransMoMo-style networks: motion, structure and view encoders and a 3D decoder.

Tensors follow PyTorch's ``Conv1d`` layout ``(batch, channels, time)``. The input of every
encoder is a normalised 2D skeleton sequence (see :mod:`retarget.representation`):
``in_channels = 3 * joints`` (hip-local joint coordinates with the hip's velocity in the
MidHip slot, in units of the body's height, standardised by training statistics, plus one
presence channel per joint).

* motion encoder: 1D temporal convolutions that keep time (``(B, C_m, T)``);
* structure and view encoders: temporal convolutions, then max-pooling over time (one vector
  per sequence, ``(B, C_b)`` and ``(B, C_v)``);
* decoder: the three codes to a hip-local 3D skeleton sequence ``(B, T, J, 3)`` in the camera
  frame of :mod:`retarget.geometry` (x right, y down, z away from the camera) in units of
  body height. Rotation about the vertical axis and orthographic projection are in
  :mod:`retarget.model.losses`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from einops import rearrange, repeat
from torch import nn


@dataclass
class TransMoMoConfig:
    """Every constructor argument of :class:`TransMoMo` (saved beside the weights)."""

    joints: int = 15
    motion_channels: int = 64
    body_channels: int = 32
    view_channels: int = 8
    hidden: int = 64
    kernel: int = 5
    layers: int = 3

    @property
    def in_channels(self) -> int:
        return 3 * self.joints

    def to_dict(self) -> dict:
        return asdict(self)


def _conv_stack(
    c_in: int, hidden: int, c_out: int, kernel: int, layers: int, dilate: bool
) -> nn.Sequential:
    mods: list[nn.Module] = []
    c = c_in
    for i in range(layers):
        d = 2**i if dilate else 1
        mods += [
            nn.Conv1d(
                c, hidden, kernel, padding=d * (kernel // 2), dilation=d, padding_mode="replicate"
            ),
            nn.LeakyReLU(0.2),
        ]
        c = hidden
    mods.append(nn.Conv1d(c, c_out, 1))
    return nn.Sequential(*mods)


class MotionEncoder(nn.Module):
    """``(B, C_in, T) -> (B, C_m, T)``: dilated temporal convolutions, time kept."""

    def __init__(self, cfg: TransMoMoConfig) -> None:
        super().__init__()
        self.net = _conv_stack(
            cfg.in_channels, cfg.hidden, cfg.motion_channels, cfg.kernel, cfg.layers, True
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PooledEncoder(nn.Module):
    """``(B, C_in, T) -> (B, C_out)``: temporal convolutions then max-pooling over time.

    Used for both the structure (body) and the view code. Time pooling makes the code one
    vector per sequence; the triplet losses keep it the same for any crop of a sequence.
    """

    def __init__(self, cfg: TransMoMoConfig, c_out: int) -> None:
        super().__init__()
        self.net = _conv_stack(cfg.in_channels, cfg.hidden, c_out, cfg.kernel, cfg.layers, False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).amax(dim=-1)


class Decoder(nn.Module):
    """Codes to a hip-local 3D skeleton: ``(B, C_m, T), (B, C_b), (B, C_v) -> (B, T, J, 3)``."""

    def __init__(self, cfg: TransMoMoConfig) -> None:
        super().__init__()
        self.joints = cfg.joints
        c_in = cfg.motion_channels + cfg.body_channels + cfg.view_channels
        self.net = _conv_stack(c_in, cfg.hidden * 2, 3 * cfg.joints, cfg.kernel, cfg.layers, True)

    def forward(self, motion: torch.Tensor, body: torch.Tensor, view: torch.Tensor) -> torch.Tensor:
        t = motion.shape[-1]
        z = torch.cat(
            [motion, repeat(body, "b c -> b c t", t=t), repeat(view, "b c -> b c t", t=t)], dim=1
        )
        return rearrange(self.net(z), "b (j d) t -> b t j d", d=3)


class TransMoMo(nn.Module):
    """The three encoders and the decoder."""

    def __init__(self, cfg: TransMoMoConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or TransMoMoConfig()
        self.motion = MotionEncoder(self.cfg)
        self.body = PooledEncoder(self.cfg, self.cfg.body_channels)
        self.view = PooledEncoder(self.cfg, self.cfg.view_channels)
        self.decoder = Decoder(self.cfg)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(B, C_in, T)`` -> motion ``(B, C_m, T)``, body ``(B, C_b)``, view ``(B, C_v)``."""
        return self.motion(x), self.body(x), self.view(x)

    def decode(self, motion: torch.Tensor, body: torch.Tensor, view: torch.Tensor) -> torch.Tensor:
        return self.decoder(motion, body, view)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct the 3D skeleton of ``x`` from its own three codes."""
        return self.decode(*self.encode(x))
