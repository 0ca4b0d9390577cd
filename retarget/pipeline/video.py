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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skeleton_io.checks import require_joints
from skeleton_io.errors import InvalidArgumentError, ModelError
from skeleton_io.group import PoseGroup
from skeleton_io.pose import PoseSequence

from ..render.base import Renderer, SourceAppearance, as_body15
from ..render.registry import get_renderer
from ..retargeters import load_retargeter
from ..retargeters.extremities import with_extremities
from .checks import check_render_request, check_start_frame
from .scene import SceneSampler

log = logging.getLogger(__name__)

FITS = ("retarget", "place", "none")
DEFAULT_PRESET = "veryfast"
"""x264 preset of rendered videos (speed over file size)."""


@dataclass
class RenderReport:
    """What a rendering run produced.

    Attributes:
        output: the video written.
        frames: frames written; fps: their rate; size: ``(w, h)``.
        audio: the output has the driving video's sound.
        backend: renderer name.
        seconds: wall time per stage (``source``, ``driving``, ``retarget``, ``render``, ``total``).
        warnings: what was guessed or left out.
        target: the skeleton sequence rendered (pixels of the output), when known.
        people: several people's targets by track id (``people`` all), when rendered.
    """

    output: Path
    frames: int
    fps: float
    size: tuple[int, int]
    audio: bool
    backend: str
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    target: PoseSequence | None = None
    people: PoseGroup | None = None


# ------------------------------------------------------------------- retargeting
def retarget_onto(
    motion: PoseSequence,
    structure: PoseSequence,
    view: str | float | PoseSequence = "motion",
    *,
    model: Any = None,
    device: str = "auto",
) -> PoseSequence:
    """``motion`` retargeted onto the body of ``structure`` (2D, pixels of ``structure``),
    with the motion's hands, face and feet when it shows them
    (:func:`~retarget.retargeters.extremities.carry_extremities`).

    ``model``: a loaded retargeter, a run folder, a baseline's name, or None (see
    :func:`load_retargeter`).
    """
    from ..retargeters import ModelRetargeter, transfer
    from ..retargeters.transfer import require_motion_view

    r = load_retargeter(model, device=device)
    if not isinstance(r, ModelRetargeter):
        require_motion_view(view, r)
        return with_extremities(motion, structure, r(motion, structure, None))
    try:
        return transfer(motion, structure, view, model=r)
    except ModelError:
        raise
    except (RuntimeError, ValueError) as e:
        raise ModelError(f"retargeting failed ({str(e).splitlines()[0]})") from None


ANCHOR_VISIBILITY = 0.5
"""A source joint must be seen this surely (and lie in the image) to anchor the target."""
ANCHORS = ("hip", "ground")
"""Where :func:`place_on_source` puts the target first: its hip on the source's hip, or its
feet on the source's ground point."""


def _anchor_seen(s15: PoseSequence, j: int) -> bool:
    w, h = s15.canvas or (np.inf, np.inf)
    x, y = s15.coords[0, j]
    return bool(s15.confidence[0, j] >= ANCHOR_VISIBILITY and 0 <= x < w and 0 <= y < h)


def ground_point(seq15: PoseSequence, t: int, seen: list[int] | None = None) -> np.ndarray | None:
    """Where a person stands in frame ``t`` of an ``openpose15`` sequence: the mean x of its
    ankles (those in ``seen``, default those present), the y of the lower one (pixels, y
    down); None when there is none."""
    idx = [seq15.skeleton.idx(n) for n in ("LAnkle", "RAnkle")]
    idx = [j for j in idx if (seq15.confidence[t, j] > 0 if seen is None else j in seen)]
    if not idx:
        return None
    xy = seq15.coords[t, idx]
    return np.array([xy[:, 0].mean(), xy[:, 1].max()])


def place_on_source(
    target: PoseSequence, source_pose: PoseSequence, anchor: str = "hip"
) -> PoseSequence:
    """``target`` translated so that its first frame with a hip has its anchor on the source
    person's (frame 0 of ``source_pose``); canvas set to the source's; the target keeps its
    skeleton (hands and face move with the body). Pixels, y down.

    ``anchor``: ``hip`` (MidHip on MidHip) or ``ground`` (the target's :func:`ground_point`
    on the source's ankles, so the feet stand where the source person stands). A source
    anchor must be seen (confidence at least :data:`ANCHOR_VISIBILITY`, in the image): no
    ankle falls back to the hip, no hip (an upper-body photo) to the neck, so the upper body
    stays where the source shows it. ``meta["placed"]`` records the anchor used and the
    shift.
    """
    if anchor not in ANCHORS:
        raise InvalidArgumentError(f"`anchor` must be one of {', '.join(ANCHORS)}, got {anchor!r}")
    t15 = as_body15(target)
    s15 = as_body15(source_pose)
    seen = np.nonzero(t15.confidence[:, t15.skeleton.idx("MidHip")] > 0)[0]
    if len(seen) == 0:
        return target.with_coords(target.coords, canvas=s15.canvas)
    t0 = int(seen[0])
    ankles = [s15.skeleton.idx(n) for n in ("LAnkle", "RAnkle")]
    ankles = [j for j in ankles if _anchor_seen(s15, j)]
    if anchor == "ground" and ankles and ground_point(t15, t0) is not None:
        src, tgt = ground_point(s15, 0, ankles), ground_point(t15, t0)
    else:
        anchor = "hip"
        j = t15.skeleton.idx("MidHip")
        if not _anchor_seen(s15, j):
            anchor, j = "neck", t15.skeleton.idx("Neck")
        if s15.confidence[0, j] <= 0 or t15.confidence[t0, j] <= 0:
            return target.with_coords(target.coords, canvas=s15.canvas)
        src, tgt = s15.coords[0, j], t15.coords[t0, j]
    shift = np.asarray(src) - np.asarray(tgt)
    coords = np.where(target.confidence[..., None] > 0, target.coords + shift, 0.0)
    out = target.with_coords(coords, canvas=s15.canvas)
    out.meta["placed_shift_px"] = shift.tolist()
    out.meta["placed"] = {"anchor": anchor, "shift_px": shift.tolist(), "frame": t0}
    return out


def place_scaled(target: PoseSequence, source_pose: PoseSequence) -> PoseSequence:
    """``target`` scaled so its median spine length (Neck-MidHip) is the source's, then
    :func:`place_on_source` (``--fit place``)."""
    t15 = as_body15(target)
    s15 = as_body15(source_pose)
    spine_t = np.linalg.norm(t15.joint("Neck") - t15.joint("MidHip"), axis=-1)
    ok = t15.visible[:, t15.skeleton.idx("Neck")] & t15.visible[:, t15.skeleton.idx("MidHip")]
    spine_s = float(np.linalg.norm(s15.joint("Neck")[0] - s15.joint("MidHip")[0]))
    if ok.any() and spine_s > 0:
        f = spine_s / max(float(np.median(spine_t[ok])), 1e-6)
        t15 = t15.with_coords(t15.coords * f)
    return place_on_source(t15, s15)


def fit_target(
    seq: PoseSequence,
    source: SourceAppearance,
    fit: str,
    *,
    view: str | float | PoseSequence = "motion",
    model: str | Path | None = None,
    device: str = "auto",
) -> PoseSequence:
    """A pose sequence made ready to render on ``source`` (``fit``: ``retarget`` onto the
    source's body then place; ``place``: scale and place; ``none``: as it is, rescaled from
    its canvas to the source image)."""
    from ..inputs import as_2d

    if fit not in FITS:
        raise InvalidArgumentError(f"fit must be one of {', '.join(FITS)}, got {fit!r}")
    seq2d = as_2d(seq)
    if fit == "none":
        from ..render.base import fit_to_image

        return fit_to_image(seq2d, source.size)
    if fit == "place":
        return place_scaled(seq2d, source.pose)
    out = retarget_onto(seq2d, source.body15, view, model=model, device=device)
    hidden = ~seq2d.present
    if hidden.any():
        out = out.with_coords(out.coords, np.where(hidden[:, None], 0.0, out.confidence))
    return place_on_source(out, source.pose)


# ------------------------------------------------------------------------ writing
def _progress(frames: Iterator[np.ndarray], total: int, name: str) -> Iterator[np.ndarray]:
    import sys

    from tqdm import tqdm

    return iter(
        tqdm(
            frames, total=total, desc=name, unit="frame", file=sys.stderr, disable=None, leave=False
        )
    )


def write_video(
    frames: Iterator[np.ndarray],
    output: str | Path,
    fps: float,
    *,
    total: int | None = None,
    audio_from: str | Path | None = None,
    audio_start: float = 0.0,
    crf: int = 18,
    preset: str = DEFAULT_PRESET,
) -> int:
    """Write ``frames`` to an H.264 MP4 atomically (:class:`skeleton_io.video_io.VideoWriter`)
    and return how many were written. ``frames`` are made in a background thread while the
    previous ones are encoded (rendering and encoding both release the GIL)."""
    from skeleton_io.video_io import prefetch
    from skeleton_io.video_writer import VideoWriter

    with VideoWriter(
        output, fps, crf=crf, preset=preset, audio_from=audio_from, audio_start=audio_start
    ) as writer:
        for rgb in _progress(prefetch(frames, name="render"), total or 0, Path(output).name):
            writer.write(rgb)
        return writer.frames_written


def _renderer(backend: str | Renderer, settings: dict[str, Any] | None) -> Renderer:
    if isinstance(backend, str):
        return get_renderer(backend, **(settings or {}))
    return backend


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
        output,
        [skeleton, source],
        backend=backend,
        fps=fps,
        background=background,
        model=model,
        renderer_settings=renderer_settings,
    )
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
    renderer = _renderer(backend, renderer_settings)
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


def _in_source_pixels(seq: PoseSequence, source: SourceAppearance) -> PoseSequence:
    """Poses of the source video (pixels of its full frame, ``seq.canvas``) in the pixels of
    the source image (the frame scaled to the processing size)."""
    if seq.canvas is None or tuple(seq.canvas) == tuple(source.size):
        return seq
    k = source.size[0] / seq.canvas[0]
    return seq.with_coords(seq.coords * k, canvas=source.size)


VIEW_JOINTS = ("Nose", "Neck", "RShoulder", "LShoulder")
"""The joints :func:`keep_in_view` keeps in the picture (with the top of the head)."""
VIEW_SMOOTH = 0.3
"""Seconds over which the shifts of :func:`keep_in_view` are smoothed (a camera that eases
after the person, not one that jerks)."""


def _view_box(pose: PoseSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame, the box (``lo``, ``hi``: ``(T, 2)``) of :data:`VIEW_JOINTS` and of the
    middle of the forehead (half a head's length, neck to nose, above the nose), and
    whether all were found."""
    p15 = as_body15(pose)
    idx = [p15.skeleton.idx(n) for n in VIEW_JOINTS]
    pts = p15.coords[:, idx, :2]
    top = pts[:, 0] + 0.5 * (pts[:, 0] - pts[:, 1])
    allpts = np.concatenate([pts, top[:, None]], axis=1)
    return allpts.min(1), allpts.max(1), (p15.confidence[:, idx] > 0).all(1)


def keep_in_view(
    target: PoseSequence, size: tuple[int, int], source: PoseSequence | None = None
) -> PoseSequence:
    """``target`` (``openpose15``, pixels of an image of ``size`` ``(w, h)``) shifted, frame
    by frame, as little as keeps its head and shoulders in the picture (:data:`VIEW_JOINTS`
    and the forehead, within a margin of 2 % of the long side, or as far out as the
    ``source`` person's own are in its first frame: a head the photo cuts may stay cut), the
    shifts widened and smoothed over :data:`VIEW_SMOOTH` seconds: a close-up or upper-body
    source driven by a dancer who moves across the stage or jumps stays in the frame as if
    the camera followed. Frames where the person is in view are not moved."""
    from scipy.ndimage import gaussian_filter1d, maximum_filter1d

    t15 = as_body15(target)
    lo, hi, seen = _view_box(t15)
    if not seen.any():
        return t15
    w, h = size
    m = 0.02 * max(w, h)
    low, high = np.array([m, m]), np.array([w - m, h - m])
    if source is not None:
        s_lo, s_hi, s_seen = _view_box(source)
        if s_seen[0]:
            low, high = np.minimum(low, s_lo[0]), np.maximum(high, s_hi[0])
    # Out on one side: move in; too big to fit: centre it.
    need = np.where(lo < low, low - lo, 0.0) + np.where(hi > high, high - hi, 0.0)
    too_big = hi - lo > high - low
    shift = np.where(too_big, (low + high) / 2 - (lo + hi) / 2, need)
    shift[~seen] = 0.0
    if not np.abs(shift).max() > 0:
        return t15
    sigma = max(1.0, VIEW_SMOOTH * (t15.fps or 25.0))
    # Each way's need is widened in time before it is smoothed, so the smoothing eases in
    # before the person would leave the picture instead of cutting the peak.
    width = 2 * round(sigma) + 1
    up = maximum_filter1d(np.maximum(shift, 0.0), width, axis=0, mode="nearest")
    down = maximum_filter1d(np.maximum(-shift, 0.0), width, axis=0, mode="nearest")
    shift = gaussian_filter1d(up - down, sigma, axis=0, mode="nearest")
    coords = np.where(t15.confidence[..., None] > 0, t15.coords + shift[:, None, :], t15.coords)
    out = t15.with_coords(coords)
    out.meta["view_shift_px_max"] = float(np.abs(shift).max())
    return out


FACE_JOINTS = ("REye", "LEye", "REar", "LEar")
"""Joints carried from the driving poses into the render target (:func:`carry_face`)."""


def carry_face(target: PoseSequence, motion: PoseSequence) -> PoseSequence:
    """``target`` (``openpose15``, pixels of the source) on ``body25`` with the eyes and ears
    of ``motion`` (the driving poses, its own pixels): each placed at the target's nose
    plus its offset from the driving's nose, scaled by the bodies' size ratio (median spine
    lengths), so the renderer turns the head as the driving's face turns (its roll, which
    the nose and neck alone do not tell). Returned as it is (on ``openpose15``) when
    ``motion`` has no eyes or ears."""
    from skeleton_io.convert import convert
    from skeleton_io.skeleton import BODY25

    if not any(n in motion.skeleton.joints for n in FACE_JOINTS):
        return target
    t25 = convert(as_body15(target), BODY25)
    m25 = convert(motion, BODY25)
    spine = lambda p: np.linalg.norm(p.joint("Neck") - p.joint("MidHip"), axis=-1)  # noqa: E731
    ok = t25.visible[:, BODY25.idx("Neck")] & t25.visible[:, BODY25.idx("MidHip")]
    ok &= m25.visible[:, BODY25.idx("Neck")] & m25.visible[:, BODY25.idx("MidHip")]
    if not ok.any():
        return target
    k = float(np.median(spine(t25)[ok]) / max(float(np.median(spine(m25)[ok])), 1e-6))
    nose = BODY25.idx("Nose")
    coords, conf = t25.coords.copy(), t25.confidence.copy()
    for name in FACE_JOINTS:
        j = BODY25.idx(name)
        coords[:, j] = coords[:, nose] + k * (m25.coords[:, j, :2] - m25.coords[:, nose, :2])
        conf[:, j] = np.minimum(m25.confidence[:, j], conf[:, nose])
    return t25.with_coords(coords, conf)


def driving_target(
    motion: PoseSequence,
    source: SourceAppearance,
    *,
    view: str | float | PoseSequence = "motion",
    model: Any = None,
    device: str = "auto",
    denoise_method: str = "learned",
    structure: PoseSequence | None = None,
) -> PoseSequence:
    """Driving poses (as :func:`skeleton_io.formats.video.load` gives them) made into the
    target of a render on ``source``: denoised, retargeted onto the source's body, placed at
    the source person; frames without anybody get confidence 0 (nothing drawn).

    ``structure``: poses of the source person over several frames (e.g. of the source video,
    denoised), to measure the body on instead of the one source frame; bone lengths seen in
    one frame are foreshortened or noisy, and the motion's are measured over all its frames.
    """
    from ..denoising import denoise
    from ..inputs import as_2d

    if denoise_method != "none":
        motion = denoise(motion, denoise_method)
    if model is None or isinstance(model, (str, Path)):  # denoised here, not again
        model = load_retargeter(model, device=device, denoise=None)
    body = source.body15 if structure is None else _in_source_pixels(as_body15(structure), source)
    target = retarget_onto(as_2d(motion), body, view, model=model, device=device)
    gone = ~motion.present
    if gone.any():
        log.info("nobody in %d driving frames; they show the background", int(gone.sum()))
        target = target.with_coords(target.coords, np.where(gone[:, None], 0.0, target.confidence))
    placed = keep_in_view(place_on_source(target, source.pose), source.size, source.pose)
    return carry_face(placed, motion) if isinstance(view, str) and view == "motion" else placed


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
    renderer = _renderer(backend, settings)
    prepare = getattr(renderer, "prepare", None)
    if callable(prepare):
        prepare(source)
    return renderer, load_retargeter(model, device=device, denoise=None)  # inputs come denoised


def stream_start(path: str | Path) -> float:
    """Presentation time (seconds) of a video stream's start (0 when unknown)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.start_time is None or stream.time_base is None:
            return 0.0
        return float(stream.start_time * stream.time_base)


def driving_background(
    path: str | Path,
    start_frame: int,
    max_frames: int | None,
    max_side: int | None,
    size: tuple[int, int],
) -> Iterator[np.ndarray]:
    """The driving video's frames (from ``start_frame``) scaled to cover ``size``, decoded
    in a background thread."""
    from skeleton_io.video_io import iter_frames, prefetch

    from ..render.background import cover

    frames = iter_frames(path, start_frame=start_frame, max_frames=max_frames, max_side=max_side)
    for frame in prefetch(frames, name="decode"):
        yield cover(frame.rgb, size)


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
    view: str | float | PoseSequence = "motion",
    model: Any = None,
    device: str = "auto",
    denoise_method: str = "learned",
    sampler: SceneSampler | None = None,
) -> PoseSequence:
    """The render target of ``retarget video`` (and of ``train-renderer``, so that a learned
    renderer trains on the targets it will be given): the driving poses ``motion`` denoised
    once, retargeted onto the source's body measured as :func:`source_structure` says (by a
    retargeter that does not denoise again), placed at the source person. ``sampler``:
    see :func:`source_structure`."""
    if denoise_method != "none":
        from ..denoising import denoise

        motion = denoise(motion, denoise_method)
    structure = source_structure(
        source, driving, motion, source_frame, max_side, denoise_method, sampler
    )
    return driving_target(
        motion, src, view=view, model=model, device=device, denoise_method="none",
        structure=structure,
    )  # fmt: skip


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
            (:func:`retarget.pipeline.people.people_transfer_video`).
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

    from ..render.background import background_image, remove_person
    from ..render.source import is_image, load_source

    if people != "main":
        from .people import people_transfer_video

        return people_transfer_video(
            source, driving, output, people=None if people == "all" else int(people),
            backend=backend, view=view, start_frame=start_frame, max_frames=max_frames,
            max_side=max_side, source_frame=source_frame, background=background, model=model,
            device=device, denoise_method=denoise_method, renderer_settings=renderer_settings,
        )  # fmt: skip
    t0 = time.perf_counter()
    output = check_render_request(
        output,
        [source, driving],
        backend=backend,
        driving=True,
        background=background,
        model=model,
        renderer_settings=renderer_settings,
    )
    info = probe(driving)
    check_start_frame(driving, start_frame, info.num_frames)
    src = load_source(source, source_frame=source_frame, max_side=max_side)
    if background != "driving":
        bg = background_image(background, src.size)
        if bg is not None:
            src = SourceAppearance(src.image, src.pose, src.mask, bg, dict(src.meta))
    same = Path(source).resolve() == Path(driving).resolve()
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
    audio_start = stream_start(driving) + float(motion.meta.get("start_time", 0.0))
    fps = info.fps if info.fps > 0 else motion.fps
    n = write_video(
        renderer.render(src, target),
        output,
        fps,
        total=target.num_frames,
        audio_from=driving if info.has_audio else None,
        audio_start=audio_start,
    )
    t4 = time.perf_counter()
    warnings = list(src.meta.get("warnings", []))
    prepare = getattr(renderer, "prepare", None)
    if callable(prepare):  # what the renderer made up (it logged it when preparing)
        warnings += [w for w in getattr(prepare(src), "warnings", []) if w not in warnings]
    if motion.meta.get("frames_with_several_people"):
        warnings.append(
            f"several people in {motion.meta['frames_with_several_people']} driving frames; "
            "followed the main one"
        )
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
