import numpy as np
import pytest
import rasterio
from shapely import LineString, Point, box

from analysis.flood import DepthRaster, bathtub_flood, depth_scheme, feature_exposure
from tests.analysis.flood_helpers import frame, write_raster

# Ground (m), 10 m cells. The canal runs down column 0; a ridge (5 m) in column 2 separates a
# second basin (columns 3-4) that is as low but not connected. One nodata cell.
GROUND = np.array(
    [
        [0.0, 1.0, 5.0, 0.5, 0.5],
        [0.0, 2.5, 5.0, 0.5, 0.5],
        [0.0, -32768, 5.0, 0.5, 0.5],
    ]
)


@pytest.fixture
def dem(tmp_path):
    return write_raster(tmp_path / "dem.tif", GROUND, origin=(0, 30), nodata=-32768)


@pytest.fixture
def canal():
    return frame([LineString([(5, 1), (5, 29)])])


def test_only_cells_connected_to_the_seed_flood(dem, canal):
    flood = bathtub_flood(dem=dem, level_m=2.0, seed=canal)
    expected = np.array(
        [
            [2.0, 1.0, 0.0, 0.0, 0.0],
            [2.0, 0.0, 0.0, 0.0, 0.0],
            [2.0, np.nan, 0.0, 0.0, 0.0],
        ]
    )
    np.testing.assert_allclose(flood.depth_m, expected)
    assert flood.seed_cells == 3
    assert flood.flooded_cells == 4


def test_the_basin_behind_the_ridge_floods_once_the_water_tops_it(dem, canal):
    flood = bathtub_flood(dem=dem, level_m=5.5, seed=canal)
    assert flood.depth_m[0, 4] == pytest.approx(5.0)
    assert flood.depth_m[0, 2] == pytest.approx(0.5)


def test_four_connectivity_stops_at_diagonals(tmp_path):
    ground = np.array([[0.0, 9.0], [9.0, 0.0]])
    dem = write_raster(tmp_path / "diag.tif", ground, origin=(0, 20))
    seed = frame([Point(5, 15)])
    assert bathtub_flood(dem=dem, level_m=1.0, seed=seed).depth_m[1, 1] == 1.0
    four = bathtub_flood(dem=dem, level_m=1.0, seed=seed, connectivity=4)
    assert four.depth_m[1, 1] == 0.0


def test_zones_are_polygons_by_class(dem, canal):
    flood = bathtub_flood(dem=dem, level_m=2.0, seed=canal)
    area = flood.zones.frame.area.groupby(flood.zones.frame["hazard_class"]).sum()
    assert area.to_dict() == {"high": 300.0, "medium": 100.0}


def test_written_depth_raster_is_a_hazard(tmp_path, dem, canal):
    flood = bathtub_flood(dem=dem, level_m=2.0, seed=canal)
    path = flood.write(tmp_path / "depth.tif")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32647
        data = src.read(1, masked=True)
    assert data.mask[2, 1]
    hazard = DepthRaster(path=path, scheme=depth_scheme())
    houses = frame([box(11, 21, 14, 24), box(41, 1, 44, 4)])
    assert feature_exposure(houses, hazard=hazard)["hazard_class"].tolist() == ["medium", "dry"]


def test_seed_outside_the_dem_is_an_error(dem):
    with pytest.raises(ValueError, match="does not touch"):
        bathtub_flood(dem=dem, level_m=2.0, seed=frame([Point(500, 500)]))


def test_bad_connectivity_is_an_error(dem, canal):
    with pytest.raises(ValueError, match="connectivity"):
        bathtub_flood(dem=dem, level_m=2.0, seed=canal, connectivity=6)
