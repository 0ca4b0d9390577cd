"""Batched training items in torch: the data module's windows and augmentation, vectorised.

:class:`retarget.data.MocapWindows` builds one item at a time in numpy (about 10 ms each);
training wants 32 per step. :class:`BatchSampler` precomputes the train split's windows once
(every clip on every training character of its rig, the data module's forward kinematics) and
draws whole batches on the device with the same augmentation (:class:`retarget.data.dataset.Augment`
ranges): per-limb and global scaling (:func:`scale_limbs`, the torch twin of
:func:`retarget.data.performers.scale_limbs`, tested equal), wider ranges for the structure
groups, the copy ``x_s`` (``x``'s skeleton or, with chance ``other_character``, another real
skeleton performing the same window, limb-scaled), and a random view about the first frame's
hip, in the camera frame of :mod:`retarget.geometry`.

Batch keys: ``x3d`` and ``x3d_s`` ``(B, T, 15, 3)``, centimetres, first frame's MidHip at the
origin (the units do not matter to the model, which divides by the 2D body height).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from skeleton_io.checks import check_options

from ..geometry import BONES, HIP, LEG_BONES
from ..geometry_torch import rotate
from .dataset import STRUCTURE_GROUPS, MocapWindows
from .mocap import MocapLibrary
from .performers import BONE_GROUP, BONE_ORDER, LIMB_GROUPS
from .splits import Split, get_split
from .views import make_window

_LEGS = [b for pair in LEG_BONES for b in pair]


def scale_limbs(
    coords: torch.Tensor, bone_factor: torch.Tensor, floor: torch.Tensor | None, up: int = 1
) -> torch.Tensor:
    """Scale each bone of ``(B, T, 15, D)`` by ``bone_factor`` ``(B, 14)``; children follow.

    With ``floor`` ``(B,)`` the hip's trajectory is scaled by the length-weighted leg factor
    about the floor point below the first frame's hip (as the numpy function does).
    """
    par = [p for p, _ in BONES]
    chi = [c for _, c in BONES]
    vec = coords[..., chi, :] - coords[..., par, :]
    out = coords.clone()
    for e in BONE_ORDER:
        p, c = BONES[e]
        out[..., c, :] = out[..., p, :] + bone_factor[:, e, None, None] * vec[..., e, :]
    if floor is not None:
        lengths = torch.linalg.vector_norm(vec, dim=-1).mean(dim=1)  # (B, 14)
        w = lengths[:, _LEGS]
        k = (bone_factor[:, _LEGS] * w).sum(-1) / w.sum(-1)
        hip = out[..., HIP, :]
        ground = hip[:, :1].clone()
        ground[..., up] = floor[:, None]
        new_hip = ground + k[:, None, None] * (hip - ground)
        out = out + (new_hip - hip)[..., None, :]
    return out


class BatchSampler:
    """Endless random batches of the train split (see the module docstring).

    Args:
        lib: the motion capture.
        split: the split (a name or a :class:`Split`) whose clips and characters are used.
        stride: frames between window starts (finer than the dataset's 32 for variety).
        device: where batches are made.
        seed: the generator's seed.
        options: ``window`` and ``augment`` as :class:`~retarget.data.dataset.MocapWindows`
            takes them (its defaults).
    """

    def __init__(
        self,
        lib: MocapLibrary,
        split: str | Split = "train",
        *,
        stride: int = 8,
        device: torch.device | str = "cpu",
        seed: int = 0,
        **options: Any,
    ) -> None:
        o = check_options(MocapWindows, options, but=("stride", "paired", "seed", "px_per_cm"))
        window, augment = o["window"], o["augment"]
        sp = get_split(lib, split) if isinstance(split, str) else split
        chars = set(sp.characters)
        worlds, floors, facings, partners = [], [], [], []
        for name in sp.clips:
            clip = lib.clips[name]
            if clip.num_frames < window:
                continue
            for start in range(0, clip.num_frames - window + 1, stride):
                win = make_window(lib, name, start, start + window)
                first = len(worlds)
                for ch in clip.poses:
                    if ch in chars or ch == clip.character:
                        worlds.append(lib.pose(name, ch, start, start + window))
                        floors.append(clip.floor)
                        facings.append(win.facing_yaw)
                same = list(range(first, len(worlds)))  # one window on every skeleton
                partners += [[k for k in same if k != i] or [i] for i in same]
        self.device = torch.device(device)
        self.world = torch.as_tensor(np.stack(worlds), dtype=torch.float32, device=self.device)
        self.floor = torch.as_tensor(floors, dtype=torch.float32, device=self.device)
        self.facing = torch.as_tensor(facings, dtype=torch.float32, device=self.device)
        self.augment = augment
        self.group = torch.as_tensor(BONE_GROUP, device=self.device)
        self.structure = torch.tensor(
            [g in STRUCTURE_GROUPS for g in LIMB_GROUPS], device=self.device
        )
        self.world_all = self.world  # every window, for x_s from another skeleton
        self.index = torch.arange(len(worlds), device=self.device)  # into world_all
        width = max(len(p) for p in partners)
        self.partners = torch.as_tensor(
            [p + p[:1] * (width - len(p)) for p in partners], device=self.device
        )  # (N, width): windows of the same clip and frames on other skeletons
        self.gen = torch.Generator(device=self.device).manual_seed(seed)

    def __len__(self) -> int:
        return self.world.shape[0]

    def shard(self, rank: int, world_size: int) -> BatchSampler:
        """Keep every ``world_size``-th window from the ``rank``-th (data-parallel training:
        each process its own windows); returns ``self``."""
        if world_size > 1:
            keep = slice(rank, None, world_size)
            self.world, self.floor, self.facing = (self.world[keep], self.floor[keep],
                                                   self.facing[keep])  # fmt: skip
            self.index = self.index[keep]  # partners (x_s) may lie in other shards
        return self

    def _u(self, n: int, lo_hi: tuple[float, float], log: bool = False) -> torch.Tensor:
        lo, hi = lo_hi
        r = torch.rand(n, generator=self.gen, device=self.device)
        if log:
            return torch.exp(np.log(lo) + r * (np.log(hi) - np.log(lo)))
        return lo + r * (hi - lo)

    def _factors(self, n: int, lo_hi: tuple[float, float]) -> torch.Tensor:
        lo, hi = lo_hi
        r = torch.rand(n, 8, generator=self.gen, device=self.device)
        return torch.exp(np.log(lo) + r * (np.log(hi) - np.log(lo)))

    def __call__(self, batch: int) -> dict[str, torch.Tensor]:
        a = self.augment
        idx = torch.randint(0, len(self), (batch,), generator=self.gen, device=self.device)
        floor = self.floor[idx]
        groups = self._factors(batch, a.limb)
        if a.structure != a.limb:  # (the default draws as before the structure range existed)
            groups = torch.where(self.structure, self._factors(batch, a.structure), groups)
        f = groups[:, self.group] * self._u(batch, a.scale, log=True)[:, None]
        f_s = (
            f
            * self._factors(batch, a.limb_s)[:, self.group]
            * self._u(batch, a.scale_s, log=True)[:, None]
        )
        idx_s = self.index[idx]
        if a.other_character > 0:
            pick = torch.randint(
                0, self.partners.shape[1], (batch,), generator=self.gen, device=self.device
            )
            other = torch.rand(batch, generator=self.gen, device=self.device) < a.other_character
            idx_s = torch.where(other, self.partners[self.index[idx], pick], self.index[idx])
        yaw = self._u(batch, a.yaw) - self.facing[idx]
        roll, pitch = self._u(batch, a.roll), self._u(batch, a.pitch)
        out = {}
        worlds = (("x3d", self.world[idx], f), ("x3d_s", self.world_all[idx_s], f_s))
        for key, world, fac in worlds:
            w = scale_limbs(world, fac, floor)
            cam = w * torch.tensor([1.0, -1.0, -1.0], device=self.device)  # Y-up world -> camera
            center = cam[:, 0, HIP]
            out[key] = rotate(cam - center[:, None, None], yaw, roll=roll, pitch=pitch)
        return out
