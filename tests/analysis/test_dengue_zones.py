"""Spray zones and what lies inside them."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from analysis.dengue import (
    ZONE_COLUMNS,
    circle_polygons,
    spray_zones,
    zone_contents,
    zone_features,
)

UTM47 = "EPSG:32647"
UTM48 = "EPSG:32648"


def cases_frame(rows, crs=UTM47, index=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"onset_date": pd.to_datetime([r[2] for r in rows])},
        geometry=[Point(r[0], r[1]) for r in rows],
        crs=crs,
        index=index,
    )


@pytest.fixture
def two_groups() -> gpd.GeoDataFrame:
    return cases_frame(
        [
            (0, 0, "2025-06-01"),
            (150, 0, "2025-06-05"),  # circles of 100 m overlap (150 < 200)
            (1000, 0, "2025-06-03"),
        ],
        index=pd.Index(["c1", "c2", "c3"]),
    )


def test_overlapping_circles_merge_and_separate_ones_do_not(two_groups):
    zones = spray_zones(two_groups, radius_m=100, as_of="2025-06-10")

    assert list(zones.columns) == list(ZONE_COLUMNS)
    assert zones["zone_id"].tolist() == [0, 1]
    assert zones["n_cases"].tolist() == [2, 1]
    assert zones["case_ids"].tolist() == [["c1", "c2"], ["c3"]]
    assert zones.loc[0, "first_onset"] == pd.Timestamp("2025-06-01")
    assert zones.loc[0, "last_onset"] == pd.Timestamp("2025-06-05")
    assert zones.loc[0, "closes_on"] == pd.Timestamp("2025-07-03")
    assert zones.geometry.geom_type.tolist() == ["Polygon", "Polygon"]
    # One circle: pi r^2 within the polygon approximation (0.16% with 16 segments a quarter).
    assert zones.loc[1, "area_m2"] == pytest.approx(math.pi * 100**2, rel=2e-3)
    lens = 2 * 100**2 * math.acos(0.75) - 75 * math.sqrt(4 * 100**2 - 150**2)
    assert zones.loc[0, "area_m2"] == pytest.approx(2 * math.pi * 100**2 - lens, rel=2e-3)


def test_a_zone_is_active_until_28_days_after_its_last_onset(two_groups):
    def active(as_of):
        return spray_zones(two_groups, as_of=as_of)["active"].tolist()

    assert active("2025-05-31") == [False, False]  # before any onset
    assert active("2025-06-30") == [True, True]
    assert active("2025-07-01") == [True, False]  # c3 (3 June) closes on 1 July
    assert active("2025-07-03") == [False, False]  # c2 (5 June) closes on 3 July
    assert spray_zones(two_groups)["active"].tolist() == [True, True]  # as of the last onset


def test_a_case_after_the_zone_closed_starts_a_new_zone():
    cases = cases_frame([(0, 0, "2025-01-01"), (50, 0, "2025-03-01")])

    assert spray_zones(cases)["n_cases"].tolist() == [1, 1]
    assert spray_zones(cases, merge_window_days=math.inf)["n_cases"].tolist() == [2]


def test_a_cluster_shares_one_zone_even_where_circles_do_not_touch():
    cases = cases_frame([(0, 0, "2025-01-01"), (500, 0, "2025-01-02"), (900, 0, "2025-01-03")])
    cases["cluster_id"] = np.array([0, 0, -1], dtype=np.int64)

    zones = spray_zones(cases, cluster_col="cluster_id")

    assert zones["n_cases"].tolist() == [2, 1]
    assert zones.geometry.geom_type.tolist() == ["MultiPolygon", "Polygon"]


def test_day_numbers_and_id_column():
    cases = gpd.GeoDataFrame(
        {"day": [3.0, 10.0], "case_no": ["A-1", "A-2"]},
        geometry=[Point(0, 0), Point(10, 0)],
        crs=UTM47,
    )

    zones = spray_zones(cases, time_col="day", id_col="case_no", as_of=40)

    assert zones["case_ids"].tolist() == [["A-1", "A-2"]]
    assert zones[["first_onset", "last_onset", "closes_on"]].iloc[0].tolist() == [3, 10, 38]
    assert zones["active"].tolist() == [False]


def test_empty_cases_give_an_empty_zone_frame_with_the_same_crs():
    zones = spray_zones(cases_frame([], crs=UTM48))

    assert len(zones) == 0
    assert list(zones.columns) == list(ZONE_COLUMNS)
    assert zones.crs == UTM48


def test_bad_inputs_are_refused(two_groups):
    with pytest.raises(ValueError, match="geographic"):
        spray_zones(two_groups.set_crs(4326, allow_override=True))
    with pytest.raises(ValueError, match="radius_m"):
        spray_zones(two_groups, radius_m=0)
    with pytest.raises(ValueError, match="as_of"):
        spray_zones(two_groups, as_of=5)
    with pytest.raises(ValueError, match="cluster ids"):
        spray_zones(two_groups.assign(cl=["a", "b", "c"]), cluster_col="cl")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    points=st.lists(
        st.tuples(st.integers(0, 2000), st.integers(0, 2000), st.integers(0, 90)),
        min_size=1,
        max_size=30,
    ),
    radius_m=st.sampled_from([25.0, 100.0, 180.0]),
    crs=st.sampled_from([UTM47, UTM48]),
)
def test_zones_contain_their_case_houses_and_keep_the_crs(points, radius_m, crs):
    cases = gpd.GeoDataFrame(
        {"day": [p[2] for p in points]},
        geometry=[Point(p[0], p[1]) for p in points],
        crs=crs,
    )

    zones = spray_zones(cases, radius_m=radius_m, time_col="day")

    assert zones.crs == cases.crs
    assert zones["n_cases"].sum() == len(cases)
    assert sorted(i for ids in zones["case_ids"] for i in ids) == list(range(len(cases)))
    for zone, ids in zip(zones.geometry, zones["case_ids"], strict=True):
        houses = cases.geometry.loc[ids]
        assert houses.within(zone).all()
        # ... and the circle around each house, up to the polygon approximation.
        assert (houses.buffer(radius_m * 0.995).difference(zone).area < 1e-6).all()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    points=st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 1500)), min_size=1, max_size=25),
    radii=st.lists(st.sampled_from([20, 50, 100, 150, 250]), min_size=2, max_size=2, unique=True),
)
def test_zones_grow_with_the_radius(points, radii):
    small_r, large_r = sorted(radii)
    cases = gpd.GeoDataFrame(
        {"day": np.zeros(len(points))},
        geometry=[Point(*p) for p in points],
        crs=UTM47,
    )

    small = spray_zones(cases, radius_m=small_r, time_col="day")
    large = spray_zones(cases, radius_m=large_r, time_col="day")

    assert len(large) <= len(small)
    assert large["area_m2"].sum() >= small["area_m2"].sum()
    for zone in small.geometry:
        assert large.geometry.contains(zone.buffer(-1e-6)).any()


def test_merged_area_equals_the_area_of_the_global_union():
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 3000, (400, 2))
    cases = gpd.GeoDataFrame(
        {"day": np.zeros(len(xy))}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM47
    )

    zones = spray_zones(cases, radius_m=100, time_col="day", merge_window_days=math.inf)

    union = cases.buffer(100, quad_segs=16).union_all()
    assert zones["area_m2"].sum() == pytest.approx(union.area, rel=1e-9)
    assert len(zones) == shapely.get_num_geometries(union)  # one zone per connected part


@pytest.fixture
def zone_layers():
    zones = gpd.GeoDataFrame(
        {"zone_id": [0, 1]},
        geometry=[Point(0, 0).buffer(100, 16), Point(1000, 0).buffer(100, 16)],
        crs=UTM47,
    )
    households = gpd.GeoDataFrame(
        geometry=[Point(0, 0), Point(99, 0), Point(0, 100.5), Point(1000, 50)], crs=UTM47
    )
    buildings = gpd.GeoDataFrame(
        geometry=[box(95, -5, 120, 5), box(200, 0, 210, 10), box(1090, -2, 1300, 2)],
        crs=UTM47,
    )
    landmarks = gpd.GeoDataFrame(
        {"category": ["temple", "school", "school", "market"]},
        geometry=[Point(10, 10), Point(-20, 0), Point(1000, 0), Point(5000, 0)],
        crs=UTM47,
    )
    return zones, households, buildings, landmarks


def test_zone_contents_counts_points_inside_and_polygons_that_touch(zone_layers):
    zones, households, buildings, landmarks = zone_layers

    counts = zone_contents(zones, households=households, buildings=buildings, landmarks=landmarks)

    assert counts.to_dict("list") == {
        "zone_id": [0, 1],
        "n_households": [2, 1],
        "n_buildings": [1, 1],
        "n_landmarks": [2, 1],
        "landmarks_school": [1, 1],
        "landmarks_temple": [1, 0],
    }


def test_zone_contents_only_for_the_layers_given(zone_layers):
    zones, households, _, _ = zone_layers

    assert list(zone_contents(zones, households=households).columns) == ["zone_id", "n_households"]


def test_zone_features_lists_what_to_visit_in_each_zone(zone_layers):
    zones, _, _, landmarks = zone_layers

    visits = zone_features(zones, landmarks)

    expected = landmarks.iloc[[0, 1, 2]].copy()
    expected.insert(0, "zone_id", [0, 0, 1])
    assert_geodataframe_equal(visits, expected)


def test_features_in_another_crs_are_refused(zone_layers):
    zones, households, _, _ = zone_layers

    with pytest.raises(ValueError, match="reproject"):
        zone_contents(zones, households=households.set_crs(UTM48, allow_override=True))
    with pytest.raises(ValueError, match="category"):
        zone_contents(zones, landmarks=households)


def test_households_count_within_the_radius_of_a_case_house_of_the_zone():
    cases = cases_frame(
        [(0, 0, "2025-01-01"), (150, 0, "2025-01-02"), (0, 0, "2025-04-01")]
    )  # the third reopens the first place after its zone closed: two zones overlap there
    households = gpd.GeoDataFrame(
        geometry=[Point(-100, 0), Point(-100.01, 0), Point(75, 50), Point(250, 0), Point(0, 0)],
        crs=UTM47,
    )

    zones = spray_zones(cases, radius_m=100, households=households)

    assert list(zones.columns[-2:]) == ["n_households", "geometry"]
    # Zone 0 (first two cases): (-100, 0) on the edge, (75, 50), (250, 0) 100 m from the
    # second case, the origin; zone 1 (the origin again): (-100, 0), (75, 50), the origin.
    assert zones["n_households"].tolist() == [4, 3]


def test_household_counts_match_brute_force_distances():
    rng = np.random.default_rng(9)
    case_xy = rng.uniform(0, 2000, (40, 2))
    household_xy = rng.uniform(-100, 2100, (3000, 2))
    cases = gpd.GeoDataFrame(
        {"day": rng.integers(0, 120, 40)},
        geometry=gpd.points_from_xy(case_xy[:, 0], case_xy[:, 1]),
        crs=UTM47,
    )
    households = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(household_xy[:, 0], household_xy[:, 1]), crs=UTM47
    )

    zones = spray_zones(cases, radius_m=150, time_col="day", households=households)

    distance = np.hypot(*(household_xy[:, None, :] - case_xy[None, :, :]).transpose(2, 0, 1))
    for ids, n_households in zip(zones["case_ids"], zones["n_households"], strict=True):
        assert n_households == (distance[:, ids] <= 150).any(axis=1).sum()


def test_households_must_be_points_in_the_same_crs(two_groups):
    points = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=UTM48)

    with pytest.raises(ValueError, match="reproject"):
        spray_zones(two_groups, households=points)
    footprints = points.set_crs(UTM47, allow_override=True)
    footprints = footprints.set_geometry(footprints.buffer(1))
    with pytest.raises(ValueError, match="Points"):
        spray_zones(two_groups, households=footprints)


@pytest.mark.parametrize("quad_segs", [4, 8, 16])
def test_circle_polygons_are_vertex_for_vertex_the_buffers_of_shapely(quad_segs):
    xy = np.array([[600_000.5, 900_000.25], [0.0, 0.0], [-12.5, 7.0]])

    ours = circle_polygons(xy, radius_m=100, quad_segs=quad_segs)

    theirs = shapely.buffer(shapely.points(xy), 100, quad_segs=quad_segs)
    assert shapely.equals_exact(ours, theirs, tolerance=0).all()
