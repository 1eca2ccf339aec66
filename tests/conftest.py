"""Shared fixtures: a real PostGIS test database holding the demo municipalities."""

from __future__ import annotations

import io
import os

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
