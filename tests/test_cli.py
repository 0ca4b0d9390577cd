"""The command line as a whole: every command documented, one meaning per option, library
parameter names turned into flags, one error line."""

from __future__ import annotations

import click
import numpy as np
import pytest
from click.testing import CliRunner

from retarget.cli import cli
from retarget.cli.common import COMMANDS, cli_message
from skeleton_io import save_file
from tests.conftest import make_pose_sequence


def _commands():
    ctx = click.Context(cli)
    return {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}


def test_every_command_and_option_has_help():
    cmds = _commands()
    assert set(COMMANDS) <= set(cmds)
    for name, cmd in cmds.items():
        assert cmd.help, name
        for p in cmd.params:
            if isinstance(p, click.Option):
                assert p.help, f"{name} {p.opts}"


def test_one_meaning_per_option_name():
    """An option spelled the same in two commands takes the same kind of value."""
    seen: dict[str, tuple[str, str]] = {}
    for name, cmd in _commands().items():
        for p in cmd.params:
            if not isinstance(p, click.Option) or p.hidden:
                continue
            kind = (type(p.type).__name__, "flag" if p.is_flag else "value")
            for opt in p.opts:
                # --size: a pixel size for plots, a network size (S|M|L, issue 15's spelling)
                # for train-renderer
                allowed = ("--output", "-o", "--model", "--fps", "--max-side", "--size")
                if opt in seen and opt not in allowed:
                    assert seen[opt][1] == kind, f"{opt}: {seen[opt][0]} vs {name}"
                seen.setdefault(opt, (name, kind))
    ctx = click.Context(cli)
    for name in ("transfer", "video", "align"):  # one --view parser
        view = next(p for p in cli.get_command(ctx, name).params if p.name == "view")
        assert type(view.type).__name__ == "ViewParam"
    for name in ("extract", "transfer", "video", "align"):  # one --denoise METHOD / --no-denoise
        opts = {o for p in cli.get_command(ctx, name).params for o in p.opts}
        assert {"--denoise", "--no-denoise"} <= opts, name


def test_library_parameter_names_become_the_commands_flags():
    ctx = click.Context(cli)
    extract = cli.get_command(ctx, "extract")
    msg = "a.mp4: choose a smaller `start_frame`, or name it with `format`; `nothing`"
    assert cli_message(msg, extract) == (
        "a.mp4: choose a smaller --start-frame, or name it with --input-format; nothing"
    )
    transfer = cli.get_command(ctx, "transfer")
    assert cli_message("`model` is not a folder", transfer) == "--model is not a folder"


def test_bad_input_is_one_error_line_naming_the_option(tmp_path):
    seq = make_pose_sequence(frames=5)
    save_file(seq, tmp_path / "a.npz")
    (tmp_path / "src.png").write_bytes(b"checked before it is read")
    runner = CliRunner()
    cases = [
        ["extract", str(tmp_path / "a.npz"), "-o", str(tmp_path / "o.npz"), "--start-frame", "99"],
        ["transfer", "--motion", str(tmp_path / "a.npz"), "--structure", str(tmp_path / "a.npz"),
         "-o", str(tmp_path / "t.npz"), "--view", "nan"],
        ["transfer", "--motion", str(tmp_path / "a.npz"), "--structure", str(tmp_path / "a.npz"),
         "-o", str(tmp_path / "t.npz"), "--denoise", "magic"],
        ["transfer", "--motion", str(tmp_path / "a.npz"), "--structure", str(tmp_path / "a.npz"),
         "-o", str(tmp_path / "t.npz"), "--model", " "],
        ["extract", str(tmp_path / "nope.xyz"), "-o", str(tmp_path / "o.npz")],
        ["draw", str(tmp_path / "a.npz"), "-o", str(tmp_path / "o.png")],
        ["draw", str(tmp_path / "a.npz"), "-o", str(tmp_path / "o.mp4"), "--style", "comic"],
        # a pose file named as another format's would be read back as that format
        ["extract", str(tmp_path / "a.npz"), "-o", str(tmp_path / "o.json")],
        ["denoise", str(tmp_path / "a.npz"), "-o", str(tmp_path / "o.npz"), "--format", "csv"],
        ["transfer", "--motion", str(tmp_path / "a.npz"), "--structure", str(tmp_path / "a.npz"),
         "-o", str(tmp_path / "t.json"), "--format", "openpose"],
        # a rendered video is an MP4, whatever the name says
        ["render", str(tmp_path / "a.npz"), "--source", str(tmp_path / "src.png"),
         "-o", str(tmp_path / "o.gif")],
        ["video", str(tmp_path / "src.png"), str(tmp_path / "a.npz"), "-o", str(tmp_path / "o")],
        # a camera angle is checked even where a 2D input does not use it
        ["plot", str(tmp_path / "a.npz"), "-o", str(tmp_path / "o.png"), "--azim", "inf"],
        ["animate", str(tmp_path / "a.npz"), "-o", str(tmp_path / "o.gif"), "--elev", "nan"],
    ]  # fmt: skip
    for args in cases:
        r = runner.invoke(cli, args)
        lines = r.output.strip().splitlines()
        assert r.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: "), r.output
        assert "`" not in lines[0]
    assert not list(tmp_path.glob("o.*")) and not list(tmp_path.glob("t.*"))
    assert "--start-frame" in runner.invoke(cli, cases[0]).output
    assert "--view" in runner.invoke(cli, cases[1]).output
    assert "--frame" in runner.invoke(cli, cases[5]).output
    assert "--style" in runner.invoke(cli, cases[6]).output
    assert "--model" in runner.invoke(cli, cases[3]).output
    for case, fmt, takes in ((7, "native", "dwpose, coco, coco_wholebody"), (8, "csv", "native"),
                             (9, "openpose", "dwpose")):  # fmt: skip
        assert f"--format {fmt}" in (out := runner.invoke(cli, cases[case]).output), out
        assert takes in out
    for case in (10, 11):
        assert "name the output .mp4" in runner.invoke(cli, cases[case]).output
    assert "--azim" in runner.invoke(cli, cases[12]).output
    assert "--elev" in runner.invoke(cli, cases[13]).output
    assert not (tmp_path / "o").exists()


def test_transfer_takes_an_analytic_retargeter_by_name_and_refuses_a_view_it_cannot_give(tmp_path):
    """`transfer --model limb` is limb normalisation of the denoised inputs (as `align
    --model limb`); a --view other than the motion's is refused, not silently ignored."""
    from retarget.denoising import denoise
    from retarget.retargeters.analytic import LimbNormalization
    from skeleton_io import load_file

    motion, structure = make_pose_sequence(frames=10, seed=3), make_pose_sequence(frames=10, seed=8)
    save_file(motion, tmp_path / "m.npz")
    save_file(structure, tmp_path / "s.npz")
    base = ["transfer", "--motion", str(tmp_path / "m.npz"), "--structure", str(tmp_path / "s.npz")]
    r = CliRunner().invoke(cli, [*base, "-o", str(tmp_path / "t.npz"), "--model", "limb",
                                 "--denoise", "savgol", "--body-only"])  # fmt: skip
    assert r.exit_code == 0, r.output
    got = load_file(tmp_path / "t.npz")
    want = LimbNormalization()(denoise(motion, "savgol"), denoise(structure, "savgol"))
    assert got.meta["retargeter"] == "limb"
    np.testing.assert_allclose(got.coords, want.coords, atol=1e-3)
    r = CliRunner().invoke(cli, [*base, "-o", str(tmp_path / "v.npz"), "--model", "limb",
                                 "--view", "90"])  # fmt: skip
    lines = r.output.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1 and "--view" in lines[0] and "limb" in lines[0]
    assert not (tmp_path / "v.npz").exists()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_working_help(name):
    r = CliRunner().invoke(cli, [name, "--help"])
    assert r.exit_code == 0 and "Usage:" in r.output and np.isfinite(len(r.output))


def test_a_pose_folder_never_deletes_what_it_did_not_write(tmp_path):
    seq = make_pose_sequence(frames=4)
    save_file(seq, tmp_path / "in.npz")
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "keep.txt").write_text("mine")
    save_file(seq, out / "input_inside.npz")
    runner = CliRunner()
    args = ["extract", str(out / "input_inside.npz"), "--format", "openpose", "-o", str(out)]
    r = runner.invoke(cli, args)
    assert r.exit_code == 2 and "--overwrite" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["input_inside.npz", "sub"]
    r = runner.invoke(cli, [*args, "--overwrite"])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert "input_inside.npz" in names and "sub" in names and len(names) == 2 + 4
    assert (out / "sub" / "keep.txt").read_text() == "mine"
    # its own files are replaced without being asked: 2 frames now, stale frames gone
    own = tmp_path / "own"
    for n in (4, 2):
        a = ["extract", str(tmp_path / "in.npz"), "--format", "openpose", "-o", str(own)]
        assert runner.invoke(cli, [*a, "--max-frames", str(n)]).exit_code == 0
    assert len(list(own.iterdir())) == 2
