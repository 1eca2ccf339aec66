"""E-mail about a report to its followers and to its division, only when e-mail is switched on.

Messages are composed inside the request's transaction (the contacts are read under its tenant
scope, and the read is logged), and sent after it commits, on a background thread: a slow or
down mail server neither fails nor slows the resident's request; failures are logged. Each
recipient gets a message of their own (no one sees another person's address), and messages hold
no name, phone or e-mail of anyone.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from geoapp.models import Report, ReportContact, ReportContactAccess

logger = logging.getLogger(__name__)

_threads: list[threading.Thread] = []


class Event(StrEnum):
    NEW = "new"
    COMMENT = "comment"
    REOPENED = "reopened"
    STATUS = "status"
    ANSWER = "answer"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def email_enabled() -> bool:
    """Whether Mueang may send e-mail (`MUEANG_EMAIL_ENABLED`, as for staff links)."""
    return bool(settings.MUEANG_EMAIL_ENABLED)


def _site() -> str:
    return settings.MUEANG_SITE_URL.rstrip("/")


def _in_both_languages(render) -> str:
    """Thai first, then English (the mailbox may be read by either)."""
    parts = []
    for language in ("th", "en"):
        with translation.override(language):
            parts.append(render())
    return "\n\n----\n\n".join(parts)


def _subject(report: Report, event: Event) -> str:
    with translation.override("th"):
        titles = {
            Event.NEW: _("New report"),
            Event.COMMENT: _("A resident commented"),
            Event.REOPENED: _("A resident reopened the report"),
            Event.STATUS: _("The report's status changed"),
            Event.ANSWER: _("The municipality answered"),
        }
        return f"[{report.municipality.name_th}] {titles[event]} #{report.pk}"


def _division_body(report: Report, event: Event, text: str) -> str:
    def render() -> str:
        lines = [
            _subject_line(event),
            _("Report number: %(pk)s") % {"pk": report.pk},
            _("Category: %(category)s") % {"category": report.category.name_th},
            _("Status: %(status)s") % {"status": report.get_status_display()},
        ]
        if text:
            lines += ["", text]
        lines += ["", _("Open the staff queue to answer.")]
        return "\n".join(lines)

    return _in_both_languages(render)


def _follower_body(report: Report, event: Event, text: str, link: str) -> str:
    def render() -> str:
        lines = [
            _subject_line(event),
            _("Category: %(category)s") % {"category": report.category.name_th},
            _("Status: %(status)s") % {"status": report.get_status_display()},
        ]
        if text:
            lines += ["", text]
        if link:
            lines += ["", _("See the report: %(url)s") % {"url": link}]
        lines += ["", _("You receive this because you left your e-mail with the report.")]
        return "\n".join(lines)

    return _in_both_languages(render)


def _subject_line(event: Event) -> str:
    return {
        Event.NEW: _("A resident sent a new report."),
        Event.COMMENT: _("A resident added a comment or a photo."),
        Event.REOPENED: _("A resident reopened the report."),
        Event.STATUS: _("The report's status has changed."),
        Event.ANSWER: _("The municipality answered on the report's page."),
    }[event]


def division_about(*, report: Report, event: Event, text: str = "") -> None:
    """Tell the division's mailbox (the category's `division_email`) after commit."""
    if not email_enabled() or not report.category.division_email:
        return
    mail = Mail(
        to=report.category.division_email,
        subject=_subject(report, event),
        body=_division_body(report, event, text),
    )
    _send_after_commit([mail])


def followers_about(*, report: Report, event: Event, text: str = "") -> None:
    """Tell each reporter and follower who left an e-mail, one message each, after commit."""
    if not email_enabled():
        return
    contacts = [c for c in ReportContact.objects.filter(report=report).order_by("pk") if c.email]
    if not contacts:
        return
    ReportContactAccess.objects.create(
        municipality_id=report.municipality_id,
        report_ref=report.pk,
        user_ref=None,
        username="system",
        purpose=f"e-mail notification: {event.value}",
    )
    mails = []
    for contact in contacts:
        mails.append(
            Mail(
                to=contact.email,
                subject=_subject(report, event),
                body=_follower_body(report, event, text, _link_for(report, contact)),
            )
        )
    _send_after_commit(mails)


def _link_for(report: Report, contact: ReportContact) -> str:
    """The reporter's tracking page; the public page for followers (public categories only)."""
    code = report.municipality.code
    if contact.role == ReportContact.Role.REPORTER:
        path = reverse(
            "open-report-tracked", kwargs={"code": code, "tracking": report.tracking_code}
        )
    elif report.category.is_public and not report.needs_review:
        path = reverse("open-report", kwargs={"code": code, "pk": report.pk})
    else:
        return ""
    return _site() + path


def _send_after_commit(mails: list[Mail]) -> None:
    transaction.on_commit(lambda: _send_in_background(mails))


def _send_in_background(mails: list[Mail]) -> None:
    thread = threading.Thread(target=_send, args=(mails,), daemon=True, name="report-mail")
    _threads[:] = [t for t in _threads if t.is_alive()]
    _threads.append(thread)
    thread.start()


def _send(mails: list[Mail]) -> None:
    try:
        # EMAIL_TIMEOUT bounds the wait for a silent server (the thread waits, not the request).
        connection = get_connection()
        connection.send_messages(
            [EmailMessage(subject=m.subject, body=m.body, to=[m.to]) for m in mails]
        )
    except (OSError, smtplib.SMTPException):
        logger.exception("report e-mail could not be sent (%d messages)", len(mails))


def notifications_wait(timeout_s: float = 30) -> None:
    """Wait for the messages being sent (tests and management commands)."""
    for thread in list(_threads):
        thread.join(timeout_s)
