"""``zengshou``: one command line for data, forecasts, risk scores, simulation and the service.

Each command group lives in its own module under ``zengshou.commands`` and imports its heavy
dependencies inside the command, so ``zengshou --help`` stays fast.
"""

from __future__ import annotations

import importlib

import click

# (module under zengshou.commands, attribute) for every command or group.
_COMMANDS: tuple[tuple[str, str], ...] = (
    ("data", "data"),
    ("forecast", "forecast"),
    ("risk", "risk"),
    ("simulate", "simulate"),
    ("serve", "serve"),
    ("api_key", "api_key"),
    ("demo", "demo"),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="zengshou")
def main() -> None:
    """zengshou (增收): can Yunnan's poverty-alleviated population out-earn the national
    level of the same population by the end of 2024, and how?"""


for _module, _attribute in _COMMANDS:
    try:
        _command = getattr(importlib.import_module(f"zengshou.commands.{_module}"), _attribute)
    except ModuleNotFoundError as error:  # a command group not built yet
        if error.name != f"zengshou.commands.{_module}":
            raise
        continue
    main.add_command(_command)
