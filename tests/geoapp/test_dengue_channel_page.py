"""The endemic channel on the dashboard's epidemic curve: band, alert, where it comes from."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from geoapp.dengue.maps import epi_curve_svg
from layers.dengue.channel import dengue_channel_compute

# The demo's "today": its cases run to 15 Nov 2026, and the weeks before are above the channel.
PLAN_DAY = date(2026, 11, 21)
# Three weeks after the last demo case: the latest complete weeks have none.
QUIET_DAY = date(2026, 12, 7)


def dashboard(username: str, *, code: str, language: str, as_of: date) -> str:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = language
    response = client.get(reverse("dengue-dashboard", kwargs={"code": code}), {"as_of": as_of})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def nst_page(language: str, as_of: date = PLAN_DAY) -> str:
    return dashboard("nst-health", code="nakhon-si-thammarat", language=language, as_of=as_of)


def curve_svg(page: str) -> str:
    return re.search(r'<svg class="mueang-chart mueang-epi-curve".*?</svg>', page, re.S).group(0)


def test_the_thai_dashboard_draws_the_channel_behind_the_bars_and_raises_the_alert(nst):
    page = nst_page("th")
    svg = curve_svg(page)
    channel = dengue_channel_compute(municipality=nst, on=PLAN_DAY)

    assert svg.index('class="mueang-epi-band"') < svg.index('class="mueang-epi-bar"')
    assert 'class="mueang-epi-median"' in svg
    assert svg.count('class="mueang-epi-channel-week"') == 52
    assert "ช่องระบาดปกติ (มัธยฐานและควอร์ไทล์ 5 ปีก่อน)" in page
    assert channel.alert.alert
    assert channel.alert.weeks_above == 8
    assert "ผู้ป่วยสัปดาห์นี้สูงกว่าช่องปกติ" in page
    assert "สูงกว่าช่องปกติติดต่อกัน 8 สัปดาห์" in page
    assert 'class="dengue-alert" role="status" id="channel-status"' in page


def test_the_thai_page_says_the_channel_is_the_province_scaled_by_population_with_the_years(db):
    page = nst_page("th")

    assert "ช่องปกติคำนวณจากผู้ป่วยรายเดือนของจังหวัดนครศรีธรรมราช ปี 2561 ถึง 2565" in page
    assert "เทศบาลมีประชากร 104,354 คน" in page
    assert "ทั้งจังหวัด 1,561,927 คน (ร้อยละ 6.7)" in page
    assert "OpenDengue V1.3 (opendengue.org), CC BY-SA 4.0" in page


def test_the_english_dashboard_says_the_same(db):
    page = nst_page("en")

    assert "Normal channel (median and quartiles of the 5 previous years)" in page
    assert "Cases this week are above the normal channel." in page
    assert "8 weeks in a row above the channel" in page
    assert "monthly cases of Nakhon Si Thammarat province, 2018 to 2022" in page
    assert "104,354 of the province's 1,561,927 registered residents (6.7%)" in page
    assert 'class="mueang-epi-band"' in curve_svg(page)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("th", "ผู้ป่วยสัปดาห์ล่าสุดยังไม่สูงกว่าช่องปกติ"),
        ("en", "Cases in the latest weeks are not above the normal channel."),
    ],
)
def test_no_alert_when_the_latest_weeks_are_inside_the_channel(nst, language, text):
    page = nst_page(language, as_of=QUIET_DAY)

    assert not dengue_channel_compute(municipality=nst, on=QUIET_DAY).alert.alert
    assert text in page
    assert 'class="dengue-alert" role="status" id="channel-status"' not in page
    assert 'class="mueang-epi-band"' in curve_svg(page)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("th", "ยังไม่ได้บันทึกจำนวนประชากรของเทศบาล"),
        ("en", "its population is not recorded, so the province's series cannot be scaled"),
    ],
)
def test_chon_buri_without_a_population_shows_no_channel_and_says_why(db, language, text):
    page = dashboard("chon-health", code="chon-buri", language=language, as_of=PLAN_DAY)

    assert text in page
    assert "mueang-epi-band" not in page
    assert 'id="channel-status"' not in page


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("th", "ไม่พบข้อมูลผู้ป่วยรายเดือนของจังหวัดใน OpenDengue"),
        ("en", "its province has no monthly series in OpenDengue"),
    ],
)
def test_a_town_with_no_province_series_and_no_history_shows_no_channel_and_says_why(
    nst, language, text
):
    """Played wrong: a province OpenDengue does not know. The curve stays; no 500, no band."""
    nst.province_en, nst.province_th = "Atlantis", "แอตแลนติส"
    nst.save(update_fields=["province_en", "province_th"])  # undone with the test's transaction

    page = nst_page(language)

    assert text in page
    assert "mueang-epi-band" not in page
    assert 'class="mueang-epi-bar"' in curve_svg(page)
    assert "OpenDengue V1.3" not in page


def test_a_chart_without_a_channel_draws_no_band():
    weeks = [(date(2026, 11, 1), 3), (date(2026, 11, 8), 1)]
    labels = {"title": "t", "bar": "{week}: {n}", "channel": "c", "channel_week": "{week}"}

    plain = epi_curve_svg(weeks, label_for=str, labels=labels)
    banded = epi_curve_svg(weeks, label_for=str, labels=labels, channel=[(1.0, 2.0, 5.0), None])

    assert "mueang-epi-channel" not in plain
    assert banded.count('class="mueang-epi-channel-week"') == 1
    assert 'data-q1="1" data-median="2" data-q3="5"' in banded
    # The scale reaches above the channel's top (5), not only the tallest bar (3).
    assert ">3</text>" in plain
    assert ">4</text>" not in plain
    assert ">6</text>" in banded
