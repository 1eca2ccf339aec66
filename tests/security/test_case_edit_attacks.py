"""Attacks on the case and spray round forms: other tenants' ids, forged keys, hostile input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from layers.dengue.selectors import dengue_situation, spray_plan, zone_key_for_case
from layers.dengue.services import spray_round_record
from layers.models import Building, DengueCase, DengueCasePersonal, SprayRound
from layers.tenancy import all_municipality_ids, tenant_scope_set

NST = "nakhon-si-thammarat"
CHON = "chon-buri"
PLAN_DAY = date(2026, 11, 21)


def rescope() -> None:
    """See every municipality again: a request narrowed the test's transaction to its own."""
    tenant_scope_set(municipality_ids=all_municipality_ids())


def client_for(username: str, **kwargs) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", **kwargs)
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = "en"
    return client


def nst_round(nst) -> SprayRound:
    entry = spray_plan(dengue_situation(municipality=nst, on=PLAN_DAY)).rounds[0]
    return spray_round_record(
        municipality=nst,
        zone_key=entry.zone.key,
        round_number=entry.round_number,
        planned_date=entry.planned_date,
        done_on=PLAN_DAY,
        team="ทีม 1",
        households_targeted=10,
        user=None,
    )


def case_data(case: DengueCase, **changes) -> dict:
    return {
        "source_id": "",
        "onset_date": str(case.onset_date),
        "report_date": str(case.report_date),
        "diagnosis": case.diagnosis,
        "status": case.status,
        "sex": case.sex,
        "age_group": case.age_group,
        "building": "",
        "lon": "",
        "lat": "",
        **changes,
    }


# --- Another municipality's rows by id ---------------------------------------------------------


@pytest.mark.parametrize("name", ["case-edit", "case-steps", "case-personal", "case-detail"])
def test_another_municipalitys_case_through_ones_own_code_is_404(db, nst, name):
    case = DengueCase.objects.filter(municipality=nst).first()
    before = (case.onset_date, case.investigated_at)
    data = case_data(case, onset_date="2026-01-01", step="investigated", at="2026-11-21T10:00")

    response = client_for("chon-health").post(reverse(name, args=[CHON, case.pk]), data)
    rescope()

    assert response.status_code == 404
    case.refresh_from_db()
    assert (case.onset_date, case.investigated_at) == before


@pytest.mark.parametrize("name", ["case-edit", "case-steps", "case-personal"])
def test_another_municipalitys_code_is_404_for_its_own_case(db, nst, name):
    case = DengueCase.objects.filter(municipality=nst).first()

    response = client_for("chon-health").post(
        reverse(name, args=[NST, case.pk]), case_data(case, onset_date="2026-01-01")
    )
    rescope()

    assert response.status_code == 404
    assert DengueCase.objects.get(pk=case.pk).onset_date == case.onset_date


def test_another_municipalitys_round_by_id_is_404(db, nst):
    spray_round = nst_round(nst)
    client = client_for("chon-health")
    url = reverse("dengue-spray-round", args=[CHON, spray_round.pk])

    seen = client.get(url)
    withdrawn = client.post(url, {"action": "withdraw", "reason": "x"})
    rescope()

    assert (seen.status_code, withdrawn.status_code) == (404, 404)
    assert SprayRound.objects.get(pk=spray_round.pk).withdrawn is False
    assert "ทีม 1" not in seen.content.decode()


def test_a_building_of_another_municipality_cannot_place_a_case(db, nst, chon):
    Building.objects.create(
        municipality=chon,
        name_th="บ้านชลบุรี 1/1",
        geom=MultiPolygon(chon.boundary.point_on_surface.buffer(0.0001)),
    )
    case = DengueCase.objects.filter(municipality=nst).first()
    n = DengueCase.objects.count()

    response = client_for("nst-health").post(
        reverse("case-add", args=[NST]),
        case_data(case, source_id="ATTACK-1", building="บ้านชลบุรี 1/1"),
    )

    assert response.status_code == 400
    assert "No building has this house number" in response.content.decode()
    assert DengueCase.objects.count() == n


def test_a_point_in_another_municipality_is_refused(db, nst, chon):
    inside_chon = chon.boundary.point_on_surface
    case = DengueCase.objects.filter(municipality=nst).first()

    response = client_for("nst-health").post(
        reverse("case-edit", args=[NST, case.pk]),
        case_data(case, lon=str(inside_chon.x), lat=str(inside_chon.y)),
    )

    assert response.status_code == 400
    assert "outside the municipality" in response.content.decode()
    assert DengueCase.objects.get(pk=case.pk).geom.equals(case.geom)


# --- Forged zone keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone_key",
    ["z0000000000", "other", "z" + "f" * 39, "'; DROP TABLE layers_sprayround; --", "z\x00abc"],
)
def test_a_forged_zone_key_records_nothing(db, nst, zone_key):
    response = client_for("nst-health").post(
        reverse("dengue-spray-plan", args=[NST]) + f"?date={PLAN_DAY}",
        {"zone_key": zone_key, "round": f"1:{PLAN_DAY}", "done_on": str(PLAN_DAY), "team": "1"},
    )

    assert response.status_code == 400
    assert not SprayRound.objects.exists()


def test_a_zone_key_of_another_municipality_records_nothing(db, nst, chon):
    chon_case = DengueCase.objects.filter(municipality=chon).first()
    if chon_case is None:
        chon_case = DengueCase.objects.create(
            municipality=chon,
            onset_date=PLAN_DAY,
            report_date=PLAN_DAY,
            diagnosis="DF",
            geom=chon.boundary.point_on_surface,
        )
    key = zone_key_for_case(municipality_id=chon.pk, case_id=chon_case.pk)

    response = client_for("nst-health").post(
        reverse("dengue-spray-plan", args=[NST]) + f"?date={PLAN_DAY}",
        {"zone_key": key, "round": f"1:{PLAN_DAY}", "done_on": str(PLAN_DAY), "team": "1"},
    )

    assert response.status_code == 400
    assert not SprayRound.objects.filter(zone_key=key).exists()


# --- Hostile dates and numbers -----------------------------------------------------------------


HOSTILE_DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "2026-11-21\x00", "-1", "1" * 500]
HOSTILE_NUMBERS = ["1e309", "9" * 40, "0x10", "-0", "NaN", "\x00", "๑๐", "1.5", "-2147483649"]


@pytest.mark.parametrize("value", HOSTILE_DATES)
def test_hostile_dates_on_the_case_form_are_400_never_500(db, nst, value):
    case = DengueCase.objects.filter(municipality=nst).first()

    response = client_for("nst-health").post(
        reverse("case-edit", args=[NST, case.pk]), case_data(case, onset_date=value)
    )

    assert response.status_code == 400
    assert DengueCase.objects.get(pk=case.pk).onset_date == case.onset_date


@pytest.mark.parametrize("value", HOSTILE_DATES)
def test_hostile_dates_on_the_round_correction_are_400(db, nst, value):
    spray_round = nst_round(nst)

    response = client_for("nst-health").post(
        reverse("dengue-spray-round", args=[NST, spray_round.pk]),
        {"action": "correct", "done_on": value, "team": "ทีม 1", "reason": "x"},
    )

    assert response.status_code == 400
    assert SprayRound.objects.get(pk=spray_round.pk).done_on == PLAN_DAY


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
@pytest.mark.parametrize("field", ["households_targeted", "households_sprayed"])
def test_hostile_numbers_on_the_round_correction_never_save(db, nst, field, value):
    spray_round = nst_round(nst)
    data = {
        "action": "correct",
        "done_on": str(PLAN_DAY),
        "team": "ทีม 1",
        "households_targeted": "10",
        "reason": "x",
        field: value,
    }

    response = client_for("nst-health").post(
        reverse("dengue-spray-round", args=[NST, spray_round.pk]), data
    )

    fresh = SprayRound.objects.get(pk=spray_round.pk)
    assert response.status_code in (302, 400)
    assert 0 <= fresh.households_sprayed <= fresh.households_targeted <= 100_000
    if response.status_code == 302:
        # Only a value that is a real whole number in range may pass ("-0" is 0, "๑๐" is 10).
        assert value in ("-0", "๑๐")


@pytest.mark.parametrize("value", ["10:00", "9999-12-31T23:59", "2026-13-01T10:00", "\x00"])
def test_hostile_step_times_are_400(db, nst, value):
    case = DengueCase.objects.filter(municipality=nst).first()

    response = client_for("nst-health").post(
        reverse("case-steps", args=[NST, case.pk]), {"step": "sprayed", "at": value}
    )

    assert response.status_code == 400
    assert DengueCase.objects.get(pk=case.pk).sprayed_at is None


@pytest.mark.parametrize("page", ["0", "-5", "99999999999999999999", "\x00", "1; DROP"])
def test_hostile_list_pages_are_400(db, page):
    response = client_for("nst-health").get(reverse("case-list", args=[NST]), {"page": page})

    assert response.status_code == 400


# --- Cross-site requests and markup ------------------------------------------------------------


def test_a_write_without_the_csrf_token_is_refused(db, nst):
    case = DengueCase.objects.filter(municipality=nst).first()
    client = client_for("nst-health", enforce_csrf_checks=True)

    response = client.post(
        reverse("case-steps", args=[NST, case.pk]),
        {"step": "sprayed", "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
    )

    assert response.status_code == 403
    assert DengueCase.objects.get(pk=case.pk).sprayed_at == case.sprayed_at


def test_markup_in_a_team_name_shows_as_text(db, nst):
    spray_round = nst_round(nst)
    SprayRound.objects.filter(pk=spray_round.pk).update(team="<script>alert(1)</script>")

    page = (
        client_for("nst-health")
        .get(reverse("dengue-spray-round", args=[NST, spray_round.pk]))
        .content.decode()
    )

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_case_list_search_never_reads_personal_data(db, nst):
    case = DengueCase.objects.filter(municipality=nst).first()
    DengueCasePersonal.objects.filter(case=case).delete()
    DengueCasePersonal.objects.create(
        municipality=nst, case=case, full_name="ชื่อลับ", phone="0800000000"
    )

    response = client_for("nst-health").get(reverse("case-list", args=[NST]), {"q": "0800000000"})

    assert response.status_code == 200
    assert f"/cases/{case.pk}/" not in response.content.decode()


def test_a_future_onset_is_refused_by_the_service_too(db, nst):
    from django.core.exceptions import ValidationError

    from layers.dengue.services import case_create

    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError):
        case_create(
            municipality=nst,
            user=get_user_model().objects.get(username="nst-health"),
            point=nst.boundary.point_on_surface,
            onset_date=tomorrow,
            report_date=tomorrow,
            diagnosis="DF",
        )


# --- Fuzzing: malformed input of every new form is never a server error ------------------------


def test_fuzzed_case_forms_never_fail(db, nst):
    from hypothesis import strategies as st

    from tests.geoapp.test_forms_fuzz import SLOW, fuzz_get, fuzz_post
    from tests.geoapp.test_forms_fuzz import client_for as fuzz_client

    case = DengueCase.objects.filter(municipality=nst).order_by("id").first()
    client = fuzz_client("nst-health")
    fields = {
        "source_id": st.sampled_from(["", "FUZZ-1"]),
        "onset_date": st.sampled_from([str(case.onset_date), "2569-01-01"]),
        "report_date": st.sampled_from([str(case.report_date)]),
        "diagnosis": st.sampled_from(["DF", "DHF"]),
        "status": st.sampled_from(["confirmed"]),
        "sex": st.sampled_from(["U"]),
        "building": st.sampled_from(["", "way/1"]),
        "lon": st.sampled_from(["", str(case.geom.x), "181"]),
        "lat": st.sampled_from(["", str(case.geom.y)]),
    }
    fuzz_post(client, reverse("case-add", args=[NST]), fields, SLOW)
    fuzz_post(client, reverse("case-edit", args=[NST, case.pk]), fields, SLOW)
    fuzz_post(
        client,
        reverse("case-steps", args=[NST, case.pk]),
        {
            "step": st.sampled_from(["investigated", "sprayed"]),
            "at": st.sampled_from([f"{case.report_date}T10:00"]),
            "clear": st.sampled_from(["", "1"]),
        },
        SLOW,
    )
    fuzz_post(
        client,
        reverse("case-personal", args=[NST, case.pk]),
        {
            "purpose": st.sampled_from(["investigation"]),
            "save": st.sampled_from(["1"]),
            "national_id": st.sampled_from(["1101700203451"]),
            "phone": st.sampled_from(["0812345678"]),
        },
        SLOW,
    )
    fuzz_get(
        client,
        reverse("case-list", args=[NST]),
        ["q", "week", "subdistrict", "status", "order", "page"],
        SLOW,
    )


def test_fuzzed_round_forms_never_fail(db, nst):
    from hypothesis import strategies as st

    from tests.geoapp.test_forms_fuzz import SLOW, fuzz_post
    from tests.geoapp.test_forms_fuzz import client_for as fuzz_client

    spray_round = nst_round(nst)
    fuzz_post(
        fuzz_client("nst-health"),
        reverse("dengue-spray-round", args=[NST, spray_round.pk]),
        {
            "action": st.sampled_from(["correct", "withdraw"]),
            "done_on": st.sampled_from([str(PLAN_DAY)]),
            "done_at": st.sampled_from(["", "09:00"]),
            "team": st.sampled_from(["ทีม 1"]),
            "method": st.sampled_from(["ulv", "thermal"]),
            "households_targeted": st.sampled_from(["10", "0"]),
            "households_sprayed": st.sampled_from(["5", "11"]),
            "reason": st.sampled_from(["แก้ไข"]),
        },
        SLOW,
    )
