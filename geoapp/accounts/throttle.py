"""Login throttling by username and by client address, with a cooldown (never a permanent lock)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from geoapp.models import LoginFailure


@dataclass(frozen=True)
class Throttled:
    retry_after_s: int


def login_throttled(*, username: str, address: str | None) -> Throttled | None:
    """Say whether this username or address has failed too often within the cooldown window."""
    window = timedelta(seconds=settings.MUEANG_LOGIN_COOLDOWN_S)
    since = timezone.now() - window
    recent = LoginFailure.objects.filter(at__gte=since)
    by_user = recent.filter(username=username.lower()).order_by("-at")
    by_address = recent.filter(address=address).order_by("-at") if address else recent.none()
    for failures, limit in (
        (by_user, settings.MUEANG_LOGIN_MAX_FAILURES_PER_USER),
        (by_address, settings.MUEANG_LOGIN_MAX_FAILURES_PER_ADDRESS),
    ):
        times = list(failures.values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            # Free again when the oldest of the last `limit` failures leaves the window.
            remaining = (times[-1] + window - timezone.now()).total_seconds()
            return Throttled(retry_after_s=max(1, math.ceil(remaining)))
    return None


def login_failure_record(*, username: str, address: str | None) -> None:
    """Remember a failed attempt and forget those older than the window."""
    LoginFailure.objects.create(username=username.lower()[:150], address=address)
    cutoff = timezone.now() - timedelta(seconds=settings.MUEANG_LOGIN_COOLDOWN_S)
    LoginFailure.objects.filter(at__lt=cutoff).delete()


def login_failures_clear(*, username: str) -> None:
    """A successful login clears the user's failures (not the address's)."""
    LoginFailure.objects.filter(username=username.lower()).delete()
