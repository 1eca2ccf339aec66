"""The Knox test: counts against pysal's pointpats on the same data, and by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from analysis.dengue import knox_test
from fixtures.dengue_sim import TransmissionParams, shuffle_onsets, simulate_dengue_cases

UTM47 = "EPSG:32647"


@pytest.fixture(scope="module")
def simulated_cases() -> gpd.GeoDataFrame:
    cases = simulate_dengue_cases(
        area=box(600_000, 900_000, 605_000, 905_000),
        crs=UTM47,
        start_date="2024-01-01",
        days=200,
        params=TransmissionParams(background_cases_per_week=6.0, offspring_mean=0.6),
        seed=8,
    )
    cases["day"] = (cases["onset_date"] - cases["onset_date"].min()).dt.days
    return cases


def test_knox_counts_by_hand():
    cases = gpd.GeoDataFrame(
        {"day": [0, 3, 10, 40]},
        geometry=[Point(0, 0), Point(50, 0), Point(80, 0), Point(60, 0)],
        crs=UTM47,
    )

    result = knox_test(cases, distance_m=100, window_days=7, permutations=0, time_col="day")

    # Space pairs (<= 100 m): all 6. Time pairs (<= 7 days): (0,3) and (3,10).
    assert (result.n_space_pairs, result.n_time_pairs, result.n_pairs) == (6, 2, 6)
    assert result.statistic == 2
    assert result.expected == pytest.approx(6 * 2 / 6)
    assert result.p_value is None


@pytest.mark.parametrize(("distance_m", "window_days"), [(100, 7), (250, 14), (50, 3)])
def test_knox_counts_agree_with_pointpats(simulated_cases, distance_m, window_days):
    pointpats = pytest.importorskip("pointpats")
    xy = np.column_stack([simulated_cases.geometry.x, simulated_cases.geometry.y])
    t = simulated_cases[["day"]].to_numpy(dtype=float)

    theirs = pointpats.Knox(xy, t, delta=distance_m, tau=window_days, permutations=0)
    ours = knox_test(
        simulated_cases,
        distance_m=distance_m,
        window_days=window_days,
        permutations=0,
        time_col="day",
    )

    assert ours.statistic == theirs.statistic_
    assert ours.expected == pytest.approx(theirs.expected[0, 0])
    observed = theirs.observed
    assert ours.n_space_pairs == observed[0, 0] + observed[0, 1]
    assert ours.n_time_pairs == observed[0, 0] + observed[1, 0]


def test_knox_detects_the_simulated_interaction_and_not_the_shuffled(simulated_cases):
    clustered = knox_test(
        simulated_cases, distance_m=100, window_days=21, permutations=199, seed=1, time_col="day"
    )
    shuffled = knox_test(
        shuffle_onsets(simulated_cases, seed=3),
        distance_m=100,
        window_days=21,
        permutations=199,
        seed=1,
    )

    assert clustered.statistic > clustered.expected
    assert clustered.p_value <= 0.01
    assert shuffled.p_value > 0.05


def test_knox_refuses_degrees():
    cases = gpd.GeoDataFrame({"onset_date": [0]}, geometry=[Point(100, 8)], crs="EPSG:4326")

    with pytest.raises(ValueError, match="geographic"):
        knox_test(cases, distance_m=100, window_days=7)
