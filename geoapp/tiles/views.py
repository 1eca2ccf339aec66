"""Vector tiles for the maps: `/tiles/<layer>/<z>/<x>/<y>.pbf`, scoped to the caller's rights.

A tile the browser or the cache already holds costs no query of its own: the memberships and
the layer versions that make the ETag come with the request's tenant scope query
(`permissions.scope_to_memberships`, run on every request, so a revoked membership stops at
the next request). Tiles are cached gzip-compressed for browsers.
"""

from __future__ import annotations

import gzip

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from geoapp.web import permissions
from geoapp.web.permissions import Action
from layers.api.tiles import TILE_LAYERS, tile_bounds_ok, tile_mvt, tile_version
from layers.registry import layer_get
from layers.tenancy import tenant_scope_set

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
TILE_CACHE_S = 3600


def _allowed_municipalities(request: HttpRequest, layer: str) -> list[int]:
    """The caller's municipalities (or the one `?m=` names) whose `layer` they may see.

    Not a member of `?m=` and not allowed there both answer 404 (codes do not leak).
    """
    # The action a role needs, per municipality, to receive the layer's features.
    action = Action(layer_get(layer).read)
    return permissions.municipality_ids_allowing(
        request.user, action, code=request.GET.get("m") or None
    )


def _accepts_gzip(request: HttpRequest) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "")


def _tile_bytes(
    request: HttpRequest, layer: str, z: int, x: int, y: int, ids: list[int], key: str
) -> bytes:
    data = cache.get(key)
    if data is None:
        # A page about these municipalities narrows the scope to them before reading data.
        tenant_scope_set(municipality_ids=ids, user_id=request.user.pk)
        data = tile_mvt(layer=layer, z=z, x=x, y=y, municipality_ids=ids)
        cache.set(key, data, timeout=TILE_CACHE_S)
    return data


@require_GET
def vector_tile(request: HttpRequest, layer: str, z: int, x: int, y: int) -> HttpResponse:
    """One tile; 304 when the browser's copy is current, 404 for layers the caller may not see."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    if layer not in TILE_LAYERS or not tile_bounds_ok(z, x, y):
        raise Http404("No such tile")
    municipality_ids = _allowed_municipalities(request, layer)
    if not municipality_ids:
        raise Http404("No such tile")
    # Read with the request's scope (GET only: this request changes no version).
    known = permissions.request_layer_versions(request.user)
    version = tile_version(layer=layer, municipality_ids=municipality_ids, known=known)
    ids = ",".join(map(str, municipality_ids))
    gzipped = _accepts_gzip(request)
    etag = f'"{layer}-{z}-{x}-{y}-{version}-{ids}{"-gz" if gzipped else ""}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        key = f"mvt:{layer}-{z}-{x}-{y}-{version}-{ids}"
        if gzipped:
            data = cache.get(f"{key}:gz")
            if data is None:
                raw = _tile_bytes(request, layer, z, x, y, municipality_ids, key)
                # Level 1: five times smaller already, and four times faster than level 6.
                data = gzip.compress(raw, compresslevel=1, mtime=0)
                cache.set(f"{key}:gz", data, timeout=TILE_CACHE_S)
        else:
            data = _tile_bytes(request, layer, z, x, y, municipality_ids, key)
        response = HttpResponse(data, content_type=MVT_CONTENT_TYPE)
        if gzipped:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    # Tiles differ per user (rights), so only the browser may keep them, and must revalidate.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Cookie", "Accept-Encoding"))
    return response
