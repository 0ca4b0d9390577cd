"""The renderer interface: what a backend receives and what it yields.

A **renderer** turns a target skeleton sequence into video frames of one person, whose
appearance it takes from a :class:`SourceAppearance` (an image of the person, their 2D
skeleton in that image, a person mask and a background). Settings go to the constructor;
data goes through :meth:`Renderer.render`, which *streams*: it yields one frame per target
frame, so memory stays flat however long the sequence is.

Conventions (all backends):

* Images are RGB ``uint8`` arrays ``(H, W, 3)``, row 0 at the top; masks ``(H, W)``
  ``float32`` in [0, 1] (1 = person).
* Poses are :class:`~skeleton_io.PoseSequence` objects in **pixels of the source image**
  (x right, y down, origin at the top-left corner). A pose whose ``canvas`` differs from
  the image size is rescaled per axis to the image on entry (``canvas`` says which pixels
  its coordinates are in), so a pose found on the original frame fits a downscaled image.
* Output frames have the source image's size. Frame ``t`` shows ``target`` frame ``t``; a
  target frame in which a body part's joints are missing (confidence 0) shows that part
  hidden.
* ``device_needs``: ``"cpu"`` (runs on the CPU only), ``"gpu"`` (needs a GPU to be of use),
  ``"any"`` (uses a GPU when present, else the CPU).

Backends register under the Python entry point group ``retarget.renderers`` (see
:mod:`retarget.render.registry` and ``docs/renderers.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from skeleton_io.convert import convert
from skeleton_io.errors import InvalidArgumentError, SkeletonMismatchError
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import OPENPOSE15

DeviceNeeds = Literal["cpu", "gpu", "any"]

Background = np.ndarray | Iterable[np.ndarray]
"""A static ``(H, W, 3)`` uint8 image, or an iterable yielding one such frame per target
frame (consumed as frames are rendered, e.g. the driving video's frames)."""


def fit_to_image(pose: PoseSequence, size: tuple[int, int]) -> PoseSequence:
    """``pose`` with coordinates in pixels of an image of ``size`` ``(w, h)``.

    When ``pose.canvas`` is set and differs from ``size``, x and y are scaled by
    ``w / canvas_w`` and ``h / canvas_h``; otherwise the pose is returned as it is.
    """
    if pose.dims != 2:
        raise SkeletonMismatchError(
            f"renderers take 2D poses in pixels, got {pose.dims}D; project it first "
            "(retarget.inputs.as_2d)"
        )
    if pose.canvas is None or tuple(pose.canvas) == tuple(size):
        return pose if pose.canvas is not None else pose.with_coords(pose.coords, canvas=size)
    factor = np.asarray(size, dtype=np.float64) / np.asarray(pose.canvas, dtype=np.float64)
    out = pose.with_coords(pose.coords * factor, canvas=tuple(size))
    out.meta["rescaled_from_canvas"] = list(pose.canvas)
    return out


def as_body15(pose: PoseSequence) -> PoseSequence:
    """``pose`` on the ``openpose15`` skeleton (joints by name), the vocabulary of the
    built-in backends."""
    return pose if pose.skeleton.name == OPENPOSE15.name else convert(pose, OPENPOSE15)


@dataclass
class SourceAppearance:
    """What a renderer knows of the person to show.

    Attributes:
        image: ``(H, W, 3)`` uint8 RGB: the person in their scene.
        pose: their 2D skeleton in ``image`` (a one-frame :class:`PoseSequence`, any
            skeleton that converts to ``openpose15`` by joint name; more frames are allowed,
            the first is used by the built-in backends). Rescaled to the image on entry
            (see the module docstring).
        mask: ``(H, W)`` float32 person alpha in [0, 1] (soft edges allowed).
        background: what to show behind the person: None (the backend's default: the
            source's own scene with the person removed), a static image of the image's
            size, or an iterable of such frames, one per target frame.
        meta: facts about where it came from (path, frame index, scale, warnings).
    """

    image: np.ndarray
    pose: PoseSequence
    mask: np.ndarray
    background: Background | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        image = np.asarray(self.image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InvalidArgumentError(
                f"source image must be (height, width, 3) uint8 RGB, got {image.shape} {image.dtype}"
            )
        mask = np.asarray(self.mask, dtype=np.float32)
        if mask.shape != image.shape[:2]:
            raise InvalidArgumentError(
                f"source mask must have the image's shape {image.shape[:2]}, got {mask.shape}"
            )
        if not np.all(np.isfinite(mask)):
            raise InvalidArgumentError("source mask has NaN or infinite values")
        self.image = np.ascontiguousarray(image)
        if mask.size and (mask.min() < 0 or mask.max() > 1):
            mask = np.clip(mask, 0.0, 1.0)
        self.mask = mask  # the caller's own array when it is float32 in [0, 1]
        if self.pose.num_frames < 1:
            raise InvalidArgumentError("source pose has no frames")
        self.pose = fit_to_image(self.pose, self.size)
        if isinstance(self.background, np.ndarray):
            bg = np.asarray(self.background)
            if bg.shape != image.shape or bg.dtype != np.uint8:
                raise InvalidArgumentError(
                    f"background image must have the source image's shape {image.shape} and "
                    f"dtype uint8, got {bg.shape} {bg.dtype}"
                )

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the source image (and of every rendered frame)."""
        return (int(self.image.shape[1]), int(self.image.shape[0]))

    @property
    def body15(self) -> PoseSequence:
        """The source pose on ``openpose15``, in pixels of :attr:`image`."""
        return as_body15(self.pose)


@runtime_checkable
class Renderer(Protocol):
    """A rendering backend (see the module docstring).

    Attributes:
        name: the name it is registered under.
        device_needs: ``"cpu"``, ``"gpu"`` or ``"any"``.
    """

    name: str
    device_needs: DeviceNeeds

    def render(self, source: SourceAppearance, target: PoseSequence) -> Iterator[np.ndarray]:
        """Yield one ``(H, W, 3)`` uint8 RGB frame per frame of ``target`` (2D pixels of
        the source image; see :func:`fit_to_image`)."""
        ...


def background_frames(
    background: Background | None, default: np.ndarray, count: int
) -> Iterator[np.ndarray]:
    """``count`` background frames: ``default`` when ``background`` is None, the image
    repeated when it is static, else the iterable's frames (its last frame repeated if it
    runs out, with the size checked against ``default``)."""
    if background is None or isinstance(background, np.ndarray):
        still = default if background is None else background
        for _ in range(count):
            yield still
        return
    last = default
    it = iter(background)
    for i in range(count):
        frame = next(it, None)
        if frame is None:
            yield last
            continue
        frame = np.asarray(frame)
        if frame.shape != default.shape or frame.dtype != np.uint8:
            raise InvalidArgumentError(
                f"background frame {i} is {frame.shape} {frame.dtype}; expected {default.shape} uint8"
            )
        last = frame
        yield frame


def in_order(fn: Any, items: Iterable[Any], workers: int) -> Iterator[Any]:
    """``fn(*item)`` for each item, yielded in order, computed in ``workers`` threads (1:
    one after the other) at most two per thread ahead, so memory stays flat (OpenCV and
    numpy let go of the interpreter while they work)."""
    if workers <= 1:
        for item in items:
            yield fn(*item)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="render") as pool:
        ahead: deque = deque()
        for item in items:
            ahead.append(pool.submit(fn, *item))
            if len(ahead) >= 2 * workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


__all__ = [
    "in_order",
    "Background",
    "DeviceNeeds",
    "Renderer",
    "SourceAppearance",
    "as_body15",
    "background_frames",
    "fit_to_image",
]
