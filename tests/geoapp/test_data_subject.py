"""PDPA data subject rights: export all held about a person, erase or anonymise, retention."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from layers.models import DengueCase, DengueCasePersonal, PersonalDataAccess
from layers.pdpa.identifiers import identifier_digest
from layers.pdpa.services import case_personal_write, personal_data_purge

NST = "nakhon-si-thammarat"
URL = f"/m/{NST}/pdpa/requests/"


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def person(db):
    """Two cases of one (fictitious) person, found by national ID."""
    cases = list(DengueCase.objects.filter(municipality__code=NST).order_by("id")[:2])
    for case in cases:
        case_personal_write(
            case=case,
            full_name="นายทดสอบ สิทธิเจ้าของข้อมูล",
            national_id="1-2345-67890-12-1",
            phone="081 234 5678",
            address="99 หมู่ 1",
        )
    return cases


def test_identifiers_are_found_by_keyed_digest_not_by_plain_text(person):
    personal = DengueCasePersonal.objects.get(case=person[0])

    assert personal.national_id_digest == identifier_digest("1234567890121")
    assert "1234567890121" not in personal.national_id_digest


def test_export_gives_every_record_of_the_person_and_is_logged(person):
    response = client_for("nst-admin").post(
        URL, {"national_id": "1234567890121", "action": "export", "confirm": "on"}
    )

    data = json.loads(response.content)
    assert response["Content-Disposition"].startswith("attachment")
    assert {r["case"]["number"] for r in data["records"]} == {c.pk for c in person}
    assert {r["personal"]["full_name"] for r in data["records"]} == {"นายทดสอบ สิทธิเจ้าของข้อมูล"}
    assert PersonalDataAccess.objects.filter(purpose="data_subject_request").count() == 2


def test_anonymising_keeps_the_case_without_the_person(person):
    client_for("nst-health").post(f"/m/{NST}/cases/{person[0].pk}/", {"purpose": "investigation"})
    house = DengueCase.objects.get(pk=person[0].pk).geom

    response = client_for("nst-admin").post(
        URL, {"phone": "0812345678", "action": "anonymise", "confirm": "on"}
    )

    case = DengueCase.objects.get(pk=person[0].pk)
    assert response.status_code == 200
    assert not DengueCasePersonal.objects.filter(case__in=person).exists()
    assert not case.geom.equals(house)
    assert case.subdistrict.geom.contains(case.geom)
    assert case.sex == DengueCase.Sex.UNKNOWN
    # The earlier read stays in the append-only log, by case number.
    assert PersonalDataAccess.objects.filter(case_ref=case.pk, purpose="investigation").exists()


def test_erasing_deletes_the_cases_even_when_their_reads_were_logged(person):
    client_for("nst-health").post(f"/m/{NST}/cases/{person[0].pk}/", {"purpose": "contact"})

    client_for("nst-admin").post(
        URL, {"national_id": "1234567890121", "action": "erase", "confirm": "on"}
    )

    assert not DengueCase.objects.filter(pk__in=[c.pk for c in person]).exists()
    assert PersonalDataAccess.objects.filter(case_ref=person[0].pk).count() >= 2


@pytest.mark.parametrize("username", ["nst-health", "nst-planner", "nst-viewer", "chon-admin"])
def test_only_the_municipalitys_administrators_handle_requests(person, username):
    response = client_for(username).post(
        URL, {"national_id": "1234567890121", "action": "export", "confirm": "on"}
    )

    assert response.status_code in (403, 404)
    assert not PersonalDataAccess.objects.exists()


def test_a_request_without_identifier_or_confirmation_changes_nothing(person):
    client = client_for("nst-admin")

    no_id = client.post(URL, {"action": "erase", "confirm": "on"})
    unconfirmed = client.post(URL, {"national_id": "1234567890121", "action": "erase"})

    assert no_id.status_code == unconfirmed.status_code == 200
    assert DengueCasePersonal.objects.filter(case__in=person).count() == 2


def test_retention_purges_personal_data_of_old_cases_only(person):
    old, recent = person
    DengueCase.objects.filter(pk=old.pk).update(
        onset_date=date(2019, 1, 1), report_date=date(2019, 1, 2)
    )

    purged = personal_data_purge(older_than_years=5, today=date(2026, 11, 21))

    assert purged >= 1
    assert not DengueCasePersonal.objects.filter(case=old).exists()
    assert DengueCasePersonal.objects.filter(case=recent).exists()


def test_the_purge_command_runs_across_municipalities(person, capsys):
    call_command("pdpa_purge", "--years", "5")

    assert "purged personal data" in capsys.readouterr().out


@pytest.mark.parametrize("action", ["erase", "anonymise"])
def test_an_erasure_names_the_relief_claims_it_keeps(person, action):
    """The register keeps its claims; the officer is told which, instead of a silent 'done'."""
    from layers.models import Municipality
    from layers.relief.models import ReliefClaimPersonal
    from tests.layers.test_relief import file_claim

    claim = file_claim(Municipality.objects.get(code=NST), national_id="1234567890121")
    response = client_for("nst-admin").post(
        URL, {"national_id": "1-2345-67890-12-1", "action": action, "confirm": "on"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "ยังไม่ได้ลบ: คำร้องขอรับการช่วยเหลือผู้ประสบอุทกภัยของบุคคลนี้" in page
    assert f'href="/m/{NST}/flood/relief/{claim.pk}/"' in page
    assert ReliefClaimPersonal.objects.filter(claim=claim).exists()
    assert not DengueCasePersonal.objects.filter(case__in=person).exists()


def test_an_erasure_of_a_person_without_claims_names_none(person):
    page = client_for("nst-admin").post(
        URL, {"national_id": "1234567890121", "action": "erase", "confirm": "on"}
    )
    assert "ยังไม่ได้ลบ" not in page.content.decode()
