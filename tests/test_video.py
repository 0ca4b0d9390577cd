"""Video/image decoding and writing (skeleton_io.video_io) and pose from video
(skeleton_io.formats.video): synthetic clips with known answers, then a few real ones."""

from __future__ import annotations

import logging
import struct
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from skeleton_io import (
    InvalidArgumentError,
    MissingDependencyError,
    NoPersonFoundError,
    VideoReadError,
    load_file,
)
from skeleton_io import video_io as vio
from skeleton_io.formats import video as vpose
from skeleton_io.formats.video import PersonLandmarks
from skeleton_io.video_writer import VideoWriter

from .conftest import MEDIA, need

# Four coloured quadrants: any rotation or mirror moves them somewhere you can check.
QUAD = {"tl": (255, 0, 0), "tr": (0, 255, 0), "bl": (0, 0, 255), "br": (255, 255, 255)}


def quadrants(height: int = 48, width: int = 64) -> np.ndarray:
    img = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    img[:h, :w], img[:h, w:] = QUAD["tl"], QUAD["tr"]
    img[h:, :w], img[h:, w:] = QUAD["bl"], QUAD["br"]
    return img


def corner_colours(img: np.ndarray) -> dict[str, tuple[int, ...]]:
    """The mean colour of each quadrant, rounded to 0/255 (robust to codec noise)."""
    h, w = img.shape[0] // 2, img.shape[1] // 2
    cut = {
        "tl": img[: h - 2, : w - 2],
        "tr": img[: h - 2, w + 2 :],
        "bl": img[h + 2 :, : w - 2],
        "br": img[h + 2 :, w + 2 :],
    }
    return {
        k: tuple(int(round(v / 255)) * 255 for v in c.reshape(-1, 3).mean(0))
        for k, c in cut.items()
    }


def make_video(
    path: Path,
    frames: int = 8,
    size: tuple[int, int] = (64, 48),
    fps: int = 10,
    rotation: int = 0,
    hflip: bool = False,
    faststart: bool = False,
    audio: bool = False,
    noise: bool = False,
) -> Path:
    """An H.264 MP4 of quadrant frames (optionally with a display matrix, AAC audio, or
    random noise so that every frame costs about the same number of bytes)."""
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height = size
        s.pix_fmt = "yuv420p"
        if rotation or hflip:
            s.set_display_rotation(rotation, hflip=hflip)
        a = c.add_stream("aac", rate=16000, layout="mono") if audio else None
        for i in range(frames):
            img = quadrants(size[1], size[0])
            img[0, 0] = i  # every frame differs a little
            if noise:
                img = np.random.default_rng(i).integers(0, 256, img.shape, np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
        if a is not None:
            samples = int(16000 * frames / fps) + 4096
            t = np.arange(samples, dtype=np.float32) / 16000
            wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            frame = av.AudioFrame.from_ndarray(wave, format="fltp", layout="mono")
            frame.rate = 16000
            for p in [*a.encode(frame), *a.encode()]:
                c.mux(p)
    return path


# ---------------------------------------------------------------- decoding
def test_probe_and_stream_frames(tmp_path):
    path = make_video(tmp_path / "a.mp4", frames=12, size=(64, 48), fps=10)
    info = vio.probe(path)
    assert (info.width, info.height, info.fps, info.num_frames) == (64, 48, 10.0, 12)
    assert (info.rotation, info.has_audio, info.codec) == (0, False, "h264")
    assert info.duration == pytest.approx(1.2, abs=0.01)
    frames = list(vio.iter_frames(path, start_frame=3, max_frames=5, max_side=32))
    assert [f.index for f in frames] == [3, 4, 5, 6, 7]
    assert [f.time for f in frames] == pytest.approx([0.3, 0.4, 0.5, 0.6, 0.7])
    assert frames[0].rgb.shape == (24, 32, 3) and frames[0].rgb.dtype == np.uint8
    assert frames[0].scale == 2.0 and frames[0].original_size == (64, 48)
    assert corner_colours(frames[0].rgb) == QUAD
    assert sum(1 for _ in vio.iter_frames(path)) == 12
    assert list(vio.iter_frames(path, start_frame=50)) == []


@pytest.mark.parametrize(
    "rotation, hflip, turns",
    [(90, False, 1), (-90, False, 3), (180, False, 2), (90, True, 1), (0, True, 0)],
)
def test_rotation_metadata_is_honoured(tmp_path, rotation, hflip, turns):
    path = make_video(tmp_path / "r.mp4", frames=2, rotation=rotation, hflip=hflip)
    # PyAV: rotate counter-clockwise by `rotation`, then mirror.
    expected = np.rot90(quadrants(), turns)
    if hflip:
        expected = expected[:, ::-1]
    got = next(vio.iter_frames(path)).rgb
    assert got.shape == expected.shape
    assert corner_colours(got) == corner_colours(expected)
    info = vio.probe(path)
    assert (info.width, info.height) == expected.shape[1::-1]
    assert info.mirrored == hflip


def _with_exif(jpeg: bytes, orientation: int) -> bytes:
    """Insert an APP1 Exif segment holding one Orientation tag after the SOI marker."""
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def _write_image(path: Path, rgb: np.ndarray, codec: str, pix_fmt: str, fmt: str) -> Path:
    with av.open(str(path), "w", format="image2") as c:
        s = c.add_stream(codec, rate=1)
        s.height, s.width = rgb.shape[:2]
        s.pix_fmt = pix_fmt
        frame = av.VideoFrame.from_ndarray(rgb, format=fmt).reformat(format=pix_fmt)
        for p in [*s.encode(frame), *s.encode()]:
            c.mux(p)
    return path


# EXIF orientation -> how to display the stored image (independent of the module's table).
EXIF_DISPLAY = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),  # 90 degrees clockwise
    7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


@pytest.mark.parametrize("orientation", sorted(EXIF_DISPLAY))
def test_jpeg_exif_orientation(tmp_path, orientation):
    plain = _write_image(tmp_path / "p.jpg", quadrants(), "mjpeg", "yuvj444p", "rgb24")
    path = tmp_path / f"o{orientation}.jpg"
    path.write_bytes(_with_exif(plain.read_bytes(), orientation))
    assert vio.read_exif_orientation(path) == orientation
    got = vio.read_image(path)
    expected = EXIF_DISPLAY[orientation](quadrants())
    assert got.shape == expected.shape
    assert corner_colours(got) == corner_colours(expected)


def test_png_transparency_becomes_white(tmp_path):
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:, 15:, 3] = 255  # left half fully transparent
    path = _write_image(tmp_path / "a.png", rgba, "png", "rgba", "rgba")
    rgb = vio.read_image(path)
    assert rgb.shape == (20, 30, 3)
    assert (rgb[:, :15] == 255).all()
    assert (rgb[:, 15:] == (200, 0, 0)).all()
    small = vio.read_image_frame(path, max_side=15)
    assert small.rgb.shape == (10, 15, 3) and small.scale == 2.0


def test_text_file_named_mp4_is_one_clear_error(tmp_path):
    path = tmp_path / "fake.mp4"
    path.write_text("this is not a video\n")
    for call in (vio.probe, lambda p: list(vio.iter_frames(p)), vio.read_image, vpose.load):
        with pytest.raises(VideoReadError) as e:
            call(path)
        assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_truncated_mp4_without_index_is_an_error(tmp_path):
    path = make_video(tmp_path / "a.mp4", frames=20)  # index (moov) at the end
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(VideoReadError, match="truncated"):
        vio.probe(path)


def test_truncated_tail_warns_with_the_frame_count(tmp_path, caplog):
    path = make_video(tmp_path / "a.mp4", frames=30, faststart=True, noise=True)  # index first
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with caplog.at_level(logging.WARNING):
        n = sum(1 for _ in vio.iter_frames(path))
    assert 0 < n < 30
    assert f"read {n} of 30 frames" in caplog.text


def test_orientation_helpers_agree():
    img = quadrants()
    for turns in range(4):
        for mirror in (False, True):
            m = vio.orientation_matrix((turns, mirror))
            # FFmpeg's display matrix layout: [a, b, 0, c, d, 0, 0, 0, 1<<30], 16.16 fixed point
            a, c, b, d = m.ravel()
            matrix = np.array([a, b, 0, c, d, 0, 0, 0, 1 << 14]) * 65536
            assert vio.orientation_from_display_matrix(matrix) == (turns, mirror)
    assert vio.orient(img, (1, False)).shape == (64, 48, 3)


# ------------------------------------------------------------------ writing
def test_video_writer_round_trip(tmp_path):
    out = tmp_path / "out.mp4"
    with VideoWriter(out, fps=12.5) as w:
        for _ in range(10):
            w.write(quadrants(49, 65))  # odd size: padded to even
    info = vio.probe(out)
    assert (info.num_frames, info.fps, info.width, info.height) == (10, 12.5, 66, 50)
    assert (info.codec, info.pix_fmt, info.has_audio) == ("h264", "yuv420p", False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]
    assert corner_colours(next(vio.iter_frames(out)).rgb[:48, :64]) == QUAD


@pytest.mark.parametrize("source", ["mp4_aac", "wav"])
def test_video_writer_passes_audio_through(tmp_path, source):
    if source == "mp4_aac":
        src = make_video(tmp_path / "src.mp4", frames=20, audio=True)
    else:  # PCM cannot go into MP4 as it is: re-encoded to AAC
        src = tmp_path / "src.wav"
        with av.open(str(src), "w") as c:
            a = c.add_stream("pcm_s16le", rate=8000, layout="mono")
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 8000 * 3), np.int16), format="s16", layout="mono"
            )
            frame.rate = 8000
            for p in [*a.encode(frame), *a.encode()]:
                c.mux(p)
    out = tmp_path / "out.mp4"
    with VideoWriter(out, fps=10, audio_from=src) as w:
        for _ in range(10):
            w.write(quadrants())
    with av.open(str(out)) as c:
        assert c.streams.video[0].frames == 10
        audio = c.streams.audio[0]
        assert audio.codec_context.name == "aac"
        seconds = float(audio.duration * audio.time_base)
        assert 0.8 < seconds <= 1.0 + 0.15  # cut at the video's end (1 s)


def test_video_writer_leaves_nothing_on_error(tmp_path):
    out = tmp_path / "out.mp4"
    with pytest.raises(InvalidArgumentError, match="one size"), VideoWriter(out, fps=10) as w:
        w.write(quadrants(48, 64))
        w.write(quadrants(50, 64))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidArgumentError):
        VideoWriter(out, fps=0)


# -------------------------------------------- main person, with a fake estimator
def person(cx: float, cy: float, half: float, vis: float = 0.9) -> PersonLandmarks:
    """A scripted person: landmarks spread over a box of half-size ``half`` (normalised)."""
    rng = np.random.default_rng(0)
    xy = np.array([cx, cy]) + rng.uniform(-half, half, (33, 2))
    xy[0] = (cx - half, cy - half)
    xy[1] = (cx + half, cy + half)
    vis_arr = np.full(33, vis)
    vis_arr[5] = 1e-6  # a hidden landmark keeps its coordinates
    return PersonLandmarks(xy, vis_arr, np.ones(33), np.tile([0.1, -0.2, 0.3], (33, 1)))


class ScriptedEstimator:
    """Returns the people listed for each call, in order; records the timestamps."""

    def __init__(self, script: list[list[PersonLandmarks]]) -> None:
        self.script, self.times, self.closed = list(script), [], False

    def __call__(self, rgb, timestamp):
        self.times.append(timestamp)
        return self.script.pop(0)

    def close(self):
        self.closed = True


def test_load_keeps_one_main_person_in_original_pixels(tmp_path, caplog):
    path = make_video(tmp_path / "a.mp4", frames=6, size=(64, 48), fps=10)
    big, small = person(0.3, 0.5, 0.2), person(0.75, 0.5, 0.1)
    moved = person(0.32, 0.5, 0.2)
    script = [[], [small, big], [big, small], [moved], [small], [small, big]]
    est = ScriptedEstimator(script[1:])
    with caplog.at_level(logging.WARNING):
        seq = vpose.load(path, start_frame=1, max_side=32, estimator=est)
    assert est.closed and est.times == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert seq.skeleton.name == "blazepose33" and seq.canvas == (64, 48) and seq.fps == 10.0
    assert seq.meta["frame_index"] == [1, 2, 3, 4, 5]
    # frame 4 shows only the small person, who never overlaps the main one: missing
    assert seq.present.tolist() == [True, True, True, False, True]
    assert seq.meta["missing_frames"] == 1
    np.testing.assert_allclose(seq.coords[0], big.xy * [64, 48])
    np.testing.assert_allclose(seq.coords[2], moved.xy * [64, 48])
    np.testing.assert_allclose(seq.coords[4], big.xy * [64, 48])
    assert seq.confidence[0, 5] == vpose.MIN_CONFIDENCE and seq.confidence[0, 6] == 0.9
    assert (seq.confidence[3] == 0).all() and (seq.world[3] == 0).all()
    np.testing.assert_allclose(seq.world[0, 0], [0.1, -0.2, 0.3])
    warnings = [r for r in caplog.records if "main person" in r.getMessage()]
    assert len(warnings) == 1 and "in 3 of 5 frames" in warnings[0].getMessage()


def test_load_canvas_follows_rotation(tmp_path):
    path = make_video(tmp_path / "r.mp4", frames=2, size=(64, 48), rotation=-90)
    p = person(0.5, 0.5, 0.3)
    seq = vpose.load(path, estimator=ScriptedEstimator([[p], [p]]))
    assert seq.canvas == (48, 64) and seq.meta["rotation"] == 270
    np.testing.assert_allclose(seq.coords[0], p.xy * [48, 64])


def test_nobody_at_all_raises(tmp_path):
    path = make_video(tmp_path / "a.mp4", frames=4)
    with pytest.raises(NoPersonFoundError, match=r"no person found in 4 frames"):
        vpose.load(path, estimator=ScriptedEstimator([[]] * 4))
    with pytest.raises(InvalidArgumentError, match="`start_frame`"):
        vpose.load(path, start_frame=9, estimator=ScriptedEstimator([]))


@pytest.mark.parametrize(
    "boxes, previous, expected",
    [
        ([], None, None),
        ([[0, 0, 1, 1], [0, 0, 3, 3]], None, 1),  # no history: the largest
        ([[0, 0, 1, 1], [5, 5, 9, 9]], np.array([0, 0, 1.2, 1.2]), 0),  # overlap wins over size
        ([[5, 5, 9, 9]], np.array([0, 0, 1, 1]), None),  # nobody overlaps: none
    ],
)
def test_choose_main(boxes, previous, expected):
    assert vpose.choose_main([np.array(b, float) for b in boxes], previous) == expected


def test_box_iou_known_values():
    a = np.array([0.0, 0.0, 2.0, 2.0])
    assert vpose.box_iou(a, a) == 1.0
    assert vpose.box_iou(a, np.array([1.0, 0.0, 3.0, 2.0])) == pytest.approx(2 / 6)
    assert vpose.box_iou(a, np.array([5.0, 5.0, 6.0, 6.0])) == 0.0


def test_missing_mediapipe_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    with pytest.raises(MissingDependencyError, match=r"retarget\[video\]"):
        vpose.BlazePoseEstimator()


# ------------------------------------------------------ real media, real model
VIDEOS = sorted(p.name for p in MEDIA.glob("*.mp4")) if MEDIA.exists() else ["(none)"]
IMAGES = sorted(p.name for p in MEDIA.glob("*.[jp][pn]g")) if MEDIA.exists() else ["(none)"]


@pytest.mark.filterwarnings("ignore:SymbolDatabase.GetPrototype")
def test_task_bundle_matches_legacy_blazepose():
    """The .task built from the wheel's models gives what mediapipe's legacy Pose gives."""
    path = need(MEDIA / "i01_imper_ins3.jpg")
    import mediapipe as mp

    rgb = vio.read_image(path)
    with vpose.BlazePoseEstimator(video=False, num_poses=1) as est:
        (ours,) = est(rgb)
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as legacy:
        marks = legacy.process(rgb).pose_landmarks.landmark
    ref = np.array([(m.x, m.y) for m in marks])
    assert np.abs(ours.xy - ref).max() * max(rgb.shape) < 2.0


@pytest.mark.parametrize("name", VIDEOS)
def test_every_real_video_loads(name, caplog):
    path = need(MEDIA / name)
    with caplog.at_level(logging.WARNING):
        seq = load_file(path, max_frames=12)
    info = vio.probe(path)
    assert seq.num_frames == 12 and seq.canvas == (info.width, info.height)
    assert seq.fps == pytest.approx(info.fps)
    assert seq.meta["frame_index"] == list(range(12))
    several = "main person" in caplog.text
    assert several == name.startswith("h02")  # two people: warned; others: not
    if name.startswith("h07"):  # opens on a title card: missing frames, not a crash
        assert 0 < seq.meta["missing_frames"] < 12 and not seq.present[0]
    else:
        assert seq.present.all()
    if name.startswith("h04"):  # head to thigh: legs guessed with low confidence
        legs = [seq.skeleton.idx(j) for j in ("LAnkle", "RAnkle", "LKnee", "RKnee")]
        arms = [seq.skeleton.idx(j) for j in ("LShoulder", "RShoulder")]
        assert seq.confidence[:, legs].mean() < 0.3 < 0.9 < seq.confidence[:, arms].mean()
    if name.startswith("h02"):  # the same person all along: the hips never jump
        hips = seq.coords[:, [seq.skeleton.idx("LHip"), seq.skeleton.idx("RHip")], 0].mean(1)
        assert np.abs(np.diff(hips)).max() < 0.05 * seq.canvas[0]
    if name.startswith("h06"):
        assert info.codec == "hevc" and info.pix_fmt.endswith("10le")


@pytest.mark.parametrize("name", IMAGES)
def test_every_real_image_loads(name, caplog):
    path = need(MEDIA / name)
    with caplog.at_level(logging.WARNING):
        seq = load_file(path)
    assert seq.num_frames == 1 and seq.present.all() and seq.meta["fps_assumed"]
    assert seq.canvas == vio.read_image(path).shape[1::-1]
    if name in ("hi01_magic_two_women.png", "hi04_ochuman_crowd.jpg"):
        assert "using the largest" in caplog.text


@pytest.mark.slow
def test_dance_clip_found_and_repeatable():
    """Done-when check: person in >= 95% of 72 frames; a fresh estimator gives the same
    body keypoints within 4 px at 256 px long side."""
    path = need(MEDIA / "v02_animatex_dance_1.mp4")
    a = vpose.load(path, max_frames=72, max_side=256)
    b = vpose.load(path, max_frames=72, max_side=256)
    assert a.present.mean() >= 0.95
    both = a.present & b.present
    to_256 = 256 / max(a.canvas)
    body = slice(11, 29)  # shoulders .. ankles
    assert np.abs(a.coords[both, body] - b.coords[both, body]).max() * to_256 <= 4.0


def test_cli_extract_video_and_errors(tmp_path):
    from retarget.cli import cli

    runner = CliRunner()
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video")
    out = tmp_path / "out.npz"
    result = runner.invoke(cli, ["extract", str(fake), "-o", str(out)])
    assert result.exit_code == 2 and "cannot open as a video" in result.output
    assert not out.exists()
    path = need(MEDIA / "v11_mmhuman3d_single_person.mp4")
    result = runner.invoke(cli, ["extract", str(path), "-o", str(out), "--max-frames", "3"])
    assert result.exit_code == 0, result.output
    seq = load_file(out)
    assert seq.num_frames == 3 and seq.canvas == (1080, 1920) and seq.fps == 12.0
