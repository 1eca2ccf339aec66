"""The health officer's case pages: add, correct, 3-3-1 steps, personal data, the case list."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from layers.dengue.selectors import dengue_data_version
from layers.models import Building, DengueCase, DengueCasePersonal, FeatureHistory

NST = "nakhon-si-thammarat"
EDITORS = ["nst-health", "nst-admin"]
NOT_EDITORS = ["nst-viewer", "nst-planner", "nst-disaster", "nst-editor"]


def client_for(username: str, *, language: str = "en") -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = language
    return client


def some_case(nst) -> DengueCase:
    return DengueCase.objects.filter(municipality=nst).order_by("id").first()


def inside(nst) -> tuple[float, float]:
    """A point inside the municipality (its first case's house)."""
    case = some_case(nst)
    return case.geom.x, case.geom.y


def new_case_data(nst, **changes) -> dict:
    lon, lat = inside(nst)
    today = timezone.localdate()
    return {
        "source_id": "TEST-0001",
        "onset_date": str(today - timedelta(days=2)),
        "report_date": str(today),
        "diagnosis": "DF",
        "status": "confirmed",
        "sex": "F",
        "age_group": "15-24",
        "building": "",
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
        **changes,
    }


def errors_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Adding a case -----------------------------------------------------------------------------


def test_a_health_officer_adds_a_case_at_a_point_on_the_map(db, nst):
    before = dengue_data_version(municipality=nst)

    response = client_for("nst-health").post(reverse("case-add", args=[NST]), new_case_data(nst))

    case = DengueCase.objects.get(municipality=nst, source_id="TEST-0001")
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[NST, case.pk])
    assert (case.onset_date, case.report_date) == (
        timezone.localdate() - timedelta(days=2),
        timezone.localdate(),
    )
    assert (case.diagnosis, case.sex, case.age_group) == ("DF", "F", "15-24")
    assert case.geom.x == pytest.approx(inside(nst)[0], abs=1e-6)
    assert case.subdistrict is not None
    assert case.subdistrict.geom.intersects(case.geom)
    assert dengue_data_version(municipality=nst) != before


def test_a_case_placed_by_its_building_takes_the_buildings_point(db, nst):
    building = Building.objects.filter(municipality=nst).order_by("id").first()
    building.name_th = "บ้านเลขที่ 99/9 ทดสอบ"
    building.save()
    data = new_case_data(nst, building="บ้านเลขที่ 99/9 ทดสอบ", lon="", lat="")

    response = client_for("nst-health").post(reverse("case-add", args=[NST]), data)

    assert response.status_code == 302
    case = DengueCase.objects.get(municipality=nst, source_id="TEST-0001")
    assert building.geom.contains(case.geom)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"lon": "", "lat": ""}, "House number or building", "Place the case on the map"),
        ({"building": "no such house 123"}, "House number or building", "No building has"),
        ({"lon": "100.9", "lat": "13.3"}, "House number or building", "outside the municipality"),
        ({"lon": "999", "lat": "8.4"}, "Longitude", "in degrees"),
        ({"lon": "nan", "lat": "8.4"}, "Longitude", "number"),
        ({"onset_date": "2569-11-01"}, "Onset date", "Buddhist-era year"),
        ({"onset_date": "1999-12-31"}, "Onset date", "must lie between"),
        ({"report_date": "2099-01-01"}, "Report date", "in the future"),
        ({"onset_date": "01/11/2026"}, "Onset date", "Enter a valid date"),
        ({"diagnosis": "XYZ"}, "Diagnosis", "Select a valid choice"),
        ({"age_group": "x" * 11}, "Age group", "at most 10"),
    ],
)
def test_a_case_the_form_refuses_is_400_with_the_field_named_and_nothing_saved(
    db, nst, changes, field, message
):
    n = DengueCase.objects.count()

    response = client_for("nst-health").post(
        reverse("case-add", args=[NST]), new_case_data(nst, **changes)
    )

    assert response.status_code == 400
    text = errors_of(response)
    assert field in text
    assert message in text
    assert DengueCase.objects.count() == n


def test_a_report_before_the_onset_is_refused(db, nst):
    today = timezone.localdate()
    data = new_case_data(nst, onset_date=str(today), report_date=str(today - timedelta(days=1)))

    response = client_for("nst-health").post(reverse("case-add", args=[NST]), data)

    assert response.status_code == 400
    assert "reported on or after its onset" in errors_of(response)


def test_a_case_code_already_used_is_refused(db, nst):
    client = client_for("nst-health")
    client.post(reverse("case-add", args=[NST]), new_case_data(nst))

    response = client.post(reverse("case-add", args=[NST]), new_case_data(nst))

    assert response.status_code == 400
    assert "Another case already has this code" in errors_of(response)
    assert DengueCase.objects.filter(source_id="TEST-0001").count() == 1


def test_the_thai_form_reads_in_thai_with_a_map_of_local_files(db, nst):
    response = client_for("nst-health", language="th").get(reverse("case-add", args=[NST]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "เพิ่มผู้ป่วย" in page
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/geoapp/dengue/case-form.js" in page
    assert "unpkg" not in page
    assert "cdn" not in page


# --- Correcting a case -------------------------------------------------------------------------


def test_correcting_the_onset_keeps_the_old_date_and_who_in_the_cases_history(db, nst):
    case = some_case(nst)
    old_onset = case.onset_date
    new_onset = old_onset - timedelta(days=1)
    data = new_case_data(
        nst,
        source_id=case.source_id,
        onset_date=str(new_onset),
        report_date=str(case.report_date),
        diagnosis=case.diagnosis,
        status=case.status,
        sex=case.sex,
        age_group=case.age_group,
        lon="",
        lat="",
    )
    before = dengue_data_version(municipality=nst)

    response = client_for("nst-health").post(reverse("case-edit", args=[NST, case.pk]), data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.onset_date == new_onset
    assert dengue_data_version(municipality=nst) != before
    entry = FeatureHistory.objects.filter(layer="cases", feature_id=case.pk).latest("id")
    assert entry.op == "update"
    assert entry.old_row["onset_date"] == old_onset.isoformat()
    assert entry.user_ref == get_user_model().objects.get(username="nst-health").pk
    officer = get_user_model().objects.get(username="nst-health")
    detail = client_for("nst-health").get(reverse("case-detail", args=[NST, case.pk]))
    history = detail.content.decode().split("case-history", 1)[1]
    assert (officer.get_full_name() or officer.username) in history
    assert f"{old_onset.isoformat()} → {new_onset.isoformat()}" in history


def test_moving_the_point_records_that_it_moved(db, nst):
    case = some_case(nst)
    other = DengueCase.objects.filter(municipality=nst).exclude(pk=case.pk).order_by("id")[5]
    data = new_case_data(
        nst,
        source_id=case.source_id,
        onset_date=str(case.onset_date),
        report_date=str(case.report_date),
        diagnosis=case.diagnosis,
        status=case.status,
        sex=case.sex,
        age_group=case.age_group,
        lon=f"{other.geom.x:.6f}",
        lat=f"{other.geom.y:.6f}",
    )

    client_for("nst-health").post(reverse("case-edit", args=[NST, case.pk]), data)

    case.refresh_from_db()
    assert case.geom.distance(other.geom) < 1e-5
    entry = FeatureHistory.objects.filter(layer="cases", feature_id=case.pk).latest("id")
    assert "geom" in entry.changed_columns


# --- 3-3-1 steps -------------------------------------------------------------------------------


def test_marking_the_investigation_done_feeds_the_331_timer_with_who_and_when(db, nst):
    case = some_case(nst)
    at = timezone.localtime().replace(second=0, microsecond=0) - timedelta(hours=1)

    response = client_for("nst-health").post(
        reverse("case-steps", args=[NST, case.pk]),
        {"step": "investigated", "at": at.strftime("%Y-%m-%dT%H:%M")},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.investigated_at == at
    assert case.investigated_by == "nst-health"


def test_marking_sprayed_counts_as_spraying_in_the_timers(db, nst):
    from layers.dengue.selectors import case_timers, dengue_situation

    client = client_for("nst-health")
    client.post(reverse("case-add", args=[NST]), new_case_data(nst))
    case = DengueCase.objects.get(source_id="TEST-0001")
    now = timezone.localtime().replace(second=0, microsecond=0)

    client.post(
        reverse("case-steps", args=[NST, case.pk]),
        {"step": "sprayed", "at": now.strftime("%Y-%m-%dT%H:%M")},
    )

    situation = dengue_situation(municipality=nst, on=timezone.localdate())
    [timers] = [t for t in case_timers(situation, now=timezone.now()) if t.case_id == case.pk]
    assert timers.spraying.status == "on_time"
    assert timers.spraying.done == now.date()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"step": "investigated", "at": "2099-01-01T10:00"}, "in the future"),
        ({"step": "investigated", "at": "2000-01-01T10:00"}, "on or after the report date"),
        ({"step": "investigated", "at": "yesterday"}, "Enter a valid date/time"),
        ({"step": "investigated"}, "Give the date and time"),
        ({"step": "delete_case", "at": "2026-01-01T10:00"}, "Select a valid choice"),
    ],
)
def test_a_step_refused_is_400_and_changes_nothing(db, nst, data, message):
    case = some_case(nst)
    before = (case.investigated_at, case.investigated_by)

    response = client_for("nst-health").post(reverse("case-steps", args=[NST, case.pk]), data)

    assert response.status_code == 400
    assert message in errors_of(response)
    case.refresh_from_db()
    assert (case.investigated_at, case.investigated_by) == before


def test_a_step_marked_by_mistake_is_cleared(db, nst):
    case = some_case(nst)
    client = client_for("nst-health")
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("case-steps", args=[NST, case.pk]), {"step": "breeding_sites_removed", "at": now}
    )

    client.post(
        reverse("case-steps", args=[NST, case.pk]),
        {"step": "breeding_sites_removed", "clear": "1"},
    )

    case.refresh_from_db()
    assert (case.breeding_sites_removed_at, case.breeding_sites_removed_by) == (None, "")


# --- Personal data -----------------------------------------------------------------------------


def test_personal_data_is_corrected_after_a_logged_read_and_its_values_stay_out_of_history(db, nst):
    from layers.models import PersonalDataAccess

    case = some_case(nst)
    client = client_for("nst-health")
    url = reverse("case-personal", args=[NST, case.pk])
    reads = PersonalDataAccess.objects.filter(case_ref=case.pk).count()

    shown = client.post(url, {"purpose": "investigation"})
    saved = client.post(
        url,
        {
            "purpose": "investigation",
            "save": "1",
            "full_name": "นางทดสอบ ไม่มีจริง",
            "national_id": "",
            "phone": "081-234-5678",
            "address": "บ้านทดสอบ",
        },
    )

    assert shown.status_code == 200
    assert 'name="full_name"' in shown.content.decode()
    assert saved.status_code == 302
    assert PersonalDataAccess.objects.filter(case_ref=case.pk).count() == reads + 1
    personal = DengueCasePersonal.objects.get(case=case)
    assert (personal.full_name, personal.phone) == ("นางทดสอบ ไม่มีจริง", "0812345678")
    entry = FeatureHistory.objects.filter(layer="cases", feature_id=case.pk).latest("id")
    assert "personal data corrected" in entry.context
    assert "phone" in entry.context
    history_text = str(
        list(FeatureHistory.objects.filter(layer="cases", feature_id=case.pk).values())
    )
    for value in ("ทดสอบ", "0812345678", "081-234-5678"):
        assert value not in history_text


def test_a_national_id_with_a_wrong_check_digit_is_refused(db, nst):
    case = some_case(nst)

    response = client_for("nst-health").post(
        reverse("case-personal", args=[NST, case.pk]),
        {"purpose": "investigation", "save": "1", "national_id": "1234567890123"},
    )

    assert response.status_code == 400
    assert "check digit" in errors_of(response)


# --- The case list -----------------------------------------------------------------------------


def listed_ids(response) -> list[int]:
    return [int(n) for n in re.findall(r'href="/m/[^/]+/cases/(\d+)/"', response.content.decode())]


def test_the_case_list_shows_fifty_cases_a_page_latest_onset_first(db, nst):
    response = client_for("nst-health").get(reverse("case-list", args=[NST]))

    ids = listed_ids(response)
    expected = list(
        DengueCase.objects.filter(municipality=nst)
        .order_by("-onset_date", "-id")
        .values_list("id", flat=True)[:50]
    )
    assert ids == expected
    assert "page 1 of 4" in response.content.decode()


def test_the_next_page_link_keeps_the_filters(db, nst):
    response = client_for("nst-health").get(
        reverse("case-list", args=[NST]), {"status": "confirmed", "order": "old"}
    )

    links = re.findall(r'rel="next" href="\?([^"]+)"', response.content.decode())
    assert links
    assert "status=confirmed" in links[0]
    assert "order=old" in links[0]
    assert "page=2" in links[0]
    second = client_for("nst-health").get(
        reverse("case-list", args=[NST]) + "?" + links[0].replace("&amp;", "&")
    )
    expected = list(
        DengueCase.objects.filter(municipality=nst, status="confirmed")
        .order_by("onset_date", "id")
        .values_list("id", flat=True)[50:100]
    )
    assert listed_ids(second) == expected


def test_the_case_list_filters_by_epidemiological_week_and_subdistrict(db, nst):
    case = DengueCase.objects.filter(municipality=nst, subdistrict__isnull=False).first()
    onset = case.onset_date
    sunday = onset - timedelta(days=(onset.weekday() + 1) % 7)

    response = client_for("nst-health").get(
        reverse("case-list", args=[NST]),
        {"week": str(onset), "subdistrict": str(case.subdistrict_id)},
    )

    expected = set(
        DengueCase.objects.filter(
            municipality=nst,
            subdistrict=case.subdistrict,
            onset_date__gte=sunday,
            onset_date__lt=sunday + timedelta(days=7),
        ).values_list("id", flat=True)
    )
    assert case.pk in expected
    assert set(listed_ids(response)) == expected


def test_the_case_list_searches_case_codes_and_subdistricts_but_not_names(db, nst):
    case = DengueCase.objects.filter(municipality=nst).exclude(source_id="").first()
    DengueCasePersonal.objects.filter(case=case).delete()
    from layers.pdpa.services import case_personal_write

    case_personal_write(case=case, full_name="สมหญิง ค้นไม่เจอ")
    client = client_for("nst-health")

    by_code = client.get(reverse("case-list", args=[NST]), {"q": case.source_id})
    by_name = client.get(reverse("case-list", args=[NST]), {"q": "ค้นไม่เจอ"})

    assert case.pk in listed_ids(by_code)
    assert listed_ids(by_name) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"week": "2569-11-01"}, "Buddhist-era"),
        ({"week": "last week"}, "is not a date"),
        ({"subdistrict": "999999"}, "No subdistrict"),
        ({"status": "dead"}, "status must be one of"),
        ({"page": "-1"}, "page must be a whole number"),
        ({"page": "1e9"}, "page must be a whole number"),
    ],
)
def test_a_bad_filter_is_400_with_a_reason(db, nst, query, message):
    response = client_for("nst-health").get(reverse("case-list", args=[NST]), query)

    assert response.status_code == 400
    assert message in errors_of(response)


def test_a_page_past_the_end_shows_the_last_page(db, nst):
    response = client_for("nst-health").get(reverse("case-list", args=[NST]), {"page": "999"})

    assert response.status_code == 200
    assert "page 4 of 4" in response.content.decode()


# --- Roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", NOT_EDITORS)
@pytest.mark.parametrize("name", ["case-add", "case-edit", "case-steps", "case-personal"])
def test_roles_without_edit_cases_cannot_open_or_post_the_case_forms(db, nst, username, name):
    case = some_case(nst)
    args = [NST] if name == "case-add" else [NST, case.pk]
    client = client_for(username)
    n = DengueCase.objects.count()

    assert client.get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse(name, args=args), new_case_data(nst)).status_code == 403
    assert DengueCase.objects.count() == n


@pytest.mark.parametrize("username", EDITORS)
@pytest.mark.parametrize("name", ["case-add", "case-edit", "case-steps", "case-personal"])
def test_health_officers_and_administrators_open_the_case_forms(db, nst, username, name):
    case = some_case(nst)
    args = [NST] if name == "case-add" else [NST, case.pk]

    assert client_for(username).get(reverse(name, args=args)).status_code == 200


def test_the_steps_recorded_show_on_the_detail_page_in_the_buddhist_era(db, nst):
    case = some_case(nst)
    at = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.get_current_timezone())
    DengueCase.objects.filter(pk=case.pk).update(
        report_date=date(2026, 11, 19), investigated_at=at, investigated_by="nst-health"
    )

    page = client_for("nst-health", language="th").get(reverse("case-detail", args=[NST, case.pk]))

    assert "20 พ.ย. 2569 09:30" in page.content.decode()


def test_the_case_code_is_corrected_but_never_to_another_cases_code(db, nst):
    case, other = DengueCase.objects.filter(municipality=nst).exclude(source_id="")[:2]
    client = client_for("nst-health")

    def post(code: str):
        return client.post(
            reverse("case-edit", args=[NST, case.pk]),
            new_case_data(
                nst,
                source_id=code,
                onset_date=str(case.onset_date),
                report_date=str(case.report_date),
                diagnosis=case.diagnosis,
                status=case.status,
                sex=case.sex,
                age_group=case.age_group,
                lon="",
                lat="",
            ),
        )

    taken = post(other.source_id)
    fixed = post("HOSP-2569-0042")

    assert taken.status_code == 400
    assert "Another case already has this code" in errors_of(taken)
    assert fixed.status_code == 302
    assert DengueCase.objects.get(pk=case.pk).source_id == "HOSP-2569-0042"
