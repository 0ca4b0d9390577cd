"""The renderer network (:class:`RendererNet`, a U-Net at the processing size) and the
optional patch discriminator (:class:`PatchDiscriminator`).

Tensors: images ``(N, 3, H, W)`` RGB in [0, 1], rows top to bottom (y down); part maps
``(N, P, h, w)`` in [0, 1] at any size (scaled to ``H x W`` inside, bilinear).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .config import RendererConfig


def _block(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride, 1),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(c_out, c_out, 3, 1, 1),
        nn.LeakyReLU(0.2, inplace=True),
    )


def _upsample(x: torch.Tensor, size: torch.Size) -> torch.Tensor:
    """Bilinear to ``size`` (``align_corners=False``). In training, the gradient it gets back
    is a channel slice of the concatenation's (strided, not channels-last), on which
    ``upsample_bilinear2d``'s CPU backward is about three times slower: a hook hands it on
    dense, in the output's layout (a training step of size ``S`` in bf16: 172 -> 123 ms on
    one thread, 91 -> 66 ms on two; the same numbers)."""
    y = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    if y.requires_grad:
        last = y.dim() == 4 and y.is_contiguous(memory_format=torch.channels_last)
        layout = torch.channels_last if last else torch.contiguous_format
        y.register_hook(lambda grad: grad.contiguous(memory_format=layout))
    return y


def compose(ref: torch.Tensor, head: torch.Tensor) -> torch.Tensor:
    """The picture from the reference render and the network's 7 head channels: a blend
    mask ``m`` (channel 3, clamped to [0, 1]) between the reference and the network's own
    colours ``c`` (channels 4-6, sigmoid), plus a residual ``r`` (channels 0-2, tanh):
    ``ref + m * (c - ref) + r``. A head of zeros gives ``ref`` exactly. Not clamped."""
    r = torch.tanh(head[:, 0:3])
    m = head[:, 3:4].clamp(0.0, 1.0)
    c = torch.sigmoid(head[:, 4:7])
    return ref + m * (c - ref) + r


class RendererNet(nn.Module):
    """A U-Net that renders the person at the processing size from the reference render,
    the scene without the person and the target's part maps (see :func:`compose` for its
    output). Level 0 runs at the input's own size; any ``H, W`` (padded inside to a multiple
    of ``config.stride``, replicate). The head starts at zero: untrained, it returns the
    reference render."""

    def __init__(self, config: RendererConfig) -> None:
        super().__init__()
        self.config = config
        widths = tuple(config.widths)
        self.down = nn.ModuleList()
        c = config.in_channels
        for i, w in enumerate(widths):
            self.down.append(_block(c, w, 1 if i == 0 else 2))
            c = w
        self.up = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.up.append(_block(c + w, w, 1))
            c = w
        self.head = nn.Conv2d(c, 7, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.stride = config.stride

    def features(self, ref: torch.Tensor, plate: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        """The network's input ``(N, 6 + P, H, W)``: images centred to [-1, 1], maps scaled
        to the images' size."""
        if maps.shape[-2:] != ref.shape[-2:]:
            maps = F.interpolate(maps, size=ref.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([ref * 2 - 1, plate * 2 - 1, maps], dim=1)

    def forward(self, ref: torch.Tensor, plate: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        x = self.features(ref, plate, maps)
        h, w = x.shape[-2:]
        ph, pw = (-h) % self.stride, (-w) % self.stride
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        for block, skip in zip(self.up, reversed(skips[:-1])):
            x = block(torch.cat([_upsample(x, skip.shape[-2:]), skip], dim=1))
        head = self.head(x)[..., :h, :w]
        return compose(ref, head.float())


class PatchDiscriminator(nn.Module):
    """pix2pix's patch discriminator: ``(image, part maps)`` -> a map of real/fake logits,
    one per overlapping patch (about 46 px with three levels); any size of 8 px or more."""

    def __init__(self, config: RendererConfig, width: int = 32, levels: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3 + config.parts
        for i in range(levels):
            w = width * 2**i
            layers += [nn.Conv2d(c, w, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
            c = w
        layers += [
            nn.Conv2d(c, c, 3, 1, 1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(c, 1, 3, 1, 1),
        ]
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        if maps.shape[-2:] != image.shape[-2:]:
            maps = F.interpolate(maps, size=image.shape[-2:], mode="bilinear", align_corners=False)
        return self.net(torch.cat([image * 2 - 1, maps], dim=1))


def build_net(config: RendererConfig) -> RendererNet:
    """A :class:`RendererNet` for ``config`` (seed torch first for reproducible weights)."""
    return RendererNet(config)


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


__all__ = ["PatchDiscriminator", "RendererNet", "build_net", "compose", "parameter_count"]
