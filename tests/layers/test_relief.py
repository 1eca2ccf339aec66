"""The compensation register's rules: forward-only steps, caps, payments, duplicates, PDPA."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Point
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from layers.flood import selectors as flood
from layers.models import Building, FloodZone, PersonalDataAccess, Subdistrict
from layers.pdpa.identifiers import identifier_digest
from layers.relief import selectors, services
from layers.relief.models import ClaimStatus, ReliefClaim, ReliefClaimPersonal, ReliefRate

NATIONAL_ID = "1101700230708"  # a valid check digit, fictitious
OTHER_ID = "3100600123450"


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English here (Thai is the default language)."""
    with translation.override("en"):
        yield


def user(name: str):
    return get_user_model().objects.get(username=name)


def demo_event(municipality) -> str:
    return FloodZone.objects.filter(municipality=municipality).values_list("event", flat=True)[0]


def damaged_buildings(municipality, event: str, n: int = 2) -> list[tuple[int, float]]:
    """The n most damaged buildings of the event, from the flood damage model itself."""
    situation = flood.flood_situation(
        municipality=municipality,
        needs=flood.needs_profile_current(municipality=municipality),
        event=event,
    )
    frame = flood.flood_damage(
        situation=situation, settings=flood.damage_settings_current(municipality=municipality)
    ).buildings
    frame = frame[frame["damage_baht"] > 0].sort_values("damage_baht", ascending=False)
    return [(int(r["id"]), float(r["damage_baht"])) for _i, r in frame.head(n).iterrows()]


def file_claim(municipality, *, building_id=None, national_id=NATIONAL_ID, items=None):
    event = demo_event(municipality)
    if building_id is None:
        building_id = damaged_buildings(municipality, event, 1)[0][0]
    return services.claim_file(
        municipality=municipality,
        user=user("nst-disaster"),
        event=event,
        building_id=building_id,
        items=items or [("house", "หลังคาและผนัง"), ("belongings", "ตู้เย็น")],
        claimant=services.Claimant(
            full_name="นางสมศรี ทดสอบ", national_id=national_id, phone="081-234-5678"
        ),
    )


def to_approved(claim, house="20000", belongings="3000"):
    services.claim_survey(
        claim=claim,
        user=user("nst-disaster"),
        surveyed={"house": Decimal("25000"), "belongings": Decimal("4000")},
    )
    return services.claim_approve(
        claim=claim,
        user=user("nst-approver"),
        meeting_date=timezone.localdate(),
        approved={"house": Decimal(house), "belongings": Decimal(belongings)},
    )


def test_demo_event_has_example_rates_labelled_as_such(nst):
    rates = selectors.rates_in_force(municipality=nst, event=demo_event(nst))

    assert set(rates) == {"house", "belongings", "crops", "livestock", "income"}
    assert all(r.is_example and "ไม่ใช่อัตราทางราชการ" in r.document_ref for r in rates.values())


def test_filing_takes_the_house_estimate_from_the_damage_model(nst):
    event = demo_event(nst)
    (building_id, damage_baht), _next = damaged_buildings(nst, event)

    claim = file_claim(nst, building_id=building_id)

    items = {i.item: i for i in claim.items.all()}
    assert items["house"].estimate_baht == Decimal(f"{damage_baht:.2f}")
    assert items["house"].estimate_baht > 0
    assert items["belongings"].estimate_baht is None
    building = Building.objects.get(pk=building_id)
    holder = Subdistrict.objects.get(municipality=nst, geom__covers=building.geom.point_on_surface)
    assert claim.subdistrict_code == holder.code
    assert [s.status for s in claim.steps.all()] == ["filed"]


def test_claimant_data_is_encrypted_at_rest_and_its_digest_kept(nst):
    claim = file_claim(nst)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT full_name, national_id FROM layers_reliefclaimpersonal WHERE claim_id = %s",
            [claim.pk],
        )
        stored_name, stored_id = cursor.fetchone()
    assert stored_name.startswith("enc1:")
    assert "สมศรี" not in stored_name
    assert NATIONAL_ID not in stored_id
    assert claim.person_digest == identifier_digest(NATIONAL_ID)
    assert ReliefClaimPersonal.objects.get(claim=claim).full_name == "นางสมศรี ทดสอบ"


def test_reading_personal_data_is_logged(nst):
    claim = file_claim(nst)
    before = PersonalDataAccess.objects.filter(case_ref=claim.pk, purpose="relief").count()

    claimant = services.claim_personal_read(claim=claim, user=user("nst-finance"))

    assert claimant.national_id == NATIONAL_ID
    log = PersonalDataAccess.objects.filter(case_ref=claim.pk, purpose="relief")
    assert log.count() == before + 1
    assert log.first().username == "nst-finance"


def test_a_claim_goes_from_filed_to_paid(nst):
    claim = to_approved(file_claim(nst))

    first = services.payment_record(
        claim=claim,
        user=user("nst-finance"),
        amount_baht=Decimal("10000"),
        paid_on=timezone.localdate(),
        method="transfer",
        reference="TR-1",
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED  # 10,000 of 23,000 paid
    services.payment_record(
        claim=claim,
        user=user("nst-finance"),
        amount_baht=Decimal("13000"),
        paid_on=timezone.localdate(),
        method="cheque",
    )

    claim.refresh_from_db()
    assert first.amount_baht == Decimal("10000.00")
    assert claim.status == ClaimStatus.PAID
    assert [(s.status, s.username) for s in claim.steps.all()] == [
        ("filed", "nst-disaster"),
        ("surveyed", "nst-disaster"),
        ("approved", "nst-approver"),
        ("paid", "nst-finance"),
    ]
    assert claim.steps.get(status="approved").meeting_date == timezone.localdate()


def test_approved_amount_above_the_surveyed_amount_is_refused(nst):
    claim = file_claim(nst)
    with pytest.raises(ValidationError, match="surveyed"):
        to_approved(claim, house="25000.01")  # surveyed 25,000, under the cap of 30,000
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SURVEYED
    assert all(i.approved_baht is None for i in claim.items.all())


def test_approved_amount_above_the_cap_is_refused_naming_the_document(nst):
    claim = file_claim(nst)
    services.claim_survey(
        claim=claim,
        user=user("nst-disaster"),
        surveyed={"house": Decimal("40000"), "belongings": Decimal("3000")},
    )
    with pytest.raises(ValidationError) as refused:
        services.claim_approve(
            claim=claim,
            user=user("nst-approver"),
            meeting_date=timezone.localdate(),
            approved={"house": Decimal("30000.01"), "belongings": Decimal("3000")},
        )
    assert "30,000.00" in str(refused.value)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SURVEYED


def test_the_newest_rate_is_the_one_in_force(nst):
    event = demo_event(nst)
    services.rate_save(
        municipality=nst,
        user=user("nst-admin"),
        event=event,
        item="house",
        unit="หลัง",
        amount_baht=Decimal("1"),
        cap_baht=Decimal("10000"),
        document_ref="ประกาศทดสอบ ฉบับที่ 2",
    )
    claim = file_claim(nst)

    with pytest.raises(ValidationError, match=r"10,000\.00"):
        to_approved(claim, house="20000")
    assert selectors.rates_in_force(municipality=nst, event=event)["house"].cap_baht == 10000


def test_approval_without_a_rate_for_the_item_is_refused(nst):
    event = demo_event(nst)
    ReliefRate.objects.filter(municipality=nst, event=event, item="income").delete()
    claim = file_claim(nst, items=[("income", "ขาดรายได้")])
    services.claim_survey(claim=claim, user=user("nst-disaster"), surveyed={"income": Decimal(5)})

    with pytest.raises(ValidationError, match="No relief rate"):
        services.claim_approve(
            claim=claim,
            user=user("nst-approver"),
            meeting_date=timezone.localdate(),
            approved={"income": Decimal(5)},
        )


def test_payments_never_exceed_the_approved_total(nst):
    claim = to_approved(file_claim(nst))

    with pytest.raises(ValidationError, match="exceed"):
        services.payment_record(
            claim=claim,
            user=user("nst-finance"),
            amount_baht=Decimal("23000.01"),
            paid_on=timezone.localdate(),
            method="cash",
        )
    assert not claim.payments.exists()


def _approve_filed(claim, surveyed):
    services.claim_approve(
        claim=claim, user=user("nst-approver"), meeting_date=date(2026, 1, 1), approved=surveyed
    )


def _pay_filed(claim, surveyed):
    services.payment_record(
        claim=claim,
        user=user("nst-finance"),
        amount_baht=Decimal(1),
        paid_on=date(2026, 1, 1),
        method="cash",
    )


def _survey_twice(claim, surveyed):
    services.claim_survey(claim=claim, user=user("nst-disaster"), surveyed=surveyed)
    services.claim_survey(claim=claim, user=user("nst-disaster"), surveyed=surveyed)


def _reject_approved(claim, surveyed):
    to_approved(claim)
    services.claim_reject(claim=claim, user=user("nst-approver"), reason="ซ้ำ")


def _reject_without_reason(claim, surveyed):
    services.claim_reject(claim=claim, user=user("nst-approver"), reason="   ")


@pytest.mark.parametrize(
    "step", [_approve_filed, _pay_filed, _survey_twice, _reject_approved, _reject_without_reason]
)
def test_steps_only_go_forward(nst, step):
    claim = file_claim(nst)
    surveyed = {"house": Decimal(1), "belongings": Decimal(1)}

    with pytest.raises(ValidationError):
        step(claim, surveyed)


def test_rejection_keeps_its_reason(nst):
    claim = file_claim(nst)

    services.claim_reject(claim=claim, user=user("nst-approver"), reason="ไม่ได้อยู่อาศัยจริง")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert claim.steps.last().reason == "ไม่ได้อยู่อาศัยจริง"


def test_future_meeting_and_payment_dates_are_refused(nst):
    claim = file_claim(nst)
    services.claim_survey(
        claim=claim,
        user=user("nst-disaster"),
        surveyed={"house": Decimal(100), "belongings": Decimal(100)},
    )
    with pytest.raises(ValidationError, match="future"):
        services.claim_approve(
            claim=claim,
            user=user("nst-approver"),
            meeting_date=timezone.localdate() + timedelta(days=1),
            approved={"house": Decimal(100), "belongings": Decimal(100)},
        )


def test_same_house_same_person_same_event_is_flagged(nst):
    event = demo_event(nst)
    (first_building, _d), (second_building, _e) = damaged_buildings(nst, event)
    a = file_claim(nst, building_id=first_building)
    b = file_claim(nst, building_id=first_building, national_id="1-1017-00230-70-8")
    other_person = file_claim(nst, building_id=first_building, national_id=OTHER_ID)
    other_house = file_claim(nst, building_id=second_building)

    flags = dict(
        selectors.claim_list(municipality=nst, event=event).values_list("pk", "is_duplicate")
    )

    assert flags[a.pk]
    assert flags[b.pk]
    assert not flags[other_person.pk]
    assert not flags[other_house.pk]
    services.claim_reject(claim=b, user=user("nst-approver"), reason="ยื่นซ้ำ")
    flags = dict(
        selectors.claim_list(municipality=nst, event=event).values_list("pk", "is_duplicate")
    )
    assert not flags[a.pk]


def test_search_by_national_id_uses_the_digest(nst):
    claim = file_claim(nst)
    event = demo_event(nst)

    found = selectors.claim_list(municipality=nst, event=event, search="1 1017 00230 70 8")

    assert claim.pk in {c.pk for c in found}
    assert not selectors.claim_list(municipality=nst, event=event, search=OTHER_ID).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"building_id": 10**12}, "no building"),
        ({"national_id": "1101700230709"}, "check digit"),
        ({"items": [("house", ""), ("house", "")]}, "once"),
        ({"items": [("yacht", "")]}, "once"),
    ],
)
def test_bad_claims_are_refused_and_nothing_is_saved(nst, change, message):
    before = ReliefClaim.objects.count()
    with pytest.raises(ValidationError, match=message):
        file_claim(nst, **change)
    assert ReliefClaim.objects.count() == before


def test_another_municipalitys_building_cannot_be_claimed(nst, chon):
    chon_building = Building.objects.create(
        municipality=chon, geom=MultiPolygon(Point(100.98, 13.36).buffer(0.0001))
    )

    with pytest.raises(ValidationError, match="no building"):
        file_claim(nst, building_id=chon_building.pk)


def test_summary_per_subdistrict_adds_up(nst):
    event = demo_event(nst)
    claim = to_approved(file_claim(nst))
    services.payment_record(
        claim=claim,
        user=user("nst-finance"),
        amount_baht=Decimal("500"),
        paid_on=timezone.localdate(),
        method="cash",
    )

    rows = selectors.claim_summary_by_subdistrict(municipality=nst, event=event)

    row = next(r for r in rows if r.code == claim.subdistrict_code)
    assert row.claims >= 1
    assert row.by_status["approved"] >= 1
    assert sum(r.approved_baht for r in rows) == sum(
        c.approved_total for c in selectors.claim_list(municipality=nst, event=event)
    )
    assert sum(r.paid_baht for r in rows) >= Decimal("500")
