"""Out-of-sample validation: predictions from each origin, scored against later publications."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.targets import NATIONAL_SERIES, YUNNAN_SERIES
from simulation import Population
from simulation.montecarlo.compare import shipped_scenarios
from simulation.montecarlo.summary import validation_summary
from simulation.montecarlo.validation import (
    Validation,
    validate_series,
    validate_simulation,
    validation_population_frame,
)
from zengshou.cli import main


@pytest.fixture(scope="module")
def series_rows():
    return validate_series()


def test_series_are_predicted_only_after_their_origin(series_rows):
    assert set(series_rows["origin"]) == {2019, 2020, 2021}
    assert (series_rows["year"] > series_rows["origin"]).all()
    assert (series_rows["horizon"] <= 2).all()
    from_2021 = series_rows[series_rows["origin"] == 2021].set_index("series")
    # Both sides of the target, predicted from 2021 without reading 2022.
    assert {NATIONAL_SERIES, YUNNAN_SERIES} <= set(from_2021.index)
    assert from_2021.loc[YUNNAN_SERIES, "published"] == 14147
    for row in series_rows.itertuples():
        assert row.in_80 == (row.lower_80 <= row.published <= row.upper_80)
        assert row.error == pytest.approx(row.predicted / row.published - 1)


def test_yunnan_2022_from_2021_is_within_3_percent_and_inside_the_80_band():
    frame = validation_population_frame(3000, 11, 2021)
    assert frame["year"].max() == 2021
    population = Population.from_panel(frame, as_of=2021)
    baseline = next(p for p in shipped_scenarios() if p.stem == "baseline")
    table = validate_simulation([baseline], population, replications=12, seed=1)
    yunnan = table.set_index("side").loc["yunnan"]
    assert yunnan["year"] == 2022 and yunnan["published"] == 14147
    assert abs(yunnan["error"]) < 0.03
    assert yunnan["in_80"]
    national = table.set_index("side").loc["national"]
    assert national["published"] == 14342
    summary = validation_summary(Validation(validate_series([2021]), table, 12, 1, 3000))
    assert json.loads(json.dumps(summary))["simulation"][0]["scenario"] == "baseline"
    assert np.isfinite([r["error"] for r in summary["series"]]).all()


def test_validate_command_writes_validation_json(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "validate",
            "--replications",
            "3",
            "--households",
            "1500",
            "--series-origin",
            "2021",
            "--out",
            str(tmp_path),
        ],
        env={"ZENGSHOU_PROGRESS": "0"},
    )
    assert result.exit_code == 0, result.output
    assert "Out-of-sample validation" in result.output
    written = json.loads((tmp_path / "validation.json").read_text())
    assert {row["side"] for row in written["simulation"]} == {"yunnan", "national"}
    assert {row["origin"] for row in written["series"]} == {2021}
