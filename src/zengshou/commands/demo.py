"""``zengshou demo``: the whole chain on embedded defaults (what ``make demo`` runs).

Synthetic panel -> income forecasters backtested and registered -> national trajectory ->
risk model trained and registered -> action plan and baseline simulated against the national
level -> the probability that the 2024 target is met. Every step is recorded in MLflow.
"""

from __future__ import annotations

import time

import click


def _step(number: int, text: str) -> float:
    click.echo(f"\n{number}. {text}")
    return time.perf_counter()


def _done(started: float) -> None:
    click.echo(f"   ({time.perf_counter() - started:.0f} s)")


@click.command()
@click.option(
    "--households", default=20_000, show_default=True, help="Households in the synthetic panel."
)
@click.option(
    "--replications", default=100, show_default=True, help="Monte Carlo replications per scenario."
)
@click.option("--seed", default=1, show_default=True, help="Seed for every random draw of the run.")
@click.option(
    "--workers", default=2, show_default=True, help="Local worker processes for the replications."
)
def demo(households: int, replications: int, seed: int, workers: int) -> None:
    """Run the whole chain on embedded defaults and print whether the 2024 target is reachable."""
    import pandas as pd

    # lazy: keeps zengshou --help fast
    from forecast import tracking
    from forecast.backtesting import backtest, summarize
    from forecast.calibration import calibration_report, format_report
    from forecast.forecasters import make_forecaster
    from forecast.paths import generated_dir, project_root
    from forecast.progress import progress_bar, progress_wanted
    from forecast.synthetic import synthesize_panel
    from forecast.targets import FORECASTERS, NATIONAL_SERIES, chosen_model, published_series
    from zengshou.workflows import train_and_register

    tracking.configure()  # at start-up: refuse a copied store, sweep runs of killed processes
    click.echo(
        f"zengshou demo: {households:,} households, seed {seed}; MLflow store {tracking.tracking_uri()}"
    )
    started = _step(1, "Synthetic Yunnan panel, calibrated to published statistics")
    progress = progress_wanted()
    panel = synthesize_panel(households, seed=seed, as_of=2022, progress=progress)
    path = generated_dir() / f"demo-panel-{households}-s{seed}.parquet"
    panel.to_parquet(path, index=False)
    click.echo(f"   written to {path.relative_to(project_root())}")
    click.echo(format_report(calibration_report(panel)))
    _done(started)

    started = _step(
        2,
        "Household income forecasters: backtest (2019-2022, one year ahead) and register the best",
    )
    keys = dict(id_col="household_id", time_col="year", target="net_income_per_capita")
    results = backtest(
        panel, **keys, models=["naive", "drift", "mixed"], random_state=seed, progress=progress
    )
    table = summarize(results)
    with pd.option_context("display.width", 120):
        click.echo(table[["mae", "coverage_80", "coverage_95", "width_80"]].round(3).to_string())
    best = table.index[0]
    with progress_bar(description="MLflow record", total=3, enabled=progress) as bar:
        bar.set_postfix_str(f"refit {best}")
        fitted = make_forecaster(best, **keys, random_state=seed).fit(panel)
        bar.update()
        bar.set_postfix_str("log backtest")
        tracking.log_forecast_backtest(
            results, panel, {**keys, "models": "naive,drift,mixed", "seed": seed}, best_model=fitted
        )
        bar.update()
        bar.set_postfix_str("register")
        tracking.log_forecast_training(
            fitted, panel, registered_model_name="household-income-forecast"
        )
        bar.update()
    click.echo(f"   best model '{best}' registered as household-income-forecast")
    _done(started)

    started = _step(
        3,
        "The moving target: national per-capita net income of the same population, "
        "by the model a backtest of every published series chooses",
    )
    choice = chosen_model(2022, progress=progress)
    click.echo(f"   chosen: {choice.model} ({choice.rule})")
    click.echo(choice.table.loc[2].round(3).to_string())
    national = FORECASTERS[choice.model](published_series(), NATIONAL_SERIES, 2022, 2024)
    click.echo(national.round(0).to_string())
    _done(started)

    started = _step(
        4, "Return-to-poverty risk model: train on years to 2020, evaluate 2021->2022, register"
    )
    trained = train_and_register(
        panel, panel_source=str(path), random_state=seed, progress=progress
    )
    summary = trained["metrics"]["summary"]
    with pd.option_context("display.width", 140):
        click.echo(summary.round(3).to_string())
    click.echo(f"   registered household-risk version {trained['version']}")
    _done(started)

    started = _step(
        5,
        f"Action plan and baseline simulated from as-of 2022 to December 2024: "
        f"{replications} replications each, common random numbers, against national paths",
    )
    from forecast.provenance import population_fingerprint
    from simulation import Population
    from simulation.montecarlo import compare_scenarios
    from simulation.montecarlo.record import record_target_test
    from simulation.montecarlo.report import comparison_report, target_report

    population = Population.from_panel(panel, as_of=2022)
    scenarios = [
        project_root() / "scenarios" / f"{name}.yaml" for name in ("baseline", "action_plan")
    ]
    comparison = compare_scenarios(
        scenarios,
        population,
        replications=replications,
        seed=seed,
        workers=workers,
        progress=progress,
    )
    out = generated_dir() / f"demo-run-s{seed}"
    fingerprint = population_fingerprint(population)
    for result in comparison.results:
        record_target_test(result, out / result.name, data_fingerprint=fingerprint)
    _done(started)
    click.echo("\n" + target_report(comparison.results[-1]))
    click.echo("\n" + comparison_report(comparison))
    click.echo(
        f"\nsummary.json and plots: {out.relative_to(project_root())}/; runs recorded in MLflow"
    )
