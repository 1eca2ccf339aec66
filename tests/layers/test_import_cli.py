"""The `import_layer` command: exit codes, bilingual messages, --map, --dry-run, no tracebacks."""

from __future__ import annotations

import json

import pytest

from layers.imports import layer_import, source_inspect
from layers.models import DengueCase, Road
from tests.layers.import_data import (
    cli,
    csv_text,
    database_state,
    dengue_rows,
    inside_points,
    roads_frame,
    write_geojson,
    write_shapefile_zip,
)

CODE = "nakhon-si-thammarat"


def test_success_exits_0_and_prints_the_report(nst, tmp_path):
    path = write_geojson(roads_frame(3), tmp_path / "roads.geojson")

    code, output = cli(CODE, "roads", path, "--id-field", "id")

    assert code == 0, output
    assert "สร้างใหม่ / created: 3" in output
    assert "ไฟล์ / file: roads.geojson (GeoJSON" in output
    assert Road.objects.filter(dataset__slug="roads").count() == 3


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("no-such-town", "roads"), "ไม่พบเทศบาล 'no-such-town' / unknown municipality"),
        ((CODE, "rivers"), "unknown kind 'rivers'; use one of roads, landmarks"),
        ((CODE, "roads", "--map", "nameless"), "--map needs COLUMN=FIELD, not 'nameless'"),
    ],
)
def test_usage_errors_exit_2_with_a_bilingual_message(tmp_path, nst, args, fragment):
    path = write_geojson(roads_frame(1), tmp_path / "roads.geojson")
    code, output = cli(*args[:2], path, *args[2:])

    assert code == 2
    assert fragment in output


def test_map_names_thai_columns_the_suggestions_do_not_know(nst, tmp_path):
    text = dengue_rows(3).replace("วันเริ่มป่วย", "ป่วยวันที่").replace("ผลวินิจฉัย", "dx_code")
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")

    code, output = cli(CODE, "dengue_cases", path)
    assert code == 1
    assert (
        "no column for the required field onset_date; name one with --map COLUMN=onset_date"
        in output
    )

    code, output = cli(
        CODE, "dengue_cases", path, "--map", "ป่วยวันที่=onset_date", "dx_code=diagnosis"
    )
    assert code == 0, output
    assert DengueCase.objects.filter(dataset__slug="export").count() == 3


def test_map_to_a_missing_column_lists_the_columns(nst, tmp_path):
    path = write_geojson(roads_frame(1), tmp_path / "roads.geojson")

    code, output = cli(CODE, "roads", path, "--map", "ชื่อถนน=name_th")

    assert code == 1
    assert "--map names the column 'ชื่อถนน', which is not in the file; columns: id, name" in output


def test_map_dash_leaves_a_column_out(nst, tmp_path):
    path = write_geojson(roads_frame(2), tmp_path / "roads.geojson")

    code, output = cli(CODE, "roads", path, "--map", "name=-")

    assert code == 0, output
    assert set(Road.objects.filter(dataset__slug="roads").values_list("name_th", flat=True)) == {""}


def test_dry_run_exits_0_and_writes_nothing(nst, tmp_path):
    path = write_geojson(roads_frame(3), tmp_path / "roads.geojson")
    before = database_state()

    code, output = cli(CODE, "roads", path, "--dry-run")

    assert code == 0, output
    assert "dry run: nothing was written" in output
    assert "created: 3" in output
    assert database_state() == before


def test_dry_run_that_finds_problems_exits_1_with_the_full_report(nst, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(dengue_rows(5, bad_row=2, bad_value="31/02/2569"), encoding="utf-8")

    code, output = cli(CODE, "dengue_cases", path, "--dry-run")

    assert code == 1
    assert "ปฏิเสธ / rejected: 1" in output
    assert "row 2, field วันเริ่มป่วย (onset_date): invalid date '31/02/2569'" in output
    assert "dry run: the import would be refused" in output


def test_an_unexpected_failure_is_a_message_not_a_traceback(nst, tmp_path, monkeypatch):
    import layers.management.commands.import_layer as command

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(command, "layer_import", broken)
    path = write_geojson(roads_frame(1), tmp_path / "roads.geojson")

    code, output = cli(CODE, "roads", path)

    assert code == 1
    assert "unexpected error (RuntimeError: disk on fire); nothing was imported" in output
    assert "Traceback" not in output


def test_source_inspect_offers_crss_when_the_file_has_none(nst, tmp_path):
    """The wizard's first step (scenario 1): no .prj, TIS-620 names, and a preview."""
    frame = roads_frame(2, crs="EPSG:24047")
    path = write_shapefile_zip(
        frame, tmp_path / "lights.zip", encoding="cp874", cpg=False, prj=None
    )

    info = source_inspect(municipality=nst, kind="roads", path=path)

    assert info["crs"] is None
    assert info["crs_suggestions"] == ["EPSG:32647", "EPSG:24047", "EPSG:4326"]
    assert info["encoding"] == "cp874"
    assert info["id_field_suggestion"] == "id"

    info = source_inspect(municipality=nst, kind="roads", path=path, crs="EPSG:24047")
    assert info["mapping"]["name_th"] == "name"
    sample = info["sample"]["features"]
    assert sample[0]["properties"]["name"] == "ถนนราชดำเนิน"
    lon, lat = sample[0]["geometry"]["coordinates"][0][0]  # first vertex of a MultiLineString
    assert abs(lon - inside_points(1)[0][0]) < 1e-6
    assert abs(lat - inside_points(1)[0][1]) < 1e-6


def test_report_as_dict_is_json_ready(nst, tmp_path):
    rows = [[f"p{i}", lat, lon] for i, (lon, lat) in enumerate(inside_points(2))]
    path = tmp_path / "points.csv"
    path.write_text(csv_text(["id", "lat", "lon"], rows), encoding="utf-8")

    report = layer_import(municipality=nst, kind="landmarks", path=path, dry_run=True)

    data = json.loads(json.dumps(report.as_dict(), ensure_ascii=False))
    assert data["ok"] is True
    assert data["created"] == 2
    assert {note["code"] for note in data["notes"]} >= {"csv_coordinates", "crs_used"}
