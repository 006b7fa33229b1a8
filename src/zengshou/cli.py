"""``zengshou``: one command line for data, forecasts, risk scores, simulation and the service.

Each command group lives in its own module under ``zengshou.commands`` and imports its heavy
dependencies inside the command, so ``zengshou --help`` stays fast. Every command fails the
same way (:mod:`zengshou.errors`): a few lines naming file, row or key and reason, and a
non-zero exit status; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import os

import click

from forecast.i18n import DEFAULT_LANGUAGE, LANGUAGE_SETTING, LANGUAGES, use_language
from zengshou import errors
from zengshou.commands.api_key import api_key
from zengshou.commands.app import app
from zengshou.commands.data import data
from zengshou.commands.demo import demo
from zengshou.commands.forecast import forecast
from zengshou.commands.risk import risk
from zengshou.commands.serve import serve
from zengshou.commands.simulate import simulate
from zengshou.commands.store import store


class Zengshou(click.Group):
    """The command group whose commands share one error path and handle SIGTERM."""

    def invoke(self, ctx: click.Context):
        with errors.signals_as_interrupts():
            try:
                return super().invoke(ctx)
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM as Terminated
                if ctx.params.get("debug"):
                    raise
                raise errors.interrupted(error) from None
            except Exception as error:
                if ctx.params.get("debug"):
                    raise
                raise errors.failure(error) from None


@click.group(
    cls=Zengshou,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="zengshou")
@click.option("--debug", is_flag=True, help="Show the traceback of a failure.")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=DEFAULT_LANGUAGE,
    envvar=LANGUAGE_SETTING,
    show_default=True,
    show_envvar=True,
    help="Language of the reports, plots and reasons people read (zh: 中文). Machine-readable "
    "outputs (summary.json, CSV columns) stay English.",
)
@click.pass_context
def main(ctx: click.Context, debug: bool, lang: str) -> None:
    """zengshou (增收): can Yunnan's poverty-alleviated population out-earn the national
    level of the same population by the end of 2024, and how?"""
    ctx.with_resource(use_language(lang))  # for every command this invocation runs
    # MLflow's notes (database tables created, input example validated) and its bar for
    # copying a model between local folders say nothing to the user; its warnings still show.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


for _command in (data, forecast, risk, simulate, serve, api_key, store, demo, app):
    main.add_command(_command)
