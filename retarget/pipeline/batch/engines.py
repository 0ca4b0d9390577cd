"""Where batch items run: in this process, in a local process pool, or on Ray.

Every engine keeps one :class:`Worker` per worker process, which loads the job's models once
(:attr:`Job.setup`, on its first item) and then runs items; at most one item per worker is
in flight, so a worker that dies costs only the items it held. Engines hand back
``(item, record)`` pairs as items finish (:meth:`Engine.results`); the runner decides about
retries and appends them to the same queue.

* :class:`SerialEngine` (``serial``): this process, one item after another.
* :class:`ProcessEngine` (``processes``): ``concurrent.futures.ProcessPoolExecutor`` with
  ``spawn``; a worker that dies (segfault, out of memory) fails the item it held and the
  pool is rebuilt. With GPUs (``/dev/nvidia*`` or ``CUDA_VISIBLE_DEVICES``) worker ``k``
  sees GPU ``k mod n`` only, for jobs that use GPUs (:attr:`Job.uses_gpu`); others see none.
* :class:`RayEngine` (``ray``, ``pip install 'retarget[scale]'``): one Ray actor per
  worker, each taking ``cpus_per_worker`` CPUs and, when the cluster has GPUs and the job
  uses them, ``gpus_per_worker`` GPUs (default 1: one GPU per worker). Without an address
  it starts a local Ray instance sized to the workers; with one (``auto``, ``HOST:PORT``,
  ``ray://HOST:PORT``) it joins that cluster, whose nodes must see the same input and
  output paths (a shared file system) and have this package installed.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from skeleton_io.errors import (
    ClusterError,
    InvalidArgumentError,
    RetargetError,
    missing_dependency,
)

from .items import Item
from .jobs import Job, get_job

log = logging.getLogger(__name__)

ENGINES = ("auto", "ray", "processes", "serial")


def error_line(e: BaseException) -> str:
    """An exception as one line: the toolkit's message, else ``Type: message``."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if isinstance(e, RetargetError):
        return text or type(e).__name__
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


class _WarningCatcher(logging.Handler):
    """Collects the warnings logged while one item runs (they go to the ledger)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class Worker:
    """The job's state in one worker process: models loaded once, then one item per call."""

    def __init__(self, job: Job, settings: dict[str, Any]) -> None:
        self.job = job
        self.settings = settings
        self.state: Any = None
        self.ready = False
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def run(self, item: Item) -> dict[str, Any]:
        """Run one item; never raises for a bad item: the record says what happened.

        ``status`` is ``done``, ``failed`` or ``fatal`` (the job's setup failed: no item
        can run). ``retryable`` is False for inputs the toolkit rejected (a corrupt file, no
        person), which fail the same way every time.
        """
        rec: dict[str, Any] = {"worker": self.name}
        t0 = time.perf_counter()
        if not self.ready:
            try:
                self.state = self.job.setup(self.settings)
            except Exception as e:  # reported to the runner, which stops the run
                return rec | {"status": "fatal", "error": error_line(e), "seconds": 0.0}
            self.ready = True
            rec["setup_seconds"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
        catcher = _WarningCatcher()
        root = logging.getLogger()
        root.addHandler(catcher)
        try:
            item.output.parent.mkdir(parents=True, exist_ok=True)  # the mirrored tree
            rec["frames"] = int(self.job.run(self.state, item, self.settings))
            rec["status"] = "done"
        except Exception as e:  # one bad item must not stop the batch: record it
            rec |= {"status": "failed", "error": error_line(e)}
            rec["retryable"] = not isinstance(e, RetargetError)
            if not isinstance(e, RetargetError):
                rec["traceback"] = traceback.format_exc(limit=-4)
        finally:
            root.removeHandler(catcher)
        if catcher.lines:
            rec["warnings"] = catcher.lines[:10]
        rec["seconds"] = round(time.perf_counter() - t0, 3)
        return rec


def died(item: Item, why: str) -> dict[str, Any]:
    """The record of an item whose worker process died under it."""
    return {"status": "failed", "error": f"the worker died running it ({why})",
            "retryable": True, "died": True, "seconds": 0.0, "worker": None}  # fmt: skip


class Engine:
    """Runs items on workers; subclasses say where."""

    name = "engine"
    workers = 1
    cluster: str | None = None

    def results(self, pending: deque[Item]) -> Iterator[tuple[Item, dict[str, Any]]]:
        """Take items from ``pending`` (which may grow while this runs) and yield each with
        its record as it finishes, until ``pending`` is empty and nothing is in flight."""
        raise NotImplementedError

    def close(self, abort: bool = False) -> None:
        """Stop the workers; with ``abort`` at once, mid-item (after an interrupt)."""


class SerialEngine(Engine):
    """This process, one item at a time."""

    name = "serial"

    def __init__(self, job: Job, settings: dict[str, Any]) -> None:
        self.worker = Worker(job, settings)

    def results(self, pending: deque[Item]) -> Iterator[tuple[Item, dict[str, Any]]]:
        while pending:
            item = pending.popleft()
            yield item, self.worker.run(item)


# ------------------------------------------------------------------ process pool
_POOL_WORKER: Worker | None = None


def _watch_parent(parent: int) -> None:
    """Exit when the process that started this worker is gone (killed with SIGKILL, its
    pool would otherwise wait for work forever)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _pool_init(
    job: Job, settings: dict[str, Any], slots: Any, gpus: list[str], threads: int
) -> None:
    global _POOL_WORKER
    if slots is not None:  # worker k sees GPU k mod n only
        os.environ["CUDA_VISIBLE_DEVICES"] = gpus[slots.get() % len(gpus)]
    elif gpus:  # a job that does not use them: keep the models on the CPU, as Ray does
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    if threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    _POOL_WORKER = Worker(job, settings)


def _pool_run(item: Item) -> dict[str, Any]:
    assert _POOL_WORKER is not None
    if _POOL_WORKER.settings.get("threads"):
        import sys

        if "torch" in sys.modules:  # OMP_NUM_THREADS covers a torch imported later
            sys.modules["torch"].set_num_threads(int(_POOL_WORKER.settings["threads"]))
    return _POOL_WORKER.run(item)


def local_gpus() -> list[str]:
    """The GPUs this machine shows (``CUDA_VISIBLE_DEVICES`` if set, else ``/dev/nvidiaN``),
    without importing torch."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [g for g in visible.split(",") if g.strip() and g.strip() != "-1"]
    return sorted(p.removeprefix("/dev/nvidia") for p in glob.glob("/dev/nvidia[0-9]*"))


class ProcessEngine(Engine):
    """A local pool of ``workers`` processes (``spawn``), rebuilt if a worker dies."""

    name = "processes"

    def __init__(self, job: Job, settings: dict[str, Any], workers: int) -> None:
        import multiprocessing as mp

        self.job, self.settings, self.workers = job, settings, workers
        self.gpus = local_gpus()
        self._use_gpus = job.uses_gpu
        self._ctx = mp.get_context("spawn")
        self._threads = int(settings.get("threads") or max(1, (os.cpu_count() or 1) // workers))
        self._pool = self._make_pool()

    def _make_pool(self) -> ProcessPoolExecutor:
        slots = None
        if self.gpus and self._use_gpus:  # worker k takes GPU k mod n
            slots = self._ctx.Queue()
            for k in range(self.workers):
                slots.put(k)
        return ProcessPoolExecutor(
            self.workers,
            mp_context=self._ctx,
            initializer=_pool_init,
            initargs=(self.job, self.settings, slots, self.gpus, self._threads),
        )

    def results(self, pending: deque[Item]) -> Iterator[tuple[Item, dict[str, Any]]]:
        in_flight: dict[Future, Item] = {}
        while pending or in_flight:
            while pending and len(in_flight) < self.workers:
                item = pending.popleft()
                in_flight[self._pool.submit(_pool_run, item)] = item
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                item = in_flight.pop(fut)
                try:
                    yield item, fut.result()
                except BrokenProcessPool as e:
                    broken = True
                    yield item, died(item, error_line(e) or "process pool broken")
            if broken:  # every item in flight is lost with the pool: record them, rebuild
                for fut, item in list(in_flight.items()):
                    with contextlib.suppress(BrokenProcessPool):
                        fut.result()
                    yield item, died(item, "another worker of the pool died")
                in_flight.clear()
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._make_pool()

    def close(self, abort: bool = False) -> None:
        if not abort:
            self._pool.shutdown(wait=True)
            return
        # Python 3.11 has no public way to stop a pool's running tasks: kill its processes
        # (an item they held stays unwritten: outputs appear only complete).
        for p in list(getattr(self._pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                p.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------------------- ray
def ray_available() -> bool:
    """Whether Ray is installed (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast when a ``HOST:PORT`` or ``ray://HOST:PORT`` address does not answer
    (``auto`` is resolved by Ray itself)."""
    if address in ("auto", "local"):
        return
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise ClusterError(
            f"`ray_address` {address!r}: expected auto, HOST:PORT or ray://HOST:PORT"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as e:
        raise ClusterError(
            f"`ray_address` {address}: no Ray cluster answers there ({e.strerror or e}); start "
            "one (ray start --head) or check the address"
        ) from None


class _RayWorker:
    """The body of a Ray actor (wrapped with ``ray.remote`` when Ray is used)."""

    def __init__(self, job: Job, settings: dict[str, Any]) -> None:
        self.worker = Worker(job, settings)

    def run(self, item: Item) -> dict[str, Any]:
        return self.worker.run(item)


class RayEngine(Engine):
    """One Ray actor per worker; a local Ray instance unless ``address`` names a cluster."""

    name = "ray"

    def __init__(
        self,
        job: Job,
        settings: dict[str, Any],
        workers: int | None,
        address: str | None = None,
        cpus_per_worker: float = 1.0,
        gpus_per_worker: float | None = None,
        memory_mb: int = 0,
    ) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            import ray
        except ImportError:
            raise missing_dependency("ray", "scale", "the Ray engine (`engine`)") from None
        self._ray = ray
        spec = job
        if address:
            check_reachable(address)
        try:
            if address:
                ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
            else:
                ray.init(
                    address="local",  # a new instance, even where a cluster or RAY_ADDRESS is
                    num_cpus=max(1, round((workers or 1) * cpus_per_worker)),
                    num_gpus=len(local_gpus()),
                    include_dashboard=False,
                    object_store_memory=100 * 1024**2,  # items return small records only
                    logging_level=logging.ERROR,
                    log_to_driver=False,
                )
        except (ConnectionError, RuntimeError, ValueError) as e:
            hint = ""
            if address and address != "auto" and "RAY_AUTH_MODE" not in os.environ:
                hint = " (a cluster with token authentication also needs RAY_AUTH_MODE=token)"
            raise ClusterError(
                f"`ray_address` {address or '(local)'}: {error_line(e)}{hint}"
            ) from None
        resources = ray.cluster_resources()
        gpus = float(resources.get("GPU", 0.0))
        if gpus_per_worker is None:
            gpus_per_worker = 1.0 if gpus >= 1 and spec.uses_gpu else 0.0
        if workers is None:  # fill the cluster: one worker per GPU, else per CPU share
            per = gpus / gpus_per_worker if gpus_per_worker else 0
            workers = int(per or resources.get("CPU", 1) // cpus_per_worker) or 1
        self.workers = workers
        self.cluster = address or "local"
        self.gpus_per_worker = gpus_per_worker
        opts: dict[str, Any] = {"num_cpus": cpus_per_worker, "num_gpus": gpus_per_worker}
        if memory_mb:
            opts["memory"] = memory_mb * 1024**2
        self._actor_class = ray.remote(_RayWorker).options(**opts)
        self._args = (job, settings)
        self._actors = [self._actor_class.remote(*self._args) for _ in range(workers)]

    def results(self, pending: deque[Item]) -> Iterator[tuple[Item, dict[str, Any]]]:
        ray = self._ray
        idle = deque(range(len(self._actors)))
        in_flight: dict[Any, tuple[int, Item]] = {}
        while pending or in_flight:
            while pending and idle:
                k = idle.popleft()
                item = pending.popleft()
                in_flight[self._actors[k].run.remote(item)] = (k, item)
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                k, item = in_flight.pop(ref)
                try:
                    rec = ray.get(ref)
                except ray.exceptions.RayError as e:  # the actor died (crash, OOM kill)
                    rec = died(item, error_line(e))
                    with contextlib.suppress(Exception):
                        ray.kill(self._actors[k])
                    self._actors[k] = self._actor_class.remote(*self._args)
                idle.append(k)
                yield item, rec

    def close(self, abort: bool = False) -> None:
        for a in self._actors:
            with contextlib.suppress(Exception):
                self._ray.kill(a)
        self._ray.shutdown()


def make_engine(
    engine: str,
    job: str | Job,
    settings: dict[str, Any],
    workers: int | None,
    ray_address: str | None = None,
    gpus_per_worker: float | None = None,
) -> Engine:
    """The engine ``engine`` names; ``auto``: Ray when installed, else a process pool (or
    this process for one worker), with a notice."""
    job = get_job(job) if isinstance(job, str) else job
    if engine not in ENGINES:
        raise InvalidArgumentError(
            f"unknown `engine` {engine!r}: choose one of {', '.join(ENGINES)}"
        )
    if engine == "auto":
        if ray_available():
            engine = "ray"
        elif ray_address:
            raise missing_dependency("ray", "scale", "`ray_address`")
        else:
            engine = "processes" if (workers or 1) > 1 else "serial"
            log.warning(
                "Ray is not installed (pip install 'retarget[scale]'): running %d local "
                "process%s instead",
                workers or 1,
                "es" if (workers or 1) > 1 else "",
            )
    if ray_address and engine != "ray":
        raise ClusterError(f"`ray_address` needs the Ray engine, not `engine` {engine}")
    if engine == "ray":
        return RayEngine(job, settings, workers, ray_address, gpus_per_worker=gpus_per_worker)
    if engine == "processes":
        return ProcessEngine(job, settings, workers or 1)
    return SerialEngine(job, settings)
