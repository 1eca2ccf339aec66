"""The endemic channel selector against the demo database and the OpenDengue subset on disk."""

from __future__ import annotations

import csv
import statistics
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from analysis.dengue import channel_alert, epi_curve, epi_week_number
from layers.dengue.channel import (
    OPENDENGUE_DIR,
    OPENDENGUE_FILE,
    ChannelMissing,
    ChannelSource,
    dengue_channel,
    dengue_channel_compute,
    province_series,
)
from layers.models import DengueCase, Municipality

PLAN_DAY = date(2026, 11, 21)  # the demo's "today"; its cases run 16 Nov 2025 to 15 Nov 2026
NST_POPULATION = 104_354  # fixtures/load.py: registered, 2017
NST_PROVINCE_POPULATION = 1_561_927  # fixtures/data/opendengue/provinces.csv: registered, 2019


def province_daily_rates(name: str) -> dict[date, float]:
    """Each day's share of its month's count, read straight from the CSV (no pandas)."""
    path = Path(settings.MUEANG_DATA_DIR) / OPENDENGUE_DIR / OPENDENGUE_FILE
    rates: dict[date, float] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["adm_1_name"] != name or row["T_res"] != "Month":
                continue
            start = date.fromisoformat(row["calendar_start_date"])
            end = date.fromisoformat(row["calendar_end_date"])
            days = (end - start).days + 1
            for k in range(days):
                rates[start + timedelta(days=k)] = float(row["dengue_total"]) / days
    return rates


def sunday_of_week(year: int, week: int) -> date:
    jan4 = date(year, 1, 4)
    return jan4 - timedelta(days=(jan4.weekday() + 1) % 7) + timedelta(weeks=week - 1)


def test_the_demo_town_takes_its_channel_from_the_province_scaled_by_population(nst):
    channel = dengue_channel_compute(municipality=nst, on=PLAN_DAY)

    assert channel.source == ChannelSource.PROVINCE
    assert channel.province == "NAKHON SI THAMMARAT"
    assert (channel.first_year, channel.last_year) == (2018, 2022)  # OpenDengue ends in 2022
    assert (channel.population, channel.province_population) == (
        NST_POPULATION,
        NST_PROVINCE_POPULATION,
    )
    assert channel.province_population_year == 2019
    assert "nso.go.th" in channel.province_population_source
    assert len(channel.weeks) == 52
    assert all(w.median is not None for w in channel.weeks)


@pytest.mark.parametrize("index", [0, 20, 51])
def test_each_week_is_the_median_and_quartiles_of_the_scaled_province_weeks(nst, index):
    """Recomputed by hand: the same epi week of 2018-2022, day by day from the monthly rows."""
    channel = dengue_channel_compute(municipality=nst, on=PLAN_DAY)
    shown = channel.weeks[index]
    _year, week = epi_week_number(shown.week_start)
    rates = province_daily_rates("NAKHON SI THAMMARAT")
    ratio = NST_POPULATION / NST_PROVINCE_POPULATION

    values = []
    for year in range(2018, 2023):
        sunday = sunday_of_week(year, min(week, 52))  # none of 2018-2022 has a week 53
        values.append(sum(rates[sunday + timedelta(days=k)] for k in range(7)) * ratio)
    values.sort()

    assert shown.median == pytest.approx(values[2], abs=1e-3)
    assert shown.q1 == pytest.approx(values[1], abs=1e-3)
    assert shown.q3 == pytest.approx(values[3], abs=1e-3)
    assert shown.median == pytest.approx(statistics.median(values), abs=1e-3)


def test_observed_weeks_are_the_epidemic_curve_of_cases_reported_by_then(nst):
    channel = dengue_channel_compute(municipality=nst, on=PLAN_DAY)
    onsets = DengueCase.objects.filter(municipality=nst, report_date__lte=PLAN_DAY).values_list(
        "onset_date", flat=True
    )
    curve = epi_curve(list(onsets), last_day=PLAN_DAY, weeks=52)

    assert [w.week_start for w in channel.weeks] == list(curve["week_start"])
    assert [w.observed for w in channel.weeks] == list(curve["n_cases"])
    assert sum(w.observed for w in channel.weeks) == 155  # of 156: one onset (21 Nov 2025) is older


def test_the_alert_reads_the_latest_weeks_against_the_upper_quartile(nst):
    channel = dengue_channel_compute(municipality=nst, on=PLAN_DAY)
    weeks = channel.weeks
    last = -1 if weeks[-1].observed > (weeks[-1].q3 or 0) else -2
    run = 0
    while weeks[last - run].observed > (weeks[last - run].q3 or float("inf")):
        run += 1

    assert channel.alert is not None
    assert channel.alert.alert == (run > 0)
    assert channel.alert.weeks_above == run
    assert channel.alert.latest_week == weeks[last].week_start


def test_the_channel_is_cached_per_data_version(nst):
    first = dengue_channel(municipality=nst, on=PLAN_DAY)
    again = dengue_channel(municipality=nst, on=PLAN_DAY)
    assert first == again == dengue_channel_compute(municipality=nst, on=PLAN_DAY)

    template = DengueCase.objects.filter(municipality=nst).first()
    DengueCase.objects.create(
        municipality=nst,
        onset_date=date(2026, 11, 16),
        report_date=date(2026, 11, 18),
        diagnosis=DengueCase.Diagnosis.DF,
        geom=template.geom,
        is_generated=True,
    )
    after = dengue_channel(municipality=nst, on=PLAN_DAY)

    assert after.weeks[-1].observed == first.weeks[-1].observed + 1


def _cases(municipality: Municipality, onset: date, n: int) -> None:
    template = DengueCase.objects.filter(municipality__code="nakhon-si-thammarat").first()
    for _ in range(n):
        DengueCase.objects.create(
            municipality=municipality,
            onset_date=onset,
            report_date=onset + timedelta(days=2),
            diagnosis=DengueCase.Diagnosis.DF,
            geom=template.geom,
            is_generated=True,
        )


def test_a_town_with_five_years_of_its_own_cases_uses_them(nst):
    # Week 46 (Wednesday in mid-November) of 2021-2025: 1, 3, 0, 2, 5 cases -> 0, 1, 2, 3, 5.
    _cases(nst, sunday_of_week(2020, 47) + timedelta(days=3), 1)  # the records reach into 2020
    for year, n in zip(range(2021, 2026), [1, 3, 0, 2, 5], strict=True):
        _cases(nst, sunday_of_week(year, 46) + timedelta(days=3), n)

    channel = dengue_channel_compute(municipality=nst, on=PLAN_DAY)

    assert channel.source == ChannelSource.OWN
    assert (channel.first_year, channel.last_year) == (2020, 2025)
    last = channel.weeks[-1]
    assert epi_week_number(last.week_start) == (2026, 46)
    assert (last.q1, last.median, last.q3) == (1.0, 2.0, 3.0)
    assert channel.weeks[0].median == 0.0  # week 48 of 2020-2024: no case


def test_a_town_whose_records_start_four_years_back_falls_back_to_the_province(nst):
    for year in range(2021, 2026):
        _cases(nst, sunday_of_week(year, 46) + timedelta(days=3), 2)

    channel = dengue_channel_compute(municipality=nst, on=PLAN_DAY)

    assert channel.source == ChannelSource.PROVINCE


def test_chon_buri_has_no_population_so_no_channel_and_says_why(chon):
    channel = dengue_channel_compute(municipality=chon, on=PLAN_DAY)

    assert chon.population is None
    assert province_series(municipality=chon).name == "CHONBURI"  # the crosswalk's spelling
    assert channel.source == ChannelSource.NONE
    assert channel.missing == ChannelMissing.NO_POPULATION
    assert not channel.has_channel
    assert channel.alert is None
    assert len(channel.weeks) == 52


def test_a_town_in_a_province_without_a_series_has_no_channel(nst):
    nst.province_en, nst.province_th = "Atlantis", "แอตแลนติส"

    channel = dengue_channel_compute(municipality=nst, on=PLAN_DAY)

    assert channel.source == ChannelSource.NONE
    assert channel.missing == ChannelMissing.NO_SERIES
    assert sum(w.observed for w in channel.weeks) == 155  # the curve is still there


def test_the_thai_province_name_finds_the_series_too(nst):
    nst.province_en = ""

    assert province_series(municipality=nst).name == "NAKHON SI THAMMARAT"


def test_the_demo_alert_agrees_with_the_pure_function(nst):
    import pandas as pd

    channel = dengue_channel_compute(municipality=nst, on=PLAN_DAY)
    frame = pd.DataFrame(
        {"week_start": [w.week_start for w in channel.weeks], "q3": [w.q3 for w in channel.weeks]}
    )

    expected = channel_alert(frame, observed=[w.observed for w in channel.weeks])

    assert channel.alert.alert == expected.alert
    assert channel.alert.weeks_above == expected.weeks_above
