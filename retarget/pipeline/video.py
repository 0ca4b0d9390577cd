"""``retarget render`` and ``retarget video`` as library functions.

:func:`pose_transfer_video` (``retarget video SOURCE DRIVING``):

1. the source person (photo, or frame ``source_frame`` of a video): skeleton and mask
   (:func:`.source.load_source`), at the processing size (long side ``max_side``);
2. the driving video's poses, streamed frame by frame (:func:`skeleton_io.formats.video.load`),
   denoised (:func:`retarget.denoising.denoise`);
3. the driving motion retargeted onto the source's body (:func:`retarget.retargeters.model.transfer`,
   the shipped model; the ``limb`` baseline when no model is installed), placed in the
   source's scene: the hip starts where the source person's hip is and moves as the
   retargeted hip moves (scaled to the source body by the retargeter); the driving's eyes
   and ears come along (:func:`carry_face`) so the head rolls as the driving's does;
4. the scene behind the person: when the source is a video, from its frames where the
   person stands elsewhere (:mod:`.scene`, a clean plate; frames decoded for the poses are
   reused), else the source frame with the person inpainted;
5. rendered by a backend (default ``reference``) and written as H.264 MP4 on the source's
   canvas at the driving video's fps, one frame per driving frame used, with the driving
   video's sound from the first frame used on, through a temporary file renamed at the end.

Frames of the driving video in which nobody was found (and that the denoiser could not
bridge) show the background only.

:func:`render_skeleton` (``retarget render SEQ --source IMAGE``) does steps 1, 3
(``fit``) and 5 for a pose sequence from a file.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from skeleton_io.atomic import check_output_path
from skeleton_io.checks import check_options, require_joints
from skeleton_io.group import PoseGroup
from skeleton_io.pose import PoseSequence

from ..render.base import Renderer, SourceAppearance, as_body15
from ..render.people import render_people
from ..retargeters import load_retargeter
from .checks import check_render_request, check_start_frame, check_video_output
from .people import match_people, people_targets
from .placement import (
    ANCHOR_VISIBILITY,
    ANCHORS,
    FITS,
    DrivingOptions,
    carry_face,
    driving_target,
    fit_target,
    ground_point,
    keep_in_view,
    place_on_source,
    place_scaled,
    retarget_onto,
)
from .scene import SceneSampler
from .video_output import (
    DEFAULT_PRESET,
    RenderReport,
    driving_background,
    make_renderer,
    stream_start,
    write_driven,
    write_video,
)

log = logging.getLogger(__name__)


def render_skeleton(
    skeleton: str | Path | PoseSequence,
    source: str | Path | SourceAppearance,
    output: str | Path,
    *,
    backend: str | Renderer = "reference",
    background: str = "source",
    source_frame: int = 0,
    fit: str = "retarget",
    max_side: int | None = 512,
    fps: float | None = None,
    model: str | Path | None = None,
    device: str = "auto",
    renderer_settings: dict[str, Any] | None = None,
) -> RenderReport:
    """Render a pose sequence on a source person (``retarget render``).

    Args:
        skeleton: a pose file (any format :func:`skeleton_io.load_file` reads; 3D is projected)
            or a sequence.
        source: a photo or video (the person of frame ``source_frame``), or a ready
            :class:`SourceAppearance`.
        output: the ``.mp4`` to write.
        backend: renderer name (``retarget env`` lists them) or instance.
        background: ``source`` (the source's scene, person removed), an image path or a
            colour.
        fit: ``retarget`` (onto the source's body, then placed at the source person's hip),
            ``place`` (scaled to the source's size and placed) or ``none`` (coordinates as
            they are, in pixels of the sequence's canvas scaled to the source image).
        max_side: processing and output size (long side).
        fps: output frame rate (default: the sequence's).
        model: retargeting model run folder (default: the shipped one).
    """
    from skeleton_io import load_file

    from ..render.background import background_image
    from ..render.source import load_source

    t0 = time.perf_counter()
    output = check_render_request(
        output, [skeleton, source], backend=backend, fps=fps, background=background, model=model,
        renderer_settings=renderer_settings,
    )  # fmt: skip
    seq = skeleton if isinstance(skeleton, PoseSequence) else load_file(skeleton)
    require_joints(as_body15(seq), seq, "openpose15")  # before the source is read
    if isinstance(source, SourceAppearance):
        src = source
    else:
        src = load_source(source, source_frame=source_frame, max_side=max_side)
    bg = background_image(background, src.size)
    if bg is not None:
        src = SourceAppearance(src.image, src.pose, src.mask, bg, dict(src.meta))
    t1 = time.perf_counter()
    target = fit_target(seq, src, fit, model=model, device=device)
    t2 = time.perf_counter()
    renderer = make_renderer(backend, renderer_settings)
    rate = float(fps or seq.fps)
    n = write_video(renderer.render(src, target), output, rate, total=target.num_frames)
    t3 = time.perf_counter()
    return RenderReport(
        output=Path(output),
        frames=n,
        fps=rate,
        size=src.size,
        audio=False,
        backend=renderer.name,
        seconds={"source": t1 - t0, "retarget": t2 - t1, "render": t3 - t2, "total": t3 - t0},
        warnings=list(src.meta.get("warnings", [])),
        target=target,
    )


def _get_ready(
    backend: str | Renderer,
    settings: dict[str, Any] | None,
    source: SourceAppearance,
    model: Any,
    device: str,
) -> tuple[Renderer, Any]:
    """Build the renderer, let it prepare ``source`` (when it can) and load the retargeter;
    also import what the denoiser imports lazily (about 1.5 s of scipy), off the main path."""
    import importlib

    for module in ("scipy.interpolate", "scipy.signal", "scipy.stats"):
        importlib.import_module(module)
    renderer = make_renderer(backend, settings)
    prepare = getattr(renderer, "prepare", None)
    if callable(prepare):
        prepare(source)
    return renderer, load_retargeter(model, device=device, denoise=None)  # inputs come denoised


STRUCTURE_SECONDS = 2.0


def source_structure(
    source: str | Path,
    driving: str | Path,
    motion: PoseSequence,
    source_frame: int,
    max_side: int | None,
    denoise_method: str,
    sampler: SceneSampler | None = None,
    hands_face: bool = False,
) -> PoseSequence | None:
    """Poses of the source person over several frames to measure its body on (see
    :func:`pose_transfer_video`), or None for a photo or when they cannot be had.
    ``sampler`` keeps frames of the source video read here, and gets their poses; with
    ``hands_face`` they come with the person's hands and face
    (:func:`skeleton_io.hands_face.add_hands_face`)."""
    from skeleton_io.errors import RetargetError

    from ..render.source import is_image

    if is_image(source):
        return None
    if Path(source).resolve() == Path(driving).resolve():
        return motion
    from skeleton_io.formats.video import load as load_video
    from skeleton_io.video_io import probe

    try:
        frames = max(1, round(STRUCTURE_SECONDS * (probe(source).fps or 30.0)))
        seq = load_video(
            source, start_frame=source_frame, max_frames=frames, max_side=max_side,
            frames_seen=sampler,
        )  # fmt: skip
        if sampler is not None:
            sampler.poses = seq
        if hands_face:
            from skeleton_io.hands_face import add_hands_face

            seq = add_hands_face(seq, source)
    except RetargetError as e:
        log.info("%s: body measured on the source frame only (%s)", source, e)
        return None
    if denoise_method != "none":
        from ..denoising import denoise

        seq = denoise(seq, denoise_method)
    return seq


def video_target(
    source: str | Path,
    driving: str | Path,
    motion: PoseSequence,
    src: SourceAppearance,
    *,
    source_frame: int = 0,
    max_side: int | None = 512,
    sampler: SceneSampler | None = None,
    **options: Any,
) -> PoseSequence:
    """The render target of ``retarget video`` (and of ``train-renderer``, so that a learned
    renderer trains on the targets it will be given): the driving poses ``motion`` denoised
    once, retargeted onto the source's body measured as :func:`source_structure` says (by a
    retargeter that does not denoise again), placed at the source person. ``sampler``:
    see :func:`source_structure`; other arguments as :class:`DrivingOptions`."""
    o = check_options(DrivingOptions, options)
    denoise_method = o.pop("denoise_method")
    if denoise_method != "none":
        from ..denoising import denoise

        motion = denoise(motion, denoise_method)
    structure = source_structure(
        source, driving, motion, source_frame, max_side, denoise_method, sampler
    )
    return driving_target(motion, src, structure=structure, denoise_method="none", **o)


def _source_scene(
    source: str | Path,
    src: SourceAppearance,
    background: str,
    info: Any,
    start_frame: int,
    max_frames: int | None,
    same: bool,
) -> tuple[SourceAppearance, SceneSampler | None]:
    """``src`` with the background asked for (an image or a colour), and for a source video
    whose scene is wanted (``background="source"``) the sampler that keeps its frames for
    the scene (``same``: the source is the driving video, ``info`` its probe)."""
    from skeleton_io.video_io import probe

    from ..render.background import background_image
    from ..render.source import is_image

    if background != "driving":
        bg = background_image(background, src.size)
        if bg is not None:
            src = SourceAppearance(src.image, src.pose, src.mask, bg, dict(src.meta))
    sampler = None
    if background == "source" and not is_image(source):
        # The scene from the source video's frames (scene.py); the renderer then need not
        # inpaint the source frame (the placeholder background says so).
        total = (
            info.num_frames - start_frame if same else STRUCTURE_SECONDS * (probe(source).fps or 30)
        )
        if max_frames is not None and same:
            total = min(total, max_frames)
        sampler = SceneSampler.spread_over(src.size, max(1, round(total)))
        src = SourceAppearance(src.image, src.pose, src.mask, src.image, dict(src.meta))
    return src, sampler


def _transfer_warnings(
    renderer: Renderer, src: SourceAppearance, motion: PoseSequence
) -> list[str]:
    """What :func:`pose_transfer_video` reports: what the source and the renderer made up,
    and driving frames with several people."""
    warnings = list(src.meta.get("warnings", []))
    prepare = getattr(renderer, "prepare", None)
    if callable(prepare):  # what the renderer made up (it logged it when preparing)
        warnings += [w for w in getattr(prepare(src), "warnings", []) if w not in warnings]
    if motion.meta.get("frames_with_several_people"):
        warnings.append(
            f"several people in {motion.meta['frames_with_several_people']} driving frames; "
            "followed the main one"
        )
    return warnings


def pose_transfer_video(
    source: str | Path,
    driving: str | Path,
    output: str | Path,
    *,
    backend: str | Renderer = "reference",
    view: str | float = "motion",
    start_frame: int = 0,
    max_frames: int | None = None,
    max_side: int | None = 512,
    source_frame: int = 0,
    background: str = "source",
    model: str | Path | None = None,
    device: str = "auto",
    denoise_method: str = "learned",
    renderer_settings: dict[str, Any] | None = None,
    people: int | str = "main",
) -> RenderReport:
    """The person of ``source`` dancing like the person of ``driving`` (see the module
    docstring; ``retarget video``).

    Args:
        people: ``"main"``: the driving's main person (this function's own path); ``"all"``
            or N: every dancer (the N largest on average), each as a person of the source
            (:func:`people_transfer_video`).
        view: ``motion`` (the driving's view), ``structure`` (the source's) or a yaw in
            degrees relative to the driving's view.
        background: ``source``, ``driving``, an image path or a colour.
        denoise_method: a :func:`retarget.denoising.denoise` method for the driving poses
            (``none`` to skip).

    The source's body is measured on the driving poses themselves when source and driving
    are the same video (First Order Motion's reconstruction protocol), else on up to
    :data:`STRUCTURE_SECONDS` of the source video from ``source_frame`` on, else (a photo) on
    the source frame.

    Raises:
        NoPersonFoundError: nobody in the source, or in the whole driving video.
        OutputError: ``output`` equals an input or cannot be written.
    """
    from skeleton_io.formats.video import load as load_video
    from skeleton_io.video_io import probe

    from ..render.background import remove_person
    from ..render.source import load_source

    if people != "main":
        return people_transfer_video(
            source, driving, output, people=None if people == "all" else int(people),
            backend=backend, view=view, start_frame=start_frame, max_frames=max_frames,
            max_side=max_side, source_frame=source_frame, background=background, model=model,
            device=device, denoise_method=denoise_method, renderer_settings=renderer_settings,
        )  # fmt: skip
    t0 = time.perf_counter()
    output = check_render_request(
        output, [source, driving], backend=backend, driving=True, background=background,
        model=model, renderer_settings=renderer_settings,
    )  # fmt: skip
    info = probe(driving)
    check_start_frame(driving, start_frame, info.num_frames)
    src = load_source(source, source_frame=source_frame, max_side=max_side)
    same = Path(source).resolve() == Path(driving).resolve()
    src, sampler = _source_scene(source, src, background, info, start_frame, max_frames, same)
    t1 = time.perf_counter()
    # The renderer, its view of the source and the retargeting model get ready in the
    # background while the driving video's poses are found.
    with ThreadPoolExecutor(max_workers=1) as pool:
        ready = pool.submit(_get_ready, backend, renderer_settings, src, model, device)
        motion = load_video(
            driving, start_frame=start_frame, max_frames=max_frames, max_side=max_side,
            frames_seen=sampler if same else None,
        )  # fmt: skip
        renderer, retargeter = ready.result()
        if sampler is not None and same:
            sampler.poses = motion
            plate = pool.submit(sampler.plate, src)
        t2 = time.perf_counter()
        target = video_target(
            source, driving, motion, src, source_frame=source_frame, max_side=max_side,
            view=view, model=retargeter, device=device, denoise_method=denoise_method,
            sampler=None if same else sampler,
        )  # fmt: skip
        if sampler is not None:
            scene = plate.result() if same else sampler.plate(src)
            if scene is None:
                scene = remove_person(src.image, src.mask)
            src = SourceAppearance(src.image, src.pose, src.mask, scene, dict(src.meta))
    t3 = time.perf_counter()
    if background == "driving":
        frames_bg = driving_background(driving, start_frame, max_frames, max_side, src.size)
        src = SourceAppearance(src.image, src.pose, src.mask, frames_bg, dict(src.meta))
    n, fps = write_driven(
        renderer.render(src, target), output, driving, info, motion, target.num_frames
    )
    t4 = time.perf_counter()
    warnings = _transfer_warnings(renderer, src, motion)
    return RenderReport(
        output=Path(output),
        frames=n,
        fps=fps,
        size=src.size,
        audio=info.has_audio,
        backend=renderer.name,
        seconds={
            "source": t1 - t0,
            "driving": t2 - t1,
            "retarget": t3 - t2,
            "render": t4 - t3,
            "total": t4 - t0,
        },
        warnings=warnings,
        target=target,
    )


def people_transfer_video(
    source: str | Path,
    driving: str | Path,
    output: str | Path,
    *,
    people: int | None = None,
    **options: Any,
) -> RenderReport:
    """Every dancer of ``driving`` (``people``: None for all, else the N largest on average)
    as a person of ``source`` (see :mod:`retarget.pipeline.people`). Other arguments as
    :func:`pose_transfer_video`.

    Raises:
        NoPersonFoundError: nobody in the source, or in the whole driving video.
        InvalidArgumentError: a count of source people that is neither 1 nor the dancers'.
    """
    from skeleton_io import load_group
    from skeleton_io.video_io import probe

    from ..render.background import background_image
    from ..render.source import load_sources

    o = check_options(pose_transfer_video, options, but=("people",))
    background, max_side, max_frames = o["background"], o["max_side"], o["max_frames"]
    t0 = time.perf_counter()
    output = check_output_path(output, inputs=[source, driving])
    check_video_output(output)
    info = probe(driving)
    sources = load_sources(source, source_frame=o["source_frame"], max_side=max_side)
    size = sources[0].size
    scene: Any = sources[0].background
    if background not in ("source", "driving"):
        scene = background_image(background, size)
    renderer = make_renderer(o["backend"], o["renderer_settings"])
    t1 = time.perf_counter()
    dancers = load_group(
        driving, people=people, start_frame=o["start_frame"], max_frames=max_frames,
        max_side=max_side,
    )  # fmt: skip
    t2 = time.perf_counter()
    targets = people_targets(
        dancers, sources, view=o["view"], model=o["model"], device=o["device"],
        denoise_method=o["denoise_method"], name=str(source),
    )  # fmt: skip
    whom = match_people(dancers, sources, str(source))
    t3 = time.perf_counter()
    if background == "driving":
        scene = driving_background(driving, o["start_frame"], max_frames, max_side, size)
    frames = render_people(
        renderer, [sources[whom[k]] for k in dancers.ids], list(targets.values()), scene
    )
    n, fps = write_driven(frames, output, driving, info, dancers, dancers.num_frames)
    t4 = time.perf_counter()
    warnings = [w for s in sources for w in s.meta.get("warnings", [])]
    if len(sources) == 1 and dancers.num_people > 1:
        warnings.append(f"{dancers.num_people} dancers, one source person: copies of them")
    return RenderReport(
        output=Path(output), frames=n, fps=fps, size=size, audio=info.has_audio,
        backend=renderer.name,
        seconds={"source": t1 - t0, "driving": t2 - t1, "retarget": t3 - t2,
                 "render": t4 - t3, "total": t4 - t0},
        warnings=warnings, people=PoseGroup(targets, {"source_people": len(sources)}),
    )  # fmt: skip


__all__ = [
    "ANCHOR_VISIBILITY",
    "DEFAULT_PRESET",
    "STRUCTURE_SECONDS",
    "carry_face",
    "ANCHORS",
    "FITS",
    "RenderReport",
    "driving_background",
    "driving_target",
    "people_transfer_video",
    "fit_target",
    "keep_in_view",
    "ground_point",
    "place_on_source",
    "place_scaled",
    "pose_transfer_video",
    "render_skeleton",
    "retarget_onto",
    "source_structure",
    "stream_start",
    "video_target",
    "write_video",
]
