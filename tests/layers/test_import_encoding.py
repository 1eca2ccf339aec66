"""Thai text arrives intact: `.cpg` is honoured, TIS-620/CP874 is told from UTF-8 by its bytes."""

from __future__ import annotations

import zipfile

import pytest

from layers.imports import ImportRefused, layer_import
from layers.imports.encoding import detect
from layers.models import Landmark, Road
from tests.layers.import_data import (
    THAI_ROAD_NAMES,
    cli,
    csv_text,
    inside_points,
    roads_frame,
    write_shapefile_zip,
)


def stored_names(municipality, slug: str) -> list[str]:
    return list(
        Road.objects.filter(municipality=municipality, dataset__slug=slug)
        .order_by("source_id")
        .values_list("name_th", flat=True)
    )


def test_tis620_shapefile_without_cpg_keeps_its_thai_names(nst, tmp_path):
    """Scenario 1: the division's file is in TIS-620, with no .cpg to say so."""
    path = write_shapefile_zip(
        roads_frame(5), tmp_path / "roads-tis620.zip", encoding="cp874", cpg=False
    )

    report = layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    assert stored_names(nst, "roads-tis620") == THAI_ROAD_NAMES
    assert report.encoding.startswith("cp874")
    assert any(note.code == "encoding_detected" for note in report.notes)


def test_tis620_shapefile_with_thai_column_names_maps_them(nst, tmp_path):
    frame = roads_frame(2).rename(columns={"name": "ชื่อถนน"})
    path = write_shapefile_zip(frame, tmp_path / "thai-columns.zip", encoding="cp874", cpg=False)

    report = layer_import(municipality=nst, kind="roads", path=path)

    assert report.mapping["name_th"] == "ชื่อถนน"
    assert set(stored_names(nst, "thai-columns")) == set(THAI_ROAD_NAMES[:2])


def test_utf8_shapefile_with_cpg_keeps_its_thai_names(nst, tmp_path):
    path = write_shapefile_zip(roads_frame(3), tmp_path / "roads-utf8.zip", encoding="UTF-8")

    layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    assert stored_names(nst, "roads-utf8") == THAI_ROAD_NAMES[:3]


def test_utf8_shapefile_without_cpg_is_detected_as_utf8(nst, tmp_path):
    path = write_shapefile_zip(roads_frame(3), tmp_path / "nocpg.zip", encoding="UTF-8", cpg=False)

    report = layer_import(municipality=nst, kind="roads", path=path, id_field="id")

    assert stored_names(nst, "nocpg") == THAI_ROAD_NAMES[:3]
    assert report.encoding.startswith("utf-8")


def test_a_cpg_that_lies_is_honoured_and_the_error_suggests_the_right_encoding(nst, tmp_path):
    path = write_shapefile_zip(roads_frame(2), tmp_path / "liar.zip", encoding="cp874")
    # rewrite the archive with a .cpg claiming UTF-8
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries["layer.cpg"] = b"UTF-8"
    liar = tmp_path / "liar2.zip"
    with zipfile.ZipFile(liar, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)

    code, output = cli("nakhon-si-thammarat", "roads", liar)
    assert code == 1
    assert "--encoding cp874" in output
    assert "ข้อความไม่ใช่ utf-8" in output

    code, output = cli("nakhon-si-thammarat", "roads", liar, "--encoding", "cp874")
    assert code == 0, output
    assert set(stored_names(nst, "liar2")) == set(THAI_ROAD_NAMES[:2])


def test_cp874_csv_with_thai_headers_is_read(nst, tmp_path):
    rows = [[f"วัด {i}", "วัด", lat, lon] for i, (lon, lat) in enumerate(inside_points(3))]
    path = tmp_path / "temples.csv"
    path.write_bytes(csv_text(["ชื่อ", "ประเภท", "ละติจูด", "ลองจิจูด"], rows).encode("cp874"))

    report = layer_import(municipality=nst, kind="landmarks", path=path)

    names = set(Landmark.objects.filter(dataset__slug="temples").values_list("name_th", flat=True))
    assert names == {"วัด 0", "วัด 1", "วัด 2"}
    assert report.mapping == {"name_th": "ชื่อ", "category": "ประเภท"}


def test_text_in_neither_thai_encoding_asks_for_encoding(nst, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name,lat,lon\nM\xfcller \xe9t\xe9,8.43,99.955\n".encode("latin-1"))

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="landmarks", path=path)

    assert "--encoding" in str(refused.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("ถนนราชดำเนิน".encode("cp874"), "cp874"),
        ("ถนนราชดำเนิน".encode(), "utf-8"),
        (b"plain ascii", "ascii"),
        ("Müller été".encode("latin-1"), None),
        ("\ufeffชื่อ".encode(), "utf-8"),
    ],
)
def test_detect_tells_the_thai_encodings_apart(data, expected):
    assert detect(data) == expected
