"""``retarget batch``: items from folders, globs and manifests; skip what is written; ledger;
failures recorded, never fatal; retries; engines (this process, a process pool, Ray)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from retarget.cli import cli
from retarget.pipeline.batch import Job, run_batch
from retarget.pipeline.batch.engines import ray_available
from retarget.pipeline.batch.jobs import READ_OPTIONS
from retarget.pipeline.poses import denoise_file, extract_file
from skeleton_io import load_file, save_file
from skeleton_io.errors import PoseFormatError
from tests.conftest import MEDIA, make_pose_sequence, need

needs_ray = pytest.mark.skipif(
    not ray_available(), reason="needs Ray (pip install 'retarget[scale]')"
)


def make_tree(root: Path, bad: bool = True) -> Path:
    """``root/in``: a.npz, sub/b.npz, sub/deeper/c.npz (8-12 frames), and with ``bad`` a
    corrupt npz and an empty one."""
    src = root / "in"
    for i, rel in enumerate(["a.npz", "sub/b.npz", "sub/deeper/c.npz"]):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        save_file(make_pose_sequence(frames=8 + 2 * i, seed=i), src / rel)
    if bad:
        (src / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
        (src / "empty.npz").write_bytes(b"")
    return src


def ledger_lines(out: Path) -> list[dict]:
    return [json.loads(line) for f in sorted((out / "_ledgers").glob("*.jsonl"))
            for line in f.read_text().splitlines()]  # fmt: skip


def test_folder_mirrored_outputs_equal_single_command_and_rerun_skips(tmp_path):
    src = make_tree(tmp_path, bad=False)
    out = tmp_path / "out"
    settings = {"out_format": "csv", "method": "savgol"}
    res = run_batch("denoise", src, out, settings=settings, engine="serial", progress=False)
    assert (res.done, res.failed, res.skipped, res.total) == (3, 0, 0, 3)
    for rel in ["a", "sub/b", "sub/deeper/c"]:
        single = tmp_path / "single.csv"
        denoise_file(src / f"{rel}.npz", single, out_format="csv", method="savgol")
        assert (out / f"{rel}.csv").read_text() == single.read_text()
    again = run_batch("denoise", src, out, settings=settings, engine="serial", progress=False)
    assert (again.done, again.skipped) == (0, 3)
    lines = ledger_lines(out)
    assert sorted(r["status"] for r in lines) == ["done"] * 3 + ["skipped"] * 3
    first = [r for r in lines if r["status"] == "done"]
    assert all(r["frames"] in (8, 10, 12) and r["engine"] == "serial" for r in first)
    assert all(r["seconds"] >= 0 and r["worker"] for r in first)


def test_corrupt_and_empty_items_fail_alone_with_their_error_line(tmp_path):
    src = make_tree(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["batch", "denoise", "-i", str(src), "-o", str(out), "-m",
                                 "savgol", "--engine", "processes", "--workers", "2"])  # fmt: skip
    assert r.exit_code == 1, r.output
    assert "3 done, 2 failed" in r.output.splitlines()[-1]
    failed = {x["key"]: x for x in ledger_lines(out) if x["status"] == "failed"}
    assert set(failed) == {"corrupt.npz", "empty.npz"}
    assert all("corrupt" in x["error"] or "empty" in x["error"] for x in failed.values())
    assert all(x["attempt"] == 1 and x["engine"] == "processes" for x in failed.values())
    assert {p.name for p in out.rglob("*.npz")} == {"a.npz", "b.npz", "c.npz"}
    assert not [p for p in out.rglob(".*") if p.name != ".lock"]  # nothing half-written


def test_manifest_rows_carry_outputs_and_per_item_options(tmp_path):
    src = make_tree(tmp_path, bad=False)
    manifest = tmp_path / "list.csv"
    manifest.write_text("input,output,start_frame,max_frames\n"
                        "in/a.npz,first.npz,2,3\n"
                        "in/sub/b.npz,,,\n")  # fmt: skip
    out = tmp_path / "out"
    res = run_batch("extract", manifest, out, engine="serial", progress=False)
    assert res.done == 2
    assert load_file(out / "first.npz").num_frames == 3
    assert load_file(out / "in/sub/b.npz").num_frames == 10
    jl = tmp_path / "list.jsonl"
    jl.write_text(json.dumps({"input": str(src / "a.npz"), "max_frames": 4}) + "\n")
    res = run_batch("extract", jl, tmp_path / "out2", engine="serial", progress=False)
    assert res.done == 1 and load_file(tmp_path / "out2/a.npz").num_frames == 4


def test_a_glob_mirrors_below_its_fixed_part(tmp_path):
    src = make_tree(tmp_path, bad=False)
    out = tmp_path / "out"
    res = run_batch("denoise", f"{src}/sub/**/*.npz", out, settings={"method": "none"},
                    engine="serial", progress=False)  # fmt: skip
    assert res.done == 2
    assert (out / "b.npz").exists() and (out / "deeper/c.npz").exists()


def test_denoise_and_transfer_jobs(tmp_path):
    src = make_tree(tmp_path, bad=False)
    res = run_batch("denoise", src, tmp_path / "d", settings={"method": "savgol"},
                    engine="serial", progress=False)  # fmt: skip
    assert res.done == 3
    out = load_file(tmp_path / "d/sub/b.npz")
    assert out.meta["denoise"]["method"] == "savgol"
    with pytest.raises(Exception, match="structure"):
        run_batch("transfer", src, tmp_path / "t", settings={"structure": tmp_path / "nope"},
                  engine="serial", progress=False)  # fmt: skip


def test_transfer_job_takes_an_analytic_retargeter_by_name(tmp_path):
    """`batch transfer --model limb` (checked up front as a name, not a path) runs in the
    workers and writes what `transfer_file(..., model="limb")` writes for each item."""
    from retarget.pipeline.poses import transfer_file

    src = make_tree(tmp_path, bad=False)
    structure = tmp_path / "structure.npz"
    save_file(make_pose_sequence(frames=12, seed=7), structure)
    settings = {"structure": structure, "model": "limb", "denoise": "none"}
    res = run_batch("transfer", src, tmp_path / "t", settings=settings, engine="serial",
                    progress=False)  # fmt: skip
    assert (res.done, res.failed) == (3, 0)
    single = transfer_file(src / "sub/b.npz", load_file(structure), tmp_path / "single.npz",
                           model="limb", denoise="none")  # fmt: skip
    got = load_file(tmp_path / "t/sub/b.npz")
    assert got.meta["retargeter"] == "limb"
    np.testing.assert_allclose(got.coords, single.coords, atol=1e-4)
    np.testing.assert_array_equal(got.confidence > 0, single.confidence > 0)


# ------------------------------------------------------------- retries, dying workers
def _flaky_setup(settings):
    """Leaves a file per set-up (the worker's pid): the test counts them."""
    if settings.get("setups"):
        Path(settings["setups"], str(os.getpid())).write_text("x")


def _flaky_run(_, item, settings):
    """Fails with an OSError on the first try of items named 'flaky*', with the toolkit's
    error on items named 'bad*', and kills its worker process on 'die*'."""
    marker = item.output.with_suffix(".tried")
    name = item.input.name
    if name.startswith("die") and settings.get("die"):
        os._exit(3)
    if name.startswith("bad"):
        raise PoseFormatError(f"{item.input}: rejected")
    if name.startswith("flaky") and not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("x")
        raise OSError("transient")
    item.output.parent.mkdir(parents=True, exist_ok=True)
    item.output.write_text("ok")
    return 1


FLAKY = Job("flaky", "test job", frozenset({".txt"}), False, READ_OPTIONS, _flaky_setup,
            _flaky_run)  # fmt: skip


def test_transient_failures_retry_rejected_inputs_do_not(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("ok", "flaky", "bad"):
        (src / f"{name}.txt").write_text("x")
    out = tmp_path / "out"
    res = run_batch(FLAKY, src, out, retry=2, engine="serial", progress=False)
    assert (res.done, res.failed) == (2, 1)
    tries = {}
    for r in ledger_lines(out):
        tries.setdefault(r["key"], []).append(r["status"])
    assert tries == {"bad.txt": ["failed"], "flaky.txt": ["failed", "done"], "ok.txt": ["done"]}
    res = run_batch(FLAKY, src, out, retry=0, engine="serial", progress=False)
    assert (res.done, res.failed, res.skipped) == (0, 1, 2)  # only the failed one again


def test_a_worker_that_dies_fails_its_item_and_the_pool_goes_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c", "die"):
        (src / f"{name}.txt").write_text("x")
    res = run_batch(FLAKY, src, tmp_path / "out", settings={"die": True}, workers=2,
                    engine="processes", retry=1, progress=False)  # fmt: skip
    assert res.done == 3 and res.failed == 1
    assert res.failures[0][0] == "die.txt" and "worker died" in res.failures[0][1]


def test_each_worker_sets_up_once(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for k in range(6):
        (src / f"ok{k}.txt").write_text("x")
    setups = tmp_path / "setups"
    setups.mkdir()
    res = run_batch(FLAKY, src, tmp_path / "out", settings={"setups": str(setups)}, workers=2,
                    engine="processes", progress=False)  # fmt: skip
    assert res.done == 6
    recs = ledger_lines(tmp_path / "out")
    workers = {r["worker"] for r in recs}
    assert 1 <= len(list(setups.iterdir())) == len(workers) <= 2  # one set-up per worker
    assert sum("setup_seconds" in r for r in recs) == len(workers)


def test_without_ray_it_says_so_and_runs_locally(tmp_path, monkeypatch, caplog):
    import retarget.pipeline.batch.engines as engines

    monkeypatch.setattr(engines, "ray_available", lambda: False)
    src = make_tree(tmp_path, bad=False)
    res = run_batch("denoise", src, tmp_path / "out", settings={"method": "none"},
                    progress=False)  # fmt: skip
    assert res.done == 3 and res.engine == "serial"
    assert "Ray is not installed" in caplog.text and "retarget[scale]" in caplog.text
    with pytest.raises(Exception, match=r"retarget\[scale\]"):
        run_batch("denoise", src, tmp_path / "o2", ray_address="auto", progress=False)


# ---------------------------------------------------------------------- hostile input
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "case, needle",
    [
        ("bad_job", "JOB"),
        ("empty_folder", "no inputs"),
        ("no_input_column", "no 'input' column"),
        ("unknown_column", "unknown manifest column"),
        ("bad_cell", "bad max_frames"),
        ("workers_0", "--workers"),
        ("same_output", "would both write"),
        ("output_is_input", "would replace the input"),
        ("bad_shard", "--shard"),
        ("missing_inputs", "no such file"),
        ("unreachable_ray", "--ray-address"),
    ],
)
def test_hostile_input_is_one_error_line(tmp_path, case, needle):
    src = make_tree(tmp_path, bad=False)
    args = ["batch", "denoise", "-i", str(src), "-o", str(tmp_path / "out"), "-m", "none"]
    if case == "bad_job":
        args[1] = "juggle"
    elif case == "empty_folder":
        (tmp_path / "void").mkdir()
        args[3] = str(tmp_path / "void")
    elif case in ("no_input_column", "unknown_column", "bad_cell"):
        m = tmp_path / "m.csv"
        m.write_text({"no_input_column": "path\nin/a.npz\n",
                      "unknown_column": "input,colour\nin/a.npz,red\n",
                      "bad_cell": "input,max_frames\nin/a.npz,-3\n"}[case])  # fmt: skip
        args[3] = str(m)
    elif case == "workers_0":
        args += ["--workers", "0"]
    elif case == "same_output":
        save_file(make_pose_sequence(), src / "a.csv", "csv")
    elif case == "output_is_input":
        args[5] = str(src)
    elif case == "bad_shard":
        args += ["--shard", "3/2"]
    elif case == "missing_inputs":
        args[3] = str(tmp_path / "nowhere")
    elif case == "unreachable_ray":
        args += ["--ray-address", f"127.0.0.1:{_free_port()}"]
    r = CliRunner().invoke(cli, args)
    lines = r.output.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: "), r.output
    assert needle in lines[0] and "`" not in lines[0], lines[0]
    assert not (tmp_path / "out" / "a.npz").exists()


# -------------------------------------------------------------------------------- Ray
@needs_ray
def test_ray_local_instance_is_the_default_engine(tmp_path):
    src = make_tree(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["batch", "denoise", "-i", str(src), "-o", str(out), "-m",
                                 "none", "--workers", "2"])  # fmt: skip
    assert r.exit_code == 1, r.output
    recs = ledger_lines(out)
    assert {x["engine"] for x in recs} == {"ray (local)"}
    assert sorted(x["status"] for x in recs) == ["done"] * 3 + ["failed"] * 2
    assert len({x["worker"] for x in recs if x["status"] == "done"}) >= 1
    a = load_file(out / "a.npz")
    assert a.num_frames == 8 and a.meta["denoise"]["method"] == "none"


@pytest.mark.shared
def test_extract_on_real_clips_equals_the_single_command(tmp_path):
    clips = [
        need(MEDIA / "v10_footskate_dance.mp4"),
        need(MEDIA / "v11_mmhuman3d_single_person.mp4"),
    ]
    (tmp_path / "corrupt.mp4").write_bytes(clips[0].read_bytes()[:20000])
    (tmp_path / "empty.mp4").write_bytes(b"")
    rows = [*clips, tmp_path / "corrupt.mp4", tmp_path / "empty.mp4"]
    manifest = tmp_path / "clips.jsonl"
    manifest.write_text("".join(json.dumps({"input": str(p), "output": p.stem + ".npz"}) + "\n"
                                for p in rows))  # fmt: skip
    out = tmp_path / "out"
    res = run_batch("extract", manifest, out, settings={"max_frames": 6}, engine="serial",
                    progress=False)  # fmt: skip
    assert (res.done, res.failed) == (2, 2)
    assert {k.split(":", 1)[1].rsplit("/", 1)[-1] for k, _ in res.failures} == {
        "corrupt.mp4", "empty.mp4"}  # fmt: skip
    for clip in clips:
        single = extract_file(clip, tmp_path / "single.npz", max_frames=6)
        batch = load_file(out / f"{clip.stem}.npz")
        assert np.array_equal(batch.coords, single.coords)
        assert np.array_equal(batch.confidence, single.confidence)


def _stop_ray_processes(marker: str) -> None:
    """End the processes of the test's own Ray cluster (their command lines name its
    temporary folder), by process id."""
    import signal
    import time

    for _ in range(20):
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            with contextlib.suppress(OSError):
                if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                    pids.append(int(pid))
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM if _ < 10 else signal.SIGKILL)
        time.sleep(0.5)


@needs_ray
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the cluster's processes in /proc")
def test_ray_address_reaches_a_cluster_started_with_ray_start(tmp_path):
    import subprocess
    import sys
    import tempfile

    src = make_tree(tmp_path, bad=False)
    temp = tempfile.mkdtemp(prefix="rtbatch", dir="/tmp")  # Ray's socket paths must be short
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    ray_cli = Path(sys.executable).with_name("ray")
    try:
        subprocess.run([str(ray_cli), "start", "--head", f"--port={port}", "--num-cpus=2",
                        "--include-dashboard=false", f"--temp-dir={temp}",
                        "--disable-usage-stats"], env=env, check=True, capture_output=True,
                       timeout=120)  # fmt: skip
        out = tmp_path / "out"
        env["RAY_AUTH_MODE"] = "token"  # `ray start` enables token auth: Ray wants this
        retarget = Path(sys.executable).with_name("retarget")
        r = subprocess.run([str(retarget), "batch", "denoise", "-i", str(src), "-o", str(out),
                            "-m", "none", "--ray-address", f"127.0.0.1:{port}"], env=env,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
        assert r.returncode == 0, r.stderr
        recs = ledger_lines(out)
        assert {x["engine"] for x in recs} == {f"ray (127.0.0.1:{port})"}
        assert sorted(x["status"] for x in recs) == ["done"] * 3
    finally:
        _stop_ray_processes(temp)
        shutil.rmtree(temp, ignore_errors=True)


def test_every_pose_format_of_the_command_line_is_a_batch_output(tmp_path):
    """`--format` offers every writable pose format; batch writes each of them (DWPose and
    COCO-WholeBody JSON were refused), named by its own extension, and reads back."""
    from retarget.pipeline.batch.jobs import OUTPUT_SUFFIX
    from skeleton_io.io import SAVE_FORMATS

    assert set(OUTPUT_SUFFIX) == set(SAVE_FORMATS)
    src = tmp_path / "in"
    src.mkdir()
    seq = make_pose_sequence(frames=6, seed=4)
    seq.canvas = (640, 480)
    save_file(seq, src / "a.npz")
    for fmt in ("dwpose", "coco_wholebody"):
        res = run_batch("denoise", src, tmp_path / fmt, settings={"method": "none",
                        "out_format": fmt}, engine="serial", progress=False)  # fmt: skip
        assert res.done == 1, res
        back = load_file(tmp_path / fmt / "a.json", fps=seq.fps)
        assert back.num_frames == seq.num_frames and back.present.all()
