"""CQL2 temporal functions, arithmetic and array functions (issue 20, OGC API - Features Part 3).

Temporal functions and arithmetic are served (conformance classes temporal-functions and
arithmetic); array functions are refused by name (no collection has an array property, and
array-functions is not declared). Each result is checked against SQL or the ORM written beside
it, in CQL2 text and CQL2 JSON; hostile filters get a 400, never a 500 or a query that runs away.
"""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qsl

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from layers.models import DengueCase

NST = "nakhon-si-thammarat"
CASES = f"/api/collections/{NST}.dengue_cases/items?limit=10000"
ZONES = f"/api/collections/{NST}.flood_zones/items?limit=10000"
BUILDINGS = f"/api/collections/{NST}.buildings/items?limit=10000"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def answer(client: Client, url: str, cql: str | dict) -> tuple[int, dict]:
    path, _, query = url.partition("?")
    data = dict(parse_qsl(query))  # the test client drops a URL's query when given `data`
    data["filter"] = json.dumps(cql) if isinstance(cql, dict) else cql
    if isinstance(cql, dict):
        data["filter-lang"] = "cql2-json"
    response = client.get(path, data=data)
    return response.status_code, json.loads(response.content)


def ids_of(client: Client, url: str, cql: str | dict) -> list[int]:
    status, page = answer(client, url, cql)
    assert status == 200, page
    return [feature["id"] for feature in page["features"]]


def case_ids(**lookup) -> list[int]:
    found = DengueCase.objects.filter(municipality__code=NST, **lookup).order_by("id")
    return list(found.values_list("id", flat=True))


def sql_ids(table: str, condition: str, params: tuple = ()) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id FROM {table} t JOIN layers_municipality m ON m.id = t.municipality_id "
            f"WHERE m.code = %s AND {condition} ORDER BY t.id",
            [NST, *params],
        )
        return [row[0] for row in cursor.fetchall()]


# --- temporal functions ------------------------------------------------------------------------

MAY_1, MAY_31 = date(2026, 5, 1), date(2026, 5, 31)
DAY = date(2026, 6, 27)


def _prop() -> dict:
    return {"property": "onset_date"}


def _may() -> dict:
    return {"interval": ["2026-05-01", "2026-05-31"]}


def _as_interval() -> dict:
    return {"interval": [_prop(), _prop()]}


TEMPORAL = [
    # (CQL2 text, CQL2 JSON, the ORM's answer)
    ("T_BEFORE(onset_date, DATE('2026-05-01'))",
     {"op": "t_before", "args": [_prop(), {"date": "2026-05-01"}]},
     {"onset_date__lt": MAY_1}),
    ("T_AFTER(onset_date, TIMESTAMP('2026-05-31T18:00:00Z'))",
     {"op": "t_after", "args": [_prop(), {"timestamp": "2026-05-31T18:00:00Z"}]},
     {"onset_date__gt": MAY_31}),
    ("T_EQUALS(onset_date, DATE('2026-06-27'))",
     {"op": "t_equals", "args": [_prop(), {"date": "2026-06-27"}]},
     {"onset_date": DAY}),
    ("T_INTERSECTS(onset_date, INTERVAL('2026-05-01', '2026-05-31'))",
     {"op": "t_intersects", "args": [_prop(), _may()]},
     {"onset_date__range": (MAY_1, MAY_31)}),
    ("T_DISJOINT(onset_date, INTERVAL('2026-05-01', '2026-05-31'))",
     {"op": "t_disjoint", "args": [_prop(), _may()]},
     {"onset_date__lt": MAY_1, "_or": {"onset_date__gt": MAY_31}}),
    ("T_INTERSECTS(onset_date, INTERVAL('2026-05-01', '..'))",
     {"op": "t_intersects", "args": [_prop(), {"interval": ["2026-05-01", ".."]}]},
     {"onset_date__gte": MAY_1}),
    ("T_BEFORE(onset_date, INTERVAL('..', '2026-05-31'))",  # nothing precedes an open start
     {"op": "t_before", "args": [_prop(), {"interval": ["..", "2026-05-31"]}]},
     {"pk__in": []}),
    ("T_DURING(INTERVAL(onset_date, onset_date), INTERVAL('2026-05-01', '2026-05-31'))",
     {"op": "t_during", "args": [_as_interval(), _may()]},
     {"onset_date__gt": MAY_1, "onset_date__lt": MAY_31}),
    ("T_CONTAINS(INTERVAL('2026-05-01', '2026-05-31'), INTERVAL(onset_date, onset_date))",
     {"op": "t_contains", "args": [_may(), _as_interval()]},
     {"onset_date__gt": MAY_1, "onset_date__lt": MAY_31}),
    ("T_STARTS(INTERVAL(onset_date, onset_date), INTERVAL('2026-06-27', '2026-07-31'))",
     {"op": "t_starts", "args": [_as_interval(), {"interval": ["2026-06-27", "2026-07-31"]}]},
     {"onset_date": DAY}),
    ("T_FINISHES(INTERVAL(onset_date, onset_date), INTERVAL('2026-01-01', '2026-06-27'))",
     {"op": "t_finishes", "args": [_as_interval(), {"interval": ["2026-01-01", "2026-06-27"]}]},
     {"onset_date": DAY}),
    ("T_MEETS(INTERVAL(onset_date, onset_date), INTERVAL('2026-06-27', '..'))",
     {"op": "t_meets", "args": [_as_interval(), {"interval": ["2026-06-27", ".."]}]},
     {"onset_date": DAY}),
    ("T_METBY(INTERVAL(onset_date, onset_date), INTERVAL('..', '2026-06-27'))",
     {"op": "t_metby", "args": [_as_interval(), {"interval": ["..", "2026-06-27"]}]},
     {"onset_date": DAY}),
    ("T_FINISHEDBY(INTERVAL('2026-01-01', onset_date), INTERVAL(onset_date, onset_date))",
     {"op": "t_finishedby", "args": [{"interval": ["2026-01-01", _prop()]}, _as_interval()]},
     {"onset_date__gt": date(2026, 1, 1)}),
    ("T_STARTEDBY(INTERVAL(onset_date, '2026-05-31'), INTERVAL(onset_date, onset_date))",
     {"op": "t_startedby", "args": [{"interval": [_prop(), "2026-05-31"]}, _as_interval()]},
     {"onset_date__lt": MAY_31}),
    ("T_OVERLAPS(INTERVAL('2026-05-01', onset_date), INTERVAL('2026-05-31', '..'))",
     {"op": "t_overlaps",
      "args": [{"interval": ["2026-05-01", _prop()]}, {"interval": ["2026-05-31", ".."]}]},
     {"onset_date__gt": MAY_31}),
    ("T_OVERLAPPEDBY(INTERVAL(onset_date, '2026-06-30'), INTERVAL('2026-05-01', '2026-05-31'))",
     {"op": "t_overlappedby",
      "args": [{"interval": [_prop(), "2026-06-30"]}, _may()]},
     {"onset_date__gt": MAY_1, "onset_date__lt": MAY_31}),
]  # fmt: skip


def _expected(lookup: dict) -> list[int]:
    lookup = dict(lookup)
    alternative = lookup.pop("_or", None)
    found = case_ids(**lookup)
    if alternative:
        found = sorted({*found, *case_ids(**alternative)})
    return found


@pytest.mark.parametrize(("text", "as_json", "lookup"), TEMPORAL, ids=[t[0][:12] for t in TEMPORAL])
def test_temporal_functions_match_the_orm_in_text_and_json(db, text, as_json, lookup):
    client = client_for("nst-health")
    expected = _expected(lookup)

    assert ids_of(client, CASES, text) == expected
    assert ids_of(client, CASES, as_json) == expected


def test_the_temporal_table_is_not_vacuous(db):
    """Most rows of the table above select some cases and leave others out."""
    total = len(case_ids())
    sizes = [len(_expected(lookup)) for _text, _json, lookup in TEMPORAL]

    assert sum(0 < size < total for size in sizes) >= len(TEMPORAL) - 2


@pytest.mark.parametrize(
    "cql",
    [
        "T_DURING(onset_date, INTERVAL('2026-05-01', '2026-05-31'))",
        {"op": "t_overlaps", "args": [{"property": "onset_date"}, {"date": "2026-05-01"}]},
    ],
)
def test_interval_functions_refuse_instants_as_cql2_says(db, cql):
    status, body = answer(client_for("nst-health"), CASES, cql)

    assert status == 400
    assert "intervals" in body["description"]


@pytest.mark.parametrize(
    "cql",
    [
        "T_BEFORE(diagnosis, DATE('2026-05-01'))",  # not a date
        "T_BEFORE(onset_date, 'tomorrow')",
        "T_INTERSECTS(onset_date, INTERVAL('2026-05-31', '2026-05-01'))",  # backwards
        "T_AFTER(report_date, DATE('2026-05-01'))",  # a property, not a queryable
        {"op": "t_after", "args": [{"property": "onset_date"}, {"interval": ["x", "y"]}]},
        {"op": "t_after", "args": [{"property": "onset_date"}]},
    ],
)
def test_temporal_functions_with_wrong_operands_are_400(db, cql):
    status, body = answer(client_for("nst-health"), CASES, cql)

    assert status == 400, body
    assert body["description"].startswith("filter")


# --- arithmetic --------------------------------------------------------------------------------

ARITHMETIC = [
    ("depth_max_m - depth_min_m > 0.7",
     {"op": ">", "args": [{"op": "-", "args": [{"property": "depth_max_m"},
                                              {"property": "depth_min_m"}]}, 0.7]},
     "t.depth_max_m - t.depth_min_m > 0.7"),
    ("depth_min_m * 2 + 1 >= 2.4",
     {"op": ">=", "args": [{"op": "+", "args": [{"op": "*", "args": [{"property": "depth_min_m"},
                                                                     2]}, 1]}, 2.4]},
     "t.depth_min_m * 2 + 1 >= 2.4"),
    ("depth_max_m / 0 > 0 OR depth_min_m = 0.1",  # a zero divisor matches nothing
     {"op": "or", "args": [
         {"op": ">", "args": [{"op": "/", "args": [{"property": "depth_max_m"}, 0]}, 0]},
         {"op": "=", "args": [{"property": "depth_min_m"}, 0.1]}]},
     "t.depth_min_m = 0.1"),
    ("depth_max_m % 1 = 0.5",
     {"op": "=", "args": [{"op": "%", "args": [{"property": "depth_max_m"}, 1]}, 0.5]},
     "mod(t.depth_max_m, 1) = 0.5"),
    ("depth_max_m div 1 = 1",
     {"op": "=", "args": [{"op": "div", "args": [{"property": "depth_max_m"}, 1]}, 1]},
     "div(t.depth_max_m, 1) = 1"),
    ("depth_min_m ^ 2 < 0.5",
     {"op": "<", "args": [{"op": "^", "args": [{"property": "depth_min_m"}, 2]}, 0.5]},
     "power(t.depth_min_m, 2) < 0.5"),
    ("-depth_min_m < -0.5",
     {"op": "<", "args": [{"op": "-", "args": [0, {"property": "depth_min_m"}]}, -0.5]},
     "-t.depth_min_m < -0.5"),
    ("depth_max_m - depth_min_m BETWEEN 0.5 AND 0.7",
     {"op": "between", "args": [{"op": "-", "args": [{"property": "depth_max_m"},
                                                     {"property": "depth_min_m"}]}, 0.5, 0.7]},
     "t.depth_max_m - t.depth_min_m BETWEEN 0.5 AND 0.7"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "as_json", "condition"), ARITHMETIC, ids=[a[0][:16] for a in ARITHMETIC]
)
def test_arithmetic_matches_postgis_in_text_and_json(db, text, as_json, condition):
    client = client_for("nst-planner")
    expected = sql_ids("layers_floodzone", condition)

    assert ids_of(client, ZONES, text) == expected
    assert ids_of(client, ZONES, as_json) == expected
    assert expected  # every row above selects a zone


def test_arithmetic_on_a_mostly_null_integer_leaves_nulls_out(db):
    expected = sql_ids("layers_building", "t.levels + 1 > 2")

    found = ids_of(client_for("nst-planner"), BUILDINGS, "levels + 1 > 2")

    assert found == expected != []


@pytest.mark.parametrize(
    "cql",
    [
        "name_th + 1 > 2",  # text is not a number
        "depth_min_m + 'one' > 2",
        "depth_min_m + TRUE > 2",
        "depth_min_m * DATE('2026-01-01') > 2",
        "10 ^ 1000000 > depth_min_m",  # overflows numeric: PostgreSQL's DataError, answered 400
        "(0 - 8) ^ 0.5 < depth_min_m",  # a complex number
    ],
)
def test_arithmetic_that_cannot_run_is_400_and_the_next_request_works(db, cql):
    client = client_for("nst-planner")

    status, body = answer(client, ZONES, cql)
    after, _page = answer(client, ZONES, "depth_min_m > 0")

    assert status == 400, body
    assert body["description"].startswith("filter")
    assert after == 200


# --- array functions: refused by name ----------------------------------------------------------


@pytest.mark.parametrize(
    "cql",
    [
        "A_CONTAINS(name_th, ('วัด', 'ถนน'))",
        "a_overlaps(road_class, ())",
        {"op": "a_equals", "args": [{"property": "road_class"}, ["primary"]]},
        {"op": "A_CONTAINEDBY", "args": [{"property": "road_class"}, ["primary"]]},
    ],
)
def test_array_functions_are_refused_naming_the_function(db, cql):
    status, body = answer(client_for(None), f"/api/collections/{NST}.roads/items", cql)

    assert status == 400
    assert "not supported" in body["description"]
    assert any(name in body["description"] for name in ("A_CONTAINS", "A_OVERLAPS", "A_EQUALS",
                                                          "A_CONTAINEDBY"))  # fmt: skip


def test_conformance_declares_temporal_and_arithmetic_but_not_arrays(db):
    conforms = client_for(None).get("/api/conformance").json()["conformsTo"]

    assert f"{CQL2}temporal-functions" in conforms
    assert f"{CQL2}arithmetic" in conforms
    assert f"{CQL2}array-functions" not in conforms


# --- hostile filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cql",
    [
        " OR ".join(["depth_min_m > 0"] * 400),
        "depth_min_m" + " + 1" * 400 + " > 0",
        "T_BEFORE(" * 300 + "onset_date" + ")" * 300,
        "depth_min_m > " + "9" * 25_000,
        "T_BEFORE(onset_date, DATE('2026-01-01')); DROP TABLE layers_floodzone; --",
        "depth_min_m > 0) OR (1 = 1",
        "depth_min_m > '0; DELETE FROM layers_floodzone'",
        "T_AFTER(onset_date, DATE('2026-01-01'' OR ''1''=''1'))",
        "T_EQUALS(onset_date, INTERVAL('2026-01-01', '2026-01-01'); SELECT pg_sleep(10)",
    ],
    ids=[
        "wide",
        "long-sum",
        "nested-temporal",
        "huge-literal",
        "drop",
        "paren",
        "delete",
        "quote",
        "sleep",
    ],
)
def test_hostile_text_filters_are_400(db, cql):
    before = sql_ids("layers_floodzone", "true")

    status, body = answer(client_for("nst-planner"), ZONES, cql)

    assert status == 400, body
    assert body["description"].startswith("filter")
    assert sql_ids("layers_floodzone", "true") == before


def test_thousands_of_parentheses_are_one_condition(db):
    """The grammar folds parentheses as it reads them: no recursion, the plain answer."""
    client = client_for("nst-planner")

    nested = ids_of(client, ZONES, "(" * 5000 + "depth_min_m > 0.5" + ")" * 5000)

    assert nested == ids_of(client, ZONES, "depth_min_m > 0.5") != []


def test_hostile_json_filters_are_400(db):
    condition = '{"op": ">", "args": [{"property": "depth_min_m"}, 0]}'
    deep = '{"op": "not", "args": [' * 3000 + condition + "]}" * 3000
    wide = {"op": "or", "args": [{"op": ">", "args": [{"property": "depth_min_m"}, 0]}] * 500}
    huge = {"op": ">", "args": [{"op": "*", "args": [{"property": "depth_min_m"}, 1e308]}, 1e308]}
    injected = {"op": "t_before", "args": [{"property": "onset_date"}, "2026-01-01'; DROP --"]}
    client = client_for("nst-planner")

    for cql in (wide, injected):
        status, body = answer(client, ZONES, cql)
        assert status == 400, body
    response = client.get(ZONES, data={"filter": deep, "filter-lang": "cql2-json"})
    assert response.status_code == 400
    # numeric holds 1.5e308 (beyond double precision): a plain answer
    expected = sql_ids("layers_floodzone", "t.depth_min_m * 1e308::numeric > 1e308::numeric")
    assert ids_of(client, ZONES, huge) == expected != []


# --- spatial functions (all eight), spatial literals, boolean conditions, escaping -------------

ROADS = f"/api/collections/{NST}.roads/items?limit=10000"
LANDMARKS = f"/api/collections/{NST}.landmarks/items?limit=10000"
BOX_WKT = "POLYGON((99.955 8.42, 99.975 8.42, 99.975 8.44, 99.955 8.44, 99.955 8.42))"


def _road_line() -> str:
    """A line through the middle of the town, crossing and touching some roads."""
    return "LINESTRING(99.955 8.42, 99.975 8.44)"


@pytest.mark.parametrize(
    ("function", "postgis", "shape"),
    [
        ("S_INTERSECTS", "ST_Intersects", BOX_WKT),
        ("S_WITHIN", "ST_Within", BOX_WKT),
        ("S_CONTAINS", "ST_Contains", "POINT(99.9656 8.4302)"),
        ("S_DISJOINT", "ST_Disjoint", BOX_WKT),
        ("S_CROSSES", "ST_Crosses", _road_line()),
        ("S_OVERLAPS", "ST_Overlaps", "MULTILINESTRING((99.955 8.42, 99.975 8.44))"),
        ("S_TOUCHES", "ST_Touches", BOX_WKT),
        ("S_EQUALS", "ST_Equals", BOX_WKT),
    ],
)
def test_every_spatial_function_matches_postgis(db, function, postgis, shape):
    expected = sql_ids("layers_road", f"{postgis}(t.geom, ST_GeomFromText(%s, 4326))", (shape,))
    public = sql_ids(
        "layers_road",
        f"{postgis}(t.geom, ST_GeomFromText(%s, 4326)) AND t.dataset_id IN "
        "(SELECT id FROM layers_dataset WHERE visibility = 'public')",
        (shape,),
    )
    client = client_for("nst-planner")

    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_AsGeoJSON(ST_GeomFromText(%s, 4326))", [shape])
        geojson = json.loads(cursor.fetchone()[0])
    as_json = {"op": function.lower(), "args": [{"property": "geometry"}, geojson]}

    found = ids_of(client, ROADS, f"{function}(geometry, {shape})")

    assert found == expected[:10_000]  # a page holds at most 10,000 (S_DISJOINT: more match)
    assert ids_of(client, ROADS, as_json) == found
    assert public == expected  # NST's roads are public: the planner reads the same rows


def test_the_spatial_functions_table_is_not_vacuous(db):
    line = "ST_GeomFromText(%s, 4326)"
    crossing = sql_ids("layers_road", f"ST_Crosses(t.geom, {line})", (_road_line(),))
    within = sql_ids("layers_road", f"ST_Within(t.geom, {line})", (BOX_WKT,))

    assert crossing
    assert within


@pytest.mark.parametrize(
    "shape",
    [
        "POINT Z({x} {y} 12.5)",
        "MULTIPOINT(({x} {y}), (0 0))",
        "LINESTRING Z({x} {y} 0, 0 0 0)",
        "MULTILINESTRING(({x} {y}, 0 0))",
        "POLYGON Z(({w} {s} 1, {e} {s} 1, {e} {n} 1, {w} {n} 1, {w} {s} 1))",
        "MULTIPOLYGON((({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s})))",
        "GEOMETRYCOLLECTION(POINT({x} {y}), LINESTRING(0 0, 1 1))",
        "BBOX({w}, {s}, 0, {e}, {n}, 100)",
    ],
)
def test_every_spatial_literal_2d_or_3d(db, shape):
    """basic-spatial-functions-plus: all CQL2 spatial literals, with or without Z, around a
    point inside NST's first flood zone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(t.geom) AS p "
            "FROM layers_floodzone t JOIN layers_municipality m ON m.id = t.municipality_id "
            "WHERE m.code = %s ORDER BY t.id LIMIT 1) AS first",
            [NST],
        )
        x, y = cursor.fetchone()
    corners = {"w": x - 0.0005, "s": y - 0.0005, "e": x + 0.0005, "n": y + 0.0005}
    literal = shape.format(x=x, y=y, **corners)
    flat = literal.replace(" Z(", "(")
    if flat.startswith("BBOX"):
        flat = "POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))".format(**corners)
    expected = sql_ids(
        "layers_floodzone", "ST_Intersects(t.geom, ST_Force2D(ST_GeomFromText(%s, 4326)))", (flat,)
    )

    found = ids_of(client_for("nst-planner"), ZONES, f"S_INTERSECTS(geometry, {literal})")
    if literal.startswith("BBOX"):
        geojson: dict = {"bbox": [corners["w"], corners["s"], 0, corners["e"], corners["n"], 100]}
    else:
        with connection.cursor() as cursor:  # the same literal in CQL2 JSON: GeoJSON, 3D kept
            cursor.execute("SELECT ST_AsGeoJSON(ST_GeomFromText(%s, 4326))", [literal])
            geojson = json.loads(cursor.fetchone()[0])
    as_json = {"op": "s_intersects", "args": [{"property": "geometry"}, geojson]}

    assert found == expected != []
    assert ids_of(client_for("nst-planner"), ZONES, as_json) == found


def test_true_and_false_are_conditions(db):
    client = client_for(None)
    every = ids_of(client, LANDMARKS, "TRUE")

    assert every == ids_of(client, LANDMARKS, "(TRUE) AND NOT FALSE") != []
    assert ids_of(client, LANDMARKS, "FALSE") == []
    assert ids_of(client, LANDMARKS, {"op": "not", "args": [False]}) == every


def test_character_literals_take_cql2_escapes(db):
    from layers.models import Landmark

    landmark = Landmark.objects.filter(municipality__code=NST).order_by("id").first()
    landmark.name_th = "ศาลเจ้าแม่'s\tshrine"  # rolled back with the test's transaction
    landmark.save(update_fields=["name_th"])
    client = client_for(None)

    doubled = ids_of(client, LANDMARKS, "name_th = 'ศาลเจ้าแม่''s\\tshrine'")
    backslashed = ids_of(client, LANDMARKS, "name_th = 'ศาลเจ้าแม่\\'s\\tshrine'")

    assert doubled == backslashed == [landmark.id]
