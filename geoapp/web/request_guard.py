"""Refuse requests whose address or form carries a NUL character (400, not a 500).

PostgreSQL text cannot hold NUL (0x00), so a `?q=%00` that reaches a query made psycopg2 raise
ValueError and the catalogue answered 500. No Mueang page or API takes NUL in a path, a query
parameter or a URL-encoded form, so the request is refused before any view runs: the 400 page
(Thai and English) for pages, the same JSON error shape as every other API error under /api/.
Multipart uploads are left to the views (reading them here would parse the upload early); their
text fields go through Django forms, which refuse NUL themselves.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.defaults import bad_request

NUL = "\x00"


def _has_nul(request: HttpRequest) -> bool:
    if NUL in request.path or NUL in request.path_info:
        return True
    if any(NUL in key or any(NUL in v for v in values) for key, values in request.GET.lists()):
        return True
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        return any(
            NUL in key or any(NUL in v for v in values) for key, values in request.POST.lists()
        )
    return False


class RejectNulMiddleware:
    """Answer 400 to a request with NUL in its path, query string or URL-encoded form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "InvalidParameterValue", "description": "NUL is not allowed."},
                    status=400,
                )
            return bad_request(request, exception=None)
        return self.get_response(request)
