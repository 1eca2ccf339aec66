"""`spray_round_record`: a round recorded as done is saved as given; a refused one saves nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from layers.dengue.services import spray_round_record
from layers.models import SprayRound

PLANNED = date(2026, 11, 21)


def record(municipality, **changes):
    args = {
        "municipality": municipality,
        "zone_key": "z0000000001",
        "round_number": 1,
        "planned_date": PLANNED,
        "done_on": PLANNED,
        "team": "  ทีม 1  ",
        "notes": " พ่นครบ ",
        "user": get_user_model().objects.get(username="nst-health"),
    }
    return spray_round_record(**{**args, **changes})


def test_a_recorded_round_is_saved_with_its_team_notes_and_recorder(db, nst):
    spray_round = record(nst)

    saved = SprayRound.objects.get(pk=spray_round.pk)
    assert (saved.municipality, saved.zone_key, saved.round_number) == (nst, "z0000000001", 1)
    assert (saved.planned_date, saved.done_on) == (PLANNED, PLANNED)
    assert (saved.team, saved.notes) == ("ทีม 1", "พ่นครบ")
    assert saved.recorded_by.username == "nst-health"


@pytest.mark.parametrize(
    ("done_on", "message"),
    [
        (timezone.localdate() + timedelta(days=1), "cannot be recorded as done in the future"),
        (PLANNED - timedelta(days=8), "more than a week before the planned date"),
    ],
)
def test_a_round_the_model_refuses_raises_and_saves_nothing(db, nst, done_on, message):
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            record(nst, done_on=done_on)
        reasons = " ".join(refused.value.message_dict["done_on"])

    assert message in reasons
    assert not SprayRound.objects.exists()


def test_the_same_round_cannot_be_recorded_twice(db, nst):
    record(nst)

    with pytest.raises(ValidationError):
        record(nst, team="ทีม 2")

    assert SprayRound.objects.count() == 1
