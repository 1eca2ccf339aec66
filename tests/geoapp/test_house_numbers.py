"""Buildings carry a house number (บ้านเลขที่, issue 17): imported when the source has it, shown
on the aid list instead of the system's id, which the list never calls a building number."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from layers.imports import layer_import
from layers.models import Building
from tests.geoapp.test_flood_pages import NST, aid_list_rows, assess, client_for, page
from tests.layers.import_data import buildings_frame, write_geojson


def test_an_osm_style_addr_housenumber_column_fills_the_house_number(nst, tmp_path):
    frame = buildings_frame(3).assign(**{"addr:housenumber": ["12/3", "", "99"]})
    path = write_geojson(frame, tmp_path / "buildings.geojson")

    report = layer_import(municipality=nst, kind="buildings", path=path, id_field="id")

    assert report.created == 3
    stored = dict(
        Building.objects.filter(dataset__slug="buildings").values_list("source_id", "house_number")
    )
    assert stored == {"b1": "12/3", "b2": "", "b3": "99"}


def test_a_thai_header_bannlek_thi_is_suggested_for_the_house_number():
    from layers.imports.mapping import COLUMN_SYNONYMS, normalise

    assert normalise("บ้านเลขที่") in {normalise(n) for n in COLUMN_SYNONYMS["house_number"]}
    assert normalise("addr:housenumber") in {normalise(n) for n in COLUMN_SYNONYMS["house_number"]}


def test_aid_list_names_buildings_by_house_number_and_never_shows_the_id_as_a_number(db, nst):
    ranked = assess(nst).priority["id"].astype(int).tolist()
    numbered, unnumbered = ranked[0], ranked[1]
    Building.objects.filter(pk=numbered).update(house_number="45/2")
    client = client_for("nst-disaster")
    client.cookies["django_language"] = "th"
    url = reverse("flood-aid-priority", args=[NST])

    soup = page(client.get(url, {"top": "5"}))

    text = soup.get_text(" ")
    assert "เลขที่อาคาร" not in text
    cells = {
        int(row["data-building"]): row.select_one(".flood-aid-building").get_text(strip=True)
        for row in soup.select("table.flood-aid-table tbody tr[data-building]")
    }
    assert cells[numbered] == "บ้านเลขที่ 45/2"
    assert cells[unnumbered] == "อาคารไม่มีบ้านเลขที่"
    assert all(str(pk) not in cell for pk, cell in cells.items())
    headers = [th.get_text(strip=True) for th in soup.select("table.flood-aid-table thead th")]
    assert "อาคาร" in headers
    count = soup.select_one(".flood-aid-count").get_text(" ", strip=True)
    assert count.startswith("แสดงอาคาร 5 หลัง")
    assert "ครัวเรือนตามทะเบียนบ้าน) 1 หลัง" in count


def test_aid_list_finds_a_building_by_house_number_and_exports_it(db, nst):
    ranked = assess(nst).priority["id"].astype(int).tolist()
    Building.objects.filter(pk=ranked[3]).update(house_number="777/1")
    client = client_for("nst-disaster")
    client.cookies["django_language"] = "th"
    url = reverse("flood-aid-priority", args=[NST])

    found = aid_list_rows(client, {"q": "777/1"})
    by_id = aid_list_rows(client, {"q": str(ranked[3])})
    body = client.get(url, {"q": "777/1", "format": "csv"}).content.decode("utf-8-sig")

    assert [int(r["data-building"]) for r in found] == [ranked[3]]
    assert by_id == []  # the system id is not a number people search by
    header, row = list(csv.reader(io.StringIO(body)))
    assert header[1] == "รหัสอาคารในระบบ"
    assert header[-2:] == ["บ้านเลขที่", "ชื่ออาคาร"]
    assert (row[1], row[-2]) == (str(ranked[3]), "777/1")
