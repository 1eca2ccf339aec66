"""JSON Schemas of a collection: its queryables (Part 3) and its features' properties.

Types come from the model fields, so a mostly-null number is still a number to a client.
"""

from __future__ import annotations

from django.db import models

from layers.api.features import Collection

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
_GEOMETRY_FORMATS = {
    "Point": "geometry-point",
    "MultiPoint": "geometry-multipoint",
    "LineString": "geometry-linestring",
    "MultiLineString": "geometry-multilinestring",
    "Polygon": "geometry-polygon",
    "MultiPolygon": "geometry-multipolygon",
}


def field_schema(field: models.Field | None) -> dict:
    """The JSON Schema of one column's values."""
    if field is None:
        return {}
    kind: str
    found: dict = {"title": str(field.verbose_name)}
    if isinstance(field, models.BooleanField):
        kind = "boolean"
    elif isinstance(field, models.IntegerField):
        kind = "integer"
    elif isinstance(field, models.FloatField | models.DecimalField):
        kind = "number"
    elif isinstance(field, models.DateTimeField):
        kind, found["format"] = "string", "date-time"
    elif isinstance(field, models.DateField):
        kind, found["format"] = "string", "date"
    else:
        kind = "string"
        if getattr(field, "max_length", None):
            found["maxLength"] = field.max_length
    if field.choices:
        found["enum"] = [value for value, _label in field.flatchoices]
    found["type"] = [kind, "null"] if field.null else kind
    return found


def _geometry_schema(collection: Collection) -> dict:
    found = {"x-ogc-role": "primary-geometry"}
    if collection.geometry in _GEOMETRY_FORMATS:
        found["format"] = _GEOMETRY_FORMATS[collection.geometry]
    return found


def _property_schema(collection: Collection, name: str) -> dict:
    found = field_schema(collection.field(name))
    if name == collection.temporal:
        found["x-ogc-role"] = "primary-instant"
    return found


def collection_queryables(*, collection: Collection, collection_id: str) -> dict:
    """The properties a `filter` or a query parameter may name, and the geometry."""
    properties = {"geometry": _geometry_schema(collection)}
    properties.update({name: _property_schema(collection, name) for name in collection.filterable})
    return {
        "$schema": JSON_SCHEMA,
        "$id": collection_id,
        "type": "object",
        "title": collection.title,
        "properties": properties,
        "additionalProperties": False,
    }


def collection_schema(*, collection: Collection, collection_id: str) -> dict:
    """Every property of the collection's features, the id and the geometry."""
    properties = {
        "id": {"x-ogc-role": "id", "type": "integer"},
        "geometry": _geometry_schema(collection),
    }
    properties.update({name: _property_schema(collection, name) for name in collection.properties})
    return {
        "$schema": JSON_SCHEMA,
        "$id": collection_id,
        "type": "object",
        "title": collection.title,
        "properties": properties,
    }
