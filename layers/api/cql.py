"""CQL2 filters (OGC API - Features Part 3) written as SQL over a collection's own columns.

pygeofilter parses CQL2 text (with the CQL2 1.0 forms layers.api.cql2_text adds) and CQL2 JSON
into a tree; this module writes the tree as SQL over the alias `t` with every value a query
parameter, and refuses what it does not know: properties other than the collection's
queryables, other functions, and array functions (no collection has an array property).
Spatial predicates keep `&&` beside the exact one, so the GiST index serves them under
row-level security (decision 0007). Temporal functions compare days (a TIMESTAMP is taken at
its UTC date: the temporal columns are dates); arithmetic runs in `numeric`, a division by zero
is NULL (no match) and an overflow is the caller's DataError (decision 0024).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json

from layers.api.cql2_text import (
    ARITHMETIC_FUNCTIONS,
    ARRAY_FUNCTIONS,
    TEMPORAL_FUNCTIONS,
    cql2_text_parse,
)
from layers.api.features import STORAGE_SRID, Collection

#: Names of the geometry in a filter (CQL2 examples say `geometry`; the column is `geom`).
GEOMETRY_NAMES = ("geometry", "geom")
LANGUAGES = ("cql2-text", "cql2-json")
#: Bounds on a filter: its text, and the conditions, terms and values written for it.
MAX_FILTER_CHARS = 20_000
MAX_NODES = 300
_COMPARISONS = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mul: "*", ast.Div: "/"}
#: Functions that compare intervals only (CQL2 1.0, table 2): an instant there is a client error.
_INTERVALS_ONLY = {
    "t_contains",
    "t_during",
    "t_finishedby",
    "t_finishes",
    "t_meets",
    "t_metby",
    "t_overlappedby",
    "t_overlaps",
    "t_startedby",
    "t_starts",
}
_NUMERIC_FIELDS = (models.IntegerField, models.FloatField, models.DecimalField)
# (function, whether `&&` may stand beside it: true when a match needs overlapping boxes)
_SPATIAL = {
    ast.GeometryIntersects: ("ST_Intersects", True),
    ast.GeometryWithin: ("ST_Within", True),
    ast.GeometryContains: ("ST_Contains", True),
    ast.GeometryTouches: ("ST_Touches", True),
    ast.GeometryCrosses: ("ST_Crosses", True),
    ast.GeometryOverlaps: ("ST_Overlaps", True),
    ast.GeometryEquals: ("ST_Equals", True),
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
    op = node.get("op")
    if (
        isinstance(op, str)
        and isinstance(args, list)
        and (op.lower() in (*TEMPORAL_FUNCTIONS, *ARRAY_FUNCTIONS) or op in ARITHMETIC_FUNCTIONS)
    ):
        # pygeofilter 0.4 maps t_intersects to its TimeOverlaps and knows no %, div or ^:
        # these go on by name, as the text grammar's additions write them.
        name = op if op in ARITHMETIC_FUNCTIONS else op.lower()
        return {"function": {"name": name, "arguments": _as_pygeofilter_reads(args)}}
    if node.get("type") == "GeometryCollection" and isinstance(node.get("geometries"), list):
        return values.Geometry(node)  # pygeofilter 0.4 takes a geometry by its "coordinates"
    if set(node) == {"interval"} and isinstance(node["interval"], list):
        ends = node["interval"]  # ".." stays a string: pygeofilter reads no null argument
        return {"function": {"name": "interval", "arguments": _as_pygeofilter_reads(ends)}}
    if op == "between" and isinstance(args, list) and len(args) == 3:
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
    if len(text) > MAX_FILTER_CHARS:
        raise FilterError(f"a filter has at most {MAX_FILTER_CHARS:,} characters")
    try:
        if lang == "cql2-json":
            return parse_json(_as_pygeofilter_reads(json.loads(text)))
        return cql2_text_parse(text)
    except FilterError:
        raise
    except Exception as error:  # lark and pygeofilter raise many kinds for bad text
        raise FilterError(f"the filter cannot be read as {lang}: {error}") from None


@dataclass(frozen=True)
class _Instant:
    """One end of a temporal operand: SQL for a date and its parameters."""

    sql: str
    params: tuple = ()


def _day(value: object, name: str) -> date:
    """A date, a timestamp (its UTC day) or an ISO text (CQL2 JSON) as a day."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FilterError(f"{value!r} is not a date or a timestamp ({name})") from None
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    raise FilterError(f"{name} compares dates, timestamps, intervals or date properties")


class _Writer:
    """Writes one parsed filter as SQL, collecting its parameters."""

    def __init__(self, collection: Collection, *, srid: int, lat_lon: bool):
        self.collection = collection
        self.srid = srid
        self.lat_lon = lat_lon
        self.params: list = []
        self.budget = MAX_NODES

    def spend(self) -> None:
        """One more condition, term or value; a filter of more is refused, not written."""
        self.budget -= 1
        if self.budget < 0:
            raise FilterError(f"a filter has at most {MAX_NODES} conditions, terms and values")

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
        self.spend()
        handler: Callable[[object], str] | None = self._handlers().get(type(node))
        if handler is None:
            raise FilterError(f"{type(node).__name__} is not supported in filters")
        return handler(node)

    def function(self, node: ast.Function) -> str:
        """A temporal function; array functions and others are refused by name."""
        name = node.name.lower()
        if name in TEMPORAL_FUNCTIONS:
            return self.temporal(name, node.arguments)
        if name in ARRAY_FUNCTIONS:
            raise FilterError(
                f"{name.upper()} is not supported: no collection has an array property"
            )
        raise FilterError(f"{node.name!r} is not a condition (functions are not supported)")

    # --- temporal functions (CQL2 1.0 7.10: instants and intervals, ends coincident or not)

    def temporal_operand(self, node: object, function: str) -> tuple[_Instant, _Instant, bool]:
        """(start, end, is an interval) of one operand; an instant starts and ends at once."""
        self.spend()
        if isinstance(node, ast.Function) and node.name == "interval":
            if len(node.arguments) != 2:
                raise FilterError("INTERVAL has a start and an end")
            start = self.interval_end(node.arguments[0], function, open_as="-infinity")
            end = self.interval_end(node.arguments[1], function, open_as="infinity")
            if start.params and end.params and start.params[0] > end.params[0]:
                raise FilterError("an INTERVAL's start is after its end")
            return start, end, True
        instant = self.temporal_instant(node, function)
        return instant, instant, False

    def interval_end(self, node: object, function: str, *, open_as: str) -> _Instant:
        if node is None or node == "..":
            return _Instant(f"'{open_as}'::date")
        return self.temporal_instant(node, function)

    def temporal_instant(self, node: object, function: str) -> _Instant:
        if isinstance(node, ast.Attribute):
            name = self.column(node)
            field = self.collection.field(name)
            kind = field.get_internal_type() if field is not None else ""
            if kind == "DateTimeField":
                return _Instant(f"(t.{name} AT TIME ZONE 'UTC')::date")
            if kind != "DateField":
                raise FilterError(f"{function.upper()} compares dates; {name} is not a date")
            return _Instant(f"t.{name}")
        return _Instant("%s::date", (_day(node, function.upper()),))

    def temporal(self, name: str, arguments: list) -> str:
        if len(arguments) != 2:
            raise FilterError(f"{name.upper()} compares two temporal values")
        (s1, e1, interval1), (s2, e2, interval2) = (
            self.temporal_operand(argument, name) for argument in arguments
        )
        if name in _INTERVALS_ONLY and not (interval1 and interval2):
            raise FilterError(f"{name.upper()} compares intervals, not instants")

        def disjoint() -> str:
            return f"({self.cmp(e1, '<', s2)} OR {self.cmp(s1, '>', e2)})"

        written = {
            "t_after": lambda: self.cmp(s1, ">", e2),
            "t_before": lambda: self.cmp(e1, "<", s2),
            "t_disjoint": disjoint,
            "t_intersects": lambda: f"(NOT {disjoint()})",
            "t_equals": lambda: self.both(s1, "=", s2, e1, "=", e2),
            "t_contains": lambda: self.both(s1, "<", s2, e1, ">", e2),
            "t_during": lambda: self.both(s1, ">", s2, e1, "<", e2),
            "t_finishedby": lambda: self.both(s1, "<", s2, e1, "=", e2),
            "t_finishes": lambda: self.both(s1, ">", s2, e1, "=", e2),
            "t_meets": lambda: self.cmp(e1, "=", s2),
            "t_metby": lambda: self.cmp(s1, "=", e2),
            "t_overlappedby": lambda: (
                f"({self.cmp(s1, '>', s2)} AND {self.cmp(s1, '<', e2)} AND {self.cmp(e1, '>', e2)})"
            ),
            "t_overlaps": lambda: (
                f"({self.cmp(s1, '<', s2)} AND {self.cmp(e1, '>', s2)} AND {self.cmp(e1, '<', e2)})"
            ),
            "t_startedby": lambda: self.both(s1, "=", s2, e1, ">", e2),
            "t_starts": lambda: self.both(s1, "=", s2, e1, "<", e2),
        }
        return written[name]()

    def cmp(self, lhs: _Instant, op: str, rhs: _Instant) -> str:
        """`lhs op rhs`, their parameters appended in the order the SQL reads them."""
        self.params.extend((*lhs.params, *rhs.params))
        return f"{lhs.sql} {op} {rhs.sql}"

    def both(self, *parts) -> str:
        s1, op1, s2, e1, op2, e2 = parts
        return f"({self.cmp(s1, op1, s2)} AND {self.cmp(e1, op2, e2)})"

    # --- arithmetic (CQL2 1.0 arithmetic: + - * / % div ^, in numeric)

    def is_arithmetic(self, node: object) -> bool:
        return isinstance(node, ast.Arithmetic) or (
            isinstance(node, ast.Function) and node.name in ARITHMETIC_FUNCTIONS
        )

    def numeric(self, node: object) -> str:
        """A numeric expression as SQL (numeric type); FilterError for anything else."""
        self.spend()
        if isinstance(node, ast.Attribute):
            name = self.column(node)
            field = self.collection.field(name)
            if not isinstance(field, _NUMERIC_FIELDS):
                raise FilterError(f"arithmetic takes numbers; {name} is not a number")
            return f"t.{name}::numeric"
        if isinstance(node, int | float) and not isinstance(node, bool):
            if not math.isfinite(node):
                raise FilterError("arithmetic takes finite numbers")
            self.params.append(Decimal(repr(node)))
            return "%s::numeric"
        if isinstance(node, ast.Arithmetic) and type(node) in _ARITHMETIC:
            lhs, rhs = self.numeric(node.lhs), self.numeric(node.rhs)
            if isinstance(node, ast.Div):  # a zero divisor is NULL: that row does not match
                return f"({lhs} / NULLIF({rhs}, 0))"
            return f"({lhs} {_ARITHMETIC[type(node)]} {rhs})"
        if isinstance(node, ast.Function) and node.name in ARITHMETIC_FUNCTIONS:
            if len(node.arguments) != 2:
                raise FilterError(f"{node.name} takes two numbers")
            lhs, rhs = (self.numeric(argument) for argument in node.arguments)
            return {
                "%": f"mod({lhs}, NULLIF({rhs}, 0))",
                "div": f"div({lhs}, NULLIF({rhs}, 0))",
                "^": f"power({lhs}, {rhs})",
            }[node.name]
        raise FilterError("arithmetic takes numbers and numeric properties")

    def _handlers(self) -> dict[type, Callable]:
        handlers: dict[type, Callable] = {
            ast.And: lambda n: f"({self.write(n.lhs)} AND {self.write(n.rhs)})",
            ast.Or: lambda n: f"({self.write(n.lhs)} OR {self.write(n.rhs)})",
            ast.Not: lambda n: f"(NOT {self.write(n.sub_node)})",
            ast.Between: self.between,
            ast.Like: self.like,
            ast.In: self.within_list,
            ast.IsNull: self.is_null,
            ast.Function: self.function,
            bool: lambda n: "TRUE" if n else "FALSE",  # CQL2's TRUE or FALSE as a condition
        }
        handlers.update(dict.fromkeys(_COMPARISONS, self.compare))
        handlers.update(dict.fromkeys(_SPATIAL, self.spatial))
        return handlers

    def compare(self, node: ast.Comparison) -> str:
        lhs, rhs, op = node.lhs, node.rhs, _COMPARISONS[type(node)]
        if self.is_arithmetic(lhs) or self.is_arithmetic(rhs):
            return f"{self.numeric(lhs)} {op} {self.numeric(rhs)}"
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            lhs, rhs = rhs, lhs
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        name = self.column(lhs)
        return f"t.{name} {op} {self.value(name, rhs)}"

    def between(self, node: ast.Between) -> str:
        if self.is_arithmetic(node.lhs):
            expression, low, high = (self.numeric(n) for n in (node.lhs, node.low, node.high))
            return f"{expression} {'NOT ' if node.not_ else ''}BETWEEN {low} AND {high}"
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
    try:
        sql = writer.write(cql_parse(text, lang=lang))
    except RecursionError:
        raise FilterError("the filter is nested too deeply") from None
    return sql, tuple(writer.params)
