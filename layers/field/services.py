"""Writes of the field surveys: the municipality's container list and risk bands."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from analysis.larval import DDC_CONTAINER_TYPES, RiskThresholds
from layers.models import LarvalContainerType, LarvalRiskBands, Municipality


def container_types_seed(*, municipality: Municipality) -> int:
    """Add the DDC container types the municipality lacks; return how many were added.

    A type whose number or Thai name the municipality already uses is left as it is, so a
    municipality's own edits survive a second seeding.
    """
    with transaction.atomic():
        existing = LarvalContainerType.objects.filter(municipality=municipality)
        numbers = set(existing.values_list("number", flat=True))
        names = set(existing.values_list("name_th", flat=True))
        missing = [
            LarvalContainerType(
                municipality=municipality,
                number=kind.number,
                name_th=kind.name_th,
                name_en=kind.name_en,
            )
            for kind in DDC_CONTAINER_TYPES
            if kind.number not in numbers and kind.name_th not in names
        ]
        LarvalContainerType.objects.bulk_create(missing)
    return len(missing)


def larval_risk_bands_save(
    *,
    municipality: Municipality,
    user: Any,
    hi_low_max: float,
    hi_moderate_max: float,
    ci_low_max: float,
    ci_moderate_max: float,
    source: str = "",
) -> LarvalRiskBands:
    """Save new risk bands (a new version; the older ones stay as history).

    Raises
    ------
    ValidationError
        If a bound is not a number, or the bands are not 0 <= low <= moderate <= 100.
    """
    values = {
        "hi_low_max": hi_low_max,
        "hi_moderate_max": hi_moderate_max,
        "ci_low_max": ci_low_max,
        "ci_moderate_max": ci_moderate_max,
    }
    try:
        RiskThresholds(**{name: float(value) for name, value in values.items()})
    except (TypeError, ValueError):
        raise ValidationError(
            _(
                "Each band is a number from 0 to 100, and the low band ends at or below "
                "the moderate."
            )
        ) from None
    with transaction.atomic():
        return LarvalRiskBands.objects.create(
            municipality=municipality, saved_by=user, source=source[:300], **values
        )
