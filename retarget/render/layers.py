"""The layers of the reference renderer (:mod:`.reference`): one part drawn as ``(roi, rgb,
alpha255)`` with the texture of another limb (:func:`borrowed_layer`) or as a plain shaded
limb (:func:`synth_layer`), and composited over the frame (:func:`blend`). Pixels of the
output frame, x right, y down.
"""

from __future__ import annotations

import numpy as np

from .parts import PARTS, J, PartShape, invert_affine, limb_affine
from .prepare import PreparedSource, _bbox

Layer = tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]
"""One part drawn: ``(roi, rgb, alpha255)``, the box ``(x0, y0, x1, y1)`` of the output it
covers, its uint8 ``(h, w, 3)`` colours and its alpha (0-255, ``(h, w)``)."""


def clip_roi(out: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    """``box`` ``(x0, y0, x1, y1)`` cut to the frame ``out``; None when nothing is left."""
    h, w = out.shape[:2]
    x0, y0, x1, y1 = max(box[0], 0), max(box[1], 0), min(box[2], w), min(box[3], h)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def borrowed_layer(
    out: np.ndarray, prep: PreparedSource, i: int, joints: np.ndarray, scale: float
) -> Layer | None:
    """Part ``i`` drawn with the texture of another limb (``prep.borrowed``), its bone
    laid on the part's, mirrored across it when the donor is of the other side (no
    blending with its neighbours: the texture comes from elsewhere)."""
    import cv2

    m = int(prep.borrowed[i])
    spec, twin = PARTS[i], PARTS[m]
    sa, sb = prep.joints[J[twin.bone[0]]], prep.joints[J[twin.bone[1]]]
    ta, tb = joints[J[spec.bone[0]]], joints[J[spec.bone[1]]]
    flip = twin.side != spec.side
    if twin.name.split("_", 1)[1] != spec.name.split("_", 1)[1]:
        # The limb it hangs from, turned end for end: the cloth by the joint they share
        # (a sleeve at the elbow, a trouser leg at the knee) goes on across it.
        sa, sb = sb, sa
        flip = not flip
    fwd = limb_affine(sa, sb, ta, tb, scale, mirror=flip)
    inv = invert_affine(fwd).astype(np.float32)
    tex, alpha_tex = prep.textures[m], prep.alphas[m]
    ox, oy = prep.origins[m]  # type: ignore[misc]
    th, tw = tex.shape[:2]  # type: ignore[union-attr]
    corners = np.array([[ox, oy], [ox + tw, oy], [ox, oy + th], [ox + tw, oy + th]], float)
    mapped = corners @ fwd[:, :2].T + fwd[:, 2]
    box = (
        int(np.floor(mapped[:, 0].min())) - 1,
        int(np.floor(mapped[:, 1].min())) - 1,
        int(np.ceil(mapped[:, 0].max())) + 2,
        int(np.ceil(mapped[:, 1].max())) + 2,
    )
    roi = clip_roi(out, box)
    if roi is None:
        return None
    x0, y0, x1, y1 = roi
    x = np.arange(x0, x1, dtype=np.float32)[None, :]
    y = np.arange(y0, y1, dtype=np.float32)[:, None]
    qx = inv[0, 0] * x + inv[0, 1] * y + (inv[0, 2] - np.float32(ox))
    qy = inv[1, 0] * x + inv[1, 1] * y + (inv[1, 2] - np.float32(oy))
    qx = np.ascontiguousarray(qx, dtype=np.float32)
    qy = np.ascontiguousarray(qy, dtype=np.float32)
    rgb = cv2.remap(tex, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.remap(
        alpha_tex, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    return roi, rgb, alpha


def synth_layer(out: np.ndarray, prep: PreparedSource, i: int, shape: PartShape) -> Layer | None:
    from .parts import segment_distance_xy

    roi = clip_roi(out, _bbox(shape, pad=2))
    if roi is None:
        return None
    x0, y0, x1, y1 = roi
    x = np.arange(x0, x1, dtype=np.float32)[None, :]
    y = np.arange(y0, y1, dtype=np.float32)[:, None]
    d = segment_distance_xy(x, y, shape.a, shape.b)
    r = np.float32(max(shape.radius, 1.0))
    alpha = np.clip(r - d + 0.5, 0.0, 1.0)
    shade = 1.0 - 0.3 * np.minimum(d / r, 1.0) ** 2
    rgb = np.clip(shade[..., None] * prep.colors[i][None, None, :], 0, 255).astype(np.uint8)
    return roi, rgb, alpha * np.float32(255)


def blend(
    out: np.ndarray, roi: tuple[int, int, int, int], rgb: np.ndarray, alpha255: np.ndarray
) -> None:
    """Composite ``rgb`` (uint8 ``(h, w, 3)``) with alpha ``alpha255`` (0-255, ``(h, w)``)
    over ``out[roi]`` (uint8) in place, through ``cv2.blendLinear``."""
    import cv2

    x0, y0, x1, y1 = roi
    a = alpha255.astype(np.float32)
    view = out[y0:y1, x0:x1]
    view[...] = cv2.blendLinear(rgb, view, a, np.float32(255) - a)


__all__ = ["Layer", "blend", "borrowed_layer", "clip_roi", "synth_layer"]
