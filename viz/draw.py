"""Skeletons on matplotlib axes: single poses, grids of frames, comparisons, trajectories.

Everything draws on the Agg canvas (no display needed) into figures made by
:func:`new_figure`, never through ``pyplot``, so nothing is kept in a global figure list.

Coordinates on the axes:

* 2D pixel data (``up="-y"``): pixels as in the file, x right, y DOWN (the y axis is
  inverted so the picture looks like the image), equal aspect.
* 3D data: projected by the orthographic camera of :mod:`viz.camera` (see its docstring for
  ``azim``, ``elev`` and ``front``); the axes show image coordinates ``u`` right, ``v`` UP, in
  the data's units, relative to the centre of the sequence's bounding box. Nearer bones
  are drawn over farther ones. ``follow`` (``"auto"``, ``"yes"``, ``"no"``): the camera
  travels with a performer whose path is longer than their height (``"auto"``), so walking
  mocap stays large in the picture; the floor grid, fixed to the world, slides under them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from skeleton_io.atomic import atomic_file
from skeleton_io.checks import check_options
from skeleton_io.convert import joint_names
from skeleton_io.errors import InvalidArgumentError, SkeletonMismatchError
from skeleton_io.group import PoseGroup
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import Skeleton

from .camera import Follow, Front, camera_rotation, project_points
from .colors import DEFAULT_STYLE, FLOOR, Style, bone_side, confidence_alpha
from .scene import Limits, Scene, union

log = logging.getLogger(__name__)

PLOT_EXTS = (".png", ".pdf", ".svg")
DEFAULT_ELEV = 10.0
"""Default camera elevation for 3D views: a little above, so the floor shows depth."""


# ----------------------------------------------------------------- figures
def new_figure(width: float, height: float, dpi: int = 100) -> Figure:
    """A figure of ``width`` x ``height`` inches on the Agg canvas (no display, no pyplot)."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def check_extension(path: str | Path, allowed: Sequence[str], what: str) -> Path:
    """Fail early on an output extension outside ``allowed`` (one clear line)."""
    path = Path(path)
    if path.suffix.lower() not in allowed:
        raise InvalidArgumentError(
            f"{path}: cannot write {what} as '{path.suffix or '(no extension)'}'; "
            f"use one of {', '.join(allowed)}"
        )
    return path


def check_plot_path(path: str | Path) -> Path:
    """Fail early on an output extension that is not a picture format we write."""
    return check_extension(path, PLOT_EXTS, "a plot")


def save_figure(fig: Figure, path: str | Path, dpi: int | None = None) -> Path:
    """Write ``fig`` atomically; the format follows the extension (:data:`PLOT_EXTS`)."""
    path = check_plot_path(path)
    with atomic_file(path) as tmp:
        fig.savefig(tmp, dpi=dpi or fig.dpi, format=path.suffix[1:].lower())
    return path


# ----------------------------------------------------------------- artists
class SkeletonArtist:
    """The bones (one ``Line2D`` each) and joints (one scatter) of a skeleton on an axes.

    Made once, then :meth:`update` moves it, so animations reuse the artists. Bones have
    ``gid`` ``"bone:<parent>-<child>"``, the joint scatter ``"joints"``.
    """

    def __init__(self, ax: Axes, skeleton: Skeleton, style: Style = DEFAULT_STYLE) -> None:
        self.ax = ax
        self.skeleton = skeleton
        self.style = style
        names = skeleton.joints
        self.bones: list[Line2D] = []
        for a, b in skeleton.edges:
            line = Line2D(
                [],
                [],
                color=style.color(bone_side(skeleton, (a, b))),
                linewidth=style.linewidth,
                solid_capstyle="round",
                zorder=2,
                gid=f"bone:{names[a]}-{names[b]}",
            )
            ax.add_line(line)
            self.bones.append(line)
        self.joint_rgb = np.array(
            [to_rgba(style.color(skeleton.side(j))) for j in range(len(names))]
        )
        self.joints = ax.scatter(
            np.zeros(0), np.zeros(0), s=style.joint_size, zorder=3.5, linewidths=0
        )
        self.joints.set_gid("joints")
        self.joint_index = np.zeros(0, dtype=int)
        """Joint indices of the scatter's points, in order (missing joints are left out)."""

    def update(
        self, xy: np.ndarray, confidence: np.ndarray, depth: np.ndarray | None = None
    ) -> None:
        """Move to ``xy`` ``(J, 2)`` drawing coordinates with ``confidence`` ``(J,)``.

        ``depth`` ``(J,)`` (larger is nearer) orders the bones front to back.
        """
        alpha = confidence_alpha(confidence, self.style.min_alpha)
        edges = self.skeleton.edges
        order = None
        if depth is not None and edges:
            mean = np.array([depth[a] + depth[b] for a, b in edges])
            order = np.argsort(np.argsort(mean)) / len(edges)
        for k, (a, b) in enumerate(edges):
            line = self.bones[k]
            if confidence[a] > 0 and confidence[b] > 0:
                line.set_data([xy[a, 0], xy[b, 0]], [xy[a, 1], xy[b, 1]])
                line.set_alpha(float(min(alpha[a], alpha[b])))
                line.set_visible(True)
                if order is not None:
                    line.set_zorder(2 + float(order[k]))
            else:
                line.set_data([], [])
                line.set_visible(False)
        idx = np.flatnonzero(confidence > 0)
        self.joint_index = idx
        rgba = self.joint_rgb[idx].copy()
        rgba[:, 3] = alpha[idx]
        self.joints.set_offsets(xy[idx] if idx.size else np.zeros((0, 2)))
        self.joints.set_facecolor(rgba)


class PeopleLabels:
    """Each person's track id above their head, for a group's scene (:attr:`Scene.people`)."""

    def __init__(self, ax: Axes, scene: Scene, style: Style = DEFAULT_STYLE) -> None:
        self.blocks = scene.person_joints()
        self.y_down = scene.y_down
        self.texts = [
            ax.annotate(
                str(tid), (0.0, 0.0), xytext=(0, 5), textcoords="offset points", ha="center",
                va="bottom", fontsize=8, color=style.center, zorder=5, gid=f"person:{tid}",
            )
            for tid in scene.people
        ]  # fmt: skip

    def update(self, xy: np.ndarray, confidence: np.ndarray) -> None:
        """Put each label above the highest found joint of its person (hidden when absent)."""
        for text, idx in zip(self.texts, self.blocks):
            seen = xy[idx][confidence[idx] > 0]
            text.set_visible(bool(len(seen)))
            if len(seen):
                top = seen[:, 1].min() if self.y_down else seen[:, 1].max()
                text.xy = (float(seen[:, 0].mean()), float(top))


class FloorArtist:
    """The floor disc under a 3D skeleton (:meth:`Scene.floor`), re-projected per frame."""

    def __init__(self, ax: Axes, scene: Scene) -> None:
        self.scene = scene
        self.lines: list[Line2D] = []
        self.ax = ax

    def update(self, azim: float, elev: float, frame: int = 0) -> None:
        polylines = self.scene.floor(frame) or []
        while len(self.lines) < len(polylines):
            line = Line2D([], [], color=FLOOR, linewidth=0.8, zorder=1, gid="floor")
            self.ax.add_line(line)
            self.lines.append(line)
        rot = camera_rotation(azim, elev)
        for k, line in enumerate(self.lines):
            if k < len(polylines):
                uv, _ = project_points(polylines[k], rot)
                line.set_data(uv[:, 0], uv[:, 1])
                line.set_visible(True)
            else:
                line.set_visible(False)


def _style_axes(ax: Axes, scene: Scene, title: str | None) -> None:
    if scene.is_3d:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#DDDDDD")
    else:
        ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)


def _draw_scene(
    ax: Axes,
    scene: Scene,
    frame: int,
    azim: float,
    elev: float,
    style: Style,
    limits: Limits | None,
    title: str | None = None,
) -> SkeletonArtist:
    seq = scene.seq
    if not 0 <= frame < seq.num_frames:
        raise InvalidArgumentError(
            f"`frames`: frame {frame} is out of range: the sequence has {seq.num_frames} frames "
            f"(0..{seq.num_frames - 1})"
        )
    if scene.is_3d and style.floor:
        FloorArtist(ax, scene).update(azim, elev, frame)
    art = SkeletonArtist(ax, seq.skeleton, style)
    xy, depth = scene.project(azim, elev, frame)
    art.update(xy, seq.confidence[frame], depth)
    if scene.people:
        PeopleLabels(ax, scene, style).update(xy, seq.confidence[frame])
    (limits or scene.limits(azim, elev, floor=style.floor)).apply(ax)
    _style_axes(ax, scene, title)
    return art


def draw_pose(
    ax: Axes,
    seq: PoseSequence | PoseGroup,
    frame: int = 0,
    *,
    azim: float = 0.0,
    elev: float = DEFAULT_ELEV,
    front: Front = "auto",
    follow: Follow = "auto",
    style: Style = DEFAULT_STYLE,
    limits: Limits | None = None,
    title: str | None = None,
) -> SkeletonArtist:
    """Draw frame ``frame`` of ``seq`` on ``ax`` (a group: everyone, each labelled with
    their track id, nearer people over farther ones).

    2D sequences are drawn in their own coordinates (pixels: y axis inverted); 3D ones from
    camera angles ``azim``/``elev`` (degrees, see :mod:`viz.camera`). Limits default to
    the whole sequence's extent in that view, so frames drawn separately line up.
    Returns the artist (see :class:`SkeletonArtist`).
    """
    return _draw_scene(ax, Scene.of(seq, front, follow), frame, azim, elev, style, limits, title)


def _frame_title(seq: PoseSequence | PoseGroup, frame: int) -> str:
    return f"frame {frame} ({frame / seq.fps:.2f} s)"


def _default_frames(n: int, count: int = 4) -> list[int]:
    return sorted({int(round(x)) for x in np.linspace(0, n - 1, min(count, n))})


def _view_label(scene: Scene, azim: float, elev: float) -> str:
    return f"azim {azim:g}°, elev {elev:g}°" if scene.is_3d else ""


def _panel_size(limits: Limits, height: float) -> tuple[float, float]:
    return float(np.clip(height * limits.aspect, 0.4 * height, 2.5 * height)), height


def plot_frames(
    seq: PoseSequence | PoseGroup,
    frames: Sequence[int] | None = None,
    *,
    azim: float = 0.0,
    elev: float = DEFAULT_ELEV,
    front: Front = "auto",
    follow: Follow = "auto",
    ncols: int = 4,
    panel_height: float = 3.2,
    style: Style = DEFAULT_STYLE,
) -> Figure:
    """A grid of frames of one sequence or group (default: 4 evenly spaced), all with the
    same limits."""
    scene = Scene.of(seq, front, follow)  # nobody (or no frame) to plot is an error here
    frames = list(frames) if frames is not None else _default_frames(seq.num_frames)
    if not frames:
        raise InvalidArgumentError("no frames to plot: pass at least one frame index")
    limits = scene.limits(azim, elev, floor=style.floor)
    ncols = max(1, min(ncols, len(frames)))
    nrows = -(-len(frames) // ncols)
    w, h = _panel_size(limits, panel_height)
    fig = new_figure(w * ncols, h * nrows + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(frames):
            ax.set_axis_off()
            continue
        _draw_scene(ax, scene, frames[k], azim, elev, style, limits, _frame_title(seq, frames[k]))
    label = _view_label(scene, azim, elev)
    if label:
        fig.suptitle(label, fontsize=9)
    fig.tight_layout()
    return fig


@dataclass
class _Column:
    title: str
    scene: Scene
    azim: float
    elev: float


def _grid(columns: list[_Column], frames: list[int], panel_height: float, style: Style) -> Figure:
    """Columns side by side, one row per frame; limits shared by columns of like units."""
    for col in columns:
        n = col.scene.seq.num_frames
        bad = [f for f in frames if not 0 <= f < n]
        if bad:
            raise InvalidArgumentError(
                f"`frames` {bad} are out of range for {col.title!r}, which has {n} frames"
            )
    groups: dict[tuple[str, bool, bool], list[Limits]] = {}
    keys = []
    for col in columns:
        key = (col.scene.seq.units, col.scene.is_3d, col.scene.y_down)
        keys.append(key)
        groups.setdefault(key, []).append(col.scene.limits(col.azim, col.elev, floor=style.floor))
    shared = {key: union(lims) for key, lims in groups.items()}
    if len(shared) > 1:
        log.debug("sequences in different units or dimensions: limits shared within each kind")
    sizes = [_panel_size(shared[key], panel_height)[0] for key in keys]
    fig = new_figure(sum(sizes), panel_height * len(frames) + 0.3)
    axes = fig.subplots(len(frames), len(columns), squeeze=False, width_ratios=sizes)
    for r, f in enumerate(frames):
        for c, col in enumerate(columns):
            title = col.title if r == 0 else None
            ax = axes[r, c]
            _draw_scene(ax, col.scene, f, col.azim, col.elev, style, shared[keys[c]], title)
            if c == 0:
                ax.set_ylabel(_frame_title(col.scene.seq, f), fontsize=8)
    fig.tight_layout()
    return fig


def plot_compare(
    seqs: Sequence[PoseSequence | PoseGroup],
    titles: Sequence[str] | None = None,
    frames: Sequence[int] | None = None,
    *,
    panel_height: float = 3.2,
    style: Style = DEFAULT_STYLE,
    **view: Any,
) -> Figure:
    """Several sequences side by side (e.g. source, structure, result), one row per frame.

    Columns of the same units and kind (2D pixels, 3D) share their axes limits, so sizes
    compare directly. ``frames`` default to 3 evenly spaced frames of the shortest sequence.
    The view (``azim``, ``elev``, ``front``, ``follow``) as :func:`plot_frames` takes it.
    """
    v = check_options(plot_frames, view, but=("ncols", "panel_height", "style"))
    if not seqs:
        raise InvalidArgumentError("plot_compare needs at least one sequence")
    titles = list(titles) if titles is not None else [f"sequence {i + 1}" for i in range(len(seqs))]
    if len(titles) != len(seqs):
        raise InvalidArgumentError(f"{len(seqs)} sequences but {len(titles)} titles")
    n = min(s.num_frames for s in seqs)
    frames = list(frames) if frames is not None else _default_frames(n, 3)
    cols = [
        _Column(t, Scene.of(s, v["front"], v["follow"]), v["azim"], v["elev"])
        for t, s in zip(titles, seqs)
    ]
    return _grid(cols, frames, panel_height, style)


def plot_views(
    seq: PoseSequence,
    azims: Sequence[float] = (-60.0, 0.0, 60.0),
    frames: Sequence[int] | None = None,
    *,
    elev: float = DEFAULT_ELEV,
    front: Front = "auto",
    follow: Follow = "auto",
    panel_height: float = 3.2,
    style: Style = DEFAULT_STYLE,
) -> Figure:
    """One 3D sequence from several azimuths side by side, one row per frame."""
    if seq.dims != 3:
        raise InvalidArgumentError("plot_views needs a 3D sequence")
    scene = Scene.of(seq, front, follow)
    frames = list(frames) if frames is not None else _default_frames(seq.num_frames, 1)
    cols = [_Column(f"azim {a:g}°, elev {elev:g}°", scene, float(a), elev) for a in azims]
    return _grid(cols, frames, panel_height, style)


Lift = Callable[[PoseSequence], PoseSequence]
"""A model's 2D-to-3D lifting: ``lift(seq2d) -> seq3d`` (same frames and skeleton)."""


def lift_checked(seq2d: PoseSequence, lift: Lift) -> PoseSequence:
    """Run ``lift`` and check that it gave a 3D sequence of the same length."""
    seq3d = lift(seq2d)
    if not isinstance(seq3d, PoseSequence) or seq3d.dims != 3:
        raise InvalidArgumentError("lift(seq2d) must return a 3D PoseSequence")
    if seq3d.num_frames != seq2d.num_frames:
        raise InvalidArgumentError(
            f"lift(seq2d) returned {seq3d.num_frames} frames for {seq2d.num_frames}"
        )
    return seq3d


def plot_lifted(
    seq2d: PoseSequence,
    lift: Lift,
    frames: Sequence[int] | None = None,
    *,
    azims: Sequence[float] = (-60.0, 0.0, 60.0),
    elev: float = DEFAULT_ELEV,
    style: Style = DEFAULT_STYLE,
) -> Figure:
    """A 2D sequence beside views of its 3D lifting by a model (``lift(seq2d) -> seq3d``)."""
    seq3d = lift_checked(seq2d, lift)
    frames = list(frames) if frames is not None else _default_frames(seq2d.num_frames, 1)
    cols = [_Column("input (2D)", Scene.of(seq2d), 0.0, 0.0)]
    scene = Scene.of(seq3d, "auto")
    cols += [_Column(f"lifted, azim {a:g}°", scene, float(a), elev) for a in azims]
    return _grid(cols, frames, 3.2, style)


# ----------------------------------------------------------------- trajectories
def joint_index(seq: PoseSequence, name: str) -> int:
    """Index of a joint by its name in the skeleton or in the shared vocabulary (BVH map)."""
    if name in seq.skeleton.index:
        return seq.skeleton.index[name]
    names = joint_names(seq)
    if name in names:
        return names.index(name)
    raise SkeletonMismatchError(
        f"`joints`: no joint {name!r} in skeleton {seq.skeleton.name!r}; it has {', '.join(names)}"
    )


def plot_trajectories(
    seqs: PoseSequence | Sequence[PoseSequence],
    joints: Sequence[str],
    labels: Sequence[str] | None = None,
    *,
    axes: str | None = None,
    seconds: bool = False,
    panel_size: tuple[float, float] = (4.5, 2.2),
) -> Figure:
    """Coordinates of chosen joints against time, one line per sequence (e.g. raw vs denoised).

    One row per coordinate (``axes``, default ``"xy"`` for 2D and ``"xyz"`` for 3D, in the
    data frame and units; pixel y points down), one column per joint. Missing joints leave
    gaps. ``seconds`` puts time in seconds (each sequence at its own fps) instead of frames.
    """
    seqs = [seqs] if isinstance(seqs, PoseSequence) else list(seqs)
    if not seqs or not joints:
        raise InvalidArgumentError("plot_trajectories needs at least one sequence and one joint")
    labels = list(labels) if labels is not None else [f"sequence {i + 1}" for i in range(len(seqs))]
    if len(labels) != len(seqs):
        raise InvalidArgumentError(f"{len(seqs)} sequences but {len(labels)} labels")
    dims = min(s.dims for s in seqs)
    axes = axes or "xyz"[:dims]
    if any(a not in "xyz"[:dims] for a in axes):
        raise InvalidArgumentError(f"axes {axes!r}: choose from {'xyz'[:dims]!r}")
    fig = new_figure(panel_size[0] * len(joints), panel_size[1] * len(axes) + 0.3)
    grid = fig.subplots(len(axes), len(joints), squeeze=False, sharex=True)
    for c, name in enumerate(joints):
        for seq, label in zip(seqs, labels):
            j = joint_index(seq, name)
            t = np.arange(seq.num_frames) / (seq.fps if seconds else 1.0)
            vals = np.where(seq.visible[:, j, None], seq.coords[:, j], np.nan)
            for r, a in enumerate(axes):
                grid[r, c].plot(t, vals[:, "xyz".index(a)], linewidth=1.2, label=label)
        for r, a in enumerate(axes):
            ax = grid[r, c]
            unit = seqs[0].units
            down = (
                " down" if (a == "y" and seqs[0].up.startswith("-") and seqs[0].dims == 2) else ""
            )
            ax.set_ylabel(f"{a} ({unit}{down})", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, color="#EEEEEE")
            if r == 0:
                ax.set_title(name, fontsize=9)
            if r == len(axes) - 1:
                ax.set_xlabel("time (s)" if seconds else "frame", fontsize=8)
    if len(seqs) > 1:
        grid[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig
