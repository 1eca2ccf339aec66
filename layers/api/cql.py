"""CQL2 filters (OGC API - Features Part 3) written as SQL over a collection's own columns.

pygeofilter parses CQL2 text and CQL2 JSON into a tree; this module writes the tree as SQL over
the alias `t` with every value a query parameter, and refuses what it does not know: properties
other than the collection's queryables, functions, arithmetic, temporal and array operators.
Spatial predicates keep `&&` beside the exact one, so the GiST index serves them under
row-level security (decision 0007).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ValidationError
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text

from layers.api.features import STORAGE_SRID, Collection

#: Names of the geometry in a filter (CQL2 examples say `geometry`; the column is `geom`).
GEOMETRY_NAMES = ("geometry", "geom")
LANGUAGES = ("cql2-text", "cql2-json")
_COMPARISONS = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
_SPATIAL = {
    ast.GeometryIntersects: ("ST_Intersects", True),
    ast.GeometryWithin: ("ST_Within", True),
    ast.GeometryContains: ("ST_Contains", True),
    ast.GeometryDisjoint: ("ST_Disjoint", False),
}


class FilterError(ValueError):
    """A filter that cannot be read or names what the collection does not have."""


def _as_pygeofilter_reads(node: object) -> object:
    """CQL2 1.0 JSON in the shapes pygeofilter 0.4 reads correctly.

    pygeofilter 0.4 puts a JSON bbox's corners in the wrong Envelope fields (here each bbox
    becomes a GeoJSON polygon) and reads `between` as `[property, [low, high]]` where CQL2 1.0
    writes `[property, low, high]`.
    """
    if isinstance(node, list):
        return [_as_pygeofilter_reads(item) for item in node]
    if not isinstance(node, dict):
        return node
    args = node.get("args")
    if node.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        node = {**node, "args": [args[0], [args[1], args[2]]]}
    if set(node) == {"bbox"} and isinstance(node["bbox"], list) and len(node["bbox"]) in (4, 6):
        box = node["bbox"]
        minx, miny, maxx, maxy = (box[0], box[1], box[2], box[3]) if len(box) == 4 else (
            box[0], box[1], box[3], box[4]
        )  # fmt: skip
        ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
        return {"type": "Polygon", "coordinates": [ring]}
    return {key: _as_pygeofilter_reads(value) for key, value in node.items()}


def cql_parse(text: str, *, lang: str = "cql2-text") -> ast.Node:
    """The parsed filter; FilterError when it cannot be read."""
    if lang not in LANGUAGES:
        raise FilterError(f"filter-lang is one of {', '.join(LANGUAGES)}")
    try:
        if lang == "cql2-json":
            return parse_json(_as_pygeofilter_reads(json.loads(text)))
        return parse_text(text)
    except FilterError:
        raise
    except Exception as error:  # lark and pygeofilter raise many kinds for bad text
        raise FilterError(f"the filter cannot be read as {lang}: {error}") from None


class _Writer:
    """Writes one parsed filter as SQL, collecting its parameters."""

    def __init__(self, collection: Collection, *, srid: int, lat_lon: bool):
        self.collection = collection
        self.srid = srid
        self.lat_lon = lat_lon
        self.params: list = []

    def column(self, node: object) -> str:
        if not isinstance(node, ast.Attribute):
            raise FilterError("each condition compares a property with values")
        if node.name not in self.collection.filterable:
            allowed = ", ".join(self.collection.filterable)
            raise FilterError(f"{node.name!r} is not a queryable ({allowed})")
        return node.name

    def value(self, name: str, raw: object) -> str:
        if isinstance(raw, ast.Node | values.Geometry | values.Envelope | list):
            raise FilterError(f"{name} is compared with a value, not {type(raw).__name__}")
        field = self.collection.field(name)
        try:
            value = field.to_python(raw) if field is not None else raw
            if isinstance(value, datetime):
                value = value.date()
        except (ValidationError, TypeError, ValueError):
            raise FilterError(f"{raw!r} is not a value of {name}") from None
        if isinstance(value, bool) and not isinstance(raw, bool):
            raise FilterError(f"{name} is TRUE or FALSE")
        self.params.append(value)
        return "%s"

    def geometry(self, node: object) -> str:
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            numbers = node.arguments
            if len(numbers) == 6:
                numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
            if len(numbers) != 4:
                raise FilterError("BBOX takes four (or six) numbers")
            minx, miny, maxx, maxy = numbers
            node = values.Geometry(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
                    ],
                }
            )
        if isinstance(node, values.Envelope):
            node = values.Geometry(node.geometry)
        if not isinstance(node, values.Geometry):
            raise FilterError("a spatial condition takes the geometry and a literal geometry")
        self.params.append(json.dumps(node.geometry))
        shape = f"ST_SetSRID(ST_GeomFromGeoJSON(%s), {int(self.srid)})"
        if self.lat_lon:
            shape = f"ST_FlipCoordinates({shape})"
        return f"ST_Transform({shape}, {STORAGE_SRID})" if self.srid != STORAGE_SRID else shape

    def spatial(self, node: ast.SpatialComparisonPredicate) -> str:
        function, indexable = _SPATIAL[type(node)]
        if not (isinstance(node.lhs, ast.Attribute) and node.lhs.name in GEOMETRY_NAMES):
            raise FilterError("a spatial condition's first argument is the geometry")
        shape = self.geometry(node.rhs)
        if not indexable:
            return f"{function}(t.geom, {shape})"
        # The shape's parameter is sent twice: the index condition and the exact test.
        self.params.append(self.params[-1])
        return f"(t.geom && {shape} AND {function}(t.geom, {shape}))"

    def write(self, node: object) -> str:
        handler: Callable[[object], str] | None = self._handlers().get(type(node))
        if handler is None:
            raise FilterError(f"{type(node).__name__} is not supported in filters")
        return handler(node)

    def _handlers(self) -> dict[type, Callable]:
        handlers: dict[type, Callable] = {
            ast.And: lambda n: f"({self.write(n.lhs)} AND {self.write(n.rhs)})",
            ast.Or: lambda n: f"({self.write(n.lhs)} OR {self.write(n.rhs)})",
            ast.Not: lambda n: f"(NOT {self.write(n.sub_node)})",
            ast.Between: self.between,
            ast.Like: self.like,
            ast.In: self.within_list,
            ast.IsNull: self.is_null,
        }
        handlers.update(dict.fromkeys(_COMPARISONS, self.compare))
        handlers.update(dict.fromkeys(_SPATIAL, self.spatial))
        return handlers

    def compare(self, node: ast.Comparison) -> str:
        lhs, rhs, op = node.lhs, node.rhs, _COMPARISONS[type(node)]
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            lhs, rhs = rhs, lhs
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        name = self.column(lhs)
        return f"t.{name} {op} {self.value(name, rhs)}"

    def between(self, node: ast.Between) -> str:
        name = self.column(node.lhs)
        low, high = self.value(name, node.low), self.value(name, node.high)
        return f"t.{name} {'NOT ' if node.not_ else ''}BETWEEN {low} AND {high}"

    def like(self, node: ast.Like) -> str:
        name = self.column(node.lhs)
        field = self.collection.field(name)
        if field is not None and field.get_internal_type() not in ("CharField", "TextField"):
            raise FilterError(f"LIKE compares text; {name} is not text")
        if not isinstance(node.pattern, str):
            raise FilterError("LIKE takes a text pattern")
        self.params.append(node.pattern)  # CQL2's wildcards are SQL's: % and _, \\ escapes
        op = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
        return f"t.{name} {op} %s"

    def within_list(self, node: ast.In) -> str:
        name = self.column(node.lhs)
        if not node.sub_nodes:
            raise FilterError("IN takes at least one value")
        listed = ", ".join(self.value(name, item) for item in node.sub_nodes)
        return f"t.{name} {'NOT ' if node.not_ else ''}IN ({listed})"

    def is_null(self, node: ast.IsNull) -> str:
        name = self.column(node.lhs)
        return f"t.{name} IS {'NOT ' if node.not_ else ''}NULL"


def cql_filter_sql(
    *,
    collection: Collection,
    text: str,
    lang: str = "cql2-text",
    srid: int = STORAGE_SRID,
    lat_lon: bool = False,
) -> tuple[str, tuple]:
    """A CQL2 filter as a SQL condition over `t` and its parameters; FilterError if refused.

    `srid` and `lat_lon` give the CRS of the filter's geometries (`filter-crs`).

    >>> from layers.api.features import COLLECTIONS
    >>> cql_filter_sql(collection=COLLECTIONS["roads"], text="road_class IN ('primary')")
    ('t.road_class IN (%s)', ('primary',))
    """
    writer = _Writer(collection, srid=srid, lat_lon=lat_lon)
    sql = writer.write(cql_parse(text, lang=lang))
    return sql, tuple(writer.params)
