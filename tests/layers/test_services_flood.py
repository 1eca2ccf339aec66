"""`needs_profile_save`: every save adds a version; an amount out of range saves nothing."""

from __future__ import annotations

import math

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from layers.flood.services import needs_profile_save
from layers.models import MinimumNeedsProfile

AMOUNTS = {
    "rice_kg": 3.0,
    "drinking_water_l": 20.0,
    "clean_water_l": 90.0,
    "people_per_family_kit": 4.0,
    "people_per_toilet": 25.0,
}


def save(municipality, **changes):
    user = get_user_model().objects.get(username="nst-health")
    return needs_profile_save(municipality=municipality, user=user, **{**AMOUNTS, **changes})


def test_each_save_adds_a_version_and_keeps_the_earlier_ones(db, nst):
    before = MinimumNeedsProfile.objects.filter(municipality=nst).count()

    first = save(nst)
    second = save(nst, rice_kg=2.8)

    rows = MinimumNeedsProfile.objects.filter(municipality=nst)
    assert rows.count() == before + 2
    assert rows.first() == second
    assert {name: getattr(first, name) for name in AMOUNTS} == AMOUNTS
    assert second.rice_kg == 2.8
    assert second.saved_by.username == "nst-health"


@pytest.mark.parametrize(
    ("name", "value"),
    [("rice_kg", -1.0), ("people_per_toilet", 0.5), ("clean_water_l", math.nan)],
)
def test_an_amount_outside_its_range_raises_and_saves_nothing(db, nst, name, value):
    before = MinimumNeedsProfile.objects.count()

    with pytest.raises(ValidationError) as refused:
        save(nst, **{name: value})

    assert name in refused.value.message_dict
    assert MinimumNeedsProfile.objects.count() == before
