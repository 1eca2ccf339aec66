"""Open311 GeoReport v2 at /open311/v2/ (JSON and XML): services, requests, tokens.

`jurisdiction_id` is the municipality's code. Reading is public and shows only what the public
pages show (public categories, no contact details); posting needs an API key of that
municipality (`manage.py open311_key`). `media_url` is never fetched: nothing here calls a
third party; a photo may come as a multipart `media` file and is re-encoded like any other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree import ElementTree

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from geoapp.models import OPEN_REPORT_STATUSES, Report, ServiceCategory
from geoapp.reports import selectors
from geoapp.reports.forms import Open311PostForm
from geoapp.reports.photos import PhotoRejected, photo_clean
from geoapp.reports.services import (
    Contact,
    ReportInput,
    open311_key_check,
    report_create,
    submission_allow,
    tracking_code_normalise,
)
from geoapp.reports.views import municipality_open
from layers.models import Municipality

DEFAULT_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000


class Open311Error(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    element = ElementTree.Element(root)
    for row in rows:
        child = ElementTree.SubElement(element, item)
        for key, value in row.items():
            ElementTree.SubElement(child, key).text = "" if value is None else str(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(element)


def _answer(rows: list[dict], fmt: str, *, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = _xml(root, item, rows)
        return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _error(error: Open311Error, fmt: str) -> HttpResponse:
    rows = [{"code": error.code, "description": error.description}]
    return _answer(rows, fmt, root="errors", item="error", status=error.code)


def open311_view(view):
    """Turn `Open311Error` and 404s into the spec's error lists, in the asked format."""

    def wrapped(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as error:
            return _error(error, fmt)
        except Http404:
            return _error(Open311Error(404, "not found"), fmt)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _jurisdiction(request: HttpRequest) -> Municipality:
    # A POST names it in its form or, as the npm `open311` client does, in the query string.
    code = request.GET.get("jurisdiction_id", "")
    if request.method == "POST":
        code = request.POST.get("jurisdiction_id", "") or code
    if not code:
        raise Open311Error(400, "jurisdiction_id is required: the municipality's code")
    try:
        return municipality_open(code)
    except Http404 as error:
        raise Open311Error(404, "jurisdiction_id names no municipality") from error


def _service(category: ServiceCategory, fmt: str) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name_th,
        "description": category.description or category.name_en,
        "metadata": "false" if fmt == "xml" else False,
        "type": "realtime",
        "keywords": "",
        "group": category.division,
    }


@require_GET
@open311_view
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET services: the municipality's active report categories."""
    municipality = _jurisdiction(request)
    rows = [_service(c, fmt) for c in selectors.category_list(municipality=municipality)]
    return _answer(rows, fmt, root="services", item="service")


@require_GET
@open311_view
def service_definition(request: HttpRequest, service_code: str, fmt: str) -> HttpResponse:
    """GET a service definition: no extra attributes are asked for."""
    municipality = _jurisdiction(request)
    if not ServiceCategory.objects.filter(
        municipality=municipality, code=service_code, is_active=True
    ).exists():
        raise Open311Error(404, "no such service_code")
    if fmt == "xml":
        root = ElementTree.Element("service_definition")
        ElementTree.SubElement(root, "service_code").text = service_code
        ElementTree.SubElement(root, "attributes")
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(root)
        return HttpResponse(body, content_type="text/xml; charset=utf-8")
    return JsonResponse({"service_code": service_code, "attributes": []})


def _request_row(report: Report, request: HttpRequest) -> dict:
    public = selectors.report_public_get(municipality=report.municipality, pk=report.pk)
    assert public is not None  # the caller passes public reports only
    notes = [step.note for step in public.history if step.note]
    expected = (
        public.created_at + timedelta(days=public.target_days) if public.target_days else None
    )
    photo = public.photos[0].url if public.photos else ""
    return {
        "service_request_id": str(public.pk),
        "status": "open" if public.is_open else "closed",
        "status_notes": notes[-1] if notes else "",
        "service_name": public.category,
        "service_code": public.category_code,
        "description": public.description,
        "agency_responsible": public.forwarded_to or public.division,
        "service_notice": "",
        "requested_datetime": public.created_at.isoformat(),
        "updated_datetime": public.updated_at.isoformat(),
        "expected_datetime": expected.isoformat() if expected else "",
        "address": report.address_string,
        "address_id": "",
        "zipcode": "",
        "lat": public.latitude,
        "long": public.longitude,
        "media_url": request.build_absolute_uri(photo) if photo else "",
    }


def _date(value: str, name: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value) if "\x00" not in value else None
    if parsed is None:
        raise Open311Error(400, f"{name} must be a W3C date and time, e.g. 2026-12-01T00:00:00Z")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _requests_filtered(municipality: Municipality, params) -> list[Report]:
    reports = selectors.public_reports(municipality=municipality).select_related("municipality")
    ids = [part.strip() for part in params.get("service_request_id", "").split(",") if part]
    if ids:
        if not all(part.isdigit() and len(part) < 19 for part in ids):
            raise Open311Error(400, "service_request_id must be numbers")
        return list(reports.filter(pk__in=[int(part) for part in ids]).order_by("-created_at"))
    codes = [part for part in params.get("service_code", "").split(",") if part]
    if codes:
        reports = reports.filter(category__code__in=codes)
    statuses = {part for part in params.get("status", "").split(",") if part}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status must be open or closed")
    if statuses == {"open"}:
        reports = reports.filter(status__in=OPEN_REPORT_STATUSES)
    elif statuses == {"closed"}:
        reports = reports.exclude(status__in=OPEN_REPORT_STATUSES)
    end = _date(params.get("end_date", ""), "end_date") or timezone.now()
    start = _date(params.get("start_date", ""), "start_date") or end - DEFAULT_WINDOW
    if end - start > DEFAULT_WINDOW or start > end:
        raise Open311Error(400, "start_date to end_date may span at most 90 days")
    reports = reports.filter(created_at__gte=start, created_at__lte=end)
    return list(reports.order_by("-created_at")[:MAX_REQUESTS])


def _requests_answer(reports: list[Report], request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [_request_row(report, request) for report in reports]
    return _answer(rows, fmt, root="service_requests", item="request")


@csrf_exempt  # an API for other systems, authenticated by api_key, never by a cookie
@require_http_methods(["GET", "POST"])
@open311_view
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET requests (the spec's filters) or POST a new one with an api_key."""
    municipality = _jurisdiction(request)
    if request.method == "POST":
        return _request_post(request, municipality, fmt)
    return _requests_answer(_requests_filtered(municipality, request.GET), request, fmt)


@require_GET
@open311_view
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    """GET one request (as a list of one, as the spec says)."""
    municipality = _jurisdiction(request)
    if not request_id.isdigit() or len(request_id) > 18:
        raise Open311Error(404, "no such service_request_id")
    reports = list(selectors.public_reports(municipality=municipality).filter(pk=int(request_id)))
    if not reports:
        raise Open311Error(404, "no such service_request_id")
    return _requests_answer(reports, request, fmt)


@require_GET
@open311_view
def token(request: HttpRequest, token_id: str, fmt: str) -> HttpResponse:
    """GET the request id of a token (the token is the report's tracking code)."""
    municipality = _jurisdiction(request)
    code = tracking_code_normalise(token_id)
    report = Report.objects.filter(municipality=municipality, tracking_code=code).first()
    if report is None:
        raise Open311Error(404, "no such token")
    rows = [{"service_request_id": str(report.pk), "token": code}]
    return _answer(rows, fmt, root="service_requests", item="request")


def _post_input(municipality: Municipality, params) -> ReportInput:
    category = ServiceCategory.objects.filter(
        municipality=municipality, code=params.get("service_code", ""), is_active=True
    ).first()
    if category is None:
        raise Open311Error(400, "service_code is missing or unknown")
    form = Open311PostForm(params, municipality=municipality)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        raise Open311Error(400, f"{next(iter(form.errors))}: {first}")
    data = form.cleaned_data
    return ReportInput(
        category=category,
        point=data["point"],
        accuracy_m=None,
        location_source=Report.LocationSource.API,
        description=data["description"],
        address_string=data["address_string"],
    )


def _request_post(request: HttpRequest, municipality: Municipality, fmt: str) -> HttpResponse:
    key = open311_key_check(municipality=municipality, raw=request.POST.get("api_key", ""))
    if key is None:
        raise Open311Error(403, "api_key is missing or not valid for this jurisdiction")
    data = _post_input(municipality, request.POST)
    try:
        photos = [photo_clean(f.read()) for f in request.FILES.getlist("media")[:1]]
    except PhotoRejected as error:
        raise Open311Error(400, f"media: {error}") from error
    params = request.POST
    contact = Contact(
        name=" ".join(p for p in (params.get("first_name", ""), params.get("last_name", "")) if p),
        phone=params.get("phone", "")[:40],
        email=params.get("email", "")[:254],
    )
    if not submission_allow(address=None, contact=contact):
        raise Open311Error(429, "too many requests from this contact; try again later")
    report = report_create(
        municipality=municipality, data=data, photos=photos, contact=contact, open311_key=key
    )
    rows = [
        {
            "service_request_id": str(report.pk),
            "token": report.tracking_code,
            "service_notice": "",
            "account_id": "",
        }
    ]
    return _answer(rows, fmt, root="service_requests", item="request")
