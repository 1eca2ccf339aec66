"""The shared map base: colours, an empty map with local assets, common layers and legends.

Its building blocks (`base_map`, `boundary_layer`, `feature_collection`, `escaped_columns`,
`feature_details`, `Legend`, `legend_html`, `MapScript`, `weeks_colour`, `map_fragments`) are
shared by the maps of every domain: home (`geoapp.home.maps`), catalogue, imports, dengue, flood.

A map builder is a plain function `(frames, options) -> folium.Map`: no queries, no requests.
Every asset is served by Mueang (options.assets); text from data is escaped here, because
folium's tooltips and popups insert property values as HTML.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from urllib.parse import urlparse

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import MacroElement
from django.utils.translation import gettext, gettext_lazy
from jinja2 import Template

from geoapp.templatetags.thaiformat import cell_text

#: Credit for the data on every map (OpenStreetMap and the administrative boundaries), in the
#: page's language: `str(ATTRIBUTION)` while a request's language is active.
ATTRIBUTION = gettext_lazy(
    "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright) · "
    "Administrative boundaries: Royal Thai Survey Department / OCHA (HDX COD-AB), "
    "via mapthai, CC BY 3.0 IGO"
)

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


class MapScript(MacroElement):
    """A script run after the map exists; `code` gets the map's JS name as `{map}`."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self._name = "MueangSnippet"
        self.code = code


class Legend(MacroElement):
    """A legend box in the map corner that folds (a `<details>`); closed at phone width.

    Its HTML is built from escaped strings only; the title is escaped here.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("details", "mueang-legend");
                div.innerHTML = {{ this.summary|tojson }} + {{ this.html|tojson }};
                // Open on a desk, folded on a phone, where it would cover a quarter of the map.
                div.open = !window.matchMedia("(max-width: 600px)").matches;
                L.DomEvent.disableScrollPropagation(div);
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, *, title: str | None = None):
        super().__init__()
        self._name = "MueangLegend"
        self.html = f'<div class="mueang-legend-body" tabindex="0">{html_text}</div>'
        heading = html.escape(title or gettext("Legend"))
        self.summary = f'<summary class="mueang-legend-title">{heading}</summary>'


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (Leaflet's default adds miles and feet)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "MueangScale"


class NameLabels(MacroElement):
    """Names from a layer's `label` property shown on the map from `min_zoom` on.

    The labels are Leaflet tooltips kept open; the property holds server-escaped text (see
    `escaped_columns`), so it is safe as HTML. Below `min_zoom` the map's container gets
    the class `mueang-labels-hidden`, which hides them (map.css).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            {{ this.layer_name }}.eachLayer(function (layer) {
                var text = layer.feature && layer.feature.properties.label;
                if (!text) { return; }
                layer.bindTooltip(text, {permanent: true, direction: {{ this.direction|tojson }},
                    className: "mueang-label", interactive: false, opacity: 1});
            });
            function update() {
                map.getContainer().classList.toggle(
                    "mueang-labels-hidden", map.getZoom() < {{ this.min_zoom }});
            }
            map.on("zoomend", update);
            update();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: folium.GeoJson, *, min_zoom: int, direction: str = "center"):
        super().__init__()
        self._name = "MueangNameLabels"
        self.layer_name = layer.get_name()
        self.min_zoom = int(min_zoom)
        self.direction = direction


class ZoomToData(MacroElement):
    """A button under the zoom buttons that fits the map to the layers switched on."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var control = L.control({position: "topleft"});
            control.onAdd = function () {
                var bar = L.DomUtil.create("div", "leaflet-bar mueang-zoom-data");
                var button = L.DomUtil.create("button", "", bar);
                button.type = "button";
                button.textContent = "\u2922";
                button.title = {{ this.label|tojson }};
                button.setAttribute("aria-label", {{ this.label|tojson }});
                L.DomEvent.disableClickPropagation(bar);
                L.DomEvent.on(button, "click", function () {
                    var bounds = L.latLngBounds([]);
                    map.eachLayer(function (layer) {
                        if (layer.getBounds && !(layer instanceof L.GridLayer)) {
                            var b = layer.getBounds();
                            if (b.isValid()) { bounds.extend(b); }
                        } else if (layer.getLatLng) {
                            bounds.extend(layer.getLatLng());
                        }
                    });
                    if (bounds.isValid()) { map.fitBounds(bounds, {padding: [16, 16]}); }
                });
                return bar;
            };
            control.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, label: str):
        super().__init__()
        self._name = "MueangZoomToData"
        self.label = label


#: From this zoom on, road and landmark names are written on the map.
LABEL_MIN_ZOOM = 16


def name_labels(names: pd.Series, *, lengths: pd.Series | None = None) -> list[str]:
    """Escaped labels, one per row: each name once, on its longest row when `lengths` is given.

    A street is many OSM segments; writing its name on each would bury the map.
    """
    clean = names.fillna("").astype(str).str.strip()
    order = clean.index if lengths is None else lengths.sort_values(ascending=False).index
    seen: set[str] = set()
    chosen: set = set()
    for index in order:
        name = clean[index]
        if name and name not in seen:
            seen.add(name)
            chosen.add(index)
    return [html.escape(clean[i]) if i in chosen else "" for i in clean.index]


def escaped_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Turn values into display strings escaped for HTML (tooltips insert them as markup).

    Through the one formatter (`geoapp.templatetags.thaiformat.cell_text`): dates in the
    Buddhist era on Thai pages, NaN and None empty, never "nan".
    """
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        out[column] = [html.escape(cell_text(value)) for value in frame[column]]
    return out


def feature_collection(frame: gpd.GeoDataFrame, properties: pd.DataFrame) -> dict:
    """Build a FeatureCollection with rounded coordinates and the database id as feature id.

    Column-wise: a row at a time through `iterrows` took 0.3 s for 1,450 roads, most of a dataset
    page's time.
    """
    geometries = shapely.to_geojson(
        shapely.set_precision(frame.geometry.values, COORDINATE_GRID_DEG)
    )
    ids = frame.get("id", frame.index)
    rows = properties.to_dict("records")
    features = [
        {
            "type": "Feature",
            "id": feature_id if isinstance(feature_id, str) else int(feature_id),
            "properties": props,
            "geometry": json.loads(geometry),
        }
        for feature_id, props, geometry in zip(ids, rows, geometries, strict=True)
    ]
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


def base_map(
    assets: MapAssets, *, basemap_url: str = "", basemap_attribution: str = "", basemap_label: str
) -> folium.Map:
    """An empty map that loads only Mueang's own assets, with the configured basemap if any."""
    fmap = folium.Map(tiles=None, control_scale=False, zoom_start=14, location=(0, 0))
    MetricScale().add_to(fmap)
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
    props["label"] = name_labels(
        landmarks["name_th"].where(
            landmarks["name_th"].fillna("").str.strip() != "", landmarks["name_en"]
        )
    )
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
