"""Plain-text reports of one replication (used by ``zengshou simulate run``)."""

from __future__ import annotations

import pandas as pd

from forecast.i18n import gettext as _
from forecast.i18n import measure_name
from simulation.results import ReplicationResult


def format_replication(result: ReplicationResult) -> str:
    """Monthly means by source, the annual figures and cost/reach of one replication (in the
    language in force; the tables' column names stay as the result holds them)."""
    monthly = result.monthly.copy()
    monthly.index = monthly.index.astype(str)
    annual = result.annual.copy()
    last = annual.index.max()
    cost = result.cost.pivot_table(index="measure", columns="year", values="cost_yuan") / 1e6
    reach = result.reach.pivot_table(index="measure", columns="year", values="households")
    cost, reach = cost.rename(index=measure_name), reach.rename(index=measure_name)
    with pd.option_context(
        "display.width", 120, "display.max_rows", 200, "display.unicode.east_asian_width", True
    ):
        parts = [
            _(
                "report.replication.head",
                scenario=result.scenario,
                seed=result.seed,
                as_of=result.as_of,
            ),
            "",
            _("report.replication.monthly"),
            monthly.round(1).to_string(),
            "",
            _("report.replication.annual"),
            annual.T.to_string(float_format=lambda v: f"{v:,.3f}"),
            "",
            _(
                "report.replication.income",
                year=last,
                income=annual.loc[last, "net_income_per_capita"],
            ),
            "",
            _("report.replication.cost"),
            cost.round(1).to_string(),
            "",
            _("report.replication.reach"),
            reach.round(0).to_string(),
        ]
    return "\n".join(parts)


def parameter_provenance(scenario) -> pd.DataFrame:
    """Every parameter of a scenario with its value, unit and basis (source or assumption).

    Parameters
    ----------
    scenario : simulation.Scenario

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter``, ``value``, ``unit``, ``basis`` ("source" or "assumption")
        and ``why`` (the source or the assumption's reason).
    """
    rows = []

    def add(name: str, p) -> None:
        if p.values is not None:
            value = ", ".join(f"{y}: {v}" for y, v in p.values.items())
        elif p.central is not None:
            value = f"{p.central} [{p.low}, {p.high}]"
        else:
            value = str(p.value)
        basis = "assumption" if p.assumption else "source"
        rows.append((name, value, p.unit, basis, p.assumption or p.source))

    for m in scenario.levers.values():
        for field in ("scale", "reach_per_unit", "take_up", "unit_cost"):
            add(f"measures.{m.name}.{field}", getattr(m, field))
        add(f"measures.{m.name}.delay_months", m.delay_months)
        add(f"measures.{m.name}.duration_months", m.duration_months)
        for source, p in m.effects.items():
            add(f"measures.{m.name}.effects.{source}", p)
        for key, p in m.extra.items():
            add(f"measures.{m.name}.{key}", p)
    for section in ("province", "monitoring", "shocks", "calibration"):
        for key, p in getattr(scenario, section).items():
            add(f"{section}.{key}", p)
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "basis", "why"])
