"""Reads behind the OGC API - Features endpoints: collections, pages of items, single items.

A page is one query: its ids first, in id order through the (municipality_id, id) index (after
an `after` id: keyset paging, or LIMIT/OFFSET), then PostGIS writes the GeoJSON of those rows
only, as one text the response embeds without parsing it. `numberMatched` is only counted when
it is cheap (never a full count of a big table).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from django.db import connection

from layers.models import Municipality
from layers.registry import Layer, LayerMap, layers_with


@dataclass(frozen=True)
class Collection:
    """A layer published as a feature collection."""

    layer: str
    table: str
    title: str
    properties: tuple[str, ...]
    queryables: tuple[str, ...]
    temporal: str | None = None  # a date column for the `datetime` filter


def _collection(layer: Layer) -> Collection:
    api = layer.api
    return Collection(
        layer.name, layer.table, api.title, api.properties, api.queryables, temporal=api.temporal
    )


#: Layers published as collections, by collection id (the registry's `name`).
COLLECTIONS: LayerMap[Collection] = LayerMap(
    lambda: {layer.name: _collection(layer) for layer in layers_with(api=True)}
)
# Counting every match is skipped above this many rows in the table's estimate.
CHEAP_COUNT_ROWS = 100_000
# A bbox covering less than this share of the municipality's extent is searched through the
# spatial index, then sorted; a larger one walks the id index and filters (see _ids_sql).
SMALL_BBOX_SHARE = 0.05
# Settings for this transaction only: a page's cost estimate (OFFSET over many rows) would
# otherwise trigger JIT compilation, which costs more than the query.
PAGE_QUERY_SETTINGS = "SELECT set_config('jit', 'off', true)"


@dataclass(frozen=True)
class ItemQuery:
    """A validated items request."""

    bbox: tuple[float, float, float, float] | None = None
    date_from: date | None = None
    date_to: date | None = None
    filters: tuple[tuple[str, str], ...] = ()
    limit: int = 10
    offset: int = 0
    after: int | None = None  # keyset paging: features with a greater id
    public_only: bool = False


@dataclass(frozen=True)
class ItemPage:
    """A page of features as GeoJSON text (comma-separated Feature objects, in id order)."""

    features_json: str
    number_returned: int
    last_id: int | None
    number_matched: int | None

    @property
    def features(self) -> list[dict]:
        """The features parsed (for the HTML view; the JSON response embeds the text)."""
        return json.loads(f"[{self.features_json}]")


def _where(
    collection: Collection, municipality: Municipality, query: ItemQuery
) -> tuple[str, list]:
    clauses = ["t.municipality_id = %s"]
    params: list = [municipality.pk]
    if query.bbox:
        clauses.append("t.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")
        params.extend(query.bbox)
    if collection.temporal and query.date_from:
        clauses.append(f"t.{collection.temporal} >= %s")
        params.append(query.date_from)
    if collection.temporal and query.date_to:
        clauses.append(f"t.{collection.temporal} <= %s")
        params.append(query.date_to)
    for name, value in query.filters:
        if name not in collection.queryables:
            raise ValueError(f"{name} is not a queryable of {collection.layer}")
        clauses.append(f"t.{name} = %s")
        params.append(value)
    if query.public_only:
        clauses.append(
            "t.dataset_id IN (SELECT id FROM layers_dataset WHERE visibility = 'public')"
        )
    return " AND ".join(clauses), params


def _feature_sql(collection: Collection) -> str:
    props = ", ".join(f"'{p}', t.{p}" for p in collection.properties)
    return (
        "json_build_object('type', 'Feature', 'id', t.id, "
        "'geometry', ST_AsGeoJSON(t.geom, 7)::json, "
        f"'properties', json_build_object({props}))::text"
    )


def _estimated_rows(table: str) -> int | None:
    """The planner's row estimate of the table; None before its first ANALYZE (-1)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] >= 0 else None


def _cheap_count(collection: Collection, where: str, params: list) -> int | None:
    """Every match, if counting them is cheap: never a full count of a big table.

    A table not yet analysed has no estimate: its count stops after CHEAP_COUNT_ROWS rows.
    """
    estimate = _estimated_rows(collection.table)
    if estimate is not None and estimate > CHEAP_COUNT_ROWS:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {collection.table} t WHERE {where} "
            "LIMIT %s) AS capped",
            [*params, CHEAP_COUNT_ROWS + 1],
        )
        count = cursor.fetchone()[0]
    return count if count <= CHEAP_COUNT_ROWS else None


def _bbox_is_small(municipality: Municipality, bbox: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = municipality.boundary.extent
    area = (maxx - minx) * (maxy - miny)
    overlap = max(0.0, min(maxx, bbox[2]) - max(minx, bbox[0])) * max(
        0.0, min(maxy, bbox[3]) - max(miny, bbox[1])
    )
    return area <= 0 or overlap < SMALL_BBOX_SHARE * area


def _ids_sql(collection: Collection, where: str, *, small_bbox: bool) -> str:
    """The page's ids in id order.

    Ids run in id order through the (municipality_id, id) index, the bbox a filter: good when
    the box holds much of the town. A small box would walk most of the index before it finds
    a page (the planner cannot know where its rows lie in id order): its rows come from the
    spatial index instead (MATERIALIZED keeps them apart from ORDER BY ... LIMIT), then sorted.
    """
    if small_bbox:
        return (
            f"WITH found AS MATERIALIZED (SELECT t.id FROM {collection.table} t WHERE {where}) "
            "SELECT id FROM found ORDER BY id LIMIT %s OFFSET %s"
        )
    return f"SELECT t.id FROM {collection.table} t WHERE {where} ORDER BY t.id LIMIT %s OFFSET %s"


def item_page(*, collection: Collection, municipality: Municipality, query: ItemQuery) -> ItemPage:
    """One page of features, ordered by id; the total only when counting is cheap."""
    where, params = _where(collection, municipality, query)
    page_where, page_params = where, params
    if query.after is not None:
        page_where, page_params = f"{where} AND t.id > %s", [*params, query.after]
    small_bbox = bool(query.bbox) and _bbox_is_small(municipality, query.bbox)
    sql = (
        "SELECT count(*), max(t.id), "
        f"coalesce(string_agg({_feature_sql(collection)}, ',' ORDER BY t.id), '') "
        f"FROM ({_ids_sql(collection, page_where, small_bbox=small_bbox)}) AS page "
        f"JOIN {collection.table} t ON t.id = page.id"
    )
    if connection.in_atomic_block:
        sql = f"{PAGE_QUERY_SETTINGS};\n{sql}"  # one round trip: psycopg2 returns the last result
    with connection.cursor() as cursor:
        cursor.execute(sql, [*page_params, query.limit, query.offset])
        returned, last_id, features_json = cursor.fetchone()
    matched = None
    if query.after is None and returned < query.limit and (returned or query.offset == 0):
        matched = query.offset + returned  # the last page: everything before it was skipped
    else:
        matched = _cheap_count(collection, where, params)
    return ItemPage(features_json, returned, last_id, matched)


def item_get(
    *, collection: Collection, municipality: Municipality, item_id: int, public_only: bool
) -> dict | None:
    """One feature by id, or None."""
    where, params = _where(collection, municipality, ItemQuery(public_only=public_only))
    sql = f"SELECT {_feature_sql(collection)} FROM {collection.table} t WHERE {where} AND t.id = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, item_id])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def collection_extent(*, collection: Collection, municipality: Municipality) -> list[float]:
    """The bounding box of the municipality (cheap; the layer lies within or near it)."""
    minx, miny, maxx, maxy = municipality.boundary.extent
    return [minx, miny, maxx, maxy]
