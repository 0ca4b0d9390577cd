"""The flat public API: lazy, light, and the README's Python example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT


def test_import_retarget_does_not_import_torch():
    code = (
        "import retarget, sys; retarget.transfer; retarget.load; retarget.save; "
        "retarget.denoise; retarget.pose_transfer_video; retarget.Retargeter; "
        "retarget.load_retargeter; retarget.read_2d; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "assert 'av' not in sys.modules, 'PyAV imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_every_public_name_resolves():
    import retarget

    for name in retarget.__all__:
        assert getattr(retarget, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        retarget.nope  # noqa: B018


def test_errors_are_one_hierarchy():
    import retarget

    for name in retarget.__all__:
        obj = getattr(retarget, name)
        if isinstance(obj, type) and name.endswith("Error"):
            assert issubclass(obj, retarget.RetargetError), name


def _readme_python() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_python_example_runs(tmp_path, monkeypatch):
    from retarget.builtin import builtin_motion, project_to_canvas
    from skeleton_io import save_file

    save_file(builtin_motion("tall", frames=40), tmp_path / "dance.bvh", "bvh")
    body = project_to_canvas(builtin_motion("small", frames=30), yaw=-30)
    save_file(body, tmp_path / "openpose_json_folder", "openpose")
    monkeypatch.chdir(tmp_path)
    code = _readme_python()
    assert "import retarget\n" in code and "from " not in code  # the public API only
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    out, smooth = scope["out"], scope["smooth"]
    assert out.num_frames == 40 and out.dims == 2
    assert sorted(p.name for p in (tmp_path / "result").iterdir())[0].endswith("_keypoints.json")
    assert smooth.num_frames == 30 and np.isfinite(smooth.coords).all()


def test_transfer_applies_mode_and_denoise_to_a_loaded_model():
    import retarget
    from retarget.builtin import builtin_motion, project_to_canvas

    model = retarget.load_retargeter(device="cpu", denoise=None)
    a = project_to_canvas(builtin_motion("tall", frames=30), yaw=10)
    b = project_to_canvas(builtin_motion("small", frames=20), yaw=-20)
    fused = retarget.transfer(a, b, model=model)
    network = retarget.transfer(a, b, model=model, mode="network")
    assert fused.meta["retargeter"] == "transmomo-fused"
    assert network.meta["retargeter"] == "transmomo-network"
    assert model.mode == "fused" and model.denoise is None  # the loaded model is unchanged
    assert np.abs(fused.coords - network.coords).max() > 1e-3
    with pytest.raises(retarget.InvalidArgumentError, match="finite"):
        retarget.transfer(a, b, view=float("nan"), model=model)
    # a path, nothing or a group is named as such, not an AttributeError from inside
    for args, what, hint in (
        (("a.npz", b), "`motion` must be a PoseSequence, got str", "retarget.load"),
        ((a, None), "`structure` must be a PoseSequence, got NoneType", "retarget.load"),
        ((a, retarget.PoseGroup({0: b})), "got PoseGroup", "transfer_group"),
    ):
        with pytest.raises(retarget.InvalidArgumentError) as err:
            retarget.transfer(*args, model=model)
        assert what in str(err.value) and hint in str(err.value)


def test_no_import_cycle_between_modules():
    """The layer contracts (`make lint`) keep packages pointing down; inside a package, no
    two modules may import each other either, directly or around a loop (imports inside
    functions count: grimp, the graph import-linter reads, sees them all)."""
    grimp = pytest.importorskip("grimp", reason="grimp comes with the dev extra (import-linter)")
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = grimp.build_graph("retarget", "skeleton_io", "viz")
    mods = sorted(graph.modules)
    at = {m: i for i, m in enumerate(mods)}
    edges = [(at[m], at[n]) for m in mods for n in graph.find_modules_directly_imported_by(m)]
    rows, cols = zip(*edges, strict=True)
    adj = coo_matrix((np.ones(len(edges)), (rows, cols)), shape=(len(mods), len(mods)))
    _, label = connected_components(adj, directed=True, connection="strong")
    loops = [sorted(m for m, k in zip(mods, label, strict=True) if k == c)
             for c in set(label.tolist()) if (label == c).sum() > 1]  # fmt: skip
    assert loops == [], loops


def test_secondary_functions_check_their_options_against_the_primary():
    """A function documented "other arguments as X" takes X's keywords, with X's defaults,
    and names a misspelt one as a keyword error would (InvalidArgumentError here)."""
    import retarget
    from skeleton_io.checks import check_options
    from viz.animate import render_frames

    assert check_options(render_frames, {"azim": 30.0})["azim"] == 30.0
    assert check_options(render_frames, {})["size"] == 640
    with pytest.raises(retarget.InvalidArgumentError, match="unknown option `azimuth`"):
        check_options(render_frames, {"azimuth": 30.0})
    with pytest.raises(retarget.InvalidArgumentError, match="`mdoel`"):
        retarget.transfer_group(None, [], mdoel="limb")


def test_look_up_names_what_there_is():
    from skeleton_io import OPENPOSE15
    from skeleton_io.errors import SkeletonMismatchError

    assert OPENPOSE15.idx("Neck") == 1
    with pytest.raises(SkeletonMismatchError, match="has no joint 'Tail'; it has Nose, Neck"):
        OPENPOSE15.idx("Tail")


def _code_lines(src: list[str], start: int, end: int) -> int:
    return sum(1 for line in src[start - 1 : end] if line.strip() and not line.strip()[0] == "#")


def test_files_and_functions_stay_readable():
    """Issue 12's sizes: no library file over 600 lines unless its docstring says why, no
    function over 80 lines of code (docstring, blank and comment lines not counted)."""
    import ast

    too_long = []
    for package in ("retarget", "skeleton_io", "viz"):
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text()
            src = text.splitlines()
            tree = ast.parse(text)
            if len(src) > 600 and "lines" not in (ast.get_docstring(tree) or ""):
                too_long.append(f"{path.relative_to(ROOT)}: {len(src)} lines")
            for node in ast.walk(tree):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                first = node.body[0]
                doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                start = first.end_lineno + 1 if doc else first.lineno
                if (n := _code_lines(src, start, node.end_lineno)) > 80:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {n}")
    assert too_long == [], too_long


def test_public_functions_name_an_argument_of_the_wrong_kind(tmp_path):
    """A path, None or a group where a pose sequence is taken (and None where a path is) is
    an InvalidArgumentError naming the parameter, not an AttributeError from inside."""
    import retarget
    from tests.conftest import make_pose_sequence

    seq = make_pose_sequence(frames=4)
    group = retarget.PoseGroup({0: seq})
    out = str(tmp_path / "o.mp4")
    calls = [
        (lambda: retarget.denoise("a.npz"), "`seq` must be a PoseSequence, got str"),
        (lambda: retarget.lift_3d(None), "`seq` must be a PoseSequence, got NoneType"),
        (lambda: retarget.as_2d(group), "`seq` must be a PoseSequence, got PoseGroup"),
        (lambda: retarget.convert(None, "openpose15"), "`seq` must be a PoseSequence"),
        (lambda: retarget.align_poses(seq, None, seq), "`structure` must be a PoseSequence"),
        (lambda: retarget.carry_extremities(seq, seq, "x"), "`body_out` must be a PoseSequence"),
        (lambda: retarget.write_pose_images(None, out), "`seq` must be a PoseSequence or PoseGroup"),
        (lambda: retarget.transfer_group(seq, seq), "`motion` must be a PoseGroup, got PoseSequence"),
        (lambda: retarget.load(None), "an input path is needed, got NoneType"),
        (lambda: retarget.pose_transfer_video(None, None, out), "an input path is needed"),
        (lambda: retarget.pose_align_video(3, 3, out), "an input path is needed, got int"),
    ]  # fmt: skip
    for call, message in calls:
        with pytest.raises(retarget.InvalidArgumentError) as err:
            call()
        assert message in str(err.value)
    assert not list(tmp_path.iterdir())
    with pytest.raises(retarget.InvalidArgumentError, match="retarget.load"):
        retarget.denoise(tmp_path / "a.npz")
