"""Hinges: which inputs the answer turns on (global sensitivity) and the boxes of inputs where
the target is missed (scenario discovery), from ``sensitivity.json`` and ``boxes.json``."""

from __future__ import annotations

from pathlib import Path

import solara

from zengshou.app import jobs, outputs
from zengshou.app.pages.answer import Hinges as AnswerHinges
from zengshou.app.state import settings, t
from zengshou.app.widgets import number, percent

OUTCOMES = ("p_target_met", "gap_2024", "share_under_line")


@solara.component
def Page():
    latest = solara.use_memo(lambda: outputs.latest_hinges_folder(settings()), [])
    folder, set_folder = solara.use_state(str(latest) if latest else "")
    solara.Markdown(f"## {t('app.hinges.title')}")
    solara.Markdown(t("app.hinges.intro"))
    solara.InputText(t("app.hinges.folder"), value=folder, on_value=set_folder)
    found = outputs.hinges(Path(folder)) if folder and Path(folder).is_dir() else {}
    sensitivity = found.get(outputs.SENSITIVITY)
    boxes = found.get(outputs.BOXES)
    if sensitivity:
        Sensitivity(sensitivity)
    if boxes:
        Boxes(boxes)
    if not sensitivity and not boxes:
        Fallback()


@solara.component
def Sensitivity(document: dict):
    solara.Markdown(
        f"### {t('app.hinges.ranking', scenario=document.get('scenario', ''), method=document.get('method', ''))}"
    )
    for outcome in OUTCOMES:
        table = outputs.sensitivity_table(document, outcome)
        if table.empty:
            continue
        solara.Markdown(f"#### {t(f'app.hinges.outcome.{outcome}')}")
        header = [t("app.hinges.input"), "μ*", "S1", "ST", t("app.hinges.basis")]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in table.to_dict("records"):
            lines.append(
                f"| {row.get('input')} ({row.get('unit', '')}) | {_ci(row, 'mu_star')} "
                f"| {_ci(row, 'S1')} | {_ci(row, 'ST')} | {row.get('basis', '')} |"
            )
        solara.Markdown("\n".join(lines))


def _ci(row: dict, name: str) -> str:
    value, conf = row.get(name), row.get(f"{name}_conf")
    if value is None:
        return "–"
    return f"{value:.3g} ± {conf:.2g}" if conf is not None else f"{value:.3g}"


@solara.component
def Boxes(document: dict):
    solara.Markdown(f"### {t('app.hinges.boxes')}")
    for number_, box in enumerate(document.get("boxes", []), start=1):
        limits = "; ".join(
            f"{limit['input']} {number(limit['low'], 2)} – {number(limit['high'], 2)} {limit.get('unit', '')}"
            for limit in box.get("limits", [])
        )
        solara.Markdown(
            f"**{t('app.hinges.box', number=number_, coverage=percent(box['coverage']), density=percent(box['density']))}**  \n"
            f"{limits}  \n{box.get('text', '')}"
        )


@solara.component
def Fallback():
    solara.Info(t("app.hinges.none"))
    solara.Markdown(
        "```bash\n"
        "zengshou simulate sensitivity scenarios/action_plan.yaml --method morris\n"
        "zengshou simulate discover scenarios/action_plan.yaml\n"
        "```"
    )
    from zengshou.app.mixes import available_mixes

    mix = available_mixes(settings().folder("mixes"))["action_plan"]
    job = outputs.run_job(mix, settings())
    if job.status()["state"] == jobs.DONE:
        solara.Markdown(t("app.hinges.from_answer"))
        AnswerHinges(outputs.summary(job))
