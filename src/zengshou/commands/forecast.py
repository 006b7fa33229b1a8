"""``zengshou forecast``: panel backtests and training (tracked in MLflow), national targets."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def forecast() -> None:
    """Income forecasts: backtest and train panel models, forecast published series."""


def _split(values: tuple[str, ...]) -> list[str]:
    """Names given as repeated options and/or comma-separated lists."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _read_table(path: Path):
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path)
    raise click.BadParameter(f"{path}: expected a .parquet or .csv file", param_hint="--panel")


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
    import pandas as pd

    from forecast import tracking
    from forecast.backtesting import backtest as run_backtest
    from forecast.backtesting import summarize
    from forecast.forecasters import make_forecaster

    panel = _read_table(panel_path)
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
        )
    except (KeyError, ValueError) as error:
        click.echo(f"{panel_path}: {error}", err=True)
        sys.exit(2)
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        click.echo(results.round(4).to_string(index=False))
        click.echo("\nmean over origins:")
        click.echo(summarize(results).round(4).to_string())
    if json_out:
        json_out.write_text(results.to_json(orient="records", indent=1))
        click.echo(f"wrote {json_out}")
    if track:
        best = summarize(results).index[0]
        fitted = make_forecaster(
            best,
            id_col=id_col,
            time_col=time_col,
            target=target,
            features=feature_list,
            random_state=seed,
        ).fit(panel)
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

    from forecast import tracking
    from forecast.forecasters import make_forecaster

    panel = _read_table(panel_path)
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
        click.echo(f"{panel_path}: {error}", err=True)
        sys.exit(2)
    fit_seconds = time.perf_counter() - started
    run_id = tracking.log_forecast_training(
        model,
        panel,
        horizon=horizon,
        metrics={"fit_seconds": fit_seconds, "n_calibration": model.n_calibration_},
        registered_model_name=register,
    )
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
