"""``zengshou``: one command line for data, forecasts, risk scores, simulation and the service.

Each command group lives in its own module under ``zengshou.commands`` and imports its heavy
dependencies inside the command, so ``zengshou --help`` stays fast.
"""

from __future__ import annotations

import os

import click

from zengshou.commands.api_key import api_key
from zengshou.commands.data import data
from zengshou.commands.demo import demo
from zengshou.commands.forecast import forecast
from zengshou.commands.risk import risk
from zengshou.commands.serve import serve
from zengshou.commands.simulate import simulate


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="zengshou")
def main() -> None:
    """zengshou (增收): can Yunnan's poverty-alleviated population out-earn the national
    level of the same population by the end of 2024, and how?"""
    # MLflow's notes (database tables created, input example validated) and its bar for
    # copying a model between local folders say nothing to the user; its warnings still show.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


for _command in (data, forecast, risk, simulate, serve, api_key, demo):
    main.add_command(_command)
