"""The import wizard's map: the first features of an upload over the municipal boundary."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import shapely
from django.utils.translation import gettext as _

from geoapp.web.maps import MapScript, escaped_columns, feature_collection, feature_details
from geoapp.web.page_maps import boundary_base_map
from layers.models import Municipality


def sample_frame(sample: dict, municipality: Municipality) -> gpd.GeoDataFrame:
    """The sample features with an `_outside` flag: not touching the municipal boundary."""
    features = sample["features"]
    geometries = [
        shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None for f in features
    ]
    frame = gpd.GeoDataFrame(
        [f.get("properties") or {} for f in features],
        geometry=gpd.GeoSeries(geometries, crs="EPSG:4326"),
        crs="EPSG:4326",
    )
    boundary = shapely.from_wkb(bytes(municipality.boundary.wkb))
    present = frame.geometry.notna() & ~frame.geometry.is_empty
    frame["_outside"] = False
    frame.loc[present, "_outside"] = ~shapely.intersects(boundary, frame.geometry[present].values)
    return frame


def preview_map(municipality: Municipality, frame: gpd.GeoDataFrame, columns: list[str]):
    """The sample over the municipal boundary; features outside it drawn in red."""
    fmap, boundary = boundary_base_map(municipality)
    drawn = frame[frame.geometry.notna() & ~frame.geometry.is_empty].reset_index(drop=True)
    shown = columns[:6]
    if len(drawn):
        properties = escaped_columns(drawn, shown)
        properties["_outside"] = [bool(v) for v in drawn["_outside"]]
        outside_label = _("outside the municipality")
        properties["status"] = [html.escape(outside_label) if v else "" for v in drawn["_outside"]]
        labels = {c: c for c in shown} | {"status": _("Note")}
        folium.GeoJson(
            feature_collection(drawn, properties),
            name=_("Features in the file"),
            marker=folium.CircleMarker(radius=6, fill=True, weight=1),
            style_function=lambda f: {
                "color": "#b42318" if f["properties"]["_outside"] else "#1f78b4",
                "fillColor": "#b42318" if f["properties"]["_outside"] else "#1f78b4",
                "weight": 2,
                "fillOpacity": 0.5,
                "className": "mueang-import-outside"
                if f["properties"]["_outside"]
                else "mueang-import-preview",
            },
            **feature_details(drawn, labels, [*shown, "status"]),
        ).add_to(fmap)
    minx, miny, maxx, maxy = (drawn if len(drawn) else boundary).total_bounds
    if len(drawn):
        bminx, bminy, bmaxx, bmaxy = boundary.total_bounds
        minx, miny = min(minx, bminx), min(miny, bminy)
        maxx, maxy = max(maxx, bmaxx), max(maxy, bmaxy)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    MapScript(
        f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"window.mueangImportPreview = {fmap.get_name()};"
    ).add_to(fmap)
    return fmap
