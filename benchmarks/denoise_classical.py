"""Benchmark of the classical denoisers (issue 5).

1. Real OpenPose BODY_25 output (``../shared/openpose_real``, no truth): measured detector
   noise (per-joint jitter, dropouts, outliers, left/right swaps), then jitter (mean
   acceleration, px/frame²) before and after each method and its lag behind the raw
   detections (frames).
2. Synthetic known answer: smooth stick-figure motion (:mod:`retarget.denoising.synthetic`)
   plus :func:`~retarget.denoising.add_noise` with the statistics measured in 1; MPJPE (px)
   and acceleration error (px/frame²) of the raw noisy input and of each method.

Run: ``.venv/bin/python benchmarks/denoise_classical.py [--shared ../shared] [--plot out.png]
[--stats noise.json]``. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from retarget.denoising import (
    METHODS,
    NoiseStats,
    accel_error,
    add_noise,
    denoise,
    jitter,
    lag,
    measure_noise,
    mpjpe,
)
from retarget.denoising.synthetic import synthetic_motion
from skeleton_io import BODY25, PoseSequence, convert, load_file

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ("tall_man", "small_man", "model", "workout_march")
FPS = 30.0
# the classical methods, as registered (the learned one joins when it is registered)
METHOD_ROWS = [m for m in METHODS if m != "none"]


def load_real(folder: Path) -> PoseSequence:
    """The BODY_25 body (tall_man's files also hold hands, left out here)."""
    return convert(load_file(folder, fps=FPS), BODY25)


def table(header: list[str], rows: list[list[object]]) -> str:
    def fmt(v: object) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def real_data(shared: Path) -> tuple[list[NoiseStats], dict[str, PoseSequence]]:
    seqs = {c: load_real(shared / "openpose_real" / c) for c in CLIPS}
    stats = [measure_noise(s) for s in seqs.values()]
    rows = []
    for c, st in zip(CLIPS, stats):
        jit = np.array(list(st.jitter.values()))
        worst = max(st.jitter, key=st.jitter.get)  # type: ignore[arg-type]
        n_drop = len(st.dropout_lengths)
        rows.append(
            [
                c,
                st.frames,
                round(st.body_size),
                100 * float(np.median(jit)),
                f"{worst} {100 * st.jitter[worst]:.2f}",
                100 * float(np.mean(list(st.dropout_rate.values()))),
                n_drop,
                float(np.mean(st.dropout_lengths)) if n_drop else 0.0,
                100 * st.outlier_rate,
                100 * st.swap_rate,
            ]
        )
    print("## Detector noise measured on real OpenPose output\n")
    print(
        table(
            [
                "clip",
                "frames",
                "body px",
                "jitter median %body",
                "worst joint %body",
                "dropout %",
                "dropouts",
                "mean length fr",
                "outliers %",
                "swaps %",
            ],
            rows,
        )
    )
    both = NoiseStats.combine(stats)
    print("\nPer-joint jitter (std per coordinate, % of body height; px at 500 px height):\n")
    rows = [
        [j, *(100 * s.jitter.get(j, np.nan) for s in stats), 100 * both.jitter_of(j)]
        for j in BODY25.joints
    ]
    print(table(["joint", *CLIPS, "pooled"], rows))

    print("\n## Jitter (mean |acceleration|, px/frame²) and lag (frames) on real clips\n")
    rows = []
    for c, seq in seqs.items():
        row: list[object] = [c, jitter(seq.coords, seq.confidence)]
        for m in METHOD_ROWS:
            out = denoise(seq, m)
            both_present = (seq.confidence > 0) & (out.confidence > 0)
            j_out = jitter(out.coords, out.confidence)
            row.append(
                f"{j_out:.2f} ({j_out / row[1]:.0%}), lag {lag(out.coords, seq.coords, both_present):+.2f}"  # type: ignore[operator]
            )
        rows.append(row)
    print(table(["clip", "raw", *METHOD_ROWS], rows))
    return stats, seqs


def synthetic(stats: NoiseStats, seeds: int = 8, frames: int = 300) -> None:
    print("\n## Synthetic known answer (stick figure + measured noise, body height 400 px)\n")
    results: dict[str, dict[str, list[float]]] = {}
    for motion, max_freq in (("normal", 1.5), ("fast", 3.0)):
        res = results.setdefault(motion, {})
        for seed in range(seeds):
            truth = synthetic_motion("body25", frames, FPS, seed=seed, max_freq=max_freq)
            noisy_xy, conf = add_noise(
                truth.coords, stats, np.random.default_rng(1000 + seed), skeleton=BODY25
            )
            noisy = truth.with_coords(noisy_xy, conf)
            cands = {"raw": noisy, **{m: denoise(noisy, m) for m in METHOD_ROWS}}
            for name, seq in cands.items():
                mask = (noisy.confidence > 0) & (seq.confidence > 0)
                r = res.setdefault(name, [0.0, 0.0, 0.0])
                r[0] += mpjpe(seq.coords, truth.coords, mask) / seeds
                r[1] += accel_error(seq.coords, truth.coords, mask) / seeds
                r[2] += lag(seq.coords, truth.coords, mask) / seeds
    header = ["method"]
    for motion in results:
        header += [f"{motion}: MPJPE px", "accel err px/fr²", "lag fr"]
    rows = []
    for name in ["raw", *METHOD_ROWS]:
        row: list[object] = [name]
        for res in results.values():
            mp, ac, lg = res[name]
            raw_mp, raw_ac, _ = res["raw"]
            row += [f"{mp:.2f} ({mp / raw_mp:.2f})", f"{ac:.2f} ({ac / raw_ac:.2f})", lg]
        rows.append(row)
    print(table(header, rows))
    print("\n(ratios to raw in brackets; lag against the truth)")


def plot(seqs: dict[str, PoseSequence], path: Path, clip: str, joint: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seq = seqs[clip]
    j = seq.skeleton.idx(joint)
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    t = np.arange(seq.num_frames)
    for name, s in [("raw", seq), *((m, denoise(seq, m)) for m in METHOD_ROWS)]:
        vis = s.confidence[:, j] > 0
        for d, ax in enumerate(axes):
            y = np.where(vis, s.coords[:, j, d], np.nan)
            ax.plot(t, y, ".-" if name == "raw" else "-", ms=3, lw=1, label=name)
    for d, ax in enumerate(axes):
        ax.set_ylabel(f"{joint} {'xy'[d]} (px)")
    axes[0].legend(ncol=len(METHOD_ROWS) + 1, fontsize=8)
    axes[0].set_title(f"{clip}: {joint} before and after denoising")
    axes[1].set_xlabel("frame")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--plot", type=Path, help="write a trajectory plot (PNG) here")
    ap.add_argument("--plot-clip", default="workout_march")
    ap.add_argument("--plot-joint", default="RWrist")
    ap.add_argument("--stats", type=Path, help="write the pooled noise statistics (JSON) here")
    ap.add_argument("--seeds", type=int, default=8)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    t0 = time.perf_counter()
    stats, seqs = real_data(args.shared)
    pooled = NoiseStats.combine(stats)
    if args.stats:
        pooled.save(args.stats)
    synthetic(pooled, seeds=args.seeds)
    if args.plot:
        plot(seqs, args.plot, args.plot_clip, args.plot_joint)
    print(f"\n({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
