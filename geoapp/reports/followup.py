"""A report's follow-up: residents' comments and photos, staff answers, reopening after closure.

A resident's comment or reopening sets `Report.needs_review_since` (the staff queue reads it
first); a staff answer clears it. E-mail goes out after the transaction commits
(`geoapp.reports.notify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from geoapp.models import Report, ReportComment, ReportPhoto, ReportStatus, ReportStatusChange
from geoapp.reports import notify
from geoapp.reports.photos import CleanPhoto, photo_write

#: A resident may reopen a report this long after it was closed as done or rejected.
REOPEN_DAYS = 14
REOPENABLE_STATUSES = (ReportStatus.DONE, ReportStatus.REJECTED)
MAX_COMMENT_CHARS = 2000


class FollowUpRefused(ValueError):
    """The follow-up is not allowed (the report is not closed, or closed too long ago)."""


@dataclass(frozen=True)
class ReopenWindow:
    """Whether the resident may reopen now, and until when (None when the report is open)."""

    allowed: bool
    until: datetime | None
    expired: bool


def reopen_window(
    *, status: str, closed_at: datetime | None, now: datetime | None = None
) -> ReopenWindow:
    """May a report be reopened now? Closed as done or rejected, at most 14 days ago."""
    if status not in REOPENABLE_STATUSES or closed_at is None:
        return ReopenWindow(allowed=False, until=None, expired=False)
    until = closed_at + timedelta(days=REOPEN_DAYS)
    now = now or timezone.now()
    return ReopenWindow(allowed=now <= until, until=until, expired=now > until)


def _photo_add(report: Report, photo: CleanPhoto) -> ReportPhoto:
    return ReportPhoto.objects.create(
        municipality_id=report.municipality_id,
        report=report,
        stored_name=photo_write(municipality_id=report.municipality_id, photo=photo),
        width=photo.width,
        height=photo.height,
        size_bytes=len(photo.jpeg),
    )


@transaction.atomic
def report_comment_add(
    *, report: Report, body: str, photo: CleanPhoto | None = None
) -> ReportComment:
    """A resident's comment and/or photo; the report then waits for staff to read it."""
    body = body.strip()[:MAX_COMMENT_CHARS]
    if not body and photo is None:
        raise FollowUpRefused("a comment needs words or a photo")
    comment = ReportComment.objects.create(
        municipality_id=report.municipality_id,
        report=report,
        body=body,
        photo=_photo_add(report, photo) if photo is not None else None,
    )
    _review_flag(report)
    notify.division_about(report=report, event=notify.Event.COMMENT, text=body)
    return comment


@transaction.atomic
def report_comment_answer(*, report: Report, body: str, user) -> ReportComment:
    """Staff answer the residents on the public page; the report no longer waits for review."""
    body = body.strip()[:MAX_COMMENT_CHARS]
    if not body:
        raise FollowUpRefused("an answer needs words")
    comment = ReportComment.objects.create(
        municipality_id=report.municipality_id,
        report=report,
        body=body,
        by_user=user,
        by_staff=True,
    )
    Report.objects.filter(pk=report.pk).update(needs_review_since=None)
    notify.followers_about(report=report, event=notify.Event.ANSWER, text=body)
    return comment


@transaction.atomic
def report_reopen(*, report: Report, reason: str, now: datetime | None = None) -> Report:
    """The resident reopens a report closed at most 14 days ago; a step in the public history."""
    reason = reason.strip()[:MAX_COMMENT_CHARS]
    if not reason:
        raise FollowUpRefused("a reason is required to reopen")
    # Lock the row: two reopenings at once make one step, not two.
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not reopen_window(status=report.status, closed_at=report.closed_at, now=now).allowed:
        raise FollowUpRefused("this report can no longer be reopened")
    report.status = ReportStatus.RECEIVED
    report.closed_at = None
    report.needs_review_since = report.needs_review_since or timezone.now()
    report.save(update_fields=["status", "closed_at", "needs_review_since", "updated_at"])
    ReportStatusChange.objects.create(
        municipality_id=report.municipality_id,
        report=report,
        status=ReportStatus.RECEIVED,
        public_note=reason,
        reopened=True,
    )
    notify.division_about(report=report, event=notify.Event.REOPENED, text=reason)
    notify.followers_about(report=report, event=notify.Event.REOPENED, text="")
    return report


def _review_flag(report: Report) -> None:
    Report.objects.filter(pk=report.pk, needs_review_since__isnull=True).update(
        needs_review_since=timezone.now()
    )


@dataclass(frozen=True)
class PublicComment:
    """A comment as the public page shows it: words, photo, resident or municipality, when."""

    body: str
    photo_url: str
    by_staff: bool
    at: datetime


def comment_list(*, report_pk: int, photo_url) -> list[PublicComment]:
    """The report's comments, oldest first, without who wrote them (`photo_url(photo)`)."""
    return [
        PublicComment(
            body=c.body,
            photo_url=photo_url(c.photo) if c.photo_id else "",
            by_staff=c.by_staff,
            at=c.at,
        )
        for c in ReportComment.objects.filter(report_id=report_pk).select_related("photo")
    ]


def comments_public(municipality_code: str, report_pk: int) -> list[PublicComment]:
    """Comments for the public page (photos through the public photo address)."""
    return comment_list(
        report_pk=report_pk,
        photo_url=lambda photo: reverse(
            "open-report-photo", kwargs={"code": municipality_code, "photo_id": photo.pk}
        ),
    )
