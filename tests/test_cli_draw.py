"""``retarget draw`` as a user runs it (the installed console script): pose images into a
video, a PNG or a folder, and bad input turned into one line with nothing written."""

from __future__ import annotations

import av
import numpy as np
import pytest
from click.testing import CliRunner

from retarget.cli import cli
from skeleton_io import BODY25, save_file
from skeleton_io.video_io import read_image
from viz.pose_image import pose_images

from .conftest import OPENPOSE_REAL, make_pose_sequence, make_wholebody_sequence, need
from .test_cli_extract import listing, run


@pytest.fixture
def wholebody_file(tmp_path):
    path = tmp_path / "pose.npz"
    save_file(make_wholebody_sequence(frames=5, seed=2, canvas=(160, 240)), path)
    return path


def test_draw_smoke_video_folder_and_png(tmp_path, wholebody_file):
    r = run("draw", wholebody_file, "-o", tmp_path / "pose.mp4")
    assert r.returncode == 0, r.stderr
    with av.open(str(tmp_path / "pose.mp4")) as c:
        stream = c.streams.video[0]
        assert float(stream.average_rate) == pytest.approx(24.0)
        assert (stream.width, stream.height) == (160, 240)
        assert sum(1 for _ in c.decode(stream)) == 5
    r = run("draw", wholebody_file, "-o", tmp_path / "frames", "--style", "dwpose")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [
        f"frame_{k:06d}.png" for k in range(5)
    ]
    r = run("draw", wholebody_file, "-o", tmp_path / "one.png", "--frame", "3")
    assert r.returncode == 0, r.stderr
    from skeleton_io import load_file

    expected = list(pose_images(load_file(wholebody_file)))[3]
    np.testing.assert_array_equal(read_image(tmp_path / "one.png"), expected)


def test_draw_canvas_from_an_image_and_no_face(tmp_path, wholebody_file):
    from viz.pose_image import write_png

    write_png(np.zeros((480, 320, 3), np.uint8), tmp_path / "ref.png")
    out = tmp_path / "big.png"
    r = run("draw", wholebody_file, "-o", out, "--frame", "0", "--canvas", tmp_path / "ref.png")
    assert r.returncode == 0, r.stderr
    big = read_image(out)
    assert big.shape == (480, 320, 3)
    r = run("draw", wholebody_file, "-o", tmp_path / "noface.png", "--frame", "0", "--no-face")
    plain = read_image(tmp_path / "noface.png")
    assert not (plain == 255).all(axis=2).any()  # no white face dots
    assert (read_image(tmp_path / "big.png") == 255).all(axis=2).any()


def test_draw_real_openpose_hands(tmp_path):
    folder = need(OPENPOSE_REAL) / "tall_man"
    out = tmp_path / "tall.png"
    r = run("draw", folder, "-o", out, "--frame", "76", "--fps", "30", "--canvas", "720x720")
    assert r.returncode == 0, r.stderr
    img = read_image(out)
    blue = (img == (0, 0, 255)).all(axis=2)  # hand points
    assert blue.sum() > 50


def test_hands_asked_of_a_file_without_hands_is_drawn_without_and_warned(tmp_path):
    path = tmp_path / "body.npz"
    save_file(make_pose_sequence(BODY25, frames=2, canvas=(200, 200)), path)
    r = run("draw", path, "-o", tmp_path / "b.png", "--frame", "1", "--hands")
    assert r.returncode == 0, r.stderr
    assert "warning: " in r.stderr and "body.npz" in r.stderr and "no hands" in r.stderr
    assert (tmp_path / "b.png").exists()


def _bad_cases(tmp, good):
    nobody = make_wholebody_sequence(frames=3)
    nobody.confidence[:] = 0.0
    save_file(nobody, tmp / "nobody.npz")
    save_file(make_pose_sequence(frames=3, dims=3), tmp / "three_d.npz")
    no_canvas = make_wholebody_sequence(frames=2)
    no_canvas.canvas = None
    save_file(no_canvas, tmp / "no_canvas.npz")
    return {
        "unknown style": (["--style", "comic", "-o", tmp / "a.mp4"], "--style"),
        "unknown suffix": (["-o", tmp / "a.gif"], "a.gif"),
        "png without --frame": (["-o", tmp / "a.png"], "--frame"),
        "frame out of range": (["-o", tmp / "a.png", "--frame", "9"], "frame 9"),
        "nobody": (["-o", tmp / "a.mp4", "--input", tmp / "nobody.npz"], "nobody"),
        "3D input": (["-o", tmp / "a.mp4", "--input", tmp / "three_d.npz"], "3D"),
        "no canvas": (["-o", tmp / "a.mp4", "--input", tmp / "no_canvas.npz"], "--canvas"),
        "canvas image missing": (["-o", tmp / "a.mp4", "--canvas", tmp / "no.png"], "no.png"),
        "missing input": (["-o", tmp / "a.mp4", "--input", tmp / "none.npz"], "none.npz"),
        "output folder missing": (["-o", tmp / "no" / "a.mp4"], "a.mp4"),
        "output is the input": (["-o", good], "pose.npz"),
    }


BAD = [
    "unknown style", "unknown suffix", "png without --frame", "frame out of range", "nobody",
    "3D input", "no canvas", "canvas image missing", "missing input", "output folder missing",
    "output is the input",
]  # fmt: skip


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, wholebody_file, case):
    args, named = _bad_cases(tmp_path, wholebody_file)[case]
    source = wholebody_file
    if "--input" in args:
        k = args.index("--input")
        source = args[k + 1]
        args = args[:k] + args[k + 2 :]
    before = listing(tmp_path)
    r = CliRunner().invoke(cli, ["draw", *map(str, [source, *args])])  # in-process: fast
    lines = r.stderr.splitlines()
    assert r.exit_code == 2, r.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], r.stderr
    assert listing(tmp_path) == before


def test_a_folder_of_pose_images_replaces_its_own_frames_only(tmp_path, wholebody_file):
    folder = tmp_path / "frames"
    runner = CliRunner()
    for args in ([], ["--max-frames", "2"]):
        r = runner.invoke(cli, ["draw", str(wholebody_file), "-o", str(folder), *args])
        assert r.exit_code == 0, r.output
    assert sorted(p.name for p in folder.iterdir()) == ["frame_000000.png", "frame_000001.png"]
    (folder / "notes.txt").write_text("mine")
    r = runner.invoke(cli, ["draw", str(wholebody_file), "-o", str(folder)])
    assert r.exit_code == 2 and "--overwrite" in r.output
    r = runner.invoke(cli, ["draw", str(wholebody_file), "-o", str(folder), "--overwrite"])
    assert r.exit_code == 0 and (folder / "notes.txt").exists() and len(list(folder.iterdir())) == 6
