"""The message catalogue is complete: every text in both languages with the same fields, and
every key the code asks for is in it (issue 16)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from forecast.i18n import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parents[2]
CODE = [*sorted((ROOT / "src").rglob("*.py")), *sorted((ROOT / "api").rglob("*.py"))]
DOMAINS = ("measure", "source", "risk", "report", "plot", "cli", "app")
# Texts that write one amount in each language's own unit (billions of yuan; 亿, 1e8 yuan).
OWN_UNITS = {"report.billions": ({"bn"}, {"yi"})}
A_KEY = re.compile(rf"^({'|'.join(DOMAINS)})\.[\w.]+$")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(catalogue()))
def test_every_text_has_both_languages_with_the_same_fields(key):
    entry = catalogue()[key]
    assert set(entry) == set(LANGUAGES)
    en, zh = OWN_UNITS.get(key, (set(), set()))
    assert fields(entry["en"]) - en == fields(entry["zh"]) - zh, key
    for text in entry.values():  # a text formats with its own fields (no stray braces)
        text.format(**dict.fromkeys(fields(text), 1))


def test_chinese_texts_are_chinese():
    """A zh text that is the English one copied is a translation forgotten (figures, codes
    and names like P(target) excepted)."""
    untranslated = [
        key
        for key, entry in catalogue().items()
        if entry["zh"] == entry["en"] and re.search("[a-z]{4}", re.sub("{[^}]*}", "", entry["en"]))
    ]
    assert not untranslated, untranslated


# Calls whose string arguments are catalogue keys: gettext itself, and the risk reasons'
# renderer of a fixed pair of texts.
KEY_CALLS = {"_": 1, "gettext": 1, "_fixed": 2}


def _key_arguments(node: ast.AST) -> list[ast.expr]:
    """The expressions of ``node`` that hold a catalogue key: the key arguments of a
    :data:`KEY_CALLS` call, the key of a reason's ``(key, fields)`` pair."""
    if isinstance(node, ast.Call):
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        return node.args[: KEY_CALLS.get(name, 0)]
    if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Dict):
        return node.elts[:1]
    return []


def _asked_keys() -> tuple[set[str], set[str]]:
    """Keys the code names: constants (``"risk.reason.fell"``), and f-strings as patterns
    (``f"plot.side.{key}"`` -> ``plot\\.side\\..+``); a conditional is read both ways."""
    literal, patterns = set(), set()

    def read(expr: ast.expr) -> None:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            literal.add(expr.value)
        elif isinstance(expr, ast.JoinedStr):
            patterns.add(
                "".join(
                    re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in expr.values
                )
            )
        elif isinstance(expr, ast.IfExp):
            read(expr.body)
            read(expr.orelse)
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            patterns.add(".+")  # "a" + ("" if ... else "_one"): checked by the tests of its use

    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for expr in _key_arguments(node):
                read(expr)
    return {k for k in literal if A_KEY.match(k)}, patterns - {".+"}


def test_every_key_the_code_names_is_in_the_catalogue():
    literal, patterns = _asked_keys()
    assert len(literal) > 200, "the scan found too few keys: is it still reading the code?"
    known = set(catalogue())
    assert not literal - known, sorted(literal - known)
    unmatched = [p for p in patterns if not any(re.fullmatch(p, k) for k in known)]
    assert not unmatched, unmatched
