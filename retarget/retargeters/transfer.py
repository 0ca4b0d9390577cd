"""The motion of one sequence on the body of another: the functions most callers want.

Torch is imported only when a model is first loaded, so this module (and ``import
retarget``) stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skeleton_io.checks import check_angle, require_joints, require_person
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.group import require_pose
from skeleton_io.pose import PoseSequence

from ..inputs import as_2d
from .base import Mode, denoise_method
from .extremities import with_extremities


def transfer(
    motion: PoseSequence,
    structure: PoseSequence,
    view: str | float | PoseSequence = "motion",
    *,
    model: Any = None,
    mode: Mode | None = None,
    device: str = "auto",
    denoise: str | bool | None = None,
    extremities: bool = True,
) -> PoseSequence:
    """The motion of ``motion`` on the body of ``structure``, seen from the chosen view.

    Args:
        motion, structure: 2D pose sequences (any skeleton converting to openpose15; the
            body is retargeted on its 15 ``openpose15`` joints).
        view: ``"motion"`` (A's view), ``"structure"`` (B's), a number (yaw in degrees
            relative to A's view, positive turns the performer to its own left), or a
            sequence whose view is taken.
        model: a run folder or a loaded :class:`ModelRetargeter` (default: the shipped one);
            or an analytic retargeter or its name (``limb``, ``musepose``, ...), whose
            inputs are denoised here first.
        mode: ``"fused"`` or ``"network"`` (see the module docstring); None keeps a loaded
            model's mode (``"fused"`` for one loaded here).
        device: where a model loaded here runs.
        denoise: the denoising method applied to every input; False (or ``"none"``) for none;
            None keeps a loaded model's setting (``"learned"`` for one loaded here).
        extremities: carry the motion's hands, face and feet onto the result
            (:func:`~.extremities.carry_extremities`, at the structure's size); False keeps
            the body only.

    Returns:
        A 2D sequence in the structure's pixels: ``openpose15`` when the motion shows no
        hands, face or feet (or ``extremities`` is False), else ``openpose_wholebody`` with
        the same body joints.
    """
    from .loading import is_baseline
    from .model import ModelRetargeter

    for seq, what in ((motion, "motion"), (structure, "structure")):
        require_pose(seq, what, group_hint="retarget.transfer_group takes a group")
    for seq, what in ((motion, "motion"), (structure, "structure"), (view, "view")):
        if isinstance(seq, PoseSequence):
            require_somebody(seq, what)
    if isinstance(model, ModelRetargeter):
        r = model.with_options(mode=mode, denoise=denoise)
        method = r.denoise
    elif model is None or (isinstance(model, (str, Path)) and not is_baseline(model)):
        r = ModelRetargeter.load(
            model,
            device=device,
            mode=mode or "fused",
            denoise="learned" if denoise is None else denoise_method(denoise),
        )
        method = r.denoise
    else:  # an analytic retargeter (or its name): the inputs are denoised here
        from .loading import load_retargeter

        r = load_retargeter(model)
        require_motion_view(view, r)
        method = "learned" if denoise is None else denoise_method(denoise)
        motion_in, structure_in = _denoised(motion, method), _denoised(structure, method)
        view_in = _denoised(view, method) if isinstance(view, PoseSequence) else view
        out = r(motion_in, structure_in, resolve_view(view_in, structure_in))
        if extremities:
            out = with_extremities(motion, structure, out)
        out.meta["view_yaw"] = 0.0  # the motion's own view
        return keep_nobody_missing(out, motion, method)
    out = r(motion, structure, resolve_view(view, structure))
    if extremities:
        out = with_extremities(motion, structure, out)
    return keep_nobody_missing(out, motion, method)


def require_motion_view(view: Any, r: Any) -> None:
    """An analytic retargeter (2D) keeps the motion's view: any other ``view`` is refused
    rather than ignored."""
    if isinstance(view, str) and view == "motion":
        return
    raise InvalidArgumentError(
        f"`view`: the analytic retargeter {getattr(r, 'name', r)} keeps the motion's view; "
        "leave the view out, or use a model (the default) to turn the performer"
    )


def _denoised(seq: PoseSequence, method: str | None) -> PoseSequence:
    """``seq`` on openpose15, denoised by ``method`` (None: as it is), as a model does
    first with its inputs."""
    from ..geometry import as_openpose15

    seq = as_openpose15(as_2d(seq))
    if not method:
        return seq
    from ..denoising import denoise as run_denoise

    return run_denoise(seq, method)


def require_somebody(seq: PoseSequence, what: str) -> PoseSequence:
    """``seq`` as the 2D ``openpose15`` sequence retargeting reads, or
    :class:`~skeleton_io.errors.NoPersonFoundError` naming its file (or the parameter
    ``what``) when nobody is in it there: nobody in any frame, or only joints that are not
    ``openpose15``'s. A motion of nobody is never turned into a person."""
    require_person(seq, f"`{what}`")  # before as_2d, which needs a frame
    return require_joints(as_2d(seq), seq, "openpose15", f"`{what}`")


def keep_nobody_missing(
    out: PoseSequence, motion: PoseSequence, denoise: str | None
) -> PoseSequence:
    """``out`` (one frame per frame of ``motion``) with the frames in which ``motion`` has
    nobody, even after the denoiser's gap filling (``denoise``), made missing (confidence
    0, coordinates 0): the model decodes a full body in every frame, and a frame with nobody
    must not become a person."""
    seen = as_2d(motion)
    if seen.present.all():
        return out
    if denoise:
        from ..denoising import denoise as run_denoise

        seen = run_denoise(seen, denoise)
    nobody = ~seen.present
    if not nobody.any():
        return out
    coords, conf = out.coords.copy(), out.confidence.copy()
    coords[nobody], conf[nobody] = 0.0, 0.0
    res = out.with_coords(coords, conf)
    res.meta["frames_with_nobody"] = int(nobody.sum())
    return res


def resolve_view(view: str | float | PoseSequence | None, structure: PoseSequence):
    """``view`` as a retargeter takes it: None (the motion's), a yaw in degrees, or a sequence.

    Raises:
        InvalidArgumentError: an unknown word, or a number that is not finite.
    """
    if view is None or isinstance(view, PoseSequence):
        return view
    if isinstance(view, str):
        if view == "motion":
            return None
        if view == "structure":
            return structure
        raise InvalidArgumentError(
            f"`view` must be 'motion', 'structure', a number or a sequence, got {view!r}"
        )
    return check_angle(view, "view")


def lift_3d(
    seq: PoseSequence, model: str | Path | Any = None, device: str = "auto"
) -> PoseSequence:
    """``seq`` in 3D: 3D inputs as they are; 2D ones lifted by the retargeting model (a
    loaded :class:`ModelRetargeter`, a run folder, or None for the shipped one) into their
    camera frame (x right, y down, z away from the camera, pixels), as ``openpose15``.
    Missing 2D joints are filled by the model's denoising first, so every lifted joint is
    present."""
    require_pose(seq, "seq")
    if seq.dims == 3:
        return require_person(seq, "`seq`")
    from .model import ModelRetargeter

    require_somebody(seq, "seq")
    if not isinstance(model, ModelRetargeter):
        model = ModelRetargeter.load(model, device=device)
    return keep_nobody_missing(model.lift(as_2d(seq)), seq, model.denoise)


__all__ = ["denoise_method", "lift_3d", "resolve_view", "transfer"]
