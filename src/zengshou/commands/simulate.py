"""``zengshou simulate``: run the agent-based model of the action plan and calibrate it."""

from __future__ import annotations

import click

from forecast.i18n import gettext as _
from forecast.paths import project_root  # light: no heavy dependency
from zengshou.commands.store import open_store

COMPARISON_FILES = ("comparison.csv", "comparison.png")  # besides each scenario's folder
FULL_HELP = "The whole province (households alleviated plus monitored, public_statistics)."
TARGETING_OPTION = click.option(
    "--targeting",
    type=click.Choice(["income", "risk"]),
    default=None,
    help="Monitoring targeting rule, overriding the scenario's monitoring.targeting.",
)
RISK_MODEL_OPTION = click.option(
    "--risk-model",
    type=click.Choice(["panel", "registered"]),
    default="panel",
    show_default=True,
    help="Risk targeting's model: trained on the panel (no MLflow) or the registered "
    "household-risk@champion.",
)


def population_options(*, full: bool = True, as_of: int = 2022):
    """Options that choose the starting population: a synthetic panel or a panel file."""
    options = [
        click.option(
            "--households", default=20_000, show_default=True, help="Synthetic panel size."
        ),
        *([click.option("--full", is_flag=True, help=FULL_HELP)] if full else []),
        click.option(
            "--panel", type=click.Path(exists=True, dir_okay=False), help="Panel CSV/Parquet."
        ),
        click.option(
            "--panel-seed", default=11, show_default=True, help="Seed of the synthetic panel."
        ),
        click.option("--as-of", default=as_of, show_default=True, help="Last observed year."),
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def scenario_files_option(what: str):
    """``--scenario`` (repeatable), defaulting to the baseline and the action plan."""
    return click.option(
        "--scenario",
        "scenarios",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False),
        help=f"{what} (repeatable) [default: baseline and action_plan].",
    )


def default_scenarios(scenarios) -> tuple:
    """The scenario files given, or the baseline and the action plan."""
    folder = project_root() / "scenarios"
    return tuple(scenarios) or (folder / "baseline.yaml", folder / "action_plan.yaml")


def runner_options(command):
    """Options that choose where replications run: local processes or a Dask cluster."""
    command = click.option(
        "--scheduler", default=None, help="Dask scheduler address (tcp://host:port)."
    )(command)
    return click.option(
        "--workers",
        default=1,
        show_default=True,
        type=click.IntRange(min=1),
        help="Local worker processes for the replications.",
    )(command)


def load_population(
    households: int | None, panel: str | None, panel_seed: int, as_of: int, with_frame=False
):
    """Build the starting population from a panel file or a synthetic panel.

    ``households=None`` means the whole province. With ``with_frame`` return
    ``(population, panel_frame)``. Without it, a large population comes from the disk cache
    of :mod:`simulation.cache` (built and stored the first time).
    """
    # lazy: keeps zengshou --help fast
    from forecast.provenance import file_fingerprint
    from simulation import Population
    from simulation.cache import MIN_HOUSEHOLDS, cached_population, population_key
    from simulation.population import full_province_households

    size = full_province_households() if households is None else households

    def frame():
        if panel:
            from forecast.panel import load_panel

            return load_panel(panel)
        from forecast.progress import progress_wanted
        from forecast.synthetic import synthesize_panel

        return synthesize_panel(
            size, seed=panel_seed, as_of=min(as_of, 2022), progress=progress_wanted()
        )

    if with_frame:
        rows = frame()
        return Population.from_panel(rows, as_of=as_of), rows
    if not panel and size < MIN_HOUSEHOLDS:
        return Population.from_panel(frame(), as_of=as_of)
    inputs = (
        {"panel": file_fingerprint(panel)} if panel else {"households": size, "seed": panel_seed}
    )
    return cached_population(
        population_key(**inputs, as_of=as_of), lambda: Population.from_panel(frame(), as_of=as_of)
    )


def _population_and_frame(targetings, households, panel, panel_seed, as_of):
    """The population, and its panel when a risk scorer must be trained on it (else None)."""
    if "risk" in targetings:
        return load_population(households, panel, panel_seed, as_of, with_frame=True)
    return load_population(households, panel, panel_seed, as_of), None


def read_scenarios(paths) -> list:
    """Load and validate every scenario file before any expensive work.

    Each file is read first by the core's YAML loader alone (size, aliases, UTF-8;
    :func:`forecast.sourced.load_yaml`), before the simulator is even imported, so that a
    hostile file costs nothing; then each is loaded whole, base chain and catalogue included.
    """
    # lazy: keeps zengshou --help fast; the simulator only once the files are known safe
    from forecast.sourced import read_yaml

    for path in paths:
        read_yaml(path)
    from simulation import load_scenario

    return [load_scenario(path) for path in paths]


def scorer_if_needed(targetings, frame, as_of: int, risk_model: str):
    """The risk scorer, trained or loaded once here in the parent, if any run targets risk."""
    if "risk" not in targetings:
        return None
    # lazy: keeps zengshou --help fast
    from simulation.risk import risk_scorer
    from zengshou.workflows import registered_risk_scorer

    try:
        if risk_model == "registered":
            return registered_risk_scorer(frame, as_of)
        return risk_scorer(frame, as_of, risk_model)
    except Exception as error:  # no registered model, no MLflow store, too short a panel
        raise click.ClickException(f"--risk-model {risk_model}: {error}") from error


@click.group("simulate")
def simulate() -> None:
    """Agent-based simulation (Mesa) of the action plan's measures, month by month."""


@simulate.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@population_options()
@click.option("--seed", default=1, show_default=True, help="Seed of the replication.")
@click.option("--central", is_flag=True, help="Central effect sizes instead of draws.")
@click.option("--months", type=int, default=None, help="Months to run (default: to 2024).")
@click.option(
    "--replications",
    type=click.IntRange(min=1),
    default=None,
    help="Monte Carlo target test over R replications (default: one replication).",
)
@click.option("--out", type=click.Path(file_okay=False), help="Where summary.json and plots go.")
@runner_options
@click.option(
    "--attribution-replications",
    type=click.IntRange(min=0),
    default=None,
    help="Replications that also compute the Shapley attribution [default: 20].",
)
@TARGETING_OPTION
@RISK_MODEL_OPTION
def run(
    scenario,
    households,
    full,
    panel,
    panel_seed,
    as_of,
    seed,
    central,
    months,
    replications,
    out,
    workers,
    scheduler,
    attribution_replications,
    targeting,
    risk_model,
) -> None:
    """Run SCENARIO: one replication (monthly means by source, annual figures), or with
    --replications the Monte Carlo test of the 2024 target (report, summary.json, plots,
    MLflow record)."""
    if replications is not None and months is not None:
        raise click.UsageError("--months cannot be combined with --replications")
    (spec,) = read_scenarios([scenario])
    # lazy: keeps zengshou --help fast
    from simulation import simulate as simulate_one
    from simulation.report import format_replication

    if targeting is not None:
        spec = spec.with_targeting(targeting)
    if replications is not None:
        _check_out_dir(out, spec.name)
        open_store()
    population, frame = _population_and_frame(
        {spec.targeting}, None if full else households, panel, panel_seed, as_of
    )
    scorer = scorer_if_needed({spec.targeting}, frame, as_of, risk_model)
    if replications is not None:
        _target_test(
            spec,
            scenario,
            population,
            replications,
            seed,
            not central,
            out,
            workers,
            scheduler,
            attribution_replications,
            scorer,
        )
        return
    result = simulate_one(
        spec, population, seed=seed, draw_parameters=not central, months=months, risk_scorer=scorer
    )
    click.echo(format_replication(result))


@simulate.command()
@click.option(
    "--scenario",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="The policies in force in the calibration year [default: scenarios/baseline.yaml].",
)
@click.option("--year", default=2022, show_default=True, help="Year of the published composition.")
@click.option("--households", default=20_000, show_default=True, help="Synthetic panel size.")
@click.option("--panel", type=click.Path(exists=True, dir_okay=False), help="Panel CSV/Parquet.")
@click.option("--panel-seed", default=11, show_default=True)
@click.option("--seed", default=0, show_default=True, help="Seed of the calibration runs.")
@click.option("--write", is_flag=True, help="Write the posterior to the calibration file.")
def calibrate(scenario, year, households, panel, panel_seed, seed, write) -> None:
    """Fit the four sources' shifts (with a Laplace posterior) so that, from the year before,
    the policies in force reproduce the published composition of YEAR; print the table."""
    from pathlib import Path

    (spec,) = read_scenarios([scenario or project_root() / "scenarios" / "baseline.yaml"])
    # lazy: keeps zengshou --help fast
    from simulation.calibration import calibrate as fit
    from simulation.calibration import write_calibration

    population = load_population(households, panel, panel_seed, as_of=year - 1)
    try:
        result = fit(spec, population, seed=seed)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Calibration: as of {year - 1}, {spec.name}, simulated {year} against the published "
        "composition (in sample for that year)"
    )
    for name, mean, sd in zip(
        ("wage", "operating", "property = transfer"),
        result.posterior.mean,
        result.posterior.sd,
        strict=True,
    ):
        click.echo(f"  {name} shift = {mean:+.4f} (posterior sd {sd:.4f}) log points/year")
    click.echo(f"  optimiser: scipy least_squares, {result.evaluations} evaluations")
    click.echo(result.table.to_string(float_format=lambda v: f"{v:,.4f}"))
    click.echo("all within tolerance" if result.within_tolerance else "NOT within tolerance")
    if write:
        path = Path(spec.calibration_path)
        note = (
            f"panel {'file ' + panel if panel else f'synthetic n={households} seed={panel_seed}'}"
        )
        write_calibration(result, path, note)
        click.echo(f"wrote {path}")


# --- Monte Carlo: target test, comparison, backtest (simulation.montecarlo) -----------------


def _show_progress() -> bool:
    from forecast.progress import progress_wanted

    return progress_wanted()


def _out_dir(out: str | None, name: str):
    from pathlib import Path

    # lazy: keeps zengshou --help fast
    from forecast.paths import generated_dir

    return Path(out) if out else generated_dir() / "runs" / name


def _check_out_dir(out: str | None, name: str, legacy=None) -> None:
    """Refuse, before any work, an output folder that is not zengshou's to replace."""
    # lazy: keeps zengshou --help fast
    from forecast.outputs import check_output_folder
    from simulation.montecarlo.record import TARGET_TEST_FILES

    check_output_folder(_out_dir(out, name), TARGET_TEST_FILES if legacy is None else legacy)


def _target_test(
    spec,
    scenario_file,
    population,
    replications,
    seed,
    draw_parameters,
    out,
    workers,
    scheduler,
    attribution_replications,
    risk_scorer=None,
) -> None:
    """Run, report, write and record the Monte Carlo target test of one scenario."""
    # lazy: keeps zengshou --help fast
    from forecast.provenance import population_fingerprint
    from simulation.montecarlo import TargetTest
    from simulation.montecarlo.record import record_target_test
    from simulation.montecarlo.report import target_report

    test = TargetTest(
        spec,
        replications=replications,
        seed=seed,
        attribution_replications=attribution_replications,
        draw_parameters=draw_parameters,
        scenario_path=scenario_file,
        risk_scorer=risk_scorer,
    )
    result = test.run(population, workers=workers, scheduler=scheduler, progress=_show_progress())
    click.echo(target_report(result))
    files, run_id = record_target_test(
        result,
        _out_dir(out, spec.name),
        data_fingerprint=population_fingerprint(population),
        params={
            "draw_parameters": draw_parameters,
            "workers": workers,
            "targeting": spec.targeting,
        },
    )
    click.echo(f"\nwrote {', '.join(str(f) for f in files)}")
    click.echo(f"MLflow run {run_id} (experiment simulation-target-test)")


@simulate.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--replications", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True, help="Seed shared by every scenario.")
@population_options()
@click.option("--out", type=click.Path(file_okay=False), help="Where table and plot go.")
@runner_options
@click.option(
    "--attribution-replications",
    type=click.IntRange(min=0),
    default=None,
    help="Replications per scenario that compute gain per yuan [default: 20].",
)
@TARGETING_OPTION
@RISK_MODEL_OPTION
def compare(
    scenarios,
    replications,
    seed,
    households,
    full,
    panel,
    panel_seed,
    as_of,
    out,
    workers,
    scheduler,
    attribution_replications,
    targeting,
    risk_model,
) -> None:
    """Run SCENARIOS with common random numbers and print them side by side."""
    specs = read_scenarios(scenarios)
    # lazy: keeps zengshou --help fast
    from forecast.outputs import output_folder, write_manifest
    from forecast.provenance import code_version, file_fingerprint, population_fingerprint
    from simulation.montecarlo import compare_scenarios
    from simulation.montecarlo.plots import comparison_chart
    from simulation.montecarlo.record import TARGET_TEST_FILES, record_target_test
    from simulation.montecarlo.report import comparison_report

    legacy = (*TARGET_TEST_FILES, *COMPARISON_FILES)
    _check_out_dir(out, "compare", legacy)
    open_store()
    rules = {targeting} if targeting else {spec.targeting for spec in specs}
    population, frame = _population_and_frame(
        rules, None if full else households, panel, panel_seed, as_of
    )
    scorer = scorer_if_needed(rules, frame, as_of, risk_model)
    comparison = compare_scenarios(
        scenarios,
        population,
        replications=replications,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        attribution_replications=attribution_replications,
        progress=_show_progress(),
        targeting=targeting,
        risk_scorer=scorer,
    )
    click.echo(comparison_report(comparison))
    folder = _out_dir(out, "compare")
    fingerprint = population_fingerprint(population)
    run_ids = {}
    with output_folder(folder, legacy) as staging:  # the whole comparison, or nothing
        comparison.table.to_csv(staging / "comparison.csv")
        chart = comparison_chart(comparison)
        chart.savefig(staging / "comparison.png", dpi=110, bbox_inches="tight")
        for result in comparison.results:  # each scenario's summary, plots and MLflow run
            _files, run_ids[result.name] = record_target_test(
                result,
                staging / result.name,
                data_fingerprint=fingerprint,
                params={
                    "compared_with": ",".join(r.name for r in comparison.results),
                    "workers": workers,
                    "targeting": result.scenario.targeting,
                },
            )
        write_manifest(
            staging,
            run_ids=run_ids,
            scenario_sha256={str(p): file_fingerprint(p) for p in scenarios},
            seed=seed,
            code_version=code_version(),
        )
    click.echo(f"\nwrote {folder / 'comparison.csv'}, {folder / 'comparison.png'}")
    for name, run_id in run_ids.items():
        click.echo(f"{name}: {folder / name}/summary.json, MLflow run {run_id}")


@simulate.command()
@scenario_files_option("Scenario to backtest")
@click.option("--replications", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True)
@population_options(full=False, as_of=2021)
@runner_options
def backtest(
    scenarios, replications, seed, households, panel, panel_seed, as_of, workers, scheduler
) -> None:
    """In-sample check of scenarios/calibration.yaml: from an earlier as-of year, simulate
    the next year and compare with the published figure (as of 2021: 2022 against 14,147
    yuan). The out-of-sample test is `simulate validate`."""
    # lazy: keeps zengshou --help fast
    from simulation.montecarlo import backtest as run_backtest
    from simulation.montecarlo.report import backtest_report

    paths = default_scenarios(scenarios)
    read_scenarios(paths)
    population = load_population(households, panel, panel_seed, as_of)
    table = run_backtest(
        paths,
        population,
        replications=replications,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        progress=_show_progress(),
    )
    click.echo(_("cli.backtest.head", as_of=as_of, replications=replications, seed=seed))
    click.echo(backtest_report(table))


@simulate.command()
@scenario_files_option("Scenario simulated from the origin")
@click.option("--replications", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True)
@click.option("--households", default=20_000, show_default=True, help="Synthetic panel size.")
@click.option("--panel-seed", default=11, show_default=True, help="Seed of the synthetic panel.")
@click.option(
    "--origin",
    default=2021,
    show_default=True,
    help="Origin of the simulation (everything is refitted with no later value).",
)
@click.option(
    "--series-origin",
    "series_origins",
    multiple=True,
    type=int,
    help="Origins of the series predictions (repeatable) [default: 2019, 2020, 2021].",
)
@click.option("--out", type=click.Path(file_okay=False), help="Where validation.json goes.")
@runner_options
def validate(
    scenarios,
    replications,
    seed,
    households,
    panel_seed,
    origin,
    series_origins,
    out,
    workers,
    scheduler,
) -> None:
    """Out-of-sample validation: replay pseudo-real time from each origin, refitting every
    part that learns from data with no later value, and score the predictions of the years
    published since (Yunnan and the nation from 2021; the rural series from 2019-2021)."""
    # lazy: keeps zengshou --help fast
    from forecast.provenance import population_fingerprint
    from simulation import Population
    from simulation.montecarlo.record import VALIDATION_FILES, record_validation
    from simulation.montecarlo.report import validation_report
    from simulation.montecarlo.validation import (
        SERIES_ORIGINS,
        Validation,
        validate_series,
        validate_simulation,
        validation_population_frame,
    )

    paths = default_scenarios(scenarios)
    read_scenarios(paths)
    _check_out_dir(out, "validation", VALIDATION_FILES)
    open_store()
    population = Population.from_panel(
        validation_population_frame(households, panel_seed, origin), as_of=origin
    )
    try:
        simulation = validate_simulation(
            paths,
            population,
            replications=replications,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            progress=_show_progress(),
        )
        series = validate_series(series_origins or SERIES_ORIGINS, progress=_show_progress())
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    validation = Validation(series, simulation, replications, seed, households)
    click.echo(validation_report(validation))
    path, run_id = record_validation(
        validation,
        _out_dir(out, "validation"),
        scenario_files=paths,
        params={
            "origin": origin,
            "series_origins": ",".join(str(o) for o in (series_origins or SERIES_ORIGINS)),
            "panel_seed": panel_seed,
        },
        data_fingerprint=population_fingerprint(population),
    )
    click.echo(f"\nwrote {path}\nMLflow run {run_id} (experiment simulation-validation)")


@simulate.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--min-probability",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Probability of meeting the 2024 target the mix must reach.",
)
@click.option("--budget", type=click.FloatRange(min=0, min_open=True), help="Cost ceiling (yuan).")
@click.option(
    "--max-under-line",
    type=click.FloatRange(0, 1),
    help="Ceiling on the 2024 share of people under the monitoring line.",
)
@click.option("--trials", default=150, show_default=True, type=click.IntRange(min=1))
@population_options()
@click.option("--seed", default=1, show_default=True, help="Seed of replications and sampler.")
@click.option("--sampler", type=click.Choice(["tpe", "nsga2"]), default="tpe", show_default=True)
@click.option(
    "--batch", default=8, show_default=True, type=click.IntRange(min=1), help="Mixes per batch."
)
@click.option(
    "--screen-replications",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Replications of every mix.",
)
@click.option(
    "--rungs",
    default=2,
    show_default=True,
    type=click.IntRange(min=0),
    help="Successive halving: each rung keeps the best 1/eta on eta times more replications.",
)
@click.option("--eta", default=3, show_default=True, type=click.IntRange(min=2))
@click.option(
    "--final-replications",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="Fresh replications of each finalist (the reported P and its standard error).",
)
@click.option("--finalists", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--central", is_flag=True, help="Central effect sizes instead of draws.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder of the files and the Optuna storage (optuna.db): run again to resume.",
)
@runner_options
def optimize(
    scenario,
    min_probability,
    budget,
    max_under_line,
    trials,
    households,
    full,
    panel,
    panel_seed,
    as_of,
    seed,
    sampler,
    batch,
    screen_replications,
    rungs,
    eta,
    final_replications,
    finalists,
    central,
    out,
    workers,
    scheduler,
) -> None:
    """Search the cheapest mix of measures around SCENARIO that meets the 2024 target with
    at least --min-probability (within --budget and --max-under-line), and the
    cost-probability frontier: report, frontier table/plot/json, recommended.yaml, MLflow
    record. Interrupted, the same command resumes from OUT/optuna.db."""
    # lazy: keeps zengshou --help fast
    from forecast.provenance import population_fingerprint
    from simulation import ScenarioError, load_scenario
    from simulation.optimize import Constraints, Settings
    from simulation.optimize import optimize as search
    from simulation.optimize.record import record_optimization
    from simulation.optimize.report import optimization_report

    try:
        spec = load_scenario(scenario)
        constraints = Constraints(min_probability, budget, max_under_line)
        settings = Settings(
            trials=trials,
            batch=batch,
            screen_replications=screen_replications,
            eta=eta,
            rungs=rungs,
            final_replications=final_replications,
            finalists=finalists,
            sampler=sampler,
            draw_parameters=not central,
        )
    except (ScenarioError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    folder = _out_dir(out, f"optimize-{spec.name}")
    population = load_population(None if full else households, panel, panel_seed, as_of)
    try:
        opt = search(
            spec,
            population,
            folder / "optuna.db",
            constraints=constraints,
            settings=settings,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            progress=_show_progress(),
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    files, run_id = record_optimization(
        opt,
        folder,
        data_fingerprint=population_fingerprint(population),
        params={"workers": workers, "panel_seed": panel_seed},
    )
    click.echo(optimization_report(opt, run_id))
    click.echo(f"\nwrote {', '.join(str(f) for f in files)}")
    click.echo(f"MLflow run {run_id} (experiment simulation-optimize)")


# --- what the answer hinges on: sensitivity and discovery (simulation.sensitivity) ----------


@simulate.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--method",
    type=click.Choice(["morris", "sobol"]),
    default="morris",
    show_default=True,
    help="morris: screen every uncertain input; sobol: screen, then first-order and total "
    "indices of the --top inputs.",
)
@click.option(
    "--trajectories",
    default=10,
    show_default=True,
    type=click.IntRange(min=2),
    help="Morris trajectories (each moves every input once).",
)
@click.option(
    "--top", default=8, show_default=True, type=click.IntRange(min=1), help="Inputs for Sobol."
)
@click.option(
    "--samples",
    default=32,
    show_default=True,
    type=click.IntRange(min=2),
    help="Sobol base sample (a power of two): samples x (top + 2) runs.",
)
@click.option(
    "--replications",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Replications per sample, on the same seeds for every sample.",
)
@population_options()
@click.option("--seed", default=1, show_default=True, help="Seed of replications and designs.")
@click.option("--out", type=click.Path(file_okay=False), help="Folder of the files written.")
@runner_options
def sensitivity(
    scenario,
    method,
    trajectories,
    top,
    samples,
    replications,
    households,
    full,
    panel,
    panel_seed,
    as_of,
    seed,
    out,
    workers,
    scheduler,
) -> None:
    """Rank SCENARIO's uncertain inputs (every range of its YAML and the calibration
    posterior) by their effect on P(target), the 2024 gap and the share under the line:
    report, sensitivity.json/.csv/.png, MLflow record."""
    (spec,) = read_scenarios([scenario])
    # lazy: keeps zengshou --help fast
    from forecast.provenance import population_fingerprint
    from simulation.sensitivity.analysis import run_sensitivity
    from simulation.sensitivity.record import SENSITIVITY_EXPERIMENT, record_sensitivity
    from simulation.sensitivity.report import sensitivity_report

    if method == "sobol" and samples & (samples - 1):
        raise click.BadParameter(f"{samples} is not a power of two", param_hint="--samples")
    open_store()
    population = load_population(None if full else households, panel, panel_seed, as_of)
    try:
        found = run_sensitivity(
            spec,
            population,
            method,
            trajectories=trajectories,
            top=top,
            samples=samples,
            replications=replications,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            progress=_show_progress(),
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    files, run_id = record_sensitivity(
        found,
        _out_dir(out, f"sensitivity-{spec.name}"),
        data_fingerprint=population_fingerprint(population),
        params={"workers": workers, "panel_seed": panel_seed},
    )
    click.echo(sensitivity_report(found))
    click.echo(f"\nwrote {', '.join(str(f) for f in files)}")
    click.echo(f"MLflow run {run_id} (experiment {SENSITIVITY_EXPERIMENT})")


@simulate.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--experiments",
    "experiments_file",
    type=click.Path(exists=True, dir_okay=False),
    help="An experiments.parquet of a target test of SCENARIO to read instead of a new run.",
)
@click.option(
    "--replications",
    default=200,
    show_default=True,
    type=click.IntRange(min=20),
    help="Futures of the new run (one replication each).",
)
@click.option(
    "--boxes", default=2, show_default=True, type=click.IntRange(min=1), help="At most this many."
)
@click.option(
    "--min-density",
    default=None,
    type=click.FloatRange(0, 1),
    help="The box kept from each peeling trajectory: the largest coverage at this density "
    "[default: 0.8, or halfway to 1 from the share of futures meeting the target when that "
    "share is higher].",
)
@population_options()
@click.option("--seed", default=1, show_default=True, help="Seed of the replications.")
@click.option("--out", type=click.Path(file_okay=False), help="Folder of the files written.")
@runner_options
def discover(
    scenario,
    experiments_file,
    replications,
    boxes,
    min_density,
    households,
    full,
    panel,
    panel_seed,
    as_of,
    seed,
    out,
    workers,
    scheduler,
) -> None:
    """Find the boxes of inputs in which SCENARIO meets the 2024 target (PRIM), with their
    coverage and density, in plain language: report, boxes.json, peeling.png, MLflow record."""
    (spec,) = read_scenarios([scenario])
    # lazy: keeps zengshou --help fast
    import pandas as pd

    from forecast.provenance import file_fingerprint, population_fingerprint
    from simulation.montecarlo import TargetTest
    from simulation.sensitivity.discovery import discover as find
    from simulation.sensitivity.record import DISCOVERY_EXPERIMENT, record_discovery
    from simulation.sensitivity.report import discovery_report

    open_store()
    seeds, own, households_used = [], None, None
    if experiments_file:
        try:
            table = pd.read_parquet(experiments_file)
        except Exception as error:  # not Parquet, unreadable
            raise click.ClickException(
                f"{experiments_file}: not a Parquet table ({error})"
            ) from error
        if "scenario" in table and set(table["scenario"].astype(str)) != {spec.name}:
            names = sorted(set(table["scenario"].astype(str)))
            raise click.ClickException(
                f"{experiments_file}: scenario: holds {names}, not {spec.name!r}"
            )
        fingerprint, source = file_fingerprint(experiments_file), str(experiments_file)
        seeds = [int(s) for s in table.get("seed", [])]
    else:
        population = load_population(None if full else households, panel, panel_seed, as_of)
        result = TargetTest(spec, replications, seed, attribution_replications=0).run(
            population, workers=workers, scheduler=scheduler, progress=_show_progress()
        )
        table = own = result.experiments
        seeds, households_used = result.seeds, result.households
        fingerprint, source = population_fingerprint(population), "its own target test"
    try:
        found = find(table, spec, boxes=boxes, min_density=min_density)
    except ValueError as error:
        raise click.ClickException(f"{experiments_file or 'experiments'}: {error}") from error
    found.households, found.seed, found.experiments_source = households_used, seed, source
    files, run_id = record_discovery(
        found,
        _out_dir(out, f"discover-{spec.name}"),
        scenario_file=scenario,
        experiments=own,
        seeds=seeds,
        data_fingerprint=fingerprint,
        params={"workers": workers, "panel_seed": panel_seed},
    )
    click.echo(discovery_report(found))
    click.echo(f"\nwrote {', '.join(str(f) for f in files)}")
    click.echo(f"MLflow run {run_id} (experiment {DISCOVERY_EXPERIMENT})")
