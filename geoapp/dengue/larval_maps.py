"""The larval page's map: zones and places coloured by risk, and (health roles) positive houses.

A plain builder as the other maps (`geoapp.dengue.maps`): values in, `folium.Map` out, no
queries. Every text is escaped on the server (`escaped_columns`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd

from geoapp.web.maps import (
    Legend,
    MapAssets,
    MapScript,
    base_map,
    boundary_layer,
    escaped_columns,
    feature_collection,
    feature_details,
    legend_html,
)


@dataclass(frozen=True)
class LarvalMapOptions:
    """Labels, colours, assets and the boundary of the larval map."""

    assets: MapAssets
    boundary: gpd.GeoDataFrame
    labels: dict[str, str]
    colours: dict
    attribution: str = ""
    basemap_url: str = ""
    basemap_attribution: str = ""


def _index_frame(rows: Sequence, labels: dict[str, str]) -> gpd.GeoDataFrame:
    usable = [r for r in rows if r.geometry is not None]
    return gpd.GeoDataFrame(
        {
            "label": [r.label for r in usable],
            "round": [r.round_number if r.round_number is not None else "" for r in usable],
            "hi": [r.hi for r in usable],
            "ci": [r.ci for r in usable],
            "bi": [r.bi for r in usable],
            "level": [labels[f"level_{r.level or 'none'}"] for r in usable],
            "colour_key": [r.level for r in usable],
        },
        geometry=gpd.GeoSeries([r.geometry for r in usable], crs=4326),
        crs=4326,
    )


def larval_map(*, zones: Sequence, places: Sequence, houses: Sequence, options) -> folium.Map:
    """Zones (published outlines for non-health roles), places and positive houses."""
    labels, colours = options.labels, options.colours
    fmap = base_map(
        options.assets,
        basemap_url=options.basemap_url,
        basemap_attribution=options.basemap_attribution,
        basemap_label=labels["basemap"],
    )
    boundary_layer(options.boundary, name=labels["boundary"]).add_to(fmap)
    names = ["label", "round", "hi", "ci", "bi", "level"]
    layer_names: dict[str, str] = {}
    # The latest round of each zone colours it (rows come ordered by zone, round).
    latest = {r.label: r for r in zones}
    for name, rows, weight in (("zones", list(latest.values()), 2), ("places", places, 1)):
        frame = _index_frame(rows, labels)
        if frame.empty:
            continue
        colour = [colours[k if isinstance(k, str) else None] for k in frame["colour_key"]]
        props = escaped_columns(frame, names).assign(colour=colour)
        layer = folium.GeoJson(
            feature_collection(frame.reset_index(drop=True), props),
            name=labels[name],
            style_function=lambda f, w=weight, n=name: {
                "className": f"mueang-larval-{n[:-1]}",
                "color": f["properties"]["colour"],
                "fillColor": f["properties"]["colour"],
                "weight": w,
                "fillOpacity": 0.35,
            },
            marker=folium.CircleMarker(radius=7, fill=True),
            **feature_details(frame, {k: labels[k] for k in names}, names),
        ).add_to(fmap)
        layer_names[name] = layer.get_name()
    if houses:
        frame = gpd.GeoDataFrame(
            {
                "round": [h.round_number for h in houses],
                "surveyed_on": [h.surveyed_on.isoformat() for h in houses],
                "label": [h.place for h in houses],
                "containers_positive": [h.containers_positive for h in houses],
                "containers": [h.containers for h in houses],
            },
            geometry=gpd.GeoSeries([h.geometry for h in houses], crs=4326),
            crs=4326,
        )
        house_names = ["label", "round", "surveyed_on", "containers_positive", "containers"]
        layer = folium.GeoJson(
            feature_collection(frame, escaped_columns(pd.DataFrame(frame), house_names)),
            name=labels["houses"],
            style_function=lambda _f: {"className": "mueang-larval-house"},
            marker=folium.CircleMarker(
                radius=5, color="#7f0000", fill=True, fill_color=colours["high"], fill_opacity=0.9
            ),
            **feature_details(frame, {k: labels[k] for k in house_names}, house_names),
        ).add_to(fmap)
        layer_names["houses"] = layer.get_name()
    entries = [(labels[f"level_{k}"], colours[k], "box") for k in ("low", "moderate", "high")]
    if houses:
        entries.append((labels["houses"], colours["high"], "dot"))
    Legend(legend_html(labels["legend"], entries)).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    fmap.fit_bounds(_bounds(options.boundary))
    registry = ", ".join(f"{json.dumps(key)}: {value}" for key, value in layer_names.items())
    MapScript(
        f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"{fmap.get_name()}.attributionControl.addAttribution("
        f"{json.dumps(html.escape(options.attribution))});"
        f"window.mueangMap = {{map: {fmap.get_name()}, layers: {{{registry}}}}};"
    ).add_to(fmap)
    return fmap


def _bounds(boundary: gpd.GeoDataFrame) -> list[list[float]]:
    minx, miny, maxx, maxy = boundary.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]
