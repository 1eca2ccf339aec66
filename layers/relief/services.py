"""Writes of the compensation register: rates, claims and their steps, photos, payments.

Every check of the relief rules is here, in one place: a claim only moves forward
(filed -> surveyed -> approved -> paid; rejected, with a reason, from filed or surveyed), an
approved amount never exceeds the surveyed amount nor the cap of the rate in force for its item,
and payments never exceed what was approved. Each write runs in one transaction on the claim's
locked row, validates before it saves, and leaves a step (who, when, what) behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.models import Building, FloodZone, Municipality, PersonalDataAccess
from layers.pdpa.identifiers import (
    identifier_digest,
    identifier_normalise,
    national_id_check_digit_ok,
)
from layers.relief import selectors
from layers.relief.models import (
    MAX_BAHT,
    ClaimStatus,
    PaymentMethod,
    ReliefClaim,
    ReliefClaimItem,
    ReliefClaimPersonal,
    ReliefClaimPhoto,
    ReliefClaimStep,
    ReliefItem,
    ReliefPayment,
    ReliefRate,
)

PERSONAL_FIELDS = ("full_name", "national_id", "phone", "address")


@dataclass(frozen=True)
class Claimant:
    """The claimant's personal data as typed by the officer."""

    full_name: str
    national_id: str = ""
    phone: str = ""
    address: str = ""


def _refuse(message: str) -> ValidationError:
    return ValidationError(message)


def _event_check(*, municipality: Municipality, event: str) -> None:
    if not FloodZone.objects.filter(municipality=municipality, event=event).exists():
        raise _refuse(_("There is no flood event “%(event)s” here.") % {"event": event[:80]})


def _baht_check(value: Decimal, what: str) -> Decimal:
    if not value.is_finite() or value < 0 or value > MAX_BAHT:
        limits = {"what": what, "max": f"{MAX_BAHT:,}"}
        raise _refuse(_("%(what)s must be between 0 and %(max)s baht.") % limits)
    return value.quantize(Decimal("0.01"))


def rate_save(
    *,
    municipality: Municipality,
    user,
    event: str,
    item: str,
    unit: str,
    amount_baht: Decimal,
    cap_baht: Decimal,
    document_ref: str,
    is_example: bool = False,
) -> ReliefRate:
    """Save a new version of the rate of one item for the event; earlier versions stay."""
    _event_check(municipality=municipality, event=event)
    rate = ReliefRate(
        municipality=municipality,
        event=event,
        item=item,
        unit=unit.strip(),
        amount_baht=_baht_check(amount_baht, _("The amount")),
        cap_baht=_baht_check(cap_baht, _("The cap")),
        document_ref=document_ref.strip(),
        is_example=is_example,
        saved_by=user,
    )
    with transaction.atomic():
        rate.full_clean()
        rate.save()
    return rate


def _claimant_check(claimant: Claimant) -> str:
    """The normalised national ID (may be empty) once the claimant's data is acceptable."""
    if not claimant.full_name.strip():
        raise _refuse(_("Enter the claimant's full name."))
    national_id = identifier_normalise(claimant.national_id)
    if claimant.national_id.strip() and not national_id_check_digit_ok(national_id):
        raise _refuse(_("The national ID must be 13 digits with a valid check digit."))
    return national_id


def _step(claim: ReliefClaim, user, status: object, **details) -> ReliefClaimStep:
    return ReliefClaimStep.objects.create(
        municipality_id=claim.municipality_id,
        claim=claim,
        status=status,
        user_ref=user.pk,
        username=user.get_username(),
        **details,
    )


@transaction.atomic
def claim_file(
    *,
    municipality: Municipality,
    user,
    event: str,
    building_id: int,
    items: Sequence[tuple[str, str]],
    claimant: Claimant,
) -> ReliefClaim:
    """File a household's claim: the items damaged, with the damage model's estimate.

    `items` are (item, description) pairs. The house's estimate is the building's damage under
    the flood damage model (`layers.flood.selectors.flood_damage`) for the event.
    """
    _event_check(municipality=municipality, event=event)
    building = Building.objects.filter(municipality=municipality, pk=building_id).first()
    if building is None:
        raise _refuse(_("There is no building number %(id)s here.") % {"id": building_id})
    kinds = [item for item, _description in items]
    if not kinds:
        raise _refuse(_("Choose at least one damaged item."))
    if len(set(kinds)) != len(kinds) or not set(kinds) <= set(ReliefItem.values):
        raise _refuse(_("Each item may be claimed once, from the listed items."))
    national_id = _claimant_check(claimant)
    estimate = selectors.building_damage_estimate(
        municipality=municipality, event=event, building_id=building.pk
    )
    claim = ReliefClaim.objects.create(
        municipality=municipality,
        event=event,
        building=building,
        subdistrict_code=selectors.building_subdistrict_code(building=building),
        person_digest=identifier_digest(national_id) if national_id else "",
        filed_by=user,
    )
    for item, description in items:
        ReliefClaimItem.objects.create(
            municipality=municipality,
            claim=claim,
            item=item,
            description=description.strip()[:300],
            estimate_baht=estimate.house_baht if item == ReliefItem.HOUSE else None,
        )
    ReliefClaimPersonal.objects.create(
        municipality=municipality,
        claim=claim,
        full_name=claimant.full_name.strip(),
        national_id=national_id,
        phone=identifier_normalise(claimant.phone),
        address=claimant.address.strip(),
        national_id_digest=claim.person_digest,
        phone_digest=identifier_digest(claimant.phone) if claimant.phone.strip() else "",
    )
    _step(claim, user, ClaimStatus.FILED)
    return claim


def _locked(claim: ReliefClaim, *allowed: object) -> ReliefClaim:
    """The claim's row, locked for this transaction, if its status allows the step."""
    locked = ReliefClaim.objects.select_for_update().get(
        pk=claim.pk, municipality_id=claim.municipality_id
    )
    if locked.status not in allowed:
        raise _refuse(
            _("This claim is “%(status)s”: this step is not possible now.")
            % {"status": locked.get_status_display()}
        )
    return locked


def _amounts_for_items(
    claim: ReliefClaim, amounts: Mapping[str, Decimal], what: str
) -> list[tuple[ReliefClaimItem, Decimal]]:
    items = list(claim.items.all())
    if set(amounts) != {i.item for i in items}:
        raise _refuse(_("Enter an amount for every claimed item, and for no other item."))
    return [(i, _baht_check(amounts[i.item], what)) for i in items]


@transaction.atomic
def claim_survey(
    *, claim: ReliefClaim, user, surveyed: Mapping[str, Decimal], note: str = ""
) -> ReliefClaim:
    """Record the field survey: the surveyed amount of every claimed item."""
    claim = _locked(claim, ClaimStatus.FILED)
    for item, amount in _amounts_for_items(claim, surveyed, _("A surveyed amount")):
        item.surveyed_baht = amount
        item.save(update_fields=["surveyed_baht"])
    claim.status = ClaimStatus.SURVEYED
    claim.save(update_fields=["status"])
    _step(claim, user, ClaimStatus.SURVEYED, note=note.strip()[:300])
    return claim


@transaction.atomic
def claim_approve(
    *, claim: ReliefClaim, user, meeting_date: date, approved: Mapping[str, Decimal]
) -> ReliefClaim:
    """The committee's approval: per item at most the surveyed amount and the rate's cap."""
    claim = _locked(claim, ClaimStatus.SURVEYED)
    if meeting_date > timezone.localdate():
        raise _refuse(_("The committee meeting date cannot be in the future."))
    rates = selectors.rates_in_force(municipality=claim.municipality, event=claim.event)
    checked = _amounts_for_items(claim, approved, _("An approved amount"))
    for item, amount in checked:
        _approved_check(item, amount, rates.get(item.item))
    for item, amount in checked:
        item.approved_baht = amount
        item.save(update_fields=["approved_baht"])
    claim.status = ClaimStatus.APPROVED
    claim.meeting_date = meeting_date
    claim.save(update_fields=["status", "meeting_date"])
    _step(claim, user, ClaimStatus.APPROVED, meeting_date=meeting_date)
    return claim


def _approved_check(item: ReliefClaimItem, amount: Decimal, rate: ReliefRate | None) -> None:
    label = item.get_item_display()
    if rate is None:
        raise _refuse(
            _("No relief rate is entered for “%(item)s” in this event: enter it first.")
            % {"item": label}
        )
    if item.surveyed_baht is None or amount > item.surveyed_baht:
        raise _refuse(
            _("“%(item)s”: the approved amount exceeds the surveyed amount.") % {"item": label}
        )
    if amount > rate.cap_baht:
        raise _refuse(
            _("“%(item)s”: the approved amount exceeds the cap of %(cap)s baht (%(ref)s).")
            % {"item": label, "cap": f"{rate.cap_baht:,.2f}", "ref": rate.document_ref}
        )


@transaction.atomic
def claim_reject(*, claim: ReliefClaim, user, reason: str) -> ReliefClaim:
    """Reject a claim that is filed or surveyed, with the reason."""
    claim = _locked(claim, ClaimStatus.FILED, ClaimStatus.SURVEYED)
    if not reason.strip():
        raise _refuse(_("Give the reason for the rejection."))
    claim.status = ClaimStatus.REJECTED
    claim.rejection_reason = reason.strip()
    claim.save(update_fields=["status", "rejection_reason"])
    _step(claim, user, ClaimStatus.REJECTED, reason=claim.rejection_reason)
    return claim


@transaction.atomic
def payment_record(
    *,
    claim: ReliefClaim,
    user,
    amount_baht: Decimal,
    paid_on: date,
    method: str,
    reference: str = "",
) -> ReliefPayment:
    """Record a payment; payments never exceed the approved total, which marks the claim paid."""
    claim = _locked(claim, ClaimStatus.APPROVED)
    amount = _baht_check(amount_baht, _("The payment"))
    if amount <= 0:
        raise _refuse(_("A payment must be more than 0 baht."))
    if paid_on > timezone.localdate():
        raise _refuse(_("The payment date cannot be in the future."))
    if method not in PaymentMethod.values:
        raise _refuse(_("Choose how the money was paid."))
    approved = claim.items.aggregate(total=Sum("approved_baht"))["total"] or Decimal(0)
    paid = claim.payments.aggregate(total=Sum("amount_baht"))["total"] or Decimal(0)
    if paid + amount > approved:
        raise _refuse(
            _("Payments would exceed the approved %(approved)s baht (already paid %(paid)s).")
            % {"approved": f"{approved:,.2f}", "paid": f"{paid:,.2f}"}
        )
    payment = ReliefPayment.objects.create(
        municipality_id=claim.municipality_id,
        claim=claim,
        amount_baht=amount,
        paid_on=paid_on,
        method=method,
        reference=reference.strip()[:100],
        recorded_by=user,
    )
    if paid + amount == approved:
        claim.status = ClaimStatus.PAID
        claim.save(update_fields=["status"])
        _step(claim, user, ClaimStatus.PAID, note=f"{paid + amount:,.2f}")
    return payment


@transaction.atomic
def claim_photo_add(
    *, claim: ReliefClaim, user, stored_name: str, width: int, height: int
) -> ReliefClaimPhoto:
    """Attach a field photo (already re-encoded without metadata) to an open claim."""
    claim = _locked(claim, ClaimStatus.FILED, ClaimStatus.SURVEYED)
    return ReliefClaimPhoto.objects.create(
        municipality_id=claim.municipality_id,
        claim=claim,
        stored_name=stored_name,
        width=width,
        height=height,
        uploaded_by=user,
    )


@transaction.atomic
def claim_personal_read(*, claim: ReliefClaim, user) -> Claimant | None:
    """The claimant's personal data, the read logged (who, when, which claim, why).

    The caller has checked that the user may read the register's personal data.
    """
    personal = ReliefClaimPersonal.objects.filter(claim=claim).first()
    _access_log(claim.municipality_id, user, [claim.pk], personal is not None)
    if personal is None:
        return None
    return Claimant(**{name: getattr(personal, name) for name in PERSONAL_FIELDS})


@transaction.atomic
def claimant_names_read(*, municipality: Municipality, user, claim_ids: list[int]) -> dict:
    """Claimants' names for a list or an export, each claim's read logged."""
    names = dict(
        ReliefClaimPersonal.objects.filter(
            municipality=municipality, claim_id__in=claim_ids
        ).values_list("claim_id", "full_name")
    )
    PersonalDataAccess.objects.bulk_create(
        [_access_row(municipality.pk, user, pk, "full_name") for pk in claim_ids]
    )
    return names


def _access_row(municipality_id: int, user, claim_id: int, fields: str) -> PersonalDataAccess:
    return PersonalDataAccess(
        municipality_id=municipality_id,
        case_ref=claim_id,
        user_ref=user.pk,
        username=user.get_username(),
        purpose=PersonalDataAccess.Purpose.RELIEF,
        fields=f"relief claim: {fields}",
    )


def _access_log(municipality_id: int, user, claim_ids: list[int], found: bool) -> None:
    fields = ",".join(PERSONAL_FIELDS) if found else ""
    PersonalDataAccess.objects.bulk_create(
        [_access_row(municipality_id, user, pk, fields) for pk in claim_ids]
    )


#: Example rates for the demo: round numbers, labelled as examples, not the official amounts.
EXAMPLE_RATES = {
    ReliefItem.HOUSE: ("ตามที่ซ่อมจริง (บาท)", Decimal(1), Decimal(30_000)),
    ReliefItem.BELONGINGS: ("ครัวเรือน", Decimal(3_000), Decimal(3_000)),
    ReliefItem.CROPS: ("ไร่", Decimal(1_000), Decimal(30_000)),
    ReliefItem.LIVESTOCK: ("ตัว", Decimal(500), Decimal(10_000)),
    ReliefItem.INCOME: ("ครัวเรือน", Decimal(3_000), Decimal(3_000)),
}
EXAMPLE_DOCUMENT = "ตัวอย่างสำหรับการสาธิตเท่านั้น ไม่ใช่อัตราทางราชการ"


@transaction.atomic
def example_rates_seed(*, municipality: Municipality, event: str) -> int:
    """Example rates for a demo event, for items that have none yet; returns rows created."""
    have = set(
        ReliefRate.objects.filter(municipality=municipality, event=event).values_list(
            "item", flat=True
        )
    )
    new = [
        ReliefRate(
            municipality=municipality,
            event=event,
            item=item,
            unit=unit,
            amount_baht=amount,
            cap_baht=cap,
            document_ref=EXAMPLE_DOCUMENT,
            is_example=True,
        )
        for item, (unit, amount, cap) in EXAMPLE_RATES.items()
        if item not in have
    ]
    ReliefRate.objects.bulk_create(new)
    return len(new)


@transaction.atomic
def claimant_export(
    *, municipality_id: int, user, national_id: str = "", phone: str = ""
) -> list[dict]:
    """A person's relief claims (PDPA right of access), found by digest, each read logged."""
    digests = [d for d in (identifier_digest(national_id), identifier_digest(phone)) if d]
    if not digests:
        return []
    rows = (
        ReliefClaimPersonal.objects.filter(municipality_id=municipality_id)
        .filter(Q(national_id_digest__in=digests) | Q(phone_digest__in=digests))
        .select_related("claim")
        .order_by("claim_id")
    )
    records = []
    for personal in rows:
        claim = personal.claim
        PersonalDataAccess.objects.create(
            municipality_id=municipality_id,
            case_ref=claim.pk,
            user_ref=user.pk,
            username=user.get_username(),
            purpose=PersonalDataAccess.Purpose.DATA_SUBJECT_REQUEST,
            fields="relief claim: " + ",".join(PERSONAL_FIELDS),
        )
        records.append(_claim_record(claim, personal))
    return records


def _claim_record(claim: ReliefClaim, personal: ReliefClaimPersonal) -> dict:
    return {
        "claim": {
            "number": claim.pk,
            "event": claim.event,
            "building": claim.building_id,
            "status": claim.status,
            "meeting_date": claim.meeting_date.isoformat() if claim.meeting_date else None,
            "rejection_reason": claim.rejection_reason,
            "filed_at": claim.filed_at.isoformat(),
        },
        "items": [
            {
                "item": i.item,
                "description": i.description,
                "estimate_baht": _plain(i.estimate_baht),
                "surveyed_baht": _plain(i.surveyed_baht),
                "approved_baht": _plain(i.approved_baht),
            }
            for i in claim.items.all()
        ],
        "payments": [
            {"amount_baht": _plain(p.amount_baht), "paid_on": p.paid_on.isoformat()}
            for p in claim.payments.all()
        ],
        "personal": {name: getattr(personal, name) for name in PERSONAL_FIELDS},
        "reads": [
            {"at": r.at.isoformat(), "by": r.username, "purpose": r.purpose}
            for r in PersonalDataAccess.objects.filter(
                municipality_id=claim.municipality_id,
                case_ref=claim.pk,
                fields__startswith="relief claim",
            ).order_by("at")
        ],
    }


def _plain(value: Decimal | None) -> str | None:
    """Baht as text ("1234.50"), so JSON keeps the satang exact."""
    return None if value is None else str(value)
