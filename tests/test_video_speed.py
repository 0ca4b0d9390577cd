"""The fast paths of pose-from-video: one tracked person with sparse probes for others
(skeleton_io.formats.video.MainPersonEstimator) and background decoding/rendering
(skeleton_io.video_io.prefetch). Scripted estimators with known answers, then the real
model on the shared two-people clip."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from skeleton_io import InvalidArgumentError
from skeleton_io.formats import video as vpose
from skeleton_io.formats.video import MainPersonEstimator, PersonLandmarks
from skeleton_io.video_io import prefetch

from .conftest import MEDIA, need


def person(cx: float, half: float = 0.1) -> PersonLandmarks:
    """A person whose box is ``cx +- half`` wide and 0.2..0.8 high (normalised)."""
    xy = np.tile([cx, 0.5], (33, 1))
    xy[0], xy[1] = (cx - half, 0.2), (cx + half, 0.8)
    return PersonLandmarks(xy, np.full(33, 0.9), np.ones(33), np.zeros((33, 3)))


class Scripted:
    """An estimator answering ``answer(call)``; records its calls and whether it is closed."""

    def __init__(self, kind: str, answer) -> None:
        self.kind, self.answer, self.calls, self.closed = kind, answer, [], False

    def __call__(self, rgb, timestamp=0.0):
        self.calls.append(int(rgb[0, 0, 0]))
        return self.answer(int(rgb[0, 0, 0]))

    def close(self):
        self.closed = True


def run(script, frames: int, probe_every: int, num_poses: int = 2):
    """Feed ``frames`` frames (frame i has pixel value i) through a MainPersonEstimator
    built from scripted track/probe/all estimators; return it, their log and the results."""
    made: dict[str, Scripted] = {}

    def make(video: bool, n: int) -> Scripted:
        kind = "track" if video and n == 1 else ("all" if video else "probe")
        assert n == (1 if kind == "track" else num_poses)
        made[kind] = Scripted(kind, script[kind])
        return made[kind]

    est = MainPersonEstimator(num_poses=num_poses, probe_every=probe_every, make=make)
    out = [est(np.full((4, 4, 3), i, np.uint8), i / 10) for i in range(frames)]
    est.close()
    return est, made, out


def test_one_person_is_tracked_and_probed_every_n_frames():
    one = person(0.5)
    script = {"track": lambda i: [one], "probe": lambda i: [one]}
    est, made, out = run(script, frames=25, probe_every=10)
    assert made["track"].calls == list(range(25))
    assert made["probe"].calls == [0, 10, 20]  # the first frame, then every 10
    assert "all" not in made and est.switched_at is None
    assert all(len(o) == 1 and o[0] is one for o in out)
    assert made["track"].closed and made["probe"].closed


def test_a_newly_found_or_jumping_person_is_probed_at_once():
    here, there = person(0.3), person(0.8)
    track = {0: [], 1: [], 2: [here], 3: [here], 4: [there], 5: [there], 6: [], 7: [there]}
    script = {"track": lambda i: track[i], "probe": lambda i: []}
    _, made, out = run(script, frames=8, probe_every=100)
    # frame 0 (first), 2 (found), 4 (jumped), 7 (found again after a miss)
    assert made["probe"].calls == [0, 2, 4, 7]
    assert [len(o) for o in out] == [0, 0, 1, 1, 1, 1, 0, 1]


def test_several_people_switch_to_the_multi_person_tracker_for_good():
    a, b = person(0.3), person(0.7, 0.2)
    script = {
        "track": lambda i: [a],
        "probe": lambda i: [a] if i < 6 else [a, b],
        "all": lambda i: [a, b],
    }
    est, made, out = run(script, frames=10, probe_every=3)
    assert made["probe"].calls == [0, 3, 6]  # frame 6's probe sees two
    assert est.switched_at == 6
    assert made["track"].calls == list(range(7)) and made["track"].closed
    assert made["all"].calls == [6, 7, 8, 9] and made["all"].closed
    assert [len(o) for o in out] == [1] * 6 + [2] * 4


def test_two_people_on_the_first_frame_never_use_the_single_tracker_output():
    a, b = person(0.3), person(0.7, 0.2)
    script = {"track": lambda i: [a], "probe": lambda i: [a, b], "all": lambda i: [b, a]}
    est, made, out = run(script, frames=3, probe_every=30)
    assert est.switched_at == 0 and all(o == [b, a] for o in out)


def test_probing_needs_room_for_two():
    with pytest.raises(InvalidArgumentError, match="num_poses"):
        MainPersonEstimator(num_poses=1)


# ------------------------------------------------------------------------ prefetch
def test_prefetch_keeps_order_and_runs_ahead_in_another_thread():
    seen = []

    def produce():
        for i in range(20):
            seen.append(threading.current_thread().name)
            yield i

    assert list(prefetch(produce(), depth=3, name="bg")) == list(range(20))
    assert set(seen) == {"bg"}
    assert list(prefetch(iter(range(5)), depth=0)) == list(range(5))  # depth 0: inline


def test_prefetch_raises_the_producers_error_at_its_item():
    def produce():
        yield 1
        yield 2
        raise ValueError("frame 3 is broken")

    got = []
    with pytest.raises(ValueError, match="frame 3"):
        for x in prefetch(produce()):
            got.append(x)
    assert got == [1, 2]


def test_prefetch_stops_and_closes_the_producer_when_the_consumer_stops():
    state = {"made": 0, "closed": False}

    def produce():
        try:
            for i in range(10_000):
                state["made"] += 1
                yield i
        finally:
            state["closed"] = True

    it = prefetch(produce(), depth=2)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    it.close()  # what a `break` out of a for loop does
    assert state["closed"] and state["made"] <= 3 + 2 + 1
    made = state["made"]
    time.sleep(0.1)
    assert state["made"] == made  # nothing runs on


# -------------------------------------------------------- real model, real media
@pytest.mark.filterwarnings("ignore:SymbolDatabase.GetPrototype")
def test_two_people_clip_keeps_the_largest_person_and_warns(caplog):
    """mediapipe with num_poses=1 follows its most confident person, here the smaller one;
    the probe sees both on frame 0, so the clip is followed exactly as with num_poses=2."""
    path = need(MEDIA / "h02_mmhuman3d_two_people.mp4")
    with caplog.at_level(logging.WARNING):
        fast = vpose.load(path, max_frames=12)
    assert "main person" in caplog.text and fast.meta["frames_with_several_people"] == 12
    full = vpose.load(path, max_frames=12, estimator=vpose.BlazePoseEstimator(num_poses=2))
    np.testing.assert_array_equal(fast.coords, full.coords)
    single = vpose.load(path, max_frames=1, num_poses=1)
    hips = [fast.skeleton.idx("LHip"), fast.skeleton.idx("RHip")]
    # the person num_poses=1 picks is not the main (largest) one
    assert abs(single.coords[0, hips, 0].mean() - fast.coords[0, hips, 0].mean()) > 200
