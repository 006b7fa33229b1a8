"""The per-household reference backend: one Mesa agent per household, the same rules.

Institutions (counties, villages, monitoring) are those of :class:`simulation.model.Province`;
with ``households=ReferenceHouseholds`` each household is a :class:`Household` agent holding
a :class:`~simulation.households.HouseholdBlock` of one row and stepping it with its own
draws. It exists to check the vectorised backend (the two must give the same distribution of
outcomes) and to measure how much the vectorisation buys. Use it for a few thousand
households.
"""

from __future__ import annotations

import mesa
import numpy as np

from simulation.households import (
    SHARED_COLUMNS,
    HouseholdBlock,
    MonthContext,
    household_columns,
)


class Household(mesa.Agent):
    """A household: its state (a block of one row) and its monthly step."""

    def __init__(self, model: mesa.Model, columns: dict[str, np.ndarray], years: int):
        super().__init__(model)
        self.block = HouseholdBlock(columns, years)

    def step(self, ctx: MonthContext) -> None:
        """Draw this household's shocks and innovations, then apply the monthly rules."""
        streams = self.model.streams
        draws = {
            "innovation": streams["households.dynamics"].standard_normal((4, 1)),
            "illness": streams["households.shocks"].random(1),
            "disaster": streams["households.shocks"].random(1),
            "screen": streams["households.screening"].random(1),
        }
        self.block.step(ctx, draws)


class ReferenceHouseholds:
    """The households backend with one :class:`Household` agent each (the methods of
    :class:`~simulation.households.VectorisedHouseholds`, looping over agents)."""

    def __init__(self, model: mesa.Model, population, years: int) -> None:
        self.model = model
        columns = household_columns(population)
        self.agents = [
            Household(model, {k: _row(k, v, i) for k, v in columns.items()}, years)
            for i in range(population.size)
        ]

    def arrays(self) -> dict[str, np.ndarray]:
        states = [h.block.state() for h in self.agents]
        return {k: np.concatenate([s[k] for s in states]) for k in states[0]}

    def grant(self, idx, start, end, source, amount) -> None:
        idx = np.asarray(idx)
        start = np.broadcast_to(start, idx.shape)
        end = np.broadcast_to(end, idx.shape)
        amount = np.broadcast_to(amount, idx.shape)
        for i, s, e, a in zip(idx, start, end, amount, strict=True):
            self.agents[i].block.grant([0], s, e, source, a)

    def insure(self, idx, until, cover) -> None:
        for i in np.asarray(idx):
            self.agents[i].block.insure(0, until, cover)

    def mark(self, mark: str, village_marked: np.ndarray) -> None:
        for h in self.agents:
            h.block.marks[mark] = village_marked[h.block.village]

    def enrol(self, enrolled, preventive) -> None:
        for h, flag in zip(self.agents, enrolled, strict=True):
            h.block.enrolled = np.array([flag])
            h.block.preventive = np.array([preventive])

    def transition(self, labour_transitions: np.ndarray, rng: np.random.Generator) -> None:
        """January: each household, in index order, draws its labour group and takes its type."""
        for h in self.agents:
            h.block.transition(labour_transitions, rng.random(1))

    def advance(self, ctx: MonthContext) -> None:
        self.model.agents_by_type[Household].shuffle_do("step", ctx)

    def totals(self) -> np.ndarray:
        return np.sum([h.block.income[:, 0] * h.block.weight[0] for h in self.agents], axis=0)

    def close_year(self) -> np.ndarray:
        return np.hstack([h.block.close_year() for h in self.agents])

    def counters(self) -> dict[str, np.ndarray]:
        keys = ("newly_under", "newly_detected", "delay_weighted", "assistance_paid")
        return {k: np.sum([getattr(h.block, k) for h in self.agents], axis=0) for k in keys}

    def incomes(self) -> np.ndarray:
        """Current yearly income rate by source of every household, shape (4, n)."""
        return np.hstack([h.block.income for h in self.agents])


def _row(key: str, values: np.ndarray, i: int) -> np.ndarray:
    """Household ``i``'s part of a column: a one-row block (a column of a (rows, n) array)."""
    if key in SHARED_COLUMNS:
        return values
    return values[:, i : i + 1] if values.ndim == 2 else values[i : i + 1]
