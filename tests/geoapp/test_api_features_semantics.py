"""OGC API - Features semantics (issue 20): true bbox intersection, data extents, paging caps,
queryables and schemas, per-collection filters in the OpenAPI document, HTML and alternate
links, CRS by reference (Part 2) and CQL2 filters (Part 3). Each count is checked against the
SQL written beside it.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openapi_spec_validator import validate

from geoapp.api import views
from layers.models import DengueCase, Road

NST = "nakhon-si-thammarat"
ROADS = f"/api/collections/{NST}.roads"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def get_json(client: Client, url: str, **extra) -> tuple[int, dict]:
    response = client.get(url, **extra)
    return response.status_code, json.loads(response.content)


def sql_ids(sql: str, params: list) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def road_ids_where(condition: str, params: list) -> list[int]:
    return sql_ids(
        "SELECT r.id FROM layers_road r JOIN layers_municipality m ON m.id = r.municipality_id "
        f"WHERE m.code = %s AND {condition} ORDER BY r.id",
        [NST, *params],
    )


def ids_of(client: Client, url: str) -> list[int]:
    status, page = get_json(client, url)
    assert status == 200, page
    return [feature["id"] for feature in page["features"]]


# --- bbox --------------------------------------------------------------------------------------

BOX = (99.955, 8.42, 99.975, 8.44)


def test_bbox_matches_geometries_that_intersect_not_their_envelopes(db):
    intersecting = road_ids_where(
        "ST_Intersects(r.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", list(BOX)
    )
    envelopes = road_ids_where("r.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", list(BOX))

    found = ids_of(client_for(None), f"{ROADS}/items?limit=10000&bbox={','.join(map(str, BOX))}")

    assert found == intersecting
    assert len(envelopes) > len(intersecting)  # the demo has roads whose box only touches


def test_the_bbox_keeps_the_gist_index_condition_under_row_level_security(db):
    """`&&` beside ST_Intersects: the exact test alone would be a filter after a scan."""
    from layers.api.features import COLLECTIONS, ItemQuery, _where
    from layers.models import Municipality

    municipality = Municipality.objects.get(code=NST)
    where, params = _where(COLLECTIONS["roads"], municipality, ItemQuery(boxes=(BOX,)))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT t.id FROM layers_road t WHERE {where}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Cond: (geom && " in plan


def test_a_six_number_bbox_uses_its_two_dimensional_part(db):
    client = client_for(None)
    flat = ids_of(client, f"{ROADS}/items?limit=10000&bbox={','.join(map(str, BOX))}")
    minx, miny, maxx, maxy = BOX

    deep = ids_of(client, f"{ROADS}/items?limit=10000&bbox={minx},{miny},-10,{maxx},{maxy},50")

    assert deep == flat != []


def test_a_bbox_across_the_antimeridian_is_searched_as_two_boxes(db):
    # From 170°E east across 180° to 99.97°E: the western part of the town's roads.
    expected = road_ids_where(
        "(ST_Intersects(r.geom, ST_MakeEnvelope(170, 8, 180, 9, 4326)) "
        "OR ST_Intersects(r.geom, ST_MakeEnvelope(-180, 8, 99.97, 9, 4326)))",
        [],
    )
    everything = road_ids_where("true", [])

    found = ids_of(client_for(None), f"{ROADS}/items?limit=10000&bbox=170,8,99.97,9")

    assert found == expected
    assert 0 < len(found) < len(everything)


@pytest.mark.parametrize("bbox", ["99,11,100,10", "1,2,3", "1,2,3,4,5", "a,b,c,d", "200,0,201,1"])
def test_impossible_boxes_still_get_400(db, bbox):
    status, body = get_json(client_for(None), f"{ROADS}/items?bbox={bbox}")

    assert status == 400
    assert "bbox" in body["description"]


# --- extents -----------------------------------------------------------------------------------


def sql_extent(table: str, code: str = NST) -> tuple[float, float, float, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(t.geom) e "
            f"FROM {table} t JOIN layers_municipality m ON m.id = t.municipality_id "
            "WHERE m.code = %s) AS found",
            [code],
        )
        return cursor.fetchone()


@pytest.mark.parametrize(
    ("layer", "table"),
    [("roads", "layers_road"), ("buildings", "layers_building"),
     ("flood_zones", "layers_floodzone"),
     ("dengue_cases", "layers_denguecase"), ("landmarks", "layers_landmark")],
)  # fmt: skip
def test_a_collections_extent_is_its_datas_box(db, layer, table):
    cache.clear()
    _status, body = get_json(client_for("nst-admin"), f"/api/collections/{NST}.{layer}")

    assert body["extent"]["spatial"]["bbox"][0] == pytest.approx(sql_extent(table))
    assert body["extent"]["spatial"]["crs"] == CRS84


def test_roads_reach_beyond_the_municipalitys_box_and_the_extent_says_so(db, nst):
    _status, body = get_json(client_for(None), ROADS)
    minx, _miny, maxx, _maxy = body["extent"]["spatial"]["bbox"][0]
    town = nst.boundary.extent

    assert minx < town[0]
    assert maxx > town[2]


def test_dated_layers_have_a_temporal_extent_and_undated_ones_none(db):
    cases = DengueCase.objects.filter(municipality__code=NST)
    first = cases.order_by("onset_date").first().onset_date
    last = cases.order_by("-onset_date").first().onset_date
    client = client_for("nst-health")

    _status, dengue = get_json(client, f"/api/collections/{NST}.dengue_cases")
    _status, roads = get_json(client, ROADS)

    assert dengue["extent"]["temporal"]["interval"] == [
        [f"{first.isoformat()}T00:00:00Z", f"{last.isoformat()}T23:59:59Z"]
    ]
    assert "temporal" not in roads["extent"]


def test_an_extent_is_cached_until_the_layer_changes(db):
    cache.clear()
    client = client_for("nst-planner")
    get_json(client, ROADS)
    with CaptureQueriesContext(connection) as queries:
        _status, cached = get_json(client, ROADS)
    assert not any("ST_Extent" in q["sql"] for q in queries)

    road = Road.objects.filter(municipality__code=NST).order_by("id").first()
    road.geom.transform(3857)
    road.geom = type(road.geom)([line.__class__([(x + 50_000, y) for x, y in line.coords])
                                 for line in road.geom], srid=3857)  # fmt: skip
    road.geom.transform(4326)
    road.save()  # the trigger bumps the layer version
    _status, moved = get_json(client, ROADS)
    cache.clear()  # the rolled-back edit's version must not serve a later test

    assert moved["extent"]["spatial"]["bbox"][0][2] > cached["extent"]["spatial"]["bbox"][0][2]


# --- paging ------------------------------------------------------------------------------------


def test_the_default_page_holds_a_thousand_features(db):
    total = Road.objects.filter(municipality__code=NST).count()

    _status, page = get_json(client_for(None), f"{ROADS}/items")

    assert total > 1000
    assert page["numberReturned"] == 1000
    assert page["numberMatched"] == total
    assert any(link["rel"] == "next" for link in page["links"])


def test_a_limit_above_the_maximum_is_capped_and_pages_stay_right(db, monkeypatch):
    monkeypatch.setattr(views, "MAX_LIMIT", 500)
    total = Road.objects.filter(municipality__code=NST).count()
    client = client_for(None)
    url, seen = f"{ROADS}/items?limit=20000", []

    while url:
        status, page = get_json(client, url)
        assert status == 200
        assert page["numberReturned"] <= 500
        assert page["numberMatched"] == total
        seen += [feature["id"] for feature in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)

    assert len(seen) == len(set(seen)) == total


# --- queryables, schema, property filters, OpenAPI ---------------------------------------------


def test_queryables_list_each_collections_filters_with_types(db):
    client = client_for("nst-health")

    response = client.get(f"{ROADS}/queryables")
    roads = json.loads(response.content)
    _status, cases = get_json(client, f"/api/collections/{NST}.dengue_cases/queryables")

    assert response["Content-Type"] == "application/schema+json"
    assert set(roads["properties"]) == {"geometry", "road_class", "surface", "name_th"}
    assert roads["properties"]["geometry"]["format"] == "geometry-multilinestring"
    assert "primary" in roads["properties"]["road_class"]["enum"]
    onset = cases["properties"]["onset_date"]
    assert (onset["type"], onset["format"], onset["x-ogc-role"]) == (
        "string",
        "date",
        "primary-instant",
    )


def test_the_schema_types_each_property_from_its_column(db):
    _status, schema = get_json(
        client_for("nst-planner"), f"/api/collections/{NST}.buildings/schema"
    )
    _status, zones = get_json(
        client_for("nst-planner"), f"/api/collections/{NST}.flood_zones/schema"
    )

    assert schema["properties"]["id"] == {"x-ogc-role": "id", "type": "integer"}
    assert schema["properties"]["levels"]["type"] == ["integer", "null"]  # mostly null: a number
    assert schema["properties"]["building_type"]["type"] == "string"
    assert schema["properties"]["geometry"]["x-ogc-role"] == "primary-geometry"
    assert zones["properties"]["depth_min_m"]["type"] == ["number", "null"]


def test_property_filters_are_each_collections_own(db):
    client = client_for("nst-planner")

    refused, error = get_json(client, f"/api/collections/{NST}.landmarks/items?building_type=x")
    ok, _page = get_json(client, f"/api/collections/{NST}.buildings/items?building_type=house")

    assert refused == 400
    assert "category" in error["description"]
    assert ok == 200


def test_the_openapi_document_gives_each_readable_collection_its_own_filters(db):
    _status, document = get_json(client_for("nst-planner"), "/api/openapi")

    validate(document)
    generic = document["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    names = {p["name"] for p in generic}
    landmarks = document["paths"][f"/collections/{NST}.landmarks/items"]["get"]["parameters"]
    buildings = document["paths"][f"/collections/{NST}.buildings/items"]["get"]["parameters"]
    assert not names & {"building_type", "category", "road_class"}
    assert "category" in {p["name"] for p in landmarks}
    assert "building_type" not in {p["name"] for p in landmarks}
    assert "building_type" in {p["name"] for p in buildings}
    assert f"/collections/{NST}.dengue_cases/items" not in document["paths"]  # not readable


def test_the_execution_schema_holds_each_processs_inputs(db):
    _status, document = get_json(client_for(None), "/api/openapi")
    schemas = document["components"]["schemas"]

    spray = schemas["inputs-spray-plan"]
    assert spray["required"] == ["municipality"]
    assert spray["properties"]["radius_m"]["maximum"] == 1000
    assert {"$ref": "#/components/schemas/inputs-spray-plan"} in (
        schemas["execute"]["properties"]["inputs"]["anyOf"]
    )


# --- HTML and alternate links ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/", "/api/conformance", "/api/collections", ROADS, f"{ROADS}/items"],
)
def test_html_is_served_for_f_html_and_for_browsers(db, path):
    client = client_for(None)

    by_parameter = client.get(path, {"f": "html"})
    by_header = client.get(path, HTTP_ACCEPT="text/html,*/*;q=0.8")

    assert by_parameter["Content-Type"].startswith("text/html")
    assert by_header["Content-Type"].startswith("text/html")
    assert b"<h1>" in by_parameter.content


def test_a_single_feature_is_html_too(db):
    road = Road.objects.filter(municipality__code=NST).order_by("id").first()

    page = client_for(None).get(f"{ROADS}/items/{road.pk}?f=html")

    assert page["Content-Type"].startswith("text/html")
    assert road.road_class in page.content.decode()


@pytest.mark.parametrize(
    "path", ["/api/", "/api/collections", ROADS, f"{ROADS}/items?limit=2", f"{ROADS}/items/ID"]
)
def test_json_and_html_point_at_each_other(db, path):
    road = Road.objects.filter(municipality__code=NST).order_by("id").first()
    path = path.replace("ID", str(road.pk))
    client = client_for(None)

    _status, body = get_json(client, path)
    links = {link["rel"]: link for link in body["links"]}

    assert links["alternate"]["type"] == "text/html"
    html = client.get(links["alternate"]["href"].removeprefix("http://127.0.0.1"))
    assert html["Content-Type"].startswith("text/html")
    assert links["self"]["type"] in ("application/json", "application/geo+json")


# --- CRS (Part 2) ------------------------------------------------------------------------------


@pytest.mark.parametrize("srid", [3857, 32647, 32648, 24047])
def test_coordinates_come_in_the_crs_asked_for(db, srid):
    road = Road.objects.filter(municipality__code=NST).order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT "
            "ST_Transform(ST_StartPoint(ST_GeometryN(geom, 1)), %s) p "
            "FROM layers_road WHERE id = %s) AS first",
            [srid, road.pk],
        )
        expected = cursor.fetchone()

    response = client_for(None).get(f"{ROADS}/items/{road.pk}", {"crs": f"{EPSG}{srid}"})

    assert response["Content-Crs"] == f"<{EPSG}{srid}>"
    first = json.loads(response.content)["geometry"]["coordinates"][0][0]
    assert first == pytest.approx(expected, abs=0.001)


def test_epsg_4326_puts_latitude_first_and_crs84_longitude(db):
    url = f"{ROADS}/items?limit=1"
    client = client_for(None)

    plain = client.get(url)
    swapped = client.get(url, {"crs": f"{EPSG}4326"})

    lon, lat = json.loads(plain.content)["features"][0]["geometry"]["coordinates"][0][0]
    assert plain["Content-Crs"] == f"<{CRS84}>"
    assert json.loads(swapped.content)["features"][0]["geometry"]["coordinates"][0][0] == [lat, lon]


def test_a_bbox_in_utm_finds_what_the_same_box_in_degrees_finds(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(a), ST_Y(a), ST_X(b), ST_Y(b) FROM (SELECT "
            "ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 32647) a, "
            "ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 32647) b) AS corners",
            list(BOX),
        )
        utm = cursor.fetchone()
    expected = road_ids_where(
        "ST_Intersects(r.geom, ST_Transform(ST_Segmentize(ST_MakeEnvelope(%s, %s, %s, %s, 32647), "
        "(%s - %s) / 16.0), 4326))",
        [*utm, utm[2], utm[0]],
    )
    bbox = ",".join(map(str, utm))

    found = ids_of(client_for(None), f"{ROADS}/items?limit=10000&bbox={bbox}&bbox-crs={EPSG}32647")
    in_degrees = ids_of(
        client_for(None), f"{ROADS}/items?limit=10000&bbox={','.join(map(str, BOX))}"
    )

    assert found == expected
    assert len(set(found) ^ set(in_degrees)) <= 2  # the same box, its edges a little curved


def test_an_unknown_crs_gets_400_naming_the_ones_offered(db):
    status, body = get_json(client_for(None), f"{ROADS}/items?crs={EPSG}2154")

    assert status == 400
    assert f"{EPSG}32647" in body["description"]


def test_collections_list_the_crs_offered(db):
    _status, body = get_json(client_for(None), ROADS)

    assert {
        CRS84,
        f"{EPSG}4326",
        f"{EPSG}3857",
        f"{EPSG}32647",
        f"{EPSG}32648",
        f"{EPSG}24047",
    } <= set(body["crs"])
    assert body["storageCrs"] == CRS84


# --- CQL2 (Part 3) -----------------------------------------------------------------------------

POLYGON = "POLYGON((99.955 8.42, 99.975 8.42, 99.975 8.44, 99.955 8.42))"


@pytest.mark.parametrize(
    ("cql", "condition", "params"),
    [
        ("road_class = 'primary'", "r.road_class = %s", ["primary"]),
        ("road_class <> 'residential' AND name_th LIKE 'ถนน%'",
         "r.road_class <> %s AND r.name_th LIKE %s", ["residential", "ถนน%"]),
        ("name_th LIKE 'ถนน%'", "r.name_th LIKE %s", ["ถนน%"]),
        ("road_class IN ('primary', 'secondary')", "r.road_class IN (%s, %s)",
         ["primary", "secondary"]),
        ("NOT (road_class IN ('residential'))", "NOT r.road_class IN (%s)", ["residential"]),
        ("S_INTERSECTS(geometry, BBOX(99.955, 8.42, 99.975, 8.44))",
         "ST_Intersects(r.geom, ST_MakeEnvelope(99.955, 8.42, 99.975, 8.44, 4326))", []),
        (f"S_INTERSECTS(geometry, {POLYGON}) AND road_class = 'residential'",
         f"ST_Intersects(r.geom, ST_GeomFromText('{POLYGON}', 4326)) AND r.road_class = %s",
         ["residential"]),
    ],
)  # fmt: skip
def test_cql2_text_filters_match_postgis(db, cql, condition, params):
    expected = road_ids_where(condition, params)

    found = ids_of(client_for(None), f"{ROADS}/items?limit=10000&filter={cql}")

    assert found == expected
    assert found


def test_cql2_between_and_dates_on_dengue_cases(db):
    expected = list(
        DengueCase.objects.filter(
            municipality__code=NST, onset_date__range=("2026-03-01", "2026-05-31")
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    url = f"/api/collections/{NST}.dengue_cases/items?limit=10000"
    client = client_for("nst-health")

    text = ids_of(
        client, f"{url}&filter=onset_date BETWEEN DATE('2026-03-01') AND DATE('2026-05-31')"
    )
    between = {
        "op": "between",
        "args": [{"property": "onset_date"}, {"date": "2026-03-01"}, {"date": "2026-05-31"}],
    }
    as_json = ids_of(client, f"{url}&filter-lang=cql2-json&filter={json.dumps(between)}")

    assert text == as_json == expected != []


def test_cql2_json_with_a_bbox_matches_the_bbox_parameter(db):
    cql = {
        "op": "and",
        "args": [
            {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": list(BOX)}]},
            {"op": "in", "args": [{"property": "road_class"}, ["residential", "tertiary"]]},
        ],
    }
    client = client_for(None)

    by_filter = ids_of(
        client, f"{ROADS}/items?limit=10000&filter-lang=cql2-json&filter={json.dumps(cql)}"
    )
    by_parameters = ids_of(
        client, f"{ROADS}/items?limit=10000&bbox={','.join(map(str, BOX))}&road_class=residential"
    ) + ids_of(
        client, f"{ROADS}/items?limit=10000&bbox={','.join(map(str, BOX))}&road_class=tertiary"
    )

    assert by_filter == sorted(by_parameters)


@pytest.mark.parametrize(
    "cql",
    [
        "building_type = 'house'",  # not a property of roads
        "road_class = ",
        "lanes + 1 = 2",
        "road_class = 'x'' OR 1=1 --'",
        "S_INTERSECTS(road_class, BBOX(1, 2, 3, 4))",
        "name_th LIKE 5",
    ],
)
def test_cql2_filters_that_cannot_run_get_400_not_500(db, cql):
    status, body = get_json(client_for(None), f"{ROADS}/items", data={"filter": cql})

    assert status in (200, 400)
    if status == 400:
        assert body["description"].startswith("filter")
    else:  # the quoted text is one value, found nowhere
        assert body["features"] == []


def test_cql2_cannot_reach_rows_of_datasets_that_are_not_public(db):
    _status, open_cases = get_json(
        client_for(None), f"/api/collections/{NST}.dengue_cases/items?filter=status <> 'x'"
    )
    _status, hidden = get_json(
        client_for(None),
        f"/api/collections/{NST}.buildings/items?filter=building_type IS NOT NULL",
    )

    assert "features" not in open_cases
    assert "features" not in hidden
