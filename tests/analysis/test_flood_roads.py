import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely import LineString, MultiLineString, box

from analysis.flood import (
    DepthRaster,
    depth_scheme,
    overlay_lines,
    road_exposure,
    zones_from_classes,
)
from tests.analysis.flood_helpers import NODATA, frame, write_raster


@pytest.fixture
def zones():
    # low from x = 0 to 40, high from 40 to 50 (y -10..10).
    hazard = frame([box(0, -10, 40, 10), box(40, -10, 50, 10)], c=["low", "high"])
    return zones_from_classes(hazard, class_field="c")


def test_road_crossing_a_zone_edge_is_split_at_the_known_point(zones):
    # 100 m east-west road from x = -30: 30 m dry, 40 m low, 10 m high, 20 m dry.
    roads = frame([LineString([(-30, 0), (70, 0)])], road_class=["primary"])
    result = road_exposure(roads, hazard=zones)
    row = result.roads.iloc[0]
    assert row["length_m"] == pytest.approx(100.0)
    assert row["length_dry_m"] == pytest.approx(50.0)
    assert row["length_low_m"] == pytest.approx(40.0)
    assert row["length_high_m"] == pytest.approx(10.0)
    assert row["hazard_class"] == "high"
    assert row["impassable_length_m"] == pytest.approx(50.0)
    pieces = result.pieces.sort_values("length_m")
    assert pieces["hazard_class"].tolist() == ["high", "low"]
    assert pieces.geometry.iloc[0].equals(LineString([(40, 0), (50, 0)]))


def test_diagonal_crossing_lengths_are_exact(zones):
    # From (-10, -5) to (20, 5): the zone edge x = 0 is crossed at a third of the length.
    road = LineString([(-10, -5), (20, 5)])
    result = road_exposure(frame([road], road_class=["residential"]), hazard=zones)
    assert result.roads["length_low_m"].iloc[0] == pytest.approx(road.length * 2 / 3)
    assert result.roads["length_dry_m"].iloc[0] == pytest.approx(road.length / 3)


def test_contained_road_is_taken_whole(zones):
    road = LineString([(1, 1), (5, 2), (9, 1)])
    result = road_exposure(frame([road], road_class=["service"]), hazard=zones)
    assert result.pieces.geometry.iloc[0].equals(road)
    assert result.lengths_m.loc["service"].to_dict() == pytest.approx(
        {"dry": 0.0, "low": road.length, "medium": 0.0, "high": 0.0}
    )


def test_road_along_a_shared_zone_edge_counts_once_in_the_higher_class(zones):
    result = road_exposure(
        frame([LineString([(40, -10), (40, 10)])], road_class=["x"]), hazard=zones
    )
    row = result.roads.iloc[0]
    assert row["length_high_m"] == pytest.approx(20.0)
    assert row["length_low_m"] == pytest.approx(0.0)
    assert row["length_dry_m"] == pytest.approx(0.0)


def test_lengths_by_type_and_class_add_up(zones):
    roads = frame(
        [
            LineString([(-30, 0), (70, 0)]),
            LineString([(5, -20), (5, 20)]),
            MultiLineString([[(100, 0), (110, 0)], [(45, 5), (45, -5)]]),
        ],
        road_class=["primary", "primary", "residential"],
    )
    result = road_exposure(roads, hazard=zones)
    assert result.lengths_m.loc["primary"].sum() == pytest.approx(140.0)
    assert result.lengths_m.loc["residential"].to_dict() == pytest.approx(
        {"dry": 10.0, "low": 0.0, "medium": 0.0, "high": 10.0}
    )
    summary = result.summary(type_field="road_class")
    assert summary["length_m"]["total"] == pytest.approx(160.0)
    assert summary["length_m"]["affected"] == pytest.approx(40 + 10 + 20 + 10)
    assert summary["by_type"] == {"primary": 2, "residential": 1}


def test_roads_in_degrees_are_measured_in_metres(zones):
    to_wgs84 = Transformer.from_crs(32647, 4326, always_xy=True)
    start, end = to_wgs84.transform(-30, 0), to_wgs84.transform(70, 0)
    roads = frame([LineString([start, end])], crs=4326, road_class=["primary"])
    result = road_exposure(roads, hazard=zones, metric_crs=32647)
    assert result.roads["length_m"].iloc[0] == pytest.approx(100.0, abs=1e-6)
    assert result.roads["length_low_m"].iloc[0] == pytest.approx(40.0, abs=1e-6)
    # Without metric_crs the roads' own UTM zone is used, never degrees.
    guessed = road_exposure(roads, hazard=zones)
    assert guessed.metric_crs.utm_zone is not None
    assert guessed.roads["length_m"].iloc[0] == pytest.approx(100.0, rel=5e-3)


def test_empty_intersection_leaves_everything_dry(zones):
    roads = frame([LineString([(200, 0), (300, 0)])], road_class=["primary"])
    result = road_exposure(roads, hazard=zones)
    assert len(result.pieces) == 0
    assert result.roads["hazard_class"].tolist() == ["dry"]
    assert result.lengths_m.loc["primary", "dry"] == pytest.approx(100.0)


def test_no_roads_gives_empty_tables(zones):
    result = road_exposure(frame([], road_class=[]), hazard=zones)
    assert len(result.roads) == 0
    assert result.summary()["length_m"]["total"] == 0.0


def test_non_lines_are_rejected(zones):
    with pytest.raises(ValueError, match="lines"):
        road_exposure(frame([box(0, 0, 1, 1)]), hazard=zones)


def test_classes_without_depth_use_the_impassable_rule():
    hazard = frame([box(0, -10, 40, 10)], c=["low"])
    roads = frame([LineString([(0, 0), (40, 0)])], road_class=["x"])
    reaches = zones_from_classes(hazard, class_field="c")
    strict = zones_from_classes(hazard, class_field="c", scheme=depth_scheme(impassable_rule="all"))
    assert road_exposure(roads, hazard=reaches).roads["impassable_length_m"].iloc[0] == 40.0
    assert road_exposure(roads, hazard=strict).roads["impassable_length_m"].iloc[0] == 0.0


def test_depth_raster_roads_use_depth_for_impassable(tmp_path):
    # Cells 10 m wide: 0.2 m (low, passable), 0.5 m (low, impassable), nodata, 1.6 m (high).
    path = write_raster(tmp_path / "d.tif", [[0.2, 0.5, NODATA, 1.6]], origin=(0, 10))
    hazard = DepthRaster(path=path, scheme=depth_scheme())
    roads = frame([LineString([(0, 5), (40, 5)])], road_class=["x"])
    row = road_exposure(roads, hazard=hazard).roads.iloc[0]
    assert row["length_low_m"] == pytest.approx(20.0)
    assert row["length_high_m"] == pytest.approx(10.0)
    assert row["length_dry_m"] == pytest.approx(10.0)
    assert row["impassable_length_m"] == pytest.approx(20.0)


def test_overlay_lines_against_geopandas_overlay(zones):
    gpd = pytest.importorskip("geopandas")
    rng = np.random.default_rng(3)
    starts = rng.uniform(-20, 70, (500, 2))
    ends = starts + rng.uniform(-15, 15, (500, 2))
    roads = frame(
        list(shapely.linestrings(np.stack([starts, ends], axis=1))), road_class=["r"] * 500
    )
    result = road_exposure(roads, hazard=zones)
    baseline = gpd.overlay(
        roads, zones.frame[["hazard_class", "geometry"]], how="intersection", keep_geom_type=True
    )
    expected = baseline.length.groupby(baseline["hazard_class"]).sum()
    for name, metres in expected.items():
        assert result.lengths_m[name].sum() == pytest.approx(metres)


def test_overlay_lines_keeps_only_positive_lengths():
    lines = np.array([LineString([(0, 0), (10, 0)])])
    touching = np.array([box(10, -1, 12, 1)])  # meets the line's end point only
    assert len(overlay_lines(lines, touching).line) == 0
