"""One module per format, each with ``load(path, **opts)`` and ``save(seq, path, **opts)``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..convert import convert
from ..errors import PoseFormatError
from ..group import PoseGroup
from ..pose import PoseSequence
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


def load_json(path: Path) -> Any:
    """The JSON document in ``path``, or :class:`PoseFormatError` naming the file (not
    text, not JSON, cut short, nested too deeply)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PoseFormatError(f"{path}: not valid JSON ({e}); is the file truncated?") from None
    except RecursionError:
        raise PoseFormatError(f"{path}: JSON nested too deeply to be a pose file") from None


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


def converted(seq: PoseSequence | PoseGroup, skeleton: Skeleton) -> PoseSequence | PoseGroup:
    """A sequence, or every person of a group, on ``skeleton`` (the one a format writes):
    as it is when already there, else converted by joint name."""

    def one(s: PoseSequence) -> PoseSequence:
        return s if s.skeleton == skeleton and not s.meta.get("joint_map") else convert(s, skeleton)

    return seq.map(one, keep_missing=False) if isinstance(seq, PoseGroup) else one(seq)
