"""The learned renderer: a compact network, trained per person, that refines the reference
render (Everybody Dance Now / Dance Dance Generation style, made small enough for a CPU).

For each frame the reference backend (:mod:`.reference`) makes its part-warped picture;
the network (:class:`RefineNet`, a small U-Net) looks at that picture and at the target
skeleton as soft part maps (:func:`part_maps`) and predicts a *correction* of the picture,
at a low resolution (long side ``side``, default 128 px). The correction is scaled up and
added to the full-size reference render, so fine detail comes from the warp and the network
fixes what the warp gets wrong for this person and scene: the background where the person
stood in the source frame (the real scene shows through in other frames), shading and
clothes that move with the pose, the hidden side of the body. Its last layer starts at zero:
an untrained network gives the reference render. Behind the person it puts the scene as
the training video shows it (:func:`clean_plate`: a static camera is assumed; where the
person never leaves a spot, the source's inpainted scene), instead of the inpainted one.

Training (:func:`retarget.pipeline.train_renderer.train_renderer`, ``retarget train-renderer VIDEO -o DIR``): the source is
the video's frame ``A`` of ``--frames A:B``, the targets are the video's own poses in frames
A to B (found, denoised and retargeted exactly as ``retarget video`` does), the network
learns to turn their reference renders into the real frames (L1 loss, random crops), for
``--minutes`` of wall time. The last :data:`VAL_FRACTION` of the frames are held out and the
weights that render them best are kept (early stopping: a longer budget cannot overfit). A model folder holds ``weights.pt`` and ``config.json`` (every
constructor argument, the reference renderer's settings, the training frames and command,
losses on the training frames) and ``background.npy`` (the clean plate, processing size).

Use: ``retarget video SRC DRIVING --backend learned --renderer-model DIR``. The model knows
one person in one scene: use it with sources of that person (frames of the training video).
Device: a GPU when present (``device="auto"``), else the CPU.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.errors import InvalidArgumentError, ModelError, require_files
from skeleton_io.pose import PoseSequence

from .base import SourceAppearance, as_body15, fit_to_image
from .parts import PARTS, J, part_joints, part_shapes, polygon_distance_xy, segment_distance_xy

log = logging.getLogger(__name__)

FORMAT = "retarget-learned-renderer/1"


@dataclass
class NetConfig:
    """Constructor arguments of :class:`RefineNet` and how it sees frames.

    Attributes:
        widths: channels per U-Net level (each level halves the size).
        side: long side in pixels at which the network runs.
        max_side: processing size of the frames it was trained on.
        reference: settings of the reference renderer it refines.
    """

    widths: tuple[int, ...] = (16, 32, 64, 96)
    side: int = 128
    max_side: int = 512
    reference: dict[str, Any] = field(default_factory=dict)

    @property
    def in_channels(self) -> int:
        return 3 + len(PARTS)


def _torch() -> Any:
    import torch

    return torch


def build_net(config: NetConfig) -> Any:
    """A :class:`RefineNet` for ``config`` (torch imported here)."""
    torch = _torch()
    nn = torch.nn

    class RefineNet(nn.Module):
        """A small U-Net: ``(N, 3 + P, H, W)`` (reference render in [0, 1] and part maps)
        -> ``(N, 3, H, W)`` correction in [-1, 1]; any H, W (padded to a multiple of the
        total stride inside)."""

        def __init__(self, in_channels: int, widths: tuple[int, ...]) -> None:
            super().__init__()
            self.down = nn.ModuleList()
            c = in_channels
            for i, w in enumerate(widths):
                stride = 1 if i == 0 else 2
                self.down.append(
                    nn.Sequential(
                        nn.Conv2d(c, w, 3, stride, 1),
                        nn.LeakyReLU(0.2, inplace=True),
                        nn.Conv2d(w, w, 3, 1, 1),
                        nn.LeakyReLU(0.2, inplace=True),
                    )
                )
                c = w
            self.up = nn.ModuleList()
            for w in reversed(widths[:-1]):
                self.up.append(
                    nn.Sequential(
                        nn.Conv2d(c + w, w, 3, 1, 1),
                        nn.LeakyReLU(0.2, inplace=True),
                        nn.Conv2d(w, w, 3, 1, 1),
                        nn.LeakyReLU(0.2, inplace=True),
                    )
                )
                c = w
            self.head = nn.Conv2d(c, 3, 1)
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)
            self.stride = 2 ** (len(widths) - 1)

        def forward(self, x: Any) -> Any:
            f = torch.nn.functional
            h, w = x.shape[-2:]
            ph, pw = (-h) % self.stride, (-w) % self.stride
            if ph or pw:
                x = f.pad(x, (0, pw, 0, ph), mode="replicate")
            skips = []
            for block in self.down:
                x = block(x)
                skips.append(x)
            for block, skip in zip(self.up, reversed(skips[:-1])):
                x = f.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
                x = block(torch.cat([x, skip], dim=1))
            return torch.tanh(self.head(x))[..., :h, :w]

    return RefineNet(config.in_channels, tuple(config.widths))


# ---------------------------------------------------------------------------- inputs
def net_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``(w, h)`` of a frame of ``size`` scaled so its long side is ``side``."""
    s = side / max(size)
    return max(8, round(size[0] * s)), max(8, round(size[1] * s))


def part_maps(
    joints: np.ndarray, present: np.ndarray, radii: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """``(P, h, w)`` float32 soft maps of the target's parts on a canvas of ``size``
    ``(w, h)``: 1 on a part's bone falling to 0 at its radius (torso: 1 inside its polygon);
    0 for parts with a joint missing. ``joints`` ``(15, 2)`` and ``radii`` ``(P,)`` are in
    pixels of that canvas."""
    w, h = size
    x = np.arange(w, dtype=np.float32)[None, :] + np.float32(0.5)
    y = np.arange(h, dtype=np.float32)[:, None] + np.float32(0.5)
    out = np.zeros((len(PARTS), h, w), np.float32)
    shapes = part_shapes(joints, radii)
    for i, (spec, shape) in enumerate(zip(PARTS, shapes)):
        if not present[[J[n] for n in part_joints(spec)]].all():
            continue
        r = np.float32(max(shape.radius, 1.0))
        if shape.polygon is not None and len(shape.polygon) >= 3:
            d = polygon_distance_xy(x, y, shape.polygon)
        else:
            d = segment_distance_xy(x, y, shape.a, shape.b)
        out[i] = np.clip(1.0 - d / r, 0.0, 1.0)
    return out


def net_input(
    frame: np.ndarray,
    joints: np.ndarray,
    present: np.ndarray,
    radii: np.ndarray,
    side: int,
) -> np.ndarray:
    """``(3 + P, h, w)`` float32 network input for one reference frame (full size) and its
    target joints (pixels of the frame)."""
    import cv2

    size = (frame.shape[1], frame.shape[0])
    small = net_size(size, side)
    s = small[0] / size[0]
    img = cv2.resize(frame, small, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    maps = part_maps(joints * s, present, radii * s, small)
    return np.concatenate([img.transpose(2, 0, 1), maps], axis=0)


# -------------------------------------------------------------------------- renderer
def load_model(model_dir: str | Path, device: str = "auto") -> tuple[Any, NetConfig, dict]:
    """``(network, config, saved metadata)`` of a model folder."""
    from ..device import resolve_device

    torch = _torch()
    d = Path(model_dir)
    require_files(
        d, ("config.json", "weights.pt"), "learned renderer model",
        "train one with `retarget train-renderer VIDEO -o DIR`",
    )  # fmt: skip
    try:
        meta = json.loads((d / "config.json").read_text())
        if meta.get("format") != FORMAT:
            raise ModelError(f"{d}: config.json is not a learned renderer's ({meta.get('format')})")
        net_cfg = meta["net"]
        config = NetConfig(
            widths=tuple(net_cfg["widths"]),
            side=int(net_cfg["side"]),
            max_side=int(net_cfg["max_side"]),
            reference=dict(net_cfg.get("reference", {})),
        )
        dev = resolve_device(device)
        net = build_net(config).to(dev)
        net.load_state_dict(torch.load(d / "weights.pt", map_location=dev, weights_only=True))
    except (json.JSONDecodeError, KeyError, TypeError, RuntimeError, EOFError) as e:
        raise ModelError(
            f"{d}: cannot load the renderer model ({str(e).splitlines()[0]})"
        ) from None
    return net.eval(), config, meta


class LearnedRenderer:
    """The learned backend (see the module docstring). Registered as ``learned``.

    Args:
        model: a model folder of ``retarget train-renderer``.
        device: ``auto`` (a GPU when present), ``cpu`` or ``cuda``.
        batch: frames refined at once.
    """

    name = "learned"
    device_needs = "any"

    def __init__(
        self, *, model: str | Path | None = None, device: str = "auto", batch: int = 8
    ) -> None:
        if model is None:
            raise InvalidArgumentError(
                "the learned renderer needs a model folder (`renderer_model`; train one with "
                "`retarget train-renderer VIDEO -o DIR`)"
            )
        from .reference import PartWarpRenderer

        self.net, self.config, self.meta = load_model(model, device)
        self.device = next(self.net.parameters()).device
        plate = Path(model) / "background.npy"
        self.plate = np.load(plate) if plate.exists() else None
        self.batch = max(1, int(batch))
        self.reference = PartWarpRenderer(**self.config.reference)

    def render(self, source: SourceAppearance, target: PoseSequence) -> Iterator[np.ndarray]:
        """Yield one refined frame per target frame (see :class:`~.base.Renderer`)."""
        if source.background is None and self.plate is not None:
            if self.plate.shape == source.image.shape:
                source = SourceAppearance(
                    source.image, source.pose, source.mask, self.plate, dict(source.meta)
                )
            else:
                log.warning(
                    "the model's scene is %dx%d, the source's %dx%d: using the source's scene",
                    self.plate.shape[1],
                    self.plate.shape[0],
                    *source.size,
                )
        prep = self.reference.prepare(source)
        tgt = fit_to_image(as_body15(target), source.size)
        radii = prep.radii * self.reference.scale_for(prep, tgt)
        pending: list[tuple[np.ndarray, np.ndarray]] = []
        frames = self.reference.render(source, tgt)
        for t, frame in enumerate(frames):
            x = net_input(frame, tgt.coords[t], tgt.confidence[t] > 0, radii, self.config.side)
            pending.append((frame, x))
            if len(pending) == self.batch:
                yield from self._refine(pending)
                pending = []
        if pending:
            yield from self._refine(pending)

    def _refine(self, items: list[tuple[np.ndarray, np.ndarray]]) -> Iterator[np.ndarray]:
        import cv2

        torch = _torch()
        x = torch.from_numpy(np.stack([i[1] for i in items])).to(self.device)
        with torch.no_grad():
            corr = self.net(x).float().cpu().numpy()
        for (frame, _), c in zip(items, corr):
            size = (frame.shape[1], frame.shape[0])
            up = cv2.resize(c.transpose(1, 2, 0), size, interpolation=cv2.INTER_LINEAR)
            out = frame.astype(np.float32) + 255.0 * up
            yield np.clip(out + 0.5, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- training
def person_alpha(
    renderer: Any, source: SourceAppearance, target: PoseSequence
) -> Iterator[np.ndarray]:
    """``(H, W)`` float32 coverage of the rendered person in each target frame (rendered
    over black and over white: alpha = 1 - (white - black) / 255)."""
    size = source.image.shape
    black = SourceAppearance(source.image, source.pose, source.mask, np.zeros(size, np.uint8))
    white = SourceAppearance(source.image, source.pose, source.mask, np.full(size, 255, np.uint8))
    for fb, fw in zip(renderer.render(black, target), renderer.render(white, target)):
        diff = fw.astype(np.float32) - fb.astype(np.float32)
        yield 1.0 - diff.mean(axis=-1) / 255.0


def clean_plate(
    frames: list[np.ndarray],
    renderer: Any,
    source: SourceAppearance,
    target: PoseSequence,
    fallback: np.ndarray,
    min_share: float = 0.25,
) -> np.ndarray:
    """The scene without the person, from a video of a static camera: per pixel, the median
    of the frames in which the (rendered) person does not cover it, grown by a margin; where
    fewer than ``min_share`` of the frames show it, ``fallback`` (the source's scene with the
    person inpainted). uint8 ``(H, W, 3)``."""
    import cv2

    stack = np.stack(frames).astype(np.float32)
    free = []
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
    for alpha in person_alpha(renderer, source, target):
        free.append(cv2.dilate((alpha > 0.05).astype(np.uint8), k) == 0)
    free_arr = np.stack(free)
    masked = np.where(free_arr[..., None], stack, np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(masked, axis=0)
    enough = free_arr.mean(axis=0) >= min_share
    plate = np.where(enough[..., None], med, fallback.astype(np.float32))
    return np.clip(np.round(np.nan_to_num(plate)), 0, 255).astype(np.uint8)


VAL_FRACTION = 0.15

__all__ = [
    "FORMAT",
    "VAL_FRACTION",
    "LearnedRenderer",
    "NetConfig",
    "build_net",
    "clean_plate",
    "load_model",
    "net_input",
    "net_size",
    "part_maps",
    "person_alpha",
]
