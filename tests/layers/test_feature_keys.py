"""The layer tables' municipality and dataset keys, checked by statement-level triggers.

They replace per-row foreign keys (migration 0012): the same guarantees, plus one a foreign
key cannot give (a feature's dataset is in the feature's municipality).
"""

from __future__ import annotations

import psycopg2
import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.db import IntegrityError, connection, transaction

from layers.migrations._feature_keys import FEATURE_TABLES
from layers.models import Dataset, Municipality, Road

LINE = MultiLineString(LineString((99.96, 8.43), (99.97, 8.44)), srid=4326)


def road(municipality, dataset, **extra) -> Road:
    return Road.objects.create(
        municipality=municipality, dataset=dataset, road_class="residential", geom=LINE, **extra
    )


def refused(statement, *params) -> IntegrityError:
    with pytest.raises(IntegrityError) as error, transaction.atomic(), connection.cursor() as c:
        c.execute(statement, params)
    return error.value


def scope() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('mueang.tenants', true)")
        return cursor.fetchone()[0]


def test_the_layer_tables_have_no_per_row_foreign_keys_on_these_columns(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
            "WHERE c.contype = 'f' AND conrelid::regclass::text = ANY (%s) "
            "AND a.attname IN ('municipality_id', 'dataset_id')",
            [list(FEATURE_TABLES)],
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger "
            "WHERE tgname LIKE '%%keys_insert' AND tgenabled = 'O'"
        )
        assert sorted(name for (name,) in cursor.fetchall()) == sorted(FEATURE_TABLES)


def test_a_feature_of_a_municipality_that_does_not_exist_is_refused(nst):
    from layers.tenancy import tenant_scope_set

    # In scope (else row-level security refuses it first), but no such municipality.
    tenant_scope_set(municipality_ids=[nst.pk, 10**9])
    error = refused(
        "INSERT INTO layers_road (source_id, updated_at, name_th, name_en, road_class, surface,"
        " ref, geom, dataset_id, municipality_id) SELECT '', now(), '', '', 'service', '', '',"
        " geom, NULL, %s FROM layers_road WHERE municipality_id = %s LIMIT 3",
        10**9,
        nst.pk,
    )
    assert error.__cause__.pgcode == "23503"


def test_a_feature_in_a_dataset_of_another_municipality_is_refused(nst, chon):
    theirs = Dataset.objects.filter(municipality=chon).first()
    with pytest.raises(IntegrityError, match="no such dataset in it"), transaction.atomic():
        road(nst, theirs)
    # A bulk UPDATE that moves features into it is refused too, and changes nothing.
    ours = Road.objects.filter(municipality=nst).values_list("pk", flat=True)[:5]
    with pytest.raises(IntegrityError), transaction.atomic():
        Road.objects.filter(pk__in=list(ours)).update(dataset=theirs)
    assert not Road.objects.filter(pk__in=list(ours), dataset=theirs).exists()


def test_a_feature_with_a_dataset_that_does_not_exist_is_refused(nst):
    with pytest.raises(IntegrityError), transaction.atomic():
        Road.objects.filter(municipality=nst).update(dataset_id=10**9)


def test_features_without_a_dataset_and_valid_ones_pass(nst):
    dataset = Dataset.objects.filter(municipality=nst).first()
    assert road(nst, None).pk
    assert road(nst, dataset).pk


def test_a_dataset_with_features_cannot_be_deleted_even_by_raw_sql(nst):
    dataset = Road.objects.filter(municipality=nst).exclude(dataset=None).first().dataset
    refused("DELETE FROM layers_dataset WHERE id = %s", dataset.pk)
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_a_municipality_with_features_cannot_be_deleted_out_of_sight(nst, chon):
    # The deleting transaction sees only Chon Buri; Nakhon Si Thammarat's roads still count.
    from layers.tenancy import tenant_scope_set

    tenant_scope_set(municipality_ids=[chon.pk])
    refused("DELETE FROM layers_municipality WHERE id = %s", nst.pk)
    assert scope() == str(chon.pk)


def test_deleting_an_empty_municipality_works_and_leaves_the_scope_as_it_was(nst):
    empty = Municipality.objects.create(
        code="empty-town", name_th="ว่าง", name_en="Empty", boundary=nst.boundary
    )
    before = scope()
    with connection.cursor() as cursor:  # (Django's cascade would reach the append-only logs)
        cursor.execute("DELETE FROM layers_municipality WHERE id = %s", [empty.pk])
    assert scope() == before
    assert not Municipality.objects.filter(code="empty-town").exists()


def test_the_id_of_a_dataset_does_not_change(nst):
    dataset = Dataset.objects.filter(municipality=nst).first()
    refused("UPDATE layers_dataset SET id = id + 100000 WHERE id = %s", dataset.pk)


def test_a_dataset_in_use_by_an_open_transaction_cannot_be_deleted_until_it_ends(nst):
    # The statement's FOR KEY SHARE lock: what a foreign key takes, once per parent.
    dataset = Dataset.objects.filter(municipality=nst).first()
    road(nst, dataset)  # this test's transaction stays open
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT set_config('mueang.tenants', %s, false)", [str(nst.pk)])
            cursor.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg2.errors.LockNotAvailable):
                cursor.execute("DELETE FROM layers_dataset WHERE id = %s", [dataset.pk])
        other.rollback()
    finally:
        other.close()
