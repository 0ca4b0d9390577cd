"""``retarget env``: versions and what is available, for bug reports."""

from __future__ import annotations

import click

from ..envinfo import environment_report


@click.command("env")
def env_cmd() -> None:
    """Print versions, devices and optional features, for bug reports."""
    for key, value in environment_report():
        click.echo(f"{key:28s} {value}")
