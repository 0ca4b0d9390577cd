"""The retargeter contract, shared by the analytic retargeters and the model.

A :class:`Retargeter` is called as ``retargeter(motion, structure, view=None)``:

* ``motion``: a 2D sequence (pixels, y down) whose *motion* is wanted, e.g. a dancer;
* ``structure``: a 2D sequence whose *body* is wanted (bone proportions and size);
* ``view``: None to keep ``motion``'s view, or a 2D sequence whose *view* is wanted (the
  camera's angle relative to the performer's body as it is seen there; the benchmark passes
  ``structure`` for its cross-view test).

Inputs are ``openpose15`` or any skeleton that converts to it by joint name (BODY_25, COCO,
...); joints may be missing (confidence 0). The result is a 2D ``openpose15``
:class:`~skeleton_io.PoseSequence` with ``motion``'s frame count, fps and canvas, in pixels
of the same scale as ``structure``; its hip starts where ``motion``'s starts and moves as
``motion``'s, scaled by the size ratio of the two bodies. Joints it cannot give have
confidence 0. ``name`` labels it in tables and in the output's ``meta["retargeter"]``.
"""

from __future__ import annotations

from typing import Literal, Protocol, get_args, runtime_checkable

import numpy as np

from skeleton_io.pose import PoseSequence

Mode = Literal["fused", "network"]
"""How the model decodes (see :mod:`retarget.retargeters.model`)."""

MODES: tuple[str, ...] = get_args(Mode)


@runtime_checkable
class Retargeter(Protocol):
    """See the module docstring for the contract."""

    name: str

    def __call__(
        self, motion: PoseSequence, structure: PoseSequence, view: PoseSequence | None = None
    ) -> PoseSequence: ...


def denoise_method(denoise: str | bool) -> str | None:
    """The denoising method a ``denoise`` argument names: True is ``learned``, False or
    ``"none"`` is None (no denoising), a name is itself."""
    if denoise is True:
        return "learned"
    return None if denoise in (False, "none") else str(denoise)


def output_sequence(
    motion: PoseSequence, coords: np.ndarray, conf: np.ndarray, name: str
) -> PoseSequence:
    coords = np.where(conf[..., None] > 0, coords, 0.0)
    out = motion.with_coords(coords, conf, world=None)
    out.meta["retargeter"] = name
    return out
