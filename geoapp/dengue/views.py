"""Dengue pages for health officers: dashboard, radius evidence, spray plan and work orders.

Also the public page of weekly dengue counts (`open_dengue_counts`, no login).
Views are thin: check the role, parse the input (a bad date or format answers 400 with a clear
message), call `layers.dengue.selectors`, build the figures, render.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from geoapp.dengue import larval, pages, radius
from geoapp.dengue.forms import (
    SprayRoundCorrectForm,
    SprayRoundForm,
    SprayRoundWithdrawForm,
    round_value,
)
from geoapp.dengue.maps import DengueFrames, DengueMapOptions, dengue_map
from geoapp.jobs import queue as jobs
from geoapp.jobs.processes import FULL_BACKTEST_PERMUTATIONS, FULL_BACKTEST_RADII_M
from geoapp.jobs.views import job_links
from geoapp.models import Job, JobStatus, ReportFeed
from geoapp.report_feeds.selectors import feed_version
from geoapp.templatetags.thaidate import thai_date
from geoapp.web.cached_maps import cached_map_fragments
from geoapp.web.inputs import InputError, choice_input, date_input, query_text
from geoapp.web.maps import ATTRIBUTION, map_fragments
from geoapp.web.page_maps import map_assets
from geoapp.web.permissions import Action, can, municipality_requiring
from geoapp.web.responses import csv_response, geojson_response
from layers.caching import layer_versions
from layers.dengue import releases as dengue_releases
from layers.dengue import selectors as dengue
from layers.dengue.services import (
    ROUND_REPORT_FIELDS,
    spray_round_correct,
    spray_round_record,
    spray_round_withdraw,
)
from layers.models import DengueCase, Municipality, SprayRound
from layers.registry import layer_get

#: The spray plan may look this far ahead (planning next week's rounds).
PLAN_DAYS_AHEAD = 60
EXPORT_FORMATS = ("html", "geojson", "csv")


def _date_param(request: HttpRequest, name: str, *, default: date, latest: date) -> date:
    """The date in `?name=YYYY-MM-DD`, or `default`; InputError with a clear message otherwise."""
    return date_input(query_text(request.GET, name), name, default=default, latest=latest)


def _plan_date(request: HttpRequest, today: date) -> date:
    return _date_param(request, "date", default=today, latest=today + timedelta(PLAN_DAYS_AHEAD))


def _bad_request(request: HttpRequest, municipality: Municipality, message: str) -> HttpResponse:
    return render(
        request,
        "geoapp/dengue/bad_request.html",
        {"municipality": municipality, "message": message},
        status=400,
    )


def _nav(request: HttpRequest, municipality: Municipality) -> dict:
    return {"can_record": can(request.user, municipality, Action.EDIT_CASES)}


# --- Dashboard ---------------------------------------------------------------------------------


@login_required
def dengue_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """Cases, clusters and active spray zones on a map, the epidemic curve and 3-3-1 timers."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_CASES_EXACT)
    today = timezone.localdate()
    try:
        as_of = _date_param(request, "as_of", default=today, latest=today)
    except InputError as error:
        return _bad_request(request, municipality, str(error))
    situation = dengue.dengue_situation(municipality=municipality, on=as_of)
    context, frames = pages.dashboard_context(situation, as_of=as_of)
    context |= larval.dashboard_larval_context(situation, now=dengue.timers_now(as_of))
    context |= {
        "municipality": municipality,
        "as_of": as_of,
        "today": today,
        "is_today": as_of == today,
        "map": _dashboard_map(request, situation, frames, as_of=as_of),
        "radius_m": municipality.spray_radius_m,
        **_nav(request, municipality),
    }
    return render(request, "geoapp/dengue/dashboard.html", context)


def _dashboard_map(
    request: HttpRequest, situation, frames: Callable[[], DengueFrames], *, as_of: date
) -> dict[str, str]:
    """The dashboard map, rendered once per situation (its versions), roads, language and day."""
    if not situation.cache_key:
        fmap = dengue_map(frames(), _map_options(as_of=as_of))
        return map_fragments(fmap, script_nonce=request.csp_nonce)
    municipality = situation.municipality
    roads = layer_versions(municipality_id=municipality.pk, layers=["roads"])
    # Residents' breeding-site reports are drawn too: a new or changed one renews the map.
    sites = feed_version(municipality=municipality, feed=ReportFeed.BREEDING_SITE)
    return cached_map_fragments(
        "dengue-map",
        municipality_id=municipality.pk,
        tier="exact",
        version=f"{situation.cache_key}|{roads}|{sites}",
        build=lambda: dengue_map(frames(), _map_options(as_of=as_of)),
        nonce=request.csp_nonce,
        extra=[f"{as_of:%Y%m%d}"],
    )


def _map_options(*, as_of: date) -> DengueMapOptions:
    """The dashboard map's labels, assets and basemap."""
    return DengueMapOptions(
        labels=_map_labels(),
        landmark_category_labels=pages.category_labels(),
        as_of=as_of,
        assets=map_assets(),
        attribution=str(ATTRIBUTION),
        basemap_url=settings.MUEANG_BASEMAP_URL,
        basemap_attribution=settings.MUEANG_BASEMAP_ATTRIBUTION,
    )


def _map_labels() -> dict[str, str]:
    return {
        "basemap": _("Basemap"),
        "boundary": _("Municipal boundary"),
        # The layers the map draws (the keys its code uses), as the registry labels them.
        **{name: str(layer_get(name).label) for name in ("roads", "landmarks", "cases")},
        "zones": _("Active spray zones"),
        "clusters": _("Active clusters"),
        "areas_legend": _("Areas"),
        "cases_legend": _("Dengue cases: weeks since onset"),
        "cases_week_1": _("this week"),
        "cases_week_2": _("1 week ago"),
        "cases_week_4": _("2-3 weeks ago"),
        "cases_week_8": _("4-7 weeks ago"),
        f"cases_week_{10**6}": _("8 weeks or more"),
        "generated": _("generated data (not a real patient)"),
        "name_th": _("Name (Thai)"),
        "name_en": _("Name (English)"),
        "category_label": _("Category"),
        "zone_name": _("Spray zone"),
        "cluster_label": _("Cluster"),
        "n_cases": _("Cases"),
        "first_onset": _("First onset"),
        "last_onset": _("Last onset"),
        "closes_on": _("Zone closes on"),
        "n_households": _("Households inside"),
        "landmarks_text": _("Landmarks inside"),
        "case_label": _("Case"),
        "onset_label": _("Onset date"),
        "report_label": _("Report date"),
        "diagnosis": _("Diagnosis"),
        "weeks": _("Weeks since onset"),
        "breeding_sites": _("Breeding sites reported by residents"),
        "site_label": _("Report"),
        "site_category": _("Category"),
        "site_status": _("Status"),
        "site_reported": _("Reported"),
    }


# --- Radius ------------------------------------------------------------------------------------


@login_required
def dengue_radius(request: HttpRequest, code: str) -> HttpResponse:
    """The recommended spraying radius from this city's cases, its evidence and its cost.

    The quick analysis (199 reshuffles, four radii) renders at once for a city of the demo's
    size. The full backtest (every radius from 50 to 400 m, 999 reshuffles), and the whole
    analysis where the case history is too long to wait for, run as a background job: POST
    queues it, `?job=<id>` shows its live progress bar and then its result on this page.
    """
    municipality = municipality_requiring(request.user, code, Action.VIEW_CASES_EXACT)
    today = timezone.localdate()
    if request.method == "POST":
        return _radius_job_submit(request, municipality, today)
    if request.GET.get("job"):
        return _radius_job_page(request, municipality, request.GET["job"])
    n_cases = DengueCase.objects.filter(municipality=municipality, report_date__lte=today).count()
    if n_cases > settings.MUEANG_RADIUS_SYNC_MAX_CASES:
        return render(
            request,
            "geoapp/dengue/radius_job.html",
            {"municipality": municipality, "n_cases": n_cases, **_radius_job_form()},
        )
    evidence = dengue.dengue_radius_evidence(municipality=municipality, known_on=today)
    return render(
        request,
        "geoapp/dengue/radius.html",
        {**_radius_context(request, municipality, evidence), **_radius_job_form()},
    )


def _radius_job_form() -> dict:
    return {
        "full_radii": [int(r) for r in FULL_BACKTEST_RADII_M],
        "full_permutations": FULL_BACKTEST_PERMUTATIONS,
    }


def _radius_job_submit(request: HttpRequest, municipality: Municipality, today: date):
    """Queue the full radius analysis for this city and show its progress."""
    job = jobs.submit(
        "recommended-radius",
        municipality=municipality,
        user=request.user,
        params={
            "known_on": today.isoformat(),
            "radii_m": list(FULL_BACKTEST_RADII_M),
            "permutations": FULL_BACKTEST_PERMUTATIONS,
            "seed": dengue.RADIUS_SEED,
        },
    )
    url = reverse("dengue-radius", kwargs={"code": municipality.code})
    return redirect(f"{url}?job={job.pk}")


def _radius_job_page(request: HttpRequest, municipality: Municipality, job_id: str):
    """A radius job: its progress bar while it runs, the radius page of its result once done."""
    try:
        key = uuid.UUID(job_id)
    except ValueError:
        raise Http404("No such job") from None
    job = (
        Job.objects.filter(municipality=municipality, pk=key, kind="recommended-radius")
        .select_related("user", "municipality")
        .first()
    )
    if job is None or not jobs.may_see(request.user, job):
        raise Http404("No such job")
    if job.status == JobStatus.SUCCEEDED and "advice" not in job.result:
        # A result of the analysis before the out-of-sample backtest: run it again.
        return render(
            request,
            "geoapp/dengue/radius_job.html",
            {"municipality": municipality, "outdated": job, **_radius_job_form()},
        )
    if job.status == JobStatus.SUCCEEDED:
        evidence = {
            **job.result,
            "first_onset": _iso_date(job.result.get("first_onset")),
            "last_onset": _iso_date(job.result.get("last_onset")),
        }
        context = _radius_context(request, municipality, evidence)
        return render(
            request, "geoapp/dengue/radius.html", {**context, **_radius_job_form(), "job": job}
        )
    state = jobs.as_json(job, links=job_links(job))
    return render(
        request,
        "geoapp/dengue/radius_job.html",
        {"municipality": municipality, "job": job, "state": state, **_radius_job_form()},
    )


def _iso_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _radius_context(request: HttpRequest, municipality: Municipality, evidence: dict) -> dict:
    return {
        "municipality": municipality,
        **radius.radius_context(evidence),
        **_nav(request, municipality),
    }


# --- Spray plan --------------------------------------------------------------------------------


@login_required
def dengue_spray_plan(request: HttpRequest, code: str) -> HttpResponse:
    """Zones due for a round on a date (and overdue ones); exports; recording a round as done."""
    action = Action.EDIT_CASES if request.method == "POST" else Action.VIEW_CASES_EXACT
    municipality = municipality_requiring(request.user, code, action)
    today = timezone.localdate()
    if request.method == "POST":
        return _spray_round_record(request, municipality, today)
    try:
        on = _plan_date(request, today)
        output = _format_param(request)
    except InputError as error:
        return _bad_request(request, municipality, str(error))
    situation = dengue.dengue_situation(municipality=municipality, on=on)
    # Files leave the health officers' screen: their zones do not point at case houses.
    plan = dengue.spray_plan(situation, published=output in ("geojson", "csv"))
    if output == "geojson":
        return _plan_geojson(municipality, plan)
    if output == "csv":
        return _plan_csv(municipality, plan)
    return _plan_page(request, municipality, plan, today=today)


def _format_param(request: HttpRequest) -> str:
    value = (query_text(request.GET, "format") or "html").lower()
    return choice_input(
        value,
        "format",
        EXPORT_FORMATS,
        default="html",
        message=gettext_lazy(
            "Unknown format “%(value)s”: use geojson or csv (or leave it out for the page)."
        ),
        args={"value": value[:40]},
    )


def _plan_page(request, municipality, plan, *, today, form=None, form_key=None, status=200):
    rounds = []
    for entry in plan.rounds:
        bound = form if form is not None and form_key == entry.zone.key else None
        rounds.append(
            {
                "entry": entry,
                "landmarks": [
                    (name, pages.category_labels().get(category, category))
                    for name, category in entry.zone.landmarks
                ],
                "form": bound or _record_form(entry, on=plan.on, today=today),
                "recorded": [
                    (r, reverse("dengue-spray-round", args=[municipality.code, r.pk]))
                    for r in entry.recorded
                ],
                "days_late": (plan.on - entry.planned_date).days,
            }
        )
    counts = {"due": plan.count("due"), "overdue": plan.count("overdue"), "done": plan.n_sprayed}
    return render(
        request,
        "geoapp/dengue/spray_plan.html",
        {
            "municipality": municipality,
            "plan": plan,
            "rounds": rounds,
            "counts": counts,
            "today": today,
            "previous_day": plan.on - timedelta(days=1),
            "next_day": plan.on + timedelta(days=1),
            "round_days": ", ".join(str(d) for d in plan.round_days),
            "unplaced_form": form if form is not None and form_key is None else None,
            **_nav(request, municipality),
        },
        status=status,
    )


def _recordable(entry) -> list[tuple[int, date]]:
    """Rounds of a plan entry a team may record, in order: the missed ones and the one to do."""
    return sorted([(entry.round_number, entry.planned_date), *entry.missed])


def _record_form(entry, *, on: date, today: date) -> SprayRoundForm:
    """The form to record a zone's round: the next round due, the zone's households targeted."""
    number, planned = entry.next_due or (entry.round_number, entry.planned_date)
    return SprayRoundForm(
        initial={
            "zone_key": entry.zone.key,
            "round": round_value(number, planned),
            "done_on": min(on, today),
            "households_targeted": entry.zone.n_households,
        },
        rounds=_recordable(entry),
    )


def _spray_round_record(request: HttpRequest, municipality: Municipality, today: date):
    """Record a round as done (POST to the plan of a date), then show that plan again.

    The round must belong to the current cycle of the zone on the plan's date.
    """
    try:
        on = _plan_date(request, today)
    except InputError as error:
        return _bad_request(request, municipality, str(error))
    situation = dengue.dengue_situation(municipality=municipality, on=on)
    cycle = dengue.zone_round_cycle(situation, request.POST.get("zone_key", ""))
    rounds = [(n, planned) for n, planned, _done in cycle or []]
    form = SprayRoundForm(request.POST, rounds=rounds, zone_open=cycle is not None)
    if not form.is_valid():
        return _record_failed(request, municipality, situation, form, today)
    try:
        spray_round = spray_round_record(
            municipality=municipality, user=request.user, **form.record_args()
        )
    except ValidationError as error:
        form.add_model_errors(error)
        return _record_failed(request, municipality, situation, form, today)
    messages.success(
        request,
        _("Round %(n)s of zone %(zone)s recorded as done on %(date)s by %(team)s.")
        % {
            "n": spray_round.round_number,
            "zone": spray_round.zone_key,
            "date": thai_date(spray_round.done_on),
            "team": spray_round.team,
        },
    )
    url = reverse("dengue-spray-plan", kwargs={"code": municipality.code})
    return redirect(f"{url}?date={on.isoformat()}")


def _record_failed(request, municipality, situation, form, today) -> HttpResponse:
    """Show the plan again with the form's errors next to its zone (400: nothing was saved)."""
    plan = dengue.spray_plan(situation)
    key = form.data.get("zone_key")
    known = {e.zone.key for e in plan.rounds}
    return _plan_page(
        request,
        municipality,
        plan,
        today=today,
        form=form,
        form_key=key if key in known else None,
        status=400,
    )


def _export_name(municipality: Municipality, plan, extension: str) -> str:
    return f"spray-plan-{municipality.code}-{plan.on.isoformat()}.{extension}"


def _plan_geojson(municipality: Municipality, plan) -> HttpResponse:
    """The plan as GeoJSON (EPSG:4326): zone outlines and what to cover, no case data."""
    name = _export_name(municipality, plan, "geojson")
    collection = pages.plan_feature_collection(
        plan, name=name, metric_srid=municipality.metric_srid
    )
    return geojson_response(collection, name)


def _plan_csv(municipality: Municipality, plan) -> HttpResponse:
    """The plan as CSV (UTF-8 with a byte-order mark, so Excel shows the Thai names)."""
    return csv_response(
        pages.CSV_COLUMNS, pages.plan_csv_rows(plan), _export_name(municipality, plan, "csv")
    )


# --- Work order --------------------------------------------------------------------------------


@login_required
def dengue_work_order(request: HttpRequest, code: str, zone_key: str) -> HttpResponse:
    """The printable A4 work order of one zone: map and lists, nothing about any patient."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_CASES_EXACT)
    today = timezone.localdate()
    try:
        on = _plan_date(request, today)
    except InputError as error:
        return _bad_request(request, municipality, str(error))
    situation = dengue.dengue_situation(municipality=municipality, on=on)
    order = dengue.work_order(situation, zone_key)
    if order is None:
        raise Http404("No such spray zone on this date")
    team = request.GET.get("team", "").strip()[:100]
    context = {
        "municipality": municipality,
        **pages.work_order_context(order),
        "reported_sites": pages.reported_site_rows(order, municipality=municipality, on=on),
        "larval_rows": larval.work_order_larval_rows(situation, zone_key),
        "on": on,
        "team": team or (order.done.team if order.done else ""),
        "radius_m": municipality.spray_radius_m,
    }
    return render(request, "geoapp/dengue/work_order.html", context)


def open_dengue_counts(request: HttpRequest, code: str) -> HttpResponse:
    """Public page: the weekly releases of dengue counts per subdistrict (no points)."""
    municipality = get_object_or_404(Municipality, code=code)
    # Releasing on view: a week due since the last visit is released now, once.
    dengue_releases.dengue_releases_publish(municipality=municipality, today=timezone.localdate())
    table = dengue_releases.open_dengue_table(municipality=municipality)
    return render(
        request, "geoapp/open_dengue.html", {"municipality": municipality, "table": table}
    )


# --- A recorded round: correct or withdraw -----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dengue_spray_round(request: HttpRequest, code: str, round_id: int) -> HttpResponse:
    """A recorded round: its report, its corrections; correct it or withdraw it (POST)."""
    action = Action.EDIT_CASES if request.method == "POST" else Action.VIEW_CASES_EXACT
    municipality = municipality_requiring(request.user, code, action)
    spray_round = dengue.spray_round_get(municipality=municipality, round_id=round_id)
    if spray_round is None:
        raise Http404("No such spray round")
    initial = {field: getattr(spray_round, field) for field in ROUND_REPORT_FIELDS}
    correct = SprayRoundCorrectForm(initial=initial)
    withdraw = SprayRoundWithdrawForm()
    if request.method == "POST":
        kind = request.POST.get("action")
        if kind not in ("correct", "withdraw"):
            return _bad_request(request, municipality, _("Say whether to correct or withdraw."))
        result = (_round_correct if kind == "correct" else _round_withdraw)(request, spray_round)
        if isinstance(result, HttpResponse):
            return result
        if kind == "correct":
            correct = result
        else:
            withdraw = result
    return render(
        request,
        "geoapp/dengue/spray_round.html",
        {
            "municipality": municipality,
            "round": spray_round,
            "changes": _change_rows(spray_round),
            "correct": correct,
            "withdraw": withdraw,
            **_nav(request, municipality),
        },
        status=400 if request.method == "POST" else 200,
    )


def _change_rows(spray_round) -> list[tuple]:
    """(change, [(field label, value before)]) of a round's corrections, oldest first."""
    labels = {f.name: str(f.verbose_name) for f in SprayRound._meta.fields}
    return [
        (change, [(labels.get(name, name), value) for name, value in change.before.items()])
        for change in dengue.spray_round_changes(spray_round)
    ]


def _round_page_url(spray_round) -> str:
    return reverse("dengue-spray-round", args=[spray_round.municipality.code, spray_round.pk])


def _round_correct(request: HttpRequest, spray_round):
    """Correct the round: a redirect to its page, or the form with its errors."""
    form = SprayRoundCorrectForm(request.POST)
    if not form.is_valid():
        return form
    try:
        spray_round_correct(
            spray_round=spray_round,
            user=request.user,
            reason=form.cleaned_data["reason"],
            **form.report_args(),
        )
    except ValidationError as error:
        form.add_model_errors(error)
        return form
    messages.success(request, _("The round was corrected."))
    return redirect(_round_page_url(spray_round))


def _round_withdraw(request: HttpRequest, spray_round):
    """Withdraw the round: a redirect to its page, or the form with its errors."""
    form = SprayRoundWithdrawForm(request.POST)
    if not form.is_valid():
        return form
    try:
        spray_round_withdraw(
            spray_round=spray_round, user=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        form.add_error(None, error.messages)
        return form
    messages.success(request, _("The round was withdrawn: it no longer counts as done."))
    return redirect(_round_page_url(spray_round))
