"""Pose images against the ControlNet annotators' own drawing code (controlnet_aux 0.0.10,
imported by path: its package ``__init__`` pulls torchvision and model downloads)."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from skeleton_io import DWPOSE, OPENPOSE_WHOLEBODY, PoseGroup, convert
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.skeleton import BODY18
from skeleton_io.wholebody import FACE68, FACE70, LEFT_HAND, RIGHT_HAND
from viz.pose_image import DEFAULT_THRESHOLD, draw_pose_image, pose_images

from .conftest import make_pose_sequence, make_wholebody_sequence


class _Keypoint(NamedTuple):  # what the annotator's util reads: .x, .y in [0, 1]
    x: float
    y: float
    score: float = 1.0
    id: int = -1


def _annotator_util(kind: str) -> types.ModuleType:
    """``controlnet_aux/<kind>/util.py`` loaded on its own (``kind``: open_pose, dwpose)."""
    spec = importlib.util.find_spec("controlnet_aux")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("controlnet-aux 0.0.10 is not installed (make install adds it, --no-deps)")
    folder = Path(spec.submodule_search_locations[0]) / kind
    name = f"_annotator_{kind}"
    if f"{name}.util" in sys.modules:
        return sys.modules[f"{name}.util"]
    package = types.ModuleType(name)
    package.__path__ = [str(folder)]
    body = types.ModuleType(f"{name}.body")  # open_pose/util.py imports only these two names
    body.Keypoint, body.BodyResult = _Keypoint, tuple
    sys.modules.update({name: package, f"{name}.body": body})
    util_spec = importlib.util.spec_from_file_location(f"{name}.util", folder / "util.py")
    util = importlib.util.module_from_spec(util_spec)
    sys.modules[f"{name}.util"] = util
    util_spec.loader.exec_module(util)
    return util


def _visible(seq, t, names):
    """Normalised (x, y) of each name, None where below the threshold."""
    w, h = seq.canvas
    out = []
    for n in names:
        j = seq.skeleton.idx(n)
        c = seq.confidence[t, j]
        ok = c > 0 and c >= DEFAULT_THRESHOLD
        out.append((seq.coords[t, j, 0] / w, seq.coords[t, j, 1] / h) if ok else None)
    return out


def _openpose_reference(seq, t, *others):
    """The annotator's ``draw_poses``: each person in turn (``seq`` then ``others``, all at
    frame ``t``) onto one canvas: body, left hand, right hand, face."""
    util = _annotator_util("open_pose")
    w, h = seq.canvas
    canvas = np.zeros((h, w, 3), np.uint8)
    for person in (seq, *others):
        body = [None if p is None else _Keypoint(*p) for p in _visible(person, t, BODY18.joints)]
        canvas = util.draw_bodypose(canvas, body)
        for names in (LEFT_HAND, RIGHT_HAND):
            pts = _visible(person, t, names)
            if any(p is not None for p in pts):  # the annotator passes None for a hand not found
                canvas = util.draw_handpose(canvas, [_Keypoint(*(p or (-1, -1))) for p in pts])
        face = [_Keypoint(*(p or (-1, -1))) for p in _visible(person, t, FACE70)]
        canvas = util.draw_facepose(canvas, face)
    return canvas


def _dwpose_reference(seq, t, *others):
    """The DWPose annotator's ``draw_pose`` of everyone at frame ``t``: its ``candidate``
    and ``subset`` of all bodies, all left hands then all right hands, all faces."""
    util = _annotator_util("dwpose")
    w, h = seq.canvas
    people = (seq, *others)
    canvas = np.zeros((h, w, 3), np.uint8)
    bodies = [_visible(p, t, BODY18.joints) for p in people]
    candidate = np.array([p or (-1.0, -1.0) for body in bodies for p in body])
    subset = np.array(
        [[18 * n + k if p is not None else -1 for k, p in enumerate(body)]
         for n, body in enumerate(bodies)],
        dtype=float,
    )  # fmt: skip
    canvas = util.draw_bodypose(canvas, candidate, subset)
    hands = [
        [p or (-1.0, -1.0) for p in _visible(person, t, names)]
        for names in (LEFT_HAND, RIGHT_HAND)
        for person in people
    ]
    canvas = util.draw_handpose(canvas, np.array(hands))
    face = [[p or (-1.0, -1.0) for p in _visible(person, t, FACE68)] for person in people]
    return util.draw_facepose(canvas, np.array(face))


def _agreement(ours: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """Share of all pixels, and of the pixels drawn in either image, within 8 levels."""
    close = (np.abs(ours.astype(int) - ref.astype(int)) <= 8).all(axis=2)
    drawn = (ours > 0).any(axis=2) | (ref > 0).any(axis=2)
    return float(close.mean()), float(close[drawn].mean())


@pytest.mark.parametrize("style", ["openpose", "dwpose"])
@pytest.mark.parametrize("seed", [0, 1])
def test_pose_images_match_the_annotators_own_drawing(style, seed):
    seq = make_wholebody_sequence(frames=4, seed=seed, canvas=(512, 768) if seed else (720, 480))
    target = OPENPOSE_WHOLEBODY if style == "openpose" else DWPOSE
    on = convert(seq, target)  # Neck from the shoulders, as the annotators derive it
    reference = _openpose_reference if style == "openpose" else _dwpose_reference
    for t, ours in enumerate(pose_images(seq, style=style)):
        ref = reference(on, t)
        assert ours.shape == ref.shape == (seq.canvas[1], seq.canvas[0], 3)
        everywhere, drawn = _agreement(ours, ref)
        assert everywhere >= 0.99 and drawn >= 0.99, (t, everywhere, drawn)
        assert (ref > 0).any(axis=2).mean() > 0.01  # a whole person was drawn


def test_low_confidence_points_and_their_limbs_are_left_out():
    seq = make_wholebody_sequence(frames=1, seed=3, drop=0.0)
    j = seq.skeleton.idx("RElbow")
    full = draw_pose_image(seq.coords[0], seq.confidence[0], seq.skeleton, seq.canvas)
    seq.confidence[0, j] = DEFAULT_THRESHOLD / 2
    without = draw_pose_image(seq.coords[0], seq.confidence[0], seq.skeleton, seq.canvas)
    x, y = seq.coords[0, j].astype(int)
    assert tuple(full[y, x]) == (255, 255, 0)  # the elbow's dot (COCO-18 point 3's colour)
    assert not without[y - 2 : y + 3, x - 2 : x + 3].any()  # dot and both limbs gone


def test_known_colours_and_sizes():
    """A two-point body (neck, right shoulder) and one hand bone, checked by hand."""
    sk = OPENPOSE_WHOLEBODY
    coords = np.zeros((sk.num_joints, 2))
    conf = np.zeros(sk.num_joints)
    for name, xy in {
        "Neck": (50.5, 40.2), "RShoulder": (20.7, 40.9), "LHandRoot": (70.0, 70.0),
        "LThumbCMC": (90.0, 70.0),
    }.items():  # fmt: skip
        coords[sk.idx(name)] = xy
        conf[sk.idx(name)] = 1.0
    img = draw_pose_image(coords, conf, sk, (120, 100), face=False)
    assert tuple(img[40, 35]) == (153, 0, 0)  # limb 0 (neck-right shoulder): 0.6 x red
    assert tuple(img[40, 50]) == (255, 85, 0)  # the neck's dot
    assert tuple(img[40, 20]) == (255, 170, 0)  # the right shoulder's dot
    assert tuple(img[44, 35]) == (153, 0, 0) and not img[46, 35].any()  # half-width 4
    assert tuple(img[70, 80]) == (255, 0, 0)  # hand bone 0: hue 0, red
    assert tuple(img[70, 70]) == (0, 0, 255)  # hand points: blue dots
    assert not img[:, 100:].any()


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"style": "comic"}, "unknown `style` 'comic'"),
        ({"size": (0, 10)}, "size must be"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    seq = make_wholebody_sequence(frames=1)
    args = {"size": seq.canvas, **kwargs}
    size = args.pop("size")
    with pytest.raises(InvalidArgumentError, match=match):
        draw_pose_image(seq.coords[0], seq.confidence[0], seq.skeleton, size, **args)


def test_sequence_scaled_to_another_canvas_and_3d_refused():
    seq = make_wholebody_sequence(frames=1, canvas=(200, 300), drop=0.0)
    big = next(pose_images(seq, canvas=(400, 600)))
    assert big.shape == (600, 400, 3)
    ys, xs = np.nonzero((big == (255, 255, 0)).all(axis=2))  # the right elbow's dot
    x, y = seq.joint("RElbow")[0]
    assert abs(xs.mean() - 2 * x) < 1.5 and abs(ys.mean() - 2 * y) < 1.5
    with pytest.raises(InvalidArgumentError, match="3D"):
        next(pose_images(make_pose_sequence(dims=3)))
    nocanvas = make_pose_sequence(canvas=None)
    with pytest.raises(InvalidArgumentError, match="canvas"):
        next(pose_images(nocanvas))


def _two_people(seed: int, canvas=(720, 480)):
    """Two people whose limbs cross: the second 120 px right of the first and lower (so
    nearer), in a group whose ids are listed nearest first."""
    a = make_wholebody_sequence(frames=3, seed=seed, canvas=canvas)
    b = make_wholebody_sequence(frames=3, seed=seed + 10, canvas=canvas)
    b = b.with_coords(np.where(b.confidence[..., None] > 0, b.coords + [60.0, 25.0], 0.0))
    return PoseGroup({5: b, 2: a}), a, b


@pytest.mark.parametrize("style", ["openpose", "dwpose"])
def test_a_group_is_drawn_as_the_annotators_draw_several_people(style):
    group, far, near = _two_people(seed=4)
    assert group.depth_order(0) == [2, 5]  # the lower (nearer) person last
    target = OPENPOSE_WHOLEBODY if style == "openpose" else DWPOSE
    reference = _openpose_reference if style == "openpose" else _dwpose_reference
    for t, ours in enumerate(pose_images(group, style=style)):
        ref = reference(convert(far, target), t, convert(near, target))
        everywhere, drawn = _agreement(ours, ref)
        assert everywhere >= 0.99 and drawn >= 0.99, (t, everywhere, drawn)
        if style == "dwpose":
            continue  # limb by limb: the order shows only where the same limbs cross
        # person by person: the other order differs where they cross
        swapped = reference(convert(near, target), t, convert(far, target))
        assert (np.abs(swapped.astype(int) - ref.astype(int)) > 8).any()


def test_group_person_and_missing_people():
    group, far, near = _two_people(seed=1)
    alone = next(pose_images(far))
    both = next(pose_images(group))
    assert (both != alone).any()
    gone = group.map(
        lambda s: s.with_coords(s.coords, np.zeros_like(s.confidence)) if s is near else s
    )
    np.testing.assert_array_equal(next(pose_images(gone)), alone)  # an absent person: nothing
    with pytest.raises(InvalidArgumentError, match="3D"):
        next(pose_images(PoseGroup({0: make_pose_sequence(dims=3)})))
