"""The disk cache of starting populations: built once, read back the same, never stale."""

from __future__ import annotations

import numpy as np

from forecast.provenance import population_fingerprint
from simulation.cache import cached_population, population_key


def test_a_population_is_built_once_and_read_back_unchanged(population, tmp_path):
    built = []

    def build():
        built.append(1)
        return population

    key = population_key(households=3000, seed=11, as_of=2022)
    first = cached_population(key, build, tmp_path)
    again = cached_population(key, build, tmp_path)
    assert len(built) == 1
    assert population_fingerprint(again) == population_fingerprint(population)
    np.testing.assert_array_equal(again.deviation, first.deviation)
    assert again.dynamics.transition_matrix().tolist() == (
        population.dynamics.transition_matrix().tolist()
    )
    assert [p.name for p in tmp_path.iterdir()] == [f"population-{key}.pickle"]  # no partials


def test_other_inputs_give_another_key_and_a_bad_file_is_rebuilt(population, tmp_path):
    key = population_key(households=3000, seed=11, as_of=2022)
    assert key != population_key(households=3000, seed=12, as_of=2022)
    assert key != population_key(households=3000, seed=11, as_of=2021)
    assert key == population_key(as_of=2022, seed=11, households=3000)
    (tmp_path / f"population-{key}.pickle").write_bytes(b"truncated")
    built = []
    read = cached_population(key, lambda: built.append(1) or population, tmp_path)
    assert built == [1] and read is population
    assert cached_population(key, lambda: None, tmp_path).size == population.size
