"""Skeleton-level motion retargeting: the motion of one person, the body of another, any view."""

from skeleton_io.errors import RetargetError

__version__ = "0.1.0"
__all__ = ["RetargetError", "__version__"]
