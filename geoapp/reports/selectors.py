"""Reads of resident reports, shaped for public pages and Open311: never a contact detail.

Everything a resident or an API client can see comes out of these frozen dataclasses, which hold
no name, phone, e-mail, tracking code of another person's report or internal assignee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from geoapp.models import (
    OPEN_REPORT_STATUSES,
    Report,
    ReportPhoto,
    ReportStatus,
    ServiceCategory,
)
from layers.models import Municipality

DUPLICATE_RADIUS_M = 50

#: What each status means, in plain words for the public page (Thai in the catalogue).
STATUS_EXPLAINED = {
    ReportStatus.RECEIVED: _("The municipality has received the report."),
    ReportStatus.ACCEPTED: _("The municipality has checked the report and will fix the problem."),
    ReportStatus.IN_PROGRESS: _("The work has started."),
    ReportStatus.DONE: _("The work is finished."),
    ReportStatus.FORWARDED: _(
        "The problem is the responsibility of another agency; the municipality has sent the "
        "report on to them."
    ),
    ReportStatus.DUPLICATE: _("Another report is about the same problem; follow that one."),
    ReportStatus.REJECTED: _("The municipality will not act on this report; the reason is below."),
}


@dataclass(frozen=True)
class PublicPhoto:
    url: str
    kind: str
    kind_label: str
    width: int
    height: int


@dataclass(frozen=True)
class PublicStep:
    status: str
    label: str
    explained: str
    note: str
    at: datetime
    reopened: bool = False


@dataclass(frozen=True)
class PublicReport:
    """A report as anyone may see it: no contact, no tracking code, no assignee."""

    pk: int
    category: str
    category_code: str
    status: str
    status_label: str
    is_open: bool
    description: str
    division: str
    forwarded_to: str
    latitude: float
    longitude: float
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    follower_count: int
    target_days: int | None
    duplicate_of: int | None
    photos: tuple[PublicPhoto, ...]
    history: tuple[PublicStep, ...] = ()
    distance_m: float | None = None


def category_list(*, municipality: Municipality, active_only: bool = True) -> list[ServiceCategory]:
    """The municipality's report categories, by Thai name."""
    categories = ServiceCategory.objects.filter(municipality=municipality)
    return list(categories.filter(is_active=True) if active_only else categories)


def public_reports(*, municipality: Municipality) -> QuerySet[Report]:
    """Reports anyone may see: of public categories, not waiting for review."""
    return Report.objects.filter(
        municipality=municipality, category__is_public=True, needs_review=False
    ).select_related("category")


def _photo_url(photo: ReportPhoto, municipality: Municipality, tracking_code: str | None) -> str:
    if tracking_code:
        kwargs = {"code": municipality.code, "tracking": tracking_code, "photo_id": photo.pk}
        return reverse("open-report-tracked-photo", kwargs=kwargs)
    return reverse("open-report-photo", kwargs={"code": municipality.code, "photo_id": photo.pk})


def _public(
    report: Report, *, tracking_code: str | None = None, with_history: bool = False
) -> PublicReport:
    municipality = report.municipality
    photos = tuple(
        PublicPhoto(
            url=_photo_url(photo, municipality, tracking_code),
            kind=photo.kind,
            kind_label=str(photo.get_kind_display()),
            width=photo.width,
            height=photo.height,
        )
        for photo in report.photos.all()
    )
    history = tuple(
        PublicStep(
            status=step.status,
            label=str(step.get_status_display()),
            explained=str(STATUS_EXPLAINED.get(step.status, "")),
            note=step.public_note,
            at=step.at,
            reopened=step.reopened,
        )
        for step in (report.history.all() if with_history else ())
    )
    return PublicReport(
        pk=report.pk,
        category=report.category.name_th,
        category_code=report.category.code,
        status=report.status,
        status_label=str(report.get_status_display()),
        is_open=report.status in OPEN_REPORT_STATUSES,
        description=report.description,
        division=report.division,
        forwarded_to=report.forwarded_to,
        latitude=report.location.y,
        longitude=report.location.x,
        created_at=report.created_at,
        updated_at=report.updated_at,
        closed_at=report.closed_at,
        follower_count=report.follower_count,
        target_days=report.category.target_days,
        duplicate_of=report.duplicate_of_id,
        photos=photos,
        history=history,
        distance_m=getattr(report, "distance_m", None),
    )


def report_nearby_open(
    *, municipality: Municipality, category: ServiceCategory, point: Point
) -> list[PublicReport]:
    """Open public reports of the category within 50 m of the point, nearest first."""
    if not category.is_public:
        return []
    nearby = (
        public_reports(municipality=municipality)
        .filter(
            category=category,
            status__in=OPEN_REPORT_STATUSES,
            # A cheap index filter in degrees (twice the radius, safe at Thai latitudes), then
            # the exact distance in metres on the spheroid.
            location__dwithin=(point, DUPLICATE_RADIUS_M / 111_000 * 2),
        )
        .annotate(distance=Distance("location", point))
        .select_related("municipality")
        .prefetch_related("photos")
        .order_by("distance")
    )
    found = []
    for report in nearby:
        report.distance_m = report.distance.m
        if report.distance_m <= DUPLICATE_RADIUS_M:
            found.append(_public(report))
    return found


def report_public_get(*, municipality: Municipality, pk: int) -> PublicReport | None:
    """A public report by its number (public categories only), with its history."""
    report = public_reports(municipality=municipality).filter(pk=pk).first()
    return _public(report, with_history=True) if report else None


def report_tracked_get(*, municipality: Municipality, tracking_code: str) -> PublicReport | None:
    """The report of a tracking code (any category: the code is the reporter's key)."""
    report = (
        Report.objects.filter(municipality=municipality, tracking_code=tracking_code)
        .select_related("category", "municipality")
        .first()
    )
    return _public(report, tracking_code=tracking_code, with_history=True) if report else None


def report_public_list(
    *, municipality: Municipality, statuses: tuple[str, ...] | None = None, limit: int = 200
) -> list[PublicReport]:
    """The latest public reports (optionally of some statuses), newest first."""
    reports = public_reports(municipality=municipality).select_related("municipality")
    if statuses:
        reports = reports.filter(status__in=statuses)
    return [_public(r) for r in reports.prefetch_related("photos").order_by("-created_at")[:limit]]


def photo_for_public(*, municipality: Municipality, photo_id: int) -> ReportPhoto | None:
    """A photo of a public report, else None."""
    return ReportPhoto.objects.filter(
        pk=photo_id,
        report__in=public_reports(municipality=municipality),
    ).first()


def photo_for_tracking(
    *, municipality: Municipality, tracking_code: str, photo_id: int
) -> ReportPhoto | None:
    """A photo of the report with this tracking code, else None."""
    return ReportPhoto.objects.filter(
        pk=photo_id, report__municipality=municipality, report__tracking_code=tracking_code
    ).first()
