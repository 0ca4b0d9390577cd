"""``retarget batch align``: many driving inputs onto one reference (or one per manifest
row) as pose videos; the reference read once per worker; a corrupt item fails alone; a
re-run skips what is written (keypoints folders included); no reference is one error."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from retarget.cli import cli
from retarget.pipeline.align import pose_align_video
from retarget.pipeline.batch import run_batch
from skeleton_io import load_file, load_group, save_file

from .test_align import REF_CANVAS, driving, group_files, reference  # noqa: F401 (a fixture)
from .test_batch import ledger_lines

FRAMES = {"a": 8, "sub/b": 10, "c": 12}


@pytest.fixture
def tree(tmp_path) -> Path:
    """``tmp_path``: ref.npz (a 400x600 reference), small_ref.npz (the same person on a
    300x500 canvas), in/{a,sub/b,c}.npz driving poses and in/bad.npz, a corrupt one."""
    save_file(reference(), tmp_path / "ref.npz")
    small = reference()
    small.canvas = (300, 500)
    save_file(small, tmp_path / "small_ref.npz")
    for rel, n in FRAMES.items():
        (tmp_path / "in" / rel).parent.mkdir(parents=True, exist_ok=True)
        save_file(driving(frames=n), tmp_path / "in" / f"{rel}.npz")
    (tmp_path / "in/bad.npz").write_bytes(b"PK\x03\x04 not really a zip")
    return tmp_path


def video_info(path: Path) -> tuple[int, int, int]:
    """``(width, height, frames)`` of a video."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return s.width, s.height, sum(1 for _ in c.decode(s))


def test_one_reference_equals_the_single_command_and_a_rerun_skips(tree, monkeypatch):
    import retarget.pipeline.align as align

    reads = []
    real = align.read_reference
    monkeypatch.setattr(align, "read_reference", lambda *a, **k: reads.append(a) or real(*a, **k))
    out = tree / "out"
    settings = {"reference": tree / "ref.npz", "model": "limb", "json": True}
    res = run_batch("align", tree / "in", out, settings=settings, engine="serial", progress=False)
    assert (res.done, res.failed, res.total) == (3, 1, 4)
    assert res.failures[0][0] == "bad.npz" and "bad.npz: not a readable .npz" in res.failures[0][1]
    assert len(reads) == 1  # the reference is read once per worker, not per item
    for rel, n in FRAMES.items():
        assert video_info(out / f"{rel}.mp4") == (*REF_CANVAS, n)
    single = pose_align_video(tree / "ref.npz", tree / "in/sub/b.npz", tree / "single.mp4",
                              json_dir=tree / "single_kp", model="limb")  # fmt: skip
    got, want = load_file(out / "sub/b_json", fps=30), load_file(tree / "single_kp", fps=30)
    assert single.frames == got.num_frames == 10 and got.skeleton == want.skeleton
    np.testing.assert_array_equal(got.coords, want.coords)
    assert not [p for p in out.rglob(".*") if p.name != ".lock"]  # nothing half-written

    (out / "c_json").rename(tree / "c_json_gone")  # a side output missing: the item is redone
    (out / ".a.x1y2z3w4.mp4").write_bytes(b"half")  # a killed run's temporary: removed
    again = run_batch("align", tree / "in", out, settings=settings, engine="serial",
                      progress=False)  # fmt: skip
    assert (again.done, again.failed, again.skipped) == (1, 1, 2)
    assert (out / "c_json").is_dir() and not (out / ".a.x1y2z3w4.mp4").exists()
    redone = [r["key"] for r in ledger_lines(out) if r["status"] == "done"]
    assert sorted(redone) == ["a.npz", "c.npz", "c.npz", "sub/b.npz"]


def test_a_manifest_gives_each_item_its_reference_and_options(tree):
    manifest = tree / "list.csv"  # references relative to the manifest
    manifest.write_text("input,output,reference,style,max_frames\n"
                        "in/a.npz,,ref.npz,,\n"
                        "in/c.npz,small/c.mp4,small_ref.npz,dwpose,5\n")  # fmt: skip
    out = tree / "out"
    res = run_batch("align", manifest, out, settings={"model": "limb", "json": True},
                    engine="serial", progress=False)  # fmt: skip
    assert (res.done, res.failed) == (2, 0), res.failures
    assert video_info(out / "in/a.mp4") == (*REF_CANVAS, 8)
    assert video_info(out / "small/c.mp4") == (300, 500, 5)
    kp = load_file(out / "small/c_json")
    assert kp.skeleton.name == "dwpose" and kp.canvas == (300, 500)
    manifest.write_text("input,reference\nin/a.npz,ref.npz\nin/c.npz,\n")
    with pytest.raises(Exception, match=r"c\.npz: no reference for the align job"):
        run_batch("align", manifest, tree / "o2", engine="serial", progress=False)
    assert not (tree / "o2").exists()


def test_cli_processes_corrupt_item_fails_alone_and_no_reference_is_exit_2(tree):
    out = tree / "out"
    base = ["batch", "align", "-i", str(tree / "in"), "-o", str(out)]
    r = CliRunner().invoke(cli, [*base, "--engine", "serial", "--max-frames", "6"])
    lines = r.output.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1, r.output
    assert lines[0].startswith("error: ") and "--reference" in lines[0], r.output
    assert not out.exists()
    r = CliRunner().invoke(cli, [*base, "--reference", str(tree / "ref.npz"), "--engine",
                                 "processes", "--workers", "2", "--max-frames", "6", "--keypoints"])  # fmt: skip
    assert r.exit_code == 1, r.output
    assert "failed: bad.npz" in r.output and "3 done, 1 failed" in r.output.splitlines()[-1]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.mp4")) == [
        "a.mp4", "c.mp4", "sub/b.mp4"]  # fmt: skip
    assert all(video_info(p) == (*REF_CANVAS, 6) for p in out.rglob("*.mp4"))
    assert load_file(out / "sub/b_json", fps=30).num_frames == 6
    assert {r["engine"] for r in ledger_lines(out)} == {"processes"}


def test_people_all_puts_every_dancer_of_each_item_on_the_group(tmp_path, group_files):  # noqa: F811
    ref, drv, _, _ = group_files
    (tmp_path / "in").mkdir()
    drv.rename(tmp_path / "in/dancers.npz")
    manifest = tmp_path / "m.jsonl"  # per item: one dancer (main) or the group (all)
    manifest.write_text('{"input": "in/dancers.npz", "output": "all.mp4", "people": "all"}\n'
                        '{"input": "in/dancers.npz", "output": "one.mp4"}\n')  # fmt: skip
    res = run_batch("align", manifest, tmp_path / "out", engine="serial", progress=False,
                    settings={"reference": ref, "model": "limb", "json": True})  # fmt: skip
    assert (res.done, res.failed) == (2, 0), res.failures
    assert len(load_group(tmp_path / "out/all_json").ids) == 2
    assert len(load_group(tmp_path / "out/one_json").ids) == 1
    assert video_info(tmp_path / "out/all.mp4") == (*REF_CANVAS, 30)
