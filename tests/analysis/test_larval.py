"""Larval indices: hand-computed surveys, the repeat-visit rule, refusals and properties."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.larval import (
    DDC_CONTAINER_TYPES,
    ContainerType,
    LarvalIndices,
    RiskThresholds,
    SurveyInputError,
    larval_indices,
)
from analysis.larval_cli import read_survey_csv

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "data" / "larval" / "survey_sample.csv"
COLUMNS = ["house_id", "place_type", "container_type", "location", "containers", "positive"]


def survey(*rows: tuple, columns: list[str] | None = None) -> pd.DataFrame:
    """A text table as a CSV would give it (every cell a string)."""
    return pd.DataFrame([[str(v) for v in row] for row in rows], columns=columns or COLUMNS)


def refusal(table: pd.DataFrame, **kwargs) -> SurveyInputError:
    with pytest.raises(SurveyInputError) as caught:
        larval_indices(table, **kwargs)
    return caught.value


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_survey_csv(SAMPLE)


# --- the sample, by hand ---------------------------------------------------------------------


def test_sample_totals_match_the_hand_computation(sample):
    total = larval_indices(sample).total
    # Counted visits. Round 1: H01 (9 containers, 3 positive), H02 (7, 0), H03 on 5 June (2, 1),
    # H04 (none), H05 on 3 June (4, 1), S01 (13, 0), H07 (7, 3), H09 (3, 0), T01 (5, 1).
    # Round 2: H01 (4, 0), H02 (5, 1).
    assert total.houses_surveyed == 9 + 2
    assert total.houses_positive == 5 + 1  # H01 H03 H05 H07 T01; H02 in round 2
    assert total.containers == 9 + 7 + 2 + 0 + 4 + 13 + 7 + 3 + 5 + 4 + 5
    assert total.containers_positive == 3 + 1 + 1 + 3 + 1 + 1
    assert total.hi == pytest.approx(100 * 6 / 11)
    assert total.ci == pytest.approx(100 * 10 / 59)
    assert total.bi == pytest.approx(100 * 10 / 11)
    assert (total.houses_vacant, total.houses_refused, total.houses_closed) == (1, 1, 0)
    assert total.houses_without_containers == 1  # H04


def test_rounding_happens_only_at_output(sample):
    out = larval_indices(sample).to_dict()
    assert (out["hi"], out["ci"], out["bi"]) == (54.55, 16.95, 90.91)


def test_sample_per_round(sample):
    groups = dict(larval_indices(sample, by="round").groups)
    assert list(groups) == ["1", "2"]
    one, two = groups["1"], groups["2"]
    assert (one.houses_surveyed, one.houses_positive, one.containers, one.containers_positive) == (
        9,
        5,
        50,
        9,
    )
    assert (two.houses_surveyed, two.houses_positive, two.containers, two.containers_positive) == (
        2,
        1,
        9,
        1,
    )
    assert one.hi == pytest.approx(100 * 5 / 9)
    assert one.ci == pytest.approx(18.0)
    assert one.bi == pytest.approx(100.0)


def test_sample_per_zone_and_risk(sample):
    result = larval_indices(sample, by="zone")
    z1, z2 = (indices for _, indices in result.groups)
    assert (z1.houses_surveyed, z1.houses_positive, z1.containers, z1.containers_positive) == (
        8,
        4,
        44,
        6,
    )
    assert (z2.houses_surveyed, z2.houses_positive, z2.containers, z2.containers_positive) == (
        3,
        2,
        15,
        4,
    )
    # Z1 holds communities and a school: no single index judges it.
    assert z1.risk(RiskThresholds()) is None
    assert z1.houses_refused == 1
    assert z2.houses_vacant == 1


def test_communities_by_hi_other_places_by_ci(sample):
    groups = dict(larval_indices(sample, by="place_type").groups)
    thresholds = RiskThresholds()
    assert groups["community"].risk(thresholds) == {"index": "hi", "level": "high"}  # 55.56
    assert groups["religious"].risk(thresholds) == {"index": "ci", "level": "high"}  # 20.0
    assert groups["school"].risk(thresholds) == {"index": "ci", "level": "low"}  # 0.0


def test_repeat_visits_are_flagged_with_the_visit_counted(sample):
    repeats = [visit.to_dict() for visit in larval_indices(sample).repeat_visits]
    assert repeats == [
        {
            "house_id": "H03",
            "round": "1",
            "survey_date": "2025-06-02",
            "counted_date": "2025-06-05",
        },
        {
            "house_id": "H05",
            "round": "1",
            "survey_date": "2025-06-02",
            "counted_date": "2025-06-03",
        },
    ]


def test_group_values_in_thai_are_kept(sample):
    values = [value for value, _ in larval_indices(sample, by="community").groups]
    assert sorted(values) == values
    assert "ชุมชนตลาด" in values
    assert "โรงเรียนเทศบาล 1" in values


# --- the repeat-visit rule -------------------------------------------------------------------

VISIT_COLUMNS = [*COLUMNS, "survey_date", "status"]


def test_latest_visit_counts_and_containers_are_not_doubled():
    table = survey(
        ("A", "community", "น้ำใช้", "indoor", 5, 2, "2025-06-01", ""),
        ("A", "community", "น้ำใช้", "indoor", 5, 0, "2025-06-04", ""),
        ("B", "community", "แจกัน", "indoor", 2, 0, "2025-06-01", ""),
        columns=VISIT_COLUMNS,
    )
    total = larval_indices(table).total
    assert (total.houses_surveyed, total.houses_positive) == (2, 0)
    assert (total.containers, total.containers_positive) == (7, 0)  # not 12: one visit of A


def test_a_later_closed_visit_does_not_undo_a_survey():
    table = survey(
        ("A", "community", "น้ำใช้", "indoor", 3, 1, "2025-06-01", ""),
        ("A", "community", "", "", "", "", "2025-06-08", "closed"),
        columns=VISIT_COLUMNS,
    )
    result = larval_indices(table)
    assert (result.total.houses_surveyed, result.total.houses_positive) == (1, 1)
    assert result.total.houses_closed == 0
    assert [v.to_dict()["survey_date"] for v in result.repeat_visits] == ["2025-06-08"]


def test_a_house_never_surveyed_counts_once_by_its_latest_status():
    table = survey(
        ("A", "community", "", "", "", "", "2025-06-01", "closed"),
        ("A", "community", "", "", "", "", "2025-06-03", "refused"),
        columns=VISIT_COLUMNS,
    )
    total = larval_indices(table).total
    assert (total.houses_closed, total.houses_refused, total.houses_surveyed) == (0, 1, 0)


def test_the_same_house_in_two_rounds_counts_in_each():
    table = survey(
        ("A", "community", "1", "indoor", 2, 1, "1"),
        ("A", "community", "1", "indoor", 2, 0, "2"),
        columns=[*COLUMNS, "round"],
    )
    result = larval_indices(table, by="round")
    assert result.total.houses_surveyed == 2
    assert result.repeat_visits == ()
    assert [g.houses_positive for _, g in result.groups] == [1, 0]


# --- types, statuses, zero denominators ------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "number"),
    [
        ("1", "น้ำใช้"),
        ("๑", "น้ำใช้"),
        ("01", "น้ำใช้"),
        ("8", "กากใบพืช"),  # TanRabad's spelling before 1.1.1
        ("10", "อื่น ๆ"),
        ("12", "ตู้เย็น"),
    ],
)
def test_ddc_numbers_and_thai_names_are_the_same_type(spelling, number):
    as_number = survey(("A", "community", spelling, "indoor", 3, 1))
    as_name = survey(("A", "community", number, "indoor", 3, 1))
    assert larval_indices(as_number).total == larval_indices(as_name).total
    both = survey(
        ("A", "community", spelling, "indoor", 3, 1), ("A", "community", number, "indoor", 1, 0)
    )
    assert refusal(both).problems[0].field == "container_type"  # one type, twice in a visit


def test_vacant_refused_closed_are_counted_not_surveyed():
    surveyed = survey(("A", "community", "1", "indoor", 4, 1), columns=COLUMNS)
    with_statuses = survey(
        ("A", "community", "1", "indoor", 4, 1, ""),
        ("B", "community", "", "", "", "", "vacant"),
        ("C", "community", "", "", "", "", "refused"),
        ("D", "community", "", "", "0", "0", "closed"),
        columns=[*COLUMNS, "status"],
    )
    plain, counted = larval_indices(surveyed).total, larval_indices(with_statuses).total
    assert (counted.hi, counted.ci, counted.bi) == (plain.hi, plain.ci, plain.bi) == (100, 25, 100)
    assert (counted.houses_vacant, counted.houses_refused, counted.houses_closed) == (1, 1, 1)


def test_zero_denominators_are_null_not_zero():
    only_closed = survey(("A", "community", "", "", "", "", "closed"), columns=[*COLUMNS, "status"])
    total = larval_indices(only_closed).total
    assert (total.hi, total.ci, total.bi) == (None, None, None)
    no_containers = larval_indices(survey(("A", "community", "", "", 0, 0))).total
    assert (no_containers.hi, no_containers.ci, no_containers.bi) == (0, None, 0)
    assert no_containers.houses_without_containers == 1
    assert no_containers.risk(RiskThresholds()) == {"index": "hi", "level": "low"}
    empty = larval_indices(pd.DataFrame(columns=COLUMNS)).to_dict()
    assert (empty["houses_surveyed"], empty["hi"], empty["ci"], empty["bi"]) == (
        0,
        None,
        None,
        None,
    )


def test_a_municipality_list_replaces_the_ddc_list():
    table = survey(("A", "community", "11", "indoor", 2, 1))
    problem = refusal(table).problems[0]
    assert problem.field == "container_type"
    assert "'11'" in problem.reason_en
    bowl = ContainerType(11, "ชามน้ำสัตว์เลี้ยง", "pet water bowl")
    total = larval_indices(table, container_types=[*DDC_CONTAINER_TYPES, bowl]).total
    assert total.containers_positive == 1
    named = survey(("A", "community", "ชามน้ำสัตว์เลี้ยง", "indoor", 2, 1))
    assert larval_indices(named, container_types=[bowl]).total == total


def test_typed_cells_from_a_database_give_the_same_answer(sample):
    typed = sample.copy()
    for column in ("containers", "positive"):
        typed[column] = pd.to_numeric(typed[column].replace("", None)).astype("Int64")
    typed["survey_date"] = pd.to_datetime(typed["survey_date"]).dt.date
    typed["round"] = typed["round"].astype(int)
    assert larval_indices(typed).total == larval_indices(sample).total


@pytest.mark.parametrize(
    ("value", "level"),
    [(0.0, "low"), (10.0, "low"), (10.01, "moderate"), (50.0, "moderate"), (50.01, "high")],
)
def test_hi_bands_include_their_upper_bound(value, level):
    assert RiskThresholds().level("hi", value) == level


@pytest.mark.parametrize(
    ("value", "level"), [(0.0, "low"), (0.1, "moderate"), (5.0, "moderate"), (5.1, "high")]
)
def test_ci_bands_include_their_upper_bound(value, level):
    assert RiskThresholds().level("ci", value) == level


def test_thresholds_are_overridable_and_checked():
    custom = RiskThresholds(hi_low_max=5, hi_moderate_max=20)
    assert custom.level("hi", 10) == "moderate"
    with pytest.raises(ValueError, match="HI bands"):
        RiskThresholds(hi_low_max=60, hi_moderate_max=50)
    with pytest.raises(ValueError, match="CI bands"):
        RiskThresholds(ci_low_max=float("nan"))


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field", "english", "thai"),
    [
        (
            ("A", "community", "1", "indoor", 2, 3),
            "positive",
            "3 positive containers is more than the 2",
            "มากกว่าจำนวนภาชนะ 2",
        ),
        (("A", "community", "1", "indoor", -2, 0), "containers", "negative number -2", "จำนวนลบ"),
        (
            ("A", "community", "1", "indoor", "2.5", 0),
            "containers",
            "not a whole number",
            "ไม่ใช่จำนวนเต็ม",
        ),
        (
            ("A", "community", "1", "indoor", "1e9", 0),
            "containers",
            "not a whole number",
            "ไม่ใช่จำนวนเต็ม",
        ),
        (
            ("A", "community", "1", "indoor", 10**30, 0),
            "containers",
            "more than 10,000",
            "มากกว่า 10,000",
        ),
        (
            ("A", "community", "โอ่งยักษ์", "indoor", 1, 0),
            "container_type",
            "unknown container type",
            "ไม่รู้จักประเภทภาชนะ",
        ),
        (
            ("A", "temple", "1", "indoor", 1, 0),
            "place_type",
            "unknown place_type 'temple'",
            "ไม่รู้จัก",
        ),
        (("A", "community", "1", "roof", 1, 0), "location", "unknown location 'roof'", "ไม่รู้จัก"),
        (("A", "community", "1", "", 1, 0), "location", "empty; use indoor or outdoor", "ว่าง"),
        (
            ("A", "community", "", "", 3, 0),
            "container_type",
            "empty while containers are counted",
            "ไม่ระบุประเภทภาชนะ",
        ),
        (
            ('=HYPERLINK("x")', "community", "1", "indoor", 1, 0),
            "house_id",
            "spreadsheet formula",
            "สูตร",
        ),
        (("", "community", "1", "indoor", 1, 0), "house_id", "a value is required", "ต้องมีค่า"),
        (
            ("A", "community", "1", "indoor", "", 0),
            "containers",
            "a number is required",
            "ต้องระบุจำนวน",
        ),
    ],
)
def test_bad_rows_are_refused_naming_row_field_and_reason(row, field, english, thai):
    table = survey(("OK", "community", "1", "indoor", 1, 0), row)
    error = refusal(table)
    problem = error.problems[0]
    assert (problem.row, problem.field) == (1, field)
    assert english in problem.reason_en
    assert thai in problem.reason_th
    assert f"แถว 1 คอลัมน์ {field}" in str(error)
    assert f"row 1, field {field}" in str(error)


def test_line_numbers_when_the_index_is_named_line():
    table = survey(("A", "community", "1", "indoor", 1, 2))
    table.index = pd.RangeIndex(2, 3, name="line")
    message = str(refusal(table))
    assert "บรรทัด 2 คอลัมน์ positive" in message
    assert "line 2, field positive" in message


def test_a_vacant_house_with_containers_is_refused():
    table = survey(("A", "community", "1", "indoor", 2, 0, "vacant"), columns=[*COLUMNS, "status"])
    assert refusal(table).problems[0].field == "status"


def test_a_buddhist_era_date_is_refused_with_the_hint():
    table = survey(
        ("A", "community", "1", "indoor", 1, 0, "2568-06-01"), columns=[*COLUMNS, "survey_date"]
    )
    problem = refusal(table).problems[0]
    assert problem.field == "survey_date"
    assert "subtract 543" in problem.reason_en


def test_a_house_with_two_place_types_is_refused():
    table = survey(("A", "community", "1", "indoor", 1, 0), ("A", "school", "2", "indoor", 1, 0))
    problem = refusal(table).problems[0]
    assert (problem.row, problem.field) == (1, "place_type")
    assert "'school' differs from 'community'" in problem.reason_en


def test_the_same_type_twice_in_a_visit_names_the_first_row():
    table = survey(
        ("A", "community", "1", "indoor", 1, 0), ("A", "community", "น้ำใช้", "indoor", 2, 0)
    )
    problem = refusal(table).problems[0]
    assert (problem.row, problem.field) == (1, "container_type")
    assert "as row 0" in problem.reason_en
    assert "add them up" in problem.reason_en


def test_grouping_by_a_container_level_column_is_refused():
    table = survey(
        ("A", "community", "1", "indoor", 1, 0), ("A", "community", "1", "outdoor", 1, 0)
    )
    assert refusal(table, by="location").problems[0].field == "--by"


def test_missing_columns_and_group_column_are_named():
    with pytest.raises(ValueError, match=r"missing column.*positive"):
        larval_indices(pd.DataFrame(columns=COLUMNS[:-1]))
    with pytest.raises(ValueError, match="no column 'zone'"):
        larval_indices(pd.DataFrame(columns=COLUMNS), by="zone")


def test_every_problem_is_counted_and_the_first_twenty_listed():
    table = survey(*[("A", "community", "1", "indoor", 1, 5)] * 30)
    error = refusal(table)
    assert error.total == 30
    assert len(error.problems) == 20
    assert [p.row for p in error.problems] == list(range(20))
    assert "and 10 more problem(s)" in str(error)


# --- properties ------------------------------------------------------------------------------

STATUS_CHOICES = ["", "", "", "vacant", "refused", "closed"]


@st.composite
def surveys(draw) -> pd.DataFrame:
    """Random valid surveys: houses in zones, one or two rounds, repeat visits, statuses."""
    rows = []
    n_houses = draw(st.integers(0, 12))
    for house in range(n_houses):
        place = draw(st.sampled_from(["community", "community", "school", "religious"]))
        zone = draw(st.sampled_from(["Z1", "Z2", "Z3"]))
        for day in draw(st.sets(st.integers(1, 20), min_size=1, max_size=3)):
            round_ = draw(st.sampled_from(["1", "2"]))
            date = (dt.date(2025, 6, 1) + dt.timedelta(days=day)).isoformat()
            status = draw(st.sampled_from(STATUS_CHOICES))
            base = [f"H{house}", place, zone, round_, date, status]
            if status:
                rows.append([*base, "", "", "", ""])
                continue
            kinds = draw(
                st.sets(
                    st.tuples(
                        st.sampled_from([0, 1, 2, 3, 7, 12]), st.sampled_from(["indoor", "outdoor"])
                    ),
                    max_size=4,
                )
            )
            if not kinds:
                rows.append([*base, "", "", "0", "0"])
            for kind, location in kinds:
                containers = draw(st.integers(0, 8))
                positive = draw(st.integers(0, containers))
                rows.append([*base, str(kind), location, str(containers), str(positive)])
    columns = ["house_id", "place_type", "zone", "round", "survey_date", "status", *COLUMNS[2:]]
    return pd.DataFrame(rows, columns=columns, dtype=object).drop_duplicates(
        ["house_id", "round", "survey_date", "container_type", "location"]
    )


def reference(table: pd.DataFrame) -> tuple[int, int, int, int]:
    """The rule written out plainly: per house and round the latest surveyed visit, else none."""
    visits: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in table.itertuples(index=False):
        visits[(row.house_id, row.round)][(row.status == "", row.survey_date)].append(row)
    houses = positive_houses = containers = positive = 0
    for by_visit in visits.values():
        surveyed, _ = max(by_visit)
        if not surveyed:
            continue
        rows = by_visit[max(by_visit)]
        counts = [(int(r.containers or 0), int(r.positive or 0)) for r in rows]
        houses += 1
        containers += sum(c for c, _ in counts)
        positive += sum(p for _, p in counts)
        positive_houses += any(p > 0 for _, p in counts)
    return houses, positive_houses, containers, positive


@settings(max_examples=60, deadline=None)
@given(surveys())
def test_indices_match_the_plain_reference(table):
    total = larval_indices(table).total
    assert (
        total.houses_surveyed,
        total.houses_positive,
        total.containers,
        total.containers_positive,
    ) == reference(table)


@settings(max_examples=60, deadline=None)
@given(surveys(), st.randoms(use_true_random=False))
def test_bounds_and_row_order(table, random):
    total = larval_indices(table).total
    for value in (total.hi, total.ci):
        assert value is None or 0 <= value <= 100
    if total.bi is not None:
        assert total.bi >= total.hi  # each positive house has at least one positive container
    shuffled = table.sample(frac=1, random_state=random.randint(0, 2**31)).reset_index(drop=True)
    assert larval_indices(shuffled).total == total


@settings(max_examples=60, deadline=None)
@given(surveys(), st.sampled_from(["zone", "round", "place_type", "house_id"]))
def test_groups_add_up_to_the_whole(table, by):
    result = larval_indices(table, by=by)
    counts = [
        "houses_surveyed", "houses_positive", "containers", "containers_positive",
        "houses_vacant", "houses_refused", "houses_closed", "houses_without_containers",
    ]  # fmt: skip
    for name in counts:
        assert sum(getattr(g, name) for _, g in result.groups) == getattr(result.total, name)
    assert len({value for value, _ in result.groups}) == len(result.groups)


def test_indices_are_ratios_of_sums_not_averages():
    # Two zones: 1 of 1 houses positive, 0 of 9. The average of zone HIs would be 50.
    rows = [("A", "community", "1", "indoor", 1, 1, "Z1")]
    rows += [(f"B{i}", "community", "1", "indoor", 1, 0, "Z2") for i in range(9)]
    result = larval_indices(survey(*rows, columns=[*COLUMNS, "zone"]), by="zone")
    assert result.total.hi == pytest.approx(10.0)
    assert np.mean([g.hi for _, g in result.groups]) == pytest.approx(50.0)


def test_larval_indices_to_dict_keys():
    keys = list(LarvalIndices(1, 0, 0, 0).to_dict(RiskThresholds()))
    assert keys[:7] == [
        "houses_surveyed",
        "houses_positive",
        "hi",
        "containers",
        "containers_positive",
        "ci",
        "bi",
    ]
