"""Skeleton-level motion retargeting: the motion of one person, the body of another, any view.

The public API, flat (``import retarget``)::

    import retarget

    dancer = retarget.read_2d("dancer.mp4", max_frames=200)  # any pose input -> 2D openpose15
    body = retarget.read_2d("openpose_json_folder/", fps=30)
    out = retarget.transfer(dancer, body, view="structure")
    retarget.save(out, "result", format="openpose")

Names are resolved on first use (PEP 562), so ``import retarget`` imports neither torch nor
the video stack; torch comes in when a model first runs. The layers behind these names are
described in ``docs/architecture.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

from skeleton_io import errors as _errors

__version__ = "0.2.0"

_LAZY: dict[str, str] = {
    # pose data and files
    "PoseSequence": "skeleton_io.pose:PoseSequence",
    "PoseGroup": "skeleton_io.group:PoseGroup",
    "load_group": "skeleton_io.io:load_group",
    "Skeleton": "skeleton_io.skeleton:Skeleton",
    "SKELETONS": "skeleton_io.skeleton:SKELETONS",
    "get_skeleton": "skeleton_io.skeleton:get_skeleton",
    "convert": "skeleton_io.convert:convert",
    "load": "skeleton_io.io:load_file",
    "save": "skeleton_io.io:save_file",
    "LOAD_FORMATS": "skeleton_io.io:LOAD_FORMATS",
    "SAVE_FORMATS": "skeleton_io.io:SAVE_FORMATS",
    "read_2d": "retarget.inputs:read_2d",
    "as_2d": "retarget.inputs:as_2d",
    # denoising
    "denoise": "retarget.denoising:denoise",
    "DENOISE_METHODS": "retarget.denoising:METHODS",
    "jitter": "retarget.denoising.metrics:jitter",
    # retargeting
    "Retargeter": "retarget.retargeters.base:Retargeter",
    "load_retargeter": "retarget.retargeters:load_retargeter",
    "transfer": "retarget.retargeters.transfer:transfer",
    "transfer_group": "retarget.retargeters.group:transfer_group",
    "lift_3d": "retarget.retargeters.transfer:lift_3d",
    "ModelRetargeter": "retarget.retargeters.model:ModelRetargeter",
    # pose images (the ControlNet OpenPose / DWPose annotators' drawing)
    "draw_pose_image": "viz.pose_image:draw_pose_image",
    "draw_people_image": "viz.pose_image:draw_people_image",
    "write_pose_images": "viz.pose_image:write_pose_images",
    # rendering
    "Renderer": "retarget.render.base:Renderer",
    "get_renderer": "retarget.render.registry:get_renderer",
    "available_renderers": "retarget.render.registry:available_renderers",
    "pose_transfer_video": "retarget.pipeline.video:pose_transfer_video",
    "render_skeleton": "retarget.pipeline.video:render_skeleton",
    "run_batch": "retarget.pipeline.batch:run_batch",
}

_ERRORS = [n for n in dir(_errors) if n.endswith("Error")]
"""The error hierarchy (:mod:`skeleton_io.errors`), resolved like the names of ``_LAZY``."""

__all__ = [*_ERRORS, "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name) or (f"skeleton_io.errors:{name}" if name in _ERRORS else None)
    if target is None:
        raise AttributeError(f"module 'retarget' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
