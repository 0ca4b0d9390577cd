"""The typed pose sequence.

Conventions (stated once, used everywhere):

* ``coords`` has shape ``(frames, joints, dims)`` with ``dims`` 2 or 3, float64.
* 2D data in pixels (``units="px"``): x to the right, y *down*, origin at the top-left
  corner of the canvas, as images and OpenPose/COCO files have it. ``canvas`` is
  ``(width, height)`` of the original frame.
* 3D data keeps the units and axes of its source (``units`` says which, e.g. ``"cm"`` for
  most BVH files; ``up`` names the up axis, e.g. ``"+y"``). Retargeting code converts to its
  own documented camera frame (see :mod:`retarget.geometry`).
* ``confidence`` has shape ``(frames, joints)`` in [0, 1]; 0 means *missing*. Missingness
  lives beside the data, not in it: coordinates of missing joints are 0, never NaN.
* ``fps`` is a float. Where a source has no frame rate (OpenPose JSON, images) and the caller
  gave none, the default is used and ``meta["fps_assumed"]`` is set to True.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .checks import MAX_CANVAS_SIDE, MAX_COORD, check_fps
from .errors import PoseFormatError, SkeletonMismatchError
from .skeleton import Skeleton, get_skeleton

DEFAULT_FPS = 30.0


@dataclass
class PoseSequence:
    """A sequence of poses of one person.

    Attributes:
        coords: ``(T, J, D)`` joint positions, ``D`` in {2, 3} (see the module docstring).
        confidence: ``(T, J)`` in [0, 1], 0 for a missing joint.
        skeleton: the joint table the joint axis follows.
        fps: frames per second.
        canvas: ``(width, height)`` in pixels of the frames the poses were found in, or None.
        units: ``"px"``, ``"cm"``, ``"m"``, ``"mm"``, ``"in"``, ``"units"`` (unknown) ...
        up: the up axis for 3D data in its own frame, e.g. ``"+y"``; ``"-y"`` for image-like
            data where y points down.
        world: optional ``(T, J, 3)`` 3D positions in metres beside 2D ``coords`` (BlazePose's
            world landmarks as mediapipe gives them: origin between the hips, x to the image's
            right, y down, z away from the camera).
        meta: JSON-serialisable facts about the source (path, format, fps_assumed, ...).
    """

    coords: np.ndarray
    confidence: np.ndarray
    skeleton: Skeleton
    fps: float = DEFAULT_FPS
    canvas: tuple[int, int] | None = None
    units: str = "px"
    up: str = "-y"
    world: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    source: Any = field(default=None, repr=False, compare=False)
    """The parsed source object when it can be written back exactly (e.g. a BVH motion)."""

    def __post_init__(self) -> None:
        self.skeleton = get_skeleton(self.skeleton)
        coords = np.asarray(self.coords, dtype=np.float64)
        if coords.ndim != 3 or coords.shape[2] not in (2, 3):
            raise SkeletonMismatchError(
                f"coords must have shape (frames, joints, 2 or 3), got {coords.shape}"
            )
        if coords.shape[1] != self.skeleton.num_joints:
            raise SkeletonMismatchError(
                f"coords have {coords.shape[1]} joints but skeleton {self.skeleton.name!r} "
                f"has {self.skeleton.num_joints}"
            )
        conf = np.asarray(self.confidence, dtype=np.float64)
        if conf.shape != coords.shape[:2]:
            raise SkeletonMismatchError(
                f"confidence must have shape {coords.shape[:2]}, got {conf.shape}"
            )
        if not np.all(np.isfinite(conf)) or conf.min(initial=0) < 0 or conf.max(initial=0) > 1:
            raise SkeletonMismatchError("confidence must be finite and within [0, 1]")
        bad = ~np.isfinite(coords)
        if bad.any():
            # NaN/inf coordinates mean "missing": move that into the confidence.
            conf = conf.copy()
            conf[bad.any(axis=2)] = 0.0
            coords = np.where(bad, 0.0, coords)
        huge = np.abs(coords) > MAX_COORD
        if huge.any():
            t, j, _ = np.argwhere(huge)[0]
            raise SkeletonMismatchError(
                f"coordinate {coords[t, j].tolist()} of joint {self.skeleton.joints[j]!r} in "
                f"frame {t} is beyond {MAX_COORD:g}; no body is that large (a corrupt value?)"
            )
        self.coords = coords
        self.confidence = conf
        self.fps = check_fps(self.fps, None)
        if self.canvas is not None:
            try:
                w, h = (int(v) for v in self.canvas)
            except (TypeError, ValueError, OverflowError):
                w = h = 0
            if not (0 < w <= MAX_CANVAS_SIDE and 0 < h <= MAX_CANVAS_SIDE):
                shown = " x ".join(f"{v:.6g}" if isinstance(v, (int, float)) else repr(v)
                                   for v in tuple(self.canvas)[:2])  # fmt: skip
                raise SkeletonMismatchError(
                    f"canvas must be (width, height) from 1 to {MAX_CANVAS_SIDE} pixels, got "
                    f"{shown}"
                )
            self.canvas = (w, h)
        if self.world is not None:
            world = np.asarray(self.world, dtype=np.float64)
            if world.shape != (*coords.shape[:2], 3):
                raise SkeletonMismatchError(
                    f"world must have shape {(*coords.shape[:2], 3)}, got {world.shape}"
                )
            self.world = world

    # ------------------------------------------------------------------ basics
    @property
    def num_frames(self) -> int:
        return self.coords.shape[0]

    @property
    def num_joints(self) -> int:
        return self.coords.shape[1]

    @property
    def dims(self) -> int:
        return self.coords.shape[2]

    @property
    def visible(self) -> np.ndarray:
        """``(T, J)`` boolean: joint present in frame."""
        return self.confidence > 0

    @property
    def present(self) -> np.ndarray:
        """``(T,)`` boolean: frame has at least one joint (a person was found)."""
        return self.visible.any(axis=1)

    def __len__(self) -> int:
        return self.num_frames

    def __getitem__(self, item: int | slice | np.ndarray) -> PoseSequence:
        """Slice frames, numpy style; an int keeps a one-frame sequence."""
        if isinstance(item, (int, np.integer)):
            item = slice(int(item), int(item) + 1 if item != -1 else None)
        new = replace(
            self,
            coords=self.coords[item],
            confidence=self.confidence[item],
            world=None if self.world is None else self.world[item],
            meta=copy.deepcopy(self.meta),
        )
        new.source = None
        if "frame_index" in self.meta:
            new.meta["frame_index"] = list(np.asarray(self.meta["frame_index"])[item].tolist())
        return new

    def joint(self, name: str) -> np.ndarray:
        """``(T, D)`` coordinates of a joint by name."""
        return self.coords[:, self.skeleton.idx(name)]

    def copy(self) -> PoseSequence:
        new = replace(
            self,
            coords=self.coords.copy(),
            confidence=self.confidence.copy(),
            world=None if self.world is None else self.world.copy(),
            meta=copy.deepcopy(self.meta),
        )
        new.source = self.source
        return new

    def with_coords(
        self, coords: np.ndarray, confidence: np.ndarray | None = None, **kw: Any
    ) -> PoseSequence:
        """A new sequence with other coordinates (and optionally confidence), same metadata."""
        new = replace(
            self,
            coords=coords,
            confidence=self.confidence if confidence is None else confidence,
            meta=copy.deepcopy(self.meta),
            **kw,
        )
        new.source = None
        return new

    def bone_lengths(self) -> np.ndarray:
        """``(T, E)`` length of each bone (``skeleton.edges``), NaN where a joint is missing."""
        a = np.array([e[0] for e in self.skeleton.edges], dtype=int)
        b = np.array([e[1] for e in self.skeleton.edges], dtype=int)
        length = np.linalg.norm(self.coords[:, b] - self.coords[:, a], axis=-1)
        ok = self.visible[:, a] & self.visible[:, b]
        return np.where(ok, length, np.nan)

    def mirrored(self, width: float | None = None) -> PoseSequence:
        """Mirror horizontally (x -> width - x for pixels, -x otherwise) and relabel left/right."""
        perm = self.skeleton.mirror_permutation()
        coords = self.coords[:, perm].copy()
        if width is None:
            width = float(self.canvas[0]) if (self.canvas and self.units == "px") else 0.0
        coords[..., 0] = width - coords[..., 0]
        world = None
        if self.world is not None:
            world = self.world[:, perm].copy()
            world[..., 0] *= -1
        return self.with_coords(coords, self.confidence[:, perm], world=world)

    def header(self) -> dict[str, Any]:
        """Everything but the arrays, as JSON-serialisable data."""
        return {
            "skeleton": self.skeleton.to_dict(),
            "fps": self.fps,
            "canvas": list(self.canvas) if self.canvas else None,
            "units": self.units,
            "up": self.up,
            "meta": self.meta,
        }

    @staticmethod
    def header_json(seq: PoseSequence) -> str:
        try:
            return json.dumps(seq.header())
        except TypeError as e:
            raise PoseFormatError(f"pose metadata is not JSON-serialisable: {e}") from None


def pixel_sequence(
    coords: np.ndarray,
    confidence: np.ndarray,
    skeleton: Skeleton,
    fps: float,
    canvas: tuple[int, int] | None,
    meta: dict[str, Any],
    world: np.ndarray | None = None,
) -> PoseSequence:
    """Keypoints found in images as a 2D sequence in pixels of the frame (x right, y down:
    the module docstring's convention), as pose files and estimators give them."""
    return PoseSequence(
        coords=coords,
        confidence=confidence,
        skeleton=skeleton,
        fps=fps,
        canvas=canvas,
        units="px",
        up="-y",
        world=world,
        meta=meta,
    )
