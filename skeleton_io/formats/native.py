"""The native format: one ``.npz`` holding the arrays and a JSON header. Lossless.

One person (``format`` = ``"retarget-pose/1"``): ``coords`` (T, J, D) float64,
``confidence`` (T, J) float64, optionally ``world`` (T, J, 3), and ``header`` (a JSON
string: skeleton table, fps, canvas, units, up, meta).

Several people (a :class:`~skeleton_io.group.PoseGroup`, ``format`` =
``"retarget-pose-group/1"``): the same arrays with a leading people axis (``coords``
(K, T, J, D), ...; ``world`` only when every track has one), ``track_ids`` (K,) int64, and a
header whose ``meta`` is the group's and whose ``tracks`` lists each track's ``id`` and
``meta``. :func:`load` returns its only person, or the main one with a warning;
:func:`load_group` returns every person (a one-person file gives a group of one).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_file
from ..errors import PoseFormatError
from ..group import PoseGroup, one_person
from ..pose import PoseSequence
from ..skeleton import Skeleton

FORMAT_TAG = "retarget-pose/1"
GROUP_TAG = "retarget-pose-group/1"


def is_native(path: str | Path) -> bool:
    try:
        with open_npz(Path(path)) as z:
            return "format" in z.files and str(z["format"]) in (FORMAT_TAG, GROUP_TAG)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return False


def save(seq: PoseSequence | PoseGroup, path: str | Path) -> None:
    """Write one person's sequence, or a group (see the module docstring)."""
    if isinstance(seq, PoseGroup):
        save_group(seq, path)
        return
    arrays = {
        "coords": seq.coords,
        "confidence": seq.confidence,
        "header": np.array(PoseSequence.header_json(seq)),
        "format": np.array(FORMAT_TAG),
    }
    if seq.world is not None:
        arrays["world"] = seq.world
    with atomic_file(path, suffix=".npz") as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def open_npz(path: Path) -> Any:
    """``np.load`` of an ``.npz``, or :class:`PoseFormatError` naming the file when it is
    not a zip archive of arrays (numpy would try it as a pickle and talk about that)."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise PoseFormatError(f"{path}: cannot read ({e.strerror or e})") from None
    if magic[:2] != b"PK":
        what = "empty" if not magic else "not a zip archive of arrays"
        raise PoseFormatError(f"{path}: not an .npz file ({what}); is it another format?")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise PoseFormatError(
            f"{path}: not a readable .npz ({e}); is the file truncated?"
        ) from None


def _read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and arrays of a native file (one person or a group)."""
    try:
        with open_npz(path) as z:
            tag = str(z["format"]) if "format" in z.files else None
            if tag not in (FORMAT_TAG, GROUP_TAG):
                raise PoseFormatError(
                    f"{path}: not a native pose file (no '{FORMAT_TAG}' tag); "
                    "name its format (`format`)"
                )
            missing = [k for k in ("coords", "confidence", "header") if k not in z.files]
            if missing:
                raise PoseFormatError(
                    f"{path}: a native pose file without {', '.join(missing)}; is it damaged?"
                )
            header = json.loads(str(z["header"]))
            if not isinstance(header, dict):
                raise PoseFormatError(
                    f"{path}: a native pose file whose header is not a JSON object"
                )
            arrays = {
                k: z[k] for k in ("coords", "confidence", "world", "track_ids") if k in z.files
            }
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as e:
        if isinstance(e, PoseFormatError):
            raise
        raise PoseFormatError(
            f"{path}: cannot read native pose file ({e}); is it truncated?"
        ) from None
    header["_tag"] = tag
    return header, arrays


def _sequence(header: dict[str, Any], coords: np.ndarray, conf: np.ndarray, world: Any,
              meta: dict[str, Any]) -> PoseSequence:  # fmt: skip
    if not isinstance(header, dict) or not isinstance(header.get("skeleton"), dict):
        raise PoseFormatError("a native pose file whose header has no skeleton; is it damaged?")
    try:
        skeleton = Skeleton.from_dict(header["skeleton"])
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise PoseFormatError(
            f"a native pose file whose skeleton table is damaged ({type(e).__name__}: {e})"
        ) from None
    return PoseSequence(
        coords=coords,
        confidence=conf,
        skeleton=skeleton,
        fps=header.get("fps"),
        canvas=tuple(header["canvas"]) if header.get("canvas") else None,
        units=header.get("units", "px"),
        up=header.get("up", "-y"),
        world=world,
        meta=meta,
    )


def load_group(path: str | Path) -> PoseGroup:
    """Every person of a native file (a one-person file: a group of one, id 0)."""
    path = Path(path)
    header, a = _read(path)
    if header["_tag"] == FORMAT_TAG:
        seq = _sequence(
            header, a["coords"], a["confidence"], a.get("world"), header.get("meta", {})
        )
        return PoseGroup.from_sequence(seq, int(seq.meta.get("track_id", 0)))
    tracks = header.get("tracks") or []
    ids = a.get("track_ids")
    K = a["coords"].shape[0] if a["coords"].ndim == 4 else -1
    if ids is None or len(ids) != K or len(tracks) != K:
        raise PoseFormatError(
            f"{path}: a native group file whose arrays, track ids and header disagree on the "
            "number of people; is it damaged?"
        )
    world = a.get("world")
    seqs = {
        int(tid): _sequence(header, a["coords"][k], a["confidence"][k],
                            None if world is None else world[k], tracks[k].get("meta", {}))
        for k, tid in enumerate(ids)
    }  # fmt: skip
    return PoseGroup(seqs, header.get("meta", {}))


def load(path: str | Path) -> PoseSequence:
    """One person: the file's only person, or its main one with a warning."""
    path = Path(path)
    header, a = _read(path)
    if header["_tag"] == GROUP_TAG:
        return one_person(load_group(path), path)
    return _sequence(header, a["coords"], a["confidence"], a.get("world"), header.get("meta", {}))


def save_group(group: PoseGroup, path: str | Path) -> None:
    """Write a group losslessly (see the module docstring)."""
    coords, conf = group.stacked()
    first = group.first
    header = first.header()
    header["meta"] = group.meta
    header["tracks"] = [{"id": k, "meta": s.meta} for k, s in group.items()]
    try:
        text = json.dumps(header)
    except TypeError as e:
        raise PoseFormatError(f"pose metadata is not JSON-serialisable: {e}") from None
    arrays = {
        "coords": coords,
        "confidence": conf,
        "track_ids": np.array(group.ids, dtype=np.int64),
        "header": np.array(text),
        "format": np.array(GROUP_TAG),
    }
    if all(s.world is not None for _k, s in group.items()):
        arrays["world"] = np.stack([s.world for _k, s in group.items()])
    with atomic_file(path, suffix=".npz") as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
