"""Kernel density hot-spot surface."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from analysis.dengue import kde_surface

UTM47 = "EPSG:32647"


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_each_case_adds_one_case_of_mass(kernel):
    cases = gpd.GeoDataFrame(
        geometry=[Point(1000, 1000), Point(1300, 1000), Point(1000, 1700)], crs=UTM47
    )

    surface = kde_surface(cases, bandwidth_m=100, cell_m=5, kernel=kernel)

    cell_km2 = (5 / 1000) ** 2
    assert surface.density.sum() * cell_km2 == pytest.approx(3, rel=2e-3)
    assert surface.crs == cases.crs


def test_the_peak_sits_on_the_case_and_the_raster_is_north_up():
    cases = gpd.GeoDataFrame(geometry=[Point(512.5, 287.5)], crs=UTM47)

    surface = kde_surface(cases, bandwidth_m=50, cell_m=5)

    row, col = np.unravel_index(np.argmax(surface.density), surface.density.shape)
    x, y = surface.transform @ (col + 0.5, row + 0.5)
    assert (x, y) == (512.5, 287.5)
    peak = 3 / (math.pi * 50**2) * 1e6  # cases per km2 at the centre of a quartic kernel
    assert surface.density.max() == pytest.approx(peak)
    assert surface.transform.e < 0  # row 0 is the north edge


def test_given_bounds_fix_the_grid():
    cases = gpd.GeoDataFrame(geometry=[Point(50, 50)], crs=UTM47)

    surface = kde_surface(cases, bandwidth_m=20, cell_m=10, bounds=(0, 0, 200, 100))

    assert surface.density.shape == (10, 20)
    assert surface.bounds == (0, 0, 200, 100)


def test_weights_scale_the_surface():
    cases = gpd.GeoDataFrame({"w": [2.0]}, geometry=[Point(0, 0)], crs=UTM47)

    weighted = kde_surface(cases, bandwidth_m=30, cell_m=5, weight_col="w")
    plain = kde_surface(cases, bandwidth_m=30, cell_m=5)

    assert np.allclose(weighted.density, 2 * plain.density)


def test_bad_settings_are_refused():
    cases = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=UTM47)

    with pytest.raises(ValueError, match="cell_m"):
        kde_surface(cases, bandwidth_m=30, cell_m=0)
    with pytest.raises(ValueError, match="kernel"):
        kde_surface(cases, bandwidth_m=30, cell_m=5, kernel="box")
    with pytest.raises(ValueError, match="empty"):
        kde_surface(cases.iloc[:0], bandwidth_m=30, cell_m=5)
    with pytest.raises(ValueError, match="geographic"):
        kde_surface(cases.set_crs(4326, allow_override=True), bandwidth_m=30, cell_m=5)
