"""``zengshou store``: the MLflow store's health: abandoned runs, a store copied elsewhere."""

from __future__ import annotations

import click


def open_store() -> None:
    """Open the MLflow store at a tracked command's start-up, before its work: refuse a store
    copied from another project, mark the runs of killed processes KILLED."""
    # lazy: keeps zengshou --help fast
    from forecast import tracking

    tracking.configure()


@click.group()
def store() -> None:
    """The MLflow store (mlruns/, or MLFLOW_TRACKING_URI): sweep and relocate.

    Any command that opens the store sweeps it first and refuses a store copied from
    another project; these commands do it on demand.
    """


@store.command()
def sweep() -> None:
    """Mark KILLED the runs left RUNNING by processes of this machine that have ended."""
    # lazy: keeps zengshou --help fast
    from forecast import tracking

    tracking.configure(sweep=False)
    swept = tracking.sweep_abandoned_runs()
    uri = tracking.tracking_uri()
    click.echo(f"{uri}: no run left RUNNING by an ended process" if not swept else uri)
    for run_id in swept:
        click.echo(f"  run {run_id}: marked KILLED")


@store.command()
def relocate() -> None:
    """Point a copied or moved store at the artifacts folder beside it.

    MLflow keeps absolute artifact locations; after copying or moving a project (with
    mlruns/mlflow.db and mlruns/artifacts/), they still name the old place, and every
    command refuses the store until it is relocated.
    """
    # lazy: keeps zengshou --help fast
    from forecast import tracking

    moved = tracking.relocate_store()
    if not moved["moved_from"]:
        click.echo(f"{moved['store']}: already keeps its artifacts beside it")
        return
    folders = ", ".join(str(p) for p in moved["moved_from"])
    click.echo(
        f"{moved['store']}: {moved['rows']} artifact locations moved from {folders} to "
        f"{moved['store'].parent / 'artifacts'}"
    )
    if moved["missing"]:
        click.echo(
            f"warning: {moved['missing']} run(s) have no artifacts folder there (copy "
            "mlruns/artifacts/ along with mlflow.db)",
            err=True,
        )
