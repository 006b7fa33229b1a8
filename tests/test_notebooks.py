"""Every notebook in notebooks/ runs top to bottom in smoke mode."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def _inject_smoke(notebook: nbformat.NotebookNode) -> None:
    """Insert ``SMOKE = True`` right after the cell tagged ``parameters`` (papermill's rule)."""
    for index, cell in enumerate(notebook.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            notebook.cells.insert(index + 1, nbformat.v4.new_code_cell("SMOKE = True"))
            return
    raise AssertionError("notebook has no cell tagged 'parameters'")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_smoke_mode(path: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        f"{path.name} is committed with outputs"
    )
    _inject_smoke(notebook)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
