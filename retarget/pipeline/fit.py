"""``retarget train`` as a library call: data, model, training, periodic benchmark."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from skeleton_io.atomic import check_output_path
from skeleton_io.checks import check_options
from skeleton_io.errors import InvalidArgumentError, ModelError

from ..data.dataset import Augment
from ..model.train import RunConfig, TrainConfig, train
from ..nn.training import check_budget, require_windows

log = logging.getLogger(__name__)

WINDOW = 64
"""Frames per training window."""


def split_lengths(lib: Any, split: str) -> list[int]:
    """The frame counts of the clips of a split of the motion capture."""
    from ..data.splits import get_split

    return [lib.clips[c].num_frames for c in get_split(lib, split).clips]


def check_cache_dir(cache_dir: str | Path | None) -> None:
    """A cache folder that is a folder (or can become one), not a file."""
    if not cache_dir:
        return
    path = Path(cache_dir)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise InvalidArgumentError(f"{p}: not a folder; choose another `cache_dir`")
            return


def validation_hook(lib, max_cases: int = 60, seed: int = 0):
    """A callable ``(model, stats) -> dict`` running the protocol on the validation split."""
    from ..benchmark.protocol import build_test_set, evaluate
    from ..retargeters.model import ModelRetargeter

    test_set = build_test_set(
        lib, "val", seed, motions_per_family=6, variants=2, max_cases=max_cases
    )

    def hook(model, stats) -> dict[str, Any]:
        out = {}
        for mode in ("fused", "network"):
            r = ModelRetargeter(model, stats, mode=mode)
            res = evaluate(r, lib, test_set, split="val", seed=seed)
            out[mode] = res.to_dict()
        return out

    return hook


def fit(
    run_dir: str | Path,
    *,
    data: str | Path = "../shared/mocap",
    resume: bool = False,
    cache_dir: str | Path | None = None,
    command: str = "",
    progress: bool = True,
    augment: Augment | None = None,
    **settings: Any,
) -> dict[str, Any]:
    """Train on the ``train`` split of the motion capture in ``data``; see :func:`train`.

    ``settings``: the run's :class:`TrainConfig` (``iterations``, ``minutes``, ``batch``,
    ``lr``, ``seed``, ``eval_every``, ``device``, ...; its defaults for those not given;
    not ``window``, ``stride`` and ``world_size``, which the data and ``torchrun`` set).

    ``augment``: the training items' random ranges (recorded in ``config.json`` under
    ``data``), default :class:`retarget.data.dataset.Augment` (the shipped model's).
    :data:`retarget.data.dataset.REAL_BODIES` (wider structure ranges, half of the copies
    from another real skeleton) measured no better on the real-character pairs of the
    benchmark (``benchmarks/README.md``).
    """
    import torch

    from ..data.mocap import MocapLibrary
    from ..data.sampler import BatchSampler
    from ..device import resolve_device
    from ..nn.distributed import from_env

    augment = Augment() if augment is None else augment
    fixed = ("window", "stride", "world_size", "data")
    tc = TrainConfig(**check_options(TrainConfig, settings, but=fixed), data=str(data))
    check_budget(tc.iterations, tc.minutes, tc.batch, tc.lr)
    check_output_path(run_dir, folder=True)
    check_cache_dir(cache_dir)
    if resume and not (Path(run_dir) / "state.pt").exists():
        raise ModelError(f"{run_dir}: nothing to resume (no state.pt); drop `resume`")
    lib = MocapLibrary.load(data, cache_dir)
    require_windows(split_lengths(lib, "train"), WINDOW, lib.root, "train")
    dist = from_env()  # under torchrun: this rank's windows, seed and GPU
    dev = resolve_device(tc.device)
    if dev.type == "cuda" and dist.enabled:
        dev = torch.device("cuda", dist.local_rank)
    sampler = BatchSampler(
        lib, "train", window=WINDOW, augment=augment, device=dev, seed=tc.seed + dist.rank
    )
    windows = len(sampler)
    sampler.shard(dist.rank, dist.world_size)
    cfg = RunConfig(
        train=tc,
        command=command,
        data_summary={
            "split": "train",
            "windows": windows,
            "stride": 8,
            "augment": augment.to_dict(),
        },
    )
    return train(
        run_dir,
        sampler,
        cfg,
        resume=resume,
        evaluate=validation_hook(lib, seed=tc.seed),
        progress=progress,
    )
