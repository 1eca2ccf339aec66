"""Vector tiles: the features PostGIS holds in the tile, only those the caller may see, cached."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from geoapp.models import Membership
from layers.api.tiles import MAJOR_ROAD_CLASSES, tile_version
from layers.models import Landmark, Municipality

NST_CENTRE = (99.965, 8.43)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def ids_in_tile(table: str, z: int, x: int, y: int, municipality_code: str) -> set[int]:
    """Reference: ids whose geometry meets the tile (with the same 64/4096 buffer)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id FROM {table} t JOIN layers_municipality m ON m.id = t.municipality_id "
            "WHERE m.code = %s AND ST_Intersects(ST_Transform(t.geom, 3857), "
            "ST_TileEnvelope(%s, %s, %s, margin => 64.0 / 4096))",
            [municipality_code, z, x, y],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize(
    ("layer", "table"),
    [
        ("roads", "layers_road"),
        ("landmarks", "layers_landmark"),
        ("flood_zones", "layers_floodzone"),
    ],
)
def test_a_tile_holds_exactly_the_features_that_meet_it(db, layer, table):
    z = 14
    # The tile under the layer's first feature, so there is always something in it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(t.geom) AS p FROM {table} t "
            "JOIN layers_municipality m ON m.id = t.municipality_id "
            "WHERE m.code = 'nakhon-si-thammarat' ORDER BY t.id LIMIT 1) f"
        )
        x, y = tile_of(*cursor.fetchone(), z)

    response = client_for("nst-planner").get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")

    decoded = mapbox_vector_tile.decode(response.content)
    ids = {feature["id"] for feature in decoded.get(layer, {"features": []})["features"]}
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert ids == ids_in_tile(table, z, x, y, "nakhon-si-thammarat")
    assert ids


def test_case_tiles_follow_the_privacy_tiers(db):
    z = 14
    x, y = tile_of(*NST_CENTRE, z)
    url = f"/tiles/cases/{z}/{x}/{y}.pbf"

    exact = client_for("nst-health").get(url)

    assert len(mapbox_vector_tile.decode(exact.content)["cases"]["features"]) > 0
    for username in ("nst-viewer", "nst-planner", "nst-disaster", "nst-editor"):
        assert client_for(username).get(url).status_code == 404
    # Chon Buri's health officer gets case tiles of Chon Buri only: nothing over this town.
    other = client_for("chon-health").get(url)
    assert mapbox_vector_tile.decode(other.content) == {}


def test_another_municipalitys_member_gets_empty_tiles_over_this_town(db):
    z = 14
    x, y = tile_of(*NST_CENTRE, z)

    response = client_for("chon-planner").get(f"/tiles/roads/{z}/{x}/{y}.pbf")

    assert response.status_code == 200
    assert mapbox_vector_tile.decode(response.content) == {}
    assert (
        client_for("chon-planner")
        .get(f"/tiles/roads/{z}/{x}/{y}.pbf?m=nakhon-si-thammarat")
        .status_code
        == 404
    )


def test_anonymous_callers_and_bad_tiles_are_refused(db):
    # Anonymous callers read public datasets' tiles only (issue 20); dengue cases never are.
    refused = Client(HTTP_HOST="127.0.0.1").get("/tiles/cases/14/0/0.pbf")
    assert refused.status_code == 401
    assert "Basic" in refused["WWW-Authenticate"]
    client = client_for("nst-planner")
    assert client.get("/tiles/roads/3/9/0.pbf").status_code == 404  # x beyond 2**z
    assert client.get("/tiles/secrets/14/0/0.pbf").status_code == 404


def test_etag_revalidates_until_the_layer_changes(db):
    z = 14
    x, y = tile_of(*NST_CENTRE, z)
    url = f"/tiles/landmarks/{z}/{x}/{y}.pbf"
    client = client_for("nst-planner")
    first = client.get(url)

    unchanged = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    municipality = Municipality.objects.get(code="nakhon-si-thammarat")
    Landmark.objects.filter(municipality=municipality).update(name_th="ชื่อใหม่")
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    names = {
        f["properties"]["name_th"]
        for f in mapbox_vector_tile.decode(changed.content)["landmarks"]["features"]
    }
    assert names == {"ชื่อใหม่"}
    assert "private" in changed["Cache-Control"]


def test_a_rolled_back_change_never_hands_its_version_on(db):
    """Caches key on versions: a number seen inside a rolled-back change must not come back."""
    from django.db import transaction

    from layers.models import LayerVersion

    municipality = Municipality.objects.get(code="nakhon-si-thammarat")
    landmarks = Landmark.objects.filter(municipality=municipality)
    seen_inside = []

    def change_then_fail():
        with transaction.atomic():
            landmarks.update(name_th="ชั่วคราว")
            seen_inside.append(tile_version(layer="landmarks", municipality_ids=[municipality.pk]))
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    landmarks.update(name_th="ถาวร")

    assert tile_version(layer="landmarks", municipality_ids=[municipality.pk]) != seen_inside[0]
    assert LayerVersion.objects.filter(municipality=municipality, layer="landmarks").exists()


def road_attributes_in_tile(z: int, x: int, y: int, *, classes=None) -> set[tuple]:
    """Reference: the attributes of NST roads meeting the tile, optionally of some classes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT t.road_class, t.name_th, t.name_en, t.surface FROM layers_road t "
            "JOIN layers_municipality m ON m.id = t.municipality_id "
            "WHERE m.code = 'nakhon-si-thammarat' AND ST_Intersects(ST_Transform(t.geom, 3857), "
            "ST_TileEnvelope(%s, %s, %s, margin => 64.0 / 4096)) "
            "AND (%s::text[] IS NULL OR t.road_class = ANY(%s::text[]))",
            [z, x, y, classes, classes],
        )
        return set(cursor.fetchall())


def decoded_roads(response) -> list[dict]:
    return mapbox_vector_tile.decode(response.content).get("roads", {"features": []})["features"]


def test_minor_road_classes_are_left_out_below_z14_and_major_ones_merged_by_name(db):
    client = client_for("nst-planner")
    x13, y13 = tile_of(*NST_CENTRE, 13)
    x14, y14 = tile_of(*NST_CENTRE, 14)

    overview = decoded_roads(client.get(f"/tiles/roads/13/{x13}/{y13}.pbf"))
    detail = decoded_roads(client.get(f"/tiles/roads/14/{x14}/{y14}.pbf"))

    attributes = ("road_class", "name_th", "name_en", "surface")
    overview_keys = [tuple(f["properties"][a] for a in attributes) for f in overview]
    assert set(overview_keys) == road_attributes_in_tile(
        13, x13, y13, classes=list(MAJOR_ROAD_CLASSES)
    )
    assert len(overview_keys) == len(set(overview_keys))  # one (merged) feature per road
    assert "residential" not in {key[0] for key in overview_keys}
    detail_classes = {f["properties"]["road_class"] for f in detail}
    assert "residential" in detail_classes  # every class from z14
    assert {key[0] for key in road_attributes_in_tile(14, x14, y14)} == detail_classes
    assert all("id" in f for f in detail)


def test_a_cached_tile_costs_no_tile_query_and_few_queries(db):
    x, y = tile_of(*NST_CENTRE, 14)
    url = f"/tiles/roads/14/{x}/{y}.pbf?m=nakhon-si-thammarat"
    client = client_for("nst-planner")
    first = client.get(url)

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)

    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert again.content == first.content
    assert not any("ST_AsMVT" in sql for sql in statements)
    # The session, the user, then one round trip: scope, memberships and layer versions.
    assert len(statements) <= 3, statements


def test_if_none_match_answers_304_without_reading_the_tile_for_gzip_and_plain(db):
    x, y = tile_of(*NST_CENTRE, 14)
    url = f"/tiles/roads/14/{x}/{y}.pbf"
    client = client_for("nst-planner")
    plain = client.get(url)
    gzipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")

    cache.clear()  # a 304 needs no tile bytes, cached or not
    with CaptureQueriesContext(connection) as queries:
        not_modified = client.get(
            url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=gzipped["ETag"]
        )

    assert gzipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzipped.content) == plain.content
    assert gzipped["ETag"] != plain["ETag"]
    assert "Accept-Encoding" in gzipped["Vary"]
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not any("ST_AsMVT" in q["sql"] for q in queries.captured_queries)
    assert client.get(url, HTTP_IF_NONE_MATCH=gzipped["ETag"]).status_code == 200  # no gzip


def test_a_revoked_membership_gets_no_tile_from_the_next_request_on(db):
    """The bound is one request: memberships are read with the tenant scope of every request."""
    x, y = tile_of(*NST_CENTRE, 14)
    client = client_for("nst-planner")
    with_code = f"/tiles/roads/14/{x}/{y}.pbf?m=nakhon-si-thammarat"
    without_code = f"/tiles/roads/14/{x}/{y}.pbf"
    cached = client.get(with_code)
    etag = cached["ETag"]
    assert cached.status_code == 200
    assert mapbox_vector_tile.decode(cached.content)["roads"]
    assert client.get(without_code).status_code == 200

    Membership.objects.filter(
        user__username="nst-planner", municipality__code="nakhon-si-thammarat"
    ).delete()

    assert client.get(with_code).status_code == 404
    assert client.get(with_code, HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert client.get(without_code).status_code == 404


def test_the_etag_from_the_scope_query_matches_the_layer_versions_table(db):
    municipality = Municipality.objects.get(code="nakhon-si-thammarat")
    x, y = tile_of(*NST_CENTRE, 14)
    client = client_for("nst-planner")
    Landmark.objects.filter(municipality=municipality).update(name_th="ใหม่")  # a fresh version

    etag = client.get(f"/tiles/landmarks/14/{x}/{y}.pbf")["ETag"]

    version = tile_version(layer="landmarks", municipality_ids=[municipality.pk])
    assert etag == f'"landmarks-14-{x}-{y}-{version}-{municipality.pk}"'


def test_the_tile_query_narrows_the_scope_to_the_tiles_municipalities_and_user(db):
    """The narrowing travels with the tile query (one round trip); it must still happen."""
    from layers.api.tiles import tile_mvt
    from layers.tenancy import tenant_scope

    nst = Municipality.objects.get(code="nakhon-si-thammarat")
    chon = Municipality.objects.get(code="chon-buri")
    x, y = tile_of(*NST_CENTRE, 15)
    with tenant_scope(municipality_ids=[nst.pk, chon.pk], user_id=None):
        data = tile_mvt(
            layer="roads", z=15, x=x, y=y, municipality_ids=[nst.pk], narrow_scope_for_user=42
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('mueang.tenants'), current_setting('mueang.user_id')"
            )
            tenants, user = cursor.fetchone()

    assert mapbox_vector_tile.decode(data)["roads"]["features"]
    assert (tenants, user) == (str(nst.pk), "42")
