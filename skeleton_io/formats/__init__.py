"""One module per format, each with ``load(path, **opts)`` and ``save(seq, path, **opts)``."""

from __future__ import annotations

from ..skeleton import (
    BODY18,
    BODY25,
    COCO17,
    COCO_WHOLEBODY,
    DWPOSE,
    OPENPOSE_WHOLEBODY,
    Skeleton,
    has_hands_or_face,
)
from ..wholebody import FEET


def written_skeleton(format: str, skeleton: Skeleton) -> Skeleton | None:
    """The skeleton ``format`` writes a sequence on ``skeleton`` as (None: its own).

    OpenPose JSON: ``openpose_wholebody`` for a skeleton with hands or a face, else
    ``body25``; DWPose JSON: ``dwpose`` for one with hands, a face or feet, else ``body18``;
    COCO: ``coco17``; COCO-WholeBody: ``coco_wholebody``.
    """
    whole = has_hands_or_face(skeleton)
    if format == "openpose":
        return OPENPOSE_WHOLEBODY if whole else BODY25
    if format == "dwpose":
        feet = any(n in skeleton.index for n in FEET)
        return DWPOSE if whole or feet else BODY18
    return {"coco": COCO17, "coco_wholebody": COCO_WHOLEBODY}.get(format)
