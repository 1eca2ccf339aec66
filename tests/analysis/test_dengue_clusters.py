"""Space-time clusters: the chained 150 m / 14 day rule, by hand and against brute force."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from analysis.dengue import connected_components, space_time_clusters

UTM47 = "EPSG:32647"


def cases_frame(rows: list[tuple[float, float, str]], crs: str = UTM47) -> gpd.GeoDataFrame:
    """(x, y, onset date) rows as a case frame."""
    return gpd.GeoDataFrame(
        {"onset_date": pd.to_datetime([r[2] for r in rows])},
        geometry=[Point(r[0], r[1]) for r in rows],
        crs=crs,
    )


def brute_force_clusters(xy, days, distance_m, window_days, min_cases) -> set[frozenset[int]]:
    """Reference: all pairs, then a plain union-find."""
    parent = list(range(len(xy)))

    def find(a):
        while parent[a] != a:
            a = parent[a]
        return a

    for a, b in itertools.combinations(range(len(xy)), 2):
        if np.hypot(*(xy[a] - xy[b])) <= distance_m and abs(days[a] - days[b]) <= window_days:
            parent[find(a)] = find(b)
    groups: dict[int, set[int]] = {}
    for a in range(len(xy)):
        groups.setdefault(find(a), set()).add(a)
    return {frozenset(g) for g in groups.values() if len(g) >= min_cases}


def clusters_of(labelled: gpd.GeoDataFrame) -> set[frozenset[int]]:
    ids = labelled["cluster_id"].to_numpy()
    return {frozenset(np.flatnonzero(ids == c).tolist()) for c in set(ids) - {-1}}


def test_cases_within_150_m_and_14_days_chain_into_one_cluster():
    cases = cases_frame(
        [
            (0, 0, "2025-03-01"),
            (140, 0, "2025-03-10"),  # 140 m, 9 days from the first
            (280, 0, "2025-03-20"),  # 140 m, 10 days from the second; 280 m from the first
            (5000, 0, "2025-03-05"),  # far away
        ]
    )

    labelled = space_time_clusters(cases)

    assert labelled["cluster_id"].tolist() == [0, 0, 0, -1]


@pytest.mark.parametrize(
    ("offset_m", "gap_days", "linked"),
    [(150, 14, True), (150.01, 14, False), (150, 15, False), (0, 0, True), (149, 0, True)],
)
def test_both_limits_are_inclusive(offset_m, gap_days, linked):
    onset = pd.Timestamp("2025-01-01")
    cases = cases_frame(
        [
            (0, 0, str(onset.date())),
            (offset_m, 0, str((onset + pd.Timedelta(days=gap_days)).date())),
        ]
    )

    ids = space_time_clusters(cases)["cluster_id"].tolist()

    assert ids == ([0, 0] if linked else [-1, -1])


def test_clusters_are_numbered_by_their_first_onset():
    cases = cases_frame(
        [
            (0, 0, "2025-05-01"),
            (50, 0, "2025-05-03"),
            (9000, 0, "2025-01-01"),
            (9050, 0, "2025-01-02"),
        ]
    )

    assert space_time_clusters(cases)["cluster_id"].tolist() == [1, 1, 0, 0]


def test_min_cases_turns_small_groups_into_noise():
    cases = cases_frame(
        [(0, 0, "2025-01-01"), (10, 0, "2025-01-02"), (5000, 0, "2025-01-01")]
        + [(9000 + 10 * k, 0, "2025-01-01") for k in range(3)]
    )

    labelled = space_time_clusters(cases, min_cases=3)

    assert labelled["cluster_id"].tolist() == [-1, -1, -1, 0, 0, 0]


def test_parameters_change_the_rule():
    cases = cases_frame([(0, 0, "2025-01-01"), (250, 0, "2025-01-25")])

    assert space_time_clusters(cases)["cluster_id"].tolist() == [-1, -1]
    wide = space_time_clusters(cases, distance_m=300, window_days=30)
    assert wide["cluster_id"].tolist() == [0, 0]


def test_onsets_may_be_day_numbers_or_iso_strings():
    numbers = gpd.GeoDataFrame(
        {"day": [0, 10, 30]}, geometry=[Point(0, 0), Point(50, 0), Point(100, 0)], crs=UTM47
    )
    strings = numbers.assign(day=["2025-01-01", "2025-01-11", "2025-01-31"])

    assert space_time_clusters(numbers, time_col="day")["cluster_id"].tolist() == [0, 0, -1]
    assert space_time_clusters(strings, time_col="day")["cluster_id"].tolist() == [0, 0, -1]


def test_the_input_is_copied_with_its_index_columns_and_crs():
    cases = cases_frame([(0, 0, "2025-01-01"), (10, 0, "2025-01-02")]).set_index(
        pd.Index([17, 42], name="case")
    )
    cases["note"] = ["x", "y"]

    labelled = space_time_clusters(cases)

    assert "cluster_id" not in cases.columns
    assert labelled.index.tolist() == [17, 42]
    assert labelled.crs == cases.crs
    assert labelled["note"].tolist() == ["x", "y"]
    assert labelled["cluster_id"].dtype == np.int64


def test_empty_input_gives_an_empty_labelled_frame():
    empty = cases_frame([])

    labelled = space_time_clusters(empty)

    assert len(labelled) == 0
    assert "cluster_id" in labelled.columns
    assert labelled.crs == empty.crs


@pytest.mark.parametrize("crs", ["EPSG:4326", None])
def test_a_frame_without_a_metric_crs_is_refused(crs):
    cases = cases_frame([(100.0, 8.0, "2025-01-01")], crs=crs)

    with pytest.raises(ValueError, match="CRS"):
        space_time_clusters(cases)


def test_bad_inputs_are_refused_with_clear_messages():
    cases = cases_frame([(0, 0, "2025-01-01")])

    with pytest.raises(TypeError, match="GeoDataFrame"):
        space_time_clusters(pd.DataFrame(cases))
    with pytest.raises(ValueError, match=r"no column\(s\) 'reported'"):
        space_time_clusters(cases, time_col="reported")
    with pytest.raises(ValueError, match="not dates"):
        space_time_clusters(cases.assign(onset_date=["soon"]))
    with pytest.raises(ValueError, match="Buddhist-era"):
        space_time_clusters(cases.assign(onset_date=["2568-01-05"]))
    with pytest.raises(ValueError, match="missing onset"):
        space_time_clusters(cases.assign(onset_date=[pd.NaT]))
    with pytest.raises(ValueError, match="Points"):
        space_time_clusters(cases.set_geometry([Point(0, 0).buffer(5)]))
    with pytest.raises(ValueError, match="min_cases"):
        space_time_clusters(cases, min_cases=0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    points=st.lists(
        st.tuples(
            st.integers(0, 600), st.integers(0, 600), st.integers(0, 60)
        ),  # metres, metres, day
        min_size=0,
        max_size=40,
    ),
    distance_m=st.sampled_from([0.0, 50.0, 150.0, 400.0]),
    window_days=st.sampled_from([0, 7, 14]),
    min_cases=st.integers(1, 4),
)
def test_clusters_match_brute_force_and_partition_the_cases(
    points, distance_m, window_days, min_cases
):
    xy = np.array([(x, y) for x, y, _ in points], dtype=float).reshape(-1, 2)
    days = np.array([d for _, _, d in points], dtype=float)
    cases = gpd.GeoDataFrame(
        {"day": days}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM47
    )

    labelled = space_time_clusters(
        cases, time_col="day", distance_m=distance_m, window_days=window_days, min_cases=min_cases
    )

    expected = brute_force_clusters(xy, days, distance_m, window_days, min_cases)
    assert clusters_of(labelled) == expected
    ids = labelled["cluster_id"].to_numpy()
    used = sorted(set(ids) - {-1})
    assert used == list(range(len(used)))  # ids are 0..k-1 without gaps
    assert len(labelled) == len(cases)  # every case gets exactly one label


def test_connected_components_of_a_long_chain_and_a_star():
    chain = np.arange(999)
    labels = connected_components(1001, chain, chain + 1)  # 0-1-2-...-999, 1000 alone

    assert (labels[:1000] == 0).all()
    assert labels[1000] == 1000
    star = connected_components(6, np.array([5, 5, 5]), np.array([1, 2, 3]))
    assert star.tolist() == [0, 1, 1, 1, 4, 1]
