"""Hostile files get a clear error naming the problem, no stack trace, and nothing is written.

Each test builds its file in tmp_path and runs the command as a user would.
"""

from __future__ import annotations

import sqlite3
import struct
import zipfile

import pytest
import shapely

from layers.imports import ImportLimits, ImportRefused
from layers.imports.archives import archive_unpack
from tests.layers.import_data import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    cli,
    database_state,
    geojson_points,
    inside_points,
    landmarks_frame,
    landmarks_kml,
    million_vertex_polygon_gpkg,
    roads_frame,
    vrt_text,
    write_geojson,
    write_gpkg,
    zip_bomb,
    zip_entries,
    zip_slip,
    zip_with_symlink,
)

CODE = "nakhon-si-thammarat"


def refused(*args: object, expect: list[str]) -> str:
    """Run the command; it must fail with every fragment of `expect` and write nothing."""
    before = database_state()
    code, output = cli(CODE, *args)
    assert code == 1, output
    assert "Traceback" not in output
    for fragment in expect:
        assert fragment in output, output
    assert database_state() == before
    return output


# zip archives


def test_zip_bomb_is_refused_by_its_compression_ratio_before_unpacking(nst, tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.zip", megabytes=20)

    refused("roads", bomb, expect=["zip bomb", "is compressed", "ถูกบีบอัด"])


def test_zip_bomb_ratio_check_unpacks_nothing(tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.zip", megabytes=20)
    destination = tmp_path / "out"
    destination.mkdir()

    with pytest.raises(ImportRefused):
        archive_unpack(bomb, destination, limits=ImportLimits())

    assert not any(destination.iterdir())


def test_archive_unpacking_to_more_than_the_size_limit_is_refused(nst, tmp_path, settings):
    settings.MUEANG_IMPORT_MAX_UNCOMPRESSED_BYTES = 1_000_000
    path = zip_entries(tmp_path / "big.zip", {"roads.geojson": "{" + " " * 2_000_000 + "}"})

    refused("roads", path, expect=["would unpack to 2000002 bytes", "the limit is 1000000"])


def test_archive_with_too_many_entries_is_refused(nst, tmp_path):
    entries = {f"part{i}.prj": "x" for i in range(1001)}
    path = zip_entries(tmp_path / "many.zip", entries)

    refused("roads", path, expect=["holds 1001 entries; the limit is 1000", "1001 รายการ"])


def test_entry_whose_header_understates_its_size_is_refused(nst, tmp_path):
    path = zip_entries(tmp_path / "lie.zip", {"roads.geojson": "{" + " " * 100_000 + "}"})
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 22, 100)  # local header: uncompressed size
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)  # central directory: uncompressed size
    path.write_bytes(bytes(data))

    refused("roads", path, expect=["roads.geojson", "cannot read the file"])


@pytest.mark.parametrize(
    "name", ["../../evil.geojson", "/tmp/evil.geojson", "C:\\evil.geojson", "ok/../../evil.json"]
)
def test_zip_slip_entries_are_refused(nst, tmp_path, name):
    path = zip_slip(tmp_path / "slip.zip", name)

    refused("roads", path, expect=["unsafe path", "zip slip", "เส้นทางไม่ปลอดภัย"])
    assert not (tmp_path.parent / "evil.geojson").exists()


def test_symlink_entries_are_refused(nst, tmp_path):
    path = zip_with_symlink(tmp_path / "link.zip")

    refused("roads", path, expect=["'roads.geojson' is a symbolic link", "symlink"])


def test_nested_archives_are_refused_by_name(nst, tmp_path):
    inner = zip_entries(tmp_path / "inner.zip", {"roads.geojson": "{}"})
    path = zip_entries(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes()})

    refused("roads", path, expect=["'inner.zip' is itself an archive", "ไฟล์บีบอัดซ้อน"])


def test_nested_archives_are_refused_by_content(nst, tmp_path):
    inner = zip_entries(tmp_path / "inner.zip", {"roads.geojson": "{}"})
    path = zip_entries(tmp_path / "outer.zip", {"roads.geojson": inner.read_bytes()})

    refused("roads", path, expect=["'roads.geojson' is itself an archive"])


# files that make GDAL read other files


def test_vrt_file_is_refused(nst, tmp_path):
    path = tmp_path / "roads.vrt"
    path.write_text(vrt_text(), encoding="utf-8")

    refused("roads", path, expect=["'roads.vrt' is a GDAL driver file", "ไม่รับไฟล์ 'roads.vrt'"])


def test_vrt_inside_a_zip_is_refused(nst, tmp_path):
    path = zip_entries(tmp_path / "roads.zip", {"roads.vrt": vrt_text()})

    refused("roads", path, expect=["'roads.vrt' is a GDAL driver file"])


@pytest.mark.parametrize("suffix", [".geojson", ".csv", ".kml"])
def test_vrt_renamed_to_an_allowed_format_is_refused_by_its_content(nst, tmp_path, suffix):
    path = tmp_path / f"roads{suffix}"
    path.write_text(vrt_text(), encoding="utf-8")

    output = refused("landmarks", path, expect=["is not a", "roads" + suffix])
    assert "root:" not in output  # /etc/passwd never read


def test_geopackage_with_a_virtual_table_is_refused(nst, tmp_path):
    path = write_gpkg({"landmarks": landmarks_frame(1)}, tmp_path / "evil.gpkg")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA writable_schema=ON")
    connection.execute(
        "INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES "
        "('table', 'evil', 'evil', 0, "
        "'CREATE VIRTUAL TABLE evil USING VirtualOGR(''/etc/passwd'')')"
    )
    connection.commit()
    connection.close()

    refused("landmarks", path, expect=["virtual table 'evil'", "ตารางเสมือน"])


def test_a_file_that_is_not_what_its_name_says_is_refused(nst, tmp_path):
    path = tmp_path / "roads.gpkg"
    path.write_text("not a database", encoding="utf-8")

    refused("roads", path, expect=["'roads.gpkg' is not a GeoPackage file"])


# KML


def test_kml_billion_laughs_is_refused_before_parsing(nst, tmp_path):
    path = tmp_path / "laughs.kml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")

    refused("landmarks", path, expect=["DOCTYPE or ENTITY", "entity expansion"])


def test_kml_external_entity_is_refused(nst, tmp_path):
    path = tmp_path / "xxe.kml"
    path.write_text(EXTERNAL_ENTITY, encoding="utf-8")

    output = refused("landmarks", path, expect=["DOCTYPE or ENTITY", "external entity"])
    assert "root:" not in output


def test_kmz_with_entities_is_refused(nst, tmp_path):
    path = zip_entries(tmp_path / "laughs.kmz", {"doc.kml": BILLION_LAUGHS})

    refused("landmarks", path, expect=["DOCTYPE or ENTITY"])


def test_kml_network_link_is_refused(nst, tmp_path):
    kml = landmarks_kml(1).replace(
        "<Document>",
        "<Document><NetworkLink><Link><href>file:///etc/passwd</href></Link></NetworkLink>",
    )
    path = tmp_path / "linked.kml"
    path.write_text(kml, encoding="utf-8")

    refused("landmarks", path, expect=["NetworkLink"])


# coordinates and vertices


@pytest.mark.parametrize(
    ("literal", "expect"),
    [
        ("NaN, 8.43", "row 2: a coordinate is not a number (NaN or infinity)"),
        ("Infinity, 8.43", "row 2: a coordinate is not a number (NaN or infinity)"),
        ("1e308, 8.43", "row 2: coordinate '1e+308' is out of range"),
        ("99.955, -1e308", "row 2: coordinate '-1e+308' is out of range"),
    ],
)
def test_nan_infinite_and_huge_coordinates_are_rejected_by_row(nst, tmp_path, literal, expect):
    x, y = inside_points(1)[0]
    path = tmp_path / "points.geojson"
    path.write_text(geojson_points([f"{x}, {y}", literal]), encoding="utf-8")

    refused("landmarks", path, expect=[expect, "แถว 2"])


def test_huge_coordinates_in_a_projected_file_are_rejected(nst, tmp_path):
    frame = roads_frame(2, crs="EPSG:32647")
    frame.loc[1, "geometry"] = shapely.LineString([(600000, 930000), (1e308, 930000)])
    path = write_geojson(frame, tmp_path / "utm.geojson")

    refused("roads", path, expect=["row 2: coordinate '1e+308' is out of range"])


def test_nan_coordinates_in_a_csv_are_rejected(nst, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("name,lat,lon\na,8.43,99.955\nb,nan,99.955\n", encoding="utf-8")

    refused("landmarks", path, expect=["row 2: a coordinate is not a number"])


def test_a_million_vertex_polygon_is_refused_by_the_vertex_limit(nst, tmp_path):
    path = million_vertex_polygon_gpkg(tmp_path / "huge.gpkg")

    refused("buildings", path, expect=["row 1: 1000001 vertices, more than the limit of 200000"])


def test_the_vertex_limit_is_configurable(nst, tmp_path):
    path = million_vertex_polygon_gpkg(tmp_path / "circle.gpkg", vertices=500)

    refused("buildings", path, "--max-vertices", 100, expect=["501 vertices", "limit of 100"])
    code, output = cli(CODE, "buildings", path, "--max-vertices", 1000)
    assert code == 0, output


# what is not a data file at all


def test_a_device_is_not_read(nst):
    refused("roads", "/dev/zero", expect=["not a regular file"])


def test_a_directory_is_not_opened(nst, tmp_path):
    refused("roads", tmp_path, expect=["not a regular file"])


def test_a_missing_file_is_reported(nst, tmp_path):
    refused("roads", tmp_path / "nowhere.geojson", expect=["file not found", "ไม่พบไฟล์"])


def test_a_file_over_the_size_limit_is_refused(nst, tmp_path, settings):
    settings.MUEANG_IMPORT_MAX_FILE_BYTES = 100
    path = write_geojson(roads_frame(3), tmp_path / "roads.geojson")

    refused("roads", path, expect=["the file is too large", "ไฟล์ใหญ่เกินไป"])


def test_a_corrupt_zip_is_refused(nst, tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")

    refused("roads", path, expect=["not a valid zip archive"])


def test_password_protected_entries_are_refused(nst, tmp_path):
    path = zip_entries(tmp_path / "secret.zip", {"roads.geojson": "{}"})
    data = bytearray(path.read_bytes())
    struct.pack_into("<H", data, 6, struct.unpack_from("<H", data, 6)[0] | 1)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 1)
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).infolist()[0].flag_bits & 1

    refused("roads", path, expect=["password-protected"])
