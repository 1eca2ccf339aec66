"""Residents' pages (no login): report a problem, see nearby reports first, follow one's report.

Anonymous requests have no tenant; each view scopes the transaction to the one municipality of
its address before it reads, and shows only what `geoapp.reports.selectors` shapes for the public.
"""

from __future__ import annotations

import geopandas as gpd
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from geoapp.models import OPEN_REPORT_STATUSES, Report, ReportStatus
from geoapp.reports import followup, selectors
from geoapp.reports.forms import FollowForm, LocationForm, ReportForm
from geoapp.reports.maps import PublicMapOptions, public_reports_map, report_map_fragments
from geoapp.reports.photos import photo_path
from geoapp.reports.services import (
    report_create,
    report_follow,
    submission_allow,
    tracking_code_normalise,
)
from geoapp.templatetags.thaidate import thai_date
from geoapp.web.client import client_address
from geoapp.web.maps import map_fragments
from geoapp.web.page_maps import boundary_base_map
from layers.models import Municipality
from layers.tenancy import tenant_scope_set

MAP_LIMIT = 1000  # the newest reports on the public map; the list pages through the rest

STATUS_GROUPS = {
    "open": (ReportStatus.RECEIVED, ReportStatus.ACCEPTED),
    "in_progress": (ReportStatus.IN_PROGRESS,),
    "done": (ReportStatus.DONE,),
}


def municipality_open(code: str) -> Municipality:
    """The municipality of a public address, with the transaction scoped to it; else 404."""
    if "\x00" in code:
        raise Http404("No such municipality")
    municipality = get_object_or_404(Municipality, code=code)
    tenant_scope_set(municipality_ids=[municipality.pk])
    return municipality


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, f"geoapp/reports/{template}", context, status=status)


@require_GET
def open_report_list(request: HttpRequest, code: str) -> HttpResponse:
    """Public list of reports: open, in progress, done (public categories, no personal data)."""
    municipality = municipality_open(code)
    group = request.GET.get("status", "open")
    statuses = STATUS_GROUPS.get(group, STATUS_GROUPS["open"])
    reports = selectors.report_public_list(municipality=municipality, statuses=statuses)
    return _page(
        request,
        "list.html",
        {"municipality": municipality, "reports": reports, "group": group, "groups": STATUS_GROUPS},
    )


@require_GET
def open_report_map(request: HttpRequest, code: str) -> HttpResponse:
    """Public map of reports by status group (public categories only, no personal data)."""
    municipality = municipality_open(code)
    group_of = {status: group for group, statuses in STATUS_GROUPS.items() for status in statuses}
    reports = selectors.report_public_list(
        municipality=municipality, statuses=tuple(group_of), limit=MAP_LIMIT
    )
    fmap, boundary = boundary_base_map(municipality)
    frame = gpd.GeoDataFrame(
        {
            "id": [r.pk for r in reports],
            "group": [group_of[r.status] for r in reports],
            "category": [r.category for r in reports],
            "status": [r.status_label for r in reports],
            "reported": [thai_date(r.created_at) for r in reports],
            "link": [reverse("open-report", kwargs={"code": code, "pk": r.pk}) for r in reports],
        },
        geometry=gpd.points_from_xy([r.longitude for r in reports], [r.latitude for r in reports]),
        crs="EPSG:4326",
    )
    options = PublicMapOptions(
        group_labels={
            "open": _("Open"),
            "in_progress": _("In progress"),
            "done": _("Done"),
        },
        field_labels={
            "category": _("Problem"),
            "status": _("Status"),
            "reported": _("Reported"),
            "link": _("See the report"),
        },
        legend_title=_("Reports"),
    )
    public_reports_map(fmap, boundary, frame, options)
    context = {
        "municipality": municipality,
        "map": map_fragments(fmap, script_nonce=request.csp_nonce),
        "count": len(reports),
        "limit": MAP_LIMIT,
    }
    return _page(request, "map.html", context)


@require_http_methods(["GET", "POST"])
def open_report_new(request: HttpRequest, code: str) -> HttpResponse:
    """Step one (what and where); on POST, the open reports nearby and the rest of the form."""
    municipality = municipality_open(code)
    form = LocationForm(request.POST or None, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        nearby = selectors.report_nearby_open(
            municipality=municipality,
            category=form.categories[form.cleaned_data["category"]],
            point=form.cleaned_data["point"],
        )
        details = ReportForm(initial=form.cleaned_data, municipality=municipality)
        return _details_page(request, municipality, details, nearby)
    context = {"municipality": municipality, "form": form, "map": _map(request, municipality)}
    return _page(request, "new.html", context, status=400 if form.errors else 200)


def _details_page(request, municipality, form, nearby, status=200) -> HttpResponse:
    context = {"municipality": municipality, "form": form, "nearby": nearby}
    return _page(request, "details.html", context, status=status)


def _map(request: HttpRequest, municipality: Municipality) -> dict[str, str]:
    return report_map_fragments(municipality, script_nonce=request.csp_nonce)


def _refused(request: HttpRequest, municipality: Municipality, *, status: int) -> HttpResponse:
    return _page(request, "refused.html", {"municipality": municipality}, status=status)


@require_POST
def open_report_send(request: HttpRequest, code: str) -> HttpResponse:
    """Step two: create the report (honeypot and rate limits first) and show its tracking code."""
    municipality = municipality_open(code)
    form = ReportForm(request.POST, request.FILES, municipality=municipality)
    if form.is_robot:
        return _refused(request, municipality, status=400)
    if not form.is_valid():
        return _details_page(request, municipality, form, nearby=[], status=400)
    contact = form.contact()
    if not submission_allow(address=client_address(request), contact=contact):
        return _refused(request, municipality, status=429)
    report = report_create(
        municipality=municipality,
        data=form.report_input(),
        photos=form.cleaned_data["photos"],
        contact=contact,
    )
    url = reverse("open-report-tracked", kwargs={"code": code, "tracking": report.tracking_code})
    return redirect(f"{url}?new=1")


@require_POST
def open_report_follow(request: HttpRequest, code: str) -> HttpResponse:
    """Same problem: +1 on an open public report, with an optional contact to follow it."""
    municipality = municipality_open(code)
    form = FollowForm(request.POST)
    if form.is_robot or not form.is_valid():
        return _refused(request, municipality, status=400)
    report = (
        selectors.public_reports(municipality=municipality)
        .filter(pk=form.cleaned_data["report"], status__in=OPEN_REPORT_STATUSES)
        .first()
    )
    if report is None:
        raise Http404("No such open report")
    contact = form.contact()
    if not submission_allow(address=client_address(request), contact=contact):
        return _refused(request, municipality, status=429)
    report_follow(report=report, contact=contact)
    url = reverse("open-report", kwargs={"code": code, "pk": report.pk})
    return redirect(f"{url}?followed=1")


@require_GET
def open_report(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A public report's page: status history in plain words, division, photos."""
    municipality = municipality_open(code)
    report = selectors.report_public_get(municipality=municipality, pk=pk)
    if report is None:
        raise Http404("No such public report")
    context = {
        "municipality": municipality,
        "report": report,
        "followed": "followed" in request.GET,
        "comments": followup.comments_public(municipality.code, report.pk),
    }
    return _page(request, "report.html", context)


@require_GET
def open_report_find(request: HttpRequest, code: str) -> HttpResponse:
    """Type a tracking code, go to its page."""
    municipality = municipality_open(code)
    tracking = tracking_code_normalise(request.GET.get("tracking", ""))
    if (
        tracking
        and Report.objects.filter(municipality=municipality, tracking_code=tracking).exists()
    ):
        return redirect("open-report-tracked", code=code, tracking=tracking)
    context = {"municipality": municipality, "not_found": bool(request.GET.get("tracking"))}
    return _page(request, "find.html", context, status=404 if context["not_found"] else 200)


def _photo_response(photo) -> FileResponse:
    if photo is None:
        raise Http404("No such photo")
    try:
        handle = open(photo_path(photo.stored_name), "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError as error:
        raise Http404("No such photo") from error
    response = FileResponse(handle, content_type="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def open_report_photo(request: HttpRequest, code: str, photo_id: int) -> FileResponse:
    """A photo of a public report."""
    municipality = municipality_open(code)
    return _photo_response(selectors.photo_for_public(municipality=municipality, photo_id=photo_id))


@require_GET
def open_report_tracked_photo(
    request: HttpRequest, code: str, tracking: str, photo_id: int
) -> FileResponse:
    """A photo of the report with this tracking code."""
    municipality = municipality_open(code)
    photo = selectors.photo_for_tracking(
        municipality=municipality,
        tracking_code=tracking_code_normalise(tracking),
        photo_id=photo_id,
    )
    return _photo_response(photo)
