"""The native format: one ``.npz`` holding the arrays and a JSON header. Lossless.

Keys: ``coords`` (T, J, D) float64, ``confidence`` (T, J) float64, optionally ``world``
(T, J, 3), and ``header`` (a JSON string: skeleton table, fps, canvas, units, up, meta),
``format`` = ``"retarget-pose/1"``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..atomic import atomic_file
from ..errors import PoseFormatError
from ..pose import PoseSequence
from ..skeleton import Skeleton

FORMAT_TAG = "retarget-pose/1"


def is_native(path: str | Path) -> bool:
    try:
        with np.load(path, allow_pickle=False) as z:
            return "format" in z.files and str(z["format"]) == FORMAT_TAG
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return False


def save(seq: PoseSequence, path: str | Path) -> None:
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


def load(path: str | Path) -> PoseSequence:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if "format" not in z.files or str(z["format"]) != FORMAT_TAG:
                raise PoseFormatError(
                    f"{path}: not a native pose file (no '{FORMAT_TAG}' tag); "
                    "name its format (`format`)"
                )
            header = json.loads(str(z["header"]))
            coords, conf = z["coords"], z["confidence"]
            world = z["world"] if "world" in z.files else None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as e:
        if isinstance(e, PoseFormatError):
            raise
        raise PoseFormatError(
            f"{path}: cannot read native pose file ({e}); is it truncated?"
        ) from None
    return PoseSequence(
        coords=coords,
        confidence=conf,
        skeleton=Skeleton.from_dict(header["skeleton"]),
        fps=header["fps"],
        canvas=tuple(header["canvas"]) if header.get("canvas") else None,
        units=header.get("units", "px"),
        up=header.get("up", "-y"),
        world=world,
        meta=header.get("meta", {}),
    )
