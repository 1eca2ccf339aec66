"""Writes of the phones: house surveys and spray rounds sent from the field, photos, conflicts.

Nothing lost, nothing doubled (issue 18, decision 0019):
- every request carries an `Idempotency-Key`; its answer is kept (`SyncReceipt`) and a replay
  gets the same answer without touching anything (`receipt_find` / `receipt_store`, under an
  advisory lock so two copies of one request cannot both pass);
- every record carries the phone's `client_uuid`, unique in the database, so a record sent
  again under a new key is recognised (`unchanged`), not stored twice;
- every edit names the version it was made from; when the server has moved on, the edit is
  kept as a `SyncConflict` for a supervisor and the record is left as it is.
Who may send what is checked here against the sender's assignments
(`layers.field.assignments`); every value from a phone is checked before anything is saved.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from layers.dengue.services import (
    ROUND_REPORT_FIELDS,
    spray_round_correct,
    spray_round_errors,
    spray_round_record,
)
from layers.field.assignments import FieldScope
from layers.models import (
    HouseSurvey,
    LarvalContainerCount,
    LarvalContainerType,
    Municipality,
    SprayRound,
    SurveyChange,
    SurveyPhoto,
    SyncConflict,
    SyncReceipt,
)

MAX_CONTAINERS = 10_000
MAX_ROUND = 99
#: A phone's clock may run this far ahead of the server's.
CLOCK_SLACK = timedelta(minutes=10)
EARLIEST_SURVEY = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(0))


@dataclass(frozen=True)
class SyncResult:
    """What the server did with one record: its HTTP status and the JSON it answers."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    keep: bool = True
    """Whether a replay gets this answer again (False: a passing state, asked again later)."""


# --- Idempotency ------------------------------------------------------------------------------


def body_digest(body: bytes) -> str:
    """The SHA-256 of a request body, to tell a replay from a key reused for another body."""
    return hashlib.sha256(body).hexdigest()


def receipt_find(*, municipality: Municipality, user_id: int, key: str) -> SyncReceipt | None:
    """The answer kept for this key, after taking the key's lock for the transaction.

    The lock (`pg_advisory_xact_lock`) makes a second copy of the same request wait until the
    first has stored its answer, then find it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"field-sync:{municipality.pk}:{user_id}:{key}"],
        )
    return SyncReceipt.objects.filter(municipality=municipality, user_ref=user_id, key=key).first()


def receipt_store(
    *,
    municipality: Municipality,
    user_id: int,
    key: str,
    endpoint: str,
    digest: str,
    result: SyncResult,
) -> None:
    """Keep the answer given to a request under its key (in the request's transaction)."""
    SyncReceipt.objects.create(
        municipality=municipality,
        user_ref=user_id,
        key=key,
        endpoint=endpoint,
        body_digest=digest,
        status=result.status,
        response=result.body,
    )


# --- Checking what a phone sends ---------------------------------------------------------------


class _Errors(dict):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)


def _whole(value: Any, name: str, errors: _Errors, *, low: int, high: int) -> int | None:
    """A JSON whole number from low to high (no bool, no float, no NaN, no text)."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        else:
            errors.add(name, _("give a whole number."))
            return None
    if not low <= value <= high:
        errors.add(name, _("give a number from %(low)d to %(high)d.") % {"low": low, "high": high})
        return None
    return value


def _uuid(value: Any, name: str, errors: _Errors) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        pass
    errors.add(name, _("not a record id made by the app."))
    return None


def _moment(value: Any, name: str, errors: _Errors) -> datetime | None:
    moment = parse_datetime(value) if isinstance(value, str) and len(value) <= 40 else None
    if moment is None or timezone.is_naive(moment):
        errors.add(name, _("give the date and time with its time zone."))
        return None
    if moment.year > 2400:
        errors.add(name, _("this looks like a Buddhist-era year: the app sends Christian years."))
        return None
    if not EARLIEST_SURVEY <= moment <= timezone.now() + CLOCK_SLACK:
        errors.add(name, _("the date is in the future or long past."))
        return None
    return moment


@dataclass(frozen=True)
class SurveyInput:
    client_uuid: uuid.UUID
    base_version: int
    place_id: int
    building_id: int | None
    house_number: str
    round_number: int
    surveyed_at: datetime
    status: str
    rows: tuple[tuple[int, str, int, int], ...]
    """(container type number, location, containers, positive), sorted."""

    def record(self) -> dict[str, Any]:
        """The survey as JSON, as conflicts keep it and the phone sends it."""
        return {
            "client_uuid": str(self.client_uuid),
            "place_id": self.place_id,
            "building_id": self.building_id,
            "house_number": self.house_number,
            "round_number": self.round_number,
            "surveyed_at": self.surveyed_at.isoformat(),
            "status": self.status,
            "containers": [
                {"type": t, "location": loc, "containers": n, "positive": p}
                for t, loc, n, p in self.rows
            ],
        }


def survey_input(
    data: Any, *, scope: FieldScope, type_numbers: set[int]
) -> tuple[SurveyInput | None, dict[str, list[str]]]:
    """A survey as sent by a phone, checked; or None and every reason it is refused, by field."""
    errors = _Errors()
    if not isinstance(data, Mapping):
        errors.add("survey", _("send the survey as a JSON object."))
        return None, errors
    client = _uuid(data.get("client_uuid"), "client_uuid", errors)
    base = _whole(data.get("base_version", 0), "base_version", errors, low=0, high=10**6)
    place = _whole(data.get("place_id"), "place_id", errors, low=1, high=2**62)
    if place is not None and not scope.place_allowed(place):
        errors.add("place_id", _("this place is not one of your assigned places."))
    building = data.get("building_id")
    if building is not None:
        building = _whole(building, "building_id", errors, low=1, high=2**62)
        if building is not None and place is not None and not scope.house_allowed(place, building):
            errors.add("building_id", _("this house is not one of your assigned houses."))
    number = data.get("house_number") or ""
    if not isinstance(number, str) or len(number) > 50:
        errors.add("house_number", _("a house number has at most 50 characters."))
        number = ""
    number = number.strip()
    if building is None and not number:
        errors.add("house_number", _("pick the house on the map or give its house number."))
    round_number = _whole(
        data.get("round_number", 1), "round_number", errors, low=1, high=MAX_ROUND
    )
    surveyed_at = _moment(data.get("surveyed_at"), "surveyed_at", errors)
    status = data.get("status")
    if status not in HouseSurvey.Status.values:
        errors.add("status", _("choose surveyed, vacant, closed or refused."))
    rows = _container_rows(data.get("containers", []), type_numbers, errors)
    if status != HouseSurvey.Status.SURVEYED and any(n for _t, _l, n, _p in rows):
        errors.add("containers", _("a vacant, closed or refused house has no containers counted."))
    if errors:
        return None, errors
    return (
        SurveyInput(
            client_uuid=client,  # type: ignore[arg-type]
            base_version=base,  # type: ignore[arg-type]
            place_id=place,  # type: ignore[arg-type]
            building_id=building,
            house_number=number,
            round_number=round_number,  # type: ignore[arg-type]
            surveyed_at=surveyed_at,  # type: ignore[arg-type]
            status=str(status),
            rows=tuple(sorted(r for r in rows if r[2] or r[3])),
        ),
        {},
    )


def _container_rows(
    rows: Any, type_numbers: set[int], errors: _Errors
) -> list[tuple[int, str, int, int]]:
    if not isinstance(rows, list) or len(rows) > 2 * max(len(type_numbers), 1):
        errors.add("containers", _("send one row per container type and place (in or out)."))
        return []
    out: list[tuple[int, str, int, int]] = []
    seen: set[tuple[int, str]] = set()
    for i, row in enumerate(rows, start=1):
        name = f"containers[{i}]"
        if not isinstance(row, Mapping):
            errors.add(name, _("send each row as a JSON object."))
            continue
        kind = _whole(row.get("type"), name, errors, low=0, high=10_000)
        if kind is not None and kind not in type_numbers:
            errors.add(name, _("no container type has number %(n)d.") % {"n": kind})
            kind = None
        location = row.get("location")
        if location not in LarvalContainerCount.Location.values:
            errors.add(name, _("say indoor or outdoor."))
        count = _whole(row.get("containers"), name, errors, low=0, high=MAX_CONTAINERS)
        positive = _whole(row.get("positive"), name, errors, low=0, high=MAX_CONTAINERS)
        if count is not None and positive is not None and positive > count:
            errors.add(name, _("more containers with larvae than containers."))
            continue
        if (
            kind is None
            or count is None
            or positive is None
            or location not in ("indoor", "outdoor")
        ):
            continue
        if (kind, location) in seen:
            errors.add(name, _("this container type and place is counted twice."))
            continue
        seen.add((kind, location))
        out.append((kind, location, count, positive))
    return out


# --- House surveys ------------------------------------------------------------------------------


def _survey_record(survey: HouseSurvey) -> dict[str, Any]:
    rows = sorted(
        survey.container_counts.values_list(
            "container_type__number", "location", "containers", "positive"
        )
    )
    return {
        "client_uuid": str(survey.client_uuid),
        "place_id": survey.place_id,
        "building_id": survey.building_id,
        "house_number": survey.house_number,
        "round_number": survey.round_number,
        "surveyed_at": survey.surveyed_at.isoformat(),
        "status": survey.status,
        "containers": [
            {"type": t, "location": loc, "containers": n, "positive": p} for t, loc, n, p in rows
        ],
    }


def _same_survey(record: Mapping[str, Any], wanted: SurveyInput) -> bool:
    mine = wanted.record()
    theirs = dict(record)
    return all(
        (theirs[k] if k != "surveyed_at" else parse_datetime(theirs[k]))
        == (mine[k] if k != "surveyed_at" else wanted.surveyed_at)
        for k in mine
    )


def _survey_write(
    survey: HouseSurvey, wanted: SurveyInput, types: dict[int, LarvalContainerType]
) -> None:
    survey.place_id = wanted.place_id
    survey.building_id = wanted.building_id
    survey.house_number = wanted.house_number
    survey.round_number = wanted.round_number
    survey.surveyed_at = wanted.surveyed_at
    survey.status = wanted.status
    survey.save()
    survey.container_counts.all().delete()
    LarvalContainerCount.objects.bulk_create(
        LarvalContainerCount(
            municipality_id=survey.municipality_id,
            survey=survey,
            container_type=types[t],
            location=loc,
            containers=n,
            positive=p,
        )
        for t, loc, n, p in wanted.rows
    )


def _conflict(
    *, kind: str, municipality: Municipality, user, base_version: int, server_version: int,
    client_uuid: uuid.UUID, server_record: dict, phone_record: dict, **target: Any,
) -> SyncResult:  # fmt: skip
    found = SyncConflict.objects.filter(
        municipality=municipality, kind=kind, client_uuid=client_uuid, base_version=base_version
    )
    conflict = next((c for c in found if c.phone_record == phone_record), None)
    if conflict is None:
        conflict = SyncConflict.objects.create(
            municipality=municipality,
            kind=kind,
            client_uuid=client_uuid,
            base_version=base_version,
            server_version=server_version,
            server_record=server_record,
            phone_record=phone_record,
            submitted_by=user,
            **target,
        )
    return SyncResult(
        409,
        {
            "status": "conflict",
            "client_uuid": str(client_uuid),
            "conflict_id": conflict.pk,
            "version": server_version,
            "message": _("Someone else changed this record first: a supervisor will decide."),
        },
    )


def survey_sync(*, municipality: Municipality, user, scope: FieldScope, data: Any) -> SyncResult:
    """Store, update, recognise or keep as a conflict one house survey sent by a phone.

    Answers 201 stored, 200 unchanged or updated, 409 conflict (kept for a supervisor), 400
    refused with the reasons by field (nothing saved).
    """
    types = {t.number: t for t in LarvalContainerType.objects.filter(municipality=municipality)}
    wanted, errors = survey_input(data, scope=scope, type_numbers=set(types))
    if wanted is None:
        return SyncResult(400, {"status": "refused", "errors": errors})
    survey = (
        HouseSurvey.objects.select_for_update()
        .filter(municipality=municipality, client_uuid=wanted.client_uuid)
        .first()
    )
    answer = {"client_uuid": str(wanted.client_uuid)}
    if survey is None:
        survey = HouseSurvey(
            municipality=municipality, client_uuid=wanted.client_uuid, surveyor=user, version=1
        )
        try:
            with transaction.atomic():
                _survey_write(survey, wanted, types)
        except IntegrityError:
            return SyncResult(
                400, {"status": "refused", "errors": {"client_uuid": [_("this id is taken.")]}}
            )
        return SyncResult(201, {**answer, "status": "stored", "version": survey.version})
    if not scope.place_allowed(survey.place_id):
        return SyncResult(
            400, {"status": "refused", "errors": {"place_id": [_("not one of your places.")]}}
        )
    current = _survey_record(survey)
    if _same_survey(current, wanted):
        return SyncResult(200, {**answer, "status": "unchanged", "version": survey.version})
    if wanted.base_version != survey.version:
        return _conflict(
            kind=str(SyncConflict.Kind.SURVEY),
            municipality=municipality,
            user=user,
            base_version=wanted.base_version,
            server_version=survey.version,
            client_uuid=wanted.client_uuid,
            server_record=current,
            phone_record=wanted.record(),
            survey=survey,
        )
    survey.version += 1
    _survey_write(survey, wanted, types)
    return SyncResult(200, {**answer, "status": "updated", "version": survey.version})


# --- Spray rounds -------------------------------------------------------------------------------


def _round_report(data: Mapping[str, Any], errors: _Errors) -> dict[str, Any]:
    """The paper report's fields, typed: dates and times parsed, text as text."""
    report: dict[str, Any] = {}
    for name in ROUND_REPORT_FIELDS:
        value = data.get(name)
        if name == "done_on":
            try:
                report[name] = date.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                report[name] = None
        elif name == "done_at":
            try:
                report[name] = time.fromisoformat(value) if value else None
            except (TypeError, ValueError):
                errors.add(name, _("give the time as hours and minutes, e.g. 16:30."))
        elif name.startswith("households_"):
            report[name] = 0 if value is None else value
            if isinstance(value, float) and not math.isfinite(value):
                errors.add(name, _("give a whole number."))
        else:
            if value is not None and not isinstance(value, str):
                errors.add(name, _("give text."))
            # Stored trimmed (spray_round_record does too), so a resend compares equal.
            report[name] = value.strip() if isinstance(value, str) else ""
    return report


def _round_record(spray_round: SprayRound) -> dict[str, Any]:
    values = {
        name: getattr(spray_round, name).isoformat()
        if isinstance(getattr(spray_round, name), date | time)
        else getattr(spray_round, name)
        for name in ROUND_REPORT_FIELDS
    }
    return {
        "client_uuid": str(spray_round.client_uuid or ""),
        "zone_key": spray_round.zone_key,
        "round_number": spray_round.round_number,
        "planned_date": spray_round.planned_date.isoformat(),
        **values,
    }


def _round_input(data: Any, scope: FieldScope) -> tuple[dict[str, Any], dict[str, Any], _Errors]:
    """The round as the phone sent it, checked: (record, typed report fields, errors)."""
    errors = _Errors()
    if not isinstance(data, Mapping):
        errors.add("round", _("send an object."))
        return {}, {}, errors
    client = _uuid(data.get("client_uuid"), "client_uuid", errors)
    base = _whole(data.get("base_version", 0), "base_version", errors, low=0, high=10**6)
    zone_key = data.get("zone_key")
    if not isinstance(zone_key, str) or not scope.zone_allowed(zone_key):
        errors.add("zone_key", _("this spray zone is not one of your assigned zones."))
    number = _whole(data.get("round_number"), "round_number", errors, low=1, high=10)
    try:
        planned = date.fromisoformat(data.get("planned_date"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        errors.add("planned_date", _("give the planned date as YYYY-MM-DD."))
        planned = None
    report = _round_report(data, errors)
    if not errors:
        errors.update(spray_round_errors(report, planned_date=planned))
    if errors:
        return {}, {}, errors
    phone = {
        "client_uuid": str(client),
        "base_version": base,
        "zone_key": zone_key,
        "round_number": number,
        "planned_date": planned,
        **{k: v.isoformat() if isinstance(v, date | time) else v for k, v in report.items()},
    }
    return phone, report, errors


def spray_round_sync(
    *, municipality: Municipality, user, scope: FieldScope, data: Any
) -> SyncResult:
    """Record, update, recognise or keep as a conflict one spray round sent by a phone.

    The paper report's rules are `layers.dengue.services.spray_round_errors`, as on the pages.
    A round another phone (or the office) already recorded for the same zone, round and date
    is a conflict, not a second round.
    """
    phone, report, errors = _round_input(data, scope)
    if errors:
        return SyncResult(400, {"status": "refused", "errors": errors})
    client = uuid.UUID(phone["client_uuid"])
    base = phone.pop("base_version")
    zone_key, number, planned = phone["zone_key"], phone["round_number"], phone["planned_date"]
    phone["planned_date"] = planned.isoformat()
    answer = {"client_uuid": str(client)}
    mine = SprayRound.objects.select_for_update().filter(
        municipality=municipality, client_uuid=client
    )
    spray_round = mine.first()
    if spray_round is None:
        other = SprayRound.objects.filter(
            municipality=municipality,
            zone_key=zone_key,
            round_number=number,
            planned_date=planned,
            withdrawn=False,
        ).first()
        if other is not None:
            return _conflict(
                kind=str(SyncConflict.Kind.SPRAY_ROUND),
                municipality=municipality,
                user=user,
                base_version=0,
                server_version=other.version,
                client_uuid=client,
                server_record=_round_record(other),
                phone_record=phone,
                spray_round=other,
            )
        try:
            with transaction.atomic():
                spray_round = spray_round_record(
                    municipality=municipality,
                    zone_key=zone_key,
                    round_number=number,
                    planned_date=planned,
                    user=user,
                    **report,
                )
                spray_round.client_uuid = client
                spray_round.save(update_fields=["client_uuid"])
        except ValidationError as error:
            return SyncResult(400, {"status": "refused", "errors": _messages(error)})
        except IntegrityError:
            return SyncResult(
                400, {"status": "refused", "errors": {"client_uuid": [_("this id is taken.")]}}
            )
        return SyncResult(201, {**answer, "status": "stored", "version": spray_round.version})
    current = _round_record(spray_round)
    if all(current[k] == v for k, v in phone.items()):
        return SyncResult(200, {**answer, "status": "unchanged", "version": spray_round.version})
    if base != spray_round.version or spray_round.withdrawn:
        return _conflict(
            kind=str(SyncConflict.Kind.SPRAY_ROUND),
            municipality=municipality,
            user=user,
            base_version=base,
            server_version=spray_round.version,
            client_uuid=client,
            server_record=current,
            phone_record=phone,
            spray_round=spray_round,
        )
    try:
        with transaction.atomic():
            corrected = spray_round_correct(
                spray_round=spray_round, user=user, reason=_("corrected on the phone"), **report
            )
            corrected.version = spray_round.version + 1
            corrected.save(update_fields=["version"])
    except ValidationError as error:
        return SyncResult(400, {"status": "refused", "errors": _messages(error)})
    return SyncResult(200, {**answer, "status": "updated", "version": corrected.version})


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {k: [str(m) for m in v] for k, v in error.message_dict.items()}
    return {"round": [str(m) for m in error.messages]}


# --- What the server holds ----------------------------------------------------------------------


def records_held(*, municipality: Municipality, uuids: list[uuid.UUID]) -> dict[str, dict]:
    """Of the given client ids, those the server holds: kind and version (photos: kind only)."""
    held: dict[str, dict] = {}
    for pk, version in HouseSurvey.objects.filter(
        municipality=municipality, client_uuid__in=uuids
    ).values_list("client_uuid", "version"):
        held[str(pk)] = {"kind": "survey", "version": version}
    for pk, version in SprayRound.objects.filter(
        municipality=municipality, client_uuid__in=uuids
    ).values_list("client_uuid", "version"):
        held[str(pk)] = {"kind": "spray_round", "version": version}
    for pk in SurveyPhoto.objects.filter(
        municipality=municipality, client_uuid__in=uuids
    ).values_list("client_uuid", flat=True):
        held[str(pk)] = {"kind": "photo"}
    for pk, conflict in SyncConflict.objects.filter(
        municipality=municipality, client_uuid__in=uuids
    ).values_list("client_uuid", "pk"):
        held.setdefault(str(pk), {"kind": "conflict", "conflict_id": conflict})
    return held


# --- Photos -------------------------------------------------------------------------------------


def survey_photo_store(
    *,
    municipality: Municipality,
    user,
    scope: FieldScope,
    photo_uuid: uuid.UUID,
    survey_uuid: uuid.UUID,
    jpeg: bytes,
    width: int,
    height: int,
    received_bytes: int,
) -> SyncResult:
    """Keep a survey's photo (already re-encoded without metadata) under the phone's id.

    The same photo sent again is recognised by its id and not stored twice. Its survey must
    have reached the server first (the app sends records before their photos): 409 otherwise,
    so the phone tries again later.
    """
    answer = {"client_uuid": str(photo_uuid)}
    held = SurveyPhoto.objects.filter(municipality=municipality, client_uuid=photo_uuid).first()
    if held is not None:
        return SyncResult(200, {**answer, "status": "unchanged", "bytes": held.size_bytes})
    survey = HouseSurvey.objects.filter(municipality=municipality, client_uuid=survey_uuid).first()
    if survey is None:
        return SyncResult(
            409, {**answer, "status": "waiting", "message": _("Send the survey first.")}, keep=False
        )
    if not scope.place_allowed(survey.place_id):
        return SyncResult(400, {"status": "refused", "errors": {"survey": [_("not your survey.")]}})
    stored_name = f"field/{municipality.pk}/{photo_uuid.hex}.jpg"
    path = Path(settings.MEDIA_ROOT) / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(jpeg)
    partial.replace(path)
    try:
        with transaction.atomic():
            SurveyPhoto.objects.create(
                municipality=municipality,
                client_uuid=photo_uuid,
                survey=survey,
                stored_name=stored_name,
                width=width,
                height=height,
                size_bytes=len(jpeg),
                received_bytes=received_bytes,
                uploaded_by=user,
            )
    except IntegrityError:
        return SyncResult(400, {"status": "refused", "errors": {"photo": [_("this id is taken.")]}})
    return SyncResult(201, {**answer, "status": "stored", "bytes": len(jpeg)})


# --- Conflicts (the supervisor's page) ----------------------------------------------------------


def conflict_list(*, municipality: Municipality, open_only: bool = True) -> list[SyncConflict]:
    """The municipality's conflicts, newest first (only the unresolved ones by default)."""
    found = SyncConflict.objects.filter(municipality=municipality).select_related("submitted_by")
    if open_only:
        found = found.filter(resolution="")
    return list(found)


@transaction.atomic
def conflict_resolve(
    *,
    conflict: SyncConflict,
    user,
    resolution: str,
    merged: Mapping[str, Any] | None = None,
    note: str = "",
) -> SyncConflict:
    """Resolve a conflict: keep the server's record, the phone's, or a merge edited by hand.

    The chosen record is written as a new version of the record, so phones that edit it next
    edit from that version. Raises `ValidationError` if the merge is not a valid record or the
    conflict is already resolved.
    """
    conflict = SyncConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.resolution:
        raise ValidationError(_("This conflict is already resolved."))
    if resolution not in SyncConflict.Resolution.values:
        raise ValidationError(_("Choose which version to keep."))
    chosen = None
    if resolution == SyncConflict.Resolution.KEPT_PHONE:
        chosen = conflict.phone_record
    elif resolution == SyncConflict.Resolution.MERGED:
        chosen = {**conflict.phone_record, **(merged or {})}
    if chosen is not None and conflict.survey_id is not None:
        _survey_overwrite(conflict, chosen, user)
    elif chosen is not None and conflict.spray_round_id is not None:
        _round_overwrite(conflict, chosen, user)
    conflict.resolution = resolution
    conflict.resolved_by = user
    conflict.resolved_at = timezone.now()
    conflict.note = (note or "").strip()[:300]
    conflict.save(update_fields=["resolution", "resolved_by", "resolved_at", "note"])
    return conflict


def _survey_overwrite(conflict: SyncConflict, chosen: Mapping[str, Any], user) -> None:
    survey = HouseSurvey.objects.select_for_update().get(pk=conflict.survey_id)
    municipality = survey.municipality
    types = {t.number: t for t in LarvalContainerType.objects.filter(municipality=municipality)}
    scope = FieldScope(
        municipality.pk, True, frozenset({survey.place_id, int(chosen.get("place_id") or 0)})
    )
    wanted, errors = survey_input(
        {**chosen, "client_uuid": str(survey.client_uuid), "base_version": survey.version},
        scope=scope,
        type_numbers=set(types),
    )
    if wanted is None:
        raise ValidationError(errors)
    survey.version += 1
    _survey_write(survey, wanted, types)


def _round_overwrite(conflict: SyncConflict, chosen: Mapping[str, Any], user) -> None:
    spray_round = SprayRound.objects.get(pk=conflict.spray_round_id)
    errors = _Errors()
    report = _round_report(chosen, errors)
    if errors:
        raise ValidationError(errors)
    current = _round_record(spray_round)
    if all(current.get(k) == chosen.get(k) for k in ROUND_REPORT_FIELDS):
        return
    corrected = spray_round_correct(
        spray_round=spray_round, user=user, reason=_("conflict resolved by a supervisor"), **report
    )
    corrected.version = spray_round.version + 1
    corrected.save(update_fields=["version"])


# --- Supervisors' approvals and corrections ------------------------------------------------------


def survey_record(survey: HouseSurvey) -> dict[str, Any]:
    """A house survey as JSON, as the phones send it and the change log keeps it."""
    return _survey_record(survey)


@transaction.atomic
def survey_correct(
    *,
    survey: HouseSurvey,
    user,
    seen_version: int,
    changes: Mapping[str, Any],
    reason: str,
) -> HouseSurvey:
    """A supervisor's correction of a survey's status and container rows, with a reason.

    The corrected record passes the phones' own checks (`survey_input`), becomes a new version
    (so a phone still holding the old one gets a conflict, not an overwrite), counts as
    approved by the supervisor, and is logged with the record before and after. Raises
    `ValidationError` when the record is invalid, the reason is missing, or the survey changed
    since the supervisor opened it (`seen_version`).
    """
    survey = HouseSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.version != seen_version:
        raise ValidationError(
            _("Someone changed this record while you were reading it: open it again.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("say why the record is corrected.")]})
    municipality = survey.municipality
    types = {t.number: t for t in LarvalContainerType.objects.filter(municipality=municipality)}
    before = _survey_record(survey)
    chosen = {
        **before,
        "status": changes.get("status"),
        "containers": changes.get("containers"),
        "base_version": survey.version,
    }
    scope = FieldScope(municipality.pk, True, frozenset({survey.place_id}))
    wanted, errors = survey_input(chosen, scope=scope, type_numbers=set(types))
    if wanted is None:
        raise ValidationError(errors)
    if _same_survey(before, wanted):
        raise ValidationError(_("Nothing was changed: approve the record instead."))
    version_from = survey.version
    survey.version += 1
    survey.approved_by = user
    survey.approved_at = timezone.now()
    survey.approved_version = survey.version
    _survey_write(survey, wanted, types)
    SurveyChange.objects.create(
        municipality=municipality,
        survey=survey,
        kind=SurveyChange.Kind.CORRECTED,
        changed_by=user,
        version_from=version_from,
        version_to=survey.version,
        old_record=before,
        new_record=_survey_record(survey),
        reason=reason[:300],
    )
    return survey


@transaction.atomic
def survey_approve(*, survey: HouseSurvey, user, seen_version: int, note: str = "") -> HouseSurvey:
    """A supervisor approves the version they read (logged); a later phone edit needs it again."""
    survey = HouseSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.version != seen_version:
        raise ValidationError(
            _("Someone changed this record while you were reading it: open it again.")
        )
    if survey.approved:
        raise ValidationError(_("This version is already approved."))
    survey.approved_by = user
    survey.approved_at = timezone.now()
    survey.approved_version = survey.version
    survey.save(update_fields=["approved_by", "approved_at", "approved_version", "updated_at"])
    record = _survey_record(survey)
    SurveyChange.objects.create(
        municipality=survey.municipality,
        survey=survey,
        kind=SurveyChange.Kind.APPROVED,
        changed_by=user,
        version_from=survey.version,
        version_to=survey.version,
        old_record=record,
        new_record=record,
        reason=(note or "").strip()[:300],
    )
    return survey
