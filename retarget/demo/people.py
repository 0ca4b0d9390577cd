"""The several-people part of ``make demo``: two dancers retargeted together onto two bodies
of other sizes, with a known answer.

:func:`people_demo` writes into ``out_dir``:

* ``people_driving_openpose/``: the driving group, two copies of the built-in dance
  (``average`` body) 260 px apart, as OpenPose JSON with their track ids;
* ``people_retargeted_openpose/``: :func:`retarget.transfer_group` of it onto a ``tall``
  body (the left dancer) and a ``small`` one (the right dancer), as OpenPose JSON;
* ``people_demo.png``: pose images of four frames, the driving above the result.

The built-in dance's joint angles do not depend on the body, so the ``tall`` and ``small``
bodies performing it are the exact answer for each person's pose (hip-fixed: the layout,
which scales the gap between people with their bodies, is not part of the answer).
Coordinates: pixels of a 900 x 540 canvas, x right, y down.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CANVAS = (900, 540)
PX_PER_CM = 1.2
GAP_PX = 260.0
"""The driving dancers' distance apart."""
BODIES = ("tall", "small")
"""The left and the right dancer's new body."""
SHOWN_FRAMES = (0, 30, 60, 89)


def _dancer(body: str, frames: int, shift: float):
    from ..builtin import builtin_motion, project_to_canvas

    seq = project_to_canvas(builtin_motion(body, frames=frames), CANVAS, px_per_cm=PX_PER_CM)
    return seq.with_coords(seq.coords + [shift, 0.0])


def people_demo(out_dir: str | Path, frames: int = 90) -> tuple[list[Path], dict]:
    """Retarget two dancers onto two bodies (see the module docstring).

    Returns:
        The paths written and a summary: per person the mean hip-fixed error against the
        exact answer and the output's height over its body's (both in the body's height),
        the largest overlap of the two people (driving and result), and how far apart their
        feet are at most (in the taller body's height: one floor).
    """
    from skeleton_io import PoseGroup, save_file
    from skeleton_io.atomic import atomic_file
    from skeleton_io.group import overlap
    from viz.pose_image import pose_images, write_png

    from ..geometry import J, fix_hip, height_from_bones, robust_lengths
    from ..retargeters.group import transfer_group
    from .align import _label
    from .render import frame_strip

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    half = GAP_PX / 2
    driving = PoseGroup({0: _dancer("average", frames, -half), 1: _dancer("average", frames, half)})
    truths = [_dancer(name, frames, 0.0) for name in BODIES]  # each body doing the dance
    result = transfer_group(driving, [truth[frames // 3 :] for truth in truths])
    heights = [height_from_bones(robust_lengths(truth)) for truth in truths]
    summary: dict = {"people": {}}
    for k, (name, truth, height) in enumerate(zip(BODIES, truths, heights)):
        got = result.person(k)
        summary["people"][name] = {
            "mae_height": float(
                np.abs(fix_hip(got.coords) - fix_hip(truth.coords[:, :15])).mean() / height
            ),
            "height_ratio": float(height_from_bones(robust_lengths(got)) / height),
        }
    feet = [result.person(k).coords[:, [J["RAnkle"], J["LAnkle"]], 1].max(axis=1) for k in (0, 1)]
    summary["feet_apart_max"] = float(np.abs(feet[0] - feet[1]).max() / heights[0])
    summary["overlap_max"] = {
        "driving": float(overlap(driving).max()),
        "result": float(overlap(result).max()),
    }
    drv_dir, res_dir = out / "people_driving_openpose", out / "people_retargeted_openpose"
    save_file(driving, drv_dir, format="openpose", overwrite=True)
    save_file(result, res_dir, format="openpose", overwrite=True)
    shown = [t for t in SHOWN_FRAMES if t < frames]
    rows = [
        [_label(img, f"{what}, frame {t}") for img, t in zip(pose_images(g, frames=shown), shown)]
        for g, what in ((driving, "driving"), (result, "tall + small bodies"))
    ]
    picture = out / "people_demo.png"
    with atomic_file(picture) as tmp:
        write_png(np.vstack([frame_strip(r, height=240) for r in rows]), tmp)
    log.info("two dancers onto a tall and a small body: %s", picture)
    return [drv_dir, res_dir, picture], summary


__all__ = ["BODIES", "people_demo"]
