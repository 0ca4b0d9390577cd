"""Several people in one picture: each rendered by a backend onto one shared scene, the
farthest first, so nearer people cover farther ones.

A backend renders one person per call (:class:`~.base.Renderer`). :func:`render_people`
composites several:

* a backend that can draw one person onto a given frame (``plan(source, target)`` and
  ``render_frame(...)``, as the reference backend :class:`~.reference.PartWarpRenderer`):
  frame by frame, each person onto the picture so far, in that frame's depth order
  (:meth:`skeleton_io.PoseGroup.depth_order` of the targets: two people who cross swap
  order when they do);
* any other backend: its streams chained, each person's frames the background of the next,
  in one order for the whole clip (the people's mean nearness, farthest first).

Conventions: pixels of the source image, x right, y down (see :mod:`.base`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from skeleton_io.errors import InvalidArgumentError
from skeleton_io.group import PoseGroup
from skeleton_io.pose import PoseSequence

from .base import Background, Renderer, SourceAppearance, as_body15, background_frames, in_order

log = logging.getLogger(__name__)


def depth_orders(targets: Sequence[PoseSequence]) -> list[list[int]]:
    """For each frame, the indices of the ``targets`` present in it, farthest first."""
    group = PoseGroup(dict(enumerate(as_body15(t) for t in targets)))
    near = group.nearness()
    return [group.depth_order(t, near) for t in range(group.num_frames)]


def render_people(
    renderer: Renderer,
    sources: Sequence[SourceAppearance],
    targets: Sequence[PoseSequence],
    background: Background,
) -> Iterator[np.ndarray]:
    """Yield one frame per target frame: person ``k`` (``sources[k]`` moving as
    ``targets[k]``, pixels of the source image) for every ``k``, composited farthest first
    over ``background`` (a static image of the sources' size, or an iterable of frames).

    Raises:
        InvalidArgumentError: no people, sources and targets of different counts, targets
            of different lengths, or sources of different sizes.
    """
    if not sources or len(sources) != len(targets):
        raise InvalidArgumentError(
            f"render_people needs one target per source, got {len(sources)} sources and "
            f"{len(targets)} targets"
        )
    if len({t.num_frames for t in targets}) != 1 or len({s.size for s in sources}) != 1:
        raise InvalidArgumentError(
            "the people's targets must have one length and their sources one image size"
        )
    people = _People(renderer, sources, targets, background, depth_orders(targets))
    plan = getattr(renderer, "plan", None)
    if callable(plan) and callable(getattr(renderer, "render_frame", None)):
        yield from people.layered()
        return
    yield from people.chained()


@dataclass(frozen=True)
class _People:
    """What :func:`render_people` composites, and the two ways it does (see the module
    docstring); ``orders``: :func:`depth_orders` of the targets."""

    renderer: Renderer
    sources: Sequence[SourceAppearance]
    targets: Sequence[PoseSequence]
    background: Background
    orders: list[list[int]]

    def layered(self) -> Iterator[np.ndarray]:
        """Frame by frame, each person drawn onto the picture so far (farthest first)."""
        renderer = self.renderer
        plans = [renderer.plan(s, t) for s, t in zip(self.sources, self.targets)]  # type: ignore[attr-defined]
        first = self.sources[0]
        default = first.background if isinstance(first.background, np.ndarray) else first.image
        frames = background_frames(self.background, default, len(self.orders))

        def one(t: int, bg: np.ndarray) -> np.ndarray:
            out = bg
            for k in self.orders[t]:
                p = plans[k]
                out = renderer.render_frame(  # type: ignore[attr-defined]
                    *p.frame(t), out, head_turn=p.turns[t], head_centre=p.centres[t]
                )
            return out if out is not bg else bg.copy()

        yield from in_order(one, enumerate(frames), getattr(renderer, "workers", 1))

    def chained(self) -> Iterator[np.ndarray]:
        """Each person's stream the background of the next, in one order for the clip."""
        n = len(self.sources)
        rank = np.zeros(n)
        seen = np.zeros(n)
        for order in self.orders:
            for r, k in enumerate(order):
                rank[k] += r / max(len(order) - 1, 1)
                seen[k] += 1
        fixed = sorted(range(n), key=lambda k: (rank[k] / max(seen[k], 1), k))
        log.info(
            "renderer %s draws one person per call: people composited in one order for the "
            "whole clip (farthest first: %s)",
            getattr(self.renderer, "name", "?"),
            ", ".join(map(str, fixed)),
        )
        stream: Background = self.background
        for k in fixed:
            stream = self.renderer.render(
                replace(self.sources[k], background=stream), self.targets[k]
            )
        yield from stream  # type: ignore[misc]


__all__ = ["depth_orders", "render_people"]
