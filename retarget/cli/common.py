"""Shared pieces of the CLI: the group, error handling, the command line of a run (the
shared options are in :mod:`.options`)."""

from __future__ import annotations

import importlib
import logging
import re
import shlex
import signal
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from skeleton_io.atomic import clear_stop, request_stop
from skeleton_io.errors import RetargetError

EXIT_USAGE = 2


class _OneLineError(click.ClickException):
    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so that every ``finally`` and atomic
    writer cleans up (no temporary file is left) and ``retarget batch`` stops its workers."""


class _TerminatedError(_OneLineError):
    exit_code = 128 + signal.SIGTERM


def _on_sigterm(signum: int, frame: Any) -> None:
    request_stop(Terminated())  # raised again at the next publish, should this one be lost
    raise Terminated()


def _on_sigint(signum: int, frame: Any) -> None:
    request_stop(KeyboardInterrupt())
    raise KeyboardInterrupt


_PARAM = re.compile(r"`(\w+)`")


def flag_names(command: click.Command | None) -> dict[str, str]:
    """Python parameter name -> the command's flag (``max_frames`` -> ``--max-frames``): by
    each option's destination and by its flag's own spelling (``--model`` stores
    ``model_dir``; the library calls it ``model``); ``format`` is the input's format where
    the command reads one (``load_file(format=)``)."""
    out: dict[str, str] = {}
    for p in command.params if command else ():
        if isinstance(p, click.Option):
            flag = max((o for o in p.opts if o.startswith("--")), key=len, default=p.opts[0])
            out.setdefault(flag.lstrip("-").replace("-", "_"), flag)
            if p.name:
                out.setdefault(p.name, flag)
        elif p.name:
            out.setdefault(p.name, p.human_readable_name)
    if "input_format" in out:
        out["format"] = out["input_format"]
    if "smpl_model" in out:
        out["model_path"] = out["smpl_model"]
    return out


def cli_message(message: str, command: click.Command | None) -> str:
    """A library message for the command line: parameters written `like_this` become the
    command's flags (or plain names where the command has no such option)."""
    flags = flag_names(command)
    out = _PARAM.sub(lambda m: flags.get(m.group(1), m.group(1)), message)
    return _QUOTED.sub(r"'\1'", out)  # `retarget train` -> 'retarget train'


_QUOTED = re.compile(r"`([^`]+)`")


COMMANDS: dict[str, str] = {
    "extract": "retarget.cli.extract:extract_cmd",
    "transfer": "retarget.cli.transfer:transfer_cmd",
    "denoise": "retarget.cli.denoise:denoise_cmd",
    "draw": "retarget.cli.draw:draw_cmd",
    "align": "retarget.cli.align:align_cmd",
    "plot": "retarget.cli.plot:plot_cmd",
    "animate": "retarget.cli.plot:animate_cmd",
    "render": "retarget.cli.render:render_cmd",
    "video": "retarget.cli.render:video_cmd",
    "evaluate": "retarget.cli.evaluate:evaluate_cmd",
    "train": "retarget.cli.train:train_cmd",
    "train-denoiser": "retarget.cli.train_denoiser:train_denoiser_cmd",
    "train-renderer": "retarget.cli.render:train_renderer_cmd",
    "env": "retarget.cli.env:env_cmd",
    "batch": "retarget.cli.batch:batch_cmd",
}
"""The subcommands, imported when they are used (so ``retarget extract`` does not import
matplotlib or the models)."""


def path_command(name: str, *arguments: tuple[str, str]) -> Callable:
    """``@click.command(name)`` with positional path arguments, each ``(parameter,
    METAVAR)`` in the order of the command line."""

    def deco(f: Callable) -> click.Command:
        for param, metavar in reversed(arguments):
            f = click.argument(param, metavar=metavar, type=click.Path(path_type=Path))(f)
        return click.command(name)(f)

    return deco


class RetargetGroup(click.Group):
    """A click group that imports its subcommands on first use (:data:`COMMANDS`) and turns
    the toolkit's errors into one line and exit code 2, with the library's parameter names
    turned into this command's flags."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, _, attr = COMMANDS[name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as e:  # a bad option value: one line too, naming the option
            raise _OneLineError(e.format_message()) from None
        except KeyboardInterrupt as e:
            clear_stop()
            if not isinstance(e, Terminated):
                raise
            raise _TerminatedError("terminated (SIGTERM); nothing half-written was left") from None
        except RetargetError as e:
            sub = self.get_command(ctx, ctx.invoked_subcommand) if ctx.invoked_subcommand else None
            text = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise _OneLineError(cli_message(text, sub)) from None
        except FileNotFoundError as e:
            raise _OneLineError(f"{e.filename}: no such file or folder") from None
        except PermissionError as e:
            raise _OneLineError(f"{e.filename}: permission denied") from None
        except MemoryError:
            raise _OneLineError(
                "out of memory; try a shorter input (--max-frames) or a smaller size"
            ) from None
        except OSError as e:  # a disk full, a folder where a file was expected, ...
            where = f"{e.filename}: " if e.filename else ""
            raise _OneLineError(f"{where}{e.strerror or e}") from None


class _Formatter(logging.Formatter):
    """``level: message``, the library's parameter names as the running command's flags."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = click.get_current_context(silent=True)
        message = cli_message(record.getMessage(), ctx.command if ctx else None)
        return f"{record.levelname.lower()}: {message}"


def _setup_logging(verbose: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.captureWarnings(True)
    warnings.filterwarnings("ignore", module="google.protobuf")


@click.group(cls=RetargetGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.version_option(package_name="retarget")
def cli(verbose: int) -> None:
    """Skeleton-level motion retargeting: extract poses, retarget the motion of one person
    onto the body of another from any view, denoise, plot and render."""
    _setup_logging(verbose)


def main() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)
    cli(prog_name="retarget")


def command_line(ctx: click.Context) -> str:
    """The command line that repeats this run, every option spelled out (recorded in the
    ``config.json`` of the models the training commands write)."""
    parts = ["retarget", ctx.info_name or ""]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if value is None or value == () or value is False:
            continue
        if not isinstance(param, click.Option):
            parts.append(shlex.quote(str(value)))
            continue
        flag = max(param.opts, key=len)
        if param.is_flag:
            parts.append(flag)
            continue
        for v in value if param.multiple else (value,):
            text = "x".join(map(str, v)) if isinstance(v, tuple) else str(v)
            parts += [flag, shlex.quote(text)]
    return " ".join(parts)
