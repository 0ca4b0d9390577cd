"""Data-parallel training under ``torchrun``: one process per device, gradients averaged.

``torchrun --standalone --nproc-per-node N .venv/bin/retarget train ...`` starts N copies
of the command with ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE`` and the rendezvous address in
their environment. :func:`setup` reads them and joins the process group (``gloo`` on CPU,
``nccl`` on CUDA, one GPU per process: ``cuda:LOCAL_RANK``); without them it returns a
single-process :class:`Dist` and every helper here is a no-op, so the training code is the
same either way.

Conventions of the training commands (``retarget train``, ``retarget train-denoiser``):

* the model is wrapped in :class:`torch.nn.parallel.DistributedDataParallel` (:func:`wrap`):
  after ``backward()`` every rank holds the gradient averaged over all ranks, and all ranks
  take the same optimiser step, so their weights stay equal;
* each rank draws from its own shard of the training windows with its own seed
  (``seed + rank``); ``--batch`` is per rank, so the global batch is ``batch * world_size``;
* rank 0 alone writes checkpoints, logs and the progress bar; logged losses are averaged
  over ranks (:meth:`Dist.mean`);
* decisions that must agree (the time budget, held-out early stopping) use values all
  ranks share (:meth:`Dist.max`, :meth:`Dist.broadcast`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dist:
    """This process's place in a data-parallel run (``world_size`` 1: a plain run)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes checkpoints and logs."""
        return self.rank == 0

    def _reduce(self, values: list[float], op: Any) -> list[float]:
        if not self.enabled:
            return values
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64, device=self._device())
        dist.all_reduce(t, op=op)
        return t.tolist()

    def _device(self) -> torch.device:
        return (
            torch.device("cuda", self.local_rank) if self.backend == "nccl" else torch.device("cpu")
        )

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """``values`` averaged over the ranks (every rank must call, with the same keys)."""
        if not self.enabled or not values:
            return values
        import torch.distributed as dist

        keys = sorted(values)
        sums = self._reduce([float(values[k]) for k in keys], dist.ReduceOp.SUM)
        return {k: s / self.world_size for k, s in zip(keys, sums)}

    def max(self, value: float) -> float:
        """The largest ``value`` of all ranks (e.g. elapsed time: all stop together)."""
        if not self.enabled:
            return value
        import torch.distributed as dist

        return self._reduce([float(value)], dist.ReduceOp.MAX)[0]

    def broadcast(self, value: Any) -> Any:
        """Rank 0's ``value`` (any picklable object) on every rank."""
        if not self.enabled:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, src=0, device=self._device())
        return box[0]

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()


def from_env() -> Dist:
    """The rank and world size ``torchrun`` set (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``);
    a single-process :class:`Dist` when they are absent. Joins no group."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    return Dist(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))


def setup(device: torch.device | str) -> tuple[Dist, torch.device]:
    """Join the process group ``torchrun`` describes, if any.

    Returns the :class:`Dist` and the device this rank trains on: ``cuda:LOCAL_RANK`` for a
    CUDA ``device`` (backend ``nccl``), else ``device`` itself (backend ``gloo``).
    """
    env = from_env()
    device = torch.device(device)
    if not env.enabled:
        return env, device
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", env.local_rank)
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        backend = "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    log.info("rank %d of %d (%s) on %s", env.rank, env.world_size, backend, device)
    return Dist(env.rank, env.world_size, env.local_rank, backend), device


def wrap(model: torch.nn.Module, d: Dist, device: torch.device) -> torch.nn.Module:
    """``model`` in :class:`~torch.nn.parallel.DistributedDataParallel` when ``d`` is
    enabled (its forward then averages gradients over ranks in backward), else as is."""
    if not d.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def cleanup(d: Dist) -> None:
    """Leave the process group (at the end of a run). A run that ends normally calls
    :meth:`Dist.barrier` first: a rank leaving while another still works (rank 0 writing
    the last checkpoint) can make gloo abort the late one (SIGABRT, seen on a 2-core CI).
    Drop the references to the DDP wrapper first: a wrapper that outlives its group can abort
    the process too ("terminate called without an active exception"); what it leaves in
    reference cycles is collected here."""
    if d.enabled:
        import gc

        import torch.distributed as dist

        gc.collect()
        if dist.is_initialized():
            dist.destroy_process_group()


__all__ = ["Dist", "cleanup", "from_env", "setup", "wrap"]
