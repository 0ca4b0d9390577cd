"""Renderer backends by name, through Python entry points (group ``retarget.renderers``).

A backend package declares, in its ``pyproject.toml``::

    [project.entry-points."retarget.renderers"]
    mybackend = "my_package.module:MyRenderer"

and, once installed, ``get_renderer("mybackend", **settings)`` builds it and ``retarget env``
lists it. The object an entry point names is called with the settings as keyword arguments
(a class, or a factory function) and must follow :class:`retarget.render.base.Renderer`.
The toolkit's own backends are registered the same way (see ``pyproject.toml``); when the
package metadata is stale (a source checkout that was not reinstalled), they are still
found through :data:`BUILTIN`.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import logging
from typing import Any

from skeleton_io.errors import InvalidArgumentError, MissingDependencyError, RetargetError

from .base import Renderer

log = logging.getLogger(__name__)

GROUP = "retarget.renderers"

BUILTIN: dict[str, str] = {
    "reference": "retarget.render.reference:PartWarpRenderer",
    "learned": "retarget.render.learned:LearnedRenderer",
}
"""The toolkit's own backends (also declared as entry points in ``pyproject.toml``)."""


def _entry_points() -> dict[str, md.EntryPoint]:
    return {ep.name: ep for ep in md.entry_points(group=GROUP)}


def available_renderers() -> dict[str, str]:
    """``{name: "module:attr"}`` of every registered backend (entry points first, then the
    built-ins the metadata lacks)."""
    out = {name: ep.value for name, ep in _entry_points().items()}
    for name, value in BUILTIN.items():
        out.setdefault(name, value)
    return dict(sorted(out.items()))


def _load_target(value: str) -> Any:
    module, _, attr = value.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def check_backend(name: str) -> str:
    """``name`` when a backend is registered under it, else :class:`InvalidArgumentError`
    listing the installed ones (nothing is imported)."""
    if name in _entry_points() or name in BUILTIN:
        return name
    known = ", ".join(available_renderers()) or "none"
    raise InvalidArgumentError(
        f"unknown renderer `backend` {name!r}: installed are {known}; a third-party "
        f"backend registers under the entry point group {GROUP!r}"
    )


def get_renderer(name: str, **settings: Any) -> Renderer:
    """Build the backend registered as ``name`` with ``settings`` (constructor keywords).

    Raises:
        InvalidArgumentError: no backend of that name, or what it builds is not a renderer.
        MissingDependencyError: the backend's module cannot be imported.
    """
    eps = _entry_points()
    try:
        if name in eps:
            factory = eps[name].load()
            where = eps[name].value
        elif name in BUILTIN:
            factory = _load_target(BUILTIN[name])
            where = BUILTIN[name]
        else:
            check_backend(name)
    except ImportError as e:
        if isinstance(e, RetargetError):
            raise
        raise MissingDependencyError(
            f"renderer backend {name!r} cannot be imported ({e}); reinstall the package that "
            "provides it"
        ) from None
    renderer = factory(**settings)
    if not isinstance(renderer, Renderer):
        raise InvalidArgumentError(
            f"renderer backend {name!r} ({where}) built a {type(renderer).__name__}, which lacks "
            "name, device_needs or render(source, target)"
        )
    log.debug("renderer %s from %s (device needs: %s)", name, where, renderer.device_needs)
    return renderer


__all__ = ["BUILTIN", "GROUP", "available_renderers", "get_renderer"]
