"""POST /v1/risk-scores: answers, batching, and strict validation."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from api_fakes import AUTH, FakeRiskModel, fake_served, household

from api.model import FRAME_DTYPES, Scorer, build_frame
from api.schemas import Household
from forecast.risk import HistoryError

URL = "/v1/risk-scores"


def post(client, households, headers=AUTH):
    return client.post(URL, json={"households": households}, headers=headers)


def test_scores_carry_model_version_line_version_and_the_fake_models_probability(client):
    response = post(client, [household("hh-1"), household("hh-2", variant=1)])
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == {"name": "household-risk", "version": "1", "alias": "champion"}
    assert body["line_version"] == "fake-line-1"
    assert [s["household_id"] for s in body["scores"]] == ["hh-1", "hh-2"]
    expected = FakeRiskModel().predict(
        build_frame([[Household.model_validate(household("x", variant=1))]])
    )
    second = body["scores"][1]
    assert second["probability"] == pytest.approx(expected["probability"].iloc[0], abs=1e-12)
    assert second["score_year"] == 2023 and second["line_yuan"] == 7000.0
    assert second["band"] in {"low", "medium", "high"} and isinstance(second["flag"], bool)


def test_a_batch_gives_exactly_what_single_requests_give(client):
    households = [household(f"hh-{i}", variant=i, years=1 + i % 3) for i in range(12)]
    together = post(client, households).json()["scores"]
    alone = [post(client, [h]).json()["scores"][0] for h in households]
    assert together == alone


def test_order_follows_the_request_not_the_ids(client):
    ids = ["zz", "aa", "mm"]
    body = post(client, [household(i, variant=n) for n, i in enumerate(ids)]).json()
    assert [s["household_id"] for s in body["scores"]] == ids


def test_optional_fields_may_be_left_out(client):
    sparse = household("hh-sparse")
    for row in sparse["history"]:
        for name in ("head_age", "head_education", "shock_illness", "shock_disaster"):
            del row[name]
    assert post(client, [sparse]).status_code == 200


def test_frame_has_the_panel_dtypes_and_numbers_households_instead_of_ids():
    households = [Household.model_validate(household(f"secret-{i}")) for i in range(3)]
    frame = build_frame([households[:2], households[2:]])
    assert {name: frame[name].dtype for name in FRAME_DTYPES} == FRAME_DTYPES
    assert frame["household_id"].unique().tolist() == ["0", "1", "2"]
    assert len(frame) == 9


def test_concurrent_requests_share_one_model_call_and_keep_their_own_answers():
    fake = FakeRiskModel()
    served = fake_served(model=fake)
    scorer = Scorer(max_batch_households=100)
    # Every request uses the same id for different households: batching must not merge them.
    requests = [[Household.model_validate(household("same-id", variant=v))] for v in range(6)]

    async def run():
        return await asyncio.gather(*(scorer.score(served, r) for r in requests))

    answers = asyncio.run(run())
    scorer.close()
    singles = [FakeRiskModel().predict(build_frame([r]))["probability"].iloc[0] for r in requests]
    assert [a[0][0]["probability"] for a in answers] == pytest.approx(singles, abs=1e-12)
    assert fake.calls < len(requests)  # coalesced


def test_a_failing_batch_is_retried_per_request_so_only_the_bad_one_fails():
    class PickyModel(FakeRiskModel):
        def predict(self, frame):
            if (frame["members"] == 7).any():
                raise ValueError("cannot score")
            return super().predict(frame)

    served = fake_served(model=PickyModel())
    scorer = Scorer(max_batch_households=100)
    bad = household("bad")
    for row in bad["history"]:
        row["members"] = 7
    requests = [[Household.model_validate(h)] for h in (household("a"), bad, household("b"))]

    async def run():
        return await asyncio.gather(
            *(scorer.score(served, r) for r in requests), return_exceptions=True
        )

    ok_a, failed, ok_b = asyncio.run(run())
    scorer.close()
    assert isinstance(failed, ValueError)
    assert ok_a[0][0]["probability"] == ok_b[0][0]["probability"]


def test_model_failure_is_a_500_in_the_error_schema_without_details(make_client):
    client = make_client(loader=lambda s: fake_served())
    client.app.state.service.holder.current = fake_served(model=FakeRiskModel(fail=True))
    response = post(client, [household()])
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error" and error["details"] == []
    assert "Traceback" not in response.text and "broken model" not in response.text


def test_not_ready_answers_503_while_liveness_answers_200(make_client):
    def never_loads(settings):
        raise OSError("registry unreachable")

    client = make_client(loader=never_loads, wait=False)
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and ready.json()["error"]["code"] == "not_ready"
    response = post(client, [household()])
    assert response.status_code == 503 and response.headers["retry-after"]


def bad_request(client, mutate):
    payload = {"households": [household("hh-1"), household("hh-2", variant=1)]}
    mutate(payload)
    response = client.post(URL, json=payload, headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    return [(tuple(d["loc"]), d["type"]) for d in body["error"]["details"]]


def row(payload, h=0, r=0):
    return payload["households"][h]["history"][r]


@pytest.mark.parametrize(
    ("mutate", "loc", "kind"),
    [
        (lambda p: row(p).update(members="4"), ("history", 0, "members"), "int_type"),
        (lambda p: row(p).update(members=4.0), ("history", 0, "members"), "int_type"),
        (lambda p: row(p).update(members=0), ("history", 0, "members"), "greater_than_equal"),
        (lambda p: row(p).update(wage_income=-1.0), ("history", 0, "wage_income"), None),
        (lambda p: row(p).update(wage_income=3e6), ("history", 0, "wage_income"), None),
        (lambda p: row(p).update(wage_income="1000"), ("history", 0, "wage_income"), None),
        (lambda p: row(p).update(monitored="true"), ("history", 0, "monitored"), "bool_type"),
        (lambda p: row(p).update(key_county="city"), ("history", 0, "key_county"), None),
        (lambda p: row(p).update(county_code="5301"), ("history", 0, "county_code"), None),
        (lambda p: row(p).update(year=2050), ("history", 0, "year"), "less_than_equal"),
        (lambda p: row(p).update(colour="red"), ("history", 0, "colour"), "extra_forbidden"),
        (lambda p: row(p).pop("members"), ("history", 0, "members"), "missing"),
        (lambda p: row(p).update(labour_force=9), ("history", 0), "value_error"),
        (lambda p: p["households"][0].update(household_id=12345), ("household_id",), None),
        (lambda p: p["households"][0].update(household_id="a b"), ("household_id",), None),
        (lambda p: p["households"][0].update(history=[]), ("history",), "too_short"),
        (
            lambda p: p["households"][0].update(history=p["households"][0]["history"] * 2),
            ("history",),
            "too_long",
        ),
    ],
)
def test_bad_fields_get_422_with_their_path(client, mutate, loc, kind):
    errors = bad_request(client, mutate)
    assert ("body", "households", 0, *loc) in [e[0] for e in errors]
    if kind:
        assert (("body", "households", 0, *loc), kind) in errors


def test_latest_years_the_model_cannot_score_are_refused_with_their_path(client):
    def too_late(p):
        for position in range(3):
            row(p, 1, position)["year"] = 2033 + position

    errors = bad_request(client, too_late)
    assert errors == [(("body", "households", 1, "history", 2, "year"), "year_outside_model_range")]


def test_repeated_ids_and_years_are_refused_with_their_path(client):
    def repeat(p):
        p["households"][1]["household_id"] = "hh-1"
        row(p, 0, 1)["year"] = row(p, 0, 0)["year"]

    errors = bad_request(client, repeat)
    assert (("body", "households", 1, "household_id"), "duplicate_household_id") in errors
    assert (("body", "households", 0, "history", 1, "year"), "duplicate_year") in errors


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(client, literal):
    text = json.dumps({"households": [household()]}).replace("300.0", literal, 1)
    assert literal in text
    response = client.post(URL, content=text, headers=AUTH | {"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["type"] == "finite_number"


def test_household_count_limit_is_a_setting(make_client):
    client = make_client(max_households=2)
    assert post(client, [household(f"h{i}") for i in range(2)]).status_code == 200
    response = post(client, [household(f"h{i}") for i in range(3)])
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "households"]
    assert post(client, []).status_code == 422


def test_malformed_json_is_a_422_not_a_500(client):
    response = client.post(
        URL, content=b'{"households": [', headers=AUTH | {"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["type"] == "json_invalid"


class RefusingModel(FakeRiskModel):
    """Refuses a household of 20 members as forecast.risk does: naming row, year and field."""

    def __init__(self, field: str | None) -> None:
        super().__init__()
        self.field = field

    def predict(self, frame):
        large = np.flatnonzero(frame["members"].to_numpy() == 20)
        if large.size:
            row = int(large[-1])
            raise HistoryError(
                "is 20, more than the model was built for",
                row=row,
                household_id=frame["household_id"].iloc[row],
                year=int(frame["year"].iloc[row]),
                field=self.field,
            )
        return super().predict(frame)


@pytest.mark.parametrize(
    ("field", "tail"),
    [
        ("members", ["history", 2, "members"]),
        (None, ["history", 2]),
        ("income_to_line", ["history", 2]),
    ],
)
def test_a_model_refusal_points_at_the_household_row_and_field_it_names(make_client, field, tail):
    client = make_client(loader=lambda settings: fake_served(model=RefusingModel(field)))
    big = household("hh-big")
    for row in big["history"]:
        row["members"] = 20
    response = post(client, [household(), big])
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail["loc"] == ["body", "households", 1, *tail]
    assert detail["type"] == "model_rejected_input"
    assert "more than the model" not in response.text  # the model's message is withheld


def test_reasons_come_in_the_language_asked_with_the_same_codes(client):
    households = [household("hh-1", variant=-3), household("hh-2", variant=1)]
    english = post(client, households).json()["scores"]
    chinese = client.post(URL + "?lang=zh", json={"households": households}, headers=AUTH)
    assert chinese.status_code == 200, chinese.text
    chinese = chinese.json()["scores"]
    assert english[0]["reasons"], "the fake gives a reason to a medium or high household"
    assert english[0]["reasons"] == ["income per person has been close to the line in recent years"]
    assert chinese[0]["reasons"] == ["近几年人均收入一直接近监测线"]
    for en, zh in zip(english, chinese, strict=True):
        assert (
            en["reason_codes"] == zh["reason_codes"] == ["min_income_to_line"] * len(en["reasons"])
        )
        assert {k: v for k, v in en.items() if k != "reasons"} == {
            k: v for k, v in zh.items() if k != "reasons"
        }


def test_an_unknown_language_is_a_422_naming_the_query_field(client):
    response = client.post(URL + "?lang=xx", json={"households": [household()]}, headers=AUTH)
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert [d["loc"] for d in details] == [["query", "lang"]]
    assert "'en' or 'zh'" in details[0]["msg"]


def test_the_openapi_document_says_what_lang_takes(client):
    operation = client.get("/openapi.json").json()["paths"][URL]["post"]
    (lang,) = [p for p in operation["parameters"] if p["name"] == "lang"]
    assert lang["in"] == "query" and lang["schema"]["enum"] == ["en", "zh"]
    assert lang["schema"]["default"] == "en" and "中文" in lang["description"]
