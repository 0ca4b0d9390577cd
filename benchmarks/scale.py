"""Batch pose extraction: items/s of `retarget batch extract` against a shell loop of
`retarget extract`, and where the time of one item goes.

Run: .venv/bin/python benchmarks/scale.py [--clips 10] [--seconds 2.5] [--workers 1,2]
     [--engines ray,processes] [--media ../shared/media]

Makes N short clips (re-encoded H.264 pieces of the shared real videos, cut with PyAV into a
temporary folder, removed at the end), then times, each into a fresh output folder:

* the shell loop: `retarget extract CLIP -o OUT` once per clip, one after another (every
  run starts Python, imports the video stack and loads the models);
* `retarget batch extract -i CLIPS -o OUT --workers W --engine E` for each W and E
  (workers load the models once);

checks that every batch output equals the loop's (coordinates, confidence, header), and
prints the cost of one item split into decode / estimator setup / detect / denoise / write,
measured in one warm process on the same clips. The machine's load average is printed at
the start and the end: the figures are only as quiet as the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PLAN = [("v02_animatex_dance_1", 0.0), ("v02_animatex_dance_1", 3.0),
        ("v02_animatex_dance_1", 5.5), ("v05_animatex_source_video", 0.0),
        ("v05_animatex_source_video", 4.0), ("v06_animatex_ubc", 0.0), ("v06_animatex_ubc", 5.0),
        ("v06_animatex_ubc", 9.0), ("v07_ipercore_akun_1", 0.0),
        ("v10_footskate_dance", 0.0)]  # fmt: skip
"""(clip, start second) of the pieces; more clips than this repeat it."""


def cut(src: Path, dst: Path, start: float, seconds: float) -> int:
    """Frames ``[start, start + seconds)`` of ``src`` re-encoded into ``dst`` (H.264)."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        s = inp.streams.video[0]
        rate = s.average_rate or Fraction(25)
        o = out.add_stream("libx264", rate=rate)
        o.width, o.height, o.pix_fmt = s.codec_context.width, s.codec_context.height, "yuv420p"
        o.time_base = 1 / rate
        o.options = {"crf": "20", "preset": "veryfast"}
        n = 0
        for f in inp.decode(s):
            t = float(f.pts * s.time_base) if f.pts is not None else n / float(rate)
            if t < start:
                continue
            if t >= start + seconds:
                break
            f = f.reformat(format="yuv420p")
            f.pts, f.time_base = n, 1 / rate
            for p in o.encode(f):
                out.mux(p)
            n += 1
        for p in o.encode():
            out.mux(p)
    return n


def make_clips(media: Path, folder: Path, n: int, seconds: float) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for i in range(n):
        name, start = PLAN[i % len(PLAN)]
        dst = folder / f"clip{i:03d}_{name[:3]}.mp4"
        cut(media / f"{name}.mp4", dst, start, seconds)
        clips.append(dst)
    return clips


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def shell_loop(clips: list[Path], out: Path) -> float:
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    for c in clips:
        subprocess.run([str(BIN / "retarget"), "extract", str(c), "-o", str(out / f"{c.stem}.npz")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - t0


def same_outputs(a: Path, b: Path) -> int:
    """How many outputs in ``a`` differ from ``b``'s (the input path aside)."""
    bad = 0
    for fa in sorted(a.glob("*.npz")):
        with np.load(fa) as za, np.load(b / fa.name) as zb:
            ha, hb = (json.loads(str(z["header"])) for z in (za, zb))
            for h in (ha, hb):
                h["meta"].pop("source_path", None)
            arrays = [k for k in za.files if k != "header"]
            bad += not (ha == hb and all(np.array_equal(za[k], zb[k]) for k in arrays))
    return bad


def stage_costs(clips: list[Path]) -> list[dict[str, float]]:
    """Per clip, in this (warmed) process: decode, estimator setup, detect, denoise, write."""
    from retarget.denoising import denoise
    from skeleton_io import load_file, save_file
    from skeleton_io.formats import video
    from skeleton_io.video_io import iter_frames, probe

    load_file(clips[0], max_frames=2)  # warm: mediapipe, the model bundle
    denoise(load_file(clips[0], max_frames=8), "learned")  # and the denoiser
    rows = []
    tmp = Path(tempfile.mkdtemp())
    for c in clips:
        r: dict[str, float] = {}
        t0 = time.perf_counter()
        frames = list(iter_frames(c, max_side=512))
        r["decode"] = time.perf_counter() - t0
        fps = probe(c).fps
        t0 = time.perf_counter()
        est = video.MainPersonEstimator(probe_every=max(1, round(video.PROBE_SECONDS * fps)))
        r["estimator"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        video.track_main_person(frames, est, fps)
        est.close()
        r["detect"] = time.perf_counter() - t0
        seq = load_file(c)
        t0 = time.perf_counter()
        seq = denoise(seq, "learned")
        r["denoise"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        save_file(seq, tmp / "x.npz")
        r["write"] = time.perf_counter() - t0
        r["frames"] = len(frames)
        rows.append(r)
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, default=10)
    p.add_argument("--seconds", type=float, default=2.5)
    p.add_argument("--workers", default="1,2")
    p.add_argument("--engines", default="ray,processes")
    p.add_argument(
        "--media",
        type=Path,
        default=Path(os.environ.get("RETARGET_MEDIA", ROOT.parent / "shared/media")),
    )
    args = p.parse_args()  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="retarget-scale-"))
    try:
        clips = make_clips(args.media, work / "clips", args.clips, args.seconds)
        frames = [r for r in stage_costs(clips)]
        n = len(clips)
        print(f"{n} clips of {args.seconds:g} s ({sum(r['frames'] for r in frames):.0f} frames); "
              f"{os.cpu_count()} CPU cores; load average at start {load_average()}")  # fmt: skip
        print("\n| run | seconds | items/s | vs loop | outputs equal to the loop's |")
        print("|---|---|---|---|---|")
        loop = shell_loop(clips, work / "loop")
        print(f"| shell loop of `retarget extract` | {loop:.1f} | {n / loop:.3f} | 1.00x | - |")
        for engine in args.engines.split(","):
            for w in (int(x) for x in args.workers.split(",")):
                out = work / f"{engine}{w}"
                cmd = [str(BIN / "retarget"), "batch", "extract", "-i", str(work / "clips"),
                       "-o", str(out), "--workers", str(w), "--engine", engine]  # fmt: skip
                sec = timed(cmd)
                diff = same_outputs(work / "loop", out)
                print(f"| batch, {engine}, {w} worker{'s' * (w > 1)} | {sec:.1f} | {n / sec:.3f} "
                      f"| {loop / sec:.2f}x | {n - diff} of {n} |")  # fmt: skip
        print(
            "\nCost of one item in a warm worker (median over the clips; ms per frame in "
            "brackets):\n"
        )
        keys = ["decode", "estimator", "detect", "denoise", "write"]
        print("| " + " | ".join(keys) + " | item total | shell loop per item |")
        print("|" + "---|" * (len(keys) + 2))
        med = {k: statistics.median(r[k] for r in frames) for k in keys}
        per_frame = {k: 1000 * sum(r[k] for r in frames) / sum(r["frames"] for r in frames)
                     for k in keys}  # fmt: skip
        cells = [f"{med[k]:.3f} s ({per_frame[k]:.1f})" for k in keys]
        print(f"| {' | '.join(cells)} | {sum(med.values()):.2f} s | {loop / n:.2f} s |")
        print(f"\nload average at the end {load_average()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
