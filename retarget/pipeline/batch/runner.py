"""``retarget batch``: run one job over many inputs, resumably, and keep a ledger.

What a run does (:func:`run_batch`):

1. Finds the items (:mod:`.items`) and, with ``shard=(i, n)``, keeps every n-th from the
   i-th (0-based: Slurm's ``$SLURM_ARRAY_TASK_ID``).
2. Skips every item whose output exists (and its side outputs, :attr:`Job.side_outputs`):
   outputs are written to a hidden temporary and renamed when complete
   (:mod:`skeleton_io.atomic`), so an existing output is a complete one. Temporaries a
   killed run left behind are removed first.
3. Runs the rest on an engine (:mod:`.engines`); each worker loads the models once.
4. Appends one JSON line per attempt to the ledger (``OUT/_ledgers/JOB-TIME.jsonl``):
   ``key``, ``input``, ``output``, ``status`` (``done``, ``failed`` or ``skipped``),
   ``attempt``, ``seconds``, ``frames``, ``error`` (one line), ``warnings``, ``engine``,
   ``worker``. Lines are flushed as items finish: after a kill the ledger holds every item
   that finished.
5. Retries failures that may pass on another try (a worker that died, an I/O error) up to
   ``retry`` times; inputs the toolkit rejected (corrupt, no person found) fail once per
   run. A failed item never stops the others; running the same command again retries only
   the items without an output.

Two runs must not write the same outputs at once: a lock file in the ledger folder (one per
shard) refuses the second.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skeleton_io.atomic import check_output_path, remove_temporaries
from skeleton_io.checks import check_count, check_range, max_local_workers
from skeleton_io.errors import ClusterError, InvalidArgumentError, ModelError, OutputError

from .engines import Engine, make_engine
from .items import Item, discover
from .jobs import Job, get_job

log = logging.getLogger(__name__)

LEDGER_DIR = "_ledgers"


@dataclass
class BatchResult:
    """What a run did. ``failures``: ``(key, error line)`` of the items that failed."""

    job: str
    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    engine: str = ""
    workers: int = 0
    ledger: Path | None = None
    interrupted: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Items finished (done or failed) per second of this run."""
        return (self.done + self.failed) / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line: counts, time, rate, ledger."""
        head = "interrupted" if self.interrupted else "finished"
        how = f", {self.engine}, {self.workers} workers" if self.engine else ""
        return (
            f"batch {self.job} {head}: {self.done} done, {self.failed} failed, {self.skipped} "
            f"skipped (already written) of {self.total} in {self.seconds:.1f} s "
            f"({self.rate:.2f} items/s{how}); ledger {self.ledger}"
        )


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` (0 <= I < N) as ``(I, N)``."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise InvalidArgumentError(f"`shard` {text!r}: expected I/N, e.g. 0/4") from None
    if not 0 <= i < n:
        raise InvalidArgumentError(f"`shard` {text!r}: need 0 <= I < N")
    return i, n


def plan(
    job: str | Job,
    inputs: str | Path,
    out_dir: str | Path,
    settings: dict[str, Any],
    shard: tuple[int, int] | None = None,
) -> list[Item]:
    """The items of a run, with absolute paths (workers may run elsewhere)."""
    spec = get_job(job) if isinstance(job, str) else job
    out_dir = Path(out_dir).absolute()
    items = discover(
        inputs,
        out_dir,
        suffixes=spec.suffixes,
        folders=spec.folders,
        out_suffix=spec.output_suffix(settings),
        option_parsers=dict(spec.options),
        path_options=spec.path_options,
    )
    if shard is not None:
        items = items[shard[0] :: shard[1]]
    ledgers = out_dir / LEDGER_DIR
    out: list[Item] = []
    for it in items:
        dst = it.output.absolute()
        if ledgers in dst.parents:
            raise InvalidArgumentError(f"{it.key}: would write into the ledger folder {ledgers}")
        out.append(Item(it.key, it.input.absolute(), dst, it.options))
    return out


@contextlib.contextmanager
def _lock(folder: Path, shard: tuple[int, int] | None) -> Iterator[None]:
    import fcntl

    name = ".lock" if shard is None else f".lock-{shard[0]}-of-{shard[1]}"
    with open(folder / name, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(
                f"{folder.parent}: another retarget batch is writing there now; wait for it "
                "or choose another `out_dir`"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _record(item: Item, **fields: Any) -> dict[str, Any]:
    return {"key": item.key, "input": str(item.input), "output": str(item.output), **fields}


def run_batch(
    job: str | Job,
    inputs: str | Path,
    out_dir: str | Path,
    *,
    settings: dict[str, Any] | None = None,
    workers: int | None = None,
    engine: str = "auto",
    ray_address: str | None = None,
    gpus_per_worker: float | None = None,
    retry: int = 1,
    overwrite: bool = False,
    shard: tuple[int, int] | None = None,
    ledger: str | Path | None = None,
    progress: bool = True,
) -> BatchResult:
    """Run ``job`` over ``inputs`` into ``out_dir`` (see the module docstring).

    Args:
        job: a name in :data:`JOBS` (``extract``, ``denoise``, ``transfer``, ``align``) or a
            :class:`Job` (its functions must be importable by the workers).
        inputs: a folder, a glob or a manifest (:mod:`.items`).
        settings: the job's options (library names: ``out_format``, ``denoise``, ``fps``...).
        workers: worker processes (None: 1 locally; on a cluster, as many as fit).
        engine: ``auto`` (Ray when installed, else local processes), ``ray``,
            ``processes`` or ``serial``.
        ray_address: an existing Ray cluster (``auto``, ``HOST:PORT``, ``ray://...``).
        gpus_per_worker: GPUs each Ray worker takes (None: 1 when the cluster has GPUs).
        retry: extra attempts for failures that may pass on another try.
        overwrite: redo items whose output exists (and write OpenPose folders into folders
            that hold other files).
        ledger: the JSONL ledger's path (default ``out_dir/_ledgers/JOB-TIME.jsonl``).
    """
    if workers is not None and workers < 1:
        raise InvalidArgumentError(f"`workers` must be at least 1, got {workers}")
    if workers is not None and ray_address is None:  # this machine's processes or Ray
        check_count(workers, "workers", 1, max_local_workers(), "a number of local processes")
    check_count(retry, "retry", 0, MAX_RETRY)
    if gpus_per_worker is not None:
        check_range(gpus_per_worker, "gpus_per_worker", 0, 1024, "a number of GPUs")
    if ledger:
        check_output_path(ledger, folder=False)
    job = get_job(job) if isinstance(job, str) else job
    settings = dict(settings or {}) | {"overwrite": overwrite}
    _check_settings(settings)
    out_dir = Path(out_dir)
    items = plan(job, inputs, out_dir, settings, shard)
    _check_required(job, items, settings)
    _make_folder(out_dir)
    ledgers = out_dir.absolute() / LEDGER_DIR
    ledgers.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    suffix = f"-shard{shard[0]}of{shard[1]}" if shard else ""
    ledger_path = Path(ledger) if ledger else ledgers / f"{job.name}-{stamp}{suffix}.jsonl"
    with _lock(ledgers, shard):
        return _run(job, items, settings, workers, engine, ray_address, gpus_per_worker,
                    retry, overwrite, ledger_path, progress)  # fmt: skip


MAX_RETRY = 100
"""The most extra attempts of a failed item."""


PATH_SETTINGS = ("structure", "reference", "model")
"""Settings naming a file or folder: checked to exist and made absolute (workers may run
in another folder)."""


def _check_settings(settings: dict[str, Any]) -> None:
    """Validate once, before any worker starts, what every item would need."""
    from ...retargeters import BASELINES

    for key in PATH_SETTINGS:
        value = settings.get(key)
        name = isinstance(value, (str, Path)) and str(value).partition("+")[0] in BASELINES
        if key == "model" and name and not Path(value).exists():
            settings[key] = str(value)  # an analytic retargeter's name (align)
            continue
        if value is not None and isinstance(value, (str, Path)):
            p = Path(value)
            if not p.exists():
                raise (ModelError if key == "model" else InvalidArgumentError)(
                    f"{p}: no such file or folder; check `{key}`"
                )
            settings[key] = str(p.absolute())
    view = settings.get("view")
    if isinstance(view, Path):
        settings["view"] = view.absolute()


def _check_required(job: Job, items: list[Item], settings: dict[str, Any]) -> None:
    """Every item has the job's required options (from the command or its manifest row):
    known before any worker starts, so one error, not one failure per item."""
    for key in job.required:
        if settings.get(key) is not None:
            continue
        lacking = [it for it in items if it.options.get(key) is None]
        if lacking:
            raise InvalidArgumentError(
                f"{lacking[0].input}: no {key} for the {job.name} job; give `{key}` (or a "
                f"manifest {key} column)"
            )


def _make_folder(out_dir: Path) -> None:
    check_output_path(out_dir, folder=True)
    parent = out_dir.absolute().parent
    if not out_dir.exists() and not parent.is_dir():
        raise OutputError(f"{out_dir}: folder {parent} does not exist; create it first")
    try:
        out_dir.mkdir(exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out_dir}: cannot create the output folder ({e.strerror})") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputError(f"{out_dir}: not writable; choose another `out_dir`")


def _run(job, items, settings, workers, engine_name, ray_address, gpus_per_worker, retry,
         overwrite, ledger_path, progress) -> BatchResult:  # fmt: skip
    from tqdm import tqdm

    t0 = time.perf_counter()
    res = BatchResult(job=job.name, total=len(items), ledger=ledger_path)
    outputs = {it.key: job.outputs(it, settings) for it in items}
    every_output = [p for paths in outputs.values() for p in paths]
    remove_temporaries(every_output)
    written = {it.key for it in items if not overwrite and all(p.exists() for p in outputs[it.key])}
    todo = deque(it for it in items if it.key not in written)
    skipped = [it for it in items if it.key in written]
    res.skipped = len(skipped)
    engine: Engine | None = None
    attempts: dict[str, int] = {}
    deaths = 0  # workers that died in a row: a broken cluster stops the run
    with open(ledger_path, "a", encoding="utf-8") as led:

        def write(rec: dict[str, Any]) -> None:
            led.write(json.dumps(rec, default=str) + "\n")
            led.flush()

        for it in skipped:
            write(_record(it, status="skipped", attempt=0, seconds=0.0, engine=None))
        if not todo:
            res.seconds = time.perf_counter() - t0
            return res
        engine = make_engine(engine_name, job, settings, workers, ray_address, gpus_per_worker)
        res.engine, res.workers = engine.name, engine.workers
        if engine.cluster:
            res.engine = f"ray ({engine.cluster})"
        bar = tqdm(total=len(todo), disable=not progress or None, file=sys.stderr,
                   unit="item", desc=f"batch {job.name}", dynamic_ncols=True)  # fmt: skip
        try:
            for item, rec in engine.results(todo):
                n = attempts[item.key] = attempts.get(item.key, 0) + 1
                rec = _record(item, attempt=n, engine=res.engine, **rec)
                if rec["status"] == "fatal":
                    write(rec)
                    raise ModelError(f"batch {job.name}: a worker could not start: {rec['error']}")
                deaths = deaths + 1 if rec.get("died") else 0
                if deaths >= max(4, 2 * engine.workers) and res.done == 0:
                    write(rec)
                    raise ClusterError(
                        f"batch {job.name}: the workers die before finishing any item "
                        f"({rec['error']}); check the cluster's logs"
                    )
                again = rec["status"] == "failed" and rec.pop("retryable", False) and n <= retry
                write(rec)
                if again:
                    todo.append(item)
                    continue
                if rec["status"] == "done":
                    res.done += 1
                else:
                    res.failed += 1
                    res.failures.append((item.key, rec.get("error", "")))
                bar.update(1)
                bar.set_postfix(done=res.done, failed=res.failed, refresh=False)
        except KeyboardInterrupt:
            res.interrupted = True
        finally:
            bar.close()
            engine.close(abort=res.interrupted or sys.exc_info()[0] is not None)
            if res.interrupted:  # workers were stopped mid-item: remove what they left
                remove_temporaries(every_output)
    res.seconds = time.perf_counter() - t0
    return res
