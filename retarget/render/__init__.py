"""Rendering: from a target skeleton sequence and a source person to video.

* :mod:`.base`: the :class:`Renderer` protocol and :class:`SourceAppearance`.
* :mod:`.registry`: backends by name through the ``retarget.renderers`` entry points
  (:func:`get_renderer`, :func:`available_renderers`).
* :mod:`.reference`: the CPU reference backend (part-based warping, no training).
* :mod:`.source`: a source person from a photo or a video frame (BlazePose + mask).
* :mod:`.pipeline`: ``retarget render`` and ``retarget video`` as library functions.
* :mod:`.demo`: the ``make demo`` part (built-in motion on scikit-image's astronaut).

Heavy pieces (mediapipe, OpenCV, PyAV) are imported where they are used.
"""

from .base import Renderer, SourceAppearance, as_body15, fit_to_image
from .registry import GROUP, available_renderers, get_renderer

__all__ = [
    "GROUP",
    "Renderer",
    "SourceAppearance",
    "as_body15",
    "available_renderers",
    "fit_to_image",
    "get_renderer",
]
