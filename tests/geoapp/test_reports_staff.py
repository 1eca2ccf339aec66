"""Staff pages of resident reports: the queue, a report's page, closing with a near photo,
moderation of first-time reporters and the monthly summary (issue 19, staff side)."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from geoapp.models import (
    Report,
    ReportContact,
    ReportContactAccess,
    ReportPhoto,
    ReportSettings,
    ReportStatus,
    ReportStatusChange,
)
from geoapp.reports.photos import photo_path
from geoapp.reports.services import Contact
from geoapp.reports.staff_selectors import month_summary
from geoapp.reports.staff_views import AFTER_PHOTO_COLOUR
from tests.geoapp.test_reports_models import NST_POINT, category_make, report_make
from tests.geoapp.test_reports_pages import report_post
from tests.security.test_report_photos import assert_bare, jpeg_with_location

NST = "nakhon-si-thammarat"
# About 30 m and 120 m north of NST_POINT (1 degree of latitude is about 110.6 km here).
NEAR = (NST_POINT[0], NST_POINT[1] + 30 / 110_600)
FAR = (NST_POINT[0], NST_POINT[1] + 120 / 110_600)


def staff(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs={"code": NST, **kwargs})


def report_url(report) -> str:
    return url("reports-staff-report", report_id=report.pk)


@pytest.fixture
def light(nst):
    return category_make(nst, division="กองช่าง", target_days=3)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def backdate(report, days: float) -> None:
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(days=days))


def after_photo(client, report, *, lon_lat, accuracy_m="8", **extra):
    data = {
        "step": "done",
        "photo": SimpleUploadedFile("after.jpg", jpeg_with_location(), "image/jpeg"),
        "latitude": lon_lat[1],
        "longitude": lon_lat[0],
        "accuracy_m": accuracy_m,
        "note": "เปลี่ยนหลอดไฟใหม่แล้ว",
    } | extra
    return client.post(report_url(report), data)


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_puts_needs_review_first_then_overdue_then_newest(nst, light):
    accepted_late = report_make(nst, light, description="รายงานเก่าเลยกำหนด")
    accepted_new = report_make(nst, light, description="รายงานใหม่รับเรื่องแล้ว")
    for report in (accepted_late, accepted_new):
        Report.objects.filter(pk=report.pk).update(status=ReportStatus.ACCEPTED)
    backdate(accepted_late, 10)
    waiting = report_make(nst, light, description="รายงานรอตรวจ")
    backdate(waiting, 20)

    response = staff("nst-planner").get(url("reports-queue"), {"category": "street-light"})

    assert response.status_code == 200
    shown = [r.pk for r in response.context["page"].object_list]
    assert shown == [waiting.pk, accepted_late.pk, accepted_new.pk]
    body = response.content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in body
    assert "unpkg.com" not in body
    assert "tile.openstreetmap" not in body
    rows = {r.pk: r for r in response.context["page"].object_list}
    assert (rows[accepted_late.pk].is_overdue, rows[accepted_new.pk].is_overdue) == (True, False)


def test_overdue_is_open_past_the_target_and_never_without_a_target(nst, light):
    no_target = category_make(nst, code="no-target", name_th="ไม่มีกำหนด", target_days=None)
    late = report_make(nst, light)
    untimed = report_make(nst, no_target)
    closed = report_make(nst, light)
    for report in (late, untimed, closed):
        backdate(report, 4)
    Report.objects.filter(pk=closed.pk).update(status=ReportStatus.REJECTED)

    response = staff("nst-planner").get(url("reports-queue"), {"overdue": "on"})

    shown = {r.pk for r in response.context["page"].object_list}
    assert late.pk in shown
    assert not {untimed.pk, closed.pk} & shown


def test_the_queue_filters_by_status_text_and_date(nst, light):
    found = report_make(nst, light, description="ท่อระบายน้ำอุดตันหน้าตลาดสด")
    other = report_make(nst, light, description="ไฟดับ")
    client = staff("nst-planner")

    by_text = client.get(url("reports-queue"), {"q": "ตลาดสด"}).context["page"].object_list
    by_number = client.get(url("reports-queue"), {"q": str(other.pk)}).context["page"].object_list
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    by_date = client.get(url("reports-queue"), {"since": tomorrow}).context["page"].object_list

    assert [r.pk for r in by_text] == [found.pk]
    assert [r.pk for r in by_number] == [other.pk]
    assert list(by_date) == []


@pytest.mark.parametrize(
    "params",
    [{"status": "lost"}, {"category": "<script>"}, {"since": "2026-13-40"}, {"page": "0"}],
)
def test_a_bad_filter_is_a_400_not_everything(nst, light, params):
    response = staff("nst-planner").get(url("reports-queue"), params)

    assert response.status_code == 400
    assert "<script>" not in response.content.decode()


def test_volunteers_may_not_see_the_queue_and_viewers_may_not_work_it(nst, light):
    report = report_make(nst, light, contact=Contact(name="สมปอง", phone="0812223333"))
    viewer = staff("nst-viewer")

    assert staff("nst-volunteer").get(url("reports-queue")).status_code == 403
    assert staff("nst-volunteer").get(report_url(report)).status_code == 403
    assert viewer.get(url("reports-queue")).status_code == 200
    page = viewer.get(report_url(report)).content.decode()
    assert "0812223333" not in page
    assert 'name="purpose"' not in page
    for step in (
        {"step": "contacts", "purpose": "ดูเฉยๆ"},
        {"step": "status", "status": "accepted"},
    ):
        assert viewer.post(report_url(report), step).status_code == 403
    assert not ReportContactAccess.objects.filter(report_ref=report.pk).exists()
    assert Report.objects.get(pk=report.pk).status == ReportStatus.RECEIVED


def test_reading_a_reporters_contact_needs_a_purpose_and_is_logged(nst, light):
    report = report_make(nst, light, contact=Contact(name="สมปอง", phone="0812223333"))
    client = staff("nst-health")

    refused = client.post(report_url(report), {"step": "contacts", "purpose": "   "})
    shown = client.post(report_url(report), {"step": "contacts", "purpose": "โทรถามจุดที่แน่นอน"})

    assert refused.status_code == 400
    assert "0812223333" not in refused.content.decode()
    assert shown.status_code == 200
    assert "0812223333" in shown.content.decode()
    logged = ReportContactAccess.objects.get(report_ref=report.pk)
    assert (logged.username, logged.purpose) == ("nst-health", "โทรถามจุดที่แน่นอน")


# --- assigning and statuses ---------------------------------------------------------------


def test_assign_to_a_division_and_a_member_but_not_to_an_outsider(nst, light):
    report = report_make(nst, light)
    planner = get_user_model().objects.get(username="nst-planner")
    outsider = get_user_model().objects.get(username="chon-admin")
    client = staff("nst-editor")

    form = client.get(report_url(report)).content.decode()
    done = client.post(
        report_url(report), {"step": "assign", "division": "กองช่าง", "assignee": planner.pk}
    )
    refused = client.post(
        report_url(report), {"step": "assign", "division": "กองช่าง", "assignee": outsider.pk}
    )

    assert 'value="กองช่าง"' in form  # the category's division by default
    assert done.status_code == 302
    assert refused.status_code == 400
    report.refresh_from_db()
    assert (report.division, report.assigned_to_id) == ("กองช่าง", planner.pk)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "forwarded", "forwarded_to": " "}, "agency"),
        ({"status": "rejected", "note": ""}, "reason"),
        ({"status": "duplicate"}, "number"),
        ({"status": "done"}, "status"),
    ],
)
def test_a_status_without_what_it_needs_is_refused(nst, light, data, field):
    report = report_make(nst, light)

    response = staff("nst-planner").post(report_url(report), {"step": "status", **data})

    assert response.status_code == 400
    assert Report.objects.get(pk=report.pk).status == ReportStatus.RECEIVED
    assert ReportStatusChange.objects.filter(report=report).count() == 1


def test_forwarded_and_rejected_read_plainly_on_the_public_page(nst, light):
    forwarded = report_make(nst, light)
    rejected = report_make(nst, light)
    client = staff("nst-planner")

    client.post(
        report_url(forwarded),
        {"step": "status", "status": "forwarded", "forwarded_to": "การไฟฟ้าส่วนภูมิภาค",
         "note": "เสาไฟต้นนี้เป็นของการไฟฟ้า เทศบาลแจ้งให้แล้ว"},
    )  # fmt: skip
    client.post(
        report_url(rejected),
        {"step": "status", "status": "rejected", "note": "จุดนี้อยู่นอกเขตเทศบาล"},
    )

    page = Client(HTTP_HOST="127.0.0.1").get(
        reverse("open-report-tracked", kwargs={"code": NST, "tracking": forwarded.tracking_code})
    )
    body = page.content.decode()
    assert "การไฟฟ้าส่วนภูมิภาค" in body
    assert "เทศบาลแจ้งให้แล้ว" in body
    assert "ไม่ใช่ความรับผิดชอบ" not in body  # no brush-off (FIELD.md, citizen reports 3)
    step = ReportStatusChange.objects.filter(report=rejected).last()
    assert (step.status, step.public_note) == ("rejected", "จุดนี้อยู่นอกเขตเทศบาล")


def test_a_duplicate_links_to_the_original_and_its_followers_move(nst, chon, light):
    original = report_make(nst, light)
    duplicate = report_make(nst, light, contact=Contact(name="ผู้แจ้งซ้ำ", phone="0823334444"))
    Report.objects.filter(pk=duplicate.pk).update(follower_count=2)
    elsewhere = report_make(chon, category_make(chon), lon_lat=(100.9847, 13.3611))
    client = staff("nst-planner")

    refused = client.post(
        report_url(duplicate),
        {"step": "status", "status": "duplicate", "duplicate_of": elsewhere.pk},
    )
    itself = client.post(
        report_url(duplicate),
        {"step": "status", "status": "duplicate", "duplicate_of": duplicate.pk},
    )
    done = client.post(
        report_url(duplicate),
        {"step": "status", "status": "duplicate", "duplicate_of": original.pk},
    )

    assert (refused.status_code, itself.status_code, done.status_code) == (400, 400, 302)
    duplicate.refresh_from_db()
    original.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id) == ("duplicate", original.pk)
    assert original.follower_count == 3  # the duplicate's reporter and its two followers
    moved = ReportContact.objects.get(report=original)
    assert (moved.role, moved.phone) == ("follower", "0823334444")
    tracked = Client(HTTP_HOST="127.0.0.1").get(
        reverse("open-report-tracked", kwargs={"code": NST, "tracking": duplicate.tracking_code})
    )
    original_url = reverse("open-report", kwargs={"code": NST, "pk": original.pk})
    assert f'href="{original_url}"' in tracked.content.decode()
    assert "ติดตามปัญหานี้ได้ที่เรื่องเลขที่" in tracked.content.decode()


# --- closing as done ----------------------------------------------------------------------


def test_closing_with_a_near_after_photo_shows_it_publicly_without_metadata(nst, light, media):
    report = report_make(nst, light)

    response = after_photo(staff("nst-planner"), report, lon_lat=NEAR)

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    assert report.closed_at is not None
    photo = ReportPhoto.objects.get(report=report, kind="after")
    assert photo.taken_accuracy_m == 8.0
    staff_page = staff("nst-viewer").get(report_url(report)).content.decode()
    assert "mueang-report-radius" in staff_page  # the 50 m circle around the report
    assert AFTER_PHOTO_COLOUR in staff_page  # and the dot where the after photo was taken
    assert_bare(photo_path(photo.stored_name).read_bytes())
    resident = Client(HTTP_HOST="127.0.0.1")
    resident.cookies["django_language"] = "en"
    public = resident.get(
        reverse("open-report-tracked", kwargs={"code": NST, "tracking": report.tracking_code})
    )
    assert "After the work" in public.content.decode()
    assert "เปลี่ยนหลอดไฟใหม่แล้ว" in public.content.decode()


@pytest.mark.parametrize(
    ("lon_lat", "accuracy", "english", "thai"),
    [
        (FAR, "8", "taken 1", "ถ่ายห่างจากจุดที่แจ้ง"),
        (NEAR, "65", "accurate to 65 m only", "แม่นยำเพียง 65 เมตร"),
        (NEAR, "", "came without the device", "ไม่มีตำแหน่งของอุปกรณ์"),
    ],
)
def test_closing_with_a_far_or_vague_photo_is_refused_in_thai_and_english(
    nst, light, media, lon_lat, accuracy, english, thai
):
    report = report_make(nst, light)
    client = staff("nst-planner")

    answers = {}
    for language in ("en", "th"):
        client.cookies["django_language"] = language
        answers[language] = after_photo(client, report, lon_lat=lon_lat, accuracy_m=accuracy)

    assert [a.status_code for a in answers.values()] == [400, 400]
    assert english in answers["en"].content.decode()
    assert thai in answers["th"].content.decode()
    assert Report.objects.get(pk=report.pk).status == ReportStatus.RECEIVED
    assert not ReportPhoto.objects.filter(report=report, kind="after").exists()
    assert list(media.rglob("*.jpg")) == []  # refused before anything is written


def test_only_a_supervisor_overrides_and_only_with_a_reason(nst, light, media):
    report = report_make(nst, light)

    by_planner = staff("nst-planner").post(
        report_url(report), {"step": "done", "override_reason": "ช่างลืมถ่ายรูป"}
    )
    without_reason = staff("nst-admin").post(
        report_url(report), {"step": "done", "override_reason": "  "}
    )
    assert (by_planner.status_code, without_reason.status_code) == (400, 400)
    assert Report.objects.get(pk=report.pk).status == ReportStatus.RECEIVED

    with_reason = staff("nst-admin").post(
        report_url(report),
        {"step": "done", "override_reason": "ช่างลืมถ่ายรูป ตรวจหน้างานแล้ว", "note": "ซ่อมแล้ว"},
    )

    assert with_reason.status_code == 302
    step = ReportStatusChange.objects.filter(report=report).last()
    assert (step.status, step.override_reason, step.by_user.username) == (
        "done",
        "ช่างลืมถ่ายรูป ตรวจหน้างานแล้ว",
        "nst-admin",
    )
    public = Client(HTTP_HOST="127.0.0.1").get(
        reverse("open-report-tracked", kwargs={"code": NST, "tracking": report.tracking_code})
    )
    assert "ช่างลืมถ่ายรูป" not in public.content.decode()


# --- moderation of first-time reporters -------------------------------------------------------


def test_only_the_administrator_changes_the_moderation_setting(nst):
    assert staff("nst-planner").get(url("reports-settings")).status_code == 403
    response = staff("nst-admin").post(url("reports-settings"), {"moderate_first_time": "on"})

    assert response.status_code == 302
    assert ReportSettings.objects.get(municipality=nst).moderate_first_time is True


def test_a_first_time_report_is_held_off_the_public_list_and_open311(nst, light, media):
    ReportSettings.objects.create(municipality=nst, moderate_first_time=True)
    anonymous = Client(HTTP_HOST="127.0.0.1")
    report_post(anonymous, description="รายงานจากผู้แจ้งครั้งแรก", phone="0834445555")
    held = Report.objects.get(description="รายงานจากผู้แจ้งครั้งแรก")

    public_list = anonymous.get(reverse("open-report-list", kwargs={"code": NST})).content.decode()
    open311 = anonymous.get("/open311/v2/requests.json", {"jurisdiction_id": NST}).json()
    one = anonymous.get(f"/open311/v2/requests/{held.pk}.json", {"jurisdiction_id": NST})
    queue = staff("nst-planner").get(url("reports-queue"), {"review": "on"})

    assert held.needs_review is True
    assert "รายงานจากผู้แจ้งครั้งแรก" not in public_list
    assert held.pk not in {int(r["service_request_id"]) for r in open311}
    assert one.status_code == 404
    assert held.pk in [r.pk for r in queue.context["page"].object_list]

    staff("nst-planner").post(report_url(held), {"step": "status", "status": "accepted"})
    public_after = anonymous.get(reverse("open-report-list", kwargs={"code": NST}))
    report_post(anonymous, description="รายงานครั้งที่สองของคนเดิม", phone="0834445555")
    report_post(anonymous, description="รายงานจากคนใหม่อีกคน", phone="0845556666")

    assert "รายงานจากผู้แจ้งครั้งแรก" in public_after.content.decode()
    assert Report.objects.get(description="รายงานครั้งที่สองของคนเดิม").needs_review is False
    assert Report.objects.get(description="รายงานจากคนใหม่อีกคน").needs_review is True


def test_a_held_report_rejected_as_spam_stays_off_the_public_list(nst, light, media):
    ReportSettings.objects.create(municipality=nst, moderate_first_time=True)
    anonymous = Client(HTTP_HOST="127.0.0.1")
    report_post(anonymous, description="โฆษณาขายของ ไม่ใช่เรื่องร้องเรียน")
    held = Report.objects.get(description="โฆษณาขายของ ไม่ใช่เรื่องร้องเรียน")

    staff("nst-planner").post(
        report_url(held), {"step": "status", "status": "rejected", "note": "ไม่ใช่เรื่องแจ้งเหตุ"}
    )

    held.refresh_from_db()
    assert (held.status, held.needs_review) == ("rejected", True)
    page = anonymous.get(reverse("open-report", kwargs={"code": NST, "pk": held.pk}))
    closed = anonymous.get(
        "/open311/v2/requests.json", {"jurisdiction_id": NST, "status": "closed"}
    ).json()
    assert page.status_code == 404
    assert held.pk not in {int(r["service_request_id"]) for r in closed}


def test_without_moderation_no_report_is_held(nst, light, media):
    report_post(Client(HTTP_HOST="127.0.0.1"), description="ไม่มีการกลั่นกรอง")

    assert Report.objects.get(description="ไม่มีการกลั่นกรอง").needs_review is False


# --- the monthly summary --------------------------------------------------------------------


def test_the_monthly_summary_counts_and_takes_the_median_in_sql(nst, light):
    month_start = timezone.localtime().replace(day=1, hour=8, minute=0, second=0, microsecond=0)
    roads = category_make(
        nst, code="road-x", name_th="ถนน", division="=HYPERLINK(1)", target_days=2
    )
    days_to_done = [1, 2, 6]
    for days in days_to_done:
        report = report_make(nst, roads)
        Report.objects.filter(pk=report.pk).update(
            created_at=month_start,
            status=ReportStatus.DONE,
            closed_at=month_start + timedelta(days=days),
        )
    still_open = report_make(nst, roads)
    Report.objects.filter(pk=still_open.pk).update(created_at=month_start - timedelta(days=40))

    summary = month_summary(municipality=nst, month=month_start.date())
    rows = {r.division: r for r in summary if not r.is_total}
    row = rows["=HYPERLINK(1)"]
    # Done after 1, 2 and 6 days with a 2-day target: the median is 2, the 6-day one overdue.
    assert (row.received, row.done, row.median_days_to_done, row.overdue) == (3, 3, 2.0, 1)
    # The whole municipality comes last, with its own median (reference: Python's, from rows).
    total = summary[-1]
    assert total.is_total
    assert [r.is_total for r in summary].count(True) == 1
    assert total.received == sum(r.received for r in rows.values())
    end = (month_start + timedelta(days=32)).replace(day=1)
    done_days = [
        (r.closed_at - r.created_at).total_seconds() / 86400
        for r in Report.objects.filter(
            municipality=nst, status="done", closed_at__gte=month_start, closed_at__lt=end
        )
    ]
    assert total.median_days_to_done == round(statistics.median(done_days), 1)

    response = staff("nst-viewer").get(
        url("reports-summary"), {"month": f"{month_start:%Y-%m}", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["'=HYPERLINK(1)", "3", "3", "2.0", "1"] in table
    assert table[-1][0] == "ทั้งเทศบาล"


def test_the_summary_page_names_the_month_in_the_buddhist_era(nst, light):
    response = staff("nst-viewer").get(url("reports-summary"), {"month": "2026-11"})

    assert response.status_code == 200
    assert "พฤศจิกายน 2569" in response.content.decode()
    assert staff("nst-viewer").get(url("reports-summary"), {"month": "1999-01"}).status_code == 400
    this_month = staff("nst-viewer").get(url("reports-summary")).content.decode()
    assert f'value="{timezone.localdate():%Y-%m}"' in this_month  # the picker shows the month


def test_a_staff_photo_of_another_report_is_404(nst, light, media):
    first = report_make(nst, light, photos=[])
    second = report_make(nst, light)
    after_photo(staff("nst-planner"), second, lon_lat=NEAR)
    photo = ReportPhoto.objects.get(report=second)
    client = staff("nst-viewer")

    assert (
        client.get(
            url("reports-staff-photo", report_id=second.pk, report_photo_id=photo.pk)
        ).status_code
        == 200
    )
    assert (
        client.get(
            url("reports-staff-photo", report_id=first.pk, report_photo_id=photo.pk)
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"latitude": "nan"},
        {"longitude": "inf"},
        {"accuracy_m": "-1"},
        {"accuracy_m": "1e309"},
        {"photo": SimpleUploadedFile("after.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg")},
        {"note": "x" * 2001},
    ],
    ids=["nan", "inf", "negative-accuracy", "huge-accuracy", "not-a-photo", "long-note"],
)
def test_hostile_closing_input_is_refused_and_changes_nothing(nst, light, media, fields):
    report = report_make(nst, light)

    response = after_photo(staff("nst-planner"), report, lon_lat=NEAR, **fields)

    assert response.status_code == 400
    assert Report.objects.get(pk=report.pk).status == ReportStatus.RECEIVED
    assert not ReportPhoto.objects.filter(report=report).exists()
    assert list(media.rglob("*.jpg")) == []


def test_a_residents_comment_waits_first_in_the_queue_until_staff_answer_it(nst, light):
    from geoapp.models import ReportComment
    from geoapp.reports.followup import report_comment_add

    commented = report_make(nst, light, description="ไฟดับอีกแล้ว")
    quiet = report_make(nst, light, description="รับเรื่องแล้ว ไม่มีอะไรใหม่")
    Report.objects.filter(pk__in=[commented.pk, quiet.pk]).update(status=ReportStatus.ACCEPTED)
    backdate(commented, 1)  # older (not overdue): without the comment it would come second
    report_comment_add(report=commented, body="ยังไม่มีใครมาซ่อม <b>เลย</b>")

    planner = staff("nst-planner")
    queue = planner.get(url("reports-queue"), {"category": "street-light"})
    assert [r.pk for r in queue.context["page"].object_list] == [commented.pk, quiet.pk]
    page = planner.get(report_url(commented)).content.decode()
    assert "ยังไม่มีใครมาซ่อม &lt;b&gt;เลย&lt;/b&gt;" in page  # markup shown as text
    assert 'name="step" value="answer"' in page

    # A viewer reads the comment but may not answer; an empty answer is refused.
    assert (
        staff("nst-viewer")
        .post(report_url(commented), {"step": "answer", "body": "รับทราบ"})
        .status_code
        == 403
    )
    assert planner.post(report_url(commented), {"step": "answer", "body": "   "}).status_code == 400
    assert Report.objects.get(pk=commented.pk).needs_review_since is not None

    answered = planner.post(report_url(commented), {"step": "answer", "body": "ช่างจะเข้าไปพรุ่งนี้"})

    assert answered.status_code == 302
    assert Report.objects.get(pk=commented.pk).needs_review_since is None
    answer = ReportComment.objects.get(report=commented, by_staff=True)
    assert (answer.body, answer.by_user.get_username()) == ("ช่างจะเข้าไปพรุ่งนี้", "nst-planner")
    public = Client(HTTP_HOST="127.0.0.1").get(
        reverse("open-report", kwargs={"code": NST, "pk": commented.pk})
    )
    assert "ช่างจะเข้าไปพรุ่งนี้" in public.content.decode()
    assert "nst-planner" not in public.content.decode()
    queue = planner.get(url("reports-queue"), {"category": "street-light"})
    assert [r.pk for r in queue.context["page"].object_list] == [quiet.pk, commented.pk]
