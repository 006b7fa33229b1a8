"""``zengshou app``: the web app for planners (Solara), and its password file."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("app", invoke_without_command=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any other than this machine's requires login.",
)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--households",
    type=click.IntRange(min=100),
    default=None,
    help="Synthetic households of each run [default: 20000].",
)
@click.option(
    "--replications",
    type=click.IntRange(min=1),
    default=None,
    help="Replications of each run [default: 100].",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Seed shared by every run [default: 1].",
)
@click.option(
    "--attribution-replications",
    type=click.IntRange(min=0),
    default=None,
    help="Replications that attribute the gain to measures [default: 20].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes of a run [default: 1].",
)
@click.option(
    "--trials",
    type=click.IntRange(min=2),
    default=None,
    help="Mixes a cheapest-mix search screens [default: 40].",
)
@click.option(
    "--upload-limit-mb",
    type=click.FloatRange(min=0.01),
    default=None,
    help="Largest household file accepted [default: 20].",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Users and password hashes (zengshou app password) for login when exposed.",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where runs, mixes and searches are kept [default: the cache folder's app/].",
)
@click.pass_context
def app(ctx: click.Context, host: str, port: int, **options) -> None:
    """Start the web app on HOST:PORT (open http://127.0.0.1:8765 in a browser)."""
    if ctx.invoked_subcommand is not None:
        return
    from dataclasses import replace

    from zengshou.app.server import serve
    from zengshou.app.settings import AppSettings, is_loopback

    settings = AppSettings.from_environment()
    given = {
        k: (str(v) if k == "password_file" else v) for k, v in options.items() if v is not None
    }
    settings = replace(settings, **given)
    if not is_loopback(host):
        click.echo(
            f"Listening on {host}: a browser must log in with an API key (zengshou api-key "
            "create) or a user of --password-file (zengshou app password).",
            err=True,
        )
    click.echo(f"zengshou app on http://{host}:{port} (Ctrl-C stops it)", err=True)
    serve(settings, host, port)


@app.command()
@click.argument("user")
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The password file (created owner-only).",
)
@click.password_option()
def password(user: str, path: Path, password: str) -> None:
    """Set USER's password in the app's password file (stored hashed, PBKDF2-SHA256)."""
    from zengshou.app.security import add_password

    try:
        add_password(path, user, password)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{user}: password set in {path}")
