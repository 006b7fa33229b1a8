"""What the pages read: a mix's run (started, cached or finished), its figures, comparisons,
the hinges (sensitivity and discovered boxes), the MLflow runs behind them.

Pages never compute a figure themselves: a finished run's ``summary.json`` and plots are the
target test's own (:mod:`simulation.montecarlo.record`), a comparison is
:class:`simulation.montecarlo.compare.Comparison` of runs made on the same seeds (common random
numbers), the hinges are the files ``zengshou simulate sensitivity`` and ``discover`` write.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.paths import generated_dir
from simulation import load_scenario
from simulation.montecarlo.compare import Comparison
from zengshou.app import jobs
from zengshou.app.settings import AppSettings

SENSITIVITY, BOXES = "sensitivity.json", "boxes.json"


def run_job(mix: str | Path, settings: AppSettings) -> jobs.Job:
    """The job folder of ``mix``'s target test at the app's run size (it may not exist)."""
    path = Path(mix).resolve()
    key = _run_key(path, path.stat().st_mtime_ns, jobs.RunSize.of(settings))
    return jobs.Job(settings.folder("runs") / key)


@lru_cache(maxsize=64)
def _run_key(path: Path, stamp: int, size: jobs.RunSize) -> str:
    """A mix file's run key, computed once per version of the file (pages ask at each
    render). A base file changed under a saved mix is seen at the app's next start."""
    return jobs.run_key(load_scenario(path), size)


def start_run(mix: str | Path, settings: AppSettings) -> jobs.Job:
    """Start ``mix``'s target test in the background, unless it is running or finished."""
    job = run_job(mix, settings)
    spec = {
        "kind": "target",
        "scenario": str(Path(mix).resolve()),
        "size": asdict(jobs.RunSize.of(settings)),
    }
    return jobs.start(job.folder, spec, settings)


def summary(job: jobs.Job) -> dict[str, Any]:
    """The finished run's ``summary.json``."""
    return _json(job.folder / jobs.RECORD / "summary.json")


def plot(job: jobs.Job, name: str, lang: str) -> Path | None:
    """The finished run's figure ``name`` in ``lang`` (None if the run has none)."""
    path = job.folder / "plots" / lang / f"{name}.png"
    return path if path.exists() else None


@lru_cache(maxsize=16)
def _result(path: Path, stamp: float) -> Any:
    with path.open("rb") as handle:
        return pickle.load(handle)


def result(job: jobs.Job) -> Any:
    """The finished run's :class:`TargetTestResult` (read once, then kept)."""
    path = job.folder / jobs.RESULT
    return _result(path, path.stat().st_mtime)


def comparison(finished: Sequence[jobs.Job]) -> Comparison:
    """The comparison of finished runs; they share seeds and size, so the replications are
    paired (common random numbers), as ``zengshou simulate compare`` runs them."""
    return Comparison([result(job) for job in finished])


def comparison_rows(comparison: Comparison) -> pd.DataFrame:
    """The side-by-side figures: P and its standard error, gap, cost, share under the line,
    gain per yuan, and reach (the lowest share of its asked scale any lever reached)."""
    table = comparison.table
    rows = pd.DataFrame(index=table.index)
    rows["p_target_met"] = table["p_target_met"]
    rows["std_error"] = [r.p_target_met_std_error for r in comparison.results]
    rows["gap_mean"] = table["gap_mean"]
    rows["cost_yuan"] = table["cost_yuan"]
    rows["share_under_line"] = table["share_under_line"]
    rows["gain_per_yuan"] = table["gain_per_yuan"]
    rows["lowest_reach"] = [_lowest_reach(r) for r in comparison.results]
    return rows


def _lowest_reach(result: Any) -> float:
    reach = result.reach
    return float(reach["share_reached"].min()) if not reach.empty else float("nan")


def hinges(folder: Path) -> dict[str, Any]:
    """``sensitivity.json`` and ``boxes.json`` of ``folder`` (each None when absent)."""
    found = {}
    for name in (SENSITIVITY, BOXES):
        path = folder / name
        found[name] = _json(path) if path.is_file() else None
    return found


def latest_hinges_folder(settings: AppSettings) -> Path | None:
    """The folder of the newest ``sensitivity.json`` or ``boxes.json`` under the generated
    runs (``data/generated/runs``) or the app's folder; None when there is none."""
    found: list[Path] = []
    for root in (generated_dir() / "runs", settings.home):
        if root.is_dir():
            for name in (SENSITIVITY, BOXES):
                found += root.rglob(name)
    if not found:
        return None
    return max(found, key=lambda p: p.stat().st_mtime).parent


def sensitivity_table(document: dict[str, Any], outcome: str) -> pd.DataFrame:
    """One outcome's inputs, most influential first (total index ST, else Morris mu*)."""
    rows = pd.DataFrame(document.get("outcomes", {}).get(outcome, []))
    if rows.empty:
        return rows
    for column in ("ST", "mu_star"):
        if column in rows and rows[column].notna().any():
            return rows.sort_values(column, ascending=False, na_position="last")
    return rows


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


__all__ = [
    "comparison",
    "comparison_rows",
    "hinges",
    "latest_hinges_folder",
    "plot",
    "result",
    "run_job",
    "sensitivity_table",
    "start_run",
    "summary",
]
