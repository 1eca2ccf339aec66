"""Shared fixtures: a real PostGIS test database holding the demo municipalities."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from hypothesis import settings

# Property and fuzz tests draw the same examples on every run, so a red `make test` is
# reproducible and a green one stays green; `make fuzz` (MUEANG_HYPOTHESIS=hunt) draws new
# examples each time to look for what the fixed ones miss.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("hunt", derandomize=False, database=None)
settings.load_profile(os.environ.get("MUEANG_HYPOTHESIS", "repeatable"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo data once per session, committed, so a live server thread sees it too."""
    from django.db import connection

    # pytest-django 4.14 creates the test database only when a selected test asks for one (a
    # `db` fixture or `django_db` mark); a run of live-server tests alone (app_url) would
    # otherwise load the demo into the database named in .env.
    if not connection.settings_dict["NAME"].startswith("test"):
        pytest.fail(
            f"no test database was set up (connected to {connection.settings_dict['NAME']}): "
            "give one of the selected tests the `db` fixture or `pytest.mark.django_db`"
        )
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def db(db):
    """The test's transaction may see every municipality (row-level security is on)."""
    from layers.tenancy import all_municipality_ids, tenant_scope_set

    tenant_scope_set(municipality_ids=all_municipality_ids())
    return db


@pytest.fixture
def nst(db):
    from layers.models import Municipality

    return Municipality.objects.get(code="nakhon-si-thammarat")


@pytest.fixture
def chon(db):
    from layers.models import Municipality

    return Municipality.objects.get(code="chon-buri")


# The slowest modules without a browser (seconds measured on 2026-12-07, 2 cores): `make test`
# runs them, `make check` (the edit-test loop) leaves them out with `-m "not slow"`.
SLOW_MODULES = {
    "tests/security/test_open_dengue_releases.py": 101,
    "tests/geoapp/test_import_wizard.py": 92,
    "tests/geoapp/test_forms_fuzz.py": 56,
    "tests/security/test_import_personal_preview.py": 51,
    "tests/security/test_hostile_uploads.py": 46,
    "tests/layers/test_backup.py": 41,
    "tests/security/test_tenant_crawl.py": 41,
    "tests/geoapp/test_flood_pages.py": 31,
    "tests/layers/test_import_osm.py": 29,
    "tests/security/test_hostile_parameters.py": 23,
    "tests/geoapp/test_api_fuzz.py": 20,
    "tests/geoapp/test_flood_hazards.py": 15,
    "tests/layers/test_import_hostile.py": 10,
    "tests/analysis/test_dengue_rolling.py": 13,
    # Measured again after the session's new tests (make check had grown to 4 min 39 s):
    "tests/analysis/test_notebooks.py": 22,
    "tests/layers/test_import_reimport.py": 22,
    "tests/layers/test_import_formats.py": 20,
    "tests/geoapp/test_api_gdal_owslib.py": 16,
    "tests/layers/test_history.py": 16,
    "tests/layers/test_import_cli.py": 13,
    "tests/analysis/test_national.py": 13,
    # 27 subprocesses, each importing every subcommand's libraries, and 80 hostile CSVs
    # in-process; measured with a load average of 5 (five sessions on 2 cores):
    "tests/analysis/test_larval_cli.py": 128,
    "tests/geoapp/test_relief_pages.py": 50,
    # Twenty users crawling up to 90 pages each in Thai (measured 2026-12-08, load of 4 or more):
    "tests/geoapp/test_thai_interface.py": 421,
}


def pytest_collection_modifyitems(config, items):
    """Mark the tests of the slow modules `slow` (see SLOW_MODULES)."""
    for item in items:
        if item.nodeid.split("::", 1)[0] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def app_url(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A threaded Mueang server on a free port, serving the test database and static files.

    For browsers (tests/e2e) and other real clients (GDAL, OWSLib); it reads committed data.
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
