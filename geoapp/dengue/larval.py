"""Larval surveys on the office's pages (issue 18, office side).

Indices per zone and round, the larval page, exports and the risk bands page.

Who sees what: health officers and admins (`VIEW_CASES_EXACT`) see each zone by its key,
the 3-3-1 progress and the houses where larvae were found; other staff (`VIEW_CASES_MASKED`)
see the indices per place, subdistrict and municipality and the zones as coloured published
outlines (`published_zone_outlines`, which do not point at a case house), never a house.
Volunteers see nothing here (they have the phone app). Nobody's name is on these pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import geopandas as gpd
import shapely
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from analysis.larval import LarvalIndices, RiskThresholds
from geoapp.dengue.larval_maps import LarvalMapOptions, larval_map
from geoapp.web.inputs import InputError, choice_input, date_input, integer_input, query_text
from geoapp.web.maps import ATTRIBUTION, map_fragments
from geoapp.web.page_maps import map_assets
from geoapp.web.permissions import Action, can, municipality_requiring
from geoapp.web.responses import csv_response, geojson_response
from layers.dengue import selectors as dengue
from layers.field.office import (
    ZoneOutline,
    larval_indices_by_zone_sql,
    positive_houses,
    repeat_visit_count,
    survey_rounds,
    zone_survey_progress,
)
from layers.field.selectors import larval_risk_bands
from layers.field.services import larval_risk_bands_save
from layers.field.sql import larval_indices_sql
from layers.models import LarvalRiskBands, Municipality, Subdistrict, SurveyPlace

MAX_ROUND = 99
EXPORT_FORMATS = ("html", "csv", "geojson")
EXPORT_LEVELS = ("zone", "place", "subdistrict")
#: Colours of the risk levels (the TanRabad app's green, yellow, red).
RISK_COLOURS = {"low": "#1a9641", "moderate": "#fdae61", "high": "#d7191c", None: "#969696"}


# --- Rows the templates and files show ---------------------------------------------------------


@dataclass(frozen=True)
class IndexRow:
    """One line of an index table: a label, a round (or all), counts, indices and risk."""

    label: str
    round_number: int | None
    indices: LarvalIndices
    index: str | None
    level: str | None
    geometry: object = None
    key: str = ""

    @property
    def hi(self) -> float | None:
        return _rounded(self.indices.hi)

    @property
    def ci(self) -> float | None:
        return _rounded(self.indices.ci)

    @property
    def bi(self) -> float | None:
        return _rounded(self.indices.bi)

    @property
    def level_label(self) -> str:
        return str(risk_labels().get(self.level, "-"))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def risk_labels() -> dict[str | None, str]:
    """The risk levels' names in the current language (None: places of both kinds mixed)."""
    return {
        "low": _("low"),
        "moderate": _("moderate"),
        "high": _("high"),
        None: _("no single band"),
    }


def _row(label, round_number, indices, thresholds, **extra) -> IndexRow:
    risk = indices.risk(thresholds)
    return IndexRow(
        label=label,
        round_number=round_number,
        indices=indices,
        index=risk["index"] if risk else None,
        level=risk["level"] if risk else None,
        **extra,
    )


# --- Zones of a situation ----------------------------------------------------------------------


def zone_outlines(situation, *, published: bool) -> list[ZoneOutline]:
    """The open zones of the situation in EPSG:4326, exact or as published."""
    zones = situation.active_zones
    if zones.empty:
        return []
    if published:
        outlines = dengue.published_zone_outlines(situation, [int(z) for z in zones["zone_id"]])
        by_zone = dict(zip(outlines["zone_id"], outlines.geometry, strict=True))
        geometry = gpd.GeoSeries([by_zone[z] for z in zones["zone_id"]], crs=zones.crs)
    else:
        geometry = zones.geometry.reset_index(drop=True)
    wgs = geometry.to_crs(4326)
    return [ZoneOutline(str(key), geom) for key, geom in zip(zones["key"], wgs.values, strict=True)]


def zone_rows(situation, *, thresholds, round_number=None, published=False) -> list[IndexRow]:
    """Indices of the houses inside each open zone, per survey round.

    The houses counted are those of the exact zone for everyone, so every role reads the same
    numbers; with ``published`` the outline drawn and exported is the published one.
    """
    outlines = zone_outlines(situation, published=False)
    shown = zone_outlines(situation, published=True) if published else outlines
    where = {zone.key: zone.geometry for zone in shown}
    found = larval_indices_by_zone_sql(
        municipality=situation.municipality, zones=outlines, round_number=round_number
    )
    return [
        _row(z.zone_key, z.round_number, z.indices, thresholds, geometry=where[z.zone_key],
             key=z.zone_key)
        for z in found
    ]  # fmt: skip


@dataclass(frozen=True)
class ZoneProgress:
    """A recent case's zone against the 3-3-1 clocks: surveys and spraying since the report."""

    zone_key: str
    reported_on: date
    n_cases: int
    households: int
    houses_surveyed: int
    houses_visited: int
    last_survey_day: date | None
    rounds_done: int
    rounds_due: int
    spray_due: date
    sprayed_on: date | None

    @property
    def sprayed_in_time(self) -> bool | None:
        return None if self.sprayed_on is None else self.sprayed_on <= self.spray_due

    @property
    def surveyed_share(self) -> int | None:
        if not self.households:
            return None
        return round(100 * min(self.houses_surveyed, self.households) / self.households)


def zone_progress(situation, *, now: datetime) -> list[ZoneProgress]:
    """For the zones of cases reported in the last 28 days: surveys and rounds since the report.

    The clocks are the dashboard's (`analysis.dengue.timers`): spraying is due by the day after
    the report; rounds due are the municipality's round days after the latest report.
    """
    cases = situation.cases
    window_start = situation.on - timedelta(days=dengue.TIMER_WINDOW_DAYS)
    recent = cases[cases["report_date"].dt.date > window_start]
    if recent.empty:
        return []
    zones = situation.zones.set_index("zone_id")
    outlines = {z.key: z for z in zone_outlines(situation, published=False)}
    tz = timezone.get_current_timezone()
    entries = []
    for zone_id, group in recent.groupby("zone_id"):
        zone = zones.loc[zone_id]
        reported = group["report_date"].min().date()
        outline = outlines.get(zone["key"]) or ZoneOutline(
            str(zone["key"]),
            gpd.GeoSeries([zone.geometry], crs=situation.zones.crs).to_crs(4326).iloc[0],
        )
        entries.append((outline, reported, len(group), int(zone["n_households"]), zone_id))
    progress = zone_survey_progress(
        municipality=situation.municipality,
        zones=[(o, datetime.combine(r, time(0, 0), tzinfo=tz)) for o, r, *_ in entries],
        until=now,
    )
    rows = []
    for outline, reported, n_cases, households, zone_id in entries:
        done = sorted(
            r.done_on
            for r in situation.rounds_of_zone(int(zone_id))
            if r.done_on and reported <= r.done_on <= situation.on
        )
        seen = progress[outline.key]
        rows.append(
            ZoneProgress(
                zone_key=outline.key,
                reported_on=reported,
                n_cases=n_cases,
                households=households,
                houses_surveyed=seen.houses_surveyed,
                houses_visited=seen.houses_visited,
                last_survey_day=seen.last_visit.astimezone(tz).date() if seen.last_visit else None,
                rounds_done=len(done),
                rounds_due=sum(
                    1 for d in situation.round_days if reported + timedelta(d) <= situation.on
                ),
                spray_due=reported + timedelta(days=1),
                sprayed_on=done[0] if done else None,
            )
        )  # fmt: skip
    return sorted(rows, key=lambda r: (r.reported_on, r.zone_key), reverse=True)


def dashboard_larval_context(situation, *, now: datetime) -> dict:
    """The dashboard's larval table (per open zone and round) and the 3-3-1 progress."""
    thresholds = larval_risk_bands(municipality=situation.municipality)
    return {
        "larval_zone_rows": zone_rows(situation, thresholds=thresholds),
        "larval_progress": zone_progress(situation, now=now),
        "larval_thresholds": thresholds,
    }


def work_order_larval_rows(situation, zone_key: str) -> list[IndexRow]:
    """The indices of one zone (any of its keys), per round, for its work order."""
    thresholds = larval_risk_bands(municipality=situation.municipality)
    zone_id = dengue.zone_id_for_key(situation, zone_key)
    if zone_id is None:
        return []
    key = str(situation.zones.loc[situation.zones["zone_id"] == zone_id, "key"].iloc[0])
    return [row for row in zone_rows(situation, thresholds=thresholds) if row.key == key]


# --- The larval page ---------------------------------------------------------------------------


def _round_param(request: HttpRequest) -> int | None:
    raw = query_text(request.GET, "round")
    return integer_input(
        raw or None,
        "round",
        default=None,
        low=1,
        high=MAX_ROUND,
        message=gettext_lazy("The round must be a whole number from %(low)s to %(high)s."),
    )


def _choice(request: HttpRequest, name: str, choices, default: str) -> str:
    value = (query_text(request.GET, name) or default).lower()
    return choice_input(
        value,
        name,
        choices,
        default=default,
        message=gettext_lazy("“%(value)s” is not one of %(choices)s."),
    )


def _level_rows(municipality, *, by: str, round_number, thresholds) -> list[IndexRow]:
    """Per place or subdistrict, summed in PostGIS (names are shown, never parsed as data)."""
    _total, groups = larval_indices_sql(municipality=municipality, by=by, round_number=round_number)
    names = {}
    if by == "subdistrict":
        names = dict(
            Subdistrict.objects.filter(municipality=municipality).values_list("code", "name_th")
        )
    where = {}
    if by == "place":
        where = {
            p.name: p.geom
            for p in SurveyPlace.objects.filter(municipality=municipality, geom__isnull=False)
        }
    rows = []
    for value, indices in groups:
        label = names.get(value, value) if by == "subdistrict" else value
        geom = where.get(value)
        rows.append(
            _row(
                str(label or _("no subdistrict")),
                round_number,
                indices,
                thresholds,
                key=str(value or ""),
                geometry=shapely.from_wkb(bytes(geom.wkb)) if geom is not None else None,
            )
        )
    return rows


@login_required
def dengue_larval(request: HttpRequest, code: str) -> HttpResponse:
    """HI, CI and BI per zone, place, subdistrict and the municipality, by round; exports."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_CASES_MASKED)
    health = can(request.user, municipality, Action.VIEW_CASES_EXACT)
    today = timezone.localdate()
    try:
        round_number = _round_param(request)
        on = date_input(query_text(request.GET, "date"), "date", default=today, latest=today)
        output = _choice(request, "format", EXPORT_FORMATS, "html")
        level = _choice(request, "level", EXPORT_LEVELS, "zone")
    except InputError as error:
        return render(
            request,
            "geoapp/dengue/bad_request.html",
            {"municipality": municipality, "message": str(error)},
            status=400,
        )
    thresholds = larval_risk_bands(municipality=municipality)
    situation = dengue.dengue_situation(municipality=municipality, on=on)
    zones = zone_rows(
        situation, thresholds=thresholds, round_number=round_number, published=not health
    )
    if not health:  # the zones' keys name cases' zones: other staff see them unnamed
        zones = [
            _row(_("Zone %(n)s") % {"n": i}, z.round_number, z.indices, thresholds,
                 geometry=z.geometry)
            for i, z in enumerate(zones, start=1)
        ]  # fmt: skip
    if output != "html":
        return _export(municipality, output, level, round_number, thresholds, zones)
    total, _groups = larval_indices_sql(municipality=municipality, round_number=round_number)
    places = _level_rows(municipality, by="place", round_number=round_number, thresholds=thresholds)
    houses = positive_houses(municipality=municipality, round_number=round_number) if health else []
    fmap = larval_map(
        zones=zones,
        places=places,
        houses=houses,
        options=_map_options(municipality),
    )
    context = {
        "municipality": municipality,
        "health": health,
        "round_number": round_number,
        "rounds": survey_rounds(municipality=municipality),
        "on": on,
        "today": today,
        "thresholds": thresholds,
        "total_rows": [_row(_("Whole municipality"), round_number, total, thresholds)],
        "export_levels": [
            ("zone", _("Spray zones")),
            ("place", _("Places")),
            ("subdistrict", _("Subdistricts")),
        ],
        "repeat_visits": repeat_visit_count(municipality=municipality, round_number=round_number),
        "zones": zones,
        "places": places,
        "subdistricts": _level_rows(
            municipality, by="subdistrict", round_number=round_number, thresholds=thresholds
        ),
        "n_positive_houses": len(houses),
        "map": map_fragments(fmap, script_nonce=request.csp_nonce),
        "can_edit_bands": can(request.user, municipality, Action.EDIT_CASES),
        "can_record": can(request.user, municipality, Action.EDIT_CASES),
    }
    return render(request, "geoapp/dengue/larval.html", context)


def _map_options(municipality: Municipality) -> LarvalMapOptions:
    from django.conf import settings

    from layers import selectors

    return LarvalMapOptions(
        assets=map_assets(),
        attribution=ATTRIBUTION,
        boundary=selectors.boundary_frame(municipality=municipality),
        basemap_url=settings.MUEANG_BASEMAP_URL,
        basemap_attribution=settings.MUEANG_BASEMAP_ATTRIBUTION,
        labels={
            "basemap": _("Basemap"),
            "boundary": _("Municipal boundary"),
            "zones": _("Spray zones by larval risk"),
            "places": _("Survey places by larval risk"),
            "houses": _("Houses with larvae"),
            "legend": _("Larval risk (communities by HI, other places by CI)"),
            "label": _("Name"),
            "round": _("Round"),
            "hi": _("HI"),
            "ci": _("CI"),
            "bi": _("BI"),
            "level": _("Risk"),
            "surveyed_on": _("Surveyed on"),
            "containers_positive": _("Containers with larvae"),
            "containers": _("Containers"),
            **{f"level_{k}": v for k, v in risk_labels().items() if k},
            "level_none": risk_labels()[None],
        },
        colours=RISK_COLOURS,
    )


EXPORT_COLUMNS = [
    "level", "name", "round", "houses_surveyed", "houses_positive", "hi", "containers",
    "containers_positive", "ci", "bi", "houses_vacant", "houses_closed", "houses_refused",
    "risk_index", "risk_level",
]  # fmt: skip


def _export_values(level: str, row: IndexRow) -> list[object]:
    i = row.indices
    return [
        level, row.label, row.round_number if row.round_number is not None else "",
        i.houses_surveyed, i.houses_positive, row.hi, i.containers, i.containers_positive,
        row.ci, row.bi, i.houses_vacant, i.houses_closed, i.houses_refused,
        row.index or "", row.level or "",
    ]  # fmt: skip


def _export(municipality, output, level, round_number, thresholds, zones) -> HttpResponse:
    """Indices per zone, place or subdistrict (and round) as CSV or GeoJSON; no house in them."""
    rows = zones if level == "zone" else _level_rows(
        municipality, by=level, round_number=round_number, thresholds=thresholds
    )  # fmt: skip
    suffix = f"-round-{round_number}" if round_number else ""
    name = f"larval-{level}-{municipality.code}{suffix}.{output}"
    if output == "csv":
        return csv_response(EXPORT_COLUMNS, [_export_values(level, r) for r in rows], name)
    features = [
        {
            "type": "Feature",
            "properties": dict(zip(EXPORT_COLUMNS, _export_values(level, row), strict=True)),
            "geometry": None if row.geometry is None else shapely.geometry.mapping(row.geometry),
        }
        for row in rows
    ]  # fmt: skip
    return geojson_response({"type": "FeatureCollection", "name": name, "features": features}, name)


# --- Risk bands --------------------------------------------------------------------------------


BAND_FIELDS = ("hi_low_max", "hi_moderate_max", "ci_low_max", "ci_moderate_max")


@login_required
@require_http_methods(["GET", "POST"])
def dengue_larval_bands(request: HttpRequest, code: str) -> HttpResponse:
    """The municipality's larval risk bands: the ones in force, a form, every saved version."""
    municipality = municipality_requiring(request.user, code, Action.EDIT_CASES)
    errors: list[str] = []
    values = dict(vars(larval_risk_bands(municipality=municipality)))
    source = ""
    if request.method == "POST":
        values = {name: request.POST.get(name, "")[:20] for name in BAND_FIELDS}
        source = request.POST.get("source", "")[:300]
        try:
            larval_risk_bands_save(
                municipality=municipality, user=request.user, source=source, **values
            )
        except ValidationError as error:
            errors = list(error.messages)
        else:
            messages.success(request, _("The new risk bands are saved and in force."))
            return redirect(reverse("dengue-larval-bands", kwargs={"code": municipality.code}))
    history = LarvalRiskBands.objects.filter(municipality=municipality).select_related("saved_by")
    return render(
        request,
        "geoapp/dengue/larval_bands.html",
        {
            "municipality": municipality,
            "values": values,
            "source": source,
            "errors": errors,
            "history": history,
            "defaults": RiskThresholds(),
            "can_record": True,
        },
        status=400 if errors else 200,
    )
