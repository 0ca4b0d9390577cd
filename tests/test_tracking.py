"""Tracking several people: the online tracker and identity repair on synthetic detections
with known answers, and whole-video tracking with a stand-in estimator that finds coloured
figures (no model)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from skeleton_io import BLAZEPOSE33, OPENPOSE15, InvalidArgumentError, NoPersonFoundError
from skeleton_io.formats import video_people
from skeleton_io.formats.video import PersonLandmarks
from skeleton_io.tracking import (
    HIST_BINS,
    Detection,
    TrackBuilder,
    Tracker,
    appearance,
    appearance_distance,
    drop_duplicates,
)
from skeleton_io.video_writer import VideoWriter

FPS = 25.0
RED, BLUE, GREEN = (220, 30, 30), (30, 60, 220), (30, 200, 60)

# A standing figure in a unit box (x right, y down): where each joint of a person sits.
_TEMPLATE = {
    "Nose": (0.5, 0.08), "LShoulder": (0.68, 0.22), "RShoulder": (0.32, 0.22),
    "LElbow": (0.78, 0.38), "RElbow": (0.22, 0.38), "LWrist": (0.82, 0.52),
    "RWrist": (0.18, 0.52), "LHip": (0.62, 0.52), "RHip": (0.38, 0.52),
    "LKnee": (0.62, 0.74), "RKnee": (0.38, 0.74), "LAnkle": (0.62, 0.95),
    "RAnkle": (0.38, 0.95),
}  # fmt: skip


def figure(skeleton, box) -> np.ndarray:
    """``(J, 2)`` joints of a standing figure filling ``box`` (x0, y0, x1, y1); joints the
    template lacks sit at the nose."""
    x0, y0, x1, y1 = box
    unit = np.array([_TEMPLATE.get(n, _TEMPLATE["Nose"]) for n in skeleton.joints])
    return np.array([x0, y0]) + unit * [x1 - x0, y1 - y0]


def solid(colour, size=(200, 120)) -> np.ndarray:
    img = np.zeros((size[1], size[0], 3), np.uint8)
    img[:] = colour
    return img


def det(x: float, look: np.ndarray | None = None, width: float = 40, y: float = 20) -> Detection:
    """A detection of a figure centred at ``x``, 100 px tall."""
    xy = figure(OPENPOSE15, (x - width / 2, y, x + width / 2, y + 100))
    return Detection(xy, np.full(OPENPOSE15.num_joints, 0.9), look)


def look_of(colour) -> np.ndarray:
    xy = figure(OPENPOSE15, (20, 10, 60, 110))
    return appearance(solid(colour), xy, np.ones(OPENPOSE15.num_joints), OPENPOSE15)


# ---------------------------------------------------------------- appearance
def test_appearance_tells_colours_apart():
    red, red2, blue = look_of(RED), look_of((200, 40, 35)), look_of(BLUE)
    assert red.shape == (3, HIST_BINS)
    assert appearance_distance(red, red) == pytest.approx(0.0, abs=1e-9)
    assert appearance_distance(red, red2) < 0.2 < 0.9 < appearance_distance(red, blue)
    hidden = appearance(solid(RED), figure(OPENPOSE15, (20, 10, 60, 110)),
                        np.zeros(OPENPOSE15.num_joints), OPENPOSE15)  # fmt: skip
    assert np.isnan(hidden).all() and np.isnan(appearance_distance(red, hidden))


# ---------------------------------------------------------------- online tracker
def run(frames: list[list[Detection]]) -> list[dict[int, float]]:
    """Track ids -> x of each frame's tracked people."""
    tracker = Tracker(FPS)
    return [
        {tid: float(d.xy[:, 0].mean()) for tid, d in tracker(t, f)} for t, f in enumerate(frames)
    ]


def test_crossing_keeps_identities():
    # Red walks right, blue (a little lower) left; they cross at frame 20.
    frames = [[det(20 + 4 * t, look_of(RED)), det(180 - 4 * t, look_of(BLUE), y=40)]
              for t in range(40)]  # fmt: skip
    out = run(frames)
    red = [tid for tid, x in out[0].items() if x < 100][0]
    for t, f in enumerate(out):
        assert f[red] == pytest.approx(20 + 4 * t, abs=1.0)
    assert all(len(f) == 2 for f in out)


def test_hidden_frames_stay_missing_and_the_person_comes_back():
    red, blue = look_of(RED), look_of(BLUE)
    frames = []
    for t in range(30):
        people = [det(150, blue)]
        if not 10 <= t < 18:  # red hidden for 8 frames, moving on meanwhile
            people.append(det(20 + 2 * t, red))
        frames.append(people)
    out = run(frames)
    red_id = [k for k, x in out[0].items() if x < 100][0]
    assert [red_id in f for f in out] == [not 10 <= t < 18 for t in range(30)]
    assert out[25][red_id] == pytest.approx(70, abs=1)


def test_leaving_and_coming_back_elsewhere_is_found_by_colour():
    red, blue, green = look_of(RED), look_of(BLUE), look_of(GREEN)
    frames = [[det(40, blue), det(150, red)] for _ in range(10)]
    frames += [[det(40, blue)] for _ in range(40)]  # red leaves for 1.6 s
    frames += [[det(40, blue), det(100, red)] for _ in range(5)]  # back, elsewhere
    frames += [[det(40, blue), det(100, red), det(160, green)] for _ in range(5)]
    out = run(frames)
    red_id = [k for k, x in out[0].items() if x > 100][0]
    assert out[52][red_id] == pytest.approx(100, abs=1)
    assert len({k for f in out for k in f}) == 3  # green is somebody new


def test_duplicates_are_merged():
    a, other = det(50, look_of(RED)), det(150)
    nudged = Detection(a.xy + 2.0, a.confidence * 0.9, a.appearance)
    kept = drop_duplicates([nudged, a, other])
    assert len(kept) == 2 and kept[0] is a and kept[1] is other  # the more confident stays


# ---------------------------------------------------------------- repair and group
def builder_with(frames: list[dict[int, Detection]], T: int) -> TrackBuilder:
    b = TrackBuilder(T, OPENPOSE15)
    for t, f in enumerate(frames):
        b.add(t, list(f.items()))
    return b


def test_repair_undoes_a_swap_after_a_contact():
    """Two people meet; the online ids come out swapped: colours put them back."""
    red, blue = look_of(RED), look_of(BLUE)
    T, frames = 60, []
    for t in range(T):
        xr, xb = 20 + 2.5 * t, 170 - 2.5 * t  # they meet at t = 30
        if t < 30:
            frames.append({0: det(xr, red), 1: det(xb, blue)})
        else:  # the online ids bounced: track 0 now holds blue, track 1 red
            frames.append({0: det(xb, blue), 1: det(xr, red)})
    b = builder_with(frames, T)
    assert b.repair(FPS) >= 1
    g = b.group(FPS, (200, 120))
    xs = {k: s.coords[:, :, 0].mean(axis=1) for k, s in g.items()}
    red_track = [k for k in g.ids if xs[k][0] < 100][0]
    np.testing.assert_allclose(xs[red_track][g.present[g.ids.index(red_track)]],
                               (20 + 2.5 * np.arange(T))[g.present[g.ids.index(red_track)]],
                               atol=1.0)  # fmt: skip


def _lone_crossing(lone_look, red, blue) -> tuple[TrackBuilder, range, range]:
    """Red walks right, blue left; they meet at t = 32, where the estimator finds one pose
    (given to red's track): mixed colours in ``mixed``, red's own in ``clear``."""
    T, frames = 64, []
    mixed, clear = range(28, 33), range(33, 37)
    for t in range(T):
        xr, xb = 20 + 2.5 * t, 180 - 2.5 * t  # wide figures: in contact from t = 26
        if t in mixed:
            frames.append({0: det((xr + xb) / 2, lone_look, 60)})
        elif t in clear:
            frames.append({0: det(xr, red, 60)})
        else:
            frames.append({0: det(xr, red, 60), 1: det(xb, blue, 60)})
    return builder_with(frames, T), mixed, clear


def test_a_lone_pose_in_a_crossing_is_kept_only_when_its_colours_say_whose():
    """One pose found for two people in contact: with mixed colours it may be either (or
    both), so it is missing in every track; with its track's own colours it stays."""
    red, blue = look_of(RED), look_of(BLUE)
    b, mixed, clear = _lone_crossing((red + blue) / 2, red, blue)  # half of each
    b.repair(FPS)
    g = b.group(FPS, (200, 120))
    assert not g.present[:, list(mixed)].any()
    red_row = int(np.argmin([s.coords[0, :, 0].mean() for _k, s in g.items()]))
    assert g.present[red_row, list(clear)].all()
    assert g.present[:, :28].all() and g.present[:, 37:].all()


def test_a_lone_pose_of_people_dressed_alike_stays():
    """Colours cannot say whose a lone pose is when both wear the same: it stays where the
    online tracker put it."""
    red = look_of(RED)
    b, mixed, clear = _lone_crossing(red, red, red)
    b.repair(FPS)
    g = b.group(FPS, (200, 120))
    assert g.present[:, [*mixed, *clear]].any(axis=0).all()


def test_group_keeps_the_largest_and_numbers_left_to_right():
    T = 30
    frames = [
        {5: det(150, width=20), 9: det(40, width=60), 2: det(100, width=40)} for _ in range(T)
    ]
    frames[0] = {5: det(150, width=20), 9: det(40, width=60)}  # track 2 appears at frame 1
    b = builder_with(frames, T)
    g = b.group(FPS, (200, 120), people=2)
    assert g.ids == (0, 1)
    xs = [float(s.coords[5, :, 0].mean()) for _k, s in g.items()]
    assert xs == pytest.approx([40, 100], abs=1)  # the two widest; first seen, left to right
    assert b.group(FPS, (200, 120)).num_people == 3


def test_short_spurious_tracks_are_dropped():
    T = 50
    frames = [{0: det(50)} for _ in range(T)]
    frames[7] = {0: det(50), 1: det(160)}
    assert builder_with(frames, T).group(FPS, (200, 120)).num_people == 1


# ---------------------------------------------------------------- whole videos
def blob_landmarks(img: np.ndarray, colour, size) -> PersonLandmarks | None:
    """The figure filling the box of ``colour``'s pixels in ``img``, as BlazePose gives."""
    mask = np.abs(img.astype(int) - colour).sum(axis=2) < 60
    if mask.sum() < 30:
        return None
    ys, xs = np.nonzero(mask)
    box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    xy = figure(BLAZEPOSE33, box) / np.array(img.shape[1::-1], dtype=float)
    return PersonLandmarks(xy, np.full(33, 0.95), np.ones(33), np.zeros((33, 3)),
                           mask.astype(np.float32))  # fmt: skip


class BlobPose:
    """Stands in for BlazePose: finds the red, blue and green figures of an image; with
    ``num_poses=1`` only the largest (as a single-person landmarker follows one)."""

    colours = (RED, BLUE, GREEN)

    def __init__(self, video: bool, num_poses: int) -> None:
        self.num_poses = num_poses
        self.calls = 0

    def __call__(self, rgb, timestamp=0.0):
        self.calls += 1
        found = [p for c in self.colours if (p := blob_landmarks(rgb, c, None)) is not None]
        found.sort(key=lambda p: -float(p.mask.sum()))
        return found[: self.num_poses]

    def close(self):
        pass


def make_clip(path, frames: int, people) -> None:
    """A 200x120 grey clip; ``people(t)`` gives ``(colour, x0, width)`` figures, drawn in
    order (later ones in front)."""
    with VideoWriter(path, FPS, crf=0, preset="ultrafast") as w:
        for t in range(frames):
            img = np.full((120, 200, 3), 128, np.uint8)
            for colour, x0, width in people(t):
                x0 = int(round(x0))
                img[10:110, max(x0, 0) : max(x0 + width, 0)] = colour
            w.write(img)


def test_video_two_people_crossing_keep_their_ids(tmp_path):
    path = tmp_path / "cross.mp4"
    make_clip(path, 40, lambda t: [(RED, 10 + 4 * t, 30), (BLUE, 160 - 4 * t, 30)])
    g = video_people.load_group(path, make=BlobPose, max_side=None)
    assert g.ids == (0, 1) and g.num_frames == 40 and g.skeleton == BLAZEPOSE33
    red, blue = g.person(0), g.person(1)  # numbered left to right
    apart = np.abs((10 + 4 * np.arange(40)) - (160 - 4 * np.arange(40))) > 40
    for seq, x0 in ((red, 10 + 4 * np.arange(40)), (blue, 160 - 4 * np.arange(40))):
        centre = seq.coords[:, :, 0].mean(axis=1)
        ok = seq.present & apart
        assert ok.sum() >= 25
        np.testing.assert_allclose(centre[ok], x0[ok] + 15, atol=2.0)
    assert g.meta["tracks_found"] >= 2 and g.meta["people_requested"] == "all"


def test_video_people_n_keeps_the_largest(tmp_path):
    path = tmp_path / "three.mp4"
    make_clip(path, 12, lambda t: [(RED, 10, 20), (BLUE, 80, 50), (GREEN, 150, 35)])
    g = video_people.load_group(path, people=2, make=BlobPose, max_side=None)
    assert g.num_people == 2
    centres = [float(s.coords[0, :, 0].mean()) for _k, s in g.items()]
    assert centres == pytest.approx([105, 167.5], abs=2)  # red, the narrowest, dropped


def test_video_nobody_and_bad_people(tmp_path):
    path = tmp_path / "empty.mp4"
    make_clip(path, 5, lambda t: [])
    with pytest.raises(NoPersonFoundError, match="no person found in 5 frames"):
        video_people.load_group(path, make=BlobPose)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidArgumentError, match="people"):
            video_people.load_group(path, people=bad, make=BlobPose)


def test_video_person_leaving_for_good_is_warned_and_missing(tmp_path, caplog):
    path = tmp_path / "leave.mp4"
    make_clip(path, 60, lambda t: [(RED, 20, 30)] + ([(BLUE, 120 + 3 * t, 30)] if t < 20 else []))
    with caplog.at_level(logging.WARNING):
        g = video_people.load_group(path, make=BlobPose, max_side=None)
    blue = g.person(1)
    assert not blue.present[30:].any() and blue.present[:15].all()
    assert g.person(0).present.all()
    warned = [r.getMessage() for r in caplog.records if "leaves after frame" in r.getMessage()]
    assert len(warned) == 1 and str(path) in warned[0] and "person 1" in warned[0]


# ---------------------------------------------------------------- the command line
@pytest.fixture
def blob_pose(monkeypatch):
    """`retarget extract` with :class:`BlobPose` in place of BlazePose."""
    from skeleton_io.formats import video as video_fmt

    def make(*, video=True, num_poses=2, segmentation=False, **_):
        return BlobPose(video, num_poses)

    monkeypatch.setattr(video_fmt, "BlazePoseEstimator", make)


def test_cli_extract_people_from_a_video(tmp_path, blob_pose):
    from click.testing import CliRunner

    from retarget.cli import cli
    from skeleton_io import load_group

    path = tmp_path / "leave.mp4"
    make_clip(path, 60, lambda t: [(RED, 20, 30)] + ([(BLUE, 120 + 3 * t, 30)] if t < 20 else []))
    out = tmp_path / "people.npz"
    r = CliRunner().invoke(cli, ["extract", str(path), "-o", str(out), "--people", "all",
                                 "--max-side", "200"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "leaves after frame" in r.output and "2 people" in r.output
    g = load_group(out)
    assert g.ids == (0, 1) and g.skeleton.name == "blazepose33"
    assert not g.person(1).present[30:].any()  # denoised, still missing once gone
    # nobody in the video: one line, exit 2, nothing written
    empty = tmp_path / "empty.mp4"
    make_clip(empty, 5, lambda t: [])
    out2 = tmp_path / "none.npz"
    r = CliRunner().invoke(cli, ["extract", str(empty), "-o", str(out2), "--people", "2"])
    assert r.exit_code == 2 and "no person found" in r.output and str(empty) in r.output
    assert len(r.output.strip().splitlines()) == 1 and not out2.exists()


# ---------------------------------------------------------------- real media
@pytest.mark.slow
def test_real_two_people_keep_their_sides():
    """h02: two people shaking hands, each keeps one id the whole clip; hi01: two women."""
    from skeleton_io import load_group

    from .conftest import MEDIA, need

    g = load_group(need(MEDIA / "h02_mmhuman3d_two_people.mp4"), people=2, max_side=256)
    assert g.ids == (0, 1) and g.present.all()
    hips = [BLAZEPOSE33.idx("LHip"), BLAZEPOSE33.idx("RHip")]
    left, right = (s.coords[:, hips, 0].mean(axis=1) for _k, s in g.items())
    assert (left < 0.5 * g.canvas[0]).all() and (right > 0.5 * g.canvas[0]).all()
    assert load_group(need(MEDIA / "hi01_magic_two_women.png")).num_people == 2
