"""``zengshou demo``: the main job on embedded defaults (what ``make demo`` runs)."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--households", default=20_000, show_default=True, help="Households in the synthetic panel."
)
@click.option("--seed", default=1, show_default=True, help="Seed for every random draw of the run.")
def demo(households: int, seed: int) -> None:
    """Synthesise the household panel and print its calibration against published figures."""
    from forecast.calibration import calibration_report, format_report
    from forecast.paths import generated_dir
    from forecast.synthetic import synthesize_panel

    click.echo(f"1. Synthetic Yunnan panel: {households:,} households, seed {seed}")
    panel = synthesize_panel(households, seed=seed, as_of=2022, progress=True)
    path = generated_dir() / f"demo-panel-{households}-s{seed}.parquet"
    panel.to_parquet(path, index=False)
    click.echo(f"   written to {path}")
    click.echo(format_report(calibration_report(panel)))
