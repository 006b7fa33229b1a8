"""The institutions matter (issue 13): each mechanism changes an outcome against the model
without it, with the same seed (every other random stream unchanged)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from simulation import load_scenario
from simulation.model import Province
from simulation.rules import SOURCES


def run(scenario, population, months: int = 24, seed: int = 4) -> Province:
    model = Province(scenario, population, seed=seed, draw_parameters=False, months=months)
    model.result_ = model.run()
    return model


def with_scale(scenario, lever: str, value: float):
    """The scenario with ``lever`` asking ``value`` every year."""
    m = scenario.levers[lever]
    scale = dataclasses.replace(m.scale, values=dict.fromkeys(m.scale.values, value))
    return dataclasses.replace(
        scenario, levers={**scenario.levers, lever: dataclasses.replace(m, scale=scale)}
    )


def test_budget_bound_counties_spend_within_funds_and_reach_less(action_plan, population):
    lean = action_plan.with_values("agents", funding_ratio=0.7, east_west_share=0.0)
    bound = run(lean, population).result_
    free = run(lean.without_agents("budgets"), population).result_
    counties = bound.counties
    # Province-wide a budget-bound plan spends no more than its funds; a county overshoots
    # by at most one sampled household's cost (exact at full scale).
    for _year, rows in counties.groupby("year"):
        assert rows["budget_spent_yuan"].sum() <= rows["funds_yuan"].sum() * 1.01
    assert (counties["unfunded_yuan"] > 0).any()
    assert counties["unspent_yuan"].ge(0).all()
    reach_bound = bound.reach.set_index(["measure", "year"])
    reach_free = free.reach.set_index(["measure", "year"])
    budgeted = reach_bound["refused_budget"] > 0
    assert budgeted.sum() >= 5  # several levers ran out of funds somewhere
    assert reach_bound.loc[budgeted, "reached"].sum() < reach_free.loc[budgeted, "reached"].sum()
    assert reach_bound.loc[budgeted, "shortfall"].str.contains("budget:").all()
    # Without budgets there are no funds to report.
    assert free.counties["funds_yuan"].isna().all()


def test_performance_evaluation_rewards_growth(action_plan, population):
    model = Province(action_plan, population, seed=4, draw_parameters=False, months=13)
    for _ in range(12):
        model.step()
    growth = model.county_growth()  # 2023's, what the 2024 evaluation reads
    model.step()
    first, second = model.budgets.funds[2023], model.budgets.funds[2024]
    good = growth >= np.nanmedian(growth)
    # Funds follow the plan's spending; the reward moves a share of them to good performers.
    ratio = second / second.sum() - first / first.sum()
    assert ratio[good].sum() > 0 > ratio[~good].sum()


def test_training_has_diminishing_returns_when_places_bind(action_plan, population):
    many = with_scale(action_plan, "skills_training", 1_500_000)
    bound = run(many, population, months=12).result_
    free = run(many.without_agents("capacities"), population, months=12).result_
    row = bound.reach.set_index(["measure", "year"]).loc[("skills_training", 2023)]
    capacity = action_plan.levers["skills_training"].extra["capacity"].value
    assert row["reached"] <= capacity * 1.02
    assert row["refused_capacity"] > 0 and row["shortfall"].startswith("capacity:")
    unbound = free.reach.set_index(["measure", "year"]).loc[("skills_training", 2023)]
    assert unbound["reached"] > capacity * 1.05
    # Past capacity, more asked trainees add nothing: the income gain per asked place falls.
    base = run(action_plan, population, months=12).result_
    asked_extra = 1_500_000 - 600_000
    gain_bound = bound.annual["wage"].iloc[0] - base.annual["wage"].iloc[0]
    gain_free = free.annual["wage"].iloc[0] - base.annual["wage"].iloc[0]
    assert gain_bound / asked_extra < gain_free / asked_extra


def test_refused_households_queue_first_in_line(action_plan, population):
    many = with_scale(action_plan, "skills_training", 1_500_000)
    model = Province(many, population, seed=4, draw_parameters=False, months=13)
    for _ in range(12):
        model.step()
    queued = np.flatnonzero(model.capacities.queued["skills_training"])
    assert len(queued) > 0
    model.step()  # January: the queue is served first
    picked = model.choices[("skills_training", 2024)]
    holding = model.holding["skills_training"]
    waiting = queued[holding[queued] <= 12]  # still free to train
    assert np.isin(waiting, picked).all()


def test_detection_lags_grow_with_caseload(action_plan, population):
    few = action_plan.with_values("monitoring", officers=2000)
    busy = run(few, population)
    calm = run(few.without_agents("caseload_delay"), population)
    assert busy.county_lag.max() > 2 * calm.county_lag.max()
    assert np.allclose(calm.county_lag, calm.monitoring.lag)
    delay = "mean_detection_delay_months"
    assert busy.result_.annual[delay].mean() > calm.result_.annual[delay].mean()


@pytest.mark.parametrize("arrangement", ["orders", "equity"])
def test_entity_shocks_reach_only_linked_households(action_plan, population, arrangement):
    """Every entity struck from the start, none closing: a linked household loses its
    arrangement's share of its income from the link, an unlinked one loses nothing."""
    lever = dataclasses.replace(
        action_plan.levers["local_leaders"],
        extra={
            **action_plan.levers["local_leaders"].extra,
            "link_arrangement": dataclasses.replace(
                action_plan.levers["local_leaders"].extra["link_arrangement"], value=arrangement
            ),
        },
    )
    plan = dataclasses.replace(action_plan, levers={**action_plan.levers, "local_leaders": lever})
    stormy = plan.with_values("agents", entity_shock_rate=1.0, entity_closure_share=0.0)
    models = {}
    for name, scenario in (("on", stormy), ("off", stormy.without_agents("entities"))):
        model = Province(scenario, population, seed=4, draw_parameters=False, months=12)
        for _ in range(10):
            model.step()
        models[name] = model
    on, off = models["on"], models["off"]
    links = on.entities.links
    active = (links["start"] <= 9) & (links["end"] > 9)
    assert active.sum() > 10
    # Wage and operating income (the monitoring top-up, a transfer, may answer the loss).
    loss = (off.households.block.income - on.households.block.income)[:2]
    pass_through = on.entities.pass_through[links["entity"]]
    assert on.parameters[f"agents.pass_through_{arrangement}"] in pass_through
    expected = np.zeros((4, population.size))
    factor = pass_through * (1 - np.exp(on.parameters["agents.entity_shock_effect"]))
    np.add.at(
        expected,
        (links["source"][active], links["household"][active]),
        (factor * links["amount"])[active],
    )
    np.testing.assert_allclose(loss, expected[:2], rtol=1e-9, atol=1e-6)
    operating = SOURCES.index("operating")
    assert expected[operating].sum() > 0  # the cooperatives' members lost operating income


def test_closed_entities_break_their_links(action_plan, population):
    stormy = action_plan.with_values("agents", entity_shock_rate=1.0, entity_closure_share=1.0)
    model = run(stormy, population)
    annual = model.result_.annual
    assert annual["households_link_broken"].sum() > 0
    assert (model.entities.open == 0).sum() > 0
    assert len(model.entities.links["household"]) < model.entities.links_formed


def test_village_collective_income_lives_and_is_tracked(action_plan, population):
    living = run(action_plan, population)
    still = run(action_plan.without_agents("village_economy"), population)
    goal = "share_villages_collective_goal"
    shares = living.result_.annual[goal]
    assert shares.is_monotonic_increasing and shares.iloc[-1] > shares.iloc[0]
    assert still.result_.annual[goal].nunique() == 1
    # The assets the top-up built earn: less to top up in the last year than without them.
    cost = "cost_yuan"
    spend = {
        k: m.result_.cost.set_index(["measure", "year"]).loc[("collective_assets", 2024), cost]
        for k, m in (("living", living), ("still", still))
    }
    assert spend["living"] < spend["still"]


def test_same_seed_same_institutions(action_plan, population):
    a, b = run(action_plan, population, months=12), run(action_plan, population, months=12)
    assert a.result_.counties.equals(b.result_.counties)
    assert a.result_.reach.equals(b.result_.reach)


def test_a_scenario_chooses_the_spending_rule(action_plan, population, tmp_path):
    """A scenario file switches the counties to cutting every lever by the same share: the
    lowest-income levers are no longer served first."""
    plan = Path(action_plan.path)
    file = tmp_path / "pro_rata.yaml"
    file.write_text(
        f"name: pro_rata\nbase: {plan}\nchanges:\n  agents:\n"
        "    spending_rule: {value: pro_rata, assumption: test}\n"
        "    funding_ratio: {value: 0.7, assumption: test}\n"
    )
    models = {
        "pro_rata": run(load_scenario(file), population, months=12),
        "plan_priorities": run(
            action_plan.with_values("agents", funding_ratio=0.7), population, months=12
        ),
    }
    assert models["pro_rata"].budgets.spending_rule == "pro_rata"
    refused = {
        k: m.result_.reach.set_index(["measure", "year"])["refused_budget"]
        for k, m in models.items()
    }
    posts = ("public_welfare_posts", 2023)  # a lowest-income lever: first under the plan
    assert refused["plan_priorities"][posts] < refused["pro_rata"][posts]
