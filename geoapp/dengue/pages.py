"""What the dengue pages show, shaped from the selectors' results: tables, frames, charts.

The views parse the request and render; these functions turn a situation, a radius evidence or a
work order into the rows, map layers and figures of a page (labels in the active language).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

import geopandas as gpd
import shapely
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from geoapp.dengue.maps import (
    DengueFrames,
    ZoneSketch,
    epi_curve_svg,
    zone_sketch_svg,
)
from geoapp.report_feeds.selectors import breeding_sites_frame, breeding_sites_in_zone
from geoapp.templatetags.thaidate import BUDDHIST_ERA_OFFSET, thai_date, thai_datetime
from layers import selectors
from layers.dengue import selectors as dengue
from layers.dengue.channel import (
    OPENDENGUE_ATTRIBUTION,
    ChannelMissing,
    ChannelSource,
    DengueChannel,
    dengue_channel,
)
from layers.models import WGS84, Landmark, Municipality

# Named streets listed on the A4 work order; the rest are counted (the sketch draws them all).
STREETS_ON_PAPER = 8


def category_labels() -> dict[str, str]:
    """Landmark categories in the active language."""
    return {k: str(v) for k, v in Landmark.Category.choices}


def landmarks_text(landmarks: list[tuple[str, str]]) -> str:
    """`วัดท่าโพธิ์ (วัด), โรงเรียน... (โรงเรียน)`: names with their category."""
    labels = category_labels()
    return ", ".join(
        f"{name} ({labels.get(category, category)})" if name else labels.get(category, category)
        for name, category in landmarks
    )


# --- Dashboard ---------------------------------------------------------------------------------


def dashboard_context(situation, *, as_of: date) -> tuple[dict, Callable[[], DengueFrames]]:
    """The dashboard's tables, timers and epidemic curve, and what builds the layers of its map.

    The layers are built only when called: the rendered map is usually cached (0.3 s of road
    simplification and date labels per request saved).
    """
    clusters = dengue.cluster_summaries(situation)
    timers = dengue.case_timers(situation, now=dengue.timers_now(as_of))
    curve = dengue.epi_curve(situation)
    channel = dengue_channel(municipality=situation.municipality, on=situation.on)
    zone_landmarks = dengue.zone_landmarks(situation)
    names = dengue.zone_names(situation, list(situation.active_zones["zone_id"]))
    cluster_names = dengue.cluster_names(situation, clusters)
    frames = partial(_dashboard_frames, situation, clusters, zone_landmarks, names, cluster_names)
    context = {
        "n_cases": len(situation.cases),
        "n_recent": int((situation.cases["onset_date"].dt.date > as_of - timedelta(days=28)).sum()),
        "cluster_rows": [
            (
                c,
                [(name, category_labels().get(cat, cat)) for name, cat in c.landmarks],
                str(cluster_names[c.cluster_id]),
            )
            for c in clusters
        ],
        "active_clusters": [c for c in clusters if c.active],
        "zones": _zone_rows(situation, zone_landmarks, names),
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
                "channel": channel_legend(),
                "channel_week": _("Week from {week}: usually {q1} to {q3} cases (median {median})"),
            },
            partial_last_week=True,
            channel=[
                (w.q1, w.median, w.q3) if w.median is not None else None for w in channel.weeks
            ]
            if channel.has_channel
            else None,
        ),
        "epi_weeks": curve,
        "epi_rows": [
            (w.week_start, w.observed, w.q1, w.q3, w.median) for w in reversed(channel.weeks)
        ],
        **channel_context(channel, municipality=situation.municipality),
    }
    return context, frames


# --- Endemic channel ---------------------------------------------------------------------------


def channel_legend() -> str:
    """The channel's name on the chart and in its legend."""
    return _("Normal channel (median and quartiles of the 5 previous years)")


def _year(year: int | None) -> str:
    if year is None:
        return ""
    return str(year + BUDDHIST_ERA_OFFSET if translation.get_language() == "th" else year)


def _count(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def channel_context(channel: DengueChannel, *, municipality: Municipality) -> dict:
    """The channel's legend, where it comes from, and the alert (or why there is no channel)."""
    context: dict = {
        "channel": channel,
        "channel_legend": channel_legend(),
        "channel_source": "",
        "channel_attribution": "",
        "channel_missing": "",
        "channel_alert": bool(channel.alert and channel.alert.alert),
        "channel_status": "",
        "channel_detail": "",
    }
    if not channel.has_channel:
        context["channel_missing"] = _channel_missing_text(channel.missing)
        return context
    years = {"first": _year(channel.first_year), "last": _year(channel.last_year)}
    if channel.source == ChannelSource.OWN:
        context["channel_source"] = (
            _("The channel comes from this municipality's own cases, %(first)s to %(last)s.")
            % years
        )
    else:
        province = (
            municipality.province_th
            if translation.get_language() == "th"
            else municipality.province_en or municipality.province_th
        )
        context["channel_source"] = _(
            "The channel comes from the monthly cases of %(province)s province, %(first)s to "
            "%(last)s (OpenDengue has data up to %(last)s, so its latest five years are used), "
            "scaled to this municipality by population: %(population)s of the province's "
            "%(province_population)s registered residents (%(share)s%%)."
        ) % {
            **years,
            "province": province,
            "population": f"{channel.population:,}",
            "province_population": f"{channel.province_population:,}",
            "share": f"{100 * (channel.population_share or 0):.1f}",
        }
        # The sources are references, quoted as published: marked <cite> for readers and the
        # English-leak crawl, escaped like all data.
        context["channel_attribution"] = mark_safe(
            conditional_escape(
                _("Province series: %(attribution)s. Province population (%(year)s): %(source)s")
            )
            % {
                "attribution": format_html("<cite>{}</cite>", OPENDENGUE_ATTRIBUTION),
                "year": _year(channel.province_population_year),
                "source": format_html("<cite>{}</cite>", channel.province_population_source),
            }
        )
    context |= _channel_alert_texts(channel)
    return context


def _channel_alert_texts(channel: DengueChannel) -> dict:
    alert = channel.alert
    if alert is None or not alert.alert:
        return {"channel_status": _("Cases in the latest weeks are not above the normal channel.")}
    this_week = alert.latest_week == channel.weeks[-1].week_start
    status = (
        _("Cases this week are above the normal channel.")
        if this_week
        else _("Cases last week were above the normal channel.")
    )
    detail = ngettext(
        "%(n)s week in a row above the channel (week from %(week)s: %(count)s cases, usually "
        "at most %(q3)s). Look for clusters and step up the control of mosquito breeding sites.",
        "%(n)s weeks in a row above the channel (week from %(week)s: %(count)s cases, usually "
        "at most %(q3)s). Look for clusters and step up the control of mosquito breeding sites.",
        alert.weeks_above,
    ) % {
        "n": alert.weeks_above,
        "week": thai_date(alert.latest_week),
        "count": f"{alert.latest_count:g}",
        "q3": _count(alert.latest_q3),
    }
    return {"channel_status": status, "channel_detail": detail}


def _channel_missing_text(missing: str) -> str:
    if missing == ChannelMissing.NO_POPULATION:
        return _(
            "No normal channel: this municipality has fewer than five years of its own cases, "
            "and its population is not recorded, so the province's series cannot be scaled to "
            "it. The municipality's administrator can enter its registered population."
        )
    if missing == ChannelMissing.NO_PROVINCE_POPULATION:
        return _(
            "No normal channel: this municipality has fewer than five years of its own cases, "
            "and its province's registered population is not known, so the province's series "
            "cannot be scaled to it."
        )
    return _(
        "No normal channel: this municipality has fewer than five years of its own cases, and "
        "its province has no monthly series in OpenDengue."
    )


def _zone_rows(situation, zone_landmarks, names) -> list[dict]:
    rows = [
        {
            "key": zone.key,
            "name": str(names[int(zone.zone_id)]),
            "number": names[int(zone.zone_id)].number,
            "n_cases": int(zone.n_cases),
            "first_onset": zone.first_onset.date(),
            "last_onset": zone.last_onset.date(),
            "closes_on": zone.closes_on.date(),
            "n_households": int(zone.n_households),
            "landmarks": landmarks_text(zone_landmarks.get(int(zone.zone_id), [])),
        }
        for zone in situation.active_zones.itertuples()
    ]
    return sorted(rows, key=lambda row: (row["number"], row["key"]))


def _dashboard_frames(situation, clusters, zone_landmarks, names, cluster_names) -> DengueFrames:
    municipality = situation.municipality
    cases = situation.cases.to_crs(WGS84)
    cases["case_label"] = [f"#{pk}" for pk in cases["id"]]
    cases["onset_label"] = [thai_date(d.date()) for d in cases["onset_date"]]
    cases["report_label"] = [thai_date(d.date()) for d in cases["report_date"]]
    cases["onset_date"] = cases["onset_date"].dt.date
    return DengueFrames(
        boundary=selectors.boundary_frame(municipality=municipality),
        roads=_orientation_roads(municipality),
        landmarks=situation.landmarks.to_crs(WGS84),
        zones=_zone_frame(situation, zone_landmarks, names),
        clusters=_cluster_frame(situation, clusters, cluster_names),
        cases=cases,
        breeding_sites=_breeding_site_frame(municipality, situation.on),
    )


def _breeding_site_frame(municipality: Municipality, on: date) -> gpd.GeoDataFrame:
    """Residents' breeding-site reports of the 60 days up to the page's date, for the map."""
    sites = breeding_sites_frame(municipality=municipality, on=on)
    return sites.assign(
        site_label=[f"#{pk}" for pk in sites["id"]],
        site_category=sites["category"],
        site_status=sites["status"],
        site_reported=[thai_datetime(at) for at in sites["reported_at"]],
    )


def reported_site_rows(order, *, municipality: Municipality, on: date) -> list[dict]:
    """Breeding sites residents reported inside the work order's zone, with their dates."""
    return [
        {"number": site.number, "reported": thai_datetime(site.reported_at), "status": site.status}
        for site in breeding_sites_in_zone(
            municipality=municipality,
            zone_geometry=order.zone.geometry,
            metric_srid=municipality.metric_srid,
            on=on,
        )
    ]


def _zone_frame(situation, zone_landmarks, names) -> gpd.GeoDataFrame:
    zones = situation.active_zones.to_crs(WGS84)
    return gpd.GeoDataFrame(
        {
            "id": list(zones["key"]),
            "zone_key": list(zones["key"]),
            "zone_name": [str(names[int(z)]) for z in zones["zone_id"]],
            "n_cases": list(zones["n_cases"]),
            "first_onset": [thai_date(d.date()) for d in zones["first_onset"]],
            "last_onset": [thai_date(d.date()) for d in zones["last_onset"]],
            "closes_on": [thai_date(d.date()) for d in zones["closes_on"]],
            "n_households": list(zones["n_households"]),
            "landmarks_text": [
                landmarks_text(zone_landmarks.get(int(z), [])) or "-" for z in zones["zone_id"]
            ],
        },
        geometry=list(zones.geometry),
        crs=WGS84,
    )


def _cluster_frame(situation, clusters, cluster_names) -> gpd.GeoDataFrame:
    active = [c for c in clusters if c.active]
    return gpd.GeoDataFrame(
        {
            "id": [c.cluster_id for c in active],
            "cluster_label": [
                _("Cluster %(n)s") % {"n": c.cluster_id + 1}
                + (f": {cluster_names[c.cluster_id]}" if str(cluster_names[c.cluster_id]) else "")
                for c in active
            ],
            "n_cases": [c.n_cases for c in active],
            "first_onset": [thai_date(c.first_onset) for c in active],
            "last_onset": [thai_date(c.last_onset) for c in active],
            "landmarks_text": [landmarks_text(c.landmarks) or "-" for c in active],
        },
        geometry=gpd.GeoSeries([c.area for c in active], crs=situation.cases.crs).to_crs(WGS84),
        crs=WGS84,
    )


def _orientation_roads(municipality: Municipality) -> gpd.GeoDataFrame:
    """Roads for orientation only: simplified to 3 m (in the metric CRS) to keep the page light."""
    roads = selectors.road_frame(municipality=municipality)
    metric = roads.geometry.to_crs(municipality.metric_srid).simplify(3.0)
    return roads.set_geometry(metric.to_crs(WGS84))


# --- Spray plan --------------------------------------------------------------------------------


def plan_rows(plan) -> list[dict]:
    """One row per planned round: what the page, the CSV and the GeoJSON all show."""
    labels = category_labels()
    return [
        {
            "zone_key": e.zone.key,
            "zone_name": str(e.zone.name),
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


CSV_COLUMNS = (
    "zone_key",
    "zone_name",
    "round_number",
    "planned_date",
    "status",
    "done_on",
    "team",
    "area_m2",
    "n_households",
    "streets",
    "unnamed_streets",
    "landmarks",
)


def plan_csv_rows(plan) -> list[list]:
    """The plan's rows as CSV cells: lists joined with semicolons."""
    rows = []
    for row in plan_rows(plan):
        cells = {
            **row,
            "streets": "; ".join(row["streets"]),
            "landmarks": "; ".join(
                f"{m['name']} ({m['category_label']})" if m["name"] else m["category_label"]
                for m in row["landmarks"]
            ),
        }
        rows.append([cells[column] for column in CSV_COLUMNS])
    return rows


def plan_feature_collection(plan, *, name: str, metric_srid: int) -> dict:
    """The plan as GeoJSON (EPSG:4326): zone outlines and what to cover, no case data."""
    outlines = gpd.GeoSeries([e.zone.geometry for e in plan.rounds], crs=metric_srid)
    outlines = shapely.set_precision(outlines.to_crs(WGS84).values, 1e-6)
    return {
        "type": "FeatureCollection",
        "name": name,
        "features": [
            {
                "type": "Feature",
                "properties": row,
                "geometry": json.loads(shapely.to_geojson(geometry)),
            }
            for row, geometry in zip(plan_rows(plan), outlines, strict=True)
        ],
    }


# --- Work order --------------------------------------------------------------------------------


def work_order_context(order) -> dict:
    """The A4 work order of one zone: its sketch, streets and numbered landmarks."""
    labels = category_labels()
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
    streets = list(order.zone.streets)
    return {
        "order": order,
        # One A4 sheet: the longest names first would be arbitrary, so the first in the
        # zone's order, and how many more (the sketch shows them all).
        "streets": streets[:STREETS_ON_PAPER],
        "more_streets": max(0, len(streets) - STREETS_ON_PAPER),
        "sketch": sketch,
        "landmarks": [
            (row.number, row.name_th or row.name_en or "-", labels.get(row.category, row.category))
            for row in landmarks.itertuples()
        ],
        "area_rai": order.zone.area_m2 / 1600,
    }
