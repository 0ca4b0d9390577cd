"""The ``retarget`` command line. Each subcommand only parses arguments and calls a library
function; errors of the toolkit become one line on stderr and exit code 2."""

from __future__ import annotations

from . import denoise as _denoise  # noqa: F401,E402
from . import env as _env  # noqa: F401,E402  (registers the subcommand)
from . import evaluate as _evaluate  # noqa: F401,E402
from . import extract as _extract  # noqa: F401,E402
from . import plot as _plot  # noqa: F401,E402
from . import render as _render  # noqa: F401,E402
from . import train as _train  # noqa: F401,E402
from . import train_denoiser as _train_denoiser  # noqa: F401,E402
from . import transfer as _transfer  # noqa: F401,E402
from .common import cli, main

__all__ = ["cli", "main"]
