"""Staff writes on resident reports: assign, change status, close with an "after" photo, settings.

Every status change is a `ReportStatusChange` (who, when, a note for the public page). Closing
as done needs an "after" photo whose device location at capture is within 50 m of the report,
with an accuracy of 50 m or better, or a supervisor's override with a reason (kept on the step,
never shown publicly). The permission checks are the views'; the rules are here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geoapp.models import (
    OPEN_REPORT_STATUSES,
    Membership,
    Report,
    ReportContact,
    ReportPhoto,
    ReportSettings,
    ReportStatus,
    ReportStatusChange,
)
from geoapp.reports.photos import CleanPhoto, photo_write
from layers.models import Municipality

AFTER_PHOTO_RADIUS_M = 50
AFTER_PHOTO_MAX_ACCURACY_M = 50

#: Statuses a staff member sets with `report_status_change` (done has its own service).
STAFF_STATUSES = (
    ReportStatus.ACCEPTED,
    ReportStatus.IN_PROGRESS,
    ReportStatus.FORWARDED,
    ReportStatus.DUPLICATE,
    ReportStatus.REJECTED,
)
#: A report held for review stays off public lists when staff close it as one of these.
_STILL_HIDDEN = (ReportStatus.REJECTED, ReportStatus.DUPLICATE)


@dataclass(frozen=True)
class AfterPhoto:
    """An "after" photo, re-encoded, with where the device was when it was taken."""

    photo: CleanPhoto
    taken_at: Point | None
    accuracy_m: float | None


def _step(*, report: Report, user, note: str, override_reason: str = "") -> None:
    ReportStatusChange.objects.create(
        municipality_id=report.municipality_id,
        report=report,
        status=report.status,
        public_note=note.strip(),
        by_user=user,
        override_reason=override_reason.strip(),
    )


@transaction.atomic
def report_assign(*, report: Report, user, division: str, assignee_id: int | None) -> Report:
    """Put a division (and optionally one member of the municipality) in charge of the report."""
    if (
        assignee_id is not None
        and not Membership.objects.filter(
            user_id=assignee_id, municipality_id=report.municipality_id, user__is_active=True
        ).exists()
    ):
        raise ValidationError(_("Choose a member of this municipality."), code="assignee")
    report.division = division.strip()[:200]
    report.assigned_to_id = assignee_id
    report.save(update_fields=["division", "assigned_to", "updated_at"])
    return report


def _original_of(report: Report, duplicate_of_id: int | None) -> Report:
    original = (
        Report.objects.select_for_update()
        .filter(pk=duplicate_of_id, municipality_id=report.municipality_id)
        .first()
        if duplicate_of_id
        else None
    )
    if original is None or original.pk == report.pk:
        raise ValidationError(
            _("Give the number of another report of this municipality."), code="duplicate_of"
        )
    if original.status == ReportStatus.DUPLICATE or original.duplicate_of_id == report.pk:
        raise ValidationError(
            _("That report is itself a duplicate: give the number of the original report."),
            code="duplicate_of",
        )
    return original


def _followers_move(*, duplicate: Report, original: Report) -> None:
    """The duplicate's reporter and followers follow the original (contacts copied, encrypted)."""
    contacts = list(ReportContact.objects.filter(report=duplicate))
    for contact in contacts:
        ReportContact.objects.create(
            municipality_id=original.municipality_id,
            report=original,
            role=ReportContact.Role.FOLLOWER,
            name=contact.name,
            phone=contact.phone,
            email=contact.email,
            phone_digest=contact.phone_digest,
            email_digest=contact.email_digest,
        )
    Report.objects.filter(pk=original.pk).update(
        follower_count=F("follower_count") + duplicate.follower_count + 1
    )


@transaction.atomic
def report_status_change(
    *,
    report: Report,
    user,
    status: str,
    note: str = "",
    forwarded_to: str = "",
    duplicate_of_id: int | None = None,
) -> Report:
    """Set a staff status (not done: see `report_close_done`), logged in the public history.

    Forwarded needs the agency, duplicate the original report (its followers gain this report's
    reporter and followers), rejected a reason (the public note).
    """
    if status not in STAFF_STATUSES:
        raise ValidationError(_("Choose a status."), code="status")
    if report.status == ReportStatus.DUPLICATE:
        raise ValidationError(
            _("This report is a duplicate: work on the original report."), code="status"
        )
    if status == ReportStatus.FORWARDED and not forwarded_to.strip():
        raise ValidationError(_("Say which agency the report goes to."), code="forwarded_to")
    if status == ReportStatus.REJECTED and not note.strip():
        raise ValidationError(
            _("Give the reason in the public note: the resident reads it."), code="note"
        )
    if status == ReportStatus.DUPLICATE:
        original = _original_of(report, duplicate_of_id)
        _followers_move(duplicate=report, original=original)
        report.duplicate_of = original
    if status == ReportStatus.FORWARDED:
        report.forwarded_to = forwarded_to.strip()[:200]
    report.status = status
    report.closed_at = None if status in OPEN_REPORT_STATUSES else timezone.now()
    if status not in _STILL_HIDDEN:
        report.needs_review = False
    report.save()
    _step(report=report, user=user, note=note)
    return report


def _check_near(report: Report, after: AfterPhoto) -> None:
    if after.taken_at is None or after.accuracy_m is None:
        raise ValidationError(
            _(
                "The photo came without the device's location: allow location access and take "
                "the photo again on site."
            ),
            code="far",
        )
    if after.accuracy_m > AFTER_PHOTO_MAX_ACCURACY_M:
        raise ValidationError(
            _(
                "The device's location was accurate to %(accuracy)d m only; it must be within "
                "50 m. Wait for a better fix outdoors and take the photo again."
            ),
            code="accuracy",
            params={"accuracy": round(after.accuracy_m)},
        )
    distance_m = (
        Report.objects.filter(pk=report.pk)
        .annotate(distance=Distance("location", after.taken_at))
        .values_list("distance", flat=True)[0]
        .m
    )
    if distance_m > AFTER_PHOTO_RADIUS_M:
        raise ValidationError(
            _(
                "The photo was taken %(distance)d m from the reported place; an after photo must "
                "be taken within 50 m of it."
            ),
            code="far",
            params={"distance": round(distance_m)},
        )


@transaction.atomic
def report_close_done(
    *,
    report: Report,
    user,
    after: AfterPhoto | None,
    note: str = "",
    override_reason: str = "",
    may_override: bool = False,
) -> Report:
    """Close as done with an "after" photo taken within 50 m, or a supervisor's override."""
    if report.status not in OPEN_REPORT_STATUSES:
        raise ValidationError(_("Only an open report can be closed as done."), code="status")
    override_reason = override_reason.strip()
    if override_reason and not may_override:
        raise ValidationError(
            _("Only a supervisor may close without a near photo."), code="override"
        )
    if not override_reason:
        if after is None:
            raise ValidationError(
                _("Add an after photo taken at the place, or a supervisor's reason."),
                code="photo",
            )
        _check_near(report, after)
    if after is not None:
        ReportPhoto.objects.create(
            municipality_id=report.municipality_id,
            report=report,
            kind=ReportPhoto.Kind.AFTER,
            stored_name=photo_write(municipality_id=report.municipality_id, photo=after.photo),
            width=after.photo.width,
            height=after.photo.height,
            size_bytes=len(after.photo.jpeg),
            taken_at_location=after.taken_at,
            taken_accuracy_m=after.accuracy_m,
        )
    report.status = ReportStatus.DONE
    report.closed_at = timezone.now()
    report.needs_review = False
    report.save(update_fields=["status", "closed_at", "needs_review", "updated_at"])
    _step(report=report, user=user, note=note, override_reason=override_reason)
    return report


@transaction.atomic
def report_settings_set(*, municipality: Municipality, user, moderate_first_time: bool) -> None:
    """Turn the moderation of first-time reporters on or off for the municipality."""
    ReportSettings.objects.update_or_create(
        municipality=municipality,
        defaults={"moderate_first_time": moderate_first_time, "updated_by": user},
    )
