"""The flood dashboard map: impassable roads, flooded landmarks and buildings by hazard class.

A map builder is a plain function `(frames, options) -> folium.Map`: no queries, no requests.
Every label comes translated from the caller. Text from data is escaped here where folium's
tooltips and popups insert it as HTML (landmarks, zones, subdistricts); the large layers (road
pieces, buildings) carry codes and raw text instead, and their tooltips set it as text nodes,
never as markup (`_TextTooltips`), which also keeps the page small.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from geoapp.web.maps import (
    HAZARD_COLOURS,
    Legend,
    MapAssets,
    MapScript,
    base_map,
    boundary_layer,
    escaped_columns,
    feature_collection,
    feature_details,
    legend_html,
    subdistrict_layer,
)
from geoapp.web.raster import classes_rgba, raster_overlay
from layers.rasters import RasterPreview

# Impassable road pieces: reds, darker with deeper water (the zones underneath are blues).
IMPASSABLE_COLOURS: dict[str, str] = {"low": "#fc8d59", "medium": "#e34a33", "high": "#99000d"}
FLOODED_PASSABLE_COLOUR = "#fdbb84"
CONTEXT_ROAD_COLOUR = "#9aa5b1"
DRY_LANDMARK_COLOUR = "#bdbdbd"
CUT_OFF_COLOUR = "#d7301f"
OBSERVED_COLOUR = "#08519c"
OBSERVED_FIELDS = ["site_label", "site_category", "site_status", "site_reported"]


@dataclass(frozen=True)
class FloodMapOptions:
    """Presentation options; every label is already translated by the caller."""

    assets: MapAssets
    labels: dict[str, str]
    hazard_labels: dict[str, str]
    landmark_category_labels: dict[str, str]
    road_class_labels: dict[str, str]
    attribution: str
    basemap_url: str = ""
    basemap_attribution: str = ""


@dataclass
class FloodFrames:
    """The layers to draw, all in EPSG:4326.

    `pieces` are the road pieces inside flood zones (``hazard_class``, ``impassable``,
    ``length_m``, ``name_th``, ``road_class``); `landmarks` carry ``hazard_class``, ``affected``
    and ``cut_off``; `buildings` are the affected buildings only (``hazard_class``,
    ``population``).
    """

    boundary: gpd.GeoDataFrame
    subdistricts: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    pieces: gpd.GeoDataFrame
    landmarks: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    depth: RasterPreview | None = None
    depth_breaks_m: tuple[float, ...] = ()
    # Flooded roads residents reported (`geoapp.report_feeds`): site_label, site_category,
    # site_status, site_reported (the time); no contact.
    observed: gpd.GeoDataFrame | None = None


def _class_labels(frame: gpd.GeoDataFrame, options: FloodMapOptions) -> list[str]:
    return [html.escape(options.hazard_labels.get(value, value)) for value in frame["hazard_class"]]


def _zones_layer(frames: FloodFrames, options: FloodMapOptions) -> folium.GeoJson:
    zones = frames.zones
    props = escaped_columns(zones, ["event"])
    props["hazard_class"] = zones["hazard_class"].to_numpy()
    props["hazard"] = _class_labels(zones, options)
    return folium.GeoJson(
        feature_collection(zones, props),
        name=options.labels["zones"],
        style_function=lambda f: {
            "color": HAZARD_COLOURS.get(f["properties"]["hazard_class"], "#6baed6"),
            "weight": 1,
            "fillOpacity": 0.3,
            "className": "mueang-flood-zone",
        },
        **feature_details(zones, options.labels, ["event", "hazard"]),
    )


class _TextTooltips(MacroElement):
    """Tooltips of a large layer, built as text nodes: data text is never parsed as HTML.

    The layer's features carry codes (a hazard class, a road class); their labels travel once,
    in `lookups`, instead of once per feature: the page stays small.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var rows = {{ this.rows|tojson }};
            var lookups = {{ this.lookups|tojson }};
            {{ this.layer_name }}.eachLayer(function (layer) {
                var p = layer.feature.properties;
                layer.bindTooltip(function () {
                    var table = document.createElement("table");
                    rows.forEach(function (row) {
                        var value = p[row[1]];
                        if (row[2]) { value = (lookups[row[2]] || {})[String(value)]; }
                        if (value === undefined || value === null || value === "") { return; }
                        var tr = table.insertRow();
                        var th = document.createElement("th");
                        th.textContent = row[0];
                        tr.appendChild(th);
                        tr.insertCell().textContent = String(value);
                    });
                    return table;
                }, {sticky: true});
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: folium.GeoJson, rows: list[tuple[str, str, str]], lookups: dict):
        super().__init__()
        self._name = "MueangTextTooltips"
        self.layer_name = layer.get_name()
        self.rows = [list(row) for row in rows]
        self.lookups = lookups


def _plain(values) -> list:
    """Data values for JSON: text as it is (tooltips insert it as text), blanks for missing."""
    return ["" if v is None or (isinstance(v, float) and v != v) else v for v in values]


def _context_roads_layer(frames: FloodFrames, options: FloodMapOptions) -> folium.GeoJson:
    roads = frames.roads
    return folium.GeoJson(
        feature_collection(roads, pd.DataFrame(index=roads.index)),
        name=options.labels["roads"],
        style_function=lambda _f: {
            "color": CONTEXT_ROAD_COLOUR,
            "weight": 1.5,
            "opacity": 0.9,
            "interactive": False,
            "className": "mueang-road-context",
        },
    )


def _pieces_layer(frames: FloodFrames, options: FloodMapOptions) -> folium.GeoJson:
    pieces = frames.pieces
    props = pd.DataFrame(
        {
            "name": _plain(pieces["name_th"]),
            "road_class": pieces["road_class"].to_numpy(),
            "hazard_class": pieces["hazard_class"].to_numpy(),
            "impassable": pieces["impassable"].astype(int).to_numpy(),
            "length": [f"{value:,.0f}" for value in pieces["length_m"]],
        },
        index=pieces.index,
    )

    def style(feature):
        p = feature["properties"]
        if p["impassable"]:
            colour = IMPASSABLE_COLOURS.get(p["hazard_class"], IMPASSABLE_COLOURS["high"])
            return {"color": colour, "weight": 4, "opacity": 0.95, "className": "mueang-impassable"}
        return {
            "color": FLOODED_PASSABLE_COLOUR,
            "weight": 3,
            "opacity": 0.95,
            "dashArray": "4 4",
            "className": "mueang-flooded-road",
        }

    return folium.GeoJson(
        feature_collection(pieces, props),
        name=options.labels["impassable_roads"],
        style_function=style,
        highlight_function=lambda _f: {"weight": 7},
    )


def _pieces_tooltips(layer: folium.GeoJson, options: FloodMapOptions) -> _TextTooltips:
    labels = options.labels
    return _TextTooltips(
        layer,
        [
            (labels["name_th"], "name", ""),
            (labels["road_class_label"], "road_class", "road_class"),
            (labels["hazard"], "hazard_class", "hazard"),
            (labels["state"], "impassable", "state"),
            (labels["length"], "length", ""),
        ],
        {
            "road_class": options.road_class_labels,
            "hazard": options.hazard_labels,
            "state": {"1": labels["impassable_yes"], "0": labels["impassable_no"]},
        },
    )


def _buildings_layer(frames: FloodFrames, options: FloodMapOptions) -> folium.GeoJson:
    buildings = frames.buildings
    props = pd.DataFrame(
        {
            "hazard_class": buildings["hazard_class"].to_numpy(),
            "residents": buildings["population"].astype(int).to_numpy(),
            # Raw text: the tooltips set it as a text node (see the module docstring).
            "house_number": (
                buildings["house_number"].fillna("").astype(str).to_numpy()
                if "house_number" in buildings
                else [""] * len(buildings)
            ),
        },
        index=buildings.index,
    )
    return folium.GeoJson(
        feature_collection(buildings, props),
        name=options.labels["buildings"],
        style_function=lambda f: {
            "color": HAZARD_COLOURS.get(f["properties"]["hazard_class"], "#2171b5"),
            "weight": 1,
            "fillOpacity": 0.8,
            "className": "mueang-flooded-building",
        },
    )


def _buildings_tooltips(layer: folium.GeoJson, options: FloodMapOptions) -> _TextTooltips:
    labels = options.labels
    return _TextTooltips(
        layer,
        [
            (labels["house_number"], "house_number", ""),
            (labels["hazard"], "hazard_class", "hazard"),
            (labels["residents"], "residents", ""),
        ],
        {"hazard": options.hazard_labels},
    )


def _landmarks_layer(frames: FloodFrames, options: FloodMapOptions) -> folium.GeoJson:
    landmarks = frames.landmarks
    labels = options.labels
    props = escaped_columns(landmarks, ["name_th", "name_en"])
    props["hazard_class"] = landmarks["hazard_class"].to_numpy()
    props["affected"] = landmarks["affected"].astype(bool).to_numpy()
    props["hazard"] = _class_labels(landmarks, options)
    props["category_label"] = [
        html.escape(options.landmark_category_labels.get(value, value))
        for value in landmarks["category"]
    ]
    props["access"] = [
        html.escape(labels["cut_off_yes"]) if flag else "" for flag in landmarks["cut_off"]
    ]

    def style(feature):
        p = feature["properties"]
        if p["affected"]:
            return {
                "fillColor": HAZARD_COLOURS.get(p["hazard_class"], "#2171b5"),
                "color": "#ffffff",
                "weight": 2,
                "fillOpacity": 0.95,
                "className": "mueang-flooded-landmark",
            }
        return {
            "fillColor": DRY_LANDMARK_COLOUR,
            "color": "#525252",
            "weight": 1,
            "fillOpacity": 0.9,
            "className": "mueang-dry-landmark",
        }

    return folium.GeoJson(
        feature_collection(landmarks, props),
        name=labels["landmarks"],
        marker=folium.CircleMarker(radius=7, fill=True, weight=1),
        style_function=style,
        **feature_details(
            landmarks, labels, ["name_th", "name_en", "category_label", "hazard", "access"]
        ),
    )


def _cut_off_layer(frames: FloodFrames, options: FloodMapOptions) -> folium.GeoJson:
    cut_off = frames.landmarks[frames.landmarks["cut_off"].astype(bool).to_numpy()]
    props = escaped_columns(cut_off, ["name_th"])
    props["category_label"] = [
        html.escape(options.landmark_category_labels.get(value, value))
        for value in cut_off["category"]
    ]
    props["access"] = html.escape(options.labels["cut_off_yes"])
    return folium.GeoJson(
        feature_collection(cut_off, props),
        name=options.labels["cut_off"],
        marker=folium.CircleMarker(radius=13, fill=False, weight=3),
        style_function=lambda _f: {
            "color": CUT_OFF_COLOUR,
            "fill": False,
            "weight": 3,
            "dashArray": "5 3",
            "className": "mueang-cut-off",
        },
        **feature_details(cut_off, options.labels, ["name_th", "category_label", "access"]),
    )


def _observed_layer(frames: FloodFrames, options: FloodMapOptions) -> folium.GeoJson:
    observed = frames.observed
    return folium.GeoJson(
        feature_collection(observed, escaped_columns(observed, OBSERVED_FIELDS)),
        name=options.labels["observed"],
        marker=folium.CircleMarker(radius=8, fill=True, weight=2),
        style_function=lambda _f: {
            "color": "#ffffff",
            "fillColor": OBSERVED_COLOUR,
            "fillOpacity": 0.95,
            "className": "mueang-observed-flooding",
        },
        **feature_details(observed, options.labels, OBSERVED_FIELDS),
    )


def _depth_layer(
    frames: FloodFrames, options: FloodMapOptions
) -> folium.raster_layers.ImageOverlay:
    """A raster hazard's depths coloured by class (dry cells clear), as one image overlay."""
    classes = ["dry", "low", "medium", "high"][: len(frames.depth_breaks_m) + 1]
    colours = [None, *(HAZARD_COLOURS.get(c) for c in classes[1:])]
    rgba = classes_rgba(frames.depth.values, breaks=frames.depth_breaks_m, colours=colours)
    return raster_overlay(
        frames.depth, rgba, name=options.labels["depth"], class_name="mueang-flood-depth"
    )


def flood_map(frames: FloodFrames, options: FloodMapOptions) -> folium.Map:
    """Build the flood dashboard map with a layer switcher, a legend and local assets only."""
    labels = options.labels
    fmap = base_map(
        options.assets,
        basemap_url=options.basemap_url,
        basemap_attribution=options.basemap_attribution,
        basemap_label=labels["basemap"],
    )
    minx, miny, maxx, maxy = frames.boundary.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    boundary_layer(frames.boundary, name=labels["boundary"]).add_to(fmap)
    layers: dict[str, folium.map.Layer] = {
        "subdistricts": subdistrict_layer(frames.subdistricts, labels=labels),
    }
    if frames.depth is not None:
        layers["depth"] = _depth_layer(frames, options)
    else:
        layers["zones"] = _zones_layer(frames, options)
    layers |= {
        "roads": _context_roads_layer(frames, options),
        "buildings": _buildings_layer(frames, options),
        "impassable_roads": _pieces_layer(frames, options),
        "landmarks": _landmarks_layer(frames, options),
        "cut_off": _cut_off_layer(frames, options),
    }
    if frames.observed is not None and not frames.observed.empty:
        layers["observed"] = _observed_layer(frames, options)
    for layer in layers.values():
        layer.add_to(fmap)
    _pieces_tooltips(layers["impassable_roads"], options).add_to(fmap)
    _buildings_tooltips(layers["buildings"], options).add_to(fmap)

    classes = [c for c in ("low", "medium", "high") if c in options.hazard_labels]
    legend = [
        legend_html(
            labels["legend_hazard"],
            [(options.hazard_labels[c], HAZARD_COLOURS[c], "box") for c in classes],
        ),
        legend_html(
            labels["impassable_roads"],
            [(options.hazard_labels[c], IMPASSABLE_COLOURS[c], "line") for c in classes]
            + (
                [(labels["impassable_no"], FLOODED_PASSABLE_COLOUR, "line")]
                if not frames.pieces.empty and not frames.pieces["impassable"].all()
                else []
            ),
        ),
        legend_html(
            labels["legend_other"],
            [
                (labels["roads"], CONTEXT_ROAD_COLOUR, "line"),
                (labels["landmark_dry"], DRY_LANDMARK_COLOUR, "dot"),
                (labels["cut_off"], CUT_OFF_COLOUR, "ring"),
            ]
            + ([(labels["observed"], OBSERVED_COLOUR, "dot")] if "observed" in layers else []),
        ),
    ]
    folium.LayerControl(collapsed=True).add_to(fmap)
    Legend("".join(legend)).add_to(fmap)
    registry = ", ".join(f"{json.dumps(key)}: {layer.get_name()}" for key, layer in layers.items())
    MapScript(
        f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"{fmap.get_name()}.attributionControl.addAttribution("
        f"{json.dumps(html.escape(options.attribution))});"
        f"window.mueangMap = {{map: {fmap.get_name()}, layers: {{{registry}}}}};"
    ).add_to(fmap)
    return fmap
