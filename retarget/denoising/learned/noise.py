"""Noise statistics measured on real detector output, for training the denoiser."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from skeleton_io.checks import check_fps, require_joints
from skeleton_io.convert import convert
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.skeleton import OPENPOSE15

from ..metrics import NoiseStats

log = logging.getLogger(__name__)


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

    from ..metrics import measure_noise

    if not paths:
        raise InvalidArgumentError("measure_noise_stats needs at least one detector output")
    fps = check_fps(fps)
    stats = []
    for p in paths:
        opts = {"fps": fps} if detect_format(p) in ("openpose", "coco", "csv") else {}
        seq = load_file(p, max_frames=max_frames, **opts)
        st = measure_noise(require_joints(convert(seq, OPENPOSE15), seq, "openpose15"))
        st.sources = [str(p)]
        stats.append(st)
        log.info(
            "noise of %s: median jitter %.3f%% body", p, 100 * np.median(list(st.jitter.values()))
        )
    return NoiseStats.combine(stats)
