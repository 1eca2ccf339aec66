"""The reports' maps: the form's pin map and the staff queue's map (local assets only)."""

from __future__ import annotations

import html
from dataclasses import dataclass

import folium
from django.utils.translation import gettext as _

from geoapp.web.maps import MapScript, map_fragments
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
