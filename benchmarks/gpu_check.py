"""The learned renderer on a GPU (``make gpu-check``): train it for a few minutes at 512 px,
render 48 held-out frames, print ms/frame, training steps/s and the held-out L1 against the
reference backend. Needs PyTorch with CUDA, NumPy and OpenCV; nothing from the network and
neither PyAV nor mediapipe: the poses and frames come from a file prepared on a machine
that has them.

    # here (PyAV + mediapipe): poses, source person and frames -> benchmarks/gpu_data/CLIP.npz
    .venv/bin/python benchmarks/gpu_check.py --prepare [--clip v07_ipercore_akun_1.mp4]
    # on the GPU machine (the npz travels with the repository; outputs under $OUT)
    make gpu-check PY=python3            # = python3 benchmarks/gpu_check.py --minutes 4
    # back here: AKD of the returned held-out frames (BlazePose)
    .venv/bin/python benchmarks/gpu_check.py --score OUT/heldout.npz

The protocol is ``benchmarks/render.py --only learned``'s: the source is frame 0, training
on the targets of frames 0:96, held-out frames 96:144 (placed as in a run over frames 0:144)
rendered by the learned and by the reference backend and compared with the real frames (L1
of RGB in [0, 1] at the processing size; frames stored as JPEG at quality 95 for both sides,
no video encoding). **reference**: the reference backend over the same scene as the
learned one (the clean plate of the training frames; ``retarget video`` gives both the
scene of the source video's frames), i.e. the learned backend with an untrained network:
the ratio is the network's own gain; **reference_inpainted**: over the source frame with
its person inpainted (a photo's scene). Timings:
**train it/s** (optimiser steps per second, size ``L`` by default), **net ms/frame** (the
network alone, batch 8, bf16, after a warm-up) and **render ms/frame** (the whole backend:
reference render on the CPU, part maps, network). Goal of issue 15 on a GPU: L1 at most
0.7x the reference's, at least 30 frames/s rendering. Writes ``$OUT/gpu_check.json`` (or
``--out``) and ``heldout.npz`` (the 48 frames of each backend, JPEG) for ``--score``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "gpu_data"
CLIP = "v07_ipercore_akun_1.mp4"
TRAIN = (0, 96)
HELD = (96, 144)
QUALITY = 95


# ------------------------------------------------------------------ the prepared file
def _jpeg(rgb: np.ndarray) -> np.ndarray:
    import cv2

    ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf


def _unjpeg(buf: np.ndarray) -> np.ndarray:
    import cv2

    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def _pack_frames(frames: list[np.ndarray]) -> dict[str, np.ndarray]:
    bufs = [_jpeg(f) for f in frames]
    return {"jpeg": np.concatenate(bufs), "ends": np.cumsum([len(b) for b in bufs])}


def _unpack_frames(data: np.ndarray, ends: np.ndarray) -> list[np.ndarray]:
    starts = np.concatenate([[0], ends[:-1]])
    return [_unjpeg(data[s:e]) for s, e in zip(starts, ends)]


def _pack_pose(seq, prefix: str) -> dict[str, np.ndarray]:
    return {
        f"{prefix}_coords": seq.coords.astype(np.float32),
        f"{prefix}_conf": seq.confidence.astype(np.float32),
        f"{prefix}_meta": np.array(
            json.dumps({"skeleton": seq.skeleton.name, "fps": seq.fps, "canvas": seq.canvas})
        ),  # fmt: skip
    }


def _unpack_pose(z, prefix: str):
    from skeleton_io.pose import PoseSequence

    meta = json.loads(str(z[f"{prefix}_meta"]))
    return PoseSequence(z[f"{prefix}_coords"], z[f"{prefix}_conf"], meta["skeleton"],
                        fps=meta["fps"], canvas=meta["canvas"])  # fmt: skip


def prepare(media: Path, clip: str, out: Path, model: str | None) -> Path:
    """Poses, source person and frames of the protocol into one ``.npz``: the training clip
    as ``train-renderer --frames 0:96`` makes it, and frames 96:144 of the targets of frames
    0:144 (placed as ``retarget video CLIP CLIP --max-frames 144`` places them, so that the
    person stands where the real one does)."""
    from retarget.pipeline.train_renderer import TrainingClip, load_clip

    train = load_clip(media / clip, TRAIN, model=model, device="cpu")
    whole = load_clip(media / clip, (TRAIN[0], HELD[1]), model=model, device="cpu")
    k = slice(HELD[0] - TRAIN[0], HELD[1] - TRAIN[0])
    held = TrainingClip(whole.source, whole.target[k], whole.real[k], HELD[0], whole.video)
    src = train.source
    arrays = {
        "source_jpeg": _jpeg(src.image),
        "source_mask": np.round(src.mask * 255).astype(np.uint8),
        **_pack_pose(src.pose, "source_pose"),
        **_pack_pose(train.target, "train"),
        **_pack_pose(held.target, "held"),
        "info": np.array(json.dumps({"clip": clip, "train": TRAIN, "held": HELD})),
    }
    for name, part in (("train", train), ("held", held)):
        packed = _pack_frames(part.real)
        arrays[f"{name}_jpeg"], arrays[f"{name}_ends"] = packed["jpeg"], packed["ends"]
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return out


def load_prepared(path: Path):
    """``(train TrainingClip, held-out TrainingClip, info)`` of a prepared file; the source
    image is the JPEG-decoded one, both clips share it."""
    from retarget.pipeline.train_renderer import TrainingClip
    from retarget.render.base import SourceAppearance

    z = np.load(path)
    info = json.loads(str(z["info"]))
    src = SourceAppearance(_unjpeg(z["source_jpeg"]), _unpack_pose(z, "source_pose"),
                           z["source_mask"].astype(np.float32) / 255, None, {"path": info["clip"]})  # fmt: skip
    clips = [
        TrainingClip(
            src,
            _unpack_pose(z, name),
            _unpack_frames(z[f"{name}_jpeg"], z[f"{name}_ends"]),
            info[name][0],
            info["clip"],
        )  # fmt: skip
        for name in ("train", "held")
    ]
    return clips[0], clips[1], info


# ------------------------------------------------------------------ the check
def _sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def render_learned(trainer, inputs_plate: np.ndarray, held, config) -> tuple[list, list, float]:
    """The held-out frames through the learned backend's path (reference render over the
    model's scene, part maps, network); ``(frames, reference renders over the scene, ms per
    frame)``."""
    import torch

    from retarget.render.base import SourceAppearance
    from retarget.render.learned import iter_inputs, render_batch
    from retarget.render.reference import PartWarpRenderer

    src = held.source
    src = SourceAppearance(src.image, src.pose, src.mask, inputs_plate, dict(src.meta))
    reference = PartWarpRenderer(**config.reference)
    reference.prepare(src)
    dev = trainer.device
    plate = torch.from_numpy(inputs_plate).to(dev).permute(2, 0, 1)[None]
    frames, refs, batch = [], [], []
    t = time.perf_counter()
    for ref, maps, _, _ in iter_inputs(reference, src, held.target, config.map_scale):
        batch.append((ref, maps))
        refs.append(ref)
        if len(batch) == 8 or len(frames) + len(batch) == held.target.num_frames:
            r = torch.from_numpy(np.stack([b[0] for b in batch])).to(dev).permute(0, 3, 1, 2)
            m = torch.from_numpy(np.stack([b[1] for b in batch])).to(dev)
            out = render_batch(trainer.net, r, plate, m)
            frames += list((out * 255 + 0.5).clamp(0, 255).byte().permute(0, 2, 3, 1).cpu().numpy())
            batch = []
    return frames, refs, 1000 * (time.perf_counter() - t) / len(frames)


def net_speed(trainer, inputs, repeats: int = 10) -> float:
    """ms per frame of the network alone (batch 8 of full frames, after a warm-up)."""
    import torch

    from retarget.render.learned import render_batch

    dev = trainer.device
    idx = np.arange(8) % len(inputs)
    ref = torch.from_numpy(inputs.ref[idx]).to(dev).permute(0, 3, 1, 2)
    maps = torch.from_numpy(inputs.maps[idx]).to(dev)
    plate = torch.from_numpy(inputs.plate).to(dev).permute(2, 0, 1)[None]
    for _ in range(3):
        render_batch(trainer.net, ref, plate, maps)
    _sync()
    t = time.perf_counter()
    for _ in range(repeats):
        render_batch(trainer.net, ref, plate, maps)
    _sync()
    return 1000 * (time.perf_counter() - t) / (repeats * len(idx))


def check(data: Path, out: Path, minutes: float, size: str | None, device: str) -> dict:
    """Train, render the held-out frames, measure; the row printed and written."""
    import torch

    from retarget.device import resolve_device
    from retarget.pipeline.train_renderer import clip_inputs, fit_renderer
    from retarget.render.learned import renderer_config, size_for_device
    from retarget.render.reference import PartWarpRenderer

    dev = resolve_device(device)
    config = renderer_config(size or size_for_device(dev))
    train, held, info = load_prepared(data)
    t = time.perf_counter()
    inputs = clip_inputs(train, config.reference, config.map_scale)
    prep_s = time.perf_counter() - t
    trainer, res = fit_renderer(inputs, config, minutes=minutes, device=str(dev), progress=False)
    learned, untrained, render_ms = render_learned(trainer, inputs.plate, held, config)
    t = time.perf_counter()
    reference = list(PartWarpRenderer(**config.reference).render(held.source, held.target))
    ref_ms = 1000 * (time.perf_counter() - t) / len(reference)
    l1 = lambda fs: float(np.mean([np.abs(f.astype(np.float32) - r).mean() / 255  # noqa: E731
                                   for f, r in zip(fs, held.real)]))  # fmt: skip
    row = {
        "clip": info["clip"], "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "size": config.size, "minutes": minutes, "prepare_s": prep_s, "steps": res.step,
        "train_it_s": res.step / max(res.seconds, 1e-9), "kept_step": res.best_step,
        "held_out_l1_early_stopping": res.best_value, "net_ms_frame": net_speed(trainer, inputs),
        "render_ms_frame": render_ms, "reference_ms_frame": ref_ms,
        "l1_reference": l1(untrained), "l1_reference_inpainted": l1(reference),
        "l1_learned": l1(learned), "frames": len(learned),
        "peak_gpu_gb": torch.cuda.max_memory_allocated(dev) / 1e9 if dev.type == "cuda" else 0.0,
    }  # fmt: skip
    row["l1_ratio"] = row["l1_learned"] / row["l1_reference"]
    row["l1_ratio_inpainted"] = row["l1_learned"] / row["l1_reference_inpainted"]
    row["render_fps"] = 1000 / row["render_ms_frame"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(row, indent=1))
    packed = {f"{k}_{p}": v for k, fs in (("learned", learned), ("reference", untrained))
              for p, v in _pack_frames(fs).items()}  # fmt: skip
    np.savez(out / "heldout.npz", **packed, info=np.array(json.dumps(info)))
    return row


def score(heldout: Path, data: Path) -> dict:
    """AKD (BlazePose, 256 px) of the returned held-out frames of both backends against the
    real frames of the prepared file (run here: needs mediapipe)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from render import AKD_SIDE, akd, body_keypoints, to_side

    z = np.load(heldout)
    _, held, _ = load_prepared(data)
    real = body_keypoints([to_side(f, AKD_SIDE) for f in held.real])
    row = {}
    for name in ("learned", "reference"):
        frames = _unpack_frames(z[f"{name}_jpeg"], z[f"{name}_ends"])
        row[f"akd_{name}"], row[f"mkr_{name}"], _ = akd(
            body_keypoints([to_side(f, AKD_SIDE) for f in frames]), real
        )
    row["akd_change"] = row["akd_learned"] - row["akd_reference"]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--prepare", action="store_true", help="Make the data file (needs PyAV, mediapipe)."
    )
    ap.add_argument("--score", type=Path, default=None, help="AKD of a returned heldout.npz.")
    ap.add_argument("--clip", default=CLIP, help="Clip of the shared media (--prepare).")
    ap.add_argument(
        "--media", default=os.environ.get("RETARGET_MEDIA", str(ROOT.parent / "shared" / "media"))
    )
    ap.add_argument(
        "--data", type=Path, default=None, help="The prepared file (default: gpu_data/CLIP.npz)."
    )
    ap.add_argument("--minutes", type=float, default=4.0, help="Training budget.")
    ap.add_argument(
        "--size", choices=["S", "M", "L"], default=None, help="Default: L on a GPU, S on the CPU."
    )
    ap.add_argument("--device", default="auto")
    ap.add_argument(
        "--model", default=None, help="Retargeting model (--prepare; default: shipped)."
    )
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "gpu_check_out")))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data = args.data or DATA / (Path(args.clip).stem + ".npz")
    if args.prepare:
        prepare(Path(args.media), args.clip, data, args.model)
        return
    if args.score is not None:
        print(json.dumps(score(args.score, data), indent=1))
        return
    if not data.exists():
        raise SystemExit(f"error: {data}: no prepared data; run `benchmarks/gpu_check.py --prepare` "
                         "on a machine with PyAV and mediapipe first")  # fmt: skip
    row = check(data, args.out, args.minutes, args.size, args.device)
    print(json.dumps(row, indent=1))
    print(f"held-out L1 {row['l1_learned']:.4f} vs reference {row['l1_reference']:.4f} "
          f"over the same scene (ratio {row['l1_ratio']:.2f}, goal <= 0.7; "
          f"{row['l1_ratio_inpainted']:.2f} of the reference with its inpainted scene, "
          f"{row['l1_reference_inpainted']:.4f}); rendering {row['render_fps']:.1f} frames/s "
          f"(goal >= 30; network alone {row['net_ms_frame']:.1f} ms/frame); training "
          f"{row['train_it_s']:.1f} it/s, {row['steps']} steps")  # fmt: skip


if __name__ == "__main__":
    main()
