"""An example renderer backend: the target skeleton drawn as a flat silhouette of thick
limbs, in the source person's median colour, over the source's own background.

It shows the whole contract of a backend (see ``docs/renderers.md``):

* settings in the constructor, ``name`` and ``device_needs`` as attributes;
* ``render(source, target)`` yields one ``(H, W, 3)`` uint8 RGB frame per target frame,
  streaming, in pixels of ``source.image``;
* the pose helpers of :mod:`retarget.render.base` (``fit_to_image``, ``as_body15``,
  ``background_frames``) do the conventions.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from retarget.render.base import SourceAppearance, as_body15, background_frames, fit_to_image
from skeleton_io.pose import PoseSequence


class SilhouetteRenderer:
    """Thick limbs in the person's colour (``thickness`` in units of the shoulder width)."""

    name = "silhouette"
    device_needs = "cpu"

    def __init__(self, *, thickness: float = 0.25) -> None:
        self.thickness = thickness

    def render(self, source: SourceAppearance, target: PoseSequence) -> Iterator[np.ndarray]:
        import cv2

        person = source.mask > 0.5
        colour = np.median(source.image[person], axis=0) if person.any() else np.zeros(3)
        colour = tuple(int(c) for c in colour)
        if source.background is None:
            # The source scene with the person's area painted over by its surroundings.
            hole = cv2.dilate(person.astype(np.uint8), np.ones((9, 9), np.uint8))
            default = cv2.inpaint(source.image, hole, 5, cv2.INPAINT_TELEA)
        else:
            default = np.zeros_like(source.image)
        tgt = fit_to_image(as_body15(target), source.size)
        edges = tgt.skeleton.edges
        for t, bg in enumerate(background_frames(source.background, default, tgt.num_frames)):
            frame = bg.copy()
            pts = tgt.coords[t]
            ok = tgt.confidence[t] > 0
            width = np.linalg.norm(pts[2] - pts[5]) * self.thickness if ok[2] and ok[5] else 8
            for a, b in edges:
                if ok[a] and ok[b]:
                    pa = tuple(int(v) for v in np.round(pts[a]))
                    pb = tuple(int(v) for v in np.round(pts[b]))
                    cv2.line(frame, pa, pb, colour, max(2, int(width)), cv2.LINE_AA)
            yield frame
