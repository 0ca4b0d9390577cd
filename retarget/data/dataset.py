"""Training windows from motion capture (a torch ``Dataset``) and normalisation statistics.

:class:`MocapWindows` serves TransMoMo-style training items: windows of ``window`` frames
(default 64, every ``stride`` = 32 frames of every clip of a split), each performed by a
random performer (a real character of the split with random limb scaling and a random global
size) and seen from a random view (yaw, small roll and pitch), plus a limb-scaled copy (same
motion, same view, another body: TransMoMo's ``x_s``). With ``paired=True`` an item also holds
a second window ``y`` and the exact answers of retargeting between the two.

Units and frames of every array (float32 tensors): the camera frame of
:mod:`retarget.geometry` (x right, y down, z away from the camera), in pixels at
``px_per_cm`` (default :data:`retarget.data.views.PX_PER_CM` = 2) times the item's global
scale, with the first frame's MidHip at the origin. 2D = the 3D's ``(x, y)`` (orthographic).

Item keys (``T`` = ``window``):

=================  ============  ========================================================
``x``              (T, 15, 2)    the 2D sequence (openpose15 joint order)
``x3d``            (T, 15, 3)    its 3D (``x3d[..., :2] == x``)
``x_s``            (T, 15, 2)    limb-scaled copy: same motion and view, other proportions
``x3d_s``          (T, 15, 3)    its 3D
``conf``           (T, 15)       confidence, all 1 (clean motion capture)
``view``           (3,)          yaw, roll, pitch in degrees; yaw relative to the body's
                                 mean facing (0 = facing the camera), signs as
                                 :mod:`retarget.geometry`
``factors``        (8,)          x's limb factors relative to its character (LIMB_GROUPS)
``factors_s``      (8,)          x_s's limb factors relative to x's
``scale``, ``scale_s``  ()       global size factors of x (vs nominal) and of x_s (vs x)
``height``, ``height_s`` ()      skeleton heights of x and x_s in the item's pixels
``bones``, ``bones_s`` (14,)     their 3D bone lengths (px, median over frames)
``character``      ()            index into :attr:`MocapWindows.characters`
``clip``           ()            index into :attr:`MocapWindows.clips`
``start``          ()            first frame in the clip
=================  ============  ========================================================

With ``paired=True`` also: ``y``, ``y3d`` (another window, other performer and view),
``xy`` / ``xy3d`` (x's motion performed by y's performer, seen from x's view: the answer of
retargeting x onto y's body) and ``xy_view_y`` / ``xy3d_view_y`` (the same, seen from y's view
relative to the body: the cross-view answer), ``view_y`` (3,).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.atomic import atomic_file
from skeleton_io.errors import InvalidArgumentError, ModelError

from ..geometry import bone_lengths, height_from_bones, localize
from .mocap import MocapLibrary
from .performers import LIMB_GROUPS, Performer, random_factors
from .splits import Split, get_split
from .views import PX_PER_CM, View, Window, camera_coords, make_window, perform, transfer_performer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Augment:
    """Random ranges of training items (TransMoMo's defaults where it has them).

    Attributes:
        yaw: degrees, uniform (the whole circle: front, profile and back views).
        roll, pitch: degrees, uniform (small camera tilts).
        scale: global size of ``x``, log-uniform (TransMoMo's 0.8-1.2 ``ratio``).
        limb: per-limb factors of ``x``'s performer vs its character, log-uniform.
        structure: the same for the :data:`STRUCTURE_GROUPS` (shoulder and hip widths, the
            neck to the head): real bodies differ there far more than in their limbs
            (shoulders 10-20 cm on the shared characters).
        limb_s: per-limb factors of ``x_s`` vs ``x`` (TransMoMo's ``local_range``).
        scale_s: global factor of ``x_s`` vs ``x`` (TransMoMo's ``global_range``).
        other_character: chance that ``x_s`` starts from another real character of ``x``'s
            rig performing the same window (forward kinematics: another skeleton, spine and
            neck directions included, not only other bone lengths) instead of ``x``'s own
            (used by :class:`retarget.data.sampler.BatchSampler`).
    """

    yaw: tuple[float, float] = (-180.0, 180.0)
    roll: tuple[float, float] = (-8.0, 8.0)
    pitch: tuple[float, float] = (-10.0, 10.0)
    scale: tuple[float, float] = (0.8, 1.2)
    limb: tuple[float, float] = (0.8, 1.25)
    structure: tuple[float, float] = (0.8, 1.25)
    limb_s: tuple[float, float] = (0.5, 2.0)
    scale_s: tuple[float, float] = (0.5, 2.0)
    other_character: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


STRUCTURE_GROUPS = ("neck", "shoulders", "pelvis")
"""Limb groups (:data:`retarget.data.performers.LIMB_GROUPS`) that are the body's structure."""

REAL_BODIES = Augment(structure=(0.6, 1.6), other_character=0.5)
"""Training augmentation for bodies unlike the training characters': wide structure ranges
and half of the ``x_s`` copies from another real skeleton (``retarget.pipeline.fit.fit(...,
augment=REAL_BODIES)``; not the default: 4000 steps of it gave 1.1-1.3x the shipped model's
in-view MSE on the test split and the same cross-view MSE)."""


NO_AUGMENT = Augment(
    yaw=(-180.0, 180.0), roll=(0.0, 0.0), pitch=(0.0, 0.0), scale=(1.0, 1.0), limb=(1.0, 1.0)
)
"""Fixed evaluation items: random yaw only (seeded per index), the real characters as they are."""  # fmt: skip


def _loguniform(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    lo, hi = lo_hi
    if lo == hi:
        return float(lo)
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _uniform(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    lo, hi = lo_hi
    return float(lo) if lo == hi else float(rng.uniform(lo, hi))


class MocapWindows:
    """Training (or fixed evaluation) windows of a split; a ``torch.utils.data.Dataset``.

    Args:
        lib: the motion capture library.
        split: ``"train"``, ``"val"`` or ``"test"`` (see :mod:`retarget.data.splits`), or a
            :class:`Split`.
        window: frames per item (64 as TransMoMo); clips shorter than that are skipped.
        stride: frames between window starts.
        augment: random ranges; :data:`NO_AUGMENT` for fixed items (seeded per index).
        paired: also return a second window and the answers of retargeting (see the module
            docstring).
        seed: items are a function of ``(seed, epoch, index)``: reproducible, different each
            epoch (:meth:`set_epoch`); with :data:`NO_AUGMENT` the epoch is ignored.
        px_per_cm: nominal pixels per centimetre.
    """

    def __init__(
        self,
        lib: MocapLibrary,
        split: str | Split = "train",
        window: int = 64,
        stride: int = 32,
        augment: Augment = Augment(),  # noqa: B008 (frozen dataclass)
        paired: bool = False,
        seed: int = 0,
        px_per_cm: float = PX_PER_CM,
    ) -> None:
        if window < 2 or stride < 1:
            raise InvalidArgumentError(
                f"window must be >= 2 and stride >= 1, got {window}, {stride}"
            )
        self.lib = lib
        self.split = get_split(lib, split) if isinstance(split, str) else split
        self.window = int(window)
        self.stride = int(stride)
        self.augment = augment
        self.paired = paired
        self.seed = int(seed)
        self.px_per_cm = float(px_per_cm)
        self.epoch = 0
        self.clips = [c for c in self.split.clips if lib.clips[c].num_frames >= self.window]
        self.characters = list(self.split.characters)
        self._chars_of: dict[str, list[str]] = {}
        for c in self.clips:
            chars = [ch for ch in lib.clips[c].poses if ch in self.characters]
            if not chars:
                chars = [lib.clips[c].character]
            self._chars_of[c] = chars
        self.items = [
            (ci, s)
            for ci, c in enumerate(self.clips)
            for s in range(0, lib.clips[c].num_frames - self.window + 1, self.stride)
        ]
        if not self.items:
            raise InvalidArgumentError(
                f"split {self.split.name!r} has no clip of {self.window}+ frames; use a shorter window"
            )

    def __len__(self) -> int:
        return len(self.items)

    def set_epoch(self, epoch: int) -> None:
        """Draw other random items for the same indices (call once per epoch)."""
        self.epoch = int(epoch)

    def _rng(self, index: int, salt: int = 0) -> np.random.Generator:
        fixed = self.augment == NO_AUGMENT
        return np.random.default_rng([self.seed, 0 if fixed else self.epoch, index, salt])

    def _draw(self, rng: np.random.Generator, clip: str) -> tuple[Performer, View]:
        a = self.augment
        character = str(rng.choice(self._chars_of[clip]))
        factors = (
            random_factors(rng, *a.limb) if a.limb != (1.0, 1.0) else np.ones(len(LIMB_GROUPS))
        )
        perf = Performer(
            "x", character, tuple(float(f) for f in factors), _loguniform(rng, a.scale)
        )
        view = View(_uniform(rng, a.yaw), _uniform(rng, a.roll), _uniform(rng, a.pitch))
        return perf, view

    def _image(self, win: Window, perf: Performer, view: View, facing: float) -> np.ndarray:
        world = perform(self.lib, win, perf)
        return camera_coords(world, view, facing, self.px_per_cm, canvas=(0, 0))

    def __getitem__(self, index: int) -> dict[str, Any]:
        import torch

        ci, start = self.items[index]
        clip = self.clips[ci]
        rng = self._rng(index)
        win = make_window(self.lib, clip, start, start + self.window)
        perf, view = self._draw(rng, clip)
        f_s = random_factors(rng, *self.augment.limb_s)
        g_s = _loguniform(rng, self.augment.scale_s)
        perf_s = Performer(
            "x_s",
            perf.character,
            tuple(float(a * b) for a, b in zip(perf.factors, f_s)),
            perf.global_scale * g_s,
        )
        x3d = self._image(win, perf, view, win.facing_yaw)
        x3d_s = self._image(win, perf_s, view, win.facing_yaw)
        b, b_s = bone_lengths(x3d, 50), bone_lengths(x3d_s, 50)
        out: dict[str, Any] = {
            "x": x3d[..., :2],
            "x3d": x3d,
            "x_s": x3d_s[..., :2],
            "x3d_s": x3d_s,
            "conf": np.ones(x3d.shape[:2]),
            "view": np.array([view.yaw, view.roll, view.pitch]),
            "factors": np.array(perf.factors),
            "factors_s": f_s,
            "scale": perf.global_scale,
            "scale_s": g_s,
            "height": float(height_from_bones(b)),
            "height_s": float(height_from_bones(b_s)),
            "bones": b,
            "bones_s": b_s,
            "character": self.characters.index(perf.character)
            if perf.character in self.characters
            else -1,
            "clip": ci,
            "start": start,
        }
        if self.paired:
            out.update(self._pair(index, win, perf, view))
        return {
            k: torch.as_tensor(
                np.asarray(v),
                dtype=torch.float32 if k not in ("character", "clip", "start") else torch.long,
            )
            for k, v in out.items()
        }

    def _pair(self, index: int, win: Window, perf: Performer, view: View) -> dict[str, np.ndarray]:
        rng = self._rng(index, salt=1)
        cj, start_y = self.items[int(rng.integers(len(self.items)))]
        clip_y = self.clips[cj]
        win_y = make_window(self.lib, clip_y, start_y, start_y + self.window)
        perf_y, view_y = self._draw(rng, clip_y)
        y3d = self._image(win_y, perf_y, view_y, win_y.facing_yaw)
        on_x = transfer_performer(self.lib, win.clip, perf_y)
        xy3d = self._image(win, on_x, view, win.facing_yaw)
        xy3d_view_y = self._image(win, on_x, view_y, win.facing_yaw)
        return {
            "y": y3d[..., :2],
            "y3d": y3d,
            "view_y": np.array([view_y.yaw, view_y.roll, view_y.pitch]),
            "xy": xy3d[..., :2],
            "xy3d": xy3d,
            "xy_view_y": xy3d_view_y[..., :2],
            "xy3d_view_y": xy3d_view_y,
        }


# ---------------------------------------------------------------------------- statistics
@dataclass
class NormStats:
    """Mean and standard deviation of the network input, per joint and coordinate.

    Computed on :func:`retarget.geometry.localize` of the items' ``x`` (2D) and ``x3d`` (3D):
    joints relative to the frame's MidHip, the MidHip slot holding the hip's per-frame
    velocity. Normalise with ``(localize(x) - mean2d) / std2d``. Pixels at the nominal scale.
    """

    mean2d: np.ndarray
    std2d: np.ndarray
    mean3d: np.ndarray
    std3d: np.ndarray
    items: int = 0
    px_per_cm: float = PX_PER_CM

    def normalize(self, local: np.ndarray) -> np.ndarray:
        d = local.shape[-1]
        mean, std = (self.mean2d, self.std2d) if d == 2 else (self.mean3d, self.std3d)
        return (local - mean) / std

    def denormalize(self, z: np.ndarray) -> np.ndarray:
        d = z.shape[-1]
        mean, std = (self.mean2d, self.std2d) if d == 2 else (self.mean3d, self.std3d)
        return z * std + mean

    def to_dict(self) -> dict:
        return {
            "mean2d": self.mean2d.tolist(),
            "std2d": self.std2d.tolist(),
            "mean3d": self.mean3d.tolist(),
            "std3d": self.std3d.tolist(),
            "items": self.items,
            "px_per_cm": self.px_per_cm,
            "representation": "retarget.geometry.localize (MidHip slot = hip velocity)",
        }

    @classmethod
    def from_dict(cls, d: dict) -> NormStats:
        return cls(
            mean2d=np.asarray(d["mean2d"], dtype=np.float64),
            std2d=np.asarray(d["std2d"], dtype=np.float64),
            mean3d=np.asarray(d["mean3d"], dtype=np.float64),
            std3d=np.asarray(d["std3d"], dtype=np.float64),
            items=int(d.get("items", 0)),
            px_per_cm=float(d.get("px_per_cm", PX_PER_CM)),
        )

    def save(self, path: str | Path) -> None:
        with atomic_file(path) as tmp:
            Path(tmp).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> NormStats:
        try:
            return cls.from_dict(json.loads(Path(path).read_text()))
        except (OSError, json.JSONDecodeError, KeyError) as e:
            raise ModelError(f"{path}: not a normalisation statistics JSON ({e})") from None


def compute_norm_stats(dataset: MocapWindows, items: int = 2000, seed: int = 0) -> NormStats:
    """:class:`NormStats` over up to ``items`` items of ``dataset`` (``x`` and ``x_s``)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(dataset), size=min(items, len(dataset)), replace=False)
    two, three = [], []
    for i in idx:
        it = dataset[int(i)]
        for k2, k3 in (("x", "x3d"), ("x_s", "x3d_s")):
            two.append(localize(it[k2].numpy().astype(np.float64)))
            three.append(localize(it[k3].numpy().astype(np.float64)))
    a2 = np.concatenate(two)
    a3 = np.concatenate(three)
    std2, std3 = a2.std(axis=0), a3.std(axis=0)
    return NormStats(
        mean2d=a2.mean(axis=0),
        std2d=np.where(std2 > 1e-6, std2, 1.0),
        mean3d=a3.mean(axis=0),
        std3d=np.where(std3 > 1e-6, std3, 1.0),
        items=len(idx),
        px_per_cm=dataset.px_per_cm,
    )


__all__ = [
    "NO_AUGMENT",
    "REAL_BODIES",
    "STRUCTURE_GROUPS",
    "Augment",
    "MocapWindows",
    "NormStats",
    "compute_norm_stats",
    "transfer_performer",
]
