"""Example pictures made from the project's own demo data (:mod:`retarget.builtin`).

``python -m viz.examples OUT_DIR`` writes them; the README shows some. Nothing is
downloaded: the motion is the built-in synthetic dance on the built-in body types.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from viz.animate import animate
from viz.draw import plot_compare, plot_frames, plot_trajectories, plot_views, save_figure

log = logging.getLogger(__name__)


def write_examples(out_dir: str | Path, animations: bool = True) -> list[Path]:
    """Write the example PNGs (and a turntable GIF) into ``out_dir``; returns their paths.

    * ``views.png``: one pose from six azimuths (-90 to 180 degrees), elevation 10.
    * ``frames.png``: four frames of the dance, from the front.
    * ``compare.png``: the 2D image of the dance beside the same dance on two other body
      types in 3D (what a retargeting result looks like), shared axes.
    * ``trajectories.png``: the right wrist of a 2D sequence, clean, with detector-like
      jitter and dropouts, and denoised.
    * ``turntable.gif``: the camera circling the dancer once.
    """
    from retarget.builtin import builtin_motion, project_to_canvas
    from retarget.denoising import denoise

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dance = builtin_motion("average", frames=90)
    written = [
        save_figure(
            plot_views(dance, azims=(-90, -45, 0, 45, 90, 180), frames=[30]), out / "views.png"
        ),
        save_figure(plot_frames(dance, [0, 15, 30, 45], azim=20), out / "frames.png"),
    ]
    image = project_to_canvas(dance, canvas=(512, 512), yaw=30)
    others = [builtin_motion(b, frames=90) for b in ("small", "tall")]
    written.append(
        save_figure(
            plot_compare(
                [image, *others],
                ["source: 2D video pose (px)", "small body (3D)", "tall body (3D)"],
                frames=[10, 45],
                azim=30,
            ),
            out / "compare.png",
        )
    )
    rng = np.random.default_rng(0)
    noisy_xy = image.coords + rng.normal(0, 4.0, image.coords.shape)
    conf = image.confidence.copy()
    conf[40:46, image.skeleton.idx("RWrist")] = 0.0
    noisy = image.with_coords(np.where(conf[..., None] > 0, noisy_xy, 0.0), conf)
    written.append(
        save_figure(
            plot_trajectories(
                [image, noisy, denoise(noisy)],
                ["RWrist"],
                ["clean", "noisy (jitter, dropout)", "denoised"],
            ),
            out / "trajectories.png",
        )
    )
    if animations:
        written.append(animate(dance, out / "turntable.gif", sweep=True, size=360, progress=False))
    for path in written:
        log.info("wrote %s", path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--no-animations", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_examples(args.out_dir, animations=not args.no_animations)


if __name__ == "__main__":
    main()
