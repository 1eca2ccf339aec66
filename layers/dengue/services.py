"""Writes of the dengue pages: recording a spray round as done.

The reads (situation, plan, rounds of a zone) are in `layers.dengue.selectors`.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from layers.models import Municipality, SprayRound


def spray_round_record(
    *,
    municipality: Municipality,
    zone_key: str,
    round_number: int,
    planned_date: date,
    done_on: date,
    team: str,
    notes: str = "",
    user: AbstractBaseUser | None,
) -> SprayRound:
    """Record a zone's round as done; `ValidationError` (nothing saved) if the model refuses it."""
    spray_round = SprayRound(
        municipality=municipality,
        zone_key=zone_key,
        round_number=round_number,
        planned_date=planned_date,
        done_on=done_on,
        team=team.strip(),
        notes=notes.strip(),
        recorded_by=user,
    )
    with transaction.atomic():
        spray_round.full_clean()
        spray_round.save()
    return spray_round
