"""The one formatter of dates and numbers: Buddhist era in Thai, Common Era in English."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from django.template import Context, Template
from django.utils import translation

from geoapp.templatetags.thaiformat import (
    baht_text,
    cell_text,
    date_text,
    datetime_text,
    month_text,
    number_text,
    time_text,
)


@pytest.fixture
def thai():
    with translation.override("th"):
        yield


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("day", "short", "long"),
    [
        (date(2026, 11, 15), "15 พ.ย. 2569", "15 พฤศจิกายน 2569"),
        (date(2026, 12, 31), "31 ธ.ค. 2569", "31 ธันวาคม 2569"),
        (date(2027, 1, 1), "1 ม.ค. 2570", "1 มกราคม 2570"),
        (date(2024, 2, 29), "29 ก.พ. 2567", "29 กุมภาพันธ์ 2567"),
    ],
)
def test_thai_dates_are_in_the_buddhist_era(thai, day, short, long):
    assert date_text(day) == short
    assert date_text(day, long=True) == long


@pytest.mark.parametrize(
    ("day", "short", "long"),
    [
        (date(2026, 11, 15), "15 Nov 2026", "15 November 2026"),
        (date(2026, 12, 31), "31 Dec 2026", "31 December 2026"),
        (date(2027, 1, 1), "1 Jan 2027", "1 January 2027"),
    ],
)
def test_english_dates_stay_in_the_common_era(english, day, short, long):
    assert date_text(day) == short
    assert date_text(day, long=True) == long


def test_new_year_in_bangkok_comes_seven_hours_before_utc(thai):
    """31 Dec 2026 17:00 UTC is 1 Jan 2027 00:00 in Bangkok: the Thai year is already 2570."""
    moment = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)

    assert date_text(moment) == "1 ม.ค. 2570"
    assert time_text(moment) == "00:00 น."
    assert datetime_text(moment) == "1 ม.ค. 2570 00:00 น."
    assert datetime_text(datetime(2026, 12, 31, 16, 59, tzinfo=UTC)) == "31 ธ.ค. 2569 23:59 น."


def test_english_times_are_local_too_without_the_thai_suffix(english):
    moment = datetime(2026, 11, 15, 7, 5, tzinfo=UTC)

    assert datetime_text(moment) == "15 Nov 2026 14:05"
    assert time_text(moment) == "14:05"


@pytest.mark.parametrize(
    "missing", [None, "", float("nan"), Decimal("NaN"), pd.NaT, math.inf, "not a number"]
)
def test_nothing_to_show_is_empty_never_nan(thai, missing):
    assert number_text(missing) == ""
    assert baht_text(missing) == ""
    if not isinstance(missing, str):
        assert date_text(missing) == ""
        assert datetime_text(missing) == ""
        assert time_text(missing) == ""
    assert "nan" not in cell_text(missing).lower()


def test_numbers_have_thousands_separators(thai):
    assert number_text(63235) == "63,235"
    assert number_text(63234.6) == "63,235"
    assert number_text(1234567.891, 2) == "1,234,567.89"
    assert number_text(Decimal("1250"), 2) == "1,250.00"
    assert baht_text(1250) == "1,250.00 บาท"
    with translation.override("en"):
        assert baht_text(1250) == "1,250.00 baht"


def test_cells_from_frames_read_as_people_write_them(thai):
    frame = pd.DataFrame({"onset": pd.to_datetime(["2026-10-11", None]), "n": [3.0, None]})

    assert [cell_text(v) for v in frame["onset"]] == ["11 ต.ค. 2569", ""]
    assert [cell_text(v) for v in frame["n"]] == ["3", ""]


def test_template_filters_use_the_same_formatter(thai):
    template = Template(
        "{% load thaidate %}{{ d|thai_date }}|{{ d|thai_date_long }}|{{ t|thai_datetime }}|"
        "{{ t|thai_time }}|{{ n|thai_number }}|{{ b|thai_baht }}|{{ none|thai_date }}"
    )
    context = Context(
        {"d": date(2026, 10, 11), "t": datetime(2026, 10, 11, 7, 5, tzinfo=UTC), "n": 63235,
         "b": Decimal("99.5"), "none": None}
    )  # fmt: skip

    assert template.render(context) == (
        "11 ต.ค. 2569|11 ตุลาคม 2569|11 ต.ค. 2569 14:05 น.|14:05 น.|63,235|99.50 บาท|"
    )


def test_map_popups_show_dates_in_the_buddhist_era_and_no_nan(thai):
    """Popups take their strings from escaped_columns: the city map showed '2026-10-11'."""
    from geoapp.web.maps import escaped_columns

    frame = pd.DataFrame(
        {"onset_date": [date(2026, 10, 11), None], "name_th": ["<b>วัด</b>", float("nan")]}
    )

    shown = escaped_columns(frame, ["onset_date", "name_th"])

    assert list(shown["onset_date"]) == ["11 ต.ค. 2569", ""]
    assert list(shown["name_th"]) == ["&lt;b&gt;วัด&lt;/b&gt;", ""]


def test_the_map_scale_is_metric_only():
    """Leaflet's default scale adds miles ('1 mi'); officers measure in metres."""
    from geoapp.web.maps import MapAssets, base_map, map_fragments

    fmap = base_map(MapAssets("leaflet.js", "leaflet.css", "map.css"), basemap_label="")

    script = map_fragments(fmap)["script"]
    assert "L.control.scale({metric: true, imperial: false})" in script
    assert "control.scale()" not in script.replace(" ", "")


def test_the_admin_lists_dates_in_the_buddhist_era(db, nst):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from layers.models import DengueCase

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="th")
    client.cookies["django_language"] = "th"
    client.force_login(get_user_model().objects.get(username="platform-admin"))
    latest = DengueCase.objects.filter(municipality=nst).order_by("-onset_date", "-id").first()

    page = client.get("/admin/layers/denguecase/?o=-2").content.decode()

    with translation.override("th"):
        expected = date_text(latest.onset_date)
    assert expected in page
    assert f"{latest.onset_date.year + 543}" in expected


def test_the_personal_data_access_log_shows_buddhist_era_times(db, nst):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from layers.models import DengueCase, PersonalDataAccess

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="th")
    client.cookies["django_language"] = "th"
    case = DengueCase.objects.filter(municipality=nst).order_by("id").first()
    PersonalDataAccess.objects.create(
        municipality=nst,
        case_ref=case.pk,
        username="nst-health",
        purpose=PersonalDataAccess.Purpose.choices[0][0],
        fields="full_name",
    )
    client.force_login(get_user_model().objects.get(username="nst-admin"))

    page = client.get(reverse("personal-data-access-log", args=[nst.code]))

    assert page.status_code == 200
    text = page.content.decode()
    assert " น.</td>" in text
    assert f" {timezone_year() + 543} " in text


def timezone_year() -> int:
    from django.utils import timezone

    return timezone.localdate().year


def test_months_name_the_buddhist_year_in_thai():
    with translation.override("th"):
        assert month_text(date(2026, 12, 1)) == "ธันวาคม 2569"
        assert month_text(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == "มกราคม 2570"
    with translation.override("en"):
        assert month_text(date(2026, 12, 1)) == "December 2026"
    assert month_text(None) == ""
