"""The renderer's training losses; none needs downloaded weights.

Images ``(N, 3, H, W)`` in [0, 1]. A batch of pairs holds the earlier frames of the pairs in
its first half and the later ones, in the same order, in its second half.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .config import RendererConfig


def multiscale_l1(out: torch.Tensor, real: torch.Tensor, levels: int = 3) -> torch.Tensor:
    """Mean L1 of the two averaged over 2, 4, ... ``2 ** levels`` px blocks (colour and
    shading in the large, unforgiving of a shifted texture in the small)."""
    total = out.new_zeros(())
    for _ in range(levels):
        out, real = F.avg_pool2d(out, 2), F.avg_pool2d(real, 2)
        total = total + (out - real).abs().mean()
    return total / levels


def gradient_l1(out: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean L1 between the horizontal and vertical pixel differences of the two (edges)."""
    dx = (out.diff(dim=-1) - real.diff(dim=-1)).abs().mean()
    dy = (out.diff(dim=-2) - real.diff(dim=-2)).abs().mean()
    return 0.5 * (dx + dy)


def temporal_l1(out: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Flow-free temporal loss of a batch of pairs: mean L1 between the change from each
    pair's first frame to its second in the output and in the real frames (flicker the
    real video does not have costs as much as a wrong colour)."""
    n = out.shape[0] // 2
    return ((out[n:] - out[:n]) - (real[n:] - real[:n])).abs().mean()


def pixel_losses(
    out: torch.Tensor, real: torch.Tensor, config: RendererConfig, pairs: bool
) -> dict[str, torch.Tensor]:
    """``{"l1", "ms", "grad", "temporal", "total"}`` (the total weighted by ``config``;
    ``temporal`` only for a batch of pairs)."""
    parts = {
        "l1": (out - real).abs().mean(),
        "ms": multiscale_l1(out, real),
        "grad": gradient_l1(out, real),
    }
    total = parts["l1"] + config.weight_ms * parts["ms"] + config.weight_grad * parts["grad"]
    if pairs and config.weight_temporal > 0:
        parts["temporal"] = temporal_l1(out, real)
        total = total + config.weight_temporal * parts["temporal"]
    parts["total"] = total
    return parts


def adversarial_losses(
    disc: torch.nn.Module,
    out: torch.Tensor,
    real: torch.Tensor,
    maps: torch.Tensor,
    generator_only: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares GAN losses ``(generator, discriminator)`` of a patch discriminator
    conditioned on the part maps (the discriminator's is 0 with ``generator_only``; pass
    ``out`` detached for the discriminator's step)."""
    fake = disc(out, maps)
    gen = ((fake - 1) ** 2).mean()
    if generator_only:
        return gen, gen.new_zeros(())
    d_real = disc(real, maps)
    return gen, 0.5 * ((d_real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


__all__ = ["adversarial_losses", "gradient_l1", "multiscale_l1", "pixel_losses", "temporal_l1"]
