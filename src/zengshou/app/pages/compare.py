"""Compare: mixes side by side, run on the same seeds (common random numbers)."""

from __future__ import annotations

import io
from functools import lru_cache

import solara

from simulation.montecarlo.compare import Comparison
from simulation.montecarlo.plots import comparison_chart
from zengshou.app import jobs, outputs
from zengshou.app.mixes import available_mixes
from zengshou.app.state import language, settings, t
from zengshou.app.widgets import JobProgress, number, percent, yuan

DEFAULT = ("baseline", "action_plan")


@solara.component
def Page():
    mixes = available_mixes(settings().folder("mixes"))
    chosen, set_chosen = solara.use_state([m for m in DEFAULT if m in mixes])
    tick, set_tick = solara.use_state(0)  # re-read the runs' states when one ends
    solara.Markdown(f"## {t('app.compare.title')}")
    solara.Markdown(t("app.compare.intro"))
    solara.SelectMultiple(
        t("app.compare.mixes"), all_values=list(mixes), values=chosen, on_value=set_chosen
    )
    runs = {name: outputs.run_job(mixes[name], settings()) for name in chosen}
    states = {name: job.status()["state"] for name, job in runs.items()}
    missing = [n for n, s in states.items() if s not in (jobs.DONE, jobs.RUNNING)]

    def start_missing() -> None:
        for name in missing:
            outputs.start_run(mixes[name], settings())
        set_tick(tick + 1)

    for name, job in runs.items():
        if states[name] == jobs.RUNNING:
            solara.Text(name)
            JobProgress(job, on_end=lambda _status: set_tick(lambda n: n + 1))
    if missing:
        solara.Button(
            t("app.compare.run", mixes=", ".join(missing)),
            on_click=start_missing,
            color="primary",
            classes=["zs-run"],
        )
    done = [runs[n] for n in chosen if states[n] == jobs.DONE]
    if len(done) >= 1 and len(done) == len(chosen):
        Table(done)


@solara.component
def Table(done: list[jobs.Job]):
    comparison = _comparison(tuple(j.folder for j in done))
    rows = outputs.comparison_rows(comparison)
    header = [
        t("app.mix"),
        t("app.col.p"),
        t("app.col.gap"),
        t("app.col.cost"),
        t("app.col.under_line"),
        t("app.col.gain_per_yuan"),
        t("app.col.reach"),
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in rows.iterrows():
        lines.append(
            f"| {name} | {percent(row['p_target_met'])} ± {100 * row['std_error']:.1f} "
            f"| {number(row['gap_mean'])} | {yuan(row['cost_yuan'])} "
            f"| {percent(row['share_under_line'], 1)} | {number(row['gain_per_yuan'], 2)} "
            f"| {percent(row['lowest_reach'])} |"
        )
    solara.Markdown("\n".join(lines))
    solara.Markdown(t("app.compare.note"))
    png = _chart(tuple(j.folder for j in done), language.value)
    solara.Image(png, width="640px", classes=["zs-chart"])


@lru_cache(maxsize=8)
def _comparison(folders: tuple) -> Comparison:
    """The comparison of finished runs (their folders never change: kept while the app runs)."""
    return outputs.comparison([jobs.Job(f) for f in folders])


@lru_cache(maxsize=16)
def _chart(folders: tuple, lang: str) -> bytes:
    from matplotlib import pyplot as plt

    from forecast.i18n import use_language

    with use_language(lang):
        figure = comparison_chart(_comparison(folders))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
