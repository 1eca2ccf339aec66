"""IDs and phones typed with Thai digits or separators name the same person as plain digits."""

from __future__ import annotations

import hashlib
import hmac
import io
import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client

from layers.models import DengueCase, DengueCasePersonal
from layers.pdpa.identifiers import (
    identifier_digest,
    identifier_normalise,
    national_id_check_digit_ok,
)
from layers.pdpa.services import case_personal_write

NST = "nakhon-si-thammarat"
URL = f"/m/{NST}/pdpa/requests/"
# 1*13 + 2*12 + 3*11 + 4*10 + 5*9 + 6*8 + 7*7 + 8*6 + 9*5 + 0*4 + 1*3 + 2*2 = 352;
# 352 mod 11 = 0; (11 - 0) mod 10 = 1: the check digit is 1.
VALID_ID = "1234567890121"
THAI_ID = "๑-๒๓๔๕-๖๗๘๙๐-๑๒-๑"


def admin_client(language: str = "th") -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["django_language"] = language
    client.force_login(get_user_model().objects.get(username="nst-admin"))
    return client


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (THAI_ID, VALID_ID),
        ("1 2345 67890 12 1", VALID_ID),
        ("1-2345-67890-12-1", VALID_ID),
        ("๑๒๓๔๕๖๗๘๙๐๑๒๑", VALID_ID),
        ("๐๘๑-๒๓๔-๕๖๗๘", "0812345678"),
        ("+66 81 234 5678", "0812345678"),
        ("+66 (0)81 234 5678", "0812345678"),
        ("0066 81 234 5678", "0812345678"),
        ("0066 (0)81-234-5678", "0812345678"),
        ("+66 2 123 4567", "021234567"),
        ("", ""),
        ("ไม่มี", ""),
    ],
)
def test_identifiers_are_normalised_to_arabic_digits(typed, expected):
    assert identifier_normalise(typed) == expected


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        (VALID_ID, True),
        ("1234567890122", False),
        ("3100600123457", False),
        # 3*13 + 1*12 + 6*9 + 1*6 + 2*5 + 3*4 + 4*3 + 5*2 = 155; 155 mod 11 = 1; (11 - 1) mod 10 = 0
        ("3100600123450", True),
        ("๓๑๐๐๖๐๐๑๒๓๔๕๐", False),  # normalise first: the check takes Arabic digits only
        ("123456789012", False),
        ("12345678901211", False),
    ],
)
def test_the_national_id_check_digit(digits, valid):
    assert national_id_check_digit_ok(digits) is valid


def test_the_same_id_in_thai_or_arabic_digits_has_one_digest():
    assert identifier_digest(THAI_ID) == identifier_digest(VALID_ID) != ""
    assert identifier_digest("๐๘๑ ๒๓๔ ๕๖๗๘") == identifier_digest("+66-81-234-5678")


@pytest.fixture
def person_in_thai_digits(db):
    """A case whose national ID and phone were typed with Thai digits and separators."""
    case = DengueCase.objects.filter(municipality__code=NST).order_by("id").first()
    case_personal_write(
        case=case,
        full_name="นางสาวทดสอบ เลขไทย",
        national_id=THAI_ID,
        phone="๐๘๑-๒๓๔-๕๖๗๘",
        address="1 หมู่ 2",
    )
    return case


def test_identifiers_are_stored_normalised_and_encrypted(person_in_thai_digits):
    personal = DengueCasePersonal.objects.get(case=person_in_thai_digits)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT national_id, phone FROM layers_denguecasepersonal WHERE id = %s",
            [personal.pk],
        )
        stored_id, stored_phone = cursor.fetchone()

    assert (personal.national_id, personal.phone) == (VALID_ID, "0812345678")
    assert personal.national_id_digest == identifier_digest(VALID_ID)
    assert personal.phone_digest == identifier_digest("0812345678")
    assert VALID_ID not in stored_id
    assert "0812345678" not in stored_phone


@pytest.mark.parametrize(
    "typed",
    [VALID_ID, THAI_ID, "1 2345 67890 12 1", "๑๒๓๔๕๖๗๘๙๐๑๒๑"],
    ids=["arabic", "thai-dashes", "spaces", "thai"],
)
def test_a_request_finds_the_person_whichever_digits_are_typed(person_in_thai_digits, typed):
    response = admin_client().post(URL, {"national_id": typed, "action": "export", "confirm": "on"})

    data = json.loads(response.content)
    assert [r["case"]["number"] for r in data["records"]] == [person_in_thai_digits.pk]
    assert data["records"][0]["personal"]["national_id"] == VALID_ID


@pytest.mark.parametrize("typed", ["0812345678", "+66 81 234 5678", "๐๘๑ ๒๓๔ ๕๖๗๘"])
def test_a_request_by_phone_finds_the_person_in_any_form(person_in_thai_digits, typed):
    response = admin_client().post(URL, {"phone": typed, "action": "export", "confirm": "on"})

    records = json.loads(response.content)["records"]
    assert [r["case"]["number"] for r in records] == [person_in_thai_digits.pk]


@pytest.mark.parametrize(
    ("typed", "thai", "english"),
    [
        ("๑๒๓๔๕๖๗๘๙๐๑๒๒", "ไม่ตรงกับเลขตรวจสอบ", "does not match the check digit"),
        ("1234567890122", "ไม่ตรงกับเลขตรวจสอบ", "does not match the check digit"),
        ("1-2345-67890", "ต้องมี 13 หลัก แต่เลขที่กรอกมี 10 หลัก", "has 13 digits; this one has 10"),
    ],
)
def test_a_mistyped_national_id_gets_a_clear_error_and_changes_nothing(
    person_in_thai_digits, typed, thai, english
):
    before = DengueCasePersonal.objects.count()

    in_thai = admin_client("th").post(
        URL, {"national_id": typed, "action": "erase", "confirm": "on"}
    )
    in_english = admin_client("en").post(
        URL, {"national_id": typed, "action": "erase", "confirm": "on"}
    )

    assert in_thai.status_code == in_english.status_code == 200
    assert thai in in_thai.content.decode()
    assert english in in_english.content.decode()
    assert DengueCasePersonal.objects.count() == before
    assert DengueCase.objects.filter(pk=person_in_thai_digits.pk).exists()


def test_reindexing_makes_rows_written_before_normalisation_findable(person_in_thai_digits):
    old_digest = hmac_of_raw_text(THAI_ID)
    DengueCasePersonal.objects.filter(case=person_in_thai_digits).update(
        national_id=THAI_ID, national_id_digest=old_digest
    )
    assert not json.loads(
        admin_client()
        .post(URL, {"national_id": VALID_ID, "action": "export", "confirm": "on"})
        .content
    )["records"]

    call_command("pdpa_reindex", stdout=io.StringIO())

    personal = DengueCasePersonal.objects.get(case=person_in_thai_digits)
    assert personal.national_id == VALID_ID
    response = admin_client().post(
        URL, {"national_id": VALID_ID, "action": "export", "confirm": "on"}
    )
    assert [r["case"]["number"] for r in json.loads(response.content)["records"]] == [
        person_in_thai_digits.pk
    ]


def hmac_of_raw_text(value: str) -> str:
    """The digest before normalisation: characters str.isdigit() accepts, untranslated."""
    digits = "".join(ch for ch in value if ch.isdigit())
    key = hashlib.sha256(b"mueang-pii-index:" + settings.MUEANG_PII_KEYS[0].encode()).digest()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()
