"""QGIS 3.22 (Debian's python3-qgis, headless) reads a private layer and draws private tiles.

GIS staff use QGIS's own providers, not our code: the OGC API - Features provider (`OAPIF`)
and the vector tile provider, with a Basic authentication configuration holding the login
name and an API token, stored in QGIS's encrypted authentication database. The session runs in
Debian's `/usr/bin/python3` (tests/geoapp/qgis_client.py) against the live test server; `make
test` installs python3-qgis (Makefile SYSTEM_PACKAGES), so it skips only where that package is
missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

SYSTEM_PYTHON = "/usr/bin/python3"
CLIENT = Path(__file__).with_name("qgis_client.py")
NST = "nakhon-si-thammarat"


def _qgis_importable() -> bool:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import qgis.core"],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    return done.returncode == 0


pytestmark = pytest.mark.skipif(
    not _qgis_importable(),
    reason="needs Debian's python3-qgis for /usr/bin/python3 (make test installs it)",
)


@pytest.fixture(scope="module")
def key(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A committed API token of NST's health officer (the only role reading exact cases)."""
    from django.contrib.auth import get_user_model

    from geoapp.accounts.tokens import api_token_create
    from geoapp.models import ApiToken

    with django_db_blocker.unblock():
        user = get_user_model().objects.get(username="nst-health")
        key = api_token_create(user=user, name="qgis 3.22 test")
    yield key
    with django_db_blocker.unblock():
        ApiToken.objects.filter(user=user, name="qgis 3.22 test").delete()


@pytest.fixture(autouse=True)
def open_database(django_db_blocker) -> Iterator[None]:
    """The server thread reads the committed demo data while QGIS waits on it."""
    with django_db_blocker.unblock():
        yield


def _cases_in_sql() -> tuple[int, list[float]]:
    """NST's dengue cases as psql counts them, and their extent (CRS84) widened a little."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), ST_XMin(ST_Extent(t.geom)), ST_YMin(ST_Extent(t.geom)), "
            "ST_XMax(ST_Extent(t.geom)), ST_YMax(ST_Extent(t.geom)) FROM layers_denguecase t "
            "JOIN layers_municipality m ON m.id = t.municipality_id WHERE m.code = %s",
            [NST],
        )
        count, *box = cursor.fetchone()
    margin = 0.002
    return count, [box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin]


def _qgis_session(job: dict, tmp_path: Path) -> dict:
    auth_db = tmp_path / "qgis-auth"
    auth_db.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CPL_", "GDAL_"))},
        "QT_QPA_PLATFORM": "offscreen",
        "QGIS_AUTH_DB_DIR_PATH": str(auth_db),
        "HOME": str(tmp_path),  # QGIS writes its settings under the home directory
        "XDG_RUNTIME_DIR": str(tmp_path),
        "PYTHONFAULTHANDLER": "1",  # a crash inside QGIS prints where it happened
    }
    done = subprocess.run(
        [SYSTEM_PYTHON, str(CLIENT)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_qgis_loads_private_cases_with_basic_auth_and_draws_their_tiles(app_url, key, tmp_path):
    from layers.tenancy import all_tenants_scope

    with all_tenants_scope():
        expected, extent = _cases_in_sql()
    png = tmp_path / "cases.png"
    job = {
        "api": f"{app_url}/api/",
        "collection": f"{NST}.dengue_cases",
        "tiles": f"{app_url}/tiles/cases/{{z}}/{{x}}/{{y}}.pbf?m={NST}",
        "extent": extent,
        "png": str(png),
        "username": "nst-health",
        "password": key,
    }

    seen = _qgis_session(job, tmp_path)

    assert seen["qgis"].startswith("3.22"), seen
    assert seen["collection_valid"], seen
    assert seen["features_read"] == expected > 0, seen
    assert seen["geometries"] == [0], seen  # QgsWkbTypes.PointGeometry
    assert seen["no_slash_valid"], seen
    assert seen["no_slash_features_read"] == expected, seen
    assert seen["tiles_valid"], seen
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert seen["painted_pixels"] > 0, seen


def test_the_same_tiles_and_layer_are_refused_without_credentials(app_url):
    """What QGIS drew above is private: without the auth configuration there is nothing."""
    for url in (
        f"{app_url}/api/collections/{NST}.dengue_cases/items",
        f"{app_url}/tiles/cases/14/13000/7700.pbf?m={NST}",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=30)
        assert refused.value.code == 401
        assert "Basic" in refused.value.headers["WWW-Authenticate"]
