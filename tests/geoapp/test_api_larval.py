"""Larval surveys through the OGC API: indices per place and round for staff, house visits for
health officers only, nothing for volunteers or the other municipality."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from layers.field.selectors import larval_indices_for
from layers.models import HouseSurvey, LarvalRiskBands, SurveyPlace

NST = "nakhon-si-thammarat"
HOUSES = f"/api/collections/{NST}.larval_house_visits"
PLACES = f"/api/collections/{NST}.larval_place_rounds"


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def items(client: Client, url: str, **query) -> tuple[int, dict]:
    response = client.get(f"{url}/items", {"limit": 1000, **query})
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize(
    ("username", "houses", "places"),
    [
        ("nst-health", 200, 200),
        ("nst-admin", 200, 200),
        ("nst-viewer", 404, 200),
        ("nst-planner", 404, 200),
        ("nst-volunteer", 404, 404),
        ("chon-health", 404, 404),
        ("chon-admin", 404, 404),
        (None, 401, 401),  # anonymous: asked to log in, as for every non-public collection
    ],
)
def test_who_reads_which_collection(db, username, houses, places):
    client = client_for(username)
    assert client.get(HOUSES).status_code == houses
    assert items(client, HOUSES)[0] == houses
    assert items(client, PLACES)[0] == places


def test_house_visits_carry_no_surveyor_and_no_house_number(db, nst):
    status, body = items(client_for("nst-health"), HOUSES)
    assert status == 200
    features = body["features"]
    with_location = HouseSurvey.objects.filter(municipality=nst).count()
    assert len(features) == with_location == body["numberMatched"]
    assert set(features[0]["properties"]) == {
        "place", "place_type", "round_number", "surveyed_on", "status", "containers",
        "containers_positive", "is_repeat",
    }  # fmt: skip
    assert sum(f["properties"]["is_repeat"] for f in features) == len(
        larval_indices_for(municipality=nst).repeat_visits
    )
    assert all(f["geometry"]["type"] == "Point" for f in features)


def test_place_rounds_equal_the_rule(db, nst):
    status, body = items(client_for("nst-viewer"), PLACES)
    assert status == 200
    got = {
        (f["properties"]["place"], f["properties"]["round_number"]): f["properties"]
        for f in body["features"]
    }
    mapped = set(
        SurveyPlace.objects.filter(municipality=nst, geom__isnull=False).values_list(
            "name", flat=True
        )
    )
    n = 0
    for round_number in (1, 2):
        survey = larval_indices_for(municipality=nst, by="place", round_number=round_number)
        for place, want in survey.groups:
            if place not in mapped:
                continue
            row = got[(place, round_number)]
            assert row["houses_surveyed"] == want.houses_surveyed
            assert row["houses_positive"] == want.houses_positive
            assert row["containers_positive"] == want.containers_positive
            assert row["hi"] == (None if want.hi is None else round(want.hi, 2))
            assert row["ci"] == (None if want.ci is None else round(want.ci, 2))
            risk = want.risk(survey.thresholds)
            assert row["risk_level"] == (risk["level"] if risk else None)
            n += 1
    assert n == len(got) > 0


def test_place_risk_follows_the_newest_saved_bands(db, nst):
    _status, body = items(client_for("nst-viewer"), PLACES, place_type="community")
    assert {f["properties"]["risk_level"] for f in body["features"]} - {None} != {"high"}
    LarvalRiskBands.objects.create(
        municipality=nst, hi_low_max=0, hi_moderate_max=0, ci_low_max=0, ci_moderate_max=0
    )
    _status, body = items(client_for("nst-viewer"), PLACES, place_type="community")
    levels = {f["properties"]["risk_level"] for f in body["features"] if f["properties"]["hi"]}
    assert levels == {"high"}


@pytest.mark.parametrize(
    "query",
    [
        {"round_number": "abc"},
        {"is_repeat": "maybe"},
        {"filter": "surveyor = 'x'"},
        {"filter": "1=1; DROP VIEW layers_larvalhousevisit"},
        {"bbox": "1,2,3"},
        {"datetime": "2026-13-01"},
    ],
)
def test_hostile_queries_are_refused(db, query):
    status, body = items(client_for("nst-health"), HOUSES, **query)
    assert status == 400, body


def test_filters_on_round_and_status_work(db, nst):
    _status, body = items(client_for("nst-health"), HOUSES, round_number=2, status="vacant")
    want = HouseSurvey.objects.filter(municipality=nst, round_number=2, status="vacant").count()
    assert len(body["features"]) == want > 0
