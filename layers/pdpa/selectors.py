"""Personal data of dengue cases (PDPA), the reads that log nothing: the access log itself."""

from __future__ import annotations

from layers.models import PersonalDataAccess


def access_log(*, municipality_id: int, limit: int = 200):
    """The latest reads of personal data in a municipality, newest first."""
    return PersonalDataAccess.objects.filter(municipality_id=municipality_id).order_by("-at")[
        :limit
    ]
