"""The learned denoiser on pose sequences: any skeleton, 2D or 3D (the registered
``learned`` method of :func:`retarget.denoising.denoise`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from skeleton_io.convert import convert, joint_names
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE15

from ...geometry import HIP, J
from .. import filters as F
from ..registry import SavgolOptions
from .folder import Denoiser, load_denoiser

log = logging.getLogger(__name__)


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
    coords, conf = denoise_skeleton(den, seq, seq.coords, max_gap, options.fill_confidence)
    world = None
    if seq.world is not None:
        world, _ = denoise_skeleton(den, seq, seq.world, max_gap, options.fill_confidence)
        world[conf == 0] = 0.0
    return seq.with_coords(coords, conf, world=world)


def denoise_skeleton(
    den: Denoiser,
    seq: PoseSequence,
    coords: np.ndarray,
    max_gap: int,
    fill_confidence: float = 0.25,
) -> tuple[np.ndarray, np.ndarray]:
    """Denoise ``(T, J, D)`` coordinates on ``seq``'s skeleton (any skeleton, 2D or 3D: its
    ``coords`` or its ``world``), with ``seq``'s confidence.

    The ``openpose15`` joints (by name) go through the network; the others (feet, face,
    hands) are smoothed by Savitzky-Golay with the ``savgol`` method's defaults.
    """
    names, confidence = joint_names(seq), seq.confidence
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
