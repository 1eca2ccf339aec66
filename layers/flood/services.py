"""Writes of the flood pages: saving a new version of the minimum needs profile.

The reads (the profile in force, its history, the assessment) are in `layers.flood.selectors`.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from layers.models import MinimumNeedsProfile, Municipality


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
    with transaction.atomic():
        profile.full_clean()
        profile.save()
    return profile
