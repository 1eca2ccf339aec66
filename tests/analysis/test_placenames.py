"""Names people use for derived areas: main street, subdistrict, nearest landmark."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from analysis.placenames import (
    containing_names,
    main_road_names,
    nearest_names,
    short_road_name,
)

UTM47 = 32647


def roads(*rows: tuple[str | None, LineString]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name_th": [name for name, _line in rows]},
        geometry=[line for _name, line in rows],
        crs=UTM47,
    )


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("ถนนพัฒนาการคูขวาง", "ถ.พัฒนาการคูขวาง"),
        ("ถนน ราชดำเนิน", "ถ.ราชดำเนิน"),
        ("ซอยราชดำเนิน 15", "ซ.ราชดำเนิน 15"),
        ("ถนน", "ถนน"),
        ("Thanon Tha Chang", "Thanon Tha Chang"),
        ("  ตรอกวัด  ", "ตรอกวัด"),
    ],
)
def test_short_road_name_writes_the_abbreviations_of_thai_addresses(name, short):
    assert short_road_name(name) == short


def test_main_road_is_the_name_with_the_longest_length_inside_summed_over_its_pieces():
    zone = gpd.GeoSeries([Point(0, 0).buffer(100)], crs=UTM47)
    frame = roads(
        ("ถนนยาว", LineString([(-300, 0), (300, 0)])),  # 200 m inside, one piece
        ("ซอยสอง", LineString([(-50, 50), (50, 50)])),  # 100 m, and 120 m below: 220 m in all
        ("ซอยสอง", LineString([(-60, -40), (60, -40)])),
        ("", LineString([(0, -100), (0, 100)])),  # unnamed, 200 m: never the main road
        (None, LineString([(10, -100), (10, 100)])),
    )

    assert main_road_names(zone, roads=frame) == ["ซอยสอง"]


def test_a_zone_without_a_named_road_inside_takes_the_nearest_named_road():
    zones = gpd.GeoSeries([box(0, 0, 10, 10), box(1000, 0, 1010, 10)], crs=UTM47)
    frame = roads(
        ("ถนนใกล้", LineString([(0, 50), (10, 50)])),
        ("ถนนไกล", LineString([(0, 500), (10, 500)])),
        ("ถนนตะวันออก", LineString([(1020, 0), (1020, 10)])),
    )

    assert main_road_names(zones, roads=frame) == ["ถนนใกล้", "ถนนตะวันออก"]


def test_main_road_names_are_empty_without_named_roads_and_refuse_degrees():
    zone = gpd.GeoSeries([box(0, 0, 10, 10)], crs=UTM47)

    assert main_road_names(zone, roads=roads(("", LineString([(0, 0), (5, 5)])))) == [""]
    assert main_road_names(zone.iloc[:0], roads=roads()) == []
    with pytest.raises(ValueError, match="geographic"):
        main_road_names(zone.set_crs(4326, allow_override=True), roads=roads())


def test_each_point_takes_the_subdistrict_holding_it_or_the_nearest_one():
    tambons = gpd.GeoDataFrame(
        {"name_th": ["ในเมือง", "ท่าวัง", ""]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(-50, -50, 300, -10)],
        crs=UTM47,
    )
    points = gpd.GeoSeries(
        [Point(50, 50), Point(150, 50), Point(250, 60), Point(50, -20)], crs=UTM47
    )

    # The last point lies in an unnamed polygon: the nearest named subdistrict names it.
    assert containing_names(points, areas=tambons) == ["ในเมือง", "ท่าวัง", "ท่าวัง", "ในเมือง"]


def test_nearest_place_and_its_distance_in_metres():
    marks = gpd.GeoDataFrame(
        {"name_th": ["วัดพระมหาธาตุ", "ตลาด", ""]},
        geometry=[Point(300, 0), Point(0, 120), Point(1, 1)],
        crs=UTM47,
    )
    areas = gpd.GeoSeries([box(-10, -10, 10, 10), box(290, -5, 310, 5)], crs=UTM47)

    (first, d1), (second, d2) = nearest_names(areas, places=marks)

    assert (first, d1) == ("ตลาด", 110.0)
    assert (second, d2) == ("วัดพระมหาธาตุ", 0.0)
    assert math.isnan(nearest_names(areas.iloc[:1], places=marks.iloc[2:])[0][1])
