"""Run every baseline of the retargeting benchmark on the shared motion capture.

    .venv/bin/python benchmarks/evaluate.py [--data ../shared/mocap] [--splits test val]
        [--seed 0] [--refresh-cache] [--json OUT.json] [--update-readme]

Prints the Markdown tables (in-view and cross-view, clean and detector-noise input) and the
preprocessing and run times; ``--update-readme`` writes them into ``benchmarks/README.md``
between the ``<!-- results -->`` markers. Not a test: it takes a few minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retarget.benchmark import format_table, make_baseline  # noqa: E402
from retarget.benchmark.protocol import run_benchmark  # noqa: E402
from retarget.data import MocapLibrary  # noqa: E402
from retarget.data.dataset import MocapWindows  # noqa: E402
from retarget.data.splits import make_splits  # noqa: E402

BASELINES = ("copy", "limb", "edn", "limb+gapfill")
MEDIA_CLIPS = (
    "v02_animatex_dance_1.mp4",
    "v05_animatex_source_video.mp4",
    "v07_ipercore_akun_1.mp4",
    "v10_footskate_dance.mp4",
)


def extracted_clips(media: Path, names, frames: int = 120) -> dict:
    """BlazePose skeletons (2D openpose15) of the first ``frames`` frames of shared clips,
    cached as native files under the mocap cache folder (never in the repository)."""
    from retarget.data.mocap import default_cache_dir
    from retarget.inputs import as_2d
    from skeleton_io import load_file, save_file

    cache = default_cache_dir() / "extracted"
    cache.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in names:
        path = cache / f"{Path(name).stem}_{frames}.npz"
        if path.exists():
            seq = load_file(path)
        else:
            seq = as_2d(load_file(media / name, max_frames=frames, max_side=512))
            save_file(seq, path)
        out[Path(name).stem.split("_")[0]] = seq
    return out


START, END = "<!-- results -->", "<!-- /results -->"
KIND_LABEL = {"scaled": "limb-scaled pairs", "real": "real pairs"}


def summary_table(results) -> str:
    """MSE (h²) of every retargeter per (performer pairs, input, setting), the model's median
    bone error, and the fused model's MSE as a multiple of the best baseline's."""
    from retarget.benchmark.protocol import result_rows

    rows = result_rows(results)
    names = list(dict.fromkeys(r["retargeter"] for r in rows))
    keys = list(dict.fromkeys((r["pairs"], r["noise"], r["setting"]) for r in rows))
    cell = {(r["pairs"], r["noise"], r["setting"], r["retargeter"]): r for r in rows}
    model = next((n for n in names if n.endswith("fused")), None)
    head = ["performers", "input", "setting", *names]
    if model:
        head += [f"{model} bone err", f"{model} / best baseline"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for k in keys:
        vals = {n: cell[(*k, n)]["mse"] for n in names if (*k, n) in cell}
        cells = [KIND_LABEL.get(k[0], k[0]), k[1], k[2].replace("_", "-")]
        cells += [f"{vals[n]:.5f}" if n in vals else "–" for n in names]
        if model and model in vals:
            base = [v for n, v in vals.items() if not n.startswith("transmomo")]
            cells += [f"{cell[(*k, model)]['bone']:.1%}", f"{vals[model] / min(base):.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", default=os.environ.get("RETARGET_MOCAP", str(ROOT.parent / "shared" / "mocap"))
    )
    ap.add_argument("--splits", nargs="+", default=["test", "val"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument(
        "--refresh-cache", action="store_true", help="Preprocess the BVH files again (to time it)."
    )
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--model",
        default="shipped",
        help="Also evaluate this model run folder ('shipped': the package's model; 'none': baselines only).",
    )
    ap.add_argument("--max-cases", type=int, default=None, help="A seeded subset of the cases.")
    ap.add_argument(
        "--pairs",
        nargs="+",
        choices=("scaled", "real"),
        default=["scaled", "real"],
        help="Performer pairs: limb-scaled copies (TransMoMo's) and/or different real characters.",
    )
    ap.add_argument("--update-readme", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")

    lib = MocapLibrary.load(args.data, args.cache_dir, refresh=args.refresh_cache)
    prep = f"{'read from cache' if lib.from_cache else 'preprocessed'} in {lib.seconds:.1f} s"
    frames = sum(c.num_frames for c in lib.clips.values())
    lines = [f"Motion capture: {len(lib.clips)} clips, {frames} frames at 30 fps, {prep}.", ""]
    lines += [
        "| split | clips | frames | real characters | training windows (64/32) |",
        "|---|---|---|---|---|",
    ]
    for name, sp in make_splits(lib).items():
        n_frames = sum(lib.clips[c].num_frames for c in sp.clips)
        try:
            n_win = len(MocapWindows(lib, sp))
        except ValueError:
            n_win = 0
        lines.append(
            f"| {name} | {len(sp.clips)} | {n_frames} | {', '.join(sp.characters)} | {n_win} |"
        )
    payload: dict = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "seed": args.seed,
        "splits": {},
    }
    retargeters = [make_baseline(n) for n in BASELINES]
    if args.model != "none":
        from retarget.retargeters.model import ModelRetargeter

        run = None if args.model == "shipped" else args.model
        retargeters += [
            ModelRetargeter.load(run, device="cpu", mode=m) for m in ("fused", "network")
        ]
    for split in args.splits:
        t0 = time.perf_counter()
        results, sets = run_benchmark(
            retargeters,
            lib,
            split=split,
            seed=args.seed,
            noises=("clean", "detector"),
            max_cases=args.max_cases,
            pairs=args.pairs,
        )
        secs = time.perf_counter() - t0
        lines += ["", f"### Split `{split}`, seed {args.seed}", ""]
        for kind, ts in sets.items():
            s = ts.summary()
            fams = ", ".join(
                f"{k} ({v['motions']} motions, {v['frames']} frames)"
                for k, v in s["families"].items()
            )
            lines.append(
                f"- {KIND_LABEL[kind]}: {s['cases']} cases: {fams}; performers "
                f"{', '.join(ts.performers)}."
            )
        lines += [
            f"- Run time {secs:.0f} s.",
            "",
            summary_table(results),
            "",
            format_table(results),
        ]
        payload["splits"][split] = {
            "test_sets": {k: ts.summary() for k, ts in sets.items()},
            "results": [r.to_dict() for r in results],
        }
    real = Path(args.data).parent / "openpose_real"
    if real.is_dir():
        from retarget.benchmark.real import real_pairs_table
        from skeleton_io import load_file

        seqs = {d.name: load_file(d, fps=30.0) for d in sorted(real.iterdir()) if d.is_dir()}
        table, summary = real_pairs_table({r.name: r for r in retargeters}, seqs)
        lines += [
            "",
            f"### Real OpenPose output (`{real.name}`: {', '.join(seqs)}), no ground truth",
            "",
            "Every ordered pair (motion of one person, structure of another); see "
            "`retarget/benchmark/real.py`.",
            "",
            table,
        ]
        payload["real"] = summary
    media = Path(args.data).parent / "media"
    if media.is_dir():
        from retarget.benchmark.real import real_pairs_table

        seqs = extracted_clips(media, MEDIA_CLIPS, frames=120)
        table, summary = real_pairs_table({r.name: r for r in retargeters}, seqs)
        lines += [
            "",
            f"### Skeletons extracted from real clips (`media`: {', '.join(seqs)}; BlazePose, first 120 frames), no ground truth",
            "",
            table,
        ]
        payload["real_media"] = summary
    lines += [
        "",
        f"Command: `.venv/bin/python benchmarks/evaluate.py --seed {args.seed} --splits {' '.join(args.splits)} --model {args.model}{f' --max-cases {args.max_cases}' if args.max_cases else ''}`. "
        f"Machine: {platform.platform()}, {os.cpu_count()} CPU cores (shared), Python {platform.python_version()}.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(payload, indent=1) + "\n")
    if args.update_readme:
        update_readme(text, START, END)


def update_readme(text: str, start: str, end: str) -> None:
    """Put ``text`` between the ``start`` and ``end`` markers of ``benchmarks/README.md``."""
    readme = ROOT / "benchmarks" / "README.md"
    old = readme.read_text()
    if start not in old or end not in old:
        sys.exit(f"{readme}: no {start} ... {end} markers to replace")
    head, rest = old.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    main()
