"""The public map of reports: open, in progress and done of public categories, nothing private."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from geoapp.models import ReportStatus
from geoapp.reports.services import Contact, report_status_set
from tests.geoapp.test_reports_models import category_make, report_make
from tests.geoapp.test_reports_pages import NEAR, url


@pytest.fixture
def anonymous() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def test_the_map_shows_public_reports_by_status_and_nothing_private(anonymous, nst, chon):
    light = category_make(nst)
    hidden = category_make(nst, code="staff-complaint", name_th="ร้องเรียนเจ้าหน้าที่", is_public=False)
    open_one = report_make(nst, light, contact=Contact(name="ผู้แจ้งลับ", phone="0891234567"))
    working = report_make(nst, light, lon_lat=NEAR)
    report_status_set(report=working, status=ReportStatus.IN_PROGRESS, user=None)
    done = report_make(nst, light)
    report_status_set(report=done, status=ReportStatus.DONE, user=None)
    rejected = report_make(nst, light)
    report_status_set(report=rejected, status=ReportStatus.REJECTED, user=None)
    private = report_make(nst, hidden)
    chon_report = report_make(chon, category_make(chon), lon_lat=(100.9847, 13.3611))

    response = anonymous.get(url("open-report-map"))
    body = response.content.decode()

    assert response.status_code == 200
    for shown in (open_one, working, done):
        assert f"/reports/nakhon-si-thammarat/{shown.pk}/" in body
    for absent in (rejected, private, chon_report):
        assert f"/{absent.pk}/" not in body
    assert "ร้องเรียนเจ้าหน้าที่" not in body
    for report in (open_one, working, done, private):
        assert report.tracking_code not in body
    assert "ผู้แจ้งลับ" not in body
    assert "0891234567" not in body
    assert re.findall(r"(?:src|href)=\"(https?:)?//", body) == []
    assert "vendor/leaflet/leaflet.js" in body
    assert url("open-report-list") in body


def test_a_category_name_with_markup_is_text_on_the_map(anonymous, nst):
    report_make(nst, category_make(nst, code="xss", name_th="<img src=x onerror=alert(1)>"))

    body = anonymous.get(url("open-report-map")).content.decode()

    assert "<img src=x onerror" not in body
    # Escaped on the server (the popup inserts it as markup), then JSON-escaped in the script.
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in body


def test_the_list_links_to_the_map(anonymous, nst):
    body = anonymous.get(url("open-report-list")).content.decode()

    assert url("open-report-map") in body
