"""The OpenAPI 3.0 document of the OGC API - Features endpoints (served at /api/openapi).

Property filters differ by collection, so the generic items path lists none; each collection
the caller may read gets its own items path with its own filters, typed from its columns
(as GDAL and other clients look for them), and `/queryables` lists them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from geoapp.api.openapi_processes import with_processes
from layers.api.features import COLLECTIONS, CRS84, CRS_SRIDS, Collection
from layers.api.schemas import field_schema

ERROR = {
    "description": "An error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
}


def _json(schema_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _schema_json(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/schema+json": {"schema": {"type": "object"}}, "text/html": {}},
    }


def _geojson(schema_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/geo+json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}
        },
    }


def _html(response: dict) -> dict:
    """The response, also as HTML (`?f=html` or `Accept: text/html`; `f` is left out here)."""
    return {**response, "content": {**response["content"], "text/html": {}}}


def _crs_param(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "string", "enum": list(CRS_SRIDS), "default": CRS84},
    }


CONTENT_CRS = {
    "Content-Crs": {
        "description": "The CRS of the coordinates, as <URI>",
        "schema": {"type": "string"},
    }
}


def _property_param(collection: Collection, name: str) -> dict:
    schema = {k: v for k, v in field_schema(collection.field(name)).items() if k != "title"}
    if isinstance(schema.get("type"), list):  # JSON Schema's ["integer", "null"]
        schema["type"] = next(t for t in schema["type"] if t != "null")
    return {
        "name": name,
        "in": "query",
        "description": f"Features whose {name} equals the value",
        "schema": schema or {"type": "string"},
    }


#: `f`: the format asked for (also by `Accept`); every Features resource has JSON and HTML.
FORMAT = {
    "name": "f",
    "in": "query",
    "description": "json (GeoJSON for features) or html",
    "schema": {"type": "string", "enum": ["json", "html"]},
}
UNAVAILABLE = {**ERROR, "description": "The database is unavailable for a moment; try again"}
UNAUTHORISED = {
    **ERROR,
    "headers": {
        "WWW-Authenticate": {"description": "Basic and Bearer", "schema": {"type": "string"}}
    },
}
_LINKS = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
TILE_SCHEMAS = {
    "tileset": {
        "type": "object",
        "required": ["dataType", "crs", "links"],
        "properties": {
            "title": {"type": "string"},
            "dataType": {"type": "string", "enum": ["vector"]},
            "crs": {"type": "string"},
            "tileMatrixSetURI": {"type": "string"},
            "minzoom": {"type": "integer"},
            "maxzoom": {"type": "integer"},
            "links": _LINKS,
        },
    },
    "tilesets": {
        "type": "object",
        "required": ["tilesets"],
        "properties": {
            "tilesets": {"type": "array", "items": {"$ref": "#/components/schemas/tileset"}}
        },
    },
}


def _tile_paths(collection_id: dict) -> dict:
    """OGC API - Tiles metadata of a collection: its tilesets (one, in WebMercatorQuad)."""

    def operation(operation_id: str, schema: str, summary: str) -> dict:
        return {
            "get": {
                "operationId": operation_id,
                "summary": summary,
                "parameters": [collection_id],
                "responses": {
                    "200": _json(schema, summary),
                    "401": UNAUTHORISED,
                    "404": ERROR,
                },
            }
        }

    return {
        "/collections/{collectionId}/tiles": operation(
            "getTileSetsList", "tilesets", "The collection's vector tilesets"
        ),
        "/collections/{collectionId}/tiles/WebMercatorQuad": operation(
            "getTileSet", "tileset", "The WebMercatorQuad tileset with its tile URL template"
        ),
    }


def _collection_paths(
    collections: Iterable[tuple[str, Collection]], generic: dict, error: dict
) -> dict:
    """An items path per collection, with the filters that collection takes."""
    paths = {}
    for collection_id, collection in collections:
        operation = dict(generic)
        operation["operationId"] = "getFeatures_" + re.sub(r"\W", "_", collection_id)
        operation["summary"] = f"Features of {collection_id}"
        operation["parameters"] = [
            *[p for p in generic["parameters"] if p.get("in") != "path"],
            *[_property_param(collection, name) for name in collection.filterable],
        ]
        paths[f"/collections/{collection_id}/items"] = {"get": operation}
    return paths


def openapi_document(*, server: str, collections: Iterable[tuple[str, Collection]] = ()) -> dict:
    """Describe every endpoint, parameter and response shape.

    `collections`: (id, collection) pairs the caller may read, each given its own items path.
    """
    collection_id = {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "description": "`<municipality code>.<layer>`, layer one of " + ", ".join(COLLECTIONS),
        # What the URL route matches: one non-empty path segment.
        "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
    }
    items_params = [
        collection_id,
        {
            "name": "limit",
            "in": "query",
            "description": "Features per page; a larger value than 10000 is served as 10000",
            "schema": {"type": "integer", "minimum": 1, "default": 1000},
        },
        {
            "name": "offset",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
            "description": "Features to skip (after `after`, if given)",
        },
        {
            "name": "after",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
            "description": "Keyset paging: only features with a greater id (the `next` link "
            "carries the last id of the page)",
        },
        {
            "name": "bbox",
            "in": "query",
            "style": "form",
            "explode": False,
            "description": "Features whose geometry intersects the box: minx,miny,maxx,maxy "
            "(six numbers: a 3D box, its 2D part used); minx > maxx crosses the antimeridian",
            "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        },
        _crs_param("bbox-crs", "The CRS of bbox (EPSG:4326: latitude first)"),
        _crs_param("crs", "The CRS of the coordinates returned (EPSG:4326: latitude first)"),
        {
            "name": "datetime",
            "in": "query",
            "schema": {"type": "string"},
            "description": "A date or an interval `start/end` (`..` for open ends)",
        },
        {
            "name": "filter",
            "in": "query",
            "description": "A CQL2 filter on the collection's queryables (see /queryables): "
            "comparisons, LIKE, IN, BETWEEN, IS NULL, the S_* spatial functions with a BBOX or "
            "any WKT/GeoJSON geometry, the T_* temporal functions and arithmetic "
            "(+ - * / % div ^); no array functions",
            "schema": {"type": "string"},
        },
        {
            "name": "filter-lang",
            "in": "query",
            "schema": {
                "type": "string",
                "enum": ["cql2-text", "cql2-json"],
                "default": "cql2-text",
            },
        },
        _crs_param("filter-crs", "The CRS of the filter's geometries"),
    ]
    items_operation = {
        "operationId": "getFeatures",
        "description": "Property filters are each collection's own: see the collection's "
        "items path below and its /queryables",
        "parameters": items_params,
        "responses": {
            "200": _html({**_geojson("featureCollection", "Features"), "headers": CONTENT_CRS}),
            "400": ERROR,
            "401": ERROR,
            "404": ERROR,
        },
    }
    link = {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
        },
    }
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Mueang OGC API - Features", "version": "1.0.0"},
        "servers": [{"url": server.rstrip("/")}],
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`Token <key>` from `manage.py create_api_token`",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "The login name and an API token as the password (QGIS, GDAL)",
                },
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token: `Authorization: Bearer <key>`",
                },
            },
            "schemas": {
                "exception": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
                },
                "link": link,
                "landing": {
                    "type": "object",
                    "required": ["links"],
                    "properties": {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
                    },
                },
                "conformance": {
                    "type": "object",
                    "required": ["conformsTo"],
                    "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
                },
                "collection": {
                    "type": "object",
                    "required": ["id", "links"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "itemType": {"type": "string"},
                        "crs": {"type": "array", "items": {"type": "string"}},
                        "extent": {"type": "object"},
                        "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
                    },
                },
                "collections": {
                    "type": "object",
                    "required": ["links", "collections"],
                    "properties": {
                        "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
                        "collections": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/collection"},
                        },
                    },
                },
                "feature": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "id": {"type": "integer"},
                        "geometry": {"type": "object", "nullable": True},
                        "properties": {"type": "object", "nullable": True},
                        "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
                    },
                },
                "featureCollection": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"type": "string", "enum": ["FeatureCollection"]},
                        "features": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/feature"},
                        },
                        "numberReturned": {"type": "integer", "minimum": 0},
                        "numberMatched": {"type": "integer", "minimum": 0},
                        "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
                    },
                },
            },
        },
        "security": [{}, {"token": []}, {"bearer": []}, {"basic": []}, {"session": []}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "getLandingPage",
                    "summary": "Landing page",
                    "responses": {"200": _html(_json("landing", "Links to the API"))},
                }
            },
            "/conformance": {
                "get": {
                    "operationId": "getConformance",
                    "responses": {"200": _html(_json("conformance", "Conformance classes"))},
                }
            },
            "/collections": {
                "get": {
                    "operationId": "getCollections",
                    "responses": {"200": _html(_json("collections", "Readable collections"))},
                }
            },
            "/collections/{collectionId}": {
                "get": {
                    "operationId": "describeCollection",
                    "parameters": [collection_id],
                    "responses": {
                        "200": _html(_json("collection", "A collection")),
                        "401": ERROR,
                        "404": ERROR,
                    },
                }
            },
            "/collections/{collectionId}/queryables": {
                "get": {
                    "operationId": "getQueryables",
                    "summary": "What a filter may name, with types (JSON Schema)",
                    "parameters": [collection_id],
                    "responses": {"200": _schema_json("Queryables"), "401": ERROR, "404": ERROR},
                }
            },
            "/collections/{collectionId}/schema": {
                "get": {
                    "operationId": "getSchema",
                    "summary": "The features' properties with types (JSON Schema)",
                    "parameters": [collection_id],
                    "responses": {"200": _schema_json("Schema"), "401": ERROR, "404": ERROR},
                }
            },
            "/collections/{collectionId}/items": {
                "get": items_operation,
            },
            "/collections/{collectionId}/items/{featureId}": {
                "get": {
                    "operationId": "getFeature",
                    "parameters": [
                        collection_id,
                        {
                            "name": "featureId",
                            "in": "path",
                            "required": True,
                            # Feature ids are database keys; the route takes digits only.
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        _crs_param("crs", "The CRS of the coordinates returned"),
                    ],
                    "responses": {
                        "200": _html({**_geojson("feature", "A feature"), "headers": CONTENT_CRS}),
                        "400": ERROR,
                        "401": ERROR,
                        "404": ERROR,
                    },
                }
            },
        },
    }
    for path, item in document["paths"].items():
        if not path.startswith("/processes") and not path.startswith("/jobs"):
            operation = item["get"]
            operation["parameters"] = [*operation.get("parameters", []), FORMAT]
            # A parameter the resource does not take, or a bad `f`: /req/core/query-param-*.
            operation["responses"].setdefault("400", ERROR)
            # A database restart or failover answers 503 (geoapp/web/errors.py), on any operation.
            operation["responses"]["503"] = UNAVAILABLE
    document["components"]["schemas"].update(TILE_SCHEMAS)
    document["paths"].update(_tile_paths(collection_id))
    document["paths"].update(_collection_paths(collections, items_operation, ERROR))
    # OGC API - Processes (geoapp/api/openapi_processes.py) joins here, in one place.
    return with_processes(document)
