"""Vector tiles: the features PostGIS holds in the tile, only those the caller may see, cached."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

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
    assert Client(HTTP_HOST="127.0.0.1").get("/tiles/roads/14/0/0.pbf").status_code == 401
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
    from layers.tiles import tile_version

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
