"""OGC API - Features (Part 1: Core, GeoJSON, HTML) over the layers a caller may read.

Collections are `<municipality code>.<layer>`. Members read their municipality's layers
(dengue cases only with exact-location rights); anyone may read features of public datasets.
Scripts authenticate with `Authorization: Token <key>` (`manage.py create_api_token`).
"""

from __future__ import annotations

import json
import math
from contextlib import nullcontext
from datetime import date
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import DataError, transaction
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
from layers.api.cql import FilterError, cql_filter_sql
from layers.api.features import (
    COLLECTIONS,
    CRS84,
    CRS_SRIDS,
    STORAGE_SRID,
    Box,
    Collection,
    ItemQuery,
    collection_extent,
    item_get,
    item_page,
)
from layers.api.schemas import collection_queryables, collection_schema
from layers.models import Dataset, Municipality
from layers.registry import layer_get
from layers.replica import read_connection, replica_reads
from layers.tenancy import tenant_scope

MAX_LIMIT = 10_000  # a larger limit is served as this many (OGC API allows fewer)
DEFAULT_LIMIT = 1_000
MAX_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET is a bigint
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
]
RESERVED_PARAMS = {
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "limit",
    "offset",
    "after",
    "f",
    "filter",
    "filter-lang",
    "filter-crs",
}
HTML = "text/html"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SCHEMA_REL = "http://www.opengis.net/def/rel/ogc/1.0/schema"
SCHEMA_JSON = "application/schema+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"


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


def _known_params(request: HttpRequest, *allowed: str) -> None:
    """400 for a query parameter the resource does not take (/req/core/query-param-unknown)."""
    unknown = sorted(set(request.GET) - {"f", *allowed})
    if unknown:
        takes = ", ".join(sorted({"f", *allowed}))
        raise ApiError(
            400,
            "InvalidParameterValue",
            f"unknown parameter {unknown[0]!r} (this resource takes {takes})",
        )


def _wants_html(request: HttpRequest) -> bool:
    fmt = request.GET.get("f")
    if fmt:
        return fmt == "html"
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "json" not in accept


def _url(request: HttpRequest, name: str, *, query: dict | None = None, **kwargs) -> str:
    url = request.build_absolute_uri(reverse(name, kwargs=kwargs))
    return f"{url}?{urlencode(query)}" if query else url


def _self_links(
    request: HttpRequest, name: str, json_type: str, *, query: dict | None = None, **kwargs
) -> list[dict]:
    """`self` in the format answered and `alternate` in the other (JSON or HTML)."""
    query = {k: v for k, v in (query or {}).items() if k != "f"}
    as_json = {"href": _url(request, name, query=query or None, **kwargs), "type": json_type}
    as_html = {"href": _url(request, name, query={**query, "f": "html"}, **kwargs), "type": HTML}
    if _wants_html(request):
        return [{**as_html, "rel": "self"}, {**as_json, "rel": "alternate"}]
    return [{**as_json, "rel": "self"}, {**as_html, "rel": "alternate"}]


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


def _extent_json(municipality: Municipality, collection: Collection, access: str) -> dict:
    """The data's box (the municipality's when it has no features) and dates, if any."""
    with _scoped(municipality, access):
        extent = collection_extent(
            collection=collection, municipality=municipality, public_only=access == "public"
        )
    bbox = extent.bbox or municipality.boundary.extent
    found: dict = {"spatial": {"bbox": [list(bbox)], "crs": CRS84}}
    if extent.interval:
        first, last = extent.interval
        found["temporal"] = {
            "interval": [[f"{first.isoformat()}T00:00:00Z", f"{last.isoformat()}T23:59:59Z"]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return found


def _collection_json(
    request: HttpRequest, municipality: Municipality, collection: Collection, access: str
) -> dict:
    cid = f"{municipality.code}.{collection.layer}"
    items = _url(request, "ogc-items", collection_id=cid)
    return {
        "id": cid,
        "title": f"{municipality.name_th}: {collection.title}",
        "itemType": "feature",
        "crs": list(CRS_SRIDS),
        "storageCrs": CRS84,
        "extent": _extent_json(municipality, collection, access),
        "links": [
            *_self_links(request, "ogc-collection", "application/json", collection_id=cid),
            {"href": items, "rel": "items", "type": GEOJSON},
            {"href": f"{items}?f=html", "rel": "items", "type": HTML},
            {
                "href": _url(request, "ogc-queryables", collection_id=cid),
                "rel": QUERYABLES_REL,
                "type": SCHEMA_JSON,
            },
            {
                "href": _url(request, "ogc-schema", collection_id=cid),
                "rel": SCHEMA_REL,
                "type": SCHEMA_JSON,
            },
        ],
    }


@api_view
def landing(request: HttpRequest) -> HttpResponse:
    """The API landing page."""
    _known_params(request)
    body = {
        "title": "Mueang OGC API - Features",
        "description": "Layers of Thai municipalities: roads, landmarks, buildings, flood zones.",
        "links": [
            *_self_links(request, "ogc-landing", "application/json"),
            {
                "href": _url(request, "ogc-openapi"),
                "rel": "service-desc",
                "type": OPENAPI_JSON,
            },
            {
                "href": _url(request, "ogc-openapi", query={"f": "html"}),
                "rel": "service-doc",
                "type": HTML,
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
    _known_params(request)
    if _wants_html(request):
        links = _self_links(request, "ogc-conformance", "application/json")
        return render(
            request,
            "geoapp/api/conformance.html",
            {"body": {"conformsTo": CONFORMANCE, "links": links}},
        )
    return JsonResponse({"conformsTo": CONFORMANCE})


@api_view
def collections(request: HttpRequest) -> HttpResponse:
    """Every collection the caller may read."""
    _known_params(request)
    found = _readable_collections(request)
    body = {
        "links": _self_links(request, "ogc-collections", "application/json"),
        "collections": [_collection_json(request, m, c, access) for m, c, access in found],
    }
    if _wants_html(request):
        return render(request, "geoapp/api/collections.html", {"body": body})
    return JsonResponse(body)


@api_view
def collection(request: HttpRequest, collection_id: str) -> HttpResponse:
    """One collection's description."""
    _known_params(request)
    municipality, layer, access = _resolve(request, collection_id)
    body = _collection_json(request, municipality, layer, access)
    if _wants_html(request):
        queryables = collection_queryables(collection=layer, collection_id=collection_id)
        return render(
            request,
            "geoapp/api/collection.html",
            {"body": body, "queryables": queryables["properties"]},
        )
    return JsonResponse(body)


@api_view
def queryables(request: HttpRequest, collection_id: str) -> HttpResponse:
    """What a filter may name, with types (OGC API - Features Part 3)."""
    _known_params(request)
    _municipality, layer, _access = _resolve(request, collection_id)
    body = collection_queryables(
        collection=layer, collection_id=_url(request, "ogc-queryables", collection_id=collection_id)
    )
    return _schema_response(request, body, "ogc-queryables", collection_id)


@api_view
def schema(request: HttpRequest, collection_id: str) -> HttpResponse:
    """The features' properties as JSON Schema, with types from the columns."""
    _known_params(request)
    _municipality, layer, _access = _resolve(request, collection_id)
    body = collection_schema(
        collection=layer, collection_id=_url(request, "ogc-schema", collection_id=collection_id)
    )
    return _schema_response(request, body, "ogc-schema", collection_id)


def _schema_response(request: HttpRequest, body: dict, name: str, collection_id: str):
    """A JSON Schema as application/schema+json, or as an HTML table (`f=html`)."""
    if _wants_html(request):
        links = _self_links(request, name, SCHEMA_JSON, collection_id=collection_id)
        rows = [
            {
                "name": key,
                "type": spec.get("format") or spec.get("type") or "",
                "values": ", ".join(map(str, spec.get("enum", []))),
                "role": spec.get("x-ogc-role", ""),
            }
            for key, spec in body["properties"].items()
        ]
        return render(
            request,
            "geoapp/api/schema.html",
            {"title": body["title"], "schema_id": body["$id"], "rows": rows, "links": links},
        )
    return JsonResponse(body, content_type=SCHEMA_JSON, json_dumps_params={"ensure_ascii": False})


def _parse_query(request: HttpRequest, collection: Collection, access: str) -> ItemQuery:
    params = request.GET
    try:
        limit, offset, after = _paging(params)
    except InputError as error:
        raise ApiError(400, "InvalidParameterValue", error.text()) from None
    bbox_srid, bbox_lat_lon = _crs(params, "bbox-crs")
    boxes = ()
    if params.get("bbox"):
        boxes = _bbox(params["bbox"], srid=bbox_srid, lat_lon=bbox_lat_lon)
    crs_srid, lat_lon = _crs(params, "crs")
    date_from = date_to = None
    if params.get("datetime"):
        date_from, date_to = _parse_interval(params["datetime"])
    return ItemQuery(
        boxes=boxes,
        bbox_srid=bbox_srid,
        date_from=date_from,
        date_to=date_to,
        filters=_filters(params, collection),
        filter_sql=_cql(params, collection),
        limit=limit,
        offset=offset,
        after=after,
        public_only=access == "public",
        crs_srid=crs_srid,
        lat_lon=lat_lon,
    )


def _crs(params, name: str) -> tuple[int, bool]:
    """The SRID a `crs`, `bbox-crs` or `filter-crs` names, and whether latitude comes first."""
    uri = params.get(name) or CRS84
    if uri not in CRS_SRIDS:
        raise ApiError(400, "InvalidParameterValue", f"{name} is one of {', '.join(CRS_SRIDS)}")
    return CRS_SRIDS[uri]


def _cql(params, collection: Collection) -> tuple[str, tuple] | None:
    """A CQL2 `filter` (text or JSON, `filter-lang`) as SQL; 400 when it is refused."""
    if not params.get("filter"):
        return None
    srid, lat_lon = _crs(params, "filter-crs")
    try:
        return cql_filter_sql(
            collection=collection,
            text=params["filter"],
            lang=params.get("filter-lang", "cql2-text"),
            srid=srid,
            lat_lon=lat_lon,
        )
    except FilterError as error:
        raise ApiError(400, "InvalidParameterValue", f"filter: {error}") from None


def _paging(params) -> tuple[int, int, int | None]:
    """limit, offset and after (a feature id for keyset paging); InputError if out of range."""
    ranges = f"limit is 1 or more (above {MAX_LIMIT}: {MAX_LIMIT}); offset is 0 to {MAX_OFFSET}"
    integers = "limit and offset are integers"
    limit = params.get("limit", str(DEFAULT_LIMIT))
    offset = params.get("offset", "0")
    if whole_number_text(limit) is None or whole_number_text(offset) is None:
        raise InputError("limit", integers)
    # A larger limit is served as the maximum, as OGC API - Features lets a server do.
    limit = str(min(whole_number_text(limit) or 0, MAX_LIMIT))
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


def _bbox(text: str, *, srid: int = STORAGE_SRID, lat_lon: bool = False) -> tuple[Box, ...]:
    """The boxes to search: one, or two for a box across the antimeridian (minx > maxx).

    Six numbers are a 3D box: its 2D part is used. In EPSG:4326 (`bbox-crs`) latitude comes
    first, as that CRS orders its axes.
    """
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError as error:
        raise ApiError(400, "InvalidParameterValue", "bbox is four (or six) numbers") from error
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ApiError(400, "InvalidParameterValue", "bbox is minx,miny,maxx,maxy")
    if lat_lon:
        values = [values[1], values[0], values[3], values[2]]
    minx, miny, maxx, maxy = values
    if srid != STORAGE_SRID:
        if minx > maxx or miny > maxy:
            raise ApiError(400, "InvalidParameterValue", "bbox is minx,miny,maxx,maxy")
        return ((minx, miny, maxx, maxy),)
    if miny > maxy:
        raise ApiError(400, "InvalidParameterValue", "bbox is minx,miny,maxx,maxy")
    if not all(-180 <= v <= 180 for v in (minx, maxx)) or not all(
        -90 <= v <= 90 for v in (miny, maxy)
    ):
        raise ApiError(400, "InvalidParameterValue", "bbox is in degrees (CRS84)")
    if minx > maxx:  # across the antimeridian: east of minx and west of maxx
        return ((minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy))
    return ((minx, miny, maxx, maxy),)


def _filters(params, collection: Collection) -> tuple[tuple[str, object], ...]:
    """Equality filters on the collection's own queryables, each value read as its column's."""
    filters = []
    for name, value in params.items():
        if name in RESERVED_PARAMS:
            continue
        if name not in collection.filterable:
            allowed = ", ".join(collection.filterable)
            raise ApiError(
                400, "InvalidParameterValue", f"unknown parameter {name!r} (filters: {allowed})"
            )
        if "\x00" in value:
            raise ApiError(400, "InvalidParameterValue", f"{name} contains a NUL character")
        field = collection.field(name)
        if field is not None and field.get_internal_type() not in ("CharField", "TextField"):
            try:
                value = field.to_python(value)
            except ValidationError:
                raise ApiError(
                    400, "InvalidParameterValue", f"{value!r} is not a value of {name}"
                ) from None
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
    user_id = request.user.pk if request.user.is_authenticated else None
    with (
        _scoped(municipality, access),
        replica_reads(municipality_ids=[municipality.pk], user_id=user_id),
    ):
        page = _filtered_page(layer, municipality, query)
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
    return _with_content_crs(geojson_response(text), query.crs_srid, query.lat_lon)


def _filtered_page(layer: Collection, municipality: Municipality, query: ItemQuery):
    """The page; a filter whose arithmetic PostgreSQL cannot compute is a 400.

    A division by zero is no match (layers.api.cql); an overflow (`10 ^ 1000000`) or a
    negative number to a fractional power raises DataError: inside a savepoint, so the
    request's transaction goes on.
    """
    if not query.filter_sql:
        return item_page(collection=layer, municipality=municipality, query=query)
    try:
        with transaction.atomic(using=read_connection().alias):
            return item_page(collection=layer, municipality=municipality, query=query)
    except DataError as error:
        reason = str(error).splitlines()[0]
        raise ApiError(400, "InvalidParameterValue", f"filter: {reason}") from None


def _with_content_crs(response: HttpResponse, srid: int, lat_lon: bool) -> HttpResponse:
    """The `Content-Crs` header (OGC API - Features Part 2) naming the coordinates' CRS."""
    uri = next(uri for uri, crs in CRS_SRIDS.items() if crs == (srid, lat_lon))
    response["Content-Crs"] = f"<{uri}>"
    return response


def _page_links(request, collection_id: str, query: ItemQuery, page) -> list[dict]:
    base = {k: v for k, v in request.GET.items() if k not in ("offset", "after")}
    # Next and previous pages stay in the format of this one.
    kind = HTML if _wants_html(request) else GEOJSON

    def page_link(rel: str, **position: int) -> dict:
        query_string = {**base, **position}
        href = _url(request, "ogc-items", collection_id=collection_id, query=query_string)
        return {"href": href, "rel": rel, "type": kind}

    links = [
        *_self_links(
            request, "ogc-items", GEOJSON, query=request.GET.dict(), collection_id=collection_id
        ),
        {
            "href": _url(request, "ogc-collection", collection_id=collection_id),
            "rel": "collection",
            "type": "application/json",
        },
    ]
    if page.number_returned == query.limit and page.last_id is not None:
        # Keyset: the next page starts after this page's last id, however deep it is, and
        # rows inserted or deleted meanwhile neither repeat nor skip a feature.
        links.append(page_link("next", after=page.last_id))
    if query.offset > 0 and query.after is None:
        links.append(page_link("prev", offset=max(0, query.offset - query.limit)))
    return links


@api_view
def item(request: HttpRequest, collection_id: str, item_id: int) -> HttpResponse:
    """One feature."""
    _known_params(request, "crs")
    municipality, layer, access = _resolve(request, collection_id)
    crs_srid, lat_lon = _crs(request.GET, "crs")
    with _scoped(municipality, access):
        feature = item_get(
            collection=layer,
            municipality=municipality,
            item_id=item_id,
            public_only=access == "public",
            crs_srid=crs_srid,
            lat_lon=lat_lon,
        )
    if feature is None:
        return _error(ApiError(404, "NotFound", f"No feature {item_id} in {collection_id}."))
    feature["links"] = [
        *_self_links(
            request,
            "ogc-item",
            GEOJSON,
            query=request.GET.dict(),
            collection_id=collection_id,
            item_id=item_id,
        ),
        {
            "href": _url(request, "ogc-collection", collection_id=collection_id),
            "rel": "collection",
            "type": "application/json",
        },
    ]
    if _wants_html(request):
        return render(
            request,
            "geoapp/api/item.html",
            {
                "feature": feature,
                "collection_id": collection_id,
                # The coordinates too (/req/html/content), as GeoJSON text, escaped by the template.
                "geometry_json": json.dumps(feature["geometry"]),
            },
        )
    return _with_content_crs(geojson_response(feature, ensure_ascii=True), crs_srid, lat_lon)


def not_found(request: HttpRequest) -> HttpResponse:
    """Any other path under /api/: the OGC exception JSON, not an HTML page."""
    return _error(ApiError(404, "NotFound", "No such API resource."))


@api_view
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.0 description of this API."""
    _known_params(request)
    readable = [(f"{m.code}.{c.layer}", c) for m, c, _access in _readable_collections(request)]
    document = openapi_document(server=_url(request, "ogc-landing"), collections=readable)
    if _wants_html(request):  # the landing page's service-doc: the same document, to read
        operations = [
            {"path": path, "method": method.upper(), **operation}
            for path, item in document["paths"].items()
            for method, operation in item.items()
        ]
        json_link = _url(request, "ogc-openapi")
        return render(
            request,
            "geoapp/api/openapi.html",
            {"document": document, "operations": operations, "json_link": json_link},
        )
    return JsonResponse(document, content_type=OPENAPI_JSON)
