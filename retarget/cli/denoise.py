"""``retarget denoise``: clean and smooth a pose sequence (any pose input)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ..denoising import CleanupOptions, parse_params
from ..pipeline.poses import denoise_file
from .common import path_command
from .options import method_options, opt, pose_io_options, read_pose_kwargs, use_options

log = logging.getLogger(__name__)


@path_command("denoise", ("input_path", "INPUT"))
@use_options(
    method_options(),
    opt("max_gap", suffix=f" [default: {CleanupOptions.max_gap}]."),
    "no_cleanup",
    pose_io_options,
)
def denoise_cmd(
    input_path: Path,
    output: Path,
    method: str,
    params: tuple[str, ...],
    max_gap: float | None,
    no_cleanup: bool,
    out_format: str,
    skeleton: str | None,
    overwrite: bool,
    **kw,
) -> None:
    """Read INPUT (a video, an image or any pose file), remove jitter, outliers, left/right
    swaps and short dropouts, and write the cleaned pose sequence."""
    options = parse_params(method, params)
    cleanup: CleanupOptions | bool | None = None  # the method's own default
    if no_cleanup:
        cleanup = False
    elif max_gap is not None:
        cleanup = CleanupOptions(max_gap=max_gap)
    out = denoise_file(
        input_path,
        output,
        method=method,
        options=options,
        cleanup=cleanup,
        out_format=out_format,
        skeleton=skeleton,
        overwrite=overwrite,
        **read_pose_kwargs(**kw),
    )
    info = out.meta["denoise"]
    click.echo(
        f"wrote {output} ({out_format}, {method}): {out.num_frames} frames; "
        f"filled {_count(info.get('filled'))}, outliers {_count(info.get('outliers'))}, "
        f"swapped {_count(info.get('swapped'))} joint-frames",
        err=True,
    )


def _count(runs: dict[str, list[list[int]]] | None) -> int:
    return sum(e - s for r in (runs or {}).values() for s, e in r)
