"""The reporter's page and its follow-up: comment, add a photo, reopen (no login; the code is key).

A wrong, guessed or other municipality's tracking code takes the same path to the same 404: one
indexed lookup scoped to the municipality of the address, before any form is read.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from geoapp.models import Report
from geoapp.reports import followup, selectors
from geoapp.reports.forms import CommentForm, ReopenForm
from geoapp.reports.services import Contact, submission_allow, tracking_code_normalise
from geoapp.reports.views import municipality_open
from geoapp.web.client import client_address
from layers.models import Municipality


def _tracked(municipality: Municipality, tracking: str) -> Report:
    report = Report.objects.filter(
        municipality=municipality, tracking_code=tracking_code_normalise(tracking)
    ).first()
    if report is None:
        raise Http404("No such tracking code")
    return report


def tracked_page(
    request: HttpRequest,
    municipality: Municipality,
    tracking: str,
    *,
    comment_form: CommentForm | None = None,
    reopen_form: ReopenForm | None = None,
    status: int = 200,
    with_forms: bool = False,
) -> HttpResponse:
    """The reporter's page: history, comments, and (`with_forms`) the forms to comment or reopen.

    The page itself sends no referrer at all (the code is in its address). The forms live on a
    page of their own with `same-origin`: under `no-referrer` a browser sends `Origin: null` with
    a form's POST, which the CSRF check rightly refuses; `same-origin` still keeps the address
    from every other site.
    """
    code = tracking_code_normalise(tracking)
    report = selectors.report_tracked_get(municipality=municipality, tracking_code=code)
    if report is None:
        raise Http404("No such tracking code")
    comments = followup.comment_list(
        report_pk=report.pk,
        photo_url=lambda photo: reverse(
            "open-report-tracked-photo",
            kwargs={"code": municipality.code, "tracking": code, "photo_id": photo.pk},
        ),
    )
    context = {
        "municipality": municipality,
        "report": report,
        "tracking_code": code,
        "new": "new" in request.GET,
        "comments": comments,
        "comment_form": comment_form or CommentForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "reopen": followup.reopen_window(status=report.status, closed_at=report.closed_at),
        "reopen_days": followup.REOPEN_DAYS,
        "commented": "commented" in request.GET,
        "reopened": "reopened" in request.GET,
        "with_forms": with_forms,
    }
    response = render(request, "geoapp/reports/report.html", context, status=status)
    response.headers["Referrer-Policy"] = "same-origin" if with_forms else "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@require_GET
def open_report_tracked(request: HttpRequest, code: str, tracking: str) -> HttpResponse:
    """The reporter's page, found by the tracking code (any category)."""
    return tracked_page(request, municipality_open(code), tracking)


@require_GET
def open_report_follow_up(request: HttpRequest, code: str, tracking: str) -> HttpResponse:
    """The reporter's page with the forms to comment, add a photo or reopen."""
    return tracked_page(request, municipality_open(code), tracking, with_forms=True)


def _refused(request: HttpRequest, municipality: Municipality, *, status: int) -> HttpResponse:
    context = {"municipality": municipality}
    return render(request, "geoapp/reports/refused.html", context, status=status)


def _back(code: str, report: Report, flag: str) -> HttpResponse:
    url = reverse("open-report-tracked", kwargs={"code": code, "tracking": report.tracking_code})
    return redirect(f"{url}?{flag}=1#follow-up")


@require_POST
def open_report_comment(request: HttpRequest, code: str, tracking: str) -> HttpResponse:
    """The reporter adds a comment and/or a photo (honeypot and rate limits as for reports)."""
    municipality = municipality_open(code)
    report = _tracked(municipality, tracking)
    form = CommentForm(request.POST, request.FILES)
    if form.is_robot:
        return _refused(request, municipality, status=400)
    # Counted before the photo is decoded: a burst costs no re-encoding past the limit.
    if not submission_allow(address=client_address(request), contact=Contact()):
        return _refused(request, municipality, status=429)
    if not form.is_valid():
        return tracked_page(
            request, municipality, tracking, comment_form=form, status=400, with_forms=True
        )
    followup.report_comment_add(
        report=report, body=form.cleaned_data["body"], photo=form.cleaned_data["photo"]
    )
    return _back(code, report, "commented")


@require_POST
def open_report_reopen(request: HttpRequest, code: str, tracking: str) -> HttpResponse:
    """The reporter reopens a report closed at most 14 days ago, with a reason."""
    municipality = municipality_open(code)
    report = _tracked(municipality, tracking)
    form = ReopenForm(request.POST)
    if form.is_robot:
        return _refused(request, municipality, status=400)
    if not submission_allow(address=client_address(request), contact=Contact()):
        return _refused(request, municipality, status=429)
    if not form.is_valid():
        return tracked_page(
            request, municipality, tracking, reopen_form=form, status=400, with_forms=True
        )
    try:
        followup.report_reopen(report=report, reason=form.cleaned_data["reason"])
    except followup.FollowUpRefused:
        # Closed too long ago (or not closed): the page says why and offers a new report.
        return tracked_page(request, municipality, tracking, status=409, with_forms=True)
    return _back(code, report, "reopened")
