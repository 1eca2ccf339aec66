"""The spray round form: the paper report's fields, the next round due, correction, withdrawal."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from layers.dengue.selectors import dengue_situation, spray_plan
from layers.dengue.services import spray_round_record
from layers.models import Municipality, SprayRound, SprayRoundChange

NST = "nakhon-si-thammarat"
PLAN_DAY = date(2026, 11, 21)


def client_for(username: str, *, language: str = "en") -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = language
    return client


def plan_url(on: date = PLAN_DAY) -> str:
    return reverse("dengue-spray-plan", args=[NST]) + f"?date={on}"


def plan_of(on: date):
    return spray_plan(dengue_situation(municipality=Municipality.objects.get(code=NST), on=on))


def overdue_with_a_missed_round(nst):
    """A plan day and entry where round 2 is overdue and round 1 was never recorded."""
    for days in range(0, 20):
        on = PLAN_DAY + timedelta(days=days)
        for entry in plan_of(on).rounds:
            if entry.status == "overdue" and entry.round_number == 2 and entry.missed:
                return on, entry
    pytest.skip("the demo has no zone with round 2 overdue and round 1 missed")


def report(entry, **changes) -> dict:
    return {
        "zone_key": entry.zone.key,
        "round": f"{entry.round_number}:{entry.planned_date}",
        "done_on": str(PLAN_DAY),
        "done_at": "16:30",
        "team": "ทีม 2",
        "method": "ulv",
        "chemical": "Deltamethrin 0.5%",
        "households_targeted": "40",
        "households_sprayed": "31",
        "households_refused": "2",
        "households_closed": "7",
        "notes": "บ้านปิด 7 หลัง",
        **changes,
    }


def recorded_round(nst, **changes) -> SprayRound:
    entry = plan_of(PLAN_DAY).rounds[0]
    args = {
        "municipality": nst,
        "zone_key": entry.zone.key,
        "round_number": entry.round_number,
        "planned_date": entry.planned_date,
        "done_on": PLAN_DAY,
        "team": "ทีม 1",
        "households_targeted": 20,
        "households_sprayed": 18,
        "user": get_user_model().objects.get(username="nst-health"),
    }
    return spray_round_record(**{**args, **changes})


# --- Recording ---------------------------------------------------------------------------------


def test_the_form_follows_the_paper_report_and_saves_every_field(db, nst):
    entry = plan_of(PLAN_DAY).rounds[0]

    response = client_for("nst-health").post(plan_url(), report(entry))

    assert response.status_code == 302
    saved = SprayRound.objects.get(zone_key=entry.zone.key)
    assert (saved.done_on, saved.done_at.strftime("%H:%M")) == (PLAN_DAY, "16:30")
    assert (saved.team, saved.method, saved.chemical) == ("ทีม 2", "ulv", "Deltamethrin 0.5%")
    assert (
        saved.households_targeted,
        saved.households_sprayed,
        saved.households_refused,
        saved.households_closed,
    ) == (40, 31, 2, 7)


def test_the_sprayed_counter_counts_the_round_just_recorded(db, nst):
    client = client_for("nst-health")
    entry = plan_of(PLAN_DAY).rounds[0]
    before = client.get(plan_url()).context["counts"]["done"]

    client.post(plan_url(), report(entry))

    after = client.get(plan_url())
    assert after.context["counts"]["done"] == before + 1
    assert re.search(rf'id="plan-sprayed">done: {before + 1}<', after.content.decode())


def test_recording_a_missed_round_1_counts_as_sprayed_though_round_2_is_still_due(db, nst):
    """The cause of the counter stuck at 0: only a zone's latest round was counted."""
    on, entry = overdue_with_a_missed_round(nst)
    number, planned = entry.missed[0]
    client = client_for("nst-health")
    before = client.get(plan_url(on)).context["counts"]["done"]

    response = client.post(
        plan_url(on),
        report(entry, round=f"{number}:{planned}", done_on=str(on)),
    )

    assert response.status_code == 302
    page = client.get(plan_url(on))
    assert page.context["counts"]["done"] == before + 1
    still = next(e for e in page.context["plan"].rounds if e.zone.key == entry.zone.key)
    assert still.status == "overdue"
    assert still.next_due == (2, entry.planned_date)


def test_the_form_defaults_to_round_1_when_round_1_is_not_recorded(db, nst):
    on, entry = overdue_with_a_missed_round(nst)

    page = client_for("nst-health").get(plan_url(on))

    item = next(i for i in page.context["rounds"] if i["entry"].zone.key == entry.zone.key)
    number, planned = entry.missed[0]
    assert number == 1
    assert item["form"].initial["round"] == f"1:{planned}"
    assert item["form"].initial["households_targeted"] == entry.zone.n_households


def test_the_form_offers_round_2_once_round_1_is_recorded(db, nst):
    on, entry = overdue_with_a_missed_round(nst)
    number, planned = entry.missed[0]
    spray_round_record(
        municipality=nst,
        zone_key=entry.zone.key,
        round_number=number,
        planned_date=planned,
        done_on=on,
        team="ทีม 1",
        user=None,
    )

    page = client_for("nst-health").get(plan_url(on))

    item = next(i for i in page.context["rounds"] if i["entry"].zone.key == entry.zone.key)
    assert item["form"].initial["round"] == f"2:{entry.planned_date}"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"households_sprayed": "-1"}, "households sprayed", "cannot be negative"),
        ({"households_sprayed": "45"}, "households targeted", "add up to 54, more than the 40"),
        ({"households_targeted": "1000001"}, "households targeted", "is not a zone"),
        ({"households_closed": "seven"}, "Households closed", "Enter a whole number"),
        ({"done_on": "2099-01-01"}, "done on", "in the future"),
        ({"done_on": "2569-11-21"}, "Done on", "Buddhist-era year"),
        ({"done_at": "25:61"}, "Time", "Enter a valid time"),
        ({"method": "napalm"}, "Method", "Select a valid choice"),
        ({"team": "   "}, "Team", "This field is required"),
    ],
)
def test_a_report_refused_names_its_field_and_saves_nothing(db, nst, changes, field, message):
    entry = plan_of(PLAN_DAY).rounds[0]

    response = client_for("nst-health").post(plan_url(), report(entry, **changes))

    text = re.sub(r"\s+", " ", response.content.decode())
    assert response.status_code == 400
    assert field in text
    assert message in text
    assert not SprayRound.objects.exists()


def test_the_refusal_reads_in_thai_on_the_thai_page(db, nst):
    entry = plan_of(PLAN_DAY).rounds[0]

    response = client_for("nst-health", language="th").post(
        plan_url(), report(entry, households_sprayed="-3")
    )

    text = response.content.decode()
    assert response.status_code == 400
    assert "จำนวนครัวเรือนที่พ่นแล้ว" in text
    assert "ติดลบไม่ได้" in text


# --- Correcting and withdrawing ----------------------------------------------------------------


def round_url(spray_round: SprayRound) -> str:
    return reverse("dengue-spray-round", args=[NST, spray_round.pk])


def correction(spray_round: SprayRound, **changes) -> dict:
    return {
        "action": "correct",
        "done_on": str(spray_round.done_on),
        "done_at": "",
        "team": spray_round.team,
        "method": spray_round.method,
        "chemical": spray_round.chemical,
        "households_targeted": str(spray_round.households_targeted),
        "households_sprayed": str(spray_round.households_sprayed),
        "households_refused": str(spray_round.households_refused),
        "households_closed": str(spray_round.households_closed),
        "notes": spray_round.notes,
        "reason": "ทีมนับผิด",
        **changes,
    }


def test_a_correction_is_saved_with_what_it_was_who_and_why(db, nst):
    spray_round = recorded_round(nst)

    response = client_for("nst-health").post(
        round_url(spray_round), correction(spray_round, households_sprayed="15", team="ทีม 3")
    )

    assert response.status_code == 302
    spray_round.refresh_from_db()
    assert (spray_round.households_sprayed, spray_round.team) == (15, "ทีม 3")
    [change] = SprayRoundChange.objects.filter(spray_round=spray_round)
    assert change.kind == "corrected"
    assert change.before == {"households_sprayed": 18, "team": "ทีม 1"}
    assert (change.username, change.reason) == ("nst-health", "ทีมนับผิด")
    page = client_for("nst-health").get(round_url(spray_round)).content.decode()
    assert "ทีมนับผิด" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": ""}, "This field is required"),
        ({"households_refused": "50"}, "more than the 20 targeted"),
        ({"done_on": "2099-01-01"}, "in the future"),
        ({}, "Nothing was changed"),
    ],
)
def test_a_correction_refused_changes_nothing(db, nst, changes, message):
    spray_round = recorded_round(nst)

    response = client_for("nst-health").post(
        round_url(spray_round), correction(spray_round, **changes)
    )

    assert response.status_code == 400
    assert message in re.sub(r"\s+", " ", response.content.decode())
    assert not SprayRoundChange.objects.exists()
    fresh = SprayRound.objects.get(pk=spray_round.pk)
    assert (fresh.households_refused, fresh.done_on) == (0, PLAN_DAY)


def test_a_withdrawn_round_stops_counting_and_frees_its_place(db, nst):
    spray_round = recorded_round(nst)
    client = client_for("nst-health")
    before = client.get(plan_url()).context["counts"]["done"]

    response = client.post(round_url(spray_round), {"action": "withdraw", "reason": "บันทึกผิดโซน"})

    assert response.status_code == 302
    spray_round.refresh_from_db()
    assert (spray_round.withdrawn, spray_round.withdrawn_reason) == (True, "บันทึกผิดโซน")
    assert SprayRoundChange.objects.get(spray_round=spray_round).kind == "withdrawn"
    assert client.get(plan_url()).context["counts"]["done"] == before - 1
    again = recorded_round(nst, team="ทีม 4")
    assert again.pk != spray_round.pk


def test_a_withdrawn_round_cannot_be_corrected(db, nst):
    spray_round = recorded_round(nst)
    client = client_for("nst-health")
    client.post(round_url(spray_round), {"action": "withdraw", "reason": "ผิด"})

    response = client.post(round_url(spray_round), correction(spray_round, team="ทีม 9"))

    assert response.status_code == 400
    assert "withdrawn" in response.content.decode()
    assert SprayRound.objects.get(pk=spray_round.pk).team == "ทีม 1"


def test_an_unknown_action_is_400(db, nst):
    spray_round = recorded_round(nst)

    response = client_for("nst-health").post(round_url(spray_round), {"action": "delete"})

    assert response.status_code == 400
    assert SprayRound.objects.filter(pk=spray_round.pk, withdrawn=False).exists()


# --- Roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["nst-viewer", "nst-planner", "nst-disaster", "nst-editor"])
def test_roles_without_edit_cases_cannot_record_correct_or_withdraw(db, nst, username):
    spray_round = recorded_round(nst)
    entry = plan_of(PLAN_DAY).rounds[1]
    client = client_for(username)

    recorded = client.post(plan_url(), report(entry))
    corrected = client.post(round_url(spray_round), correction(spray_round, team="x"))
    withdrawn = client.post(round_url(spray_round), {"action": "withdraw", "reason": "x"})
    page = client.get(round_url(spray_round))

    assert [recorded.status_code, corrected.status_code, withdrawn.status_code] == [403] * 3
    assert page.status_code == 403
    assert SprayRound.objects.count() == 1
    assert SprayRound.objects.get(pk=spray_round.pk).team == "ทีม 1"


def test_the_health_officer_sees_the_correction_forms_on_the_round_page(db, nst):
    spray_round = recorded_round(nst)

    page = client_for("nst-health").get(round_url(spray_round)).content.decode()

    assert "round-correct-form" in page
    assert "round-withdraw-form" in page


def test_the_plan_links_each_recorded_round_to_its_page(db, nst):
    spray_round = recorded_round(nst)

    page = client_for("nst-health").get(plan_url()).content.decode()

    assert round_url(spray_round) in page


def test_service_messages_name_the_field_in_english_and_thai(db, nst):
    from django.core.exceptions import ValidationError

    for language, expected in (("en", "households closed"), ("th", "ครัวเรือนที่ปิดบ้าน")):
        with translation.override(language), pytest.raises(ValidationError) as refused:
            recorded_round(nst, households_closed=-1)
        assert expected in " ".join(refused.value.message_dict["households_closed"])
