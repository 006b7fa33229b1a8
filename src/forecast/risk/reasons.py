"""Reasons in words: which factors raise a household's risk, as an officer would say them.

The model supplies, for every household, how much each reason group (:data:`REASON_GROUPS`)
adds to the log-odds of falling under the line compared with a typical household, and which
feature of the group moved it most. This module picks the top groups that *raise* the risk and
renders each with the household's own numbers ("wage income fell 40 % last year"). Rendering is
one list comprehension per feature over the households that need it, not a loop per household.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecast.risk.features import FEATURE_NAMES, SOURCES
from forecast.risk.policy import risk_policy
from forecast.schema import MEASURES

MAX_REASONS = 3

_SOURCE_WORDS = {
    "wage": "wage income",
    "operating": "farm and business income",
    "property": "property income",
    "transfer": "transfer income",
}
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_MEASURE_WORDS: dict[str, tuple[str, str]] = {  # (received, not received)
    "skills_training": (
        "took skills training (技能培训) but income has not followed",
        "no member has had skills training (技能培训)",
    ),
    "migrant_work": (
        "depends on a member working away from home (外出务工)",
        "no member works away from home (外出务工)",
    ),
    "public_welfare_post": (
        "depends on a public-welfare post (公益性岗位)",
        "no public-welfare post (公益性岗位)",
    ),
    "forest_ranger": (
        "depends on a forest-ranger post (生态护林员)",
        "no forest-ranger post (生态护林员)",
    ),
    "tourism_village": ("depends on rural tourism (乡村旅游)", "no rural tourism income"),
    "collective_dividend": (
        "depends on a village collective dividend",
        "no village collective dividend (村集体分红)",
    ),
    "microcredit": ("has a microcredit loan to repay (小额信贷)", "no microcredit (小额信贷)"),
    "minimum_living_allowance": (
        "relies on the rural minimum living allowance (低保)",
        "no minimum living allowance (低保)",
    ),
    "one_to_one_assistance": (
        "already needs one-to-one assistance (一对一帮扶)",
        "no one-to-one assistance (一对一帮扶)",
    ),
}
_TYPE_WORDS = {
    "type_unstable": "monitored as an unstable alleviated household (脱贫不稳定户)",
    "type_marginal": "monitored as a marginal household at risk (边缘易致贫户)",
    "type_sudden": "monitored after sudden severe hardship (突发严重困难户)",
}


def _count(k: float) -> str:
    k = int(k)
    return _NUMBERS[k] if 0 <= k < len(_NUMBERS) else str(k)


def _yuan(x: float) -> str:
    return f"{x:,.0f} yuan"


Renderer = Callable[[np.ndarray, np.ndarray, dict], list[str]]


def _level_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
    out = []
    for income, line in zip(f["income"][i], f["line_next"][i], strict=True):
        if income < line:
            out.append(
                f"income of {_yuan(income)} per person is below next year's line of {_yuan(line)}"
            )
        else:
            out.append(
                f"income of {_yuan(income)} per person is only "
                f"{100 * (income / line - 1):.0f} % above next year's line of "
                f"{_yuan(line)}"
            )
    return out


def _change_text(what: str, pct_key: str) -> Renderer:
    def render(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
        out = []
        for pct, rose in zip(f[pct_key][i], up, strict=True):
            if np.isnan(pct):
                out.append(f"{what} {'rose' if rose else 'fell'} last year")
            elif pct < -0.5:
                out.append(f"{what} fell {-pct:.0f} % last year")
            elif rose:
                out.append(f"{what} jumped {pct:.0f} % last year, and jumps like that seldom last")
            else:
                out.append(f"{what} grew only {pct:.0f} % last year")
        return out

    return render


def _source_level_text(source: str) -> Renderer:
    words = _SOURCE_WORDS[source]

    def render(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
        out = []
        for value, share, high in zip(f[source][i], f[f"{source}_share"][i], up, strict=True):
            if high and np.isfinite(share):
                out.append(f"relies on {words}: {100 * share:.0f} % of all income")
            elif value < 0:
                out.append(f"{words} was a loss of {_yuan(-value)} per person")
            elif value == 0:
                out.append(f"no {words}")
            else:
                out.append(f"{words} is low: {_yuan(value)} per person")
        return out

    return render


def _fixed(text_up: str, text_down: str) -> Renderer:
    def render(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
        return [text_up if u else text_down for u in up]

    return render


def _labour_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
    out = []
    for members, labour in zip(f["members"][i], f["labour_force"][i], strict=True):
        idle = members - labour
        if labour == 0:
            out.append(
                "the only member cannot work"
                if members == 1
                else f"none of the {_count(members)} members can work"
            )
        else:
            out.append(f"{_count(idle)} of {_count(members)} members cannot work")
    return out


def _members_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
    return [
        f"large household of {_count(m)} members"
        if u
        else ("lives alone" if m == 1 else f"small household of {_count(m)}")
        for m, u in zip(f["members"][i], up, strict=True)
    ]


def _labour_change_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
    out = []
    for now, before in zip(f["labour_force"][i], f["labour_previous"][i], strict=True):
        d = before - now
        if np.isfinite(d) and d > 0:
            out.append(
                f"{_count(d)} fewer member{'s' if d > 1 else ''} able to work than a year before"
            )
        else:
            out.append("more members able to work than a year before, not yet earning")
    return out


def _age_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
    return [
        f"household head is {age:.0f} years old" if np.isfinite(age) else "head's age unknown"
        for age in f["head_age"][i]
    ]


def _shocks_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
    return [
        f"{_count(k)} illness or disaster shock{'s' if k != 1 else ''} in the last "
        f"{_count(n)} years"
        for k, n in zip(f["shocks_in_window"][i], f["years_observed"][i], strict=True)
    ]


def _history_text(i: np.ndarray, up: np.ndarray, f: dict) -> list[str]:
    return [
        f"only {_count(n)} year{'s' if n != 1 else ''} of income on record, so the trend is unknown"
        for n in f["years_observed"][i]
    ]


RENDERERS: dict[str, Renderer] = {
    "income_to_line": _level_text,
    "log_income_to_line": _level_text,
    "min_income_to_line": _fixed(
        "income per person has been close to the line in recent years",
        "income per person has been close to the line in recent years",
    ),
    "below_line_now": _level_text,
    "income_change": _change_text("income per person", "income_pct_change"),
    "income_slope": _fixed(
        "income per person rose steeply in recent years, which often reverses",
        "income per person has hardly grown in recent years",
    ),
    "income_volatility": _fixed(
        "income per person swings widely from year to year",
        "income per person has been unusually flat",
    ),
    "dependency_ratio": _labour_text,
    "members": _members_text,
    "no_labour": _labour_text,
    "labour_change": _labour_change_text,
    "head_age": _age_text,
    "head_over_65": _age_text,
    "head_no_schooling": _fixed("household head has no schooling", "household head has schooling"),
    "head_primary": _fixed(
        "household head has only primary schooling", "household head went beyond primary school"
    ),
    "head_senior_plus": _fixed(
        "household head has senior secondary schooling or more",
        "household head has no senior secondary schooling",
    ),
    "shock_illness": _fixed(
        "serious illness or injury in the household last year (因病)", "no illness last year"
    ),
    "shock_disaster": _fixed("hit by a natural disaster last year (因灾)", "no disaster last year"),
    "shocks_in_window": _shocks_text,
    "key_county_national": _fixed(
        "lives in a national key assisted county (国家乡村振兴重点帮扶县)",
        "not in a national key assisted county",
    ),
    "key_county_provincial": _fixed(
        "lives in a provincial key assisted county (省级乡村振兴重点帮扶县)",
        "not in a provincial key assisted county",
    ),
    "relocated": _fixed(
        "relocated household (易地扶贫搬迁), away from its old land",
        "not a relocated household, so outside the relocation sites' job programmes",
    ),
    "monitored": _fixed(
        "already under return-to-poverty monitoring (监测对象)",
        "not yet under return-to-poverty monitoring",
    ),
    **{k: _fixed(v, "not monitored under this type") for k, v in _TYPE_WORDS.items()},
    "years_observed": _history_text,
}
for _s in SOURCES:
    RENDERERS[f"{_s}_level"] = _source_level_text(_s)
    RENDERERS[f"{_s}_change"] = _change_text(_SOURCE_WORDS[_s], f"{_s}_pct_change")
    RENDERERS[f"{_s}_volatility"] = _fixed(
        f"{_SOURCE_WORDS[_s]} swings widely from year to year",
        f"{_SOURCE_WORDS[_s]} is unusually flat",
    )
for _m in MEASURES:
    RENDERERS[f"received_{_m}"] = _fixed(*_MEASURE_WORDS[_m])


def explain(
    group_logit: np.ndarray,
    lead_feature: np.ndarray,
    above_reference: np.ndarray,
    facts: dict[str, np.ndarray],
    *,
    max_reasons: int = MAX_REASONS,
    min_logit: float | None = None,
) -> list[list[str]]:
    """Render the top risk-raising reasons of every household.

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
    list of list of str
        One list per household, strongest reason first; empty when nothing raises the risk.
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

    texts = np.empty((n, k), dtype=object)
    rows, slots = np.nonzero(shown)
    chosen = feature[rows, slots]
    order = np.argsort(chosen, kind="stable")
    rows, slots, chosen = rows[order], slots[order], chosen[order]
    bounds = np.flatnonzero(np.diff(chosen)) + 1
    for r, s, c in zip(
        np.split(rows, bounds), np.split(slots, bounds), np.split(chosen, bounds), strict=True
    ):
        if r.size:
            up = above_reference[r, c[0]]
            texts[r, s] = RENDERERS[FEATURE_NAMES[c[0]]](r, up, facts)
    counts = shown.sum(axis=1).tolist()
    return [row[:c] for row, c in zip(texts.tolist(), counts, strict=True)]
