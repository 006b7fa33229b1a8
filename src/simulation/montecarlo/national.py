"""Both sides of the target drawn on one footing: the macro layer's paths per replication.

Replication ``i`` draws one path of the macro layer (:mod:`forecast.macro`) from generators
seeded by its seed: the common rural component, then the national and Yunnan premiums and
noise. The common component is shared: the national path and the trend Yunnan's households
follow (:mod:`simulation.trend`) rise and fall together in a bad year. The same seed gives
the same paths whatever the number of replications, workers or the scenario, so comparisons
stay paired.

The national target's model is chosen by the backtest of every published series up to the
as-of year (:func:`forecast.targets.chosen_model`). The **alternative trend assumptions**
keep each replication's shocks and change only the expected national growth, so the answer
can be read under each: the post-exit pace (``drift``), the rural economy's last year
(``rural_slowdown``), the Yunnan/national ratio's recent trend (``ratio_trend``) and the
state-space local trend (``local_trend``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.macro import MacroModel, cut
from forecast.targets import (
    NATIONAL_SERIES,
    YUNNAN_SERIES,
    chosen_model,
    forecast_drift,
    forecast_local_trend,
    forecast_ratio,
    published_series,
)
from simulation.rules import stream
from simulation.trend import macro_model


def observed_series(name: str, as_of: int) -> pd.Series:
    """Published values of series ``name`` up to ``as_of`` (yuan per person), indexed by year."""
    return cut(published_series()[name], as_of)


@dataclass(frozen=True)
class Assumption:
    """One trend assumption of the national side: its words and its expected growth."""

    name: str
    description: str
    log_growth: np.ndarray  # expected yearly log growth of the national level, by year


def assumptions(as_of: int, years: Sequence[int]) -> dict[str, Assumption]:
    """The national side's trend assumptions at ``as_of`` for ``years`` (after it)."""
    model = macro_model(as_of)
    data = published_series()
    national = cut(data[NATIONAL_SERIES], as_of)
    yunnan = cut(data[YUNNAN_SERIES], as_of)
    last = int(national.index[-1])
    years = list(years)

    def from_levels(table: pd.DataFrame | None) -> np.ndarray | None:
        if table is None:
            return None
        levels = np.r_[national.iloc[-1], table.loc[years, "mean"].to_numpy()]
        return np.diff(np.log(levels))

    out = {
        "macro": Assumption(
            "macro",
            "the macro layer: rural growth (recency-weighted) plus the national premium",
            model.expected_log_growth(NATIONAL_SERIES, years),
        )
    }
    common = model.common.observed
    out["rural_slowdown"] = Assumption(
        "rural_slowdown",
        f"national growth slows like rural income: the {int(common.index[-1])} rural pace "
        f"({np.expm1(common.iloc[-1]):.1%} a year) instead of its weighted mean "
        f"({np.expm1(model.common.mean):.1%}), plus the national premium (Yunnan unchanged)",
        model.with_common_mean(float(common.iloc[-1])).expected_log_growth(NATIONAL_SERIES, years),
    )
    drift = from_levels(forecast_drift(data, NATIONAL_SERIES, as_of, years[-1]))
    if drift is not None:
        out["drift"] = Assumption(
            "drift",
            f"national growth keeps its post-exit pace ({_pace(national)})",
            drift,
        )
    both = pd.concat([yunnan, national], axis=1, join="inner").tail(2)
    if len(both) == 2 and last == int(both.index[-1]):
        ratio = both.iloc[:, 0] / both.iloc[:, 1]
        slope = float(np.diff(np.log(ratio.to_numpy()))[0] / np.diff(ratio.index)[0])
        out["ratio_trend"] = Assumption(
            "ratio_trend",
            f"the Yunnan/national ratio keeps its {int(ratio.index[0])}-{int(ratio.index[1])} "
            f"trend ({ratio.iloc[0]:.3f} to {ratio.iloc[1]:.3f}), Yunnan on the macro layer",
            model.expected_log_growth(YUNNAN_SERIES, years) - slope,
        )
    for name, forecaster, words in (
        (
            "local_trend",
            forecast_local_trend,
            "national growth follows a state-space local linear trend",
        ),
        ("ratio", forecast_ratio, "the national ratio to rural income keeps its trend"),
    ):
        growth = from_levels(forecaster(data, NATIONAL_SERIES, as_of, years[-1]))
        if growth is not None:
            out[name] = Assumption(name, words, growth)
    return out


def _pace(series: pd.Series) -> str:
    growth = np.expm1(np.diff(np.log(series.to_numpy())) / np.diff(series.index))
    return ", ".join(f"{int(y)}: {g:.1%}" for y, g in zip(series.index[1:], growth, strict=True))


@dataclass(frozen=True)
class MacroDraws:
    """Each replication's macro path, both sides.

    Attributes
    ----------
    common : DataFrame
        Common rural log growth, replications x years.
    yunnan_trend : DataFrame
        Yunnan's yearly log growth (the trend its households follow), replications x years.
    national : DataFrame
        National level (yuan per person) under the chosen model, replications x years.
    alternatives : dict of str to DataFrame
        National level under each trend assumption (same shocks), replications x years.
    assumptions : dict of str to Assumption
    model : str
        The chosen model (a key of ``alternatives``).
    """

    common: pd.DataFrame
    yunnan_trend: pd.DataFrame
    national: pd.DataFrame
    alternatives: dict[str, pd.DataFrame]
    assumptions: dict[str, Assumption]
    model: str
    choice_rule: str


def draw_macro(as_of: int, last_year: int, seeds: Sequence[int]) -> MacroDraws:
    """Draw both sides' macro paths, one per seed, for ``as_of + 1 .. last_year``.

    The national path of replication ``i`` under the macro layer shares its common component
    with Yunnan's; every trend assumption keeps the replication's shocks and moves the
    expected national growth (``national_a = national_macro * exp(cumsum(g_a - g_macro))``).
    """
    if last_year <= as_of:
        raise ValueError(f"last year {last_year} must come after as_of {as_of}")
    model: MacroModel = macro_model(as_of)
    years = list(range(as_of + 1, last_year + 1))
    common, yunnan, national = [], [], []
    yunnan_last = model.premium(YUNNAN_SERIES).last_value
    for seed in seeds:
        paths = model.sample(
            [NATIONAL_SERIES, YUNNAN_SERIES],
            last_year,
            1,
            stream(seed, "macro.common"),
            {
                NATIONAL_SERIES: stream(seed, "macro.national"),
                YUNNAN_SERIES: stream(seed, "macro.yunnan"),
            },
        )
        common.append(paths["common"].loc[0, years].to_numpy())
        national.append(paths[NATIONAL_SERIES].loc[0, years].to_numpy())
        levels = paths[YUNNAN_SERIES].loc[0].to_numpy()
        # Growth from the as-of year (the households' base) onward.
        start = paths[YUNNAN_SERIES].columns.get_loc(as_of + 1)
        before = yunnan_last if start == 0 else levels[start - 1]
        yunnan.append(np.diff(np.log(np.r_[before, levels[start:]])))
    index = pd.RangeIndex(len(seeds), name="replication")

    def frame(rows) -> pd.DataFrame:
        return pd.DataFrame(np.asarray(rows, dtype=float), index=index, columns=years).rename_axis(
            columns="year"
        )

    national_macro = frame(national)
    table = assumptions(as_of, years)
    base = table["macro"].log_growth
    alternatives = {
        name: national_macro * np.exp(np.cumsum(a.log_growth - base))[None, :]
        for name, a in table.items()
    }
    choice = chosen_model(as_of)
    chosen = choice.model if choice.model in alternatives else "macro"
    return MacroDraws(
        common=frame(common),
        yunnan_trend=frame(yunnan),
        national=alternatives[chosen],
        alternatives=alternatives,
        assumptions=table,
        model=chosen,
        choice_rule=choice.rule,
    )
