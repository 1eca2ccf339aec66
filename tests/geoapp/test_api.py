"""OGC API - Features: what each caller may read, paging, filters, schema conformance."""

from __future__ import annotations

import gzip
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import LineString, MultiLineString
from django.db import connection
from django.test import Client
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from geoapp.accounts.tokens import api_token_create
from layers.models import DengueCase, Municipality, Road
from layers.tenancy import all_tenants_scope

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
            "AND ST_Intersects(r.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
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
    # Anonymous callers asking for what is not public are asked to log in (issue 20).
    assert without == 401
    assert "Basic" in anonymous.get(url)["WWW-Authenticate"]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/collections/{NST}.roads/items?limit=0",
        f"/api/collections/{NST}.roads/items?limit=abc",
        f"/api/collections/{NST}.roads/items?bbox=1,2,3",
        f"/api/collections/{NST}.roads/items?bbox=99,11,100,10",  # 100,10,99,11 crosses 180°
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


def walk(client: Client, url: str, on_page=None) -> list[int]:
    """Follow `next` links from url; the ids in the order served."""
    seen: list[int] = []
    while url:
        status, page = get_json(client, url)
        assert status == 200, page
        seen += [feature["id"] for feature in page["features"]]
        if on_page:
            on_page(page)
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    return seen


def test_next_links_keep_every_feature_once_while_rows_are_added_and_removed(openapi):
    """Keyset paging: offsets would skip a feature for every row removed from earlier pages."""
    municipality = Municipality.objects.get(code=NST)
    roads = Road.objects.filter(municipality=municipality)
    with all_tenants_scope():  # the openapi fixture's anonymous request left no tenant
        before = set(roads.values_list("id", flat=True))
    added: list[int] = []
    removed: list[int] = []

    def meanwhile(page: dict) -> None:
        check_schema(openapi, "featureCollection", page)
        if len(added) >= 3:
            return
        first = page["features"][0]["id"]
        removed.append(first)
        with all_tenants_scope():
            roads.filter(pk=first).delete()
            added.append(
                Road.objects.create(
                    municipality=municipality,
                    name_th=f"ถนนใหม่ {len(added)}",
                    road_class=Road.RoadClass.RESIDENTIAL,
                    geom=MultiLineString(LineString((99.96, 8.43), (99.961, 8.431)), srid=4326),
                ).pk
            )

    seen = walk(
        client_for("nst-planner"), f"/api/collections/{NST}.roads/items?limit=300", meanwhile
    )

    assert len(seen) == len(set(seen))
    assert seen == sorted(seen)
    assert set(seen) == before | set(added)  # removed rows were served before they went
    assert set(removed) <= before
    assert len(added) == 3


@pytest.mark.parametrize(
    "bbox",
    [
        (99.962, 8.428, 99.966, 8.432),  # a few streets: through the spatial index
        (99.9, 8.3, 100.1, 8.6),  # the whole town: through the id index
    ],
)
def test_bbox_pages_with_after_and_offset_match_postgis_in_id_order(db, bbox):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id FROM layers_road r JOIN layers_municipality m ON m.id = r.municipality_id "
            "WHERE m.code = %s AND ST_Intersects(r.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326)) "
            "ORDER BY r.id",
            [NST, *bbox],
        )
        expected = [row[0] for row in cursor.fetchall()]
    client = client_for("nst-viewer")
    url = f"/api/collections/{NST}.roads/items?bbox={','.join(map(str, bbox))}"

    walked = walk(client, f"{url}&limit=7")
    _status, skipped = get_json(client, f"{url}&limit=5&offset=3&after={expected[1]}")

    assert len(expected) > 7
    assert walked == expected
    assert [f["id"] for f in skipped["features"]] == expected[5:10]


def test_number_matched_is_never_a_full_count_of_a_big_table(db, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    from layers.api import features

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE layers_road")  # the planner's estimate: 1,600-odd rows
    monkeypatch.setattr(features, "CHEAP_COUNT_ROWS", 1000)  # a big table, then
    total = Road.objects.filter(municipality__code=NST).count()
    client = client_for("nst-planner")
    url = f"/api/collections/{NST}.roads/items"

    with CaptureQueriesContext(connection) as queries:
        _status, middle = get_json(client, f"{url}?limit=100&offset=200")
    statements = [q["sql"] for q in queries]  # the next request clears Django's query log
    _status, last = get_json(client, f"{url}?limit=100&offset={total - 40}")
    _status, small = get_json(client, f"{url}?limit=100&offset=0&road_class=trunk")
    monkeypatch.setattr(features, "CHEAP_COUNT_ROWS", 10**9)
    _status, counted = get_json(client, f"{url}?limit=100&offset=200")

    assert "numberMatched" not in middle
    assert len(statements) > 2
    assert not any("count(*) FROM (SELECT 1 FROM layers_road" in sql for sql in statements)
    assert last["numberMatched"] == total  # the last page knows what came before it
    assert small["numberMatched"] == small["numberReturned"] > 0
    assert counted["numberMatched"] == total


@pytest.mark.parametrize("after", ["abc", "-1", str(2**63)])
def test_a_bad_after_cursor_gets_400(openapi, after):
    status, body = get_json(
        client_for("nst-planner"), f"/api/collections/{NST}.roads/items?after={after}"
    )

    assert status == 400
    check_schema(openapi, "exception", body)
    assert "after" in body["description"]


def test_the_paging_index_serves_id_order_under_row_level_security(db):
    """Pages walk (municipality_id, id) in order: no sort of the town, RLS quals in the index."""
    municipality = Municipality.objects.get(code=NST)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(
            "EXPLAIN SELECT t.id FROM layers_road t WHERE t.municipality_id = %s AND t.id > 0 "
            "ORDER BY t.id LIMIT 1000 OFFSET 500",
            [municipality.pk],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "road_paging" in plan
    assert "Sort" not in plan


def test_a_client_that_accepts_gzip_gets_the_same_page_compressed(db):
    client = client_for("nst-planner")
    url = f"/api/collections/{NST}.roads/items?limit=1000"

    plain = client.get(url)
    compressed = client.get(url, HTTP_ACCEPT_ENCODING="gzip")

    assert compressed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(compressed.content)) == json.loads(plain.content)
    assert len(compressed.content) < len(plain.content) / 3
