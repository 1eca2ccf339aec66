"""What the history commands share: finding the municipality and saying why they stopped."""

from __future__ import annotations

from django.core.management.base import CommandError

from layers.history.selectors import HistoryError
from layers.models import Municipality

USAGE_ERROR = 2


def municipality_get(code: str) -> Municipality:
    """The municipality with this code, or a usage error naming it."""
    municipality = Municipality.objects.filter(code=code).first()
    if municipality is None:
        raise CommandError(
            f"ไม่พบเทศบาลรหัส {code!r} / no municipality with code {code!r}",
            returncode=USAGE_ERROR,
        )
    return municipality


def refused(error: HistoryError) -> CommandError:
    """The command's error for a refused request (usage errors exit 2, others 1)."""
    usage = error.code in {"layer_unknown", "version_unknown", "import_unknown"}
    return CommandError(str(error), returncode=USAGE_ERROR if usage else 1)
