"""The health officer's case pages: the case list, adding and correcting a case, 3-3-1 steps.

Reading needs `VIEW_CASES_EXACT`; every write needs `EDIT_CASES`, is a POST with CSRF, and goes
through `layers.dengue.services` in one transaction. Personal fields are read and corrected
only with `VIEW_CASES_PERSONAL` (`case_personal`), each read logged with its purpose.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from geoapp.dengue.forms import CaseForm, CasePersonalForm, CaseStepForm, PurposeForm
from geoapp.web.inputs import InputError, choice_input, date_input, integer_input, query_text
from geoapp.web.permissions import Action, can, municipality_requiring
from layers.dengue import selectors as dengue
from layers.dengue.services import (
    CASE_STEPS,
    case_correct,
    case_create,
    case_personal_correct,
    case_step_mark,
)
from layers.history.selectors import feature_history
from layers.models import DengueCase, Municipality
from layers.pdpa.services import PERSONAL_FIELDS, case_personal_read

#: Cases on one page of the list.
CASES_PER_PAGE = 50


def _bad_request(request: HttpRequest, municipality: Municipality, message: str) -> HttpResponse:
    return render(
        request,
        "geoapp/dengue/bad_request.html",
        {"municipality": municipality, "message": message},
        status=400,
    )


# --- The case list -----------------------------------------------------------------------------


def _case_filters(request: HttpRequest, municipality: Municipality) -> dengue.CaseFilters:
    """The list's filters from the query string; `InputError` names a bad one."""
    params = request.GET
    today = timezone.localdate()
    week_text = query_text(params, "week")
    week = date_input(week_text, "week", default=today, latest=today) if week_text else None
    subdistricts = {str(pk) for pk, _name in dengue.case_subdistricts(municipality=municipality)}
    subdistrict = choice_input(
        query_text(params, "subdistrict"),
        "subdistrict",
        subdistricts,
        default="",
        message=gettext_lazy("No subdistrict of this municipality has the number “%(value)s”."),
    )
    status = choice_input(
        query_text(params, "status"),
        "status",
        DengueCase.Status.values,
        default="",
    )
    order = choice_input(query_text(params, "order"), "order", ("new", "old"), default="new")
    return dengue.CaseFilters(
        search=(query_text(params, "q") or "")[:100],
        epi_week=dengue.epi_week_start(week) if week else None,
        subdistrict_id=int(subdistrict) if subdistrict else None,
        status=status,
        newest_first=order == "new",
    )


def _weeks_with_cases(municipality: Municipality) -> list[date]:
    """Starts of the epidemiological weeks with a case onset, newest first (the week filter)."""
    onsets = DengueCase.objects.filter(municipality=municipality).values_list(
        "onset_date", flat=True
    )
    return sorted({dengue.epi_week_start(day) for day in onsets.distinct()}, reverse=True)


@login_required
def case_list(request: HttpRequest, code: str) -> HttpResponse:
    """Cases sorted by onset, searched and filtered, a page at a time (no personal data)."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_CASES_EXACT)
    try:
        filters = _case_filters(request, municipality)
        number = integer_input(
            query_text(request.GET, "page"), "page", default=1, low=1, high=10**6
        )
    except InputError as error:
        return _bad_request(request, municipality, str(error))
    cases = dengue.case_list(municipality=municipality, filters=filters)
    page = Paginator(cases, CASES_PER_PAGE).get_page(number)
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "geoapp/case_list.html",
        {
            "municipality": municipality,
            "page": page,
            "filters": filters,
            "query": kept.urlencode(),
            "weeks": _weeks_with_cases(municipality),
            "week_end": filters.epi_week + timedelta(days=6) if filters.epi_week else None,
            "subdistricts": dengue.case_subdistricts(municipality=municipality),
            "statuses": DengueCase.Status.choices,
            "can_edit": can(request.user, municipality, Action.EDIT_CASES),
        },
    )


# --- Adding and correcting a case --------------------------------------------------------------


def _case_form_page(request, municipality, form, *, case=None, status=200) -> HttpResponse:
    """The case form; its map outlines the municipality and shows the case's point now."""
    return render(
        request,
        "geoapp/dengue/case_form.html",
        {
            "municipality": municipality,
            "form": form,
            "case": case,
            "boundary": json.loads(municipality.boundary.geojson),
            "point": [case.geom.x, case.geom.y] if case is not None else None,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_add(request: HttpRequest, code: str) -> HttpResponse:
    """Add a case: dates and codes, its point clicked on the map or a building chosen."""
    municipality = municipality_requiring(request.user, code, Action.EDIT_CASES)
    today = timezone.localdate()
    if request.method == "GET":
        form = CaseForm(
            municipality=municipality, initial={"onset_date": today, "report_date": today}
        )
        return _case_form_page(request, municipality, form)
    form = CaseForm(request.POST, municipality=municipality)
    if form.is_valid():
        try:
            case = case_create(
                municipality=municipality,
                user=request.user,
                source_id=form.cleaned_data["source_id"],
                **form.case_args(),
            )
        except ValidationError as error:
            form.add_model_errors(error)
        else:
            messages.success(request, _("Case #%(n)s added.") % {"n": case.pk})
            return redirect("case-detail", code=municipality.code, case_id=case.pk)
    return _case_form_page(request, municipality, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, code: str, case_id: int) -> HttpResponse:
    """Correct a case's dates, codes or point; its history keeps what they were."""
    municipality = municipality_requiring(request.user, code, Action.EDIT_CASES)
    case = get_object_or_404(DengueCase, municipality=municipality, pk=case_id)
    if request.method == "GET":
        initial = {
            field: getattr(case, field)
            for field in ("onset_date", "report_date", "diagnosis", "status", "sex", "age_group")
        }
        form = CaseForm(
            municipality=municipality,
            point_required=False,
            initial={**initial, "source_id": case.source_id},
        )
        return _case_form_page(request, municipality, form, case=case)
    form = CaseForm(request.POST, municipality=municipality, point_required=False)
    if form.is_valid():
        try:
            case_correct(
                case=case,
                user=request.user,
                source_id=form.cleaned_data["source_id"],
                **form.case_args(),
            )
        except ValidationError as error:
            form.add_model_errors(error)
        else:
            messages.success(request, _("Case #%(n)s corrected.") % {"n": case.pk})
            return redirect("case-detail", code=municipality.code, case_id=case.pk)
    return _case_form_page(request, municipality, form, case=case, status=400)


# --- One case and its personal data ------------------------------------------------------------


@login_required
def case_detail(request: HttpRequest, code: str, case_id: int) -> HttpResponse:
    """One case; its personal data only after the user states a purpose, and the read is logged."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_CASES_EXACT)
    case = get_object_or_404(
        DengueCase.objects.select_related("subdistrict"), municipality=municipality, pk=case_id
    )
    may_read_personal = can(request.user, municipality, Action.VIEW_CASES_PERSONAL)
    form = PurposeForm(request.POST or None)
    personal = None
    read = False
    if request.method == "POST" and may_read_personal and form.is_valid():
        personal = case_personal_read(
            case=case, user=request.user, purpose=form.cleaned_data["purpose"]
        )
        read = True
    return render(
        request,
        "geoapp/case_detail.html",
        {
            "municipality": municipality,
            "case": case,
            "form": form,
            "may_read_personal": may_read_personal,
            "personal": personal,
            "read": read,
            "can_edit": can(request.user, municipality, Action.EDIT_CASES),
            "steps": case_steps(case),
            "history": case_history_rows(case),
            "links": case_links(municipality, case),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_personal(request: HttpRequest, code: str, case_id: int) -> HttpResponse:
    """Enter or correct a case's personal fields (PDPA): read first, with a purpose, logged.

    GET asks why; a POST with the purpose alone logs the read and shows the fields to correct;
    a POST with the fields as well (and the purpose again) stores them. Needs both
    `EDIT_CASES` and `VIEW_CASES_PERSONAL`.
    """
    municipality = municipality_requiring(request.user, code, Action.EDIT_CASES)
    if not can(request.user, municipality, Action.VIEW_CASES_PERSONAL):
        raise PermissionDenied("view_cases_personal is not allowed")
    case = get_object_or_404(DengueCase, municipality=municipality, pk=case_id)
    purpose = PurposeForm(request.POST or None)
    context = {"municipality": municipality, "case": case, "purpose": purpose}
    if request.method == "GET" or not purpose.is_valid():
        status = 200 if request.method == "GET" else 400
        return render(request, "geoapp/case_personal.html", context, status=status)
    if "save" not in request.POST:
        personal = case_personal_read(
            case=case, user=request.user, purpose=purpose.cleaned_data["purpose"]
        )
        initial = {f: getattr(personal, f) for f in PERSONAL_FIELDS} if personal else {}
        form = CasePersonalForm(initial=initial)
        return render(request, "geoapp/case_personal.html", {**context, "form": form})
    form = CasePersonalForm(request.POST)
    if form.is_valid():
        changed = case_personal_correct(case=case, user=request.user, **form.cleaned_data)
        if changed:
            messages.success(request, _("Personal data of the case corrected."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("case-detail", code=municipality.code, case_id=case.pk)
    return render(request, "geoapp/case_personal.html", {**context, "form": form}, status=400)


# --- 3-3-1 steps -------------------------------------------------------------------------------


def step_labels() -> dict[str, str]:
    """The 3-3-1 steps after the report, in the active language."""
    return {
        "investigated": _("Investigated"),
        "breeding_sites_removed": _("Breeding sites removed"),
        "sprayed": _("Sprayed"),
    }


def case_steps(case: DengueCase) -> list[dict]:
    """Each 3-3-1 step of a case: its label, when it was done and who recorded it."""
    labels = step_labels()
    return [
        {
            "step": step,
            "label": labels[step],
            "at": getattr(case, f"{step}_at"),
            "by": getattr(case, f"{step}_by"),
        }
        for step in CASE_STEPS
    ]


@login_required
@require_http_methods(["GET", "POST"])
def case_step(request: HttpRequest, code: str, case_id: int) -> HttpResponse:
    """Mark a 3-3-1 step of a case done (when, and by the user), or clear a mistaken mark."""
    municipality = municipality_requiring(request.user, code, Action.EDIT_CASES)
    case = get_object_or_404(DengueCase, municipality=municipality, pk=case_id)
    form = CaseStepForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            at = None if form.cleaned_data["clear"] else form.cleaned_data["at"]
            try:
                case_step_mark(case=case, user=request.user, step=form.cleaned_data["step"], at=at)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                label = step_labels()[form.cleaned_data["step"]]
                messages.success(
                    request,
                    _("%(step)s: recorded for case #%(n)s.") % {"step": label, "n": case.pk},
                )
                return redirect("case-detail", code=municipality.code, case_id=case.pk)
        status = 400
    return render(
        request,
        "geoapp/dengue/case_steps.html",
        {
            "municipality": municipality,
            "case": case,
            "steps": case_steps(case),
            "form": form,
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
        status=status,
    )


def case_history_rows(case: DengueCase) -> list[dict]:
    """The case's changes, newest first, as the detail page lists them (no personal values)."""
    labels = {f.name: str(f.verbose_name) for f in DengueCase._meta.fields}
    labels |= {f.attname: str(f.verbose_name) for f in DengueCase._meta.fields}
    rows = []
    for version in feature_history(
        municipality=case.municipality, layer="cases", feature_id=case.pk
    ):
        changes = []
        for column, before, after in version.changes:
            if column == "geom":
                changes.append((labels["geom"], _("moved"), ""))
            else:
                changes.append((labels.get(column, column), before, after))
        rows.append(
            {
                "at": version.changed_at,
                "who": version.username,
                "op": version.op,
                "context": version.context,
                "changes": changes,
            }
        )
    return rows[::-1]


def case_links(municipality: Municipality, case: DengueCase) -> dict[str, str]:
    """The case's edit pages."""
    kwargs = {"code": municipality.code, "case_id": case.pk}
    return {
        "edit": reverse("case-edit", kwargs=kwargs),
        "steps": reverse("case-steps", kwargs=kwargs),
        "personal": reverse("case-personal", kwargs=kwargs),
    }
