"""Residents' report pages, anonymous: report, duplicates first, tracking code, public page."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from geoapp.models import Report, ReportContact, ReportStatus
from geoapp.reports.services import Contact, report_status_set
from layers.tenancy import tenant_scope
from tests.geoapp.test_reports_models import NST_POINT, category_make, report_make
from tests.security.test_report_photos import assert_bare, jpeg_with_location

NST = "nakhon-si-thammarat"
# About 20 m and 80 m north of NST_POINT (1 degree of latitude is about 110.6 km here).
NEAR = (NST_POINT[0], NST_POINT[1] + 20 / 110_600)
FAR = (NST_POINT[0], NST_POINT[1] + 80 / 110_600)


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs={"code": NST, **kwargs})


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def report_post(
    client: Client, *, lon_lat=NST_POINT, photos=None, category="street-light", **extra
):
    """Post the second step of the form as a phone would."""
    data = {
        "category": category,
        "latitude": lon_lat[1],
        "longitude": lon_lat[0],
        "accuracy_m": "6",
        "location_source": "gps",
        "description": "เสาไฟหน้าวัดดับมาสามคืนแล้ว",
        "website": "",
    } | extra
    files = photos if photos is not None else [("photo.jpg", small_jpeg())]
    uploads = [_upload(name, content) for name, content in files]
    return client.post(url("open-report-send"), {**data, "photos": uploads})


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@pytest.fixture
def anonymous() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


@pytest.fixture
def light(nst):
    return category_make(nst, division="กองช่าง")


def test_the_form_page_loads_only_our_own_assets(anonymous, light):
    response = anonymous.get(url("open-report-new"))
    body = response.content.decode()

    assert response.status_code == 200
    assert light.name_th in body
    assert re.findall(r"(?:src|href)=\"(https?:)?//", body) == []
    assert "report-form.js" in body
    assert 'name="website"' not in body  # the honeypot is on the second step


def test_a_place_outside_the_municipality_is_refused(anonymous, light):
    response = anonymous.post(
        url("open-report-new"),
        {
            "category": "street-light",
            "latitude": 13.75,
            "longitude": 100.5,
            "location_source": "pin",
        },
    )

    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_a_resident_reports_and_follows_with_the_tracking_code(
    anonymous, light, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    step_one = anonymous.post(
        url("open-report-new"),
        {"category": "street-light", "latitude": NST_POINT[1], "longitude": NST_POINT[0],
         "location_source": "pin"},
    )  # fmt: skip
    assert step_one.status_code == 200
    assert 'name="website"' in step_one.content.decode()

    response = report_post(
        anonymous,
        photos=[("IMG_0001.jpg", jpeg_with_location())],
        name="สมชาย ใจดี",
        phone="081 234 5678",
    )

    assert response.status_code == 302
    report = Report.objects.get(municipality__code=NST, category=light)
    assert response["Location"].endswith(f"/t/{report.tracking_code}/?new=1")
    assert (report.location_source, report.location_accuracy_m) == ("gps", 6.0)
    assert report.division == "กองช่าง"
    page = anonymous.get(response["Location"])
    assert page.status_code == 200
    assert report.tracking_code in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    for path in (tmp_path / "reports").rglob("*.jpg"):
        assert_bare(path.read_bytes())
    assert ReportContact.objects.get(report=report).phone == "081 234 5678"


def test_public_pages_show_no_personal_data_and_no_tracking_code(anonymous, nst, light):
    report = report_make(nst, light, contact=Contact(name="สมหญิง ลับมาก", phone="0899999999"))
    report_status_set(report=report, status=ReportStatus.IN_PROGRESS, user=None, note="ส่งช่างแล้ว")

    pages = [
        anonymous.get(url("open-report", pk=report.pk)),
        anonymous.get(url("open-report-list")),
        anonymous.get(url("open-report-list") + "?status=in_progress"),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200]
    for page in pages:
        body = page.content.decode()
        assert "สมหญิง" not in body
        assert "0899999999" not in body
        assert report.tracking_code not in body
    detail = pages[0].content.decode()
    assert "ส่งช่างแล้ว" in detail
    assert "กำลังดำเนินการ" in detail or "In progress" in detail


def test_open_reports_of_the_same_category_within_50_m_are_shown_before_sending(
    anonymous, nst, light
):
    near = report_make(nst, light, lon_lat=NEAR, description="ไฟดับใกล้ๆ")
    far = report_make(nst, light, lon_lat=FAR, description="ไฟดับไกลออกไป")
    other_kind = report_make(
        nst, category_make(nst, code="garbage", name_th="ขยะ"), description="ขยะล้นถัง"
    )
    closed = report_make(nst, light, lon_lat=NEAR, description="ไฟดับที่ซ่อมแล้ว")
    report_status_set(report=closed, status=ReportStatus.DONE, user=None)

    response = anonymous.post(
        url("open-report-new"),
        {"category": "street-light", "latitude": NST_POINT[1], "longitude": NST_POINT[0],
         "location_source": "pin"},
    )  # fmt: skip
    body = response.content.decode()

    assert near.description in body
    assert far.description not in body
    assert other_kind.description not in body
    assert closed.description not in body
    assert near.tracking_code not in body


def test_same_problem_adds_one_and_the_follower(anonymous, nst, light):
    report = report_make(nst, light, lon_lat=NEAR)

    response = anonymous.post(
        url("open-report-follow"), {"report": report.pk, "phone": "0811111111", "website": ""}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"/{report.pk}/?followed=1")
    report.refresh_from_db()
    assert report.follower_count == 1
    assert report.contacts.get().role == "follower"


def test_a_closed_or_other_towns_report_cannot_be_followed(anonymous, nst, chon, light):
    closed = report_make(nst, light)
    report_status_set(report=closed, status=ReportStatus.REJECTED, user=None, note="ซ้ำ")
    chon_report = report_make(chon, category_make(chon), lon_lat=(100.9847, 13.3611))

    for pk in (closed.pk, chon_report.pk):
        response = anonymous.post(url("open-report-follow"), {"report": pk, "website": ""})
        assert response.status_code == 404
    with tenant_scope(municipality_ids=[chon.pk]):  # the requests narrowed the test's scope
        assert Report.objects.get(pk=chon_report.pk).follower_count == 0


def test_a_report_of_a_non_public_category_is_reached_only_with_its_code(
    anonymous, nst, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    from geoapp.reports.photos import photo_clean

    private = category_make(nst, code="staff-complaint", name_th="ร้องเรียนเจ้าหน้าที่", is_public=False)
    report = report_make(nst, private, photos=[photo_clean(small_jpeg())])
    photo = report.photos.get()

    assert anonymous.get(url("open-report", pk=report.pk)).status_code == 404
    assert anonymous.get(url("open-report-photo", photo_id=photo.pk)).status_code == 404
    assert report.description not in anonymous.get(url("open-report-list")).content.decode()
    tracked = url("open-report-tracked", tracking=report.tracking_code)
    assert anonymous.get(tracked).status_code == 200
    photo_url = url("open-report-tracked-photo", tracking=report.tracking_code, photo_id=photo.pk)
    assert anonymous.get(photo_url)["Content-Type"] == "image/jpeg"


def test_a_tracking_code_is_found_as_typed(anonymous, nst, light):
    report = report_make(nst, light)
    typed = report.tracking_code.lower().replace("-", " ")

    found = anonymous.get(url("open-report-find") + f"?tracking={typed}")
    missing = anonymous.get(url("open-report-find") + "?tracking=AAAA-BBBB-CCCC")

    assert found.status_code == 302
    assert found["Location"].endswith(f"/t/{report.tracking_code}/")
    assert missing.status_code == 404


def test_the_tracking_code_works_only_in_its_own_municipality(anonymous, nst, light):
    report = report_make(nst, light)

    response = anonymous.get(
        reverse(
            "open-report-tracked", kwargs={"code": "chon-buri", "tracking": report.tracking_code}
        )
    )

    assert response.status_code == 404
