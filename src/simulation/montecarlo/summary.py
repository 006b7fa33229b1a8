"""``summary.json`` and the plain-language report of a target test.

Both are functions of a :class:`~.target.TargetTestResult`; no figure is typed in.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.rules import SOURCES

if TYPE_CHECKING:
    from simulation.montecarlo.target import TargetTestResult


def yuan(value: float, signed: bool = False) -> str:
    """Format yuan: ``14,147`` or ``+312``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def percent(share: float, digits: int = 0) -> str:
    """Format a share as a percentage: ``63 %``."""
    if share is None or not math.isfinite(share):
        return "n/a"
    return f"{100 * share:.{digits}f} %"


def billions(value: float) -> str:
    """Format yuan as billions: ``12.3 bn yuan``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value / 1e9:,.2f} bn yuan"


def target_report(result: TargetTestResult) -> str:
    """The target test in plain language, every figure read from ``result``."""
    year = result.target_year
    gap = result.paths["gap"].loc[year]
    yunnan = result.paths["yunnan"].loc[year]
    national = result.paths["national"].loc[year]
    size = f"{result.households:,} households" if result.households else "the population"
    lines = [
        f"Scenario {result.name}: {result.replications:,} replications of {size} "
        f"(seed {result.seed}), as of {result.as_of}, run on {result.ran_on} "
        f"in {result.elapsed_seconds:,.0f} s.",
        "",
        f"Probability that the poverty-alleviated population of Yunnan ends {year} above the "
        f"national level of the same population: {percent(result.p_target_met)} "
        f"(Monte Carlo standard error {100 * result.p_target_met_std_error:.1f} points).",
        *_assumption_lines(result),
        f"{year} per-capita net income: Yunnan {yuan(yunnan['mean'])} yuan "
        f"(80 % band {yuan(yunnan['lower_80'])} to {yuan(yunnan['upper_80'])}), "
        f"national {yuan(national['mean'])} yuan "
        f"(80 % band {yuan(national['lower_80'])} to {yuan(national['upper_80'])}).",
        f"Expected gap in {year}: {yuan(gap['mean'], signed=True)} yuan per person "
        f"(80 % band {yuan(gap['lower_80'], True)} to {yuan(gap['upper_80'], True)}; "
        f"95 % band {yuan(gap['lower_95'], True)} to {yuan(gap['upper_95'], True)}).",
        _crossing_sentence(result),
        "",
        *_by_year_lines(result),
        _correlation_sentence(result),
        "",
        "Monitoring (防止返贫监测):",
    ]
    for y, row in result.monitoring.iterrows():
        lines.append(
            f"  {y}: {percent(row['share_people_under_line_mean'], 1)} of people under the "
            f"line; {yuan(row['households_newly_under_line'])} households newly under it, "
            f"{percent(row['share_newly_under_detected'])} of them detected, after "
            f"{row['mean_detection_delay_months']:.1f} months on average."
        )
    lines += ["", "Cost of the measures:"]
    totals = result.cost_by_measure.loc["total"]
    lines.append(
        "  "
        + "; ".join(f"{y}: {billions(v)}" for y, v in totals["mean"].items())
        + f"; all years: {billions(result.total_cost)}."
    )
    lines += _attribution_lines(result)
    return "\n".join(lines)


def ratio(value: float) -> str:
    """Format a ratio Yunnan/national: ``1.025``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.3f}"


def points(delta: float) -> str:
    """Format a change of probability in percentage points: ``+8 points``, ``0 points``."""
    if delta is None or not math.isfinite(delta):
        return "n/a"
    moved = round(100 * delta)
    return f"{moved:+d} points" if moved else "0 points"


def _assumption_lines(result: TargetTestResult) -> list[str]:
    """Which model projects the national level and why, the answer under each alternative
    trend assumption, and the assumption the answer hinges on."""
    table = result.by_assumption
    macro = result.macro
    if macro is None or table.empty:
        return []
    chosen = table.loc[result.model]
    lines = [
        f"The national level is projected with the {result.model} model "
        f"({chosen['description']}), chosen by the backtest of the published series up to "
        f"{result.as_of}: {macro.choice_rule}.",
    ]
    others = table[~table["chosen"]]
    if others.empty:
        return lines
    lines.append("The answer under the other trend assumptions of the national side:")
    for _, row in others.iterrows():
        lines.append("  " + assumption_sentence(row))
    hinge = result.hinge
    if hinge is not None:
        row = table.loc[hinge]
        moved = points(row["p_target_met"] - result.p_target_met)
        gap_moves = yuan(row["gap_mean"] - chosen["gap_mean"], True)
        if moved != "0 points":
            lines.append(
                f"The answer hinges most on the {hinge} assumption ({row['description']}): "
                f"under it P moves by {moved}, from {percent(result.p_target_met)} "
                f"to {percent(row['p_target_met'])}, and the expected gap by {gap_moves} yuan."
            )
        else:
            lines.append(
                "The answer does not hinge on the trend assumption: under each, P stays within "
                f"half a point of {percent(result.p_target_met)} (under {hinge}, the one that "
                f"moves it most, by 0 points; the expected gap moves by {gap_moves} yuan)."
            )
    return lines


def assumption_sentence(row: pd.Series) -> str:
    """One trend assumption's answer: ``If <description>: P = 63 % (± 3.4 points), gap +312
    yuan.`` (``row`` is a row of :attr:`~.target.TargetTestResult.by_assumption`)."""
    return (
        f"If {row['description']}: P = {percent(row['p_target_met'])} "
        f"(± {100 * row['std_error']:.1f} points), gap {yuan(row['gap_mean'], True)} yuan."
    )


def _by_year_lines(result: TargetTestResult) -> list[str]:
    """Per simulated year: both levels and their ratio, each with its 80 % band."""
    lines = ["By year (mean and 80 % band; yuan per person; ratio Yunnan/national):"]
    paths = result.paths
    for y in result.years:
        yunnan, national = paths["yunnan"].loc[y], paths["national"].loc[y]
        lines.append(
            f"  {y}: Yunnan {yuan(yunnan['mean'])} ({yuan(yunnan['lower_80'])} to "
            f"{yuan(yunnan['upper_80'])}), national {yuan(national['mean'])} "
            f"({yuan(national['lower_80'])} to {yuan(national['upper_80'])}), "
            + _ratio_words(paths["ratio"].loc[y])
            + "."
        )
    return lines


def _ratio_words(band: pd.Series) -> str:
    return f"ratio {ratio(band['mean'])} ({ratio(band['lower_80'])} to {ratio(band['upper_80'])})"


def _correlation_sentence(result: TargetTestResult) -> str:
    """How much the shared rural economy moves both sides together, in words."""
    correlation = result.shared_shock_correlation
    year = result.target_year
    if not math.isfinite(correlation):
        return (
            f"The correlation of the two sides across replications in {year} cannot be "
            "computed (fewer than three replications, or one side does not vary)."
        )
    if correlation >= 0.5:
        words = "the two sides move together"
    elif correlation >= 0.2:
        words = "the two sides move partly together"
    else:
        words = "the two sides barely move together"
    common = _common_growth(result)
    drawn = (
        ""
        if common is None
        else "; the common rural growth drawn: "
        + ", ".join(
            f"{y} {row['mean']:.1f} % ({row['lower_80']:.1f} to {row['upper_80']:.1f} %)"
            for y, row in common.iterrows()
        )
    )
    return (
        f"In {year} {words}: correlation {correlation:.2f} across replications "
        f"(log incomes), because both follow the same rural economy{drawn}."
    )


def _common_growth(result: TargetTestResult) -> pd.DataFrame | None:
    """Mean and bands by simulated year of the common rural growth (percent a year)."""
    from simulation.montecarlo.target import bands

    if result.macro is None:
        return None
    common = result.macro.common
    years = [y for y in result.years if y in common.columns]
    return bands(100 * np.expm1(common[years]))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _crossing_sentence(result: TargetTestResult) -> str:
    crossing = result.crossing
    parts = [f"in {y} in {percent(crossing[y])}" for y in result.years if crossing[y] > 0]
    never = crossing["never"]
    if not parts:
        return f"The lines do not cross by {result.target_year} in any replication."
    return (
        "Yunnan's line first rises above the national one "
        + ", ".join(parts)
        + f" of replications; it stays below through {result.target_year} in "
        + f"{percent(never)}."
    )


def _attribution_lines(result: TargetTestResult) -> list[str]:
    table = result.attribution
    if table is None:
        return ["", "Attribution: not computed (no attribution replications)."]
    year = result.target_year
    lines = [
        "",
        f"What carries the gain in {year} (Shapley values over measures, "
        f"{_count(result.attribution_replications, 'replication')} with common random numbers; "
        "gain over all measures off, yuan per person):",
    ]
    for measure, row in table.iterrows():
        per_yuan = row.get("gain_per_yuan", float("nan"))
        lines.append(
            f"  {measure}: {yuan(row['mean'], True)} "
            f"(95 % band {yuan(row['lower_95'], True)} to {yuan(row['upper_95'], True)}; "
            f"{percent(row['share_of_gain'])} of the gain"
            + (
                f"; {per_yuan:.2f} yuan of income per yuan spent)"
                if isinstance(per_yuan, float) and math.isfinite(per_yuan)
                else ")"
            )
        )
    total = table.loc["total"]
    sources = ", ".join(f"{s} {yuan(total[s], True)}" for s in SOURCES)
    lines.append(f"  By income source: {sources}.")
    return lines


def _records(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    return {str(index): {k: _number(v) for k, v in row.items()} for index, row in frame.iterrows()}


def _number(value: Any) -> Any:
    """A JSON-ready number: ints stay ints, NaN and infinities become None."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return number if math.isfinite(number) else None


def summary_dict(result: TargetTestResult) -> dict[str, Any]:
    """The fields of ``summary.json`` (JSON-ready: numbers, strings, lists and dicts)."""
    from forecast.tracking import code_version

    year = result.target_year
    cost = result.cost_by_measure.reset_index()
    summary: dict[str, Any] = {
        "scenario": result.name,
        "scenario_file": result.scenario_path,
        "measures": list(result.scenario.measures),
        "seed": result.seed,
        "replications": result.replications,
        "households": result.households,
        "people": _number(result.people),
        "as_of": result.as_of,
        "target_year": year,
        "p_target_met": result.p_target_met,
        "p_target_met_std_error": result.p_target_met_std_error,
        "gap": {**_records(result.paths["gap"].loc[[year]])[str(year)]},
        "yunnan": _records(result.paths["yunnan"]),
        "national": _records(result.paths["national"]),
        "gap_by_year": _records(result.paths["gap"]),
        "ratio": _records(result.paths["ratio"]),
        "national_model": {
            "name": result.model,
            "rule": None if result.macro is None else result.macro.choice_rule,
        },
        "by_assumption": _records(result.by_assumption),
        "hinge": result.hinge,
        "shared_shock_correlation": _number(result.shared_shock_correlation),
        "common_rural_growth_percent": None
        if (common := _common_growth(result)) is None
        else _records(common),
        "observed": {
            k: {str(y): float(v) for y, v in s.items()} for k, s in result.observed.items()
        },
        "crossing_year_share": {str(k): float(v) for k, v in result.crossing.items()},
        "share_under_line": _records(result.monitoring),
        "composition": _records(result.composition),
        "cost": {
            "total_yuan": result.total_cost,
            "by_measure_and_year": [
                {k: _number(v) for k, v in row.items()} for row in cost.to_dict("records")
            ],
        },
        "gain_per_yuan": _number(result.gain_per_yuan),
        "attribution": None
        if result.attribution is None
        else {
            "method": "Shapley values over measures, one random order per replication, "
            "common random numbers; gain over all measures off",
            "replications": result.attribution_replications,
            "year": year,
            "by_measure": _records(result.attribution),
        },
        "elapsed_seconds": result.elapsed_seconds,
        "ran_on": result.ran_on,
        "code_version": code_version(),
    }
    return summary


def write_summary(result: TargetTestResult, out_dir: str | Path) -> Path:
    """Write ``summary.json`` into ``out_dir`` (created) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "summary.json"
    path.write_text(json.dumps(summary_dict(result), indent=2, ensure_ascii=False) + "\n")
    return path


def run_metrics(result: TargetTestResult) -> dict[str, float]:
    """The figures of a target test recorded as MLflow metrics."""
    year = result.target_year
    gap = result.paths["gap"].loc[year]
    metrics = {
        "p_target_met": result.p_target_met,
        "p_target_met_std_error": result.p_target_met_std_error,
        **{f"gap_{k}": float(v) for k, v in gap.items()},
        f"yunnan_{year}_mean": float(result.paths["yunnan"].loc[year, "mean"]),
        f"national_{year}_mean": float(result.paths["national"].loc[year, "mean"]),
        **{f"ratio_{y}_mean": float(v) for y, v in result.paths["ratio"]["mean"].items()},
        **{
            f"ratio_{year}_{k}": float(v)
            for k, v in result.paths["ratio"].loc[year].items()
            if k != "mean"
        },
        "shared_shock_correlation": result.shared_shock_correlation,
        "total_cost_yuan": result.total_cost,
        f"share_under_line_{year}": float(
            result.monitoring.loc[year, "share_people_under_line_mean"]
        ),
        "gain_per_yuan": result.gain_per_yuan,
        "crossing_never_share": float(result.crossing["never"]),
        "elapsed_seconds": result.elapsed_seconds,
    }
    for name, row in result.by_assumption.iterrows():
        metrics[f"p_target_met_{name}"] = float(row["p_target_met"])
        metrics[f"gap_mean_{name}"] = float(row["gap_mean"])
    if result.attribution is not None:
        metrics.update({f"shapley_{m}": float(v) for m, v in result.attribution["mean"].items()})
    return metrics


def record_target_test(
    result: TargetTestResult,
    out_dir: str | Path,
    data_fingerprint: str | None = None,
    experiment: str = "simulation-target-test",
    params: dict[str, object] | None = None,
) -> tuple[list[Path], str]:
    """Write ``summary.json`` and the plots into ``out_dir`` and record the run in MLflow.

    Returns
    -------
    (list of Path, str)
        The files written and the MLflow run id.
    """
    from forecast import tracking
    from simulation.montecarlo.plots import save_plots

    files = [write_summary(result, out_dir), *save_plots(result, out_dir)]
    scenario_file = result.scenario_path or getattr(result.scenario, "path", None)
    run_id = tracking.log_simulation_run(
        experiment_name=experiment,
        run_name=f"{result.name}-R{result.replications}-s{result.seed}",
        scenario_files=[scenario_file] if scenario_file else [],
        params={
            "scenario": result.name,
            "seed": result.seed,
            "households": result.households,
            "as_of": result.as_of,
            "target_year": result.target_year,
            "attribution_replications": result.attribution_replications,
            "ran_on": result.ran_on,
            **(params or {}),
        },
        seeds=result.seeds,
        data_fingerprint=data_fingerprint,
        metrics=run_metrics(result),
        artifacts=files,
        tags={"zengshou.kind": "target-test", "zengshou.scenario": result.name},
    )
    return files, run_id


def likelihood(p: float) -> str:
    """Words for a probability, in the spirit of the IPCC's calibrated language."""
    for bound, words in (
        (0.99, "virtually certain"),
        (0.9, "very likely"),
        (0.66, "likely"),
        (0.33, "about as likely as not"),
        (0.1, "unlikely"),
        (0.01, "very unlikely"),
    ):
        if p >= bound:
            return words
    return "exceptionally unlikely"


def target_conclusion(result: TargetTestResult) -> str:
    """The conclusion of a target test in a few plain sentences (Markdown)."""
    year = result.target_year
    gap = result.paths["gap"].loc[year]
    p = result.p_target_met
    sentences = [
        f"Under **{result.name}**, it is **{likelihood(p)}** ({percent(p)} of "
        f"{result.replications:,} replications) that the poverty-alleviated population of "
        f"Yunnan ends {year} above the national level of the same population.",
        f"On average Yunnan would end {yuan(abs(gap['mean']))} yuan per person "
        f"{'above' if gap['mean'] > 0 else 'below'} it; in four replications out of five the "
        f"gap lies between {yuan(gap['lower_80'], True)} and {yuan(gap['upper_80'], True)} yuan.",
    ]
    table = result.attribution
    if table is not None and len(table) > 1:
        ranked = table.drop(index="total")
        top = ranked.index[0]
        sentences.append(
            f"The measure carrying most of the gain is **{top}** "
            f"({yuan(ranked.loc[top, 'mean'], True)} yuan per person in {year}, "
            f"{percent(ranked.loc[top, 'share_of_gain'])} of the gain of all measures)."
        )
    sentences.append(
        f"The measures cost {billions(result.total_cost)} over "
        f"{result.years[0]}-{result.years[-1]}."
    )
    return " ".join(sentences)


def population_fingerprint(population: Any) -> str:
    """SHA-256 of the arrays a population is made of: the data a run actually started from."""
    import dataclasses
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    for item in dataclasses.fields(population):
        value = getattr(population, item.name)
        if isinstance(value, np.ndarray):
            digest.update(item.name.encode())
            digest.update(str(value.dtype).encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, (int, float, str)):
            digest.update(f"{item.name}={value}".encode())
    return digest.hexdigest()
