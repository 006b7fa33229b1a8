"""Words a person reads, in Chinese and English, from one message catalogue.

Every text the project shows a person (the app, the CLI's reports, the plots' labels, the risk
reasons) is looked up here by a key. The catalogue is a folder of YAML files,
``forecast/locales/<domain>.yaml``, one per domain (``app``, ``cli``, ``measures``, ``risk``,
``plots``...), each mapping a key to its text in every language, side by side so that a
missing translation shows in review and in a test::

    measure.skills_training:
      en: skills training
      zh: 技能培训

Keys are unique across the whole catalogue (a key repeated in two files is refused). A text may
hold ``{name}`` fields, filled by :func:`gettext`'s keyword arguments.

The language is, in order: the ``lang`` argument, the one set by :func:`use_language` in the
current context, the ``ZENGSHOU_LANG`` environment variable, English.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from forecast.sourced import load_yaml

LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANGUAGE = "en"
LANGUAGE_SETTING = "ZENGSHOU_LANG"
LOCALES = Path(__file__).with_name("locales")

_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("language", default=None)


class CatalogueError(ValueError):
    """The message catalogue is malformed, or a key or language is unknown."""


def check_language(lang: str) -> str:
    """Return ``lang`` if it is one of :data:`LANGUAGES`, else raise :class:`CatalogueError`."""
    if lang not in LANGUAGES:
        raise CatalogueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


def current_language() -> str:
    """The language in force: :func:`use_language`'s, else ``ZENGSHOU_LANG``'s, else English."""
    return check_language(_language.get() or os.environ.get(LANGUAGE_SETTING) or DEFAULT_LANGUAGE)


@contextlib.contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Within the block, texts are in ``lang`` (``None`` keeps the language in force)."""
    token = _language.set(check_language(lang) if lang else _language.get())
    try:
        yield current_language()
    finally:
        _language.reset(token)


@cache
def catalogue(folder: Path = LOCALES) -> Mapping[str, Mapping[str, str]]:
    """Every key of the catalogue with its text in each language, read once.

    Raises
    ------
    CatalogueError
        A key is repeated across files, or an entry is not a mapping of languages to text,
        or lacks one of :data:`LANGUAGES`.
    """
    texts: dict[str, Mapping[str, str]] = {}
    where: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        for key, entry in (load_yaml(path) or {}).items():
            if key in texts:
                raise CatalogueError(f"{path}: {key}: already in {where[key].name}")
            if not isinstance(entry, Mapping) or set(entry) != set(LANGUAGES):
                raise CatalogueError(f"{path}: {key}: needs exactly the languages {LANGUAGES}")
            if not all(isinstance(text, str) and text for text in entry.values()):
                raise CatalogueError(f"{path}: {key}: every text must be non-empty text")
            texts[key], where[key] = dict(entry), path
    return texts


def gettext(key: str, lang: str | None = None, /, **fields: object) -> str:
    """The text of ``key`` in ``lang`` (default: :func:`current_language`), fields filled in.

    Raises
    ------
    CatalogueError
        ``key`` is not in the catalogue, or ``lang`` is not a known language.
    """
    entry = catalogue().get(key)
    if entry is None:
        raise CatalogueError(f"no text for {key!r} in the message catalogue ({LOCALES})")
    text = entry[check_language(lang) if lang else current_language()]
    return text.format(**fields) if fields else text


def measure_name(lever: str) -> str:
    """A measure as its reader knows it: in Chinese, the plan's own name (技能培训); in
    English, the lever's name in the scenario files (``skills_training``), which that reader
    edits. A name the catalogue does not hold (``total``) is written as it is."""
    return _named(f"measure.{lever}", lever)


def source_name(source: str) -> str:
    """An income source (``wage``) as :func:`measure_name` writes a measure (工资性收入)."""
    return _named(f"source.{source}_income", source)


def _named(key: str, name: str) -> str:
    if current_language() == DEFAULT_LANGUAGE or key not in catalogue():
        return name
    return gettext(key)


_ = gettext  # the conventional short name, for call sites that read better with it
