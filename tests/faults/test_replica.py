"""Reads on a real streaming replica: routed there, scoped there, never stale, never fatal.

A throwaway primary (tests/faults/cluster.py) gets a standby made with `pg_basebackup -R` on
another free port; manage.py runs against both (`DATABASE_URL`, `REPLICA_DATABASE_URL`), as a
deployment would. The checks run inside `replica_reads` (layers/replica.py): reads go to the
replica and row-level security holds there; with replay paused (a lagging replica) the reads
stay on the primary and see the newest row; once replay resumes they go back to the replica; a
stopped replica changes nothing but where the reads go.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.faults.cluster import ROOT, Cluster, Standby, binaries_missing

pytestmark = pytest.mark.faults

SETUP = """
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Polygon
from django.db import transaction
from layers.models import Municipality, Road
from layers.tenancy import tenant_scope

for code, west in (("replica-a", 99.90), ("replica-b", 100.10)):
    box = Polygon.from_bbox((west, 8.4, west + 0.1, 8.5))
    town = Municipality.objects.create(code=code, name_th=code, boundary=MultiPolygon(box))
    with transaction.atomic(), tenant_scope(municipality_ids=[town.pk]):
        for k in range(3):
            line = LineString((west + 0.01 * k, 8.41), (west + 0.01 * k + 0.005, 8.42))
            name = f"{code} {k}"
            Road.objects.create(municipality=town, name_th=name, geom=MultiLineString(line))
"""

ADD_ROAD = """
from django.contrib.gis.geos import LineString, MultiLineString
from django.db import transaction
from layers.models import Municipality, Road
from layers.tenancy import tenant_scope

town = Municipality.objects.get(code="replica-a")
with transaction.atomic(), tenant_scope(municipality_ids=[town.pk]):
    line = LineString((99.95, 8.45), (99.96, 8.46))
    Road.objects.create(municipality=town, name_th="new road", geom=MultiLineString(line))
"""

READ = """
import json
from django.db import connections, transaction
from layers.api.features import COLLECTIONS, ItemQuery, item_page
from layers.models import Municipality, Road
from layers.replica import replica_reads
from layers.tenancy import tenant_scope

a, b = (Municipality.objects.get(code=c) for c in ("replica-a", "replica-b"))
out = {}
replica = connections["replica"]
replica.force_debug_cursor = True  # log its queries (without connecting, unlike a capture)
with transaction.atomic(), tenant_scope(municipality_ids=[a.pk]):
    with replica_reads(municipality_ids=[a.pk]) as alias:
        out["alias"] = alias
        out["db"] = Road.objects.all().db
        out["roads"] = Road.objects.count()
        out["other_town"] = Road.objects.filter(municipality=b).count()
        out["names"] = sorted(Road.objects.values_list("name_th", flat=True))
    with replica_reads(municipality_ids=[a.pk]):  # the features API's hand-written SQL
        page = item_page(collection=COLLECTIONS["roads"], municipality=a, query=ItemQuery())
    out["api_returned"] = page.number_returned
out["replica_road_queries"] = sum("layers_road" in q["sql"] for q in replica.queries_log)
out["replica_page_queries"] = sum("json_build_object" in q["sql"] for q in replica.queries_log)
try:
    with connections["replica"].cursor() as cursor:  # no scope: row-level security hides all
        cursor.execute("SELECT count(*) FROM layers_road")
        out["unscoped_on_replica"] = cursor.fetchone()[0]
except Exception as error:  # the replica is down
    out["unscoped_on_replica"] = type(error).__name__
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def pair():
    reason = binaries_missing()
    if reason:
        pytest.skip(f"no throwaway PostgreSQL cluster can run here: {reason}")
    primary = Cluster()
    standby = None
    try:
        primary.start()
        standby = Standby(primary)
        standby.start()
        yield primary, standby
    finally:
        if standby is not None:
            standby.remove()
        primary.stop()


@pytest.fixture(scope="module")
def env(pair) -> dict[str, str]:
    primary, standby = pair
    values = {
        **os.environ,
        "DATABASE_URL": primary.url,
        "REPLICA_DATABASE_URL": standby.url,
        "DJANGO_SETTINGS_MODULE": "geoapp.settings.local",
        "DEBUG": "0",
    }
    values.pop("MUEANG_TEST_DB_NAME", None)
    for step in (("migrate", "--no-input", "-v0"), ("shell", "-c", SETUP)):
        done = manage(values, *step)
        assert done.returncode == 0, done.stderr
    caught_up(primary, standby)
    return values


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def read(env: dict[str, str]) -> dict:
    done = manage(env, "shell", "-c", READ)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def caught_up(primary: Cluster, standby: Standby, timeout_s: float = 60) -> None:
    written = primary.sql("SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn") == "t":
            return
        time.sleep(0.1)
    pytest.fail("the standby did not catch up")


def test_reads_go_to_a_current_replica_under_the_tenant_scope(env):
    seen = read(env)

    assert seen["alias"] == "replica"
    assert seen["db"] == "replica"
    assert seen["replica_road_queries"] >= 3
    assert seen["roads"] == 3  # town A's own roads: row-level security holds on the replica
    assert seen["other_town"] == 0
    assert seen["unscoped_on_replica"] == 0
    assert seen["api_returned"] == 3
    assert seen["replica_page_queries"] == 1


def test_a_lagging_replica_is_skipped_until_it_has_caught_up(pair, env):
    primary, standby = pair
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        done = manage(env, "shell", "-c", ADD_ROAD)
        assert done.returncode == 0, done.stderr

        lagging = read(env)
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    caught_up(primary, standby)
    current = read(env)

    assert lagging["alias"] == "default"
    assert lagging["replica_road_queries"] == 0
    assert "new road" in lagging["names"]  # the newest row, read on the primary
    assert current["alias"] == "replica"
    assert "new road" in current["names"]


def test_a_replica_that_went_away_changes_only_where_reads_go(pair, env):
    _primary, standby = pair
    before = read(env)
    standby.stop()

    after = read(env)

    assert before["alias"] == "replica"
    assert after["alias"] == "default"
    assert after["names"] == before["names"]
    assert after["api_returned"] == before["api_returned"]
    assert after["replica_page_queries"] == 0
    assert after["unscoped_on_replica"] != 0  # it really is gone: the connection failed
