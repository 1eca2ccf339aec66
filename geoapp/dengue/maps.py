"""Figures of the dengue pages: the dashboard map (folium), the work-order sketch and charts (SVG).

Plain functions from frames (or plain values) and options to a `folium.Map` or an SVG string:
no queries, no requests. Every label comes translated from the caller; every text from data is
escaped here (folium's tooltips and popups insert property values as HTML, and the SVG strings
are inserted into pages as markup).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import folium
import geopandas as gpd
import pandas as pd
import shapely

from geoapp.web.maps import (
    CASE_WEEK_COLOURS,
    LANDMARK_COLOURS,
    Legend,
    MapAssets,
    MapScript,
    base_map,
    boundary_layer,
    escaped_columns,
    feature_collection,
    feature_details,
    landmark_layer,
    legend_html,
    weeks_colour,
)

ZONE_COLOUR = "#d7301f"
CLUSTER_COLOUR = "#6a3d9a"
BREEDING_SITE_COLOUR = "#1b9e77"
ROAD_COLOUR = "#9aa5b1"


# --- The dashboard map -------------------------------------------------------------------------


@dataclass(frozen=True)
class DengueMapOptions:
    """Presentation options; every label is already translated by the caller."""

    assets: MapAssets
    labels: dict[str, str]
    landmark_category_labels: dict[str, str]
    attribution: str
    as_of: date
    basemap_url: str = ""
    basemap_attribution: str = ""


@dataclass
class DengueFrames:
    """The layers of the dashboard map, all in EPSG:4326.

    `zones` and `clusters` carry display columns prepared by the caller (counts, dates and a
    text of the landmarks inside); `cases` are exact case houses, for health roles only.
    """

    boundary: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    landmarks: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    cases: gpd.GeoDataFrame
    # Breeding sites residents reported (`geoapp.report_feeds`): site_label, site_category,
    # site_status, site_reported; no contact.
    breeding_sites: gpd.GeoDataFrame | None = None


BREEDING_SITE_FIELDS = ["site_label", "site_category", "site_status", "site_reported"]
ZONE_FIELDS = ["zone_name", "n_cases", "first_onset", "last_onset", "closes_on", "n_households",
               "landmarks_text"]  # fmt: skip
CLUSTER_FIELDS = ["cluster_label", "n_cases", "first_onset", "last_onset", "landmarks_text"]
CASE_FIELDS = ["case_label", "onset_label", "report_label", "diagnosis", "weeks", "generated"]


def dengue_map(frames: DengueFrames, options: DengueMapOptions) -> folium.Map:
    """The dengue dashboard map: cases by weeks since onset, clusters, active spray zones.

    Case markers carry the class `mueang-case`, zones `mueang-zone` and clusters
    `mueang-cluster`; `window.mueangMap = {map, layers}` exposes the Leaflet objects.
    """
    labels = options.labels
    fmap = base_map(
        options.assets,
        basemap_url=options.basemap_url,
        basemap_attribution=options.basemap_attribution,
        basemap_label=labels["basemap"],
    )
    # Open with the active zones in view (where the work is), else the cases, else the town.
    focus = next(
        (f for f in (frames.zones, frames.cases, frames.boundary) if not f.empty), frames.boundary
    )
    minx, miny, maxx, maxy = focus.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding=(20, 20))
    layer_names: dict[str, str] = {}

    boundary_layer(frames.boundary, name=labels["boundary"]).add_to(fmap)

    # Roads only give orientation here: no properties, fewer bytes.
    roads = folium.GeoJson(
        feature_collection(frames.roads, pd.DataFrame(index=frames.roads.index)),
        name=labels["roads"],
        style_function=lambda _f: {
            "color": ROAD_COLOUR,
            "weight": 1.5,
            "opacity": 0.8,
            "interactive": False,
            "className": "mueang-road",
        },
    ).add_to(fmap)
    layer_names["roads"] = roads.get_name()

    zone_props = escaped_columns(frames.zones, ZONE_FIELDS)
    zones = folium.GeoJson(
        feature_collection(frames.zones, zone_props),
        name=labels["zones"],
        style_function=lambda _f: {
            "color": ZONE_COLOUR,
            "weight": 2,
            "fillColor": ZONE_COLOUR,
            "fillOpacity": 0.18,
            "className": "mueang-zone",
        },
        **feature_details(frames.zones, labels, ZONE_FIELDS),
    ).add_to(fmap)
    layer_names["zones"] = zones.get_name()

    cluster_props = escaped_columns(frames.clusters, CLUSTER_FIELDS)
    clusters = folium.GeoJson(
        feature_collection(frames.clusters, cluster_props),
        name=labels["clusters"],
        style_function=lambda _f: {
            "color": CLUSTER_COLOUR,
            "weight": 2.5,
            "dashArray": "5 4",
            "fillOpacity": 0.0,
            "className": "mueang-cluster",
        },
        **feature_details(frames.clusters, labels, CLUSTER_FIELDS),
    ).add_to(fmap)
    layer_names["clusters"] = clusters.get_name()

    landmarks = landmark_layer(
        frames.landmarks,
        labels=labels,
        category_labels=options.landmark_category_labels,
        radius=6,
    ).add_to(fmap)
    layer_names["landmarks"] = landmarks.get_name()

    cases = frames.cases
    onset = pd.to_datetime(cases["onset_date"])
    weeks = ((pd.Timestamp(options.as_of) - onset).dt.days // 7).clip(lower=0)
    case_props = escaped_columns(cases, ["case_label", "onset_label", "report_label", "diagnosis"])
    case_props["weeks"] = weeks.astype(int).values
    case_props["generated"] = [
        html.escape(labels["generated"] if flag else "") for flag in cases["is_generated"]
    ]
    case_layer = folium.GeoJson(
        feature_collection(cases, case_props),
        name=labels["cases"],
        marker=folium.CircleMarker(radius=5, fill=True, weight=1),
        style_function=lambda f: {
            "fillColor": weeks_colour(f["properties"]["weeks"]),
            "color": "#000000",
            "fillOpacity": 0.9,
            "className": "mueang-case",
        },
        **feature_details(cases, labels, CASE_FIELDS),
    ).add_to(fmap)
    layer_names["cases"] = case_layer.get_name()
    sites = frames.breeding_sites
    if sites is not None and not sites.empty:
        sites_layer = folium.GeoJson(
            feature_collection(sites, escaped_columns(sites, BREEDING_SITE_FIELDS)),
            name=labels["breeding_sites"],
            marker=folium.CircleMarker(radius=6, fill=True, weight=2),
            style_function=lambda _f: {
                "fillColor": "#ffffff",
                "color": BREEDING_SITE_COLOUR,
                "fillOpacity": 0.9,
                "className": "mueang-breeding-site",
            },
            **feature_details(sites, labels, BREEDING_SITE_FIELDS),
        ).add_to(fmap)
        layer_names["breeding_sites"] = sites_layer.get_name()

    legend = [
        legend_html(
            labels["cases_legend"],
            [(labels[f"cases_week_{limit}"], colour, "dot") for limit, colour in CASE_WEEK_COLOURS],
        ),
        legend_html(
            labels["areas_legend"],
            [(labels["zones"], ZONE_COLOUR, "box"), (labels["clusters"], CLUSTER_COLOUR, "line")]
            + (
                [(labels["breeding_sites"], BREEDING_SITE_COLOUR, "dot")]
                if "breeding_sites" in layer_names
                else []
            ),
        ),
        legend_html(
            labels["landmarks"],
            [
                (options.landmark_category_labels.get(name, name), colour, "dot")
                for name, colour in LANDMARK_COLOURS.items()
                if name in set(frames.landmarks["category"])
            ],
        ),
    ]
    folium.LayerControl(collapsed=True).add_to(fmap)
    Legend("".join(legend)).add_to(fmap)
    registry = ", ".join(f"{json.dumps(key)}: {name}" for key, name in layer_names.items())
    MapScript(
        f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"{fmap.get_name()}.attributionControl.addAttribution("
        f"{json.dumps(html.escape(options.attribution))});"
        f"window.mueangMap = {{map: {fmap.get_name()}, layers: {{{registry}}}}};"
    ).add_to(fmap)
    return fmap


# --- SVG helpers -------------------------------------------------------------------------------


def _n(value: float) -> str:
    """A coordinate with one decimal, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, **attrs: object) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{html.escape(str(v))}"' for k, v in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{html.escape(text)}</text>'


def _nice_step(span: float, target: int = 4) -> float:
    """A round step (1, 2, 5 x 10^k) giving about `target` ticks over `span`."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


# --- The work-order sketch ---------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneSketch:
    """What the work-order map draws, in a metric CRS: never a case, only the zone outline.

    `roads` has `name_th`, `name_en` and `road_class`; `landmarks` has `number` (the number in
    the visit list) and `category`.
    """

    zone: object
    roads: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    landmarks: gpd.GeoDataFrame
    margin_m: float = 40.0


MAJOR_ROADS = {"motorway", "trunk", "primary", "secondary", "tertiary"}


def zone_sketch_svg(sketch: ZoneSketch, *, labels: dict[str, str], width: float = 680) -> str:
    """An SVG map of one spray zone: outline, streets with names, buildings, numbered landmarks.

    North is up; a scale bar in metres. Prints sharply at any size, unlike a tiled web map.
    """
    minx, miny, maxx, maxy = shapely.buffer(sketch.zone, sketch.margin_m).bounds
    scale = width / max(maxx - minx, 1.0)
    height = (maxy - miny) * scale

    def xy(coords) -> list[tuple[float, float]]:
        return [((x - minx) * scale, (maxy - y) * scale) for x, y, *_ in coords]

    def path(geometry) -> str:
        parts = []
        for line in _lines(geometry):
            points = xy(line.coords)
            if len(points) < 2:
                continue
            closing = " Z" if line.is_ring and line.geom_type == "LinearRing" else ""
            parts.append("M" + " L".join(f"{_n(px)} {_n(py)}" for px, py in points) + closing)
        return " ".join(parts)

    out = [
        f'<svg class="mueang-zone-sketch" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{html.escape(labels["sketch_title"])}">',
        f'<rect width="{_n(width)}" height="{_n(height)}" fill="#ffffff"/>',
    ]
    for geometry in sketch.buildings.geometry:
        d = path(geometry.boundary if geometry.geom_type != "Point" else geometry)
        if d:
            out.append(f'<path d="{d}" fill="#e4e7eb" stroke="#9aa5b1" stroke-width="0.6"/>')
    for road in sketch.roads.itertuples():
        d = path(road.geometry)
        if not d:
            continue
        major = road.road_class in MAJOR_ROADS
        out.append(
            f'<path d="{d}" fill="none" stroke="#52606d" stroke-linecap="round" '
            f'stroke-width="{5 if major else 3}"/>'
        )
        out.append(
            f'<path d="{d}" fill="none" stroke="#ffffff" stroke-linecap="round" '
            f'stroke-width="{3 if major else 1.6}"/>'
        )
    zone_d = path(sketch.zone.boundary)
    out.append(
        f'<path class="mueang-zone-outline" d="{zone_d}" fill="{ZONE_COLOUR}" fill-opacity="0.07" '
        f'fill-rule="evenodd" stroke="{ZONE_COLOUR}" stroke-width="3" stroke-dasharray="10 5"/>'
    )
    out.extend(_road_labels(sketch.roads, xy))
    for mark in sketch.landmarks.itertuples():
        (px, py), *_ = xy(mark.geometry.coords)
        colour = LANDMARK_COLOURS.get(mark.category, "#737373")
        out.append(
            f'<circle class="mueang-sketch-landmark" cx="{_n(px)}" cy="{_n(py)}" r="10" '
            f'fill="{colour}" stroke="#000000" stroke-width="1"/>'
        )
        out.append(
            _text(
                px,
                py + 4,
                str(mark.number),
                text_anchor="middle",
                font_size="11",
                font_weight="700",
                fill="#ffffff",
            )
        )
    out.extend(_scale_bar(scale, height, labels))
    out.extend(_north_arrow(width, labels))
    out.append("</svg>")
    return "".join(out)


def _lines(geometry) -> list:
    """The LineStrings and LinearRings of a geometry (any type), for drawing as paths."""
    if geometry is None or geometry.is_empty:
        return []
    kind = geometry.geom_type
    if kind in ("LineString", "LinearRing"):
        return [geometry]
    if kind == "Polygon":
        return [geometry.exterior, *geometry.interiors]
    if kind.startswith("Multi") or kind == "GeometryCollection":
        return [line for part in geometry.geoms for line in _lines(part)]
    return []


def _road_labels(roads: gpd.GeoDataFrame, xy: Callable) -> list[str]:
    """One name per street, along the middle of its longest visible piece."""
    best: dict[str, object] = {}
    for road in roads.itertuples():
        name = (road.name_th or road.name_en or "").strip()
        if not name:
            continue
        for line in _lines(road.geometry):
            if line.length > 40 and (name not in best or line.length > best[name].length):
                best[name] = line
    out = []
    for name, line in sorted(best.items()):
        middle = line.interpolate(0.5, normalized=True)
        ahead = line.interpolate(min(line.length, line.project(middle) + 5))
        behind = line.interpolate(max(0.0, line.project(middle) - 5))
        ((x0, y0),) = xy(behind.coords)
        ((x1, y1),) = xy(ahead.coords)
        ((mx, my),) = xy(middle.coords)
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
        if angle > 90:
            angle -= 180
        elif angle < -90:
            angle += 180
        out.append(
            f'<text class="mueang-sketch-street" x="{_n(mx)}" y="{_n(my - 4)}" '
            f'transform="rotate({_n(angle)} {_n(mx)} {_n(my)})" text-anchor="middle" '
            f'font-size="12" fill="#1f2933" stroke="#ffffff" stroke-width="3" '
            f'paint-order="stroke">{html.escape(name)}</text>'
        )
    return out


def _scale_bar(scale: float, height: float, labels: dict[str, str]) -> list[str]:
    metres = _nice_step(200 / scale, 1)
    length = metres * scale
    x, y = 16.0, height - 16.0
    return [
        f'<rect x="{_n(x - 6)}" y="{_n(y - 22)}" width="{_n(length + 12)}" height="30" '
        'fill="#ffffff" fill-opacity="0.85"/>',
        f'<path d="M{_n(x)} {_n(y - 6)} V{_n(y)} H{_n(x + length)} V{_n(y - 6)}" fill="none" '
        'stroke="#1f2933" stroke-width="2"/>',
        _text(
            x + length / 2,
            y - 9,
            f"{metres:g} {labels['metres']}",
            text_anchor="middle",
            font_size="12",
            fill="#1f2933",
        ),
    ]


def _north_arrow(width: float, labels: dict[str, str]) -> list[str]:
    x, y = width - 24, 14
    return [
        f'<path d="M{_n(x)} {_n(y)} L{_n(x + 8)} {_n(y + 22)} L{_n(x)} {_n(y + 17)} '
        f'L{_n(x - 8)} {_n(y + 22)} Z" fill="#1f2933"/>',
        _text(x, y + 36, labels["north"], text_anchor="middle", font_size="12", fill="#1f2933"),
    ]


# --- Charts ------------------------------------------------------------------------------------


def epi_curve_svg(
    weeks: Sequence[tuple[date, int]],
    *,
    label_for: Callable[[date], str],
    labels: dict[str, str],
    partial_last_week: bool = True,
    width: float = 720,
    height: float = 220,
    channel: Sequence[tuple[float, float, float] | None] | None = None,
) -> str:
    """Bar chart of cases per epidemiological week; every bar has a tooltip with its week.

    `label_for` writes a date (e.g. in the Buddhist era); the last bar is lighter when its week
    is not over yet (cases are still being reported). `channel`, one ``(q1, median, q3)`` or
    None per week, draws the endemic channel behind the bars: the band from q1 to q3 and the
    median line (labels ``channel`` and ``median`` name them; ``channel_week`` is each week's
    tooltip). Without it the chart is as before.
    """
    left, right, top, bottom = 34.0, 8.0, 10.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((n for _w, n in weeks), default=0)
    if channel:
        peak = max([peak, *(math.ceil(c[2]) for c in channel if c is not None)])
    step = _nice_step(max(peak, 1), 4)
    y_max = max(step, math.ceil(max(peak, 1) / step) * step)
    bar_w = plot_w / max(len(weeks), 1)
    out = [
        f'<svg class="mueang-chart mueang-epi-curve" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{html.escape(labels["title"])}">'
    ]
    tick = 0.0
    while tick <= y_max + 1e-9:
        y = top + plot_h - tick / y_max * plot_h
        out.append(
            f'<line x1="{_n(left)}" x2="{_n(width - right)}" y1="{_n(y)}" y2="{_n(y)}" '
            'stroke="#d9e2ec" stroke-width="1"/>'
        )
        out.append(_text(left - 4, y + 4, f"{tick:g}", text_anchor="end", font_size="11",
                         fill="#52606d"))  # fmt: skip
        tick += step
    if channel:
        out.extend(
            _channel_band(
                channel, weeks, x0=left, bar_w=bar_w, y=lambda v: top + plot_h - v / y_max * plot_h,
                labels=labels, label_for=label_for,
            )
        )  # fmt: skip
    label_every = max(1, math.ceil(len(weeks) / 6))
    for index, (start, count) in enumerate(weeks):
        x = left + index * bar_w
        h = count / y_max * plot_h
        partial = partial_last_week and index == len(weeks) - 1
        title = labels["bar"].format(week=label_for(start), n=count)
        out.append(
            f'<rect class="mueang-epi-bar" x="{_n(x + 1)}" y="{_n(top + plot_h - h)}" '
            f'width="{_n(max(bar_w - 2, 1))}" height="{_n(h)}" '
            f'fill="{"#f4a582" if partial else "#b2182b"}" data-count="{count}">'
            f"<title>{html.escape(title)}</title></rect>"
        )
        if index % label_every == 0:
            out.append(
                f'<line x1="{_n(x + bar_w / 2)}" x2="{_n(x + bar_w / 2)}" '
                f'y1="{_n(top + plot_h)}" y2="{_n(top + plot_h + 4)}" stroke="#52606d"/>'
            )
            out.append(_text(x + bar_w / 2, height - bottom + 18, label_for(start),
                             text_anchor="middle", font_size="11", fill="#52606d"))  # fmt: skip
    out.append(
        f'<line x1="{_n(left)}" x2="{_n(width - right)}" y1="{_n(top + plot_h)}" '
        f'y2="{_n(top + plot_h)}" stroke="#52606d"/>'
    )
    out.append("</svg>")
    return "".join(out)


def _channel_runs(channel: Sequence[tuple[float, float, float] | None]) -> list[list[int]]:
    """Indexes of the weeks with a channel, in runs of consecutive weeks."""
    runs: list[list[int]] = []
    for index, value in enumerate(channel):
        if value is None:
            continue
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _channel_band(
    channel: Sequence[tuple[float, float, float] | None],
    weeks: Sequence[tuple[date, int]],
    *,
    x0: float,
    bar_w: float,
    y: Callable[[float], float],
    labels: dict[str, str],
    label_for: Callable[[date], str],
) -> list[str]:
    """The q1-q3 band (a polygon per run of weeks) and the median line, bars' centres as x."""
    out = [f'<g class="mueang-epi-channel" aria-label="{html.escape(labels["channel"])}">']
    for run in _channel_runs(channel):
        points = [(x0 + (i + 0.5) * bar_w, channel[i]) for i in run]
        upper = [f"{_n(x)},{_n(y(c[2]))}" for x, c in points if c is not None]
        lower = [f"{_n(x)},{_n(y(c[0]))}" for x, c in points if c is not None]
        middle = [f"{_n(x)},{_n(y(c[1]))}" for x, c in points if c is not None]
        out.append(
            f'<polygon class="mueang-epi-band" points="{" ".join(upper + lower[::-1])}" '
            'fill="#9ecae1" fill-opacity="0.55" stroke="none"/>'
        )
        out.append(
            f'<polyline class="mueang-epi-median" points="{" ".join(middle)}" fill="none" '
            'stroke="#2171b5" stroke-width="1.5"/>'
        )
    for index, value in enumerate(channel):
        if value is None:
            continue
        q1, median, q3 = value
        title = labels["channel_week"].format(
            week=label_for(weeks[index][0]), q1=f"{q1:.1f}", median=f"{median:.1f}", q3=f"{q3:.1f}"
        )
        out.append(
            f'<rect class="mueang-epi-channel-week" x="{_n(x0 + index * bar_w)}" '
            f'y="{_n(y(q3))}" width="{_n(bar_w)}" height="{_n(max(y(q1) - y(q3), 1))}" '
            f'fill="transparent" data-q1="{q1:g}" data-median="{median:g}" data-q3="{q3:g}">'
            f"<title>{html.escape(title)}</title></rect>"
        )
    out.append("</g>")
    return out


def ring_chart_svg(
    rings: Sequence[dict],
    *,
    labels: dict[str, str],
    marks: Sequence[tuple[float, str, str]] = (),
    width: float = 720,
    height: float = 260,
    max_m: float | None = None,
) -> str:
    """Pairs one generation apart per distance ring: observed bars, expected line, envelope band.

    `rings` are dicts with `from_m`, `to_m`, `observed`, `expected`, `envelope_low` and
    `envelope_high`; `marks` are vertical lines (distance in m, label, colour).
    """
    rings = [r for r in rings if max_m is None or r["from_m"] < max_m]
    left, right, top, bottom = 36.0, 10.0, 12.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = max((r["to_m"] for r in rings), default=1.0)
    peak = max(
        (max(r["observed"], r["envelope_high"] or 0, r["expected"] or 0) for r in rings), default=1
    )
    step = _nice_step(max(peak, 1), 4)
    y_max = max(step, math.ceil(max(peak, 1) / step) * step)

    def sx(metres: float) -> float:
        return left + metres / x_max * plot_w

    def sy(value: float) -> float:
        return top + plot_h - value / y_max * plot_h

    out = [
        f'<svg class="mueang-chart mueang-ring-chart" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{html.escape(labels["title"])}">'
    ]
    out.extend(_y_grid(y_max, step, left, width - right, sy))
    band = [r for r in rings if r["envelope_high"] is not None and r["envelope_low"] is not None]
    if band:
        upper = " L".join(
            f"{_n(sx(x))} {_n(sy(r['envelope_high']))}"
            for r in band
            for x in (r["from_m"], r["to_m"])
        )
        lower = " L".join(
            f"{_n(sx(x))} {_n(sy(max(r['envelope_low'], 0)))}"
            for r in reversed(band)
            for x in (r["to_m"], r["from_m"])
        )
        out.append(
            f'<path class="mueang-envelope" d="M{upper} L{lower} Z" fill="#9ecae1" '
            'fill-opacity="0.55" stroke="none"/>'
        )
    for r in rings:
        h = r["observed"] / y_max * plot_h
        title = labels["ring"].format(
            start=f"{r['from_m']:g}", end=f"{r['to_m']:g}", observed=r["observed"],
            expected=f"{r['expected']:.1f}",
        )  # fmt: skip
        bar_w = max(sx(r["to_m"]) - sx(r["from_m"]) - 1, 0.5)
        out.append(
            f'<rect class="mueang-ring-observed" x="{_n(sx(r["from_m"]) + 0.5)}" '
            f'y="{_n(top + plot_h - h)}" width="{_n(bar_w)}" '
            f'height="{_n(h)}" fill="#b2182b" fill-opacity="0.8"><title>{html.escape(title)}'
            "</title></rect>"
        )
    expected = " L".join(
        f"{_n(sx(x))} {_n(sy(r['expected']))}" for r in rings for x in (r["from_m"], r["to_m"])
    )
    if expected:
        out.append(
            f'<path class="mueang-ring-expected" d="M{expected}" fill="none" stroke="#08306b" '
            'stroke-width="1.5"/>'
        )
    out.extend(_x_axis(x_max, left, width - right, top + plot_h, height, sx, labels))
    out.extend(_marks(marks, sx, top, top + plot_h))
    out.append("</svg>")
    return "".join(out)


def running_excess_svg(
    rings: Sequence[dict],
    *,
    labels: dict[str, str],
    marks: Sequence[tuple[float, str, str]] = (),
    width: float = 720,
    height: float = 220,
    max_m: float | None = None,
) -> str:
    """The running (cumulative) excess of pairs by distance, against its permutation envelope."""
    rings = [r for r in rings if max_m is None or r["from_m"] < max_m]
    left, right, top, bottom = 40.0, 10.0, 12.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = max((r["to_m"] for r in rings), default=1.0)
    values = [r["running_excess"] for r in rings]
    values += [r["running_envelope_high"] or 0 for r in rings]
    low, high = min([0.0, *values]), max([1.0, *values])
    step = _nice_step(high - low, 4)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step

    def sx(metres: float) -> float:
        return left + metres / x_max * plot_w

    def sy(value: float) -> float:
        return top + plot_h - (value - low) / (high - low) * plot_h

    out = [
        f'<svg class="mueang-chart mueang-running-chart" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{html.escape(labels["title"])}">'
    ]
    out.extend(_y_grid(high, step, left, width - right, sy, start=low))
    envelope = [r for r in rings if r["running_envelope_high"] is not None]
    if envelope:
        upper = " L".join(
            f"{_n(sx(r['to_m']))} {_n(sy(r['running_envelope_high']))}" for r in envelope
        )
        out.append(
            f'<path class="mueang-envelope" d="M{_n(sx(0))} {_n(sy(0))} L{upper} '
            f'L{_n(sx(envelope[-1]["to_m"]))} {_n(sy(0))} Z" fill="#9ecae1" fill-opacity="0.55"/>'
        )
    line = " L".join(f"{_n(sx(r['to_m']))} {_n(sy(r['running_excess']))}" for r in rings)
    if line:
        out.append(
            f'<path class="mueang-running-excess" d="M{_n(sx(0))} {_n(sy(0))} L{line}" '
            'fill="none" stroke="#b2182b" stroke-width="2"/>'
        )
    out.extend(_x_axis(x_max, left, width - right, sy(low), height, sx, labels))
    out.extend(_marks(marks, sx, top, top + plot_h))
    out.append("</svg>")
    return "".join(out)


def _y_grid(y_max, step, x0, x1, sy, *, start: float = 0.0) -> list[str]:
    out = []
    tick = start
    while tick <= y_max + 1e-9:
        y = sy(tick)
        out.append(
            f'<line x1="{_n(x0)}" x2="{_n(x1)}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="{"#9aa5b1" if abs(tick) < 1e-9 else "#d9e2ec"}" stroke-width="1"/>'
        )
        out.append(_text(x0 - 4, y + 4, f"{tick:g}", text_anchor="end", font_size="11",
                         fill="#52606d"))  # fmt: skip
        tick += step
    return out


def _x_axis(x_max, x0, x1, y, height, sx, labels) -> list[str]:
    out = [f'<line x1="{_n(x0)}" x2="{_n(x1)}" y1="{_n(y)}" y2="{_n(y)}" stroke="#52606d"/>']
    step = _nice_step(x_max, 5)
    tick = 0.0
    while tick <= x_max + 1e-9:
        out.append(
            f'<line x1="{_n(sx(tick))}" x2="{_n(sx(tick))}" y1="{_n(y)}" y2="{_n(y + 4)}" '
            'stroke="#52606d"/>'
        )
        out.append(_text(sx(tick), y + 16, f"{tick:g}", text_anchor="middle", font_size="11",
                         fill="#52606d"))  # fmt: skip
        tick += step
    out.append(_text(x1, height - 2, labels["x_axis"], text_anchor="end", font_size="11",
                     fill="#52606d"))  # fmt: skip
    return out


def _marks(marks, sx, y0, y1) -> list[str]:
    out = []
    for index, (metres, label, colour) in enumerate(marks):
        x = sx(metres)
        out.append(
            f'<line class="mueang-mark" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(y0)}" y2="{_n(y1)}" '
            f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
        out.append(_text(x + 3, y0 + 11 + 13 * index, label, font_size="11", fill=colour))
    return out
