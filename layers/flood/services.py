"""Writes of the flood pages: new versions of the minimum needs profile and the damage model.

The reads (the profile in force, its history, the assessment) are in `layers.flood.selectors`.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model

from layers.models import (
    FloodDamageCurve,
    FloodReplacementValue,
    MinimumNeedsProfile,
    Municipality,
)

RowT = TypeVar("RowT", bound=Model)


def needs_profile_save(
    *,
    municipality: Municipality,
    user: AbstractBaseUser | None,
    rice_kg: float,
    drinking_water_l: float,
    clean_water_l: float,
    people_per_family_kit: float,
    people_per_toilet: float,
) -> MinimumNeedsProfile:
    """Save a new version of the municipality's needs profile (earlier ones stay as history).

    Raises `ValidationError` (nothing saved) for an amount outside its range or not finite.
    """
    profile = MinimumNeedsProfile(
        municipality=municipality,
        saved_by=user,
        rice_kg=rice_kg,
        drinking_water_l=drinking_water_l,
        clean_water_l=clean_water_l,
        people_per_family_kit=people_per_family_kit,
        people_per_toilet=people_per_toilet,
    )
    return _validated_save(profile)


def _validated_save(row: RowT) -> RowT:
    """Validate the new row, then save it in one transaction; ValidationError saves nothing."""
    with transaction.atomic():
        row.full_clean()
        row.save()
    return row


def damage_curve_save(
    *,
    municipality: Municipality,
    user: AbstractBaseUser | None,
    building_type: str,
    depths_m: list[float],
    fractions: list[float],
    source: str = "",
) -> FloodDamageCurve:
    """Save a new version of one building type's depth-damage curve (earlier ones stay).

    Raises `ValidationError` (nothing saved) for an unknown type or points that make no curve.
    """
    curve = FloodDamageCurve(
        municipality=municipality,
        saved_by=user,
        building_type=building_type,
        depths_m=list(depths_m),
        fractions=list(fractions),
        source=source,
    )
    return _validated_save(curve)


def replacement_value_save(
    *,
    municipality: Municipality,
    user: AbstractBaseUser | None,
    building_type: str,
    baht_per_m2: float,
    source: str = "",
) -> FloodReplacementValue:
    """Save a new version of one building type's value per m2 (earlier ones stay).

    Raises `ValidationError` (nothing saved) for an unknown type or a value outside 0-1,000,000.
    """
    value = FloodReplacementValue(
        municipality=municipality,
        saved_by=user,
        building_type=building_type,
        baht_per_m2=baht_per_m2,
        source=source,
    )
    return _validated_save(value)
