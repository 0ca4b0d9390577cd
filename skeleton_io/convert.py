"""Conversion between skeletons, by joint name.

``convert(seq, "openpose15")`` takes every target joint the source has under the same name,
computes derived joints (``Neck`` = mean of the shoulders, ``MidHip`` = mean of the hips,
with the minimum confidence of their inputs) and marks the rest missing (confidence 0).
BVH skeletons carry a ``meta["joint_map"]`` from their own names to this vocabulary (see
:mod:`skeleton_io.formats.bvh`); it is applied first.
"""

from __future__ import annotations

import logging

import numpy as np

from .errors import SkeletonMismatchError
from .group import require_pose
from .pose import PoseSequence
from .skeleton import Skeleton, get_skeleton

log = logging.getLogger(__name__)


def joint_names(seq: PoseSequence) -> list[str]:
    """The source's joint names in the shared vocabulary (after a BVH joint map, if any)."""
    mapping: dict[str, str] = seq.meta.get("joint_map", {}) or {}
    return [mapping.get(j, j) for j in seq.skeleton.joints]


def convert(seq: PoseSequence, target: str | Skeleton, *, strict: bool = False) -> PoseSequence:
    """Re-index ``seq`` onto the ``target`` skeleton by joint name.

    Args:
        seq: the source sequence.
        target: a registered skeleton name or a :class:`Skeleton`.
        strict: raise :class:`SkeletonMismatchError` if any target joint cannot be filled.

    Returns:
        A sequence on ``target``; joints the source lacks have confidence 0.
    """
    require_pose(seq, "seq")
    target = get_skeleton(target)
    if seq.skeleton == target and not seq.meta.get("joint_map"):
        return seq.copy()
    names = joint_names(seq)
    src_index = {n: i for i, n in enumerate(names)}
    T, D = seq.num_frames, seq.dims
    coords = np.zeros((T, target.num_joints, D))
    conf = np.zeros((T, target.num_joints))
    world = None if seq.world is None else np.zeros((T, target.num_joints, 3))
    filled = np.zeros(target.num_joints, dtype=bool)
    for j, name in enumerate(target.joints):
        i = src_index.get(name)
        if i is None:
            continue
        coords[:, j] = seq.coords[:, i]
        conf[:, j] = seq.confidence[:, i]
        if world is not None:
            world[:, j] = seq.world[:, i]
        filled[j] = True
    for rule in target.derived:
        j = target.index.get(rule.name)
        if j is None or filled[j]:
            continue
        idx = [src_index.get(s) for s in rule.sources]
        if any(i is None for i in idx):
            continue
        coords[:, j] = seq.coords[:, idx].mean(axis=1)
        conf[:, j] = seq.confidence[:, idx].min(axis=1)
        if world is not None:
            world[:, j] = seq.world[:, idx].mean(axis=1)
        filled[j] = True
    missing = [n for n, f in zip(target.joints, filled) if not f]
    if missing:
        if strict:
            raise SkeletonMismatchError(
                f"cannot fill joints {', '.join(missing)} of {target.name!r} from "
                f"{seq.skeleton.name!r}"
            )
        log.info("converting %s -> %s: no source for %s", seq.skeleton.name, target.name, missing)
    meta = {k: v for k, v in seq.meta.items() if k != "joint_map"}
    meta["converted_from"] = seq.skeleton.name
    out = PoseSequence(
        coords=coords,
        confidence=conf,
        skeleton=target,
        fps=seq.fps,
        canvas=seq.canvas,
        units=seq.units,
        up=seq.up,
        world=world,
        meta=meta,
    )
    return out


def fill_derived(seq: PoseSequence, never_seen: bool = False) -> PoseSequence:
    """``seq`` with each derived joint of its skeleton (``Neck`` = mean of the shoulders,
    ``MidHip`` = mean of the hips) computed where it is missing and its sources are present
    (confidence: the minimum of theirs); the sequence itself when nothing changes.

    A gap filler in space: a single frame (a photo) has no other frame to fill a missing
    joint from, and joints such as the MidHip root everything measured from it. With
    ``never_seen`` only joints missing in every frame are filled (the others are left to
    filling in time).
    """
    coords, conf = seq.coords, seq.confidence
    changed = False
    for rule in seq.skeleton.derived:
        j = seq.skeleton.index.get(rule.name)
        src = [seq.skeleton.index.get(s) for s in rule.sources]
        if j is None or any(i is None for i in src):
            continue
        fill = (conf[:, j] <= 0) & (conf[:, src] > 0).all(axis=1)
        if not fill.any() or (never_seen and (conf[:, j] > 0).any()):
            continue
        if not changed:
            coords, conf, changed = coords.copy(), conf.copy(), True
        coords[fill, j] = seq.coords[fill][:, src].mean(axis=1)
        conf[fill, j] = seq.confidence[fill][:, src].min(axis=1)
    return seq.with_coords(coords, conf) if changed else seq
