"""Raster layers on folium maps: a preview grid coloured into a PNG, shown as an image overlay.

The PNG travels inside the page as a data URI (the Content-Security-Policy allows ``data:``
images), so no tile server and no other host is involved. Colours: a continuous ramp between
the band's minimum and maximum (catalogue previews), or the hazard classes of DESIGN.md
section 3 by depth (flood maps). Transparent where the raster has no data (or is dry).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import folium
import numpy as np
from PIL import Image

from geoapp.web.maps import Legend, MapScript, base_map, boundary_layer
from layers.rasters import RasterPreview

# viridis at five stops (matplotlib's, perceptually uniform and readable in grey).
RAMP: tuple[tuple[float, str], ...] = (
    (0.0, "#440154"),
    (0.25, "#3b528b"),
    (0.5, "#21918c"),
    (0.75, "#5ec962"),
    (1.0, "#fde725"),
)
OVERLAY_OPACITY = 0.75


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def ramp_rgba(values: np.ndarray, *, low: float, high: float) -> np.ndarray:
    """RGBA (uint8) on the ramp from `low` to `high`; NaN cells transparent."""
    span = high - low if high > low else 1.0
    share = np.clip((values - low) / span, 0.0, 1.0)
    stops = [stop for stop, _c in RAMP]
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    for channel in range(3):
        levels = [_rgb(c)[channel] for _s, c in RAMP]
        rgba[..., channel] = np.interp(np.nan_to_num(share), stops, levels).astype(np.uint8)
    rgba[..., 3] = np.where(np.isnan(values), 0, 255)
    return rgba


def classes_rgba(
    values: np.ndarray, *, breaks: Sequence[float], colours: Sequence[str | None]
) -> np.ndarray:
    """RGBA by class: values below ``breaks[0]`` take ``colours[0]`` and so on; None is clear."""
    index = np.digitize(np.nan_to_num(values, nan=-np.inf), breaks)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    for number, colour in enumerate(colours):
        if colour is None:
            continue
        where = (index == number) & ~np.isnan(values)
        rgba[where] = (*_rgb(colour), 255)
    return rgba


def png_data_uri(rgba: np.ndarray) -> str:
    """The image as a ``data:image/png;base64,...`` URI."""
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def raster_overlay(
    preview: RasterPreview, rgba: np.ndarray, *, name: str, class_name: str
) -> folium.raster_layers.ImageOverlay:
    """The coloured preview as a Leaflet image overlay over its bounds."""
    (south, west), (north, east) = preview.bounds_latlon
    return folium.raster_layers.ImageOverlay(
        image=png_data_uri(rgba),
        bounds=[[south, west], [north, east]],
        name=name,
        opacity=OVERLAY_OPACITY,
        interactive=False,
        cross_origin=False,
        zindex=1,
        className=class_name,
    )


def ramp_legend_html(title: str, *, low: str, high: str, units: str) -> str:
    """A legend section: the ramp as a gradient bar from `low` to `high` (escaped text)."""
    gradient = ", ".join(f"{colour} {stop * 100:.0f}%" for stop, colour in RAMP)
    suffix = f" {html.escape(units)}" if units else ""
    return (
        f'<div class="mueang-legend-section mueang-raster-legend"><strong>{html.escape(title)}'
        f'</strong><div class="mueang-ramp" style="height:10px;min-width:8em;'
        f'background:linear-gradient(to right, {gradient})"></div>'
        f'<div class="mueang-legend-row" style="display:flex;justify-content:space-between;'
        f'gap:1em"><span class="mueang-ramp-low">{html.escape(low)}{suffix}</span>'
        f'<span class="mueang-ramp-high">{html.escape(high)}{suffix}</span></div></div>'
    )


def raster_map(
    *,
    boundary,
    preview: RasterPreview,
    rgba: np.ndarray,
    name: str,
    legend: str,
    attribution: str,
    assets,
    boundary_name: str,
    basemap_url: str = "",
    basemap_attribution: str = "",
    basemap_label: str = "",
) -> folium.Map:
    """A catalogue preview: the raster over the municipal boundary, with its legend."""
    fmap = base_map(
        assets,
        basemap_url=basemap_url,
        basemap_attribution=basemap_attribution,
        basemap_label=basemap_label,
    )
    overlay = raster_overlay(preview, rgba, name=name, class_name="mueang-raster-preview")
    overlay.add_to(fmap)
    boundary_layer(boundary, name=boundary_name).add_to(fmap)
    (south, west), (north, east) = preview.bounds_latlon
    fmap.fit_bounds([[south, west], [north, east]])
    folium.LayerControl(collapsed=True).add_to(fmap)
    Legend(legend).add_to(fmap)
    MapScript(
        f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"{fmap.get_name()}.attributionControl.addAttribution("
        f"{_js_string(html.escape(attribution))});"
        f"window.mueangPreview = {fmap.get_name()};"
        f"window.mueangRaster = {overlay.get_name()};"
    ).add_to(fmap)
    return fmap


def _js_string(text: str) -> str:
    import json

    return json.dumps(text).replace("</", "<\\/")
