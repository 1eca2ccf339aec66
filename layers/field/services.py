"""Writes of the field surveys: the municipality's container list."""

from __future__ import annotations

from django.db import transaction

from analysis.larval import DDC_CONTAINER_TYPES
from layers.models import LarvalContainerType, Municipality


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
