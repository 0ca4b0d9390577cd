"""The animators' pose alignments as benchmark baselines (retarget/retargeters/alignment.py):
known answers on synthetic bodies."""

from __future__ import annotations

import numpy as np
import pytest

from retarget.builtin import builtin_motion, project_to_canvas
from retarget.geometry import J
from retarget.retargeters import BASELINES, make_baseline
from retarget.retargeters.alignment import MusePoseAlign, UniAnimateAlign

ALIGN = ("musepose", "unianimate", "mimicmotion")


def _dance(frames: int = 30, yaw: float = 20.0, body: str = "average"):
    return project_to_canvas(builtin_motion(body, frames=frames), yaw=yaw)


def _scaled(seq, k: float, shift=(40.0, -30.0), canvas_k: float = 1.0):
    w, h = seq.canvas
    return seq.with_coords(
        seq.coords * k + np.asarray(shift), canvas=(round(w * canvas_k), round(h * canvas_k))
    )


@pytest.mark.parametrize("name", ALIGN)
def test_registered_as_baselines_and_follow_the_contract(name):
    assert name in BASELINES
    motion, ref = _dance(), _dance(body="small", yaw=-40)
    out = make_baseline(name)(motion, ref)
    assert out.skeleton.name == "openpose15" and out.num_frames == motion.num_frames
    assert out.meta["retargeter"] == name and np.isfinite(out.coords).all()
    assert make_baseline(f"{name}+gapfill").name == f"{name}+gapfill"


@pytest.mark.parametrize("name", ALIGN)
def test_a_reference_that_is_the_driving_body_scaled_and_moved_is_reproduced(name):
    # reference photo = the driving's first frame scaled by 2 and shifted: every part ratio
    # is 2 (MusePose, UniAnimate), the linear fit is exact (MimicMotion, a still driving);
    # MusePose moves the neck by the driving's own (unscaled) displacement
    motion = _dance(frames=1 if name == "mimicmotion" else 30)
    ref = _scaled(motion, 2.0)
    out = make_baseline(name)(motion, ref)
    want = motion.coords * 2.0 + [40.0, -30.0]
    if name == "musepose":
        neck = motion.coords[:, J["Neck"]]
        want = (
            2.0 * (motion.coords - neck[:, None])
            + (neck - neck[0] + ref.coords[0, J["Neck"]])[:, None]
        )
    np.testing.assert_allclose(out.coords, want, atol=1e-9)


def test_normalised_coordinates_follow_the_canvases():
    # the same picture at twice the resolution: the driving body is reproduced at 2x in pixels
    motion = _dance(frames=1)
    ref = _scaled(motion, 2.0, shift=(0.0, 0.0), canvas_k=2.0)
    for name in ALIGN:
        out = make_baseline(name)(motion, ref)
        np.testing.assert_allclose(out.coords[0], ref.coords[0], atol=1e-6, err_msg=name)


def test_musepose_ratios_known_answer_and_its_nan_inf_rules():
    ref = _dance(frames=1)
    drv = ref.with_coords(ref.coords.copy())
    c = drv.coords[0]
    # forearms of the driving frame half as long: ratio 2
    for e, w in (("RElbow", "RWrist"), ("LElbow", "LWrist")):
        c[J[w]] = c[J[e]] + 0.5 * (c[J[w]] - c[J[e]])
    k = MusePoseAlign().ratios(ref.coords[0], ref.confidence[0], c, drv.confidence[0])
    assert k["arm_lower"] == pytest.approx(2.0) and k["arm_upper"] == pytest.approx(1.0)
    conf = drv.confidence[0].copy()
    conf[J["Nose"]] = 0.0  # missing: NaN -> 1
    c2 = c.copy()
    c2[J["LShoulder"]] = c2[J["RShoulder"]]  # zero span: inf -> mean of the finite ones
    k2 = MusePoseAlign().ratios(ref.coords[0], ref.confidence[0], c2, conf)
    assert k2["neck"] == 1.0  # NaN
    # inf: the mean of the finite ratios (all but the neck's NaN and the shoulders' inf)
    finite = [v for n, v in k2.items() if n not in ("neck", "shoulder")]
    assert k2["shoulder"] == pytest.approx(np.mean(finite))


def test_unianimate_mirrors_a_driver_facing_the_other_way_as_the_original():
    ref = _dance(frames=1, yaw=0)
    back = _dance(frames=5, yaw=180)  # shoulders' left-right order reversed
    x_ratio, _ = UniAnimateAlign.xy_ratios(ref.coords[0], back.coords[0])
    assert x_ratio < 0
    out = make_baseline("unianimate")(back, ref)
    assert np.sign(out.coords[0, J["LShoulder"], 0] - out.coords[0, J["RShoulder"], 0]) == np.sign(
        ref.coords[0, J["LShoulder"], 0] - ref.coords[0, J["RShoulder"], 0]
    )


def test_missing_joints_stay_missing_and_children_of_missing_parents_too():
    motion = _dance(frames=6)
    motion.confidence[2, J["RElbow"]] = 0.0
    motion.coords[2, J["RElbow"]] = 0.0
    for name in ("musepose", "unianimate"):
        out = make_baseline(name)(motion, _dance(body="tall"))
        assert out.confidence[2, J["RElbow"]] == 0 and out.confidence[2, J["RWrist"]] == 0
        assert out.confidence[3, J["RWrist"]] > 0
