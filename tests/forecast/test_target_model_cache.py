"""The national target's model choice is computed once per data and code, then read from disk:
every command that draws the macro layer no longer repeats the backtest (about 8 s). A damaged
file is computed again: tests/simulation/test_cache.py checks that on the same code path."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast import targets


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZENGSHOU_CACHE_DIR", str(tmp_path))
    targets.chosen_model.cache_clear()  # the in-process memo, so the disk is what is tested
    yield tmp_path
    targets.chosen_model.cache_clear()


def test_the_choice_is_read_back_from_disk_without_a_new_backtest(fresh_cache, monkeypatch):
    first = targets.chosen_model(2021)
    files = sorted(p.name for p in fresh_cache.iterdir())
    assert len(files) == 1 and files[0].startswith("target-model-")  # no partial file left

    def no_backtest(*args, **kwargs):
        raise AssertionError("the backtest ran again")

    targets.chosen_model.cache_clear()  # a new process: only the disk remembers
    monkeypatch.setattr(targets, "backtest_targets", no_backtest)
    again = targets.chosen_model(2021)
    assert (again.model, again.rule, again.until) == (first.model, first.rule, 2021)
    pd.testing.assert_frame_equal(again.table, first.table)
    with pytest.raises(AssertionError, match="ran again"):
        targets.chosen_model(2020)  # another year is another key: computed, not read
