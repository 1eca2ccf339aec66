"""Requests whose address or form carries a NUL character: a 404 or a 400, never a 500.

PostgreSQL text cannot hold NUL (0x00), so a `?q=%00` that reached a query made psycopg2 raise
ValueError and the catalogue answered 500. No Mueang page or API takes NUL, so such a request is
answered before any view runs:
- a NUL in the path names no page: 404 (as the API always answered an unknown collection);
- a NUL in a query parameter or a URL-encoded form is a bad value: 400.
Pages get the Thai and English error page, `/api/` the JSON error shape of every other API
error. Multipart uploads are left to the views (reading them here would parse the upload early);
their text fields go through Django forms, which refuse NUL themselves.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.views.defaults import bad_request, page_not_found

NUL = "\x00"


def _nul_in_values(request: HttpRequest) -> bool:
    if any(NUL in key or any(NUL in v for v in values) for key, values in request.GET.lists()):
        return True
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        return any(
            NUL in key or any(NUL in v for v in values) for key, values in request.POST.lists()
        )
    return False


class RejectNulMiddleware:
    """404 for a NUL in the path, 400 for a NUL in the query string or a URL-encoded form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        if NUL in request.path or NUL in request.path_info:
            if api:
                return JsonResponse(
                    {"code": "NotFound", "description": "No such path."}, status=404
                )
            return page_not_found(request, Http404("NUL in the path"))
        if _nul_in_values(request):
            if api:
                return JsonResponse(
                    {"code": "InvalidParameterValue", "description": "NUL is not allowed."},
                    status=400,
                )
            return bad_request(request, exception=None)
        return self.get_response(request)
