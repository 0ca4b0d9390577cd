"""The notebook tour runs offline on the shared data (executed with nbclient)."""

from __future__ import annotations

import pytest

from .conftest import MEDIA, OPENPOSE_REAL, ROOT, SHARED, need


@pytest.mark.slow
def test_tour_notebook_runs(tmp_path, monkeypatch):
    need(MEDIA)
    need(OPENPOSE_REAL)
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "notebooks" / "tour.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "outputs must be cleared in git"
    )
    monkeypatch.setenv("RETARGET_SHARED", str(SHARED))
    monkeypatch.setenv("TOUR_OUT", str(tmp_path))
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    for name in ("three_angles.png", "compare.png", "denoise.png", "rendered.mp4"):
        assert (tmp_path / name).stat().st_size > 10_000, name
