"""Backtest of a spraying radius: secondary cases inside earlier sprayed zones."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from analysis.dengue import backtest, backtest_against_policy

UTM47 = "EPSG:32647"


def cases_frame(rows, *, report_delays=None) -> gpd.GeoDataFrame:
    onset = pd.to_datetime([r[2] for r in rows])
    frame = gpd.GeoDataFrame(
        {"onset_date": onset}, geometry=[Point(r[0], r[1]) for r in rows], crs=UTM47
    )
    if report_delays is not None:
        frame["report_date"] = onset + pd.to_timedelta(report_delays, unit="D")
    return frame


@pytest.fixture
def outbreak() -> gpd.GeoDataFrame:
    return cases_frame(
        [
            (0, 0, "2025-01-01"),  # index case
            (60, 0, "2025-01-20"),  # secondary (60 m, 19 days): inside 100 m
            (0, 90, "2025-02-01"),  # secondary (90 m, 31 days): inside 100 m
            (-140, 0, "2025-01-25"),  # 140 m: secondary only with a 150 m rule
            (0, -50, "2025-03-20"),  # 78 days after the index case, 0 within 35 days: not secondary
        ]
    )


def test_share_of_secondary_cases_inside_an_earlier_sprayed_zone(outbreak):
    # Secondary cases follow DESIGN.md (8-35 days, within 1 km), not the radius tested: the
    # case at 140 m counts, and 100 m does not cover it.
    result = backtest(outbreak, radius_m=100)

    assert (result.n_cases, result.n_secondary, result.n_covered) == (5, 3, 2)
    assert result.share_covered == pytest.approx(2 / 3)
    assert result.sprayed_area_km2 == pytest.approx(
        backtest(outbreak, radius_m=100, secondary_distance_m=1).sprayed_area_km2
    )
    assert result.share_per_km2 == pytest.approx(2 / 3 / result.sprayed_area_km2)


def test_the_old_100_m_secondary_rule_covered_everything_at_100_m(outbreak):
    old_rule = backtest(outbreak, radius_m=100, secondary_min_days=16, secondary_distance_m=100)

    assert (old_rule.n_secondary, old_rule.n_covered) == (2, 2)


def test_a_wider_secondary_rule_finds_a_case_the_100_m_zone_misses(outbreak):
    at_100 = backtest(outbreak, radius_m=100, secondary_distance_m=150)
    at_150 = backtest(outbreak, radius_m=150, secondary_distance_m=150)

    assert (at_100.n_secondary, at_100.n_covered) == (3, 2)
    assert (at_150.n_secondary, at_150.n_covered) == (3, 3)
    assert at_150.sprayed_area_km2 > at_100.sprayed_area_km2


def test_spraying_after_the_secondary_onset_does_not_count():
    cases = cases_frame([(0, 0, "2025-01-01"), (50, 0, "2025-01-20")], report_delays=[25, 1])

    late = backtest(cases, radius_m=100, report_col="report_date")
    from_onset = backtest(cases, radius_m=100)

    assert (late.n_secondary, late.n_covered) == (1, 0)
    assert (from_onset.n_secondary, from_onset.n_covered) == (1, 1)
    assert backtest(cases, radius_m=100, report_col="report_date", round_days=(0, 7)).n_covered == 0


def test_no_secondary_cases_gives_no_share():
    cases = cases_frame([(0, 0, "2025-01-01"), (5000, 0, "2025-01-20")])

    result = backtest(cases, radius_m=100)

    assert result.n_secondary == 0
    assert result.share_covered is None
    assert result.share_per_km2 is None
    assert result.sprayed_area_km2 == pytest.approx(2 * math.pi * 0.1**2, rel=2e-3)


def test_comparison_with_the_100_m_policy(outbreak):
    comparison = backtest_against_policy(outbreak, radius_m=150, secondary_distance_m=150)

    assert comparison.policy.radius_m == 100
    assert comparison.candidate.radius_m == 150
    assert comparison.share_ratio == pytest.approx(1.5)
    expected = (3 / 3 / comparison.candidate.sprayed_area_km2) / (
        2 / 3 / comparison.policy.sprayed_area_km2
    )
    assert comparison.share_per_km2_ratio == pytest.approx(expected)
    assert comparison.to_dict()["candidate"]["n_covered"] == 3


def test_bad_settings_are_refused(outbreak):
    with pytest.raises(ValueError, match="round_days"):
        backtest(outbreak, radius_m=100, round_days=())
    with pytest.raises(ValueError, match="secondary_min_days"):
        backtest(outbreak, radius_m=100, secondary_min_days=40)
    with pytest.raises(ValueError, match=r"no column\(s\) 'report_date'"):
        backtest(outbreak, radius_m=100, report_col="report_date")
    with pytest.raises(ValueError, match="geographic"):
        backtest(outbreak.set_crs(4326, allow_override=True), radius_m=100)
