"""Motion capture as ``openpose15`` 3D joints: read every BVH once, cache it, load it fast.

:meth:`MocapLibrary.load` walks a folder of BVH files (``../shared/mocap`` or your own), and
for every clip computes forward kinematics with every *character* (a measured skeleton) of
the same *rig* (see below), maps the joints onto ``openpose15`` (``Neck`` and ``MidHip`` as midpoints),
resamples to 30 fps and converts to centimetres. The result is cached as one ``.npz`` under
``cache_dir`` (default ``$RETARGET_CACHE`` or ``~/.cache/retarget``), keyed by the files'
names, sizes and modification times; a second load reads only the cache.

Frame: the BVH world frame turned so that up is ``+y`` (the files here are all Y-up),
centimetres. The floor of a clip is the lowest ankle height of its own character.

Characters and units by source folder (:data:`SOURCES`); folders not listed are loaded with
units guessed from the body height and may be used for training (they are the user's).

Families and rigs:

* a *family* is the characters whose hierarchies have the same joint names (CMU subjects 01,
  02 and 03);
* a *rig* is the families whose hierarchies are one convention under other names (:func:`_same_rig`):
  the same parents, the same rotation channels per joint, the same joints mapped to
  ``openpose15``, and limb OFFSETs pointing the same way (within :data:`RIG_LIMB_DEGREES`),
  so that a joint rotation means the same on both. The Xia walks are written on a CMU ASF
  skeleton under Mixamo-like names: one rig with the CMU subjects. A clip is performed by every
  character of its rig: forward kinematics of its rotations on that character's OFFSETs (in
  the character's units), the exact answer of retargeting it onto that skeleton, structure
  (spine, neck, clavicle and hip-joint offsets) included.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from skeleton_io.atomic import atomic_file
from skeleton_io.errors import InputNotFoundError, PoseFormatError
from skeleton_io.formats.bvh import BvhMotion, guess_units, joint_map, read_bvh
from skeleton_io.skeleton import OPENPOSE15

from ..geometry import BONES, bone_lengths, camera_basis, height_from_bones, leg_length
from .performers import scale_root

log = logging.getLogger(__name__)

FPS = 30.0
"""Frame rate of every clip in the library."""

CACHE_VERSION = 2
"""Bumped whenever preprocessing changes, so old caches are not used."""

RIG_LIMB_DEGREES = 5.0
"""Largest angle between two rigs' OFFSET directions of a limb bone (upper arm, forearm,
thigh, shin) for them to count as one rig convention (CMU subjects and the Xia walks: 0.1)."""

_UNIT_CM = {"cm": 1.0, "m": 100.0, "mm": 0.1, "in": 2.54, "dm": 10.0}
ASF_UNIT_CM = 2.54 / 0.45
"""CMU ASF length unit (1/0.45 inch) in cm; the Xia walks are written in it."""


@dataclass(frozen=True)
class Source:
    """What the project knows about a source folder of ``../shared/mocap``.

    Attributes:
        train_ok: its licence lets a model the package ships be trained on it.
        unit_cm: centimetres per file unit (None: guessed from the body height).
        per_subfolder: each subfolder is one real person (CMU subjects 01, 02, 03).
    """

    train_ok: bool
    unit_cm: float | None = 1.0
    per_subfolder: bool = False


SOURCES: dict[str, Source] = {
    "cmu_subjects": Source(train_ok=True, per_subfolder=True),
    "cmu_dance_basketball": Source(train_ok=True),
    "bandai_namco_1": Source(train_ok=False),
    "xia_styles": Source(train_ok=False, unit_cm=ASF_UNIT_CM),
    "format_samples": Source(train_ok=False, unit_cm=None),
}


def default_cache_dir() -> Path:
    """``$RETARGET_CACHE`` or ``~/.cache/retarget``."""
    env = os.environ.get("RETARGET_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "retarget"


@dataclass
class Character:
    """A real skeleton measured on a person.

    Attributes:
        name: ``"cmu_subjects/01"``, ``"bandai_namco_1"``, ...
        family: name of its family (characters whose BVH joint names match).
        rig: name of its rig (families of one hierarchy convention; see the module docstring).
        dataset: top-level source folder.
        bones: ``(14,)`` median ``openpose15`` bone lengths over its own clips, cm.
        train_ok: see :class:`Source`.
    """

    name: str
    family: str
    dataset: str
    bones: np.ndarray
    train_ok: bool
    rig: str = ""

    @property
    def height(self) -> float:
        """Skeleton height in cm (:func:`retarget.geometry.height_from_bones`)."""
        return float(height_from_bones(self.bones))

    @property
    def leg(self) -> float:
        return float(leg_length(self.bones))


@dataclass
class Clip:
    """One motion capture clip at 30 fps.

    Attributes:
        name: path below the library root without ``.bvh``, e.g. ``"cmu_subjects/01/01_01"``.
        dataset: top-level folder.
        family: the family of its hierarchy.
        character: the character that performed it.
        group: a coarse motion label for stratified sampling (the name without the take and
            style, e.g. ``"dataset-1_walk-back"``).
        floor: ground height (cm) of the clip.
        poses: ``{character: (T, 15, 3) float32}`` the clip by forward kinematics with each
            character of its rig (cm, Y-up world frame).
        source_fps: the file's frame rate before resampling.
    """

    name: str
    dataset: str
    family: str
    character: str
    group: str
    floor: float
    poses: dict[str, np.ndarray] = field(repr=False)
    source_fps: float = FPS

    @property
    def num_frames(self) -> int:
        return next(iter(self.poses.values())).shape[0]


@dataclass
class MocapLibrary:
    """Every clip of a motion capture folder as ``openpose15`` joints (see the module doc)."""

    root: Path
    clips: dict[str, Clip]
    characters: dict[str, Character]
    seconds: float = 0.0
    """Time the last :meth:`load` took (preprocessing or reading the cache)."""
    from_cache: bool = False

    # ------------------------------------------------------------------ queries
    def pose(
        self, clip: str, character: str | None = None, start: int = 0, stop: int | None = None
    ) -> np.ndarray:
        """``(T, 15, 3)`` float64 positions of frames ``start:stop`` of a clip on a character
        (default the clip's own)."""
        c = self.clips[clip]
        ch = character or c.character
        if ch not in c.poses:
            raise InvalidCharacter(
                f"clip {clip!r} (family {c.family!r}) has no forward kinematics with character "
                f"{ch!r}; choose one of {', '.join(c.poses)}"
            )
        return c.poses[ch][start:stop].astype(np.float64)

    def family_characters(self, family: str) -> list[str]:
        return sorted(n for n, c in self.characters.items() if c.family == family)

    def summary(self) -> dict:
        """Counts per dataset: clips, frames, characters."""
        out: dict[str, dict] = {}
        for c in self.clips.values():
            d = out.setdefault(c.dataset, {"clips": 0, "frames": 0, "characters": set()})
            d["clips"] += 1
            d["frames"] += c.num_frames
            d["characters"].add(c.character)
        return {k: {**v, "characters": sorted(v["characters"])} for k, v in sorted(out.items())}

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        root: str | Path,
        cache_dir: str | Path | None = None,
        *,
        refresh: bool = False,
        datasets: Iterable[str] | None = None,
    ) -> MocapLibrary:
        """Load a folder of BVH files, from the cache when it is up to date.

        Args:
            root: the motion capture folder (e.g. ``../shared/mocap``).
            cache_dir: where the preprocessed ``.npz`` goes (never inside the repository);
                default :func:`default_cache_dir`. Pass ``False``-like ``""`` to not cache.
            refresh: preprocess even if a cache exists.
            datasets: only these top-level folders (default all).
        """
        t0 = time.perf_counter()
        root = Path(root)
        if not root.is_dir():
            raise InputNotFoundError(
                f"{root}: no such motion capture folder; pass `data`, a folder of BVH files"
            )
        files = sorted(root.rglob("*.bvh"))
        if datasets is not None:
            keep = set(datasets)
            files = [f for f in files if f.relative_to(root).parts[0] in keep]
        if not files:
            raise InputNotFoundError(f"{root}: no .bvh files found; check `data`")
        key = _cache_key(root, files)
        cache = None
        if cache_dir != "":
            cache = Path(cache_dir or default_cache_dir()) / f"mocap15_{key}.npz"
        if cache is not None and cache.exists() and not refresh:
            try:
                lib = _read_cache(cache, root)
                lib.seconds = time.perf_counter() - t0
                lib.from_cache = True
                return lib
            except (OSError, ValueError, KeyError) as e:
                log.warning("%s: unreadable cache (%s); preprocessing again", cache, e)
        lib = _preprocess(root, files)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            _write_cache(lib, cache)
        lib.seconds = time.perf_counter() - t0
        log.info("preprocessed %d clips in %.1f s", len(lib.clips), lib.seconds)
        return lib


class InvalidCharacter(PoseFormatError):
    """A clip cannot be performed by a character of another rig."""


# ----------------------------------------------------------------------- preprocessing
def _cache_key(root: Path, files: list[Path]) -> str:
    h = hashlib.sha1(f"v{CACHE_VERSION}".encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _group(stem: str) -> str:
    parts = stem.rsplit("_", 2)
    return parts[0] if len(parts) == 3 else stem


@dataclass
class _Parsed:
    name: str
    dataset: str
    motion: BvhMotion
    names15: list[int]  # BVH joint index for each openpose15 joint (-1: derived)
    up: np.ndarray  # (3, 3) file -> Y-up
    unit: float
    effective: np.ndarray  # (J, 3) constant translations (the measured skeleton)
    fixed: np.ndarray  # (J,) bool: translation is constant over time
    subfolder: str | None


J15 = {n: i for i, n in enumerate(OPENPOSE15.joints)}
_SOURCE_NAMES = ("RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "Nose")  # fmt: skip


def _parse(root: Path, path: Path) -> _Parsed | None:
    rel = path.relative_to(root)
    dataset = rel.parts[0] if len(rel.parts) > 1 else ""
    src = SOURCES.get(dataset)
    motion = read_bvh(path)
    if motion.num_frames < 2:
        log.warning("%s: fewer than 2 frames; skipped", path)
        return None
    pos0 = motion.slice_frames(0, min(motion.num_frames, 30)).positions()
    mapping = joint_map(motion.names, motion.parents, pos0)
    inv = {v: motion.names.index(k) for k, v in mapping.items()}
    missing = [n for n in _SOURCE_NAMES if n not in inv]
    if missing:
        log.warning("%s: no joint for %s; skipped", path, ", ".join(missing))
        return None
    idx = [inv.get(n, -1) for n in OPENPOSE15.joints]
    trans = motion.translations()
    fixed = trans.std(axis=0).max(axis=1) < 1e-3
    fixed[[j.parent < 0 for j in motion.joints]] = False
    effective = np.median(trans, axis=0)
    # Up axis from a rest-ish frame: ankles to head.
    d = (pos0[:, inv["Nose"]] - pos0[:, [inv["LAnkle"], inv["RAnkle"]]].mean(axis=1)).mean(0)
    a = int(np.argmax(np.abs(d)))
    up = "+-"[int(d[a] < 0)] + "xyz"[a]
    to_yup = np.eye(3)
    if up != "+y":
        facing = "+z" if up[1] != "z" else "-y"
        to_yup = camera_basis("+y", "+z").T @ camera_basis(up, facing)
    unit = src.unit_cm if src is not None else None
    if unit is None:
        height = float(
            np.percentile(
                np.abs(pos0[:, inv["Nose"]] - pos0[:, [inv["LAnkle"], inv["RAnkle"]]].mean(1))
                @ np.abs(np.eye(3)[a]),
                50,
            )
        )
        guess = guess_units(height * 1.15)
        if guess in _UNIT_CM:
            unit = _UNIT_CM[guess]
        elif 120 <= height * 1.15 * ASF_UNIT_CM <= 230:
            unit = ASF_UNIT_CM
        else:
            log.warning(
                "%s: cannot tell the units (head %.3g above the ankles); assuming cm", path, height
            )
            unit = 1.0
    sub = rel.parts[1] if (src is not None and src.per_subfolder and len(rel.parts) > 2) else None
    return _Parsed(
        name=str(rel.with_suffix("")),
        dataset=dataset,
        motion=motion,
        names15=idx,
        up=to_yup,
        unit=float(unit),
        effective=effective,
        fixed=fixed,
        subfolder=sub,
    )


def _to15(p: _Parsed, pos: np.ndarray) -> np.ndarray:
    """``(T, Jbvh, 3)`` file positions -> ``(T, 15, 3)`` cm, Y-up, with derived joints."""
    out = np.empty((pos.shape[0], 15, 3))
    for j, src in enumerate(p.names15):
        if src >= 0:
            out[:, j] = pos[:, src]
    jn = {n: i for i, n in enumerate(OPENPOSE15.joints)}
    out[:, jn["Neck"]] = 0.5 * (out[:, jn["LShoulder"]] + out[:, jn["RShoulder"]])
    out[:, jn["MidHip"]] = 0.5 * (out[:, jn["LHip"]] + out[:, jn["RHip"]])
    return (out @ p.up.T) * p.unit


def _resample(x: np.ndarray, fps: float) -> np.ndarray:
    """Positions ``(T, ...)`` at ``fps`` to :data:`FPS` (every k-th frame, else linear)."""
    if not math.isfinite(fps) or abs(fps - FPS) < 1e-3:
        return x
    ratio = fps / FPS
    if abs(ratio - round(ratio)) < 1e-3 and round(ratio) >= 1:
        return x[:: int(round(ratio))]
    t_new = np.arange(0, (x.shape[0] - 1) / fps + 1e-9, 1 / FPS)
    t_old = np.arange(x.shape[0]) / fps
    flat = x.reshape(x.shape[0], -1)
    out = np.stack([np.interp(t_new, t_old, flat[:, k]) for k in range(flat.shape[1])], axis=1)
    return out.reshape(len(t_new), *x.shape[1:])


def _skeleton_key(p: _Parsed) -> tuple:
    eff = np.where(p.fixed[:, None], p.effective, 0.0)
    return (tuple(p.motion.names), tuple(np.round(eff * p.unit, 1).ravel().tolist()))


def _rest_positions(p: _Parsed) -> np.ndarray:
    """``(J, 3)`` joint positions of the rig with every rotation zero (OFFSETs summed), Y-up."""
    off = np.where(p.fixed[:, None], p.effective, p.motion.offsets)
    pos = np.zeros_like(off)
    for j, parent in enumerate(p.motion.parents):
        pos[j] = off[j] if parent < 0 else pos[parent] + off[j]
    return pos @ p.up.T


_LIMB_BONES = [BONES.index((J15[a], J15[b])) for a, b in (
    ("RShoulder", "RElbow"), ("RElbow", "RWrist"), ("LShoulder", "LElbow"), ("LElbow", "LWrist"),
    ("RHip", "RKnee"), ("RKnee", "RAnkle"), ("LHip", "LKnee"), ("LKnee", "LAnkle"),
)]  # fmt: skip


def _same_rig(p: _Parsed, q: _Parsed) -> bool:
    """Whether a joint rotation of ``p``'s hierarchy means the same on ``q``'s (see the module
    docstring): same parents, rotation channels, mapped joints and up axis, and limb OFFSETs
    within :data:`RIG_LIMB_DEGREES` of each other."""
    if p.motion.parents != q.motion.parents or p.names15 != q.names15:
        return False
    if not np.allclose(p.up, q.up):
        return False
    for a, b in zip(p.motion.joints, q.motion.joints):
        if [c for c in a.channels if "rotation" in c] != [c for c in b.channels if "rotation" in c]:
            return False
    rp, rq = _rest_positions(p), _rest_positions(q)
    for e in _LIMB_BONES:
        par, child = (p.names15[k] for k in BONES[e])
        u, v = rp[child] - rp[par], rq[child] - rq[par]
        cos = float(u @ v) / max(float(np.linalg.norm(u) * np.linalg.norm(v)), 1e-12)
        if cos < math.cos(math.radians(RIG_LIMB_DEGREES)):
            return False
    return True


def _performed_by(p: _Parsed, q: _Parsed, floor: float, own_leg: float) -> np.ndarray:
    """``(T, 15, 3)`` clip ``p`` on character ``q``'s skeleton (same rig): ``p``'s rotations,
    ``q``'s constant OFFSETs (in ``p``'s units), the hip's path scaled by the leg ratio."""
    offsets = p.motion.offsets + np.where(
        (p.fixed & q.fixed)[:, None], q.effective * (q.unit / p.unit) - p.effective, 0.0
    )
    pos = _resample(_to15(p, p.motion.positions(offsets=offsets)), p.motion.fps)
    k = float(leg_length(bone_lengths(pos, 50))) / own_leg
    return scale_root(pos, k, floor=floor, up=1)


def _preprocess(root: Path, files: list[Path]) -> MocapLibrary:
    parsed = [p for p in (_parse(root, f) for f in files) if p is not None]
    # Characters: distinct measured skeletons; families: same joint names; rigs: families of
    # one hierarchy convention.
    fam_of: dict[tuple, str] = {}
    char_of: dict[tuple, str] = {}
    per_base: dict[str, int] = {}
    rep: dict[str, _Parsed] = {}
    for p in parsed:
        key = _skeleton_key(p)
        if key in char_of:
            continue
        base = p.dataset + (f"/{p.subfolder}" if p.subfolder else "")
        per_base[base] = per_base.get(base, 0) + 1
        name = base if per_base[base] == 1 else f"{base}#{per_base[base]}"
        char_of[key] = name
        fam_of.setdefault(key[0], name)
        rep[name] = p
    rig_of: dict[str, str] = {}
    for fam in dict.fromkeys(fam_of.values()):
        rig_of[fam] = next(
            (r for r in dict.fromkeys(rig_of.values()) if _same_rig(rep[fam], rep[r])), fam
        )
    rig_members: dict[str, list[str]] = {}
    for key, name in char_of.items():
        rig_members.setdefault(rig_of[fam_of[key[0]]], []).append(name)

    clips: dict[str, Clip] = {}
    for p in parsed:
        key = _skeleton_key(p)
        own = char_of[key]
        fam = fam_of[key[0]]
        poses: dict[str, np.ndarray] = {}
        own_pos = _resample(_to15(p, p.motion.positions()), p.motion.fps)
        floor = float(own_pos[:, [J15["LAnkle"], J15["RAnkle"]], 1].min())
        poses[own] = own_pos
        own_leg = float(leg_length(bone_lengths(own_pos, 50)))
        for other in rig_members[rig_of[fam]]:
            if other != own:
                poses[other] = _performed_by(p, rep[other], floor, own_leg)
        clips[p.name] = Clip(
            name=p.name,
            dataset=p.dataset,
            family=fam,
            character=own,
            group=_group(Path(p.name).name),
            floor=floor,
            poses={k: v.astype(np.float32) for k, v in poses.items()},
            source_fps=float(p.motion.fps),
        )
    characters: dict[str, Character] = {}
    for key, name in char_of.items():
        own = [c for c in clips.values() if c.character == name]
        lengths = np.concatenate([bone_lengths(c.poses[name].astype(np.float64)) for c in own])
        src = SOURCES.get(own[0].dataset)
        characters[name] = Character(
            name=name,
            family=fam_of[key[0]],
            dataset=own[0].dataset,
            bones=np.nanmedian(lengths, axis=0),
            train_ok=True if src is None else src.train_ok,
            rig=rig_of[fam_of[key[0]]],
        )
    return MocapLibrary(root=root, clips=clips, characters=characters)


# ----------------------------------------------------------------------- cache
def _write_cache(lib: MocapLibrary, path: Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    index = {"version": CACHE_VERSION, "clips": [], "characters": []}
    for i, c in enumerate(lib.clips.values()):
        entry = {
            "name": c.name,
            "dataset": c.dataset,
            "family": c.family,
            "character": c.character,
            "group": c.group,
            "floor": c.floor,
            "source_fps": c.source_fps,
            "poses": [],
        }
        for k, (ch, arr) in enumerate(c.poses.items()):
            arrays[f"p{i}_{k}"] = arr
            entry["poses"].append(ch)
        index["clips"].append(entry)
    for ch in lib.characters.values():
        index["characters"].append(
            {
                "name": ch.name,
                "family": ch.family,
                "dataset": ch.dataset,
                "bones": ch.bones.tolist(),
                "train_ok": ch.train_ok,
                "rig": ch.rig,
            }
        )
    arrays["index"] = np.array(json.dumps(index))
    with atomic_file(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def _read_cache(path: Path, root: Path) -> MocapLibrary:
    with np.load(path, allow_pickle=False) as z:
        index = json.loads(str(z["index"]))
        if index.get("version") != CACHE_VERSION:
            raise ValueError("old cache version")
        clips = {}
        for i, e in enumerate(index["clips"]):
            poses = {ch: z[f"p{i}_{k}"] for k, ch in enumerate(e["poses"])}
            clips[e["name"]] = Clip(
                name=e["name"],
                dataset=e["dataset"],
                family=e["family"],
                character=e["character"],
                group=e["group"],
                floor=float(e["floor"]),
                poses=poses,
                source_fps=float(e["source_fps"]),
            )
    characters = {
        c["name"]: Character(
            name=c["name"],
            family=c["family"],
            dataset=c["dataset"],
            bones=np.asarray(c["bones"], dtype=np.float64),
            train_ok=bool(c["train_ok"]),
            rig=c["rig"],
        )
        for c in index["characters"]
    }
    return MocapLibrary(root=root, clips=clips, characters=characters)


__all__ = [
    "ASF_UNIT_CM",
    "BONES",
    "FPS",
    "SOURCES",
    "Character",
    "Clip",
    "InvalidCharacter",
    "MocapLibrary",
    "Source",
    "default_cache_dir",
]
