"""Evidence that the institutions matter (issue 13): each mechanism on and off, same seeds.

Prints, for the action plan at 20,000 households (central parameters, the mean over a few
seeds), what each mechanism changes against the model without it:

1. budgets: funds, unspent, asked but unfunded, households reached by budgeted levers, with
   the plan's funds and with 70 % of them;
2. capacities: skills-training reach and the wage gain per asked trainee at 1.5 million asked;
3. caseload: the mean detection delay with 2,000 monitoring officers;
4. market entities: households hit through a link, the share of people under the line;
5. village economy: the share of villages at the 100,000-yuan collective goal and the top-up's
   cost.

Usage::

    .venv/bin/python benchmarks/bench_agents.py [--households 20000] [--seeds 3]
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from forecast.paths import project_root
from forecast.synthetic import synthesize_panel
from simulation import Population, load_scenario
from simulation.institutions import budgeted
from simulation.model import Province

SCENARIO = project_root() / "scenarios" / "action_plan.yaml"


def runs(scenario, population, seeds):
    return [Province(scenario, population, seed=s, draw_parameters=False).run() for s in seeds]


def mean(results, read) -> float:
    return float(np.mean([read(r) for r in results]))


def reached_budgeted(scenario):
    names = {m for m in scenario.measures if budgeted(scenario.levers[m])}
    return lambda r: r.reach.loc[r.reach["measure"].isin(names), "households"].sum()


def with_scale(scenario, lever: str, value: float):
    m = scenario.levers[lever]
    scale = dataclasses.replace(m.scale, values=dict.fromkeys(m.scale.values, value))
    return dataclasses.replace(
        scenario, levers={**scenario.levers, lever: dataclasses.replace(m, scale=scale)}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    plan = load_scenario(SCENARIO)
    population = Population.from_panel(
        synthesize_panel(args.households, seed=1, as_of=2022), as_of=2022
    )
    last = lambda column: lambda r: r.annual[column].iloc[-1]  # noqa: E731

    print(f"action plan, {args.households:,} households, mean of {args.seeds} seeds, 2024")
    for ratio in (1.0, 0.7):
        s = plan.with_values("agents", funding_ratio=ratio)
        on, off = runs(s, population, seeds), runs(s.without_agents("budgets"), population, seeds)
        c = lambda col: lambda r: r.counties[r.counties["year"] == 2024][col].sum()  # noqa: E731
        print(
            f"budgets (funds {ratio:.0%} of plan): funds {mean(on, c('funds_yuan')) / 1e9:.2f} bn, "
            f"unspent {mean(on, c('unspent_yuan')) / 1e9:.2f} bn, unfunded "
            f"{mean(on, c('unfunded_yuan')) / 1e9:.2f} bn; households reached by budgeted "
            f"levers (2023-2024 summed) {mean(on, reached_budgeted(s)):,.0f} with vs "
            f"{mean(off, reached_budgeted(s)):,.0f} without; mean income "
            f"{mean(on, last('net_income_per_capita')):,.0f} vs "
            f"{mean(off, last('net_income_per_capita')):,.0f} yuan"
        )
    many = with_scale(plan, "skills_training", 1_500_000)
    on, off = (
        runs(many, population, seeds),
        runs(many.without_agents("capacities"), population, seeds),
    )
    base = runs(plan, population, seeds)

    def trained(year):
        return lambda r: r.reach.set_index(["measure", "year"]).loc[
            ("skills_training", year), "reached"
        ]

    gain = lambda res: (mean(res, last("wage")) - mean(base, last("wage"))) / 900_000  # noqa: E731
    print(
        f"capacities (1.5 million trainees asked, 1,333,000 places): reached in 2023 "
        f"{mean(on, trained(2023)):,.0f} with vs {mean(off, trained(2023)):,.0f} without, in "
        f"2024 {mean(on, trained(2024)):,.0f} vs {mean(off, trained(2024)):,.0f} (the queue, "
        f"and a pool not yet exhausted); 2024 wage gain per extra asked trainee over the plan's "
        f"600,000: {gain(on) * 1e3:.3f} vs {gain(off) * 1e3:.3f} yuan per person per 1,000 asked"
    )
    few = plan.with_values("monitoring", officers=2000)
    on, off = (
        runs(few, population, seeds),
        runs(few.without_agents("caseload_delay"), population, seeds),
    )
    print(
        f"caseload (2,000 officers): mean detection delay "
        f"{mean(on, last('mean_detection_delay_months')):.2f} with vs "
        f"{mean(off, last('mean_detection_delay_months')):.2f} months without"
    )
    on, off = (
        runs(plan, population, seeds),
        runs(plan.without_agents("entities"), population, seeds),
    )
    print(
        f"market entities: households hit through a link {mean(on, last('households_link_struck')):,.0f} "
        f"(links broken {mean(on, last('households_link_broken')):,.0f}); share under the line "
        f"{mean(on, last('share_people_under_line')):.4f} with vs "
        f"{mean(off, last('share_people_under_line')):.4f} without; mean income "
        f"{mean(on, last('net_income_per_capita')):,.0f} vs "
        f"{mean(off, last('net_income_per_capita')):,.0f}"
    )
    on, off = (
        runs(plan, population, seeds),
        runs(plan.without_agents("village_economy"), population, seeds),
    )
    top_up = lambda r: r.cost.set_index(["measure", "year"]).loc[  # noqa: E731
        ("collective_assets", 2024), "cost_yuan"
    ]
    print(
        f"village economy: villages at the collective goal "
        f"{mean(on, last('share_villages_collective_goal')):.1%} with vs "
        f"{mean(off, last('share_villages_collective_goal')):.1%} without; 2024 top-up "
        f"{mean(on, top_up) / 1e9:.2f} vs {mean(off, top_up) / 1e9:.2f} bn yuan"
    )


if __name__ == "__main__":
    main()
