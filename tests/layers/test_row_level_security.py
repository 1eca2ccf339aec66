"""Isolation enforced by PostgreSQL itself: row-level security on every tenant table."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.utils import DatabaseError

from layers.models import Landmark, Road
from layers.tenancy import tenant_scope, tenant_scope_set


def tenant_tables(kind: str = "BASE TABLE") -> list[str]:
    """Every table (or view) in the schema with a municipality_id column (found, not listed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = current_schema() AND c.column_name = 'municipality_id' "
            "AND t.table_type = %s ORDER BY c.table_name",
            [kind],
        )
        return [row[0] for row in cursor.fetchall()]


def count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def test_the_application_role_cannot_bypass_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_every_tenant_table_forces_row_level_security(db):
    tables = tenant_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s)",
            [tables],
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}

    assert {"layers_road", "layers_denguecase", "geoapp_membership"} <= set(tables)
    assert flags == dict.fromkeys(tables, (True, True))


def test_every_tenant_view_reads_as_its_caller_so_the_tables_policies_apply(db):
    """A view cannot force row-level security; one that runs as its owner would bypass it."""
    views = tenant_tables("VIEW")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, coalesce(reloptions, '{}') FROM pg_class WHERE relname = ANY(%s)",
            [views],
        )
        options = dict(cursor.fetchall())

    assert {"layers_larvalhousevisit", "layers_larvalplaceround"} <= set(views)
    assert {v: "security_invoker=true" in options[v] for v in views} == dict.fromkeys(views, True)


def test_with_no_tenant_set_no_tenant_row_is_visible(db):
    assert all(count(table) > 0 for table in ("layers_road", "layers_landmark"))

    tenant_scope_set(municipality_ids=[])

    relations = tenant_tables() + tenant_tables("VIEW")  # views read through the policies
    counts = {table: count(table) for table in relations if table != "layers_dataset"}
    assert counts == dict.fromkeys(counts, 0)
    # Only public catalogue entries stay readable without a tenant (open data).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_dataset WHERE visibility <> 'public'")
        assert cursor.fetchone()[0] == 0


def test_a_tenant_sees_zero_rows_of_the_other_tenant_even_without_a_filter(nst, chon):
    with tenant_scope(municipality_ids=[chon.pk]):
        other_rows = {
            table: _count_where(table, nst.pk)
            for table in tenant_tables()
            if table != "layers_dataset"
        }
        own_roads = Road.objects.count()

    assert other_rows == dict.fromkeys(other_rows, 0)
    assert own_roads == Road.objects.filter(municipality=chon).count() > 0


def _count_where(table: str, municipality_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE municipality_id = %s",
            [municipality_id],
        )
        return cursor.fetchone()[0]


def test_a_tenant_cannot_write_rows_into_another_tenant(nst, chon):
    landmark = Landmark.objects.filter(municipality=nst).first()

    with (
        pytest.raises((ProgrammingError, IntegrityError, DatabaseError)),
        transaction.atomic(),
        tenant_scope(municipality_ids=[chon.pk]),
    ):
        Landmark.objects.create(municipality=nst, name_th="แทรก", geom=landmark.geom)

    with tenant_scope(municipality_ids=[chon.pk]):
        updated = Landmark.objects.filter(pk=landmark.pk).update(name_th="เปลี่ยน")
        deleted, _ = Landmark.objects.filter(pk=landmark.pk).delete()

    assert (updated, deleted) == (0, 0)
    landmark.refresh_from_db()
    assert landmark.name_th != "เปลี่ยน"


def test_spatial_filters_still_use_the_gist_index_under_row_level_security(nst):
    """`&&` must be LEAKPROOF (scripts/db_setup.py) or RLS turns every tile into a table scan."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM layers_road "
            "WHERE geom && ST_MakeEnvelope(99.95, 8.42, 99.96, 8.43, 4326)"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "layers_road_geom" in plan
    assert "Index Cond: (geom &&" in plan
