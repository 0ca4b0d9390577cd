"""The learned backend (``--backend learned --renderer-model DIR``): :class:`LearnedRenderer`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from skeleton_io.errors import InvalidArgumentError
from skeleton_io.pose import PoseSequence

from ..base import SourceAppearance
from .data import iter_inputs
from .folder import load_renderer
from .training import render_batch

log = logging.getLogger(__name__)


class LearnedRenderer:
    """The learned backend (see :mod:`retarget.render.learned`). Registered as ``learned``.

    Args:
        model: a model folder of ``retarget train-renderer``.
        device: ``auto`` (a GPU when present), ``cpu``, ``cuda`` or ``cuda:N``.
        batch: frames rendered at once.
    """

    name = "learned"
    device_needs = "any"

    def __init__(
        self, *, model: str | Path | None = None, device: str = "auto", batch: int = 4
    ) -> None:
        if model is None:
            raise InvalidArgumentError(
                "the learned renderer needs a model folder (`renderer_model`; train one with "
                "`retarget train-renderer VIDEO -o DIR`)"
            )
        from ..reference import PartWarpRenderer

        self.model = load_renderer(model, device)
        self.config = self.model.config
        self.batch = max(1, int(batch))
        self.reference = PartWarpRenderer(**self.config.reference)
        self._scene: tuple[int, SourceAppearance] | None = None

    def prepare(self, source: SourceAppearance) -> None:
        """Get the reference renderer's view of ``source`` ready (see ``retarget video``)."""
        self.reference.prepare(self._with_scene(source))

    def _with_scene(self, source: SourceAppearance) -> SourceAppearance:
        """``source`` with the model's scene behind the person where it has none of its own
        and the sizes agree (a warning names both sizes where they do not)."""
        if self._scene is not None and self._scene[0] == id(source):
            return self._scene[1]
        plate = self.model.plate
        if source.background is not None or plate is None:
            return source
        if plate.shape != source.image.shape:
            log.warning(
                "the renderer model's scene is %dx%d, the source's %dx%d: using the source's "
                "scene (train the model at this --max-side)",
                plate.shape[1], plate.shape[0], *source.size,
            )  # fmt: skip
            return source
        own = SourceAppearance(source.image, source.pose, source.mask, plate, dict(source.meta))
        self._scene = (id(source), own)
        return own

    def render(self, source: SourceAppearance, target: PoseSequence) -> Iterator[np.ndarray]:
        """Yield one frame per target frame (see :class:`~retarget.render.base.Renderer`)."""
        source = self._with_scene(source)
        pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for ref, maps, _, scene in iter_inputs(
            self.reference, source, target, self.config.map_scale
        ):
            pending.append((ref, maps, scene))
            if len(pending) == self.batch:
                yield from self._run(pending)
                pending = []
        if pending:
            yield from self._run(pending)

    def _run(self, items: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Iterator[np.ndarray]:
        dev = self.model.device
        as_t = lambda a: torch.from_numpy(np.stack(a)).to(dev)  # noqa: E731
        ref = as_t([i[0] for i in items]).permute(0, 3, 1, 2)
        maps = as_t([i[1] for i in items])
        scenes = [i[2] for i in items]
        same = all(s is scenes[0] for s in scenes)
        plate = as_t(scenes[:1] if same else scenes).permute(0, 3, 1, 2)
        out = render_batch(self.model.net, ref, plate, maps)
        frames = (out * 255 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        yield from frames


__all__ = ["LearnedRenderer"]
