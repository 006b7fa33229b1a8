"""Runs: the MLflow runs behind every figure the app shows, with the scenario hash, seed and
code version that reproduce it."""

from __future__ import annotations

import solara

from zengshou.app.state import t

EXPERIMENTS = ["simulation-target-test", "simulation-optimize"]
COLUMNS = {
    "run_id": "app.runs.run",
    "experiment": "app.runs.experiment",
    "params.scenario": "app.runs.scenario",
    "params.scenario_hash": "app.runs.scenario_hash",
    "params.seed": "app.runs.seed",
    "params.replications": "app.runs.replications",
    "params.households": "app.runs.households",
    "params.code_version": "app.runs.code_version",
    "start_time": "app.runs.started",
}


@solara.component
def Page():
    solara.Markdown(f"## {t('app.runs.title')}")
    solara.Markdown(t("app.runs.intro"))
    runs = solara.use_memo(_runs, [])
    if runs is None or runs.empty:
        solara.Info(t("app.runs.none"))
        return
    shown = runs[[c for c in COLUMNS if c in runs]].copy()
    if "start_time" in shown:
        shown["start_time"] = shown["start_time"].dt.strftime("%Y-%m-%d %H:%M")
    header = [t(COLUMNS[c]) for c in shown.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in shown.fillna("").astype(str).itertuples(index=False):
        lines.append("| " + " | ".join(row) + " |")
    solara.Markdown("\n".join(lines))


def _runs():
    from forecast.tracking import list_runs

    return list_runs(EXPERIMENTS)
