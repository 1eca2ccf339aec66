"""Who may read the API and the tiles, told the ways GIS clients can tell it (issue 20).

Token, Bearer and Basic (login name + API token) all work on `/api/` and `/tiles/`; a session
too. Anonymous callers read public data (with CORS), and are asked to log in (401 with a
challenge) for anything else; a logged-in caller without rights gets 404, as before, so
nothing says what exists. A bad header is never served as anonymous.
"""

from __future__ import annotations

import base64
import math

import mapbox_vector_tile
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from geoapp.accounts.tokens import api_token_create
from geoapp.web.conditional import etag_matches
from layers.models import Dataset, Municipality
from layers.tenancy import all_tenants_scope

NST = "nakhon-si-thammarat"
CASES = f"/api/collections/{NST}.dengue_cases/items?limit=3"


def anonymous() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def key(db) -> str:
    user = get_user_model().objects.get(username="nst-health")
    return api_token_create(user=user, name="qgis")


@pytest.mark.parametrize(
    "header",
    [
        lambda key: f"Token {key}",
        lambda key: f"token {key}",
        lambda key: f"Bearer {key}",
        lambda key: f"bearer   {key}",
        lambda key: basic("nst-health", key),
    ],
    ids=["Token", "token", "Bearer", "bearer-spaces", "Basic"],
)
def test_every_way_of_sending_the_token_reads_private_features(key, header):
    response = anonymous().get(CASES, HTTP_AUTHORIZATION=header(key))

    assert response.status_code == 200
    assert len(response.json()["features"]) == 3
    assert "Access-Control-Allow-Origin" not in response  # it depended on who asked


@pytest.mark.parametrize(
    "header",
    [
        lambda key: "Token mueang_not-a-key",
        lambda key: basic("nst-viewer", key),  # someone else's token
        lambda key: basic("nst-health", "mueang-demo-2569"),  # the password: never over Basic
        lambda key: "Basic !!!",
        lambda key: "Basic " + base64.b64encode(b"no colon").decode(),
        lambda key: f"Digest {key}",
        lambda key: "Token",
    ],
    ids=["bad-key", "other-user", "password", "not-base64", "no-colon", "unknown-scheme", "empty"],
)
def test_a_bad_header_is_refused_with_a_challenge_never_served_as_anonymous(key, header):
    response = anonymous().get(
        f"/api/collections/{NST}.roads/items?limit=1", HTTP_AUTHORIZATION=header(key)
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert "Bearer" in response["WWW-Authenticate"]


def test_anonymous_is_asked_to_log_in_and_a_member_without_rights_gets_404(db):
    asked = anonymous().get(CASES)
    viewer = Client(HTTP_HOST="127.0.0.1")
    viewer.force_login(get_user_model().objects.get(username="nst-viewer"))
    hidden = viewer.get(CASES)

    assert asked.status_code == 401
    assert "Basic" in asked["WWW-Authenticate"]
    assert hidden.status_code == 404
    assert "WWW-Authenticate" not in hidden


def test_public_data_is_open_to_other_sites_and_head_answers_without_a_body(db):
    url = f"/api/collections/{NST}.roads/items?limit=2"
    got = anonymous().get(url)
    head = anonymous().head(url)

    assert got.status_code == 200
    assert got["Access-Control-Allow-Origin"] == "*"
    assert head.status_code == 200
    assert head.content == b""
    assert int(head["Content-Length"]) == len(got.content)
    assert "Authorization" in got["Vary"]


# --- Tiles ----------------------------------------------------------------------------------------


def _road_tile() -> tuple[int, int, int]:
    z = 14
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(t.geom) AS p "
            "FROM layers_road t JOIN layers_municipality m ON m.id = t.municipality_id "
            "WHERE m.code = %s ORDER BY t.id LIMIT 1) f",
            [NST],
        )
        lon, lat = cursor.fetchone()
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def _ids(response) -> set[int]:
    decoded = mapbox_vector_tile.decode(response.content)
    return {f["id"] for f in decoded.get("roads", {"features": []})["features"]}


@pytest.mark.parametrize("way", ["session", "token", "bearer", "basic"])
def test_tiles_take_the_session_a_token_or_basic(key, way):
    z, x, y = _road_tile()
    url = f"/tiles/roads/{z}/{x}/{y}.pbf"
    client = anonymous()
    headers = {
        "token": {"HTTP_AUTHORIZATION": f"Token {key}"},
        "bearer": {"HTTP_AUTHORIZATION": f"Bearer {key}"},
        "basic": {"HTTP_AUTHORIZATION": basic("nst-health", key)},
    }.get(way, {})
    if way == "session":
        client.force_login(get_user_model().objects.get(username="nst-health"))

    response = client.get(url, **headers)

    assert response.status_code == 200
    assert _ids(response)
    assert response["Cache-Control"] == "private, no-cache"


def test_anonymous_tiles_hold_public_datasets_only(db):
    z, x, y = _road_tile()
    url = f"/tiles/roads/{z}/{x}/{y}.pbf"
    municipality = Municipality.objects.get(code=NST)
    public = set(
        Dataset.objects.filter(
            municipality=municipality, kind="roads", visibility=Dataset.Visibility.PUBLIC
        ).values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, dataset_id FROM layers_road WHERE municipality_id = %s", [municipality.pk]
        )
        dataset_of = dict(cursor.fetchall())

    response = anonymous().get(url)

    assert public, "the demo publishes its roads"
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    ids = _ids(response)
    assert ids
    assert all(dataset_of[i] in public for i in ids)
    # Made private, the same tile asks for credentials.
    with all_tenants_scope():
        changed = Dataset.objects.filter(pk__in=public).update(
            visibility=Dataset.Visibility.INTERNAL
        )
    assert changed == len(public)
    refused = anonymous().get(f"{url}?m={NST}")
    assert refused.status_code == 401
    # Without ?m= the tile still serves Chon Buri's public roads, and none of these.
    assert not _ids(anonymous().get(url)) & ids
    assert "Basic" in refused["WWW-Authenticate"]


def test_tile_etags_match_weakly_in_lists_and_star(key):
    z, x, y = _road_tile()
    url = f"/tiles/roads/{z}/{x}/{y}.pbf"
    client = anonymous()
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    etag = client.get(url, **auth)["ETag"]

    for header in (etag, f"W/{etag}", f'"other", W/{etag}', "*"):
        assert client.get(url, HTTP_IF_NONE_MATCH=header, **auth).status_code == 304, header
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"', **auth).status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH="garbage", **auth).status_code == 200


def test_etag_matching_follows_rfc_9110():
    assert etag_matches('"a"', '"a"')
    assert etag_matches('W/"a"', '"a"')
    assert etag_matches(' "x" , W/"a"', '"a"')
    assert etag_matches("*", '"a"')
    assert not etag_matches('"a-gz"', '"a"')
    assert not etag_matches("", '"a"')
    assert not etag_matches(None, '"a"')
    assert not etag_matches('"a', '"a"')


# --- Discovery ------------------------------------------------------------------------------------


def test_tilejson_and_ogc_tilesets_point_at_tiles_that_answer(key):
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    client = anonymous()

    tilejson = client.get(f"/tiles/roads.json?m={NST}", **auth).json()
    tilesets = client.get(f"/api/collections/{NST}.roads/tiles", **auth).json()
    tileset = client.get(f"/api/collections/{NST}.roads/tiles/WebMercatorQuad", **auth).json()

    assert tilejson["tilejson"] == "3.0.0"
    assert tilejson["vector_layers"][0]["id"] == "roads"
    west, south, east, north = tilejson["bounds"]
    assert west < 99.97 < east
    assert south < 8.43 < north
    z, x, y = _road_tile()
    url = tilejson["tiles"][0].format(z=z, x=x, y=y).removeprefix("http://127.0.0.1")
    assert _ids(client.get(url, **auth))
    assert tilesets["tilesets"][0]["tileMatrixSetURI"].endswith("WebMercatorQuad")
    template = next(link for link in tileset["links"] if link["rel"] == "item")["href"]
    ogc = template.format(tileMatrix=z, tileCol=x, tileRow=y).removeprefix("http://127.0.0.1")
    assert _ids(client.get(ogc, **auth)) == _ids(client.get(url, **auth))


def test_discovery_follows_the_same_rights_as_the_tiles(key):
    assert anonymous().get(f"/tiles/cases.json?m={NST}").status_code == 401
    assert anonymous().get(f"/api/collections/{NST}.dengue_cases/tiles").status_code == 401
    viewer = anonymous()
    viewer.force_login(get_user_model().objects.get(username="chon-viewer"))
    assert viewer.get(f"/api/collections/{NST}.roads/tiles?m={NST}").status_code in (200, 404)
    assert viewer.get(f"/tiles/roads.json?m={NST}").status_code in (200, 404)
    assert anonymous().get("/tiles/secrets.json").status_code == 404


def test_api_without_its_slash_answers_the_landing_page(db):
    response = anonymous().get("/api")

    assert response.status_code == 200
    assert any(link["rel"] == "conformance" for link in response.json()["links"])
