"""The ``retarget align`` part of ``make demo``: the built-in dance, with template hands and
a face, aligned to scikit-image's astronaut photo as the pose images animators take.

:func:`align_demo` writes into ``out_dir``:

* ``align_reference.png``: the reference photo (``skimage.data.astronaut()``, 512 x 512);
* ``align_driving.npz``: the driving poses (the built-in dance, turned 30 degrees, with
  :func:`retarget.builtin.with_hands_and_face`);
* ``align_astronaut.mp4`` and ``align_astronaut_json/``: ``retarget align`` of the two
  (OpenPose style, keypoints as OpenPose JSON), and ``align_astronaut_ref.png``, the
  photo's own pose image;
* ``align_demo.png``: the reference photo, the driving pose, the aligned pose image and the
  aligned pose over the photo, side by side (the README's picture).

The photo shows the astronaut from the chest up, so neither its feet nor its hips are seen:
the result is placed by the neck (with a warning) and its legs leave the canvas below, as
the photo's do.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SHOWN_FRAME = 10
"""The driving frame the picture shows (an arm raised, the hand open)."""
LABELS = ("reference photo", "driving pose", "aligned pose image", "aligned, over the photo")


def _label(image: np.ndarray, text: str) -> np.ndarray:
    import cv2

    out = image.copy()
    cv2.putText(out, text, (10, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(out, text, (10, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def align_demo(out_dir: str | Path, frames: int = 90) -> tuple[list[Path], dict]:
    """Run ``retarget align`` on the built-in inputs (see the module docstring).

    Returns:
        The paths written and a summary (frames, placement, part sizes).
    """
    from skimage import data

    from skeleton_io import load_file, save_file
    from skeleton_io.atomic import atomic_file
    from viz.pose_image import pose_images, write_png

    from ..builtin import builtin_motion, project_to_canvas, with_hands_and_face
    from ..pipeline.align import pose_align_video
    from .render import frame_strip

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    photo = np.ascontiguousarray(data.astronaut())
    ref_path = out / "align_reference.png"
    write_png(photo, ref_path)
    dance = with_hands_and_face(project_to_canvas(builtin_motion("average", frames=frames), yaw=30))
    drv_path = out / "align_driving.npz"
    save_file(dance, drv_path)
    video, json_dir, ref_pose = (
        out / "align_astronaut.mp4", out / "align_astronaut_json", out / "align_astronaut_ref.png",
    )  # fmt: skip
    report = pose_align_video(
        ref_path, drv_path, video, json_dir=json_dir, reference_pose=ref_pose, overwrite=True
    )
    aligned = load_file(json_dir, fps=dance.fps, canvas=report.canvas)
    k = min(SHOWN_FRAME, dance.num_frames - 1)
    shown = next(pose_images(aligned[k], canvas=report.canvas))
    driving = next(pose_images(dance[k]))
    over = np.maximum((photo * 0.55).astype(np.uint8), shown)
    tiles = [_label(t, text) for t, text in zip((photo, driving, shown, over), LABELS)]
    picture = out / "align_demo.png"
    with atomic_file(picture) as tmp:
        write_png(frame_strip(tiles, height=320), tmp)
    summary = {
        "frames": report.frames,
        "canvas": list(report.canvas),
        "placement": report.placement,
        "extremities": report.extremities,
        "seconds": report.seconds["total"],
    }
    log.info("aligned the built-in dance to the astronaut photo: %s", picture)
    return [ref_path, drv_path, video, json_dir, ref_pose, picture], summary


__all__ = ["LABELS", "SHOWN_FRAME", "align_demo"]
