"""One training step of the renderer and its held-out evaluation, for
:func:`retarget.nn.run_loop` (the application, ``retarget train-renderer``, is
:mod:`retarget.pipeline.train_renderer`).

A step takes ``batch`` square crops of ``crop`` px at the processing size: pairs of
consecutive frames (same crop for both, for the temporal loss), centred on the person
(``person_share`` of them) or anywhere, scaled by ``1 +- scale_jitter`` and mirrored with
probability ``flip`` (left and right part maps swapped), all with one bilinear resampling of
reference render, scene, part maps and real frame together (:func:`crop_grid`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from .config import RendererConfig
from .data import RenderInputs
from .features import MIRROR_PARTS
from .losses import adversarial_losses, pixel_losses
from .network import PatchDiscriminator, RendererNet


def bf16_device(device: torch.device) -> bool:
    """Whether bf16 autocast pays on ``device``: CUDA, or a CPU with AMX or AVX-512 bf16
    instructions (about twice the speed of float32 on a Xeon with AMX)."""
    if device.type == "cuda":
        return True
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    probe_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    return device.type == "cpu" and bool(
        (probe is not None and probe()) or (probe_bf16 is not None and probe_bf16())
    )


def autocast(device: torch.device, enabled: bool = True) -> Any:
    """bf16 autocast where it pays (:func:`bf16_device`; convolutions in bf16, the losses
    in float32), else nothing."""
    if enabled and bf16_device(device):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


class TrainingSet:
    """:class:`~.data.RenderInputs` with real frames as uint8 tensors on ``device``, split
    into frames to fit (``fit`` True) and held out."""

    def __init__(self, inputs: RenderInputs, fit: np.ndarray, device: torch.device) -> None:
        if inputs.real is None:
            raise ValueError("training needs the real frames")
        as_t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)  # noqa: E731
        self.ref = as_t(inputs.ref).permute(0, 3, 1, 2)
        self.real = as_t(inputs.real).permute(0, 3, 1, 2)
        self.maps = as_t(inputs.maps)
        self.plate = as_t(inputs.plate).permute(2, 0, 1)[None]
        self.boxes = inputs.boxes.astype(np.float64)
        self.fit = np.flatnonzero(fit)
        self.held = np.flatnonzero(~fit)
        nxt = np.zeros(len(fit), bool)
        nxt[:-1] = fit[:-1] & fit[1:] & (np.diff(inputs.frames) == 1)
        self.pairs = np.flatnonzero(nxt)
        self.device = device
        if len(self.fit) == 0:
            raise ValueError("no frames to fit")

    @property
    def size(self) -> tuple[int, int]:
        """``(w, h)`` of the frames."""
        return int(self.ref.shape[-1]), int(self.ref.shape[-2])


@dataclass
class Batch:
    """Crops ``(B, C, crop, crop)`` float32 in [0, 1]; ``pairs``: the first half and the
    second half are consecutive frames."""

    ref: torch.Tensor
    plate: torch.Tensor
    maps: torch.Tensor
    real: torch.Tensor
    pairs: bool


def crop_grid(
    centre: np.ndarray, window: np.ndarray, flip: np.ndarray, size: tuple[int, int], crop: int
) -> torch.Tensor:
    """``(B, crop, crop, 2)`` sampling grid (``grid_sample``'s normalised coordinates,
    ``align_corners=False``) of square windows of ``window`` px centred at ``centre``
    ``(B, 2)`` (pixels of a picture of ``size`` ``(w, h)``), mirrored where ``flip``."""
    w, h = size
    sign = np.where(flip, -1.0, 1.0)
    theta = np.zeros((len(centre), 2, 3), np.float32)
    theta[:, 0, 0] = sign * window / w
    theta[:, 1, 1] = window / h
    theta[:, 0, 2] = 2 * centre[:, 0] / w - 1
    theta[:, 1, 2] = 2 * centre[:, 1] / h - 1
    return F.affine_grid(torch.from_numpy(theta), [len(centre), 1, crop, crop], align_corners=False)


def resample(
    images: Sequence[torch.Tensor],
    centre: np.ndarray,
    window: float,
    flip: bool,
    crop: int,
    scale: float = 1.0,
) -> torch.Tensor:
    """One crop ``(C, crop, crop)`` float32 in [0, 1] of uint8 pictures ``(C_i, H, W)``
    (channels stacked): the square of ``window`` px (of the full-size frame) at ``centre``
    (its pixels), the pictures being at ``scale`` of the full size; only the pixels around
    the window are converted (bilinear, edges repeated)."""
    h, w = images[0].shape[-2:]
    c = np.asarray(centre, np.float64) * scale
    half = window * scale / 2 + 2
    x0, y0 = max(int(c[0] - half), 0), max(int(c[1] - half), 0)
    x1, y1 = min(int(np.ceil(c[0] + half)), w), min(int(np.ceil(c[1] + half)), h)
    part = torch.cat([im[:, y0:y1, x0:x1] for im in images]).float()[None] / 255
    grid = crop_grid((c - [x0, y0])[None], np.array([window * scale]), np.array([flip]),
                     (x1 - x0, y1 - y0), crop).to(part.device)  # fmt: skip
    return F.grid_sample(part, grid, mode="bilinear", padding_mode="border", align_corners=False)[0]


def sample_batch(data: TrainingSet, config: RendererConfig, rng: np.random.Generator) -> Batch:
    """A training batch (see the module docstring)."""
    pairs = config.weight_temporal > 0 and len(data.pairs) > 0
    n = config.batch // 2 if pairs else config.batch
    first = rng.choice(data.pairs if pairs else data.fit, size=n)
    idx = np.concatenate([first, first + 1]) if pairs else first
    w, h = data.size
    window = config.crop * (1 + rng.uniform(-config.scale_jitter, config.scale_jitter, n))
    window = np.minimum(window, min(w, h))
    box = data.boxes[first]
    if pairs:
        nb = data.boxes[first + 1]
        box = np.concatenate(
            [np.minimum(box[:, :2], nb[:, :2]), np.maximum(box[:, 2:], nb[:, 2:])], 1
        )
    on_person = rng.random(n) < config.person_share
    lo = np.where(on_person[:, None], box[:, :2], 0.0)
    hi = np.where(on_person[:, None], box[:, 2:], [w, h])
    centre = lo + rng.random((n, 2)) * (hi - lo)
    half = window[:, None] / 2
    centre = np.clip(centre, half, np.array([w, h]) - half)
    flip = rng.random(n) < config.flip
    if pairs:
        centre, window, flip = (np.concatenate([a, a]) for a in (centre, window, flip))
    map_scale = data.maps.shape[-1] / w
    images, maps = [], []
    for k, i in enumerate(idx):
        stack = (data.ref[i], data.real[i], data.plate[0])
        images.append(resample(stack, centre[k], window[k], flip[k], config.crop))
        m = resample((data.maps[i],), centre[k], window[k], flip[k], config.crop, map_scale)
        maps.append(m[list(MIRROR_PARTS)] if flip[k] else m)
    im = torch.stack(images)
    return Batch(im[:, :3], im[:, 6:9], torch.stack(maps), im[:, 3:6], pairs)


class RendererTrainer:
    """The network, its optimiser (and discriminator) and a step over a :class:`TrainingSet`.

    ``step`` and ``validate`` are :func:`retarget.nn.run_loop`'s ``step_fn`` and
    ``validate``; ``state``/``load`` hold what a checkpoint needs to resume.
    """

    def __init__(
        self, net: RendererNet, data: TrainingSet, config: RendererConfig, seed: int
    ) -> None:
        self.net, self.data, self.config = net, data, config
        self.device = data.device
        self.rng = np.random.default_rng(seed)
        betas = (0.5, 0.999) if config.weight_adv > 0 else (0.9, 0.999)
        self.optimizer = torch.optim.Adam(net.parameters(), lr=config.lr, betas=betas)
        self.disc: PatchDiscriminator | None = None
        if config.weight_adv > 0:
            self.disc = PatchDiscriminator(config).to(self.device)
            self.d_optimizer = torch.optim.Adam(
                self.disc.parameters(), lr=config.lr, betas=(0.5, 0.999)
            )
        if config.channels_last and config.bf16 and bf16_device(self.device):
            self.net.to(memory_format=torch.channels_last)

    def step(self, _: int) -> dict[str, float]:
        """One optimiser step; the losses as floats."""
        b = sample_batch(self.data, self.config, self.rng)
        self.net.train()
        with autocast(self.device, self.config.bf16):
            out = self.net(b.ref, b.plate, b.maps)
        parts = pixel_losses(out.float(), b.real, self.config, b.pairs)
        total = parts["total"]
        if self.disc is not None:
            for g in self.d_optimizer.param_groups:
                g["lr"] = self.optimizer.param_groups[0]["lr"]
            self.disc.requires_grad_(False)
            gen, _ = adversarial_losses(self.disc, out.float(), b.real, b.maps, generator_only=True)
            total = total + self.config.weight_adv * gen
            parts["adv"] = gen
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
        self.optimizer.step()
        if self.disc is not None:
            self.disc.requires_grad_(True)
            _, d_loss = adversarial_losses(self.disc, out.detach().float(), b.real, b.maps)
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            self.d_optimizer.step()
            parts["disc"] = d_loss
        return {k: float(v.detach()) for k, v in parts.items() if k != "total"}

    @torch.no_grad()
    def validate(self) -> float:
        """Mean L1 (RGB in [0, 1]) of the output against the real frames over the held-out
        frames, whole frames; ``inf`` without any."""
        if len(self.data.held) == 0:
            return math.inf
        self.net.eval()
        total = 0.0
        for chunk in np.array_split(self.data.held, math.ceil(len(self.data.held) / 4)):
            ix = torch.from_numpy(chunk).to(self.device)
            out = render_batch(self.net, self.data.ref[ix], self.data.plate, self.data.maps[ix])
            total += float((out - self.data.real[ix].float() / 255).abs().mean()) * len(chunk)
        return total / len(self.data.held)

    def state(self) -> dict[str, Any]:
        """Weights, optimiser state and the random generator, for a checkpoint."""
        st = {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
              "rng": self.rng.bit_generator.state}  # fmt: skip
        if self.disc is not None:
            st["disc"], st["d_optimizer"] = self.disc.state_dict(), self.d_optimizer.state_dict()
        return st

    def load(self, state: dict[str, Any]) -> None:
        """Back to a :meth:`state`."""
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        if self.disc is not None and "disc" in state:
            self.disc.load_state_dict(state["disc"])
            self.d_optimizer.load_state_dict(state["d_optimizer"])


def render_batch(
    net: RendererNet, ref: torch.Tensor, plate: torch.Tensor, maps: torch.Tensor
) -> torch.Tensor:
    """The network's pictures ``(N, 3, H, W)`` float32 in [0, 1] for uint8 (or [0, 1] float)
    reference renders ``(N, 3, H, W)``, scene ``(1 or N, 3, H, W)`` and part maps; eval
    mode, bf16 where it pays (``config.bf16``)."""
    as_f = lambda t: t.float() / 255 if t.dtype == torch.uint8 else t.float()  # noqa: E731
    ref_f, plate_f, maps_f = as_f(ref), as_f(plate).expand(len(ref), -1, -1, -1), as_f(maps)
    fast = net.config.bf16 and bf16_device(ref_f.device)
    if net.config.channels_last and fast:
        ref_f = ref_f.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), autocast(ref_f.device, net.config.bf16):
        return net.eval()(ref_f, plate_f, maps_f).float().clamp(0, 1)


__all__ = [
    "Batch",
    "RendererTrainer",
    "TrainingSet",
    "autocast",
    "bf16_device",
    "crop_grid",
    "render_batch",
    "resample",
    "sample_batch",
]
