"""The health officer's writes in `layers.dengue.services`: rounds, cases, their history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from analysis.dengue.rounds import RecordedRound, round_cycle
from layers.dengue.selectors import (
    dengue_data_version,
    dengue_situation,
    next_round_due,
    spray_plan,
)
from layers.dengue.services import (
    case_create,
    case_personal_correct,
    case_step_mark,
    spray_round_correct,
    spray_round_errors,
    spray_round_record,
    spray_round_withdraw,
)
from layers.models import DengueCase, DengueCasePersonal, FeatureHistory, SprayRound

PLAN_DAY = date(2026, 11, 21)
NOW = timezone.make_aware(datetime(2026, 11, 21, 18, 0))
VALID = {
    "done_on": PLAN_DAY,
    "done_at": time(16, 30),
    "team": "ทีม 1",
    "method": "ulv",
    "chemical": "",
    "households_targeted": 10,
    "households_sprayed": 7,
    "households_refused": 1,
    "households_closed": 2,
    "notes": "",
}


def officer():
    return get_user_model().objects.get(username="nst-health")


def record(nst, **changes) -> SprayRound:
    args = {
        "municipality": nst,
        "zone_key": "z00000000aa",
        "round_number": 1,
        "planned_date": PLAN_DAY,
        "user": officer(),
        **VALID,
    }
    return spray_round_record(**{**args, **changes})


# --- One place for the rules of a round --------------------------------------------------------


def test_a_valid_report_has_no_errors():
    assert spray_round_errors(VALID, planned_date=PLAN_DAY, now=NOW) == {}


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"households_sprayed": -1}, "households_sprayed", "cannot be negative"),
        ({"households_sprayed": 8}, "households_targeted", "add up to 11, more than the 10"),
        ({"households_targeted": 100_001}, "households_targeted", "is not a zone"),
        ({"households_closed": "2"}, "households_closed", "whole number"),
        ({"households_closed": True}, "households_closed", "whole number"),
        ({"done_on": PLAN_DAY + timedelta(days=1)}, "done_on", "in the future"),
        ({"done_on": PLAN_DAY - timedelta(days=8)}, "done_on", "more than a week before"),
        ({"done_on": None}, "done_on", "give the date"),
        ({"done_at": time(18, 30)}, "done_at", "still to come today"),
        ({"done_at": "16:30"}, "done_at", "hours and minutes"),
        ({"team": "  "}, "team", "give the team"),
        ({"team": "x" * 101}, "team", "at most 100"),
        ({"method": "napalm"}, "method", "methods listed"),
        ({"notes": "x" * 2001}, "notes", "at most 2,000"),
    ],
)
def test_each_rule_refuses_with_the_field_named(changes, field, reason):
    with translation.override("en"):
        errors = spray_round_errors({**VALID, **changes}, planned_date=PLAN_DAY, now=NOW)
        label = str(SprayRound._meta.get_field(field).verbose_name)

    assert list(errors) == [field]
    [message] = errors[field]
    assert reason in message
    assert message.startswith(f"{label}: ")


def test_the_errors_read_in_thai():
    with translation.override("th"):
        errors = spray_round_errors(
            {**VALID, "households_refused": -4}, planned_date=PLAN_DAY, now=NOW
        )

    assert errors["households_refused"] == ["จำนวนครัวเรือนที่ปฏิเสธ: จำนวนครัวเรือนติดลบไม่ได้"]


# --- Rounds: record, correct, withdraw ---------------------------------------------------------


def test_a_round_keeps_every_field_of_the_paper_report(db, nst):
    saved = SprayRound.objects.get(pk=record(nst).pk)

    assert {f: getattr(saved, f) for f in VALID} == VALID
    assert saved.withdrawn is False


def test_the_database_refuses_counts_that_do_not_add_up(db, nst):
    spray_round = record(nst)

    with pytest.raises(IntegrityError), transaction.atomic():
        SprayRound.objects.filter(pk=spray_round.pk).update(households_sprayed=50)


def test_the_database_refuses_negative_counts(db, nst):
    spray_round = record(nst)

    with pytest.raises(IntegrityError), transaction.atomic():
        SprayRound.objects.filter(pk=spray_round.pk).update(households_closed=-1)


def test_rounds_recorded_before_this_change_read_as_zero_households(db, nst):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO layers_sprayround (municipality_id, zone_key, round_number, "
            "planned_date, done_on, team, notes, recorded_at) "
            "VALUES (%s, 'z00000000bb', 1, %s, %s, 'old', '', now()) RETURNING id",
            [nst.pk, PLAN_DAY, PLAN_DAY],
        )
        pk = cursor.fetchone()[0]

    old = SprayRound.objects.get(pk=pk)
    assert (old.households_targeted, old.households_sprayed, old.method, old.withdrawn) == (
        0,
        0,
        "",
        False,
    )


def test_a_correction_records_only_what_changed(db, nst):
    spray_round = record(nst)

    spray_round_correct(
        spray_round=spray_round,
        user=officer(),
        reason="นับผิด",
        households_sprayed=5,
        households_closed=4,
    )

    change = spray_round.changes.get()
    assert change.before == {"households_sprayed": 7, "households_closed": 2}
    assert change.changed == ["households_closed", "households_sprayed"]
    assert (change.kind, change.username, change.user_ref) == (
        "corrected",
        "nst-health",
        officer().pk,
    )


def test_a_correction_that_breaks_a_rule_saves_nothing(db, nst):
    spray_round = record(nst)

    with pytest.raises(ValidationError) as refused:
        spray_round_correct(
            spray_round=spray_round, user=officer(), reason="x", households_sprayed=20
        )

    assert "households_targeted" in refused.value.message_dict
    assert SprayRound.objects.get(pk=spray_round.pk).households_sprayed == 7
    assert not spray_round.changes.exists()


def test_a_withdrawn_round_leaves_the_plan_and_its_place_free(db, nst):
    entry = spray_plan(dengue_situation(municipality=nst, on=PLAN_DAY)).rounds[0]
    first = record(
        nst,
        zone_key=entry.zone.key,
        round_number=entry.round_number,
        planned_date=entry.planned_date,
    )
    assert spray_plan(dengue_situation(municipality=nst, on=PLAN_DAY)).n_sprayed >= 1

    spray_round_withdraw(spray_round=first, user=officer(), reason="ผิดโซน")

    situation = dengue_situation(municipality=nst, on=PLAN_DAY)
    assert first.pk not in {r.pk for r in situation.rounds}
    again = record(
        nst,
        zone_key=entry.zone.key,
        round_number=entry.round_number,
        planned_date=entry.planned_date,
    )
    assert again.pk in {r.pk for r in dengue_situation(municipality=nst, on=PLAN_DAY).rounds}


def test_the_same_round_cannot_be_recorded_twice_while_not_withdrawn(db, nst):
    record(nst)

    with pytest.raises(ValidationError):
        record(nst, team="ทีม 2")


@pytest.mark.parametrize("zone_key", ["", "z123", "Z00000000AA", "z00000000aa; --"])
def test_a_malformed_zone_key_is_refused_by_the_service(db, nst, zone_key):
    with pytest.raises(ValidationError) as refused:
        record(nst, zone_key=zone_key)

    assert "zone_key" in refused.value.message_dict


# --- The next round due ------------------------------------------------------------------------


def test_the_next_round_is_round_1_until_round_1_is_recorded():
    anchor = date(2026, 11, 1)
    nothing = round_cycle(anchor=anchor, round_days=(0, 7), recorded=[])
    first_done = round_cycle(
        anchor=anchor, round_days=(0, 7), recorded=[RecordedRound(1, anchor, anchor)]
    )
    both = round_cycle(
        anchor=anchor,
        round_days=(0, 7),
        recorded=[
            RecordedRound(1, anchor, anchor),
            RecordedRound(2, anchor + timedelta(days=7), anchor + timedelta(days=7)),
        ],
    )

    assert next_round_due(nothing)[:2] == (1, anchor)
    assert next_round_due(first_done)[:2] == (2, anchor + timedelta(days=7))
    assert next_round_due(both) is None


# --- Cases -------------------------------------------------------------------------------------


def test_a_new_case_changes_the_data_version_the_dashboard_caches_on(db, nst):
    before = dengue_data_version(municipality=nst)

    case_create(
        municipality=nst,
        user=officer(),
        point=DengueCase.objects.filter(municipality=nst).first().geom,
        onset_date=PLAN_DAY,
        report_date=PLAN_DAY,
        diagnosis="DHF",
    )

    assert dengue_data_version(municipality=nst) != before


def test_a_step_marked_changes_the_data_version_and_the_history_says_who(db, nst):
    case = DengueCase.objects.filter(municipality=nst).order_by("id").first()
    before = dengue_data_version(municipality=nst)
    at = timezone.make_aware(datetime.combine(case.report_date, time(10, 0)))

    case_step_mark(case=case, user=officer(), step="breeding_sites_removed", at=at)

    case.refresh_from_db()
    assert (case.breeding_sites_removed_at, case.breeding_sites_removed_by) == (at, "nst-health")
    assert dengue_data_version(municipality=nst) != before
    entry = FeatureHistory.objects.filter(layer="cases", feature_id=case.pk).latest("id")
    assert "breeding_sites_removed" in entry.context


def test_personal_corrections_leave_no_plaintext_or_ciphertext_in_history(db, nst):
    case = DengueCase.objects.filter(municipality=nst).order_by("id")[3]
    DengueCasePersonal.objects.filter(case=case).delete()

    changed = case_personal_correct(
        case=case,
        user=officer(),
        full_name="นายลับ เฉพาะ",
        national_id="",
        phone="0899999999",
        address="ซอยลับ",
    )

    assert changed == ["full_name", "phone", "address"]
    stored = DengueCasePersonal.objects.get(case=case)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(string_agg(h::text, ' '), '') FROM layers_featurehistory h "
            "WHERE layer = 'cases' AND feature_id = %s",
            [case.pk],
        )
        history = cursor.fetchone()[0]
        cursor.execute("SELECT full_name FROM layers_denguecasepersonal WHERE id = %s", [stored.pk])
        ciphertext = cursor.fetchone()[0]
    assert "full_name, phone, address" in history
    for secret in ("นายลับ", "0899999999", "ซอยลับ", ciphertext):
        assert secret not in history


def test_an_unchanged_personal_correction_writes_nothing(db, nst):
    case = DengueCase.objects.filter(municipality=nst).order_by("id")[4]
    case_personal_correct(case=case, user=officer(), full_name="ก", phone="0811111111")
    entries = FeatureHistory.objects.filter(layer="cases", feature_id=case.pk).count()

    changed = case_personal_correct(case=case, user=officer(), full_name="ก", phone="081-111-1111")

    assert changed == []
    assert FeatureHistory.objects.filter(layer="cases", feature_id=case.pk).count() == entries
