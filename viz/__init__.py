"""Pictures and animations of pose sequences, on matplotlib's Agg canvas (no display needed).

* :mod:`viz.camera`: the orthographic camera (azimuth, elevation, front) for 3D data.
* :mod:`viz.scene`: what a plot shows of a sequence (view coordinates, shared limits).
* :mod:`viz.draw`: a skeleton on an axes, grids of frames, comparisons, trajectories.
* :mod:`viz.animate`: MP4/GIF animations through PyAV, view sweeps, video overlays.
* :mod:`viz.colors`: left/right colours and the drawing style.
"""

from .camera import Projection, camera_rotation, project, view_frame, view_rotation
from .colors import LEFT, RIGHT, Style
from .draw import (
    SkeletonArtist,
    draw_pose,
    new_figure,
    plot_compare,
    plot_frames,
    plot_lifted,
    plot_trajectories,
    plot_views,
    save_figure,
)
from .scene import Limits, Scene

__all__ = [
    "LEFT",
    "RIGHT",
    "Limits",
    "Projection",
    "Scene",
    "SkeletonArtist",
    "Style",
    "camera_rotation",
    "draw_pose",
    "new_figure",
    "plot_compare",
    "plot_frames",
    "plot_lifted",
    "plot_trajectories",
    "plot_views",
    "project",
    "save_figure",
    "view_frame",
    "view_rotation",
]
