"""Model folders: ``config.json`` + ``weights.pt`` (+ ``stats.json``), written atomically.

``config.json`` holds a ``format`` tag (``retarget-transmomo/1``, ``retarget-denoiser/1``,
``retarget-renderer/1``...) that says which model reads it, the constructor arguments, the
training settings and the command that trained it. ``weights.pt`` is a plain ``state_dict``
(CPU tensors; loaded with ``weights_only=True``). ``stats.json`` holds the input
normalisation of models that have one. Models may add files of their own beside them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skeleton_io.atomic import atomic_file
from skeleton_io.errors import ModelError, require_files

CONFIG = "config.json"
WEIGHTS = "weights.pt"
STATS = "stats.json"


@dataclass
class ModelFolder:
    """What :func:`read_folder` found. ``state`` is the weights' ``state_dict`` on the CPU."""

    path: Path
    config: dict[str, Any]
    state: dict[str, Any]
    stats: dict[str, Any] | None


def write_folder(
    folder: str | Path,
    config: Mapping[str, Any],
    state: Mapping[str, Any],
    stats: Mapping[str, Any] | None = None,
    files: Mapping[str, str] | None = None,
) -> Path:
    """Write a model folder, each file atomically (a failed write never leaves half a file).

    Args:
        config: JSON-serialisable, with a ``format`` tag.
        state: the network's ``state_dict`` (moved to the CPU here).
        stats: the input statistics (``stats.json``), if the model has them.
        files: other text files by name (e.g. ``noise_stats.json``).
    """
    import torch

    if "format" not in config:
        raise ValueError("a model config needs a 'format' tag")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    texts = {CONFIG: json.dumps(dict(config), indent=1, default=str) + "\n"}
    if stats is not None:
        texts[STATS] = json.dumps(dict(stats), indent=1) + "\n"
    texts.update(files or {})
    for name, text in texts.items():
        with atomic_file(folder / name) as tmp:
            Path(tmp).write_text(text)
    cpu = {k: v.detach().cpu() if hasattr(v, "detach") else v for k, v in state.items()}
    with atomic_file(folder / WEIGHTS) as tmp:
        torch.save(cpu, tmp)
    return folder


def read_folder(
    folder: str | Path,
    formats: str | Sequence[str],
    what: str,
    hint: str,
    stats: bool = True,
) -> ModelFolder:
    """Read a model folder written by :func:`write_folder`.

    Args:
        formats: the ``format`` tag (or tags) this model reads.
        what: what the folder should be, for messages ("denoiser model folder").
        hint: how to get a good one ("pass a `retarget train-denoiser` output").
        stats: the model needs ``stats.json``.

    Raises:
        ModelError: a missing file, another model's folder, or a file that does not load;
            the message names the folder and says what to do.
    """
    import torch

    folder = Path(folder)
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    require_files(folder, (CONFIG, WEIGHTS, *((STATS,) if stats else ())), what, hint)
    try:
        config = json.loads((folder / CONFIG).read_text())
        if not isinstance(config, dict) or config.get("format") not in formats:
            found = config.get("format") if isinstance(config, dict) else None
            raise ModelError(
                f"{folder / CONFIG}: not a {what} (format {found!r}, expected "
                f"{' or '.join(map(repr, formats))}); {hint}"
            )
        st = json.loads((folder / STATS).read_text()) if stats else None
        state = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True)
    except ModelError:
        raise
    except (OSError, ValueError, RuntimeError, EOFError, TypeError) as e:
        raise ModelError(
            f"{folder}: cannot read the {what} ({str(e).splitlines()[0]}); {hint}"
        ) from None
    return ModelFolder(folder, config, state, st)


def load_state(net: Any, folder: ModelFolder, what: str, hint: str) -> Any:
    """``net`` with the folder's weights (dtype converted to the net's); a mismatch of
    names or shapes is a :class:`ModelError` naming the folder."""
    try:
        own = net.state_dict()
        net.load_state_dict(
            {k: v.to(own[k].dtype) if k in own else v for k, v in folder.state.items()}
        )
    except (RuntimeError, KeyError, TypeError) as e:
        raise ModelError(
            f"{folder.path}: the weights do not fit the {what} ({str(e).splitlines()[0]}); {hint}"
        ) from None
    return net


__all__ = ["CONFIG", "STATS", "WEIGHTS", "ModelFolder", "load_state", "read_folder", "write_folder"]
