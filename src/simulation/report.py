"""Plain-text reports of one replication (used by ``zengshou simulate run``)."""

from __future__ import annotations

import pandas as pd

from simulation.results import ReplicationResult


def format_replication(result: ReplicationResult) -> str:
    """Monthly means by source, the annual figures and cost/reach of one replication."""
    monthly = result.monthly.copy()
    monthly.index = monthly.index.astype(str)
    annual = result.annual.copy()
    last = annual.index.max()
    cost = result.cost.pivot_table(index="measure", columns="year", values="cost_yuan") / 1e6
    reach = result.reach.pivot_table(index="measure", columns="year", values="households")
    with pd.option_context("display.width", 120, "display.max_rows", 200):
        parts = [
            f"scenario {result.scenario}  seed {result.seed}  as of {result.as_of}",
            "",
            "Monthly per-capita income by source (yuan per person per month)",
            monthly.round(1).to_string(),
            "",
            "Annual figures (yuan per person per year; monitoring)",
            annual.T.to_string(float_format=lambda v: f"{v:,.3f}"),
            "",
            f"{last} annual per-capita net income: {annual.loc[last, 'net_income_per_capita']:,.0f} yuan",
            "",
            "Cost by measure (million yuan)",
            cost.round(1).to_string(),
            "",
            "Reach by measure (households)",
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
