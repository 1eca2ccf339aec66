"""Map set-up every page shares: Mueang's own asset URLs, the configured basemap, the boundary.

The builders in `geoapp/*/maps.py` take these as plain values; pages call these helpers
instead of spelling out the static paths and basemap settings each time.
"""

from __future__ import annotations

import folium
import geopandas as gpd
from django.conf import settings
from django.templatetags.static import static
from django.utils.translation import gettext as _

from geoapp.web.maps import MapAssets, base_map, boundary_layer
from layers import selectors
from layers.models import Municipality


def map_assets(*, vector_tiles: bool = False) -> MapAssets:
    """The locally served Leaflet files (and VectorGrid where the map draws tiles)."""
    return MapAssets(
        leaflet_js=static("vendor/leaflet/leaflet.js"),
        leaflet_css=static("vendor/leaflet/leaflet.css"),
        map_css=static("geoapp/map.css"),
        vectorgrid_js=static("vendor/leaflet-vectorgrid/Leaflet.VectorGrid.bundled.min.js")
        if vector_tiles
        else "",
    )


def boundary_base_map(municipality: Municipality) -> tuple[folium.Map, gpd.GeoDataFrame]:
    """A page map with the configured basemap and the municipal boundary; and the boundary."""
    fmap = base_map(
        map_assets(),
        basemap_url=settings.MUEANG_BASEMAP_URL,
        basemap_attribution=settings.MUEANG_BASEMAP_ATTRIBUTION,
        basemap_label=_("Basemap"),
    )
    boundary = selectors.boundary_frame(municipality=municipality)
    boundary_layer(boundary, name=_("Municipal boundary")).add_to(fmap)
    return fmap, boundary
