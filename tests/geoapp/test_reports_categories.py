"""The report categories page of a municipality (issue 19): administrators add and change
categories; hostile input is refused; a category made non-public takes its reports off every
public list, the public map and Open311 GET."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from geoapp.models import ReportFeed, ServiceCategory
from layers.tenancy import tenant_scope
from tests.geoapp.test_reports_models import category_make, report_make

NST = "nakhon-si-thammarat"
OPEN311 = "/open311/v2/"


def staff(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def url(name: str, code: str = NST, **kwargs) -> str:
    return reverse(name, kwargs={"code": code, **kwargs})


def category_post(**fields) -> dict:
    """A valid category as the form posts it (checkboxes are absent when unticked)."""
    data = {
        "code": "fallen-tree",
        "name_th": "ต้นไม้ล้มขวางทาง",
        "name_en": "Fallen tree",
        "description": "",
        "is_public": "on",
        "is_active": "on",
        "target_days": "2",
        "division": "กองสาธารณสุขและสิ่งแวดล้อม",
        "division_email": "env@nakhon.example",
        "feeds": ReportFeed.NONE,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin() -> Client:
    return staff("nst-admin")


@pytest.fixture
def anonymous() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


@pytest.mark.parametrize("username", ["nst-planner", "nst-health", "nst-viewer"])
def test_only_administrators_reach_the_category_pages(nst, username):
    category = category_make(nst)
    client = staff(username)

    pages = [
        url("reports-categories"),
        url("reports-category-new"),
        url("reports-category-edit", category_id=category.pk),
    ]

    assert [client.get(page).status_code for page in pages] == [403, 403, 403]
    refused = client.post(url("reports-category-new"), category_post(code="by-" + username[4:]))
    assert refused.status_code == 403
    assert not ServiceCategory.objects.filter(code__startswith="by-").exists()
    assert url("reports-categories") not in client.get(url("reports-queue")).content.decode()


def test_another_municipalitys_category_is_not_found_through_ours(nst, chon, admin):
    theirs = category_make(chon, code="chon-only", name_th="เฉพาะชลบุรี")

    edit = url("reports-category-edit", category_id=theirs.pk)
    assert admin.get(edit).status_code == 404
    assert admin.post(edit, category_post(code="taken-over")).status_code == 404
    with tenant_scope(municipality_ids=[chon.pk]):  # the requests narrowed the test's scope
        assert ServiceCategory.objects.get(pk=theirs.pk).code == "chon-only"
    assert staff("chon-admin").get(url("reports-categories")).status_code == 404
    assert "เฉพาะชลบุรี" not in admin.get(url("reports-categories")).content.decode()


def test_an_administrator_adds_a_category_residents_can_choose(nst, admin, anonymous):
    response = admin.post(
        url("reports-category-new"), category_post(feeds=ReportFeed.BREEDING_SITE)
    )

    assert response.status_code == 302
    assert response["Location"] == url("reports-categories")
    added = ServiceCategory.objects.get(municipality=nst, code="fallen-tree")
    assert (added.name_th, added.target_days, added.division_email, added.feeds) == (
        "ต้นไม้ล้มขวางทาง",
        2,
        "env@nakhon.example",
        ReportFeed.BREEDING_SITE,
    )
    assert added.is_public
    assert added.is_active
    listed = admin.get(url("reports-categories")).content.decode()
    assert "ต้นไม้ล้มขวางทาง" in listed
    assert "fallen-tree" in listed
    assert "fallen-tree" in anonymous.get(url("open-report-new")).content.decode()
    services = anonymous.get(OPEN311 + f"services.json?jurisdiction_id={NST}").json()
    assert "fallen-tree" in {s["service_code"] for s in services}


def test_the_page_and_its_errors_are_in_thai(nst, admin):
    page = admin.get(url("reports-categories")).content.decode()
    assert "ประเภทเรื่องแจ้ง" in page
    assert "เพิ่มประเภท" in page

    refused = admin.post(url("reports-category-new"), category_post(target_days="0"))
    body = refused.content.decode()
    assert refused.status_code == 400
    assert "ชื่อภาษาไทย" in body
    assert "กรุณาแก้ไขช่องที่มีเครื่องหมายด้านล่าง" in body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "ไฟ ดับ"),
        ("code", "../keys"),
        ("code", "<b>x</b>"),
        ("code", ""),
        ("code", "x" * 41),
        ("name_th", ""),
        ("name_th", "ก" * 201),
        ("target_days", "NaN"),
        ("target_days", "inf"),
        ("target_days", "1e9"),
        ("target_days", "99999999999999999999999"),
        ("target_days", "0"),
        ("target_days", "-3"),
        ("target_days", "366"),
        ("target_days", "2.5"),
        ("division_email", "not-an-address"),
        ("division_email", "env@nakhon.example\r\nBcc: all@elsewhere.example"),
        ("division_email", "env@nakhon.example, all@elsewhere.example"),
        ("feeds", "dengue_cases"),
    ],
)
def test_hostile_input_is_refused_and_nothing_is_saved(nst, admin, field, value):
    before = ServiceCategory.objects.filter(municipality=nst).count()

    response = admin.post(url("reports-category-new"), category_post(**{field: value}))

    assert response.status_code == 400
    assert ServiceCategory.objects.filter(municipality=nst).count() == before
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize(("days", "expected"), [("1", 1), ("365", 365), (" 30 ", 30), ("", None)])
def test_target_days_from_1_to_365_or_none(nst, admin, days, expected):
    response = admin.post(url("reports-category-new"), category_post(target_days=days))

    assert response.status_code == 302
    assert ServiceCategory.objects.get(municipality=nst, code="fallen-tree").target_days == expected


def test_a_duplicate_code_is_refused_here_but_free_in_another_municipality(nst, chon, admin):
    category_make(nst, code="fallen-tree")
    category_make(chon, code="storm-drain", name_th="ท่อระบายน้ำอุดตัน")
    other = category_make(nst, code="garbage", name_th="ขยะ")

    again = admin.post(url("reports-category-new"), category_post(code="fallen-tree"))
    renamed = admin.post(
        url("reports-category-edit", category_id=other.pk), category_post(code="fallen-tree")
    )
    chon_code = admin.post(url("reports-category-new"), category_post(code="storm-drain"))

    assert again.status_code == 400
    assert "รหัสนี้" in again.content.decode()
    assert renamed.status_code == 400
    assert ServiceCategory.objects.get(pk=other.pk).code == "garbage"
    assert chon_code.status_code == 302
    with tenant_scope(municipality_ids=[nst.pk, chon.pk]):
        assert ServiceCategory.objects.filter(code="storm-drain").count() == 2


def test_markup_in_names_is_shown_as_text(nst, admin):
    response = admin.post(
        url("reports-category-new"),
        category_post(
            code="xss",
            name_th="<script>alert(1)</script>",
            name_en='"><img src=x onerror=alert(2)>',
            division="<b>กองช่าง</b>",
        ),
    )
    assert response.status_code == 302
    category = ServiceCategory.objects.get(municipality=nst, code="xss")

    listed = admin.get(url("reports-categories")).content.decode()
    edit = admin.get(url("reports-category-edit", category_id=category.pk)).content.decode()

    for body in (listed, edit):
        assert "<script>alert(1)</script>" not in body
        assert "<img src=x" not in body
        assert "<b>กองช่าง</b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed
    assert "&lt;b&gt;กองช่าง&lt;/b&gt;" in listed


def test_the_code_stays_once_reports_use_it(nst, admin):
    used = category_make(nst, code="used-code", name_th="มีเรื่องแจ้งแล้ว")
    report_make(nst, used)
    unused = category_make(nst, code="unused-code", name_th="ยังไม่มีเรื่อง")

    form = admin.get(url("reports-category-edit", category_id=used.pk)).content.decode()
    admin.post(
        url("reports-category-edit", category_id=used.pk),
        category_post(code="changed", name_th="ชื่อใหม่"),
    )
    admin.post(
        url("reports-category-edit", category_id=unused.pk),
        category_post(code="renamed", name_th="ยังไม่มีเรื่อง"),
    )

    assert re.search(r'<input[^>]*name="code"[^>]*disabled', form)
    used.refresh_from_db()
    assert (used.code, used.name_th) == ("used-code", "ชื่อใหม่")  # the rest still changes
    unused.refresh_from_db()
    assert unused.code == "renamed"


def test_a_retired_category_leaves_the_form_and_services_but_keeps_its_reports(
    nst, admin, anonymous
):
    category = category_make(nst, code="retire-me", name_th="เลิกรับเรื่องนี้")
    report = report_make(nst, category, description="เรื่องเก่าของประเภทที่เลิกแล้ว")

    response = admin.post(
        url("reports-category-edit", category_id=category.pk),
        category_post(code="retire-me", name_th="เลิกรับเรื่องนี้", is_active=None),
    )

    assert response.status_code == 302
    assert not ServiceCategory.objects.get(pk=category.pk).is_active
    assert "retire-me" not in anonymous.get(url("open-report-new")).content.decode()
    services = anonymous.get(OPEN311 + f"services.json?jurisdiction_id={NST}").json()
    assert "retire-me" not in {s["service_code"] for s in services}
    assert report.description in anonymous.get(url("open-report-list")).content.decode()
    assert "เลิกรับเรื่องนี้" in admin.get(url("reports-categories")).content.decode()


def _public_everywhere(anonymous: Client, report) -> dict[str, bool]:
    """Where an anonymous visitor finds the report: list, map, its page, Open311 GET."""
    path = f"/reports/{NST}/{report.pk}/"
    requests_json = anonymous.get(OPEN311 + f"requests.json?jurisdiction_id={NST}").json()
    one = anonymous.get(OPEN311 + f"requests/{report.pk}.json?jurisdiction_id={NST}")
    requests_xml = anonymous.get(OPEN311 + f"requests.xml?jurisdiction_id={NST}").content.decode()
    services = anonymous.get(OPEN311 + f"services.json?jurisdiction_id={NST}").content.decode()
    return {
        "list": report.description in anonymous.get(url("open-report-list")).content.decode(),
        "map": path in anonymous.get(url("open-report-map")).content.decode(),
        "page": anonymous.get(url("open-report", pk=report.pk)).status_code == 200,
        "requests.json": str(report.pk) in {str(r["service_request_id"]) for r in requests_json},
        "requests.xml": f"<service_request_id>{report.pk}</service_request_id>" in requests_xml,
        "requests/<id>.json": one.status_code == 200 and bool(one.json()),
        "services.json": report.description in services,
    }


def test_making_a_category_non_public_hides_its_reports_from_every_public_place(
    nst, admin, anonymous
):
    category = category_make(nst, code="complaint", name_th="ร้องเรียนทั่วไป", is_public=True)
    report = report_make(nst, category, description="เรื่องที่จะไม่เปิดเผยอีกต่อไป")
    before = _public_everywhere(anonymous, report)

    response = admin.post(
        url("reports-category-edit", category_id=category.pk),
        category_post(code="complaint", name_th="ร้องเรียนทั่วไป", is_public=None),
    )
    after = _public_everywhere(anonymous, report)

    assert response.status_code == 302
    assert before == {k: k != "services.json" for k in before}  # shown while public
    assert after == dict.fromkeys(after, False)
    tracked = anonymous.get(url("open-report-tracked", tracking=report.tracking_code))
    assert tracked.status_code == 200  # the reporter still follows it with the code
    services = anonymous.get(OPEN311 + f"services.json?jurisdiction_id={NST}").json()
    assert "complaint" in {s["service_code"] for s in services}  # residents may still report
