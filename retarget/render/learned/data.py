"""The renderer's inputs for a run of target frames (:class:`RenderInputs`) and how they are
made from a source person and a target pose sequence (:func:`render_inputs`).

Arrays are numpy, uint8 pictures ``(N, H, W, 3)`` RGB (rows top to bottom), part maps
``(N, P, h, w)`` (0-255, at ``map_scale`` of the frame), boxes ``(N, 4)`` ``x0, y0, x1, y1``
in pixels of the frame (x right, y down).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from skeleton_io.pose import PoseSequence

from ..base import SourceAppearance, as_body15, background_frames, fit_to_image
from .features import face_of, frame_maps, person_box


@dataclass
class RenderInputs:
    """What the network sees for ``N`` target frames, and (for training) the real frames.

    Attributes:
        ref: reference renders over ``plate``.
        maps: the target's part maps.
        boxes: the target person's box in each frame (:func:`~.features.person_box`).
        plate: ``(H, W, 3)`` the scene without the person.
        real: the real frames (training and evaluation), or None.
        frames: ``(N,)`` the frames' numbers in their video (consecutive numbers are
            consecutive frames).
    """

    ref: np.ndarray
    maps: np.ndarray
    boxes: np.ndarray
    plate: np.ndarray
    real: np.ndarray | None = None
    frames: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.ref)
        if self.ref.ndim != 4 or self.ref.shape[-1] != 3 or self.ref.dtype != np.uint8:
            raise ValueError(
                f"ref must be (N, H, W, 3) uint8, got {self.ref.shape} {self.ref.dtype}"
            )
        if len(self.maps) != n or len(self.boxes) != n:
            raise ValueError(f"{n} renders but {len(self.maps)} part maps, {len(self.boxes)} boxes")
        if self.plate.shape != self.ref.shape[1:]:
            raise ValueError(f"plate {self.plate.shape} does not match frames {self.ref.shape[1:]}")
        if self.real is not None and self.real.shape != self.ref.shape:
            raise ValueError(f"real frames {self.real.shape} do not match renders {self.ref.shape}")
        if self.frames is None:
            self.frames = np.arange(n)

    def __len__(self) -> int:
        return len(self.ref)

    def subset(self, idx: np.ndarray) -> RenderInputs:
        """The frames ``idx`` (same plate)."""
        real = self.real[idx] if self.real is not None else None
        return RenderInputs(
            self.ref[idx], self.maps[idx], self.boxes[idx], self.plate, real, self.frames[idx]
        )


def iter_inputs(
    reference: object,
    source: SourceAppearance,
    target: PoseSequence,
    map_scale: float,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """``(reference render, part maps, person box, scene)`` of each target frame, rendered
    by the reference renderer ``reference`` (a
    :class:`~retarget.render.reference.PartWarpRenderer`) over ``source.background`` (the
    scene: that background's frame, or the reference's inpainted scene when it is None);
    the target is placed in the source's frame as the reference renderer places it."""
    prep = reference.prepare(source)  # type: ignore[attr-defined]
    full = fit_to_image(target, source.size)  # the reference turns the head with its face
    tgt = as_body15(full)
    face = face_of(full)
    radii = prep.radii * reference.scale_for(prep, tgt)  # type: ignore[attr-defined]
    bg = source.background
    if bg is not None and not isinstance(bg, np.ndarray):  # frames: one pass each
        bg, mine = itertools.tee(bg)
        source = SourceAppearance(source.image, source.pose, source.mask, bg, dict(source.meta))
        bg = mine
    scenes = background_frames(bg, prep.background, tgt.num_frames)
    frames = reference.render(source, full)  # type: ignore[attr-defined]
    for t, (frame, scene) in enumerate(zip(frames, scenes)):
        present = tgt.confidence[t] > 0
        f = None if face is None else (face[0][t], face[1][t])
        maps = frame_maps(tgt.coords[t], present, radii, source.size, map_scale, f)
        yield frame, maps, person_box(tgt.coords[t], present, radii, source.size), scene


def render_inputs(
    reference: object,
    source: SourceAppearance,
    target: PoseSequence,
    map_scale: float,
    real: list[np.ndarray] | None = None,
    first_frame: int = 0,
) -> RenderInputs:
    """:func:`iter_inputs` of every target frame in arrays (the scene of the first frame is
    the plate: a static ``source.background``; frames numbered from ``first_frame``)."""
    refs, maps, boxes, scenes = zip(*iter_inputs(reference, source, target, map_scale))
    n = len(refs)
    return RenderInputs(
        np.stack(refs),
        np.stack(maps),
        np.stack(boxes),
        scenes[0],
        np.stack(real[:n]) if real is not None else None,
        np.arange(first_frame, first_frame + n),
    )


def held_out_blocks(n: int, share: float = 0.15, blocks: int = 3) -> np.ndarray:
    """``(n,)`` bool: ``blocks`` runs of consecutive frames, ``share`` of ``n`` together,
    spread evenly over the clip (centred at 1/6, 3/6, 5/6 for three), held out for early
    stopping. None held out (all False) below 20 frames."""
    held = np.zeros(n, bool)
    if n < 20:
        return held
    length = max(1, round(n * share / blocks))
    for k in range(blocks):
        centre = round((k + 0.5) * n / blocks)
        start = min(max(centre - length // 2, 0), n - length)
        held[start : start + length] = True
    return held


__all__ = ["RenderInputs", "held_out_blocks", "iter_inputs", "render_inputs"]
