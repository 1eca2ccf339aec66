"""Damage per building: curves, values, floors and totals, against numbers worked by hand."""

import doctest
import math

import numpy as np
import pytest
from shapely import box

import analysis.flood.damage as damage_module
from analysis.flood import (
    DEFAULT_VALUES_BAHT_PER_M2,
    JRC_ASIA_CURVES,
    DamageCurve,
    building_damage,
    class_depths_m,
    damage_summary,
    damage_type,
    depth_scheme,
    feature_exposure,
    wet_dry_scheme,
    zones_from_classes,
)
from analysis.flood.hazard import DepthRaster
from tests.analysis.flood_helpers import UTM47, frame, write_raster


def test_residential_curve_is_the_jrc_asia_curve_of_the_issue():
    curve = JRC_ASIA_CURVES["residential"]
    assert curve.depths_m == (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0)
    assert curve.fractions == (0.0, 0.327, 0.494, 0.617, 0.721, 0.870, 0.932, 0.984, 1.0)


@pytest.mark.parametrize(
    ("depth_m", "expected"),
    [
        (-1.0, 0.0),  # below the curve: its first point
        (0.0, 0.0),
        (0.25, 0.1635),  # half of 0.327
        (0.75, 0.4105),  # (0.327 + 0.494) / 2
        (2.5, 0.7955),  # (0.721 + 0.870) / 2
        (6.0, 1.0),
        (7.5, 1.0),  # beyond the curve: its last point
    ],
)
def test_fraction_interpolates_linearly_and_clips_to_the_curve(depth_m, expected):
    assert JRC_ASIA_CURVES["residential"].fraction(depth_m) == pytest.approx(expected)


def test_unknown_depth_gives_no_fraction():
    assert math.isnan(float(JRC_ASIA_CURVES["residential"].fraction(float("nan"))))


def test_public_buildings_borrow_the_commercial_curve_and_value():
    assert JRC_ASIA_CURVES["public"] == JRC_ASIA_CURVES["commercial"]
    assert DEFAULT_VALUES_BAHT_PER_M2["public"] == DEFAULT_VALUES_BAHT_PER_M2["commercial"]
    assert JRC_ASIA_CURVES["industrial"].fraction(1.0) == pytest.approx(0.482)


@pytest.mark.parametrize(
    ("depths", "fractions", "message"),
    [
        ((0.0,), (0.0,), "at least two"),
        ((0.0, 1.0), (0.0,), "at least two"),
        ((0.0, 1.0, 1.0), (0.0, 0.5, 0.6), "strictly increasing"),
        ((0.0, 1.0), (0.0, 1.2), "within 0-1"),
        ((0.0, 1.0, 2.0), (0.0, 0.6, 0.5), "must not fall"),
        ((0.0, float("nan")), (0.0, 0.5), "finite"),
    ],
)
def test_bad_curves_are_refused(depths, fractions, message):
    with pytest.raises(ValueError, match=message):
        DamageCurve(depths_m=depths, fractions=fractions)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("residential", "residential"),
        (" Industrial ", "industrial"),
        ("retail", "commercial"),
        ("warehouse", "industrial"),
        ("temple", "public"),
        ("yes", "residential"),
        ("", "residential"),
        (None, "residential"),
        (float("nan"), "residential"),
    ],
)
def test_damage_type_maps_osm_building_values(value, expected):
    assert damage_type(value) == expected


def test_class_depths_are_the_middle_of_each_range_and_the_floor_of_the_top():
    assert class_depths_m(depth_scheme()) == pytest.approx([0.0, 0.4, 1.1, 1.5])
    assert np.isnan(class_depths_m(wet_dry_scheme())[1])


def test_damage_per_building_worked_by_hand():
    buildings = frame(
        [box(0, 0, 10, 10), box(0, 0, 10, 20), box(0, 0, 20, 20), box(0, 0, 10, 10)],
        kind=["house", "commercial", "factory", "school"],
        levels=[1, 3, None, 0],
        depth_m=[0.75, 1.5, 0.25, 7.0],
        class_rank=[2, 3, 1, 3],
    )
    out = building_damage(
        buildings, scheme=depth_scheme(), type_field="kind", floors_field="levels"
    )
    assert out["damage_type"].tolist() == ["residential", "commercial", "industrial", "public"]
    assert out["floors"].tolist() == [1, 3, 1, 1]  # missing and zero floors count as one
    assert out["footprint_m2"].tolist() == pytest.approx([100, 200, 400, 100])
    assert out["damage_fraction"].tolist() == pytest.approx([0.4105, 0.659, 0.1415, 1.0])
    assert out["damage_baht"].tolist() == pytest.approx(
        [
            0.4105 * 26_500 * 100,  # 1,087,825
            0.659 * 29_200 * 200 * 3,  # 11,545,680
            0.1415 * 20_300 * 400,  # 1,148,980
            1.0 * 29_200 * 100,  # 2,920,000
        ]
    )
    assert out["depth_from"].tolist() == ["depth"] * 4


def test_without_a_type_field_every_building_is_residential():
    buildings = frame([box(0, 0, 10, 10)], building=["industrial"], depth_m=[1.0], class_rank=[2])
    out = building_damage(buildings, scheme=depth_scheme())
    assert out["damage_type"].tolist() == ["residential"]
    assert out["damage_baht"].iloc[0] == pytest.approx(0.494 * 26_500 * 100)


def test_own_curves_and_values_replace_the_defaults_per_type():
    buildings = frame([box(0, 0, 10, 10)], depth_m=[1.0], class_rank=[2])
    out = building_damage(
        buildings,
        scheme=depth_scheme(),
        curves={"residential": DamageCurve(depths_m=(0.0, 2.0), fractions=(0.0, 0.8))},
        values_baht_per_m2={"residential": 10_000},
    )
    assert out["damage_fraction"].iloc[0] == pytest.approx(0.4)
    assert out["damage_baht"].iloc[0] == pytest.approx(0.4 * 10_000 * 100)


def test_a_negative_value_per_m2_is_refused():
    buildings = frame([box(0, 0, 10, 10)], depth_m=[1.0], class_rank=[2])
    with pytest.raises(ValueError, match="from 0 up"):
        building_damage(buildings, scheme=depth_scheme(), values_baht_per_m2={"public": -1})


def test_missing_fields_are_named():
    buildings = frame([box(0, 0, 10, 10)], depth_m=[1.0], class_rank=[2])
    with pytest.raises(ValueError, match="'kind'"):
        building_damage(buildings, scheme=depth_scheme(), type_field="kind")


def test_zones_with_classes_only_take_the_class_depth():
    """The demo's flood zones carry a class, not a depth: high counts as 1.5 m, low as 0.4 m."""
    zones = zones_from_classes(
        frame([box(0, 0, 50, 50), box(50, 0, 100, 50)], c=["high", "low"]), class_field="c"
    )
    houses = frame([box(10, 10, 20, 20), box(60, 10, 70, 20), box(200, 0, 210, 10)])
    out = building_damage(feature_exposure(houses, hazard=zones), scheme=zones.scheme)
    assert out["depth_from"].tolist() == ["class", "class", ""]
    assert out["max_depth_m"].tolist()[:2] == pytest.approx([1.5, 0.4])
    assert np.isnan(out["max_depth_m"].iloc[2])
    assert out["damage_fraction"].tolist() == pytest.approx([0.617, 0.327 * 0.8, 0.0])
    assert out["damaged"].tolist() == [True, True, False]


def test_raster_depth_through_the_exposure_with_totals_per_area_and_type(tmp_path):
    # 10 m cells from x = 0: 0.2, 0.9, 1.7, nodata.
    path = write_raster(tmp_path / "d.tif", np.array([[0.2, 0.9, 1.7, -9999]]), origin=(0, 5))
    houses = frame(
        [box(1, -4, 9, 4), box(15, -4, 25, 4), box(31, -4, 39, 4)],
        building=["house", "shop", "house"],
    )
    areas = frame([box(-10, -10, 12, 10), box(12, -10, 60, 10)], name=["west", "east"])
    exposed = feature_exposure(
        houses, hazard=DepthRaster(path=path, scheme=depth_scheme()), aggregation=areas
    )
    out = building_damage(exposed, scheme=depth_scheme(), type_field="building")
    assert out["max_depth_m"].tolist()[:2] == pytest.approx([0.2, 1.7])
    west = 0.327 * 0.4 * 26_500 * 64  # 221,836.8
    east = (0.659 + (0.763 - 0.659) * 0.4) * 29_200 * 80  # commercial at 1.7 m: 0.7006
    assert out["damage_baht"].tolist() == pytest.approx([west, east, 0.0])
    summary = damage_summary(out, by="area")
    assert summary["total_damage_baht"] == pytest.approx(west + east)
    assert summary["buildings"] == 3
    assert summary["buildings_damaged"] == 2
    assert summary["by_type"]["residential"] == {
        "buildings": 2,
        "buildings_damaged": 1,
        "damage_baht": pytest.approx(west),
    }
    assert summary["by_type"]["industrial"]["buildings"] == 0
    assert summary["by_area"]["west"]["total_damage_baht"] == pytest.approx(west)
    assert summary["by_area"]["east"]["buildings_damaged"] == 1
    assert summary["by_area"]["east"]["buildings"] == 2


def test_footprints_are_measured_in_metres_whatever_the_crs():
    house = frame([box(600_000, 900_000, 600_010, 900_020)], depth_m=[1.0], class_rank=[2])
    out = building_damage(house.to_crs(4326), scheme=depth_scheme(), metric_crs=UTM47)
    assert out["footprint_m2"].iloc[0] == pytest.approx(200.0, rel=1e-6)
    assert out.crs == house.to_crs(4326).crs


def test_empty_input_gives_zero_totals():
    empty = frame([], depth_m=[], class_rank=[])
    out = building_damage(empty, scheme=depth_scheme())
    assert len(out) == 0
    assert damage_summary(out)["total_damage_baht"] == 0.0
    assert damage_summary(out)["by_type"]["public"]["buildings"] == 0


def test_docstring_examples_run():
    assert doctest.testmod(damage_module).failed == 0
