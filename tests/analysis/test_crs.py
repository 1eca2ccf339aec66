"""Metric CRS choice for Thai municipalities."""

import pytest

from analysis.crs import metric_epsg_for


@pytest.mark.parametrize(
    ("longitude", "epsg"),
    [(99.96, 32647), (100.98, 32647), (101.999, 32647), (102.0, 32648), (104.8, 32648)],
)
def test_utm_zone_switches_at_102_degrees_east(longitude, epsg):
    assert metric_epsg_for(longitude) == epsg
