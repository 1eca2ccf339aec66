import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Transformer
from shapely import Point, box

from analysis.flood import (
    DepthRaster,
    depth_scheme,
    exposure_summary,
    feature_exposure,
    max_depth_m,
    zones_from_classes,
)
from tests.analysis.flood_helpers import NODATA, frame, write_raster

# A 3 x 3 raster of 10 m cells, top-left corner at (0, 30):
#   row 0: 0.2  1.1  0.0
#   row 1: 0.5  NODATA  2.0
#   row 2: 0.05 0.3  NODATA
DEPTHS = np.array([[0.2, 1.1, 0.0], [0.5, NODATA, 2.0], [0.05, 0.3, NODATA]])


@pytest.fixture
def raster(tmp_path):
    return write_raster(tmp_path / "depth.tif", DEPTHS, origin=(0, 30))


def depths(geometries, raster, **kwargs):
    return max_depth_m(frame(geometries), raster=raster, **kwargs)


def test_building_straddling_two_cells_takes_the_max_of_both(raster):
    # Cells (0, 0) = 0.2 and (0, 1) = 1.1; the building's centroid lies in the shallow one.
    result = depths([box(2, 22, 12, 28)], raster)
    assert result.tolist() == [pytest.approx(1.1)]


def test_a_raster_stored_as_scaled_integers_reads_in_metres(tmp_path, raster):
    # The same depths kept as int16 centimetres (scale 0.01), as some flood models write them.
    centimetres = np.where(DEPTHS == NODATA, -1, np.round(DEPTHS * 100)).astype("int16")
    scaled = write_raster(
        tmp_path / "depth-cm.tif", centimetres, origin=(0, 30), nodata=-1, dtype="int16"
    )
    with rasterio.open(scaled, "r+") as dst:
        dst.scales = (0.01,)
    buildings = [box(2, 22, 12, 28), Point(5, 5), box(12, 12, 18, 18)]

    expected = depths(buildings, raster).tolist()
    assert depths(buildings, scaled).tolist() == pytest.approx(expected, nan_ok=True)


def test_cell_meeting_a_building_only_along_an_edge_does_not_count(raster):
    # The building spans x 0..10 exactly: its right edge touches the 1.1 m cell with no area.
    assert depths([box(0, 20, 10, 30)], raster).tolist() == [pytest.approx(0.2)]


def test_point_on_the_edge_between_two_cells_takes_the_max(raster):
    assert depths([Point(10, 25)], raster).tolist() == [pytest.approx(1.1)]
    assert depths([Point(5, 25)], raster).tolist() == [pytest.approx(0.2)]


def test_nodata_cells_are_ignored_and_only_nodata_gives_nan(raster):
    # Covers the nodata centre cell and the 0.5 m cell; then only the nodata cell.
    assert depths([box(5, 12, 15, 18)], raster).tolist() == [pytest.approx(0.5)]
    assert np.isnan(depths([box(12, 12, 18, 18)], raster)[0])


def test_geometries_outside_the_raster_or_empty_get_nan(raster):
    result = depths([box(100, 100, 110, 110), shapely.Polygon()], raster)
    assert np.isnan(result).all()


def test_raster_in_another_crs_than_the_exposure(tmp_path):
    """A 4326 raster under UTM buildings: the building is reprojected, not the raster."""
    to_wgs84 = Transformer.from_crs(32647, 4326, always_xy=True)
    lon, lat = to_wgs84.transform(600_000, 900_000)
    cell = 0.001
    path = write_raster(
        tmp_path / "wgs84.tif",
        [[0.4, 1.7]],
        crs=4326,
        origin=(lon - cell, lat + cell / 2),
        cell=cell,
    )
    # A 20 m building just east of the cell edge (lon) lies in the 1.7 m cell only.
    east = frame([box(600_010, 899_990, 600_030, 900_010)])
    west = frame([box(599_970, 899_990, 599_990, 900_010)])
    assert max_depth_m(east, raster=path).tolist() == [pytest.approx(1.7)]
    assert max_depth_m(west, raster=path).tolist() == [pytest.approx(0.4)]


def test_multipolygon_takes_the_max_over_its_parts(raster):
    two = shapely.MultiPolygon([box(1, 21, 4, 24), box(21, 11, 24, 14)])
    assert depths([two], raster).tolist() == [pytest.approx(2.0)]


def test_reading_window_by_window_gives_the_same_answer(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.gamma(1.0, 0.5, (60, 50))
    values[rng.random(values.shape) < 0.1] = NODATA
    path = write_raster(tmp_path / "big.tif", values, origin=(0, 600))
    centres = rng.uniform(20, 480, (300, 2)) * [1, 1.2]
    sizes = rng.uniform(3, 40, (300, 2))
    geoms = list(shapely.box(*(centres - sizes / 2).T, *(centres + sizes / 2).T))
    whole = depths(geoms, path)
    windowed = depths(geoms, path, window_cells=120)  # about two rows per window
    np.testing.assert_array_equal(whole, windowed)


def test_max_depth_matches_exactextract(tmp_path):
    exactextract = pytest.importorskip("exactextract")
    rng = np.random.default_rng(2)
    values = rng.gamma(1.0, 0.5, (40, 40)).astype("float32")
    values[rng.random(values.shape) < 0.05] = NODATA
    path = write_raster(tmp_path / "r.tif", values, origin=(0, 400))
    centres = rng.uniform(10, 390, (400, 2))
    polygons = shapely.polygons(
        centres[:, None, :]
        + rng.uniform(-12, 12, (400, 1, 2)) * [[[1, 0]], [[0, 1]], [[-1, 0]], [[0, -1]]][0]
        + np.array([[-6, -6], [6, -6], [6, 6], [-6, 6]])[None] * rng.uniform(0.3, 2, (400, 1, 1))
    )
    buildings = frame(list(polygons))
    ours = max_depth_m(buildings, raster=path)
    theirs = exactextract.exact_extract(str(path), buildings, "max", output="pandas")["max"]
    np.testing.assert_allclose(ours, theirs.to_numpy(dtype=float), equal_nan=True)


@pytest.fixture
def zones():
    hazard = frame([box(0, 0, 10, 10), box(10, 0, 20, 10)], c=["medium", "high"])
    return zones_from_classes(hazard, class_field="c")


def test_features_take_the_highest_class_they_touch(zones):
    features = frame(
        [
            box(8, 2, 12, 4),  # straddles medium and high
            box(2, 2, 4, 4),  # medium only
            box(-5, 0, 0, 5),  # meets the zone only along its edge: dry
            Point(0, 5),  # a point on the zone edge is in it
            Point(50, 50),  # far away: empty intersection
        ]
    )
    result = feature_exposure(features, hazard=zones)
    assert result["hazard_class"].tolist() == ["high", "medium", "dry", "medium", "dry"]
    assert result["affected"].tolist() == [True, True, False, True, False]
    assert result.index.equals(features.index)
    assert result.crs == features.crs


def test_features_in_degrees_against_metric_zones(zones):
    to_wgs84 = Transformer.from_crs(32647, 4326, always_xy=True)
    lon, lat = to_wgs84.transform(15, 5)
    result = feature_exposure(frame([Point(lon, lat)], crs=4326), hazard=zones)
    assert result["hazard_class"].tolist() == ["high"]


def test_each_feature_counts_in_the_area_holding_its_centroid(zones):
    areas = frame([box(-100, -100, 5, 100), box(5, -100, 100, 100)], name=["west", "east"])
    # Mostly in the west, centroid at x = 4: counted once, in the west.
    building = frame([box(0, 0, 8, 1)])
    result = feature_exposure(building, hazard=zones, aggregation=areas)
    assert result["area"].tolist() == ["west"]


def test_depth_raster_hazard_classifies_by_max_depth(raster):
    hazard = DepthRaster(path=raster, scheme=depth_scheme())
    features = frame([box(2, 22, 12, 28), box(12, 12, 18, 18), Point(5, 5)])
    result = feature_exposure(features, hazard=hazard)
    assert result["hazard_class"].tolist() == ["medium", "dry", "dry"]
    assert result["no_data"].tolist() == [False, True, False]
    assert result["depth_m"].iloc[2] == pytest.approx(0.05)


def test_empty_features_give_an_empty_result(zones):
    result = feature_exposure(frame([]), hazard=zones)
    assert len(result) == 0
    summary = exposure_summary(result, scheme=zones.scheme)
    assert summary["total"] == 0
    assert summary["by_class"] == {"dry": 0, "low": 0, "medium": 0, "high": 0}


def test_summary_counts_affected_by_type(zones):
    features = frame(
        [Point(5, 5), Point(15, 5), Point(50, 5)], category=["temple", "school", "temple"]
    )
    result = feature_exposure(features, hazard=zones)
    summary = exposure_summary(result, scheme=zones.scheme, type_field="category")
    assert summary["total"] == 3
    assert summary["affected"] == 2
    assert summary["by_class"] == {"dry": 1, "low": 0, "medium": 1, "high": 1}
    assert summary["by_type"] == {"school": 1, "temple": 1}


def test_wrong_types_are_rejected(zones):
    with pytest.raises(TypeError, match="GeoDataFrame"):
        feature_exposure([Point(0, 0)], hazard=zones)
    with pytest.raises(TypeError, match="hazard"):
        feature_exposure(frame([Point(0, 0)]), hazard="zones.geojson")
