"""Vector tiles for the maps: `/tiles/<layer>/<z>/<x>/<y>.pbf`, scoped to the caller's rights."""

from __future__ import annotations

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET

from geoapp import permissions
from geoapp.permissions import Action
from layers.tiles import TILE_LAYERS, tile_bounds_ok, tile_mvt, tile_version

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
# Layer -> the action a role needs, per municipality, to receive its features.
LAYER_ACTIONS = dict.fromkeys(TILE_LAYERS, Action.VIEW_LAYERS) | {"cases": Action.VIEW_CASES_EXACT}


def _allowed_municipalities(request: HttpRequest, layer: str) -> list[int]:
    code = request.GET.get("m")
    if code:
        candidates = [permissions.municipality_for(request.user, code)]
    else:
        candidates = list(permissions.municipalities_of(request.user))
    action = LAYER_ACTIONS[layer]
    return [m.pk for m in candidates if permissions.can(request.user, m, action)]


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
    version = tile_version(layer=layer, municipality_ids=municipality_ids)
    ids = ",".join(map(str, sorted(municipality_ids)))
    etag = f'"{layer}-{z}-{x}-{y}-{version}-{ids}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        key = f"mvt:{etag}"
        data = cache.get(key)
        if data is None:
            data = tile_mvt(layer=layer, z=z, x=x, y=y, municipality_ids=municipality_ids)
            cache.set(key, data, timeout=3600)
        response = HttpResponse(data, content_type=MVT_CONTENT_TYPE)
    response["ETag"] = etag
    # Tiles differ per user (rights), so only the browser may keep them, and must revalidate.
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Cookie"
    return response
