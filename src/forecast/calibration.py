"""Synthetic against published: the calibration report of a household panel."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.i18n import gettext
from forecast.parameters import ParameterError, by_year
from forecast.schema import SOURCES
from forecast.statistics import PublicStatistics, as_statistics
from forecast.synthetic import load_generator_parameters


def weighted_means(panel: pd.DataFrame) -> pd.DataFrame:
    """Per-year weighted means per person: net income and each source (yuan/person/year),
    source shares, and the share of people monitored."""
    people = panel["weight"] * panel["members"]
    frame = pd.DataFrame({"year": panel["year"], "people": people})
    for source in SOURCES:
        frame[source] = panel[f"{source}_income"] * panel["weight"]
    frame["net"] = frame[list(SOURCES)].sum(axis=1)
    frame["monitored_people"] = people * panel["monitored"]
    frame["households"] = panel["weight"]
    frame["monitored_households"] = panel["weight"] * panel["monitored"]
    sums = frame.groupby("year").sum()
    out = pd.DataFrame(index=sums.index)
    out["net_income_per_capita"] = sums["net"] / sums["people"]
    for source in SOURCES:
        out[source] = sums[source] / sums["people"]
        out[f"{source}_share"] = sums[source] / sums["net"]
    out["monitored_people_share"] = sums["monitored_people"] / sums["people"]
    out["people"] = sums["people"]
    out["households"] = sums["households"]
    out["monitored_households"] = sums["monitored_households"]
    return out


def calibration_report(
    panel: pd.DataFrame, statistics: PublicStatistics | str | Path | None = None
) -> pd.DataFrame:
    """Compare a panel's weighted aggregates with the published statistics.

    Parameters
    ----------
    panel : pandas.DataFrame
        A household panel in the schema of :mod:`forecast.schema`.
    statistics : PublicStatistics or path, optional
        Published statistics; default ``data/public_statistics.yaml``. Only what was known
        at the end of the panel's last year is read.

    Returns
    -------
    pandas.DataFrame
        One row per target: ``target`` (English), ``label`` (the target in the language in
        force), ``synthetic``, ``published``, ``difference`` (relative for levels, in points
        for shares), ``tolerance``, ``ok`` and ``source``.
        Targets whose year is not in the panel are left out; a row without a published figure
        (``published`` NaN) or without a tolerance is for information.

    Notes
    -----
    The monitoring rows read their line and targets from ``data/synthetic_panel.yaml``
    (groups ``monitoring`` and ``targets``, as known at the end of the panel's last year):
    the share of people monitored at the end of 2022 against the published share, and the
    share of people under the year's line at the end of each year the file gives a line for
    (and under the 2022 floor) against the published near-zero figure from the year every
    household under the line was reached; before it, no share under the line was published.
    """
    means = weighted_means(panel)
    years = set(means.index)
    stats = as_statistics(statistics).until(max(years))
    try:
        params = load_generator_parameters(as_of=max(years), statistics=stats)
    except ParameterError:  # a panel ending before the file knows enough: no monitoring rows
        params = None
    yunnan = stats.entry("series", "yunnan_net_income_alleviated")
    counts = stats.entry("counts")
    rows = []

    def add(target, synthetic, published, kind, tolerance, source):
        key, fields = target  # a catalogue key: English in the table, the reader's in ``label``
        if kind == "relative":
            difference = synthetic / published - 1
        else:  # points of a share, or plain difference
            difference = synthetic - published
        rows.append(
            {
                "target": gettext(key, "en", **fields),
                "label": gettext(key, **fields),
                "synthetic": synthetic,
                "published": published,
                "difference": difference,
                "kind": kind,
                "tolerance": tolerance,
                "ok": bool(np.isnan(tolerance) or abs(difference) <= tolerance),
                "source": source,
            }
        )

    for year in (2021, 2022):
        if year in years:
            add(
                ("report.data.net_income", {"year": year}),
                means.at[year, "net_income_per_capita"],
                yunnan[year]["value"],
                "relative",
                0.01,
                yunnan[year]["source"],
            )
    if {2021, 2022} <= years:
        growth = (
            means.at[2022, "net_income_per_capita"] / means.at[2021, "net_income_per_capita"] - 1
        )
        add(
            ("report.data.growth", {}),
            growth,
            yunnan[2022]["growth"],
            "points",
            0.01,
            yunnan[2022]["source"],
        )
    if 2022 in years:
        by_source = stats.entry("series", "yunnan_net_income_alleviated_by_source", 2022)
        for source, key, tol in (("wage", "wage", 0.02), ("operating", "operating", 0.02)):
            add(
                (f"report.data.{source}_share", {}),
                means.at[2022, f"{source}_share"],
                by_source[key]["share"],
                "points",
                tol,
                by_source[key]["source"],
            )
        add(
            ("report.data.property_transfer", {}),
            means.at[2022, "property"] + means.at[2022, "transfer"],
            by_source["property_and_transfer"]["value"],
            "relative",
            0.05,
            "derived: " + by_source["property_and_transfer"]["note"],
        )
        monitored = counts["monitored_end_2022"]
        if params is not None:
            target = params["targets"]["monitored_people_share_end_2022"]
            add(
                ("report.data.monitored_share", {}),
                means.at[2022, "monitored_people_share"],
                target["published"],
                "points",
                target["tolerance"],
                f"{monitored['source']} (synthetic_panel.yaml targets."
                "monitored_people_share_end_2022)",
            )
        add(
            ("report.data.monitored_households", {}),
            means.at[2022, "monitored_households"],
            monitored["households"],
            "relative",
            float("nan"),
            monitored["source"],
        )
    if params is not None:
        for row in _under_line_rows(panel, params, stats):
            add(*row)
    last = max(years)
    add(
        ("report.data.people", {"year": last}),
        means.at[last, "people"],
        counts["people_alleviated_plus_monitored"]["value"],
        "relative",
        0.001,
        counts["people_alleviated_plus_monitored"]["source"],
    )
    add(
        ("report.data.households", {"year": last}),
        means.at[last, "households"],
        counts["households_alleviated_plus_monitored"]["value"],
        "relative",
        float("nan"),
        counts["households_alleviated_plus_monitored"]["note"],
    )
    relocated = (panel["weight"] * panel["members"] * panel["relocated"])[
        panel["year"] == last
    ].sum()
    add(
        ("report.data.relocated", {}),
        relocated,
        counts["relocated_people"]["value"],
        "relative",
        float("nan"),
        counts["relocated_people"]["source"],
    )
    if 2015 in yunnan and 2021 in years:
        # The panel starts in 2016: compare the implied 2015-2021 growth with the published.
        first = min(years)
        synthetic = (
            means.at[2021, "net_income_per_capita"] / means.at[first, "net_income_per_capita"]
        ) ** (1 / (2021 - first)) - 1
        published = (yunnan[2021]["value"] / yunnan[2015]["value"]) ** (1 / 6) - 1
        add(
            ("report.data.long_growth", {"first": first}),
            synthetic,
            published,
            "points",
            0.05,
            yunnan[2015]["source"],
        )
    return pd.DataFrame(rows)


def _under_line_rows(panel: pd.DataFrame, params: dict, stats: PublicStatistics) -> list[tuple]:
    """Report rows (``add``'s arguments) for the share of people under the line at the end of
    each year the parameters give a line for, and under the 2022 floor."""
    line, full_from = params["monitoring"]["line"], int(params["monitoring"]["full_coverage_year"])
    target = params["targets"]["people_under_line_end_of_year"]
    in_years = panel[panel["year"].isin(list(line))]
    if in_years.empty:
        return []
    below = share_of_people_below(in_years, lambda years: by_year(line, years))
    rows = []
    for year, share in below.items():
        yuan = by_year(line, [year])[0]
        if year >= full_from:
            published, tolerance = target["published"], target["tolerance"]
            source = "synthetic_panel.yaml targets.people_under_line_end_of_year"
        else:
            published = tolerance = float("nan")
            source = (
                "no published share before every household under the line was reached "
                "(synthetic_panel.yaml monitoring.full_coverage_year)"
            )
        rows.append(
            (("report.data.under_line", {"year": year, "yuan": yuan}), share, published, "points")
            + (tolerance, source)
        )
    if 2022 in below.index:
        floor = stats.entry("monitoring", "yunnan_income_floor_2022")
        at_2022 = in_years[in_years["year"] == 2022]
        share = share_of_people_below(at_2022, lambda years: np.full(len(years), floor["value"]))
        rows.append(
            (
                ("report.data.under_floor", {"yuan": floor["value"]}),
                share.at[2022],
                target["published"],
                "points",
                target["tolerance"],
                floor["source"],
            )
        )
    return rows


def format_report(report: pd.DataFrame) -> str:
    """Render a calibration report as an aligned plain-text table, its words (``label``) in
    the language in force."""
    head = {k: gettext(f"report.data.column.{k}") for k in ("target", "synthetic", "published")}
    head |= {k: gettext(f"report.data.column.{k}") for k in ("diff", "tol", "ok")}
    lines = [
        f"{_pad(head['target'], 52)} {_pad(head['synthetic'], 14, True)} "
        f"{_pad(head['published'], 14, True)} {_pad(head['diff'], 9, True)} "
        f"{_pad(head['tol'], 7, True)}  {head['ok']}"
    ]
    for row in report.itertuples():
        if row.kind == "relative":
            diff, tol = f"{row.difference:+.2%}", f"{row.tolerance:.1%}"
            value = lambda v: f"{v:,.0f}"  # noqa: E731
        else:
            diff, tol = f"{row.difference * 100:+.2f}pt", f"{row.tolerance * 100:.1f}pt"
            value = lambda v: f"{v:.2%}"  # noqa: E731
        if np.isnan(row.tolerance):
            tol, ok = "-", gettext("report.data.info")
        else:
            ok = gettext("report.data.yes" if row.ok else "report.data.no")
        published = "-" if np.isnan(row.published) else value(row.published)
        diff = "-" if np.isnan(row.difference) else diff
        lines.append(
            f"{_pad(row.label, 52)} {value(row.synthetic):>14} {published:>14} {diff:>9} "
            f"{tol:>7}  {ok}"
        )
    return "\n".join(lines)


def _pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded to ``width`` columns as a terminal shows them (a Chinese character
    takes two)."""
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    space = " " * max(0, width - shown)
    return space + text if right else text + space


def weighted_quantiles(
    panel: pd.DataFrame, column: str = "net_income_per_capita", probs=(0.1, 0.25, 0.5, 0.75, 0.9)
) -> pd.DataFrame:
    """Per-year quantiles of a per-person column, each household weighted by its people."""
    rows = {}
    for year, group in panel.groupby("year"):
        order = np.argsort(group[column].to_numpy())
        values = group[column].to_numpy()[order]
        people = (group["weight"] * group["members"]).to_numpy()[order]
        cumulative = (np.cumsum(people) - people / 2) / people.sum()
        rows[year] = np.interp(probs, cumulative, values)
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=[f"p{round(p * 100)}" for p in probs]
    )


def share_of_people_below(panel: pd.DataFrame, line_by_year) -> pd.Series:
    """Share of people whose household's per-capita net income is under the year's line.

    ``line_by_year`` maps a year (or an array of years) to the line in yuan per person.
    """
    line = np.asarray(line_by_year(panel["year"].to_numpy()), dtype=float)
    people = panel["weight"] * panel["members"]
    below = people * (panel["net_income_per_capita"].to_numpy() < line)
    return below.groupby(panel["year"]).sum() / people.groupby(panel["year"]).sum()


def published_yunnan_series(
    statistics: PublicStatistics | str | Path | None = None,
) -> pd.Series:
    """Published per-capita net income of Yunnan's alleviated population, by year.

    ``statistics`` defaults to ``data/public_statistics.yaml``; pass
    ``PublicStatistics.load().until(year)`` for what was known at the end of ``year``.
    """
    series = as_statistics(statistics).series("yunnan_net_income_alleviated")
    return series.rename("published").rename_axis(None)
