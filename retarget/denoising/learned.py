"""The learned temporal denoiser (``--method learned``): network, training, inference.

A fully convolutional stack of dilated 1D convolutions over time (GFLA's temporal
convolutions, SmoothNet's residual idea) sees a whole 2D ``openpose15`` sequence and predicts
a **correction** to its gap-filled input; the last layer starts at zero, so an untrained
network returns its input exactly. Being fully convolutional it takes any length without
windows or seams (long inputs run in chunks that overlap by the receptive field, with the
same result).

What the network sees (:func:`network_features`), for ``base`` ``(B, T, 15, 2)`` (camera
frame / pixels: x right, y down) and a presence code per joint ``(B, T, 15)``:

* ``base`` is the input after :func:`~retarget.denoising.clean` (swaps undone, outliers
  dropped, short gaps interpolated) and :func:`fill_for_network` (interior gaps up to
  ``max_fill`` seconds interpolated linearly; the network then corrects them).
* presence: :data:`DETECTED` (1) for joints the input has, :data:`FILLED` (0.5) for joints
  :func:`fill_for_network` interpolated, :data:`UNKNOWN` (0) for joints still missing (they
  stay missing in the output).
* coordinates: hip-local with the hip's per-frame velocity in the ``MidHip`` slot, divided
  by the sequence's 2D body height (:func:`sequence_scale`, after
  :func:`retarget.representation.body_scale`), standardised by the training data's
  :class:`~retarget.representation.InputStats`; unknown joints 0.
* the output: per joint and frame, weights of a bank of Savitzky-Golay smoothers and a free
  correction, applied to ``base`` in body heights (:class:`TemporalDenoiser`): a learned
  filter that adapts to the motion and to the noise it sees.

Other skeletons go through ``openpose15`` by joint name (:func:`skeleton_io.convert`); their
other joints (feet, face, hands) are smoothed by Savitzky-Golay (the ``savgol`` defaults). 3D sequences are denoised as
two orthographic side views that share the vertical axis (:func:`denoise_3d`).

A model folder (``retarget train-denoiser -o DIR``; the shipped one is
``retarget/weights/denoiser``) holds ``weights.pt``, ``config.json`` (the network's
constructor arguments, the training settings and command, validation numbers),
``input_stats.json`` and ``noise_stats.json`` (the detector noise it was trained on).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from einops import rearrange
from torch import nn

from skeleton_io.atomic import atomic_file
from skeleton_io.convert import convert, joint_names
from skeleton_io.errors import InvalidArgumentError, ModelError, require_files
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE15

from ..geometry import HIP, LEG_BONES, TRUNK_BONES, J
from ..representation import InputStats, compute_stats, robust_bone_lengths, to_local
from ..weights import DENOISER
from . import filters as F
from .metrics import NoiseStats, add_noise
from .registry import CleanupOptions, SavgolOptions, clean

log = logging.getLogger(__name__)

FORMAT = "retarget-denoiser/1"
DEFAULT_MODEL = DENOISER
"""The shipped model folder."""

DETECTED, FILLED, UNKNOWN = 1.0, 0.5, 0.0
"""Presence codes of the network input (see the module docstring)."""

JOINTS = OPENPOSE15.num_joints
_MIRROR = list(range(JOINTS))
for _l, _r in OPENPOSE15.symmetry:
    _MIRROR[_l], _MIRROR[_r] = _r, _l


# ------------------------------------------------------------------ options
@dataclass(frozen=True)
class LearnedOptions:
    """The learned denoiser (``retarget denoise --method learned -p KEY=VALUE``).

    Attributes:
        model: a model folder (``retarget train-denoiser`` output); empty: the shipped model.
        max_fill: interior gaps (left after cleanup) up to this many seconds are filled by
            the network; 0 fills none. Gaps at the start or end stay missing.
        fill_confidence: a joint the network filled gets this fraction of the lower
            confidence of the frames bounding its gap.
        device: ``auto``, ``cpu`` or ``cuda``.
    """

    model: str = ""
    max_fill: float = 1.0
    fill_confidence: float = 0.25
    device: str = "auto"


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


# ------------------------------------------------------------------ representation
def sequence_scale(base: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """``(B, T, 15, 2)``, ``(B, T, 15)`` bool -> ``(B,)`` 2D body height in the input's units.

    :func:`retarget.representation.body_scale` (robust bone lengths, legs + trunk). A
    sequence without a whole leg uses twice its trunk (hip-neck-nose); one without a trunk
    the median largest side of its bounding box (:func:`~retarget.denoising.body_size`).
    """
    lengths = robust_bone_lengths(base, known.to(base.dtype))
    legs = torch.stack([lengths[..., a] + lengths[..., b] for a, b in LEG_BONES], -1)
    leg = torch.nanmean(legs, -1)
    trunk = lengths[..., TRUNK_BONES[0]] + lengths[..., TRUNK_BONES[1]]
    h = torch.where(torch.isnan(leg), 2 * trunk, leg + trunk)
    bad = ~torch.isfinite(h) | (h <= 0)
    for i in torch.nonzero(bad).flatten().tolist():
        size = F.body_size(base[i].detach().cpu().double().numpy(), known[i].cpu().numpy())
        h[i] = size
    return h.clamp_min(1e-6)


def noise_level(
    base_n: torch.Tensor, presence: torch.Tensor, order: int = 2, keep: float = 0.8
) -> torch.Tensor:
    """``(B, T, J, 2)`` positions in body heights, presence -> ``(B, J)``: each joint's mean
    |difference of ``order``| over the lowest ``keep`` of the frames where it is detected
    throughout (trimmed: robust to outliers; a mean, not a median, so that quantised detector
    output, often unchanged from frame to frame, still shows its steps). A higher order
    damps smooth motion more (a 2 Hz motion at 30 fps: 6-fold by the 2nd difference, 30-fold
    by the 4th), so less fast motion is taken for noise; the shipped model uses 2 (4 did
    worse on the real clips). A joint without such frames gets the median of the others (0
    when none has)."""
    T = base_n.shape[1]
    if T <= order:
        return torch.zeros(base_n.shape[0], base_n.shape[2], dtype=base_n.dtype)
    det = presence == DETECTED
    diff = torch.linalg.vector_norm(torch.diff(base_n, n=order, dim=1), dim=-1)
    ok = det[:, : T - order].clone()
    for i in range(1, order + 1):
        ok &= det[:, i : T - order + i]
    diff = torch.where(ok, diff, torch.full_like(diff, float("nan")))
    q = torch.nanquantile(diff, keep, dim=1, keepdim=True)
    low = ok & (diff <= q)
    n = low.sum(1)
    level = torch.where(low, diff, torch.zeros_like(diff)).sum(1) / n.clamp_min(1)
    level = torch.where(n > 0, level, torch.full_like(level, float("nan")))
    fill = torch.nan_to_num(torch.nanmedian(level, dim=1, keepdim=True).values, nan=0.0)
    return torch.where(torch.isnan(level), fill.expand_as(level), level)


def network_features(
    base: torch.Tensor,
    presence: torch.Tensor,
    scale: torch.Tensor,
    stats: InputStats,
    noise_order: int = 2,
) -> torch.Tensor:
    """``(B, T, 15, 2)`` base, ``(B, T, 15)`` presence, ``(B,)`` scale -> ``(B, 60, T)``:
    standardised hip-local coordinates (30), presence (15) and each joint's
    :func:`noise_level` (of ``noise_order``) over the whole sequence (15,
    ``log(level + 1e-4) + 4.5``, constant in time)."""
    local = to_local(base, scale)
    mean = torch.as_tensor(stats.mean, dtype=base.dtype, device=base.device)
    std = torch.as_tensor(stats.std, dtype=base.dtype, device=base.device)
    z = (local - mean) / std * (presence > 0).to(base.dtype)[..., None]
    level = noise_level(base / scale[:, None, None, None], presence, noise_order)
    level = torch.log(level + 1e-4) + 4.5
    return torch.cat(
        [
            rearrange(z, "b t j d -> b (j d) t"),
            rearrange(presence, "b t j -> b j t"),
            level[..., None].expand(-1, -1, base.shape[1]),
        ],
        1,
    )


def fill_for_network(
    coords: np.ndarray,
    confidence: np.ndarray,
    max_gap: int,
    fill_confidence: float = 0.25,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's ``base`` and presence for one ``openpose15`` sequence (numpy).

    Interior gaps up to ``max_gap`` frames are interpolated linearly
    (:func:`~retarget.denoising.fill_gaps`; confidence ``fill_confidence`` times the lower
    neighbour's) and become :data:`FILLED`. Every other missing frame of a joint also gets a
    position in ``base`` (linear across longer gaps, the nearest known value before the first
    and after the last), so that the filters and the hip-local features are defined, but stays
    :data:`UNKNOWN`; a joint never seen sits on the hip (or at 0).

    Returns:
        ``(base (T, 15, 2), presence (T, 15), confidence (T, 15))``; the confidence is that
        of the output (filled joints reduced, unknown ones 0).
    """
    known = confidence > 0
    _, conf, filled = F.fill_gaps(
        coords, confidence, max_gap, kind="linear", confidence_scale=fill_confidence
    )
    presence = np.where(filled, FILLED, np.where(known, DETECTED, UNKNOWN))
    base = np.zeros_like(coords, dtype=np.float64)
    t = np.arange(len(conf))
    never = []
    for j in range(conf.shape[1]):
        ok = np.flatnonzero(known[:, j])
        if not len(ok):
            never.append(j)
            continue
        for d in range(coords.shape[2]):
            base[:, j, d] = np.interp(t, ok, coords[ok, j, d])
    if never and HIP not in never:
        base[:, never] = base[:, HIP, None]
    return base, presence, conf


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


def save_denoiser(
    folder: str | Path,
    model: TemporalDenoiser,
    stats: InputStats,
    noise: NoiseStats | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write a model folder (each file atomically); ``extra`` goes into ``config.json``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = {"format": FORMAT, "net": asdict(model.cfg), **(extra or {})}
    with atomic_file(folder / "config.json") as tmp:
        Path(tmp).write_text(json.dumps(cfg, indent=1, default=str) + "\n")
    with atomic_file(folder / "input_stats.json") as tmp:
        Path(tmp).write_text(json.dumps(stats.to_dict(), indent=1) + "\n")
    if noise is not None:
        noise.save(folder / "noise_stats.json")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    with atomic_file(folder / "weights.pt") as tmp:
        torch.save(state, tmp)


def load_denoiser(folder: str | Path | None = None, device: str = "auto") -> Denoiser:
    """The :class:`Denoiser` of a model folder (default: the shipped model), cached."""
    from ..device import resolve_device

    folder = Path(folder) if folder else DEFAULT_MODEL
    dev = resolve_device(device)
    weights = folder / "weights.pt"
    stamp = weights.stat().st_mtime_ns if weights.exists() else 0
    return _load(str(folder.resolve()), str(dev), stamp)


@functools.lru_cache(maxsize=4)
def _load(folder_s: str, device: str, _stamp: int) -> Denoiser:
    folder = Path(folder_s)
    needed = ("config.json", "input_stats.json", "weights.pt")
    require_files(
        folder, needed, "denoiser model folder", "pass a `retarget train-denoiser` output"
    )
    try:
        config = json.loads((folder / "config.json").read_text())
        if config.get("format") != FORMAT:
            raise ModelError(
                f"{folder / 'config.json'}: not a denoiser config (format {config.get('format')!r}, "
                f"expected {FORMAT!r}); pass a `retarget train-denoiser` output"
            )
        stats = InputStats.from_dict(json.loads((folder / "input_stats.json").read_text()))
        model = TemporalDenoiser(DenoiserConfig.from_dict(config["net"]))
        state = torch.load(folder / "weights.pt", map_location="cpu", weights_only=True)
        model.load_state_dict({k: v.float() for k, v in state.items()})
    except (json.JSONDecodeError, KeyError, TypeError, RuntimeError, EOFError) as e:
        raise ModelError(
            f"{folder}: cannot load the denoiser ({str(e).splitlines()[0]}); retrain it with "
            "`retarget train-denoiser`"
        ) from None
    return Denoiser(model.to(device), stats, config)


# ------------------------------------------------------------------ sequences
def denoise_learned(seq: PoseSequence, options: LearnedOptions) -> PoseSequence:
    """The registered runner: denoise ``seq.coords`` (2D or 3D) and ``seq.world``.

    Gets the cleaned sequence from :func:`~retarget.denoising.denoise`; joints it fills get
    reduced confidence (see :class:`LearnedOptions`).
    """
    if options.max_fill < 0 or not 0 < options.fill_confidence <= 1:
        raise InvalidArgumentError(
            f"learned denoiser: need max_fill >= 0 s and 0 < fill_confidence <= 1, got "
            f"{options.max_fill} and {options.fill_confidence}"
        )
    den = load_denoiser(options.model or None, options.device)
    max_gap = int(round(options.max_fill * seq.fps))
    coords, conf = denoise_skeleton(
        den, seq, seq.coords, seq.confidence, max_gap, options.fill_confidence
    )
    world = None
    if seq.world is not None:
        world, _ = denoise_skeleton(
            den, seq, seq.world, seq.confidence, max_gap, options.fill_confidence
        )
        world[conf == 0] = 0.0
    return seq.with_coords(coords, conf, world=world)


def denoise_skeleton(
    den: Denoiser,
    seq: PoseSequence,
    coords: np.ndarray,
    confidence: np.ndarray,
    max_gap: int,
    fill_confidence: float = 0.25,
) -> tuple[np.ndarray, np.ndarray]:
    """Denoise ``(T, J, D)`` coordinates on ``seq``'s skeleton (any skeleton, 2D or 3D).

    The ``openpose15`` joints (by name) go through the network; the others (feet, face,
    hands) are smoothed by Savitzky-Golay with the ``savgol`` method's defaults.
    """
    names = joint_names(seq)
    sub = convert(seq.with_coords(coords, confidence, world=None), OPENPOSE15)
    if coords.shape[2] == 2:
        out15, conf15 = den(sub.coords, sub.confidence, max_gap, fill_confidence)
    else:
        out15, conf15 = denoise_3d(den, sub.coords, sub.confidence, max_gap, fill_confidence)
    out, conf = coords.copy(), confidence.copy()
    index = {n: i for i, n in enumerate(names)}
    for j, name in enumerate(OPENPOSE15.joints):
        i = index.get(name)
        if i is not None:
            out[:, i], conf[:, i] = out15[:, j], conf15[:, j]
    extras = [i for i, n in enumerate(names) if n not in OPENPOSE15.index]
    if extras:
        window = F.seconds_to_frames(SavgolOptions.window, seq.fps, odd=True, minimum=3)
        out[:, extras] = F.savgol(
            coords[:, extras], confidence[:, extras], window, SavgolOptions.polyorder
        )
    out[conf == 0] = 0.0
    return out, conf


def denoise_3d(
    den: Denoiser,
    coords: np.ndarray,
    confidence: np.ndarray,
    max_gap: int,
    fill_confidence: float = 0.25,
) -> tuple[np.ndarray, np.ndarray]:
    """Denoise ``openpose15`` 3D positions ``(T, 15, 3)`` as two orthographic views.

    The vertical axis is the coordinate axis closest to the mean hip-to-neck direction.
    The two views look along the two horizontal axes (each a valid 2D view of the motion,
    y down as the network was trained); each horizontal coordinate comes from one view, the
    vertical one is the mean of both. Without a frame holding both hip and neck (no up
    direction) the data are returned unchanged.
    """
    ok = (confidence[:, J["Neck"]] > 0) & (confidence[:, HIP] > 0)
    if not ok.any():
        log.warning("learned denoiser: no frame with hip and neck; 3D data left as it is")
        return coords.copy(), confidence.copy()
    up = (coords[ok, J["Neck"]] - coords[ok, HIP]).mean(0)
    a = int(np.argmax(np.abs(up)))
    sign = -1.0 if up[a] > 0 else 1.0  # image-like: up is -y
    h1, h2 = [k for k in range(3) if k != a]
    outs = []
    for h in (h1, h2):
        view = np.stack([coords[..., h], sign * coords[..., a]], -1)
        outs.append(den(view, confidence, max_gap, fill_confidence))
    (v1, conf), (v2, _) = outs
    out = np.zeros_like(coords)
    out[..., h1], out[..., h2] = v1[..., 0], v2[..., 0]
    out[..., a] = sign * 0.5 * (v1[..., 1] + v2[..., 1])
    return out, conf


# ------------------------------------------------------------------ training data
@dataclass
class TrainSettings:
    """Settings of :func:`train_denoiser` (saved in ``config.json``).

    Motion: the train split's windows, ``slow`` of them played slower by a factor in
    ``slow_factor`` (:func:`slow_down`). Noise (per training window): the measured statistics with jitter times a log-uniform
    factor in ``jitter_scale`` (and per joint times a log-uniform factor in ``joint_spread``),
    dropout, outlier and swap rates times a uniform factor in ``structure_scale``.
    Each joint's jitter is independent plus a whole-body shift (standard deviation a uniform
    factor in ``shared`` of the median joint's); ``colored`` of the windows get temporally
    correlated jitter (a Gaussian filter of ``colored_sigma`` frames, same standard
    deviation); ``quantize`` of them are rounded to a grid of ``quantize_step`` body sizes
    (detectors output pixels); each window gets extra dropouts (runs of 1-12 frames)
    at a uniform rate in ``extra_dropout``; ``long_gap`` of them lose one joint for 9-30
    frames, ``limb_loss`` lose a limb for the whole window. Each window then goes through
    :func:`~retarget.denoising.clean` and :func:`fill_for_network`, as at inference.
    """

    iterations: int = 8000
    minutes: float | None = None
    batch: int = 64
    window: int = 64
    pool: int = 12000
    lr: float = 2e-3
    lr_final: float = 2e-5
    weight_decay: float = 1e-4
    accel_weight: float = 2.0
    relative_loss: bool = True
    """Optimise each window's error relative to its input's (see :func:`losses`)."""
    jitter_scale: tuple[float, float] = (0.1, 3.0)
    joint_spread: tuple[float, float] = (0.6, 1.6)
    structure_scale: tuple[float, float] = (0.0, 3.0)
    colored: float = 0.5
    colored_sigma: tuple[float, float] = (0.5, 2.5)
    shared: tuple[float, float] = (0.0, 1.0)
    quantize: float = 0.3
    quantize_step: tuple[float, float] = (0.001, 0.005)
    extra_dropout: tuple[float, float] = (0.0, 0.05)
    long_gap: float = 0.3
    limb_loss: float = 0.05
    slow: float = 0.3
    slow_factor: tuple[float, float] = (1.5, 4.0)
    max_fill: float = LearnedOptions.max_fill
    fps: float = 30.0
    seed: int = 0
    device: str = "auto"
    workers: int = 1
    threads: int = 0
    """Torch threads (0: torch's default)."""


_LIMBS = (
    ["RElbow", "RWrist"], ["LElbow", "LWrist"], ["RKnee", "RAnkle"], ["LKnee", "LAnkle"],
    ["RKnee", "RAnkle", "LKnee", "LAnkle"], ["Nose"],
)  # fmt: skip


def corrupt(
    clean_xy: np.ndarray, noise: NoiseStats, rng: np.random.Generator, s: TrainSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Detector-like noise on one clean ``(T, 15, 2)`` window (see :class:`TrainSettings`)."""
    T = clean_xy.shape[0]
    k = rng.uniform(*s.structure_scale)
    extra = rng.uniform(*s.extra_dropout)
    structure = replace(
        noise,
        jitter={},
        dropout_rate={n: min(0.5, noise.dropout_of(n) * k + extra) for n in OPENPOSE15.joints},
        dropout_lengths=list(noise.dropout_lengths) + list(range(1, 13)),
        outlier_rate=min(0.2, noise.outlier_rate * k),
        swap_rate=min(0.3, noise.swap_rate * k),
    )
    noisy, conf = add_noise(clean_xy, structure, rng, skeleton=OPENPOSE15)
    lo, hi = np.log(s.jitter_scale)
    spread = np.exp(rng.uniform(*np.log(s.joint_spread), size=JOINTS))
    sigma = np.array([noise.jitter_of(n) for n in OPENPOSE15.joints]) * spread
    sigma *= math.exp(rng.uniform(lo, hi)) * F.body_size(clean_xy, np.ones((T, JOINTS)))
    e = rng.normal(size=noisy.shape)  # per joint, plus a whole-body shift (detector crops)
    e = e * sigma[None, :, None] + rng.normal(size=(T, 1, 2)) * (
        rng.uniform(*s.shared) * float(np.median(sigma))
    )
    if rng.random() < s.colored:
        from scipy.ndimage import gaussian_filter1d

        sd = e.std(axis=0, keepdims=True)
        e = gaussian_filter1d(e, rng.uniform(*s.colored_sigma), axis=0, mode="nearest")
        e *= sd / (e.std(axis=0, keepdims=True) + 1e-12)
    noisy = noisy + e
    if rng.random() < s.quantize:  # detector output on a pixel grid (OpenPose: about 2 px)
        step = rng.uniform(*s.quantize_step) * F.body_size(clean_xy, np.ones((T, JOINTS)))
        noisy = np.round(noisy / step) * step
    if rng.random() < s.long_gap and T > 12:
        n = int(rng.integers(9, min(31, T - 2)))
        start = int(rng.integers(1, T - n))
        conf[start : start + n, rng.integers(JOINTS)] = 0.0
    if rng.random() < s.limb_loss:
        limb = _LIMBS[int(rng.integers(len(_LIMBS)))]
        conf[:, [J[n] for n in limb]] = 0.0
    noisy[conf == 0] = 0.0
    return noisy, conf


def make_item(
    clean_xy: np.ndarray, noise: NoiseStats, rng: np.random.Generator, s: TrainSettings
) -> tuple[np.ndarray, np.ndarray]:
    """One training input from a clean window: ``(base (T, 15, 2), presence (T, 15))``,
    corrupted, cleaned and gap-filled exactly as at inference."""
    noisy, conf = corrupt(clean_xy, noise, rng, s)
    seq = PoseSequence(noisy, conf, OPENPOSE15, fps=s.fps, units="cm")
    cleaned, _ = clean(seq, CleanupOptions())
    max_gap = int(round(s.max_fill * s.fps))
    base, presence, _ = fill_for_network(cleaned.coords, cleaned.confidence, max_gap)
    return base, presence


def _make_items(args: tuple) -> tuple[np.ndarray, np.ndarray]:
    clean_xy, noise, s, seed = args
    rng = np.random.default_rng(seed)
    items = [make_item(x, noise, rng, s) for x in clean_xy]
    return np.stack([b for b, _ in items]), np.stack([p for _, p in items])


def make_pool(
    clean_xy: np.ndarray, noise: NoiseStats, s: TrainSettings, seed: int = 0, workers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs for clean windows ``(N, T, 15, 2)``: ``(base, presence)`` as float32 arrays."""
    chunks = np.array_split(np.arange(len(clean_xy)), max(1, workers * 8))
    jobs = [(clean_xy[c], noise, s, seed * 100003 + i) for i, c in enumerate(chunks) if len(c)]
    if workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as ex:
            results = list(ex.map(_make_items, jobs))
    else:
        results = [_make_items(j) for j in jobs]
    base = np.concatenate([r[0] for r in results]).astype(np.float32)
    presence = np.concatenate([r[1] for r in results]).astype(np.float32)
    return base, presence


def clean_windows(
    lib: Any, split: str, n: int, window: int, seed: int, device: torch.device | str = "cpu"
) -> np.ndarray:
    """``n`` clean 2D windows ``(n, window, 15, 2)`` of a split: the retargeting model's
    :class:`~retarget.data.sampler.BatchSampler` (random views, limb scaling), projected
    orthographically (x right, y down, centimetres)."""
    from ..data.sampler import BatchSampler

    sampler = BatchSampler(lib, split, window=window, stride=8, device=device, seed=seed)
    out = []
    while sum(len(o) for o in out) < n:
        out.append(sampler(min(256, n))["x3d"][..., :2].double().cpu().numpy())
    return np.concatenate(out)[:n]


def slow_down(
    windows: np.ndarray, fraction: float, factor: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """Play ``fraction`` of the windows ``(N, T, J, D)`` slower by a uniform factor in
    ``factor`` (the start of each, stretched by a cubic spline to the same length): motion
    capture is mostly brisk; people in videos often stand or move slowly."""
    from scipy.interpolate import CubicSpline

    out = windows.copy()
    T = windows.shape[1]
    for i in np.flatnonzero(rng.random(len(windows)) < fraction):
        k = rng.uniform(*factor)
        out[i] = CubicSpline(np.arange(T), windows[i], axis=0)(np.arange(T) / k)
    return out


# ------------------------------------------------------------------ training
def augment(
    base: torch.Tensor, presence: torch.Tensor, target: torch.Tensor, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random mirror (x negated, left/right relabelled), time reversal and in-plane rotation
    (up to 15 degrees), the same for input and target (the noise is symmetric)."""
    B, dev = base.shape[0], base.device
    flip = torch.rand(B, generator=gen, device=dev) < 0.5
    if flip.any():
        sign = torch.tensor([-1.0, 1.0], device=dev)
        for x in (base, target):
            x[flip] = x[flip][:, :, _MIRROR] * sign
        presence[flip] = presence[flip][:, :, _MIRROR]
    rev = torch.rand(B, generator=gen, device=dev) < 0.5
    if rev.any():
        for x in (base, presence, target):
            x[rev] = x[rev].flip(1)
    ang = (torch.rand(B, generator=gen, device=dev) - 0.5) * math.radians(30)
    c, s = torch.cos(ang), torch.sin(ang)
    rot = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)  # (B, 2, 2)
    base = torch.einsum("bij,btkj->btki", rot, base)
    target = torch.einsum("bij,btkj->btki", rot, target)
    return base, presence, target


def losses(
    model: TemporalDenoiser,
    stats: InputStats,
    base: torch.Tensor,
    presence: torch.Tensor,
    target: torch.Tensor,
    relative: bool = False,
    eps: float = 1e-4,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(position L1, acceleration L1, MPJPE)`` over known joints, in body heights.

    With ``relative`` the first two are each window's error divided by its input's (plus
    ``eps`` body heights), averaged over windows: every noise level weighs the same, and
    the ratios to the raw input are what is optimised.
    """
    known = presence > 0
    scale = sequence_scale(base, known)
    s = scale[:, None, None, None]
    feats = network_features(base, presence, scale, stats, model.cfg.noise_order)
    err = model(feats, base / s) - target / s
    m = known.to(base.dtype)
    ma = m[:, 2:] * m[:, 1:-1] * m[:, :-2]

    def per_window(e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        acc = e[:, 2:] - 2 * e[:, 1:-1] + e[:, :-2]
        pos = (e.abs().sum(-1) * m).sum((1, 2)) / (2 * m.sum((1, 2))).clamp_min(1)
        accel = (acc.abs().sum(-1) * ma).sum((1, 2)) / (2 * ma.sum((1, 2))).clamp_min(1)
        return pos, accel

    pos, accel = per_window(err)
    if relative:
        with torch.no_grad():
            pos0, accel0 = per_window((base - target) / s)
        pos, accel = pos / (pos0 + eps), accel / (accel0 + eps)
    mpjpe = (torch.linalg.vector_norm(err, dim=-1) * m).sum() / m.sum().clamp_min(1)
    return pos.mean(), accel.mean(), mpjpe


@dataclass
class TrainResult:
    """What :func:`train_denoiser` measured."""

    steps: int
    seconds: float
    pool_seconds: float
    parameters: int
    val: dict[str, float] = field(default_factory=dict)


def train_denoiser(
    folder: str | Path,
    noise: NoiseStats,
    *,
    data: str | Path = "../shared/mocap",
    settings: TrainSettings | None = None,
    net: DenoiserConfig | None = None,
    command: str = "",
    progress: bool = True,
) -> TrainResult:
    """Train a denoiser on the ``train`` split of the motion capture in ``data`` with
    synthetic noise of statistics ``noise`` (see :class:`TrainSettings`); write the model
    folder. Validation: the ``val`` split with the measured noise (factor 1).

    Stops after ``settings.iterations`` steps or ``settings.minutes`` (pool making counted),
    whichever comes first; the learning rate follows a cosine over that budget.
    """
    from tqdm import tqdm

    from ..data.mocap import MocapLibrary
    from ..device import resolve_device

    s = settings or TrainSettings()
    cfg = net or DenoiserConfig()
    if s.threads:
        torch.set_num_threads(s.threads)
    t0 = time.perf_counter()
    dev = resolve_device(s.device)
    torch.manual_seed(s.seed)
    gen = torch.Generator(device=dev).manual_seed(s.seed)
    lib = MocapLibrary.load(data)
    train_xy = clean_windows(lib, "train", s.pool, s.window, s.seed)
    train_xy = slow_down(train_xy, s.slow, s.slow_factor, np.random.default_rng(s.seed))
    val_xy = clean_windows(lib, "val", min(512, max(16, s.pool // 8)), s.window, s.seed + 1)
    stats = compute_stats(
        [to_local(torch.as_tensor(x), _scale_np(x)).numpy() for x in np.array_split(train_xy, 16)]
    )
    base, presence = make_pool(train_xy, noise, s, s.seed, s.workers)
    val_settings = replace(s, jitter_scale=(1.0, 1.0), structure_scale=(1.0, 1.0))
    val_base, val_presence = make_pool(val_xy, noise, val_settings, s.seed + 7, s.workers)
    pool_seconds = time.perf_counter() - t0
    log.info("training pool: %d windows in %.0f s", len(base), pool_seconds)

    tensors = [torch.as_tensor(a, device=dev) for a in (base, presence, train_xy.astype("f4"))]
    val = [torch.as_tensor(a, device=dev) for a in (val_base, val_presence, val_xy.astype("f4"))]
    model = TemporalDenoiser(cfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=s.weight_decay)
    budget = None if s.minutes is None else 60.0 * s.minutes

    def progress_of(step: int) -> float:
        p = step / s.iterations
        if budget:
            p = max(p, (time.perf_counter() - t0) / budget)
        return min(p, 1.0)

    step, log_every = 0, 200
    bar = tqdm(total=s.iterations, disable=not progress, desc="train-denoiser")
    running = []
    model.train()
    while progress_of(step) < 1.0:
        p = progress_of(step)
        lr = s.lr_final + 0.5 * (s.lr - s.lr_final) * (1 + math.cos(math.pi * p))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, len(tensors[0]), (s.batch,), generator=gen, device=dev)
        b, pr, tg = augment(*(t[idx].clone() for t in tensors), gen)
        pos, accel, mp = losses(model, stats, b, pr, tg, relative=s.relative_loss)
        loss = pos + s.accel_weight * accel
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running.append(float(mp.detach()))
        step += 1
        bar.update(1)
        if step % log_every == 0:
            bar.set_postfix(mpjpe=f"{100 * np.mean(running):.3f}%", lr=f"{lr:.1e}")
            log.info("step %d: train MPJPE %.4f%% body", step, 100 * np.mean(running))
            running = []
    bar.close()
    model.eval()
    result = TrainResult(
        steps=step,
        seconds=round(time.perf_counter() - t0, 1),
        pool_seconds=round(pool_seconds, 1),
        parameters=sum(p.numel() for p in model.parameters()),
        val=validate(model, stats, *val),
    )
    extra = {
        "train": asdict(s),
        "command": command,
        "data": {
            "mocap": str(data),
            "split": "train (CMU only; val for validation)",
            "pool_windows": len(base),
        },
        "result": asdict(result),
    }
    save_denoiser(folder, model.cpu(), stats, noise, extra)
    return result


def _scale_np(x: np.ndarray) -> torch.Tensor:
    t = torch.as_tensor(x)
    return sequence_scale(t, torch.ones(t.shape[:-1], dtype=torch.bool))


@torch.no_grad()
def validate(
    model: TemporalDenoiser,
    stats: InputStats,
    base: torch.Tensor,
    presence: torch.Tensor,
    target: torch.Tensor,
) -> dict[str, float]:
    """MPJPE and acceleration error in % of body height of the input and the output on
    held-out windows (known joints)."""
    model.eval()
    zero = TemporalDenoiser(model.cfg).to(base.device)  # zero output: the input itself
    out = {}
    for name, m in (("input", zero), ("model", model)):
        pos, accel, mp = losses(m, stats, base, presence, target)
        out[f"{name}_mpjpe_pct"] = round(100 * float(mp), 4)
        out[f"{name}_accel_l1_pct"] = round(100 * float(accel), 4)
    return out


# ------------------------------------------------------------------ noise statistics
def measure_noise_stats(
    paths: Sequence[str | Path], fps: float = 30.0, max_frames: int | None = 240
) -> NoiseStats:
    """Pooled :class:`NoiseStats` of real detector output (``openpose15`` joints).

    Each path is any pose input (:func:`skeleton_io.load_file`): OpenPose folders get
    ``fps`` (they store none), videos are run through BlazePose (at most ``max_frames``).
    """
    from skeleton_io import load_file
    from skeleton_io.io import detect_format

    from .metrics import measure_noise

    if not paths:
        raise InvalidArgumentError("measure_noise_stats needs at least one detector output")
    stats = []
    for p in paths:
        opts = {"fps": fps} if detect_format(p) in ("openpose", "coco", "csv") else {}
        seq = load_file(p, max_frames=max_frames, **opts)
        st = measure_noise(convert(seq, OPENPOSE15))
        st.sources = [str(p)]
        stats.append(st)
        log.info(
            "noise of %s: median jitter %.3f%% body", p, 100 * np.median(list(st.jitter.values()))
        )
    return NoiseStats.combine(stats)


__all__ = [
    "DEFAULT_MODEL",
    "Denoiser",
    "DenoiserConfig",
    "LearnedOptions",
    "TemporalDenoiser",
    "TrainResult",
    "TrainSettings",
    "corrupt",
    "denoise_3d",
    "denoise_learned",
    "denoise_skeleton",
    "fill_for_network",
    "load_denoiser",
    "make_item",
    "make_pool",
    "measure_noise_stats",
    "network_features",
    "run_chunked",
    "save_denoiser",
    "sequence_scale",
    "slow_down",
    "train_denoiser",
    "validate",
]
