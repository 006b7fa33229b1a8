"""``zengshou data``: household panels: schema, validation, synthesis, calibration report."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def data() -> None:
    """Household income panels: schema, validate, synth, report."""


@data.command()
def schema() -> None:
    """Print the panel schema: every column with its type, unit, valid range and meaning."""
    # lazy: keeps zengshou --help fast
    from forecast.schema import describe_schema

    click.echo(describe_schema())


@data.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, path_type=Path),
    help="YAML column mapping for exports whose names differ (see data/mappings/).",
)
@click.option(
    "--limit", default=200, show_default=True, help="Problems to print (all are counted)."
)
def validate(file: Path, mapping: Path | None, limit: int) -> None:
    """Validate FILE (CSV or Parquet) against the schema; exit 1 if it is invalid."""
    # lazy: keeps zengshou --help fast
    from forecast.panel import PanelValidationError, load_panel

    try:
        panel = load_panel(file, mapping=mapping)
    except PanelValidationError as error:
        click.echo(error.report(limit=limit), err=True)
        sys.exit(1)
    households = panel["household_id"].nunique()
    years = f"{panel['year'].min()}-{panel['year'].max()}"
    click.echo(f"{file}: valid: {len(panel):,} rows, {households:,} households, years {years}")


@data.command()
@click.option(
    "--households",
    "-n",
    default=20_000,
    show_default=True,
    help="Households to sample (2100000 for the whole province).",
)
@click.option("--seed", default=1, show_default=True, help="Seed of the generator.")
@click.option(
    "--as-of", default=2022, show_default=True, help="Last year of the panel (2018-2022)."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Output .parquet or .csv [default: data/generated/panel-N-sS-YEAR.parquet].",
)
def synth(households: int, seed: int, as_of: int, out: Path | None) -> None:
    """Write a synthetic Yunnan household panel calibrated to published statistics."""
    # lazy: keeps zengshou --help fast
    from forecast.calibration import calibration_report, format_report
    from forecast.paths import generated_dir
    from forecast.progress import progress_wanted
    from forecast.synthetic import synthesize_panel

    panel = synthesize_panel(households, seed=seed, as_of=as_of, progress=progress_wanted())
    out = out or generated_dir() / f"panel-{households}-s{seed}-{as_of}.parquet"
    write_panel(panel, out)
    click.echo(f"wrote {out} ({len(panel):,} rows)")
    click.echo(format_report(calibration_report(panel)))


@data.command()
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--mapping", type=click.Path(exists=True, path_type=Path), help="YAML column mapping."
)
def report(file: Path, mapping: Path | None) -> None:
    """Print a panel's weighted aggregates against the published statistics."""
    # lazy: keeps zengshou --help fast
    from forecast.calibration import calibration_report, format_report
    from forecast.panel import PanelValidationError, load_panel

    try:
        panel = load_panel(file, mapping=mapping)
    except PanelValidationError as error:
        click.echo(error.report(limit=50), err=True)
        sys.exit(1)
    click.echo(format_report(calibration_report(panel)))


def write_panel(panel, path: Path) -> None:
    """Write a panel to Parquet or CSV by the file's suffix, whole or not at all."""
    # lazy: keeps zengshou --help fast
    from forecast.outputs import output_file

    with output_file(path) as staging:
        if path.suffix.lower() == ".csv":
            panel.to_csv(staging, index=False)
        else:
            panel.to_parquet(staging, index=False)
