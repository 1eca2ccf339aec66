"""OGC API - Processes against the real database: tokens per role, a real worker, real commits.

The jobs are committed (a worker only sees committed jobs), so these tests do not run in the
`db` fixture's rolled-back transaction; each removes the jobs and tokens it made.
"""

from __future__ import annotations

import json
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from openapi_schema_validator import OAS30Validator

from geoapp.accounts.tokens import api_token_create
from geoapp.api.openapi import openapi_document
from geoapp.jobs.processes import PROCESSES
from geoapp.models import ApiToken, Job, JobStatus
from layers.dengue import selectors as selectors_dengue
from layers.flood import selectors as selectors_flood
from layers.models import DengueCase, Municipality
from layers.tenancy import all_tenants_scope
from tests.worker import run_in_thread

NST = "nakhon-si-thammarat"
CHON = "chon-buri"
DOCUMENT = openapi_document(server="http://127.0.0.1/api/")


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Real commits on the test database; the jobs and tokens made here are deleted after."""
    with django_db_blocker.unblock():
        with all_tenants_scope():
            before = set(Job.objects.values_list("pk", flat=True))
        yield
        with all_tenants_scope():
            Job.objects.filter(kind__in=list(PROCESSES)).exclude(pk__in=before).delete()
            ApiToken.objects.filter(name="processes-test").delete()


@pytest.fixture
def worker(committed):
    running = run_in_thread(poll_s=0.05)
    yield running
    running.stopping.set()


def user(username: str):
    with all_tenants_scope():
        return get_user_model().objects.get(username=username)


def api(username: str | None) -> Client:
    """A client that authenticates like a script: `Authorization: Token ...` on every call."""
    if username is None:
        return Client(HTTP_HOST="127.0.0.1")
    key = api_token_create(user=user(username), name="processes-test")
    return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {key}")


def execute(client: Client, process: str, inputs: dict):
    return client.post(
        f"/api/processes/{process}/execution",
        data=json.dumps({"inputs": inputs}),
        content_type="application/json",
    )


def check(name: str, body: object) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": DOCUMENT["components"]}
    OAS30Validator(schema).validate(body)


def poll(client: Client, location: str, *, until=("successful", "failed", "dismissed"), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(location).json()
        check("statusInfo", body)
        if body["status"] in until:
            return body
        time.sleep(0.05)
    raise AssertionError(f"job stayed {body['status']}: {body}")


def run_to_results(client: Client, process: str, inputs: dict) -> dict:
    response = execute(client, process, inputs)
    assert response.status_code == 201, response.content
    status = poll(client, response["Location"])
    assert status["status"] == "successful", status
    assert status["progress"] == 100
    results_link = next(link for link in status["links"] if link["rel"].endswith("/results"))
    results = client.get(results_link["href"])
    assert results.status_code == 200
    return results.json()


def as_json(value: object) -> object:
    return json.loads(json.dumps(value, default=str))


# --- Describing ---------------------------------------------------------------------------------


def test_processes_are_listed_and_described_with_their_inputs(committed):
    client = api(None)
    listing = client.get("/api/processes").json()
    check("processList", listing)
    assert [p["id"] for p in listing["processes"]] == [
        "spray-plan",
        "recommended-radius",
        "flood-exposure",
    ]
    for summary in listing["processes"]:
        description = client.get(f"/api/processes/{summary['id']}").json()
        check("process", description)
        assert "municipality" in description["inputs"]
        assert description["jobControlOptions"] == ["async-execute", "dismiss"]
    assert client.get("/api/processes/no-such").status_code == 404
    conformance = client.get("/api/conformance").json()["conformsTo"]
    for part in ("core", "json", "job-list", "dismiss"):
        assert f"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/{part}" in conformance
    rels = {link["rel"] for link in client.get("/api/").json()["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/processes" in rels


# --- Who may run what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "process", "code", "expected"),
    [
        ("nst-health", "spray-plan", NST, 201),
        ("nst-admin", "recommended-radius", NST, 201),
        ("nst-viewer", "spray-plan", NST, 403),  # masked locations only
        ("nst-planner", "recommended-radius", NST, 403),
        ("nst-viewer", "flood-exposure", NST, 201),
        ("chon-health", "spray-plan", NST, 404),  # another municipality: its code does not leak
        ("chon-admin", "flood-exposure", NST, 404),
        ("nst-health", "spray-plan", "no-such-town", 404),
        (None, "spray-plan", NST, 401),
    ],
)
def test_execution_follows_the_roles_and_municipalities_of_the_pages(
    committed, username, process, code, expected
):
    with all_tenants_scope():
        before = Job.objects.count()

    response = execute(api(username), process, {"municipality": code})

    assert response.status_code == expected, response.content
    body = response.json()
    with all_tenants_scope():
        made = Job.objects.count() - before
    if expected == 201:
        check("statusInfo", body)
        assert body["status"] == "accepted"
        assert body["processID"] == process
        assert response["Location"].endswith(f"/api/jobs/{body['jobID']}")
        assert made == 1
    else:
        check("exception", body)
        assert made == 0


def test_a_job_is_seen_only_by_its_submitter_and_the_municipalitys_administrators(committed):
    health = api("nst-health")
    location = execute(health, "spray-plan", {"municipality": NST})["Location"]
    job_id = location.rsplit("/", 1)[1]

    for username, status in [("nst-health", 200), ("nst-admin", 200), ("nst-viewer", 404),
                             ("chon-health", 404), ("chon-admin", 404)]:  # fmt: skip
        client = api(username)
        assert client.get(location).status_code == status, username
        assert client.get(f"{location}/results").status_code == 404
        listed = {j["jobID"] for j in client.get("/api/jobs").json()["jobs"]}
        assert (job_id in listed) is (status == 200), username
    assert api(None).get(location).status_code == 401
    assert api("chon-admin").delete(location).status_code == 404
    with all_tenants_scope():
        assert Job.objects.get(pk=job_id).cancel_requested is False


def test_session_callers_need_the_csrf_token_to_execute(committed):
    browser = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    browser.force_login(user("nst-health"))

    refused = execute(browser, "spray-plan", {"municipality": NST})
    browser.get("/m/")  # any page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/processes/spray-plan/execution",
        data=json.dumps({"inputs": {"municipality": NST}}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert refused.status_code == 403
    assert accepted.status_code == 201
    assert browser.get(accepted["Location"]).json()["status"] in ("accepted", "running")


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("process", "inputs", "field", "th_words", "en_words"),
    [
        ("spray-plan", {"radius_m": -5}, "radius_m", "radius_m", "from 10 to 1000"),
        ("spray-plan", {"radius_m": True}, "radius_m", "radius_m", "from 10 to 1000"),
        ("spray-plan", {"round_days": [0, 0]}, "round_days", "round_days", "different"),
        ("spray-plan", {"date_to": "2569-01-05"}, "date_to", "543", "Buddhist"),
        ("spray-plan", {"date_to": "2026-02-30"}, "date_to", "2026-02-30", "calendar"),
        ("spray-plan", {"case_ids": [1], "date_from": "2026-01-01"}, "case_ids", "case_ids",
         "not both"),
        ("spray-plan", {"case_ids": [10**12]}, "case_ids", str(10**12), "No case"),
        ("spray-plan", {"colour": "red"}, "colour", "colour", "Unknown input"),
        ("recommended-radius", {"permutations": 5}, "permutations", "19", "whole number"),
        ("recommended-radius", {"candidate_radii_m": []}, "candidate_radii_m",
         "candidate_radii_m", "list"),
        ("flood-exposure", {"hazard": "raster"}, "hazard", "zones", "one of"),
        ("flood-exposure", {"event": "no such flood"}, "event", "event", "flood events"),
        ("flood-exposure", {"exposures": ["rivers"]}, "exposures", "roads", "list"),
    ],
)  # fmt: skip
def test_bad_inputs_answer_400_naming_the_input_in_thai_and_english(
    committed, process, inputs, field, th_words, en_words
):
    with all_tenants_scope():
        before = Job.objects.count()

    response = execute(api("nst-admin"), process, {"municipality": NST, **inputs})

    body = response.json()
    assert response.status_code == 400, body
    check("exception", body)
    assert body["input"] == field
    assert th_words in body["messages"]["th"]
    assert en_words in body["messages"]["en"]
    assert body["messages"]["th"] != body["messages"]["en"]
    assert body["description"] == body["messages"]["th"]  # Thai unless the caller chose English
    with all_tenants_scope():
        assert Job.objects.count() == before


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"inputs": []}', b'{"inputs": {}}',
     b'{"inputs": {"municipality": 5}}', b'{"inputs": {"municipality": "x"}, "extra": 1}'],
)  # fmt: skip
def test_a_malformed_body_answers_400(committed, body):
    response = api("nst-admin").post(
        "/api/processes/spray-plan/execution", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["messages"]["en"]


# --- Running them -------------------------------------------------------------------------------


def test_spray_plan_job_plans_the_zones_the_spray_plan_page_plans(worker):
    client = api("nst-health")
    today = timezone.localdate()

    results = run_to_results(client, "spray-plan", {"municipality": NST})

    with all_tenants_scope():
        municipality = Municipality.objects.get(code=NST)
        situation = selectors_dengue.dengue_situation(municipality=municipality, on=today)
        plan = selectors_dengue.spray_plan(situation)
        # An export: the zones as published (issue 14), which do not point at case houses.
        published = selectors_dengue.zone_visits(
            situation, [int(z) for z in situation.zones["zone_id"]], published=True
        )
        case_ids = {str(pk) for pk in DengueCase.objects.values_list("pk", flat=True)}
    features = results["zones"]["features"]
    check("results", results)
    assert results["summary"]["n_cases"] == len(situation.cases) > 0
    assert results["summary"]["round_days"] == [0, 7]
    assert {f["id"]: f["properties"]["n_households"] for f in features} == {
        visit.key: visit.n_households for visit in published.values()
    }
    on_plan = {
        f["id"]: f["properties"]["plan_status"] for f in features if f["properties"]["plan_status"]
    }
    assert on_plan == {entry.zone.key: entry.status for entry in plan.rounds}
    # No case ids or personal fields anywhere in the output.
    text = json.dumps(results, ensure_ascii=False)
    keys = {key for f in features for key in f["properties"]}
    assert not {"national_id", "phone", "patient", "case_ids", "address"} & keys
    assert '"id": ' not in text.replace('"id": "z', "")
    assert not any(f"#{pk}" in text for pk in case_ids)


def test_spray_plan_of_chosen_cases_and_a_wider_radius(worker):
    with all_tenants_scope():
        municipality = Municipality.objects.get(code=NST)
        chosen = list(
            DengueCase.objects.filter(municipality=municipality)
            .order_by("-report_date", "pk")
            .values_list("pk", flat=True)[:6]
        )
    inputs = {"municipality": NST, "case_ids": chosen, "radius_m": 200, "round_days": [0, 3, 7]}

    results = run_to_results(api("nst-health"), "spray-plan", inputs)

    with all_tenants_scope():
        situation = selectors_dengue.dengue_situation(
            municipality=municipality,
            on=timezone.localdate(),
            radius_m=200,
            round_days=(0, 3, 7),
            case_ids=chosen,
        )
        published = selectors_dengue.zone_visits(
            situation, [int(z) for z in situation.zones["zone_id"]], published=True
        )
    features = results["zones"]["features"]
    assert results["summary"]["n_cases"] == 6
    assert sum(f["properties"]["n_cases"] for f in features) == 6
    assert sorted(f["properties"]["area_m2"] for f in features) == sorted(
        round(v.area_m2, 1) for v in published.values()
    )
    # The published zones are wider than the 200 m circles they cover.
    exact = zip(situation.zones["zone_id"], situation.zones["area_m2"], strict=True)
    assert all(published[int(z)].area_m2 > area for z, area in exact)
    assert all(len(f["properties"]["rounds"]) == 3 for f in features)


def test_recommended_radius_job_gives_what_the_radius_page_computes(worker):
    cache.clear()
    client = api("nst-admin")

    results = run_to_results(client, "recommended-radius", {"municipality": NST})

    with all_tenants_scope():
        municipality = Municipality.objects.get(code=NST)
        page = selectors_dengue.dengue_radius_evidence(
            municipality=municipality, known_on=timezone.localdate()
        )
    assert results == as_json(page)
    assert results["recommendation"]["parameters"]["permutations"] == 199


def test_flood_exposure_job_counts_what_the_flood_dashboard_counts(worker):
    client = api("nst-viewer")

    results = run_to_results(client, "flood-exposure", {"municipality": NST, "hazard": "zones"})

    with all_tenants_scope():
        municipality = Municipality.objects.get(code=NST)
        event = selectors_flood.flood_event_list(municipality=municipality)[0].name
        situation = selectors_flood.flood_situation(
            municipality=municipality,
            event=event,
            needs=selectors_flood.needs_profile_current(municipality=municipality),
        )
    summary = situation.assessment.summary()
    by_name = {entry["name"]: entry for entry in results["exposures"]}
    assert results["hazard"]["event"] == event
    assert [e["geometry"] for e in results["exposures"]] == ["line", "point", "polygon"]
    roads = by_name["roads"]
    for key in ("total", "affected", "by_class", "by_type"):
        assert roads[key] == summary["roads"][key]
        assert by_name["landmarks"][key] == summary["landmarks"][key]
    for key in ("total", "affected", "by_class"):
        assert by_name["buildings"][key] == summary["buildings"][key]
    assert roads["affected"] > 0
    for key in ("total", "affected", "impassable"):
        assert roads["length_m"][key] == pytest.approx(summary["roads"]["length_m"][key], abs=0.01)
    # Counts only: nothing about a household.
    text = json.dumps(results, ensure_ascii=False)
    names = [n for n in situation.households["name_th"].dropna() if len(n) > 3]
    for name in names[:50]:
        assert name not in text


def test_dismissing_a_running_job_cancels_it(worker):
    client = api("nst-health")
    response = execute(
        client, "recommended-radius", {"municipality": NST, "permutations": 99_999, "seed": 7}
    )
    location = response["Location"]
    running = poll(client, location, until=("running",))
    deadline = time.monotonic() + 30
    while client.get(location).json()["progress"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)

    dismissed = client.delete(location)

    assert running["status"] == "running"
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == "dismissed"
    with all_tenants_scope():
        job = Job.objects.get(pk=running["jobID"])
    deadline = time.monotonic() + 30
    while job.status == JobStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
        with all_tenants_scope():
            job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.result is None
    results = client.get(f"{location}/results")
    assert results.status_code == 404
    assert results.json()["type"].endswith("result-not-ready")
    assert client.get(location).json()["status"] == "dismissed"


def test_dismissing_a_finished_job_removes_it_and_its_results(worker):
    client = api("nst-viewer")
    location = execute(client, "flood-exposure", {"municipality": NST})["Location"]
    assert poll(client, location)["status"] == "successful"

    dismissed = client.delete(location)

    assert dismissed.json()["status"] == "dismissed"
    assert client.get(location).status_code == 404
    assert client.get(f"{location}/results").status_code == 404
