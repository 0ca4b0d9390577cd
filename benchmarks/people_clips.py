"""Two-person test clips made from single-person ones, with the truth of who is where.

Each clip is ``v07`` (a man dancing in a studio, 1920x1080 at 30 fps, scaled to 960x540)
with a second person pasted in: cut out of another clip by BlazePose's segmentation mask,
scaled to the first man's height and stood on his floor line, moving across the frame.

=============  =================================================================
clip           what happens
=============  =================================================================
cross_front    the ``v02`` dancer walks left to right *in front of* the man
cross_behind   the ``v06`` model walks right to left *behind* him
twins          a mirrored copy of the man himself (2.5 s later in his dance, so
               another pose, same clothes) crosses in front of him
hide_leave     the ``v06`` model dances on the right; a board hides the man
               completely for 0.7 s; later she walks out of the frame, stays out
               for 1 s and comes back
solo           nobody pasted: the man alone (the one-person baseline for speed)
=============  =================================================================

For every clip :func:`make_clip` writes ``NAME.mp4`` and ``NAME_truth.npz`` with, per
person (0 = the man, 1 = the pasted one) and frame: ``visible`` (the share of the person's
mask that is visible: not covered, not outside the frame), ``box`` (``x0, y0, x1, y1`` of
the whole mask in pixels of the 960x540 frame) and ``masks`` (the visible mask at a quarter
of the size, to tell whose joints a track holds); and for the pasted person ``b_source``,
``b_index`` (the source frame shown), ``b_mirror`` and ``b_matrix`` (2 x 3, source pixels to
the made frame), from which ``benchmarks/people.py`` places their single-person extraction.

Run: .venv/bin/python benchmarks/people_clips.py --out /tmp/retarget_people
(about a minute on 2 cores; needs ../shared/media).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from skeleton_io.formats.video import BlazePoseEstimator
from skeleton_io.video_io import iter_frames, probe
from skeleton_io.video_writer import VideoWriter

MEDIA = Path(os.environ.get("RETARGET_MEDIA", Path(__file__).resolve().parents[2] / "shared/media"))
SIZE = (960, 540)
FPS = 30.0
CLIPS = ("cross_front", "cross_behind", "twins", "hide_leave", "solo")
MASK_DOWN = 4


@dataclass
class Layer:
    """A person cut out of a clip: RGB frames and soft masks at the source's own size."""

    rgb: list[np.ndarray]
    alpha: list[np.ndarray]
    fps: float

    def index(self, t: float, pingpong_from: float = 0.0) -> int:
        """The frame shown at time ``t`` (ping-pong past the end)."""
        n = len(self.rgb)
        k = int(round((t + pingpong_from) * self.fps)) % (2 * (n - 1))
        return k if k < n else 2 * (n - 1) - k

    def frame(self, k: int, mirror: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """RGB and mask (float in [0, 1]) of frame ``k``, mirrored left-right if asked."""
        rgb, a = self.rgb[k], self.alpha[k].astype(np.float32) / 255
        if mirror:
            rgb, a = rgb[:, ::-1], a[:, ::-1]
        return rgb, a

    def anchor(self) -> tuple[float, float, float]:
        """Median mask height, centre x and bottom y over the clip (source pixels)."""
        boxes = np.array([_bbox(a / 255) for a in self.alpha[:: max(1, len(self.alpha) // 30)]])
        return (
            float(np.nanmedian(boxes[:, 3] - boxes[:, 1])),
            float(np.nanmedian((boxes[:, 0] + boxes[:, 2]) / 2)),
            float(np.nanmedian(boxes[:, 3])),
        )


def cut_out(
    path: Path, max_side: int, size: tuple[int, int] | None = None, seconds: float = 7.4
) -> Layer:
    """The first ``seconds`` of ``path`` with its main person's segmentation mask (uint8)."""
    info = probe(path)
    rgbs, alphas = [], []
    frames = int(seconds * info.fps) + 1
    with BlazePoseEstimator(video=True, num_poses=1, segmentation=True) as est:
        for f in iter_frames(path, max_side=max_side, max_frames=frames):
            rgb = f.rgb if size is None else cv2.resize(f.rgb, size, interpolation=cv2.INTER_AREA)
            people = est(f.rgb, f.time)
            mask = people[0].mask if people and people[0].mask is not None else None
            a = np.zeros(f.rgb.shape[:2], np.float32) if mask is None else mask
            if size is not None:
                a = cv2.resize(a, size, interpolation=cv2.INTER_LINEAR)
            rgbs.append(rgb)
            alphas.append((np.clip(a, 0, 1) * 255).astype(np.uint8))
    return Layer(rgbs, alphas, info.fps)


def _bbox(alpha: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(alpha > 0.5)
    if len(xs) == 0:
        return np.array([np.nan] * 4)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=float)


def place_matrix(scale: float, anchor: tuple[float, float], centre_x: float, floor_y: float):
    """``2 x 3`` map from source pixels to the canvas: scaled by ``scale``, the source's
    ``anchor`` (centre x, bottom y) put at ``(centre_x, floor_y)``."""
    cx, bottom = anchor
    return np.array([[scale, 0, centre_x - scale * cx], [0, scale, floor_y - scale * bottom]])


def place(
    rgb: np.ndarray, alpha: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """``rgb``/``alpha`` warped onto the canvas by ``m``: canvas-sized RGB and mask, and the
    share of the mask inside the canvas."""
    out_rgb = cv2.warpAffine(rgb, m, SIZE, flags=cv2.INTER_LINEAR)
    out_a = cv2.warpAffine(alpha, m, SIZE, flags=cv2.INTER_LINEAR)
    inside = float((out_a > 0.5).sum()) / max(float((alpha > 0.5).sum()) * m[0, 0] ** 2, 1.0)
    return out_rgb, out_a, min(inside, 1.0)


def _path(t: float, keys: list[tuple[float, float]]) -> float:
    """Piecewise-linear x(t) through ``(time, x)`` keys."""
    ts, xs = zip(*keys)
    return float(np.interp(t, ts, xs))


def _scenario(name: str, duration: float) -> dict:
    """Where the second person is at each time, who is in front, and the board."""
    w = SIZE[0]
    if name == "cross_front":
        return {"src": "v02", "x": [(0, 0.1 * w), (duration, 0.9 * w)], "front": True}
    if name == "cross_behind":
        return {"src": "v06", "x": [(0, 0.9 * w), (duration, 0.1 * w)], "front": False}
    if name == "twins":
        return {"src": "self", "x": [(0, 0.1 * w), (duration, 0.9 * w)], "front": True}
    if name == "solo":  # the second person stays far outside the frame
        return {"src": "v06", "x": [(0, -5.0 * w), (duration, -5.0 * w)], "front": True}
    if name == "hide_leave":
        x = [(0, 0.8 * w), (3.4, 0.8 * w), (4.2, 1.25 * w), (5.2, 1.25 * w), (6.0, 0.8 * w)]
        return {"src": "v06", "x": x, "front": True, "board": (2.0, 2.7)}
    raise ValueError(name)


def make_clip(name: str, out: Path, layers: dict[str, Layer]) -> tuple[Path, Path]:
    """Write ``out/NAME.mp4`` and ``out/NAME_truth.npz`` (see the module docstring)."""
    base = layers["v07"]
    sc = _scenario(name, (len(base.rgb) - 1) / base.fps)
    src = base if sc["src"] == "self" else layers[sc["src"]]
    mirror = sc["src"] == "self"
    a_height, _, floor = base.anchor()
    b_height, b_cx, b_bottom = src.anchor()
    scale = a_height / b_height
    T = len(base.rgb)
    b_index = np.zeros(T, int)
    b_matrix = np.zeros((T, 2, 3))
    vis = np.zeros((2, T))
    boxes = np.zeros((2, T, 4))
    small = (SIZE[1] // MASK_DOWN, SIZE[0] // MASK_DOWN)
    masks = np.zeros((2, T, *small), bool)
    board = None
    if "board" in sc:  # covers every pose of the man while it is up, with a margin
        t0, t1 = (int(round(s * FPS)) for s in sc["board"])
        bb = np.array([_bbox(base.alpha[k] / 255) for k in range(t0, t1 + 1)])
        board = (
            (np.nanmin(bb[:, :2], 0) - 25).astype(int),
            (np.nanmax(bb[:, 2:], 0) + 25).astype(int),
        )
    video = out / f"{name}.mp4"
    with VideoWriter(video, FPS, crf=18) as writer:
        for k in range(T):
            t = k / FPS
            a_rgb, a_alpha = base.frame(k)
            b_index[k] = src.index(t, pingpong_from=2.5 if mirror else 0.0)
            b_rgb, b_alpha = src.frame(b_index[k], mirror=mirror)
            anchor = (b_rgb.shape[1] - b_cx if mirror else b_cx, b_bottom)
            b_matrix[k] = place_matrix(scale, anchor, _path(t, sc["x"]), floor)
            b_rgb, b_alpha, b_inside = place(b_rgb, b_alpha, b_matrix[k])
            canvas = a_rgb.astype(np.float32)
            ab = b_alpha[..., None]
            canvas = canvas * (1 - ab) + b_rgb * ab
            a_vis, b_vis = a_alpha > 0.5, b_alpha > 0.5
            if sc["front"]:
                a_vis = a_vis & ~b_vis
            else:
                aa = a_alpha[..., None]
                canvas = canvas * (1 - aa) + a_rgb * aa
                b_vis = b_vis & ~a_vis
            if board is not None and t0 <= k <= t1:
                (x0, y0), (x1, y1) = board
                canvas[y0:y1, x0:x1] = (90, 110, 140)
                canvas[y0:y1:24, x0:x1] = (70, 85, 110)  # some texture
                cover = np.zeros_like(a_vis)
                cover[y0:y1, x0:x1] = True
                a_vis, b_vis = a_vis & ~cover, b_vis & ~cover
            writer.write(np.clip(canvas, 0, 255).astype(np.uint8))
            full = [
                max((a_alpha > 0.5).sum(), 1),
                max((b_alpha > 0.5).sum() / max(b_inside, 1e-9), 1),
            ]
            for p, (v, alpha) in enumerate(((a_vis, a_alpha), (b_vis, b_alpha))):
                vis[p, k] = v.sum() / full[p]
                boxes[p, k] = _bbox(alpha)
                masks[p, k] = cv2.resize(v.astype(np.uint8), small[::-1], cv2.INTER_NEAREST) > 0
    truth = out / f"{name}_truth.npz"
    np.savez_compressed(
        truth, visible=np.clip(vis, 0, 1), box=boxes, masks=masks, fps=FPS,
        b_source=sc["src"], b_index=b_index, b_matrix=b_matrix, b_mirror=mirror,
    )  # fmt: skip
    return video, truth


SOURCES = {
    "v07": ("v07_ipercore_akun_1.mp4", 960),
    "v02": ("v02_animatex_dance_1.mp4", 640),
    "v06": ("v06_animatex_ubc.mp4", 640),
}
"""The clips people are cut from, and the long side they are decoded at."""


def source_frames(name: str, seconds: float = 7.4) -> list[np.ndarray]:
    """The frames a layer is made of (as :func:`cut_out` decodes them), without masks."""
    file, side = SOURCES[name]
    path = MEDIA / file
    frames = int(seconds * probe(path).fps) + 1
    size = SIZE if name == "v07" else None
    out = []
    for f in iter_frames(path, max_side=side, max_frames=frames):
        out.append(f.rgb if size is None else cv2.resize(f.rgb, size, interpolation=cv2.INTER_AREA))
    return out


def load_layers() -> dict[str, Layer]:
    """The man of v07 (at the clip size) and the two people to paste."""
    return {
        name: cut_out(MEDIA / file, max_side=side, size=SIZE if name == "v07" else None)
        for name, (file, side) in SOURCES.items()
    }


def make_all(out: Path, names: tuple[str, ...] = CLIPS) -> dict[str, tuple[Path, Path]]:
    """Every clip (skipped where already made)."""
    out.mkdir(parents=True, exist_ok=True)
    todo = [n for n in names if not (out / f"{n}_truth.npz").exists()]
    made = {n: (out / f"{n}.mp4", out / f"{n}_truth.npz") for n in names if n not in todo}
    if todo:
        layers = load_layers()
        for n in todo:
            made[n] = make_clip(n, out, layers)
    return made


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("/tmp/retarget_people"))
    p.add_argument("--clips", nargs="*", default=list(CLIPS), choices=CLIPS)
    args = p.parse_args()
    for name, (video, truth) in make_all(args.out, tuple(args.clips)).items():
        print(f"{name}: {video} {truth}")


if __name__ == "__main__":
    main()
