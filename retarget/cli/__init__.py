"""The ``retarget`` command line. Each subcommand only parses arguments and calls a library
function; errors of the toolkit become one line on stderr and exit code 2. Subcommands are
listed in :data:`retarget.cli.common.COMMANDS` and imported when used."""

from __future__ import annotations

from .common import cli, main

__all__ = ["cli", "main"]
