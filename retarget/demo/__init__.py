"""``make demo``: the toolkit's whole current reach on built-in inputs (nothing downloaded).

``python -m retarget.demo --out demo_out`` (or ``retarget demo``):

1. **I/O**: the built-in dance (:mod:`retarget.builtin`) in 3D is written as BVH (by
   inverse kinematics), native and CSV; its 2D image (turned 30 degrees) as an OpenPose
   folder, COCO JSON and CSV; each is read back and compared.
2. **Plots**: the dance from six view angles; an animation circling the performer.
3. **Denoise**: detector-like noise on the 2D, cleaned; the wrist's trajectory before/after.
4. **Retarget**: the dance of the ``average`` body onto the ``small`` body seen from another
   camera (yaw -40), keeping the motion's view and taking the structure's; errors against the
   exact answer (the same dance performed by the small body).
5. **Render**: the dance on scikit-image's ``astronaut`` photo with the CPU reference
   renderer (an MP4 and a frame strip).
6. **Align**: ``retarget align`` of the dance (with template hands and a face) to the
   astronaut photo: the pose video animators take, its OpenPose JSON, and a picture of
   photo, driving pose and aligned pose side by side (:mod:`.align`).
7. **Several people**: two dancers retargeted together onto a tall and a small body, on one
   floor, against the exact answer; their pose images (:mod:`.people`).
Every output goes to ``--out``; a summary table is printed at the end. ``--docs DIR`` also
copies the README's pictures there (``make demo`` passes ``docs/images``).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("retarget.demo")


def _max_diff(a, b) -> float:
    from skeleton_io import convert

    b = convert(b, a.skeleton) if b.skeleton.name != a.skeleton.name else b
    both = (a.confidence > 0) & (b.confidence > 0)
    return float(np.abs(a.coords - b.coords)[both].max()) if both.any() else float("nan")


def run(out: Path) -> dict:
    """Every step of the demo (:data:`STEPS`) in order; returns the summary it prints."""
    from ..builtin import builtin_motion, project_to_canvas

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    dance3d = builtin_motion("average", frames=120)
    image = project_to_canvas(dance3d, yaw=30)
    image.meta["fps_assumed"] = False
    summary: dict = {"outputs": []}
    for step in STEPS:
        step(out, dance3d, image, summary)
    summary["seconds"] = time.perf_counter() - t0
    return summary


def io_step(out: Path, dance3d, image, summary: dict) -> None:
    """1. The dance written in every format and read back."""
    from skeleton_io import convert, load_file, save_file

    from ..geometry import bone_lengths

    rows = []
    for seq, fmt, path in (
        (dance3d, "native", out / "dance3d.npz"),
        (dance3d, "bvh", out / "dance3d.bvh"),
        (dance3d, "csv", out / "dance3d.csv"),
        (image, "openpose", out / "dance2d_openpose"),
        (image, "coco", out / "dance2d_coco.json"),
        (image, "csv", out / "dance2d.csv"),
    ):
        save_file(seq, path, fmt)
        back = load_file(path, fps=seq.fps)
        if fmt == "bvh":  # positions by FK of the IK'd rotations, in the camera frame's units
            back = convert(back, "openpose15")
            err = float(np.abs(bone_lengths(back.coords, 50) - bone_lengths(seq.coords, 50)).max())
            rows.append((fmt, path.name, f"max bone-length change {err:.2e} cm"))
        else:
            rows.append((fmt, path.name, f"max coordinate change {_max_diff(seq, back):.2e}"))
        summary["outputs"].append(str(path))
    summary["io"] = rows


def plot_step(out: Path, dance3d, image, summary: dict) -> None:
    """2. Six view angles and a turntable."""
    from viz.animate import animate
    from viz.draw import plot_views, save_figure

    views = save_figure(
        plot_views(dance3d, azims=(-90, -45, 0, 45, 90, 180), frames=[30]), out / "views.png"
    )
    turn = animate(dance3d[:60], out / "turntable.gif", sweep=True, size=320, progress=False)
    summary["outputs"] += [str(views), str(turn)]


def denoise_step(out: Path, dance3d, image, summary: dict) -> None:
    """3. Detector-like noise on the 2D image, removed by the learned denoiser."""
    from viz.draw import plot_trajectories, save_figure

    from ..benchmark.protocol import detector_noise_stats
    from ..denoising import denoise
    from ..denoising.metrics import add_noise, jitter, mpjpe

    rng = np.random.default_rng(0)
    noisy_xy, conf = add_noise(image.coords, detector_noise_stats(), rng, skeleton=image.skeleton)
    noisy = image.with_coords(noisy_xy, conf)
    clean = denoise(noisy, "learned")  # the shipped temporal network (the default)
    summary["denoise"] = {
        "mpjpe_px_noisy": mpjpe(noisy.coords, image.coords, noisy.confidence),
        "mpjpe_px_denoised": mpjpe(clean.coords, image.coords, clean.confidence),
        "jitter_noisy": jitter(noisy.coords, noisy.confidence),
        "jitter_denoised": jitter(clean.coords, clean.confidence),
        "missing_joints_noisy": float((noisy.confidence == 0).mean()),
        "missing_joints_denoised": float((clean.confidence == 0).mean()),
    }
    traj = save_figure(
        plot_trajectories(
            [image, noisy, clean], ["RWrist"], ["clean", "noisy", "denoised (learned)"]
        ),
        out / "denoise_trajectories.png",
    )
    summary["outputs"].append(str(traj))


def retarget_step(out: Path, dance3d, image, summary: dict) -> None:
    """4. The dance on the small body, in the motion's and the structure's view, against
    the exact answer; a 2D input lifted and seen from four angles."""
    from skeleton_io import save_file
    from viz.animate import animate
    from viz.draw import plot_compare, plot_views, save_figure

    from ..builtin import BODY_TYPES, builtin_motion, project_to_canvas
    from ..geometry import fix_hip
    from ..retargeters.model import SHIPPED_MODEL, ModelRetargeter

    if not (SHIPPED_MODEL / "weights.pt").exists():
        log.warning("no shipped model at %s: skipping the retargeting step", SHIPPED_MODEL)
        return
    model = ModelRetargeter.load(device="cpu")
    small = builtin_motion("small", frames=120)
    structure = project_to_canvas(builtin_motion("small", frames=120, fps=30.0)[40:], yaw=-40)
    truth_in, truth_cross = project_to_canvas(small, yaw=30), project_to_canvas(small, yaw=-40)
    in_view = model(image, structure)
    cross = model(image, structure, structure)
    h = float(BODY_TYPES["small"].height * 2.0)

    def err(a, b):
        return float(np.abs(fix_hip(a.coords) - fix_hip(b.coords)).mean() / h)

    summary["retarget"] = {
        "in_view_mae_height": err(in_view, truth_in),
        "cross_view_mae_height": err(cross, truth_cross),
        "copy_motion_mae_height": err(image, truth_in),
        "estimated_view_yaw": cross.meta["view_yaw"],
        "true_view_yaw": -70.0,
    }
    save_file(in_view, out / "retargeted.npz")
    labels = ["motion (average body)", "structure (small body)", "result, motion's view",
              "result, structure's view", "exact answer"]  # fmt: skip
    fig = plot_compare([image, structure, in_view, cross, truth_cross], labels, frames=[20, 60])
    comp = save_figure(fig, out / "retarget_compare.png")
    anim = animate(cross, out / "retargeted.gif", size=320, progress=False)
    # a 2D input seen from other angles: the model's lift (`retarget plot --lift`)
    lifted = save_figure(
        plot_views(model.lift(image), azims=(-60, 0, 60, 90), frames=[30]),
        out / "lifted_views.png",
    )
    summary["outputs"] += [str(out / "retargeted.npz"), str(comp), str(anim), str(lifted)]


def render_step(out: Path, dance3d, image, summary: dict) -> None:
    """5. The dance rendered as video of a person (CPU reference backend)."""
    from .render import render_demo

    t1 = time.perf_counter()
    rendered = render_demo(out)
    summary["render"] = {"seconds": time.perf_counter() - t1, "outputs": [str(p) for p in rendered]}
    summary["outputs"] += [str(p) for p in rendered]


def align_step(out: Path, dance3d, image, summary: dict) -> None:
    """6. ``retarget align`` to the astronaut photo (pose images for diffusion animators)."""
    from .align import align_demo

    written, info = align_demo(out)
    summary["align"] = info
    summary["outputs"] += [str(p) for p in written]
    summary.setdefault("pictures", []).append(str(written[-1]))


def people_step(out: Path, dance3d, image, summary: dict) -> None:
    """7. Two dancers onto two bodies (``retarget transfer`` of a group)."""
    from ..retargeters.model import SHIPPED_MODEL
    from .people import people_demo

    if not (SHIPPED_MODEL / "weights.pt").exists():
        log.warning("no shipped model at %s: skipping the several-people step", SHIPPED_MODEL)
        return
    written, info = people_demo(out)
    summary["people"] = info
    summary["outputs"] += [str(p) for p in written]
    summary.setdefault("pictures", []).append(str(written[-1]))


STEPS = [io_step, plot_step, denoise_step, retarget_step, render_step, align_step, people_step]
"""The demo's steps, in order: ``step(out, dance3d, image, summary)`` writes into ``out`` and
adds to ``summary`` (``summary["outputs"]`` lists every file written)."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo_out"))
    parser.add_argument(
        "--docs", type=Path, default=None, help="Also copy the README's pictures into this folder."
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    summary = run(args.out)
    print("\nretarget demo — outputs in", args.out)
    print("\n| format | file | round trip |\n|---|---|---|")
    for fmt, name, note in summary["io"]:
        print(f"| {fmt} | {name} | {note} |")
    d = summary["denoise"]
    print(
        f"\ndenoise (learned): MPJPE {d['mpjpe_px_noisy']:.2f} -> {d['mpjpe_px_denoised']:.2f} px, "
        f"jitter {d['jitter_noisy']:.2f} -> {d['jitter_denoised']:.2f} px/frame^2, "
        f"missing joints {100 * d['missing_joints_noisy']:.1f}% -> {100 * d['missing_joints_denoised']:.1f}%"
    )
    if "retarget" in summary:
        r = summary["retarget"]
        print(
            f"retarget average -> small body: mean abs error {100 * r['in_view_mae_height']:.2f}% of body height "
            f"(motion's view), {100 * r['cross_view_mae_height']:.2f}% (structure's view; estimated yaw "
            f"{r['estimated_view_yaw']:+.0f}, true {r['true_view_yaw']:+.0f}); copying the motion: "
            f"{100 * r['copy_motion_mae_height']:.2f}%"
        )
    print(
        f"render: {', '.join(Path(p).name for p in summary['render']['outputs'])} in {summary['render']['seconds']:.1f} s"
    )
    if "align" in summary:
        a = summary["align"]
        print(
            f"align: {a['frames']} pose images {a['canvas'][0]}x{a['canvas'][1]}, placed by the "
            f"{a['placement'].get('anchor')}, in {a['seconds']:.1f} s"
        )
    if "people" in summary:
        p = summary["people"]
        errs = ", ".join(
            f"{name} {100 * v['mae_height']:.2f}% (height {v['height_ratio']:.3f}x its body's)"
            for name, v in p["people"].items()
        )
        print(
            f"people: two dancers onto a tall and a small body: error {errs}; feet at most "
            f"{100 * p['feet_apart_max']:.1f}% of the tall body's height apart (one floor); "
            f"overlap {p['overlap_max']['result']:.2f} (driving {p['overlap_max']['driving']:.2f})"
        )
    if args.docs is not None:
        import shutil

        args.docs.mkdir(parents=True, exist_ok=True)
        for picture in summary.get("pictures", []):
            shutil.copyfile(picture, args.docs / Path(picture).name)
            print("copied", Path(picture).name, "to", args.docs)
    print(f"{len(summary['outputs'])} outputs in {summary['seconds']:.1f} s")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
