"""Requirements of OGC API - Features Part 1 checked here because no other test did (see
docs/ogcapi-ats.md): unknown query parameters, the service-doc, security schemes in the
OpenAPI document, `datetime` and features without a date, every link in the HTML pages.
"""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from openapi_spec_validator import validate

NST = "nakhon-si-thammarat"
COLLECTION = f"/api/collections/{NST}.roads"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def first_road_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id FROM layers_road t JOIN layers_municipality m "
            "ON m.id = t.municipality_id WHERE m.code = %s ORDER BY t.id LIMIT 1",
            [NST],
        )
        return cursor.fetchone()[0]


RESOURCES = [
    "/api/",
    "/api/conformance",
    "/api/collections",
    COLLECTION,
    f"{COLLECTION}/queryables",
    f"{COLLECTION}/schema",
    "/api/openapi",
]


@pytest.mark.parametrize("url", [*RESOURCES, "item"])
def test_a_query_parameter_the_resource_does_not_take_is_400(db, url):
    """/req/core/query-param-unknown; `f` is taken everywhere (declared in the document)."""
    url = f"{COLLECTION}/items/{first_road_id()}" if url == "item" else url
    client = client_for(None)

    unknown = client.get(url, {"colour": "red"})
    known = client.get(url, {"f": "json"})

    assert unknown.status_code == 400
    assert "colour" in unknown.json()["description"]
    assert known.status_code == 200


def test_the_landing_page_links_the_api_definition_as_json_and_html(db):
    """/req/oas30/oas-definition-1 and /req/core/api-definition-success."""
    client = client_for(None)
    links = {link["rel"]: link for link in client.get("/api/").json()["links"]}

    desc = client.get(links["service-desc"]["href"], HTTP_ACCEPT=links["service-desc"]["type"])
    doc = client.get(links["service-doc"]["href"], HTTP_ACCEPT_LANGUAGE="th")

    assert links["service-desc"]["type"] == OPENAPI_JSON
    assert links["service-doc"]["type"] == "text/html"
    assert desc["Content-Type"] == OPENAPI_JSON
    document = json.loads(desc.content)
    validate(document)
    assert doc["Content-Type"].startswith("text/html")
    page = doc.content.decode()
    assert "เส้นทาง URL" in page
    for path in document["paths"]:
        assert f"<code>{path}</code>" in unescape(page)


def test_the_document_names_every_way_to_authenticate(db):
    """/req/oas30/security: Token, Bearer, Basic (login name + API token) and the session."""
    document = json.loads(client_for(None).get("/api/openapi").content)
    schemes = document["components"]["securitySchemes"]

    assert schemes["basic"] == {**schemes["basic"], "type": "http", "scheme": "basic"}
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert {"token", "session"} <= set(schemes)
    assert {"basic": []} in document["security"]


def test_datetime_keeps_features_without_a_date(db):
    """/req/core/fc-time-response C: a feature without a temporal geometry matches too."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id FROM layers_floodzone t JOIN layers_municipality m "
            "ON m.id = t.municipality_id WHERE m.code = %s AND (t.observed_date IS NULL "
            "OR t.observed_date BETWEEN %s AND %s) ORDER BY t.id",
            [NST, "2026-01-01", "2026-12-31"],
        )
        expected = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT count(*) FROM layers_floodzone t JOIN layers_municipality m "
            "ON m.id = t.municipality_id WHERE m.code = %s AND t.observed_date IS NULL",
            [NST],
        )
        undated = cursor.fetchone()[0]

    page = (
        client_for("nst-planner")
        .get(f"/api/collections/{NST}.flood_zones/items", {"datetime": "2026-01-01/2026-12-31"})
        .json()
    )

    assert [feature["id"] for feature in page["features"]] == expected
    assert undated > 0  # the demo has zones without an observation date


def _json_and_html(client: Client, url: str) -> tuple[dict, str]:
    body = client.get(url).json()
    html_url = f"{url}{'&' if '?' in url else '?'}f=html"
    page = unescape(client.get(html_url).content.decode())
    return body, page


@pytest.mark.parametrize(
    "url",
    [
        "/api/",
        "/api/conformance",
        "/api/collections",
        COLLECTION,
        f"{COLLECTION}/items?limit=5",
        "item",
        f"{COLLECTION}/queryables",
        f"{COLLECTION}/schema",
    ],
)
def test_every_link_of_a_resource_is_an_anchor_in_its_html(db, url):
    """/req/html/content (links) and /req/html/definition: JSON and HTML for each resource."""
    url = f"{COLLECTION}/items/{first_road_id()}" if url == "item" else url
    client = client_for(None)
    body, page = _json_and_html(client, url)
    # A JSON Schema has no links member (its HTML links its JSON); conformance has none.
    schema = "queryables" in url or "schema" in url
    links = [{"href": body["$id"]}] if schema else body.get("links", [])

    anchors = set(re.findall(r'<a href="([^"]+)"', page))
    if not schema:  # /req/core/fc-rel-type, /req/core/f-links B: rel and type on every link
        assert all(link.get("rel") and link.get("type") for link in links), links

    for link in links:
        # The HTML page's next/prev pages are HTML pages: the same page with f=html.
        paging = link.get("rel") in ("next", "prev")
        as_html = _without_f(link["href"]) in {_without_f(a) for a in anchors}
        assert link["href"] in anchors or (paging and as_html), link


def _without_f(href: str) -> tuple[str, tuple]:
    parts = urlsplit(href)
    return parts.path, tuple(sorted((k, v) for k, v in parse_qsl(parts.query) if k != "f"))


@pytest.mark.parametrize("name", ["bbox-crs", "filter-crs", "crs"])
def test_an_unknown_crs_in_any_crs_parameter_is_400_with_a_message(db, name):
    """/req/crs/bbox-crs-exception, /req/crs/crs-exception, /req/features-filter/response E."""
    query = {name: "http://www.opengis.net/def/crs/EPSG/0/2154", "bbox": "99.9,8.4,100,8.5"}
    if name == "filter-crs":
        query["filter"] = "S_INTERSECTS(geometry, POINT(99.96 8.43))"

    response = client_for(None).get(f"{COLLECTION}/items", query)

    assert response.status_code == 400
    assert name in response.json()["description"]


def _ids(url: str, **query) -> list[int]:
    response = client_for("nst-health").get(url, query)
    assert response.status_code == 200, response.content[:300]
    return [feature["id"] for feature in response.json()["features"]]


def test_filter_bbox_and_datetime_are_joined_by_and(db):
    """/req/filter/mixing-expressions and /req/features-filter/response B-D."""
    box = (99.94, 8.40, 99.98, 8.46)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id FROM layers_denguecase t JOIN layers_municipality m "
            "ON m.id = t.municipality_id WHERE m.code = %s AND t.diagnosis = %s "
            "AND ST_Intersects(t.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326)) "
            "AND t.onset_date BETWEEN %s AND %s ORDER BY t.id",
            [NST, "DF", *box, "2026-01-01", "2026-08-31"],
        )
        expected = [row[0] for row in cursor.fetchall()]
    url = f"/api/collections/{NST}.dengue_cases/items"

    found = _ids(
        url,
        filter="diagnosis = 'DF'",
        bbox=",".join(map(str, box)),
        datetime="2026-01-01/2026-08-31",
    )

    assert found == expected != []
    assert len(expected) < len(_ids(url, filter="diagnosis = 'DF'"))


def test_is_null_and_not_follow_cql2s_truth_tables(db):
    """/req/basic-cql2/null-predicate: NULL is neither equal nor unequal; NOT NULL stays NULL."""
    url = f"/api/collections/{NST}.flood_zones/items"
    every = _ids(url)

    missing = _ids(url, filter="depth_max_m IS NULL")
    present = _ids(url, filter="depth_max_m IS NOT NULL")
    compared = _ids(url, filter="depth_max_m > 0 OR NOT (depth_max_m > 0)")

    assert sorted(missing + present) == every
    assert missing != []
    assert compared == present  # a NULL depth matches neither the comparison nor its NOT


def test_like_takes_percent_underscore_and_backslash(db):
    """/req/advanced-comparison-operators/like-predicate E-K."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id FROM layers_road t JOIN layers_municipality m "
            "ON m.id = t.municipality_id WHERE m.code = %s AND t.road_class LIKE %s ORDER BY t.id",
            [NST, "_rimary"],
        )
        expected = [row[0] for row in cursor.fetchall()]

    found = _ids(f"{COLLECTION}/items", filter="road_class LIKE '_rimary'", limit="10000")
    escaped = _ids(f"{COLLECTION}/items", filter="road_class LIKE '\\_rimary'")

    assert found == expected != []
    assert escaped == []  # \_ is an underscore, not any one character


def test_a_filter_geometry_in_utm_finds_what_it_finds_in_degrees(db):
    """/req/filter/filter-crs-param B: the filter's geometries are read in `filter-crs`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsText(ST_Transform(ST_MakeEnvelope(99.955, 8.42, 99.975, 8.44, 4326), "
            "32647)), ST_AsText(ST_MakeEnvelope(99.955, 8.42, 99.975, 8.44, 4326))"
        )
        utm, degrees = cursor.fetchone()
        cursor.execute(
            "SELECT t.id FROM layers_road t JOIN layers_municipality m "
            "ON m.id = t.municipality_id WHERE m.code = %s AND ST_Intersects(t.geom, "
            "ST_Transform(ST_GeomFromText(%s, 32647), 4326)) ORDER BY t.id",
            [NST, utm],
        )
        expected = [row[0] for row in cursor.fetchall()]
    url = f"{COLLECTION}/items"

    in_utm = _ids(
        url,
        filter=f"S_INTERSECTS(geometry, {utm})",
        **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/32647"},
        limit="10000",
    )
    in_degrees = _ids(url, filter=f"S_INTERSECTS(geometry, {degrees})", limit="10000")

    assert in_utm == expected != []
    assert abs(len(in_utm) - len(in_degrees)) <= 2  # the same box, edges straight in UTM


def test_an_items_html_page_holds_its_coordinates(db):
    """/req/html/content: the geometry's coordinates are in the HTML body, not only its type."""
    url = f"{COLLECTION}/items/{first_road_id()}"
    client = client_for(None)
    feature = client.get(url).json()

    page = unescape(client.get(url, {"f": "html"}, HTTP_ACCEPT_LANGUAGE="th").content.decode())

    assert json.dumps(feature["geometry"]["coordinates"]) in page
    assert "พิกัด" in page
