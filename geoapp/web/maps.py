"""The city map: roads, landmarks, flood zones and (for allowed roles) dengue cases.

Its building blocks (`feature_collection`, `escaped_columns`, `feature_details`, `Legend`,
`legend_html`, `MapScript`, `weeks_colour`) are shared by the dengue and flood maps.

A map builder is a plain function `(frames, options) -> folium.Map`: no queries, no requests.
Every asset is served by Mueang (options.assets); text from data is escaped here, because
folium's tooltips and popups insert property values as HTML.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlparse

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

# Colour and weight per OSM road class, major roads drawn heavier.
ROAD_STYLES: dict[str, tuple[str, float]] = {
    "motorway": ("#b2182b", 5.0),
    "trunk": ("#d6604d", 4.5),
    "primary": ("#f4a582", 4.0),
    "secondary": ("#e08214", 3.5),
    "tertiary": ("#8c6d31", 3.0),
    "unclassified": ("#636363", 2.0),
    "residential": ("#878787", 1.5),
    "living_street": ("#969696", 1.5),
    "service": ("#bdbdbd", 1.0),
    "track": ("#a6761d", 1.0),
    "path": ("#a6761d", 1.0),
    "other": ("#bdbdbd", 1.0),
}
LANDMARK_COLOURS: dict[str, str] = {
    "temple": "#e6ab02",
    "shrine": "#d95f02",
    "church": "#7570b3",
    "mosque": "#1b9e77",
    "school": "#1f78b4",
    "hospital": "#e31a1c",
    "health_centre": "#fb9a99",
    "market": "#33a02c",
    "government": "#6a3d9a",
    "community_centre": "#b15928",
    "shelter": "#ff7f00",
    "tourist_spot": "#a6cee3",
    "canal_pier": "#0570b0",
    "otop_shop": "#b2df8a",
    "other": "#737373",
}
HAZARD_COLOURS: dict[str, str] = {
    "dry": "#c6dbef",
    "low": "#6baed6",
    "medium": "#2171b5",
    "high": "#08306b",
}
# Weeks since onset: recent cases are the ones that still need spraying.
CASE_WEEK_COLOURS: list[tuple[int, str]] = [
    (1, "#67000d"),
    (2, "#cb181d"),
    (4, "#fb6a4a"),
    (8, "#fcae91"),
    (10**6, "#bdbdbd"),
]
COORDINATE_GRID_DEG = 1e-6  # about 0.1 m: enough for a city map, fewer bytes on the wire


@dataclass(frozen=True)
class MapAssets:
    """URLs of the locally served files the map needs."""

    leaflet_js: str
    leaflet_css: str
    map_css: str
    vectorgrid_js: str = ""


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


class MapScript(MacroElement):
    """A script run after the map exists; `code` gets the map's JS name as `{map}`."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self._name = "MueangSnippet"
        self.code = code


class Legend(MacroElement):
    """A legend box in the map corner; its HTML is built from escaped strings only."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "mueang-legend");
                div.innerHTML = {{ this.html|tojson }};
                div.tabIndex = 0;  // it may scroll: keyboard users must reach it (WCAG 2.1.1)
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "MueangLegend"
        self.html = html_text


def escaped_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Turn values into display strings escaped for HTML (tooltips insert them as markup)."""
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        out[column] = [
            ""
            if value is None or (isinstance(value, float) and pd.isna(value))
            else html.escape(str(value))
            for value in frame[column]
        ]
    return out


def feature_collection(frame: gpd.GeoDataFrame, properties: pd.DataFrame) -> dict:
    """Build a FeatureCollection with rounded coordinates and the database id as feature id."""
    geometries = shapely.set_precision(frame.geometry.values, COORDINATE_GRID_DEG)
    ids = frame.get("id", frame.index)
    features = []
    for feature_id, (_i, props), geometry in zip(
        ids, properties.iterrows(), geometries, strict=True
    ):
        features.append(
            {
                "type": "Feature",
                "id": feature_id if isinstance(feature_id, str) else int(feature_id),
                "properties": props.to_dict(),
                "geometry": json.loads(shapely.to_geojson(geometry)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _tooltip_fields(labels: dict[str, str], names: list[str]) -> tuple[list[str], list[str]]:
    return names, [html.escape(labels[name]) for name in names]


def feature_details(
    frame: gpd.GeoDataFrame, labels: dict[str, str], names: list[str], **kw
) -> dict:
    """Tooltip and popup for a layer; folium refuses them on a layer with no features."""
    if frame.empty:
        return {}
    fields, aliases = _tooltip_fields(labels, names)
    return {
        "tooltip": folium.GeoJsonTooltip(fields, aliases, **kw),
        "popup": folium.GeoJsonPopup(fields, aliases),
    }


def legend_html(title: str, entries: list[tuple[str, str, str]]) -> str:
    """entries: (label, colour, shape) with shape 'line', 'dot' or 'box'."""
    rows = "".join(
        f'<div class="mueang-legend-row"><span class="mueang-swatch mueang-swatch-{shape}" '
        f'style="background:{colour}"></span>{html.escape(label)}</div>'
        for label, colour, shape in entries
    )
    return f'<div class="mueang-legend-section"><strong>{html.escape(title)}</strong>{rows}</div>'


def weeks_colour(weeks: int) -> str:
    """The fill colour of a case by weeks since onset (recent cases darkest)."""
    return next(colour for limit, colour in CASE_WEEK_COLOURS if weeks < limit)


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
        marker=folium.CircleMarker(radius=5, fill=True, weight=1),
        style_function=lambda f: {
            "fillColor": weeks_colour(f["properties"]["weeks"]),
            "color": "#000000",
            "fillOpacity": 0.9,
            "className": class_name,
        },
        **feature_details(frame, labels, fields),
    ).add_to(fmap)


def base_map(
    assets: MapAssets, *, basemap_url: str = "", basemap_attribution: str = "", basemap_label: str
) -> folium.Map:
    """An empty map that loads only Mueang's own assets, with the configured basemap if any."""
    fmap = folium.Map(tiles=None, control_scale=True, zoom_start=14, location=(0, 0))
    fmap.default_js = [("leaflet", assets.leaflet_js)]
    fmap.default_css = [("leaflet_css", assets.leaflet_css), ("mueang_map_css", assets.map_css)]
    if basemap_url:
        folium.TileLayer(
            tiles=basemap_url,
            # Leaflet needs an attribution; without a configured one, name the tile host.
            attr=html.escape(basemap_attribution or urlparse(basemap_url).netloc or "basemap"),
            name=basemap_label,
            control=True,
        ).add_to(fmap)
    return fmap


def boundary_layer(boundary: gpd.GeoDataFrame, *, name: str) -> folium.GeoJson:
    """The municipal boundary as a dashed outline, not clickable and not in the switcher."""
    return folium.GeoJson(
        feature_collection(boundary, escaped_columns(boundary, ["name_th"])),
        name=name,
        style_function=lambda _f: {
            "color": "#252525",
            "weight": 2,
            "dashArray": "6 4",
            "fill": False,
            "interactive": False,
        },
        control=False,
    )


def subdistrict_layer(subdistricts: gpd.GeoDataFrame, *, labels: dict[str, str]) -> folium.GeoJson:
    """Subdistrict outlines with their names, hidden until switched on."""
    return folium.GeoJson(
        feature_collection(subdistricts, escaped_columns(subdistricts, ["name_th", "name_en"])),
        name=labels["subdistricts"],
        style_function=lambda _f: {
            "color": "#737373",
            "weight": 1,
            "fillOpacity": 0.0,
            "className": "mueang-subdistrict",
        },
        show=False,
        **feature_details(subdistricts, labels, ["name_th", "name_en"]),
    )


def landmark_layer(
    landmarks: gpd.GeoDataFrame,
    *,
    labels: dict[str, str],
    category_labels: dict[str, str],
    radius: float,
) -> folium.GeoJson:
    """Landmarks as dots coloured by category (class `mueang-landmark`), names escaped."""
    props = escaped_columns(landmarks, ["name_th", "name_en"])
    props["category"] = landmarks["category"].values
    props["category_label"] = [
        html.escape(category_labels.get(value, value)) for value in landmarks["category"]
    ]
    return folium.GeoJson(
        feature_collection(landmarks, props),
        name=labels["landmarks"],
        marker=folium.CircleMarker(radius=radius, fill=True, weight=1),
        style_function=lambda f: {
            "fillColor": LANDMARK_COLOURS.get(f["properties"]["category"], "#737373"),
            "color": "#ffffff",
            "fillOpacity": 0.95,
            "className": "mueang-landmark",
        },
        **feature_details(landmarks, labels, ["name_th", "name_en", "category_label"]),
    )


def flood_zone_layer(
    zones: gpd.GeoDataFrame, *, labels: dict[str, str], hazard_labels: dict[str, str]
) -> folium.GeoJson:
    """Flood zones filled by hazard class (class `mueang-flood`), event names escaped."""
    props = escaped_columns(zones, ["event"])
    props["hazard_class"] = zones["hazard_class"].values
    props["hazard"] = [
        html.escape(hazard_labels.get(value, value)) for value in zones["hazard_class"]
    ]
    return folium.GeoJson(
        feature_collection(zones, props),
        name=labels["flood_zones"],
        style_function=lambda f: {
            "color": HAZARD_COLOURS.get(f["properties"]["hazard_class"], "#6baed6"),
            "weight": 1,
            "fillOpacity": 0.45,
            "className": "mueang-flood",
        },
        **feature_details(zones, labels, ["event", "hazard"]),
    )


def _road_geojson(roads: gpd.GeoDataFrame, options: CityMapOptions) -> folium.GeoJson:
    """Roads inline as GeoJSON (small towns), styled by class."""
    labels = options.labels
    road_props = escaped_columns(roads, ["name_th", "name_en", "surface", "ref"])
    road_props["road_class"] = roads["road_class"].values
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


def city_map(frames: CityFrames, options: CityMapOptions) -> folium.Map:
    """Build the municipality map with a layer switcher, a legend and local assets only."""
    labels = options.labels
    fmap = base_map(
        options.assets,
        basemap_url=options.basemap_url,
        basemap_attribution=options.basemap_attribution,
        basemap_label=labels["basemap"],
    )
    minx, miny, maxx, maxy = frames.boundary.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    layer_names: dict[str, str] = {}
    boundary_layer(frames.boundary, name=labels["boundary"]).add_to(fmap)

    subdistricts = subdistrict_layer(frames.subdistricts, labels=labels).add_to(fmap)
    layer_names["subdistricts"] = subdistricts.get_name()

    flood = flood_zone_layer(
        frames.flood_zones, labels=labels, hazard_labels=options.hazard_labels
    ).add_to(fmap)
    layer_names["flood_zones"] = flood.get_name()

    if frames.roads is None:
        roads = _RoadTiles(
            url=options.roads_tile_url,
            name=labels["roads"],
            class_labels=options.road_class_labels,
            field_labels={k: labels[k] for k in ("name_th", "name_en", "class_label", "surface")},
        ).add_to(fmap)
        fmap.default_js = [*fmap.default_js, ("vectorgrid", options.assets.vectorgrid_js)]
        road_classes = set(ROAD_STYLES)
    else:
        roads = _road_geojson(frames.roads, options).add_to(fmap)
        road_classes = set(frames.roads["road_class"])
    layer_names["roads"] = roads.get_name()

    landmarks = landmark_layer(
        frames.landmarks,
        labels=labels,
        category_labels=options.landmark_category_labels,
        radius=7,
    ).add_to(fmap)
    layer_names["landmarks"] = landmarks.get_name()

    legend = [
        legend_html(
            labels["roads"],
            [
                (options.road_class_labels.get(name, name), colour, "line")
                for name, (colour, _w) in ROAD_STYLES.items()
                if name in road_classes
            ],
        ),
        legend_html(
            labels["landmarks"],
            [
                (options.landmark_category_labels.get(name, name), colour, "dot")
                for name, colour in LANDMARK_COLOURS.items()
                if name in set(frames.landmarks["category"])
            ],
        ),
        legend_html(
            labels["flood_zones"],
            [
                (options.hazard_labels.get(name, name), colour, "box")
                for name, colour in HAZARD_COLOURS.items()
            ],
        ),
    ]

    case_layers = [
        (frames.cases, "cases", "mueang-case", ["onset_date", "diagnosis", "weeks", "generated"]),
        (
            frames.masked_cases,
            "masked_cases",
            "mueang-case-masked",
            ["onset_week", "weeks", "masked"],
        ),
    ]
    for frame, key, class_name, fields in case_layers:
        if frame is None:
            continue
        layer_names[key] = _case_layer(fmap, frame, options, key, class_name, fields).get_name()
    if frames.cases is not None or frames.masked_cases is not None:
        legend.append(
            legend_html(
                labels["cases_legend"],
                [
                    (labels[f"cases_week_{limit}"], colour, "dot")
                    for limit, colour in CASE_WEEK_COLOURS
                ],
            )
        )

    control = folium.LayerControl(collapsed=False).add_to(fmap)
    Legend("".join(legend)).add_to(fmap)
    registry = ", ".join(f"{json.dumps(key)}: {name}" for key, name in layer_names.items())
    MapScript(
        compact_on_phones(fmap.get_name(), control.get_name())
        + f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"{fmap.get_name()}.attributionControl.addAttribution("
        f"{json.dumps(html.escape(options.attribution))});"
        f"window.mueangMap = {{map: {fmap.get_name()}, layers: {{{registry}}}}};"
    ).add_to(fmap)
    return fmap


def map_fragments(fmap: folium.Map, *, script_nonce: str = "") -> dict[str, str]:
    """Render the map into the pieces a page embeds: head, body and script.

    With `script_nonce`, every `<script>` folium writes into the head carries it, so the page's
    Content-Security-Policy can forbid all other inline scripts; the template puts the same
    nonce on the `<script>` that wraps `script`.
    """
    root = fmap.get_root()
    root.render()
    fragments = {
        "head": root.header.render(),
        "body": root.html.render(),
        "script": root.script.render(),
    }
    return with_script_nonce(fragments, script_nonce) if script_nonce else fragments


def with_script_nonce(fragments: dict[str, str], script_nonce: str) -> dict[str, str]:
    """The fragments with this request's nonce on every `<script>` of the head.

    Rendered fragments can be cached; the nonce changes with every request.
    """
    nonce = f'<script nonce="{html.escape(script_nonce)}"'
    return {**fragments, "head": re.sub(r"<script\b", nonce, fragments["head"])}
