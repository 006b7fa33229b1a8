"""``zengshou api-key``: create, list and revoke the service's API keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click


def _keys_file() -> Path:
    # lazy: keeps zengshou --help fast
    from api.settings import Settings

    return Settings().keys_file()  # read fresh: the file the service will read


@contextmanager
def _usable(path: Path) -> Iterator[None]:
    """Turn a key file that cannot be read, or is not a key file, into one line naming it."""
    try:
        yield
    except OSError as error:  # a directory in its place, no permission
        reason = error.strerror or error
        raise click.ClickException(f"{path}: cannot be used as the key file: {reason}") from None
    except (ValueError, TypeError, AttributeError) as error:  # JSON of another shape
        message = str(error)
        raise click.ClickException(
            message if str(path) in message else f"{path}: not a zengshou key file ({message})"
        ) from None


@click.group("api-key")
def api_key() -> None:
    """API keys of the risk-score service (stored as SHA-256 hashes only).

    The key file is ZENGSHOU_API_KEYS_FILE (default ~/.config/zengshou/api_keys.json). A
    running service picks up changes to it without a restart.
    """


@api_key.command()
@click.option("--scope", type=click.Choice(["score", "admin"]), required=True)
@click.option("--label", default="", help="Who holds the key, e.g. 'county platform 530102'.")
def create(scope: str, label: str) -> None:
    """Create a key, store its hash, and print the key (shown this once only)."""
    # lazy: keeps zengshou --help fast
    from api.security import create_key

    path = _keys_file()
    with _usable(path):
        key, record = create_key(path, scope, label)
    click.echo(key)
    click.echo(
        f"id {record.key_id}, scope {scope}: stored as a hash in {path}. "
        "Copy the key now; it cannot be shown again.",
        err=True,
    )


@api_key.command("list")
def list_keys() -> None:
    """List key ids, scopes, creation dates and labels (never the keys)."""
    # lazy: keeps zengshou --help fast
    from api.security import read_key_file

    path = _keys_file()
    with _usable(path):
        records = read_key_file(path)
    if not records:
        click.echo(f"no keys in {path}", err=True)
    for record in records:
        click.echo(
            f"{record.key_id}  {record.scope:<5}  {record.created or '-':<25}  {record.label}"
        )


@api_key.command()
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke the key whose id (from 'list') starts with KEY_ID."""
    # lazy: keeps zengshou --help fast
    from api.security import revoke_key

    path = _keys_file()
    try:
        with _usable(path):
            record = revoke_key(path, key_id)
    except KeyError as error:
        raise click.ClickException(str(error.args[0])) from None
    click.echo(f"revoked {record.key_id} ({record.scope})")
