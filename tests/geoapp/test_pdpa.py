"""Personal data of cases: encrypted at rest, shown only to allowed roles, every read logged."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test import Client

from layers.models import DengueCase, DengueCasePersonal, PersonalDataAccess

NST = "nakhon-si-thammarat"


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def case(db):
    return DengueCase.objects.filter(municipality__code=NST, personal__isnull=False).first()


def test_personal_fields_are_ciphertext_in_the_database(case):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT full_name, phone, address FROM layers_denguecasepersonal WHERE case_id = %s",
            [case.pk],
        )
        stored = cursor.fetchone()

    personal = DengueCasePersonal.objects.get(case=case)
    assert personal.full_name.startswith("ผู้ป่วยสมมติ")
    for raw, plain in zip(
        stored, [personal.full_name, personal.phone, personal.address], strict=True
    ):
        assert raw.startswith("enc1:")
        assert plain not in raw


@pytest.mark.parametrize("username", ["nst-health", "nst-admin"])
def test_health_officers_and_admins_read_personal_data_and_the_read_is_logged(case, username):
    url = f"/m/{NST}/cases/{case.pk}/"
    client = client_for(username)

    before = client.get(url).content.decode()
    after = client.post(url, {"purpose": "investigation"}).content.decode()

    name = DengueCasePersonal.objects.get(case=case).full_name
    assert name not in before  # nothing shown until a purpose is given
    assert name in after
    entry = PersonalDataAccess.objects.get(case_ref=case.pk)
    assert (entry.username, entry.purpose, entry.case_ref) == (username, "investigation", case.pk)


@pytest.mark.parametrize("username", ["nst-viewer", "nst-planner", "nst-disaster", "nst-editor"])
def test_other_roles_see_neither_cases_nor_personal_data(case, username):
    client = client_for(username)

    assert client.get(f"/m/{NST}/cases/").status_code == 403
    response = client.post(f"/m/{NST}/cases/{case.pk}/", {"purpose": "investigation"})

    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_a_purpose_outside_the_list_reads_nothing(case):
    response = client_for("nst-health").post(f"/m/{NST}/cases/{case.pk}/", {"purpose": "curiosity"})

    assert DengueCasePersonal.objects.get(case=case).full_name not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_the_application_cannot_rewrite_or_erase_the_access_log(case):
    client_for("nst-health").post(f"/m/{NST}/cases/{case.pk}/", {"purpose": "contact"})

    for statement in (
        "UPDATE layers_personaldataaccess SET username = 'someone-else'",
        "DELETE FROM layers_personaldataaccess",
        "TRUNCATE layers_personaldataaccess",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)

    assert PersonalDataAccess.objects.get().username == "nst-health"


def test_administrators_read_the_access_log(case):
    client_for("nst-health").post(f"/m/{NST}/cases/{case.pk}/", {"purpose": "spraying"})

    page = client_for("nst-admin").get(f"/m/{NST}/pdpa/access-log/").content.decode()

    assert "nst-health" in page
    assert f"#{case.pk}" in page
    assert client_for("nst-health").get(f"/m/{NST}/pdpa/access-log/").status_code == 403
