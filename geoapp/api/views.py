"""OGC API - Features (Part 1: Core, GeoJSON, HTML) over the layers a caller may read.

Collections are `<municipality code>.<layer>`. Members read their municipality's layers
(dengue cases only with exact-location rights); anyone may read features of public datasets.
Scripts authenticate with `Authorization: Token <key>` (`manage.py create_api_token`).
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import date
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from geoapp.accounts.api_auth import InvalidCredentials, api_request_user, challenged
from geoapp.api.openapi import openapi_document
from geoapp.web import permissions
from geoapp.web.conditional import anonymous, cors_public, head_only
from geoapp.web.inputs import InputError, integer_input, whole_number_text
from geoapp.web.middleware import tenant_scope_for
from geoapp.web.permissions import Action
from geoapp.web.responses import GEOJSON, geojson_response
from layers.api.features import (
    COLLECTIONS,
    Collection,
    ItemQuery,
    collection_extent,
    item_get,
    item_page,
)
from layers.models import Dataset, Municipality
from layers.registry import layer_get
from layers.tenancy import tenant_scope

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 10
MAX_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET is a bigint
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
]
RESERVED_PARAMS = {"bbox", "datetime", "limit", "offset", "after", "f"}


class ApiError(Exception):
    """A client error answered as OGC exception JSON."""

    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def _error(error: ApiError) -> JsonResponse:
    return JsonResponse({"code": error.code, "description": error.description}, status=error.status)


def _authenticate(request: HttpRequest) -> None:
    """Accept an API token (Token, Bearer or Basic) instead of a session; scope follows it."""
    try:
        user = api_request_user(request)
    except InvalidCredentials as error:
        raise ApiError(401, "InvalidToken", str(error)) from None
    if user is not None:
        request.user = user
        tenant_scope_for(user)


def _wants_html(request: HttpRequest) -> bool:
    fmt = request.GET.get("f")
    if fmt:
        return fmt == "html"
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "json" not in accept


def _url(request: HttpRequest, name: str, *, query: dict | None = None, **kwargs) -> str:
    url = request.build_absolute_uri(reverse(name, kwargs=kwargs))
    return f"{url}?{urlencode(query)}" if query else url


def api_view(function):
    """Authenticate, answer ApiError as JSON, allow GET and HEAD, open anonymous answers.

    An anonymous caller who asks for what is not public gets 401 with a challenge (it may
    exist; log in), never 404; a logged-in caller without rights keeps getting 404, so
    nothing tells them what exists. Answers to anonymous requests may be read cross-origin.
    """

    @require_safe
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            _authenticate(request)
            response = function(request, *args, **kwargs)
        except ApiError as error:
            if error.status == 404 and not request.user.is_authenticated:
                error = ApiError(401, "NotAuthorized", f"{error.description} Log in or send a key.")
            response = _error(error)
            if error.status == 401:
                challenged(response)
        if anonymous(request) and response.status_code < 400:
            cors_public(response)
        patch_vary_headers(response, ("Authorization",))
        return head_only(request, response)

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


def _read_action(collection: Collection) -> Action:
    """The action that lets a member read the collection's features (the layer's `read`).

    Only layers every member may read (`view_layers`) are also published from public datasets.
    """
    return Action(layer_get(collection.layer).read)


def _access(request: HttpRequest, municipality: Municipality, collection: Collection) -> str:
    """'full', 'public' or '' (none) for this caller and collection."""
    needed = _read_action(collection)
    if permissions.can(request.user, municipality, needed):
        return "full"
    if needed == Action.VIEW_LAYERS and _has_public_data(municipality, collection):
        return "public"
    return ""


def _has_public_data(municipality: Municipality, collection: Collection) -> bool:
    return Dataset.objects.filter(
        municipality=municipality, visibility=Dataset.Visibility.PUBLIC, kind=collection.layer
    ).exists()


def _resolve(request: HttpRequest, collection_id: str) -> tuple[Municipality, Collection, str]:
    code, _, layer = collection_id.partition(".")
    # PostgreSQL text cannot hold NUL: such an id names no collection.
    municipality = None if "\x00" in code else Municipality.objects.filter(code=code).first()
    collection = COLLECTIONS.get(layer)
    access = _access(request, municipality, collection) if municipality and collection else ""
    if not access:
        raise ApiError(404, "NotFound", f"No collection {collection_id!r}.")
    return municipality, collection, access


def _readable_collections(request: HttpRequest) -> list[tuple[Municipality, Collection, str]]:
    """Every (municipality, collection, access) the caller may read, in two queries."""
    actions = permissions.actions_by_municipality(request.user)
    public = set(
        Dataset.objects.filter(visibility=Dataset.Visibility.PUBLIC).values_list(
            "municipality_id", "kind"
        )
    )
    found = []
    for municipality in Municipality.objects.order_by("code"):
        allowed = actions.get(municipality.pk, frozenset())
        for collection in COLLECTIONS.values():
            needed = _read_action(collection)
            if needed in allowed:
                found.append((municipality, collection, "full"))
            elif needed == Action.VIEW_LAYERS and (municipality.pk, collection.layer) in public:
                found.append((municipality, collection, "public"))
    return found


def _collection_json(request: HttpRequest, municipality: Municipality, collection: Collection):
    cid = f"{municipality.code}.{collection.layer}"
    items = _url(request, "ogc-items", collection_id=cid)
    return {
        "id": cid,
        "title": f"{municipality.name_th}: {collection.title}",
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": {
            "spatial": {
                "bbox": [collection_extent(collection=collection, municipality=municipality)],
                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            }
        },
        "links": [
            {
                "href": _url(request, "ogc-collection", collection_id=cid),
                "rel": "self",
                "type": "application/json",
            },
            {"href": items, "rel": "items", "type": GEOJSON},
        ],
    }


@api_view
def landing(request: HttpRequest) -> HttpResponse:
    """The API landing page."""
    body = {
        "title": "Mueang OGC API - Features",
        "description": "Layers of Thai municipalities: roads, landmarks, buildings, flood zones.",
        "links": [
            {"href": _url(request, "ogc-landing"), "rel": "self", "type": "application/json"},
            {
                "href": _url(request, "ogc-openapi"),
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.0",
            },
            {
                "href": _url(request, "ogc-conformance"),
                "rel": "conformance",
                "type": "application/json",
            },
            {"href": _url(request, "ogc-collections"), "rel": "data", "type": "application/json"},
            {
                "href": _url(request, "ogc-processes"),
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/processes",
                "type": "application/json",
            },
            {
                "href": _url(request, "ogc-jobs"),
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/job-list",
                "type": "application/json",
            },
        ],
    }
    if _wants_html(request):
        return render(request, "geoapp/api/landing.html", {"body": body})
    return JsonResponse(body)


@api_view
def conformance(request: HttpRequest) -> HttpResponse:
    """The conformance classes implemented."""
    return JsonResponse({"conformsTo": CONFORMANCE})


@api_view
def collections(request: HttpRequest) -> HttpResponse:
    """Every collection the caller may read."""
    found = _readable_collections(request)
    body = {
        "links": [
            {"href": _url(request, "ogc-collections"), "rel": "self", "type": "application/json"}
        ],
        "collections": [_collection_json(request, m, c) for m, c, _access in found],
    }
    if _wants_html(request):
        return render(request, "geoapp/api/collections.html", {"body": body})
    return JsonResponse(body)


@api_view
def collection(request: HttpRequest, collection_id: str) -> HttpResponse:
    """One collection's description."""
    municipality, layer, _access = _resolve(request, collection_id)
    return JsonResponse(_collection_json(request, municipality, layer))


def _parse_query(request: HttpRequest, collection: Collection, access: str) -> ItemQuery:
    params = request.GET
    try:
        limit, offset, after = _paging(params)
    except InputError as error:
        raise ApiError(400, "InvalidParameterValue", error.text()) from None
    bbox = _bbox(params["bbox"]) if params.get("bbox") else None
    date_from = date_to = None
    if params.get("datetime"):
        date_from, date_to = _parse_interval(params["datetime"])
    return ItemQuery(
        bbox=bbox,
        date_from=date_from,
        date_to=date_to,
        filters=_filters(params, collection),
        limit=limit,
        offset=offset,
        after=after,
        public_only=access == "public",
    )


def _paging(params) -> tuple[int, int, int | None]:
    """limit, offset and after (a feature id for keyset paging); InputError if out of range."""
    ranges = f"limit is 1 to {MAX_LIMIT}; offset is 0 to {MAX_OFFSET}"
    integers = "limit and offset are integers"
    limit = params.get("limit", str(DEFAULT_LIMIT))
    offset = params.get("offset", "0")
    if whole_number_text(limit) is None or whole_number_text(offset) is None:
        raise InputError("limit", integers)
    limit = integer_input(limit, "limit", default=None, low=1, high=MAX_LIMIT, message=ranges)
    offset = integer_input(offset, "offset", default=None, low=0, high=MAX_OFFSET, message=ranges)
    after = integer_input(
        params.get("after"),
        "after",
        default=None,
        low=0,
        high=MAX_OFFSET,
        message=f"after ต้องอยู่ระหว่าง 0 ถึง {MAX_OFFSET} / after is 0 to {MAX_OFFSET}",
        unreadable="after ต้องเป็นรหัสฟีเจอร์ (จำนวนเต็ม) / after is a feature id (an integer)",
    )
    return limit, offset, after


def _bbox(text: str) -> tuple[float, ...]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError as error:
        raise ApiError(400, "InvalidParameterValue", "bbox is four numbers") from error
    if len(values) != 4 or values[0] > values[2] or values[1] > values[3]:
        raise ApiError(400, "InvalidParameterValue", "bbox is minx,miny,maxx,maxy")
    if not all(-180 <= v <= 180 for v in values[::2]) or not all(
        -90 <= v <= 90 for v in values[1::2]
    ):
        raise ApiError(400, "InvalidParameterValue", "bbox is in degrees (CRS84)")
    return tuple(values)


def _filters(params, collection: Collection) -> tuple[tuple[str, str], ...]:
    filters = []
    for name, value in params.items():
        if name in RESERVED_PARAMS:
            continue
        if name not in collection.queryables:
            raise ApiError(400, "InvalidParameterValue", f"unknown parameter {name!r}")
        if "\x00" in value:
            raise ApiError(400, "InvalidParameterValue", f"{name} contains a NUL character")
        filters.append((name, value))
    return tuple(filters)


def _parse_interval(text: str) -> tuple[date | None, date | None]:
    def one(part: str) -> date | None:
        if part in ("", ".."):
            return None
        try:
            return date.fromisoformat(part[:10])
        except ValueError as error:
            raise ApiError(400, "InvalidParameterValue", f"bad date {part!r}") from error

    if "/" in text:
        start, _, end = text.partition("/")
        return one(start), one(end)
    day = one(text)
    return day, day


def _scoped(municipality: Municipality, access: str):
    """Public reads run in an explicit scope of that municipality, limited to public datasets.

    Members' reads already run in the request's tenant scope.
    """
    if access == "public":
        return tenant_scope(municipality_ids=[municipality.pk])
    return nullcontext()


@api_view
def items(request: HttpRequest, collection_id: str) -> HttpResponse:
    """A page of features with next (keyset, `after`) and prev (`offset`) links."""
    municipality, layer, access = _resolve(request, collection_id)
    query = _parse_query(request, layer, access)
    with _scoped(municipality, access):
        page = item_page(collection=layer, municipality=municipality, query=query)
    rest: dict = {
        "numberReturned": page.number_returned,
        "links": _page_links(request, collection_id, query, page),
    }
    if page.number_matched is not None:
        rest["numberMatched"] = page.number_matched
    if _wants_html(request):
        body = {"type": "FeatureCollection", "features": page.features, **rest}
        return render(
            request,
            "geoapp/api/items.html",
            {"body": body, "collection_id": collection_id, "properties": layer.properties},
        )
    # PostGIS wrote the features' GeoJSON: embed the text as it is, no parsing, no re-encoding.
    text = (
        f'{{"type": "FeatureCollection", "features": [{page.features_json}], {json.dumps(rest)[1:]}'
    )
    return geojson_response(text)


def _page_links(request, collection_id: str, query: ItemQuery, page) -> list[dict]:
    base = {k: v for k, v in request.GET.items() if k not in ("offset", "after")}
    links = [
        {
            "href": _url(
                request, "ogc-items", collection_id=collection_id, query=request.GET.dict()
            ),
            "rel": "self",
            "type": GEOJSON,
        },
    ]
    if page.number_returned == query.limit and page.last_id is not None:
        # Keyset: the next page starts after this page's last id, however deep it is, and
        # rows inserted or deleted meanwhile neither repeat nor skip a feature.
        links.append(
            {
                "href": _url(
                    request,
                    "ogc-items",
                    collection_id=collection_id,
                    query={**base, "after": page.last_id},
                ),
                "rel": "next",
                "type": GEOJSON,
            }
        )
    if query.offset > 0 and query.after is None:
        links.append(
            {
                "href": _url(
                    request,
                    "ogc-items",
                    collection_id=collection_id,
                    query={**base, "offset": max(0, query.offset - query.limit)},
                ),
                "rel": "prev",
                "type": GEOJSON,
            }
        )
    return links


@api_view
def item(request: HttpRequest, collection_id: str, item_id: int) -> HttpResponse:
    """One feature."""
    municipality, layer, access = _resolve(request, collection_id)
    with _scoped(municipality, access):
        feature = item_get(
            collection=layer,
            municipality=municipality,
            item_id=item_id,
            public_only=access == "public",
        )
    if feature is None:
        return _error(ApiError(404, "NotFound", f"No feature {item_id} in {collection_id}."))
    feature["links"] = [
        {
            "href": _url(request, "ogc-item", collection_id=collection_id, item_id=item_id),
            "rel": "self",
            "type": GEOJSON,
        },
        {
            "href": _url(request, "ogc-collection", collection_id=collection_id),
            "rel": "collection",
            "type": "application/json",
        },
    ]
    return geojson_response(feature, ensure_ascii=True)


def not_found(request: HttpRequest) -> HttpResponse:
    """Any other path under /api/: the OGC exception JSON, not an HTML page."""
    return _error(ApiError(404, "NotFound", "No such API resource."))


@api_view
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.0 description of this API."""
    return JsonResponse(openapi_document(server=_url(request, "ogc-landing")))
