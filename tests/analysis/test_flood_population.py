import math

import numpy as np
import pytest
from shapely import Point, box

from analysis.flood import (
    DEFAULT_MINIMUM_NEEDS,
    DepthRaster,
    class_area_shares,
    depth_scheme,
    minimum_needs,
    population_impact,
    zones_from_classes,
)
from tests.analysis.flood_helpers import frame, write_raster


@pytest.fixture
def zones():
    hazard = frame([box(0, 0, 50, 100), box(50, 0, 75, 100)], c=["low", "high"])
    return zones_from_classes(hazard, class_field="c")


def test_population_is_area_weighted_per_class(zones):
    block = frame([box(0, 0, 100, 100)], population=[200])
    impact = population_impact(block, hazard=zones)
    assert impact.affected_by_class == pytest.approx(
        {"dry": 50.0, "low": 100.0, "medium": 0.0, "high": 50.0}
    )
    assert impact.affected == pytest.approx(150.0)
    # Default rates: low 1 %, high 5 %.
    assert impact.displaced == pytest.approx(100 * 0.01 + 50 * 0.05)


def test_max_weighting_counts_everyone_in_the_highest_class(zones):
    block = frame([box(0, 0, 100, 100)], population=[200])
    impact = population_impact(block, hazard=zones, weighting="max")
    assert impact.affected_by_class["high"] == pytest.approx(200.0)


def test_displacement_rates_are_configurable(zones):
    block = frame([box(0, 0, 100, 100)], population=[200])
    impact = population_impact(block, hazard=zones, displacement_rates={"low": 0.5, "high": 1.0})
    assert impact.displaced_by_class == pytest.approx(
        {"dry": 0.0, "low": 50.0, "medium": 0.0, "high": 50.0}
    )


def test_bad_rates_and_fields_are_rejected(zones):
    block = frame([box(0, 0, 1, 1)], population=[1])
    with pytest.raises(ValueError, match="rates"):
        population_impact(block, hazard=zones, displacement_rates={"low": 1.5})
    with pytest.raises(ValueError, match="no field"):
        population_impact(block, hazard=zones, population_field="people")
    with pytest.raises(ValueError, match="weighting"):
        population_impact(block, hazard=zones, weighting="centroid")


def test_population_per_area_uses_centroids(zones):
    areas = frame([box(-10, -10, 60, 110), box(60, -10, 200, 110)], name=["A", "B"])
    blocks = frame([box(0, 0, 50, 50), box(100, 0, 150, 50)], population=[10, 30])
    impact = population_impact(blocks, hazard=zones, aggregation=areas)
    assert impact.by_area.loc["A"].to_dict() == pytest.approx(
        {"total": 10.0, "affected": 10.0, "displaced": 0.1}
    )
    assert impact.by_area.loc["B", "affected"] == 0.0


def test_area_shares_from_a_depth_raster(tmp_path):
    # Two 10 m cells: 0.05 m (dry) and 1.0 m (medium); the building is 1/4 in the first.
    path = write_raster(tmp_path / "d.tif", [[0.05, 1.0]], origin=(0, 10))
    hazard = DepthRaster(path=path, scheme=depth_scheme())
    shares = class_area_shares(frame([box(7.5, 0, 17.5, 10)]), zones=hazard.zones)
    np.testing.assert_allclose(shares, [[0.25, 0.0, 0.75, 0.0]])


def test_points_count_whole(zones):
    impact = population_impact(frame([Point(60, 50)], population=[4]), hazard=zones)
    assert impact.affected_by_class["high"] == 4.0


def test_minimum_needs_default_profile_rounds_up():
    needs = minimum_needs(displaced=10)
    assert needs == {
        "rice_kg": 28,
        "drinking_water_l": 175,
        "clean_water_l": 875,
        "family_kits": 4,  # 3.2 rounded up
        "toilets": 1,  # 0.5 rounded up
    }
    # Drinking and clean water together are Sphere's 15 L per person per day.
    per_day = (
        DEFAULT_MINIMUM_NEEDS["drinking_water_l"] + DEFAULT_MINIMUM_NEEDS["clean_water_l"]
    ) / 7
    assert per_day == pytest.approx(15.0)


def test_minimum_needs_profile_is_the_municipalitys_own():
    assert minimum_needs(displaced=3, profile={"rice_kg": 3.5, "mosquito_nets": 0.5}, weeks=2) == {
        "rice_kg": 21,
        "mosquito_nets": 3,
    }


@pytest.mark.parametrize("displaced", [-1, math.nan, math.inf])
def test_minimum_needs_rejects_impossible_counts(displaced):
    with pytest.raises(ValueError, match="displaced"):
        minimum_needs(displaced=displaced)
