"""The synthetic panel: determinism, validity and calibration to published statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from forecast.calibration import calibration_report, weighted_means
from forecast.panel import validate_panel
from forecast.parameters import ParameterError, by_year
from forecast.paths import data_file
from forecast.risk.line import monitoring_line
from forecast.statistics import PublicStatistics
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
    # The 2021 line (6,500) is the midpoint towards the 2022 floor: the 2020 rule holds.
    assert params["monitoring"]["line"] == {2020: 6000, 2021: 6000}
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


# The monitoring mechanism: who is under the line, who is monitored, who is lifted.

MONITORING = load_generator_parameters()["monitoring"]
FULL_FROM = MONITORING["full_coverage_year"]


def _people(year_rows: pd.DataFrame) -> pd.Series:
    return year_rows["weight"] * year_rows["members"]


def _under_line(panel: pd.DataFrame) -> pd.Series:
    line = by_year(MONITORING["line"], panel["year"].to_numpy())
    return pd.Series(panel["net_income_per_capita"].to_numpy() < line, index=panel.index)


def _with(**monitoring) -> dict:
    params = load_generator_parameters()
    params["monitoring"].update(monitoring)
    return params


def test_the_panels_line_is_the_monitoring_line() -> None:
    for year, value in MONITORING["line"].items():
        assert value == monitoring_line(year), year
    floor = PublicStatistics.load().value("monitoring", "yunnan_income_floor_2022")
    assert MONITORING["line"][FULL_FROM] == floor == 7000


def test_nobody_under_the_line_at_year_end_beyond_the_residual(synthetic_panel) -> None:
    panel = synthetic_panel[synthetic_panel["year"] >= MONITORING["start_year"]]
    under, people = _under_line(panel), _people(panel)
    one_household = people.max()
    residual = MONITORING["residual_share"]
    for year, rows in panel.groupby("year"):
        monitored = rows["monitored"]
        # Monitored households are lifted, bar the residual found too late.
        stuck = people[rows.index][monitored & under[rows.index]].sum()
        assert stuck <= residual * people[rows.index][monitored].sum() + one_household, year
        if year >= FULL_FROM:  # everyone under the line was reached
            share = people[rows.index][under[rows.index]].sum() / people[rows.index].sum()
            assert 0 < share <= residual * monitored.mean() + one_household / people.sum()
    at_2022 = panel[panel["year"] == 2022]
    floor = _people(at_2022)[at_2022["net_income_per_capita"] < 7000].sum()
    assert floor / _people(at_2022).sum() < 0.01  # near zero; 9 % before assistance


def test_monitored_share_matches_the_published_2022_figure(synthetic_panel) -> None:
    target = load_generator_parameters()["targets"]["monitored_people_share_end_2022"]
    stats = PublicStatistics.load()
    published = stats.entry("counts", "monitored_end_2022")["people"] / stats.value(
        "counts", "people_alleviated_plus_monitored"
    )
    assert target["published"] == pytest.approx(published, abs=5e-5)
    share = weighted_means(synthetic_panel).at[2022, "monitored_people_share"]
    assert share == pytest.approx(published, abs=target["tolerance"])
    report = calibration_report(synthetic_panel).set_index("target")
    for row in (
        "monitored people share end 2022",
        "people under the line end 2022 (7,000 yuan)",
        "people under the 2022 floor end 2022 (7,000 yuan)",
    ):
        assert report.at[row, "ok"] and not np.isnan(report.at[row, "tolerance"]), row
    assert np.isnan(report.at["people under the line end 2021 (6,500 yuan)", "published"])


def test_published_means_hold_exactly_with_the_assistance_paid(synthetic_panel) -> None:
    years = np.arange(2016, 2023)
    expected = anchor_means(load_generator_parameters(), years)
    means = weighted_means(synthetic_panel)
    for source, values in expected.items():
        np.testing.assert_allclose(means[source].to_numpy(), values, rtol=1e-9, err_msg=source)


def test_a_household_under_the_line_in_a_year_is_monitored_that_year() -> None:
    # Nobody lifted (the residual is everyone): incomes are those before assistance.
    before = synthesize_panel(2000, seed=3, parameters=_with(residual_share=1.0))
    rows = before[before["year"] >= FULL_FROM]
    assert _under_line(rows).any() and (rows["monitored"] | ~_under_line(rows)).all()
    # With every year fully covered, the rule holds from the mechanism's first year.
    everyone = synthesize_panel(
        2000, seed=3, parameters=_with(residual_share=1.0, full_coverage_year=2020)
    )
    rows = everyone[everyone["year"] >= MONITORING["start_year"]]
    assert (rows["monitored"] | ~_under_line(rows)).all()
    assert not (before["monitored"] | ~_under_line(before))[before["year"] == 2020].all()


def test_before_full_coverage_the_poorest_are_found_up_to_the_stated_share() -> None:
    panel = synthesize_panel(2000, seed=3, parameters=_with(residual_share=1.0))
    one_household = _people(panel).max() / _people(panel[panel["year"] == 2020]).sum()
    for year, share in MONITORING["people_share"].items():
        rows = panel[panel["year"] == year]
        monitored = _people(rows)[rows["monitored"]].sum() / _people(rows).sum()
        assert monitored == pytest.approx(share, abs=one_household)
    first = panel[panel["year"] == 2020]
    assert _under_line(first)[first["monitored"]].all()  # under the line first
    types = first.loc[first["monitored"], "monitored_type"].astype(str)
    assert "none" not in set(types)
    sudden = first["monitored"] & (first["shock_illness"] | first["shock_disaster"]).astype(bool)
    assert (first.loc[sudden, "monitored_type"] == "sudden_hardship").all()


def test_assistance_is_transfer_income_and_moves_no_other_draw() -> None:
    assisted = synthesize_panel(2000, seed=3)
    unassisted = synthesize_panel(2000, seed=3, parameters=_with(residual_share=1.0))
    for column in ("wage_income", "operating_income", "property_income"):
        pd.testing.assert_series_equal(assisted[column], unassisted[column])
    # Paying for the assistance pushes a few more households under the line, who are found too.
    assert (assisted["monitored"] | ~unassisted["monitored"]).all()
    lifted = _under_line(unassisted) & ~_under_line(assisted)
    assert lifted.sum() > 0
    assert (
        assisted.loc[lifted, "transfer_income"] > unassisted.loc[lifted, "transfer_income"]
    ).all()
    # Paid out of the published mean: everyone else's transfer shrinks a little.
    others = ~(assisted["monitored"]) & (assisted["year"] == 2022)
    assert (
        assisted.loc[others, "transfer_income"] <= unassisted.loc[others, "transfer_income"]
    ).all()


def test_assistance_income_records_who_was_lifted_and_by_how_much(synthetic_panel) -> None:
    panel = synthetic_panel
    assisted = panel["assistance_income"] > 0
    assert assisted.any() and panel.loc[assisted, "monitored"].all()
    assert (panel["assistance_income"] <= panel["transfer_income"]).all()
    assert (panel.loc[panel["year"] < MONITORING["start_year"], "assistance_income"] == 0).all()
    before = (panel["net_income_per_capita"] - panel["assistance_income"] / panel["members"])[
        assisted
    ]
    line = pd.Series(by_year(MONITORING["line"], panel["year"].to_numpy()), index=panel.index)
    assert (before < line[assisted]).all()  # only households under the line are lifted
    assert (panel.loc[assisted, "net_income_per_capita"] >= line[assisted]).all()
