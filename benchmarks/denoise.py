"""Denoising benchmark (issue 5): raw, each classical filter and the learned denoiser.

1. Motion capture with a known answer: every clip of the ``test`` split (Bandai Namco + Xia,
   never trained on; at most ``--max-frames`` each) as 2D ``openpose15`` from one seeded random
   view (orthographic, camera frame x right, y down, centimetres), plus synthetic detector
   noise (:func:`retarget.denoising.add_noise`) of several kinds:

   * ``measured``: the statistics the shipped model was trained with (its
     ``noise_stats.json``: real OpenPose and BlazePose output, measured by
     :func:`retarget.denoising.measure_noise`);
   * ``measured x3``: the same, jitter and dropout/outlier/swap rates tripled;
   * ``benchmark``: :func:`retarget.benchmark.protocol.detector_noise_stats` (the
     retargeting benchmark's harsher model, not measured by us);
   * ``white 1%``, ``white 0.3%``: Gaussian jitter of that fraction of the body size on every
     joint, nothing else;
   * ``colored 1%``: the same, temporally correlated (Gaussian filter of 1.5 frames), as
     detectors that smooth internally produce.

   MPJPE (cm) over the joints the noisy input has and over the fastest 10 % of them (speed of
   the truth), acceleration error (cm/frame²), jitter (mean |acceleration|) as a ratio to the
   raw input's (the row ``truth`` shows what a perfect denoiser leaves: motion has
   acceleration too), lag (frames) behind the truth on the fastest 10 % of joint-frames.
2. Real detector output without truth: the four OpenPose folders of
   ``../shared/openpose_real`` and BlazePose on four shared videos (extracted once, cached
   under ``--cache``): jitter (mean |acceleration|, px/frame²) with its ratio to the raw
   detections, and lag (frames) behind the raw detections on the fastest 10 % of frames;
   ``motion share``: the share of the raw acceleration (RMS) below 4 Hz
   (:func:`retarget.denoising.slow_share`), the performer's own motion, which no denoiser
   without lag removes: a rough floor for the jitter ratio.
3. ``--plot PNG``: one joint's trajectory before and after on real clips (numbers only).

Run: ``.venv/bin/python benchmarks/denoise.py [--shared ../shared] [--model DIR]
[--plot docs/denoise_trajectory.png]``. Prints Markdown tables (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from denoise_classical import table  # noqa: E402

from retarget.data.mocap import MocapLibrary, default_cache_dir  # noqa: E402
from retarget.data.splits import get_split  # noqa: E402
from retarget.denoising import (  # noqa: E402
    NoiseStats,
    accel_error,
    add_noise,
    body_size,
    denoise,
    jitter,
    lag,
    mpjpe,
    slow_share,
)
from retarget.denoising.learned import DEFAULT_MODEL  # noqa: E402
from retarget.geometry import rotate  # noqa: E402
from skeleton_io import BODY25, OPENPOSE15, PoseSequence, convert, load_file, save_file  # noqa: E402

METHODS = ("savgol", "gaussian", "oneeuro", "learned")
OPENPOSE_CLIPS = ("tall_man", "small_man", "model", "workout_march")
VIDEOS = (
    "v02_animatex_dance_1.mp4",
    "v06_animatex_ubc.mp4",
    "v07_ipercore_akun_1.mp4",
    "v10_footskate_dance.mp4",
)
FPS = 30.0


def scaled(stats: NoiseStats, k: float) -> NoiseStats:
    """Jitter and dropout, outlier and swap rates times ``k``."""
    return replace(
        stats,
        jitter={j: v * k for j, v in stats.jitter.items()},
        dropout_rate={j: min(0.5, v * k) for j, v in stats.dropout_rate.items()},
        outlier_rate=stats.outlier_rate * k,
        swap_rate=stats.swap_rate * k,
    )


def white(level: float) -> NoiseStats:
    return NoiseStats(
        fps=FPS, frames=0, body_size=1.0, units="body",
        jitter={j: level for j in OPENPOSE15.joints}, confidence=0.9,
    )  # fmt: skip


def colored(level: float, sigma: float) -> Callable:
    """Temporally correlated jitter: white noise through a Gaussian of ``sigma`` frames,
    rescaled to ``level`` of the body size per coordinate (a smoothing detector's noise)."""
    from scipy.ndimage import gaussian_filter1d

    def noise(truth: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        e = gaussian_filter1d(rng.normal(size=truth.shape), sigma, axis=0)
        e /= e.std(axis=0, keepdims=True)
        size = body_size(truth, np.ones(truth.shape[:2]))
        return truth + level * size * e, np.ones(truth.shape[:2])

    return noise


def noise_kinds(measured: NoiseStats) -> dict[str, NoiseStats | Callable]:
    from retarget.benchmark.protocol import detector_noise_stats

    return {
        "measured": measured,
        "measured x3": scaled(measured, 3.0),
        "benchmark": detector_noise_stats(),
        "white 1%": white(0.01),
        "white 0.3%": white(0.003),
        "colored 1%": colored(0.01, 1.5),
    }


def fast_mask(truth: np.ndarray, conf: np.ndarray, q: float = 0.9) -> np.ndarray:
    """``(T, J)``: joints in the fastest ``1 - q`` of joint-frames (speed of ``truth``)."""
    v = np.zeros(conf.shape)
    v[1:] = np.linalg.norm(np.diff(truth, axis=0), axis=-1)
    ok = conf > 0
    return ok & (v >= np.quantile(v[ok], q)) if ok.any() else ok


def test_sequences(
    lib: MocapLibrary, seed: int, max_frames: int, every: int = 1
) -> list[PoseSequence]:
    """Each ``every``-th test clip as 2D openpose15 from a random view (yaw, a little pitch)."""
    rng = np.random.default_rng(seed)
    out = []
    for name in get_split(lib, "test").clips[::every]:
        clip = lib.clips[name]
        stop = min(clip.num_frames, max_frames)
        if stop < 16:
            continue
        x = lib.pose(name, clip.character, 0, stop) * np.array([1.0, -1.0, -1.0])  # Y-up -> camera
        hip = x[0, OPENPOSE15.index["MidHip"]].copy()
        cam = rotate(x - hip, rng.uniform(0, 360), pitch=rng.uniform(-10, 10))
        out.append(
            PoseSequence(cam[..., :2], np.ones(cam.shape[:2]), OPENPOSE15, fps=FPS, units="cm")
        )
    return out


def mocap_benchmark(
    seqs: list[PoseSequence], kinds: dict[str, NoiseStats | Callable], seed: int, model: str
) -> str:
    header = [
        "noise",
        "method",
        "MPJPE cm",
        "MPJPE fast",
        "accel err cm/fr²",
        "jitter",
        "lag fast fr",
    ]
    rows: list[list[object]] = []
    for kind, stats in kinds.items():
        rng = np.random.default_rng(seed)
        acc: dict[str, list[list[float]]] = {}
        for truth in seqs:
            if callable(stats):
                xy, conf = stats(truth.coords, rng)
            else:
                xy, conf = add_noise(truth.coords, stats, rng, skeleton=OPENPOSE15)
            noisy = truth.with_coords(xy, conf)
            fast = fast_mask(truth.coords, conf)
            cands = {"raw": noisy}
            for m in METHODS:
                cands[m] = denoise(noisy, m, model=model) if m == "learned" else denoise(noisy, m)
            cands["truth"] = truth
            for m, seq in cands.items():
                mask = (conf > 0) & (seq.confidence > 0)
                acc.setdefault(m, []).append(
                    [
                        mpjpe(seq.coords, truth.coords, mask),
                        mpjpe(seq.coords, truth.coords, mask & fast),
                        accel_error(seq.coords, truth.coords, mask),
                        jitter(seq.coords, mask),
                        lag(seq.coords, truth.coords, mask & fast),
                        mask.sum(),
                    ]
                )
        res = {m: np.array(v) for m, v in acc.items()}

        def mean(m: str, k: int, res: dict[str, np.ndarray] = res) -> float:
            """Frame-weighted mean of column k over clips (NaN clips left out)."""
            r = res[m]
            ok = np.isfinite(r[:, k])
            return float((r[ok, k] * r[ok, -1]).sum() / r[ok, -1].sum())

        raw = [mean("raw", k) for k in range(4)]
        for m in res:
            v = [mean(m, k) for k in range(5)]
            rows.append(
                [kind, m]
                + [f"{v[k]:.3f} ({v[k] / raw[k]:.2f})" for k in range(3)]
                + [f"{v[3] / raw[3]:.2f}", f"{v[4]:+.2f}"]
            )
    return table(header, rows)


def real_sequences(shared: Path, cache: Path) -> dict[str, PoseSequence]:
    """OpenPose folders (30 fps assumed) and BlazePose on videos (cached .npz)."""
    seqs = {
        # the BODY_25 body (tall_man's files also hold hands, which this table leaves out)
        f"openpose/{c}": convert(load_file(shared / "openpose_real" / c, fps=FPS), BODY25)
        for c in OPENPOSE_CLIPS
    }
    cache.mkdir(parents=True, exist_ok=True)
    for v in VIDEOS:
        path = cache / (Path(v).stem + ".npz")
        if not path.exists():
            logging.info("BlazePose on %s (once; cached in %s)", v, cache)
            save_file(load_file(shared / "media" / v, max_frames=240), path, "native")
        seqs[f"blazepose/{Path(v).stem.split('_', 1)[0]}"] = load_file(path)
    return seqs


def real_benchmark(seqs: dict[str, PoseSequence], model: str) -> tuple[str, dict]:
    header = ["clip", "fps", "raw jitter px/fr²", "motion share", *METHODS]
    rows = []
    outputs: dict[str, dict[str, PoseSequence]] = {}
    for name, raw in seqs.items():
        j_raw = jitter(raw.coords, raw.confidence)
        share = slow_share(raw.coords, raw.confidence, raw.fps)
        row: list[object] = [name, f"{raw.fps:.0f}", j_raw, f"{share:.0%}"]
        outputs[name] = {}
        for m in METHODS:
            out = denoise(raw, m, model=model) if m == "learned" else denoise(raw, m)
            outputs[name][m] = out
            both = (raw.confidence > 0) & (out.confidence > 0)
            j = jitter(out.coords, out.confidence)
            lg = lag(out.coords, raw.coords, both & fast_mask(out.coords, both))
            row.append(f"{j:.2f} ({j / j_raw:.0%}), lag {lg:+.2f}")
        rows.append(row)
    return table(header, rows), outputs


def plot(
    seqs: dict, outputs: dict, path: Path, clips: list[str], joint: str, span: tuple[int, int]
) -> None:
    """``joint``'s x and y over frames ``span`` of each clip: raw, savgol, learned."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(clips), 2, figsize=(12, 3.2 * len(clips)), squeeze=False)
    styles = {
        "raw": ("k", ".-", 0.8),
        "savgol": ("tab:blue", "-", 1.2),
        "learned": ("tab:red", "-", 1.6),
    }
    for row, clip in zip(axes, clips):
        raw = seqs[clip]
        j = raw.skeleton.idx(joint)
        cands = {"raw": raw, "savgol": outputs[clip]["savgol"], "learned": outputs[clip]["learned"]}
        a, b = span[0], min(span[1], raw.num_frames)
        t = np.arange(a, b)
        for d, ax in enumerate(row):
            for name, s in cands.items():
                color, ls, lw = styles[name]
                y = np.where(s.confidence[a:b, j] > 0, s.coords[a:b, j, d], np.nan)
                ax.plot(t, y, ls, color=color, lw=lw, ms=3, label=name)
            ax.set_ylabel(f"{joint} {'xy'[d]} (px)")
            ax.set_title(f"{clip}: {joint} {'xy'[d]}", fontsize=9)
        row[0].legend(fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("frame")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--model", default=str(DEFAULT_MODEL), help="learned denoiser folder")
    ap.add_argument("--cache", type=Path, default=default_cache_dir() / "denoise_bench")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-frames", type=int, default=300, help="per test clip")
    ap.add_argument("--plot", type=Path, help="write trajectory plots (PNG) here")
    ap.add_argument("--plot-joint", default="RWrist")
    ap.add_argument(
        "--plot-clips", nargs="+", default=["openpose/small_man", "blazepose/v02", "blazepose/v07"]
    )
    ap.add_argument("--plot-span", nargs=2, type=int, default=[20, 100], metavar=("FROM", "TO"))
    ap.add_argument("--every", type=int, default=1, help="use every N-th test clip (quick runs)")
    ap.add_argument("--skip-mocap", action="store_true")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument(
        "--update-readme",
        action="store_true",
        help="write the tables into benchmarks/README.md between the denoise-results markers",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    t0 = time.perf_counter()
    out: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        out.append(text)

    measured = NoiseStats.load(Path(args.model) / "noise_stats.json")
    jit = measured.jitter
    drop = 100 * float(np.mean(list(measured.dropout_rate.values())))
    say("#### Noise the shipped model was trained with (measured)\n")
    say(table(["joint", *jit], [["jitter % body", *(100 * v for v in jit.values())]]))
    say(
        f"\nDropouts {drop:.2f} % of joint-frames, outliers {100 * measured.outlier_rate:.2f} %, "
        f"left/right swaps {100 * measured.swap_rate:.2f} % of frames per limb; pooled over "
        f"{measured.frames} frames of {len(measured.sources)} real sequences: "
        f"{', '.join(Path(s).name for s in measured.sources)}."
    )
    if not args.skip_mocap:
        lib = MocapLibrary.load(args.shared / "mocap")
        seqs = test_sequences(lib, args.seed, args.max_frames, args.every)
        n = sum(s.num_frames for s in seqs)
        say(f"\n#### Motion capture, test split ({len(seqs)} clips, {n} frames), synthetic noise\n")
        say(mocap_benchmark(seqs, noise_kinds(measured), args.seed, args.model))
        say("\nRatios to the raw input in brackets.")
    if not args.skip_real:
        real = real_sequences(args.shared, args.cache)
        text, outputs = real_benchmark(real, args.model)
        say("\n#### Real detector output: jitter (ratio to raw), lag behind raw on fast motion\n")
        say(text)
        if args.plot:
            plot(real, outputs, args.plot, args.plot_clips, args.plot_joint, tuple(args.plot_span))
    say(
        f"\nCommand: `.venv/bin/python benchmarks/denoise.py {' '.join(sys.argv[1:])}` "
        f"({time.perf_counter() - t0:.0f} s, {platform.platform()}, {os.cpu_count()} CPU cores)."
    )
    if args.update_readme:
        update_readme(ROOT / "benchmarks" / "README.md", "\n".join(out))


def update_readme(path: Path, text: str) -> None:
    """Put ``text`` between the ``denoise-results`` markers of ``path``."""
    start, end = "<!-- denoise-results -->", "<!-- /denoise-results -->"
    doc = path.read_text()
    if start not in doc or end not in doc:
        raise SystemExit(f"{path}: no {start} ... {end} markers; add them under a heading")
    head, rest = doc.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    main()
