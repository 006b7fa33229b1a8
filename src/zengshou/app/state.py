"""Per-browser state shared by the pages: the language, and the mix the editor opens.

Solara keeps a reactive variable per browser session (virtual kernel), so two planners using
the same app each have their own language and mix.
"""

from __future__ import annotations

import os

import solara

from forecast.i18n import LANGUAGE_SETTING, gettext
from zengshou.app.settings import AppSettings

# Planners read Chinese first; ZENGSHOU_LANG=en starts the app in English.
language = solara.reactive(os.environ.get(LANGUAGE_SETTING) or "zh")
editing = solara.reactive("")  # the file of the mix the editor opens ("": the action plan)


def t(key: str, **fields: object) -> str:
    """The catalogue's text of ``key`` in the browser's language."""
    return gettext(key, language.value, **fields)


def settings() -> AppSettings:
    """The app's settings (read from the environment ``zengshou app`` set)."""
    return AppSettings.from_environment()


def measure_name(lever: str) -> str:
    """A lever's name as the plan gives it, in the browser's language."""
    try:
        return t(f"measure.{lever}")
    except ValueError:  # a lever the catalogue does not name yet: its key
        return lever


__all__ = ["editing", "language", "measure_name", "settings", "t"]
