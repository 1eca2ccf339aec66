"""Cluster summaries on hand-built frames: size, dates, closing day, landmarks near a case."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from analysis.dengue import cluster_summaries, space_time_clusters

UTM47 = "EPSG:32647"


def cases_frame(rows, crs=UTM47) -> gpd.GeoDataFrame:
    """Rows of (x, y, onset, cluster_id)."""
    return gpd.GeoDataFrame(
        {
            "onset_date": pd.to_datetime([r[2] for r in rows]),
            "cluster_id": [r[3] for r in rows],
        },
        geometry=[Point(r[0], r[1]) for r in rows],
        crs=crs,
    )


def landmarks_frame(rows, crs=UTM47) -> gpd.GeoDataFrame:
    """Rows of (x, y, name_th, name_en, category)."""
    return gpd.GeoDataFrame(
        {
            "name_th": [r[2] for r in rows],
            "name_en": [r[3] for r in rows],
            "category": [r[4] for r in rows],
        },
        geometry=[Point(r[0], r[1]) for r in rows],
        crs=crs,
    )


NO_LANDMARKS = landmarks_frame([])


@pytest.fixture
def two_clusters() -> gpd.GeoDataFrame:
    return cases_frame(
        [
            (0, 0, "2025-05-01", 0),
            (100, 0, "2025-05-06", 0),
            (5000, 0, "2025-05-20", 1),
            (5050, 0, "2025-05-25", 1),
            (5100, 0, "2025-05-30", 1),
            (9000, 0, "2025-05-10", -1),  # noise
        ]
    )


def test_each_cluster_is_summarised_newest_first(two_clusters):
    summaries = cluster_summaries(two_clusters, landmarks=NO_LANDMARKS, as_of=date(2025, 6, 1))
    assert [s.cluster_id for s in summaries] == [1, 0]
    newest, oldest = summaries
    assert (newest.n_cases, newest.first_onset, newest.last_onset) == (
        3,
        date(2025, 5, 20),
        date(2025, 5, 30),
    )
    assert (oldest.n_cases, oldest.first_onset, oldest.last_onset) == (
        2,
        date(2025, 5, 1),
        date(2025, 5, 6),
    )
    assert all(isinstance(s.cluster_id, int) for s in summaries)


@pytest.mark.parametrize(
    ("as_of", "active"),
    [
        (date(2025, 6, 2), True),  # 27 days after the last onset
        (date(2025, 6, 3), False),  # 28 days: closed
        (date(2025, 7, 1), False),
    ],
)
def test_a_cluster_closes_28_days_after_its_last_onset(two_clusters, as_of, active):
    oldest = cluster_summaries(two_clusters, landmarks=NO_LANDMARKS, as_of=as_of)[-1]
    assert oldest.closes_on == date(2025, 6, 3)
    assert oldest.active is active


@pytest.mark.parametrize("active_days", [7, 14, 28])
def test_closing_follows_active_days(two_clusters, active_days):
    oldest = cluster_summaries(
        two_clusters, landmarks=NO_LANDMARKS, as_of=date(2025, 5, 6), active_days=active_days
    )[-1]
    assert (oldest.closes_on - oldest.last_onset).days == active_days


def test_landmarks_within_the_link_distance_of_a_case_are_named(two_clusters):
    landmarks = landmarks_frame(
        [
            (0, 149, "วัดหนึ่ง", "Wat One", "temple"),  # 149 m from a case of cluster 0
            (250, 0, "", "School", "school"),  # 150 m from the case at x=100: on the edge
            (0, 400, "ตลาด", "Market", "market"),  # too far from cluster 0
            (5100, 100, "", "", "shrine"),  # no name
        ]
    )
    summaries = cluster_summaries(two_clusters, landmarks=landmarks, as_of=date(2025, 6, 1))
    by_id = {s.cluster_id: s for s in summaries}
    assert by_id[0].landmarks == [("วัดหนึ่ง", "temple"), ("School", "school")]
    assert by_id[1].landmarks == [("", "shrine")]


def test_area_is_the_union_of_half_distance_circles(two_clusters):
    oldest = cluster_summaries(
        two_clusters, landmarks=NO_LANDMARKS, as_of=date(2025, 6, 1), distance_m=150
    )[-1]
    assert oldest.area.contains(Point(50, 0))
    assert not oldest.area.contains(Point(0, 80))
    one_circle = 3.14159 * 75**2
    assert one_circle < oldest.area.area < 2 * one_circle  # two circles 100 m apart overlap


def test_no_clusters_no_summaries():
    noise = cases_frame([(0, 0, "2025-05-01", -1)])
    assert cluster_summaries(noise, landmarks=NO_LANDMARKS, as_of=date(2025, 6, 1)) == []


def test_degrees_are_refused(two_clusters):
    with pytest.raises(ValueError, match="metres"):
        cluster_summaries(
            two_clusters.set_crs("EPSG:4326", allow_override=True),
            landmarks=NO_LANDMARKS,
            as_of=date(2025, 6, 1),
        )


def test_a_missing_cluster_column_is_named(two_clusters):
    with pytest.raises(ValueError, match="cluster_id"):
        cluster_summaries(
            two_clusters.drop(columns="cluster_id"), landmarks=NO_LANDMARKS, as_of=date(2025, 6, 1)
        )


@settings(max_examples=40, deadline=None)
@given(
    points=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2000),
            st.integers(min_value=0, max_value=2000),
            st.integers(min_value=0, max_value=90),
        ),
        max_size=25,
    )
)
def test_summaries_account_for_every_clustered_case(points):
    frame = gpd.GeoDataFrame(
        {"onset_date": pd.Timestamp("2025-01-01") + pd.to_timedelta([p[2] for p in points], "D")},
        geometry=[Point(p[0], p[1]) for p in points],
        crs=UTM47,
    )
    clustered = space_time_clusters(frame, distance_m=150, window_days=14)
    summaries = cluster_summaries(clustered, landmarks=NO_LANDMARKS, as_of=date(2025, 3, 1))
    assert sum(s.n_cases for s in summaries) == int((clustered["cluster_id"] >= 0).sum())
    for s in summaries:
        assert s.n_cases >= 2
        assert s.first_onset <= s.last_onset < s.closes_on
        assert s.active == (date(2025, 3, 1) < s.closes_on)
    keys = [(s.last_onset, s.cluster_id) for s in summaries]
    assert keys == sorted(keys, reverse=True)
