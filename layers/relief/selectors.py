"""Reads of the compensation register: rates in force, claims with their totals and flags.

Nothing here returns claimants' personal data: that goes through
`layers.relief.services.claim_personal_read`, which logs each read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from layers.flood import selectors as flood
from layers.models import Building, Municipality, Subdistrict
from layers.pdpa.identifiers import identifier_digest, identifier_normalise
from layers.relief.models import (
    ClaimStatus,
    ReliefClaim,
    ReliefClaimItem,
    ReliefClaimPersonal,
    ReliefClaimPhoto,
    ReliefItem,
    ReliefPayment,
    ReliefRate,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BuildingEstimate:
    """The flood damage model's estimate for one building in one event (None: not damaged)."""

    house_baht: Decimal | None


def building_damage_estimate(
    *, municipality: Municipality, event: str, building_id: int
) -> BuildingEstimate:
    """The building's damage in the event, from the same model as the flood damage page."""
    situation = flood.flood_situation(
        municipality=municipality,
        needs=flood.needs_profile_current(municipality=municipality),
        event=event,
    )
    damage = flood.flood_damage(
        situation=situation, settings=flood.damage_settings_current(municipality=municipality)
    )
    frame = damage.buildings
    row = frame[frame["id"].astype("int64") == int(building_id)]
    if row.empty:
        return BuildingEstimate(house_baht=None)
    baht = float(row["damage_baht"].iloc[0])
    if not math.isfinite(baht):
        return BuildingEstimate(house_baht=None)
    return BuildingEstimate(house_baht=Decimal(f"{baht:.2f}"))


def building_subdistrict_code(*, building: Building) -> str:
    """The code of the subdistrict holding a point of the building (as flood summaries count)."""
    point = building.geom.point_on_surface
    code = (
        Subdistrict.objects.filter(municipality_id=building.municipality_id, geom__covers=point)
        .values_list("code", flat=True)
        .first()
    )
    return code or ""


def rates_in_force(*, municipality: Municipality, event: str) -> dict[str, ReliefRate]:
    """The newest rate per item of the event."""
    found: dict[str, ReliefRate] = {}
    for rate in ReliefRate.objects.filter(municipality=municipality, event=event).order_by(
        "-saved_at", "-id"
    ):
        found.setdefault(rate.item, rate)
    return {item: found[item] for item in ReliefItem.values if item in found}


def rate_history(*, municipality: Municipality, event: str, limit: int = 50) -> list[ReliefRate]:
    """Every rate saved for the event, newest first, with who saved it."""
    return list(
        ReliefRate.objects.filter(municipality=municipality, event=event)
        .select_related("saved_by")
        .order_by("-saved_at", "-id")[:limit]
    )


def _sum(field: str) -> Coalesce:
    return Coalesce(
        Subquery(
            ReliefClaimItem.objects.filter(claim=OuterRef("pk"))
            .values("claim")
            .annotate(total=Sum(field))
            .values("total")
        ),
        ZERO,
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _paid() -> Coalesce:
    return Coalesce(
        Subquery(
            ReliefPayment.objects.filter(claim=OuterRef("pk"))
            .values("claim")
            .annotate(total=Sum("amount_baht"))
            .values("total")
        ),
        ZERO,
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _duplicate() -> Exists:
    """Another live claim of the same event for the same building by the same person."""
    return Exists(
        ReliefClaim.objects.filter(
            municipality=OuterRef("municipality"),
            event=OuterRef("event"),
            building=OuterRef("building"),
            person_digest=OuterRef("person_digest"),
        )
        .exclude(pk=OuterRef("pk"))
        .exclude(person_digest="")
        .exclude(status=ClaimStatus.REJECTED)
    )


def claim_list(
    *,
    municipality: Municipality,
    event: str,
    status: str = "",
    subdistrict: str = "",
    search: str = "",
) -> QuerySet[ReliefClaim]:
    """The event's claims with their totals and duplicate flag, oldest first.

    `search` is a claim number, a building number, or a national ID (matched by its digest,
    never by decrypting: names are encrypted and cannot be searched).
    """
    claims = ReliefClaim.objects.filter(municipality=municipality, event=event)
    if status:
        claims = claims.filter(status=status)
    if subdistrict:
        claims = claims.filter(subdistrict_code=subdistrict)
    if search:
        claims = claims.filter(_search(search))
    return _with_totals(claims).order_by("filed_at", "id")


def _with_totals(claims: QuerySet[ReliefClaim]) -> QuerySet[ReliefClaim]:
    return claims.annotate(
        estimate_total=_sum("estimate_baht"),
        surveyed_total=_sum("surveyed_baht"),
        approved_total=_sum("approved_baht"),
        paid_total=_paid(),
        is_duplicate=_duplicate(),
    )


def _search(text: str) -> Q:
    digits = identifier_normalise(text)
    if len(digits) == 13:
        return Q(person_digest=identifier_digest(digits))
    if digits and digits == text.strip() and len(digits) <= 12:
        number = int(digits)
        return Q(pk=number) | Q(building_id=number)
    return Q(pk__in=[])


def claim_get(*, municipality: Municipality, claim_id: int) -> ReliefClaim | None:
    """One claim of the municipality with its totals and flag (None if it is not one of its)."""
    claims = ReliefClaim.objects.filter(municipality=municipality, pk=claim_id)
    return _with_totals(claims).select_related("building").first()


def claims_by_building(*, municipality: Municipality, event: str) -> dict[int, int]:
    """Building id -> the latest live claim's id for the event (the aid list links to it)."""
    found: dict[int, int] = {}
    for building_id, claim_id in (
        ReliefClaim.objects.filter(municipality=municipality, event=event)
        .exclude(status=ClaimStatus.REJECTED)
        .exclude(building=None)
        .order_by("filed_at", "id")
        .values_list("building_id", "id")
    ):
        found[building_id] = claim_id
    return found


@dataclass(frozen=True)
class SubdistrictSummary:
    """Claims of one subdistrict in one event: counts per status and amounts."""

    code: str
    name: str
    claims: int
    by_status: dict[str, int]
    estimate_baht: Decimal
    surveyed_baht: Decimal
    approved_baht: Decimal
    paid_baht: Decimal


def claim_summary_by_subdistrict(
    *, municipality: Municipality, event: str
) -> list[SubdistrictSummary]:
    """One row per subdistrict with claims (or none), in code order; amounts summed in SQL."""
    names = subdistrict_names(municipality=municipality)
    claims = ReliefClaim.objects.filter(municipality=municipality, event=event)
    counts = {
        row["subdistrict_code"]: row
        for row in claims.values("subdistrict_code").annotate(
            total=Count("id"),
            **{s: Count("id", filter=Q(status=s)) for s in ClaimStatus.values},
        )
    }
    amounts = {
        row["claim__subdistrict_code"]: row
        for row in ReliefClaimItem.objects.filter(claim__in=claims)
        .values("claim__subdistrict_code")
        .annotate(
            estimate=Sum("estimate_baht"),
            surveyed=Sum("surveyed_baht"),
            approved=Sum("approved_baht"),
        )
    }
    paid = dict(
        ReliefPayment.objects.filter(claim__in=claims)
        .values("claim__subdistrict_code")
        .annotate(total=Sum("amount_baht"))
        .values_list("claim__subdistrict_code", "total")
    )
    return [
        SubdistrictSummary(
            code=code,
            name=names.get(code, code),
            claims=counts.get(code, {}).get("total", 0),
            by_status={s: counts.get(code, {}).get(s, 0) for s in ClaimStatus.values},
            estimate_baht=amounts.get(code, {}).get("estimate") or ZERO,
            surveyed_baht=amounts.get(code, {}).get("surveyed") or ZERO,
            approved_baht=amounts.get(code, {}).get("approved") or ZERO,
            paid_baht=paid.get(code) or ZERO,
        )
        for code in sorted(set(names) | set(counts))
    ]


def claim_item_labels(*, claim_ids: list[int]) -> dict[int, str]:
    """Claim id -> its items' names on one line ("House (repair), Crops")."""
    labels = dict(ReliefItem.choices)
    found: dict[int, list[str]] = {}
    for claim_id, item in (
        ReliefClaimItem.objects.filter(claim_id__in=claim_ids)
        .order_by("claim_id", "id")
        .values_list("claim_id", "item")
    ):
        found.setdefault(claim_id, []).append(str(labels[item]))
    return {pk: ", ".join(items) for pk, items in found.items()}


def claims_of_same_building(*, claim: ReliefClaim) -> list[int]:
    """Ids of the event's other claims for the same building (for the officer to compare)."""
    if claim.building_id is None:
        return []
    return list(
        ReliefClaim.objects.filter(
            municipality_id=claim.municipality_id, event=claim.event, building_id=claim.building_id
        )
        .exclude(pk=claim.pk)
        .order_by("id")
        .values_list("pk", flat=True)
    )


def claim_photo_get(
    *, municipality: Municipality, claim_id: int, photo_id: int
) -> ReliefClaimPhoto | None:
    """A field photo of one of the municipality's claims (None if it is not one of its)."""
    return ReliefClaimPhoto.objects.filter(
        municipality=municipality, claim_id=claim_id, pk=photo_id
    ).first()


def subdistrict_names(*, municipality: Municipality) -> dict[str, str]:
    """Subdistrict code -> Thai name, in code order (filters and tables)."""
    return dict(
        Subdistrict.objects.filter(municipality=municipality)
        .order_by("code")
        .values_list("code", "name_th")
    )


def claims_of_person(*, municipality_id: int, national_id: str = "", phone: str = "") -> list[int]:
    """Numbers of the relief claims whose claimant has this national ID or phone (by digest).

    A PDPA erasure does not remove them (the register records public money: its claims are
    kept and closed by the relief committee), so the request page names them instead.
    """
    digests = [d for d in (identifier_digest(national_id), identifier_digest(phone)) if d]
    if not digests:
        return []
    return list(
        ReliefClaimPersonal.objects.filter(municipality_id=municipality_id)
        .filter(Q(national_id_digest__in=digests) | Q(phone_digest__in=digests))
        .order_by("claim_id")
        .values_list("claim_id", flat=True)
    )
