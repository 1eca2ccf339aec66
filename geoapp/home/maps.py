"""The maps of a municipality's home: the city map and the small map of the home page.

The city map draws roads, landmarks, flood zones and (for allowed roles) dengue cases; the home
page's map only the layers its admin chose, so the page stays light.

A map builder is a plain function `(frames, options) -> folium.Map`: no queries, no requests.
Every asset is served by Mueang (options.assets); text from data is escaped here, because
folium's tooltips and popups insert property values as HTML.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import date

import folium
import geopandas as gpd
import pandas as pd
import shapely
from jinja2 import Template

from geoapp.web.maps import (
    CASE_WEEK_COLOURS,
    HAZARD_COLOURS,
    LABEL_MIN_ZOOM,
    LANDMARK_COLOURS,
    ROAD_STYLES,
    Legend,
    MapAssets,
    MapScript,
    NameLabels,
    ZoomToData,
    base_map,
    boundary_layer,
    escaped_columns,
    feature_collection,
    feature_details,
    flood_zone_layer,
    landmark_layer,
    legend_html,
    name_labels,
    subdistrict_layer,
    weeks_colour,
)


@dataclass(frozen=True)
class CityMapOptions:
    """Presentation options; every label is already translated by the caller."""

    assets: MapAssets
    labels: dict[str, str]
    road_class_labels: dict[str, str]
    landmark_category_labels: dict[str, str]
    hazard_labels: dict[str, str]
    attribution: str
    today: date
    basemap_url: str = ""
    basemap_attribution: str = ""
    # Used when CityFrames.roads is None: a tile URL template with {z}/{x}/{y}.
    roads_tile_url: str = ""


@dataclass
class CityFrames:
    """The layers to draw, all in EPSG:4326.

    `cases` (exact) and `masked_cases` (moved by donut masking, week-level dates) are None when
    the role may not see them; a role sees at most one of the two.
    """

    boundary: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None  # None: too many to send inline, drawn from vector tiles
    landmarks: gpd.GeoDataFrame
    flood_zones: gpd.GeoDataFrame
    subdistricts: gpd.GeoDataFrame
    cases: gpd.GeoDataFrame | None = None
    masked_cases: gpd.GeoDataFrame | None = None
    layer_names: dict[str, str] = field(default_factory=dict)


def _case_layer(
    fmap: folium.Map,
    frame: gpd.GeoDataFrame,
    options: CityMapOptions,
    key: str,
    class_name: str,
    fields: list[str],
) -> folium.GeoJson:
    """Case points coloured by weeks since onset (exact, or masked with week-level dates)."""
    labels = options.labels
    onset = pd.to_datetime(frame["onset_date"])
    weeks = ((pd.Timestamp(options.today) - onset).dt.days // 7).clip(lower=0)
    props = escaped_columns(
        frame, ["onset_date", "diagnosis"] if "diagnosis" in frame else ["onset_date"]
    )
    props["onset_week"] = props["onset_date"]
    props["weeks"] = weeks.astype(int).values
    props["generated"] = [
        html.escape(labels["generated"] if flag else "") for flag in frame["is_generated"]
    ]
    props["masked"] = html.escape(labels["masked_note"])
    return folium.GeoJson(
        feature_collection(frame, props),
        name=labels[key],
        # Exact cases matter to health officers; the masked ones are context for planners and
        # others, off until asked for, so they do not take the taps meant for roads and places.
        show=key == "cases",
        marker=folium.CircleMarker(radius=5, fill=True, weight=1),
        style_function=lambda f: {
            "fillColor": weeks_colour(f["properties"]["weeks"]),
            "color": "#000000",
            "fillOpacity": 0.9,
            "className": class_name,
        },
        **feature_details(frame, labels, fields),
    ).add_to(fmap)


def _road_geojson(roads: gpd.GeoDataFrame, options: CityMapOptions) -> folium.GeoJson:
    """Roads inline as GeoJSON (small towns), styled by class."""
    labels = options.labels
    road_props = escaped_columns(roads, ["name_th", "name_en", "surface", "ref"])
    road_props["road_class"] = roads["road_class"].values
    road_props["label"] = name_labels(
        roads["name_th"].where(roads["name_th"].fillna("").str.strip() != "", roads["name_en"]),
        # In degrees: only to choose the longest piece of each street.
        lengths=pd.Series(shapely.length(roads.geometry.to_numpy()), index=roads.index),
    )
    road_props["class_label"] = [
        html.escape(options.road_class_labels.get(value, value)) for value in roads["road_class"]
    ]
    road_fields = ["name_th", "name_en", "class_label", "surface"]
    return folium.GeoJson(
        feature_collection(roads, road_props),
        name=labels["roads"],
        style_function=lambda f: {
            "color": ROAD_STYLES.get(f["properties"]["road_class"], ROAD_STYLES["other"])[0],
            "weight": ROAD_STYLES.get(f["properties"]["road_class"], ROAD_STYLES["other"])[1],
            "opacity": 0.9,
            "className": "mueang-road",
        },
        highlight_function=lambda _f: {"weight": 6, "color": "#000000"},
        **feature_details(roads, labels, road_fields, sticky=True),
    )


class _RoadTiles(folium.map.Layer):
    """Roads as vector tiles from /tiles/roads/ (large towns): only what is on screen loads.

    Popups are built with textContent, so names from the data can never become markup.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var styles = {{ this.styles|tojson }};
            var classLabels = {{ this.class_labels|tojson }};
            var fieldLabels = {{ this.field_labels|tojson }};
            var layer = L.vectorGrid.protobuf({{ this.url|tojson }}, {
                rendererFactory: L.svg.tile,
                interactive: true,
                maxNativeZoom: 18,
                vectorTileLayerStyles: {
                    roads: function (properties) {
                        var style = styles[properties.road_class] || styles.other;
                        return {color: style[0], weight: style[1], opacity: 0.9,
                                className: "mueang-road-tile"};
                    }
                }
            });
            layer.on("click", function (event) {
                var p = event.layer.properties || {};
                var table = document.createElement("table");
                [["name_th", p.name_th], ["name_en", p.name_en],
                 ["class_label", classLabels[p.road_class] || p.road_class],
                 ["surface", p.surface]].forEach(function (row) {
                    var tr = table.insertRow();
                    tr.insertCell().textContent = fieldLabels[row[0]];
                    tr.insertCell().textContent = row[1] || "";
                });
                L.popup().setLatLng(event.latlng).setContent(table)
                    .openOn({{ this._parent.get_name() }});
            });
            return layer;
        })();
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, *, url: str, name: str, class_labels: dict, field_labels: dict):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "RoadTiles"
        self.url = url
        self.styles = ROAD_STYLES
        self.class_labels = class_labels
        self.field_labels = field_labels


def compact_on_phones(map_name: str, control_name: str) -> str:
    """JS folding the open layer switcher on narrow screens, where it would hide the map.

    Its button opens it again; a tap on the map folds it.
    """
    return (
        "if (window.matchMedia('(max-width: 600px)').matches) {"
        f"{control_name}.collapse();"
        f"{map_name}.on('click', function () {{ {control_name}.collapse(); }});"
        "}"
    )


def _map_start(boundary: gpd.GeoDataFrame, options: CityMapOptions) -> folium.Map:
    """The base map fitted to the municipal boundary, the boundary drawn."""
    fmap = base_map(
        options.assets,
        basemap_url=options.basemap_url,
        basemap_attribution=options.basemap_attribution,
        basemap_label=options.labels["basemap"],
    )
    minx, miny, maxx, maxy = boundary.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    boundary_layer(boundary, name=options.labels["boundary"]).add_to(fmap)
    return fmap


def _roads_add(
    fmap: folium.Map, roads: gpd.GeoDataFrame | None, options: CityMapOptions
) -> tuple[str, set[str]]:
    """Draw the roads, as vector tiles when `roads` is None; (layer name, classes shown)."""
    if roads is not None:
        return _road_geojson(roads, options).add_to(fmap).get_name(), set(roads["road_class"])
    labels = options.labels
    tiles = _RoadTiles(
        url=options.roads_tile_url,
        name=labels["roads"],
        class_labels=options.road_class_labels,
        field_labels={k: labels[k] for k in ("name_th", "name_en", "class_label", "surface")},
    ).add_to(fmap)
    fmap.default_js = [*fmap.default_js, ("vectorgrid", options.assets.vectorgrid_js)]
    return tiles.get_name(), set(ROAD_STYLES)


def _landmarks_add(
    fmap: folium.Map, landmarks: gpd.GeoDataFrame, options: CityMapOptions, *, radius: int
) -> str:
    """Draw the landmarks as dots of `radius` pixels; the layer's name."""
    layer = landmark_layer(
        landmarks,
        labels=options.labels,
        category_labels=options.landmark_category_labels,
        radius=radius,
    )
    return layer.add_to(fmap).get_name()


def _roads_legend(options: CityMapOptions, road_classes: set[str]) -> str:
    return legend_html(
        options.labels["roads"],
        [
            (options.road_class_labels.get(name, name), colour, "line")
            for name, (colour, _w) in ROAD_STYLES.items()
            if name in road_classes
        ],
    )


def _landmarks_legend(options: CityMapOptions, landmarks: gpd.GeoDataFrame) -> str:
    return legend_html(
        options.labels["landmarks"],
        [
            (options.landmark_category_labels.get(name, name), colour, "dot")
            for name, colour in LANDMARK_COLOURS.items()
            if name in set(landmarks["category"])
        ],
    )


def _map_script(fmap: folium.Map, options: CityMapOptions, layer_names: dict, prefix: str = ""):
    """Attribution, and `window.mueangMap` naming the layers for the page's script."""
    registry = ", ".join(f"{json.dumps(key)}: {name}" for key, name in layer_names.items())
    MapScript(
        prefix + f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"{fmap.get_name()}.attributionControl.addAttribution("
        f"{json.dumps(html.escape(options.attribution))});"
        f"window.mueangMap = {{map: {fmap.get_name()}, layers: {{{registry}}}}};"
    ).add_to(fmap)


def _case_layers_add(fmap: folium.Map, frames: CityFrames, options: CityMapOptions) -> dict:
    """The exact or the masked cases, whichever the frames hold; their layer names."""
    case_layers = [
        (frames.cases, "cases", "mueang-case", ["onset_date", "diagnosis", "weeks", "generated"]),
        (
            frames.masked_cases,
            "masked_cases",
            "mueang-case-masked",
            ["onset_week", "weeks", "masked"],
        ),
    ]
    names = {}
    for frame, key, class_name, fields in case_layers:
        if frame is not None:
            names[key] = _case_layer(fmap, frame, options, key, class_name, fields).get_name()
    return names


def _labels_add(fmap: folium.Map, frames: CityFrames, layer_names: dict[str, str]) -> None:
    """Road and landmark names written on the map when zoomed in (roads inline only)."""
    layers = fmap._children  # branca's children by their JS names
    NameLabels(layers[layer_names["landmarks"]], min_zoom=LABEL_MIN_ZOOM, direction="right").add_to(
        fmap
    )
    if frames.roads is not None:
        NameLabels(layers[layer_names["roads"]], min_zoom=LABEL_MIN_ZOOM).add_to(fmap)


def city_map(frames: CityFrames, options: CityMapOptions) -> folium.Map:
    """Build the municipality map with a layer switcher, a legend and local assets only."""
    labels = options.labels
    fmap = _map_start(frames.boundary, options)
    layer_names: dict[str, str] = {}
    subdistricts = subdistrict_layer(frames.subdistricts, labels=labels).add_to(fmap)
    layer_names["subdistricts"] = subdistricts.get_name()
    flood = flood_zone_layer(
        frames.flood_zones, labels=labels, hazard_labels=options.hazard_labels
    ).add_to(fmap)
    layer_names["flood_zones"] = flood.get_name()
    layer_names["roads"], road_classes = _roads_add(fmap, frames.roads, options)
    layer_names["landmarks"] = _landmarks_add(fmap, frames.landmarks, options, radius=7)
    _labels_add(fmap, frames, layer_names)
    hazards = [(options.hazard_labels.get(n, n), c, "box") for n, c in HAZARD_COLOURS.items()]
    legend = [
        _roads_legend(options, road_classes),
        _landmarks_legend(options, frames.landmarks),
        legend_html(labels["flood_zones"], hazards),
    ]
    layer_names |= _case_layers_add(fmap, frames, options)
    if frames.cases is not None or frames.masked_cases is not None:
        weeks = [(labels[f"cases_week_{limit}"], c, "dot") for limit, c in CASE_WEEK_COLOURS]
        legend.append(legend_html(labels["cases_legend"], weeks))
    control = folium.LayerControl(collapsed=False).add_to(fmap)
    Legend("".join(legend)).add_to(fmap)
    ZoomToData(labels.get("zoom_to_data", "Zoom to the data")).add_to(fmap)
    _map_script(fmap, options, layer_names, compact_on_phones(fmap.get_name(), control.get_name()))
    return fmap


@dataclass
class DashboardFrames:
    """The boundary plus the chosen layers (EPSG:4326); None: not on this map.

    `roads_tiled`: the roads are on the map but come as vector tiles (too many to inline).
    """

    boundary: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None = None
    roads_tiled: bool = False
    landmarks: gpd.GeoDataFrame | None = None
    flood_zones: gpd.GeoDataFrame | None = None
    subdistricts: gpd.GeoDataFrame | None = None


def dashboard_map(frames: DashboardFrames, options: CityMapOptions) -> folium.Map:
    """Build the home page map: chosen layers only, a collapsed switcher and a legend."""
    labels = options.labels
    fmap = _map_start(frames.boundary, options)
    layer_names: dict[str, str] = {}
    legend: list[str] = []
    if frames.subdistricts is not None:
        subdistricts = subdistrict_layer(frames.subdistricts, labels=labels)
        subdistricts.show = True
        layer_names["subdistricts"] = subdistricts.add_to(fmap).get_name()
    if frames.flood_zones is not None:
        flood = flood_zone_layer(
            frames.flood_zones, labels=labels, hazard_labels=options.hazard_labels
        )
        layer_names["flood_zones"] = flood.add_to(fmap).get_name()
    if frames.roads_tiled or frames.roads is not None:
        roads = None if frames.roads_tiled else frames.roads
        layer_names["roads"], road_classes = _roads_add(fmap, roads, options)
        legend.append(_roads_legend(options, road_classes))
    if frames.landmarks is not None:
        layer_names["landmarks"] = _landmarks_add(fmap, frames.landmarks, options, radius=6)
        legend.append(_landmarks_legend(options, frames.landmarks))
    if layer_names:
        folium.LayerControl(collapsed=True).add_to(fmap)
    if legend:
        Legend("".join(legend)).add_to(fmap)
    _map_script(fmap, options, layer_names)
    return fmap
