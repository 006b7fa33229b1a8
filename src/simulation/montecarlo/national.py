"""National trajectories to test against: draws from the aggregate forecast's uncertainty.

The national level of the same population (全国脱贫人口人均纯收入) is a moving target known only
up to the as-of year. Each replication is compared with its own national path, drawn from the
forecast of that series fitted on the years up to ``as_of``, so the probability that Yunnan
ends above it carries the uncertainty of both sides.

Each path is drawn with a generator seeded by its replication's seed (and a stream tag of
its own), so replication ``i`` meets the same national path whatever the number of
replications, the number of workers, or the scenario: comparisons are paired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

NATIONAL_SERIES = "national_net_income_alleviated"
YUNNAN_SERIES = "yunnan_net_income_alleviated"

_NATIONAL_STREAM = 0x4E47


def observed_series(name: str, as_of: int) -> pd.Series:
    """Published values of series ``name`` up to ``as_of`` (yuan per person), indexed by year."""
    from forecast.series import load_series

    series = load_series(name)
    return series[series.index <= as_of].astype(float)


@dataclass(frozen=True)
class NationalTrajectories:
    """Draws national paths for the years after ``as_of`` up to ``target_year``.

    Parameters
    ----------
    as_of : int
        Last year whose published value is used; the forecast starts the year after.
    target_year : int
        Last year drawn.
    series_name : str
        Series of ``data/public_statistics.yaml`` to forecast.
    """

    as_of: int
    target_year: int = 2024
    series_name: str = NATIONAL_SERIES
    observed: pd.Series = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.target_year <= self.as_of:
            raise ValueError(f"target_year {self.target_year} must come after as_of {self.as_of}")
        observed = observed_series(self.series_name, self.as_of)
        if observed.empty or observed.index.max() != self.as_of:
            raise ValueError(
                f"series {self.series_name!r} has no published value for as-of year {self.as_of}"
            )
        object.__setattr__(self, "observed", observed)

    @property
    def years(self) -> list[int]:
        """The drawn years."""
        return list(range(self.as_of + 1, self.target_year + 1))

    def draw(self, seeds: Sequence[int]) -> pd.DataFrame:
        """One national path per seed: a replications x years frame (yuan per person)."""
        from forecast.series import growth_prior, sample_series_paths

        horizon = len(self.years)
        prior = growth_prior()  # the same for every path: computed once
        paths = [
            sample_series_paths(
                self.observed,
                horizon,
                1,
                np.random.default_rng([seed, _NATIONAL_STREAM]),
                prior=prior,
            )[0]
            for seed in seeds
        ]
        return pd.DataFrame(np.asarray(paths, dtype=float), columns=self.years).rename_axis(
            index="replication", columns="year"
        )
