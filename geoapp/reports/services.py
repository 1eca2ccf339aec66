"""Writes of resident reports: create, follow, change status, read contacts (logged), API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from geoapp.models import (
    OPEN_REPORT_STATUSES,
    Open311Key,
    Report,
    ReportContact,
    ReportContactAccess,
    ReportPhoto,
    ReportSettings,
    ReportStatus,
    ReportStatusChange,
    ReportSubmission,
    ServiceCategory,
)
from geoapp.reports import notify
from geoapp.reports.photos import CleanPhoto, photo_write
from layers.models import Municipality
from layers.pdpa.identifiers import identifier_digest

# No 0/O, 1/I/L: a code read out over the phone or copied from paper stays unambiguous.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_GROUPS = 3  # three groups of four: 31**12, about 2**59 codes
SUBMISSIONS_PER_WINDOW = 5
SUBMISSION_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Contact:
    """A resident's contact details as typed (all optional)."""

    name: str = ""
    phone: str = ""
    email: str = ""

    def __bool__(self) -> bool:
        return bool(self.name or self.phone or self.email)


@dataclass(frozen=True)
class ReportInput:
    """What a resident (or an Open311 client) sends, already parsed and checked by a form."""

    category: ServiceCategory
    point: Point
    accuracy_m: float | None
    location_source: str
    description: str
    address_string: str = ""


def tracking_code_new() -> str:
    """A fresh unguessable tracking code like `7KQM-2HXD-94RT` (from `secrets`)."""
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(4 * TRACKING_GROUPS))
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def tracking_code_normalise(value: str) -> str:
    """A typed code as stored: upper case in dashed groups ("7kqm 2hxd94rt" -> "7KQM-2HXD-94RT")."""
    chars = "".join(ch for ch in value.upper() if ch in TRACKING_ALPHABET)[: 4 * TRACKING_GROUPS]
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def _digest(kind: str, value: str) -> str:
    key = hashlib.sha256(f"mueang-reports-{kind}:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def address_digest(address: str | None) -> str:
    """A keyed digest of a client address: rate limits without keeping addresses."""
    return _digest("address", address) if address else ""


def contact_digest(contact: Contact) -> str:
    """One keyed digest for the contact (phone first, else e-mail), to limit per person."""
    if contact.phone and identifier_digest(contact.phone):
        return identifier_digest(contact.phone)
    return _digest("email", contact.email.strip().lower()) if contact.email.strip() else ""


def submission_allow(*, address: str | None, contact: Contact) -> bool:
    """Count one submission from this address and contact, or say no when either is over limit.

    Runs inside the request's transaction: an advisory lock per address (and contact) makes
    concurrent submissions from one sender wait for each other, so a burst cannot slip past the
    count; the row disappears with the transaction if the report is not created after all.
    """
    digests = {"address_digest": address_digest(address), "contact_digest": contact_digest(contact)}
    since = timezone.now() - SUBMISSION_WINDOW
    with connection.cursor() as cursor:
        for value in sorted(v for v in digests.values() if v):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 19))", [value])
    for field, value in digests.items():
        if value and (
            ReportSubmission.objects.filter(at__gte=since, **{field: value}).count()
            >= SUBMISSIONS_PER_WINDOW
        ):
            return False
    ReportSubmission.objects.filter(at__lt=since).delete()
    ReportSubmission.objects.create(**digests)
    return True


def _contact_save(*, report: Report, contact: Contact, role: str) -> None:
    if not contact:
        return
    ReportContact.objects.create(
        municipality_id=report.municipality_id,
        report=report,
        role=role,
        name=contact.name.strip(),
        phone=contact.phone.strip(),
        email=contact.email.strip(),
        phone_digest=identifier_digest(contact.phone) if contact.phone else "",
        email_digest=_digest("email", contact.email.strip().lower()) if contact.email else "",
    )


def _history_add(*, report: Report, status: str, note: str = "", user=None) -> None:
    ReportStatusChange.objects.create(
        municipality_id=report.municipality_id,
        report=report,
        status=status,
        public_note=note,
        by_user=user if user is not None and user.is_authenticated else None,
    )


def first_time_held(*, municipality: Municipality, contact: Contact) -> bool:
    """Whether a new report waits for review: the town moderates and the contact is new to it.

    A contact is known when an earlier report of this municipality that staff let through (not
    waiting for review) carries the same phone or e-mail digest; a report without a contact is
    always new.
    """
    settings_row = ReportSettings.objects.filter(municipality=municipality).first()
    if settings_row is None or not settings_row.moderate_first_time:
        return False
    phone = identifier_digest(contact.phone) if contact.phone else ""
    email = _digest("email", contact.email.strip().lower()) if contact.email.strip() else ""
    same = Q(pk__in=[])
    if phone:
        same |= Q(phone_digest=phone)
    if email:
        same |= Q(email_digest=email)
    return not (
        (phone or email)
        and ReportContact.objects.filter(
            same, municipality=municipality, report__needs_review=False
        ).exists()
    )


@transaction.atomic
def report_create(
    *,
    municipality: Municipality,
    data: ReportInput,
    photos: list[CleanPhoto],
    contact: Contact,
    open311_key: Open311Key | None = None,
) -> Report:
    """Create a report with its photos, the reporter's contact (encrypted) and its first step."""
    if data.category.municipality_id != municipality.pk or not data.category.is_active:
        raise ValueError("the category is not open for reports in this municipality")
    report = Report.objects.create(
        municipality=municipality,
        category=data.category,
        location=data.point,
        location_accuracy_m=data.accuracy_m,
        location_source=data.location_source,
        address_string=data.address_string,
        description=data.description,
        tracking_code=tracking_code_new(),
        division=data.category.division,
        open311_key=open311_key,
        needs_review=first_time_held(municipality=municipality, contact=contact),
    )
    for photo in photos:
        ReportPhoto.objects.create(
            municipality=municipality,
            report=report,
            stored_name=photo_write(municipality_id=municipality.pk, photo=photo),
            width=photo.width,
            height=photo.height,
            size_bytes=len(photo.jpeg),
        )
    _contact_save(report=report, contact=contact, role=ReportContact.Role.REPORTER)
    _history_add(report=report, status=ReportStatus.RECEIVED)
    notify.division_about(report=report, event=notify.Event.NEW, text=report.description)
    return report


@transaction.atomic
def report_follow(*, report: Report, contact: Contact) -> Report:
    """Same problem: one more resident (+1), kept as a follower when they left a contact."""
    if report.status not in OPEN_REPORT_STATUSES:
        raise ValueError("only open reports can be followed")
    Report.objects.filter(pk=report.pk).update(follower_count=F("follower_count") + 1)
    _contact_save(report=report, contact=contact, role=ReportContact.Role.FOLLOWER)
    report.refresh_from_db(fields=["follower_count"])
    return report


@transaction.atomic
def report_status_set(*, report: Report, status: str, user, note: str = "") -> Report:
    """Change a report's status, logged in its public history."""
    if status not in ReportStatus.values:
        raise ValueError(f"unknown status {status!r}")
    report.status = status
    report.closed_at = None if status in OPEN_REPORT_STATUSES else timezone.now()
    report.save(update_fields=["status", "closed_at", "updated_at"])
    _history_add(report=report, status=status, note=note, user=user)
    notify.followers_about(report=report, event=notify.Event.STATUS, text=note)
    return report


@dataclass(frozen=True)
class ContactDetails:
    role: str
    name: str
    phone: str
    email: str


def report_contacts_read(*, report: Report, user, purpose: str) -> list[ContactDetails]:
    """The report's contact details, with the read logged (who, when, which report, why)."""
    if not purpose.strip():
        raise ValueError("a purpose is required to read contact details")
    ReportContactAccess.objects.create(
        municipality_id=report.municipality_id,
        report_ref=report.pk,
        user_ref=user.pk,
        username=user.get_username(),
        purpose=purpose.strip()[:200],
    )
    return [
        ContactDetails(role=c.role, name=c.name, phone=c.phone, email=c.email)
        for c in ReportContact.objects.filter(report=report).order_by("pk")
    ]


def _key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def open311_key_create(*, municipality: Municipality, name: str) -> tuple[Open311Key, str]:
    """A new API key for the municipality: the row (hash only) and the key, shown once."""
    raw = "o311_" + secrets.token_urlsafe(32)
    key = Open311Key.objects.create(municipality=municipality, name=name, key_hash=_key_hash(raw))
    return key, raw


def open311_key_check(*, municipality: Municipality, raw: str) -> Open311Key | None:
    """The municipality's live key matching `raw`, marked as used now; else None."""
    if not raw or len(raw) > 200:
        return None
    key = Open311Key.objects.filter(
        municipality=municipality, key_hash=_key_hash(raw), revoked_at__isnull=True
    ).first()
    if key is not None:
        Open311Key.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key
