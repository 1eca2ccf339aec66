"""Flood pages for disaster teams: the dashboard, the aid priority list and the needs profile.

Views are thin: check the role, parse the input (a bad parameter answers 400 with a message
saying what to send), read the assessment from `layers.flood.selectors`, shape tables, render.
Every member may view the dashboard and the needs profile; the aid list (households with
vulnerable members) and editing the profile need `Action.EDIT_FLOOD`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd
import shapely
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analysis.flood import (
    class_table,
    exposure_summary,
    impassable_roads_by_name,
    summary_by_area,
)
from geoapp.flood.forms import NeedsProfileForm
from geoapp.flood.maps import FloodFrames, FloodMapOptions, flood_map
from geoapp.models import ReportFeed
from geoapp.report_feeds.selectors import feed_version, flooded_roads_frame
from geoapp.templatetags.thaidate import thai_datetime
from geoapp.web.cached_maps import cached_map_fragments
from geoapp.web.inputs import (
    InputError,
    choice_input,
    integer_input,
    number_input,
    query_text,
    search_text_input,
)
from geoapp.web.maps import ATTRIBUTION
from geoapp.web.page_maps import map_assets
from geoapp.web.permissions import Action, can, municipality_requiring
from geoapp.web.responses import csv_response, geojson_response
from layers import selectors
from layers.caching import cached_result, result_key
from layers.flood import selectors as flood
from layers.flood.services import needs_profile_save
from layers.models import (
    NEEDS_PROFILE_LIMITS,
    WGS84,
    Dataset,
    FloodZone,
    Landmark,
    Municipality,
    Road,
)
from layers.registry import layer_get
from layers.relief import selectors as relief

EXPORT_FORMATS = ("html", "csv", "geojson")
NEEDS_ITEMS = ("rice_kg", "drinking_water_l", "clean_water_l", "family_kits", "toilets")


def _bad_request(request: HttpRequest, municipality: Municipality, message: str) -> HttpResponse:
    return render(
        request,
        "geoapp/flood/bad_request.html",
        {"municipality": municipality, "message": message, **_nav(request, municipality)},
        status=400,
    )


def _nav(request: HttpRequest, municipality: Municipality) -> dict[str, bool]:
    return {
        "can_edit_flood": can(request.user, municipality, Action.EDIT_FLOOD),
        "can_view_relief": can(request.user, municipality, Action.VIEW_RELIEF),
    }


def _fmt(value: float | None, digits: int = 0) -> str:
    """A number as officers read it: thousands separated, fixed decimals; blank if unknown."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    return f"{float(value):,.{digits}f}"


def _finite_or_none(value: object) -> float | None:
    """NaN and infinities become None (CSV and GeoJSON show nothing for an unknown depth)."""
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _in_language(thai: str, english: str) -> str:
    """The Thai name, or the English one on English pages when there is one."""
    if translation.get_language() == "en" and english:
        return english
    return thai or english


def _hazard_labels() -> dict[str, str]:
    return {k: str(v) for k, v in FloodZone.HazardClass.choices}


def _category_labels() -> dict[str, str]:
    return {k: str(v) for k, v in Landmark.Category.choices}


# --- Input -------------------------------------------------------------------------------------


def _event_param(request: HttpRequest, events: Sequence[flood.FloodEvent]) -> str:
    """The event in `?event=`, else the most recent; InputError when it names no event."""
    return choice_input(
        query_text(request.GET, "event"),
        "event",
        [event.name for event in events],
        default=events[0].name,
        message=gettext_lazy(
            "There is no flood event “%(value)s” in this municipality. Choose one of: %(events)s."
        ),
        args={"events": "; ".join(f"“{event.name}”" for event in events)},
    )


def _choice_param(request: HttpRequest, name: str, choices: Sequence[str], default: str) -> str:
    return choice_input(query_text(request.GET, name), name, choices, default=default)


def _top_param(request: HttpRequest) -> int | None:
    # "๑๐๐" as typed on a Thai keyboard counts.
    return integer_input(
        query_text(request.GET, "top"),
        "top",
        default=None,
        low=1,
        high=1_000_000,
        message=gettext_lazy(
            "top must be a whole number from 1 up, for example 100, not “%(value)s”."
        ),
    )


@dataclass(frozen=True)
class HazardInputs:
    """What the municipality can flood with: events, raster datasets, seeds."""

    events: list[flood.FloodEvent]
    rasters: list[Dataset]
    seeds: list[Dataset]

    @property
    def depth_rasters(self) -> list[Dataset]:
        """Rasters that may hold water depth: any but a known elevation model."""
        return [d for d in self.rasters if (d.raster_metadata or {}).get("role") != "dem"]

    @property
    def dems(self) -> list[Dataset]:
        """Rasters that may hold ground elevation: any but a known depth raster."""
        return [d for d in self.rasters if (d.raster_metadata or {}).get("role") != "depth"]

    @property
    def kinds(self) -> list[str]:
        """The hazard kinds this municipality has the data for."""
        kinds = [flood.ZONES] if self.events else []
        if self.depth_rasters:
            kinds.append(flood.DEPTH)
        if self.dems and self.seeds:
            kinds.append(flood.BATHTUB)
        return kinds


def _hazard_inputs(municipality: Municipality) -> HazardInputs:
    return HazardInputs(
        events=flood.flood_event_list(municipality=municipality),
        rasters=flood.raster_dataset_list(municipality=municipality),
        seeds=flood.seed_dataset_list(municipality=municipality),
    )


def _hazard_kind_labels() -> dict[str, str]:
    return {
        flood.ZONES: _("Flood zones of an event"),
        flood.DEPTH: _("Depth raster"),
        flood.BATHTUB: _("Water level over the elevation model"),
    }


def _dataset_param(
    request: HttpRequest, name: str, datasets: Sequence[Dataset], *, role: str = ""
) -> Dataset:
    """The dataset named by slug in `?name=`, else the first of `role`, else the first."""
    preferred = [d for d in datasets if (d.raster_metadata or {}).get("role") == role]
    by_slug = {d.slug: d for d in datasets}
    slug = choice_input(
        query_text(request.GET, name),
        name,
        [d.slug for d in datasets],
        default=(preferred or list(datasets))[0].slug if datasets else "",
        message=gettext_lazy(
            "%(name)s must name one of these datasets: %(slugs)s; not “%(value)s”."
        ),
        args={"slugs": ", ".join(d.slug for d in datasets)},
    )
    return by_slug[slug]


def level_default_m(dem: Dataset) -> float:
    """The level offered first: 2 m above the lowest ground of the DEM."""
    low = (dem.raster_metadata or {}).get("bands", [{}])[0].get("min")
    return round((low if low is not None else 0.0) + 2.0, 1)


def _level_param(request: HttpRequest, dem: Dataset) -> float:
    raw = query_text(request.GET, "level")
    band = (dem.raster_metadata or {}).get("bands", [{}])[0]
    low = band.get("min") if band.get("min") is not None else -100.0
    high = band.get("max") if band.get("max") is not None else 1000.0
    return number_input(
        raw,
        "level",
        default=level_default_m(dem),
        low=low - 10,
        high=high + 50,
        message=gettext_lazy(
            "The water level must be in metres between %(low)s and %(high)s (the ground of "
            "%(dem)s lies from %(ground_low)s to %(ground_high)s m), not “%(value)s”."
        ),
        args={
            "low": _g(round(low - 10, 1)),
            "high": _g(round(high + 50, 1)),
            "dem": dem.title,
            "ground_low": _g(round(low, 2)),
            "ground_high": _g(round(high, 2)),
            "value": (raw or "").replace(",", ".")[:300],
        },
    )


def _hazard_param(request: HttpRequest, inputs: HazardInputs) -> flood.HazardChoice:
    """The hazard chosen by the query (documented in the README); InputError when unusable."""
    kinds = inputs.kinds
    kind = _choice_param(request, "hazard", flood.HAZARD_KINDS, kinds[0])
    if kind not in kinds:
        raise InputError(
            "hazard",
            _("This municipality has no data for the hazard “%(value)s”. Choose one of: %(kinds)s.")
            % {"value": kind, "kinds": ", ".join(kinds)},
        )
    if kind == flood.ZONES:
        return flood.HazardChoice(kind=kind, event=_event_param(request, inputs.events))
    if kind == flood.DEPTH:
        return flood.HazardChoice(
            kind=kind,
            raster=_dataset_param(request, "raster", inputs.depth_rasters, role="depth"),
        )
    dem = _dataset_param(request, "dem", inputs.dems, role="dem")
    meta = dem.raster_metadata or {}
    cells = int(meta.get("width") or 0) * int(meta.get("height") or 0)
    if cells > settings.MUEANG_BATHTUB_MAX_CELLS:
        # The bathtub holds the whole DEM in memory, once per level asked for.
        raise InputError(
            "dem",
            _(
                "The elevation model “%(dem)s” has %(cells)s cells; a water level can be spread "
                "over at most %(limit)s. Cut it to the municipality or coarsen it first."
            )
            % {
                "dem": dem.title,
                "cells": _fmt(cells, 0),
                "limit": _fmt(settings.MUEANG_BATHTUB_MAX_CELLS, 0),
            },
        )
    return flood.HazardChoice(
        kind=kind,
        dem=dem,
        # Centimetres are as fine as a level is known; coarser keys keep the cache small.
        level_m=round(_level_param(request, dem), 2),
        seed=_dataset_param(request, "seed", inputs.seeds),
    )


def _situation(
    municipality: Municipality, hazard: flood.HazardChoice, profile: flood.NeedsProfile
) -> flood.FloodSituation:
    """The assessment; a bathtub whose seed misses the DEM is bad input, not a server error."""
    try:
        return flood.flood_situation(municipality=municipality, hazard=hazard, needs=profile)
    except ValueError as error:
        if hazard.kind != flood.BATHTUB:
            raise
        raise InputError(
            "seed",
            _("The water cannot spread from “%(seed)s” over “%(dem)s”: %(reason)s.")
            % {"seed": hazard.seed.title, "dem": hazard.dem.title, "reason": str(error)},
        ) from None


def _hazard_context(
    inputs: HazardInputs, hazard: flood.HazardChoice, situation: flood.FloodSituation | None
) -> dict[str, object]:
    """What the hazard form and the hazard line of every flood page show."""
    labels = _hazard_kind_labels()
    level = hazard.level_m if hazard.kind == flood.BATHTUB else None
    dem = hazard.dem or next(
        (d for d in inputs.dems if (d.raster_metadata or {}).get("role") == "dem"),
        inputs.dems[0] if inputs.dems else None,
    )
    depth = hazard.raster or next(
        (d for d in inputs.depth_rasters if (d.raster_metadata or {}).get("role") == "depth"),
        inputs.depth_rasters[0] if inputs.depth_rasters else None,
    )
    return {
        "hazard": hazard,
        "raster_selected": depth.slug if depth else "",
        "dem_selected": dem.slug if dem else "",
        "seed_selected": (hazard.seed or (inputs.seeds[0] if inputs.seeds else None)).slug
        if inputs.seeds
        else "",
        "hazard_kinds": [(k, labels[k], k in inputs.kinds) for k in flood.HAZARD_KINDS],
        "hazard_label": labels[hazard.kind],
        "event": next((e for e in inputs.events if e.name == hazard.event), None),
        "events": inputs.events,
        "rasters": inputs.rasters,
        "depth_rasters": inputs.depth_rasters,
        "dems": inputs.dems,
        "seeds": inputs.seeds,
        "level_value": _g(level if level is not None else level_default_m(dem)) if dem else "",
        "flooded_km2": _fmt(situation.flooded_cells * _cell_area_km2(hazard.dem), 2)
        if situation is not None and situation.flooded_cells is not None
        else "",
        # Officers count flooded land in ไร่ (thaiarea's rai_ngan_wa writes it).
        "flooded_m2": situation.flooded_cells * _cell_area_km2(hazard.dem) * 1e6
        if situation is not None and situation.flooded_cells is not None
        else None,
        "hazard_query": _query(**hazard.query()),
    }


def _cell_area_km2(dem: Dataset | None) -> float:
    meta = (dem.raster_metadata or {}) if dem is not None else {}
    if meta.get("geographic") or "resolution" not in meta:
        return math.nan
    x, y = meta["resolution"]
    return x * y / 1e6


# --- The dashboard -----------------------------------------------------------------------------


def _map_options() -> FloodMapOptions:
    labels = {
        "basemap": _("Basemap"),
        "boundary": _("Municipal boundary"),
        # The layers the map draws as they are, as the registry labels them.
        **{name: str(layer_get(name).label) for name in ("subdistricts", "roads", "landmarks")},
        "zones": str(layer_get("flood_zones").label),
        "impassable_roads": _("Impassable roads"),
        "buildings": _("Flooded buildings"),  # only the flooded ones are drawn
        "cut_off": _("Facilities cut off by road"),
        "event": _("Event"),
        "hazard": _("Hazard class"),
        "name_th": _("Name (Thai)"),
        "name_en": _("Name (English)"),
        "category_label": _("Category"),
        "road_class_label": _("Road class"),
        "state": _("Vehicles"),
        "length": _("Length in the water (m)"),
        "id": _("Building no."),
        "residents": _("Residents"),
        "house_number": _("House number"),
        "access": _("Road access"),
        "impassable_yes": _("impassable"),
        "impassable_no": _("flooded, passable with care"),
        "cut_off_yes": _("no household can reach it by road"),
        "landmark_dry": _("Landmark not flooded"),
        "legend_hazard": _("Flood zones, buildings and landmarks by hazard class"),
        "legend_other": _("Also on the map"),
        "depth": _("Flood depth by hazard class"),
        "observed": _("Flooding reported by residents"),
        "site_label": _("Report"),
        "site_category": _("Category"),
        "site_status": _("Status"),
        "site_reported": _("Reported at"),
    }
    return FloodMapOptions(
        assets=map_assets(),
        labels=labels,
        hazard_labels=_hazard_labels(),
        landmark_category_labels=_category_labels(),
        road_class_labels={k: str(v) for k, v in Road.RoadClass.choices},
        attribution=str(ATTRIBUTION),
        basemap_url=settings.MUEANG_BASEMAP_URL,
        basemap_attribution=settings.MUEANG_BASEMAP_ATTRIBUTION,
    )


def _landmarks_with_access(situation: flood.FloodSituation) -> gpd.GeoDataFrame:
    """Exposed landmarks with ``cut_off`` (a facility no household reaches during the flood)."""
    landmarks = situation.assessment.landmarks.copy()
    facilities = situation.assessment.access.facilities
    cut_off = facilities["cut_off"] if "cut_off" in facilities else pd.Series(dtype=bool)
    landmarks["cut_off"] = cut_off.reindex(landmarks.index).fillna(False).astype(bool)
    return landmarks


def _map_frames(municipality: Municipality, situation: flood.FloodSituation) -> FloodFrames:
    a = situation.assessment
    roads = situation.roads
    pieces = a.roads.pieces.to_crs(WGS84)
    pieces = pieces.assign(
        name_th=roads["name_th"].reindex(pieces["road"]).to_numpy(),
        road_class=roads["road_class"].reindex(pieces["road"]).to_numpy(),
    )
    buildings = a.buildings[a.buildings["affected"].to_numpy(dtype=bool)]
    return FloodFrames(
        boundary=selectors.boundary_frame(municipality=municipality),
        subdistricts=situation.subdistricts,
        zones=situation.zones,
        roads=roads,
        pieces=pieces,
        landmarks=_landmarks_with_access(situation),
        buildings=buildings[["id", "hazard_class", "population", "geometry"]],
        depth=situation.depth,
        depth_breaks_m=tuple(situation.scheme.breaks_m),
        observed=_observed_frame(municipality),
    )


def _observed_frame(municipality: Municipality) -> gpd.GeoDataFrame:
    """Flooded roads residents reported in the last 14 days, with their time."""
    observed = flooded_roads_frame(municipality=municipality)
    return observed.assign(
        site_label=[f"#{pk}" for pk in observed["id"]],
        site_category=observed["category"],
        site_status=observed["status"],
        site_reported=[thai_datetime(at) for at in observed["reported_at"]],
    )


@dataclass(frozen=True)
class Table:
    """A table ready for a template: header cells, rows of cells and a footer row."""

    header: list[str]
    rows: list[list[str]]
    footer: list[str]


def _road_table(situation: flood.FloodSituation) -> Table:
    """Road km by road class (rows) and hazard class (columns), with km impassable."""
    a = situation.assessment
    classes = list(a.scheme.classes)
    lengths = a.roads.lengths_m
    impassable = (
        a.roads.roads.groupby(a.roads.roads["road_class"].fillna("").astype(str))[
            "impassable_length_m"
        ].sum()
        if len(a.roads.roads)
        else pd.Series(dtype=float)
    )
    road_labels = {k: str(v) for k, v in Road.RoadClass.choices}
    hazard = _hazard_labels()
    rows = []
    for road_class in lengths.sort_values(classes[-1], ascending=False).index:
        row = lengths.loc[road_class]
        rows.append(
            [road_labels.get(road_class, road_class)]
            + [_fmt(row[c] / 1000, 1) for c in classes]
            + [_fmt(impassable.get(road_class, 0.0) / 1000, 1)]
        )
    footer = (
        [_("Total")]
        + [_fmt(lengths[c].sum() / 1000, 1) for c in classes]
        + [_fmt(impassable.sum() / 1000, 1)]
    )
    return Table(
        [_("Road class")] + [hazard.get(c, c) for c in classes] + [_("Impassable")], rows, footer
    )


@dataclass(frozen=True)
class ImpassableRoad:
    """One road (all its segments of one name) under water too deep to pass."""

    name: str
    """The Thai name (English on English pages when it has one); "" for unnamed roads."""
    label: str
    """What people read: the name, or "unnamed road" with its class."""
    road_class: str
    class_label: str
    length_m: float
    hazard_class: str
    hazard: str
    n_segments: int


#: Impassable roads listed on the dashboard itself; the printable list holds them all.
IMPASSABLE_ON_DASHBOARD = 10


def impassable_roads(situation: flood.FloodSituation) -> list[ImpassableRoad]:
    """The impassable roads by name, longest impassable length first (unnamed ones last)."""
    roads = situation.assessment.roads.roads
    if roads.empty:
        return []
    thai = roads["name_th"].fillna("").astype(str).str.strip()
    english = roads["name_en"].fillna("").astype(str).str.strip()
    prefer_english = translation.get_language() == "en"
    names = english.where((english != "") & prefer_english, thai).where(lambda n: n != "", english)
    table = impassable_roads_by_name(roads.assign(name=names))
    road_labels = {k: str(v) for k, v in Road.RoadClass.choices}
    hazard = _hazard_labels()
    out = []
    for row in table.itertuples():
        class_label = road_labels.get(row.road_class, row.road_class)
        out.append(
            ImpassableRoad(
                name=row.name,
                label=row.name or _("Unnamed road (%(class)s)") % {"class": class_label},
                road_class=row.road_class,
                class_label=class_label,
                length_m=float(row.impassable_length_m),
                hazard_class=str(row.hazard_class),
                hazard=hazard.get(row.hazard_class, str(row.hazard_class)),
                n_segments=int(row.n_segments),
            )
        )
    return out


def _impassable_csv(roads: list[ImpassableRoad], filename: str) -> HttpResponse:
    return csv_response(
        [
            _("Road"),
            _("Road class"),
            _("Impassable length (m)"),
            _("Hazard class"),
            _("Segments"),
        ],
        [[r.label, r.class_label, round(r.length_m), r.hazard, r.n_segments] for r in roads],
        f"{filename}.csv",
        content_type="text/csv",
    )


@login_required
def flood_impassable_roads(request: HttpRequest, code: str) -> HttpResponse:
    """Impassable roads by name with their lengths: printable (A4) and as CSV."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_FLOOD)
    inputs = _hazard_inputs(municipality)
    context: dict[str, object] = {
        "municipality": municipality,
        "events": inputs.events,
        "has_hazard": bool(inputs.kinds),
        **_nav(request, municipality),
    }
    if not inputs.kinds:
        return render(request, "geoapp/flood/impassable_roads.html", context)
    profile = flood.needs_profile_current(municipality=municipality)
    try:
        hazard = _hazard_param(request, inputs)
        export = _choice_param(request, "format", ("html", "csv"), "html")
        situation = _situation(municipality, hazard, profile)
    except InputError as error:
        return _bad_request(request, municipality, str(error))
    roads = impassable_roads(situation)
    if export == "csv":
        return _impassable_csv(roads, f"flood-impassable-roads-{municipality.code}")
    query = _query(**hazard.query())
    context.update(
        {
            **_hazard_context(inputs, hazard, situation),
            "roads": roads,
            "total_m": _fmt(sum(r.length_m for r in roads)),
            "printed_on": timezone.localdate(),
            "impassable_m": _g(situation.scheme.impassable_m),
            "query": query,
            "csv_query": _query(**hazard.query(), format="csv"),
        }
    )
    return render(request, "geoapp/flood/impassable_roads.html", context)


def _landmark_class_table(situation: flood.FloodSituation) -> Table:
    """Landmarks by category (rows) and hazard class (columns)."""
    a = situation.assessment
    classes = list(a.scheme.classes)
    table = class_table(a.landmarks, scheme=a.scheme, type_field="category")
    labels = _category_labels()
    hazard = _hazard_labels()
    affected = [c for c in classes if c in a.scheme.affected_classes]
    table = (
        table.assign(_affected=table[affected].sum(axis=1))
        .sort_index()
        .sort_values("_affected", ascending=False, kind="stable")
    )
    rows = [
        [labels.get(category, category)]
        + [str(int(row[c])) for c in classes]
        + [str(int(row["_affected"]))]
        for category, row in table.iterrows()
    ]
    footer = (
        [_("Total")]
        + [str(int(table[c].sum())) for c in classes]
        + [str(int(table["_affected"].sum()))]
    )
    header = [_("Category")] + [hazard.get(c, c) for c in classes] + [_("Flooded")]
    return Table(header, rows, footer)


def _subdistrict_names(subdistricts: gpd.GeoDataFrame) -> dict[str, str]:
    names = {
        str(code): _in_language(th, en)
        for code, th, en in zip(
            subdistricts["code"], subdistricts["name_th"], subdistricts["name_en"], strict=True
        )
    }
    names[""] = _("Outside the recorded subdistricts")
    return names


def _subdistrict_table(situation: flood.FloodSituation) -> Table:
    """Per subdistrict: buildings, landmarks, people and households cut off."""
    a = situation.assessment
    buildings = summary_by_area(a.buildings, scheme=a.scheme)
    landmarks = summary_by_area(a.landmarks, scheme=a.scheme)
    people = a.population.by_area
    access = a.access.by_area
    names = _subdistrict_names(situation.subdistricts)
    codes = [str(c) for c in situation.subdistricts["code"]]
    extra = sorted({*buildings, *landmarks, *people.index} - set(codes))
    none = {"total": 0, "affected": 0}
    rows = [
        [
            names.get(code, code),
            f"{buildings.get(code, none)['affected']:,} / {buildings.get(code, none)['total']:,}",
            f"{landmarks.get(code, none)['affected']:,} / {landmarks.get(code, none)['total']:,}",
            *_people_cells(people.loc[code] if code in people.index else None),
            _cut_off_cell(access.loc[code] if code in access.index else None),
        ]
        for code in codes + extra
    ]
    return Table(_subdistrict_header(), rows, _subdistrict_footer(a))


def _people_cells(p) -> list[str]:
    return [
        _fmt(p["total"] if p is not None else 0),
        _fmt(p["affected"] if p is not None else 0),
        _fmt(p["displaced"] if p is not None else 0),
    ]


def _cut_off_cell(h) -> str:
    if h is None:
        return "0 / 0"
    return f"{int(h['lost_every_route']):,} / {int(h['households']):,}"


def _subdistrict_footer(a) -> list[str]:
    total_b = exposure_summary(a.buildings, scheme=a.scheme)
    total_l = exposure_summary(a.landmarks, scheme=a.scheme)
    households = a.access.households
    lost = int(households["lost_every_route"].sum()) if len(households) else 0
    footer = [
        _("Whole municipality"),
        f"{total_b['affected']:,} / {total_b['total']:,}",
        f"{total_l['affected']:,} / {total_l['total']:,}",
        _fmt(a.population.total),
        _fmt(a.population.affected),
        _fmt(a.population.displaced),
        f"{lost:,} / {len(households):,}",
    ]
    return footer


def _subdistrict_header() -> list[str]:
    return [
        _("Subdistrict"),
        _("Buildings flooded"),
        _("Landmarks flooded"),
        _("Residents"),
        _("People affected"),
        _("People displaced"),
        _("Households cut off from every facility"),
    ]


def _needs_rows(needs: dict[str, int], profile: flood.NeedsProfile) -> list[dict[str, str]]:
    """Weekly needs with their units and the per-person basis."""
    labels = _needs_labels()
    basis = {
        "rice_kg": _("%(amount)s kg per person") % {"amount": _fmt(profile.rice_kg, 2)},
        "drinking_water_l": _("%(amount)s litres per person")
        % {"amount": _fmt(profile.drinking_water_l, 1)},
        "clean_water_l": _("%(amount)s litres per person")
        % {"amount": _fmt(profile.clean_water_l, 1)},
        "family_kits": _("one per %(people)s people")
        % {"people": _g(profile.people_per_family_kit)},
        "toilets": _("one per %(people)s people") % {"people": _g(profile.people_per_toilet)},
    }
    return [
        {
            "item": item,
            "label": labels[item][0],
            "amount": _fmt(needs.get(item, 0)),
            "unit": labels[item][1],
            "basis": basis[item],
        }
        for item in NEEDS_ITEMS
        if item in needs
    ]


def _g(value: float) -> str:
    """An amount as short as it is exact: 20, 3.125, 2.8."""
    return f"{value:,.6g}"


def _needs_labels() -> dict[str, tuple[str, str]]:
    return {
        "rice_kg": (_("Rice"), _("kg")),
        "drinking_water_l": (_("Drinking water"), _("litres")),
        "clean_water_l": (_("Clean water for cooking and washing"), _("litres")),
        "family_kits": (_("Family kits"), _("kits")),
        "toilets": (_("Toilets"), _("toilets")),
    }


def _facility_rows(situation: flood.FloodSituation) -> list[dict[str, object]]:
    """Shelters, hospitals and health centres: flooded or not, reachable by road or not."""
    a = situation.assessment
    facilities = a.access.facilities
    if facilities.empty:
        return []
    landmarks = a.landmarks.loc[facilities.index]
    labels = _category_labels()
    hazard = _hazard_labels()
    rows = []
    for index, facility in facilities.iterrows():
        landmark = landmarks.loc[index]
        rows.append(
            {
                "name": _in_language(landmark["name_th"], landmark["name_en"])
                or labels.get(landmark["category"], landmark["category"]),
                "category": labels.get(facility["category"], facility["category"]),
                "hazard": hazard.get(landmark["hazard_class"], landmark["hazard_class"]),
                "flooded": bool(landmark["affected"]),
                "before": f"{int(facility['households_before']):,}",
                "after": f"{int(facility['households_after']):,}",
                "cut_off": bool(facility["cut_off"]),
            }
        )
    rows.sort(key=lambda r: (not r["cut_off"], not r["flooded"], r["category"], r["name"]))
    return rows


def _flooded_landmark_rows(situation: flood.FloodSituation) -> list[dict[str, str]]:
    """Flooded landmarks, deepest class first."""
    landmarks = _landmarks_with_access(situation)
    flooded = landmarks[landmarks["affected"].to_numpy(dtype=bool)]
    flooded = flooded.sort_values(["class_rank", "category"], ascending=[False, True])
    labels = _category_labels()
    hazard = _hazard_labels()
    names = _subdistrict_names(situation.subdistricts)
    return [
        {
            "name": _in_language(row["name_th"], row["name_en"]) or _("(no name)"),
            "category": labels.get(row["category"], row["category"]),
            "hazard": hazard.get(row["hazard_class"], row["hazard_class"]),
            "hazard_class": row["hazard_class"],
            "subdistrict": names.get(str(row.get("area") or ""), ""),
            "cut_off": bool(row["cut_off"]),
        }
        for _i, row in flooded.iterrows()
    ]


def _headline(situation: flood.FloodSituation) -> dict[str, str]:
    a = situation.assessment
    roads = a.roads.summary(type_field="road_class")["length_m"]
    buildings = exposure_summary(a.buildings, scheme=a.scheme)
    landmarks = exposure_summary(a.landmarks, scheme=a.scheme)
    households = a.access.households
    facilities = a.access.facilities

    def lost(column: str) -> int:
        return int(households[column].sum()) if column in households else 0

    return {
        "people_affected": _fmt(a.population.affected),
        "people_displaced": _fmt(a.population.displaced),
        "people_total": _fmt(a.population.total),
        "road_km_impassable": _fmt(roads["impassable"] / 1000, 1),
        "road_km_flooded": _fmt(roads["affected"] / 1000, 1),
        "road_km_total": _fmt(roads["total"] / 1000, 1),
        "buildings_affected": f"{buildings['affected']:,}",
        "buildings_total": f"{buildings['total']:,}",
        "landmarks_affected": f"{landmarks['affected']:,}",
        "landmarks_total": f"{landmarks['total']:,}",
        "households": f"{len(households):,}",
        "households_cut_off": f"{lost('lost_every_route'):,}",
        "households_no_health": f"{lost('health_lost'):,}",
        "households_no_shelter": f"{lost('shelter_lost'):,}",
        "facilities_cut_off": f"{int(facilities['cut_off'].sum()) if len(facilities) else 0:,}",
    }


def _map_html(
    request: HttpRequest, municipality: Municipality, situation: flood.FloodSituation
) -> dict[str, str]:
    """The map's head, body and script; built once per situation and language (shared cache).

    Residents' flooded-road reports change the map too (and age out of it by the hour), so
    their version and the hour are part of the key.
    """
    reports = feed_version(municipality=municipality, feed=ReportFeed.FLOODED_ROAD)
    return cached_map_fragments(
        "flood-map",
        municipality_id=municipality.pk,
        tier="members",
        version=situation.key,
        build=lambda: flood_map(_map_frames(municipality, situation), _map_options()),
        nonce=request.csp_nonce,
        extra=[reports, timezone.now().strftime("%Y%m%d%H")],
    )


def _situation_tables(
    municipality: Municipality, situation: flood.FloodSituation, profile: flood.NeedsProfile
) -> dict[str, object]:
    """The dashboard's tables, built once per situation and language (shared cache)."""

    def build() -> dict[str, object]:
        return {
            "headline": _headline(situation),
            "road_table": _road_table(situation),
            "impassable_roads": impassable_roads(situation)[:IMPASSABLE_ON_DASHBOARD],
            "landmark_table": _landmark_class_table(situation),
            "flooded_landmarks": _flooded_landmark_rows(situation),
            "subdistrict_table": _subdistrict_table(situation),
            "needs": _needs_rows(situation.assessment.needs, profile),
            "facilities": _facility_rows(situation),
        }

    key = result_key(
        "flood-tables",
        municipality_id=municipality.pk,
        tier="members",
        version=situation.key,  # the assessment's key: layer versions, hazard, needs profile
        extra=[translation.get_language() or ""],
    )
    return cached_result(key, build)


@login_required
def flood_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """One hazard: map, people affected and displaced, needs, roads, landmarks, access.

    The hazard comes from the query (see `_hazard_param`): ``hazard=zones&event=...``,
    ``hazard=depth&raster=<slug>`` or ``hazard=bathtub&dem=<slug>&level=<m>&seed=<slug>``.
    """
    municipality = municipality_requiring(request.user, code, Action.VIEW_FLOOD)
    inputs = _hazard_inputs(municipality)
    profile = flood.needs_profile_current(municipality=municipality)
    context: dict[str, object] = {
        "municipality": municipality,
        "events": inputs.events,
        "has_hazard": bool(inputs.kinds),
        "profile": profile,
        **_nav(request, municipality),
    }
    if not inputs.kinds:
        return render(request, "geoapp/flood/dashboard.html", context)
    try:
        hazard = _hazard_param(request, inputs)
        situation = _situation(municipality, hazard, profile)
    except InputError as error:
        return _bad_request(request, municipality, str(error))
    scheme = situation.scheme
    labels = _hazard_labels()
    has_shelter = bool((situation.landmarks["category"] == Landmark.Category.SHELTER).any())
    context.update(
        {
            **_hazard_context(inputs, hazard, situation),
            "map": _map_html(request, municipality, situation),
            **_situation_tables(municipality, situation, profile),
            "has_shelter": has_shelter,
            "impassable_m": _g(scheme.impassable_m),
            "impassable_classes": [labels.get(c, c) for c in scheme.impassable_classes],
            "query": _query(**hazard.query()),
        }
    )
    return render(request, "geoapp/flood/dashboard.html", context)


def _query(**params: str) -> str:
    return urlencode({k: v for k, v in params.items() if v})


# --- The aid priority list ---------------------------------------------------------------------


_VULNERABLE_LABELS = {
    "elderly": gettext_lazy("elderly (60+): %(count)s"),
    "bedridden": gettext_lazy("bedridden: %(count)s"),
    "disabled": gettext_lazy("with a disability: %(count)s"),
    "infants": gettext_lazy("infants: %(count)s"),
}
_GROUP_LABELS = {
    "health": gettext_lazy("a hospital or health centre"),
    "shelter": gettext_lazy("a shelter"),
    "any": gettext_lazy("any shelter or health facility"),
}


def reason_text(code: str) -> str:
    """One reason code of `analysis.flood.aid_priority`, in the page's language."""
    kind, _sep, rest = code.partition(":")
    if kind == "depth":
        label = _hazard_labels().get(rest, rest)
        return _("flood class %(class)s") % {"class": label}
    if kind == "depth_m":
        return _("water up to %(depth)s m deep") % {"depth": rest}
    if kind in _VULNERABLE_LABELS:
        return str(_VULNERABLE_LABELS[kind]) % {"count": rest}
    if kind == "no_route":
        return _("no road route to %(place)s") % {"place": _GROUP_LABELS.get(rest, rest)}
    if kind == "detour_m":
        group, _sep, metres = rest.partition(":")
        try:
            km = float(metres) / 1000
        except ValueError:
            return code
        return _("%(km)s km further by road to %(place)s") % {
            "km": f"{km:.1f}",
            "place": _GROUP_LABELS.get(group, group),
        }
    return code


@dataclass(frozen=True)
class AidRow:
    """One household of the aid list as shown, printed and exported."""

    rank: int
    building_id: int
    """The system's id: for links and exports, never shown as the building's number."""
    house_number: str
    """บ้านเลขที่ when the buildings layer has it (a registered household), else empty."""
    building_name: str
    subdistrict_code: str
    subdistrict: str
    hazard_class: str
    hazard: str
    depth_m: float | None
    residents: int
    elderly: int
    bedridden: int
    disabled: int
    infants: int
    no_route_health: bool
    no_route_shelter: bool
    score: float
    reason_codes: tuple[str, ...]
    reason_list: tuple[str, ...]
    lon: float
    lat: float
    geometry: object

    @property
    def reasons(self) -> str:
        """The reasons on one line (CSV and GeoJSON)."""
        return "; ".join(self.reason_list)

    @property
    def is_household(self) -> bool:
        """A building with a house number is a registered household (ครัวเรือน)."""
        return bool(self.house_number)

    @property
    def label(self) -> str:
        """How a team finds the building: its house number, else its name, else 'no number'."""
        if self.house_number:
            return _("House no. %(number)s") % {"number": self.house_number}
        if self.building_name:
            return self.building_name
        return _("Building without a house number")


def aid_rows(
    situation: flood.FloodSituation, *, subdistrict: str = "", top: int | None = None
) -> list[AidRow]:
    """The ranked households of `analysis.flood.aid_priority`, optionally one subdistrict's."""
    a = situation.assessment
    ranked = a.priority
    if subdistrict:
        ranked = ranked[ranked["area"].fillna("").astype(str) == subdistrict]
    if top is not None:
        ranked = ranked.head(top)
    households = a.access.households.reindex(ranked.index)
    names = _subdistrict_names(situation.subdistricts)
    hazard = _hazard_labels()
    points = shapely.get_coordinates(
        ranked.geometry.to_crs(WGS84).representative_point().to_numpy()
    )

    def flag(column: str, index) -> bool:
        return bool(households.at[index, column]) if column in households else False

    return [
        _aid_row(
            row,
            names=names,
            hazard=hazard,
            no_route=(flag("health_lost", index), flag("shelter_lost", index)),
            lon_lat=(lon, lat),
        )
        for (index, row), (lon, lat) in zip(ranked.iterrows(), points, strict=True)
    ]


def _aid_row(row, *, names, hazard, no_route: tuple[bool, bool], lon_lat) -> AidRow:
    codes = tuple(row["reason_codes"])
    area = "" if pd.isna(row.get("area")) else str(row.get("area"))
    lon, lat = lon_lat
    return AidRow(
        rank=int(row["rank"]),
        building_id=int(row["id"]),
        house_number=_text_or_empty(row.get("house_number")),
        building_name=_text_or_empty(row.get("name_th")),
        subdistrict_code=area,
        subdistrict=names.get(area, area),
        hazard_class=str(row["hazard_class"]),
        hazard=hazard.get(row["hazard_class"], row["hazard_class"]),
        depth_m=_finite_or_none(row["depth_m"]),
        residents=int(row["population"]),
        elderly=int(row["elderly"]),
        bedridden=int(row["bedridden"]),
        disabled=int(row["disabled"]),
        infants=int(row["infants"]),
        no_route_health=no_route[0],
        no_route_shelter=no_route[1],
        score=float(row["score"]),
        reason_codes=codes,
        reason_list=tuple(reason_text(c) for c in codes),
        lon=round(float(lon), 6),
        lat=round(float(lat), 6),
        geometry=row.geometry,
    )


def _text_or_empty(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


#: Households per page of the aid list on screen (the downloads hold every matching one).
AID_PAGE_ROWS = 50
AID_SEARCH_CHARS = 100
#: The aid list's "needs" filter: which households it keeps.
AID_NEEDS = {
    "vulnerable": lambda r: r.elderly + r.bedridden + r.disabled + r.infants > 0,
    "bedridden": lambda r: r.bedridden > 0,
    "cut_off": lambda r: r.no_route_health or r.no_route_shelter,
}


@dataclass(frozen=True)
class AidFilters:
    """The aid list's search and filters (besides the hazard, subdistrict and top)."""

    text: str = ""
    hazard_class: str = ""
    need: str = ""

    def query(self) -> dict[str, str]:
        return {"q": self.text, "class": self.hazard_class, "need": self.need}


def _aid_filters(request: HttpRequest) -> AidFilters:
    """`q` (house number, building name or subdistrict), `class` and `need`; InputError if bad."""
    return AidFilters(
        text=search_text_input(request.GET.get("q"), "q", max_chars=AID_SEARCH_CHARS),
        hazard_class=_choice_param(request, "class", list(_hazard_labels()), ""),
        need=_choice_param(request, "need", list(AID_NEEDS), ""),
    )


def aid_rows_matching(rows: list[AidRow], filters: AidFilters) -> list[AidRow]:
    """The households of `rows` that the search and filters keep, in rank order."""
    text = filters.text.casefold()
    return [
        r
        for r in rows
        if (
            not text
            or text in r.house_number.casefold()
            or text in r.building_name.casefold()
            or text in r.subdistrict.casefold()
        )
        and (not filters.hazard_class or r.hazard_class == filters.hazard_class)
        and (not filters.need or AID_NEEDS[filters.need](r))
    ]


def _aid_need_labels() -> list[tuple[str, str]]:
    return [
        ("vulnerable", _("with elderly, bedridden, disabled or infant members")),
        ("bedridden", _("with bedridden members")),
        ("cut_off", _("cut off from health care or a shelter")),
    ]


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _aid_csv(rows: list[AidRow], filename: str) -> HttpResponse:
    # Text cells that start like a formula are escaped; the numbers are written as numbers.
    return csv_response(
        _aid_csv_header(),
        [_aid_csv_row(r) for r in rows],
        f"{filename}.csv",
        content_type="text/csv",
    )


def _aid_csv_header() -> list[str]:
    return [
        _("Rank"),
        _("Building (system id)"),
        _("Subdistrict"),
        _("Hazard class"),
        _("Depth (m)"),
        _("Residents"),
        _("Elderly (60+)"),
        _("Bedridden"),
        _("With a disability"),
        _("Infants"),
        _("No road to health care"),
        _("No road to a shelter"),
        _("Score"),
        _("Reasons"),
        _("Latitude"),
        _("Longitude"),
        _("House number"),
        _("Building name"),
    ]


def _aid_csv_row(r: AidRow) -> list[object]:
    return [
        r.rank,
        r.building_id,
        r.subdistrict,
        r.hazard,
        "" if r.depth_m is None else round(r.depth_m, 2),
        r.residents,
        r.elderly,
        r.bedridden,
        r.disabled,
        r.infants,
        _yes_no(r.no_route_health),
        _yes_no(r.no_route_shelter),
        float(f"{r.score:g}"),
        r.reasons,
        round(r.lat, 6),
        round(r.lon, 6),
        r.house_number,
        r.building_name,
    ]


def _aid_geojson(
    rows: list[AidRow], filename: str, *, event: str, hazard: dict[str, str]
) -> HttpResponse:
    geometries = gpd.GeoSeries([r.geometry for r in rows], crs=WGS84)
    features = [
        {
            "type": "Feature",
            "id": r.building_id,
            "properties": {
                "rank": r.rank,
                "building_id": r.building_id,
                "house_number": r.house_number,
                "building_name": r.building_name,
                "subdistrict_code": r.subdistrict_code,
                "subdistrict": r.subdistrict,
                "hazard_class": r.hazard_class,
                "depth_m": r.depth_m,
                "residents": r.residents,
                "elderly": r.elderly,
                "bedridden": r.bedridden,
                "disabled": r.disabled,
                "infants": r.infants,
                "no_route_health": r.no_route_health,
                "no_route_shelter": r.no_route_shelter,
                "score": r.score,
                "reason_codes": list(r.reason_codes),
                "reasons": r.reasons,
            },
            "geometry": json.loads(shapely.to_geojson(shapely.set_precision(g, 1e-7))),
        }
        for r, g in zip(rows, geometries.to_numpy(), strict=True)
    ]
    body = {
        "type": "FeatureCollection",
        "name": filename,
        "event": event,
        "hazard": hazard,
        "features": features,
    }
    return geojson_response(body, f"{filename}.geojson")


@login_required
def flood_aid_priority(request: HttpRequest, code: str) -> HttpResponse:
    """Households ranked for aid, with the reasons; printable (A4), CSV and GeoJSON.

    The same hazard query as the dashboard chooses the flood.
    """
    municipality = municipality_requiring(request.user, code, Action.EDIT_FLOOD)
    inputs = _hazard_inputs(municipality)
    context: dict[str, object] = {
        "municipality": municipality,
        "events": inputs.events,
        "has_hazard": bool(inputs.kinds),
        **_nav(request, municipality),
    }
    if not inputs.kinds:
        return render(request, "geoapp/flood/aid_priority.html", context)
    subdistricts = selectors.subdistrict_frame(municipality=municipality)
    codes = [str(c) for c in subdistricts["code"]]
    profile = flood.needs_profile_current(municipality=municipality)
    try:
        hazard = _hazard_param(request, inputs)
        export = _choice_param(request, "format", EXPORT_FORMATS, "html")
        subdistrict = _choice_param(request, "subdistrict", codes, "")
        top = _top_param(request)
        filters = _aid_filters(request)
        situation = _situation(municipality, hazard, profile)
    except InputError as error:
        return _bad_request(request, municipality, str(error))
    rows = aid_rows_matching(aid_rows(situation, subdistrict=subdistrict, top=top), filters)
    filename = f"flood-aid-{municipality.code}" + (f"-{subdistrict}" if subdistrict else "")
    if export == "csv":
        return _aid_csv(rows, filename)
    if export == "geojson":
        return _aid_geojson(rows, filename, event=_hazard_name(hazard), hazard=hazard.query())
    context.update(_hazard_context(inputs, hazard, situation))
    context.update(
        _aid_list_context(
            situation, rows, subdistricts, hazard, subdistrict=subdistrict, top=top, filters=filters
        )
    )
    context.update(_aid_page_context(request, rows, filters, top=top))
    context.update(_relief_links(request, municipality, hazard))
    return render(request, "geoapp/flood/aid_priority.html", context)


def _aid_page_context(
    request: HttpRequest, rows: list[AidRow], filters: AidFilters, *, top: int | None
) -> dict:
    """One page of the list, the filters as chosen and the query the page links keep.

    With a number of households (`top`), they all go on one page: that is how a team prints
    the first N.
    """
    page = Paginator(rows, top or AID_PAGE_ROWS).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    return {
        "page": page,
        "page_rows": page.object_list,
        "page_query": kept.urlencode(),
        "filters": filters,
        "hazard_classes": list(_hazard_labels().items()),
        "needs": _aid_need_labels(),
    }


def _relief_links(request: HttpRequest, municipality: Municipality, hazard) -> dict[str, object]:
    """Each household's claim in the relief register of the event, for those who read it."""
    if hazard.kind != flood.ZONES or not can(request.user, municipality, Action.VIEW_RELIEF):
        return {"relief_claims": None}
    return {
        "relief_claims": relief.claims_by_building(municipality=municipality, event=hazard.event),
        "relief_query": _query(event=hazard.event),
        "can_prepare_relief": can(request.user, municipality, Action.PREPARE_RELIEF),
    }


def _aid_list_context(
    situation, rows, subdistricts, hazard, *, subdistrict: str, top: int | None, filters
) -> dict:
    """The printable aid list: its rows, the subdistrict filter and the download links."""
    names = _subdistrict_names(subdistricts)
    query = {
        **hazard.query(),
        "subdistrict": subdistrict,
        "top": str(top or ""),
        **filters.query(),
    }
    return {
        "rows": rows,
        "shown": f"{len(rows):,}",
        "n_households": f"{sum(1 for r in rows if r.is_household):,}",
        "total": f"{len(situation.assessment.priority):,}",
        "subdistricts": [(c, names[c]) for c in (str(c) for c in subdistricts["code"])],
        "subdistrict": subdistrict,
        "subdistrict_name": names[subdistrict] if subdistrict else "",
        "top": top,
        "printed_on": timezone.localdate(),
        "csv_query": _query(**query, format="csv"),
        "geojson_query": _query(**query, format="geojson"),
    }


def _hazard_name(hazard: flood.HazardChoice) -> str:
    """One line naming the hazard (the GeoJSON's "event" member)."""
    if hazard.kind == flood.ZONES:
        return hazard.event
    if hazard.kind == flood.DEPTH:
        return hazard.raster.title
    return _("water level %(level)s m over %(dem)s from %(seed)s") % {
        "level": _g(hazard.level_m),
        "dem": hazard.dem.title,
        "seed": hazard.seed.title,
    }


# --- The minimum needs profile -----------------------------------------------------------------


def _profile_saved(request: HttpRequest, municipality: Municipality, form) -> bool:
    """Save the posted profile if the form and the model accept it (errors stay on the form)."""
    if not form.is_valid():
        return False
    try:
        needs_profile_save(municipality=municipality, user=request.user, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


def _hazard_needs_context(
    request: HttpRequest, municipality: Municipality, profile: flood.NeedsProfile
) -> dict[str, object]:
    """The weekly totals for the hazard chosen on the dashboard (same query); InputError if bad."""
    inputs = _hazard_inputs(municipality)
    if not inputs.kinds:
        return {}
    hazard = _hazard_param(request, inputs)
    situation = _situation(municipality, hazard, profile)
    return {
        **_hazard_context(inputs, hazard, situation),
        "hazard_needs": _needs_rows(situation.assessment.needs, profile),
        "hazard_displaced": _fmt(situation.assessment.population.displaced),
    }


def _per_person(profile: flood.NeedsProfile) -> list[tuple[str, str]]:
    labels = _needs_labels()
    return [
        (labels["rice_kg"][0], _("%(amount)s kg") % {"amount": _g(profile.rice_kg)}),
        (
            labels["drinking_water_l"][0],
            _("%(amount)s litres") % {"amount": _g(profile.drinking_water_l)},
        ),
        (
            labels["clean_water_l"][0],
            _("%(amount)s litres") % {"amount": _g(profile.clean_water_l)},
        ),
        (
            labels["family_kits"][0],
            _("one kit per %(people)s people") % {"people": _g(profile.people_per_family_kit)},
        ),
        (
            labels["toilets"][0],
            _("one toilet per %(people)s people") % {"people": _g(profile.people_per_toilet)},
        ),
    ]


def _profile_history(municipality: Municipality) -> list[dict[str, object]]:
    return [
        {
            "saved_at": timezone.localtime(row.saved_at),
            "saved_by": row.saved_by,
            "amounts": [_g(getattr(row, name)) for name in NEEDS_PROFILE_LIMITS],
        }
        for row in flood.needs_profile_history(municipality=municipality)
    ]


@login_required
def flood_needs_profile(request: HttpRequest, code: str) -> HttpResponse:
    """The per-person weekly minimum needs: everyone reads them, disaster officers edit them."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_FLOOD)
    can_edit = can(request.user, municipality, Action.EDIT_FLOOD)
    profile = flood.needs_profile_current(municipality=municipality)
    hazard_context: dict[str, object] = {}
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(f"{Action.EDIT_FLOOD} is not allowed")
        form = NeedsProfileForm(request.POST)
        if _profile_saved(request, municipality, form):
            messages.success(request, _("The minimum needs profile was saved."))
            back = reverse("flood-needs-profile", kwargs={"code": code})
            query = request.GET.urlencode()
            return redirect(f"{back}?{query}" if query else back)
    else:
        form = NeedsProfileForm.for_profile(profile)
        try:
            hazard_context = _hazard_needs_context(request, municipality, profile)
        except InputError as error:
            return _bad_request(request, municipality, str(error))
    return render(
        request,
        "geoapp/flood/needs_profile.html",
        {
            "municipality": municipality,
            "profile": profile,
            "saved_at": timezone.localtime(profile.saved_at) if profile.saved_at else None,
            "per_person": _per_person(profile),
            "form": form if can_edit else None,
            "history": _profile_history(municipality),
            **hazard_context,
            **_nav(request, municipality),
        },
    )
