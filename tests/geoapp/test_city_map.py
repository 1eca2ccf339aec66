"""The city map builder on hand-built frames: local assets only, escaped text, styles."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pytest
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, box

from geoapp.home.maps import CityFrames, CityMapOptions, city_map
from geoapp.web.maps import MapAssets, map_fragments

WGS84 = "EPSG:4326"
LABELS = {
    key: key.replace("_", " ")
    for key in [
        "basemap", "boundary", "subdistricts", "roads", "landmarks", "flood_zones", "cases",
        "cases_legend", "cases_week_1", "cases_week_2", "cases_week_4", "cases_week_8",
        f"cases_week_{10**6}", "generated", "name_th", "name_en", "class_label", "surface",
        "category_label", "event", "hazard", "onset_date", "diagnosis", "weeks",
        "masked_cases", "masked_note", "onset_week", "masked",
    ]
}  # fmt: skip


def options(**overrides) -> CityMapOptions:
    values = {
        "assets": MapAssets("/static/l.js", "/static/l.css", "/static/m.css"),
        "labels": LABELS,
        "road_class_labels": {"primary": "ถนนสายหลัก"},
        "landmark_category_labels": {"temple": "วัด"},
        "hazard_labels": {"high": "สูง"},
        "attribution": "© OpenStreetMap contributors",
        "today": date(2026, 11, 21),
    }
    values.update(overrides)
    return CityMapOptions(**values)


@pytest.fixture
def frames() -> CityFrames:
    area = MultiPolygon([box(99.9, 8.4, 100.0, 8.5)])
    return CityFrames(
        boundary=gpd.GeoDataFrame({"id": [1], "name_th": ["เมือง"]}, geometry=[area], crs=WGS84),
        roads=gpd.GeoDataFrame(
            {
                "id": [10],
                "name_th": ['ถนน "ราชดำเนิน" <b>'],
                "name_en": [""],
                "road_class": ["primary"],
                "surface": ["asphalt"],
                "lanes": [2],
                "ref": [""],
            },
            geometry=[MultiLineString([LineString([(99.91, 8.41), (99.99, 8.49)])])],
            crs=WGS84,
        ),
        landmarks=gpd.GeoDataFrame(
            {
                "id": [20],
                "name_th": ["<script>alert(1)</script>"],
                "name_en": [""],
                "category": ["temple"],
            },
            geometry=[Point(99.95, 8.45)],
            crs=WGS84,
        ),
        flood_zones=gpd.GeoDataFrame(
            {
                "id": [30],
                "event": ["ฝนตกหนัก"],
                "hazard_class": ["high"],
                "depth_min_m": [1.5],
                "depth_max_m": [None],
                "is_forecast": [True],
            },
            geometry=[MultiPolygon([box(99.95, 8.40, 99.97, 8.5)])],
            crs=WGS84,
        ),
        subdistricts=gpd.GeoDataFrame(
            {"code": ["TH800101"], "name_th": ["ในเมือง"], "name_en": ["Nai Mueang"]},
            geometry=[area],
            crs=WGS84,
        ),
    )


def test_page_loads_only_the_assets_it_is_given(frames):
    html = "".join(map_fragments(city_map(frames, options())).values())

    assert "/static/l.js" in html
    assert "/static/m.css" in html
    for host in ("cdn.jsdelivr", "cdnjs", "unpkg", "code.jquery", "openstreetmap.org/{z}"):
        assert host not in html


def test_markup_in_feature_names_reaches_the_page_escaped(frames):
    html = "".join(map_fragments(city_map(frames, options())).values())

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.replace("\\u0026", "&").replace(
        "\\u003c", "<"
    ).replace("\\u003e", ">")


def test_cases_layer_is_absent_unless_given(frames):
    without = city_map(frames, options())
    frames.cases = gpd.GeoDataFrame(
        {"id": [1], "onset_date": [date(2026, 11, 18)], "report_date": [date(2026, 11, 19)],
         "diagnosis": ["DF"], "status": ["confirmed"], "is_generated": [True]},
        geometry=[Point(99.95, 8.45)],
        crs=WGS84,
    )  # fmt: skip
    with_cases = city_map(frames, options())

    assert "mueang-case" not in map_fragments(without)["script"]
    assert "mueang-case" in map_fragments(with_cases)["script"]


def test_a_configured_basemap_is_the_only_tile_source(frames):
    script = map_fragments(
        city_map(frames, options(basemap_url="https://tiles.example.org/{z}/{x}/{y}.png"))
    )["script"]

    assert "https://tiles.example.org/{z}/{x}/{y}.png" in script
    assert script.count("L.tileLayer(") == 1
