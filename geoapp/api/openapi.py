"""The OpenAPI 3.0 document of the OGC API - Features endpoints (served at /api/openapi)."""

from __future__ import annotations

from geoapp.api.openapi_processes import with_processes
from layers.api.features import COLLECTIONS

ERROR = {
    "description": "An error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
}


def _json(schema_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _geojson(schema_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/geo+json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}
        },
    }


def openapi_document(*, server: str) -> dict:
    """Describe every endpoint, parameter and response shape."""
    queryables = sorted({q for c in COLLECTIONS.values() for q in c.queryables})
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
            "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10},
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
            "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
        },
        {
            "name": "datetime",
            "in": "query",
            "schema": {"type": "string"},
            "description": "A date or an interval `start/end` (`..` for open ends)",
        },
        *[{"name": q, "in": "query", "schema": {"type": "string"}} for q in queryables],
    ]
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
        "security": [{}, {"token": []}, {"session": []}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "getLandingPage",
                    "summary": "Landing page",
                    "responses": {"200": _json("landing", "Links to the API")},
                }
            },
            "/conformance": {
                "get": {
                    "operationId": "getConformance",
                    "responses": {"200": _json("conformance", "Conformance classes")},
                }
            },
            "/collections": {
                "get": {
                    "operationId": "getCollections",
                    "responses": {"200": _json("collections", "Readable collections")},
                }
            },
            "/collections/{collectionId}": {
                "get": {
                    "operationId": "describeCollection",
                    "parameters": [collection_id],
                    "responses": {"200": _json("collection", "A collection"), "404": ERROR},
                }
            },
            "/collections/{collectionId}/items": {
                "get": {
                    "operationId": "getFeatures",
                    "parameters": items_params,
                    "responses": {
                        "200": _geojson("featureCollection", "Features"),
                        "400": ERROR,
                        "401": ERROR,
                        "404": ERROR,
                    },
                }
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
                    ],
                    "responses": {"200": _geojson("feature", "A feature"), "404": ERROR},
                }
            },
        },
    }
    # OGC API - Processes (geoapp/api/openapi_processes.py) joins here, in one place.
    return with_processes(document)
