"""Rendering benchmark on the shared media: speed and memory of ``retarget video`` against
``retarget extract``, and reconstruction quality (First Order Motion's protocol).

    .venv/bin/python benchmarks/render.py [--media ../shared/media] [--frames 96]
        [--only speed|quality|learned|cross] [--minutes 5] [--json OUT.json] [--update-readme]

* **Speed** (``--max-side 512``, each command in its own process): wall time of
  ``retarget extract CLIP`` and of ``retarget video CLIP CLIP --source-frame 0`` on the same
  frames; their ratio (the goal is at most 1.5), frames per second end to end (goal at
  least 10), user + system CPU milliseconds per frame (steadier than wall time on a shared
  machine), the 1-minute load average, and the process's peak resident memory for the
  first 60 frames and for the whole clip (the goal is at most 100 MB more). Clips:
  :data:`SPEED_CLIPS` and a phone-style 1080x1920 HEVC clip of 600 frames that the script
  builds from :data:`PORTRAIT_SOURCE` (:func:`portrait_hevc`, cached in the temporary
  folder).
* **Reconstruction** (FOMM protocol): source = frame 0 of a clip, driving = the same clip;
  the output is compared with the driving frames at the processing size: **L1** = mean
  absolute difference of RGB in [0, 1]; **AKD** = mean distance in pixels between BlazePose
  body keypoints (the 15 openpose15 joints) detected in the output and in the driving frame,
  both scaled to 256 px long side, over keypoints found in both; **MKR** = share of the
  driving's keypoints (visibility >= 0.5) that are not found in the output. The static
  baseline is frame 0 repeated.
* **Learned backend** (``--only learned``): ``train_renderer`` on frames 0:96 of a clip for
  ``--minutes`` (``--size``, default from the device), then ``retarget video CLIP CLIP
  --source-frame 0 --max-frames 144`` with the learned and the reference backends, frames
  96:143 (never trained on) compared: L1 and AKD of each, and their **flicker** (mean
  |change between consecutive output frames - the real frames' change|, RGB in [0, 1]).
  Also, as before, ``--start-frame 96 --max-frames 48``: that run places the person at
  frame 0's spot, not where the real one stands in frame 96 (24-32 px off at 512 px on v05
  and v07), so placement dominates it.

* **Cross-identity** (``--only cross``, photo to dancer): ``retarget video PHOTO CLIP
  --max-frames 72`` for the pairs of :data:`CROSS_PAIRS`; BlazePose (keypoints and
  segmentation) on the output, the driving frames and the photo: **angle** = mean
  difference of the 14 bone directions between output and driving (goal at most 12
  degrees), against a static output (the photo repeated; ratio goal under 0.4);
  **missing** = share of the driving's keypoints not found in the output (goal at most
  5 %); **colour** = Hellinger distance between Lab histograms inside the (eroded) person
  masks, output person to source person and to driving person (the first should be the
  smaller); **scene MAE** = mean |output - photo| in [0, 1] outside the output person
  (mask grown by :data:`BG_GROW`) and outside the source person (grown by
  :data:`BG_KEEP_OUT`, where the scene is inpainted; goal at most 0.03); **jitter** =
  mean |acceleration| of the output's keypoints over the driving's, each in its own spine
  lengths (goal at most 1.5); frames, fps and audio as the driving video's.

``--update-readme`` writes each table measured into ``benchmarks/README.md`` between its
markers in the "Rendering" section: ``<!-- render-speed -->``, ``<!-- render-results -->``
(reconstruction), ``<!-- render-learned -->``, ``<!-- render-cross -->``. Not a
test: it takes a few minutes on 2 CPU cores (``--only learned`` about ``--minutes`` + 2
minutes per clip, ``--only cross`` about 5 minutes).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from render_cross import (  # noqa: E402  (benchmarks/render_cross.py)
    CROSS_END,
    CROSS_FRAMES,
    CROSS_PAIRS,
    CROSS_START,
    cross,
    cross_table,
    detect_frames,
)

START, END = "<!-- render-results -->", "<!-- /render-results -->"
SPEED_START, SPEED_END = "<!-- render-speed -->", "<!-- /render-speed -->"
LEARNED_START, LEARNED_END = "<!-- render-learned -->", "<!-- /render-learned -->"
SPEED_CLIPS = ("v07_ipercore_akun_1.mp4", "h06_aurobit_ubc_splice_hevc10.mp4")
PORTRAIT_SOURCE = "v07_ipercore_akun_1.mp4"
PORTRAIT_FRAMES = 600
PORTRAIT_CLIP = "v07_portrait_1080x1920_hevc.mp4"
"""The phone-style speed clip :func:`portrait_hevc` builds from :data:`PORTRAIT_SOURCE`:
1080x1920 HEVC (8 Mbit/s, stored 1920x1080 with a 90-degree display rotation, as phones
write it), :data:`PORTRAIT_FRAMES` frames at 30 fps, looped back and forth."""
QUALITY_CLIPS = (
    "v02_animatex_dance_1.mp4",
    "v05_animatex_source_video.mp4",
    "v06_animatex_ubc.mp4",
    "v07_ipercore_akun_1.mp4",
    "v10_footskate_dance.mp4",
    "h04_articulated_ted_partial.mp4",
    "h06_aurobit_ubc_splice_hevc10.mp4",
)
CAMERA = {
    "v02_animatex_dance_1.mp4": "hand-held (pans, zooms)",
    "v07_ipercore_akun_1.mp4": "zooms (frames 0-12), then static",
}
"""Clips whose camera moves: the L1 goal is for static cameras (hand-held ones are left out
of it; the others are static)."""
AKD_SIDE = 256
VISIBLE = 0.5
_RUNNER = """
import json, os, resource, sys, time
from retarget.cli import main
sys.argv = ["retarget"] + sys.argv[2:]
t = time.perf_counter()
code = 0
try:
    main()
except SystemExit as e:
    code = e.code or 0
finally:
    r = resource.getrusage(resource.RUSAGE_SELF)
    with open(OUT, "w") as f:
        json.dump({"seconds": time.perf_counter() - t, "rss_kb": r.ru_maxrss, "code": code,
                   "cpu": r.ru_utime + r.ru_stime, "load": os.getloadavg()[0]}, f)
"""


def run_cli(args: list[str]) -> dict:
    """Run ``retarget ARGS`` in a fresh process: its wall ``seconds``, peak resident memory
    ``mb``, user + system ``cpu`` seconds (all threads) and the 1-minute ``load`` average
    at its end."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        code = _RUNNER.replace("OUT", repr(out.name))
        subprocess.run([sys.executable, "-c", code, "x", *args], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        got = json.loads(Path(out.name).read_text())
    if int(got["code"]) != 0:
        raise RuntimeError(f"retarget {' '.join(args)} exited with {got['code']}")
    return {k: got[k] for k in ("seconds", "cpu", "load")} | {"mb": got["rss_kb"] / 1024.0}


def portrait_hevc(source: Path, out: Path, frames: int = PORTRAIT_FRAMES) -> Path:
    """Build the phone-style speed clip (:data:`PORTRAIT_CLIP`) from a landscape clip: the
    centre 9:16 column of every frame scaled to 1080x1920, played forwards then backwards
    until ``frames``, encoded with libx265 (PyAV's bundled FFmpeg) at 8 Mbit/s and stored
    turned (1920x1080 with a display rotation). Reused when ``out`` exists (about 3 minutes
    to build on 2 cores)."""
    import av

    from skeleton_io.video_io import iter_frames, orient

    if out.exists():
        return out
    column = []
    for f in iter_frames(source):
        h, w = f.rgb.shape[:2]
        cw = round(h * 9 / 16) // 2 * 2
        x0 = (w - cw) // 2
        column.append(np.ascontiguousarray(f.rgb[:, x0 : x0 + cw]))
    cycle = list(range(len(column))) + list(range(len(column) - 2, 0, -1))
    order = (cycle * (frames // len(cycle) + 1))[:frames]
    part = out.with_suffix(".part.mp4")
    with av.open(str(part), "w") as c:
        s = c.add_stream("libx265", rate=30)
        s.width, s.height = 1920, 1080
        s.pix_fmt = "yuv420p"
        s.options = {
            "preset": "fast",
            "x265-params": "log-level=error:bitrate=8000:vbv-maxrate=10000:vbv-bufsize=10000",
        }
        s.set_display_rotation(-90)  # shown turned back upright: 1080x1920
        for i in order:
            upright = av.VideoFrame.from_ndarray(column[i], format="rgb24")
            upright = upright.reformat(width=1080, height=1920).to_ndarray(format="rgb24")
            stored = orient(upright, (1, False))
            for packet in s.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    part.rename(out)
    return out


def _help(command: str) -> str:
    from click.testing import CliRunner

    from retarget.cli import cli

    return CliRunner().invoke(cli, [command, "--help"]).output


def speed(path: Path, frames: int | None, tmp: Path, model: list[str]) -> dict:
    from skeleton_io.video_io import probe

    info = probe(path)
    n = min(frames or info.num_frames, info.num_frames)
    lim = ["--max-frames", str(n), "--max-side", "512"]
    # Pose extraction alone (extract's own learned denoiser, where it has one, is left out).
    raw = ["--no-denoise"] if "--no-denoise" in _help("extract") else []
    ext = run_cli(["extract", str(path), "-o", str(tmp / "x.npz"), *lim, *raw])
    vid = run_cli(["video", str(path), str(path), "-o", str(tmp / "x.mp4"), *lim, *model])
    return {
        "clip": path.name,
        "video": f"{info.width}x{info.height} {info.codec}",
        "frames": n,
        "extract_s": ext["seconds"],
        "video_s": vid["seconds"],
        "ratio": vid["seconds"] / ext["seconds"],
        "fps": n / vid["seconds"],
        "extract_mb": ext["mb"],
        "video_mb": vid["mb"],
        "extract_cpu_ms": 1000 * ext["cpu"] / n,
        "video_cpu_ms": 1000 * vid["cpu"] / n,
        "load": max(ext["load"], vid["load"]),
    }


def speed_clips(media: Path) -> list[Path]:
    """The clips of the speed rows: :data:`SPEED_CLIPS` and the built portrait HEVC clip
    (kept in the system's temporary folder between runs)."""
    cache = Path(tempfile.gettempdir()) / "retarget-bench"
    cache.mkdir(exist_ok=True)
    portrait = portrait_hevc(media / PORTRAIT_SOURCE, cache / PORTRAIT_CLIP)
    return [media / clip for clip in SPEED_CLIPS] + [portrait]


def body_keypoints(frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``(T, 15, 2)`` openpose15 keypoints (pixels of the frames given) and ``(T, 15)``
    visibility, BlazePose in video mode; zeros where nobody is found."""
    coords, vis, _ = detect_frames(frames)
    return coords, vis


def akd(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[float, float, np.ndarray]:
    """AKD (pixels), MKR and per-frame AKD of keypoints ``a`` (output) against ``b``
    (driving)."""
    (ca, va), (cb, vb) = a, b
    want = vb >= VISIBLE
    found = va >= VISIBLE
    both = want & found
    d = np.linalg.norm(ca - cb, axis=-1)
    per = np.array([d[t][both[t]].mean() if both[t].any() else np.nan for t in range(len(d))])
    mkr = float((want & ~found).sum() / max(want.sum(), 1))
    return float(d[both].mean()), mkr, per


def to_side(rgb: np.ndarray, side: int) -> np.ndarray:
    import cv2

    s = side / max(rgb.shape[:2])
    return cv2.resize(
        rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)), interpolation=cv2.INTER_AREA
    )


def compare(out: Path, driving: Path, start: int = 0, skip: int = 0) -> dict:
    """L1, AKD and MKR of a rendered video (from its frame ``skip`` on) against the driving
    frames from ``start`` on."""
    from skeleton_io.video_io import iter_frames

    got = [f.rgb for f in iter_frames(out, start_frame=skip)]
    drv = [
        f.rgb for f in iter_frames(driving, start_frame=start, max_frames=len(got), max_side=512)
    ]
    n = min(len(got), len(drv))
    got, drv = got[:n], drv[:n]
    l1 = float(np.mean([np.abs(g.astype(np.float32) - d).mean() / 255 for g, d in zip(got, drv)]))
    # Flicker: the change between consecutive output frames against the real frames' change.
    flicker = float(np.mean([
        np.abs((g1.astype(np.float32) - g0) - (d1.astype(np.float32) - d0)).mean() / 255
        for g0, g1, d0, d1 in zip(got, got[1:], drv, drv[1:])
    ])) if n > 1 else float("nan")  # fmt: skip
    a, mkr, _ = akd(
        body_keypoints([to_side(g, AKD_SIDE) for g in got]),
        body_keypoints([to_side(d, AKD_SIDE) for d in drv]),
    )
    return {"frames": n, "l1": l1, "akd": a, "mkr": mkr, "flicker": flicker}


LEARNED_TRAIN = (0, 96)
LEARNED_TEST = (96, 144)


def learned(
    media: Path, clip: str, tmp: Path, model: str | None, minutes: float, size: str | None = None
) -> dict:
    """The learned backend's protocol: trained on frames 0:96 (source frame 0), tested on
    frames 96:143 against the reference backend: frames 0:143 rendered in one run (the
    person placed as in training: where the real one stands), frames 96:143 compared; and
    (``start96_*``) the run started at frame 96, which places the person at frame 0's spot
    (not where the real one stands in frame 96: placement, not rendering, then dominates)."""
    from retarget.pipeline.train_renderer import train_renderer
    from retarget.pipeline.video import pose_transfer_video

    path = media / clip
    model_dir = tmp / f"lr_{Path(clip).stem}"
    t = time.perf_counter()
    train = train_renderer(path, model_dir, frames=LEARNED_TRAIN, minutes=minutes, model=model,
                           size=size, progress=False)  # fmt: skip
    seconds = time.perf_counter() - t
    row = {"clip": clip, "train_s": seconds, "iterations": train.iterations, "size": train.size}
    a, b = LEARNED_TEST
    runs = (("", {"max_frames": b}, a), ("start96_", {"start_frame": a, "max_frames": b - a}, 0))
    for prefix, frames, skip in runs:
        for backend, settings in (("reference", None), ("learned", {"model": model_dir})):
            out = tmp / f"held_{backend}.mp4"
            pose_transfer_video(
                path, path, out, backend=backend, renderer_settings=settings, source_frame=0,
                max_side=512, model=model, **frames,
            )  # fmt: skip
            for k, v in compare(out, path, start=a, skip=skip).items():
                row[f"{prefix}{backend}_{k}"] = v
        row[f"{prefix}l1_ratio"] = row[f"{prefix}learned_l1"] / row[f"{prefix}reference_l1"]
        row[f"{prefix}akd_diff"] = row[f"{prefix}learned_akd"] - row[f"{prefix}reference_akd"]
    return row


def quality(media: Path, clip: str, frames: int, tmp: Path, model: str | None) -> dict:
    from retarget.pipeline.video import pose_transfer_video
    from skeleton_io.video_io import iter_frames

    path = media / clip
    out = tmp / f"rec_{Path(clip).stem}.mp4"
    t = time.perf_counter()
    rep = pose_transfer_video(
        path, path, out, max_frames=frames, max_side=512, source_frame=0, model=model
    )
    seconds = time.perf_counter() - t
    got = [f.rgb for f in iter_frames(out)]
    drv = [f.rgb for f in iter_frames(path, max_frames=len(got), max_side=512)]
    n = min(len(got), len(drv))
    got, drv = got[:n], drv[:n]
    if got[0].shape != drv[0].shape:
        raise RuntimeError(f"{clip}: output {got[0].shape} and driving {drv[0].shape} differ")
    l1 = float(np.mean([np.abs(g.astype(np.float32) - d).mean() / 255 for g, d in zip(got, drv)]))
    l1_static = float(np.mean([np.abs(drv[0].astype(np.float32) - d).mean() / 255 for d in drv]))
    kp_drv = body_keypoints([to_side(d, AKD_SIDE) for d in drv])
    kp_out = body_keypoints([to_side(g, AKD_SIDE) for g in got])
    kp_static = (np.repeat(kp_drv[0][:1], n, 0), np.repeat(kp_drv[1][:1], n, 0))
    a, mkr, _ = akd(kp_out, kp_drv)
    a0, mkr0, _ = akd(kp_static, kp_drv)
    return {
        "clip": clip,
        "frames": n,
        "l1": l1,
        "l1_static": l1_static,
        "l1_ratio": l1 / l1_static,
        "akd": a,
        "akd_static": a0,
        "akd_ratio": a / a0,
        "mkr": mkr,
        "seconds": seconds,
        "warnings": rep.warnings,
    }


def tables(speed_rows: list[dict], quality_rows: list[dict], learned_rows: list[dict]) -> str:
    lines = []
    if learned_rows:
        lines += [
            "| clip | size: training s (iterations) | L1 reference | L1 learned | ratio (goal <= 0.8) | AKD reference | AKD learned | AKD change (goal <= +0.3) | flicker reference / learned | started at 96: L1 ratio, AKD reference / learned |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in learned_rows:
            lines.append(
                f"| {r['clip']} | {r['size']}: {r['train_s']:.0f} ({r['iterations']}) | "
                f"{r['reference_l1']:.4f} | {r['learned_l1']:.4f} | {r['l1_ratio']:.2f} | "
                f"{r['reference_akd']:.2f} | {r['learned_akd']:.2f} | {r['akd_diff']:+.2f} | "
                f"{r['reference_flicker']:.4f} / {r['learned_flicker']:.4f} | "
                f"{r['start96_l1_ratio']:.2f}, {r['start96_reference_akd']:.2f} / "
                f"{r['start96_learned_akd']:.2f} |"
            )
        lines.append("")
    if speed_rows:
        lines += [
            "| clip | video | frames | `extract` s | `video` s | ratio (goal <= 1.2) | end-to-end fps (goal >= 20) | CPU ms/frame extract / video | peak MB extract / video | load |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in speed_rows:
            lines.append(
                f"| {r['clip']} | {r['video']} | {r['frames']} | {r['extract_s']:.1f} | "
                f"{r['video_s']:.1f} | {r['ratio']:.2f} | {r['fps']:.1f} | "
                f"{r['extract_cpu_ms']:.0f} / {r['video_cpu_ms']:.0f} | "
                f"{r['extract_mb']:.0f} / {r['video_mb']:.0f} | {r['load']:.1f} |"
            )
        lines.append("")
    if quality_rows:
        lines += [
            "| clip | camera | frames | L1 | L1 static | L1 ratio (goal <= 0.75, static camera) | AKD px @256 (goal: mean <= 3.0) | AKD static | AKD ratio | MKR |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in quality_rows:
            lines.append(
                f"| {r['clip']} | {CAMERA.get(r['clip'], 'static')} | {r['frames']} | "
                f"{r['l1']:.4f} | {r['l1_static']:.4f} | "
                f"{r['l1_ratio']:.2f} | {r['akd']:.2f} | {r['akd_static']:.2f} | "
                f"{r['akd_ratio']:.2f} | {r['mkr']:.3f} |"
            )
        mean = lambda k: float(np.mean([r[k] for r in quality_rows]))  # noqa: E731
        static = [
            r["l1_ratio"] for r in quality_rows if not CAMERA.get(r["clip"], "").startswith("hand")
        ]
        lines.append(
            f"| **mean** | | | {mean('l1'):.4f} | {mean('l1_static'):.4f} | {mean('l1_ratio'):.2f} | "
            f"{mean('akd'):.2f} | {mean('akd_static'):.2f} | {mean('akd_ratio'):.2f} | {mean('mkr'):.3f} |"
        )
        if static:
            lines.append(f"| **worst static camera** | | | | | {max(static):.2f} | | | | |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_media = os.environ.get("RETARGET_MEDIA", str(ROOT.parent / "shared" / "media"))
    ap.add_argument("--media", default=default_media)
    ap.add_argument("--frames", type=int, default=96, help="Frames per clip for quality.")
    ap.add_argument("--only", choices=["speed", "quality", "learned", "cross"], default=None)
    ap.add_argument(
        "--minutes", type=float, default=5.0, help="Training budget of the learned backend."
    )
    ap.add_argument("--size", default=None, help="The learned backend's size (S, M, L).")
    ap.add_argument(
        "--learned-clips",
        nargs="+",
        default=["v05_animatex_source_video.mp4", "v07_ipercore_akun_1.mp4"],
    )
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--model", default=None, help="Retargeting model run folder (default: the shipped one)."
    )
    ap.add_argument(
        "--pairs", nargs="+", default=None, help="--only cross: only pairs whose names match."
    )
    ap.add_argument("--keep", default=None, help="--only cross: keep the videos in this folder.")
    ap.add_argument("--update-readme", action="store_true")
    args = ap.parse_args()
    model_args = ["--model", args.model] if args.model else []
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    media = Path(args.media)
    speed_rows, quality_rows, learned_rows, cross_rows = [], [], [], []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.only in (None, "speed"):
            for clip in speed_clips(media):
                for frames in (60, None):
                    row = speed(clip, frames, tmp, model_args)
                    print(json.dumps(row), flush=True)
                    speed_rows.append(row)
        if args.only in (None, "quality"):
            for clip in QUALITY_CLIPS:
                row = quality(media, clip, args.frames, tmp, args.model)
                print(json.dumps(row), flush=True)
                quality_rows.append(row)
        if args.only == "cross":
            cache: dict = {}
            keep = Path(args.keep) if args.keep else tmp
            keep.mkdir(parents=True, exist_ok=True)
            for photo, clip in CROSS_PAIRS:
                if args.pairs and not any(p in f"{photo}:{clip}" for p in args.pairs):
                    continue
                row = cross(media, photo, clip, CROSS_FRAMES, keep, args.model, cache)
                print(json.dumps(row), flush=True)
                cross_rows.append(row)
        if args.only == "learned":
            for clip in args.learned_clips:
                row = learned(media, clip, tmp, args.model, args.minutes, args.size)
                print(json.dumps(row), flush=True)
                learned_rows.append(row)
    load = os.getloadavg()[1]
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"load average {load:.1f} over the last 5 minutes (other jobs slow the speed rows)"
    )
    which = args.model or "the shipped model"
    note = f"\nRetargeting with {which}. Measured on {machine}, {time.strftime('%Y-%m-%d')}.\n"
    # Each table between its own markers: a run of one part keeps the others' figures.
    blocks = {
        (SPEED_START, SPEED_END): tables(speed_rows, [], []),
        (START, END): tables([], quality_rows, []),
        (LEARNED_START, LEARNED_END): tables([], [], learned_rows),
        (CROSS_START, CROSS_END): cross_table(cross_rows),
    }
    blocks = {k: v + note for k, v in blocks.items() if v}
    print("\n".join(blocks.values()))
    if args.json:
        rows = {
            "speed": speed_rows,
            "quality": quality_rows,
            "learned": learned_rows,
            "cross": cross_rows,
        }
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.update_readme:
        readme = ROOT / "benchmarks" / "README.md"
        doc = readme.read_text()
        for (start, end), text in blocks.items():
            if start not in doc:
                raise SystemExit(f"{readme}: no {start} marker in its 'Rendering' section")
            head, rest = doc.split(start, 1)
            _, tail = rest.split(end, 1)
            doc = head + start + "\n" + text + end + tail
        readme.write_text(doc)


if __name__ == "__main__":
    main()
