"""Motion capture as training and test material: performers, views, splits, datasets.

* :mod:`.mocap`: :class:`MocapLibrary` reads a folder of BVH files once (forward kinematics
  onto ``openpose15`` with every character of a family, 30 fps, cm) and caches it.
* :mod:`.performers`: a performer = a real character + per-limb scale factors;
  :func:`scale_limbs` (TransMoMo's limb scaling).
* :mod:`.views`: a motion performed by a performer, seen from a yaw/roll, in pixels.
* :mod:`.splits`: the documented train / val / test splits by motion and by performer.
* :mod:`.dataset`: :class:`MocapWindows`, the torch dataset of training windows, and the
  normalisation statistics.
"""

from .mocap import Character, Clip, MocapLibrary, default_cache_dir
from .performers import LIMB_GROUPS, Performer, random_factors, scale_limbs, scaled_variants

__all__ = [
    "LIMB_GROUPS",
    "Character",
    "Clip",
    "MocapLibrary",
    "Performer",
    "default_cache_dir",
    "random_factors",
    "scale_limbs",
    "scaled_variants",
]
