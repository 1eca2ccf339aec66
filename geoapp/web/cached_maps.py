"""Rendered maps kept in the shared cache (`layers.caching`), without the per-request nonce.

A map's HTML depends on its data (the key's version), on who may see what (the key's role
tier), on the page's language (labels, Buddhist-era dates) and on the configured basemap; the
key holds all of them. The nonce that lets the page's Content-Security-Policy run folium's
scripts is added per request (`with_script_nonce`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import folium
from django.conf import settings
from django.utils import translation

from geoapp.web.maps import map_fragments, with_script_nonce
from layers.caching import cached_result, result_key


def cached_map_fragments(
    kind: str,
    *,
    municipality_id: int,
    tier: str,
    version: str,
    build: Callable[[], folium.Map],
    nonce: str,
    extra: Iterable[str] = (),
) -> dict[str, str]:
    """The head, body and script of the map `build()` makes, from the cache when it holds them."""
    key = result_key(
        kind,
        municipality_id=municipality_id,
        tier=tier,
        version=version,
        extra=[
            translation.get_language() or "",
            settings.MUEANG_BASEMAP_URL,
            settings.MUEANG_BASEMAP_ATTRIBUTION,
            *extra,
        ],
    )
    fragments = cached_result(key, lambda: map_fragments(build()))
    return with_script_nonce(fragments, nonce) if nonce else fragments
