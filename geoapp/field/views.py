"""Pages of the field work: supervisors' assignments and conflicts, and the phone app's shell."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from geoapp.field import forms
from geoapp.models import Membership, Role
from geoapp.web.permissions import Action, municipality_requiring
from layers.dengue import selectors as dengue
from layers.field import assignments as field
from layers.field import review, sync
from layers.models import (
    FieldAssignment,
    HouseSurvey,
    LarvalContainerType,
    Municipality,
    SurveyChange,
    SurveyPlace,
    SyncConflict,
)


def _volunteers(municipality: Municipality) -> list[tuple[int, str]]:
    members = Membership.objects.filter(
        municipality=municipality, role__in=[Role.VOLUNTEER, Role.HEALTH_OFFICER]
    ).select_related("user")
    return sorted(
        {(m.user_id, m.user.get_full_name() or m.user.get_username()) for m in members},
        key=lambda item: item[1],
    )


def _zones(municipality: Municipality) -> dict[str, object]:
    """Zones on today's spray plan, as published (they cover the rule, not the case house)."""
    today = timezone.localdate()
    plan = dengue.spray_plan(
        dengue.dengue_situation(municipality=municipality, on=today), published=True
    )
    return {entry.zone.key: entry for entry in plan.rounds}


@login_required
def field_assignments(request: HttpRequest, code: str) -> HttpResponse:
    """Who surveys which place (and zone), with their progress; add or end an assignment."""
    municipality = municipality_requiring(request.user, code, Action.FIELD_SUPERVISE)
    volunteers = _volunteers(municipality)
    places = list(SurveyPlace.objects.filter(municipality=municipality))
    zones = _zones(municipality)
    form = forms.AssignmentForm(
        request.POST or None,
        volunteers=volunteers,
        places=[(p.pk, p.name) for p in places],
        zones=list(zones),
    )
    if request.method == "POST":
        if "remove" in request.POST:
            field.assignment_remove(
                municipality=municipality, assignment_id=forms.whole(request.POST["remove"])
            )
            messages.success(request, _("The assignment was ended."))
            return redirect("field-assignments", code=code)
        if form.is_valid():
            entry = zones.get(form.cleaned_data["zone_key"])
            outline = None
            if entry is not None:
                outline = GEOSGeometry(entry.zone.geometry.wkt, srid=municipality.metric_srid)
                outline.transform(4326)
            field.assignment_add(
                municipality=municipality,
                by=request.user,
                volunteer_id=int(form.cleaned_data["volunteer"]),
                place=next(p for p in places if p.pk == int(form.cleaned_data["place"])),
                zone_key=entry.zone.key if entry else "",
                zone_outline=outline,
                round_number=entry.round_number if entry else form.cleaned_data["round_number"],
                planned_date=entry.planned_date if entry else None,
            )
            messages.success(request, _("The volunteer was assigned."))
            return redirect("field-assignments", code=code)
    rows = field.assignment_list(municipality=municipality)
    done = {
        (row["surveyor"], row["place"], row["round_number"]): row["n"]
        for row in HouseSurvey.objects.filter(municipality=municipality)
        .values("surveyor", "place", "round_number")
        .annotate(n=Count("id"))
    }
    progress = [(a, done.get((a.volunteer_id, a.place_id, a.round_number), 0)) for a in rows]
    return render(
        request,
        "geoapp/field/assignments.html",
        {
            "municipality": municipality,
            "form": form,
            "progress": progress,
            "open_conflicts": len(sync.conflict_list(municipality=municipality)),
        },
    )


RECORDS_PER_PAGE = 50


def _round(params, municipality: Municipality) -> int:
    number = forms.whole(params.get("round", ""))
    return number if 1 <= number <= 99 else review.current_round(municipality=municipality)


@login_required
def field_records(request: HttpRequest, code: str) -> HttpResponse:
    """The round's house surveys for a supervisor to approve or correct, with progress."""
    municipality = municipality_requiring(request.user, code, Action.FIELD_SUPERVISE)
    params = request.GET
    round_number = _round(params, municipality)
    volunteers = _volunteers(municipality)
    places = list(SurveyPlace.objects.filter(municipality=municipality).order_by("name"))
    zone_keys = sorted(
        set(
            FieldAssignment.objects.filter(municipality=municipality)
            .exclude(zone_key="")
            .values_list("zone_key", flat=True)
        )
    )
    chosen = {
        "volunteer": forms.whole(params.get("volunteer", "")),
        "place": forms.whole(params.get("place", "")),
        "zone": params.get("zone", "") if params.get("zone", "") in zone_keys else "",
        "status": params.get("status", "")
        if params.get("status", "") in HouseSurvey.Status.values
        else "",
        "approval": params.get("approval", "")
        if params.get("approval", "") in review.APPROVAL_STATES
        else "",
    }
    records = review.survey_records(
        municipality=municipality,
        round_number=round_number,
        volunteer_id=chosen["volunteer"] or None,
        place_id=chosen["place"] or None,
        zone_key=str(chosen["zone"]),
        status=str(chosen["status"]),
        approval=str(chosen["approval"]),
    )
    page = Paginator(records, RECORDS_PER_PAGE).get_page(params.get("page"))
    by_volunteer = review.survey_progress(
        municipality=municipality, round_number=round_number, by="volunteer"
    )
    by_place = review.survey_progress(
        municipality=municipality, round_number=round_number, by="place"
    )
    names = dict(volunteers)
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "geoapp/field/records.html",
        {
            "municipality": municipality,
            "round_number": round_number,
            "page": page,
            "query": query.urlencode(),
            "chosen": chosen,
            "volunteers": volunteers,
            "places": places,
            "zone_keys": zone_keys,
            "statuses": HouseSurvey.Status.choices,
            "volunteer_progress": [
                (names.get(key, "–"), p) for key, p in sorted(by_volunteer.items())
            ],
            "place_progress": [
                (p.name, _place_zones(municipality, p.pk), by_place[p.pk])
                for p in places
                if p.pk in by_place
            ],
        },
    )


def _place_zones(municipality: Municipality, place_id: int) -> str:
    keys = FieldAssignment.objects.filter(municipality=municipality, place_id=place_id).values_list(
        "zone_key", flat=True
    )
    return ", ".join(sorted({k for k in keys if k}))


@login_required
def field_record(request: HttpRequest, code: str, survey_id: int) -> HttpResponse:
    """One house survey: approve it, or correct its status and containers with a reason."""
    municipality = municipality_requiring(request.user, code, Action.FIELD_SUPERVISE)
    survey = (
        HouseSurvey.objects.filter(municipality=municipality, pk=survey_id)
        .select_related("surveyor", "place", "building", "approved_by")
        .first()
    )
    if survey is None:
        raise Http404("No such survey")
    errors: list[str] = []
    post = request.POST if request.method == "POST" else None
    if post is not None:
        seen = forms.whole(post.get("version", ""))
        try:
            if post.get("action") == "approve":
                sync.survey_approve(
                    survey=survey, user=request.user, seen_version=seen, note=post.get("reason", "")
                )
                messages.success(request, _("The record was approved."))
            else:
                sync.survey_correct(
                    survey=survey,
                    user=request.user,
                    seen_version=seen,
                    changes={
                        "status": post.get("status", ""),
                        "containers": forms.container_rows(post),
                    },
                    reason=post.get("reason", ""),
                )
                messages.success(request, _("The record was corrected."))
        except ValidationError as problem:
            errors = [str(m) for m in problem.messages]
        else:
            return redirect("field-record", code=code, survey_id=survey.pk)
    names = dict(
        LarvalContainerType.objects.filter(municipality=municipality).values_list(
            "number", "name_th"
        )
    )
    return render(
        request,
        "geoapp/field/record.html",
        {
            "municipality": municipality,
            "survey": survey,
            "rows": forms.correction_form(survey, post),
            "statuses": HouseSurvey.Status.choices,
            "status": post.get("status", survey.status) if post is not None else survey.status,
            "reason": post.get("reason", "") if post is not None else "",
            "errors": errors,
            "photo_count": survey.photos.count(),
            "changes": [
                (c, forms.record_text(c.old_record, names), forms.record_text(c.new_record, names))
                for c in SurveyChange.objects.filter(
                    municipality=municipality, survey=survey
                ).select_related("changed_by")
            ],
            "corrected": SurveyChange.objects.filter(
                municipality=municipality, survey=survey, kind=SurveyChange.Kind.CORRECTED
            ).exists(),
        },
    )


@login_required
def field_conflicts(request: HttpRequest, code: str) -> HttpResponse:
    """Edits from phones made from an older version: waiting for a supervisor, and resolved."""
    municipality = municipality_requiring(request.user, code, Action.FIELD_SUPERVISE)
    return render(
        request,
        "geoapp/field/conflicts.html",
        {
            "municipality": municipality,
            "open": sync.conflict_list(municipality=municipality),
            "resolved": [
                c
                for c in sync.conflict_list(municipality=municipality, open_only=False)
                if c.resolution
            ][:50],
        },
    )


@login_required
def field_conflict(request: HttpRequest, code: str, conflict_id: int) -> HttpResponse:
    """Both versions side by side; keep one, or merge by editing the phone's."""
    municipality = municipality_requiring(request.user, code, Action.FIELD_SUPERVISE)
    conflict = SyncConflict.objects.filter(municipality=municipality, pk=conflict_id).first()
    if conflict is None:
        raise Http404("No such conflict")
    error = ""
    if request.method == "POST" and not conflict.resolution:
        resolution = request.POST.get("resolution", "")
        try:
            sync.conflict_resolve(
                conflict=conflict,
                user=request.user,
                resolution=resolution,
                merged=forms.merged_record(request.POST, conflict)
                if resolution == SyncConflict.Resolution.MERGED
                else None,
                note=request.POST.get("note", ""),
            )
        except ValidationError as problem:
            error = "; ".join(str(m) for m in problem.messages)
        else:
            messages.success(request, _("The conflict was resolved."))
            return redirect(reverse("field-conflicts", kwargs={"code": code}))
    return render(
        request,
        "geoapp/field/conflict.html",
        {
            "municipality": municipality,
            "conflict": conflict,
            "rows": forms.side_by_side(conflict),
            "error": error,
        },
    )


@never_cache
@login_required
def field_app(request: HttpRequest, code: str) -> HttpResponse:
    """The phone app's page: it keeps working offline once opened (its service worker)."""
    municipality = municipality_requiring(request.user, code, Action.FIELD_RECORD)
    return render(
        request,
        "geoapp/field/app.html",
        {"municipality": municipality, "app_version": field.APP_VERSION},
    )


@login_required
def field_app_worker(request: HttpRequest, code: str) -> HttpResponse:
    """The service worker, served under the app's path so its scope is the app."""
    municipality_requiring(request.user, code, Action.FIELD_RECORD)
    response = render(
        request,
        "geoapp/field/sw.js",
        {"app_version": field.APP_VERSION, "code": code},
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def field_app_manifest(request: HttpRequest, code: str) -> HttpResponse:
    """The Web App Manifest: installable, starts at the app, Thai name."""
    municipality = municipality_requiring(request.user, code, Action.FIELD_RECORD)
    return render(
        request,
        "geoapp/field/manifest.webmanifest",
        {"municipality": municipality, "code": code},
        content_type="application/manifest+json; charset=utf-8",
    )
