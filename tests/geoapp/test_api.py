"""OGC API - Features: what each caller may read, paging, filters, schema conformance."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from geoapp.tokens import api_token_create
from layers.models import DengueCase, Road

NST = "nakhon-si-thammarat"


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def get_json(client: Client, url: str, **extra) -> tuple[int, dict]:
    response = client.get(url, **extra)
    return response.status_code, json.loads(response.content)


@pytest.fixture
def openapi(db) -> dict:
    return json.loads(client_for(None).get("/api/openapi").content)


def check_schema(openapi: dict, name: str, body: dict) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": openapi["components"]}
    OAS30Validator(schema).validate(body)


def test_the_openapi_document_is_valid(openapi):
    validate(openapi)
    assert "/collections/{collectionId}/items" in openapi["paths"]


def test_landing_and_conformance_follow_the_schema(openapi):
    status, landing = get_json(client_for(None), "/api/")
    _status, conformance = get_json(client_for(None), "/api/conformance")

    assert status == 200
    check_schema(openapi, "landing", landing)
    check_schema(openapi, "conformance", conformance)
    assert {"service-desc", "conformance", "data"} <= {link["rel"] for link in landing["links"]}


@pytest.mark.parametrize(
    ("username", "expected", "absent"),
    [
        ("nst-planner", {f"{NST}.roads", f"{NST}.buildings", f"{NST}.flood_zones"},
         {f"{NST}.dengue_cases"}),
        ("nst-health", {f"{NST}.dengue_cases", f"{NST}.roads"}, set()),
        ("chon-health", {"chon-buri.dengue_cases", f"{NST}.roads"},
         {f"{NST}.dengue_cases", f"{NST}.buildings", f"{NST}.flood_zones"}),
        (None, {f"{NST}.roads", f"{NST}.landmarks"},
         {f"{NST}.dengue_cases", f"{NST}.buildings", "chon-buri.dengue_cases"}),
    ],
)  # fmt: skip
def test_collections_list_what_the_caller_may_read(openapi, username, expected, absent):
    status, body = get_json(client_for(username), "/api/collections")

    ids = {c["id"] for c in body["collections"]}
    assert status == 200
    check_schema(openapi, "collections", body)
    assert expected <= ids
    assert not absent & ids


def test_items_page_through_every_road_once(openapi):
    client = client_for("nst-planner")
    url = f"/api/collections/{NST}.roads/items?limit=500"
    seen: list[int] = []
    while url:
        status, page = get_json(client, url)
        assert status == 200
        check_schema(openapi, "featureCollection", page)
        seen += [feature["id"] for feature in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)

    expected = set(Road.objects.filter(municipality__code=NST).values_list("id", flat=True))
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_bbox_and_property_filters_match_postgis(db):
    bbox = (99.955, 8.42, 99.975, 8.44)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM layers_road r JOIN layers_municipality m "
            "ON m.id = r.municipality_id WHERE m.code = %s AND r.road_class = 'residential' "
            "AND r.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
            [NST, *bbox],
        )
        expected = cursor.fetchone()[0]

    _status, page = get_json(
        client_for("nst-viewer"),
        f"/api/collections/{NST}.roads/items?limit=10000&road_class=residential"
        f"&bbox={','.join(map(str, bbox))}",
    )

    assert page["numberReturned"] == expected > 0
    assert {f["properties"]["road_class"] for f in page["features"]} == {"residential"}


def test_datetime_filters_cases_by_onset(db):
    status, page = get_json(
        client_for("nst-health"),
        f"/api/collections/{NST}.dengue_cases/items?limit=10000&datetime=2026-06-01/2026-06-30",
    )

    expected = DengueCase.objects.filter(
        municipality__code=NST, onset_date__range=("2026-06-01", "2026-06-30")
    ).count()
    assert status == 200
    assert page["numberReturned"] == expected
    assert all(
        "2026-06-01" <= f["properties"]["onset_date"] <= "2026-06-30" for f in page["features"]
    )


def test_a_token_reads_as_its_user_and_a_bad_token_is_refused(db):
    user = get_user_model().objects.get(username="nst-health")
    key = api_token_create(user=user, name="weekly export")
    anonymous = client_for(None)
    url = f"/api/collections/{NST}.dengue_cases/items?limit=5"

    status, page = get_json(anonymous, url, HTTP_AUTHORIZATION=f"Token {key}")
    refused, error = get_json(anonymous, url, HTTP_AUTHORIZATION="Token mueang_wrong")
    without, _ = get_json(anonymous, url)

    assert status == 200
    assert len(page["features"]) == 5
    assert refused == 401
    assert error["code"] == "InvalidToken"
    assert without == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/api/collections/{NST}.roads/items?limit=0",
        f"/api/collections/{NST}.roads/items?limit=abc",
        f"/api/collections/{NST}.roads/items?bbox=1,2,3",
        f"/api/collections/{NST}.roads/items?bbox=100,10,99,11",
        f"/api/collections/{NST}.roads/items?datetime=yesterday",
        f"/api/collections/{NST}.roads/items?colour=red",
    ],
)
def test_bad_parameters_get_400_with_a_reason(openapi, url):
    status, body = get_json(client_for("nst-planner"), url)

    assert status == 400
    check_schema(openapi, "exception", body)
    assert body["description"]


def test_other_municipalitys_member_cannot_read_internal_layers_or_items(db):
    road = Road.objects.filter(municipality__code=NST).first()
    client = client_for("chon-planner")

    assert client.get(f"/api/collections/{NST}.buildings/items").status_code == 404
    assert client.get(f"/api/collections/{NST}.dengue_cases").status_code == 404
    # Public roads stay readable by anyone, as open data.
    status, feature = get_json(client, f"/api/collections/{NST}.roads/items/{road.pk}")
    assert status == 200
    assert feature["id"] == road.pk


def test_items_render_as_html_with_escaped_text(db):
    road = Road.objects.filter(municipality__code=NST).first()
    Road.objects.filter(pk=road.pk).update(name_th="<script>alert(1)</script>")

    page = client_for("nst-planner").get(f"/api/collections/{NST}.roads/items?f=html&limit=10000")

    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.content.decode()
    assert "&lt;script&gt;" in page.content.decode()


@pytest.mark.parametrize(
    "path", ["/api/collections/", "/api/nothing-here", "/api/collections/x/y/z"]
)
def test_unknown_api_paths_answer_json_404(openapi, path):
    status, body = get_json(client_for(None), path)

    assert status == 404
    check_schema(openapi, "exception", body)
