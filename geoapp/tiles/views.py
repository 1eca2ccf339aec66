"""Vector tiles: `/tiles/<layer>/<z>/<x>/<y>.pbf`, scoped to the caller's rights or public data.

A tile the browser or the cache already holds costs no query of its own: the memberships and
the layer versions that make the ETag come with the request's tenant scope query
(`permissions.scope_to_memberships`, run on every request, so a revoked membership stops at
the next request). Tiles are cached gzip-compressed for browsers.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from functools import wraps

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from geoapp.accounts.api_auth import InvalidCredentials, api_request_user, challenged
from geoapp.web import permissions
from geoapp.web.conditional import cors_public, etag_matches, head_only
from geoapp.web.middleware import tenant_scope_for
from geoapp.web.permissions import Action
from layers.api.tiles import TILE_LAYERS, tile_bounds_ok, tile_mvt, tile_version
from layers.models import Dataset, Municipality
from layers.registry import layer_find, layer_get
from layers.tenancy import tenant_scope_set

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
TILE_CACHE_S = 3600
#: The deepest zoom tiles are made for (`tile_bounds_ok`).
MAX_ZOOM = 22


def _allowed_municipalities(request: HttpRequest, layer: str, code: str | None) -> list[int]:
    """The caller's municipalities (or the one `?m=` names) whose `layer` they may see.

    Not a member of `?m=` and not allowed there both answer 404 (codes do not leak).
    """
    # The action a role needs, per municipality, to receive the layer's features.
    action = Action(layer_get(layer).read)
    return permissions.municipality_ids_allowing(request.user, action, code=code)


def _public_municipalities(layer: str, code: str | None) -> list[int]:
    """Municipalities (or the one `?m=` names) publishing `layer` in a public dataset.

    Only layers every member may read (`view_layers`) are published from public datasets, as
    in the Features API; dengue cases never are.
    """
    if Action(layer_get(layer).read) != Action.VIEW_LAYERS:
        return []
    datasets = Dataset.objects.filter(
        visibility=Dataset.Visibility.PUBLIC, kind=layer_get(layer).name
    )
    if code:
        datasets = datasets.filter(municipality__code=code)
    return sorted(set(datasets.values_list("municipality_id", flat=True)))


class TileAccess:
    """Whose tiles a request reads: a member's municipalities, or public datasets only."""

    def __init__(self, request: HttpRequest, layer: str, *, code: str | None = None):
        code = code or request.GET.get("m") or None
        self.user = api_request_user(request)  # InvalidCredentials for a bad header
        if self.user is not None:
            request.user = self.user
            tenant_scope_for(self.user)
        self.public = not request.user.is_authenticated
        if self.public:
            self.municipality_ids = _public_municipalities(layer, code)
            # Anonymous reads of public data run in a scope of exactly those municipalities.
            tenant_scope_set(municipality_ids=self.municipality_ids, user_id=None)
        else:
            self.municipality_ids = _allowed_municipalities(request, layer, code)


def _accepts_gzip(request: HttpRequest) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "")


def _tile_bytes(
    request: HttpRequest, layer: str, z: int, x: int, y: int, access: TileAccess, key: str
) -> bytes:
    data = cache.get(key)
    if data is None:
        # A member's scope is narrowed to these municipalities before the features are read
        # (in the tile query's round trip); anonymous reads are scoped to them already.
        data = tile_mvt(
            layer=layer,
            z=z,
            x=x,
            y=y,
            municipality_ids=access.municipality_ids,
            public_only=access.public,
            narrow_scope_for_user=None if access.public else request.user.pk,
        )
        cache.set(key, data, timeout=TILE_CACHE_S)
    return data


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    """401 with the challenge: anonymous callers may log in or send a key (Token or Basic)."""
    return challenged(HttpResponse(message, status=401, content_type="text/plain; charset=utf-8"))


@require_safe
def vector_tile(request: HttpRequest, layer: str, z: int, x: int, y: int) -> HttpResponse:
    """One tile; 304 when the client's copy is current, 404 for layers the caller may not see.

    Members read by session, `Authorization: Token|Bearer <key>` or Basic (login name and API
    token); anonymous callers read the features of public datasets, and 401 where there are
    none (with a challenge, so QGIS asks for credentials).
    """
    if not tile_bounds_ok(z, x, y):
        raise Http404("No such tile")
    access, refused = _access_or_refusal(request, layer, request.GET.get("m") or None)
    if refused is not None:
        return refused
    response = _tile_response(request, layer, z, x, y, access)
    if access.public:
        cors_public(response)
        response["Cache-Control"] = "public, no-cache"
    else:
        # Tiles differ per user (rights), so only the client may keep them, and must revalidate.
        response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Cookie", "Authorization", "Accept-Encoding"))
    return head_only(request, response)


def _tile_response(
    request: HttpRequest, layer: str, z: int, x: int, y: int, access: TileAccess
) -> HttpResponse:
    # Read with the request's scope (GET only: this request changes no version).
    known = None if access.public else permissions.request_layer_versions(request.user)
    ids = access.municipality_ids
    version = tile_version(layer=layer, municipality_ids=ids, known=known)
    audience = "pub-" if access.public else ""
    gzipped = _accepts_gzip(request)
    tag = f"{audience}{layer}-{z}-{x}-{y}-{version}-{','.join(map(str, ids))}"
    etag = f'"{tag}{"-gz" if gzipped else ""}"'
    if etag_matches(request.headers.get("If-None-Match"), etag):
        response = HttpResponseNotModified()
    else:
        key = f"mvt:{tag}"
        if gzipped:
            data = cache.get(f"{key}:gz")
            if data is None:
                raw = _tile_bytes(request, layer, z, x, y, access, key)
                # Level 1: five times smaller already, and four times faster than level 6.
                data = gzip.compress(raw, compresslevel=1, mtime=0)
                cache.set(f"{key}:gz", data, timeout=TILE_CACHE_S)
        else:
            data = _tile_bytes(request, layer, z, x, y, access, key)
        response = HttpResponse(data, content_type=MVT_CONTENT_TYPE)
        if gzipped:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    return response


# --- Discovery: TileJSON and OGC API - Tiles ------------------------------------------------------

WEB_MERCATOR_QUAD = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0/"


def _access_or_refusal(request: HttpRequest, layer: str, code: str | None):
    """(access, None) for who may read the layer's tiles, or (None, a 401 response).

    Unknown layers and members without rights get 404, as everywhere.
    """
    if layer not in TILE_LAYERS:
        raise Http404("No such tile layer")
    try:
        access = TileAccess(request, layer, code=code)
    except InvalidCredentials as error:
        return None, _refused(request, str(error))
    if not access.municipality_ids:
        if access.public:
            return None, _refused(request, "Log in or send an API token to read this layer.")
        raise Http404("No such tile layer")
    return access, None


def _tile_template(request: HttpRequest, layer: str, code: str | None, *, ogc: bool) -> str:
    base = request.build_absolute_uri(f"/tiles/{layer}/")
    path = "{tileMatrix}/{tileCol}/{tileRow}.pbf" if ogc else "{z}/{x}/{y}.pbf"
    return base + path + (f"?m={code}" if code else "")


def _bounds(municipality_ids: list[int]) -> list[float]:
    boxes = [m.boundary.extent for m in Municipality.objects.filter(pk__in=municipality_ids)]
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def _discovered(request: HttpRequest, access: TileAccess, body: dict) -> HttpResponse:
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    if access.public:
        cors_public(response)
    patch_vary_headers(response, ("Cookie", "Authorization"))
    return head_only(request, response)


@require_safe
def tilejson(request: HttpRequest, layer: str) -> HttpResponse:
    """TileJSON 3.0.0 of one layer (MapLibre, QGIS): the tile URL, zooms, bounds and fields."""
    code = request.GET.get("m") or None
    access, refused = _access_or_refusal(request, layer, code)
    if refused is not None:
        return refused
    spec = TILE_LAYERS[layer]
    fields = {column.split(" AS ")[-1]: "" for column in spec.columns}
    body = {
        "tilejson": "3.0.0",
        "name": str(layer_get(layer).label),
        "scheme": "xyz",
        "tiles": [_tile_template(request, layer, code, ogc=False)],
        "minzoom": spec.min_zoom,
        "maxzoom": MAX_ZOOM,
        "bounds": _bounds(access.municipality_ids),
        "vector_layers": [
            {"id": layer, "fields": fields, "minzoom": spec.min_zoom, "maxzoom": MAX_ZOOM}
        ],
    }
    return _discovered(request, access, body)


def _tileset_json(request: HttpRequest, collection_id: str, layer: str, code: str) -> dict:
    here = request.build_absolute_uri(f"/api/collections/{collection_id}/tiles/WebMercatorQuad")
    return {
        "title": f"{collection_id} (WebMercatorQuad)",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": WEB_MERCATOR_QUAD,
        "links": [
            {"rel": "self", "href": here, "type": "application/json"},
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                "href": WEB_MERCATOR_QUAD,
                "type": "application/json",
            },
            {
                "rel": "item",
                "href": _tile_template(request, layer, code, ogc=True),
                "templated": True,
                "type": MVT_CONTENT_TYPE,
            },
            {
                "rel": "describedby",
                "href": request.build_absolute_uri(f"/tiles/{layer}.json?m={code}"),
                "type": "application/json",
                "title": "TileJSON",
            },
        ],
    }


def _collection_layer(collection_id: str) -> tuple[str, str]:
    """(municipality code, tile layer) of an API collection id (`nakhon-si-thammarat.roads`)."""
    code, _, name = collection_id.partition(".")
    found = layer_find(name)
    if found is None or found.tracked_as not in TILE_LAYERS:
        raise Http404("No tiles for this collection")
    return code, found.tracked_as


def _collection_tileset(
    request: HttpRequest, collection_id: str, *, shape: Callable[[dict, str], dict]
) -> HttpResponse:
    """A collection's tileset, laid out by `shape(tileset, layer)`, for those who may read it."""
    code, layer = _collection_layer(collection_id)
    access, refused = _access_or_refusal(request, layer, code)
    if refused is not None:
        return refused
    tileset = _tileset_json(request, collection_id, layer, code)
    return _discovered(request, access, shape(tileset, layer))


def _api_errors(view: Callable[[HttpRequest, str], HttpResponse]):
    """Under /api/, refusals are the API's JSON errors (a 401 keeps its challenge)."""

    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, collection_id: str) -> HttpResponse:
        try:
            response = view(request, collection_id)
        except Http404 as error:
            return JsonResponse({"code": "NotFound", "description": str(error)}, status=404)
        if response.status_code == 401:
            refusal = response.content.decode()
            response = JsonResponse({"code": "NotAuthorized", "description": refusal}, status=401)
            challenged(response)
            patch_vary_headers(response, ("Cookie", "Authorization"))
        return response

    return wrapper


@_api_errors
def collection_tilesets(request: HttpRequest, collection_id: str) -> HttpResponse:
    """OGC API - Tiles: the tilesets of a collection (one, in WebMercatorQuad)."""
    return _collection_tileset(
        request, collection_id, shape=lambda tileset, _layer: {"tilesets": [tileset]}
    )


@_api_errors
def collection_tileset(request: HttpRequest, collection_id: str) -> HttpResponse:
    """OGC API - Tiles: the WebMercatorQuad tileset of a collection, with its tile template."""
    return _collection_tileset(
        request,
        collection_id,
        shape=lambda tileset, layer: {
            **tileset,
            "minzoom": TILE_LAYERS[layer].min_zoom,
            "maxzoom": MAX_ZOOM,
        },
    )
