"""The small map on a municipality's home page: the boundary and the layers its admin chose.

A map builder is a plain function `(frames, options) -> folium.Map`: no queries, no requests.
Only the chosen layers are sent, so the home page stays light.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import folium
import geopandas as gpd

from geoapp.web.maps import (
    LANDMARK_COLOURS,
    ROAD_STYLES,
    CityMapOptions,
    Legend,
    MapScript,
    _road_geojson,
    _RoadTiles,
    base_map,
    boundary_layer,
    flood_zone_layer,
    landmark_layer,
    legend_html,
    subdistrict_layer,
)


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
    fmap = base_map(
        options.assets,
        basemap_url=options.basemap_url,
        basemap_attribution=options.basemap_attribution,
        basemap_label=labels["basemap"],
    )
    minx, miny, maxx, maxy = frames.boundary.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    boundary_layer(frames.boundary, name=labels["boundary"]).add_to(fmap)

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
    if frames.roads_tiled:
        roads = _RoadTiles(
            url=options.roads_tile_url,
            name=labels["roads"],
            class_labels=options.road_class_labels,
            field_labels={k: labels[k] for k in ("name_th", "name_en", "class_label", "surface")},
        )
        fmap.default_js = [*fmap.default_js, ("vectorgrid", options.assets.vectorgrid_js)]
        layer_names["roads"] = roads.add_to(fmap).get_name()
        road_classes = set(ROAD_STYLES)
    elif frames.roads is not None:
        layer_names["roads"] = _road_geojson(frames.roads, options).add_to(fmap).get_name()
        road_classes = set(frames.roads["road_class"])
    if "roads" in layer_names:
        legend.append(
            legend_html(
                labels["roads"],
                [
                    (options.road_class_labels.get(name, name), colour, "line")
                    for name, (colour, _w) in ROAD_STYLES.items()
                    if name in road_classes
                ],
            )
        )
    if frames.landmarks is not None:
        landmarks = landmark_layer(
            frames.landmarks,
            labels=labels,
            category_labels=options.landmark_category_labels,
            radius=6,
        )
        layer_names["landmarks"] = landmarks.add_to(fmap).get_name()
        legend.append(
            legend_html(
                labels["landmarks"],
                [
                    (options.landmark_category_labels.get(name, name), colour, "dot")
                    for name, colour in LANDMARK_COLOURS.items()
                    if name in set(frames.landmarks["category"])
                ],
            )
        )

    if layer_names:
        folium.LayerControl(collapsed=True).add_to(fmap)
    if legend:
        Legend("".join(legend)).add_to(fmap)
    registry = ", ".join(f"{json.dumps(key)}: {name}" for key, name in layer_names.items())
    MapScript(
        f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"{fmap.get_name()}.attributionControl.addAttribution("
        f"{json.dumps(html.escape(options.attribution))});"
        f"window.mueangMap = {{map: {fmap.get_name()}, layers: {{{registry}}}}};"
    ).add_to(fmap)
    return fmap
