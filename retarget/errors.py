"""Re-export of the toolkit's one error hierarchy (defined in :mod:`skeleton_io.errors`)."""

from skeleton_io.errors import *  # noqa: F401,F403
from skeleton_io.errors import RetargetError  # noqa: F401
