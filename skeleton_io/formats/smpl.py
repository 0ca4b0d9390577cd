"""SMPL / SMPL-H parameter files (AMASS-style ``.npz``) to 3D joint positions, through smplx.

Input keys: ``poses`` (T, 72 for SMPL, 156 for SMPL-H, 165 for SMPL-X; axis-angle per joint,
the root first) or ``root_orient`` (T, 3) + ``pose_body`` (T, 63); ``trans`` (T, 3);
``betas`` (B,) or (T, B); ``gender``; ``mocap_framerate`` or ``mocap_frame_rate``.

The user supplies the body model (``model_path``; SMPL and SMPL-H model files are licensed
downloads from the MPI sites, and smplx's code is under a non-commercial licence): a model
file (``.pkl`` or ``.npz`` with ``v_template``, ``shapedirs``, ``J_regressor``,
``kintree_table``) or a folder laid out as smplx or AMASS expect
(``smplh/SMPLH_MALE.pkl``, ``SMPL_NEUTRAL.pkl``, ``smplh/male/model.npz``, ...), where the
file's ``gender`` picks the model (neutral when that gender is absent, with a warning).

Joint positions are smplx's linear-blend-skinning joints: the model's ``J_regressor`` applied
to the shaped template (``v_template + shapedirs @ betas``, all the file's betas the model
has), posed by forward kinematics over the model's kinematic tree, plus ``trans``. Only the
first 22 joints' rotations (root + 21 body joints) move these joints, so SMPL, SMPL-H and
SMPL-X pose vectors are read the same way and hand poses are ignored. Output skeleton:
``smpl24`` (SMPL models: the 22 body joints + ``left_hand``, ``right_hand``) or
``smplh22`` / ``smplx22`` (the 22 body joints), in smplx's joint names.

Coordinates: metres, in the file's world frame: ``root_orient`` and ``trans`` are applied
as given. AMASS files (recognised by their ``mocap_framerate``/``mocap_frame_rate`` key)
are **z-up**, so ``up = "+z"``; other files get smplx's model frame, ``up = "+y"``, with
``meta["up_assumed"] = True`` (pass ``up`` to say otherwise).

``meta["joint_map"]`` maps the SMPL names onto the shared vocabulary for
:func:`skeleton_io.convert`: shoulders, elbows, wrists, hips, knees and ankles by name, and
``head -> Nose`` as an *approximation* (the SMPL head joint is at the base of the skull,
behind and below the nose). ``neck`` and ``pelvis`` are deliberately not mapped: OpenPose's
``Neck`` and ``MidHip`` are the midpoints of the shoulders and hips, which
:func:`~skeleton_io.convert` derives.
"""

from __future__ import annotations

import logging
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, PoseFormatError, missing_dependency
from ..pose import DEFAULT_FPS, PoseSequence
from ..skeleton import Skeleton

log = logging.getLogger(__name__)

BODY_JOINTS = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
)  # fmt: skip
"""The 22 body joints SMPL, SMPL-H and SMPL-X share, in their joint order."""
SMPL_HANDS = ("left_hand", "right_hand")
SMPL_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)
"""SMPL's kinematic tree (``kintree_table[0]``); SMPL-H/X share its first 22 entries."""

JOINT_MAP = {
    "left_shoulder": "LShoulder", "right_shoulder": "RShoulder",
    "left_elbow": "LElbow", "right_elbow": "RElbow",
    "left_wrist": "LWrist", "right_wrist": "RWrist",
    "left_hip": "LHip", "right_hip": "RHip",
    "left_knee": "LKnee", "right_knee": "RKnee",
    "left_ankle": "LAnkle", "right_ankle": "RAnkle",
    "head": "Nose",  # approximation: the SMPL head joint is the skull's base, not the nose
}  # fmt: skip
"""SMPL joint names -> the shared vocabulary (see the module docstring)."""

_MODEL_KEYS = ("v_template", "shapedirs", "J_regressor", "kintree_table")
_CHUNK = 4096


def smpl_skeleton(num_joints: int, name: str) -> Skeleton:
    """The ``smpl24`` (24 joints) or 22-joint body skeleton in smplx's names."""
    joints = BODY_JOINTS + (SMPL_HANDS if num_joints == 24 else ())
    index = {n: i for i, n in enumerate(joints)}
    sym = tuple((index[n], index["right_" + n[5:]]) for n in joints if n.startswith("left_"))
    return Skeleton(name, joints, SMPL_PARENTS[: len(joints)], symmetry=sym)


# ------------------------------------------------------------------- model files
def _gender(raw: Any) -> str:
    g = raw.item() if isinstance(raw, np.ndarray) else raw
    if isinstance(g, bytes):
        g = g.decode("utf-8", "replace")
    g = str(g or "neutral").strip().lower()
    return g if g in ("male", "female", "neutral") else "neutral"


def find_model_file(model_path: Path, gender: str, prefer: str) -> Path:
    """The model file for ``gender`` in a file or folder (see the module docstring)."""
    if model_path.is_file():
        return model_path
    if not model_path.is_dir():
        raise ModelError(f"{model_path}: no such SMPL model file or folder; check `model_path`")
    types = [prefer] + [t for t in ("smplh", "smpl", "smplx") if t != prefer]

    def candidates(g: str) -> list[Path]:
        out = []
        for t in types:
            for base in (model_path / t, model_path):
                for ext in ("npz", "pkl"):
                    out.append(base / f"{t.upper()}_{g.upper()}.{ext}")
                out.append(base / g / "model.npz")
            if t == "smpl":
                out.append(model_path / f"basicModel_{g[0]}_lbs_10_207_0_v1.0.0.pkl")
        return out

    for g in dict.fromkeys((gender, "neutral")):
        for c in candidates(g):
            if c.is_file():
                if g != gender:
                    log.warning("%s: no %s model found; using the neutral one", model_path, gender)
                return c
    raise ModelError(
        f"{model_path}: no {prefer.upper()} model for gender {gender!r} (looked for e.g. "
        f"{types[0]}/{types[0].upper()}_{gender.upper()}.pkl and {gender}/model.npz); "
        "pass the model file itself as `model_path`"
    )


def read_model(path: Path) -> dict[str, np.ndarray]:
    """``v_template``, ``shapedirs``, ``J_regressor`` (dense), ``kintree_table`` of a model file."""
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=True) as z:
                raw = {k: z[k] for k in _MODEL_KEYS if k in z.files}
        else:
            with open(path, "rb") as f:
                raw = pickle.load(f, encoding="latin1")
    except ModuleNotFoundError as e:
        raise ModelError(
            f"{path}: the model file needs the module {e.name!r} to unpickle (original SMPL "
            "files hold chumpy arrays); use a chumpy-free copy (smplx's tools/clean_ch.py)"
        ) from None
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as e:
        raise ModelError(f"{path}: cannot read the SMPL model file ({e})") from None
    if not isinstance(raw, dict):
        raise ModelError(f"{path}: not an SMPL model file (no dictionary of arrays)")
    missing = [k for k in _MODEL_KEYS if k not in raw]
    if missing:
        raise ModelError(f"{path}: SMPL model file lacks {', '.join(missing)}")
    from smplx.utils import to_np

    def dense(a: Any) -> np.ndarray:
        if isinstance(a, np.ndarray) and a.dtype == object and a.ndim == 0:
            a = a.item()  # a scipy sparse matrix pickled inside an .npz
        return to_np(a, dtype=np.float64)

    try:
        model = {k: dense(raw[k]) for k in _MODEL_KEYS}
    except (TypeError, ValueError) as e:
        raise ModelError(f"{path}: SMPL model arrays are not numeric ({e})") from None
    v, s, jr, kt = (model[k] for k in _MODEL_KEYS)
    V = v.shape[0] if v.ndim == 2 else -1
    if (
        v.shape != (V, 3)
        or s.ndim != 3
        or s.shape[:2] != (V, 3)
        or jr.ndim != 2
        or jr.shape[1] != V
        or kt.shape != (2, jr.shape[0])
        or jr.shape[0] < 22
    ):
        raise ModelError(
            f"{path}: inconsistent SMPL model arrays (v_template {v.shape}, shapedirs "
            f"{s.shape}, J_regressor {jr.shape}, kintree_table {kt.shape})"
        )
    return model


# ---------------------------------------------------------------- parameter files
def read_params(path: Path) -> dict[str, Any]:
    """Pose, translation, shape, gender and frame rate of an AMASS-style ``.npz``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise PoseFormatError(
            f"{path}: not a readable .npz ({e}); is the file truncated?"
        ) from None
    if "poses" in d:
        poses = np.asarray(d["poses"], dtype=np.float64)
        if poses.ndim != 2 or poses.shape[1] < 66 or poses.shape[1] % 3:
            raise PoseFormatError(
                f"{path}: 'poses' has shape {poses.shape}; expected (frames, 72 or 156)"
            )
        body = poses[:, :66]
    elif "root_orient" in d and "pose_body" in d:
        try:
            body = np.concatenate([d["root_orient"], d["pose_body"][:, :63]], axis=1)
        except (ValueError, IndexError):
            body = np.zeros((0, 0))
        if body.ndim != 2 or body.shape[1] != 66:
            raise PoseFormatError(
                f"{path}: root_orient {d['root_orient'].shape} and pose_body "
                f"{d['pose_body'].shape} do not fit (frames, 3) + (frames, 63)"
            )
        body = body.astype(np.float64)
    else:
        raise PoseFormatError(
            f"{path}: no pose parameters ('poses', or 'root_orient' + 'pose_body'); "
            "an AMASS shape.npz holds only the body shape"
        )
    T = body.shape[0]
    trans = np.asarray(d.get("trans", np.zeros((T, 3))), dtype=np.float64)
    betas = np.asarray(d.get("betas", np.zeros(10)), dtype=np.float64)
    if trans.shape != (T, 3) or betas.ndim not in (1, 2) or (betas.ndim == 2 and len(betas) != T):
        raise PoseFormatError(
            f"{path}: trans {trans.shape} / betas {betas.shape} do not fit {T} frames"
        )
    if not (np.isfinite(body).all() and np.isfinite(trans).all() and np.isfinite(betas).all()):
        raise PoseFormatError(f"{path}: non-finite pose, translation or shape values")
    rate_key = next((k for k in ("mocap_framerate", "mocap_frame_rate") if k in d), None)
    return {
        "body": body,
        "trans": trans,
        "betas": betas,
        "gender": _gender(d.get("gender")),
        "fps": float(d[rate_key]) if rate_key else None,
        "amass": rate_key is not None,
        "pose_width": int(d["poses"].shape[1]) if "poses" in d else 66,
    }


def joint_positions(model: dict[str, np.ndarray], body: np.ndarray, trans: np.ndarray,
                    betas: np.ndarray) -> np.ndarray:  # fmt: skip
    """``(T, J, 3)`` posed joints (J = the model's joint count) with smplx's LBS functions.

    ``body`` (T, 66) axis-angle of the root and 21 body joints; the other joints keep the
    rest pose (they do not move any of the first 24 joints).
    """
    import torch
    from smplx.lbs import batch_rigid_transform, batch_rodrigues, blend_shapes, vertices2joints

    dt = torch.float64
    shapedirs = torch.as_tensor(model["shapedirs"], dtype=dt)
    nb = min(betas.shape[-1], shapedirs.shape[-1])
    if betas.shape[-1] > nb:
        log.info("using %d of the file's %d betas (all the model has)", nb, betas.shape[-1])
    v_template = torch.as_tensor(model["v_template"], dtype=dt)[None]
    j_reg = torch.as_tensor(model["J_regressor"], dtype=dt)
    parents = torch.as_tensor(model["kintree_table"][0].astype(np.int64))
    parents[0] = -1
    J = j_reg.shape[0]
    b = torch.as_tensor(np.atleast_2d(betas)[:, :nb], dtype=dt)
    rest = vertices2joints(j_reg, v_template + blend_shapes(b, shapedirs[..., :nb]))  # (1|T, J, 3)
    T = body.shape[0]
    out = np.empty((T, J, 3))
    with torch.no_grad():
        for s in range(0, T, _CHUNK):
            e = min(T, s + _CHUNK)
            rot = torch.eye(3, dtype=dt).repeat(e - s, J, 1, 1)
            aa = torch.as_tensor(body[s:e], dtype=dt).reshape(-1, 3)
            rot[:, :22] = batch_rodrigues(aa).reshape(e - s, 22, 3, 3)
            joints = rest.expand(e - s, -1, -1) if rest.shape[0] == 1 else rest[s:e]
            posed, _ = batch_rigid_transform(rot, joints.contiguous(), parents, dtype=dt)
            out[s:e] = posed.numpy() + trans[s:e, None]
    return out


def load(
    path: str | Path,
    model_path: str | Path | None = None,
    fps: float | None = None,
    up: str | None = None,
    **_: Any,
) -> PoseSequence:
    """3D joint positions (metres) of an AMASS-style SMPL/SMPL-H ``.npz``.

    Args:
        path: the parameter file.
        model_path: the SMPL/SMPL-H model file or folder (required; licensed download).
        fps: frame rate, used when the file has none.
        up: the world's up axis, overriding the default (see the module docstring).

    Raises:
        ModelError: no model given, or the model cannot be read.
        MissingDependencyError: smplx is not installed.
    """
    path = Path(path)
    if model_path is None:
        raise ModelError(
            f"{path}: SMPL parameters need model files: pass `model_path` (SMPL/SMPL-H "
            "model files are licensed downloads from the MPI site)"
        )
    try:
        import smplx  # noqa: F401
    except ImportError:
        raise missing_dependency("smplx", "smpl", f"{path}: reading SMPL parameters") from None
    params = read_params(path)
    prefer = {72: "smpl", 156: "smplh", 165: "smplx"}.get(params["pose_width"], "smplh")
    model_file = find_model_file(Path(model_path), params["gender"], prefer)
    model = read_model(model_file)
    J = model["J_regressor"].shape[0]
    if J == 24 and not np.array_equal(model["kintree_table"][0][1:], SMPL_PARENTS[1:]):
        log.warning("%s: kinematic tree differs from SMPL's; joint names may be wrong", model_file)
    keep = 24 if J == 24 else 22
    name = {24: "smpl24", 52: "smplh22", 55: "smplx22"}.get(J, f"smpl{J}-body22")
    pos = joint_positions(model, params["body"], params["trans"], params["betas"])[:, :keep]
    meta: dict[str, Any] = {
        "format": "smpl",
        "joint_map": dict(JOINT_MAP),
        "model_file": str(model_file),
        "gender": params["gender"],
    }
    if params["fps"] is None and fps is None:
        log.warning("%s: no mocap frame rate; assuming %g fps (pass `fps`)", path, DEFAULT_FPS)
        meta["fps_assumed"] = True
    if up is None and not params["amass"]:
        meta["up_assumed"] = True
    return PoseSequence(
        coords=pos,
        confidence=np.ones(pos.shape[:2]),
        skeleton=smpl_skeleton(keep, name),
        fps=params["fps"] or fps or DEFAULT_FPS,
        canvas=None,
        units="m",
        up=up or ("+z" if params["amass"] else "+y"),
        meta=meta,
    )
