"""Impassable roads listed by name with their lengths (issue 17): dashboard, print page, CSV."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from django.urls import reverse

from analysis.flood import impassable_roads_by_name
from tests.geoapp.test_flood_pages import NST, assess, client_for, page


def expected_by_name(nst) -> pd.Series:
    """Impassable metres per road name (Thai, else English), summed from the assessment."""
    roads = assess(nst).roads.roads
    wet = roads[roads["impassable_length_m"] > 0]
    thai = wet["name_th"].fillna("").str.strip()
    names = thai.where(thai != "", wet["name_en"].fillna("").str.strip())
    return wet[names != ""].groupby(names[names != ""])["impassable_length_m"].sum()


def test_the_print_page_and_csv_list_each_named_road_once_with_its_summed_length(db, nst):
    client = client_for("nst-planner")
    client.cookies["django_language"] = "th"
    url = reverse("flood-impassable-roads", args=[NST])
    expected = expected_by_name(nst)
    assert len(expected) >= 5

    soup = page(client.get(url))
    body = client.get(url, {"format": "csv"}).content.decode("utf-8-sig")

    shown = [td.get_text(strip=True) for td in soup.select(".flood-road-name")]
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header[:3] == ["ถนน", "ประเภทถนน", "ระยะทางที่สัญจรไม่ได้ (ม.)"]
    assert [r[0] for r in rows] == shown
    named = {r[0]: int(r[2]) for r in rows if not r[0].startswith("ถนนไม่มีชื่อ")}
    assert named == {name: round(m) for name, m in expected.items()}
    lengths = [int(r[2]) for r in rows if r[0] in named]
    assert lengths == sorted(lengths, reverse=True)
    total = assess(nst).roads.roads["impassable_length_m"].sum()
    assert sum(int(r[2]) for r in rows) == pytest.approx(total, abs=len(rows))
    assert soup.select_one("link[href$='flood.css']") is not None  # the A4 print stylesheet


def test_the_dashboard_names_the_longest_impassable_roads(db, nst):
    client = client_for("nst-viewer")
    client.cookies["django_language"] = "th"

    soup = page(client.get(reverse("flood-dashboard", args=[NST])))

    longest = expected_by_name(nst).sort_values(ascending=False).index[:3].tolist()
    section = soup.select_one("#impassable-roads")
    assert [td.get_text(strip=True) for td in section.select(".flood-road-name")][:3] == longest
    assert section.select_one("a[href*='/flood/roads/']") is not None


def test_unnamed_segments_are_grouped_by_class_after_the_named_roads():
    roads = pd.DataFrame(
        {
            "name": ["", "ถนนก", "", "ถนนข", "ถนนก"],
            "road_class": ["residential", "primary", "residential", "service", "secondary"],
            "impassable_length_m": [300.0, 10.0, 200.0, 40.0, 50.0],
            "class_rank": [1, 3, 2, 1, 1],
            "hazard_class": ["low", "high", "medium", "low", "low"],
        }
    )

    table = impassable_roads_by_name(roads)

    assert table["name"].tolist() == ["ถนนก", "ถนนข", ""]
    assert table["impassable_length_m"].tolist() == [60.0, 40.0, 500.0]
    assert table["hazard_class"].tolist() == ["high", "low", "medium"]
    assert table["road_class"].tolist() == ["secondary", "service", "residential"]
    assert table["n_segments"].tolist() == [2, 1, 2]


def test_another_municipalitys_staff_get_404_for_the_road_list(db):
    response = client_for("chon-viewer").get(reverse("flood-impassable-roads", args=[NST]))

    assert response.status_code == 404
