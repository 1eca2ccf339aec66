"""Each accepted format imports through the same service: GeoJSON, GeoPackage, zipped
Shapefile, KML, KMZ and CSV (lat/lon with Thai headers, x/y in UTM, swapped columns)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from layers.imports import ImportRefused, layer_import
from layers.models import Building, Dataset, DengueCase, FloodZone, Landmark, Road
from tests.layers.import_data import (
    OUTSIDE,
    buildings_frame,
    cli,
    csv_text,
    dengue_rows,
    inside_points,
    landmarks_frame,
    landmarks_kml,
    roads_frame,
    write_geojson,
    write_gpkg,
    write_shapefile_zip,
    zip_entries,
)


def test_geojson_roads_are_stored_with_thai_names_classes_and_multilines(nst, tmp_path):
    path = write_geojson(roads_frame(5), tmp_path / "roads.geojson")

    report = layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    roads = Road.objects.filter(dataset__slug="roads", municipality=nst).order_by("source_id")
    assert report.created == 5
    assert roads.count() == 5
    first = roads.get(source_id="r1")
    assert first.name_th == "ถนนราชดำเนิน"
    assert first.road_class == Road.RoadClass.PRIMARY  # primary_link -> primary
    assert first.lanes == 2
    assert first.geom.geom_type == "MultiLineString"
    assert first.dataset.kind == Dataset.Kind.ROADS


def test_geopackage_with_several_layers_asks_for_one_and_lists_them(nst, tmp_path):
    path = write_gpkg(
        {"roads": roads_frame(3), "landmarks": landmarks_frame(2)}, tmp_path / "city.gpkg"
    )

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="landmarks", path=path)

    message = str(refused.value)
    assert "--layer" in message
    assert "'roads'" in message
    assert "'landmarks'" in message
    assert "เลือกหนึ่งชั้นด้วย --layer" in message


def test_geopackage_layer_chosen_with_layer_option(nst, tmp_path):
    path = write_gpkg(
        {"roads": roads_frame(3), "landmarks": landmarks_frame(4)}, tmp_path / "city.gpkg"
    )

    code, output = cli("nakhon-si-thammarat", "landmarks", path, "--layer", "landmarks")

    assert code == 0, output
    stored = Landmark.objects.filter(dataset__slug="city")
    assert stored.count() == 4
    assert set(stored.values_list("category", flat=True)) == {
        "temple",
        "school",
        "market",
        "health_centre",
    }
    # unknown Thai categories are kept as "other" with the original word in source_kind
    assert sorted(stored.values_list("source_kind", flat=True)) == sorted(
        ["วัด", "โรงเรียน", "ตลาด", "รพ.สต."]
    )


def test_zipped_shapefile_polygons_become_multipolygons(nst, tmp_path):
    path = write_shapefile_zip(buildings_frame(4), tmp_path / "buildings.zip")

    report = layer_import(municipality=nst, kind="buildings", path=path, id_field="id")

    assert report.format == "Shapefile"
    assert report.created == 4
    levels = dict(
        Building.objects.filter(dataset__slug="buildings").values_list("source_id", "levels")
    )
    assert levels == {"b1": 1, "b2": 2, "b3": 3, "b4": 1}
    assert {b.geom.geom_type for b in Building.objects.filter(dataset__slug="buildings")} == {
        "MultiPolygon"
    }


def test_kml_placemarks_become_landmarks_with_their_names(nst, tmp_path):
    path = tmp_path / "temples.kml"
    path.write_text(landmarks_kml(3), encoding="utf-8")

    report = layer_import(
        municipality=nst, kind="landmarks", path=path, mapping={"Name": "name_th"}
    )

    assert report.created == 3
    names = set(Landmark.objects.filter(dataset__slug="temples").values_list("name_th", flat=True))
    assert names == {"วัดที่ 1", "วัดที่ 2", "วัดที่ 3"}


def test_kmz_reads_doc_kml_and_ignores_its_images(nst, tmp_path):
    path = zip_entries(
        tmp_path / "temples.kmz",
        {"doc.kml": landmarks_kml(2), "files/icon.png": b"\x89PNG\r\n\x1a\n"},
    )

    report = layer_import(
        municipality=nst, kind="landmarks", path=path, mapping={"Name": "name_th"}
    )

    assert report.format == "KML"
    assert report.created == 2


def test_kml_with_several_folders_asks_for_a_layer(nst, tmp_path):
    path = tmp_path / "map.kml"
    path.write_text(landmarks_kml(2, folders=["วัด", "โรงเรียน"]), encoding="utf-8")

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="landmarks", path=path)
    assert "'วัด'" in str(refused.value)

    report = layer_import(municipality=nst, kind="landmarks", path=path, layer="โรงเรียน")
    assert report.created == 2


def test_csv_cases_with_thai_column_names_and_buddhist_era_dates(nst, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(dengue_rows(6), encoding="utf-8")

    report = layer_import(municipality=nst, kind="dengue_cases", path=path, id_field="รหัสผู้ป่วย")

    assert report.created == 6
    assert report.mapping["onset_date"] == "วันเริ่มป่วย"
    assert report.mapping["report_date"] == "วันที่รายงาน"
    case = DengueCase.objects.get(municipality=nst, source_id="C0002")
    assert case.onset_date.isoformat() == "2026-01-02"  # 02/01/2569 B.E.
    assert case.diagnosis == "DHF"
    assert case.sex == "F"
    assert case.subdistrict is not None  # placed in its subdistrict for the public counts
    assert case.dataset.visibility == Dataset.Visibility.PRIVATE


def test_csv_with_swapped_latitude_and_longitude_is_detected_and_swapped_back(nst, tmp_path):
    rows = [[f"p{i}", "วัด", lon, lat] for i, (lon, lat) in enumerate(inside_points(4))]
    path = tmp_path / "swapped.csv"
    # the header says lat, lon but the values are lon, lat
    path.write_text(csv_text(["id", "category", "lat", "lon"], rows), encoding="utf-8")

    report = layer_import(municipality=nst, kind="landmarks", path=path, id_field="id")

    assert any(note.code == "latlon_swapped" for note in report.notes)
    assert report.outside == 0
    point = Landmark.objects.get(municipality=nst, source_id="p0").geom
    assert (round(point.x, 6), round(point.y, 6)) == (
        round(inside_points(4)[0][0], 6),
        round(inside_points(4)[0][1], 6),
    )


def test_csv_in_utm_needs_a_crs_and_imports_with_one(nst, tmp_path):
    frame = landmarks_frame(3).to_crs("EPSG:32647")
    rows = [[f"p{i}", round(g.x, 2), round(g.y, 2)] for i, g in enumerate(frame.geometry)]
    path = tmp_path / "utm.csv"
    path.write_text(csv_text(["id", "x", "y"], rows), encoding="utf-8")

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="landmarks", path=path)
    assert "--crs" in str(refused.value)
    assert "EPSG:32647" in str(refused.value)
    assert "EPSG:24047" in str(refused.value)

    report = layer_import(municipality=nst, kind="landmarks", path=path, crs="EPSG:32647")
    assert report.created == 3
    assert report.outside == 0


def test_csv_with_a_combined_coordinate_column_copied_from_a_web_map(nst, tmp_path):
    rows = [[f"ร้าน {i}", f'"{lat}, {lon}"'] for i, (lon, lat) in enumerate(inside_points(2))]
    path = tmp_path / "shops.csv"
    path.write_text(csv_text(["ชื่อ", "พิกัด"], rows), encoding="utf-8")

    report = layer_import(municipality=nst, kind="landmarks", path=path)

    assert report.created == 2
    assert report.outside == 0


def test_a_dataset_of_any_attributes_is_kept_as_a_geojson_file(
    nst, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    frame = landmarks_frame(3).assign(watts=[40, 60, 100])
    path = write_geojson(frame, tmp_path / "street-lights.geojson")

    with django_capture_on_commit_callbacks(execute=True):
        report = layer_import(municipality=nst, kind="dataset", path=path, id_field="id")

    stored = tmp_path / "media" / "datasets" / "nakhon-si-thammarat" / "street-lights.geojson"
    collection = json.loads(stored.read_text(encoding="utf-8"))
    assert report.created == 3
    assert [f["properties"]["watts"] for f in collection["features"]] == [40, 60, 100]
    assert collection["features"][0]["properties"]["ชื่อ"] == "สถานที่ 1"
    assert collection["features"][0]["id"] == "p1"
    assert Dataset.objects.get(municipality=nst, slug="street-lights").kind == Dataset.Kind.OTHER
    assert not list(stored.parent.glob(".*.tmp"))


def test_unsupported_format_is_refused_with_the_list_of_formats(nst, tmp_path):
    path = tmp_path / "roads.dxf"
    path.write_text("0\nSECTION\n", encoding="ascii")

    code, output = cli("nakhon-si-thammarat", "roads", path)

    assert code == 1
    assert "ไม่รองรับไฟล์ชนิด '.dxf'" in output
    assert "unsupported file type '.dxf'" in output


def test_features_in_another_municipality_are_reported_not_imported(nst, tmp_path):
    frame = landmarks_frame(2)
    frame.loc[1, "geometry"] = shapely.Point(OUTSIDE)
    path = write_geojson(frame, tmp_path / "mixed.geojson")

    code, output = cli("nakhon-si-thammarat", "landmarks", path)

    assert code == 1
    assert "แถว 2" in output
    assert "row 2" in output
    assert "--confirm-outside" in output
    assert not Dataset.objects.filter(municipality=nst, slug="mixed").exists()


def test_flood_zones_take_thai_hazard_classes_or_derive_them_from_depth(nst, tmp_path):
    squares = [shapely.box(x, y, x + 0.001, y + 0.001) for x, y in inside_points(3)]
    classed = gpd.GeoDataFrame(
        {"เหตุการณ์": ["น้ำท่วม ธ.ค. 2568"] * 3, "ระดับ": ["น้อย", "ปานกลาง", "สูง"]},
        geometry=squares,
        crs="EPSG:4326",
    )
    by_depth = gpd.GeoDataFrame(
        {"event": ["scenario"] * 3, "depth": [0.05, 0.9, 2.0]}, geometry=squares, crs="EPSG:4326"
    )

    layer_import(
        municipality=nst,
        kind="flood_zones",
        path=write_geojson(classed, tmp_path / "observed.geojson"),
    )
    layer_import(
        municipality=nst,
        kind="flood_zones",
        path=write_geojson(by_depth, tmp_path / "scenario.geojson"),
    )

    def classes(slug):
        return list(
            FloodZone.objects.filter(dataset__slug=slug)
            .order_by("pk")
            .values_list("hazard_class", flat=True)
        )

    assert classes("observed") == ["low", "medium", "high"]
    assert classes("scenario") == ["dry", "medium", "high"]
    assert FloodZone.objects.filter(dataset__slug="observed").first().event == "น้ำท่วม ธ.ค. 2568"
