"""One training loop for every learned model: a budget, a schedule, early stopping, resume.

A run ends when it has taken ``iterations`` steps or spent ``minutes`` of wall time,
whichever comes first; the learning rate follows a cosine from ``lr`` to ``lr_final`` over
that same budget (:class:`Schedule`), so a short time budget still ends with a small
learning rate. With held-out data (``validate``) the loop keeps the weights that do best
on it and can stop early when they stop improving (``patience``). Checkpoints are written by
a callback every ``checkpoint_every`` steps and at the end; a resumed run passes the step
(and the time) it had reached.

The model's own code supplies one step (``step_fn``: forward, backward, optimiser step,
returning its losses as floats); this module never sees a batch.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skeleton_io.errors import InvalidArgumentError

if TYPE_CHECKING:
    from .distributed import Dist

log = logging.getLogger(__name__)


MAX_MINUTES = 30 * 24 * 60.0
"""The longest wall-time budget taken (a month): more is a typo, or an infinity."""
MAX_LR = 10.0
"""The largest learning rate taken (anything near it diverges; more is a typo)."""


def check_budget(
    iterations: int, minutes: float | None, batch: int | None = None, lr: float | None = None
) -> None:
    """A training budget that can run: ``iterations`` >= 1, ``minutes`` (None: no limit)
    within (0, :data:`MAX_MINUTES`], ``batch`` >= 2, ``lr`` within (0, :data:`MAX_LR`];
    else :class:`~skeleton_io.errors.InvalidArgumentError` naming the parameter."""
    from skeleton_io.checks import check_range

    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise InvalidArgumentError(f"`iterations` must be a whole number >= 1, got {iterations!r}")
    if minutes is not None:
        check_range(minutes, "minutes", 1e-6, MAX_MINUTES, "a number of minutes")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 2):
        raise InvalidArgumentError(f"`batch` must be a whole number >= 2, got {batch!r}")
    if lr is not None and not (math.isfinite(lr) and 0 < lr <= MAX_LR):
        raise InvalidArgumentError(f"`lr` must be a learning rate in (0, {MAX_LR:g}], got {lr!r}")


def require_windows(lengths: Sequence[int], window: int, where: Any, split: str) -> None:
    """Training data with a clip of at least ``window`` frames (``lengths``: the frame
    counts of the ``split``'s clips in the motion capture folder ``where``)."""
    if not any(n >= window for n in lengths):
        raise InvalidArgumentError(
            f"{where}: the {split} split has no motion of {window} frames or more "
            f"({len(lengths)} clips); give `data` a folder with longer motion capture"
        )


@dataclass(frozen=True)
class Schedule:
    """The budget of a run and its learning rate.

    Attributes:
        lr: the learning rate at the start.
        iterations: the most steps.
        minutes: the most wall time (None: no limit).
        lr_final: the learning rate at the end of the budget.
    """

    lr: float
    iterations: int
    minutes: float | None = None
    lr_final: float = 0.0

    def __post_init__(self) -> None:
        check_budget(self.iterations, self.minutes, lr=self.lr)

    def progress(self, step: int, seconds: float = 0.0) -> float:
        """How much of the budget ``step`` steps and ``seconds`` of wall time have used, 0-1."""
        p = step / self.iterations
        if self.minutes is not None:
            p = max(p, seconds / (60.0 * self.minutes))
        return min(p, 1.0)

    def lr_at(self, progress: float) -> float:
        """Cosine decay from ``lr`` to ``lr_final`` as ``progress`` goes from 0 to 1."""
        p = min(max(progress, 0.0), 1.0)
        return self.lr_final + 0.5 * (self.lr - self.lr_final) * (1 + math.cos(math.pi * p))


@dataclass
class LoopResult:
    """What :func:`run_loop` did. ``best_step``/``best_value``: the held-out optimum (the
    weights left in the model are those), or the last step without ``validate``."""

    step: int
    seconds: float
    losses: dict[str, float] = field(default_factory=dict)
    best_step: int = 0
    best_value: float = math.inf
    stopped_early: bool = False
    history: list[dict[str, float]] = field(default_factory=list)


def run_loop(
    step_fn: Callable[[int], dict[str, float]],
    schedule: Schedule,
    optimizer: Any,
    *,
    model: Any = None,
    start_step: int = 0,
    seconds_spent: float = 0.0,
    validate: Callable[[], float] | None = None,
    eval_every: int = 0,
    patience: int | None = None,
    validate_first: bool = False,
    checkpoint: Callable[[int], None] | None = None,
    checkpoint_every: int = 0,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    log_every: int = 50,
    progress: bool = True,
    desc: str = "train",
    is_main: bool = True,
    dist: Dist | None = None,
) -> LoopResult:
    """Train until the budget of ``schedule`` is used.

    Args:
        step_fn: one training step; gets the step number, returns its losses (floats).
        optimizer: its learning rate is set from ``schedule`` before every step.
        model: with ``validate``: the module whose best weights are kept and restored.
        start_step, seconds_spent: where a resumed run (or data preparation counted in the
            budget) stands.
        validate: held-out loss (lower is better), called every ``eval_every`` steps and at
            the end, in the caller's eval mode (the caller switches modes).
        patience: stop after this many evaluations without improvement (None: never).
        validate_first: also evaluate before the first step (the untrained or resumed
            weights can be the best).
        checkpoint: called with the step every ``checkpoint_every`` steps and at the end
            (only where ``is_main``: rank 0 of a distributed run).
        on_log: called every ``log_every`` steps with the mean losses since the last call.
        is_main: this process writes checkpoints, logs and the progress bar.
        dist: a data-parallel run (:mod:`retarget.nn.distributed`): ``is_main`` is rank 0,
            logged losses are averaged over ranks, the time budget is the slowest rank's,
            and ``validate`` runs on rank 0 only, its value shared, so that every rank
            stops at the same step; every rank returns together, after rank 0's last
            checkpoint.
    """
    from tqdm import tqdm

    if dist is not None:
        is_main = dist.is_main
        if validate is not None:
            validate = _on_rank_0(validate, dist)
    t0 = time.perf_counter() - seconds_spent

    def elapsed() -> float:
        t = time.perf_counter() - t0
        return dist.max(t) if dist is not None and schedule.minutes is not None else t

    res = LoopResult(step=start_step, seconds=0.0)
    best = _HeldOut(validate, model, patience, res) if validate is not None else None
    logged = _Means()
    bar = tqdm(total=schedule.iterations, initial=start_step, disable=not (progress and is_main),
               file=sys.stderr, dynamic_ncols=True, desc=desc)  # fmt: skip
    if best is not None and validate_first:
        best.evaluate(start_step)
    step = start_step
    while (p := schedule.progress(step, elapsed())) < 1.0:
        lr = schedule.lr_at(p)
        for g in optimizer.param_groups:
            g["lr"] = lr
        res.losses = step_fn(step)
        step += 1
        bar.update(1)
        logged.add(res.losses)
        if step % log_every == 0:
            mean = logged.pop()
            mean = (dist.mean(mean) if dist is not None else mean) | {"lr": lr}
            bar.set_postfix({k: f"{v:.4g}" for k, v in list(mean.items())[:4]})
            if on_log is not None and is_main:
                on_log(step, mean)
        if best is not None and eval_every and step % eval_every == 0 and best.evaluate(step):
            res.stopped_early = True
            log.info("%s: no held-out improvement in %s evaluations; stopping", desc, patience)
            break
        if checkpoint is not None and is_main and checkpoint_every and step % checkpoint_every == 0:
            checkpoint(step)
    bar.close()
    if best is None:
        res.best_step = step
    else:
        best.finish(step, desc)
    res.step, res.seconds = step, time.perf_counter() - t0
    if checkpoint is not None and is_main:
        checkpoint(step)
    if dist is not None:
        dist.barrier()  # every rank leaves together, after rank 0's last checkpoint
    return res


def _on_rank_0(validate: Callable[[], float], dist: Dist) -> Callable[[], float]:
    """``validate`` run by rank 0 alone, its value handed to every rank."""

    def shared() -> float:
        return float(dist.broadcast(float(validate()) if dist.is_main else math.nan))

    return shared


class _Means:
    """Running sums of the logged losses."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.n = 0

    def add(self, losses: dict[str, float]) -> None:
        for k, v in losses.items():
            self.sums[k] = self.sums.get(k, 0.0) + float(v)
        self.n += 1

    def pop(self) -> dict[str, float]:
        out = {k: v / max(self.n, 1) for k, v in self.sums.items()}
        self.sums, self.n = {}, 0
        return out


class _HeldOut:
    """Held-out evaluations: the best value and step, the best weights, patience."""

    def __init__(self, validate: Callable[[], float], model: Any, patience: int | None,
                 res: LoopResult) -> None:  # fmt: skip
        self.validate, self.model, self.patience, self.res = validate, model, patience, res
        self.state: dict[str, Any] | None = None
        self.since_best = 0

    def evaluate(self, step: int) -> bool:
        """Evaluate now; True when patience has run out."""
        value = float(self.validate())
        self.res.history.append({"step": step, "held_out": value})
        if value < self.res.best_value:
            self.res.best_value, self.res.best_step, self.since_best = value, step, 0
            if self.model is not None:
                self.state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        else:
            self.since_best += 1
        return self.patience is not None and self.since_best >= self.patience

    def finish(self, step: int, desc: str) -> None:
        """A last evaluation (unless this step had one), then the best weights back."""
        if not (self.res.history and self.res.history[-1]["step"] == step):
            self.evaluate(step)
        if self.state is not None:
            self.model.load_state_dict(self.state)
            log.info("%s: kept the weights of step %d (held-out %.4g)", desc,
                     self.res.best_step, self.res.best_value)  # fmt: skip


__all__ = ["LoopResult", "Schedule", "run_loop"]
