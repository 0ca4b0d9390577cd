"""Pose sequences in and out: typed containers, skeleton tables, readers and writers."""

from .convert import convert
from .errors import (
    InputNotFoundError,
    InvalidArgumentError,
    MissingDependencyError,
    ModelError,
    NoPersonFoundError,
    OutputError,
    PoseFormatError,
    RetargetError,
    SkeletonMismatchError,
    UnknownFormatError,
    VideoReadError,
)
from .group import PoseGroup
from .io import LOAD_FORMATS, SAVE_FORMATS, detect_format, load_file, save_file
from .pose import PoseSequence
from .skeleton import (
    BLAZEPOSE33,
    BODY18,
    BODY25,
    COCO17,
    COCO_WHOLEBODY,
    DWPOSE,
    OPENPOSE15,
    OPENPOSE_WHOLEBODY,
    SKELETONS,
    Skeleton,
    get_skeleton,
)

__all__ = [
    "BLAZEPOSE33",
    "BODY18",
    "BODY25",
    "COCO17",
    "COCO_WHOLEBODY",
    "DWPOSE",
    "LOAD_FORMATS",
    "OPENPOSE15",
    "OPENPOSE_WHOLEBODY",
    "SAVE_FORMATS",
    "SKELETONS",
    "InputNotFoundError",
    "InvalidArgumentError",
    "MissingDependencyError",
    "ModelError",
    "NoPersonFoundError",
    "OutputError",
    "PoseFormatError",
    "PoseGroup",
    "PoseSequence",
    "RetargetError",
    "Skeleton",
    "SkeletonMismatchError",
    "UnknownFormatError",
    "VideoReadError",
    "convert",
    "detect_format",
    "get_skeleton",
    "load_file",
    "save_file",
]
