"""The reporter's follow-up on the tracking page: comments, photos, reopening, and its attackers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from geoapp.models import Report, ReportComment, ReportStatus, ReportStatusChange
from geoapp.reports.followup import REOPEN_DAYS, report_comment_answer
from geoapp.reports.services import Contact, report_status_set
from layers.tenancy import tenant_scope
from tests.geoapp.test_reports_models import category_make, report_make
from tests.geoapp.test_reports_pages import NST, small_jpeg, url
from tests.security.test_report_photos import assert_bare, jpeg_with_location


@pytest.fixture
def anonymous() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


@pytest.fixture
def light(nst):
    return category_make(nst, division="กองช่าง")


@pytest.fixture
def report(nst, light):
    return report_make(nst, light, contact=Contact(name="สมศรี ลับเฉพาะ", phone="0812223333"))


def tracked(report, name="open-report-tracked") -> str:
    return url(name, tracking=report.tracking_code)


def _closed(report, status=ReportStatus.DONE, days_ago=0):
    report_status_set(report=report, status=status, user=None, note="ซ่อมแล้ว")
    Report.objects.filter(pk=report.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))
    report.refresh_from_db()
    return report


def test_a_comment_is_shown_as_text_on_both_pages_and_flags_the_report(anonymous, report):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> ไฟยังดับอยู่'

    response = anonymous.post(tracked(report, "open-report-comment"), {"body": hostile})

    assert response.status_code == 302
    assert response["Location"].endswith("?commented=1#follow-up")
    report.refresh_from_db()
    assert report.needs_review_since is not None
    for page in (anonymous.get(tracked(report)), anonymous.get(url("open-report", pk=report.pk))):
        body = page.content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert "ไฟยังดับอยู่" in body
        assert "สมศรี" not in body
        assert "0812223333" not in body
    public = anonymous.get(url("open-report", pk=report.pk)).content.decode()
    assert report.tracking_code not in public


def test_a_comment_photo_is_re_encoded_without_location(anonymous, report, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("IMG.jpg", jpeg_with_location(), content_type="image/jpeg")

    response = anonymous.post(tracked(report, "open-report-comment"), {"photo": upload})

    assert response.status_code == 302
    comment = ReportComment.objects.get(report=report)
    assert comment.body == ""
    assert comment.photo is not None
    stored = list((tmp_path / "reports").rglob("*.jpg"))
    assert len(stored) == 1
    assert_bare(stored[0].read_bytes())
    page = anonymous.get(tracked(report)).content.decode()
    assert f"/photos/{comment.photo.pk}.jpg" in page


def test_a_comment_that_is_not_an_image_or_empty_is_refused(anonymous, report):
    fake = SimpleUploadedFile("photo.jpg", b"<?php system($_GET[1]); ?>", "image/jpeg")

    not_image = anonymous.post(tracked(report, "open-report-comment"), {"photo": fake})
    empty = anonymous.post(tracked(report, "open-report-comment"), {"body": "   "})

    assert (not_image.status_code, empty.status_code) == (400, 400)
    assert ReportComment.objects.filter(report=report).count() == 0
    report.refresh_from_db()
    assert report.needs_review_since is None


def test_a_wrong_or_other_towns_tracking_code_gets_the_same_404(anonymous, nst, chon, report):
    chon_report = report_make(chon, category_make(chon), lon_lat=(100.9847, 13.3611))
    codes = ["AAAA-BBBB-CCCC", chon_report.tracking_code, report.tracking_code[:-1] + "2"]
    if codes[2] == report.tracking_code:
        codes[2] = report.tracking_code[:-1] + "3"

    bodies = set()
    for code in codes:
        for name in ("open-report-tracked", "open-report-comment", "open-report-reopen"):
            address = reverse(name, kwargs={"code": NST, "tracking": code})
            response = (
                anonymous.get(address)
                if name == "open-report-tracked"
                else anonymous.post(address, {"body": "x", "reason": "ยังไม่ได้ซ่อม"})
            )
            assert response.status_code == 404, (name, code)
            bodies.add(response.content)
    assert len(bodies) == 1  # nothing tells a code of another town from a made-up one
    with tenant_scope(municipality_ids=[chon.pk]):
        assert not ReportComment.objects.filter(report_id=chon_report.pk).exists()


def test_comments_need_the_csrf_token(report):
    strict = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)

    response = strict.post(tracked(report, "open-report-comment"), {"body": "ยังไม่ซ่อม"})

    assert response.status_code == 403
    assert not ReportComment.objects.filter(report=report).exists()


def test_a_burst_of_comments_from_one_address_stops_at_five(anonymous, report):
    statuses = [
        anonymous.post(
            tracked(report, "open-report-comment"),
            {"body": f"ความเห็นที่ {n}"},
            REMOTE_ADDR="203.0.113.77",
        ).status_code
        for n in range(30)
    ]

    assert statuses.count(302) == 5
    assert statuses.count(429) == 25
    assert ReportComment.objects.filter(report=report).count() == 5


def test_a_comment_with_the_honeypot_filled_is_refused(anonymous, report):
    response = anonymous.post(
        tracked(report, "open-report-comment"), {"body": "buy now", "website": "http://spam"}
    )

    assert response.status_code == 400
    assert not ReportComment.objects.filter(report=report).exists()


def test_a_report_done_within_14_days_is_reopened_with_its_reason_in_the_history(anonymous, report):
    _closed(report, days_ago=REOPEN_DAYS - 1)
    page = anonymous.get(tracked(report, "open-report-follow-up")).content.decode()
    assert 'name="reason"' in page
    assert (
        tracked(report, "open-report-follow-up") in anonymous.get(tracked(report)).content.decode()
    )

    response = anonymous.post(tracked(report, "open-report-reopen"), {"reason": "ไฟดับอีกแล้ว"})

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.closed_at) == (ReportStatus.RECEIVED, None)
    assert report.needs_review_since is not None
    last = ReportStatusChange.objects.filter(report=report).last()
    assert (last.reopened, last.public_note, last.by_user) == (True, "ไฟดับอีกแล้ว", None)
    public = anonymous.get(url("open-report", pk=report.pk)).content.decode()
    assert "ไฟดับอีกแล้ว" in public
    assert "ผู้แจ้งเปิดเรื่องอีกครั้ง" in public or "Reopened by the resident" in public


def test_a_report_closed_more_than_14_days_ago_says_why_it_cannot_be_reopened(anonymous, report):
    _closed(report, status=ReportStatus.REJECTED, days_ago=REOPEN_DAYS + 1)

    page = anonymous.get(tracked(report, "open-report-follow-up")).content.decode()
    refused = anonymous.post(tracked(report, "open-report-reopen"), {"reason": "ยังไม่แก้"})

    assert 'name="reason"' not in page
    assert 'id="reopen-expired"' in page
    assert url("open-report-new") in page
    assert refused.status_code == 409
    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED
    assert not ReportStatusChange.objects.filter(report=report, reopened=True).exists()


def test_an_open_or_forwarded_report_cannot_be_reopened(anonymous, report):
    open_response = anonymous.post(tracked(report, "open-report-reopen"), {"reason": "เปิดซ้ำ"})
    _closed(report, status=ReportStatus.FORWARDED)
    forwarded = anonymous.post(tracked(report, "open-report-reopen"), {"reason": "เปิดซ้ำ"})

    assert (open_response.status_code, forwarded.status_code) == (409, 409)
    assert not ReportStatusChange.objects.filter(report=report, reopened=True).exists()


def test_a_staff_answer_clears_the_review_flag_and_shows_as_the_municipality(
    anonymous, report, django_user_model
):
    anonymous.post(tracked(report, "open-report-comment"), {"body": "ยังดับอยู่ค่ะ"})
    officer = django_user_model.objects.get(username="nst-editor")

    report_comment_answer(report=report, body="พรุ่งนี้ช่างเข้าซ่อม", user=officer)

    report.refresh_from_db()
    assert report.needs_review_since is None
    page = anonymous.get(url("open-report", pk=report.pk)).content.decode()
    assert "พรุ่งนี้ช่างเข้าซ่อม" in page
    assert "nst-editor" not in page


def test_the_tracking_page_with_a_comment_photo_of_another_report_is_404(
    anonymous, nst, light, report, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    other = report_make(nst, light)
    anonymous.post(
        tracked(other, "open-report-comment"),
        {"photo": SimpleUploadedFile("a.jpg", small_jpeg(), "image/jpeg")},
    )
    photo_id = ReportComment.objects.get(report=other).photo_id

    stolen = url("open-report-tracked-photo", tracking=report.tracking_code, photo_id=photo_id)

    assert anonymous.get(stolen).status_code == 404


def test_the_code_never_leaves_the_site_in_a_referrer_and_the_forms_pass_csrf(report):
    """The tracking page sends no referrer; the forms' page only to this site.

    Under `no-referrer` a browser posts a form with `Origin: null`, which the CSRF check refuses
    (found by the browser test), so the forms live on a `same-origin` page.
    """
    strict = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)

    page = strict.get(tracked(report))
    forms = strict.get(tracked(report, "open-report-follow-up"))
    token = forms.cookies["csrftoken"].value
    sent = strict.post(
        tracked(report, "open-report-comment"),
        {"body": "ยังดับอยู่", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="http://127.0.0.1",
    )
    null_origin = strict.post(
        tracked(report, "open-report-comment"),
        {"body": "ยังดับอยู่", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
    )

    assert page["Referrer-Policy"] == "no-referrer"
    assert forms["Referrer-Policy"] == "same-origin"
    assert forms["Cache-Control"] == "private, no-store"
    assert 'name="body"' not in page.content.decode()
    assert 'name="body"' in forms.content.decode()
    assert sent.status_code == 302
    assert null_origin.status_code == 403


def test_a_burst_of_photo_comments_past_the_limit_is_refused_before_decoding(
    anonymous, report, settings, tmp_path
):
    """Past the limit the photo is not even decoded: a 429, not a 400 for the broken image."""
    settings.MEDIA_ROOT = tmp_path
    for n in range(5):
        anonymous.post(
            tracked(report, "open-report-comment"),
            {"body": f"ครั้งที่ {n}"},
            REMOTE_ADDR="198.51.100.9",
        )

    broken = SimpleUploadedFile("bomb.jpg", b"\xff\xd8\xff not really a jpeg", "image/jpeg")
    response = anonymous.post(
        tracked(report, "open-report-comment"), {"photo": broken}, REMOTE_ADDR="198.51.100.9"
    )

    assert response.status_code == 429
    assert ReportComment.objects.filter(report=report).count() == 5
