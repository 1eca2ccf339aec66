"""Attacks on the relief register: other towns' claims, wrong roles, overpayment, personal data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from layers.models import PersonalDataAccess
from layers.relief import services
from layers.relief.models import ClaimStatus, ReliefClaim, ReliefPayment, ReliefRate
from layers.tenancy import all_municipality_ids, tenant_scope_set
from tests.geoapp.test_isolation import _relief_claim
from tests.layers.test_relief import NATIONAL_ID, file_claim, to_approved

NST, CHON = "nakhon-si-thammarat", "chon-buri"
CHON_USERS = [
    "chon-viewer",
    "chon-planner",
    "chon-health",
    "chon-disaster",
    "chon-editor",
    "chon-admin",
    "chon-approver",
    "chon-finance",
]
NOT_RELIEF = ["nst-viewer", "nst-planner", "nst-health", "nst-editor"]


def client_for(username: str, **kwargs) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", **kwargs)
    client.force_login(get_user_model().objects.get(username=username))
    return client


def claim_url(code: str, claim_id: int) -> str:
    return reverse("flood-relief-claim", kwargs={"code": code, "claim_id": claim_id})


@pytest.mark.parametrize("username", CHON_USERS)
def test_another_municipalitys_claim_by_id_is_404_both_ways(db, nst, username):
    claim = file_claim(nst)
    client = client_for(username)

    theirs = client.get(claim_url(NST, claim.pk))
    own = client.get(claim_url(CHON, claim.pk))  # 403 for a role without the register

    assert theirs.status_code == 404
    assert own.status_code in (403, 404)
    assert "สมศรี" not in theirs.content.decode() + own.content.decode()
    posted = client.post(claim_url(CHON, claim.pk), {"step": "reject", "reason": "x"})
    assert posted.status_code in (403, 404)
    tenant_scope_set(municipality_ids=all_municipality_ids())  # the requests narrowed it
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FILED


def test_another_municipalitys_photo_through_own_url_is_404(db, nst):
    claim_id, photo_id = _relief_claim(NST)
    url = reverse(
        "flood-relief-photo", kwargs={"code": CHON, "claim_id": claim_id, "photo_id": photo_id}
    )

    assert client_for("chon-admin").get(url).status_code == 404


def test_row_level_security_hides_claims_and_personal_data_from_another_tenant(db, nst, chon):
    claim = file_claim(nst)

    tenant_scope_set(municipality_ids=[chon.pk])

    assert not ReliefClaim.objects.filter(pk=claim.pk).exists()
    assert not ReliefClaim.objects.filter(municipality=nst).exists()
    assert not PersonalDataAccess.objects.filter(municipality=nst).exists()


def test_a_disaster_officer_cannot_approve(db, nst):
    claim = file_claim(nst)
    services.claim_survey(
        claim=claim,
        user=get_user_model().objects.get(username="nst-disaster"),
        surveyed={"house": Decimal(1000), "belongings": Decimal(1000)},
    )

    response = client_for("nst-disaster").post(
        claim_url(NST, claim.pk),
        {
            "step": "approve",
            "meeting_date": timezone.localdate().isoformat(),
            "amount_house": "1000",
            "amount_belongings": "1000",
        },
    )

    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SURVEYED
    assert not claim.steps.filter(status="approved").exists()


@pytest.mark.parametrize("username", ["nst-disaster", "nst-approver", "nst-finance"])
def test_only_the_administrator_changes_the_rates(db, nst, username):
    before = ReliefRate.objects.filter(municipality=nst).count()
    data = {
        "item": "house",
        "unit": "หลัง",
        "amount_baht": "1",
        "cap_baht": "99999999",
        "document_ref": "ปลอม",
    }

    response = client_for(username).post(reverse("flood-relief-rates", args=[NST]), data)

    assert response.status_code == 403
    assert ReliefRate.objects.filter(municipality=nst).count() == before


def test_an_approver_cannot_pay_and_finance_cannot_approve(db, nst):
    claim = to_approved(file_claim(nst))
    pay = {"step": "pay", "amount_baht": "100", "paid_on": "2026-01-01", "method": "cash"}

    assert client_for("nst-approver").post(claim_url(NST, claim.pk), pay).status_code == 403
    reject = {"step": "reject", "reason": "ไม่ชอบ"}
    assert client_for("nst-finance").post(claim_url(NST, claim.pk), reject).status_code == 403
    assert not ReliefPayment.objects.filter(claim=claim).exists()


def test_finance_cannot_pay_more_than_approved(db, nst):
    claim = to_approved(file_claim(nst))  # 23,000 approved
    finance = client_for("nst-finance")
    today = timezone.localdate().isoformat()

    first = finance.post(
        claim_url(NST, claim.pk),
        {"step": "pay", "amount_baht": "20000", "paid_on": today, "method": "transfer"},
    )
    over = finance.post(
        claim_url(NST, claim.pk),
        {"step": "pay", "amount_baht": "3000.01", "paid_on": today, "method": "transfer"},
    )

    assert first.status_code == 302
    assert over.status_code == 400
    assert "23,000.00" in over.content.decode()
    assert [p.amount_baht for p in ReliefPayment.objects.filter(claim=claim)] == [Decimal(20000)]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_a_paid_claim_takes_no_more_payments(db, nst):
    claim = to_approved(file_claim(nst))
    finance = client_for("nst-finance")
    today = timezone.localdate().isoformat()
    full = {"step": "pay", "amount_baht": "23000", "paid_on": today, "method": "cash"}

    assert finance.post(claim_url(NST, claim.pk), full).status_code == 302
    assert finance.post(claim_url(NST, claim.pk), full).status_code == 400
    assert ReliefPayment.objects.filter(claim=claim).count() == 1


@pytest.mark.parametrize("username", NOT_RELIEF)
def test_personal_data_is_not_shown_to_other_roles_and_nothing_is_logged(db, nst, username):
    claim = file_claim(nst)
    client = client_for(username)
    before = PersonalDataAccess.objects.filter(purpose="relief", username=username).count()
    urls = [
        claim_url(NST, claim.pk),
        reverse("flood-relief-claims", args=[NST]) + "?format=csv",
        reverse("flood-relief-claims", args=[NST]) + "?format=xlsx",
        reverse("flood-relief-print", args=[NST]),
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 403
        assert "สมศรี".encode() not in response.content
        assert NATIONAL_ID.encode() not in response.content
    assert PersonalDataAccess.objects.filter(purpose="relief", username=username).count() == before


def test_the_national_id_never_leaves_in_lists_or_exports(db, nst):
    file_claim(nst)
    client = client_for("nst-approver")

    for query in ("", "?format=csv", "?format=xlsx"):
        response = client.get(reverse("flood-relief-claims", args=[NST]) + query)
        assert NATIONAL_ID.encode() not in response.content
    printed = client.get(reverse("flood-relief-print", args=[NST]))
    assert NATIONAL_ID not in printed.content.decode()


def test_every_export_read_is_logged_per_claim(db, nst):
    claims = [file_claim(nst), file_claim(nst)]
    before = PersonalDataAccess.objects.filter(username="nst-finance", purpose="relief").count()

    client_for("nst-finance").get(reverse("flood-relief-claims", args=[NST]) + "?format=xlsx")

    logged = PersonalDataAccess.objects.filter(username="nst-finance", purpose="relief")
    assert logged.count() >= before + len(claims)
    assert {c.pk for c in claims} <= set(logged.values_list("case_ref", flat=True))


def test_a_claimant_name_with_markup_is_shown_as_text(db, nst):
    claim = services.claim_file(
        municipality=nst,
        user=get_user_model().objects.get(username="nst-disaster"),
        event=file_claim(nst).event,
        building_id=file_claim(nst).building_id,
        items=[("belongings", '<img src=x onerror="alert(1)">')],
        claimant=services.Claimant(full_name="<script>alert('x')</script>"),
    )

    page = client_for("nst-approver").get(claim_url(NST, claim.pk)).content.decode()

    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;" in page
    assert '<img src=x onerror="alert(1)">' not in page


def test_a_step_without_csrf_token_is_refused(db, nst):
    claim = file_claim(nst)
    client = client_for("nst-approver", enforce_csrf_checks=True)

    response = client.post(claim_url(NST, claim.pk), {"step": "reject", "reason": "ไม่มี"})

    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FILED
