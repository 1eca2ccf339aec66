"""A resident follows their report on a phone: comments with a photo, reopens it; the public map.

The report is committed before the browser opens (the live server reads its own connection) and
removed afterwards.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from geoapp.models import Report, ReportComment, ReportStatus, ReportSubmission
from geoapp.reports.services import Contact, report_status_set
from layers.tenancy import all_tenants_scope
from tests.e2e.test_phone_width import OVERFLOW, PHONE, new_page
from tests.geoapp.test_reports_models import category_make, report_make

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"


def _commit_report(django_db_blocker, *, closed_days_ago: int | None = None) -> Report:
    """A street-light report of NST, committed (and closed as done that many days ago)."""
    from layers.models import Municipality

    with django_db_blocker.unblock(), all_tenants_scope():
        # Every browser test posts from 127.0.0.1: earlier runs' submissions would rate-limit.
        ReportSubmission.objects.all().delete()
        nst = Municipality.objects.get(code=NST)
        report = report_make(
            nst,
            category_make(nst, code="e2e-light", name_th="ไฟถนนดับ (ทดสอบเบราว์เซอร์)"),
            contact=Contact(name="ผู้แจ้ง ทดสอบ", phone="0812345678"),
            description="ไฟดับหน้าโรงเรียน",
        )
        if closed_days_ago is not None:
            report_status_set(report=report, status=ReportStatus.DONE, user=None, note="ซ่อมแล้ว")
            Report.objects.filter(pk=report.pk).update(
                closed_at=timezone.now() - timedelta(days=closed_days_ago)
            )
    return report


def _remove(django_db_blocker, report: Report) -> None:
    with django_db_blocker.unblock(), all_tenants_scope():
        Report.objects.filter(pk=report.pk).delete()


# Tests using these also ask for `db`, after them: pytest-django sets up the test database
# only for runs holding a test that asks for it, and the reports must be committed before the
# test's own transaction begins (the live server reads its own connection).


@pytest.fixture
def committed_report(django_db_setup, django_db_blocker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = _commit_report(django_db_blocker)
    yield report
    _remove(django_db_blocker, report)


@pytest.fixture
def done_yesterday(django_db_setup, django_db_blocker):
    report = _commit_report(django_db_blocker, closed_days_ago=1)
    yield report
    _remove(django_db_blocker, report)


@pytest.fixture
def done_15_days_ago(django_db_setup, django_db_blocker):
    report = _commit_report(django_db_blocker, closed_days_ago=15)
    yield report
    _remove(django_db_blocker, report)


def _photo_file(tmp_path):
    path = tmp_path / "IMG_0002.jpg"
    Image.new("RGB", (320, 240), (30, 120, 200)).save(path, format="JPEG")
    return str(path)


def test_the_resident_comments_with_a_photo_on_a_phone(
    committed_report, db, browser, app_url, django_db_blocker, tmp_path
):
    report = committed_report
    context, page, errors = new_page(browser, app_url, PHONE, None)
    tracked = f"{app_url}/reports/{NST}/t/{report.tracking_code}/"
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(tracked)
        page.click("#follow-up-link")
        page.fill("#id_body", "<b>ยังดับอยู่</b> ครับ")
        page.set_input_files("#id_photo", _photo_file(tmp_path))
        page.click("#follow-up form[action$='/comment/'] button[type=submit]")
        page.wait_for_load_state("networkidle")

        comment = page.locator(".report-comments li").last
        expect(comment).to_contain_text("<b>ยังดับอยู่</b> ครับ")  # the markup shows as text
        expect(comment.locator("img.report-comment-photo")).to_be_visible()
        expect(page.locator("#follow-up .notice")).to_be_visible()
        found = page.evaluate(OVERFLOW, PHONE["width"])
        assert found["offenders"] == []
        assert found["scrollWidth"] <= found["width"] + 1
        with django_db_blocker.unblock(), all_tenants_scope():
            assert ReportComment.objects.filter(report_id=report.pk).count() == 1
            assert Report.objects.get(pk=report.pk).needs_review_since is not None
        assert not [u for u in requests if not u.startswith((app_url, "data:", "blob:"))]
        assert errors == []
    finally:
        context.close()


def test_the_resident_reopens_a_report_done_yesterday(
    done_yesterday, db, browser, app_url, django_db_blocker
):
    context, page, errors = new_page(browser, app_url, PHONE, None)
    try:
        page.goto(f"{app_url}/reports/{NST}/t/{done_yesterday.tracking_code}/")
        page.click("#reopen-link")
        page.fill("#id_reason", "ไฟดับอีกแล้วตั้งแต่เมื่อคืน")
        page.click("#follow-up form[action$='/reopen/'] button[type=submit]")
        page.wait_for_load_state("networkidle")

        expect(page.locator(".report-history li").last).to_contain_text("ไฟดับอีกแล้วตั้งแต่เมื่อคืน")
        expect(page.locator("h1")).to_contain_text("รับเรื่องแล้ว")
        with django_db_blocker.unblock(), all_tenants_scope():
            assert Report.objects.get(pk=done_yesterday.pk).status == ReportStatus.RECEIVED
        assert errors == []
    finally:
        context.close()


def test_after_14_days_the_page_offers_a_new_report_instead(done_15_days_ago, db, browser, app_url):
    context, page, _errors = new_page(browser, app_url, PHONE, None)
    try:
        page.goto(f"{app_url}/reports/{NST}/t/{done_15_days_ago.tracking_code}/")

        expect(page.locator("#reopen-expired")).to_be_visible()
        assert page.locator("#id_reason").count() == 0
        page.click("#reopen-expired a")
        expect(page).to_have_url(f"{app_url}/reports/{NST}/new/")
    finally:
        context.close()


def test_the_public_map_shows_the_report_and_links_to_its_page(
    committed_report, db, browser, app_url
):
    context, page, errors = new_page(browser, app_url, PHONE, None)
    try:
        page.goto(f"{app_url}/reports/{NST}/map/")
        marker = page.locator("path.mueang-report").first
        expect(marker).to_be_visible()
        found = page.evaluate(OVERFLOW, PHONE["width"])
        assert found["offenders"] == []
        assert found["scrollWidth"] <= found["width"] + 1
        assert page.locator("path.mueang-report").count() >= 1
        marker.click()
        link = page.locator(f".leaflet-popup-content a[href^='/reports/{NST}/']")
        expect(link).to_be_visible()
        link.click()
        expect(page.locator("h1")).to_be_visible()
        assert re.fullmatch(rf"{app_url}/reports/{NST}/\d+/", page.url)
        page.goto(f"{app_url}/reports/{NST}/map/")
        page.click("text=ดูเรื่องแจ้งแบบรายการ")
        expect(page).to_have_url(f"{app_url}/reports/{NST}/")
        assert errors == []
    finally:
        context.close()
