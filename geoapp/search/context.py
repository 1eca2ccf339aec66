"""The header's search box on every page: which municipality it searches, and its URLs."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from geoapp.web.permissions import request_memberships


def _search_code(request: HttpRequest) -> str | None:
    """The page's municipality (`<code>` in its URL) if the user is a member, else their first."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    codes = sorted(code for code, _roles in request_memberships(user).values())
    match = getattr(request, "resolver_match", None)
    page_code = match.kwargs.get("code") if match else None
    if page_code in codes:
        return page_code
    return codes[0] if codes else None


def header_search(request: HttpRequest) -> dict[str, object]:
    """Template context `header_search`: None for visitors and users of no municipality."""
    code = _search_code(request)
    if code is None:
        return {"header_search": None}
    match = getattr(request, "resolver_match", None)
    on_search_page = match is not None and match.url_name == "municipality-search"
    return {
        "header_search": {
            "action": reverse("municipality-search", kwargs={"code": code}),
            "suggest_url": reverse("municipality-search-suggest", kwargs={"code": code}),
            "q": request.GET.get("q", "")[:100] if on_search_page else "",
        }
    }
