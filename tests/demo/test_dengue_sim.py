"""Tests for the synthetic dengue simulator in ``fixtures.dengue_sim``."""

from __future__ import annotations

import math
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from fixtures.dengue_sim import (
    AGE_GROUPS,
    DIAGNOSES,
    GENERATION_MAX_DAYS,
    GENERATION_MIN_DAYS,
    TransmissionParams,
    shuffle_onsets,
    simulate_dengue_cases,
)

CRS_UTM47 = "EPSG:32647"
START = pd.Timestamp("2024-01-01")
# 20 x 20 km in UTM 47N, roughly the size of a southern Thai municipality.
BIG_AREA = box(600_000, 900_000, 620_000, 920_000)
SMALL_AREA = box(600_000, 900_000, 601_000, 901_000)
EXPECTED_COLUMNS = [
    "case_id",
    "onset_date",
    "report_date",
    "parent_id",
    "generation",
    "is_background",
    "diagnosis",
    "age_group",
    "sex",
    "geometry",
]


@cache
def free_mode_cases(step_max_m: float) -> gpd.GeoDataFrame:
    """Simulate a large free-mode run with many parent/child pairs (cached: tests only read it)."""
    params = TransmissionParams(
        step_max_m=step_max_m,
        offspring_mean=0.9,
        background_cases_per_week=20.0,
        seasonality_amplitude=0.0,
    )
    return simulate_dengue_cases(
        area=BIG_AREA, crs=CRS_UTM47, start_date=START, days=240, params=params, seed=2024
    )


def parent_child_pairs(cases: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return aligned (parent rows, child rows) for all non-background cases."""
    children = cases[cases["parent_id"].notna()]
    parents = cases.set_index("case_id").loc[children["parent_id"].astype("int64").to_numpy()]
    return parents, children


def ks_statistic_uniform(values: np.ndarray, upper: float) -> float:
    """Kolmogorov-Smirnov distance between the sample and U(0, upper); scipy is optional."""
    u = np.sort(values) / upper
    n = len(u)
    i = np.arange(1, n + 1)
    return float(max((i / n - u).max(), (u - (i - 1) / n).max()))


def test_same_seed_gives_identical_frame() -> None:
    kwargs = {"area": SMALL_AREA, "crs": CRS_UTM47, "start_date": START, "days": 200}
    first = simulate_dengue_cases(**kwargs, seed=11)
    second = simulate_dengue_cases(**kwargs, seed=11)
    assert len(first) > 5
    pd.testing.assert_frame_equal(first, second)


def test_different_seed_gives_different_frame() -> None:
    kwargs = {"area": SMALL_AREA, "crs": CRS_UTM47, "start_date": START, "days": 200}
    first = simulate_dengue_cases(**kwargs, seed=11)
    other = simulate_dengue_cases(**kwargs, seed=12)
    assert not first.geometry.geom_equals(other.geometry.reindex(first.index)).all()


@pytest.mark.parametrize("step_max_m", [100.0, 200.0])
def test_free_mode_step_distance_is_uniform_on_zero_to_r(step_max_m: float) -> None:
    parents, children = parent_child_pairs(free_mode_cases(step_max_m))
    dist = children.geometry.distance(parents.geometry.set_axis(children.index)).to_numpy()
    assert len(dist) >= 500
    assert dist.min() >= 0.0
    assert dist.max() <= step_max_m + 1e-6
    # Asymptotic KS critical value at alpha = 0.01; a uniform-in-disc kernel gives D ~ 0.25.
    assert ks_statistic_uniform(dist, step_max_m) < 1.63 / math.sqrt(len(dist))
    assert np.mean(dist) == pytest.approx(step_max_m / 2, rel=0.05)


def test_children_outside_area_are_kept_in_free_mode() -> None:
    params = TransmissionParams(
        step_max_m=200.0, offspring_mean=1.0, background_cases_per_week=30.0
    )
    tiny = box(600_000, 900_000, 600_050, 900_050)
    cases = simulate_dengue_cases(
        area=tiny, crs=CRS_UTM47, start_date=START, days=120, params=params, seed=5
    )
    children = cases[~cases["is_background"]]
    assert len(children) > 0
    assert (~children.within(tiny)).any()
    assert cases.loc[cases["is_background"]].within(tiny).all()


def test_generation_gap_within_clip_range_with_mean_near_15_days() -> None:
    parents, children = parent_child_pairs(free_mode_cases(100.0))
    gap = (children["onset_date"].to_numpy() - parents["onset_date"].to_numpy()) / np.timedelta64(
        1, "D"
    )
    assert gap.min() >= GENERATION_MIN_DAYS
    assert gap.max() <= GENERATION_MAX_DAYS
    assert abs(gap.mean() - 15.0) < 1.0
    assert 2.0 < gap.std() < 4.0


def test_parent_links_and_generations_are_consistent() -> None:
    cases = free_mode_cases(100.0)
    assert cases["case_id"].tolist() == list(range(len(cases)))
    assert (cases["is_background"] == cases["parent_id"].isna()).all()
    assert (cases.loc[cases["is_background"], "generation"] == 0).all()
    parents, children = parent_child_pairs(cases)
    assert (children["parent_id"].to_numpy() < children["case_id"].to_numpy()).all()
    assert (children["generation"].to_numpy() == parents["generation"].to_numpy() + 1).all()


def test_attribute_vocabularies_and_rough_frequencies() -> None:
    cases = free_mode_cases(100.0)
    assert set(cases["diagnosis"]) <= set(DIAGNOSES)
    assert set(cases["age_group"]) <= set(AGE_GROUPS)
    assert set(cases["sex"]) <= {"M", "F"}
    assert cases["diagnosis"].eq("DF").mean() == pytest.approx(0.85, abs=0.05)
    top_two = cases["age_group"].value_counts().index[:2]
    assert set(top_two) == {"5-14", "15-24"}


def test_every_case_is_at_a_site_when_sites_given() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform([600_000, 900_000], [601_000, 901_000], size=(300, 2))
    sites = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS_UTM47)
    params = TransmissionParams(offspring_mean=1.0, background_cases_per_week=5.0)
    cases = simulate_dengue_cases(
        area=SMALL_AREA,
        crs=CRS_UTM47,
        start_date=START,
        days=150,
        params=params,
        sites=sites,
        seed=3,
    )
    assert (~cases["is_background"]).sum() > 10
    site_keys = {(round(x, 6), round(y, 6)) for x, y in xy}
    case_keys = {(round(p.x, 6), round(p.y, 6)) for p in cases.geometry}
    assert case_keys <= site_keys
    # Exact equality, not just closeness.
    assert all(sites.geom_equals(p).any() for p in cases.geometry[:20])


def test_background_cases_only_at_sites_inside_area() -> None:
    inside = [Point(600_100, 900_100), Point(600_900, 900_900)]
    outside = [Point(700_000, 900_000)]
    sites = gpd.GeoSeries(inside + outside, crs=CRS_UTM47)
    params = TransmissionParams(offspring_mean=0.0, background_cases_per_week=10.0)
    cases = simulate_dengue_cases(
        area=SMALL_AREA,
        crs=CRS_UTM47,
        start_date=START,
        days=60,
        params=params,
        sites=sites,
        seed=4,
    )
    assert len(cases) > 0
    assert cases.within(SMALL_AREA).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), days=st.integers(0, 120), delay_max=st.integers(1, 9))
def test_onsets_in_window_and_report_after_onset(seed: int, days: int, delay_max: int) -> None:
    params = TransmissionParams(report_delay_days_max=delay_max, background_cases_per_week=7.0)
    cases = simulate_dengue_cases(
        area=SMALL_AREA, crs=CRS_UTM47, start_date=START, days=days, params=params, seed=seed
    )
    onset = cases["onset_date"]
    assert (onset >= START).all()
    assert (onset < START + pd.Timedelta(days=days)).all()
    assert (onset == onset.dt.normalize()).all()
    assert onset.is_monotonic_increasing
    delay = cases["report_date"] - onset
    assert (delay >= pd.Timedelta(days=1)).all()
    assert (delay <= pd.Timedelta(days=delay_max)).all()


@pytest.mark.parametrize(
    "area",
    [
        gpd.GeoSeries([box(100.0, 8.0, 100.1, 8.1)], crs="EPSG:4326"),
        gpd.GeoDataFrame(geometry=[box(100.0, 8.0, 100.1, 8.1)], crs="EPSG:4326"),
    ],
    ids=["geoseries", "geodataframe"],
)
def test_geographic_crs_raises(area: gpd.GeoSeries | gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="geographic"):
        simulate_dengue_cases(area=area, start_date=START, days=30, seed=0)


def test_plain_geometry_needs_crs_and_gets_it_back() -> None:
    with pytest.raises(ValueError, match="crs"):
        simulate_dengue_cases(area=SMALL_AREA, start_date=START, days=30, seed=0)
    with pytest.raises(ValueError, match="geographic"):
        simulate_dengue_cases(
            area=box(100.0, 8.0, 100.1, 8.1), crs="EPSG:4326", start_date=START, days=30, seed=0
        )
    framed = gpd.GeoDataFrame(geometry=[SMALL_AREA], crs=CRS_UTM47)
    cases = simulate_dengue_cases(area=framed, start_date=START, days=30, seed=0)
    assert cases.crs == framed.crs


def test_shuffle_onsets_keeps_dates_and_places_but_breaks_pairing() -> None:
    cases = free_mode_cases(100.0)
    null = shuffle_onsets(cases, seed=9)
    assert null is not cases
    assert sorted(null["onset_date"]) == sorted(cases["onset_date"])
    assert null.geometry.geom_equals(cases.geometry).all()
    pd.testing.assert_series_equal(
        null["report_date"] - null["onset_date"], cases["report_date"] - cases["onset_date"]
    )
    assert (null["onset_date"] != cases["onset_date"]).mean() > 0.9
    # Input untouched and result reproducible.
    assert cases["onset_date"].is_monotonic_increasing
    pd.testing.assert_frame_equal(null, shuffle_onsets(cases, seed=9))


@pytest.mark.parametrize(
    ("days", "params"),
    [
        (0, TransmissionParams()),
        (90, TransmissionParams(background_cases_per_week=0.0, offspring_mean=0.0)),
    ],
    ids=["zero-days", "no-background"],
)
def test_empty_result_has_columns_dtypes_and_crs(days: int, params: TransmissionParams) -> None:
    cases = simulate_dengue_cases(
        area=SMALL_AREA, crs=CRS_UTM47, start_date=START, days=days, params=params, seed=1
    )
    assert len(cases) == 0
    assert list(cases.columns) == EXPECTED_COLUMNS
    assert cases.crs == CRS_UTM47
    assert cases["onset_date"].dtype == "datetime64[ns]"
    assert cases["parent_id"].dtype == "Int64"
    assert cases["is_background"].dtype == bool
    assert len(shuffle_onsets(cases, seed=0)) == 0


def test_max_cases_stops_with_warning() -> None:
    params = TransmissionParams(max_cases=50, background_cases_per_week=70.0)
    with pytest.warns(RuntimeWarning, match="max_cases"):
        cases = simulate_dengue_cases(
            area=SMALL_AREA, crs=CRS_UTM47, start_date=START, days=60, params=params, seed=2
        )
    assert len(cases) == 50
    assert cases["onset_date"].is_monotonic_increasing


def test_invalid_params_raise() -> None:
    with pytest.raises(ValueError, match="seasonality_amplitude"):
        TransmissionParams(seasonality_amplitude=1.5)
    with pytest.raises(ValueError, match="generation_mean_days"):
        TransmissionParams(generation_mean_days=40.0)
