"""`make demo`'s job runs on built-in inputs and produces what it promises."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_demo_runs_on_builtin_inputs(tmp_path):
    from retarget.demo import run

    summary = run(tmp_path)
    assert {row[0] for row in summary["io"]} == {"native", "bvh", "csv", "openpose", "coco"}
    # the 2D formats and the native one round-trip exactly (COCO to float precision)
    for fmt, _, note in summary["io"]:
        assert float(note.split()[-1 if fmt != "bvh" else -2]) < 1e-9, (fmt, note)
    d = summary["denoise"]
    assert (
        d["mpjpe_px_denoised"] < d["mpjpe_px_noisy"]
        and d["jitter_denoised"] < 0.5 * d["jitter_noisy"]
    )
    r = summary["retarget"]
    assert r["in_view_mae_height"] < 0.25 * r["copy_motion_mae_height"]
    assert r["cross_view_mae_height"] < r["copy_motion_mae_height"]
    p = summary["people"]  # two dancers onto a tall and a small body: the exact answer
    assert all(v["mae_height"] < 0.01 and abs(v["height_ratio"] - 1) < 0.02
               for v in p["people"].values())  # fmt: skip
    assert (
        p["feet_apart_max"] < 0.04
        and p["overlap_max"]["result"] <= p["overlap_max"]["driving"] + 0.05
    )
    for path in summary["outputs"]:
        assert (tmp_path / path).exists() or __import__("pathlib").Path(path).exists(), path


def test_align_demo_places_the_dance_on_the_astronaut(tmp_path):
    from retarget.demo.align import align_demo
    from skeleton_io.video_io import read_image

    written, info = align_demo(tmp_path, frames=24)
    assert all(p.exists() for p in written)
    assert info["frames"] == 24 and info["canvas"] == [512, 512]
    # the photo shows neither feet nor hips: placed by the neck; the face is the photo's size
    assert info["placement"]["anchor"] == "neck"
    assert info["extremities"]["face"]["measured_on"] == "face"
    picture = read_image(written[-1])
    assert picture.shape[0] == 320 and picture.shape[1] > 4 * 320
