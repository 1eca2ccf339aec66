"""Values and column names as Thai municipal files write them (no database needed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from layers.imports.kinds import KINDS
from layers.imports.mapping import CHOICE_SYNONYMS, id_column_suggest, mapping_resolve, normalise
from layers.imports.values import (
    ValueProblem,
    field_parser,
    parse_boolean,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_integer,
)
from layers.models import DengueCase, FloodZone, Landmark


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-05",
        "2026/01/05",
        "05/01/2026",
        "5/1/2569",
        "05-01-2569",
        "5 ม.ค. 2569",
        "5 มกราคม พ.ศ. 2569",
        "๕/๑/๒๕๖๙",
        "2026-01-05T08:30:00",
        np.datetime64("2026-01-05"),
        dt.datetime(2026, 1, 5, 13, 0),
    ],
)
def test_dates_in_the_forms_thai_files_use(text):
    assert parse_date(text) == dt.date(2026, 1, 5)


@pytest.mark.parametrize("text", ["2026-13-45", "31/02/2569", "5/1/69", "yesterday", "1/2/3/4"])
def test_invalid_dates_are_problems_naming_the_value(text):
    with pytest.raises(ValueProblem) as problem:
        parse_date(text)

    assert problem.value.code == "invalid_date"
    assert problem.value.params["value"] == f"'{text}'"


def test_datetimes_are_aware_in_bangkok_time():
    moment = parse_datetime("05/01/2569 14:30")

    assert moment.utcoffset() == dt.timedelta(hours=7)
    assert (moment.hour, moment.minute) == (14, 30)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-01-05T14:30:05+07:00", dt.datetime(2026, 1, 5, 7, 30, 5, tzinfo=dt.UTC)),
        ("2026-01-05T07:30:05Z", dt.datetime(2026, 1, 5, 7, 30, 5, tzinfo=dt.UTC)),
        ("2026-01-05 14:30:05.25+0700", dt.datetime(2026, 1, 5, 7, 30, 5, 250000, tzinfo=dt.UTC)),
        ("2569-01-05T01:00:00-05", dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.UTC)),
        ("2026-01-05T14:30", dt.datetime(2026, 1, 5, 7, 30, tzinfo=dt.UTC)),  # Bangkok time
    ],
)
def test_iso_8601_times_keep_their_offset(text, utc):
    assert parse_datetime(text) == utc


@pytest.mark.parametrize(
    "text", ["2026-01-05T14:30+25:00", "2026-01-05T14:30+07:75", "2026-01-05T14:30 +"]
)
def test_impossible_offsets_are_refused(text):
    with pytest.raises(ValueProblem) as problem:
        parse_datetime(text)

    assert problem.value.code == "invalid_datetime"


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_iso_and_buddhist_era_forms_agree(day):
    buddhist = f"{day.day}/{day.month}/{day.year + 543}"

    assert parse_date(day.isoformat()) == day
    assert parse_date(buddhist) == day


@pytest.mark.parametrize(
    ("value", "expected"), [("1,234", 1234), ("๑๒", 12), (12.0, 12), ("7", 7), (np.int64(3), 3)]
)
def test_integers(value, expected):
    assert parse_integer(value, low=0, high=32767) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [("1.5", "invalid_number"), ("-1", "number_out_of_range"), (True, "invalid_number")],
)
def test_bad_integers(value, code):
    with pytest.raises(ValueProblem) as problem:
        parse_integer(value, low=0, high=32767)
    assert problem.value.code == code


def test_decimals_round_to_the_field_and_refuse_overflow():
    assert parse_decimal("0.755", max_digits=5, decimal_places=2) == Decimal("0.76")
    with pytest.raises(ValueProblem):
        parse_decimal("1000", max_digits=5, decimal_places=2)
    with pytest.raises(ValueProblem):
        parse_decimal("NaN", max_digits=5, decimal_places=2)


@pytest.mark.parametrize(
    ("value", "expected"), [("ใช่", True), ("ไม่ใช่", False), ("Y", True), (0, False)]
)
def test_booleans_in_both_languages(value, expected):
    assert parse_boolean(value) is expected


@pytest.mark.parametrize(
    ("model", "field", "value", "expected"),
    [
        (Landmark, "category", "วัด", "temple"),
        (Landmark, "category", "รพ.สต.", "health_centre"),
        (Landmark, "category", "Temple", "temple"),
        (Landmark, "category", "ไฟส่องสว่าง", "other"),  # unknown: other, raw kept as source_kind
        (DengueCase, "diagnosis", "ไข้เลือดออก", "DHF"),
        (DengueCase, "diagnosis", "dhf", "DHF"),
        (DengueCase, "diagnosis", "A90", "DF"),
        (DengueCase, "sex", "ชาย", "M"),
        (DengueCase, "status", "ผู้ป่วยยืนยัน", "confirmed"),
        (FloodZone, "hazard_class", "ปานกลาง", "medium"),
    ],
)
def test_choice_values_in_other_words(model, field, value, expected):
    parse = field_parser(model._meta.get_field(field), synonyms=CHOICE_SYNONYMS.get(field))

    assert parse(value) == expected


def test_an_unknown_code_without_an_other_choice_is_a_problem_listing_the_choices():
    parse = field_parser(
        DengueCase._meta.get_field("diagnosis"), synonyms=CHOICE_SYNONYMS["diagnosis"]
    )

    with pytest.raises(ValueProblem) as problem:
        parse("malaria")

    assert problem.value.params["choices"] == "DF, DHF, DSS"


def test_text_longer_than_the_field_is_a_problem():
    parse = field_parser(Landmark._meta.get_field("name_th"))

    with pytest.raises(ValueProblem) as problem:
        parse("ก" * 201)

    assert problem.value.code == "text_too_long"


def test_hospital_export_columns_are_suggested_for_dengue_cases():
    columns = ["ลำดับ", "HN", "วันเริ่มป่วย", "วันที่รายงาน", "ผลวินิจฉัย", "เพศ", "อายุ", "ละติจูด", "ลองจิจูด"]

    mapping = mapping_resolve(columns, KINDS["dengue_cases"], given={}, coordinates=True)

    assert mapping.fields == {
        "onset_date": "วันเริ่มป่วย",
        "report_date": "วันที่รายงาน",
        "diagnosis": "ผลวินิจฉัย",
        "age_group": "อายุ",
        "sex": "เพศ",
    }
    assert (mapping.y_column, mapping.x_column) == ("ละติจูด", "ลองจิจูด")
    assert id_column_suggest(columns) == "ลำดับ"


def test_osm_style_road_columns_are_suggested():
    mapping = mapping_resolve(
        ["osm_id", "name", "name:en", "highway", "surface", "lanes", "ref"],
        KINDS["roads"],
        given={},
    )

    assert mapping.fields == {
        "name_th": "name",
        "name_en": "name:en",
        "road_class": "highway",
        "surface": "surface",
        "lanes": "lanes",
        "ref": "ref",
    }
    assert mapping.ignored == ["osm_id"]


def test_given_mapping_wins_over_suggestions():
    mapping = mapping_resolve(
        ["name", "ชื่อไทย"], KINDS["roads"], given={"name": "name_en", "ชื่อไทย": "name_th"}
    )

    assert mapping.fields == {"name_en": "name", "name_th": "ชื่อไทย"}


def test_names_are_compared_without_case_spaces_and_separators():
    assert normalise("Name_TH") == normalise("name:th") == normalise("name th") == "nameth"
