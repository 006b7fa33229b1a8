"""The synthetic panel: determinism, validity and calibration to published statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from forecast.calibration import calibration_report, weighted_means
from forecast.panel import validate_panel
from forecast.parameters import ParameterError
from forecast.paths import data_file
from forecast.synthetic import anchor_means, load_generator_parameters, synthesize_panel


def test_same_seed_same_panel_other_seed_other_panel() -> None:
    a = synthesize_panel(300, seed=4)
    pd.testing.assert_frame_equal(a, synthesize_panel(300, seed=4))
    b = synthesize_panel(300, seed=5)
    assert not np.allclose(a["wage_income"], b["wage_income"])


def test_synthetic_panel_passes_validation_unchanged(synthetic_panel) -> None:
    pd.testing.assert_frame_equal(validate_panel(synthetic_panel), synthetic_panel)


def test_calibration_tolerances_hold(synthetic_panel) -> None:
    report = calibration_report(synthetic_panel).set_index("target")
    means = weighted_means(synthetic_panel)
    assert means.at[2021, "net_income_per_capita"] == pytest.approx(12267, rel=0.01)
    assert means.at[2022, "net_income_per_capita"] == pytest.approx(14147, rel=0.01)
    assert means.at[2022, "wage_share"] == pytest.approx(0.665, abs=0.02)
    assert means.at[2022, "operating_share"] == pytest.approx(0.22, abs=0.02)
    assert means.at[2022, "monitored_people_share"] == pytest.approx(0.11, abs=0.02)
    assert report["ok"].all(), report


def test_population_totals_match_published(synthetic_panel) -> None:
    last = synthetic_panel[synthetic_panel["year"] == 2022]
    people = (last["weight"] * last["members"]).sum()
    assert people == pytest.approx(7_957_000, rel=1e-9)
    assert last["weight"].sum() == pytest.approx(2_100_000, rel=0.03)
    assert last["county_code"].nunique() == 88
    assert set(last["key_county"].astype(str)) == {"none", "provincial", "national"}


def test_growth_path_rises_every_year_and_slows_in_the_shock_year() -> None:
    params = load_generator_parameters()
    years = np.arange(2016, 2023)
    total = sum(anchor_means(params, years).values())
    growth = total[1:] / total[:-1] - 1
    assert (growth > 0).all()
    by_year = dict(zip(years[1:], growth, strict=True))
    assert by_year[2020] < by_year[2019] and by_year[2020] < by_year[2021]


def test_households_differ_and_shocks_leave_marks(synthetic_panel) -> None:
    panel = synthetic_panel
    pc = panel.loc[panel["year"] == 2022, "net_income_per_capita"]
    assert 0.3 < pc.quantile(0.1) / pc.mean() < 0.8 and 1.2 < pc.quantile(0.9) / pc.mean() < 2.5
    sick = panel[panel["shock_illness"].astype(bool)]
    healthy = panel[~panel["shock_illness"].astype(bool)]
    assert sick["wage_income"].mean() < healthy["wage_income"].mean()
    assert (panel["operating_income"] < 0).any()  # disasters can cause net operating losses


def test_measures_reach_published_counts(synthetic_panel) -> None:
    year = synthetic_panel[synthetic_panel["year"] == 2022]
    rangers = (year["weight"] * year["received_forest_ranger"]).sum()
    assert rangers == pytest.approx(168_000, rel=0.05)


def test_as_of_outside_published_years_is_refused() -> None:
    with pytest.raises(ValueError, match="as_of must be between"):
        synthesize_panel(10, seed=1, as_of=2024)


def _year_maps(values: dict) -> dict[str, dict]:
    return {
        f"{group}.{name}": value
        for group, entries in values.items()
        if isinstance(entries, dict)
        for name, value in entries.items()
        if isinstance(value, dict) and value and all(isinstance(k, int) for k in value)
    }


def test_parameters_as_of_2021_hold_nothing_later() -> None:
    params = load_generator_parameters(as_of=2021)
    maps = _year_maps(params)
    assert maps and all(max(value) <= 2021 for value in maps.values()), maps
    # Derived from 2022 publications, so replaced by the stated assumptions.
    raw = yaml.safe_load(data_file("synthetic_panel.yaml").read_text(encoding="utf-8"))
    shares = raw["income"]["shares"]
    assert params["income"]["shares"][2021] == shares["before_known"]["value"][2021]
    assert params["income"]["shares"][2021] != shares["value"][2021]
    assert params["monitoring"]["people_share"] == {2020: 0.06, 2021: 0.14}
    # Flat after the last value at or before the origin: no interpolation towards 2022.
    assert params["measures"]["minimum_living_share"] == {2016: 0.15}
    assert load_generator_parameters(as_of=2022) == load_generator_parameters()


def test_origin_before_a_second_published_mean_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"synthetic_panel.yaml: income.mean_per_capita"):
        synthesize_panel(10, seed=1, as_of=2020)


def test_parameter_that_differs_from_its_statistic_is_refused(tmp_path) -> None:
    raw = yaml.safe_load(data_file("public_statistics.yaml").read_text(encoding="utf-8"))
    raw["series"]["yunnan_net_income_alleviated"][2021]["value"] = 12000
    path = tmp_path / "stats.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParameterError, match=r"income.mean_per_capita.2021: 12267 differs"):
        synthesize_panel(10, seed=1, as_of=2021, statistics=path)


def test_known_in_without_an_assumption_is_refused(tmp_path) -> None:
    raw = yaml.safe_load(data_file("synthetic_panel.yaml").read_text(encoding="utf-8"))
    del raw["income"]["shares"]["before_known"]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParameterError, match=r"params.yaml: income.shares: known_in needs"):
        load_generator_parameters(path)
