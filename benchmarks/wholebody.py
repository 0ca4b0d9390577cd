"""Whole-body extraction from video and photos: hands at the wrists, faces, speed.

Run: nice -n 10 .venv/bin/python benchmarks/wholebody.py [--max-frames N] [--media DIR]
     [--hand-threshold 0.3] [--face-threshold 0.5] [--no-palm-search]

For each clip and photo of ``../shared/media`` (``$RETARGET_MEDIA``) it extracts the body
(BlazePose, as ``retarget extract`` does) and then the hands and face
(``skeleton_io.hands_face.add_hands_face``), and prints one table row:

* **both-wrist frames**: frames where both body wrists are seen (BlazePose visibility >= 0.5);
* **hands at wrists**: the share of those frames whose output carries both hands with the
  root within 2 % of the body's height of the output's wrist (the issue's done-when; body
  height = median over frames of the vertical span of the body points seen);
* **found only**: the same counting only hands the models found, not those filled in over
  a gap of at most 0.2 s between two found ones (``fill_gaps``, the default; **filled**:
  hand-frames so filled, left + right); **weak kept**: hand-frames the models scored below
  the hand threshold but kept beside an alike clearly found one (hysteresis, counted in
  "found only");
* **raw**: the same with the body's own wrist before it is moved to the hand's root
  (``wrists="body"``);
* **hands found**: share of seen wrists with a hand the models found; **face**: frames with a face;
* **body ms/f**, **+hands/face ms/f**: wall time per frame of the two passes (decoding
  included; the body pass analyses frames at 512 px, the hands and face pass at 1280 px).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

CLIPS = (
    "v02_animatex_dance_1.mp4", "v05_animatex_source_video.mp4", "v06_animatex_ubc.mp4",
    "v07_ipercore_akun_1.mp4", "v10_footskate_dance.mp4", "v11_mmhuman3d_single_person.mp4",
    "h04_articulated_ted_partial.mp4",
)  # fmt: skip
PHOTOS = (
    "i01_imper_ins3.jpg", "i03_imper_men1.jpg", "i05_imper_iper_apose.jpg",
    "i07_unianimate_deepfashion.jpg", "i10_tfpose_golf.jpg", "i12_moore_anyone11.png",
    "hi02_dwpose_m2_partial.jpg",
)  # fmt: skip
SEEN = 0.5
"""BlazePose visibility from which a wrist counts as seen."""


def evaluate(body, whole) -> dict[str, float]:
    """The measures of the module docstring for one input (``body``: blazepose33, ``whole``:
    its whole-body result)."""
    sb, sw = body.skeleton, whole.skeleton
    seen = body.confidence >= SEEN
    ys = np.where(seen, body.coords[..., 1], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        height = float(np.nanmedian(np.nanmax(ys, 1) - np.nanmin(ys, 1)))
    ok_out, ok_raw, ok_found, found = [], [], [], []
    info = whole.meta.get("hands_face", {})
    n_filled = n_weak = 0
    for side, key in (("L", "left"), ("R", "right")):
        w_body, w_out = sb.idx(f"{side}Wrist"), sw.idx(f"{side}Wrist")
        root = sw.idx(f"{side}HandRoot")
        has = whole.confidence[:, root] > 0
        filled = np.zeros(len(has), bool)
        filled[info.get(f"{key}_hand_filled_frames", [])] = True
        n_filled += int(filled.sum())
        n_weak += len(info.get(f"{key}_hand_weak_kept_frames", []))
        gap_out = np.linalg.norm(whole.coords[:, root] - whole.coords[:, w_out], axis=1)
        gap_raw = np.linalg.norm(whole.coords[:, root] - body.coords[:, w_body], axis=1)
        ok_out.append(has & (gap_out <= 0.02 * height))
        ok_raw.append(has & (gap_raw <= 0.02 * height))
        ok_found.append(has & ~filled & (gap_out <= 0.02 * height))
        found.append((has & ~filled, seen[:, w_body]))
    both = seen[:, sb.idx("LWrist")] & seen[:, sb.idx("RWrist")]
    hands = np.concatenate([h[s] for h, s in found])
    return {
        "both": int(both.sum()),
        "out": float((ok_out[0] & ok_out[1])[both].mean()) if both.any() else float("nan"),
        "raw": float((ok_raw[0] & ok_raw[1])[both].mean()) if both.any() else float("nan"),
        "found_only": float((ok_found[0] & ok_found[1])[both].mean())
        if both.any()
        else float("nan"),
        "filled": n_filled,
        "weak": n_weak,
        "found_frames": int((ok_found[0] & ok_found[1])[both].sum()),
        "found": float(hands.mean()) if hands.size else float("nan"),
        "face": int((whole.confidence[:, sw.idx("Chin")] > 0).sum()),
        "ok_frames": int((ok_out[0] & ok_out[1])[both].sum()),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-frames", type=int, default=None)
    p.add_argument(
        "--media", type=Path, default=Path(os.environ.get("RETARGET_MEDIA", "../shared/media"))
    )
    p.add_argument("--hand-threshold", type=float, default=0.3)
    p.add_argument("--face-threshold", type=float, default=0.5)
    p.add_argument("--no-palm-search", action="store_true")
    args = p.parse_args()

    from skeleton_io import load_file
    from skeleton_io.hands_face import HandsFaceEstimator, add_hands_face

    print(
        "| input | frames | both-wrist frames | hands at wrists | found only | weak kept | filled "
        "| raw | hands found | face | body ms/f | +hands/face ms/f |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    total_both = total_ok = total_found = 0
    for name in CLIPS + PHOTOS:
        path = args.media / name
        if not path.exists():
            print(f"| {name} | (missing) |")
            continue
        t0 = time.perf_counter()
        body = load_file(path, max_frames=args.max_frames)
        t1 = time.perf_counter()
        thresholds = {"hand_threshold": args.hand_threshold, "face_threshold": args.face_threshold}
        est = HandsFaceEstimator(**thresholds, palm_search=not args.no_palm_search)
        whole = add_hands_face(body, path, **thresholds, estimator=est)
        t2 = time.perf_counter()
        m = evaluate(body, whole)
        total_both += m["both"]
        total_ok += m["ok_frames"]
        total_found += m["found_frames"]
        n = body.num_frames
        print(
            f"| {name} | {n} | {m['both']} | {m['out']:.1%} | {m['found_only']:.1%} | "
            f"{m['weak']} | {m['filled']} | {m['raw']:.0%} | "
            f"{m['found']:.0%} | {m['face']}/{n} | {1000 * (t1 - t0) / n:.0f} | "
            f"{1000 * (t2 - t1) / n:.0f} |"
        )
    if total_both:
        print(
            f"| **all** | | {total_both} | **{total_ok / total_both:.1%}** | "
            f"{total_found / total_both:.1%} | | | | | | | |"
        )


if __name__ == "__main__":
    main()
