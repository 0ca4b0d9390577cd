"""Several people rendered (`retarget video --people all`): compositing in depth order, who
dances as whom, the pipeline and command with scripted estimators, one real short run."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import skeleton_io
from retarget.cli import cli
from retarget.pipeline.people import match_people
from retarget.render import SourceAppearance
from retarget.render.people import render_people
from retarget.render.reference import PartWarpRenderer
from retarget.render.source import detect_people, load_sources
from skeleton_io import InvalidArgumentError, PoseGroup
from skeleton_io.formats import video as video_fmt
from skeleton_io.video_io import iter_frames, probe

from .conftest import MEDIA, need
from .test_render import (
    STAND,
    J,
    background,
    dance,
    draw_person,
    joints_of,
    landmarks,
    make_driving,
    pose_seq,
)

cv2 = pytest.importorskip("cv2")

WIDE = (400, 240)
APART = 200.0  # the second person stands this far right of the first


def two_people_image():
    """Two stick figures side by side on a wide canvas; the right one in inverted colours
    (to tell them apart). Returns (image, [(joints, mask), ...]) left to right."""
    left = joints_of(STAND)
    right = left + [APART, 0.0]
    img, m_left = draw_person(left, WIDE, background(WIDE))
    other, m_right = draw_person(right, WIDE, background(WIDE))
    img = np.where(m_right[..., None] > 0.5, 255 - other, img).astype(np.uint8)
    return img, [(left, m_left), (right, m_right)]


class TwoPeopleImage:
    """An image-mode estimator that finds the two figures of :func:`two_people_image`."""

    def __init__(self, *, video=False, segmentation=False, **kw):
        pass

    def __call__(self, rgb, timestamp=0.0):
        h, w = rgb.shape[:2]
        k = w / WIDE[0]
        _, people = two_people_image()
        out = [landmarks(j * k, (w, h), cv2.resize(m, (w, h))) for j, m in people]
        return out if rgb.mean() != 128 else []  # nobody left once painted over

    def close(self):
        pass


def sources_of(img, people) -> list[SourceAppearance]:
    bg = background(WIDE)
    return [SourceAppearance(img, pose_seq(j, WIDE), m, background=bg) for j, m in people]


# ---------------------------------------------------------------------- compositing
def test_identity_targets_reproduce_both_people():
    img, people = two_people_image()
    sources = sources_of(img, people)
    targets = [pose_seq(np.repeat(j[None], 2, axis=0), WIDE) for j, _ in people]
    frames = list(render_people(PartWarpRenderer(workers=1), sources, targets, background(WIDE)))
    assert len(frames) == 2
    both = np.maximum(people[0][1], people[1][1]) > 0.5
    err = np.abs(frames[0].astype(int) - img.astype(int)).max(axis=-1)
    assert np.median(err[both]) < 20  # each person where they stand, in their own colours


def test_nearer_person_is_drawn_over_the_farther_one():
    img, people = two_people_image()
    sources = sources_of(img, people)
    left = people[0][0]
    # the right person steps onto the left one's place, lower in the picture (nearer)
    near = left + [10.0, 12.0]
    targets = [pose_seq(left, WIDE), pose_seq(near, WIDE)]
    out = next(render_people(PartWarpRenderer(workers=1), sources, targets, background(WIDE)))
    torso = tuple(int(v) for v in (near[J["Neck"]] + near[J["MidHip"]]) / 2)
    x, y = torso
    right_torso = img[int(people[1][0][J["MidHip"], 1]) - 30, int(people[1][0][J["MidHip"], 0])]
    assert np.abs(out[y, x].astype(int) - right_torso.astype(int)).max() < 30
    # farther first: swapping who is lower swaps who is on top
    targets = [pose_seq(near, WIDE), pose_seq(left + [10.0, 0.0], WIDE)]
    out = next(render_people(PartWarpRenderer(workers=1), sources, targets, background(WIDE)))
    left_torso = img[int(left[J["MidHip"], 1]) - 30, int(left[J["MidHip"], 0])]
    assert np.abs(out[y, x].astype(int) - left_torso.astype(int)).max() < 30


class StreamOnly:
    """A backend that only renders whole streams (no per-frame compositing)."""

    name, device_needs = "stream-only", "cpu"

    def __init__(self):
        self.inner = PartWarpRenderer(workers=1)

    def render(self, source, target):
        return self.inner.render(source, target)


def test_any_backend_is_composited_by_chaining_its_streams():
    img, people = two_people_image()
    sources = sources_of(img, people)
    moves = dance(4, 12)
    targets = [pose_seq(moves, WIDE), pose_seq(moves + [APART, 0.0], WIDE)]
    layered = list(render_people(PartWarpRenderer(workers=1), sources, targets, background(WIDE)))
    chained = list(render_people(StreamOnly(), sources, targets, background(WIDE)))
    for a, b in zip(layered, chained, strict=True):
        np.testing.assert_array_equal(a, b)  # apart, the order does not matter
    with pytest.raises(InvalidArgumentError, match="one target per source"):
        next(render_people(StreamOnly(), sources, targets[:1], background(WIDE)))


# ---------------------------------------------------------------------- sources, matching
def test_source_people_found_left_to_right_with_one_shared_scene():
    img, people = two_people_image()
    found = detect_people(img, estimator=TwoPeopleImage(), refine=False)
    assert len(found) == 2
    assert found[0][0].coords[0, 0, 0] < found[1][0].coords[0, 0, 0]


def dancers(xs, frames=6) -> PoseGroup:
    moves = dance(frames, 12)
    return PoseGroup({k: pose_seq(moves + [x, 0.0], (800, 240)) for k, x in enumerate(xs)})


def test_dancers_match_source_people_left_to_right_or_all_one():
    img, people = two_people_image()
    two = sources_of(img, people)
    group = dancers([500.0, 100.0])  # id 0 on the right
    assert match_people(group, two, "src") == {1: 0, 0: 1}
    assert match_people(group, two[:1], "src") == {0: 0, 1: 0}
    with pytest.raises(
        InvalidArgumentError, match="src shows 2 people but the driving video has 3"
    ):
        match_people(dancers([0.0, 200.0, 400.0]), two, "src")


# ---------------------------------------------------------------------- the command
@pytest.fixture
def scripted(monkeypatch, tmp_path):
    """A two-person source photo, a driving video and its two dancers (scripted)."""
    img, _ = two_people_image()
    src = tmp_path / "two.png"
    cv2.imwrite(str(src), img[..., ::-1])
    drv = make_driving(tmp_path / "drv.mp4", frames=8, fps=12, audio=True)
    monkeypatch.setattr(video_fmt, "BlazePoseEstimator", TwoPeopleImage)

    def load_group(path, people=None, start_frame=0, max_frames=None, **kw):
        g = dancers([100.0, 300.0], frames=8)[
            start_frame : None if max_frames is None else start_frame + max_frames
        ]
        g.meta["start_time"] = 0.0
        return g if people is None else g.largest(people)

    monkeypatch.setattr(skeleton_io, "load_group", load_group)
    return src, drv


def test_cli_video_people_all(tmp_path, scripted):
    src, drv = scripted
    out = tmp_path / "out.mp4"
    res = CliRunner().invoke(cli, ["video", str(src), str(drv), "-o", str(out), "--people", "all"])
    assert res.exit_code == 0, res.output
    assert "2 people" in res.output
    info = probe(out)
    assert (info.num_frames, info.has_audio, (info.width, info.height)) == (8, True, WIDE)
    frame = next(iter_frames(out)).rgb.astype(int)
    scene = background(WIDE).astype(int)
    changed = np.abs(frame - scene).max(axis=-1) > 40
    assert changed[:, : WIDE[0] // 2].mean() > 0.03 and changed[:, WIDE[0] // 2 :].mean() > 0.03


def test_cli_video_people_bad_input(tmp_path, scripted):
    src, drv = scripted
    out = tmp_path / "out.mp4"
    res = CliRunner().invoke(cli, ["video", str(src), str(drv), "-o", str(out), "--people", "0"])
    assert res.exit_code == 2 and "--people" in res.output
    res = CliRunner().invoke(cli, ["video", str(src), str(drv), "-o", str(out), "--people", "1"])
    assert res.exit_code == 2, res.output
    assert "shows 2 people but the driving video has 1" in res.output and "--people 2" in res.output
    assert not out.exists()


@pytest.mark.shared
@pytest.mark.slow
def test_real_two_women_and_two_dancers(tmp_path):
    src = need(MEDIA / "hi01_magic_two_women.png")
    drv = need(MEDIA / "h02_mmhuman3d_two_people.mp4")
    sources = load_sources(src)
    assert len(sources) == 2 and sources[0].pose.coords[0, 0, 0] < sources[1].pose.coords[0, 0, 0]
    out = tmp_path / "out.mp4"
    res = CliRunner().invoke(
        cli, ["video", str(src), str(drv), "-o", str(out), "--people", "all", "--max-frames", "6"]
    )
    assert res.exit_code == 0, res.output
    assert probe(out).num_frames == 6 and "2 people" in res.output
