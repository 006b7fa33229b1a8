"""The Monte Carlo layer on the real simulation: reproducibility across executors, the
Shapley attribution's bookkeeping, the target figures, comparisons, summary and MLflow record."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd
import pytest

from forecast.paths import project_root
from forecast.provenance import code_version, file_fingerprint
from simulation import Population, simulate
from simulation.montecarlo import (
    Job,
    ReplicationRunner,
    TargetTest,
    backtest,
    compare_scenarios,
    replication_seeds,
    run_replications,
)
from simulation.montecarlo.attribution import (
    INCOME_COLUMNS,
    measure_order,
    summarise_attribution,
)
from simulation.montecarlo.national import draw_macro, observed_series
from simulation.montecarlo.record import record_target_test
from simulation.montecarlo.report import (
    backtest_conclusion,
    backtest_report,
    comparison_report,
    target_report,
)
from simulation.montecarlo.summary import write_summary

SCENARIOS = project_root() / "scenarios"


@pytest.fixture(scope="session")
def target_result(population, action_plan):
    """Four replications in this process, the first two with the attribution."""
    test = TargetTest(action_plan, replications=4, seed=5, attribution_replications=2)
    return test.run(population, workers=1)


def _same(a, b) -> None:
    """Two target test results are identical, figure for figure."""
    pd.testing.assert_frame_equal(a.yunnan, b.yunnan)
    pd.testing.assert_frame_equal(a.national, b.national)
    pd.testing.assert_frame_equal(a.cost, b.cost)
    pd.testing.assert_frame_equal(a.attribution, b.attribution)
    assert a.seeds == b.seeds


# --- seeds and executors ---------------------------------------------------------------------


def test_replication_seeds_are_distinct_and_do_not_depend_on_the_count():
    seeds = replication_seeds(42, 50)
    assert len(set(seeds)) == 50
    assert replication_seeds(42, 5) == seeds[:5]
    assert replication_seeds(43, 5) != seeds[:5]


@pytest.mark.parametrize("seed, replications", [(-1, 3), (1, 0)])
def test_replication_seeds_reject_bad_arguments(seed, replications):
    with pytest.raises(ValueError, match="seed|replications"):
        replication_seeds(seed, replications)


def _slow_echo(population, job: Job):
    """Later jobs finish first, so the runner must put results back in job order."""
    time.sleep(0.05 * (3 - job.index % 4))
    return job.index, job.seed, population


def test_runner_returns_results_in_replication_order_from_worker_processes():
    results = run_replications(_slow_echo, "shared", seed=3, replications=6, workers=2)
    assert [r[0] for r in results] == list(range(6))
    assert [r[1] for r in results] == replication_seeds(3, 6)
    assert {r[2] for r in results} == {"shared"}  # installed once per worker process


def test_runner_refuses_use_outside_a_with_block():
    with pytest.raises(RuntimeError, match="context manager"):
        ReplicationRunner("p").map(_slow_echo, [Job(0, 1)])


@pytest.mark.slow
def test_same_seed_gives_identical_results_on_one_and_two_worker_processes(
    target_result, population, action_plan
):
    test = TargetTest(action_plan, replications=4, seed=5, attribution_replications=2)
    _same(target_result, test.run(population, workers=2))


@pytest.fixture(scope="module")
def tiny_population(synthetic_panel):
    """300 households: cheap to ship to worker processes and to simulate."""
    ids = synthetic_panel["household_id"].drop_duplicates().iloc[:300]
    return Population.from_panel(synthetic_panel[synthetic_panel["household_id"].isin(ids)], 2022)


@pytest.fixture(scope="module")
def tiny_inline(tiny_population, action_plan):
    test = TargetTest(action_plan, replications=4, seed=9, attribution_replications=1)
    return test.run(tiny_population, workers=1)


@pytest.mark.slow
def test_same_seed_gives_identical_results_on_one_and_four_worker_processes(
    tiny_inline, tiny_population, action_plan
):
    test = TargetTest(action_plan, replications=4, seed=9, attribution_replications=1)
    on_four = test.run(tiny_population, workers=4)
    assert on_four.ran_on == "4 local processes"
    _same(tiny_inline, on_four)


@pytest.mark.slow
@pytest.mark.integration
def test_dask_cluster_of_worker_processes_gives_the_same_result_as_one_process(
    tiny_inline, tiny_population, action_plan
):
    from distributed import LocalCluster

    test = TargetTest(action_plan, replications=4, seed=9, attribution_replications=1)
    # Worker processes, not threads: the population really is pickled to other processes.
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask = test.run(tiny_population, scheduler=cluster.scheduler_address)
    assert on_dask.ran_on.startswith("dask scheduler")
    _same(tiny_inline, on_dask)


def test_a_different_seed_gives_different_results(target_result, population, action_plan):
    other = TargetTest(action_plan, replications=2, seed=6, attribution_replications=0)
    other = other.run(population)
    assert not np.allclose(other.yunnan.to_numpy(), target_result.yunnan.iloc[:2].to_numpy())


# --- attribution -----------------------------------------------------------------------------


def test_shapley_contributions_add_up_to_the_full_run(target_result, population, action_plan):
    contributions = target_result.contributions
    assert set(contributions["replication"]) == {0, 1}
    assert set(contributions["measure"]) == {"(none)", *action_plan.measures}
    for replication in (0, 1):
        mine = contributions[contributions["replication"] == replication]
        summed = mine.pivot_table(index="year", columns="column", values="value", aggfunc="sum")
        full = target_result.results[replication].annual[list(INCOME_COLUMNS)]
        pd.testing.assert_frame_equal(
            summed[list(INCOME_COLUMNS)], full, check_names=False, rtol=1e-9
        )
    # The counterfactual is the scenario with every measure off, with the same seed (CRN)
    # and the replication's own macro draw.
    seed = target_result.seeds[0]
    trend = target_result.trends[0]
    drawn = action_plan.with_calibration_of(target_result.results[0].parameters)
    off = simulate(drawn.without(*action_plan.measures), population, seed=seed, trend=trend)
    counterfactual = contributions[
        (contributions["replication"] == 0) & (contributions["measure"] == "(none)")
    ].pivot(index="year", columns="column", values="value")
    pd.testing.assert_frame_equal(
        counterfactual[list(INCOME_COLUMNS)],
        off.annual[list(INCOME_COLUMNS)],
        check_names=False,
    )


def test_attribution_table_shares_sum_to_one_and_bands_are_ordered(target_result, action_plan):
    table = target_result.attribution
    assert list(table.index[-1:]) == ["total"]
    assert set(table.index[:-1]) == set(action_plan.measures)
    measures = table.drop(index="total")
    assert measures["mean"].sum() == pytest.approx(table.loc["total", "mean"], rel=1e-9)
    assert measures["share_of_gain"].sum() == pytest.approx(1.0)
    sources = table.loc["total", ["wage", "operating", "property", "transfer"]].sum()
    assert sources == pytest.approx(table.loc["total", "mean"], rel=1e-9)
    assert (table["lower_95"] <= table["lower_80"] + 1e-9).all()
    assert (table["upper_80"] <= table["upper_95"] + 1e-9).all()
    assert np.isfinite(table.loc["total", "gain_per_yuan"])


# --- target figures --------------------------------------------------------------------------


def test_target_figures_follow_from_the_replications(target_result):
    r = target_result
    assert r.years == [2023, 2024]
    gap = r.yunnan[2024] - r.national[2024]
    assert r.p_target_met == pytest.approx(float((gap > 0).mean()))
    pd.testing.assert_series_equal(r.target_gap, gap, check_names=False)
    assert r.crossing.sum() == pytest.approx(1.0)
    crossed = r.crossing_year.notna()
    assert (crossed == (r.gap > 0).any(axis=1).to_numpy()).all()
    for band in r.paths.values():
        assert (band["lower_95"] <= band["lower_80"]).all()
        assert (band["lower_80"] <= band["mean"]).all()
        assert (band["upper_80"] <= band["upper_95"]).all()
    assert r.total_cost > 0
    assert (
        (r.monitoring["share_people_under_line_mean"] >= 0)
        & (r.monitoring["share_people_under_line_mean"] <= 1)
    ).all()
    assert "Probability that the poverty-alleviated population" in target_report(r)


def test_national_path_of_a_replication_does_not_depend_on_the_run_size():
    seeds = replication_seeds(9, 6)
    assert observed_series("national_net_income_alleviated", 2022).loc[2022] == 14342
    all_six = draw_macro(2022, 2024, seeds).national
    assert list(all_six.columns) == [2023, 2024]
    pd.testing.assert_frame_equal(draw_macro(2022, 2024, seeds[:2]).national, all_six.iloc[:2])
    assert all_six[2023].nunique() == 6


def test_summary_json_has_the_fields_planners_read(target_result, tmp_path):
    path = write_summary(target_result, tmp_path)

    def refuse(constant):
        raise AssertionError(f"summary.json holds {constant}")

    summary = json.loads(path.read_text(), parse_constant=refuse)
    for key in (
        "scenario",
        "p_target_met",
        "yunnan",
        "national",
        "gap",
        "cost",
        "share_under_line",
        "attribution",
    ):
        assert key in summary, key
    assert summary["scenario"] == "action_plan"
    assert summary["p_target_met"] == target_result.p_target_met
    assert set(summary["yunnan"]) == {"2023", "2024"}
    assert math.isclose(summary["gap"]["mean"], target_result.target_gap.mean())
    assert set(summary["attribution"]["by_measure"]) >= {"total"}


def test_experiments_table_holds_every_drawn_input_and_outcome(target_result):
    from simulation.uncertainties import uncertainties

    table = target_result.experiments
    assert len(table) == target_result.replications
    assert list(table["replication"]) == list(range(target_result.replications))
    # Every uncertain effect the scenario declares, as drawn by each replication.
    drawn = [u.name for u in uncertainties(target_result.scenario) if u.name.startswith("meas")]
    for name in drawn:
        lever, source = name.split(".")[1], name.split(".")[3]
        expected = [r.parameters[f"{lever}.{source}"] for r in target_result.results]
        assert table[name].tolist() == expected
        assert table[name].nunique() == target_result.replications  # drawn, not central
    assert table["calibration.shift_persistence"].nunique() == target_result.replications
    assert {"macro.common_growth_percent", "macro.national_growth_percent"} <= set(table)
    assert table["gap"].to_numpy() == pytest.approx(target_result.target_gap.to_numpy())
    assert table["target_met"].tolist() == (target_result.target_gap > 0).tolist()
    assert table["ratio"].to_numpy() == pytest.approx(
        (table["yunnan"] / table["national"]).to_numpy()
    )
    assert table["cost_yuan"].mean() == pytest.approx(target_result.total_cost, rel=1e-9)
    assert target_result.p_target_met == table["target_met"].mean()


# --- comparison and record -------------------------------------------------------------------


@pytest.mark.slow
def test_comparison_uses_common_random_numbers(population):
    paths = [SCENARIOS / "baseline.yaml", SCENARIOS / "action_plan.yaml"]
    comparison = compare_scenarios(
        paths, population, replications=3, seed=2, attribution_replications=0
    )
    table = comparison.table
    assert list(table.index) == ["baseline", "action_plan"]
    assert table.loc["baseline", "vs_first_mean"] == 0
    baseline, plan = comparison.results
    pd.testing.assert_frame_equal(baseline.national, plan.national)  # same national paths
    assert not np.allclose(baseline.yunnan.to_numpy(), plan.yunnan.to_numpy())
    assert "action_plan vs baseline" in comparison_report(comparison)


@pytest.mark.slow
def test_backtest_from_2021_compares_2022_with_the_published_figure(population_2021):
    paths = [SCENARIOS / "baseline.yaml", SCENARIOS / "action_plan.yaml"]
    table = backtest(paths, population_2021, replications=2, seed=4)
    assert list(table.index) == ["baseline", "action_plan"]
    assert (table["year"] == 2022).all()
    assert (table["published"] == 14147).all()
    assert table["error"].to_numpy() == pytest.approx((table["simulated"] - 14147).to_numpy())
    # The plan's 2022 measures are the measures in force: its first year is the baseline's.
    assert table.loc["action_plan", "simulated"] == pytest.approx(
        table.loc["baseline", "simulated"], rel=1e-9
    )
    assert "14,147" in backtest_conclusion(table)
    assert "in sample" in backtest_report(table).splitlines()[-1]  # not a validation


def test_run_record_traces_scenario_seeds_data_and_code(target_result, tmp_path):
    import mlflow

    files, run_id = record_target_test(target_result, tmp_path, data_fingerprint="abc123")
    assert {f.name for f in files} >= {
        "summary.json",
        "experiments.parquet",
        "fan_chart.png",
        "attribution.png",
    }
    parquet = pd.read_parquet(tmp_path / "experiments.parquet")
    pd.testing.assert_frame_equal(parquet, target_result.experiments, check_dtype=False)
    run = mlflow.get_run(run_id)
    scenario_file = SCENARIOS / "action_plan.yaml"
    assert run.data.params["scenario_sha256.action_plan.yaml"] == file_fingerprint(scenario_file)
    assert run.data.params["data_fingerprint"] == "abc123"
    assert run.data.params["code_version"] == code_version()
    assert run.data.metrics["p_target_met"] == target_result.p_target_met
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id)}
    assert {"summary.json", "experiments.parquet", "fan_chart.png", "seeds.json"} <= artifacts
    assert "scenario" in artifacts


def test_attribution_summary_of_known_contributions():
    """Two replications, two measures, one year: figures checked by hand."""
    rows = []
    for replication, (a, b) in enumerate([(100.0, 50.0), (300.0, 50.0)]):
        for measure, gain in (("a", a), ("b", b)):
            rows.append((replication, measure, 2024, "net_income_per_capita", gain))
            rows.append((replication, measure, 2024, "wage", gain))
            for source in ("operating", "property", "transfer"):
                rows.append((replication, measure, 2024, source, 0.0))
        rows.append((replication, "(none)", 2024, "net_income_per_capita", 10_000.0))
    contributions = pd.DataFrame(
        rows, columns=["replication", "measure", "year", "column", "value"]
    )
    cost = pd.DataFrame(
        {
            "replication": [0, 0, 1, 1],
            "measure": ["a", "b", "a", "b"],
            "year": 2024,
            "cost_yuan": [1e6, 1e6, 1e6, 0.0],
        }
    )
    table = summarise_attribution(contributions, 2024, cost, people=1_000)
    assert list(table.index) == ["a", "b", "total"]
    assert table.loc["a", "mean"] == 200 and table.loc["total", "mean"] == 250
    assert table.loc["a", "share_of_gain"] == pytest.approx(0.8)
    assert table.loc["a", "std_error"] == pytest.approx(100.0)  # sd 141.4 / sqrt(2)
    assert table.loc["a", "wage"] == 200 and table.loc["a", "operating"] == 0
    # a: 400 yuan/person x 1,000 people / 2e6 yuan; b: 100,000 / 1e6; total 500,000 / 3e6
    assert table.loc["a", "gain_per_yuan"] == pytest.approx(0.2)
    assert table.loc["b", "gain_per_yuan"] == pytest.approx(0.1)
    assert table.loc["total", "gain_per_yuan"] == pytest.approx(0.5 / 3)
    assert measure_order(7, ["x", "y", "z"]) == measure_order(7, ["x", "y", "z"])
    assert sorted(measure_order(7, ["x", "y", "z"])) == ["x", "y", "z"]


def test_a_target_year_the_scenario_does_not_simulate_is_refused(population, action_plan):
    test = TargetTest(action_plan, replications=1, target_year=2030, attribution_replications=0)
    with pytest.raises(ValueError, match="target year 2030 is not among them"):
        test.run(population)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        ReplicationRunner(population, workers=0)
