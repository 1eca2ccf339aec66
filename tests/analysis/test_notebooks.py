"""The worked notebooks run headless, top to bottom, and produce their results."""

import json
from functools import cache
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@cache
def execute(path: Path):
    """Run the notebook once per test session (both tests read the same run)."""
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


def stream_text(notebook) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_runs_without_errors(path):
    notebook = execute(path)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors


def test_flood_bathtub_notebook_computes_a_flooded_area():
    notebook = execute(NOTEBOOKS / "flood_bathtub_khlongtoei.ipynb")
    last = stream_text(notebook).strip().splitlines()[-1]
    result = json.loads(last)
    assert result["flooded_area_m2"] > 0
    assert sum(result["area_by_class_m2"].values()) == result["flooded_area_m2"]
    assert result["connected_cells"] <= result["threshold_cells"]
