"""Issue 19's "done when" in a real browser: a resident reports from a phone, staff close it.

A resident on a phone-sized Chromium (390x844) drops a pin on the map, is shown the open report
of the same category within 50 m, sends a new one anyway with a photo and gets a tracking code.
An editor (a demo role) finds it first in the queue, assigns it and accepts it; closing it with
an after photo taken 120 m away is refused; taken 20 m away (the browser context's geolocation,
as a phone's GPS) it closes. The resident's tracking page then shows every step in Thai with
Buddhist-era dates and the after photo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils import timezone

from geoapp.models import Report, ReportPhoto, ReportSubmission, ServiceCategory
from geoapp.reports.services import Contact, ReportInput, report_create
from layers.models import Municipality
from layers.tenancy import all_tenants_scope, tenant_scope
from tests.e2e.conftest import Visit
from tests.geoapp.test_reports_models import NST_POINT
from tests.security.test_report_photos import assert_bare, jpeg_with_location

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
CATEGORY = "e2e-light"
PHONE = {"width": 390, "height": 844}
# About 15 m east of NST_POINT (the open report), 20 m and 120 m north of it.
PIN = (NST_POINT[0] + 15 / 110_000, NST_POINT[1])
NEAR = {"longitude": NST_POINT[0], "latitude": NST_POINT[1] + 20 / 110_600, "accuracy": 6}
FAR = {"longitude": NST_POINT[0], "latitude": NST_POINT[1] + 120 / 110_600, "accuracy": 6}


@pytest.fixture
def open_report(django_db_setup, django_db_blocker) -> Iterator[Report]:
    """A committed category and one open report of it; everything of the category removed after."""
    with django_db_blocker.unblock():
        nst = Municipality.objects.get(code=NST)
        mark = ReportSubmission.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with tenant_scope(municipality_ids=[nst.pk]):
            category, _created = ServiceCategory.objects.get_or_create(
                municipality=nst,
                code=CATEGORY,
                defaults={"name_th": "ไฟทางดับ (ทดสอบ)", "division": "กองช่าง", "target_days": 3},
            )
            existing = report_create(
                municipality=nst,
                data=ReportInput(
                    category=category,
                    point=Point(*NST_POINT, srid=4326),
                    accuracy_m=None,
                    location_source=Report.LocationSource.PIN,
                    description="ไฟทางดับหน้าวัด แจ้งไว้ก่อนแล้ว",
                ),
                photos=[],
                contact=Contact(),
            )
    yield existing
    with django_db_blocker.unblock(), all_tenants_scope():
        photos = ReportPhoto.objects.filter(report__category__code=CATEGORY)
        for name in photos.values_list("stored_name", flat=True):
            (Path(settings.MEDIA_ROOT) / name).unlink(missing_ok=True)
        Report.objects.filter(category__code=CATEGORY).delete()
        ServiceCategory.objects.filter(code=CATEGORY).delete()
        ReportSubmission.objects.filter(id__gt=mark).delete()


def pin_on_map(page, lon_lat: tuple[float, float]) -> None:
    """Tap the report form's map where the place is (zoomed in, so a tap is a few metres)."""
    page.locator(".report-map").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([lat, lon]) => {
            const map = window.mueangReportMap;
            map.setView([lat, lon], 19, {animate: false});
            const point = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + point.x, box.top + point.y];
        }""",
        [lon_lat[1], lon_lat[0]],
    )
    page.mouse.click(x, y)


def resident_reports(browser, app_url: str) -> tuple[Visit, str]:
    context = browser.new_context(viewport=PHONE, locale="th-TH", is_mobile=True, has_touch=False)
    resident = Visit(context.new_page(), app_url)
    resident.goto(f"/reports/{NST}/new/")
    resident.page.select_option("#id_category", CATEGORY)
    pin_on_map(resident.page, PIN)
    latitude = float(resident.page.input_value("#id_latitude"))
    longitude = float(resident.page.input_value("#id_longitude"))
    assert abs(latitude - PIN[1]) < 5 / 110_600
    assert abs(longitude - PIN[0]) < 5 / 110_000
    resident.page.locator("form.report-form button[type=submit]").click()
    resident.page.wait_for_load_state("networkidle")

    # The open report within 50 m comes first, with "this is the same problem".
    nearby = resident.page.locator("#nearby-heading").inner_text()
    assert "50" in nearby
    assert "ไฟทางดับหน้าวัด แจ้งไว้ก่อนแล้ว" in resident.page.locator(".report-nearby").inner_text()
    assert resident.page.locator(".report-nearby button[type=submit]").count() == 1

    # A new report anyway: description and a phone photo with GPS tags.
    resident.page.fill("#id_description", "ไฟทางดับอีกต้น ฝั่งตรงข้ามวัด มืดทั้งซอย")
    resident.page.set_input_files(
        "#id_photos",
        files=[{"name": "IMG_2001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_location()}],
    )
    resident.page.locator(f"form[action='/reports/{NST}/new/send/'] button[type=submit]").click()
    resident.page.wait_for_load_state("networkidle")
    code = resident.page.locator(".report-code").first.inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    return resident, code


def staff_context(browser, app_url: str):
    context = browser.new_context(
        viewport=PHONE, locale="th-TH", geolocation=FAR, permissions=["geolocation"]
    )
    return context, Visit(context.new_page(), app_url)


def close_with_photo(editor: Visit) -> None:
    editor.page.set_input_files(
        "#step-done input[name=photo]",
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_location()}],
    )
    editor.page.wait_for_function(
        "() => document.querySelector('#step-done input[name=accuracy_m]').value !== ''"
    )
    editor.page.locator("#step-done button[type=submit]").click()
    editor.page.wait_for_load_state("networkidle")


def test_a_resident_reports_from_a_phone_and_staff_close_it_with_a_near_photo(
    browser, app_url, open_report, django_db_blocker, db
):
    resident, code = resident_reports(browser, app_url)
    with django_db_blocker.unblock(), all_tenants_scope():
        report = Report.objects.get(tracking_code=code)
        assert report.location_source == "pin"

    # Staff: the editor finds it first in the queue (needs review), at phone width too.
    context, editor = staff_context(browser, app_url)
    editor.login("nst-editor")
    editor.goto(f"/m/{NST}/reports/?category={CATEGORY}")
    first = editor.page.locator("#queue-list li").first
    assert first.get_attribute("data-report") == str(report.pk)
    assert first.get_attribute("data-review") is not None
    assert editor.page.locator(".queue-map .leaflet-container").count() == 1
    width = editor.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    first.locator("a").first.click()
    editor.page.wait_for_load_state("networkidle")

    # Assign to the division and the planner; accept it.
    assert editor.page.input_value("#step-assign input[name=division]") == "กองช่าง"
    editor.page.select_option("#step-assign select[name=assignee]", label="nst-planner")
    editor.page.locator("#step-assign button[type=submit]").click()
    editor.page.wait_for_load_state("networkidle")
    assert editor.page.locator("#report-assignee").inner_text().strip() == "nst-planner"
    editor.page.select_option("#step-status select[name=status]", "accepted")
    editor.page.fill("#step-status textarea[name=note]", "ส่งช่างไฟฟ้าไปตรวจภายในสามวัน")
    editor.page.locator("#step-status button[type=submit]").click()
    editor.page.wait_for_load_state("networkidle")
    assert editor.page.locator("#report-status").get_attribute("data-status") == "accepted"
    assert editor.page.locator("#step-done textarea[name=override_reason]").count() == 0

    # An after photo taken 120 m away is refused, saying so in Thai; 20 m away it closes.
    close_with_photo(editor)
    refusal = editor.page.locator("#step-done [role=alert]").inner_text()
    assert "เมตร" in refusal
    assert "50" in refusal
    assert editor.page.locator("#report-status").get_attribute("data-status") == "accepted"
    context.set_geolocation(NEAR)
    close_with_photo(editor)
    assert editor.page.locator("#report-status").get_attribute("data-status") == "done"
    assert editor.page.locator("#report-photos figure[data-kind=after]").count() == 1
    assert editor.foreign_hosts() == set()
    context.close()

    with django_db_blocker.unblock(), all_tenants_scope():
        after = ReportPhoto.objects.get(report=report, kind="after")
        assert after.taken_accuracy_m == 6
        assert_bare((Path(settings.MEDIA_ROOT) / after.stored_name).read_bytes())

    # The resident's tracking page: every step in Thai, Buddhist-era dates, the after photo.
    resident.goto(f"/reports/{NST}/t/{code}/")
    steps = resident.page.locator(".report-history li").all_inner_texts()
    year_be = str(timezone.localdate().year + 543)
    assert [s.split(" · ")[0] for s in steps] == [
        "รับเรื่องแล้ว",
        "ตรวจสอบแล้ว รอดำเนินการ",
        "เสร็จแล้ว",
    ]
    assert all(year_be in step for step in steps)
    assert "ส่งช่างไฟฟ้าไปตรวจภายในสามวัน" in steps[1]
    assert "กองช่าง" in resident.page.locator("dl").inner_text()
    captions = resident.page.locator(".report-photos figcaption").all_inner_texts()
    assert "หลังดำเนินการ" in captions
    assert resident.foreign_hosts() == set()
