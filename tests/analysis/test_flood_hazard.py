import math

import numpy as np
import pytest
import shapely
from shapely import box

from analysis.flood import (
    depth_scheme,
    hazard_from_file,
    wet_dry_scheme,
    zones_from_classes,
    zones_from_depth_field,
    zones_from_depth_raster,
    zones_from_wet_dry,
)
from analysis.flood.hazard import DepthRaster, subdivide
from tests.analysis.flood_helpers import NODATA, frame, write_raster


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (0.0, "dry"),
        (0.099, "dry"),
        (0.1, "low"),
        (0.69, "low"),
        (0.7, "medium"),
        (1.49, "medium"),
        (1.5, "high"),
        (12.0, "high"),
    ],
)
def test_design_classes_are_half_open_at_the_breaks(depth, expected):
    scheme = depth_scheme()
    assert scheme.classes[scheme.classify([depth])[0]] == expected


def test_nan_depth_has_no_class():
    assert depth_scheme().classify([math.nan]).tolist() == [-1]


@pytest.mark.parametrize("breaks", [(), (0.7, 0.1), (0.1, 0.1), (-0.1, 0.5), (0.1, math.inf)])
def test_bad_breaks_are_rejected(breaks):
    with pytest.raises(ValueError, match="breaks"):
        depth_scheme(breaks_m=breaks)


def test_other_break_counts_get_range_labels():
    scheme = depth_scheme(breaks_m=(0.2, 0.5))
    assert scheme.classes == ("<0.2 m", "0.2-0.5 m", ">=0.5 m")
    assert scheme.affected == (False, True, True)


@pytest.mark.parametrize(
    ("rule", "impassable_m", "expected"),
    [
        ("reaches", 0.3, ("low", "medium", "high")),
        ("all", 0.3, ("medium", "high")),
        ("reaches", 0.8, ("medium", "high")),
        ("all", 0.7, ("medium", "high")),
        ("all", 1.6, ()),
    ],
)
def test_impassable_classes_follow_the_documented_rule(rule, impassable_m, expected):
    scheme = depth_scheme(impassable_m=impassable_m, impassable_rule=rule)
    assert scheme.impassable_classes == expected


def test_overlapping_class_polygons_become_disjoint_and_higher_class_wins():
    hazard = frame([box(0, 0, 20, 10), box(10, 0, 30, 10)], c=["low", "high"])
    zones = zones_from_classes(hazard, class_field="c")
    area = zones.frame.area.groupby(zones.frame["hazard_class"]).sum()
    assert area.to_dict() == {"high": 200.0, "low": 100.0}
    union = shapely.union_all(zones.frame.geometry.values)
    assert union.area == pytest.approx(zones.frame.area.sum())


def test_class_names_ignore_case_and_spaces_and_dry_polygons_are_dropped():
    hazard = frame([box(0, 0, 1, 1), box(2, 0, 3, 1)], c=[" HIGH ", "dry"])
    zones = zones_from_classes(hazard, class_field="c")
    assert zones.frame["hazard_class"].tolist() == ["high"]


def test_unknown_class_values_are_named_in_the_error():
    hazard = frame([box(0, 0, 1, 1)], c=["severe"])
    with pytest.raises(ValueError, match="severe"):
        zones_from_classes(hazard, class_field="c")


def test_missing_class_field_is_an_error():
    with pytest.raises(ValueError, match="no field"):
        zones_from_classes(frame([box(0, 0, 1, 1)], c=["low"]), class_field="x")


def test_hazard_without_crs_is_rejected():
    with pytest.raises(ValueError, match="no CRS"):
        zones_from_classes(frame([box(0, 0, 1, 1)], crs=None, c=["low"]), class_field="c")


def test_wet_values_compare_as_text():
    hazard = frame([box(0, 0, 1, 1), box(2, 0, 3, 1)], flooded=[1, 0])
    zones = zones_from_wet_dry(hazard, field="flooded", wet_values=["1"])
    assert zones.scheme == wet_dry_scheme()
    assert zones.frame["hazard_class"].tolist() == ["wet"]
    assert zones.frame["impassable"].tolist() == [True]


def test_depth_field_sets_class_and_exact_impassable_flag():
    hazard = frame([box(0, 0, 1, 1), box(2, 0, 3, 1), box(4, 0, 5, 1)], d=[0.2, 0.4, 0.05])
    zones = zones_from_depth_field(hazard, depth_field="d")
    rows = sorted(
        zip(zones.frame.depth_m, zones.frame.hazard_class, zones.frame.impassable, strict=True)
    )
    assert rows == [(0.2, "low", False), (0.4, "low", True)]


def test_subdivide_tiles_large_polygons_without_losing_area():
    circle = shapely.Point(0, 0).buffer(1000, quad_segs=400)
    owner, tiles = subdivide(np.array([circle]), max_vertices=64)
    assert len(tiles) > 8
    assert (shapely.get_num_coordinates(tiles) <= 64).all()
    assert set(owner) == {0}
    assert shapely.area(tiles).sum() == pytest.approx(circle.area, rel=1e-12)
    assert shapely.union_all(tiles).symmetric_difference(circle).area < 1e-6


def test_depth_raster_polygons_cover_the_cells_of_each_class(tmp_path):
    depth = np.array([[0.0, 0.2, 0.5], [0.8, 1.6, NODATA]])
    path = write_raster(tmp_path / "d.tif", depth)
    zones = zones_from_depth_raster(path, window_cells=3)  # one row per window
    area = zones.frame.area.groupby([zones.frame["hazard_class"], zones.frame["impassable"]]).sum()
    assert area.to_dict() == {
        ("high", True): 100.0,
        ("low", False): 100.0,
        ("low", True): 100.0,
        ("medium", True): 100.0,
    }


def test_hazard_from_file_opens_rasters_and_vectors(tmp_path):
    raster = write_raster(tmp_path / "d.tif", np.ones((2, 2)))
    assert isinstance(hazard_from_file(raster), DepthRaster)
    path = tmp_path / "z.geojson"
    frame([box(0, 0, 1, 1)], hazard_class=["medium"]).to_file(path)
    zones = hazard_from_file(path)
    assert zones.frame["hazard_class"].tolist() == ["medium"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"class_field": "a", "hazard_field": "b"}, "not both"),
        ({"wet_values": ["1"]}, "needs --hazard-field"),
        ({"hazard_field": "name"}, "not numeric"),
    ],
)
def test_hazard_from_file_explains_bad_options(tmp_path, kwargs, message):
    path = tmp_path / "z.geojson"
    frame([box(0, 0, 1, 1)], name=["x"]).to_file(path)
    with pytest.raises(ValueError, match=message):
        hazard_from_file(path, **kwargs)


def test_missing_hazard_file_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        hazard_from_file(tmp_path / "none.geojson")
