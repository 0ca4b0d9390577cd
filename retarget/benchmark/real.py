"""Retargeting real detector output, where there is no ground truth: consistency and jitter.

For a motion sequence and a structure sequence of two real people (e.g. the OpenPose output
of ``../shared/openpose_real``), :func:`real_pair_metrics` measures what must hold anyway:

* ``prop_structure``: median over bones of the relative difference between the output's bone
  *proportions* and the structure's (each bone's robust 2D length, the 95th percentile over
  frames, divided by the skeleton height from those lengths); ``prop_motion`` the same
  against the motion's. A retargeter keeps the structure's proportions: ``prop_structure``
  near 0 and below ``prop_motion``.
* ``size``: output skeleton height / structure skeleton height (robust 2D heights); the
  table gives the median of ``|size - 1|`` over pairs.
* ``jitter_ratio``: the output's jitter (mean acceleration, :func:`retarget.denoising.jitter`)
  over the motion input's, both per skeleton height; above 1 means it adds jitter.
* ``missing``: fraction of output joints with confidence 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import permutations

import numpy as np

from skeleton_io.pose import PoseSequence

from ..geometry import height_from_bones
from ..retargeters.analytic import Retargeter, as_openpose15, robust_lengths


def proportions(seq: PoseSequence) -> tuple[np.ndarray, float]:
    """``(14,)`` robust 2D bone lengths over the skeleton height, and that height."""
    lengths = robust_lengths(seq, 95.0, symmetric=True)
    h = float(height_from_bones(lengths))
    return lengths / h, h


def real_pair_metrics(
    retargeter: Retargeter, motion: PoseSequence, structure: PoseSequence
) -> dict[str, float]:
    """The metrics of the module docstring for one (motion, structure) pair."""
    from ..denoising.metrics import jitter

    m = as_openpose15(motion, "motion")
    s = as_openpose15(structure, "structure")
    out = retargeter(m, s)
    p_out, h_out = proportions(out)
    p_m, h_m = proportions(m)
    p_s, h_s = proportions(s)
    with np.errstate(all="ignore"):
        prop_s = float(np.nanmedian(np.abs(p_out - p_s) / p_s))
        prop_m = float(np.nanmedian(np.abs(p_out - p_m) / p_m))
    j_out = jitter(out.coords, out.confidence) / h_out
    j_in = jitter(m.coords, m.confidence) / h_m
    return {
        "prop_structure": prop_s,
        "prop_motion": prop_m,
        "size": h_out / h_s,
        "jitter_ratio": j_out / j_in if j_in > 0 else float("nan"),
        "missing": float((out.confidence <= 0).mean()),
    }


def real_pairs_table(
    retargeters: Mapping[str, Retargeter], sequences: Mapping[str, PoseSequence]
) -> tuple[str, dict[str, dict[str, float]]]:
    """Every ordered pair of different sequences through every retargeter.

    Returns a Markdown table (medians over pairs; ``jitter_ratio`` and ``missing`` maxima
    too; ``closer to structure``: the fraction of pairs whose output proportions are nearer
    the structure's than the motion's) and the per-retargeter summary.
    """
    summary: dict[str, dict[str, float]] = {}
    for name, r in retargeters.items():
        rows = [
            real_pair_metrics(r, sequences[a], sequences[b]) for a, b in permutations(sequences, 2)
        ]
        cols = {k: np.array([row[k] for row in rows]) for k in rows[0]}
        summary[name] = {
            "pairs": len(rows),
            "prop_structure": float(np.median(cols["prop_structure"])),
            "prop_motion": float(np.median(cols["prop_motion"])),
            "closer_to_structure": float(np.mean(cols["prop_structure"] < cols["prop_motion"])),
            "size_err": float(np.median(np.abs(cols["size"] - 1.0))),
            "jitter_ratio": float(np.median(cols["jitter_ratio"])),
            "jitter_ratio_max": float(np.max(cols["jitter_ratio"])),
            "missing_max": float(np.max(cols["missing"])),
        }
    head = "| retargeter | pairs | prop. err vs structure | vs motion | closer to structure | size err | jitter ratio (median / max) | missing (max) |"
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['pairs']} | {s['prop_structure']:.1%} | {s['prop_motion']:.1%} | "
            f"{s['closer_to_structure']:.0%} | {s['size_err']:.1%} | {s['jitter_ratio']:.2f} / "
            f"{s['jitter_ratio_max']:.2f} | {s['missing_max']:.2%} |"
        )
    return "\n".join(lines), summary
