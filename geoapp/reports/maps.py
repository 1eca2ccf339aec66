"""The report form's map: the municipal boundary to place a pin in (local assets only)."""

from __future__ import annotations

from geoapp.web.maps import MapScript, map_fragments
from geoapp.web.page_maps import boundary_base_map
from layers.models import Municipality


def report_map_fragments(municipality: Municipality, *, script_nonce: str) -> dict[str, str]:
    """Head, body and script of the pin map; `geoapp/reports/report-form.js` adds the pin."""
    fmap, boundary = boundary_base_map(municipality)
    minx, miny, maxx, maxy = boundary.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    MapScript(f"window.mueangReportMap = {fmap.get_name()};").add_to(fmap)
    return map_fragments(fmap, script_nonce=script_nonce)
