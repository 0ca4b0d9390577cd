"""What this installation has: versions, devices, optional features, registered backends."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import platform
import sys


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def environment_report() -> list[tuple[str, str]]:
    """(name, value) rows: Python, packages, torch devices, optional features."""
    from retarget import __version__

    rows = [
        ("retarget", __version__),
        ("python", sys.version.split()[0]),
        ("platform", platform.platform()),
    ]
    for dist in ("torch", "numpy", "scipy", "einops", "matplotlib", "click", "av", "tqdm",
                 "mediapipe", "opencv-python-headless", "protobuf", "smplx", "ray"):  # fmt: skip
        rows.append((dist, _version(dist)))
    try:
        import torch

        cuda = torch.cuda.is_available()
        rows.append(("torch threads", str(torch.get_num_threads())))
        rows.append(("cuda", f"yes ({torch.cuda.get_device_name(0)})" if cuda else "no (CPU only)"))
    except ImportError:  # pragma: no cover - torch is a hard dependency
        rows.append(("cuda", "torch missing"))
    try:
        importlib.import_module("mediapipe")
        rows.append(("pose from video", "yes (mediapipe BlazePose, bundled models)"))
    except ImportError:
        rows.append(
            ("pose from video", "no: pip install 'retarget[video]' mediapipe==0.10.14 --no-deps")
        )
    rows.append(
        (
            "smpl input",
            "yes (smplx; SMPL model files supplied by you)"
            if _version("smplx") != "not installed"
            else "no: pip install 'retarget[smpl]'",
        )
    )
    rows.append(
        (
            "batch engine",
            "ray (local instance or --ray-address), local processes"
            if _version("ray") != "not installed"
            else "local processes (for Ray: pip install 'retarget[scale]')",
        )
    )
    try:
        eps = md.entry_points(group="retarget.renderers")
        rows.append(("renderers", ", ".join(sorted(ep.name for ep in eps)) or "none"))
    except Exception as e:  # noqa: BLE001 - a broken third-party entry point must not hide the report
        rows.append(("renderers", f"error listing entry points: {e}"))
    return rows
