"""E-mail about reports: to followers and the division, only when on, never slowing a request.

Django's locmem backend stands in for the mail server (the e-mail backend is the only setting
changed); the down-server test points the real SMTP backend at a socket that never answers.
"""

from __future__ import annotations

import logging
import socket
import time

import pytest
from django.test import Client

from geoapp.models import ReportContact, ReportContactAccess, ReportStatus
from geoapp.reports.notify import notifications_wait
from geoapp.reports.services import Contact, report_follow, report_status_set
from tests.geoapp.test_reports_models import category_make, report_make
from tests.geoapp.test_reports_pages import report_post, url

REPORTER = Contact(name="สมชาย ผู้แจ้ง", phone="0811111111", email="reporter@example.org")
FOLLOWER = Contact(name="สมหญิง ผู้ติดตาม", phone="0822222222", email="follower@example.org")
DIVISION = "works@nst.example.go.th"


@pytest.fixture
def mail_on(settings):
    settings.MUEANG_EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MUEANG_SITE_URL = "https://mueang.example.go.th"
    return settings


@pytest.fixture
def light(nst):
    return category_make(nst, division="กองช่าง", division_email=DIVISION)


@pytest.fixture
def anonymous() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def _sent(mailoutbox, capture, action):
    with capture(execute=True):
        result = action()
    notifications_wait()
    return result


def test_a_status_change_mails_each_follower_alone_without_others_data(
    mail_on, nst, light, mailoutbox, django_capture_on_commit_callbacks
):
    report = report_make(nst, light, contact=REPORTER)
    report_follow(report=report, contact=FOLLOWER)
    report_follow(report=report, contact=Contact(phone="0833333333"))  # no e-mail: not mailed
    mailoutbox.clear()

    _sent(
        mailoutbox,
        django_capture_on_commit_callbacks,
        lambda: report_status_set(
            report=report, status=ReportStatus.IN_PROGRESS, user=None, note="ช่างออกไปแล้ว"
        ),
    )

    assert sorted(m.to[0] for m in mailoutbox) == ["follower@example.org", "reporter@example.org"]
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mailoutbox)
    by_to = {m.to[0]: m for m in mailoutbox}
    for message in mailoutbox:
        text = message.subject + message.body
        for private in ("สมชาย", "สมหญิง", "0811111111", "0822222222", "0833333333"):
            assert private not in text
        other = "follower@" if message.to[0].startswith("reporter") else "reporter@"
        assert other not in text
        assert "ช่างออกไปแล้ว" in message.body
        assert message.subject.startswith(f"[{nst.name_th}]")
        assert message.body.index("สถานะ") < message.body.index("Status")  # Thai first
    assert report.tracking_code in by_to["reporter@example.org"].body
    assert report.tracking_code not in by_to["follower@example.org"].body
    assert f"/reports/{nst.code}/{report.pk}/" in by_to["follower@example.org"].body
    assert ReportContactAccess.objects.filter(report_ref=report.pk, username="system").exists()


def test_nothing_is_sent_when_e_mail_is_off(
    settings, nst, light, mailoutbox, django_capture_on_commit_callbacks
):
    settings.MUEANG_EMAIL_ENABLED = False
    report = report_make(nst, light, contact=REPORTER)

    _sent(
        mailoutbox,
        django_capture_on_commit_callbacks,
        lambda: report_status_set(report=report, status=ReportStatus.DONE, user=None),
    )

    assert mailoutbox == []


def test_the_division_hears_of_a_new_report_a_comment_and_a_reopening(
    mail_on, nst, light, anonymous, mailoutbox, django_capture_on_commit_callbacks, tmp_path
):
    mail_on.MEDIA_ROOT = tmp_path
    _sent(
        mailoutbox,
        django_capture_on_commit_callbacks,
        lambda: report_post(anonymous, name="สมชาย ผู้แจ้ง", email="reporter@example.org"),
    )
    report = light.reports.get()
    tracked = url("open-report-comment", tracking=report.tracking_code)
    _sent(
        mailoutbox,
        django_capture_on_commit_callbacks,
        lambda: anonymous.post(tracked, {"body": "ยังดับอยู่ครับ"}),
    )
    report_status_set(report=report, status=ReportStatus.DONE, user=None)
    mailoutbox.clear()
    reopen = url("open-report-reopen", tracking=report.tracking_code)
    _sent(
        mailoutbox,
        django_capture_on_commit_callbacks,
        lambda: anonymous.post(reopen, {"reason": "ดับอีกแล้ว"}),
    )

    to_division = [m for m in mailoutbox if m.to == [DIVISION]]
    assert len(to_division) == 1
    assert "ดับอีกแล้ว" in to_division[0].body
    assert [m.to for m in mailoutbox if m.to != [DIVISION]] == [["reporter@example.org"]]
    for message in mailoutbox:
        assert "สมชาย" not in message.body


def test_the_division_mail_holds_the_comment_but_no_contact(
    mail_on, nst, light, anonymous, mailoutbox, django_capture_on_commit_callbacks
):
    report = report_make(nst, light, contact=REPORTER)
    mailoutbox.clear()
    tracked = url("open-report-comment", tracking=report.tracking_code)

    _sent(
        mailoutbox,
        django_capture_on_commit_callbacks,
        lambda: anonymous.post(tracked, {"body": "ยังดับอยู่ครับ"}),
    )

    assert [m.to for m in mailoutbox] == [[DIVISION]]
    body = mailoutbox[0].body
    assert "ยังดับอยู่ครับ" in body
    assert f"#{report.pk}" in mailoutbox[0].subject
    for private in ("สมชาย", "0811111111", "reporter@example.org", report.tracking_code):
        assert private not in body


@pytest.fixture
def silent_mail_server():
    """A socket that accepts connections and never says a word (a hung mail server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    yield server.getsockname()[1]
    server.close()


def test_a_hung_mail_server_neither_fails_nor_slows_the_request_and_is_logged(
    settings, nst, light, anonymous, silent_mail_server, caplog, django_capture_on_commit_callbacks
):
    settings.MUEANG_EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent_mail_server
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    report = report_make(nst, light, contact=REPORTER)
    tracked = url("open-report-comment", tracking=report.tracking_code)

    caplog.set_level(logging.ERROR, logger="geoapp.reports.notify")

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post(tracked, {"body": "ยังดับอยู่ครับ"})
    elapsed_s = time.monotonic() - started
    notifications_wait()

    assert response.status_code == 302
    assert elapsed_s < 1.5  # the SMTP timeout is 2 s: the request did not wait for it
    assert "could not be sent" in caplog.text
    assert ReportContact.objects.filter(report=report).count() == 1
