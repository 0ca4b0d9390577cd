"""Training of the TransMoMo-style model on motion capture (``retarget train``).

One step (:func:`training_step`) takes a batch of :class:`retarget.data.MocapWindows` items
(``x``, its 3D ``x3d``, the limb-scaled copy ``x_s``/``x3d_s``), makes a third view of the
same motion by turning ``x3d`` about the vertical by a random yaw (``x_r``), corrupts the
*inputs* like a pose detector would (joint dropouts, jitter), and sums the weighted losses of
:mod:`retarget.model.losses`. Targets are always the clean motion capture.

A run folder holds ``config.json`` (every constructor argument, loss weights, training
settings, the command), ``stats.json`` (input statistics), ``weights.pt``, ``state.pt``
(optimiser, step, for ``--resume``), ``log.jsonl`` (losses) and ``eval.json`` (the benchmark
protocol on the validation split, every ``eval_every`` steps).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from skeleton_io.atomic import atomic_file
from skeleton_io.errors import ModelError

from ..geometry_torch import rotate
from ..nn.folder import load_state, read_folder, write_folder
from ..nn.training import Schedule, run_loop
from ..representation import InputStats, body_scale, compute_stats, network_input, to_local
from .losses import LossWeights, bone_consistency, invariance, projected, reconstruction, triplet
from .networks import TransMoMo, TransMoMoConfig

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Settings of a training run (saved in ``config.json``)."""

    iterations: int = 20000
    minutes: float | None = None
    batch: int = 32
    lr: float = 1e-3
    lr_final: float = 1e-5
    weight_decay: float = 1e-4
    window: int = 64
    stride: int = 32
    seed: int = 0
    eval_every: int = 1000
    checkpoint_every: int = 500
    dropout_joint: float = 0.05
    """Chance that a joint is missing in a frame of the input (runs of 1-8 frames)."""
    dropout_limb: float = 0.15
    """Chance that an item loses one limb (2-3 joints) for the whole window."""
    jitter: float = 0.004
    """Input jitter, standard deviation in units of body height."""
    data: str = "../shared/mocap"
    device: str = "auto"
    world_size: int = 1
    """Data-parallel processes (``torchrun``); ``batch`` is per process."""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunConfig:
    net: TransMoMoConfig = field(default_factory=TransMoMoConfig)
    loss: LossWeights = field(default_factory=LossWeights)
    train: TrainConfig = field(default_factory=TrainConfig)
    command: str = ""
    data_summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "net": self.net.to_dict(),
            "loss": self.loss.to_dict(),
            "train": self.train.to_dict(),
            "command": self.command,
            "data": self.data_summary,
        }

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        return cls(
            TransMoMoConfig(**d["net"]),
            LossWeights(**d["loss"]),
            TrainConfig(**d["train"]),
            d.get("command", ""),
            d.get("data", {}),
        )


# ----------------------------------------------------------------------- corruption
def corrupt(
    local2d: torch.Tensor, gen: torch.Generator, cfg: TrainConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """Detector-like corruption of a clean input ``(B, T, 15, 2)`` (units of body height).

    Returns the corrupted input and its confidence ``(B, T, 15)`` (0 where dropped). The
    MidHip slot (hip velocity) is never dropped: the hip is the mean of both hips, which
    detectors rarely lose together.
    """
    from ..geometry import HIP, J

    b, t, j, _ = local2d.shape
    dev = local2d.device
    conf = torch.ones(b, t, j, device=dev)
    if cfg.dropout_joint > 0:
        # runs: start points with probability p/4.5, each lasting 1-8 frames
        starts = torch.rand(b, t, j, generator=gen, device=dev) < cfg.dropout_joint / 4.5
        length = torch.randint(1, 9, (b, t, j), generator=gen, device=dev)
        drop = torch.zeros(b, t, j, dtype=torch.bool, device=dev)
        for k in range(8):
            shifted = torch.roll(starts & (length > k), shifts=k, dims=1)
            shifted[:, :k] = False
            drop |= shifted
        conf = conf.masked_fill(drop, 0.0)
    if cfg.dropout_limb > 0:
        limbs = [
            [J["RElbow"], J["RWrist"]], [J["LElbow"], J["LWrist"]],
            [J["RKnee"], J["RAnkle"]], [J["LKnee"], J["LAnkle"]], [J["Nose"]],
        ]  # fmt: skip
        hit = torch.rand(b, generator=gen, device=dev) < cfg.dropout_limb
        which = torch.randint(0, len(limbs), (b,), generator=gen, device=dev)
        for i in torch.nonzero(hit).flatten().tolist():
            conf[i, :, limbs[int(which[i])]] = 0.0
    conf[:, :, HIP] = 1.0
    noisy = local2d + cfg.jitter * torch.randn(local2d.shape, generator=gen, device=dev)
    noisy[:, :, HIP] = local2d[:, :, HIP]  # the velocity slot: keep clean
    return noisy, conf


# ------------------------------------------------------------------------ one step
def training_step(
    model: TransMoMo,
    batch: dict[str, torch.Tensor],
    stats: InputStats,
    w: LossWeights,
    cfg: TrainConfig,
    gen: torch.Generator,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The weighted loss of one batch and its parts (as floats)."""
    dev = next(model.parameters()).device
    x3d = batch["x3d"].to(dev)
    x3d_s = batch["x3d_s"].to(dev)
    bsz, t = x3d.shape[:2]
    yaw = (torch.rand(bsz, generator=gen, device=dev) * 2 - 1) * 180.0
    x3d_r = rotate(x3d, yaw)

    seqs = {}
    for name, s3 in (("x", x3d), ("s", x3d_s), ("r", x3d_r)):
        s2 = projected(s3)
        scale = body_scale(s2)
        l2 = to_local(s2, scale)
        l3 = to_local(s3, scale)
        noisy, conf = corrupt(l2, gen, cfg)
        inp = network_input(noisy, conf, stats)
        seqs[name] = (l2, l3, inp)

    codes = {k: model.encode(v[2]) for k, v in seqs.items()}
    parts: dict[str, torch.Tensor] = {}
    rec = rec3 = bone = 0.0
    for k in ("x", "s", "r"):
        dec = model.decode(*codes[k])
        l2, l3, _ = seqs[k]
        rec = rec + reconstruction(projected(dec), l2)
        rec3 = rec3 + reconstruction(dec, l3)
        bone = bone + bone_consistency(dec, l3)
    parts["rec"], parts["rec3d"], parts["bone"] = rec / 3, rec3 / 3, bone / 3

    (mx, bx, vx), (ms, bs, vs), (mr, br, vr) = codes["x"], codes["s"], codes["r"]
    cross_s = model.decode(mx, bs, vx)  # x's motion and view, x_s's structure -> x_s
    cross_x = model.decode(ms, bx, vs)  # and back
    parts["cross"] = (
        reconstruction(cross_s, seqs["s"][1]) + reconstruction(cross_x, seqs["x"][1])
    ) / 2 + (
        reconstruction(projected(cross_s), seqs["s"][0])
        + reconstruction(projected(cross_x), seqs["x"][0])
    ) / 2
    parts["struct_inv"] = (invariance(mx, ms) + invariance(vx, vs)) / 2
    parts["rot_inv"] = (invariance(mx, mr) + invariance(bx, br)) / 2
    # x_r's view with x's motion and structure decodes to x_r
    parts["rot_rec"] = reconstruction(model.decode(mx, bx, vr), seqs["r"][1])

    half = t // 2
    first = {k: v[2][..., :half] for k, v in seqs.items()}
    second = {k: v[2][..., half:] for k, v in seqs.items()}
    parts["triplet_body"] = triplet(
        model.body(first["x"]), model.body(second["x"]), model.body(second["s"]), w.margin
    )
    parts["triplet_view"] = triplet(
        model.view(first["x"]), model.view(second["x"]), model.view(second["r"]), w.margin
    )
    total = sum(getattr(w, k) * v for k, v in parts.items())
    return total, {k: float(v.detach()) for k, v in parts.items()} | {
        "total": float(total.detach())
    }


class _Step(torch.nn.Module):
    """:func:`training_step` as a module, so that DistributedDataParallel can wrap it (its
    forward is what DDP hooks to average gradients); returns ``(loss, parts)``."""

    def __init__(self, model: TransMoMo, stats: InputStats, w: LossWeights, cfg: TrainConfig,
                 gen: torch.Generator) -> None:  # fmt: skip
        super().__init__()
        self.model, self.stats, self.w, self.cfg, self.gen = model, stats, w, cfg, gen

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        return training_step(self.model, batch, self.stats, self.w, self.cfg, self.gen)


# ----------------------------------------------------------------------- save / load
FORMAT = "retarget-transmomo/1"
_WHAT, _HINT = "model folder", "pass a `retarget train` output"


def save_run(run_dir: Path, model: TransMoMo, stats: InputStats, cfg: RunConfig) -> None:
    """Weights, statistics and config (:func:`retarget.nn.write_folder`)."""
    write_folder(run_dir, cfg.to_dict(), model.state_dict(), stats.to_dict())


def load_run(
    run_dir: str | Path, device: str | torch.device = "cpu"
) -> tuple[TransMoMo, InputStats, RunConfig]:
    """The model, input statistics and config of a run folder."""
    folder = read_folder(run_dir, FORMAT, _WHAT, _HINT)
    try:
        cfg = RunConfig.from_dict(folder.config)
        stats = InputStats.from_dict(folder.stats)
    except (KeyError, TypeError) as e:
        raise ModelError(f"{folder.path}: cannot read the {_WHAT} ({e}); {_HINT}") from None
    model = load_state(TransMoMo(cfg.net), folder, _WHAT, _HINT)
    model.to(device).eval()
    return model, stats, cfg


# ------------------------------------------------------------------------ the loop
def input_stats_from(sampler, batches: int = 16, batch: int = 32) -> InputStats:
    """:class:`InputStats` over random batches (2D of ``x3d`` and ``x3d_s``, clean)."""
    locs = []
    for _ in range(batches):
        items = sampler(batch)
        for key in ("x3d", "x3d_s"):
            x = projected(items[key]).double().cpu()
            locs.append(to_local(x, body_scale(x)).numpy())
    return compute_stats(locs)


def train(
    run_dir: str | Path,
    sampler,
    cfg: RunConfig,
    *,
    resume: bool = False,
    evaluate=None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train (or resume) a model in ``run_dir``; returns the last losses and evaluation.

    Args:
        run_dir: output folder.
        sampler: ``callable(batch_size) -> {"x3d", "x3d_s"}`` tensors, e.g. a
            :class:`retarget.data.sampler.BatchSampler`.
        cfg: the run's configuration.
        resume: continue from ``state.pt`` in ``run_dir`` (step, optimiser, random state
            and the time already spent).
        evaluate: optional ``callable(model, stats) -> dict`` run every ``eval_every`` steps
            and at the end (written to ``eval.json``).

    The budget, schedule and checkpoints are :func:`retarget.nn.run_loop`'s.
    """
    from ..device import resolve_device
    from ..nn import distributed

    run_dir = Path(run_dir)
    tc = cfg.train
    dist, device = distributed.setup(resolve_device(tc.device))
    tc.world_size = dist.world_size
    torch.manual_seed(tc.seed)  # the same initial weights on every rank
    gen = torch.Generator(device=device).manual_seed(tc.seed + dist.rank)
    model = TransMoMo(cfg.net).to(device)
    step, spent = 0, 0.0
    if resume:
        if not (run_dir / "state.pt").exists():
            raise ModelError(f"{run_dir}: nothing to resume (no state.pt); drop `resume`")
        model, stats, _ = load_run(run_dir, device)
    else:  # rank 0's statistics for all: they are part of the model
        stats = dist.broadcast(input_stats_from(sampler) if dist.is_main else None)
    opt = torch.optim.AdamW(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    if resume:
        st = torch.load(run_dir / "state.pt", map_location=device, weights_only=False)
        opt.load_state_dict(st["optimizer"])
        step, spent = int(st["step"]), float(st.get("seconds", 0.0))
        if dist.rank == 0:
            gen.set_state(st["generator"].cpu() if device.type == "cpu" else st["generator"])
        else:  # only rank 0's state is saved: the others draw anew, seeded by the step
            gen.manual_seed(tc.seed + dist.rank + 1000003 * step)
    model.train()
    step_module = distributed.wrap(_Step(model, stats, cfg.loss, tc, gen), dist, device)
    if dist.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
    logf = open(run_dir / "log.jsonl", "a") if dist.is_main else None  # noqa: SIM115
    evaluation: dict[str, Any] = {}
    t0 = time.perf_counter() - spent
    at = [step]

    def step_fn(s: int) -> dict[str, float]:
        loss, parts = step_module(sampler(tc.batch))
        opt.zero_grad(set_to_none=True)
        loss.backward()  # under DDP: gradients averaged over the ranks here
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        at[0] = s + 1
        return parts

    def checkpoint(s: int) -> None:
        save_run(run_dir, model, stats, cfg)
        state = {"optimizer": opt.state_dict(), "step": s, "generator": gen.get_state(),
                 "seconds": time.perf_counter() - t0}  # fmt: skip
        with atomic_file(run_dir / "state.pt") as tmp:
            torch.save(state, tmp)

    def validate() -> float:  # the benchmark on the validation split, logged in eval.json
        evaluation.clear()
        evaluation.update(_evaluate(run_dir, model, stats, evaluate, at[0]))
        return float(
            evaluation.get("fused", {}).get("metrics", {}).get("in_view", {}).get("mse", math.nan)
        )

    try:
        res = run_loop(
            step_fn,
            Schedule(tc.lr, tc.iterations, tc.minutes, tc.lr_final),
            opt,
            start_step=step,
            seconds_spent=spent,
            validate=validate if evaluate is not None else None,
            eval_every=tc.eval_every,
            checkpoint=checkpoint,
            checkpoint_every=tc.checkpoint_every,
            on_log=lambda s, losses: logf.write(json.dumps({"step": s, **losses}) + "\n"),
            log_every=20,
            progress=progress,
            desc="train",
            dist=dist,
        )
    finally:
        if logf is not None:
            logf.close()
        step_module = step_fn = None  # free the DDP wrapper before its process group goes
        distributed.cleanup(dist)
    return {"step": res.step, "losses": res.losses, "evaluation": evaluation}


def _evaluate(run_dir: Path, model, stats, evaluate, step: int) -> dict[str, Any]:
    model.eval()
    with torch.no_grad():
        result = evaluate(model, stats)
    model.train()
    result = {"step": step, **result}
    with atomic_file(run_dir / "eval.json") as tmp:
        tmp.write_text(json.dumps(result, indent=1) + "\n")
    log.info(
        "evaluation at step %d: %s",
        step,
        {k: v for k, v in result.items() if not isinstance(v, dict)},
    )
    return result
