"""Cheapest mix: the least costly mix that reaches the target with a chosen probability, the
cost-probability frontier as it grows, and the recommended mix opened in the editor."""

from __future__ import annotations

import io
import threading

import solara

from zengshou.app import jobs
from zengshou.app.mixes import available_mixes
from zengshou.app.search import frontier, keep_recommended, search_job, start_search, trials_so_far
from zengshou.app.state import editing, language, settings, t
from zengshou.app.widgets import JobProgress, MixSelect, percent, yuan


@solara.component
def Page():
    mixes = available_mixes(settings().folder("mixes"))
    base, set_base = solara.use_state(
        "action_plan" if "action_plan" in mixes else next(iter(mixes))
    )
    probability, set_probability = solara.use_state(0.5)
    budget, set_budget = solara.use_state(0.0)  # 亿元 / 100 million yuan; 0: no budget
    started, set_started = solara.use_state(False)
    tick, set_tick = solara.use_state(0)
    solara.Markdown(f"## {t('app.cheapest.title')}")
    solara.Markdown(t("app.cheapest.intro"))
    MixSelect(t("app.cheapest.around"), mixes, base, set_base)
    solara.SliderFloat(
        f"{t('app.cheapest.probability')}: {percent(probability)}",
        value=probability,
        min=0.05,
        max=0.95,
        step=0.05,
        on_value=set_probability,
    )
    solara.InputFloat(t("app.cheapest.budget"), value=budget, on_value=set_budget)
    budget_yuan = budget * 1e8 if budget and budget > 0 else None
    job = search_job(mixes[base], probability, budget_yuan, settings())
    state = job.status()["state"]

    def begin() -> None:
        start_search(mixes[base], probability, budget_yuan, settings())
        set_started(True)
        set_tick(tick + 1)

    if state == jobs.RUNNING:
        JobProgress(job, on_end=lambda _s: set_tick(lambda n: n + 1))
        LiveFrontier(job)
    elif state == jobs.DONE:
        Finished(job)
    else:
        if state == jobs.FAILED:
            solara.Error(t("app.run.failed", error=job.status().get("error", "")))
        solara.Button(
            t("app.cheapest.start", trials=settings().trials),
            on_click=begin,
            color="primary",
            classes=["zs-run"],
        )


@solara.component
def LiveFrontier(job: jobs.Job):
    """The mixes screened so far (cost against mean gap), redrawn as they come."""
    table, set_table = solara.use_state(trials_so_far(job))

    def poll(cancel: threading.Event) -> None:
        while not cancel.is_set():
            set_table(trials_so_far(job))
            cancel.wait(2.0)

    solara.use_thread(poll, dependencies=[job.key])
    solara.Text(t("app.cheapest.screened", n=len(table)))
    if len(table):
        solara.Image(_scatter(table), width="560px", classes=["zs-chart"])


def _scatter(table) -> bytes:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.5))
    ax = figure.subplots()
    ax.scatter(table["cost_yuan"] / 1e8, table["gap_mean"], s=14, color="#1f77b4")
    ax.axhline(0, color="#888", linewidth=0.8)
    ax.set_xlabel(t("app.cheapest.axis_cost"))
    ax.set_ylabel(t("app.cheapest.axis_gap"))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


@solara.component
def Finished(job: jobs.Job):
    table = frontier(job)
    chart = job.folder / jobs.RECORD / "frontier.png"
    solara.Markdown(f"### {t('app.cheapest.frontier')}")
    lines = [
        f"| {t('app.cheapest.mix')} | {t('app.col.cost')} | {t('app.col.p')} "
        f"| {t('app.col.under_line')} |",
        "|---|---|---|---|",
    ]
    for row in table.to_dict("records"):
        name = str(row.get("trial", ""))
        name = t("app.cheapest.reference") if name == "reference" else f"#{name}"
        if row.get("recommended"):
            name = f"★ {name}"
        lines.append(
            f"| {name} | {yuan(row['cost_yuan'])} | {percent(row['p_target_met'])} "
            f"| {percent(row['share_under_line'], 1)} |"
        )
    solara.Markdown("\n".join(lines))
    if chart.exists():
        solara.Image(chart, width="560px", classes=["zs-chart"])
    kept = solara.use_memo(lambda: keep_recommended(job, settings().folder("mixes")), [job.key])
    router = solara.use_router()
    if kept is None:
        solara.Warning(t("app.cheapest.none_met"))
        return
    solara.Success(t("app.cheapest.recommended", name=kept.stem))

    def open_mix() -> None:
        editing.value = str(kept)
        router.push("/edit")

    solara.Button(t("app.cheapest.open"), on_click=open_mix, color="primary", classes=["zs-open"])
    _ = language.value  # re-render on a language switch
