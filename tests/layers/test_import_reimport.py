"""Re-importing the same source updates instead of duplicating; a dry run writes nothing."""

from __future__ import annotations

import pytest

from layers.imports import ImportRefused, layer_import
from layers.models import Dataset, Road
from tests.layers.import_data import database_state, roads_frame, write_geojson


def roads(municipality, slug="roads"):
    return Road.objects.filter(municipality=municipality, dataset__slug=slug)


def test_importing_twice_with_an_id_field_keeps_one_feature_per_id(nst, tmp_path):
    path = write_geojson(roads_frame(5), tmp_path / "roads.geojson")

    first = layer_import(municipality=nst, kind="roads", path=path, id_field="id")
    pks = dict(roads(nst).values_list("source_id", "pk"))
    second = layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    assert (first.created, second.created, second.updated, second.unchanged) == (5, 0, 0, 5)
    assert roads(nst).count() == 5
    assert dict(roads(nst).values_list("source_id", "pk")) == pks  # same rows, not new ones


def test_a_changed_attribute_updates_that_feature_only(nst, tmp_path):
    frame = roads_frame(5)
    path = write_geojson(frame, tmp_path / "roads.geojson")
    layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    frame.loc[frame["id"] == "r3", "name"] = "ถนนใหม่"
    write_geojson(frame, path)
    report = layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    assert roads(nst).get(source_id="r3").name_th == "ถนนใหม่"
    assert roads(nst).count() == 5


def test_a_file_of_ids_and_geometries_only_updates_the_moved_feature(nst, tmp_path):
    import shapely

    frame = roads_frame(4)[["id", "geometry"]].copy()
    path = write_geojson(frame, tmp_path / "roads.geojson")
    layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    moved = shapely.affinity.translate(frame.geometry.iloc[1], xoff=0.0005)
    frame.loc[frame.index[1], "geometry"] = moved
    write_geojson(frame, path)
    report = layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    stored = shapely.from_wkb(bytes(roads(nst).get(source_id=frame["id"].iloc[1]).geom.wkb))
    assert shapely.equals(stored, moved)  # stored as a MultiLineString of the moved line


def test_a_partial_file_keeps_the_features_it_does_not_mention(nst, tmp_path):
    frame = roads_frame(5)
    path = write_geojson(frame, tmp_path / "roads.geojson")
    layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    write_geojson(frame.iloc[:2], path)
    report = layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    assert (report.unchanged, report.kept, report.deleted) == (2, 3, 0)
    assert roads(nst).count() == 5


def test_delete_missing_removes_the_features_the_file_no_longer_holds(nst, tmp_path):
    frame = roads_frame(5)
    path = write_geojson(frame, tmp_path / "roads.geojson")
    layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    write_geojson(frame.iloc[:2], path)
    report = layer_import(
        municipality=nst, kind="roads", path=path, id_field="id", delete_missing=True
    )

    assert (report.deleted, report.kept) == (3, 0)
    assert set(roads(nst).values_list("source_id", flat=True)) == {"r1", "r2"}


def test_without_an_id_field_a_reimport_replaces_the_dataset(nst, tmp_path):
    path = write_geojson(roads_frame(5), tmp_path / "roads.geojson")
    layer_import(municipality=nst, kind="roads", path=path)

    write_geojson(roads_frame(3), path)
    report = layer_import(municipality=nst, kind="roads", path=path)

    assert (report.deleted, report.created) == (5, 3)
    assert roads(nst).count() == 3


def test_an_id_already_used_by_another_dataset_is_refused(nst, tmp_path):
    layer_import(
        municipality=nst,
        kind="roads",
        path=write_geojson(roads_frame(2), tmp_path / "a.geojson"),
        id_field="id",
    )

    with pytest.raises(ImportRefused) as refused:
        layer_import(
            municipality=nst,
            kind="roads",
            path=write_geojson(roads_frame(2), tmp_path / "b.geojson"),
            id_field="id",
        )

    assert "row 1, field id: id 'r1' already belongs to dataset 'a'" in str(refused.value)
    assert roads(nst, "a").count() == 2
    assert not Dataset.objects.filter(municipality=nst, slug="b").exists()


def test_an_id_twice_in_the_file_is_refused_naming_both_rows(nst, tmp_path):
    frame = roads_frame(3)
    frame.loc[2, "id"] = "r1"
    path = write_geojson(frame, tmp_path / "dup.geojson")

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    assert "แถว 3 คอลัมน์ id: รหัส 'r1' ซ้ำกับแถว 1" in str(refused.value)


def test_dry_run_reports_the_changes_and_writes_nothing(nst, tmp_path):
    frame = roads_frame(5)
    path = write_geojson(frame, tmp_path / "roads.geojson")
    layer_import(municipality=nst, kind="roads", path=path, id_field="id")
    frame.loc[0, "name"] = "ถนนเปลี่ยนชื่อ"
    frame = frame.iloc[:4]
    write_geojson(frame, path)
    before = database_state()

    report = layer_import(municipality=nst, kind="roads", path=path, id_field="id", dry_run=True)

    assert report.ok
    assert report.dry_run
    assert not report.written
    assert (report.created, report.updated, report.unchanged, report.kept) == (0, 1, 3, 1)
    assert database_state() == before


def test_dry_run_of_a_new_dataset_creates_no_catalogue_entry(nst, tmp_path):
    path = write_geojson(roads_frame(2), tmp_path / "fresh.geojson")
    before = database_state()

    report = layer_import(municipality=nst, kind="roads", path=path, dry_run=True)

    assert (report.created, report.dataset_created) == (2, True)
    assert database_state() == before
