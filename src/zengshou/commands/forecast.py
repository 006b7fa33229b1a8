"""``zengshou forecast``: panel backtests and training (tracked in MLflow), national targets."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from zengshou.commands.store import open_store


@click.group()
def forecast() -> None:
    """Income forecasts: backtest and train panel models, forecast published series."""


def _split(values: tuple[str, ...]) -> list[str]:
    """Names given as repeated options and/or comma-separated lists."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _read_table(path: Path):
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise click.BadParameter(f"{path}: expected a .parquet or .csv file", param_hint="--panel")
    try:
        return pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
    except (ValueError, OSError) as error:  # truncated, not a table, not UTF-8 (ValueErrors)
        kind = "Parquet" if suffix == ".parquet" else "CSV"
        raise click.ClickException(f"{path}: not a readable {kind} table: {error}") from None


def _panel_options(command):
    options = [
        click.option(
            "--panel",
            "panel_path",
            required=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Long panel, CSV or Parquet: one row per unit and period.",
        ),
        click.option("--id-col", default="household_id", show_default=True, help="Unit column."),
        click.option("--time-col", default="year", show_default=True, help="Period column."),
        click.option(
            "--target", default="net_income_per_capita", show_default=True, help="Target column."
        ),
        click.option(
            "--features", multiple=True, help="Covariate columns (comma-separated or repeated)."
        ),
        click.option("--horizon", default=1, show_default=True, help="Periods ahead."),
        click.option("--seed", default=0, show_default=True, help="random_state of the models."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@forecast.command()
@_panel_options
@click.option(
    "--models",
    multiple=True,
    help="Models to compare (naive, drift, mixed, hgb; default all). naive is always included.",
)
@click.option("--min-train-periods", default=3, show_default=True)
@click.option(
    "--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write table."
)
@click.option("--mlflow/--no-mlflow", "track", default=True, show_default=True)
def backtest(
    panel_path: Path,
    id_col: str,
    time_col: str,
    target: str,
    features: tuple[str, ...],
    horizon: int,
    seed: int,
    models: tuple[str, ...],
    min_train_periods: int,
    json_out: Path | None,
    track: bool,
) -> None:
    """Rolling-origin backtest of panel forecasters on any long panel; prints the table."""
    panel = _read_table(panel_path)  # an unreadable file is refused before MLflow is imported
    if track:
        open_store()
    import pandas as pd

    # lazy: keeps zengshou --help fast
    from forecast import tracking
    from forecast.backtesting import backtest as run_backtest
    from forecast.backtesting import summarize
    from forecast.forecasters import make_forecaster
    from forecast.outputs import output_file
    from forecast.progress import progress_bar, progress_wanted

    feature_list = _split(features) or None
    model_list = _split(models) or None
    try:
        results = run_backtest(
            panel,
            id_col=id_col,
            time_col=time_col,
            target=target,
            features=feature_list,
            horizon=horizon,
            models=model_list,
            min_train_periods=min_train_periods,
            random_state=seed,
            progress=progress_wanted(),
        )
    except (KeyError, ValueError) as error:
        click.echo(f"{panel_path}: {error}", err=True)
        sys.exit(2)
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        click.echo(results.round(4).to_string(index=False))
        click.echo("\nmean over origins:")
        click.echo(summarize(results).round(4).to_string())
    if json_out:
        with output_file(json_out) as staging:  # whole or not at all
            staging.write_text(results.to_json(orient="records", indent=1))
        click.echo(f"wrote {json_out}")
    if track:
        best = summarize(results).index[0]
        bar = progress_bar(description="MLflow record", total=2, enabled=progress_wanted())
        bar.set_postfix_str(f"refit {best} on the whole panel")
        fitted = make_forecaster(
            best,
            id_col=id_col,
            time_col=time_col,
            target=target,
            features=feature_list,
            random_state=seed,
        ).fit(panel)
        bar.update()
        bar.set_postfix_str("log")
        params = dict(
            panel=str(panel_path),
            id_col=id_col,
            time_col=time_col,
            target=target,
            features=feature_list,
            horizon=horizon,
            models=model_list or "all",
            min_train_periods=min_train_periods,
            seed=seed,
        )
        run_id = tracking.log_forecast_backtest(results, panel, params, best_model=fitted)
        bar.update()
        bar.close()
        click.echo(f"MLflow run {run_id} ({tracking.tracking_uri()})")


@forecast.command()
@_panel_options
@click.option("--model", "model_name", default="hgb", show_default=True, help="Model to fit.")
@click.option("--register", help="Register the model under this name in the MLflow registry.")
def train(
    panel_path: Path,
    id_col: str,
    time_col: str,
    target: str,
    features: tuple[str, ...],
    horizon: int,
    seed: int,
    model_name: str,
    register: str | None,
) -> None:
    """Fit one forecaster on a panel file and log it, with its data fingerprint, to MLflow."""
    import time

    # lazy: keeps zengshou --help fast
    from forecast import tracking
    from forecast.forecasters import make_forecaster
    from forecast.progress import progress_bar, progress_wanted

    panel = _read_table(panel_path)
    open_store()
    bar = progress_bar(description=f"fit {model_name}", total=2, enabled=progress_wanted())
    try:
        model = make_forecaster(
            model_name,
            id_col=id_col,
            time_col=time_col,
            target=target,
            features=_split(features) or None,
            random_state=seed,
        )
        started = time.perf_counter()
        model.fit(panel)
    except (KeyError, ValueError) as error:
        bar.close()
        click.echo(f"{panel_path}: {error}", err=True)
        sys.exit(2)
    fit_seconds = time.perf_counter() - started
    bar.update()
    bar.set_postfix_str("MLflow record")
    run_id = tracking.log_forecast_training(
        model,
        panel,
        horizon=horizon,
        metrics={"fit_seconds": fit_seconds, "n_calibration": model.n_calibration_},
        registered_model_name=register,
    )
    bar.update()
    bar.close()
    click.echo(
        f"fitted {model_name} on {model.n_units_:,} units in {fit_seconds:.1f} s; "
        f"MLflow run {run_id} ({tracking.tracking_uri()})"
    )


@forecast.command()
@click.argument("name")
@click.option("--until", type=int, help="Use values up to this year only (to replay the past).")
@click.option("--since", type=int, help="Use values from this year only.")
@click.option("--horizon", default=2, show_default=True, help="Years ahead.")
@click.option("--backtest", "with_backtest", is_flag=True, help="Also replay on its own past.")
def series(
    name: str, until: int | None, since: int | None, horizon: int, with_backtest: bool
) -> None:
    """Forecast the published yearly series NAME (see data/public_statistics.yaml)."""
    # lazy: keeps zengshou --help fast
    from forecast.series import backtest_series, fit_growth, forecast_series, load_series

    try:
        values = load_series(name).loc[since:until]
        model = fit_growth(values)
        table = forecast_series(values, horizon)
    except (KeyError, ValueError) as error:
        click.echo(f"{name}: {error.args[0] if error.args else error}", err=True)
        sys.exit(2)
    click.echo(f"{name}: {', '.join(f'{y}: {v:,.0f}' for y, v in values.items())}")
    click.echo(
        f"log growth drift {model.drift:.4f}/yr, sd {model.variance**0.5:.4f} "
        f"(pooled dof {model.dof:g}, prior sd {model.prior_variance**0.5:.4f})"
    )
    click.echo(table.round(0).to_string())
    if with_backtest:
        click.echo("\nbacktest on its own past:")
        click.echo(backtest_series(values).round(3).to_string(index=False))


@forecast.command()
@click.option("--backtest", "with_backtest", is_flag=True, help="Print the backtest tables.")
@click.option("--until", type=int, help="Read no value after this year (replay the past).")
@click.option(
    "--horizon",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Years ahead the model is chosen on (backtested at 1..HORIZON).",
)
@click.option(
    "--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write results."
)
@click.option("--track/--no-track", default=True, show_default=True, help="Log to MLflow.")
def targets(
    with_backtest: bool, until: int | None, horizon: int, json_out: Path | None, track: bool
) -> None:
    """Forecast both sides of the 2024 target with four models; choose one by a backtest.

    The models (drift, macro, ratio, local_trend; see forecast.targets) are replayed at every
    origin of every published series with 4+ values; the chosen model has the lowest MAE at
    HORIZON among those whose 80 % intervals cover 70-90 % of the outcomes.
    """
    import json

    import pandas as pd

    # lazy: keeps zengshou --help fast
    from forecast import target_report, targets
    from forecast.macro import cut
    from forecast.outputs import output_file
    from forecast.progress import progress_wanted

    if track:
        open_store()
    data = {
        name: cut(values, until) if until is not None else values
        for name, values in targets.published_series().items()
    }
    data = {name: values for name, values in data.items() if not values.empty}
    cases = targets.backtest_targets(
        data, until=until, horizons=tuple(range(1, horizon + 1)), progress=progress_wanted()
    )
    # The choice compares models on the cases all of them forecast; early origins have none.
    if cases.empty or horizon not in targets.model_table(cases).index.get_level_values(0):
        click.echo(
            f"no case at horizon {horizon} that every model forecasts with values up to "
            f"{until}: nothing to choose a model on",
            err=True,
        )
        sys.exit(2)
    choice = targets.choose_model(cases, horizon=horizon, until=until)
    judged = target_report.verdict(choice, horizon)
    origin = until if until is not None else max(int(s.index.max()) for s in data.values())
    forecasts = target_report.target_forecasts(data, origin)
    by_series = target_report.series_table(cases, horizon)

    with pd.option_context("display.width", 140, "display.max_columns", 20):
        if with_backtest:
            _echo_backtest(cases, choice.table, by_series, horizon)
        else:
            _echo_forecasts(data, forecasts, choice.model, origin)
    click.echo(f"\nchosen model: {choice.model} ({choice.rule})")
    click.echo(judged.sentence())

    summary = target_report.summary(cases, choice, horizon, forecasts)
    if json_out:
        with output_file(json_out) as staging:  # whole or not at all
            staging.write_text(json.dumps(summary, indent=1))
        click.echo(f"wrote {json_out}")
    if track:
        _log_targets(cases, choice, summary, data, by_series, forecasts, until, horizon)


def _echo_backtest(cases, table, by_series, horizon: int) -> None:
    """The model table and the per-series MAE, in yuan, shares and coverage."""
    shown = table.assign(
        mae=table["mae"].round(0).astype(int),
        mape=(100 * table["mape"]).map("{:.2f} %".format),
        coverage_80=table["coverage_80"].round(2),
        coverage_95=table["coverage_95"].round(2),
    ).rename(columns={"mae": "MAE (yuan)", "mape": "MAPE"})
    series = sorted(cases["series"].unique())
    click.echo(f"backtest: {len(cases)} forecasts of {len(series)} series ({', '.join(series)})")
    click.echo("\nmodel table (the cases every model forecast):")
    click.echo(shown.to_string())
    click.echo(f"\nMAE (yuan) by series at horizon {horizon} (the origins its models share):")
    click.echo(by_series.round(0).to_string(na_rep="-"))


def _echo_forecasts(data, forecasts, chosen: str, origin: int) -> None:
    """Each model's median and 80 % band for the target year, per side of the target."""
    # lazy: keeps zengshou --help fast
    from forecast.target_report import TARGET_YEAR
    from forecast.targets import MODELS, NATIONAL_SERIES, YUNNAN_SERIES

    click.echo(f"forecasts of {TARGET_YEAR} from {origin} (yuan per person):")
    for name in (NATIONAL_SERIES, YUNNAN_SERIES):
        values = ", ".join(f"{y}: {v:,.0f}" for y, v in data.get(name, {}).items())
        click.echo(f"{name} ({values or 'no value'})")
        by_model = forecasts[forecasts["series"] == name].set_index("model")
        for model in MODELS:
            mark = "*" if model == chosen else " "
            if model not in by_model.index:
                click.echo(f" {mark} {model:<12} no forecast (too few values up to {origin})")
                continue
            row = by_model.loc[model]
            click.echo(
                f" {mark} {model:<12} {row['year']}: {row['median']:>8,.0f}   "
                f"80 %: {row['lower_80']:,.0f} - {row['upper_80']:,.0f}"
            )
    click.echo("(* chosen model)")


def _log_targets(cases, choice, summary, data, by_series, forecasts, until, horizon) -> None:
    # lazy: keeps zengshou --help fast
    from forecast import target_report, tracking
    from forecast.paths import data_file
    from forecast.provenance import file_fingerprint

    params = {
        "until": until if until is not None else "all",
        "horizon": horizon,
        "models": ",".join(sorted(cases["model"].unique())),
        "series": ",".join(sorted(cases["series"].unique())),
        "chosen_model": choice.model,
        "rule": choice.rule,
        "target_year": target_report.TARGET_YEAR,
        "statistics_sha256": file_fingerprint(data_file("public_statistics.yaml")),
        "macro_settings_sha256": file_fingerprint(data_file("macro.yaml")),
    }
    run_id = tracking.log_target_backtest(
        choice.table,
        cases,
        params,
        data=target_report.published_frame(data),
        summary=summary,
        tables={"series_table": by_series, "forecasts": forecasts.set_index(["series", "model"])},
        run_name=f"targets-until-{until}" if until is not None else "targets",
    )
    click.echo(f"MLflow run {run_id} ({tracking.tracking_uri()})")
