"""Request middleware: Thai-first language choice and the Content-Security-Policy."""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import translation

from geoapp.web.permissions import scope_to_memberships
from layers.tenancy import all_municipality_ids, tenant_scope_set


class ThaiFirstLocaleMiddleware:
    """Use the language the user chose (cookie), else Thai; the browser's language is ignored.

    Staff share computers and browsers set to English; Mueang speaks Thai unless asked not to.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ContentSecurityPolicyMiddleware:
    """Allow only our own origin (and a configured basemap host); scripts need the request's nonce.

    Templates put `request.csp_nonce` on every `<script>` they write; no inline script without it
    runs, so markup that slips into a page cannot execute.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", _policy(request.csp_nonce))
        return response


def _policy(nonce: str) -> str:
    extra = list(settings.MUEANG_EXTRA_CSP_HOSTS)
    if settings.MUEANG_BASEMAP_URL:
        parsed = urlparse(settings.MUEANG_BASEMAP_URL.replace("{s}", "a"))
        extra.append(f"{parsed.scheme}://{parsed.netloc}")
    images = " ".join(["'self'", "data:", *extra])
    # Inline styles stay allowed: folium and Leaflet set style attributes on map elements.
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; "
        "font-src 'self'; connect-src 'self'; "
        "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )


class TenantMiddleware:
    """Run each request in one transaction scoped to the user's municipalities (row-level security).

    Anonymous visitors get no tenant at all; a view that works on one municipality narrows the
    scope further (`geoapp.web.permissions.municipality_for`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with transaction.atomic():
            tenant_scope_for(request.user)
            return self.get_response(request)


def tenant_scope_for(user) -> None:
    """Scope the current transaction to the user's municipalities (all, for superusers).

    One query for members: it sets the scope and reads the memberships, which the request's
    permission checks reuse (`permissions.request_memberships`).
    """
    if not user.is_authenticated:
        tenant_scope_set(municipality_ids=[], user_id=None)
        return
    scope_to_memberships(user)
    if user.is_superuser:
        tenant_scope_set(municipality_ids=all_municipality_ids(), user_id=user.pk)
