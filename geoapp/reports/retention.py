"""Reporters' contacts are kept only as long as needed (PDPA): erased after the retention period.

The period is per municipality (`ReportRetention.contact_days`, set in the Django admin; 365 days
after closure without a row). The report, its history, photos and comments stay; the contact
rows (encrypted name, phone, e-mail and their digests) are deleted, and each erasure is written
to the append-only contact access log. Run daily: `manage.py reports_erase_contacts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from geoapp.models import (
    DEFAULT_REPORT_RETENTION_DAYS,
    OPEN_REPORT_STATUSES,
    Report,
    ReportContact,
    ReportContactAccess,
    ReportRetention,
)
from layers.models import Municipality


@dataclass(frozen=True)
class ErasureResult:
    """What one run erased in one municipality."""

    municipality_code: str
    retention_days: int
    reports: int
    contacts: int


def retention_days(municipality: Municipality) -> int:
    """The municipality's period in days after closure (default 365)."""
    row = ReportRetention.objects.filter(municipality=municipality).first()
    return row.contact_days if row is not None else DEFAULT_REPORT_RETENTION_DAYS


@transaction.atomic
def report_contacts_erase(
    *, municipality: Municipality, now: datetime | None = None, dry_run: bool = False
) -> ErasureResult:
    """Delete the contacts of reports closed longer ago than the period; log each report's erasure.

    The caller scopes the transaction to the municipality (row-level security).
    """
    days = retention_days(municipality)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    report_ids = list(
        Report.objects.filter(municipality=municipality, closed_at__lt=cutoff)
        .exclude(status__in=OPEN_REPORT_STATUSES)
        .filter(contacts__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    contacts = ReportContact.objects.filter(municipality=municipality, report_id__in=report_ids)
    count = contacts.count()
    if not dry_run and report_ids:
        contacts.delete()
        ReportContactAccess.objects.bulk_create(
            ReportContactAccess(
                municipality=municipality,
                report_ref=pk,
                user_ref=None,
                username="system",
                purpose=f"erased: retention period ended ({days} days after closure)",
            )
            for pk in report_ids
        )
    return ErasureResult(
        municipality_code=municipality.code,
        retention_days=days,
        reports=len(report_ids),
        contacts=count,
    )
