"""``retarget batch``: one job over a folder, a glob or a manifest of inputs, on local
processes or a Ray cluster, resumable, with a JSONL ledger (see :mod:`.runner`).

* :mod:`.items`: inputs -> items with their output paths (folders mirrored, manifests).
* :mod:`.jobs`: the job table (``extract``, ``denoise``, ``transfer``; :func:`register_job`).
* :mod:`.engines`: where items run (this process, a process pool, Ray actors).
* :mod:`.runner`: :func:`run_batch`: skip what is done, run, retry, ledger, progress.
"""

from .engines import ENGINES, Engine, Worker, make_engine, ray_available
from .items import Item, discover
from .jobs import JOBS, Job, get_job, register_job
from .runner import BatchResult, parse_shard, plan, run_batch

__all__ = [
    "ENGINES",
    "JOBS",
    "BatchResult",
    "Engine",
    "Item",
    "Job",
    "Worker",
    "discover",
    "get_job",
    "make_engine",
    "parse_shard",
    "plan",
    "ray_available",
    "register_job",
    "run_batch",
]
