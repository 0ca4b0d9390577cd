"""Pose images as the ControlNet OpenPose and DWPose annotators draw them.

Pose-guided animators (ControlNet-OpenPose, Animate Anyone and its re-implementations,
MimicMotion, MusePose, UniAnimate, ComfyUI) take skeletons drawn exactly so: on a black RGB
canvas, for one person,

* **body** (OpenPose's COCO-18 points): the 17 limbs of the annotator's ``limbSeq`` as
  filled ellipse polygons (``cv2.ellipse2Poly``, half-width 4 px, the angle and half-length
  truncated to whole numbers) in 0.6 x the limb's colour of the 18-colour palette, then
  every point as a filled circle of radius 4 in its colour;
* **hands**: the 20 bones as lines of thickness 2 in the colour of HSV hue ``bone / 20``
  (full saturation and value), then every point as a blue (0, 0, 255) filled circle of
  radius 4;
* **face**: every point as a white filled circle of radius 3;

in that order: body, left hand, right hand, face (controlnet_aux 0.0.10's ``draw_poses``
and its ``open_pose/util.py``). Points below the confidence ``threshold`` are left out with
their limbs; hand and face points whose truncated pixel coordinates are not positive are
left out too (the annotator's ``x > eps`` test). ``style="dwpose"`` draws as the DWPose
annotator (``dwpose/util.py``): the same body, dimmed by scaling the canvas by 0.6 after the
limbs (the same pixels on a black canvas), and the 68-point face (no pupils).

Coordinates are pixels of the canvas: x right, y down, origin top-left; a pixel position
``x`` is drawn at ``int(x)`` (truncation, as the annotator does after scaling its
normalised coordinates). :func:`pose_images` scales a sequence from its own canvas to the
output canvas as the annotator's normalised coordinates would be.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.colors import hsv_to_rgb

from skeleton_io import wholebody as wb
from skeleton_io.checks import check_options, require_joints, source_name
from skeleton_io.convert import convert
from skeleton_io.errors import InvalidArgumentError, missing_dependency
from skeleton_io.group import PoseGroup
from skeleton_io.pose import PoseSequence
from skeleton_io.skeleton import BODY18, DWPOSE, OPENPOSE_WHOLEBODY, Skeleton

log = logging.getLogger(__name__)

STYLES = ("openpose", "dwpose")
DEFAULT_THRESHOLD = 0.3
"""Confidence below which a point is left out (DWPose keeps scores of 0.3 and more)."""
STICK_WIDTH = 4

_LIMB_SEQ = (
    (2, 3), (2, 6), (3, 4), (4, 5), (6, 7), (7, 8), (2, 9), (9, 10), (10, 11), (2, 12),
    (12, 13), (13, 14), (2, 1), (1, 15), (15, 17), (1, 16), (16, 18),
)  # fmt: skip
BODY_LIMBS: tuple[tuple[str, str], ...] = tuple(
    (BODY18.joints[a - 1], BODY18.joints[b - 1]) for a, b in _LIMB_SEQ
)
"""The annotator's 17 limbs (its 1-based ``limbSeq`` on OpenPose's COCO-18 body) by name."""
BODY_COLORS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
"""RGB colour of limb k and of COCO-18 point k."""
HAND_COLORS: tuple[tuple[float, float, float], ...] = tuple(
    tuple(float(v) for v in hsv_to_rgb([k / 20.0, 1.0, 1.0]) * 255) for k in range(20)
)
"""RGB colour of hand bone k (:data:`skeleton_io.wholebody.HAND_EDGES_INDEX`)."""
_EPS = 0.01


def _cv2() -> Any:
    try:
        import cv2
    except ImportError:
        raise missing_dependency("cv2", "video", "drawing pose images") from None
    return cv2


def _points(
    coords: np.ndarray, confidence: np.ndarray, skeleton: Skeleton, names: tuple[str, ...], t: float
) -> list[tuple[float, float] | None]:
    """``(x, y)`` of each name that is present at or above ``t``, else None."""
    out: list[tuple[float, float] | None] = []
    for n in names:
        j = skeleton.index.get(n)
        ok = j is not None and confidence[j] > 0 and confidence[j] >= t
        out.append((float(coords[j, 0]), float(coords[j, 1])) if ok else None)
    return out


def _draw_body(canvas: np.ndarray, people: list[list], style: str) -> np.ndarray:
    """The bodies of ``people`` (each a list of COCO-18 points or None) as the annotators
    draw them: every limb of every person (limb by limb, person by person within a limb),
    then for DWPose the canvas dimmed, then every point (point by point)."""
    cv2 = _cv2()
    wheres = [dict(zip(BODY18.joints, pts)) for pts in people]
    for (a, b), color in zip(BODY_LIMBS, BODY_COLORS):
        fill = color if style == "dwpose" else [int(float(c) * 0.6) for c in color]
        for where in wheres:
            p, q = where[a], where[b]
            if p is None or q is None:
                continue
            ys, xs = (p[0], q[0]), (p[1], q[1])  # the annotator's (swapped) names
            mx, my = np.mean(xs), np.mean(ys)
            length = ((xs[0] - xs[1]) ** 2 + (ys[0] - ys[1]) ** 2) ** 0.5
            angle = math.degrees(math.atan2(xs[0] - xs[1], ys[0] - ys[1]))
            polygon = cv2.ellipse2Poly(
                (int(my), int(mx)), (int(length / 2), STICK_WIDTH), int(angle), 0, 360, 1
            )
            cv2.fillConvexPoly(canvas, polygon, fill)
    if style == "dwpose":
        canvas = (canvas * 0.6).astype(np.uint8)
    for k, color in enumerate(BODY_COLORS):
        for pts in people:
            p = pts[k]
            if p is not None:
                cv2.circle(canvas, (int(p[0]), int(p[1])), 4, color, thickness=-1)
    return canvas


def _shown(p: tuple[float, float] | None) -> tuple[int, int] | None:
    if p is None:
        return None
    x, y = int(p[0]), int(p[1])
    return (x, y) if x > _EPS and y > _EPS else None


def _draw_hand(canvas: np.ndarray, pts: list) -> None:
    cv2 = _cv2()
    px = [_shown(p) for p in pts]
    for (a, b), color in zip(wb.HAND_EDGES_INDEX, HAND_COLORS):
        if px[a] is not None and px[b] is not None:
            cv2.line(canvas, px[a], px[b], color, thickness=2)
    for p in px:
        if p is not None:
            cv2.circle(canvas, p, 4, (0, 0, 255), thickness=-1)


def _draw_face(canvas: np.ndarray, pts: list) -> None:
    cv2 = _cv2()
    for p in map(_shown, pts):
        if p is not None:
            cv2.circle(canvas, p, 3, (255, 255, 255), thickness=-1)


def draw_pose_image(
    coords: np.ndarray,
    confidence: np.ndarray,
    skeleton: Skeleton,
    size: tuple[int, int],
    **options: Any,
) -> np.ndarray:
    """One person's pose image as the annotator draws it (see the module docstring):
    ``coords`` ``(J, 2)`` pixels of the canvas (x right, y down, origin top-left),
    ``confidence`` ``(J,)`` (0 = missing). Other arguments as :func:`draw_people_image`.

    Returns:
        ``(height, width, 3)`` uint8 RGB.
    """
    options = check_options(draw_people_image, options)
    return draw_people_image([(coords, confidence)], skeleton, size, **options)


def draw_people_image(
    people: Sequence[tuple[np.ndarray, np.ndarray]],
    skeleton: Skeleton,
    size: tuple[int, int],
    *,
    style: str = "openpose",
    hands: bool = True,
    face: bool = True,
    threshold: float = DEFAULT_THRESHOLD,
) -> np.ndarray:
    """Several people's pose image on one canvas, as the annotators draw a frame with
    several people, drawn in ``people``'s order (give them farthest first: later ones cover
    earlier ones).

    ``openpose`` (controlnet_aux's ``draw_poses``): person by person, each one's body, left
    hand, right hand and face. ``dwpose`` (its ``draw_pose``): every body's limbs (limb by
    limb), the canvas dimmed, every body's points; then every left hand, every right hand,
    every face.

    Args:
        people: ``(coords, confidence)`` per person: ``(J, 2)`` pixels of the canvas (x right,
            y down, origin top-left) and ``(J,)`` (0 = missing).
        skeleton: the joint table of the coordinates (points are found by name: a ``Neck``
            the skeleton lacks is not drawn; convert first to derive it, as
            :func:`pose_images` does).
        size: ``(width, height)`` of the canvas in pixels.
        style: ``"openpose"`` or ``"dwpose"``.
        hands: draw the hands (when the skeleton has them).
        face: draw the face (70 points for ``openpose``, 68 for ``dwpose``).
        threshold: points with a lower confidence are left out.

    Returns:
        ``(height, width, 3)`` uint8 RGB.
    """
    if style not in STYLES:
        raise InvalidArgumentError(f"unknown `style` {style!r}: choose one of {', '.join(STYLES)}")
    w, h = (int(v) for v in size)
    if w <= 0 or h <= 0:
        raise InvalidArgumentError(f"size must be (width, height) > 0, got {size}")
    arrays = [(np.asarray(c, dtype=np.float64), np.asarray(f, dtype=np.float64)) for c, f in people]

    def points(names: tuple[str, ...]) -> list[list]:
        return [_points(c, f, skeleton, names, threshold) for c, f in arrays]

    canvas = np.zeros((h, w, 3), dtype=np.uint8)
    bodies = points(BODY18.joints)
    hand_names = (wb.LEFT_HAND, wb.RIGHT_HAND) if hands else ()
    face_names = (wb.FACE68 if style == "dwpose" else wb.FACE70) if face else None
    if style == "openpose":
        for k, body in enumerate(bodies):
            canvas = _draw_body(canvas, [body], style)
            _draw_parts(canvas, [arrays[k]], skeleton, hand_names, face_names, threshold)
        return canvas
    canvas = _draw_body(canvas, bodies, style)
    _draw_parts(canvas, arrays, skeleton, hand_names, face_names, threshold)
    return canvas


def _draw_parts(
    canvas: np.ndarray,
    people: list[tuple[np.ndarray, np.ndarray]],
    skeleton: Skeleton,
    hand_names: tuple[tuple[str, ...], ...],
    face_names: tuple[str, ...] | None,
    threshold: float,
) -> None:
    """Every person's left hands, then right hands, then faces (a hand without any point
    is not drawn)."""
    for names in hand_names:
        for c, f in people:
            pts = _points(c, f, skeleton, names, threshold)
            if any(p is not None for p in pts):
                _draw_hand(canvas, pts)
    if face_names is not None:
        for c, f in people:
            _draw_face(canvas, _points(c, f, skeleton, face_names, threshold))


def style_skeleton(style: str) -> Skeleton:
    """The skeleton a style draws from (``openpose_wholebody`` or ``dwpose``)."""
    if style not in STYLES:
        raise InvalidArgumentError(f"unknown `style` {style!r}: choose one of {', '.join(STYLES)}")
    return DWPOSE if style == "dwpose" else OPENPOSE_WHOLEBODY


def pose_images(
    seq: PoseSequence | PoseGroup,
    *,
    style: str = "openpose",
    canvas: tuple[int, int] | None = None,
    hands: bool = True,
    face: bool = True,
    threshold: float = DEFAULT_THRESHOLD,
    frames: Sequence[int] | None = None,
) -> Iterator[np.ndarray]:
    """The pose image of every frame (or of ``frames``) of a 2D pixel sequence, or of a
    group of people (RGB, ``(H, W, 3)`` uint8).

    The sequence is converted by joint name to the style's skeleton first (``Neck`` is
    derived from the shoulders with the lower of their confidences, as DWPose derives it).
    With a ``canvas`` (width, height) other than the sequence's, coordinates are scaled by
    ``canvas / seq.canvas`` per axis (as the annotator's normalised coordinates would be);
    without a canvas they are drawn as they are. A group's people share each frame's
    canvas, drawn farthest first (:meth:`PoseGroup.depth_order`, over the whole sequence)
    as :func:`draw_people_image` draws them.
    """
    if seq.dims != 2:
        raise InvalidArgumentError(
            "pose images are drawn from 2D image keypoints, but this sequence is 3D "
            f"({seq.units}); extract 2D poses first"
        )
    target = style_skeleton(style)
    size = canvas or seq.canvas
    if size is None:
        raise InvalidArgumentError(
            f"{source_name(seq)}: states no canvas size; pass one (`canvas`, WIDTHxHEIGHT or an "
            "image)"
        )
    group = seq if isinstance(seq, PoseGroup) else PoseGroup.from_sequence(seq)
    on = group.map(
        lambda s: s if s.skeleton == target and not s.meta.get("joint_map") else convert(s, target),
        keep_missing=False,
    )
    scale = np.ones(2)
    if seq.canvas is not None:
        scale = np.asarray(size, dtype=np.float64) / np.asarray(seq.canvas, dtype=np.float64)
    near = group.nearness() if group.num_people > 1 else np.zeros((1, group.num_frames))
    opts = {"style": style, "hands": hands, "face": face, "threshold": threshold}

    def images() -> Iterator[np.ndarray]:
        for t in range(group.num_frames) if frames is None else frames:
            people = [on.person(k) for k in group.depth_order(t, near)]
            yield draw_people_image(
                [(p.coords[t] * scale, p.confidence[t]) for p in people], target, size, **opts
            )

    return images()


def write_png(rgb: np.ndarray, path: Path) -> None:
    """Write an RGB image as PNG (or JPEG, by ``path``'s suffix; ``cv2.imwrite``; raises
    ``OSError`` if it cannot)."""
    cv2 = _cv2()
    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f"{path}: could not write the PNG")


# ------------------------------------------------------------------ writing
VIDEO_SUFFIX = ".mp4"
IMAGE_SUFFIX = ".png"


def output_kind(output: str | Path) -> str:
    """``"video"`` (``.mp4``), ``"image"`` (``.png``, or ``.jpg``/``.jpeg`` as some animators
    want it: one frame) or ``"folder"`` (no suffix: numbered PNGs); anything else is refused
    before any work."""
    suffix = Path(output).suffix.lower()
    kinds = {VIDEO_SUFFIX: "video", IMAGE_SUFFIX: "image", ".jpg": "image", ".jpeg": "image"}
    kinds[""] = "folder"
    if suffix not in kinds:
        raise InvalidArgumentError(
            f"{output}: cannot write pose images as {suffix}; write a .mp4 video, a .png (or "
            ".jpg) of one frame, or a folder of PNGs (a path without a suffix)"
        )
    return kinds[suffix]


def _has(seq: PoseSequence, names: tuple[str, ...]) -> bool:
    idx = [seq.skeleton.index[n] for n in names if n in seq.skeleton.index]
    return bool(idx) and bool((seq.confidence[:, idx] > 0).any())


def parts_to_draw(
    seq: PoseSequence | PoseGroup, hands: bool | None, face: bool | None
) -> tuple[bool, bool]:
    """Whether to draw hands and face: None = when the sequence (anyone of a group) has
    them; asked for but absent = drawn without, with a warning naming the source."""
    source = seq.meta.get("source_path", "the pose sequence")
    people = list(seq.tracks.values()) if isinstance(seq, PoseGroup) else [seq]
    have_hands = any(_has(p, wb.LEFT_HAND + wb.RIGHT_HAND) for p in people)
    have_face = any(_has(p, wb.FACE70) for p in people)
    for asked, have, what in ((hands, have_hands, "hands"), (face, have_face, "face")):
        if asked and not have:
            log.warning("%s: has no %s; drawing without", source, what)
    return bool(have_hands and hands is not False), bool(have_face and face is not False)


def frame_file(entry: Path) -> bool:
    """A file a folder of pose images owns (and a new one replaces)."""
    return entry.is_file() and entry.name.startswith("frame_") and entry.suffix == IMAGE_SUFFIX


def write_pose_images(
    seq: PoseSequence | PoseGroup,
    output: str | Path,
    *,
    style: str = "openpose",
    canvas: tuple[int, int] | None = None,
    hands: bool | None = None,
    face: bool | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    frame: int | None = None,
    overwrite: bool = False,
) -> int:
    """Draw a sequence's pose images (:func:`pose_images`) into a video, a PNG or a folder.

    Args:
        seq: a 2D pixel sequence, or a group of people (all drawn in every frame).
        output: ``*.mp4`` (H.264 at the sequence's fps), ``*.png`` (one frame) or a path
            without a suffix (a folder of ``frame_000000.png``, ... one per frame). Written
            atomically: nothing is left behind on failure.
        style, canvas, threshold: as for :func:`pose_images`.
        hands, face: draw them (None: when the sequence has them; True without them:
            drawn without, warned).
        frame: the frame a ``.png`` shows (needed when the sequence has several).
        overwrite: write into an existing folder that holds files other than numbered
            frames (they are kept; without it such a folder is refused).

    Returns:
        The number of images written.

    Raises:
        InvalidArgumentError: an unknown style or output suffix, a ``.png`` without
            ``frame`` for several frames, a frame out of range, a 3D sequence.
        NoPersonFoundError: no frame has a point at or above ``threshold``.
    """
    from skeleton_io.atomic import atomic_dir, atomic_file, check_output_path
    from skeleton_io.errors import NoPersonFoundError
    from skeleton_io.group import require_pose
    from skeleton_io.video_writer import VideoWriter

    require_pose(seq, "seq", group=True)
    output = Path(output)
    kind = output_kind(output)
    style_skeleton(style)
    check_output_path(output, inputs=[seq.meta["source_path"]] if "source_path" in seq.meta else [])
    n = seq.num_frames
    if kind == "image":
        if frame is None and n > 1:
            raise InvalidArgumentError(
                f"{output}: a .png holds one frame but the sequence has {n}; choose one with "
                f"`frame` (0..{n - 1}), or write a .mp4 or a folder"
            )
        frame = 0 if frame is None else frame
    if frame is not None and not 0 <= frame < n:
        raise InvalidArgumentError(f"`frame` {frame} is out of range: the sequence has {n} frames")
    conf = seq.stacked()[1] if isinstance(seq, PoseGroup) else seq.confidence
    if not ((conf > 0) & (conf >= threshold)).any():
        source = seq.meta.get("source_path", "the pose sequence")
        raise NoPersonFoundError(
            f"{source}: nobody in any of its {n} frames (no point with confidence >= "
            f"{threshold:g}); nothing drawn"
        )
    one = seq.first if isinstance(seq, PoseGroup) else seq  # every person has one skeleton
    require_joints(convert(one, style_skeleton(style)), one, style_skeleton(style).name)
    hands, face = parts_to_draw(seq, hands, face)
    frames = list(range(n)) if frame is None else [frame]
    images = pose_images(
        seq, style=style, canvas=canvas, hands=hands, face=face, threshold=threshold,
        frames=frames,
    )  # fmt: skip
    if kind == "image":
        with atomic_file(output) as tmp:
            write_png(next(images), tmp)
        return 1
    if kind == "folder":
        with atomic_dir(output, frame_file, overwrite) as tmp:
            for k, rgb in enumerate(images):
                write_png(rgb, tmp / f"frame_{k:06d}.png")
        return len(frames)
    with VideoWriter(output, fps=seq.fps, crf=10) as writer:
        for rgb in images:
            writer.write(rgb)
    return len(frames)
