"""``retarget extract`` as a user runs it (the installed console script, in a subprocess):
conversions between every pair of pose file formats, and bad input turned into one line."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skeleton_io import BODY25, COCO17, convert, load_file, save_file

from .conftest import ROOT, make_pose_sequence

RETARGET = Path(sys.executable).with_name("retarget")
FILE_FORMATS = ("native", "openpose", "coco", "csv")
SUFFIX = {"native": ".npz", "openpose": "", "coco": ".json", "csv": ".csv"}
COMMON = ("--fps", "25", "--canvas", "640x480")  # for the formats that store neither


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    exe = [str(RETARGET)] if RETARGET.exists() else [sys.executable, "-m", "retarget.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def listing(folder: Path) -> list[str]:
    """Every path under ``folder``, hidden temporaries included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _base():
    """A BODY_25 sequence: it has all 17 COCO joints, the joints every format shares."""
    seq = make_pose_sequence(BODY25, frames=6, seed=11, canvas=(640, 480), fps=25.0)
    seq.confidence[4] = 0.0  # a frame with nobody
    seq.coords[4] = 0.0
    return seq


def _on_coco(seq):
    return convert(seq, COCO17)


@pytest.mark.parametrize("src", FILE_FORMATS)
@pytest.mark.parametrize("dst", FILE_FORMATS)
def test_extract_converts_every_pair_of_formats(tmp_path, src, dst):
    base = _base()
    inp = tmp_path / f"in{SUFFIX[src]}"
    save_file(base, inp, src)
    out = tmp_path / f"out{SUFFIX[dst]}"
    r = run("extract", inp, "-o", out, "--format", dst, *COMMON)
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stderr
    back = load_file(out, fps=25, canvas=(640, 480))
    want, got = _on_coco(base), _on_coco(back)
    np.testing.assert_array_equal(got.confidence, want.confidence)
    np.testing.assert_array_equal(got.coords, want.coords)
    assert back.fps == 25.0 and back.canvas == (640, 480) and back.num_frames == 6


def test_extract_chain_native_openpose_coco_csv_native(tmp_path):
    base = _base()
    save_file(base, tmp_path / "a.npz")
    steps = [("openpose", "b"), ("coco", "c.json"), ("csv", "d.csv"), ("native", "e.npz")]
    src = tmp_path / "a.npz"
    for fmt, name in steps:
        r = run("extract", src, "-o", tmp_path / name, "--format", fmt, *COMMON)
        assert r.returncode == 0, r.stderr
        src = tmp_path / name
    end = load_file(src)
    assert end.skeleton == COCO17 and end.fps == 25.0 and end.canvas == (640, 480)
    np.testing.assert_array_equal(end.coords, _on_coco(base).coords)
    np.testing.assert_array_equal(end.confidence, _on_coco(base).confidence)


def test_extract_skeleton_and_frame_range(tmp_path):
    save_file(_base(), tmp_path / "a.npz")
    r = run("extract", tmp_path / "a.npz", "-o", tmp_path / "s.csv", "--format", "csv",
            "--skeleton", "openpose15", "--start-frame", "2", "--max-frames", "3")  # fmt: skip
    assert r.returncode == 0, r.stderr
    seq = load_file(tmp_path / "s.csv", fps=25)
    assert seq.skeleton.name == "openpose15" and seq.num_frames == 3
    np.testing.assert_array_equal(seq.coords, convert(_base(), "openpose15").coords[2:5])


def _have(module: str) -> bool:
    return importlib.util.find_spec(f"skeleton_io.formats.{module}") is not None


def _bad_cases(tmp: Path) -> dict[str, tuple[list, str]]:
    """name -> (extract arguments, the file the error must name)."""
    good = tmp / "good.npz"
    save_file(_base(), good)
    (tmp / "text.bvh").write_text("this is not motion capture\n")
    (tmp / "text.mp4").write_text("this is not a video\n")
    full = (tmp / "good.npz").read_bytes()
    (tmp / "cut.npz").write_bytes(full[: len(full) // 2])
    save_file(_base(), tmp / "cut.json", "coco")
    text = (tmp / "cut.json").read_text()
    (tmp / "cut.json").write_text(text[: len(text) // 2])
    save_file(_base(), tmp / "cut.csv", "csv")
    text = (tmp / "cut.csv").read_text()
    (tmp / "cut.csv").write_text(text[: len(text) // 2 + 7])
    folder = tmp / "frames"
    save_file(_base(), folder, "openpose")
    last = sorted(folder.iterdir())[-1]
    last.write_text(last.read_text()[:40])
    np.savez(tmp / "amass.npz", poses=np.zeros((2, 156)), trans=np.zeros((2, 3)))
    out = ["-o", tmp / "out.npz"]
    return {
        "missing input": (["extract", tmp / "nope.npz", *out], "nope.npz"),
        "text named .bvh": (["extract", tmp / "text.bvh", *out], "text.bvh"),
        "text named .mp4": (["extract", tmp / "text.mp4", *out], "text.mp4"),
        "truncated npz": (["extract", tmp / "cut.npz", *out], "cut.npz"),
        "truncated COCO JSON": (["extract", tmp / "cut.json", *out], "cut.json"),
        "truncated CSV": (["extract", tmp / "cut.csv", *out], "cut.csv"),
        "truncated OpenPose frame": (["extract", folder, *out], last.name),
        "SMPL without model": (["extract", tmp / "amass.npz", *out], "amass.npz"),
        "output folder missing": (["extract", good, "-o", tmp / "no" / "x.npz"], "x.npz"),
        "output is the input": (["extract", good, "-o", good], "good.npz"),
        "output folder is the input": (
            ["extract", folder, "-o", folder, "--format", "openpose"],
            "frames",
        ),
    }


BAD = [
    "missing input", "text named .bvh", "text named .mp4", "truncated npz", "truncated COCO JSON",
    "truncated CSV", "truncated OpenPose frame", "SMPL without model", "output folder missing",
    "output is the input", "output folder is the input",
]  # fmt: skip


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, case):
    if case == "text named .bvh" and not _have("bvh"):
        pytest.skip("skeleton_io/formats/bvh.py is not there yet")
    if case == "text named .mp4" and not _have("video"):
        pytest.skip("skeleton_io/formats/video.py is not there yet")
    args, named = _bad_cases(tmp_path)[case]
    before = listing(tmp_path)
    r = run(*args)
    lines = r.stderr.splitlines()
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ") and named in lines[0], lines[0]
    assert "Traceback" not in r.stderr
    assert listing(tmp_path) == before


def test_bad_canvas_option_is_a_usage_error(tmp_path):
    save_file(_base(), tmp_path / "a.npz")
    r = run("extract", tmp_path / "a.npz", "-o", tmp_path / "c.json", "--canvas", "wide")
    assert r.returncode == 2 and "WIDTHxHEIGHT" in r.stderr
    assert listing(tmp_path) == ["a.npz"]


def test_coco_output_without_a_canvas_leaves_nothing(tmp_path):
    save_file(_base(), tmp_path / "a.npz")
    r = run("extract", tmp_path / "a.npz", "-o", tmp_path / "op", "--format", "openpose")
    assert r.returncode == 0, r.stderr
    before = listing(tmp_path)
    r = run(
        "extract", tmp_path / "op", "-o", tmp_path / "c.json", "--format", "coco", "--fps", "25"
    )
    assert r.returncode == 2
    assert r.stderr.splitlines()[-1].startswith("error: ") and "--canvas" in r.stderr
    assert listing(tmp_path) == before


def test_outputs_are_readable_like_plain_files(tmp_path):
    save_file(_base(), tmp_path / "a.npz")
    for fmt, name in (("csv", "a.csv"), ("openpose", "op")):
        assert (
            run("extract", tmp_path / "a.npz", "-o", tmp_path / name, "--format", fmt).returncode
            == 0
        )
    umask = os.umask(0o022)
    os.umask(umask)
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "op").stat().st_mode & 0o777 == 0o777 & ~umask


def test_env_lists_versions():
    r = run("env")
    assert r.returncode == 0, r.stderr
    for name in ("retarget", "python", "torch", "numpy", "click", "smplx"):
        assert any(line.split()[0] == name for line in r.stdout.splitlines() if line.strip()), name


def test_help_lists_the_format_options():
    r = run("extract", "--help")
    assert r.returncode == 0
    for opt in (
        "--format",
        "--skeleton",
        "--start-frame",
        "--max-frames",
        "--max-side",
        "--canvas",
    ):
        assert opt in r.stdout


def test_extract_smpl_with_a_model_to_csv(tmp_path):
    import pickle

    from .test_formats import TEMPLATE, fake_smpl_model

    with open(tmp_path / "SMPL_NEUTRAL.pkl", "wb") as f:
        pickle.dump(fake_smpl_model(), f)
    trans = np.array([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0]])
    np.savez(tmp_path / "walk.npz", poses=np.zeros((2, 156)), trans=trans, betas=np.zeros(16),
             gender="female", mocap_framerate=60.0)  # fmt: skip
    r = run("extract", tmp_path / "walk.npz", "--smpl-model", tmp_path / "SMPL_NEUTRAL.pkl",
            "-o", tmp_path / "w.csv", "--format", "csv", "--skeleton", "openpose15")  # fmt: skip
    assert r.returncode == 0, r.stderr
    seq = load_file(tmp_path / "w.csv", fps=60)
    assert seq.dims == 3 and seq.skeleton.name == "openpose15"
    np.testing.assert_allclose(seq.joint("LElbow"), TEMPLATE[18] + trans, atol=1e-12)
    np.testing.assert_allclose(
        seq.joint("MidHip"), (TEMPLATE[1] + TEMPLATE[2]) / 2 + trans, atol=1e-12
    )


def test_coco_file_names_keep_the_source_frame_numbers(tmp_path):
    import json

    save_file(_base(), tmp_path / "a.npz")
    r = run("extract", tmp_path / "a.npz", "-o", tmp_path / "c.json", "--format", "coco",
            "--start-frame", "3", "--max-frames", "2")  # fmt: skip
    assert r.returncode == 0, r.stderr
    images = json.loads((tmp_path / "c.json").read_text())["images"]
    assert [(im["id"], im["file_name"]) for im in images] == [
        (0, "frame_000003.jpg"), (1, "frame_000004.jpg")]  # fmt: skip
