"""Dengue pages for health officers: dashboard, radius evidence, spray plan and work orders.

Also the public page of weekly dengue counts (`open_dengue_counts`, no login).
Views are thin: check the role, parse the input (a bad date or format answers 400 with a clear
message), call `layers.dengue.selectors`, build the figures, render.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import date, timedelta

import geopandas as gpd
import shapely
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from geoapp.dengue.forms import SprayRoundForm, round_value
from geoapp.dengue.maps import (
    DengueFrames,
    DengueMapOptions,
    ZoneSketch,
    dengue_map,
    epi_curve_svg,
    ring_chart_svg,
    running_excess_svg,
    zone_sketch_svg,
)
from geoapp.jobs import queue as jobs
from geoapp.jobs.processes import FULL_BACKTEST_PERMUTATIONS, FULL_BACKTEST_RADII_M
from geoapp.jobs.views import job_links
from geoapp.models import Job, JobStatus
from geoapp.templatetags.thaidate import thai_date
from geoapp.web.maps import ATTRIBUTION, map_fragments
from geoapp.web.page_maps import map_assets
from geoapp.web.permissions import Action, can, municipality_requiring
from layers import selectors
from layers.csv_safe import SafeDictWriter
from layers.dengue import releases as dengue_releases
from layers.dengue import selectors as dengue
from layers.dengue.services import spray_round_record
from layers.models import WGS84, DengueCase, Landmark, Municipality
from layers.registry import layer_get

EARLIEST_DATE = date(2000, 1, 1)
#: The spray plan may look this far ahead (planning next week's rounds).
PLAN_DAYS_AHEAD = 60
EXPORT_FORMATS = ("html", "geojson", "csv")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadInput(Exception):
    """A query parameter the page cannot use; the message says what to send instead."""


def _date_param(request: HttpRequest, name: str, *, default: date, latest: date) -> date:
    """The date in `?name=YYYY-MM-DD`, or `default`; BadInput with a clear message otherwise."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    example = default.isoformat()
    if not _ISO_DATE.match(raw):
        raise BadInput(
            _("“%(value)s” is not a date: write %(name)s as YYYY-MM-DD, for example %(example)s.")
            % {"value": raw[:40], "name": name, "example": example}
        )
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadInput(
            _(
                "%(value)s is not a date of the calendar: write %(name)s as YYYY-MM-DD, "
                "for example %(example)s."
            )
            % {"value": raw, "name": name, "example": example}
        ) from None
    if value.year > 2400:
        raise BadInput(
            _(
                "The year %(year)s looks like a Buddhist-era year: subtract 543 "
                "(for example %(example)s)."
            )
            % {"year": value.year, "example": example}
        )
    if not EARLIEST_DATE <= value <= latest:
        raise BadInput(
            _("%(name)s must lie between %(first)s and %(last)s.")
            % {"name": name, "first": EARLIEST_DATE.isoformat(), "last": latest.isoformat()}
        )
    return value


def _bad_request(request: HttpRequest, municipality: Municipality, message: str) -> HttpResponse:
    return render(
        request,
        "geoapp/dengue/bad_request.html",
        {"municipality": municipality, "message": message},
        status=400,
    )


def _category_labels() -> dict[str, str]:
    return {k: str(v) for k, v in Landmark.Category.choices}


def _landmarks_text(landmarks: list[tuple[str, str]]) -> str:
    """`วัดท่าโพธิ์ (วัด), โรงเรียน... (โรงเรียน)`: names with their category."""
    labels = _category_labels()
    return ", ".join(
        f"{name} ({labels.get(category, category)})" if name else labels.get(category, category)
        for name, category in landmarks
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
    except BadInput as error:
        return _bad_request(request, municipality, str(error))
    situation = dengue.dengue_situation(municipality=municipality, on=as_of)
    clusters = dengue.cluster_summaries(situation)
    timers = dengue.case_timers(situation, now=dengue.timers_now(as_of))
    curve = dengue.epi_curve(situation)
    zone_landmarks = dengue.zone_landmarks(situation)
    fmap = dengue_map(
        _dashboard_frames(situation, clusters, zone_landmarks), _map_options(as_of=as_of)
    )
    active_zones = situation.active_zones
    context = {
        "municipality": municipality,
        "as_of": as_of,
        "today": today,
        "is_today": as_of == today,
        "map": map_fragments(fmap, script_nonce=request.csp_nonce),
        "n_cases": len(situation.cases),
        "n_recent": int((situation.cases["onset_date"].dt.date > as_of - timedelta(days=28)).sum()),
        "cluster_rows": [
            (c, [(name, _category_labels().get(cat, cat)) for name, cat in c.landmarks])
            for c in clusters
        ],
        "active_clusters": [c for c in clusters if c.active],
        "zones": [
            {
                "key": zone.key,
                "n_cases": int(zone.n_cases),
                "first_onset": zone.first_onset.date(),
                "last_onset": zone.last_onset.date(),
                "closes_on": zone.closes_on.date(),
                "n_households": int(zone.n_households),
                "landmarks": _landmarks_text(zone_landmarks.get(int(zone.zone_id), [])),
            }
            for zone in active_zones.itertuples()
        ],
        "timers": timers,
        "n_flagged": sum(1 for t in timers if t.flagged),
        "n_investigation_flagged": sum(1 for t in timers if t.investigation.flagged),
        "n_spraying_flagged": sum(1 for t in timers if t.spraying.flagged),
        "epi_curve": epi_curve_svg(
            curve,
            label_for=thai_date,
            labels={
                "title": _("Dengue cases per week of onset"),
                "bar": _("Week from {week}: {n} cases"),
            },
            partial_last_week=True,
        ),
        "epi_weeks": curve,
        "radius_m": municipality.spray_radius_m,
        **_nav(request, municipality),
    }
    return render(request, "geoapp/dengue/dashboard.html", context)


def _dashboard_frames(situation, clusters, zone_landmarks) -> DengueFrames:
    municipality = situation.municipality
    cases = situation.cases.to_crs(WGS84)
    cases["case_label"] = [f"#{pk}" for pk in cases["id"]]
    cases["onset_label"] = [thai_date(d.date()) for d in cases["onset_date"]]
    cases["report_label"] = [thai_date(d.date()) for d in cases["report_date"]]
    cases["onset_date"] = cases["onset_date"].dt.date
    zones = situation.active_zones.to_crs(WGS84)
    zone_frame = gpd.GeoDataFrame(
        {
            "id": list(zones["key"]),
            "zone_key": list(zones["key"]),
            "n_cases": list(zones["n_cases"]),
            "first_onset": [thai_date(d.date()) for d in zones["first_onset"]],
            "last_onset": [thai_date(d.date()) for d in zones["last_onset"]],
            "closes_on": [thai_date(d.date()) for d in zones["closes_on"]],
            "n_households": list(zones["n_households"]),
            "landmarks_text": [
                _landmarks_text(zone_landmarks.get(int(z), [])) or "-" for z in zones["zone_id"]
            ],
        },
        geometry=list(zones.geometry),
        crs=WGS84,
    )
    active = [c for c in clusters if c.active]
    cluster_frame = gpd.GeoDataFrame(
        {
            "id": [c.cluster_id for c in active],
            "cluster_label": [_("Cluster %(n)s") % {"n": c.cluster_id + 1} for c in active],
            "n_cases": [c.n_cases for c in active],
            "first_onset": [thai_date(c.first_onset) for c in active],
            "last_onset": [thai_date(c.last_onset) for c in active],
            "landmarks_text": [_landmarks_text(c.landmarks) or "-" for c in active],
        },
        geometry=gpd.GeoSeries([c.area for c in active], crs=situation.cases.crs).to_crs(WGS84),
        crs=WGS84,
    )
    return DengueFrames(
        boundary=selectors.boundary_frame(municipality=municipality),
        roads=_orientation_roads(municipality),
        landmarks=situation.landmarks.to_crs(WGS84),
        zones=zone_frame,
        clusters=cluster_frame,
        cases=cases,
    )


def _orientation_roads(municipality: Municipality) -> gpd.GeoDataFrame:
    """Roads for orientation only: simplified to 3 m (in the metric CRS) to keep the page light."""
    roads = selectors.road_frame(municipality=municipality)
    metric = roads.geometry.to_crs(municipality.metric_srid).simplify(3.0)
    return roads.set_geometry(metric.to_crs(WGS84))


def _map_options(*, as_of: date) -> DengueMapOptions:
    labels = {
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
        "zone_key": _("Spray zone"),
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
    }
    return DengueMapOptions(
        assets=map_assets(),
        labels=labels,
        landmark_category_labels=_category_labels(),
        attribution=ATTRIBUTION,
        as_of=as_of,
        basemap_url=settings.MUEANG_BASEMAP_URL,
        basemap_attribution=settings.MUEANG_BASEMAP_ATTRIBUTION,
    )


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
    rec = evidence["recommendation"]
    sufficient = rec["evidence"] == "sufficient"
    costs = evidence["costs"]
    by_radius = {int(row["radius_m"]): row for row in costs}
    policy = int(evidence["policy_radius_m"])
    chosen_m = int(rec["radius_m_90"])
    chosen = by_radius.get(chosen_m, by_radius.get(policy))
    backtests = {
        int(b["radius_m"]): _backtest_row(b, chosen_m=chosen_m, policy=policy)
        for b in evidence["backtests"]
    }
    marks = _chart_marks(rec, policy=policy, sufficient=sufficient)
    chart_labels = {"x_axis": _("distance between the two cases (m)")}
    return {
        "municipality": municipality,
        "rec": rec,
        "sufficient": sufficient,
        "insufficient_reason": _insufficiency_text(rec),
        "costs": [_cost_row(row) for row in costs],
        "chosen": _cost_row(chosen) if chosen else None,
        "policy_m": policy,
        "first_onset": evidence["first_onset"],
        "last_onset": evidence["last_onset"],
        "params": rec["parameters"],
        "ring_chart": ring_chart_svg(
            rec["rings"],
            labels={
                **chart_labels,
                "title": _("Case pairs one generation apart, by distance"),
                "ring": _("{start}-{end} m: {observed} pairs observed, {expected} expected"),
            },
            marks=marks,
            max_m=600,
        ),
        "running_chart": running_excess_svg(
            rec["rings"],
            labels={**chart_labels, "title": _("Running excess of case pairs, by distance")},
            marks=marks,
            max_m=600,
        ),
        "backtests": list(backtests.values()),
        "backtest_chosen": backtests.get(chosen_m),
        "backtest_policy": backtests.get(policy),
        "round_days": ", ".join(str(d) for d in evidence["round_days"]),
        **_nav(request, municipality),
    }


def _chart_marks(rec: dict, *, policy: int, sufficient: bool) -> list[tuple[float, str, str]]:
    """Vertical lines of the radius charts: the policy and the 80% and 90% radii, merged."""
    labels: dict[int, list[str]] = {policy: [_("current policy")]}
    if sufficient:
        labels.setdefault(int(rec["radius_m_80"]), []).append("80%")
        labels.setdefault(int(rec["radius_m_90"]), []).append("90%")
    return [
        (
            float(metres),
            _("%(m)s m: %(what)s") % {"m": metres, "what": ", ".join(parts)},
            "#52606d" if metres == policy else "#006d2c",
        )
        for metres, parts in sorted(labels.items())
    ]


def _cost_row(row: dict) -> dict:
    options = {
        "policy": _("current policy"),
        "recommended 80%": _("recommended (80%)"),
        "recommended 90%": _("recommended (90%)"),
    }
    labels = [options.get(part.strip(), part.strip()) for part in str(row["option"]).split(",")]
    return {
        "radius_m": int(row["radius_m"]),
        "option": ", ".join(label for label in labels if label),
        "n_zones": int(row["n_zones"]),
        "area_km2": row["area_m2"] / 1e6,
        "ratio": row["area_ratio_to_policy"],
        "n_households": row.get("n_households"),
    }


def _backtest_row(result: dict, *, chosen_m: int, policy: int) -> dict:
    radius = int(result["radius_m"])
    tags = []
    if radius == policy:
        tags.append(_("current policy"))
    if radius == chosen_m and radius != policy:
        tags.append(_("recommended"))
    return {**result, "radius_m": radius, "option": ", ".join(tags)}


def _insufficiency_text(rec: dict) -> str:
    """Why the data cannot tell, in words an officer reads (the analysis gives an English code)."""
    if rec["evidence"] == "sufficient":
        return ""
    params = rec["parameters"]
    if rec["n_cases"] < params["min_cases"]:
        return _("there are only %(n)s cases; at least %(min)s are needed") % {
            "n": rec["n_cases"],
            "min": params["min_cases"],
        }
    if rec["n_window_pairs"] < params["min_pairs"]:
        return _(
            "only %(n)s pairs of cases fell ill 8-22 days apart within 1 km of each other; "
            "at least %(min)s are needed"
        ) % {"n": rec["n_window_pairs"], "min": params["min_pairs"]}
    if rec["peak_excess"] <= 0:
        return _("cases one generation apart are no closer to each other than chance would give")
    return _(
        "cases one generation apart are a little closer than chance would give, but not more than "
        "random reshuffles of the dates also give (p = %(p)s)"
    ) % {"p": f"{rec['p_value']:.2f}" if rec["p_value"] is not None else "-"}


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
        on = _date_param(request, "date", default=today, latest=today + timedelta(PLAN_DAYS_AHEAD))
        output = _format_param(request)
    except BadInput as error:
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
    value = request.GET.get("format", "html").strip().lower() or "html"
    if value not in EXPORT_FORMATS:
        raise BadInput(
            _("Unknown format “%(value)s”: use geojson or csv (or leave it out for the page).")
            % {"value": value[:40]}
        )
    return value


def _plan_page(request, municipality, plan, *, today, form=None, form_key=None, status=200):
    rounds = []
    for entry in plan.rounds:
        bound = form if form is not None and form_key == entry.zone.key else None
        rounds.append(
            {
                "entry": entry,
                "landmarks": [
                    (name, _category_labels().get(category, category))
                    for name, category in entry.zone.landmarks
                ],
                "form": bound
                or SprayRoundForm(
                    initial={
                        "zone_key": entry.zone.key,
                        "round": round_value(entry.round_number, entry.planned_date),
                        "done_on": min(plan.on, today),
                    },
                    rounds=_recordable(entry),
                ),
                "days_late": (plan.on - entry.planned_date).days,
            }
        )
    counts = {s: sum(1 for e in plan.rounds if e.status == s) for s in ("due", "overdue", "done")}
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
    """Rounds of a plan entry a team may record: the one to do and the earlier missed ones."""
    return [(entry.round_number, entry.planned_date), *entry.missed]


def _spray_round_record(request: HttpRequest, municipality: Municipality, today: date):
    """Record a round as done (POST to the plan of a date), then show that plan again.

    The round must belong to the current cycle of the zone on the plan's date.
    """
    try:
        on = _date_param(request, "date", default=today, latest=today + timedelta(PLAN_DAYS_AHEAD))
    except BadInput as error:
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


def _plan_rows(plan) -> list[dict]:
    """One row per planned round: what the page, the CSV and the GeoJSON all show."""
    labels = _category_labels()
    return [
        {
            "zone_key": e.zone.key,
            "round_number": e.round_number,
            "planned_date": e.planned_date.isoformat(),
            "status": e.status,
            "done_on": e.done.done_on.isoformat() if e.done else "",
            "team": e.done.team if e.done else "",
            "area_m2": round(e.zone.area_m2),
            "n_households": e.zone.n_households,
            "streets": e.zone.streets,
            "unnamed_streets": e.zone.unnamed_streets,
            "landmarks": [
                {
                    "name": name,
                    "category": category,
                    "category_label": labels.get(category, category),
                }
                for name, category in e.zone.landmarks
            ],
        }
        for e in plan.rounds
    ]


def _export_name(municipality: Municipality, plan, extension: str) -> str:
    return f"spray-plan-{municipality.code}-{plan.on.isoformat()}.{extension}"


def _plan_geojson(municipality: Municipality, plan) -> HttpResponse:
    """The plan as GeoJSON (EPSG:4326): zone outlines and what to cover, no case data."""
    rows = _plan_rows(plan)
    outlines = gpd.GeoSeries([e.zone.geometry for e in plan.rounds], crs=municipality.metric_srid)
    outlines = shapely.set_precision(outlines.to_crs(WGS84).values, 1e-6)
    collection = {
        "type": "FeatureCollection",
        "name": _export_name(municipality, plan, "geojson"),
        "features": [
            {
                "type": "Feature",
                "properties": row,
                "geometry": json.loads(shapely.to_geojson(geometry)),
            }
            for row, geometry in zip(rows, outlines, strict=True)
        ],
    }
    response = JsonResponse(
        collection, json_dumps_params={"ensure_ascii": False}, content_type="application/geo+json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{_export_name(municipality, plan, "geojson")}"'
    )
    return response


CSV_COLUMNS = ("zone_key", "round_number", "planned_date", "status", "done_on", "team", "area_m2",
               "n_households", "streets", "unnamed_streets", "landmarks")  # fmt: skip


def _plan_csv(municipality: Municipality, plan) -> HttpResponse:
    """The plan as CSV (UTF-8 with a byte-order mark, so Excel shows the Thai names)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = SafeDictWriter(buffer, fieldnames=CSV_COLUMNS)  # formula-like text escaped
    writer.writeheader()
    for row in _plan_rows(plan):
        writer.writerow(
            {
                **row,
                "streets": "; ".join(row["streets"]),
                "landmarks": "; ".join(
                    f"{m['name']} ({m['category_label']})" if m["name"] else m["category_label"]
                    for m in row["landmarks"]
                ),
            }
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_export_name(municipality, plan, "csv")}"'
    )
    return response


# --- Work order --------------------------------------------------------------------------------


# Named streets listed on the A4 work order; the rest are counted (the sketch draws them all).
STREETS_ON_PAPER = 8


@login_required
def dengue_work_order(request: HttpRequest, code: str, zone_key: str) -> HttpResponse:
    """The printable A4 work order of one zone: map and lists, nothing about any patient."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_CASES_EXACT)
    today = timezone.localdate()
    try:
        on = _date_param(request, "date", default=today, latest=today + timedelta(PLAN_DAYS_AHEAD))
    except BadInput as error:
        return _bad_request(request, municipality, str(error))
    situation = dengue.dengue_situation(municipality=municipality, on=on)
    order = dengue.work_order(situation, zone_key)
    if order is None:
        raise Http404("No such spray zone on this date")
    labels = _category_labels()
    landmarks = order.landmarks.assign(number=range(1, len(order.landmarks) + 1))
    sketch = zone_sketch_svg(
        ZoneSketch(
            zone=order.zone.geometry,
            roads=order.roads,
            buildings=order.buildings,
            landmarks=landmarks,
        ),
        labels={"sketch_title": _("Map of the spray zone"), "metres": _("m"), "north": _("N")},
    )
    team = request.GET.get("team", "").strip()[:100]
    streets = list(order.zone.streets)
    return render(
        request,
        "geoapp/dengue/work_order.html",
        {
            "municipality": municipality,
            "order": order,
            # One A4 sheet: the longest names first would be arbitrary, so the first in the
            # zone's order, and how many more (the sketch shows them all).
            "streets": streets[:STREETS_ON_PAPER],
            "more_streets": max(0, len(streets) - STREETS_ON_PAPER),
            "on": on,
            "team": team or (order.done.team if order.done else ""),
            "sketch": sketch,
            "landmarks": [
                (
                    row.number,
                    row.name_th or row.name_en or "-",
                    labels.get(row.category, row.category),
                )
                for row in landmarks.itertuples()
            ],
            "radius_m": municipality.spray_radius_m,
            "area_rai": order.zone.area_m2 / 1600,
        },
    )


def open_dengue_counts(request: HttpRequest, code: str) -> HttpResponse:
    """Public page: the weekly releases of dengue counts per subdistrict (no points)."""
    municipality = get_object_or_404(Municipality, code=code)
    # Releasing on view: a week due since the last visit is released now, once.
    dengue_releases.dengue_releases_publish(municipality=municipality, today=timezone.localdate())
    table = dengue_releases.open_dengue_table(municipality=municipality)
    return render(
        request, "geoapp/open_dengue.html", {"municipality": municipality, "table": table}
    )
