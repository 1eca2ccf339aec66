"""Writes of the dengue pages: cases and their 3-3-1 steps, spray rounds and their corrections.

Every write validates before it saves and runs in one transaction: nothing is half-written.
The rules of a valid spray round live in one place, `spray_round_errors`, because the same
round also comes from volunteers' phones; its messages name the field, in the active language.
Case points and dates are corrected through the layer table, so the feature history triggers
record who changed what and when; personal fields are stored encrypted and only the names of
the fields changed reach that history, never their values.
The reads (situation, plan, rounds of a zone) are in `layers.dengue.selectors`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.history.services import change_context
from layers.models import DengueCase, DengueCasePersonal, Municipality, SprayRound, SprayRoundChange
from layers.pdpa.identifiers import identifier_normalise
from layers.pdpa.services import PERSONAL_FIELDS, case_personal_write

#: The fields of the paper spray report, as a round records them.
ROUND_REPORT_FIELDS = (
    "done_on",
    "done_at",
    "team",
    "method",
    "chemical",
    "households_targeted",
    "households_sprayed",
    "households_refused",
    "households_closed",
    "notes",
)
HOUSEHOLD_FIELDS = (
    "households_targeted",
    "households_sprayed",
    "households_refused",
    "households_closed",
)
#: More households than this in one zone is a typing error, not a zone.
HOUSEHOLDS_MAX = 100_000
#: A round may be recorded up to a week before its planned date (a team that went early).
DONE_BEFORE_PLANNED_DAYS = 7
ZONE_KEY_PATTERN = re.compile(r"z[0-9a-f]{10}")
#: The 3-3-1 steps after the report, each recorded as `<step>_at` and `<step>_by` on the case.
CASE_STEPS = ("investigated", "breeding_sites_removed", "sprayed")
#: Case fields a health officer corrects (the point and the status besides).
CASE_FIELDS = ("onset_date", "report_date", "diagnosis", "age_group", "sex", "status")
#: The earliest onset a case may have: older dates are typing errors (a Buddhist-era year
#: typed as Christian gives 2569 - 543 = 2026 the other way round).
EARLIEST_ONSET = date(2000, 1, 1)


# --- Spray rounds ------------------------------------------------------------------------------


def _label(field: str) -> str:
    return str(SprayRound._meta.get_field(field).verbose_name)


def _field_error(field: str, message: str) -> str:
    """A message that names its field first: "households sprayed: ..."."""
    return _("%(field)s: %(message)s") % {"field": _label(field), "message": message}


def spray_round_errors(
    values: Mapping[str, Any], *, planned_date: date | None, now: datetime | None = None
) -> dict[str, list[str]]:
    """Every reason the round's report fields are not acceptable, by field (empty: valid).

    The one place the rules of a spray round are written: the pages and the phones' uploads
    both call it. `values` holds the fields of `ROUND_REPORT_FIELDS` already typed (dates as
    dates, counts as ints); `now` is the moment to compare with (default: the current time).
    """
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(_field_error(field, message))

    _round_date_check(values, planned_date, timezone.localtime(now or timezone.now()), refuse)
    _round_text_check(values, refuse)
    counts = _household_counts(values, refuse)
    if len(counts) == len(HOUSEHOLD_FIELDS):
        visited = sum(counts[f] for f in HOUSEHOLD_FIELDS[1:])
        if visited > counts["households_targeted"]:
            refuse(
                "households_targeted",
                _(
                    "households sprayed, refused and closed add up to %(visited)d, more than "
                    "the %(targeted)d targeted."
                )
                % {"visited": visited, "targeted": counts["households_targeted"]},
            )
    return errors


def _round_date_check(values, planned_date, now: datetime, refuse) -> None:
    """The date done: given, not in the future, not long before the planned date."""
    done_on, done_at = values.get("done_on"), values.get("done_at")
    if done_at is not None and not isinstance(done_at, time):
        refuse("done_at", _("give the time as hours and minutes, e.g. 16:30."))
        done_at = None
    if not isinstance(done_on, date):
        refuse("done_on", _("give the date the round was done."))
    elif done_on > now.date():
        refuse("done_on", _("A round cannot be recorded as done in the future."))
    elif planned_date and done_on < planned_date - timedelta(days=DONE_BEFORE_PLANNED_DAYS):
        refuse("done_on", _("The date done is more than a week before the planned date."))
    elif done_at is not None and done_on == now.date() and done_at > now.time():
        refuse("done_at", _("this time is still to come today."))


def _round_text_check(values, refuse) -> None:
    """Team (required), method (one of the list), chemical and notes (bounded)."""
    team = str(values.get("team") or "").strip()
    if not team:
        refuse("team", _("give the team that sprayed."))
    elif len(team) > 100:
        refuse("team", _("at most 100 characters."))
    if values.get("method", "") not in ("", *SprayRound.Method.values):
        refuse("method", _("choose one of the methods listed."))
    if len(str(values.get("chemical") or "")) > 100:
        refuse("chemical", _("at most 100 characters."))
    if len(str(values.get("notes") or "")) > 2000:
        refuse("notes", _("at most 2,000 characters."))


def _household_counts(values: Mapping[str, Any], refuse) -> dict[str, int]:
    """The household counts that are whole numbers in range; the others refused."""
    counts = {}
    for field in HOUSEHOLD_FIELDS:
        value = values.get(field, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            refuse(field, _("give a whole number of households."))
        elif value < 0:
            refuse(field, _("a number of households cannot be negative."))
        elif value > HOUSEHOLDS_MAX:
            refuse(
                field, _("more than %(max)d households is not a zone.") % {"max": HOUSEHOLDS_MAX}
            )
        else:
            counts[field] = value
    return counts


def _round_clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """The report fields to store: text trimmed, absent counts zero, absent text empty."""
    out: dict[str, Any] = {}
    for field in ROUND_REPORT_FIELDS:
        value = values.get(field)
        if field in HOUSEHOLD_FIELDS:
            out[field] = 0 if value is None else value
        elif field in ("done_on", "done_at"):
            out[field] = value
        else:
            out[field] = str(value or "").strip()
    return out


def spray_round_record(
    *,
    municipality: Municipality,
    zone_key: str,
    round_number: int,
    planned_date: date,
    user: AbstractBaseUser | None,
    **report: Any,
) -> SprayRound:
    """Record a zone's round as done; `ValidationError` by field (nothing saved) if refused.

    `report` holds the fields of `ROUND_REPORT_FIELDS` (done_on and team at least).
    """
    unknown = set(report) - set(ROUND_REPORT_FIELDS)
    if unknown:
        raise TypeError(f"unknown round fields: {sorted(unknown)}")
    errors = spray_round_errors(report, planned_date=planned_date)
    if not ZONE_KEY_PATTERN.fullmatch(str(zone_key)):
        errors.setdefault("zone_key", []).append(_("No spray zone has this key."))
    if not isinstance(round_number, int) or not 1 <= round_number <= 10:
        errors.setdefault("round_number", []).append(_("No such round in the zone's cycle."))
    if errors:
        raise ValidationError(errors)
    spray_round = SprayRound(
        municipality=municipality,
        zone_key=zone_key,
        round_number=round_number,
        planned_date=planned_date,
        recorded_by=user if getattr(user, "pk", None) else None,
        **_round_clean(report),
    )
    try:
        with transaction.atomic():
            spray_round.validate_constraints()
            spray_round.save()
    except IntegrityError:
        # Another request recorded the same round between the check and the save.
        raise ValidationError(_("This round is already recorded.")) from None
    return spray_round


def _round_values(spray_round: SprayRound) -> dict[str, Any]:
    return {field: getattr(spray_round, field) for field in ROUND_REPORT_FIELDS}


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | time) else value


def _change_log(
    spray_round: SprayRound, *, kind: str, reason: str, before: dict, user
) -> SprayRoundChange:
    return SprayRoundChange.objects.create(
        municipality_id=spray_round.municipality_id,
        spray_round=spray_round,
        kind=kind,
        reason=reason,
        changed=sorted(before),
        before={k: _json_value(v) for k, v in before.items()},
        user_ref=getattr(user, "pk", None),
        username=user.get_username() if user is not None else "",
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the round is changed.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("The reason has at most 300 characters.")})
    return reason


def _locked(spray_round: SprayRound) -> SprayRound:
    """The round, re-read and locked; refused when it has been withdrawn meanwhile."""
    current = SprayRound.objects.select_for_update().get(pk=spray_round.pk)
    if current.withdrawn:
        raise ValidationError(_("This round was withdrawn: record the round again instead."))
    return current


@transaction.atomic
def spray_round_correct(
    *, spray_round: SprayRound, user: AbstractBaseUser, reason: str, **report: Any
) -> SprayRound:
    """Correct a recorded round's report fields, keeping what they were in its history."""
    reason = _reason(reason)
    current = _locked(spray_round)
    values = {**_round_values(current), **report}
    errors = spray_round_errors(values, planned_date=current.planned_date)
    if errors:
        raise ValidationError(errors)
    cleaned = _round_clean(values)
    before = {f: getattr(current, f) for f, v in cleaned.items() if getattr(current, f) != v}
    if not before:
        raise ValidationError(_("Nothing was changed."))
    for field, value in cleaned.items():
        setattr(current, field, value)
    current.save(update_fields=list(before))
    _change_log(current, kind="corrected", reason=reason, before=before, user=user)
    return current


@transaction.atomic
def spray_round_withdraw(
    *, spray_round: SprayRound, user: AbstractBaseUser, reason: str
) -> SprayRound:
    """Withdraw a round recorded by mistake: it stops counting, its record and history stay."""
    reason = _reason(reason)
    current = _locked(spray_round)
    current.withdrawn = True
    current.withdrawn_reason = reason
    current.save(update_fields=["withdrawn", "withdrawn_reason"])
    _change_log(
        current,
        kind="withdrawn",
        reason=reason,
        before={"withdrawn": False},
        user=user,
    )
    return current


# --- Cases -------------------------------------------------------------------------------------


def _case_label(field: str) -> str:
    return str(DengueCase._meta.get_field(field).verbose_name)


def case_errors(values: Mapping[str, Any], *, today: date) -> dict[str, list[str]]:
    """Every reason a case's dates and codes are not acceptable, by field (empty: valid)."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(
            _("%(field)s: %(message)s") % {"field": _case_label(field), "message": message}
        )

    onset, report = values.get("onset_date"), values.get("report_date")
    for field, value in (("onset_date", onset), ("report_date", report)):
        if not isinstance(value, date):
            refuse(field, _("give a date."))
        elif value > today:
            refuse(field, _("this date is in the future."))
        elif value < EARLIEST_ONSET:
            refuse(field, _("this date is before 2000: check the year (Buddhist era?)."))
    if isinstance(onset, date) and isinstance(report, date) and report < onset:
        refuse("report_date", _("a case is reported on or after its onset."))
    choices = {
        "diagnosis": DengueCase.Diagnosis.values,
        "sex": DengueCase.Sex.values,
        "status": DengueCase.Status.values,
    }
    for field, allowed in choices.items():
        if field in values and values[field] not in allowed:
            refuse(field, _("choose one of the values listed."))
    if len(str(values.get("age_group") or "")) > 10:
        refuse("age_group", _("at most 10 characters."))
    return errors


def case_point_in_municipality(*, municipality: Municipality, point: Point) -> bool:
    """Whether a case point lies inside the municipality's boundary (or it has none)."""
    if municipality.boundary is None:
        return True
    return bool(municipality.boundary.intersects(point))


def _case_point_check(municipality: Municipality, point: Point | None) -> dict[str, list[str]]:
    if point is None:
        return {"geom": [_("Place the case on the map or choose a building.")]}
    if not case_point_in_municipality(municipality=municipality, point=point):
        return {"geom": [_("The case point lies outside the municipality.")]}
    return {}


def _subdistrict_of(municipality: Municipality, point: Point):
    return municipality.subdistrict_set.filter(geom__intersects=point).order_by("code").first()


def _change_note(user, what: str) -> str:
    return f"{what} ({user.get_username()})" if user is not None else what


@transaction.atomic
def case_create(
    *,
    municipality: Municipality,
    user: AbstractBaseUser,
    point: Point | None,
    source_id: str = "",
    **values: Any,
) -> DengueCase:
    """Add a case at a point (in EPSG:4326); its subdistrict is the one holding the point."""
    today = timezone.localdate()
    errors = case_errors(values, today=today) | _case_point_check(municipality, point)
    source_id = source_id.strip()
    if source_id and municipality.denguecase_set.filter(source_id=source_id).exists():
        errors["source_id"] = [_("Another case already has this code.")]
    if errors:
        raise ValidationError(errors)
    case = DengueCase(
        municipality=municipality,
        source_id=source_id[:64],
        geom=point,
        subdistrict=_subdistrict_of(municipality, point),
        **{f: values[f] for f in CASE_FIELDS if f in values},
    )
    with change_context(note=_change_note(user, "case added")):
        case.save()
    return case


@transaction.atomic
def case_correct(
    *,
    case: DengueCase,
    user: AbstractBaseUser,
    point: Point | None = None,
    source_id: str | None = None,
    **values: Any,
) -> DengueCase:
    """Correct a case's point, code, dates or diagnosis; the history keeps what they were."""
    current = DengueCase.objects.select_for_update().get(pk=case.pk)
    merged = {f: getattr(current, f) for f in CASE_FIELDS} | values
    errors = case_errors(merged, today=timezone.localdate())
    if point is not None:
        errors |= _case_point_check(current.municipality, point)
    if source_id is not None:
        source_id = source_id.strip()[:64]
        others = DengueCase.objects.filter(municipality_id=current.municipality_id)
        if source_id and others.filter(source_id=source_id).exclude(pk=current.pk).exists():
            errors["source_id"] = [_("Another case already has this code.")]
        current.source_id = source_id
    if errors:
        raise ValidationError(errors)
    for field in CASE_FIELDS:
        setattr(current, field, merged[field])
    if point is not None and not point.equals_exact(current.geom, tolerance=1e-9):
        current.geom = point
        current.subdistrict = _subdistrict_of(current.municipality, point)
    with change_context(note=_change_note(user, "case corrected")):
        current.save()
    return current


@transaction.atomic
def case_step_mark(
    *, case: DengueCase, user: AbstractBaseUser, step: str, at: datetime | None
) -> DengueCase:
    """Mark a 3-3-1 step done at `at` by `user` (or clear it with `at=None`)."""
    if step not in CASE_STEPS:
        raise ValidationError({"step": _("No such step.")})
    current = DengueCase.objects.select_for_update().get(pk=case.pk)
    if at is not None:
        if timezone.is_naive(at):
            raise ValidationError({"at": _("The time needs a time zone.")})
        local = timezone.localtime(at)
        if at > timezone.now() + timedelta(minutes=5):
            raise ValidationError({"at": _("A step cannot be done in the future.")})
        if local.date() < current.report_date:
            raise ValidationError({"at": _("A step is done on or after the report date.")})
    setattr(current, f"{step}_at", at)
    setattr(current, f"{step}_by", user.get_username() if at is not None else "")
    with change_context(note=_change_note(user, f"3-3-1 step {step}")):
        current.save()
    return current


@transaction.atomic
def case_personal_correct(
    *, case: DengueCase, user: AbstractBaseUser, **personal: str
) -> list[str]:
    """Store a case's personal fields; returns the names of those changed.

    The case's history records that personal data was corrected, and which fields, with no
    value: the personal table itself keeps no history, so no plaintext (nor ciphertext)
    leaves it. The caller has checked `VIEW_CASES_PERSONAL`.
    """
    unknown = set(personal) - set(PERSONAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown personal fields: {sorted(unknown)}")
    values = {f: str(personal.get(f) or "").strip() for f in PERSONAL_FIELDS}
    errors = {f: [_("at most 300 characters.")] for f, v in values.items() if len(v) > 300}
    if errors:
        raise ValidationError(errors)
    old = DengueCasePersonal.objects.filter(case=case).first()
    before = {f: getattr(old, f) if old else "" for f in PERSONAL_FIELDS}
    normalised = values | {f: identifier_normalise(values[f]) for f in ("national_id", "phone")}
    changed = [f for f in PERSONAL_FIELDS if before[f] != normalised[f]]
    if not changed:
        return []
    case_personal_write(case=case, **values)
    current = DengueCase.objects.select_for_update().get(pk=case.pk)
    with change_context(note=_change_note(user, f"personal data corrected: {', '.join(changed)}")):
        current.save(update_fields=["updated_at"])
    return changed
