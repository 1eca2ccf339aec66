"""Staff reads of resident reports: the queue (needs review, overdue, newest), the monthly summary.

Overdue is computed in SQL: an open report whose category has a target and whose
`created_at + target_days` has passed. No contact detail comes out of here: those are read one
report at a time through `geoapp.reports.services.report_contacts_read`, which logs the read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Now

from geoapp.models import OPEN_REPORT_STATUSES, Membership, Report, ReportStatus
from layers.models import Municipality

OVERDUE = Q(status__in=OPEN_REPORT_STATUSES, due_at__lt=Now())
# Held by moderation, not yet accepted, or a resident's comment or reopening not yet answered.
NEEDS_REVIEW = (
    Q(needs_review=True) | Q(status=ReportStatus.RECEIVED) | Q(needs_review_since__isnull=False)
)


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters, already read and checked (`geoapp.reports.staff_forms`)."""

    division: str = ""
    category: str = ""
    status: str = ""
    overdue: bool = False
    review: bool = False
    since: date | None = None
    until: date | None = None
    text: str = ""


def reports_with_flags(*, municipality: Municipality) -> QuerySet[Report]:
    """The municipality's reports with `due_at`, `is_overdue` and `is_review` computed in SQL."""
    due_at = ExpressionWrapper(
        F("created_at") + F("category__target_days") * timedelta(days=1),
        output_field=DateTimeField(),
    )
    return (
        Report.objects.filter(municipality=municipality)
        .select_related("category", "assigned_to")
        .annotate(due_at=due_at)
        .annotate(
            is_overdue=Case(
                When(OVERDUE, then=Value(True)), default=False, output_field=BooleanField()
            ),
            is_review=Case(
                When(NEEDS_REVIEW, then=Value(True)), default=False, output_field=BooleanField()
            ),
        )
    )


def report_queue(*, municipality: Municipality, filters: QueueFilters) -> QuerySet[Report]:
    """The filtered queue: needs review first, then overdue, then newest."""
    reports = reports_with_flags(municipality=municipality)
    if filters.division:
        reports = reports.filter(division=filters.division)
    if filters.category:
        reports = reports.filter(category__code=filters.category)
    if filters.status:
        reports = reports.filter(status=filters.status)
    if filters.overdue:
        reports = reports.filter(OVERDUE)
    if filters.review:
        reports = reports.filter(NEEDS_REVIEW)
    if filters.since:
        reports = reports.filter(created_at__date__gte=filters.since)
    if filters.until:
        reports = reports.filter(created_at__date__lte=filters.until)
    if filters.text:
        text = Q(description__icontains=filters.text) | Q(address_string__icontains=filters.text)
        text |= Q(tracking_code=filters.text.upper())
        if filters.text.isdigit() and len(filters.text) < 12:
            text |= Q(pk=int(filters.text))
        reports = reports.filter(text)
    order = Case(When(NEEDS_REVIEW, then=Value(0)), default=1, output_field=IntegerField())
    late = Case(When(OVERDUE, then=Value(0)), default=1, output_field=IntegerField())
    return reports.order_by(order, late, "-created_at", "-pk")


def report_for_staff(*, municipality: Municipality, pk: int) -> Report | None:
    """One report of the municipality with its flags, photos and history."""
    return (
        reports_with_flags(municipality=municipality)
        .filter(pk=pk)
        .prefetch_related("photos", "history__by_user")
        .first()
    )


def division_names(*, municipality: Municipality) -> list[str]:
    """Every division named on a category or a report of the municipality, sorted."""
    from geoapp.models import ServiceCategory

    names = set(
        ServiceCategory.objects.filter(municipality=municipality)
        .exclude(division="")
        .values_list("division", flat=True)
    ) | set(
        Report.objects.filter(municipality=municipality)
        .exclude(division="")
        .values_list("division", flat=True)
        .distinct()
    )
    return sorted(names)


def member_choices(*, municipality: Municipality) -> list[tuple[int, str]]:
    """(user id, display name) of the municipality's active members, for assigning a report."""
    ids = Membership.objects.filter(municipality=municipality).values("user_id")
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("username")
    return [(u.pk, u.get_full_name() or u.get_username()) for u in users]


@dataclass(frozen=True)
class DivisionMonth:
    """One division's month: received, done, median days to done, overdue."""

    division: str
    is_total: bool
    received: int
    done: int
    median_days_to_done: float | None
    overdue: int


# One pass in SQL. Received: reports created in the month. Done: reports closed as done in the
# month, with the median of their days from report to done (percentile_cont). Overdue: reports
# received in the month that missed their category's target: still open past it now, or closed
# (any way) after it. ROLLUP adds the whole municipality's row (its own median, not an average).
_SUMMARY_SQL = """
    SELECT coalesce(r.division, '') AS division, grouping(coalesce(r.division, '')) = 1,
           count(*) FILTER (WHERE r.created_at >= %(start)s AND r.created_at < %(end)s),
           count(*) FILTER (WHERE r.status = 'done'
                            AND r.closed_at >= %(start)s AND r.closed_at < %(end)s),
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM r.closed_at - r.created_at) / 86400.0)
               FILTER (WHERE r.status = 'done'
                       AND r.closed_at >= %(start)s AND r.closed_at < %(end)s),
           count(*) FILTER (
               WHERE r.created_at >= %(start)s AND r.created_at < %(end)s
                 AND c.target_days IS NOT NULL
                 AND coalesce(r.closed_at, now())
                     > r.created_at + c.target_days * interval '1 day')
    FROM geoapp_report r JOIN geoapp_servicecategory c ON c.id = r.category_id
    WHERE r.municipality_id = %(municipality)s
      AND ((r.created_at >= %(start)s AND r.created_at < %(end)s)
           OR (r.closed_at >= %(start)s AND r.closed_at < %(end)s))
    GROUP BY ROLLUP (coalesce(r.division, ''))
    ORDER BY 2, 1
"""


def month_summary(*, municipality: Municipality, month: date) -> list[DivisionMonth]:
    """Per division, then the whole municipality (`is_total`), for the month starting `month`.

    Months start at midnight local time; see `_SUMMARY_SQL` for what each number counts.
    """
    from django.utils import timezone

    start = timezone.make_aware(
        timezone.datetime(month.year, month.month, 1), timezone.get_current_timezone()
    )
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    end = timezone.make_aware(
        timezone.datetime(following.year, following.month, 1), timezone.get_current_timezone()
    )
    with connection.cursor() as cursor:
        cursor.execute(_SUMMARY_SQL, {"start": start, "end": end, "municipality": municipality.pk})
        rows = cursor.fetchall()
    return [
        DivisionMonth(
            division="" if is_total else division,
            is_total=is_total,
            received=received,
            done=done,
            median_days_to_done=None if median is None else round(float(median), 1),
            overdue=overdue,
        )
        for division, is_total, received, done, median, overdue in rows
    ]
