"""The recommended spraying radius: known answers, the simulator's truth and the null model."""

from __future__ import annotations

import json
import math
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

import analysis.dengue._common as common
from analysis.dengue import radius_costs, recommended_radius
from fixtures.dengue_sim import TransmissionParams, shuffle_onsets, simulate_dengue_cases

UTM47 = "EPSG:32647"
PERMUTATIONS = 199  # p-values down to 0.005: enough for a 5% test, five times faster than 999

# Simulation settings for the validation (the simulator's model: steps uniform on 0..R m, a
# 15 +/- 3 day generation, uniform background cases). 10 x 10 km and 20 background cases a
# week give ~2,000-2,500 cases a year: about half background, so pairs one generation apart at
# every distance keep the expected counts honest. Offspring are close to Poisson (dispersion
# 100): with the simulator's default k = 0.5, uncles and nephews one generation apart push the
# excess past one step and the answer errs large (see analysis/dengue/README.md).
SIM_AREA = box(600_000, 900_000, 610_000, 910_000)
SIM_SEEDS = (11, 12, 13)


@cache
def simulated(step_max_m: float, seed: int) -> gpd.GeoDataFrame:
    params = TransmissionParams(
        step_max_m=step_max_m,
        offspring_mean=0.5,
        offspring_dispersion=100.0,
        background_cases_per_week=20.0,
    )
    return simulate_dengue_cases(
        area=SIM_AREA, crs=UTM47, start_date="2024-01-01", days=365, params=params, seed=seed
    )


@pytest.mark.parametrize("seed", SIM_SEEDS)
@pytest.mark.parametrize("step_max_m", [100, 200])
def test_the_90_percent_radius_recovers_the_simulated_step(step_max_m, seed):
    cases = simulated(step_max_m, seed)

    answer = recommended_radius(cases, permutations=PERMUTATIONS, seed=seed)

    assert answer.evidence == "sufficient", answer.reason
    assert abs(answer.radius_m_90 - step_max_m) <= 0.15 * step_max_m
    assert answer.radius_m_80 <= answer.radius_m_90
    assert answer.p_value <= 0.05


@pytest.mark.parametrize("seed", SIM_SEEDS)
@pytest.mark.parametrize("step_max_m", [100, 200])
def test_with_onsets_shuffled_the_evidence_is_insufficient(step_max_m, seed):
    shuffled = shuffle_onsets(simulated(step_max_m, seed), seed=seed)

    answer = recommended_radius(shuffled, permutations=PERMUTATIONS, seed=seed)

    assert answer.evidence == "insufficient"
    assert "permutation envelope" in answer.reason
    assert (answer.radius_m_80, answer.radius_m_90) == (100, 100)


def test_false_alarms_under_the_null_stay_near_alpha():
    """Over 20 shufflings a 5% test should rarely say 'sufficient' (P(>= 4) is 1.6%)."""
    cases = simulated(100, SIM_SEEDS[0])

    verdicts = [
        recommended_radius(shuffle_onsets(cases, seed=s), permutations=99, seed=s).evidence
        for s in range(20)
    ]

    assert verdicts.count("sufficient") <= 3


def paired_sites(pair_distance_m: float, n_sites: int = 60) -> gpd.GeoDataFrame:
    """Sites on a 400 m grid, each with two cases `pair_distance_m` apart and 15 days apart.

    Sites start 50 days apart, so no two cases of different sites are 8-22 days apart: the
    only pairs in the generation window are the 60 site pairs, all in one distance ring.
    """
    rows = []
    for s in range(n_sites):
        x, y = 400.0 * (s % 8), 400.0 * (s // 8)
        rows.append((x, y, 50 * s))
        rows.append((x + pair_distance_m, y, 50 * s + 15))
    return gpd.GeoDataFrame(
        {"day": [r[2] for r in rows]},
        geometry=[Point(r[0], r[1]) for r in rows],
        crs=UTM47,
    )


@pytest.mark.parametrize(
    ("pair_distance_m", "clustering_end_m", "radius_m"),
    [
        (15, 20, 50),  # ring 10-20 m -> 20 m -> 25 m -> clamped up to 50 m
        (230, 240, 250),  # ring 230-240 m -> 240 m -> rounded up to 250 m
        (335, 340, 350),
        (420, 430, 400),  # 430 m -> 450 m -> clamped down to 400 m
    ],
)
def test_all_excess_in_one_ring_gives_its_edge_rounded_up_and_clamped(
    pair_distance_m, clustering_end_m, radius_m
):
    cases = paired_sites(pair_distance_m)

    answer = recommended_radius(cases, time_col="day", permutations=PERMUTATIONS, seed=1)

    ring = next(r for r in answer.rings if r.from_m <= pair_distance_m < r.to_m)
    assert ring.observed == 60
    assert answer.n_window_pairs == 60
    assert answer.share_in_window == pytest.approx(60 / answer.n_pairs)
    assert ring.expected == pytest.approx(ring.pairs * 60 / answer.n_pairs)
    assert answer.evidence == "sufficient"
    assert answer.clustering_end_m == clustering_end_m
    assert answer.radius_m_80 == answer.radius_m_90 == radius_m


def test_rings_expected_and_running_excess_are_consistent():
    answer = recommended_radius(paired_sites(15), time_col="day", permutations=99, seed=3)

    rings = answer.rings
    assert len(rings) == 100
    assert (rings[0].from_m, rings[0].to_m, rings[-1].to_m) == (0, 10, 1000)
    assert sum(r.pairs for r in rings) == answer.n_pairs
    assert sum(r.observed for r in rings) == answer.n_window_pairs
    # Expected counts share the observed total, so the running excess returns to zero.
    assert rings[-1].running_excess == pytest.approx(0, abs=1e-9)
    assert np.allclose(np.cumsum([r.excess for r in rings]), [r.running_excess for r in rings])
    assert all(r.envelope_low <= r.expected + 1e-9 <= r.envelope_high + 2e-9 for r in rings)
    assert answer.peak_excess == pytest.approx(max(r.running_excess for r in rings))


def test_the_lag_profile_shows_the_15_day_generation():
    answer = recommended_radius(paired_sites(15), time_col="day", permutations=99, seed=3)

    by_gap = {lag.gap_days: lag for lag in answer.lag_profile}
    assert answer.lag_distance_m == 50  # the 90% radius
    assert by_gap[15].observed == 60
    assert max(answer.lag_profile, key=lambda lag: lag.excess).gap_days == 15
    assert sum(lag.observed for lag in answer.lag_profile) == 60  # only site pairs within 50 m


def test_too_few_cases_keep_the_policy():
    cases = paired_sites(15, n_sites=10)  # 20 cases

    answer = recommended_radius(cases, time_col="day", permutations=99, seed=1)

    assert answer.evidence == "insufficient"
    assert answer.reason.startswith("too few cases (20 < 30)")
    assert answer.reason.endswith("keep 100 m")
    assert (answer.radius_m_80, answer.radius_m_90) == (100, 100)


def test_cases_without_neighbours_give_no_pairs_and_an_insufficient_answer():
    far_apart = gpd.GeoDataFrame(
        {"day": np.arange(40)},
        geometry=[Point(5000.0 * k, 0) for k in range(40)],
        crs=UTM47,
    )

    answer = recommended_radius(far_apart, time_col="day", permutations=99, seed=1)

    assert answer.n_pairs == 0
    assert answer.clustering_end_m is None
    assert answer.evidence == "insufficient"
    assert "too few case pairs" in answer.reason


def test_empty_input_is_insufficient_not_an_error():
    empty = gpd.GeoDataFrame({"onset_date": pd.to_datetime([])}, geometry=[], crs=UTM47)

    answer = recommended_radius(empty, permutations=19, seed=1)

    assert (answer.n_cases, answer.evidence, answer.radius_m_90) == (0, "insufficient", 100)


def test_to_dict_is_the_json_of_the_cli():
    answer = recommended_radius(paired_sites(15), time_col="day", permutations=99, seed=3)

    payload = json.loads(json.dumps(answer.to_dict()))

    assert {"radius_m_80", "radius_m_90", "clustering_end_m", "evidence", "n_cases"} <= set(payload)
    assert {"from_m", "to_m", "observed", "expected", "envelope_high", "envelope_low"} <= set(
        payload["rings"][0]
    )
    assert payload["parameters"]["permutations"] == 99
    assert payload["lag_profile"][15]["gap_days"] == 15


def test_the_same_seed_gives_the_same_answer_whatever_the_threads(monkeypatch):
    cases = simulated(100, SIM_SEEDS[0])
    first = recommended_radius(cases, permutations=99, seed=42).to_dict()

    monkeypatch.setattr(common, "worker_count", lambda n_items: 1)
    single = recommended_radius(cases, permutations=99, seed=42).to_dict()
    monkeypatch.setattr(common, "worker_count", lambda n_items: 3)
    three = recommended_radius(cases, permutations=99, seed=42).to_dict()

    assert first == single == three


def test_whole_day_and_fractional_onsets_count_the_same_pairs():
    cases = paired_sites(15)
    fractional = cases.assign(day=cases["day"] + 0.25)

    whole = recommended_radius(cases, time_col="day", permutations=19, seed=1)
    shifted = recommended_radius(fractional, time_col="day", permutations=19, seed=1)

    assert [r.observed for r in whole.rings] == [r.observed for r in shifted.rings]


def test_invalid_settings_are_refused():
    cases = paired_sites(15)

    with pytest.raises(ValueError, match="geographic"):
        recommended_radius(cases.set_crs(4326, allow_override=True), time_col="day")
    with pytest.raises(ValueError, match="at least 19"):
        recommended_radius(cases, time_col="day", permutations=10)
    with pytest.raises(ValueError, match="min_gap_days"):
        recommended_radius(cases, time_col="day", min_gap_days=30, max_gap_days=20)
    with pytest.raises(ValueError, match="ring_m"):
        recommended_radius(cases, time_col="day", ring_m=0)


def test_radius_costs_grow_with_the_square_of_the_radius():
    cases = gpd.GeoDataFrame({"day": [0, 0]}, geometry=[Point(0, 0), Point(10_000, 0)], crs=UTM47)
    grid = np.arange(-300, 301, 10.0)
    gx, gy = np.meshgrid(grid, grid)
    households = gpd.GeoDataFrame(geometry=gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=UTM47)
    recommendation = recommended_radius(
        paired_sites(230), time_col="day", permutations=19, seed=1
    )  # 250 m

    costs = radius_costs(cases, households, time_col="day", recommendation=recommendation)

    assert costs["radius_m"].tolist() == [50, 100, 150, 200, 250]
    assert costs["option"].tolist() == ["", "policy", "", "", "recommended 80%, recommended 90%"]
    expected_area = 2 * math.pi * costs["radius_m"] ** 2
    assert np.allclose(costs["area_m2"], expected_area, rtol=2e-3)
    assert costs["area_ratio_to_policy"].tolist() == pytest.approx(
        [0.25, 1.0, 2.25, 4.0, 6.25], rel=1e-3
    )
    # Household points on a 10 m grid around the first case: those within the radius.
    distance = np.hypot(gx.ravel(), gy.ravel())
    expected_households = [(distance <= radius).sum() for radius in costs["radius_m"]]
    assert costs["n_households"].tolist() == expected_households
    # Footprints count when they touch the zone polygon (one case: its 100 m circle).
    footprints = households.set_geometry(households.buffer(0.5, cap_style="square"))
    by_footprint = radius_costs(cases, footprints, time_col="day", radii_m=(100,))
    touching = footprints.intersects(Point(0, 0).buffer(100, quad_segs=16)).sum()
    assert by_footprint["n_households"].tolist() == [touching]
    assert touching > expected_households[1]  # squares reach past the circle
