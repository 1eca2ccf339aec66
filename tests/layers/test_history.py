"""Feature history: triggers record every change, restores and import rollbacks are exact."""

from __future__ import annotations

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import Q

from layers.history.selectors import HistoryError, dataset_history, feature_history
from layers.history.services import restore_feature, rollback_import
from layers.imports import layer_import
from layers.models import (
    Building,
    Dataset,
    DengueCase,
    FeatureHistory,
    ImportRun,
    Landmark,
    LayerVersion,
    Road,
)
from layers.pdpa.services import case_personal_write, person_erase, personal_data_purge
from layers.tenancy import tenant_scope
from tests.layers.import_data import roads_frame, write_geojson


def table_state(table: str, municipality_id: int, where: str = "TRUE") -> tuple[int, str]:
    """Row count and a checksum of every column (geometry as EWKB) of a municipality's rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "
            f"FROM {table} t WHERE t.municipality_id = %s AND ({where})",
            [municipality_id],
        )
        return cursor.fetchone()


def row_text(table: str, pk: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t::text FROM {table} t WHERE t.id = %s", [pk])
        found = cursor.fetchone()
    return found[0] if found else None


def history(layer: str, pk: int):
    return FeatureHistory.objects.filter(
        Q(feature_id=pk) | Q(inserted_ids__holds=pk), layer=layer
    ).order_by("id")


@pytest.fixture
def planner():
    return get_user_model().objects.get(username="nst-planner")


def test_a_bulk_queryset_update_is_recorded_per_row_with_who_made_it(nst, planner):
    ids = list(Road.objects.filter(municipality=nst).order_by("id").values_list("pk", flat=True))
    ids = ids[:25]
    before = dict(Road.objects.filter(pk__in=ids).values_list("pk", "surface"))

    with tenant_scope(municipality_ids=[nst.pk], user_id=planner.pk):
        updated = Road.objects.filter(pk__in=ids).update(surface="ลูกรังทดสอบ")

    entries = FeatureHistory.objects.filter(layer="roads", feature_id__in=ids, op="update")
    assert updated == 25
    assert entries.count() == 25
    assert {e.user_ref for e in entries} == {planner.pk}
    assert {tuple(e.changed_columns) for e in entries} == {("surface",)}
    assert {e.feature_id: e.old_row["surface"] for e in entries} == before


def test_an_update_that_changes_nothing_is_not_recorded(nst):
    road = Road.objects.filter(municipality=nst).first()
    count = history("roads", road.pk).count()

    Road.objects.filter(pk=road.pk).update(name_th=road.name_th)

    assert history("roads", road.pk).count() == count


def test_a_raw_sql_delete_is_recorded_with_the_whole_old_row(nst):
    landmark = Landmark.objects.filter(municipality=nst).order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM layers_landmark WHERE id = %s", [landmark.pk])

    entry = history("landmarks", landmark.pk).last()
    assert entry.op == "delete"
    assert entry.old_row["name_th"] == landmark.name_th
    assert entry.old_row["category"] == landmark.category
    assert entry.old_geom.equals_exact(landmark.geom, 0)
    assert entry.dataset_id == landmark.dataset_id
    assert entry.municipality_id == nst.pk


def test_restoring_a_deleted_feature_gives_back_the_exact_row(nst, planner):
    building = Building.objects.filter(municipality=nst, population__isnull=False).first()
    original = row_text("layers_building", building.pk)
    state = table_state("layers_building", nst.pk)

    Building.objects.filter(pk=building.pk).delete()
    assert row_text("layers_building", building.pk) is None
    result = restore_feature(
        municipality=nst, layer="buildings", feature_id=building.pk, user=planner
    )

    assert result.action == "recreated"
    assert row_text("layers_building", building.pk) == original
    assert table_state("layers_building", nst.pk) == state
    last = history("buildings", building.pk).last()
    assert (last.op, last.user_ref, last.context) == ("insert", planner.pk, "restore v1")


def test_restoring_an_earlier_version_undoes_later_edits_exactly(nst):
    road = Road.objects.filter(municipality=nst).order_by("-id").first()
    original = row_text("layers_road", road.pk)
    first_version = len(feature_history(municipality=nst, layer="roads", feature_id=road.pk))

    Road.objects.filter(pk=road.pk).update(name_th="ถนนแก้ครั้งแรก", lanes=3)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE layers_road SET geom = ST_Translate(geom, 0.00001, 0) WHERE id = %s", [road.pk]
        )
    versions = feature_history(municipality=nst, layer="roads", feature_id=road.pk)
    assert [v.op for v in versions[-2:]] == ["update", "update"]
    assert [c[0] for c in versions[-2].changes] == ["name_th", "lanes"]
    assert versions[-1].changed == ["geom"]

    restore_feature(municipality=nst, layer="roads", feature_id=road.pk, version=first_version)

    assert row_text("layers_road", road.pk) == original


def test_restore_without_a_version_undoes_the_last_change(nst):
    landmark = Landmark.objects.filter(municipality=nst).order_by("id")[3]
    Landmark.objects.filter(pk=landmark.pk).update(name_th="ชื่อแรก")
    after_first = row_text("layers_landmark", landmark.pk)
    Landmark.objects.filter(pk=landmark.pk).update(name_th="ชื่อที่สอง")

    result = restore_feature(municipality=nst, layer="landmarks", feature_id=landmark.pk)

    assert result.action == "reverted"
    assert row_text("layers_landmark", landmark.pk) == after_first


def test_restore_refuses_when_the_feature_changed_after_the_user_looked(nst):
    from layers.history.selectors import feature_history

    landmark = Landmark.objects.filter(municipality=nst).order_by("id")[4]
    Landmark.objects.filter(pk=landmark.pk).update(name_th="ที่ผู้ใช้เห็น")
    seen = feature_history(municipality=nst, layer="landmarks", feature_id=landmark.pk)[-1]
    Landmark.objects.filter(pk=landmark.pk).update(name_th="แก้โดยอีกคน")  # meanwhile
    before = row_text("layers_landmark", landmark.pk)

    with pytest.raises(HistoryError) as stale:
        restore_feature(
            municipality=nst,
            layer="landmarks",
            feature_id=landmark.pk,
            expected_last=seen.entry_id,
        )

    assert stale.value.code == "changed_since"
    assert row_text("layers_landmark", landmark.pk) == before


def test_restore_refuses_unknown_versions_and_features_without_history(nst):
    road = Road.objects.filter(municipality=nst).first()

    with pytest.raises(HistoryError) as unknown:
        restore_feature(municipality=nst, layer="roads", feature_id=road.pk, version=99)
    with pytest.raises(HistoryError) as missing:
        restore_feature(municipality=nst, layer="roads", feature_id=10**12)
    with pytest.raises(HistoryError) as only_created:
        restore_feature(municipality=nst, layer="roads", feature_id=road.pk)

    assert unknown.value.code == "version_unknown"
    assert missing.value.code == "no_history"
    assert only_created.value.code == "no_earlier_version"
    assert "รุ่น" in str(unknown.value)
    assert "version" in str(unknown.value)


def test_a_restore_bumps_the_layer_version_so_caches_invalidate(nst):
    pk = Landmark.objects.filter(municipality=nst).order_by("id")[5].pk
    Landmark.objects.filter(pk=pk).delete()
    version = LayerVersion.objects.get(municipality=nst, layer="landmarks").version

    restore_feature(municipality=nst, layer="landmarks", feature_id=pk)

    assert LayerVersion.objects.get(municipality=nst, layer="landmarks").version > version


def _import_roads(nst, frame, tmp_path, name="roads.geojson", **options):
    path = write_geojson(frame, tmp_path / name)
    return layer_import(municipality=nst, kind="roads", path=path, dataset_slug="hist", **options)


def test_an_import_records_its_run_and_tags_its_history(nst, tmp_path, planner):
    report = _import_roads(nst, roads_frame(4), tmp_path, id_field="id", user=planner)

    run = ImportRun.objects.get(pk=report.import_run)
    assert (run.created, run.updated, run.kind, run.user, run.file_name) == (
        4,
        0,
        "roads",
        planner,
        "roads.geojson",
    )
    assert run.dataset.slug == "hist"
    assert run.finished_at is not None
    tagged = FeatureHistory.objects.filter(import_run=run)
    # One insert entry for the statement that created the four roads, naming exactly them.
    assert list(tagged.values_list("op", flat=True)) == ["insert"]
    created = Road.objects.filter(dataset__slug="hist").values_list("pk", flat=True)
    assert sorted(created) == [
        k for low, high in tagged.get().inserted_ids.ranges() for k in range(low, high)
    ]
    assert {e.user_ref for e in tagged} == {planner.pk}
    # The dataset page lists that entry as four new features, and each road's history starts
    # with it.
    (entry,) = dataset_history(dataset=run.dataset)
    assert (entry.created_count, entry.first_feature_id, entry.last_feature_id) == (
        4,
        min(created),
        max(created),
    )
    first = feature_history(municipality=nst, layer="roads", feature_id=max(created))[0]
    assert (first.op, first.import_run_id, first.entry_id) == ("insert", run.pk, entry.pk)
    # The import id ends with the import: a later edit in the same transaction is not the import's.
    road = Road.objects.filter(dataset__slug="hist").first()
    Road.objects.filter(pk=road.pk).update(name_th="แก้หลังนำเข้า")
    assert history("roads", road.pk).last().import_run_id is None


def test_a_dry_run_import_records_no_run(nst, tmp_path):
    count = ImportRun.objects.count()

    report = _import_roads(nst, roads_frame(3), tmp_path, id_field="id", dry_run=True)

    assert report.import_run is None
    assert ImportRun.objects.count() == count


def test_rolling_back_an_import_restores_the_exact_prior_state(nst, tmp_path, planner):
    frame = roads_frame(5)
    _import_roads(nst, frame, tmp_path, id_field="id")
    before = table_state("layers_road", nst.pk)

    changed = frame.copy()
    changed.loc[changed["id"].isin(["r2", "r3"]), "name"] = "ถนนเปลี่ยนชื่อ"
    changed = changed[changed["id"] != "r5"]
    extra = roads_frame(7).iloc[5:]
    report = _import_roads(
        nst,
        pd.concat([changed, extra], ignore_index=True),
        tmp_path,
        name="roads2.geojson",
        id_field="id",
        delete_missing=True,
        user=planner,
    )
    assert (report.created, report.updated, report.deleted) == (2, 2, 1)
    assert table_state("layers_road", nst.pk) != before

    result = rollback_import(municipality=nst, import_id=report.import_run, user=planner)

    assert (result.removed, result.restored, result.recreated) == (2, 2, 1)
    assert table_state("layers_road", nst.pk) == before
    run = ImportRun.objects.get(pk=report.import_run)
    assert run.rolled_back_at is not None
    assert run.rolled_back_by == planner


def test_rolling_back_a_replacing_import_brings_back_what_it_replaced(nst, tmp_path):
    _import_roads(nst, roads_frame(5), tmp_path)
    before = table_state("layers_road", nst.pk)
    report = _import_roads(nst, roads_frame(3), tmp_path, name="fewer.geojson")
    assert (report.deleted, report.created) == (5, 3)

    rollback_import(municipality=nst, import_id=report.import_run)

    assert table_state("layers_road", nst.pk) == before


def test_rollback_refuses_after_a_later_edit_unless_forced(nst, tmp_path):
    _import_roads(nst, roads_frame(3), tmp_path, id_field="id")
    before = table_state("layers_road", nst.pk)
    changed = roads_frame(3)
    changed["name"] = "ถนนนำเข้ารอบสอง"
    report = _import_roads(nst, changed, tmp_path, name="two.geojson", id_field="id")
    edited = Road.objects.get(municipality=nst, source_id="r2")
    Road.objects.filter(pk=edited.pk).update(surface="แก้ภายหลัง")
    after_edit = table_state("layers_road", nst.pk)

    with pytest.raises(HistoryError) as refused:
        rollback_import(municipality=nst, import_id=report.import_run)
    dry = rollback_import(municipality=nst, import_id=report.import_run, dry_run=True)

    assert refused.value.code == "conflict"
    assert str(edited.pk) in str(refused.value)
    assert "--force" in str(refused.value)
    assert dry.conflicts == [edited.pk]
    assert dry.restored == 3
    assert table_state("layers_road", nst.pk) == after_edit
    assert ImportRun.objects.get(pk=report.import_run).rolled_back_at is None

    rollback_import(municipality=nst, import_id=report.import_run, force=True)

    assert table_state("layers_road", nst.pk) == before


def test_an_import_cannot_be_rolled_back_twice_nor_from_another_municipality(nst, chon, tmp_path):
    report = _import_roads(nst, roads_frame(2), tmp_path, id_field="id")
    rollback_import(municipality=nst, import_id=report.import_run)

    with pytest.raises(HistoryError) as twice:
        rollback_import(municipality=nst, import_id=report.import_run)
    with pytest.raises(HistoryError) as elsewhere:
        rollback_import(municipality=chon, import_id=report.import_run)

    assert twice.value.code == "already_rolled_back"
    assert elsewhere.value.code == "import_unknown"


def test_another_municipalitys_history_is_invisible(nst, chon):
    road = Road.objects.filter(municipality=nst).first()
    Road.objects.filter(pk=road.pk).update(name_th="ดูไม่ได้")

    with tenant_scope(municipality_ids=[chon.pk]):
        other = FeatureHistory.objects.filter(municipality=nst).count()
        own = FeatureHistory.objects.filter(municipality=chon).count()
        versions = feature_history(municipality=chon, layer="roads", feature_id=road.pk)

    assert other == 0
    assert own > 0
    assert versions == []


def _refused(sql: str, params=()) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return "feature history" in str(error)
    return False


def test_the_application_cannot_rewrite_forge_or_delete_history(nst):
    entry = FeatureHistory.objects.filter(municipality=nst).first()

    assert _refused("UPDATE layers_featurehistory SET context = 'x' WHERE id = %s", [entry.pk])
    assert _refused(
        "INSERT INTO layers_featurehistory (municipality_id, layer, feature_id, op, changed_at, "
        "context) VALUES (%s, 'roads', 1, 'delete', now(), 'forged')",
        [nst.pk],
    )
    assert _refused("DELETE FROM layers_featurehistory WHERE id = %s", [entry.pk])
    assert _refused("TRUNCATE layers_featurehistory")
    assert FeatureHistory.objects.filter(pk=entry.pk, context=entry.context).exists()


def _case_with_person(nst, national_id: str) -> DengueCase:
    case = DengueCase.objects.filter(municipality=nst).order_by("id")[int(national_id[-2:])]
    case_personal_write(case=case, full_name="ทดสอบ ลบประวัติ", national_id=national_id)
    DengueCase.objects.filter(pk=case.pk).update(status=DengueCase.Status.PROBABLE)
    return case


@pytest.mark.parametrize("keep_cases", [True, False], ids=["anonymise", "erase"])
def test_pdpa_erasure_removes_the_cases_history_too(nst, keep_cases):
    admin = get_user_model().objects.get(username="nst-admin")
    case = _case_with_person(nst, "1100700000011")
    other = DengueCase.objects.filter(municipality=nst).exclude(pk=case.pk).first()
    DengueCase.objects.filter(pk=other.pk).update(status=DengueCase.Status.PROBABLE)
    assert history("cases", case.pk).filter(op="update").exists()

    person_erase(
        municipality_id=nst.pk, user=admin, national_id="1100700000011", keep_cases=keep_cases
    )

    assert not history("cases", case.pk).exists()
    assert history("cases", other.pk).filter(op="update").exists()  # others keep theirs


def test_the_retention_purge_removes_history_of_old_cases(nst):
    case = _case_with_person(nst, "1100700000022")
    old_report = case.report_date.replace(year=case.report_date.year - 7)
    DengueCase.objects.filter(pk=case.pk).update(onset_date=old_report, report_date=old_report)
    recent = DengueCase.objects.filter(municipality=nst).exclude(pk=case.pk).last()
    DengueCase.objects.filter(pk=recent.pk).update(status=DengueCase.Status.PROBABLE)

    purged = personal_data_purge(older_than_years=5, today=case.report_date)

    assert purged >= 1
    assert not history("cases", case.pk).exists()
    assert history("cases", recent.pk).filter(op="update").exists()


# Generic `dataset` imports keep their features as a GeoJSON file: the file is versioned.


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _import_dataset(nst, frame, tmp_path, callbacks, name="pumps.geojson", **options):
    path = write_geojson(frame, tmp_path / name)
    with callbacks(execute=True):
        return layer_import(
            municipality=nst, kind="dataset", path=path, dataset_slug="pumps", **options
        )


def _dataset_file(media):
    return media / "datasets" / "nakhon-si-thammarat" / "pumps.geojson"


def test_rolling_back_a_dataset_file_import_puts_the_earlier_file_back(
    nst, tmp_path, media, django_capture_on_commit_callbacks
):
    _import_dataset(nst, roads_frame(3), tmp_path, django_capture_on_commit_callbacks)
    first = _dataset_file(media).read_bytes()
    second = _import_dataset(
        nst, roads_frame(5), tmp_path, django_capture_on_commit_callbacks, name="more.geojson"
    )
    assert _dataset_file(media).read_bytes() != first

    with django_capture_on_commit_callbacks(execute=True):
        result = rollback_import(municipality=nst, import_id=second.import_run)

    assert (result.layer, result.removed, result.restored) == ("dataset", 5, 3)
    assert _dataset_file(media).read_bytes() == first
    assert ImportRun.objects.get(pk=second.import_run).rolled_back_at is not None


def test_a_dataset_file_import_imported_over_again_needs_force_and_a_created_one_goes(
    nst, tmp_path, media, django_capture_on_commit_callbacks
):
    first = _import_dataset(nst, roads_frame(3), tmp_path, django_capture_on_commit_callbacks)
    _import_dataset(
        nst, roads_frame(4), tmp_path, django_capture_on_commit_callbacks, name="again.geojson"
    )

    with pytest.raises(HistoryError) as later:
        rollback_import(municipality=nst, import_id=first.import_run)
    preview = rollback_import(municipality=nst, import_id=first.import_run, dry_run=True)
    assert later.value.code == "conflict"
    assert _dataset_file(media).is_file()
    assert preview.removed == 4
    assert preview.restored == 0

    with django_capture_on_commit_callbacks(execute=True):
        rollback_import(municipality=nst, import_id=first.import_run, force=True)

    # The first import created the dataset: rolling it back removes the entry and its file.
    assert not Dataset.objects.filter(municipality=nst, slug="pumps").exists()
    assert not _dataset_file(media).exists()
