"""Real GIS clients on the tiles and the API: GDAL's MVT and OAPIF drivers (Debian's gdal-bin).

QGIS reads OGC API - Features through GDAL's OAPIF driver and vector tiles through its own
reader of the same URLs; it can send only a user name and password (Basic), so the private
layers are read here with the login name and an API token as the password, as QGIS would.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from geoapp.accounts.tokens import api_token_create
from geoapp.models import ApiToken

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs gdal-bin")

NST = "nakhon-si-thammarat"


@pytest.fixture(scope="module")
def key(django_db_setup, django_db_blocker):
    """A committed API token of the health officer (the live server reads committed rows)."""
    with django_db_blocker.unblock():
        user = get_user_model().objects.get(username="nst-health")
        key = api_token_create(user=user, name="qgis on the office pc")
    yield key
    with django_db_blocker.unblock():
        ApiToken.objects.filter(name="qgis on the office pc").delete()


def client_env() -> dict[str, str]:
    """The environment of a GIS client on another machine: without the GDAL guard's settings
    (this process refuses network paths to GDAL; a client's own GDAL does not)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CPL_", "GDAL_"))}


def ogr(*args: str, **config: str) -> dict[str, int]:
    """`ogrinfo -so` with GDAL config options: {layer name: feature count} (GDAL 3.6 text)."""
    options = [part for name, value in config.items() for part in ("--config", name, value)]
    done = subprocess.run(
        ["ogrinfo", "-ro", *options, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=client_env(),
    )
    assert done.returncode == 0, done.stderr
    names = re.findall(r"^Layer name: (.+)$", done.stdout, re.M)
    counts = [int(n) for n in re.findall(r"^Feature Count: (-?\d+)$", done.stdout, re.M)]
    return dict(zip(names, counts, strict=True))


def sql_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {table} t JOIN layers_municipality m "
            "ON m.id = t.municipality_id WHERE m.code = %s",
            [NST],
        )
        return cursor.fetchone()[0]


def test_gdal_reads_private_cases_with_basic_auth_as_qgis_does(app_url, key, db):
    info = ogr(
        "-so",
        "-al",
        f"OAPIF:{app_url}/api/collections/{NST}.dengue_cases",
        GDAL_HTTP_AUTH="BASIC",
        GDAL_HTTP_USERPWD=f"nst-health:{key}",
    )

    assert list(info.values()) == [sql_count("layers_denguecase")]


def test_gdal_without_credentials_is_refused_for_private_cases(app_url, db):
    done = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", f"OAPIF:{app_url}/api/collections/{NST}.dengue_cases"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=client_env(),
    )

    assert done.returncode != 0
    assert "401" in done.stderr


def _tile_of_first_road() -> tuple[int, int, int]:
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


@pytest.mark.parametrize("way", ["token-header", "basic", "anonymous-public"])
def test_gdal_mvt_driver_reads_road_tiles(app_url, key, db, way):
    z, x, y = _tile_of_first_road()
    config = {
        "token-header": {"GDAL_HTTP_HEADERS": f"Authorization: Token {key}"},
        "basic": {"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"nst-health:{key}"},
        "anonymous-public": {},
    }[way]

    tile = f"MVT:/vsicurl/{app_url}/tiles/roads/{z}/{x}/{y}.pbf"
    info = ogr("-so", "-al", "-oo", f"X={x}", "-oo", f"Y={y}", "-oo", f"Z={z}", tile, **config)

    assert list(info) == ["roads"]
    assert info["roads"] > 0
