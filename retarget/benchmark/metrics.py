"""Metrics of the retargeting benchmark, pooled over test cases.

Per case the retargeter's 2D output is compared with the ground truth (camera-frame 3D in
pixels, see :mod:`retarget.data.views`; its ``(x, y)`` is the true image). ``h`` is the
target's skeleton height in those pixels (:func:`retarget.geometry.body_height` of the ground
truth, ankle to nose, median bone lengths).

* ``mse``, ``mae``: TransMoMo's errors after fixing the hip (each frame's MidHip subtracted
  from output and truth), over all joints (the hip included, as TransMoMo counts it),
  coordinates and frames, in units of ``h`` (``mse`` in ``h``\\ :sup:`2`). Pooled: total
  error over total count. Joints the output misses are left out (see ``missing``).
* ``mse_px``, ``mae_px``: the same in the benchmark's pixels (2 px/cm on a 512-px-high
  canvas, where a 170 cm person is about 340 px tall), as the paper reports pixels.
* ``bone``: median relative bone-length error, ``|l_out - l_truth| / L`` per frame and bone,
  with ``l`` the 2D lengths and ``L`` the truth's 3D length of that bone (2D lengths depend on
  the view, so the truth's own 2D lengths are the reference, and ``L`` keeps foreshortened
  bones from dividing by ~0).
* ``bone3d``: when the output carries 3D (``world``), the median relative error of its 3D bone
  proportions (each median bone length over the skeleton height) against the truth's.
* ``slide``: foot sliding, the mean image-horizontal speed of the output's ankles over the
  frames in which that foot is in contact in the truth (ankle within 6 % of ``h`` of the
  lowest ankle level of the window and moving slower than 0.3 ``h``/s in 3D), in ``h``/s.
  ``slide_gt``: the same measured on the truth's own 2D (the floor of this metric).
* ``accel``: mean acceleration error (SmoothNet's), ``|a_out - a_truth|`` per joint and frame,
  in ``h``/s\\ :sup:`2`; it grows with jitter.
* ``missing``: fraction of output joints with confidence 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..geometry import BONES, HIP, J, body_height, bone_lengths, height_from_bones

CONTACT_HEIGHT = 0.06
"""A foot is in contact when its ankle is within this fraction of ``h`` of the lowest level."""
CONTACT_SPEED = 0.3
"""... and its 3D horizontal speed is below this many ``h`` per second."""
ANKLES = (J["RAnkle"], J["LAnkle"])


def foot_contacts(truth3d: np.ndarray, h: float, fps: float) -> np.ndarray:
    """``(T, 2)`` booleans: right and left foot in contact, from camera-frame 3D truth (y down)."""
    a = truth3d[:, ANKLES]  # (T, 2, 3)
    ground = a[..., 1].max()
    above = ground - a[..., 1]
    step = np.linalg.norm(np.diff(a[..., [0, 2]], axis=0), axis=-1)  # (T-1, 2)
    speed = np.concatenate([step, step[-1:]], axis=0) * fps / h
    return (above < CONTACT_HEIGHT * h) & (speed < CONTACT_SPEED)


def slide_sum(
    coords2d: np.ndarray, conf: np.ndarray, contacts: np.ndarray, h: float, fps: float
) -> tuple[float, int]:
    """Sum and count of image-horizontal ankle speeds (``h``/s) over consecutive contact frames."""
    x = coords2d[:, ANKLES, 0]
    ok = contacts[:-1] & contacts[1:] & (conf[:-1, ANKLES] > 0) & (conf[1:, ANKLES] > 0)
    v = np.abs(np.diff(x, axis=0)) * fps / h
    return float(v[ok].sum()), int(ok.sum())


@dataclass
class Pool:
    """Pooled sums over cases; :meth:`result` gives the metrics of the module docstring."""

    sq: float = 0.0
    ab: float = 0.0
    sq_px: float = 0.0
    ab_px: float = 0.0
    n: int = 0
    joints: int = 0
    missing: int = 0
    slide: float = 0.0
    slide_n: int = 0
    slide_gt: float = 0.0
    slide_gt_n: int = 0
    accel: float = 0.0
    accel_n: int = 0
    cases: int = 0
    bone: list[np.ndarray] = field(default_factory=list, repr=False)
    bone3d: list[np.ndarray] = field(default_factory=list, repr=False)

    def add(
        self,
        out2d: np.ndarray,
        out_conf: np.ndarray,
        truth3d: np.ndarray,
        fps: float,
        out3d: np.ndarray | None = None,
    ) -> None:
        """Add one case: output ``(T, 15, 2)`` pixels + confidence, truth ``(T, 15, 3)``."""
        h = body_height(truth3d)  # median 3D bone lengths
        truth2d = truth3d[..., :2]
        vis = out_conf > 0
        ok = vis & vis[:, HIP : HIP + 1]
        err = (out2d - out2d[:, HIP : HIP + 1]) - (truth2d - truth2d[:, HIP : HIP + 1])
        e = err[ok]  # (n, 2)
        self.sq_px += float((e**2).sum())
        self.ab_px += float(np.abs(e).sum())
        self.sq += float((e**2).sum()) / h**2
        self.ab += float(np.abs(e).sum()) / h
        self.n += e.size
        self.joints += vis.size
        self.missing += int((~vis).sum())
        # bone lengths
        a = [b[0] for b in BONES]
        c = [b[1] for b in BONES]
        l_out = np.linalg.norm(out2d[:, c] - out2d[:, a], axis=-1)
        l_gt = np.linalg.norm(truth2d[:, c] - truth2d[:, a], axis=-1)
        full = bone_lengths(truth3d, 50)
        both = vis[:, a] & vis[:, c]
        self.bone.append((np.abs(l_out - l_gt) / full)[both].astype(np.float32))
        if out3d is not None:
            b_out = bone_lengths(out3d, 50)
            p_out = b_out / height_from_bones(b_out)
            p_gt = full / h
            self.bone3d.append((np.abs(p_out - p_gt) / p_gt).astype(np.float32))
        # foot sliding
        contacts = foot_contacts(truth3d, h, fps)
        s, k = slide_sum(out2d, out_conf, contacts, h, fps)
        self.slide += s
        self.slide_n += k
        s, k = slide_sum(truth2d, np.ones(truth2d.shape[:2]), contacts, h, fps)
        self.slide_gt += s
        self.slide_gt_n += k
        # acceleration error
        if out2d.shape[0] >= 3:
            acc = np.diff(out2d, 2, axis=0) - np.diff(truth2d, 2, axis=0)
            okk = vis[:-2] & vis[1:-1] & vis[2:]
            self.accel += float(np.linalg.norm(acc, axis=-1)[okk].sum()) * fps**2 / h
            self.accel_n += int(okk.sum())
        self.cases += 1

    def result(self) -> dict[str, float | int | None]:
        def div(a: float, b: int) -> float | None:
            return a / b if b else None

        bone = np.concatenate(self.bone) if self.bone else np.zeros(0)
        bone3d = np.concatenate(self.bone3d) if self.bone3d else np.zeros(0)
        return {
            "cases": self.cases,
            "mse": div(self.sq, self.n),
            "mae": div(self.ab, self.n),
            "mse_px": div(self.sq_px, self.n),
            "mae_px": div(self.ab_px, self.n),
            "bone": float(np.median(bone)) if bone.size else None,
            "bone3d": float(np.median(bone3d)) if bone3d.size else None,
            "slide": div(self.slide, self.slide_n),
            "slide_gt": div(self.slide_gt, self.slide_gt_n),
            "accel": div(self.accel, self.accel_n),
            "missing": div(float(self.missing), self.joints),
        }


METRIC_COLUMNS = ("mse", "mae", "mse_px", "mae_px", "bone", "slide", "accel", "missing")
"""Columns of the printed table, in order."""
