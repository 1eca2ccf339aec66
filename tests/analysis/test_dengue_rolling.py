"""The out-of-sample backtest of spraying radii: follow-on cases, a rolling origin, and a no.

Hand-built frames pin the rules (what a follow-on case is, what covered means, which periods
are scored with which history); the simulator checks the verdicts against a known truth: with
a true 100 m step a wider radius loses, with a true 200 m step it wins.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from analysis.dengue import follow_on_cases, rolling_backtest
from fixtures.dengue_sim import TransmissionParams, shuffle_onsets, simulate_dengue_cases

UTM47 = "EPSG:32647"
SIM_AREA = box(600_000, 900_000, 610_000, 910_000)


def cases_frame(rows, *, report_delays=None) -> gpd.GeoDataFrame:
    onset = pd.to_datetime([r[2] for r in rows])
    frame = gpd.GeoDataFrame(
        {"onset_date": onset}, geometry=[Point(r[0], r[1]) for r in rows], crs=UTM47
    )
    if report_delays is not None:
        frame["report_date"] = onset + pd.to_timedelta(report_delays, unit="D")
    return frame


def simulated(step_max_m: float, seed: int, *, days: int = 730) -> gpd.GeoDataFrame:
    params = TransmissionParams(
        step_max_m=step_max_m,
        offspring_mean=0.5,
        offspring_dispersion=100.0,
        background_cases_per_week=20.0,
    )
    return simulate_dengue_cases(
        area=SIM_AREA, crs=UTM47, start_date="2024-01-01", days=days, params=params, seed=seed
    )


# --- Follow-on cases do not depend on the radius ------------------------------------------------


def test_follow_on_cases_reach_one_kilometre_and_eight_to_thirty_five_days():
    cases = cases_frame(
        [
            (0, 0, "2025-01-01"),  # index
            (400, 0, "2025-01-20"),  # 400 m, 19 days: follows
            (0, 990, "2025-02-05"),  # 990 m, 35 days: follows (limits inclusive)
            (30, 0, "2025-01-05"),  # 30 m but 4 days: too soon, follows nothing
            (1500, 0, "2025-01-20"),  # 1.5 km from the index, 1.1 km from the 400 m case
            (0, -50, "2025-03-20"),  # 78 days after the index, 44 after the last: follows none
        ]
    )

    found = follow_on_cases(cases)

    assert found["follow_on"].tolist() == [False, True, True, False, False, False]
    assert found["distance_m"].iloc[1] == pytest.approx(
        370
    )  # the nearest earlier case, 15 days before
    assert found["distance_m"].iloc[2] == pytest.approx(990)
    assert math.isnan(found["distance_m"].iloc[0])


def test_a_100_m_radius_does_not_cover_every_follow_on_case_by_construction():
    # The old rule counted only cases within 100 m as secondary, so 100 m scored 100%.
    cases = cases_frame(
        [(0, 0, "2025-01-01"), (60, 0, "2025-01-20"), (300, 0, "2025-01-25")]
        + [(5000 + 10 * k, 0, f"2025-0{1 + k // 28}-{1 + k % 28:02d}") for k in range(3)]
    )

    result = rolling_backtest(
        cases, radii_m=(100, 300), min_train_days=0, choose_radius=lambda train: None
    )

    at_100, at_300 = result.option(100), result.option(300)
    assert result.n_follow_on == 2
    assert (at_100.covered, at_300.covered) == (1, 2)
    assert at_100.share == 0.5


def test_a_case_is_covered_only_by_a_zone_sprayed_before_its_onset():
    cases = cases_frame([(0, 0, "2025-01-01"), (50, 0, "2025-01-20")], report_delays=[25, 1])

    late = rolling_backtest(
        cases, report_col="report_date", min_train_days=0, choose_radius=lambda train: None
    )
    from_onset = rolling_backtest(cases, min_train_days=0, choose_radius=lambda train: None)

    assert late.option(100).covered == 0
    assert from_onset.option(100).covered == 1


# --- The rolling origin ---------------------------------------------------------------------------


def test_each_quarter_is_scored_with_the_radius_chosen_from_the_history_before_it():
    cases = simulated(100, seed=21, days=540)
    seen: list[pd.Timestamp] = []

    def choose(train: gpd.GeoDataFrame) -> float:
        seen.append(train["onset_date"].max())
        return 150.0

    result = rolling_backtest(cases, choose_radius=choose, bootstrap=0, min_train_days=180)

    starts = [pd.Timestamp(p.start) for p in result.periods]
    assert starts == [
        pd.Timestamp(s) for s in ("2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01")
    ]
    assert all(latest < start for latest, start in zip(seen, starts, strict=True))
    assert all(p.chosen_m == 150 for p in result.periods)
    # The rule sprayed 150 m everywhere, so it scores exactly like the fixed 150 m option.
    assert result.rule.covered == result.option(150).covered
    assert result.rule.area_km2 == pytest.approx(result.option(150).area_km2)
    assert sum(p.follow_on for p in result.periods) == result.n_follow_on


def test_too_little_history_scores_nothing_and_keeps_the_policy():
    cases = cases_frame([(0, 0, "2025-01-01"), (60, 0, "2025-01-20")])

    result = rolling_backtest(cases)

    assert result.periods == ()
    assert result.n_follow_on == 0
    assert (result.supported_m, result.verdict) == (100, "insufficient")
    assert result.option(100).share is None


# --- Verdicts on the simulator: a larger radius can lose ------------------------------------------


@pytest.fixture(scope="module")
def step_100():
    return rolling_backtest(simulated(100, seed=11), report_col="report_date", seed=1)


@pytest.fixture(scope="module")
def step_200():
    return rolling_backtest(simulated(200, seed=11), report_col="report_date", seed=1)


def test_with_a_true_100_m_step_a_wider_radius_loses(step_100):
    per_km2 = {o.radius_m: o.share_per_km2 for o in step_100.options}

    assert per_km2[100] > per_km2[200]
    assert per_km2[125] > per_km2[200]
    assert step_100.option(50).share < step_100.option(100).share
    assert (step_100.supported_m, step_100.verdict) == (100, "policy")
    # Out to 100 m every step covers more than chance would; the step to 125 m covers less.
    for radius in (75, 100):
        assert step_100.option(radius).gain_low > step_100.option(radius).chance_gain
    assert step_100.option(125).gain < step_100.option(125).chance_gain


def test_with_a_true_200_m_step_the_wider_radius_wins(step_200):
    assert (step_200.supported_m, step_200.verdict) == (200, "wider")
    assert step_200.option(200).share > step_200.option(100).share
    assert step_200.option(300).gain < step_200.option(300).chance_gain


def test_intervals_hold_the_estimate_and_json_is_valid(step_100):
    for option in step_100.options:
        assert option.share_low <= option.share <= option.share_high
        assert option.secondary == step_100.n_follow_on
    text = json.dumps(step_100.to_dict(), allow_nan=False)
    assert '"radius_m": 100.0' in text


def test_shuffled_onsets_give_no_reason_to_leave_the_policy():
    cases = shuffle_onsets(simulated(100, seed=12), seed=5)

    result = rolling_backtest(cases, seed=2, choose_radius=lambda t: None)

    assert (result.supported_m, result.verdict) == (100, "policy")
    for option in result.options[1:]:
        assert option.gain_low <= option.chance_gain <= option.gain_high


def test_households_inside_each_option_grow_with_the_radius():
    cases = simulated(100, seed=13, days=400)
    rng = np.random.default_rng(0)
    homes = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            rng.uniform(600_000, 610_000, 4000), rng.uniform(900_000, 910_000, 4000)
        ),
        crs=UTM47,
    )

    result = rolling_backtest(cases, homes, bootstrap=0, choose_radius=lambda t: None)

    counts = [o.households for o in result.options]
    assert all(c is not None for c in counts)
    assert counts == sorted(counts)
    assert counts[-1] > counts[0] > 0


def test_bad_settings_are_refused():
    cases = cases_frame([(0, 0, "2025-01-01")])
    with pytest.raises(ValueError, match="round_days"):
        rolling_backtest(cases, round_days=())
    with pytest.raises(ValueError, match="follow_min_days"):
        rolling_backtest(cases, follow_min_days=40)
    with pytest.raises(ValueError, match="radius_m"):
        rolling_backtest(cases, radii_m=(0,))
