"""The one input reader: dates, whole numbers, numbers and choices, in Thai and English."""

from __future__ import annotations

from datetime import date

import pytest

from geoapp.web.inputs import (
    EARLIEST_DATE,
    InputError,
    choice_input,
    date_input,
    integer_input,
    number_input,
    query_text,
)

TODAY = date(2026, 11, 21)


def test_a_missing_or_blank_query_value_reads_as_none():
    assert query_text({"a": "  "}, "a") is None
    assert query_text({}, "a") is None
    assert query_text({"a": " x "}, "a") == "x"


def test_dates_read_iso_and_default_to_the_default():
    assert date_input("2026-01-05", "on", default=TODAY, latest=TODAY) == date(2026, 1, 5)
    assert date_input(None, "on", default=TODAY, latest=TODAY) == TODAY


@pytest.mark.parametrize(
    ("raw", "english", "thai"),
    [
        ("yesterday", "write on as YYYY-MM-DD", "ปปปป-ดด-วว"),
        (20260105, "write on as YYYY-MM-DD", "ปปปป-ดด-วว"),
        ("2026-02-30", "is not a date of the calendar", "2026-02-30"),
        ("2569-01-05", "looks like a Buddhist-era year", "543"),
        ("1999-12-31", "on must lie between 2000-01-01", "2000-01-01"),
        ("2026-11-22", "on must lie between", "2026-11-21"),
    ],
)
def test_bad_dates_say_why_in_both_languages(raw, english, thai):
    with pytest.raises(InputError) as caught:
        date_input(raw, "on", default=TODAY, latest=TODAY)

    assert caught.value.name == "on"
    assert english in caught.value.text("en")
    assert thai in caught.value.text("th")


def test_earliest_date_is_the_first_day_of_2000():
    assert date(2000, 1, 1) == EARLIEST_DATE


def test_whole_numbers_from_text_take_thai_digits_and_json_needs_a_number():
    assert integer_input("๑๐๐", "top", default=None, low=1, high=1000) == 100
    assert integer_input(None, "top", default=7, low=1, high=1000) == 7
    assert integer_input(5, "n", default=1, low=1, high=10, strict=True) == 5
    for raw in ("5", None, True, 5.0):
        with pytest.raises(InputError):
            integer_input(raw, "n", default=1, low=1, high=10, strict=True)


@pytest.mark.parametrize("raw", ["0", "ten", "1" * 40, "1.5"])
def test_bad_whole_numbers_name_the_input_and_the_range(raw):
    with pytest.raises(InputError) as caught:
        integer_input(raw, "top", default=None, low=1, high=100)

    assert caught.value.text("en") == "top must be a whole number from 1 to 100."
    assert "top" in caught.value.text("th")


def test_numbers_take_a_decimal_comma_and_refuse_nan():
    message = "%(name)s must be from %(low)s to %(high)s, not %(value)s"
    assert number_input("2,5", "level", default=0, low=0, high=10, message=message) == 2.5
    with pytest.raises(InputError) as caught:
        number_input("nan", "level", default=0, low=0, high=10, message=message)
    assert caught.value.text() == "level must be from 0 to 10, not nan"


def test_choices_default_and_refuse_what_is_not_offered():
    assert choice_input(None, "format", ("html", "csv"), default="html") == "html"
    assert choice_input("csv", "format", ("html", "csv"), default="html") == "csv"
    with pytest.raises(InputError) as caught:
        choice_input("xls", "format", ("html", "csv"), default="html")
    assert caught.value.text("en") == "format must be one of html, csv, not “xls”."
