"""Who is sending a request: the client's address, for rate limits and login throttling."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's address; X-Forwarded-For counts only through the configured trusted proxies.

    With MUEANG_TRUSTED_PROXY_COUNT = n (the number of reverse proxies in front of Mueang), the
    n-th address from the right of X-Forwarded-For is the client; anything further left was
    written by the client and cannot be trusted.
    """
    proxies = settings.MUEANG_TRUSTED_PROXY_COUNT
    address = request.META.get("REMOTE_ADDR")
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    if proxies and len(forwarded) >= proxies:
        address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None
