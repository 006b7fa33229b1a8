"""``zengshou risk``: train, register, promote and use the return-to-poverty risk model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from zengshou.commands.store import open_store


@click.group()
def risk() -> None:
    """Return-to-poverty risk scores: train, promote, score, describe, line."""


def _load(panel: Path, mapping: Path | None):
    # lazy: keeps zengshou --help fast
    from forecast.panel import PanelValidationError, load_panel

    try:
        return load_panel(panel, mapping=mapping)
    except PanelValidationError as error:
        click.echo(error.report(limit=50), err=True)
        sys.exit(1)


@risk.command()
@click.option(
    "--panel",
    "panel_file",
    required=True,
    type=click.Path(path_type=Path),
    help="Household panel (CSV or Parquet) in the schema of `zengshou data schema`.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, path_type=Path),
    help="YAML column mapping for exports whose names differ.",
)
@click.option(
    "--train-until",
    default=2020,
    show_default=True,
    help="Last outcome year used in training (it calibrates the probabilities).",
)
@click.option(
    "--evaluate-year",
    default=2022,
    show_default=True,
    help="Outcome year the model is evaluated on.",
)
@click.option(
    "--kind",
    type=click.Choice(["logistic", "boosting"]),
    default="logistic",
    show_default=True,
    help="Model to register (the other is the challenger).",
)
@click.option(
    "--label",
    type=click.Choice(["below_line", "income_fall_third"]),
    default="below_line",
    show_default=True,
    help="Outcome definition.",
)
@click.option("--seed", default=0, show_default=True, help="random_state of the boosted trees.")
def train(
    panel_file: Path,
    mapping: Path | None,
    train_until: int,
    evaluate_year: int,
    kind: str,
    label: str,
    seed: int,
) -> None:
    """Train on a panel, log the run and register the model as household-risk.

    The first registered version becomes the champion; later ones wait for `risk promote`.
    """
    panel = _load(panel_file, mapping)  # a bad panel is refused before MLflow is imported
    open_store()
    # lazy: keeps zengshou --help fast
    from forecast.progress import progress_wanted
    from forecast.tracking import RISK_MODEL_NAME, describe_registered_model
    from zengshou.workflows import train_and_register

    try:
        result = train_and_register(
            panel,
            train_until=train_until,
            evaluate_year=evaluate_year,
            random_state=seed,
            kind=kind,
            label=label,
            panel_source=str(panel_file),
            progress=progress_wanted(),
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    metrics = result["metrics"]
    columns = [
        "auc",
        "average_precision",
        "brier",
        "ece",
        "recall_top5",
        "recall_top10",
        "flagged_share",
    ]
    click.echo(
        f"Evaluation: outcomes of {evaluate_year}, trained on outcomes up to "
        f"{train_until} (label {label}):"
    )
    click.echo(metrics["summary"][columns].round(4).to_string())
    champion = describe_registered_model()["version"]
    click.echo(
        f"Registered {RISK_MODEL_NAME} version {result['version']} "
        f"({kind}); champion is version {champion}."
    )


@risk.command()
@click.argument("version")
@click.option("--alias", default="champion", show_default=True)
def promote(version: str, alias: str) -> None:
    """Point the alias (default champion) at VERSION of household-risk."""
    # lazy: keeps zengshou --help fast
    from forecast.tracking import RISK_MODEL_NAME, set_risk_alias

    try:
        set_risk_alias(version, alias=alias)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{RISK_MODEL_NAME}@{alias} -> version {version}")


@risk.command()
@click.option(
    "--panel",
    "panel_file",
    required=True,
    type=click.Path(path_type=Path),
    help="Household history (CSV or Parquet); the last 5 years of each household count.",
)
@click.option("--mapping", type=click.Path(exists=True, path_type=Path))
@click.option("--alias", default="champion", show_default=True, help="Registered model alias.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write all scores here (.parquet or .csv; reasons, in --lang, and their machine-readable "
    "reason_codes joined by '; ' in CSV).",
)
@click.option("--top", default=10, show_default=True, help="Riskiest households to print.")
def score(panel_file: Path, mapping: Path | None, alias: str, out: Path | None, top: int) -> None:
    """Score every household of a panel with household-risk@ALIAS."""
    panel = _load(panel_file, mapping)  # a bad panel is refused before MLflow is imported
    # lazy: keeps zengshou --help fast
    import numpy as np
    import pandas as pd

    from forecast.outputs import output_file
    from forecast.progress import progress_bar, progress_wanted
    from forecast.tracking import load_risk_model

    model = load_risk_model(alias)
    # Households in chunks, each with all its rows: the same scores, and a bar to watch.
    ids = panel["household_id"].unique()
    chunks = np.array_split(ids, max(1, -(-len(ids) // 100_000)))
    scores = pd.concat(
        [
            model.predict(panel[panel["household_id"].isin(chunk)])
            for chunk in progress_bar(
                chunks, description="scoring", unit="chunk", enabled=progress_wanted()
            )
        ],
        ignore_index=True,
    )
    # Files keep the reasons in words (in --lang) and, for machines, the features they quote.
    codes = scores.pop("reason_details").map(lambda listed: [r["code"] for r in listed])
    scores = scores.assign(reason_codes=codes)
    if out is not None:
        with output_file(out) as staging:  # whole or not at all
            if out.suffix == ".csv":
                table = scores.assign(
                    reasons=scores["reasons"].map("; ".join),
                    reason_codes=scores["reason_codes"].map("; ".join),
                )
                table.to_csv(staging, index=False)
            else:
                scores.to_parquet(staging, index=False)
        click.echo(f"wrote {len(scores):,} scores to {out}")
    flagged = int(scores["flag"].sum())
    click.echo(
        f"{len(scores):,} households scored for {scores['score_year'].max()}; "
        f"{flagged:,} flagged for a visit ({flagged / len(scores):.1%})"
    )
    for row in scores.nlargest(top, "probability").itertuples():
        click.echo(
            f"{row.household_id}  {row.probability:.2f} {row.band:6}  " + "; ".join(row.reasons)
        )


@risk.command()
@click.option("--alias", default="champion", show_default=True)
@click.option("--version", "model_version", default=None, help="A version instead of an alias.")
def describe(alias: str, model_version: str | None) -> None:
    """Print what a registered household-risk version is (JSON)."""
    # lazy: keeps zengshou --help fast
    from forecast.tracking import describe_registered_model

    click.echo(json.dumps(describe_registered_model(alias, version=model_version), indent=2))


@risk.command()
def line() -> None:
    """Print the monitoring line per year with its source or assumption."""
    # lazy: keeps zengshou --help fast
    from forecast.risk import monitoring_line

    current = monitoring_line()
    click.echo(f"monitoring line version {current.version} (yuan per person per year)")
    for row in current.table().itertuples():
        click.echo(f"{row.year}  {row.value:>8,.0f}  {row.status}  {row.basis[:100]}")
