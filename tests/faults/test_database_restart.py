"""PostgreSQL restarted in the middle of a page load and of an import (issue #4, fault tests).

The tests run their own throwaway cluster (tests/faults/cluster.py), migrate it, load a small
town, and serve it with gunicorn exactly as in production (persistent connections, DEBUG off).
A request is held inside PostgreSQL by a lock another session holds, the way a long migration or
import would hold it; `pg_ctl restart -m fast` then terminates every session. The request must
answer a clear 503 page, the next one must succeed from the same gunicorn worker, and an
import cut off mid-way must leave every table as it was (row counts and checksums).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.faults.cluster import ROOT, Cluster, binaries_missing, free_port

pytestmark = pytest.mark.faults

sys.path.insert(0, str(ROOT / "scripts"))
from backup import table_fingerprints  # noqa: E402

PASSWORD = "fault-test-password-2569"
CODE = "fault-town"
BBOX = (99.90, 8.40, 99.98, 8.46)  # inside Nakhon Si Thammarat; the boundary of the test town
SETUP = f"""
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Polygon
from geoapp.models import Membership
from layers.models import Municipality
from layers.tenancy import tenant_scope
from django.db import transaction

town = Municipality.objects.create(
    code="{CODE}", name_th="เทศบาลทดสอบความทนทาน", name_en="Fault Town",
    boundary=MultiPolygon(Polygon.from_bbox({BBOX}), srid=4326),
)
user = get_user_model().objects.create_user("fault-viewer", password="{PASSWORD}")
with transaction.atomic(), tenant_scope(municipality_ids=[town.pk]):
    Membership.objects.create(user=user, municipality=town, role="viewer")
"""


def roads_geojson(path: Path, count: int, seed_name: str) -> Path:
    """`count` short roads (five vertices each) spread over the town."""
    west, south, east, north = BBOX
    columns = int(count**0.5) + 1
    features = []
    for index in range(count):
        x = west + 0.001 + (east - west - 0.01) * (index % columns) / columns
        y = south + 0.001 + (north - south - 0.01) * (index // columns) / columns
        line = [[x + step * 0.0002, y + (step % 2) * 0.0001] for step in range(5)]
        features.append(
            {
                "type": "Feature",
                "properties": {"name_th": f"{seed_name} {index}", "road_class": "residential"},
                "geometry": {"type": "LineString", "coordinates": line},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.fixture(scope="module")
def cluster():
    reason = binaries_missing()
    if reason:
        pytest.skip(f"no throwaway PostgreSQL cluster can run here: {reason}")
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def app_env(cluster) -> dict[str, str]:
    """Environment of manage.py and gunicorn against the throwaway cluster."""
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "DJANGO_SETTINGS_MODULE": "geoapp.settings.local",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("MUEANG_TEST_DB_NAME", None)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def town(cluster, app_env, tmp_path_factory) -> Path:
    """The migrated database with one small town: a user and 500 roads already imported."""
    folder = tmp_path_factory.mktemp("faults")
    for step in (("migrate", "--no-input", "-v0"), ("shell", "-c", SETUP)):
        done = manage(app_env, *step)
        assert done.returncode == 0, done.stderr
    first = roads_geojson(folder / "roads.geojson", 500, "ถนนเดิม")
    done = manage(app_env, "import_layer", CODE, "roads", str(first), "--dataset", "roads")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def server(town, app_env):
    """gunicorn (one sync worker, persistent connections) serving the throwaway database."""
    port = free_port()
    log = (town / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "geoapp.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"],
        cwd=ROOT, env=app_env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), 60, "gunicorn to start")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/", timeout=10).status_code == 200
    except requests.RequestException:
        return False


def login(base_url: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base_url}/accounts/login/", timeout=10)
    response = session.post(
        f"{base_url}/accounts/login/",
        data={
            "username": "fault-viewer",
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base_url}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def app_sessions(cluster: Cluster, where: str) -> int:
    return int(
        cluster.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'mueang' "
            f"AND pid <> pg_backend_pid() AND {where}"
        )
    )


def road_table_locked(cluster: Cluster) -> bool:
    held = cluster.sql(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'layers_road' AND l.mode = 'AccessExclusiveLock' AND l.granted"
    )
    return held == "1"


def load_during_restart(cluster: Cluster, session: requests.Session, url: str):
    """GET `url` while it waits inside PostgreSQL, restart the cluster; the response."""
    # Another session holds the roads table, as a long migration would: the request's first
    # road query waits inside PostgreSQL.
    holder = subprocess.Popen(
        cluster.admin.command(
            "psql", "-d", "mueang", "-c",
            "BEGIN; LOCK TABLE layers_road IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);",
        ),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for(lambda: road_table_locked(cluster), 10, "the lock on layers_road")
    result: dict[str, requests.Response] = {}
    loading = threading.Thread(target=lambda: result.update(got=session.get(url, timeout=30)))
    loading.start()
    wait_for(lambda: app_sessions(cluster, "wait_event_type = 'Lock'") == 1, 10, "the request")
    cluster.restart()
    loading.join(timeout=30)
    holder.wait(timeout=10)
    return result["got"]


def test_a_page_load_cut_by_a_restart_answers_503_and_the_next_one_works(cluster, server):
    base_url, gunicorn = server
    session = login(base_url)
    page = f"{base_url}/m/{CODE}/map/"
    assert session.get(page, timeout=30).status_code == 200  # the worker holds a connection now
    started = time.monotonic()

    response = load_during_restart(cluster, session, page)

    body = response.text
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Content-Type"].startswith("text/html")
    assert "ฐานข้อมูลไม่พร้อมใช้งานชั่วคราว" in body
    assert "The database is temporarily unavailable" in body
    assert "Traceback" not in body
    assert not re.search(r"OperationalError|psycopg|File \"", body)
    # The same gunicorn process serves the next request, from a fresh connection.
    again = session.get(page, timeout=30)
    assert again.status_code == 200
    assert "leaflet" in again.text.lower()
    assert gunicorn.poll() is None
    assert time.monotonic() - started < 25


def test_an_api_request_cut_by_a_restart_answers_a_json_503(cluster, server):
    base_url, gunicorn = server
    session = login(base_url)
    items = f"{base_url}/api/collections/{CODE}.roads/items?limit=10"
    assert session.get(items, timeout=30).status_code == 200

    response = load_during_restart(cluster, session, items)

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == "DatabaseUnavailable"
    again = session.get(items, timeout=30)
    assert again.status_code == 200
    assert len(again.json()["features"]) == 10
    assert gunicorn.poll() is None


def test_an_import_cut_by_a_restart_fails_clearly_and_leaves_nothing(cluster, town, app_env):
    big = roads_geojson(town / "roads-new.geojson", 20_000, "ถนนใหม่")
    before = table_fingerprints(cluster.admin, "mueang")
    assert before["layers_road"][0] == 500

    importing = subprocess.Popen(
        [sys.executable, "manage.py", "import_layer", CODE, "roads", str(big),
         "--dataset", "roads", "--batch-size", "500"],
        cwd=ROOT, env=app_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # Mid-import: the import's transaction has written rows (it holds a transaction id).
    wait_for(
        lambda: importing.poll() is None and app_sessions(cluster, "backend_xid IS NOT NULL") == 1,
        25,
        "the import to start writing",
    )
    cluster.restart()
    _stdout, stderr = importing.communicate(timeout=30)

    assert importing.returncode != 0
    assert "การเชื่อมต่อฐานข้อมูลขาดระหว่างนำเข้า" in stderr
    assert "the database connection was lost during the import" in stderr
    assert "ไม่ได้นำเข้าข้อมูลใดเลย / nothing was imported" in stderr
    assert "Traceback" not in stderr
    after = table_fingerprints(cluster.admin, "mueang")
    assert after == before
