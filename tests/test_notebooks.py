"""Every notebook in notebooks/ runs top to bottom in smoke mode, with nothing on stderr, and
states in its prose only numbers computed in the run."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))

# A figure typed into a Markdown cell goes stale the day the model or the data change: the
# notebooks write their findings from the run's numbers (``display(Markdown(f"..."))``), so
# their Markdown cells hold none. A figure here is a number with a decimal point or a
# thousands separator (0.812, 50,000), in scientific notation (1.69e+10), or followed by a
# unit (12 %, 8,050 yuan, 3 households, 30 ms, 5 points). Allowed: plain integers without a
# unit (years, notebook numbers, "2 years ahead"), the names of the 80 % and 95 % bands and
# intervals, and anything inside `code` (names such as recall_top10).
FIGURE = re.compile(
    r"""\d+(?:\.\d+)?e[+-]?\d+
      | \d+[.,]\d+
      | \d+\s*(?:-\s*\d+\s*)?(?:%|percent\b|yuan\b|bn\b|million\b|billion\b|households?\b
                              |people\b|ms\b|seconds?\b|points?\b|replications?\b)""",
    re.VERBOSE | re.IGNORECASE,
)
BAND_NAME = re.compile(r"\b(?:80|95)\s*%")
CODE_SPAN = re.compile(r"`[^`]*`")


def typed_in_figures(markdown: str) -> list[str]:
    """The figures of a Markdown text that were not computed (see ``FIGURE``)."""
    prose = BAND_NAME.sub("", CODE_SPAN.sub("", markdown))
    return [match.group() for match in FIGURE.finditer(prose)]


def test_the_rule_catches_typed_in_figures_and_lets_years_and_band_names_pass() -> None:
    typed = "on 50,000 households: AP 0.812 against 0.803; costs 1.693416e+10; from 60 % to 10 %"
    assert typed_in_figures(typed) == ["50,000", "0.812", "0.803", "1.693416e+10", "60 %", "10 %"]
    assert typed_in_figures("fitted on 2016-2021, 80 % and 95 % bands, `recall_top10`") == []
    assert typed_in_figures("about 30 ms, 3 households") == ["30 ms", "3 households"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_prose_holds_no_typed_in_figure(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            assert not typed_in_figures(cell.source), (
                f"{path.name}, cell {index}: {typed_in_figures(cell.source)} typed in; "
                "write it from the run's numbers with display(Markdown(f'...'))"
            )
            assert "smoke" not in cell.source.lower(), f"{path.name}, cell {index}: test mode"


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
    # A reader sees stderr in red: a warning there (TqdmWarning without ipywidgets, a
    # library's deprecation) is one the notebook's reader cannot act on.
    stderr = [
        (index, output["text"])
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
    ]
    assert not stderr, f"{path.name} wrote to stderr: {stderr}"
