"""`retarget align` against the pose alignment of MusePose, UniAnimate and MimicMotion.

    .venv/bin/python benchmarks/align.py [--data ../shared/mocap] [--seed 0]
        [--max-cases N] [--placement-cases 120] [--pairs scaled real] [--update-readme]

On the retargeting benchmark's test split (`retarget/benchmark/protocol.py`, in-view
setting: the truth is the structure's performer doing the motion in the motion's view),
clean and with detector noise, every retargeter gets the same cases:

* the three alignments (`retarget/retargeters/alignment.py`), which take the structure's
  first frame as the reference photo and the motion as the driving video;
* `limb` (2D limb normalisation over the whole structure sequence) for scale;
* ours as the benchmark runs it (`transmomo-fused`: the whole structure sequence), and ours as
  `retarget align` runs it with a photo (`align (photo)`: the structure's first frame only,
  the same information the alignments get).

The table gives hip-fixed MSE/MAE (units of the target's skeleton height) and bone-length
error, and the ratio of `align (photo)`'s MSE to the best alignment baseline's (goal: at
most 0.3). The placement check runs `retarget.pipeline.align.align_poses` (retargeting and
placement) on the first `--placement-cases` cases: the first output frame's ground point
(the ankles' mean x, the lower ankle's y) against the clean reference frame's, in units of
the reference's height (goal: within 3 %), and the output's body size (skeleton height from
robust 2D bone lengths) against the truth's in the same view (goal: within 5 %). The
real-clip proportion check (`retarget/benchmark/real.py`) runs the alignments beside ours on
the shared OpenPose clips and the BlazePose skeletons of four shared videos.

`--pairs` chooses the performer pairs (default both): `scaled` (TransMoMo's performers and
their limb-scaled copies) and `real` (pairs of different real characters). Prints Markdown; `--update-readme` writes it into `benchmarks/README.md`
between the `<!-- align-results -->` markers.
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from retarget.benchmark.protocol import (  # noqa: E402
    PAIRS,
    build_test_set,
    detector_noise_stats,
    evaluate,
)
from retarget.data import MocapLibrary  # noqa: E402
from retarget.data.views import View, render, to_sequence  # noqa: E402
from retarget.geometry import (  # noqa: E402
    as_openpose15,
    body_height,
    height_from_bones,
    robust_lengths,  # noqa: E402
)
from retarget.retargeters import make_baseline  # noqa: E402
from retarget.retargeters.alignment import ALIGNMENT_BASELINES  # noqa: E402

START, END = "<!-- align-results -->", "<!-- /align-results -->"


class ReferencePhoto:
    """A retargeter given only the structure's first frame with a person, as `retarget
    align` is given a reference photo."""

    def __init__(self, inner, name: str = "align (photo)") -> None:
        self.inner, self.name = inner, name

    def __call__(self, motion, structure, view=None):
        k = int(np.flatnonzero(structure.present)[0]) if structure.present.any() else 0
        photo = structure[k]
        return self.inner(motion, photo, None if view is None else photo)


def _case_inputs(lib, ts, k: int, noise: str):
    """Motion, reference sequence (noisy when asked), the clean reference and the truth of
    case ``k``, as the protocol builds them (same seeds)."""
    from retarget.denoising.metrics import add_noise
    from skeleton_io.skeleton import OPENPOSE15

    c = ts.cases[k]
    yaw = {i: ts.motions[i].yaw for i in (c.i, c.j)}
    m = to_sequence(
        render(lib, ts.motions[c.i].window, ts.performers[c.a], View(yaw[c.i]))[..., :2]
    )
    s_clean = to_sequence(
        render(lib, ts.motions[c.j].window, ts.performers[c.b], View(yaw[c.j]))[..., :2]
    )
    truth = render(lib, ts.motions[c.i].window, ts.performers[c.b], View(yaw[c.i]))
    s = s_clean
    if noise == "detector":
        stats = detector_noise_stats()
        xy, conf = add_noise(
            m.coords, stats, np.random.default_rng([ts.seed, k, 0]), skeleton=OPENPOSE15
        )
        m = m.with_coords(xy, conf)
        xy, conf = add_noise(
            s.coords, stats, np.random.default_rng([ts.seed, k, 1]), skeleton=OPENPOSE15
        )
        s = s.with_coords(xy, conf)
    return m, s, s_clean, truth


def placement_check(lib, ts, model, noise: str, cases: int) -> dict:
    """Feet and size of `align_poses` output's first frame (see the module docstring)."""
    from retarget.pipeline.align import align_poses
    from retarget.pipeline.video import ground_point

    feet, size = [], []
    for k in range(min(cases, len(ts.cases))):
        m, s, s_clean, truth = _case_inputs(lib, ts, k, noise)
        ref = s[int(np.flatnonzero(s.present)[0])]
        out = as_openpose15(align_poses(ref, ref, m, model=model))
        h = body_height(truth)
        g_ref = ground_point(s_clean, int(np.flatnonzero(s.present)[0]))
        feet.append(float(np.linalg.norm(ground_point(out, 0) - g_ref) / h))
        truth2d = to_sequence(truth[..., :2])
        size.append(
            float(
                height_from_bones(robust_lengths(out)) / height_from_bones(robust_lengths(truth2d))
            )
        )
    feet_a, size_a = np.array(feet), np.abs(np.array(size) - 1)
    return {
        "cases": len(feet),
        "feet_median": float(np.median(feet_a)),
        "feet_p95": float(np.percentile(feet_a, 95)),
        "feet_within_3pct": float(np.mean(feet_a <= 0.03)),
        "size_err_median": float(np.median(size_a)),
        "size_err_p95": float(np.percentile(size_a, 95)),
        "size_within_5pct": float(np.mean(size_a <= 0.05)),
    }


def _table(rows: list[dict]) -> str:
    head = (
        "| performers | input | retargeter | MSE (h²) | MAE (h) | bone err | MSE / best alignment |"
    )
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['pairs']} | {r['noise']} | {r['retargeter']} | {r['mse']:.5f} | {r['mae']:.4f} "
            f"| {r['bone']:.1%} | {r['ratio']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", default=os.environ.get("RETARGET_MOCAP", str(ROOT.parent / "shared" / "mocap"))
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-cases", type=int, default=None, help="A seeded subset of the cases.")
    ap.add_argument("--placement-cases", type=int, default=120)
    ap.add_argument("--pairs", nargs="+", choices=PAIRS, default=list(PAIRS))
    ap.add_argument("--json", default=None)
    ap.add_argument("--update-readme", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s: %(message)s")

    from retarget.retargeters.model import ModelRetargeter

    lib = MocapLibrary.load(args.data)
    ours = ModelRetargeter.load(device="cpu")
    retargeters = [make_baseline(n) for n in ALIGNMENT_BASELINES]
    retargeters += [make_baseline("limb"), ours, ReferencePhoto(ours)]
    kinds = list(dict.fromkeys(args.pairs))
    rows, placement, payload = [], {}, {"machine": platform.platform(), "seed": args.seed}
    t0 = time.perf_counter()
    for kind in kinds:
        ts = build_test_set(lib, "test", args.seed, max_cases=args.max_cases, pairs=kind)
        for noise in ("clean", "detector"):
            res = {
                r.name: evaluate(r, lib, ts, noise=noise, settings=("in_view",))
                for r in retargeters
            }
            best = min(res[n].metrics["in_view"]["mse"] for n in ALIGNMENT_BASELINES)
            for name, r in res.items():
                m = r.metrics["in_view"]
                rows.append({"pairs": kind, "noise": noise, "retargeter": name, "cases": r.cases,
                             "ratio": m["mse"] / best, **m})  # fmt: skip
            placement[(kind, noise)] = placement_check(lib, ts, ours, noise, args.placement_cases)
        payload[kind] = {"cases": len(ts.cases), "test_set": ts.summary()}
    secs = time.perf_counter() - t0
    n_cases = ", ".join(f"{k}: {payload[k]['cases']} cases" for k in kinds)
    lines = [
        f"Test split, seed {args.seed}, in-view ({n_cases}); run time {secs:.0f} s.",
        "",
        _table(rows),
        "",
        "Placement (`align_poses`: the first output frame against the reference frame):",
        "",
        "| performers | input | cases | feet error (median / 95th pct, of height) | within 3 % | size error (median / 95th pct) | within 5 % |",
        "|---|---|---|---|---|---|---|",
    ]
    for (kind, noise), p in placement.items():
        lines.append(
            f"| {kind} | {noise} | {p['cases']} | {p['feet_median']:.2%} / {p['feet_p95']:.2%} | "
            f"{p['feet_within_3pct']:.0%} | {p['size_err_median']:.1%} / {p['size_err_p95']:.1%} | "
            f"{p['size_within_5pct']:.0%} |"
        )
    lines += real_tables(retargeters[:4] + [ours], Path(args.data).parent)
    lines += [
        "",
        f"Command: `.venv/bin/python benchmarks/align.py {' '.join(sys.argv[1:])}`. "
        f"Machine: {platform.platform()}, {os.cpu_count()} CPU cores "
        f"(shared), Python {platform.python_version()}.",
    ]
    text = "\n".join(lines)
    print(text)
    payload.update(rows=rows, placement={f"{k}/{n}": v for (k, n), v in placement.items()})
    if args.json:
        Path(args.json).write_text(json.dumps(payload, indent=1, default=float) + "\n")
    if args.update_readme:
        from evaluate import update_readme

        update_readme(text, START, END)


def real_tables(retargeters, shared: Path) -> list[str]:
    """The real-clip proportion check (`retarget/benchmark/real.py`) for ``retargeters``."""
    from evaluate import MEDIA_CLIPS, extracted_clips

    from retarget.benchmark.real import real_pairs_table
    from skeleton_io import load_file

    out: list[str] = []
    named = {r.name: r for r in retargeters}
    real = shared / "openpose_real"
    if real.is_dir():
        seqs = {d.name: load_file(d, fps=30.0) for d in sorted(real.iterdir()) if d.is_dir()}
        table, _ = real_pairs_table(named, seqs)
        out += [
            "",
            f"Real OpenPose output (`openpose_real`: {', '.join(seqs)}), every ordered pair:",
            "",
            table,
        ]
    media = shared / "media"
    if media.is_dir():
        table, _ = real_pairs_table(named, extracted_clips(media, MEDIA_CLIPS, frames=120))
        out += [
            "",
            "BlazePose skeletons of four shared clips (v02, v05, v07, v10; first 120 frames):",
            "",
            table,
        ]
    return out


if __name__ == "__main__":
    main()
