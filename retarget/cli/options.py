"""The CLI's options: a command lists its own by name with :func:`use_options` (:func:`opt`
for a command's own help or default; each option is declared once, in
:data:`~retarget.cli.option_table.OPTIONS`). The groups of options several commands take:
the input options, the pose output options, ``--people`` and ``--person``, the training
budget, ``--denoise``, ``-m/--method``. :func:`read_pose_kwargs` maps the input options to
:func:`skeleton_io.load_file`'s arguments; the value types are in :mod:`.params`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .option_table import OPTIONS
from .params import Choices


def opt(
    name: str, *, dest: str | None = None, prefix: str = "", suffix: str = "", **settings: Any
) -> Callable:
    """The option ``name`` of :data:`OPTIONS` as a click decorator: ``settings`` replace its
    own (a command's help, default, ...), ``dest`` names the parameter it is passed as,
    ``prefix`` and ``suffix`` go around its help. A default other than None and False is
    shown in ``--help``."""
    decls, own = OPTIONS[name]
    kw = own | settings
    if kw.get("default") is not None and kw.get("default") is not False:
        kw.setdefault("show_default", True)
    if isinstance(kw.get("type"), Choices):
        kw["type"] = kw["type"].load()
    if prefix or suffix:
        kw["help"] = prefix + kw["help"] + suffix
    return click.option(*decls, *([dest] if dest else []), **kw)


def use_options(*options: str | Callable) -> Callable:
    """A command's options in the order of its ``--help``: names of :data:`OPTIONS`, options
    of :func:`opt` and groups of options (:func:`input_options`, :func:`denoise_options`,
    ...). Each is made when the command is declared."""

    def deco(f: Callable) -> Callable:
        for o in reversed(options):
            f = (opt(o) if isinstance(o, str) else o)(f)
        return f

    return deco


INPUT_OPTIONS = (
    "input_format",
    "fps",
    "canvas",
    "start_frame",
    "max_frames",
    "max_side",
    "smpl_model",
)
"""The options of every command that reads a pose sequence (:func:`read_pose_kwargs`)."""


def input_options(f: Callable | None = None, *, canvas: bool = True) -> Callable:
    """Options every command that reads a pose sequence takes (``@input_options``;
    ``@input_options(canvas=False)`` for a command with a ``--canvas`` of its own)."""
    if f is None:
        return lambda g: input_options(g, canvas=canvas)
    return use_options(*(o for o in INPUT_OPTIONS if canvas or o != "canvas"))(f)


pose_output_option = opt(
    "output", help="Output file (or folder for --format openpose, and dwpose without .json)."
)
"""``-o/--output`` of every command that writes a pose sequence."""

pose_io_options = use_options(pose_output_option, "format", "skeleton", "overwrite", input_options)
"""What every command that reads one pose sequence and writes one takes: ``-o``,
``--format``, ``--skeleton``, ``--overwrite`` and the input options."""

person_options = use_options(
    opt(
        "people",
        default=None,
        help="Whom to draw: all, main (one person) or the N largest on average [default: "
        "everyone a pose file holds; the main person of a video or image].",
    ),
    "person",
)
"""``--people`` and ``--person ID`` of the commands that draw several people."""


def people_count(people: str | int) -> int | None:
    """``--people`` as :func:`skeleton_io.load_group`'s ``people`` (None: everyone)."""
    return None if people == "all" else int(people)


_NO_LR = object()


def _budget(name: str, default: Any, unset: str = "") -> Callable:
    """A training budget option with this command's default (``unset``: what None means)."""
    return opt(name, default=default, suffix=unset if default is None else "")


def training_options(
    iterations: int | None,
    batch: int | None,
    lr: float | None | object = _NO_LR,
    minutes: float | None = None,
) -> Callable:
    """The budget options every training command takes: ``--iterations``, ``--minutes``,
    ``--batch``, ``--seed`` (and ``--lr`` where ``lr`` is given; None: the model's own);
    the run ends at whichever of iterations or minutes comes first
    (:class:`retarget.nn.Schedule`). None defaults mean: no step limit (``iterations``), the
    model's own (``batch``)."""
    budget = [
        _budget("iterations", iterations, " [default: no limit]"),
        _budget("minutes", minutes),
        _budget("batch", batch, " [default: the model size's]"),
        "seed",
    ]
    if lr is not _NO_LR:
        budget.append(_budget("lr", lr, " [default: the model size's]"))
    return use_options(*budget)


def denoise_options(what: str, default: str = "learned", default_help: str = "") -> Callable:
    """``--denoise METHOD`` and its shortcut ``--no-denoise``, the same in every command
    (passed on as ``denoise_method`` and ``no_denoise``; see :func:`denoise_choice`)."""
    from ..denoising import method_names

    choices = [*method_names(), *(["auto"] if default == "auto" else [])]
    method = opt(
        "denoise",
        type=click.Choice(choices),
        default=default,
        help=f"Denoise {what} first with this `retarget denoise` method.{default_help}",
    )
    return use_options(method, "no_denoise")


def method_options(prefix: str = "") -> Callable:
    """``-m/--method`` and ``-p/--param KEY=VALUE`` of ``retarget denoise`` (``prefix``
    starts their help where another command takes them)."""
    from ..denoising import DEFAULT_METHOD, method_names

    method = opt("method", type=click.Choice(method_names()), default=DEFAULT_METHOD, prefix=prefix)
    return use_options(method, opt("param", prefix=prefix))


def denoise_choice(denoise_method: str, no_denoise: bool) -> str:
    """The method ``--denoise``/``--no-denoise`` select (``"none"`` to skip)."""
    return "none" if no_denoise else denoise_method


def own_options(kw: dict[str, Any]) -> dict[str, Any]:
    """A command's ``**kw`` less its input options (:func:`read_pose_kwargs` maps those):
    the options it passes on to its library function by their own names."""
    return {k: v for k, v in kw.items() if k not in INPUT_OPTIONS}


def read_pose_kwargs(**kw: Any) -> dict[str, Any]:
    """Map the CLI's input options to :func:`skeleton_io.load_file` keyword arguments."""
    fmt = kw.get("input_format")
    out: dict[str, Any] = {
        "format": fmt,
        "start_frame": kw.get("start_frame", 0),
        "max_frames": kw.get("max_frames"),
    }
    if kw.get("fps") is not None:
        out["fps"] = kw["fps"]
    if kw.get("canvas") is not None:
        out["canvas"] = kw["canvas"]
    if kw.get("max_side") is not None:
        out["max_side"] = kw["max_side"]
    if kw.get("smpl_model") is not None:
        out["model_path"] = kw["smpl_model"]
    return out
