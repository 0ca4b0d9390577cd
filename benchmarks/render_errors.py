"""Where the reference backend's pixel error comes from (First Order Motion's reconstruction
protocol: source = frame 0 of a clip, driving = the same clip).

    .venv/bin/python benchmarks/render_errors.py [--clips v05 v06 ...] [--frames 72]
        [--out DIR] [--settings '{"blend_sigma": 0.5}'] [--update-readme]

For every clip the output frames are made in-process (the steps of ``retarget video CLIP
CLIP --source-frame 0``, no video encoding) together with the part drawn on top at each
pixel; BlazePose's segmentation of the driving frames says where the real person is. Each
pixel's error ``|output - driving|`` (RGB in [0, 1]) goes to one category:

* **part name** (``torso``, ``head``, ``r_forearm``, ...): drawn by that part where the real
  person is (the warp's texture is off: wrong cloth, a fold, a hand);
* **seams**: drawn, within :data:`SEAM_PX` pixels of a border between two parts;
* **silhouette edge**: within :data:`EDGE_PX` pixels of the driving person's outline (the
  segmentation's edge is soft; some error there is unavoidable);
* **missing: part**: the real person is there and nothing is drawn (a skirt, hair, a loose
  sleeve, a hand the parts do not reach), by the part of the driving body it belongs to;
* **extra**: drawn where the real frame shows the scene (too thick, misplaced);
* **plate: hole**: scene in both, inside the area inpainted for the source person (frame 0's
  person grown as :func:`~retarget.render.background.remove_person` grows it);
* **plate: rest**: scene in both, elsewhere (camera noise, lighting, compression, shadows).

The table gives each category's share of the L1 and its contribution in L1 units (the
contributions add up to the L1: the L1 would drop by that much were the category perfect).
PNGs in ``--out`` (default ``benchmarks/out/errors``): ``CLIP_error.png`` (the mean error
over frames as a heat map beside frame 0), ``CLIP_categories.png`` (the categories of one
frame in colours) and ``CLIP_strip.png`` (driving / output / error at six times).

Not a test: about a minute per clip on 2 CPU cores (pose extraction and segmentation of the
driving frames are cached in the temporary folder between runs).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLIPS = (
    "v02_animatex_dance_1.mp4",
    "v05_animatex_source_video.mp4",
    "v06_animatex_ubc.mp4",
    "v07_ipercore_akun_1.mp4",
    "v10_footskate_dance.mp4",
    "v11_mmhuman3d_single_person.mp4",
    "h04_articulated_ted_partial.mp4",
    "h06_aurobit_ubc_splice_hevc10.mp4",
)
SEAM_PX = 2
EDGE_PX = 2
START, END = "<!-- render-errors -->", "<!-- /render-errors -->"


def _cache_path(clip: Path, frames: int, what: str) -> Path:
    d = Path(tempfile.gettempdir()) / "retarget-bench"
    d.mkdir(exist_ok=True)
    st = clip.stat()
    return d / f"{clip.stem}_{frames}_{int(st.st_mtime)}_{what}.pkl"


def driving_data(clip: Path, frames: int) -> tuple[list, object, np.ndarray]:
    """The driving frames at 512 px (:class:`~skeleton_io.video_io.VideoFrame`), their BlazePose poses (as ``retarget video`` finds them)
    and their person segmentation ``(T, H, W)`` (cached)."""
    from render_cross import detect_frames

    from skeleton_io.formats.video import load as load_video
    from skeleton_io.video_io import iter_frames

    seen = list(iter_frames(clip, max_frames=frames, max_side=512))
    drv = [f.rgb for f in seen]
    cache = _cache_path(clip, frames, "drv")
    if cache.exists():
        motion, seg = pickle.loads(cache.read_bytes())
    else:
        motion = load_video(clip, max_frames=frames, max_side=512)
        seg = detect_frames(drv, masks=True)[2]
        seg = (seg > 0.5).astype(np.uint8)
        cache.write_bytes(pickle.dumps((motion, seg)))
    return seen, motion, seg


def render_with_labels(
    clip: Path, motion: object, settings: dict, seen: list | None = None
) -> tuple[list[np.ndarray], list[np.ndarray], object, object]:
    """Output frames, their part labels, the source and the render target (in-process);
    with the driving frames ``seen``, on the scene made from them (else the source frame
    with the person inpainted)."""
    from retarget.pipeline.scene import SceneSampler
    from retarget.pipeline.video import video_target
    from retarget.render.base import SourceAppearance, as_body15, fit_to_image
    from retarget.render.reference import PartWarpRenderer
    from retarget.render.source import load_source
    from retarget.retargeters import load_retargeter

    src = load_source(clip, source_frame=0, max_side=512)
    if seen:  # the scene as retarget video makes it (retarget/pipeline/scene.py)
        sampler = SceneSampler.spread_over(src.size, motion.num_frames)
        for frame in seen:
            sampler(frame)
        sampler.poses = motion
        src = SourceAppearance(src.image, src.pose, src.mask, sampler.plate(src), src.meta)
    model = load_retargeter(None, denoise=None)
    target = video_target(clip, clip, motion, src, source_frame=0, max_side=512, model=model)
    renderer = PartWarpRenderer(**settings)
    plan = renderer.plan(src, target)
    bg = plan.prep.background if src.background is None else src.background
    outs, labels = [], []
    for t in range(len(plan.joints)):
        lab = np.empty(bg.shape[:2], np.int16)
        frame = renderer.render_frame(*plan.frame(t), bg, lab, plan.turns[t], plan.centres[t])
        outs.append(frame)
        labels.append(lab)
    return outs, labels, src, as_body15(fit_to_image(target, src.size))


def _near_border(labels: np.ndarray, px: int, both_set: bool = False) -> np.ndarray:
    """Bool: pixels within ``px`` of a change of label (with ``both_set``: only changes
    between two labels >= 0, i.e. between two parts)."""
    import cv2

    dx = labels[:, 1:] != labels[:, :-1]
    dy = labels[1:, :] != labels[:-1, :]
    if both_set:
        dx &= (labels[:, 1:] >= 0) & (labels[:, :-1] >= 0)
        dy &= (labels[1:, :] >= 0) & (labels[:-1, :] >= 0)
    edge = np.zeros(labels.shape, np.uint8)
    edge[:, 1:] |= dx
    edge[1:, :] |= dy
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1,) * 2)
    return cv2.dilate(edge, k).astype(bool)


def categorise(
    out_labels: np.ndarray, drv_mask: np.ndarray, drv_parts: np.ndarray, hole: np.ndarray
) -> np.ndarray:
    """Category index (into :func:`category_names`) of every pixel of one frame."""
    from retarget.render.parts import PARTS

    n = len(PARTS)
    drawn = out_labels >= 0
    person = drv_mask > 0
    cat = np.where(hole, n + 3, n + 4)  # plate: hole / rest
    cat = np.where(drawn & ~person, n + 2, cat)  # extra
    cat = np.where(~drawn & person, n + 5 + np.maximum(drv_parts, 0), cat)  # missing: part
    cat = np.where(drawn & person, out_labels, cat)
    cat = np.where(drawn & person & _near_border(out_labels, SEAM_PX, both_set=True), n, cat)
    cat = np.where(_near_border(person.astype(np.int8), EDGE_PX), n + 1, cat)
    return cat.astype(np.int16)


def category_names() -> list[str]:
    from retarget.render.parts import PARTS

    names = [p.name for p in PARTS]
    return (
        names
        + ["seams", "silhouette edge", "extra", "plate: hole", "plate: rest"]
        + ["missing: " + n for n in names]
    )


def analyse(
    media: Path, clip: str, frames: int, out_dir: Path, settings: dict, inpaint: bool = False
) -> dict:
    """One clip: per-category L1 contributions and the PNGs."""
    import cv2

    from retarget.render.background import remove_person  # noqa: F401  (grow documented there)
    from retarget.render.parts import cut_parts, part_shapes
    from retarget.render.reference import PartWarpRenderer

    path = media / clip
    seen, motion, seg = driving_data(path, frames)
    drv = [f.rgb for f in seen]
    t0 = time.perf_counter()
    outs, labels, src, tgt = render_with_labels(path, motion, settings, None if inpaint else seen)
    seconds = time.perf_counter() - t0
    n = min(len(outs), len(drv))
    names = category_names()
    mass = np.zeros(len(names))
    err_sum = np.zeros(drv[0].shape[:2], np.float64)
    h, w = drv[0].shape[:2]
    r = max(1, round(0.02 * max(h, w)))
    hole = cv2.dilate(
        (src.mask > 0.05).astype(np.uint8),
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2),
    ).astype(bool)
    prep = PartWarpRenderer(**settings).prepare(src)
    l1, l1_static = [], []
    example = None
    for t in range(n):
        err = np.abs(outs[t].astype(np.float32) - drv[t]).mean(-1) / 255.0
        l1.append(float(err.mean()))
        l1_static.append(float(np.abs(drv[0].astype(np.float32) - drv[t]).mean() / 255.0))
        err_sum += err
        ok = tgt.confidence[t] > 0
        shapes = part_shapes(tgt.coords[t], prep.radii)
        usable = np.array([True] * len(shapes))
        drv_parts = (
            cut_parts(seg[t].astype(np.float32), shapes, usable)
            if ok.all()
            else np.full((h, w), -1, np.int8)
        )
        cat = categorise(labels[t], seg[t], drv_parts, hole)
        mass += np.bincount(cat.ravel(), weights=err.ravel(), minlength=len(names))
        if t == n // 2:
            example = cat
    total = mass.sum()
    contrib = mass / (n * h * w)
    row = {
        "clip": clip,
        "frames": n,
        "l1": float(np.mean(l1)),
        "l1_static": float(np.mean(l1_static)),
        "ratio": float(np.mean(l1) / np.mean(l1_static)),
        "render_ms": 1000 * seconds / n,
        "share": {k: float(m / total) for k, m in zip(names, mass) if m > 0},
        "contrib": {k: float(c) for k, c in zip(names, contrib) if c > 0},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(clip).stem[:3]
    mean_err = (err_sum / n).astype(np.float32)
    heat = cv2.applyColorMap(
        np.clip(mean_err * 4 * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_INFERNO
    )
    heat = cv2.cvtColor(heat, cv2.COLOR_BGR2RGB)
    _save(out_dir / f"{stem}_error.png", np.concatenate([drv[0], heat], axis=1))
    palette = _palette(len(names))
    _save(out_dir / f"{stem}_categories.png", np.concatenate(
        [drv[n // 2], outs[n // 2], palette[example]], axis=1))  # fmt: skip
    picks = np.linspace(0, n - 1, 6).round().astype(int)
    rows = []
    for t in picks:
        e = np.abs(outs[t].astype(np.int16) - drv[t]).mean(-1).astype(np.float32) / 255.0
        e8 = cv2.cvtColor(
            cv2.applyColorMap(np.clip(e * 3 * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_INFERNO),
            cv2.COLOR_BGR2RGB,
        )
        rows.append(np.concatenate([drv[t], outs[t], e8], axis=0))
    _save(out_dir / f"{stem}_strip.png", np.concatenate(rows, axis=1))
    return row


def _palette(k: int) -> np.ndarray:
    import matplotlib

    cmap = matplotlib.colormaps["tab20"]
    cols = np.array([cmap(i % 20)[:3] for i in range(k)]) * 255
    return cols.astype(np.uint8)


def _save(path: Path, rgb: np.ndarray) -> None:
    import cv2

    side = max(rgb.shape[:2])
    if side > 1600:
        f = 1600 / side
        rgb = cv2.resize(
            rgb, (round(rgb.shape[1] * f), round(rgb.shape[0] * f)), interpolation=cv2.INTER_AREA
        )
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def table(rows: list[dict]) -> str:
    """Categories (rows, largest mean share first) by clip (columns): contribution to the
    L1 in thousandths, and the clip's L1 and ratio to the static baseline."""
    names = category_names()
    mean_share = {k: np.mean([r["share"].get(k, 0.0) for r in rows]) for k in names}
    order = sorted((k for k in names if mean_share[k] > 0.005), key=lambda k: -mean_share[k])
    head = "| where (L1 x 1000) | " + " | ".join(Path(r["clip"]).stem[:3] for r in rows)
    lines = [head + " | mean share |", "|---|" + "---:|" * (len(rows) + 1)]
    for k in order:
        cells = " | ".join(f"{1000 * r['contrib'].get(k, 0.0):.1f}" for r in rows)
        lines.append(f"| {k} | {cells} | {100 * mean_share[k]:.0f} % |")
    cells = " | ".join(f"**{1000 * r['l1']:.1f}**" for r in rows)
    lines.append(f"| **L1** | {cells} | |")
    cells = " | ".join(f"{r['ratio']:.2f}" for r in rows)
    lines.append(f"| L1 / static | {cells} | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--media", default=os.environ.get("RETARGET_MEDIA", str(ROOT.parent / "shared" / "media"))
    )
    ap.add_argument("--clips", nargs="+", default=None, help="Clips (name prefixes) to measure.")
    ap.add_argument("--frames", type=int, default=72)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "errors"))
    ap.add_argument("--settings", default="{}", help="Reference renderer settings (JSON).")
    ap.add_argument(
        "--inpaint", action="store_true", help="The source frame inpainted, not the plate."
    )
    ap.add_argument("--json", default=None)
    ap.add_argument("--update-readme", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    clips = [c for c in CLIPS if not args.clips or any(c.startswith(p) for p in args.clips)]
    rows = []
    for clip in clips:
        row = analyse(
            Path(args.media), clip, args.frames, Path(args.out), json.loads(args.settings),
            args.inpaint,
        )  # fmt: skip
        print(
            json.dumps({k: row[k] for k in ("clip", "l1", "l1_static", "ratio", "render_ms")}),
            flush=True,
        )
        rows.append(row)
    text = table(rows)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.update_readme:
        readme = ROOT / "benchmarks" / "README.md"
        doc = readme.read_text()
        head, rest = doc.split(START, 1)
        _, tail = rest.split(END, 1)
        readme.write_text(head + START + "\n" + text + END + tail)


if __name__ == "__main__":
    main()
