"""Staff pages of resident reports, under /m/<code>/reports/ (login, the municipality's scope).

Viewers see the queue and reports without contacts; officers who work reports (planner, health,
disaster, editor, admin) assign, change status, close with an "after" photo and read a reporter's
contact with a logged purpose; only supervisors (admin) override the near-photo rule or change
the moderation setting.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from geoapp.models import ReportSettings, ReportStatus
from geoapp.reports import staff_forms as forms
from geoapp.reports.followup import report_comment_answer
from geoapp.reports.maps import QueuePoint, queue_map_fragments
from geoapp.reports.services import report_contacts_read
from geoapp.reports.staff_selectors import (
    division_names,
    month_summary,
    report_for_staff,
    report_queue,
)
from geoapp.reports.staff_services import (
    AFTER_PHOTO_RADIUS_M,
    report_assign,
    report_close_done,
    report_settings_set,
    report_status_change,
)
from geoapp.reports.views import _photo_response
from geoapp.web.permissions import Action, actions_of, municipality_requiring
from geoapp.web.responses import csv_response

PER_PAGE = 25
MAP_POINTS = 1000
STATUS_COLOURS = {
    ReportStatus.RECEIVED: "#d95f02",
    ReportStatus.ACCEPTED: "#e6ab02",
    ReportStatus.IN_PROGRESS: "#1f78b4",
    ReportStatus.DONE: "#33a02c",
}
OVERDUE_COLOUR = "#b2182b"
STATUS_LABELS = dict(ReportStatus.choices)
STEPS = ("assign", "status", "done", "answer", "contacts")


def _page(request, template: str, municipality, allowed, status: int = 200, **context):
    context = {
        "municipality": municipality,
        "can_work": Action.WORK_REPORTS in allowed,
        "can_supervise": Action.SUPERVISE_REPORTS in allowed,
        **context,
    }
    return render(request, f"geoapp/reports/staff/{template}", context, status=status)


def _query(form) -> str:
    """The queue's filters as a query string (without the page), for links and pages."""
    from urllib.parse import urlencode

    keep = {k: v for k, v in form.data.items() if k != "page" and v}
    return urlencode(keep)


@login_required
@require_GET
def report_queue_page(request: HttpRequest, code: str) -> HttpResponse:
    """The municipality's reports: filters, needs review first, then overdue, then newest; a map."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_REPORTS)
    allowed = actions_of(request.user, municipality)
    form = forms.QueueForm(request.GET, municipality=municipality)
    if not form.is_valid():
        return _page(request, "queue.html", municipality, allowed, status=400, form=form, page=None)
    reports = report_queue(municipality=municipality, filters=form.filters())
    page = Paginator(reports, PER_PAGE).get_page(form.cleaned_data["page"] or 1)
    # Only the columns the map draws (a full row with its category took 380 ms for 1,000 of
    # 20,000 reports; these take a fraction of it).
    columns = ("pk", "location", "category__name_th", "status", "is_overdue")
    points = [
        QueuePoint(
            pk=pk,
            longitude=location.x,
            latitude=location.y,
            label=category,
            status_label=str(STATUS_LABELS.get(status, status)),
            url=reverse("reports-staff-report", kwargs={"code": code, "report_id": pk}),
            colour=OVERDUE_COLOUR if overdue else STATUS_COLOURS.get(status, "#737373"),
        )
        for pk, location, category, status, overdue in reports.values_list(*columns)[:MAP_POINTS]
    ]
    fragments = queue_map_fragments(municipality, points, script_nonce=request.csp_nonce)
    return _page(
        request,
        "queue.html",
        municipality,
        allowed,
        form=form,
        page=page,
        query=_query(form),
        map=fragments,
    )


def _step_forms(municipality, report, allowed, data=None, files=None, step: str = "") -> dict:
    def bound(name: str) -> dict:
        return {"data": data, "files": files} if step == name else {}

    done = forms.DoneForm(**bound("done"))
    if Action.SUPERVISE_REPORTS not in allowed:
        del done.fields["override_reason"]  # the service refuses it too
    return {
        "assign": forms.AssignForm(
            municipality=municipality,
            initial={
                "division": report.division or report.category.division,
                "assignee": report.assigned_to_id,
            },
            **bound("assign"),
        ),
        "status": forms.StatusForm(**bound("status")),
        "done": done,
        "answer": forms.AnswerForm(**bound("answer")),
        "contacts": forms.ContactsForm(**bound("contacts")),
    }


def _take_step(step: str, form, report, request: HttpRequest, allowed) -> list | None:
    data = form.cleaned_data
    if step == "assign":
        report_assign(
            report=report,
            user=request.user,
            division=data["division"],
            assignee_id=data["assignee"],
        )
    elif step == "status":
        report_status_change(
            report=report,
            user=request.user,
            status=data["status"],
            note=data["note"],
            forwarded_to=data["forwarded_to"],
            duplicate_of_id=data["duplicate_of"],
        )
    elif step == "done":
        report_close_done(
            report=report,
            user=request.user,
            after=form.after_photo(),
            note=data["note"],
            override_reason=data.get("override_reason", ""),
            may_override=Action.SUPERVISE_REPORTS in allowed,
        )
    elif step == "answer":
        # Clears the report's "resident's follow-up waiting" flag and tells the followers.
        report_comment_answer(report=report, body=data["body"], user=request.user)
    else:
        return report_contacts_read(report=report, user=request.user, purpose=data["purpose"])
    return None


@login_required
@require_http_methods(["GET", "POST"])
def report_staff_page(request: HttpRequest, code: str, report_id: int) -> HttpResponse:
    """One report for staff: photos, history, followers, assignment, status, closing as done."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_REPORTS)
    allowed = actions_of(request.user, municipality)
    report = report_for_staff(municipality=municipality, pk=report_id)
    if report is None:
        raise Http404("No such report")
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if request.method == "POST" and (step not in STEPS or Action.WORK_REPORTS not in allowed):
        raise PermissionDenied("working reports is not allowed")
    step_forms = _step_forms(municipality, report, allowed, request.POST, request.FILES, step)
    status, contacts = 200, None
    if step:
        form = step_forms[step]
        if form.is_valid():
            try:
                contacts = _take_step(step, form, report, request, allowed)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if step != "contacts":
                    messages.success(request, _("Saved."))
                    return redirect("reports-staff-report", code=code, report_id=report.pk)
        if contacts is None:
            status = 400
    photos = list(report.photos.all())
    context = {
        "report": report,
        "photos": photos,
        "map": _report_map(request, municipality, report, photos),
        "history": list(report.history.all()),
        "comments": list(report.comments.select_related("photo", "by_user")),
        "contacts": contacts,
        "divisions": division_names(municipality=municipality),
        "public_url": reverse("open-report", kwargs={"code": code, "pk": report.pk}),
        **{f"{name}_form": form for name, form in step_forms.items()},
    }
    return _page(request, "report.html", municipality, allowed, status, **context)


AFTER_PHOTO_COLOUR = "#6a3d9a"


def _report_map(request, municipality, report, photos) -> dict[str, str]:
    """The report's place with the 50 m circle, and where each after photo was taken."""
    url = reverse(
        "reports-staff-report", kwargs={"code": municipality.code, "report_id": report.pk}
    )
    points = [
        QueuePoint(
            pk=report.pk,
            longitude=report.location.x,
            latitude=report.location.y,
            label=report.category.name_th,
            status_label=str(report.get_status_display()),
            url=url,
            colour=OVERDUE_COLOUR
            if report.is_overdue
            else STATUS_COLOURS.get(report.status, "#737373"),
        )
    ]
    points += [
        QueuePoint(
            pk=report.pk,
            longitude=photo.taken_at_location.x,
            latitude=photo.taken_at_location.y,
            label=_("After photo taken here"),
            status_label=f"± {photo.taken_accuracy_m or 0:.0f} m",
            url=url,
            colour=AFTER_PHOTO_COLOUR,
        )
        for photo in photos
        if photo.taken_at_location is not None
    ]
    return queue_map_fragments(
        municipality,
        points,
        script_nonce=request.csp_nonce,
        around_m=AFTER_PHOTO_RADIUS_M,
    )


@login_required
@require_GET
def report_staff_photo(request: HttpRequest, code: str, report_id: int, report_photo_id: int):
    """A photo of one of the municipality's reports (before or after), for its staff."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_REPORTS)
    report = report_for_staff(municipality=municipality, pk=report_id)
    photo = report.photos.filter(pk=report_photo_id).first() if report else None
    return _photo_response(photo)


@login_required
@require_GET
def report_summary_page(request: HttpRequest, code: str) -> HttpResponse:
    """Per division for a month: received, done, median days to done, overdue; or its CSV."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_REPORTS)
    allowed = actions_of(request.user, municipality)
    data = request.GET.copy()
    data.setdefault("month", f"{timezone.localdate():%Y-%m}")  # shown in the month picker
    form = forms.MonthForm(data)
    if not form.is_valid():
        return _page(request, "summary.html", municipality, allowed, status=400, form=form)
    month = form.cleaned_data["month"]
    rows = month_summary(municipality=municipality, month=month)
    if form.cleaned_data["format"] == "csv":
        header = [
            _("Division in charge"),
            _("Received"),
            _("Done"),
            _("Median days to done"),
            _("Overdue"),
        ]
        body = [
            [
                _("Whole municipality") if r.is_total else r.division,
                r.received,
                r.done,
                r.median_days_to_done,
                r.overdue,
            ]
            for r in rows
        ]
        return csv_response(header, body, f"reports-{code}-{month:%Y-%m}.csv")
    return _page(request, "summary.html", municipality, allowed, form=form, rows=rows, month=month)


@login_required
@require_http_methods(["GET", "POST"])
def report_settings_page(request: HttpRequest, code: str) -> HttpResponse:
    """How the municipality takes reports: the moderation of first-time reporters (admin)."""
    municipality = municipality_requiring(request.user, code, Action.SUPERVISE_REPORTS)
    allowed = actions_of(request.user, municipality)
    current = ReportSettings.objects.filter(municipality=municipality).first()
    form = forms.ReportSettingsForm(
        request.POST or None,
        initial={"moderate_first_time": bool(current and current.moderate_first_time)},
    )
    if request.method == "POST" and form.is_valid():
        report_settings_set(
            municipality=municipality,
            user=request.user,
            moderate_first_time=form.cleaned_data["moderate_first_time"],
        )
        messages.success(request, _("Saved."))
        return redirect("reports-settings", code=code)
    return _page(request, "settings.html", municipality, allowed, form=form)
