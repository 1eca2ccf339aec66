"""The import's own phrases reach Thai officers in Thai: how a file was read, why it was refused."""

from __future__ import annotations

import re

import pytest

from layers.imports.messages import Issue, thai_phrase

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
#: Codes and names that stay as written (EPSG codes, datum and encoding names, tags).
NAMES = {"EPSG", "WGS", "UTM", "Indian", "UTF", "TIS", "CP", "SQLite", "Shapefile", "TIFF",
         "OpenStreetMap", "GeoJSON", "kml", "osm", "cpg", "dbf", "cp"}  # fmt: skip


@pytest.mark.parametrize(
    ("english", "thai"),
    [
        ("none (already WGS 84)", "ไม่ต้องแปลง (เป็น WGS 84 อยู่แล้ว)"),
        ("EPSG:4326 WGS 84 (file)", "EPSG:4326 WGS 84 (ตามที่ระบุในไฟล์)"),
        ("utf-8 (UTF-8 detected)", "utf-8 (ตรวจพบว่าเป็น UTF-8)"),
        ("cp874 (.cpg says 874)", "cp874 (ไฟล์ .cpg ระบุว่า 874)"),
        ("EPSG:32647 WGS 84 / UTM zone 47N", "EPSG:32647 WGS 84 / UTM โซน 47N"),
        ("it does not start with '{'", "เนื้อไฟล์ไม่ได้ขึ้นต้นด้วย { อย่างไฟล์ GeoJSON"),
    ],
)
def test_phrases_read_in_thai(english, thai):
    assert thai_phrase(english) == thai


def test_other_text_is_left_as_it_is():
    assert thai_phrase("roads.geojson (layer roads)") == "roads.geojson (layer roads)"
    assert thai_phrase(42) == 42


def test_a_refused_geojson_says_why_in_thai_and_keeps_the_english_for_the_command_line():
    issue = Issue(
        "content_mismatch",
        file="roads.geojson",
        params={
            "name": "'roads.geojson'",
            "format": "GeoJSON",
            "reason": "it does not start with '{'",
        },
    )

    thai, english = issue.text("th"), issue.text("en")

    assert "it does not start" in english
    assert "เนื้อไฟล์ไม่ได้ขึ้นต้นด้วย" in thai
    body = re.sub(r"'[^']*'", "", thai.split(": ", 1)[1])  # the file's own name aside
    assert set(LATIN_WORD.findall(body)) <= NAMES, body


def test_the_coordinate_system_note_reads_in_thai():
    issue = Issue(
        "crs_used",
        params={
            "crs": "EPSG:4326 WGS 84",
            "origin": "file",
            "transformation": "none (already WGS 84)",
        },
    )

    assert set(LATIN_WORD.findall(issue.text("th"))) <= NAMES, issue.text("th")
