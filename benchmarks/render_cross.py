"""Cross-identity rendering (photo to dancer), the ``--only cross`` part of
``benchmarks/render.py``: ``retarget video SOURCE CLIP --max-frames 72`` for the pairs of
:data:`CROSS_PAIRS`, measured with BlazePose (keypoints and segmentation) on the output, the
driving frames and the source frame (see ``render.py``'s docstring for the columns).

A source is a file of the shared media, ``FILE@N`` (frame ``N`` of a video: the source is
then a video, whose scene comes from its frames), or ``skimage:NAME`` (a picture that
scikit-image ships, e.g. ``skimage:astronaut``, an upper-body portrait).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

CROSS_START, CROSS_END = "<!-- render-cross -->", "<!-- /render-cross -->"
CROSS_PAIRS = (
    ("i01_imper_ins3.jpg", "v05_animatex_source_video.mp4"),
    ("i01_imper_ins3.jpg", "v10_footskate_dance.mp4"),
    ("i03_imper_men1.jpg", "v07_ipercore_akun_1.mp4"),
    ("i05_imper_iper_apose.jpg", "v02_animatex_dance_1.mp4"),
    ("i05_imper_iper_apose.jpg", "v06_animatex_ubc.mp4"),
    ("i07_unianimate_deepfashion.jpg", "v02_animatex_dance_1.mp4"),
    ("i10_tfpose_golf.jpg", "v05_animatex_source_video.mp4"),
    ("i12_moore_anyone11.png", "v10_footskate_dance.mp4"),
    ("i12_moore_anyone11.png", "v07_ipercore_akun_1.mp4"),
    ("hi02_dwpose_m2_partial.jpg", "v05_animatex_source_video.mp4"),
    ("h04_articulated_ted_partial.mp4@0", "v05_animatex_source_video.mp4"),
    ("h04_articulated_ted_partial.mp4@90", "v10_footskate_dance.mp4"),
    ("skimage:astronaut", "v02_animatex_dance_1.mp4"),
)
"""Source -> single-dancer clip pairs of ``--only cross``: each full-body photo with one or
two clips of people of different looks; then partial sources: a knees-up photo (``hi02``),
frames of a waist-up video (``h04``: hands clasped at the waist, then a hand raised) and
an upper-body portrait (``skimage:astronaut``), driven by dancers whose hands come up to
the face (``v05``) or who move the whole body."""
CROSS_FRAMES = 72
BG_GROW = 0.01
"""The output person's mask is grown by this share of the long side before the scene is
compared (the segmentation's edge is soft)."""
BG_KEEP_OUT = 0.05
"""Around the source person (grown by this share of the long side) the scene is inpainted,
not known: left out of the scene comparison."""


def detect_frames(
    frames: list[np.ndarray], masks: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """BlazePose (video mode) on ``frames``: ``(T, 15, 2)`` openpose15 keypoints (pixels),
    ``(T, 15)`` visibility and, with ``masks``, ``(T, H, W)`` float32 person segmentation
    (zeros where nobody is found)."""
    from skeleton_io import convert
    from skeleton_io.formats.video import BlazePoseEstimator, choose_main
    from skeleton_io.pose import PoseSequence
    from skeleton_io.skeleton import BLAZEPOSE33, OPENPOSE15

    coords = np.zeros((len(frames), 33, 2))
    vis = np.zeros((len(frames), 33))
    seg = np.zeros((len(frames), *frames[0].shape[:2]), np.float32) if masks else None
    with BlazePoseEstimator(video=True, num_poses=1, segmentation=masks) as est:
        for t, rgb in enumerate(frames):
            h, w = rgb.shape[:2]
            people = est(rgb, t / 30.0)
            if not people:
                continue
            p = people[choose_main([q.box((w, h)) for q in people], None)]
            coords[t] = p.xy * [w, h]
            vis[t] = np.clip(p.visibility, 1e-3, 1)
            if seg is not None and p.mask is not None and p.mask.shape == (h, w):
                seg[t] = p.mask
    out = convert(PoseSequence(coords, vis, BLAZEPOSE33), OPENPOSE15)
    return out.coords, out.confidence, seg


def cross_source(media: Path, spec: str, tmp: Path) -> tuple[Path, int]:
    """The file and frame of a source named as :data:`CROSS_PAIRS` names them."""
    if spec.startswith("skimage:"):
        import cv2
        import skimage.data

        out = tmp / f"{spec.split(':', 1)[1]}.png"
        rgb = getattr(skimage.data, spec.split(":", 1)[1])()
        cv2.imwrite(str(out), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        return out, 0
    name, _, frame = spec.partition("@")
    return media / name, int(frame or 0)


def inside_canvas(target: object, size: tuple[int, int], frames: int) -> np.ndarray:
    """``(T, 15)`` bool: the render target's ``openpose15`` joints that lie in the output
    (a joint the source's canvas cannot show is not counted as lost)."""
    from retarget.render.base import as_body15

    t15 = as_body15(target)
    x, y = t15.coords[:frames, :, 0], t15.coords[:frames, :, 1]
    w, h = size
    return (x >= 0) & (x < w) & (y >= 0) & (y < h)


def cross(media: Path, photo: str, clip: str, frames: int, tmp: Path, model: str | None,
          cache: dict, renderer_settings: dict | None = None) -> dict:  # fmt: skip
    """Photo to dancer: ``retarget video PHOTO CLIP`` on the first ``frames`` frames, measured
    on what BlazePose finds in the output, the driving frames and the photo (see the
    ``--only cross`` part of the module docstring)."""
    from retarget.pipeline.video import pose_transfer_video
    from retarget.render import quality as q
    from retarget.render.source import detect_person, read_frame
    from skeleton_io import convert
    from skeleton_io.skeleton import OPENPOSE15
    from skeleton_io.video_io import iter_frames, probe

    path, source_frame = cross_source(media, photo, tmp)
    tag = photo.split(":")[-1][:3] + (f"{source_frame}" if source_frame else "")
    out = tmp / f"cross_{tag}_{Path(clip).stem[:3]}.mp4"
    t = time.perf_counter()
    rep = pose_transfer_video(
        path, media / clip, out, max_frames=frames, max_side=512, model=model,
        renderer_settings=renderer_settings, source_frame=source_frame,
    )  # fmt: skip
    seconds = time.perf_counter() - t
    got = [f.rgb for f in iter_frames(out)]
    n = len(got)
    if clip not in cache:
        drv = [f.rgb for f in iter_frames(media / clip, max_frames=frames, max_side=512)]
        cache[clip] = (drv, detect_frames(drv, masks=True))
    drv, (dc, dv, dm) = cache[clip]
    n = min(n, len(drv))
    scene = read_frame(path, source_frame, 512).rgb
    h, w = scene.shape[:2]
    if got[0].shape[0] - h not in (0, 1) or got[0].shape[1] - w not in (0, 1):
        raise RuntimeError(f"{photo}: output {got[0].shape} and photo {scene.shape} differ")
    got = [g[:h, :w] for g in got]  # the writer pads odd sizes by one pixel
    src_pose, src_mask, _ = detect_person(scene, name=photo)
    s15 = convert(src_pose, OPENPOSE15)
    oc, ov, om = detect_frames(got[:n], masks=True)
    kp_out, kp_drv = (oc, ov), (dc[:n], dv[:n])
    kp_static = (np.repeat(s15.coords[:1], n, 0), np.repeat(s15.confidence[:1], n, 0))
    # Driving keypoints whose place in the render target is outside the source's canvas
    # (the legs of an upper-body photo) cannot be shown: not counted as lost.
    shown = inside_canvas(rep.target, (w, h), n)
    angle, _ = q.bone_angle_error(kp_out, kp_drv)
    angle_static, _ = q.bone_angle_error(kp_static, kp_drv)
    # Colour: the output person's Lab histogram against the source's and the driving's.
    h_src = q.colour_histogram(scene, q.inner(src_mask))
    d_src, d_drv, d_ref = [], [], []
    for i in range(n):
        h_out = q.colour_histogram(got[i], q.inner(om[i]))
        h_drv = q.colour_histogram(drv[i], q.inner(dm[i]))
        if h_out is None or h_drv is None or h_src is None:
            continue
        d_src.append(q.histogram_distance(h_out, h_src))
        d_drv.append(q.histogram_distance(h_out, h_drv))
        d_ref.append(q.histogram_distance(h_src, h_drv))
    # Scene: outside the output person and away from where the source person stood.
    side = max(scene.shape[:2])
    keep_out = q.grown(src_mask, round(BG_KEEP_OUT * side))
    bg = [
        q.background_error(got[i], scene, ~q.grown(om[i], round(BG_GROW * side)) & ~keep_out)
        for i in range(n)
    ]
    info_out, info_drv = probe(out), probe(media / clip)
    want_frames = min(frames, info_drv.num_frames)
    jit_out, jit_drv = q.jitter(*kp_out), q.jitter(*kp_drv)
    return {
        "photo": photo,
        "clip": clip,
        "frames": n,
        "angle": angle,
        "angle_static": angle_static,
        "angle_ratio": angle / angle_static,
        "missing": q.missing_share(ov, np.where(shown, dv[:n], 0.0)),
        "missing_by_joint": {
            name: round(
                q.missing_share(ov[:, j : j + 1], np.where(shown, dv[:n], 0.0)[:, j : j + 1]), 3
            )
            for j, name in enumerate(OPENPOSE15.joints)
        },
        "outside": float(
            1 - (shown & (dv[:n] >= q.VISIBLE)).sum() / max((dv[:n] >= q.VISIBLE).sum(), 1)
        ),
        "colour_src": float(np.mean(d_src)) if d_src else float("nan"),
        "colour_drv": float(np.mean(d_drv)) if d_drv else float("nan"),
        "colour_gap": float(np.mean(d_ref)) if d_ref else float("nan"),
        "closer_share": float(np.mean(np.array(d_src) < np.array(d_drv))) if d_src else 0.0,
        "bg_mae": float(np.nanmean(bg)),
        "bg_share": float(np.mean(~keep_out)),
        "jitter": jit_out,
        "jitter_drv": jit_drv,
        "jitter_ratio": jit_out / jit_drv,
        # Which keypoints shake: each one's jitter on the output over the driving's.
        "jitter_by_joint": {
            name: round(float(r), 2)
            for name, r in zip(OPENPOSE15.joints, q.joint_jitter(*kp_out) / q.joint_jitter(*kp_drv))
        },
        "same_format": bool(
            info_out.num_frames == want_frames
            and abs(info_out.fps - info_drv.fps) < 1e-3
            and info_out.has_audio == info_drv.has_audio
        ),
        "format": f"{info_out.num_frames}/{want_frames} fr, "
        f"{info_out.fps:.2f}/{info_drv.fps:.2f} fps, "
        f"audio {info_out.has_audio}/{info_drv.has_audio}",
        "seconds": seconds,
        "warnings": rep.warnings,
    }


def cross_table(rows: list[dict]) -> str:
    """The ``--only cross`` table (criteria in the headers)."""
    if not rows:
        return ""
    lines = [
        "| source -> clip | frames | angle ° (goal <= 8) | static ° | ratio (goal < 0.4) | missing (goal <= 1 %) | outside the canvas | colour: to source / to driving (goal: smaller to source) | closer to source | scene MAE (goal <= 0.03) | jitter ratio (goal <= 1.2) | frames, fps, audio | warned |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        name = r["photo"].split(":")[-1]
        name = name[:3] + ("@" + name.split("@")[1] if "@" in name else "")
        lines.append(
            f"| {name} -> {r['clip'][:3]} | {r['frames']} | {r['angle']:.1f} | "
            f"{r['angle_static']:.1f} | {r['angle_ratio']:.2f} | {100 * r['missing']:.1f} % | "
            f"{100 * r['outside']:.0f} % | "
            f"{r['colour_src']:.2f} / {r['colour_drv']:.2f} | {100 * r['closer_share']:.0f} % | "
            f"{r['bg_mae']:.4f} | {r['jitter_ratio']:.2f} | "
            f"{'same' if r['same_format'] else r['format']} | {len(r['warnings'])} |"
        )
    m = lambda k: float(np.nanmean([r[k] for r in rows]))  # noqa: E731
    worst = lambda k: float(np.nanmax([r[k] for r in rows]))  # noqa: E731
    same = sum(r["same_format"] for r in rows)
    lines.append(
        f"| **mean** | | {m('angle'):.1f} | {m('angle_static'):.1f} | {m('angle_ratio'):.2f} | "
        f"{100 * m('missing'):.1f} % | {100 * m('outside'):.0f} % | "
        f"{m('colour_src'):.2f} / {m('colour_drv'):.2f} | "
        f"{100 * m('closer_share'):.0f} % | {m('bg_mae'):.4f} | {m('jitter_ratio'):.2f} | "
        f"{same}/{len(rows)} same | |"
    )
    lines.append(
        f"| **worst** | | {worst('angle'):.1f} | | {worst('angle_ratio'):.2f} | "
        f"{100 * worst('missing'):.1f} % | | | "
        f"{100 * min(r['closer_share'] for r in rows):.0f} % | {worst('bg_mae'):.4f} | "
        f"{worst('jitter_ratio'):.2f} | | |"
    )
    lines.append("")
    return "\n".join(lines)
