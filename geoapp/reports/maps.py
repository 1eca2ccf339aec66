"""The reports' maps: the form's pin map, the staff queue's map and the public map."""

from __future__ import annotations

import html
from dataclasses import dataclass

import folium
import geopandas as gpd
from django.utils.translation import gettext as _

from geoapp.web.maps import (
    Legend,
    MapScript,
    escaped_columns,
    feature_collection,
    feature_details,
    legend_html,
    map_fragments,
)
from geoapp.web.page_maps import boundary_base_map
from layers.models import Municipality


def report_map_fragments(municipality: Municipality, *, script_nonce: str) -> dict[str, str]:
    """Head, body and script of the pin map; `geoapp/reports/report-form.js` adds the pin."""
    fmap, boundary = boundary_base_map(municipality)
    minx, miny, maxx, maxy = boundary.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    MapScript(f"window.mueangReportMap = {fmap.get_name()};").add_to(fmap)
    return map_fragments(fmap, script_nonce=script_nonce)


@dataclass(frozen=True)
class QueuePoint:
    """One report on the staff queue's map (text escaped by the builder)."""

    pk: int
    longitude: float
    latitude: float
    label: str
    status_label: str
    url: str
    colour: str


def queue_map_fragments(
    municipality: Municipality,
    points: list[QueuePoint],
    *,
    script_nonce: str,
    around_m: float | None = None,
) -> dict[str, str]:
    """The staff queue's map: the boundary and the filtered reports as dots (local assets).

    With `around_m`, the map shows the first point with a circle of that radius (the 50 m an
    after photo must be taken within) and zooms to the points instead of the municipality.
    """
    fmap, boundary = boundary_base_map(municipality)
    if around_m and points:
        folium.Circle(
            [points[0].latitude, points[0].longitude],
            radius=around_m,
            weight=1,
            fill=False,
            class_name="mueang-report-radius",
        ).add_to(fmap)
    features = [
        {
            "type": "Feature",
            "id": p.pk,
            "properties": {
                "report": f'<a href="{html.escape(p.url)}">#{p.pk}</a>',
                "what": html.escape(p.label),
                "status": html.escape(p.status_label),
                "colour": p.colour,
            },
            "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]},
        }
        for p in points
    ]
    if features:
        labels = [
            html.escape(str(_("Report"))),
            html.escape(str(_("Problem"))),
            html.escape(str(_("Status"))),
        ]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=str(_("Reports")),
            marker=folium.CircleMarker(radius=7, fill=True, weight=1),
            style_function=lambda f: {
                "fillColor": f["properties"]["colour"],
                "color": "#ffffff",
                "fillOpacity": 0.9,
                "className": "mueang-report",
            },
            tooltip=folium.GeoJsonTooltip(["what", "status"], labels[1:]),
            popup=folium.GeoJsonPopup(["report", "what", "status"], labels),
        ).add_to(fmap)
    minx, miny, maxx, maxy = boundary.total_bounds
    if around_m and points:
        pad = around_m * 2 / 110_000  # degrees, generous at Thai latitudes
        minx = min(p.longitude for p in points) - pad
        maxx = max(p.longitude for p in points) + pad
        miny = min(p.latitude for p in points) - pad
        maxy = max(p.latitude for p in points) + pad
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    MapScript(f"window.mueangMap = {fmap.get_name()};").add_to(fmap)
    return map_fragments(fmap, script_nonce=script_nonce)


#: Colours of the public map's status groups (open red, in progress amber, done green).
GROUP_COLOURS = {"open": "#d7301f", "in_progress": "#fe9929", "done": "#238443"}


@dataclass(frozen=True)
class PublicMapOptions:
    """Labels (Thai by default) and the groups to draw, in order."""

    group_labels: dict[str, str]
    field_labels: dict[str, str]
    legend_title: str


def public_reports_map(
    fmap: folium.Map, boundary: gpd.GeoDataFrame, reports: gpd.GeoDataFrame,
    options: PublicMapOptions,
) -> folium.Map:  # fmt: skip
    """One switchable layer per status group; popups escaped, each linking to the public page.

    `reports` has the columns group, category, status, reported (display text) and link (the
    report page's path) in EPSG:4326.
    """
    for group, label in options.group_labels.items():
        part = reports[reports["group"] == group]
        props = escaped_columns(part, ["category", "status", "reported"])
        props["link"] = [
            f'<a href="{html.escape(path)}">{html.escape(options.field_labels["link"])}</a>'
            for path in part["link"]
        ]
        colour = GROUP_COLOURS[group]
        folium.GeoJson(
            feature_collection(part, props),
            name=label,
            marker=folium.CircleMarker(radius=7, fill=True, weight=1),
            style_function=lambda _f, colour=colour: {
                "fillColor": colour,
                "color": "#ffffff",
                "fillOpacity": 0.9,
                "className": "mueang-report",
            },
            **feature_details(
                part, options.field_labels, ["category", "status", "reported", "link"]
            ),
        ).add_to(fmap)
    entries = [(label, GROUP_COLOURS[g], "dot") for g, label in options.group_labels.items()]
    Legend(legend_html(options.legend_title, entries)).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if not boundary.empty:
        minx, miny, maxx, maxy = boundary.total_bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap
