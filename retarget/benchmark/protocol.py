"""TransMoMo's test protocol on motion capture, with a cross-view variant and detector noise.

A test set (:func:`build_test_set`) holds:

* *motions*: per family of a split (characters whose skeletons share a hierarchy, see
  :mod:`retarget.data.mocap`), up to ``motions_per_family`` windows (the middle ``max_len``
  frames of a clip, cut to a multiple of 8, at least ``min_len``), clips chosen round-robin
  over motion groups in a seeded order, each with one random yaw in [0, 360) (seeded), as
  TransMoMo's ``rotate_test_set``;
* *performers*, two kinds (``pairs``):

  - ``"scaled"`` (TransMoMo's): per family, the split's real characters of that family and
    ``variants`` seeded limb-scaled copies of the first (per-limb factors 0.8-1.25, global
    0.88-1.14); cases pair performers of one family, so most pairs are one skeleton and a
    limb-scaled copy of it;
  - ``"real"``: the split's real characters (test: Bandai Namco, Xia, and the held-out CMU
    subject 03), every one performing every motion; cases pair *different* real characters,
    whose bodies differ in shoulder and hip width, spine and neck length and direction, and
    arm and leg ratios, not by a limb scaling. A character performs a motion of its own rig
    by forward kinematics of the motion's joint rotations on its skeleton (exact: the Xia
    walks on CMU subject 03 and back); a motion of another rig (Bandai onto the CMU rig and
    back) keeps every ``openpose15`` bone direction with the character's bone lengths (what
    inverse kinematics on the 15 joints gives; no joint rotation carries over between those
    rigs), see :func:`retarget.data.views.transfer_performer`;

* *cases*: every ordered pair of different performers ``(a, b)`` with every ordered pair of
  different motions ``(i, j)`` (TransMoMo's all-pairs; ``max_cases`` subsamples, seeded).

For a case the retargeter gets ``motion`` = a performing ``i`` from ``i``'s view and
``structure`` = b performing ``j`` from ``j``'s view, both as 2D pixel sequences (see
:mod:`retarget.data.views`), and is compared (:mod:`retarget.benchmark.metrics`) with:

* ``in_view``: the truth b performing ``i`` from ``i``'s view (``view=None``);
* ``cross_view``: b performing ``i`` from ``j``'s view (``view=structure``), i.e. a's motion
  seen as b is seen (the camera angle relative to the body).

``noise="detector"`` puts detector-like noise (jitter, left/right swaps, outliers, dropped
joints; :func:`retarget.denoising.add_noise`) on every input, seeded per case; the truth stays
clean. Everything is a function of ``seed``: the same seed gives the same numbers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.errors import InvalidArgumentError, ModelError
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE15

from ..data.mocap import FPS, MocapLibrary
from ..data.performers import Performer, scaled_variants
from ..data.splits import Split, get_split
from ..data.views import CANVAS, PX_PER_CM, View, Window, make_window, render, to_sequence
from ..retargeters.analytic import Retargeter
from .metrics import METRIC_COLUMNS, Pool

log = logging.getLogger(__name__)

NOISE_MODES = ("clean", "detector")
SETTINGS = ("in_view", "cross_view")
PAIRS = ("scaled", "real")
"""Kinds of performer pairs (see the module docstring)."""


@dataclass(frozen=True)
class TestMotion:
    """A test motion: a window of a clip and its one view."""

    __test__ = False  # not a pytest class

    window: Window
    yaw: float
    family: str

    def to_dict(self) -> dict:
        return {**self.window.to_dict(), "yaw": round(self.yaw, 3), "family": self.family}


@dataclass(frozen=True)
class Case:
    """Motion ``i`` of performer ``a`` retargeted onto performer ``b`` as seen in motion ``j``."""

    a: str
    b: str
    i: int
    j: int


@dataclass
class TestSet:
    """Motions, performers and cases of one split (see the module docstring)."""

    __test__ = False  # not a pytest class

    split: str
    seed: int
    motions: list[TestMotion]
    performers: dict[str, Performer]
    cases: list[Case]
    options: dict[str, Any] = field(default_factory=dict)
    pairs: str = "scaled"

    def summary(self) -> dict[str, Any]:
        fams: dict[str, dict[str, Any]] = {}
        for m in self.motions:
            f = fams.setdefault(m.family, {"motions": 0, "frames": 0})
            f["motions"] += 1
            f["frames"] += m.window.num_frames
        return {
            "split": self.split,
            "seed": self.seed,
            "pairs": self.pairs,
            "families": fams,
            "performers": [p.to_dict() for p in self.performers.values()],
            "cases": len(self.cases),
            "options": self.options,
        }


def _pick_clips(lib: MocapLibrary, clips: list[str], n: int, rng: np.random.Generator) -> list[str]:
    """Up to ``n`` clips, round-robin over motion groups (groups and members in seeded order)."""
    groups: dict[str, list[str]] = {}
    for c in clips:
        groups.setdefault(lib.clips[c].group, []).append(c)
    keys = sorted(groups)
    keys = [keys[k] for k in rng.permutation(len(keys))]
    queues = {k: [groups[k][m] for m in rng.permutation(len(groups[k]))] for k in keys}
    out: list[str] = []
    while len(out) < n and any(queues.values()):
        for k in keys:
            if queues[k] and len(out) < n:
                out.append(queues[k].pop(0))
    return out


def build_test_set(
    lib: MocapLibrary,
    split: str | Split = "test",
    seed: int = 0,
    *,
    motions_per_family: int = 12,
    variants: int = 3,
    max_len: int = 128,
    min_len: int = 32,
    max_cases: int | None = None,
    same_performer: bool = False,
    pairs: str = "scaled",
) -> TestSet:
    """The fixed, seeded test set of a split (see the module docstring).

    Args:
        same_performer: also include cases with ``a == b`` (a performer onto itself; the truth
            is then the motion input itself, which tests the protocol).
        pairs: ``"scaled"`` or ``"real"`` performers; both kinds get the same motions and
            views for one seed.
    """
    if pairs not in PAIRS:
        raise InvalidArgumentError(f"unknown pairs {pairs!r}: choose {', '.join(PAIRS)}")
    sp = get_split(lib, split) if isinstance(split, str) else split
    rng = np.random.default_rng([seed, 1])
    by_family: dict[str, list[str]] = {}
    for c in sp.clips:
        clip = lib.clips[c]
        if clip.num_frames >= min_len:
            by_family.setdefault(clip.family, []).append(c)
    motions: list[TestMotion] = []
    performers: dict[str, Performer] = {}
    fam_perf: dict[str, list[str]] = {}
    fam_mot: dict[str, list[int]] = {}
    for fam in sorted(by_family):
        chars = [ch for ch in sorted(sp.characters) if lib.characters[ch].family == fam]
        if not chars:
            continue
        perfs = [Performer(ch, ch) for ch in chars]
        perfs += scaled_variants(chars[0], variants, rng)
        for p in perfs:
            performers[p.name] = p
        fam_perf[fam] = [p.name for p in perfs]
        for c in _pick_clips(lib, by_family[fam], motions_per_family, rng):
            T = lib.clips[c].num_frames
            n = min(max_len, T) // 8 * 8
            start = (T - n) // 2
            fam_mot.setdefault(fam, []).append(len(motions))
            motions.append(
                TestMotion(make_window(lib, c, start, start + n), float(rng.uniform(0, 360)), fam)
            )
    if pairs == "real":
        performers = {ch: Performer(ch, ch) for ch in sorted(sp.characters)}
        fam_perf = {"": list(performers)}
        fam_mot = {"": list(range(len(motions)))}
        rng = np.random.default_rng([seed, 2])
    cases = [
        Case(a, b, i, j)
        for fam, names in fam_perf.items()
        for a in names
        for b in names
        if a != b or same_performer
        for i in fam_mot.get(fam, [])
        for j in fam_mot.get(fam, [])
        if i != j
    ]
    if max_cases is not None and len(cases) > max_cases:
        keep = np.sort(rng.choice(len(cases), size=max_cases, replace=False))
        cases = [cases[k] for k in keep]
    if not cases:
        where = "of the split" if pairs == "real" else "in one family"
        raise InvalidArgumentError(
            f"split {sp.name!r} gives no test case (needs 2+ performers and 2+ motions of "
            f"{min_len}+ frames {where})"
        )
    options = {
        "motions_per_family": motions_per_family,
        "variants": variants,
        "max_len": max_len,
        "min_len": min_len,
        "max_cases": max_cases,
        "same_performer": same_performer,
        "px_per_cm": PX_PER_CM,
        "canvas": list(CANVAS),
        "fps": FPS,
    }
    return TestSet(sp.name, seed, motions, performers, cases, options, pairs)


# ------------------------------------------------------------------------------ noise
def detector_noise_stats() -> Any:
    """Noise of a 2D detector, as :class:`retarget.denoising.NoiseStats` (fractions of the body
    size, frames at 30 fps).

    A simple model of OpenPose-like output on dance video: per-coordinate jitter of 1 % of
    the body size (1.5 % for wrists and ankles), 2 % of joint-frames missing (5 % for wrists
    and ankles) in runs of 1-12 frames, 1 % outliers displaced by 5-30 % of the body size,
    left/right limb swaps in 0.5 % of frames.
    """
    from ..denoising.metrics import NoiseStats

    ends = ("RWrist", "LWrist", "RAnkle", "LAnkle")
    return NoiseStats(
        fps=FPS,
        frames=0,
        body_size=1.0,
        units="body",
        jitter={j: (0.015 if j in ends else 0.01) for j in OPENPOSE15.joints},
        dropout_rate={j: (0.05 if j in ends else 0.02) for j in OPENPOSE15.joints},
        dropout_lengths=[1, 1, 1, 2, 2, 3, 4, 6, 8, 12],
        outlier_rate=0.01,
        outlier_magnitudes=[0.05, 0.1, 0.15, 0.2, 0.3],
        swap_rate=0.005,
        swap_lengths=[1, 2, 3, 5],
        confidence=0.7,
        sources=["retarget.benchmark.protocol.detector_noise_stats (a simple model)"],
    )


def _noisy(seq: PoseSequence, stats: Any, rng: np.random.Generator) -> PoseSequence:
    from ..denoising.metrics import add_noise

    coords, conf = add_noise(seq.coords, stats, rng, skeleton=OPENPOSE15)
    return seq.with_coords(coords, conf)


# ------------------------------------------------------------------------------ running
class _Renders:
    """Rendered 3D (camera-frame pixels) per (motion, performer, yaw), computed once."""

    def __init__(self, lib: MocapLibrary, ts: TestSet) -> None:
        self.lib, self.ts = lib, ts
        self.cache: dict[tuple[int, str, int], np.ndarray] = {}

    def __call__(self, i: int, performer: str, view_of: int) -> np.ndarray:
        key = (i, performer, view_of)
        if key not in self.cache:
            m = self.ts.motions[i]
            view = View(yaw=self.ts.motions[view_of].yaw)
            self.cache[key] = render(self.lib, m.window, self.ts.performers[performer], view)
        return self.cache[key]


@dataclass
class Result:
    """Metrics of one retargeter on one test set and noise mode."""

    retargeter: str
    split: str
    seed: int
    noise: str
    metrics: dict[str, dict[str, Any]]
    seconds: float
    cases: int
    pairs: str = "scaled"

    def to_dict(self) -> dict[str, Any]:
        return {
            "retargeter": self.retargeter,
            "split": self.split,
            "seed": self.seed,
            "pairs": self.pairs,
            "noise": self.noise,
            "cases": self.cases,
            "seconds": round(self.seconds, 2),
            "metrics": self.metrics,
        }


def evaluate(
    retargeter: Retargeter,
    lib: MocapLibrary,
    test_set: TestSet | None = None,
    *,
    split: str = "test",
    seed: int = 0,
    noise: str = "clean",
    noise_stats: Any = None,
    settings: Sequence[str] = SETTINGS,
    progress: bool = False,
    on_case: Callable[[int, int], None] | None = None,
) -> Result:
    """Run the protocol for one retargeter.

    Args:
        retargeter: anything following :class:`retarget.retargeters.analytic.Retargeter`.
        lib: the motion capture.
        test_set: from :func:`build_test_set` (built from ``split`` and ``seed`` when None).
        noise: ``"clean"`` or ``"detector"`` (inputs only; seeded per case from ``seed``).
        noise_stats: a :class:`retarget.denoising.NoiseStats` for ``"detector"`` (default
            :func:`detector_noise_stats`).
        settings: ``"in_view"`` and/or ``"cross_view"``.
        progress: show a tqdm progress bar.
        on_case: called as ``on_case(done, total)`` after each case.

    Returns:
        A :class:`Result` with the pooled metrics of each setting.
    """
    if noise not in NOISE_MODES:
        raise InvalidArgumentError(f"unknown noise {noise!r}: choose {', '.join(NOISE_MODES)}")
    bad = [s for s in settings if s not in SETTINGS]
    if bad:
        raise InvalidArgumentError(f"unknown setting {bad[0]!r}: choose {', '.join(SETTINGS)}")
    ts = test_set or build_test_set(lib, split, seed)
    stats = (noise_stats or detector_noise_stats()) if noise == "detector" else None
    renders = _Renders(lib, ts)
    pools = {s: Pool() for s in settings}
    t0 = time.perf_counter()
    cases: Iterable[tuple[int, Case]] = enumerate(ts.cases)
    if progress:
        from tqdm import tqdm

        cases = tqdm(
            cases, total=len(ts.cases), desc=getattr(retargeter, "name", "retargeter"), leave=False
        )
    for k, case in cases:
        m_seq = to_sequence(renders(case.i, case.a, case.i)[..., :2])
        s_seq = to_sequence(renders(case.j, case.b, case.j)[..., :2])
        if stats is not None:
            m_seq = _noisy(m_seq, stats, np.random.default_rng([ts.seed, k, 0]))
            s_seq = _noisy(s_seq, stats, np.random.default_rng([ts.seed, k, 1]))
        for s in settings:
            out = retargeter(m_seq, s_seq, None if s == "in_view" else s_seq)
            truth = renders(case.i, case.b, case.i if s == "in_view" else case.j)
            _check_output(out, m_seq, retargeter)
            pools[s].add(out.coords, out.confidence, truth, FPS, out.world)
        if on_case is not None:
            on_case(k + 1, len(ts.cases))
    return Result(
        retargeter=getattr(retargeter, "name", type(retargeter).__name__),
        split=ts.split,
        seed=ts.seed,
        noise=noise,
        metrics={s: p.result() for s, p in pools.items()},
        seconds=time.perf_counter() - t0,
        cases=len(ts.cases),
        pairs=ts.pairs,
    )


def _check_output(out: PoseSequence, motion: PoseSequence, r: Any) -> None:
    name = getattr(r, "name", type(r).__name__)
    if not isinstance(out, PoseSequence):
        raise ModelError(f"retargeter {name!r} returned {type(out).__name__}, not a PoseSequence")
    if out.skeleton.name != OPENPOSE15.name or out.dims != 2:
        raise ModelError(
            f"retargeter {name!r} must return 2D openpose15, got {out.dims}D {out.skeleton.name!r}"
        )
    if out.num_frames != motion.num_frames:
        raise ModelError(
            f"retargeter {name!r} returned {out.num_frames} frames for a motion of {motion.num_frames}"
        )


# ------------------------------------------------------------------------------ tables
_FMT = {
    "mse": ("MSE (h²)", "{:.5f}"),
    "mae": ("MAE (h)", "{:.4f}"),
    "mse_px": ("MSE px²", "{:.1f}"),
    "mae_px": ("MAE px", "{:.2f}"),
    "bone": ("bone err", "{:.1%}"),
    "bone3d": ("bone3d err", "{:.1%}"),
    "slide": ("slide h/s", "{:.3f}"),
    "slide_gt": ("slide gt", "{:.3f}"),
    "accel": ("accel h/s²", "{:.3f}"),
    "missing": ("missing", "{:.2%}"),
}


def result_rows(results: Iterable[Result]) -> list[dict[str, Any]]:
    """One flat row per (result, setting)."""
    rows = []
    for r in results:
        for s, m in r.metrics.items():
            rows.append(
                {"retargeter": r.retargeter, "pairs": r.pairs, "noise": r.noise, "setting": s, **m}
            )
    return rows


def format_table(results: Iterable[Result], columns: Sequence[str] = METRIC_COLUMNS) -> str:
    """A Markdown table of results (one row per retargeter, performer pairs, noise and setting)."""
    rows = result_rows(results)
    head = ["retargeter", "performers", "input", "setting"] + [_FMT[c][0] for c in columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in rows:
        label = {"scaled": "limb-scaled", "real": "real pairs"}.get(row["pairs"], row["pairs"])
        cells = [row["retargeter"], label, row["noise"], row["setting"].replace("_", "-")]
        for c in columns:
            v = row.get(c)
            cells.append("n/a" if v is None else _FMT[c][1].format(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def save_results(
    results: Sequence[Result],
    test_sets: TestSet | dict[str, TestSet],
    path: str | Path,
    extra: dict | None = None,
) -> None:
    """Write results and the test sets' descriptions as JSON (atomically)."""
    import json

    from skeleton_io.atomic import atomic_file

    if isinstance(test_sets, TestSet):
        test_sets = {test_sets.pairs: test_sets}
    payload = {
        "test_sets": {k: ts.summary() for k, ts in test_sets.items()},
        "results": [r.to_dict() for r in results],
        **(extra or {}),
    }
    with atomic_file(path) as tmp:
        Path(tmp).write_text(json.dumps(payload, indent=1, default=float) + "\n")


def run_benchmark(
    retargeters: Sequence[Retargeter],
    lib: MocapLibrary,
    *,
    split: str = "test",
    seed: int = 0,
    noises: Sequence[str] = ("clean",),
    settings: Sequence[str] = SETTINGS,
    max_cases: int | None = None,
    noise_stats: Any = None,
    progress: bool = False,
    pairs: Sequence[str] = ("scaled",),
) -> tuple[list[Result], dict[str, TestSet]]:
    """Every retargeter on the test set of each kind of ``pairs``, for each noise mode.

    A retargeter whose name ends in ``+gapfill`` is skipped on clean input (where filling
    gaps changes nothing). Returns the results and the test sets by kind.
    """
    sets = {k: build_test_set(lib, split, seed, max_cases=max_cases, pairs=k) for k in pairs}
    results = []
    for ts in sets.values():
        for noise in noises:
            for r in retargeters:
                if noise == "clean" and getattr(r, "name", "").endswith("+gapfill"):
                    continue
                res = evaluate(
                    r,
                    lib,
                    ts,
                    noise=noise,
                    noise_stats=noise_stats,
                    settings=settings,
                    progress=progress,
                )
                log.info(
                    "%s on %s input, %s pairs: %d cases in %.1f s",
                    res.retargeter,
                    noise,
                    ts.pairs,
                    res.cases,
                    res.seconds,
                )
                results.append(res)
    return results, sets
