"""Several people retargeted at once (`retarget transfer` of a group, issue 14's goal: each
output person has the proportions of their structure, and people never overlap more than
in the driving video).

Motions (two people each): the real ``h02`` (two people walking up and shaking hands), the
made clips of ``benchmarks/people_clips.py`` (``cross_front``, ``cross_behind``, ``twins``:
one person crossing in front of or behind another), all tracked by `retarget extract
--people all` (cached in ``--work``), and ``side_by_side`` (two built-in dancers 200 px
apart, no detector: the known answer).

Bodies (structures): real OpenPose output (``../shared/openpose_real``: ``tall_man``,
``small_man``) scaled so that their skeleton height is a chosen multiple of the motion
people's mean height (the proportions are theirs, the size chosen):

- ``one x1.0``: ``tall_man`` at 1.0x for both people;
- ``two 1.25/0.8``: ``tall_man`` at 1.25x for the left person, ``small_man`` at 0.8x for
  the right one (left to right by each track's mean x);
- ``one x2``: ``tall_man`` at 2x for both (the gaps must double).

Metrics per case:

- **prop %**: median over bones of the relative difference between each output person's
  bone proportions and their structure's (:func:`retarget.benchmark.real.proportions`, as
  the single-person real-data benchmark), the median and the worst over people;
- **size**: each output person's skeleton height over their structure's (worst |1 - size|);
- **overlap** (:func:`skeleton_io.group.overlap`: per frame, the largest share of the
  smaller person's box covered by another's): the driving's mean and max over frames, ours
  (the group layout), and ``alone`` (each person retargeted by himself, hip where it was:
  what the layout corrects); **worse**: frames where ours exceeds the driving's by more than
  0.05 (share of frames);
- **spread**: what the layout added to the ratios that space people (``meta["layout_spread"]``,
  :func:`retarget.retargeters.group.least_spread`);
- **ms/pf**: milliseconds per person-frame of `transfer_group` (learned denoising included).

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/people_transfer.py [--clips ...]
(about 5 minutes on 2 shared cores the first time, when the made clips are tracked).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from people_clips import MEDIA, make_all  # noqa: E402

from retarget.benchmark.real import proportions  # noqa: E402
from retarget.builtin import builtin_motion, project_to_canvas  # noqa: E402
from retarget.inputs import as_2d, read_2d  # noqa: E402
from retarget.retargeters import load_retargeter, transfer  # noqa: E402
from retarget.retargeters.group import transfer_group  # noqa: E402
from skeleton_io import PoseGroup, load_group, save_file  # noqa: E402
from skeleton_io.group import overlap  # noqa: E402

SHARED = MEDIA.parent
MADE = ("cross_front", "cross_behind", "twins")
CLIPS = ("side_by_side", "h02", *MADE)
HEADER = (
    "| motion | bodies | prop % (median / worst) | size (worst) | overlap driving (mean / max) "
    "| ours | alone | worse | spread | ms/pf |\n|---|---|---|---|---|---|---|---|---|---|"
)


def side_by_side() -> PoseGroup:
    a = project_to_canvas(builtin_motion("average", frames=120), (1280, 720), px_per_cm=1.5)
    return PoseGroup({0: a.with_coords(a.coords - [100, 0]), 1: a.with_coords(a.coords + [100, 0])})


def motion_group(name: str, work: Path, clips: Path) -> PoseGroup:
    """The clip's people, tracked once and cached."""
    if name == "side_by_side":
        return side_by_side()
    cache = work / f"{name}_group.npz"
    if not cache.exists():
        video = MEDIA / "h02_mmhuman3d_two_people.mp4" if name == "h02" else clips / f"{name}.mp4"
        save_file(load_group(video), cache)
    group = load_group(cache)
    return group.map(as_2d, keep_missing=False)


def scaled(body, height: float):
    """``body`` with its skeleton height set to ``height`` pixels (about its first hip)."""
    _, h = proportions(body)
    hip = body.coords[0, 8]
    coords = np.where(body.confidence[..., None] > 0, hip + (body.coords - hip) * height / h, 0.0)
    return body.with_coords(coords)


def bodies(group: PoseGroup) -> dict[str, list]:
    tall = read_2d(SHARED / "openpose_real/tall_man", fps=30)
    small = read_2d(SHARED / "openpose_real/small_man", fps=30)
    h = float(np.mean([proportions(s)[1] for _, s in group.items()]))
    return {
        "one x1.0": [scaled(tall, h)],
        "two 1.25/0.8": [scaled(tall, 1.25 * h), scaled(small, 0.8 * h)],
        "one x2": [scaled(tall, 2.0 * h)],
    }


def case(group: PoseGroup, structs: list, model) -> dict[str, float]:
    from retarget.retargeters.group import assign_structures

    mapping = assign_structures(group, structs)
    t0 = time.perf_counter()
    out = transfer_group(group, mapping, model=model)
    seconds = time.perf_counter() - t0
    alone = PoseGroup({k: transfer(s, mapping[k], model=model) for k, s in group.items()}).map(
        lambda s: s
    )
    for k, s in group.items():  # unseen frames stay missing, as in ours
        alone.tracks[k].confidence[~s.present] = 0.0
    props, sizes = [], []
    for k, s in out.items():
        p_out, h_out = proportions(s)
        p_s, h_s = proportions(mapping[k])
        with np.errstate(all="ignore"):
            props.append(float(np.nanmedian(np.abs(p_out - p_s) / p_s)))
        sizes.append(h_out / h_s)
    before, ours, solo = overlap(group), overlap(out), overlap(alone)
    frames = int(group.present.sum())
    return {
        "prop_med": 100 * float(np.median(props)),
        "prop_max": 100 * float(np.max(props)),
        "size": float(np.max(np.abs(1 - np.array(sizes)))),
        "drv": (before.mean(), before.max()),
        "ours": (ours.mean(), ours.max()),
        "alone": (solo.mean(), solo.max()),
        "worse": float((ours > before + 0.05).mean()),
        "ms": 1000 * seconds / max(frames, 1),
        "spread": float(out.meta["layout_spread"]),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, default=Path("/tmp/retarget_people_transfer"))
    p.add_argument("--clips-dir", type=Path, default=Path("/tmp/retarget_people"))
    p.add_argument("--clips", nargs="*", default=list(CLIPS))
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s: %(message)s")
    args.work.mkdir(parents=True, exist_ok=True)
    made = tuple(c for c in args.clips if c in MADE)
    if made:
        make_all(args.clips_dir, made)
    model = load_retargeter(None)
    print(HEADER, flush=True)
    for name in args.clips:
        group = motion_group(name, args.work, args.clips_dir)
        for label, structs in bodies(group).items():
            r = case(group, structs, model)
            pair = lambda v: f"{v[0]:.3f} / {v[1]:.3f}"  # noqa: E731
            print(
                f"| {name} | {label} | {r['prop_med']:.2f} / {r['prop_max']:.2f} | "
                f"{r['size']:.3f} | {pair(r['drv'])} | {pair(r['ours'])} | {pair(r['alone'])} "
                f"| {r['worse']:.3f} | {r['spread']:.3f} | {r['ms']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
