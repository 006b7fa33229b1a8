"""Reasons in words: which factors raise a household's risk, as an officer would say them.

The model supplies, for every household, how much each reason group (:data:`REASON_GROUPS`)
adds to the log-odds of falling under the line compared with a typical household, and which
feature of the group moved it most. This module picks the top groups that *raise* the risk and
renders each with the household's own numbers ("wage income fell 40 % last year"). Rendering is
one list comprehension per feature over the households that need it, not a loop per household.

A reason is a :class:`Reason`: the feature it quotes (its machine-readable ``code``), a key of
the message catalogue (``forecast/locales/risk.yaml``) and the household's numbers, so one
reason is said in any language (:meth:`Reason.text`) and the risk service answers in the
language asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np

from forecast.i18n import catalogue, check_language, current_language, gettext
from forecast.risk.features import FEATURE_NAMES, SOURCES
from forecast.risk.policy import risk_policy
from forecast.schema import MEASURES

MAX_REASONS = 3
_LARGEST_COUNT_IN_WORDS = 10


class Reason(dict):
    """One reason as plain data, ``{"code", "key", "fields"}``: the feature it quotes (its
    machine-readable code), its catalogue key and the household's figures.

    Text fields (``{what}``, counts in words) hold catalogue keys themselves and are said in
    the same language as the reason; numbers are formatted by the catalogue's text. A dict,
    so that the model's output carries it as it is (millions of reasons at province scale:
    one object each).
    """

    def __init__(self, code: str, key: str, fields: Mapping[str, object]) -> None:
        super().__init__(code=code, key=key, fields=fields)

    @property
    def code(self) -> str:
        return self["code"]

    def text(self, lang: str | None = None) -> str:
        """The reason in ``lang`` (default: the language in force, see :mod:`forecast.i18n`)."""
        return reason_text(self, lang)


def reason_text(reason: Mapping[str, object], lang: str | None = None) -> str:
    """Say a reason (a :class:`Reason`, or any mapping with its keys) in ``lang``."""
    return say_reasons([[reason]], lang)[0][0]


def say_reasons(
    reasons: Iterable[Iterable[Mapping[str, object]]], lang: str | None = None
) -> list[list[str]]:
    """Say each household's reasons in ``lang`` (default: the language in force).

    Reads the catalogue once for all (millions of reasons at province scale, not one
    :func:`~forecast.i18n.gettext` call each).

    Raises
    ------
    forecast.i18n.CatalogueError
        A reason's key, or a text field's key, is not in the catalogue, or ``lang`` is unknown.
    """
    lang = check_language(lang) if lang else current_language()
    words = {key: entry[lang] for key, entry in catalogue().items()}
    said = []
    try:
        for listed in reasons:
            texts = []
            for reason in listed:
                text, fields = words[reason["key"]], reason["fields"]
                if fields:
                    text = text.format(
                        **{k: words[v] if isinstance(v, str) else v for k, v in fields.items()}
                    )
                texts.append(text)
            said.append(texts)
    except KeyError as missing:  # gettext names the key the catalogue lacks
        gettext(str(missing.args[0]), lang)
        raise
    return said


def _count(k: float) -> str | int:
    """A count as its catalogue word (``risk.number.2``), or as a figure when large."""
    k = int(k)
    return f"risk.number.{k}" if 0 <= k <= _LARGEST_COUNT_IN_WORDS else k


# A renderer reads the facts of the households ``i`` (``up``: whether the quoted feature is
# above the typical household's) and returns each one's (key, fields); it reads the facts as
# Python numbers (``tolist``), so that a reason's fields are plain data.
Said = tuple[str, dict[str, object]]
Renderer = Callable[[np.ndarray, np.ndarray, dict], list[Said]]


def _level_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
    out: list[Said] = []
    for income, line in zip(f["income"][i].tolist(), f["line_next"][i].tolist(), strict=True):
        if income < line:
            out.append(("risk.reason.below_line", {"income": income, "line": line}))
        else:
            pct = 100 * (income / line - 1)
            out.append(("risk.reason.near_line", {"income": income, "pct": pct, "line": line}))
    return out


def _change_text(what: str, pct_key: str) -> Renderer:
    def render(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
        out: list[Said] = []
        for pct, rose in zip(f[pct_key][i].tolist(), up, strict=True):
            if np.isnan(pct):
                out.append((f"risk.reason.{'rose' if rose else 'fell'}", {"what": what}))
            elif pct < -0.5:
                out.append(("risk.reason.fell_pct", {"what": what, "pct": -pct}))
            elif rose:
                out.append(("risk.reason.jumped_pct", {"what": what, "pct": pct}))
            else:
                out.append(("risk.reason.grew_little_pct", {"what": what, "pct": pct}))
        return out

    return render


def _source_level_text(source: str) -> Renderer:
    what = f"risk.what.{source}"

    def render(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
        out: list[Said] = []
        for value, share, high in zip(
            f[source][i].tolist(), f[f"{source}_share"][i].tolist(), up, strict=True
        ):
            if high and np.isfinite(share):
                out.append(("risk.reason.relies_on", {"what": what, "share": 100 * share}))
            elif value < 0:
                out.append(("risk.reason.source_loss", {"what": what, "loss": -value}))
            elif value == 0:
                out.append(("risk.reason.source_none", {"what": what}))
            else:
                out.append(("risk.reason.source_low", {"what": what, "value": value}))
        return out

    return render


def _fixed(key_up: str, key_down: str, **fields: object) -> Renderer:
    def render(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
        return [(key_up if u else key_down, fields) for u in up]

    return render


def _labour_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
    out: list[Said] = []
    for members, labour in zip(
        f["members"][i].tolist(), f["labour_force"][i].tolist(), strict=True
    ):
        if labour == 0 and members == 1:
            out.append(("risk.reason.only_member_cannot_work", {}))
        elif labour == 0:
            out.append(("risk.reason.no_member_can_work", {"members": _count(members)}))
        else:
            idle = {"idle": _count(members - labour), "members": _count(members)}
            out.append(("risk.reason.members_cannot_work", idle))
    return out


def _members_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
    out: list[Said] = []
    for m, u in zip(f["members"][i].tolist(), up, strict=True):
        if u:
            out.append(("risk.reason.large_household", {"members": _count(m)}))
        elif m == 1:
            out.append(("risk.reason.lives_alone", {}))
        else:
            out.append(("risk.reason.small_household", {"members": _count(m)}))
    return out


def _labour_change_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
    out: list[Said] = []
    for now, before in zip(
        f["labour_force"][i].tolist(), f["labour_previous"][i].tolist(), strict=True
    ):
        d = before - now
        if np.isfinite(d) and d > 0:
            key = "risk.reason.fewer_workers" + ("" if d > 1 else "_one")
            out.append((key, {"fewer": _count(d)}))
        else:
            out.append(("risk.reason.more_workers", {}))
    return out


def _age_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
    return [
        ("risk.reason.head_age", {"age": age})
        if np.isfinite(age)
        else ("risk.reason.head_age_unknown", {})
        for age in f["head_age"][i].tolist()
    ]


def _shocks_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
    return [
        (
            "risk.reason.shocks" + ("" if k != 1 else "_one"),
            {"shocks": _count(k), "years": _count(n)},
        )
        for k, n in zip(
            f["shocks_in_window"][i].tolist(), f["years_observed"][i].tolist(), strict=True
        )
    ]


def _history_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[Said]:
    return [
        ("risk.reason.short_history" + ("" if n != 1 else "_one"), {"years": _count(n)})
        for n in f["years_observed"][i].tolist()
    ]


RENDERERS: dict[str, Renderer] = {
    "income_to_line": _level_text,
    "log_income_to_line": _level_text,
    "min_income_to_line": _fixed("risk.reason.close_to_line", "risk.reason.close_to_line"),
    "below_line_now": _level_text,
    "income_change": _change_text("risk.what.income", "income_pct_change"),
    "income_slope": _fixed("risk.reason.steep_rise", "risk.reason.flat_growth"),
    "income_volatility": _fixed("risk.reason.income_swings", "risk.reason.income_flat"),
    "dependency_ratio": _labour_text,
    "members": _members_text,
    "no_labour": _labour_text,
    "labour_change": _labour_change_text,
    "head_age": _age_text,
    "head_over_65": _age_text,
    "head_no_schooling": _fixed("risk.reason.head_no_schooling", "risk.reason.head_schooling"),
    "head_primary": _fixed("risk.reason.head_primary", "risk.reason.head_beyond_primary"),
    "head_senior_plus": _fixed("risk.reason.head_senior_plus", "risk.reason.head_no_senior"),
    "shock_illness": _fixed("risk.reason.illness", "risk.reason.no_illness"),
    "shock_disaster": _fixed("risk.reason.disaster", "risk.reason.no_disaster"),
    "shocks_in_window": _shocks_text,
    "key_county_national": _fixed(
        "risk.reason.key_county_national", "risk.reason.not_key_county_national"
    ),
    "key_county_provincial": _fixed(
        "risk.reason.key_county_provincial", "risk.reason.not_key_county_provincial"
    ),
    "relocated": _fixed("risk.reason.relocated", "risk.reason.not_relocated"),
    "monitored": _fixed("risk.reason.monitored", "risk.reason.not_monitored"),
    **{
        t: _fixed(f"risk.reason.{t}", "risk.reason.not_this_type")
        for t in ("type_unstable", "type_marginal", "type_sudden")
    },
    "years_observed": _history_text,
}
for _s in SOURCES:
    RENDERERS[f"{_s}_level"] = _source_level_text(_s)
    RENDERERS[f"{_s}_change"] = _change_text(f"risk.what.{_s}", f"{_s}_pct_change")
    RENDERERS[f"{_s}_volatility"] = _fixed(
        "risk.reason.source_swings", "risk.reason.source_flat", what=f"risk.what.{_s}"
    )
for _m in MEASURES:
    RENDERERS[f"received_{_m}"] = _fixed(f"risk.reason.received_{_m}", f"risk.reason.lacks_{_m}")


def explain(
    group_logit: np.ndarray,
    lead_feature: np.ndarray,
    above_reference: np.ndarray,
    facts: dict[str, np.ndarray],
    *,
    max_reasons: int = MAX_REASONS,
    min_logit: float | None = None,
) -> list[list[dict[str, object]]]:
    """The top risk-raising reasons of every household.

    Parameters
    ----------
    group_logit : ndarray, shape (households, groups)
        What each reason group adds to the log-odds compared with a typical household.
    lead_feature : ndarray of int, shape (households, groups)
        Index into ``FEATURE_NAMES`` of the feature that moved each group most.
    above_reference : ndarray of bool, shape (households, features)
        Whether each feature is above the typical household's value.
    facts : dict
        ``HouseholdFeatures.facts`` plus ``line_next`` and ``years_observed``.
    max_reasons, min_logit
        At most this many reasons, each adding at least ``min_logit`` to the log-odds
        (default: the risk policy's, ``data/risk_policy.yaml``).

    Returns
    -------
    list of list of dict
        One list per household, strongest reason first; empty when nothing raises the risk.
        Each reason is a plain dict of a :class:`Reason`'s shape (``code``, ``key``,
        ``fields``); say them with :func:`say_reasons`.
    """
    if min_logit is None:
        min_logit = risk_policy().min_logit
    n, groups = group_logit.shape
    k = min(max_reasons, groups)
    top = np.argpartition(-group_logit, k - 1, axis=1)[:, :k]
    top_logit = np.take_along_axis(group_logit, top, axis=1)
    rank = np.argsort(-top_logit, axis=1, kind="stable")
    top, top_logit = (np.take_along_axis(a, rank, axis=1) for a in (top, top_logit))
    feature = np.take_along_axis(lead_feature, top, axis=1)
    shown = top_logit >= min_logit

    reasons: list[list[dict | None]] = [[None] * k for _ in range(n)]
    rows, slots = np.nonzero(shown)
    chosen = feature[rows, slots]
    order = np.argsort(chosen, kind="stable")
    rows, slots, chosen = rows[order], slots[order], chosen[order]
    bounds = np.flatnonzero(np.diff(chosen)) + 1
    for r, s, c in zip(
        np.split(rows, bounds), np.split(slots, bounds), np.split(chosen, bounds), strict=True
    ):
        if r.size:
            code = FEATURE_NAMES[c[0]]
            said = RENDERERS[code](r, above_reference[r, c[0]], facts)
            for row, slot, (key, fields) in zip(r.tolist(), s.tolist(), said, strict=True):
                reasons[row][slot] = {"code": code, "key": key, "fields": fields}
    counts = shown.sum(axis=1).tolist()  # the shown reasons are each row's strongest
    return [row[:c] for row, c in zip(reasons, counts, strict=True)]  # type: ignore[misc]
