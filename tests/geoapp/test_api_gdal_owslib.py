"""Real clients against a live Mueang: GDAL's OGC API - Features driver (Debian's ogrinfo) and
OWSLib, for every collection kind of the demo, anonymous (public data) and with an API token,
with filters and paging; every count equals the one SQL gives.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from django.db import connection

NST = "nakhon-si-thammarat"
TABLES = {
    "roads": "layers_road",
    "landmarks": "layers_landmark",
    "buildings": "layers_building",
    "flood_zones": "layers_floodzone",
    "dengue_cases": "layers_denguecase",
}
PUBLIC = ("roads", "landmarks")

pytestmark = pytest.mark.skipif(not shutil.which("ogrinfo"), reason="needs Debian's gdal-bin")


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A threaded Mueang on a free port over the committed demo data.

    pytest-django's `live_server` would make each test transactional, and their flush would
    empty the demo data the rest of the session reads.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    with django_db_blocker.unblock():
        thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture(autouse=True)
def open_database(django_db_blocker) -> Iterator[None]:
    """The server thread reads the database while a test waits on a client."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="module")
def token(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A committed API token of NST's health officer (reads every layer there)."""
    from django.contrib.auth import get_user_model

    from geoapp.accounts.tokens import api_token_create
    from geoapp.models import ApiToken

    with django_db_blocker.unblock():
        user = get_user_model().objects.get(username="nst-health")
        key = api_token_create(user=user, name="gdal-owslib-test")
    yield key
    with django_db_blocker.unblock():
        ApiToken.objects.filter(user=user, name="gdal-owslib-test").delete()


def sql_count(layer: str, condition: str = "true", params: tuple = (), public: bool = False):
    """The count psql gives, in a scope of every municipality."""
    from layers.tenancy import all_tenants_scope

    visible = (
        "AND t.dataset_id IN (SELECT id FROM layers_dataset WHERE visibility = 'public')"
        if public
        else ""
    )
    with all_tenants_scope(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {TABLES[layer]} t JOIN layers_municipality m "
            f"ON m.id = t.municipality_id WHERE m.code = %s AND {condition} {visible}",
            [NST, *params],
        )
        return cursor.fetchone()[0]


def ogrinfo(url: str, *options: str, key: str | None = None) -> str:
    config = ["--config", "GDAL_HTTP_HEADERS", f"Authorization: Token {key}"] if key else []
    done = subprocess.run(
        ["ogrinfo", "-ro", "-al", *config, *options, f"OAPIF:{url}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def feature_count(output: str) -> int:
    return int(re.search(r"Feature Count: (\d+)", output).group(1))


def features_read(output: str) -> int:
    return len(re.findall(r"^OGRFeature\(", output, flags=re.MULTILINE))


@pytest.mark.parametrize("layer", list(TABLES))
def test_gdal_counts_every_collection_as_sql_does(django_db_blocker, server, token, layer):
    url = f"{server}/api/collections/{NST}.{layer}"
    with django_db_blocker.unblock():
        expected = sql_count(layer)

    summary = ogrinfo(url, "-so", key=token)

    assert feature_count(summary) == expected > 0


@pytest.mark.parametrize("layer", PUBLIC)
def test_gdal_reads_public_collections_anonymously(django_db_blocker, server, layer):
    with django_db_blocker.unblock():
        expected = sql_count(layer, public=True)

    summary = ogrinfo(f"{server}/api/collections/{NST}.{layer}", "-so")

    assert feature_count(summary) == expected > 0


def test_gdal_pages_through_every_feature_with_a_small_page_size(django_db_blocker, server, token):
    with django_db_blocker.unblock():
        expected = sql_count("buildings")

    output = ogrinfo(
        f"{server}/api/collections/{NST}.buildings", "-q", "-oo", "PAGE_SIZE=250", key=token
    )

    assert features_read(output) == expected > 250


def test_gdal_filters_by_attribute_and_by_box(django_db_blocker, server):
    box = (99.955, 8.42, 99.975, 8.44)
    with django_db_blocker.unblock():
        by_class = sql_count("roads", "t.road_class = %s", ("residential",), public=True)
        in_box = sql_count(
            "roads",
            "ST_Intersects(t.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
            box,
            public=True,
        )
    url = f"{server}/api/collections/{NST}.roads"

    where = ogrinfo(url, "-q", "-where", "road_class = 'residential'")
    spatial = ogrinfo(url, "-q", "-spat", *map(str, box))

    assert features_read(where) == by_class > 0
    assert features_read(spatial) == in_box > 0


def test_gdal_reads_dates_and_numbers_as_such(server, token):
    """GDAL 3.6 types fields from the features it reads (it does not read /schema)."""
    cases = ogrinfo(f"{server}/api/collections/{NST}.dengue_cases", "-so", key=token)
    zones = ogrinfo(f"{server}/api/collections/{NST}.flood_zones", "-so", key=token)

    assert re.search(r"^onset_date: Date", cases, flags=re.MULTILINE)
    assert re.search(r"^depth_min_m: Real", zones, flags=re.MULTILINE)


def owslib_features(server: str, key: str | None = None):
    from owslib.ogcapi.features import Features

    api = Features(f"{server}/api/")
    if key:
        # Not `headers=`: OWSLib 0.35 updates its module-wide default headers with them, and
        # every later client in the process would send this token.
        api.headers = {**api.headers, "Authorization": f"Token {key}"}
    return api


def owslib_walk(api, collection_id: str, **query) -> list[int]:
    """Every feature id, page by page through the `next` links' `after`."""
    seen: list[int] = []
    after = None
    while True:
        extra = {"after": after} if after is not None else {}
        page = api.collection_items(collection_id, **query, **extra)
        seen += [feature["id"] for feature in page["features"]]
        following = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not following:
            return seen
        after = int(re.search(r"after=(\d+)", following[0]).group(1))


@pytest.mark.parametrize("layer", list(TABLES))
def test_owslib_reads_every_collection_with_the_counts_sql_gives(
    django_db_blocker, server, token, layer
):
    api = owslib_features(server, token)
    with django_db_blocker.unblock():
        expected = sql_count(layer)

    collections = {c["id"] for c in api.collections()["collections"]}
    seen = owslib_walk(api, f"{NST}.{layer}", limit=100)

    assert f"{NST}.{layer}" in collections
    assert len(seen) == len(set(seen)) == expected


def test_owslib_anonymous_reads_public_data_only(django_db_blocker, server):
    api = owslib_features(server)
    with django_db_blocker.unblock():
        expected = sql_count("landmarks", public=True)

    ids = {c["id"] for c in api.collections()["collections"]}
    seen = owslib_walk(api, f"{NST}.landmarks", limit=10)

    assert f"{NST}.roads" in ids
    assert f"{NST}.dengue_cases" not in ids
    assert len(seen) == expected


def test_owslib_filters_queryables_and_bbox(django_db_blocker, server, token):
    api = owslib_features(server, token)
    box = [99.955, 8.42, 99.975, 8.44]
    with django_db_blocker.unblock():
        dhf = sql_count("dengue_cases", "t.diagnosis = %s", ("DHF",))
        in_box = sql_count(
            "roads", "ST_Intersects(t.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", tuple(box)
        )
        primary = sql_count("roads", "t.road_class IN (%s, %s)", ("primary", "secondary"))

    queryables = api.collection_queryables(f"{NST}.dengue_cases")
    by_diagnosis = owslib_walk(api, f"{NST}.dengue_cases", diagnosis="DHF")
    boxed = api.collection_items(f"{NST}.roads", bbox=box, limit=10000)
    cql = owslib_walk(
        api, f"{NST}.roads", filter="road_class IN ('primary', 'secondary')", limit=50
    )

    assert queryables["properties"]["onset_date"]["format"] == "date"
    assert len(by_diagnosis) == dhf
    assert boxed["numberReturned"] == boxed["numberMatched"] == in_box > 0
    assert len(cql) == primary > 0
