"""Answer: is the 2024 target reachable with this mix, at what cost, and what does it hinge on?"""

from __future__ import annotations

import solara

from zengshou.app import jobs, outputs
from zengshou.app.mixes import available_mixes
from zengshou.app.runview import MixRun
from zengshou.app.state import language, measure_name, settings, t
from zengshou.app.widgets import MixSelect, number, percent, yuan


@solara.component
def Page():
    mixes = available_mixes(settings().folder("mixes"))
    name, set_name = solara.use_state(
        "action_plan" if "action_plan" in mixes else next(iter(mixes))
    )
    solara.Markdown(f"## {t('app.answer.title')}")
    solara.Markdown(t("app.answer.intro"))
    MixSelect(t("app.mix"), mixes, name, set_name)
    MixRun(mixes[name], show=lambda job: Answer(job))


@solara.component
def Answer(job: jobs.Job):
    s = outputs.summary(job)
    year = s["target_year"]
    p, se = s["p_target_met"], s["p_target_met_std_error"]
    under = s["share_under_line"][str(year)]["share_people_under_line_mean"]
    with solara.Card(classes=["zs-answer"]):
        solara.Markdown(
            "### " + t("app.answer.probability", year=year, p=percent(p), se=f"{100 * se:.1f}")
        )
        solara.Markdown(
            "\n".join(
                [
                    f"- {t('app.answer.gap', year=year, gap=number(s['gap']['mean']))}",
                    f"- {t('app.answer.cost', cost=yuan(s['cost']['total_yuan']))}",
                    f"- {t('app.answer.under_line', year=year, share=percent(under, 1))}",
                    f"- {t('app.answer.size', replications=s['replications'], households=f'{s["households"]:,}', seed=s['seed'])}",
                ]
            )
        )
    fan = outputs.plot(job, "fan_chart", language.value)
    if fan is not None:
        solara.Markdown(f"#### {t('app.answer.fan')}")
        solara.Image(fan, width="640px", classes=["zs-chart"])
    solara.Markdown(f"#### {t('app.answer.ratio')}")
    solara.Markdown(
        "\n".join(
            [f"| {t('app.year')} | {t('app.ratio')} | {t('app.band80')} |", "|---|---|---|"]
            + [
                f"| {y} | {r['mean']:.3f} | {r['lower_80']:.3f} – {r['upper_80']:.3f} |"
                for y, r in s["ratio"].items()
            ]
        )
    )
    Hinges(s)


@solara.component
def Hinges(s: dict):
    """What the answer hinges on: the national trend assumption that moves it most, and the
    measures that carry the gain (Shapley attribution)."""
    solara.Markdown(f"#### {t('app.answer.hinges')}")
    lines = []
    hinge = s.get("hinge")
    if hinge:
        row = s["by_assumption"][hinge]
        lines.append(
            "- "
            + t(
                "app.answer.hinge_assumption",
                assumption=row["description"],
                p=percent(row["p_target_met"]),
            )
        )
    attribution = (s.get("attribution") or {}).get("by_measure") or {}
    carried = sorted(
        ((m, r["mean"]) for m, r in attribution.items() if m != "total"),
        key=lambda item: -item[1],
    )[:3]
    for measure, gain in carried:
        lines.append(
            "- " + t("app.answer.carried", measure=measure_name(measure), gain=number(gain))
        )
    solara.Markdown("\n".join(lines) if lines else t("app.answer.no_hinges"))
