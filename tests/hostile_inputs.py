"""Hostile inputs for ``tests/test_hostile.py``, made on demand by name.

:func:`make` writes the input called ``name`` into a folder (and whatever it needs); every
input is small and generated here. Good inputs (``good.*``) are the built-in dance, 2D on a
256 x 256 canvas (3D in the BVH); the others are what a new user will pass by mistake or
on purpose: empty, truncated, binary, wrong JSON shapes, non-finite and huge numbers, huge
frame numbers, duplicated rows, byte-order marks, symlink loops, folders where files are
expected, motions with nobody in them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from skeleton_io import PoseSequence, save_file

FRAMES = 12
CANVAS = (256, 256)


def dance_2d(frames: int = FRAMES) -> PoseSequence:
    from retarget.builtin import builtin_motion, project_to_canvas

    return project_to_canvas(builtin_motion(frames=frames), CANVAS, px_per_cm=1.0)


def dance_3d(frames: int = FRAMES) -> PoseSequence:
    from retarget.builtin import builtin_motion

    return builtin_motion(frames=frames)


def _save(fmt: str, seq: Callable[[], PoseSequence] = dance_2d) -> Callable[[Path], None]:
    return lambda p: save_file(seq(), p, format=fmt)


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(data)


def _text(text: str) -> Callable[[Path], None]:
    return lambda p: p.write_text(text)


def _json(obj: object) -> Callable[[Path], None]:
    return lambda p: p.write_text(json.dumps(obj))


def _truncated(good: str, keep: float = 0.5) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        src = p.parent / f".src_{p.name}"
        GOOD[good](src)
        data = src.read_bytes()
        src.unlink()
        p.write_bytes(data[: int(len(data) * keep)])

    return write


def _folder(p: Path) -> None:
    p.mkdir()


def _loop(p: Path) -> None:
    other = p.parent / f".loop_{p.name}"
    os.symlink(other, p)
    os.symlink(p, other)


def _frames_folder(frames: list[dict]) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        p.mkdir()
        for k, doc in enumerate(frames):
            (p / f"f_{k:012d}_keypoints.json").write_text(json.dumps(doc))

    return write


def _body25(value: float | None = None, conf: float = 1.0) -> list[float]:
    """A BODY_25 list of a standing person (``value`` replaces the first x)."""
    seq = dance_2d(1)
    from skeleton_io.convert import convert

    body = convert(seq, "body25")
    c = np.where(body.confidence[0] > 0, conf, 0.0)
    flat = np.concatenate([body.coords[0], c[:, None]], axis=1)
    out = flat.ravel().tolist()
    if value is not None:
        out[0] = value
    return out


def _bvh(motion_lines: list[str], frames: int | None = None, frame_time: str = "0.0333") -> str:
    """A 2-joint BVH (root with 6 channels, one child with 3) and the given motion lines."""
    n = len(motion_lines) if frames is None else frames
    return (
        "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition Zposition "
        "Zrotation Xrotation Yrotation\n JOINT Spine\n {\n  OFFSET 0 10 0\n  CHANNELS 3 "
        "Zrotation Xrotation Yrotation\n  End Site\n  {\n   OFFSET 0 10 0\n  }\n }\n}\n"
        f"MOTION\nFrames: {n}\nFrame Time: {frame_time}\n" + "".join(m + "\n" for m in motion_lines)
    )


_ROW9 = "0 90 0 0 0 0 0 0 0"


def _csv(rows: list[str], header: str = "frame,joint,x,y,z,confidence") -> Callable[[Path], None]:
    return _text(header + "\n" + "".join(r + "\n" for r in rows))


def _good_csv_rows(frames: int = 3) -> list[str]:
    joints = ["Nose", "Neck", "RShoulder", "LShoulder", "MidHip", "RHip", "LHip"]
    return [f"{t},{j},{100 + 10 * k},{50 + 20 * k},,1.0" for t in range(frames)
            for k, j in enumerate(joints)]  # fmt: skip


def _native(coords: np.ndarray, conf: np.ndarray | None = None, **header: object) -> Callable:
    """A native .npz written by hand (bypassing the writer's checks)."""

    def write(p: Path) -> None:
        seq = dance_2d(coords.shape[0]) if coords.size else dance_2d(1)
        head = {**seq.header(), **header}
        c = np.ones(coords.shape[:2]) if conf is None else conf
        with open(p, "wb") as f:
            np.savez(f, coords=coords, confidence=c, header=np.array(json.dumps(head)),
                     format=np.array("retarget-pose/1"))  # fmt: skip

    return write


def _coco_with(value: object) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        save_file(dance_2d(2), p, format="coco")
        doc = json.loads(p.read_text())
        doc["annotations"][0]["keypoints"][0] = value
        p.write_text(json.dumps(doc))  # json writes NaN/Infinity for non-finite floats

    return write


def _coco_size(value: object) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        save_file(dance_2d(2), p, format="coco")
        doc = json.loads(p.read_text())
        for im in doc["images"]:
            im["width"] = value
        p.write_text(json.dumps(doc))

    return write


def _dwpose_with(key: str, value: object) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        save_file(dance_2d(2), p, format="dwpose")
        doc = json.loads(p.read_text())
        doc[0][key] = value
        p.write_text(json.dumps(doc))

    return write


def _bvh_edit(old: str, new: str) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        save_file(dance_3d(2), p, format="bvh")
        p.write_text(p.read_text().replace(old, new, 1))

    return write


def _video(p: Path) -> None:
    import av

    with av.open(str(p), "w") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(4):
            img = np.random.default_rng(i).integers(0, 256, (48, 64, 3), np.uint8)
            for pkt in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)


def _png(p: Path) -> None:
    import av

    img = np.full((48, 64, 3), 128, np.uint8)
    with av.open(str(p), "w", format="image2") as c:
        s = c.add_stream("png", rate=1)
        s.width, s.height, s.pix_fmt = 64, 48, "rgb24"
        for pkt in [*s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")), *s.encode()]:
            c.mux(pkt)


def _folder_with(*names: str) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        p.mkdir()
        for n in names:
            make(p, n)

    return write


def _weights(name: str) -> Path:
    import retarget.weights

    return Path(getattr(retarget.weights, name))


def _noise_stats(p: Path) -> None:
    p.write_bytes((_weights("DENOISER") / "noise_stats.json").read_bytes())


GOOD: dict[str, Callable[[Path], None]] = {
    "good.npz": _save("native"),
    "good3d.npz": _save("native", dance_3d),
    "good.bvh": _save("bvh", dance_3d),
    "good.csv": _save("csv"),
    "good_op": _save("openpose"),
    "good_coco.json": _save("coco"),
    "good_dw.json": _save("dwpose"),
    "good.mp4": _video,
    "good.png": _png,
    "good_in": _folder_with("good.npz"),
    "good_mocap": _folder_with("good.bvh"),
    "noise.json": _noise_stats,
}

_GARBAGE = bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8))

INPUTS: dict[str, Callable[[Path], None]] = {
    **GOOD,
    "folder": _folder,
    "mixed_out": lambda p: (
        _frames_folder([{"people": []}])(p),
        (p / "notes.txt").write_text("mine"),
    ),
    "notes.txt": _text("just some notes\n"),
    "link.npz": lambda p: (make(p.parent, "good.npz"), os.symlink(p.parent / "good.npz", p)),
    "fifo.npz": lambda p: os.mkfifo(p),
    "denoiser_model": lambda p: os.symlink(_weights("DENOISER"), p),
    "retarget_model": lambda p: os.symlink(_weights("RETARGETER"), p),
    # an empty, a binary, a truncated file, a folder and a symlink loop of every extension
    **{f"empty.{e}": _bytes(b"") for e in ("npz", "csv", "bvh", "json", "mp4", "png")},
    **{f"garbage.{e}": _bytes(_GARBAGE) for e in ("npz", "csv", "bvh", "json", "mp4", "png")},
    **{f"text.{e}": _text("hello\n") for e in ("npz", "mp4", "png")},
    **{f"dir.{e}": _folder for e in ("npz", "csv", "bvh", "json", "mp4", "png", "gif")},
    **{f"loop.{e}": _loop for e in ("npz", "csv", "bvh", "json", "mp4")},
    "trunc.npz": _truncated("good.npz"),
    "trunc.csv": _truncated("good.csv", 0.7),
    "trunc.bvh": _truncated("good.bvh", 0.7),
    "trunc_head.bvh": _truncated("good.bvh", 0.1),
    "trunc_coco.json": _truncated("good_coco.json"),
    "trunc_dw.json": _truncated("good_dw.json"),
    "trunc.mp4": _truncated("good.mp4", 0.3),
    "trunc.png": _truncated("good.png", 0.5),
    # JSON of the wrong shape
    "list.json": _json([1, 2, 3]),
    "string.json": _json("people"),
    "null.json": _json(None),
    "people_dict.json": _json({"people": {"a": 1}}),
    "people_num.json": _json({"people": [1, 2]}),
    "short_body.json": _json({"people": [{"pose_keypoints_2d": [1, 2, 3, 4]}]}),
    "body_str.json": _json({"people": [{"pose_keypoints_2d": ["a"] * 75}]}),
    "coco_no_images.json": _json({"annotations": [{"keypoints": [0] * 51}]}),
    "coco_images_str.json": _json({"images": "x", "annotations": []}),
    "coco_nan.json": _coco_with(float("nan")),
    "coco_huge.json": _coco_with(1e300),
    "coco_str.json": _coco_with("x"),
    "coco_size_str.json": _coco_size("abc"),
    "coco_size_huge.json": _coco_size(1e300),
    "dw_canvas_huge.json": _dwpose_with("canvas_width", 1e300),
    "dw_canvas_str.json": _dwpose_with("canvas_width", "abc"),
    "nobody.json": _json({"people": []}),
    "deep.json": _text("[" * 100_000 + "]" * 100_000),
    "huge_num.json": _text('{"people": [{"pose_keypoints_2d": [1e999' + ", 1" * 74 + "]}]}"),
    # OpenPose folders
    "nobody_op": _frames_folder([{"people": []}] * 5),
    "zeros_op": _frames_folder([{"people": [{"pose_keypoints_2d": [0.0] * 75}]}] * 5),
    "huge_op": _frames_folder([{"people": [{"pose_keypoints_2d": _body25(1e300)}]}] * 3),
    "conf5_op": _frames_folder([{"people": [{"pose_keypoints_2d": _body25(conf=5.0)}]}] * 2),
    "inf_op": _frames_folder([{"people": [{"pose_keypoints_2d": _body25(float("inf"))}]}] * 3),
    "mixed_op": _frames_folder([{"people": []}, {"people": [1]}]),
    "empty_op": _frames_folder([]),
    "noise_op": lambda p: (p.mkdir(), (p / "x_keypoints.json").write_bytes(_GARBAGE)),
    # BVH
    "zero.bvh": _text(_bvh([], frames=0)),
    "shortlong.bvh": _text(_bvh([_ROW9, "0 90 0 0 0 0 0 0", "0 90 0 0 0 0 0 0 0 0", _ROW9])),
    "short.bvh": _text(_bvh([_ROW9, "0 90 0 0 0 0 0 0"], frames=2)),
    "long.bvh": _text(_bvh([_ROW9, "0 90 0 0 0 0 0 0 0 5"], frames=2)),
    "nan.bvh": _text(_bvh([_ROW9, "0 nan 0 0 0 0 0 0 0"])),
    "huge.bvh": _text(_bvh([_ROW9, "0 1e300 0 0 0 0 0 0 0"])),
    "ft0.bvh": _text(_bvh([_ROW9, _ROW9], frame_time="0")),
    "ftneg.bvh": _text(_bvh([_ROW9, _ROW9], frame_time="-0.1")),
    "ftnan.bvh": _text(_bvh([_ROW9, _ROW9], frame_time="nan")),
    "fthuge.bvh": _text(_bvh([_ROW9, _ROW9], frame_time="1e300")),
    "hugeframes.bvh": _text(_bvh([_ROW9], frames=10**12)),
    "bom.bvh": lambda p: p.write_bytes(b"\xef\xbb\xbf" + _bvh([_ROW9, _ROW9]).encode()),
    "noroot.bvh": _text("HIERARCHY\nMOTION\nFrames: 1\nFrame Time: 0.1\n0\n"),
    "dupjoint.bvh": _bvh_edit("JOINT LHip", "JOINT RHip"),
    "negframes.bvh": _bvh_edit("Frames: 2", "Frames: -2"),
    # CSV
    "header_only.csv": _csv([]),
    "unknown_joints.csv": _csv([f"{t},{j},10,20,,1" for t in range(3) for j in ("foo", "bar")]),
    "nobody.csv": _csv([f"{t},Nose,0,0,,0" for t in range(3)]),
    "dup.csv": _csv([*_good_csv_rows(), "1,Nose,999,999,,1.0"]),
    "dup_same.csv": _csv([*_good_csv_rows(), _good_csv_rows()[7]]),
    "bom.csv": lambda p: p.write_bytes(
        b"\xef\xbb\xbf" + ("frame,joint,x,y,z,confidence\n" + "\n".join(_good_csv_rows())).encode()
    ),
    "crlf.csv": lambda p: p.write_bytes(
        ("frame,joint,x,y,z,confidence\r\n" + "\r\n".join(_good_csv_rows())).encode()
    ),
    "hugeframe.csv": _csv([*_good_csv_rows(1), "100000000,Nose,1,2,,1"]),
    "negframe.csv": _csv(["-5,Nose,1,2,,1", "0,Nose,1,2,,1"]),
    "floatframe.csv": _csv(["0.5,Nose,1,2,,1"]),
    "x_huge.csv": _csv([r.replace(",100,", ",1e300,") for r in _good_csv_rows()]),
    "x_inf.csv": _csv([r.replace(",100,", ",inf,") for r in _good_csv_rows()]),
    "x_nan.csv": _csv([r.replace(",100,", ",nan,") for r in _good_csv_rows()]),
    "x_text.csv": _csv([r.replace(",100,", ",abc,") for r in _good_csv_rows()]),
    "conf_nan.csv": _csv([r.replace(",1.0", ",nan") for r in _good_csv_rows()]),
    "conf_2.csv": _csv([r.replace(",1.0", ",2") for r in _good_csv_rows()]),
    "no_frame_col.csv": _csv(["Nose,1,2,,1"], header="joint,x,y,z,confidence"),
    "semicolon.csv": _text("frame;joint;x;y;z;confidence\n0;Nose;1;2;;1\n"),
    "longline.csv": _text("frame,joint,x,y,z,confidence\n0,Nose," + "9" * 300000 + ",1,,1\n"),
    # native .npz
    "npz_nan.npz": _native(np.full((3, 15, 2), np.nan)),
    "npz_huge.npz": _native(np.full((3, 15, 2), 1e300)),
    "npz_zero_frames.npz": _native(np.zeros((0, 15, 2)), np.zeros((0, 15))),
    "npz_nobody.npz": _native(np.zeros((3, 15, 2)), np.zeros((3, 15))),
    "npz_badshape.npz": _native(np.zeros((3, 7, 2))),
    "npz_fps0.npz": _native(np.ones((3, 15, 2)), fps=0),
    "npz_fpsnan.npz": _native(np.ones((3, 15, 2)), fps=float("nan")),
    "npz_noskel.npz": _native(np.ones((3, 15, 2)), skeleton={"name": "x"}),
    "npz_conf2.npz": _native(np.ones((3, 15, 2)), np.full((3, 15), 2.0)),
    "npz_confnan.npz": _native(np.ones((3, 15, 2)), np.full((3, 15), np.nan)),
    "npz_4d.npz": _native(np.ones((3, 15, 4))),
    "npz_fpsstr.npz": _native(np.ones((3, 15, 2)), fps="abc"),
    "npz_header_garbage.npz": lambda p: np.savez(
        p,
        coords=np.zeros((1, 15, 2)),
        confidence=np.ones((1, 15)),
        header=np.array("{not json"),
        format=np.array("retarget-pose/1"),
    ),  # fmt: skip
    "npz_other.npz": lambda p: np.savez(p, a=np.zeros(3)),
    # images and videos of nothing (no person in them)
    "blank.mp4": _video,
}


def make(folder: Path, name: str) -> Path:
    """The input called ``name`` in ``folder`` (written on first use)."""
    path = folder / name
    if not os.path.lexists(path):
        INPUTS[name](path)
    return path
