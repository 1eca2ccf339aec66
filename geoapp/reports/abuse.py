"""Who is sending: the client's address, for the per-address rate limit of submissions."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only through MUEANG_TRUSTED_PROXY_COUNT.

    The same rule as the login throttle (`geoapp.accounts.throttle.client_address`), which this
    package may not import (both are domain packages); the n-th address from the right is the
    client, anything further left was written by the client itself.
    """
    proxies = settings.MUEANG_TRUSTED_PROXY_COUNT
    chain = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p]
    address = (
        chain[-proxies] if proxies and len(chain) >= proxies else request.META.get("REMOTE_ADDR")
    )
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None
