"""Reads behind the OGC API - Features endpoints: collections, pages of items, single items.

Items are serialised to GeoJSON by PostGIS (ST_AsGeoJSON), a page at a time with keyset-free
LIMIT/OFFSET over the primary key; `numberMatched` is only counted when it is cheap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from django.db import connection

from layers.models import Municipality


@dataclass(frozen=True)
class Collection:
    """A layer published as a feature collection."""

    layer: str
    table: str
    title: str
    properties: tuple[str, ...]
    queryables: tuple[str, ...]
    temporal: str | None = None  # a date column for the `datetime` filter


COLLECTIONS: dict[str, Collection] = {
    c.layer: c
    for c in (
        Collection(
            "roads",
            "layers_road",
            "Roads",
            ("name_th", "name_en", "road_class", "surface", "lanes", "ref", "source_id"),
            ("road_class", "surface", "name_th"),
        ),
        Collection(
            "landmarks",
            "layers_landmark",
            "Landmarks",
            ("name_th", "name_en", "category", "source_id"),
            ("category", "name_th"),
        ),
        Collection(
            "buildings",
            "layers_building",
            "Buildings",
            ("name_th", "name_en", "building_type", "levels", "source_id"),
            ("building_type",),
        ),
        Collection(
            "flood_zones",
            "layers_floodzone",
            "Flood zones",
            ("event", "hazard_class", "depth_min_m", "depth_max_m", "observed_date"),
            ("hazard_class", "event"),
            temporal="observed_date",
        ),
        Collection(
            "dengue_cases",
            "layers_denguecase",
            "Dengue cases",
            ("onset_date", "report_date", "diagnosis", "status", "is_generated"),
            ("diagnosis", "status"),
            temporal="onset_date",
        ),
    )
}
# Counting every match is skipped above this many rows in the table's estimate.
CHEAP_COUNT_ROWS = 100_000


@dataclass(frozen=True)
class ItemQuery:
    """A validated items request."""

    bbox: tuple[float, float, float, float] | None = None
    date_from: date | None = None
    date_to: date | None = None
    filters: tuple[tuple[str, str], ...] = ()
    limit: int = 10
    offset: int = 0
    public_only: bool = False


@dataclass(frozen=True)
class ItemPage:
    features: list[dict]
    number_matched: int | None


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


def _estimated_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def item_page(*, collection: Collection, municipality: Municipality, query: ItemQuery) -> ItemPage:
    """One page of features, ordered by id; the total only when counting is cheap."""
    where, params = _where(collection, municipality, query)
    # Page the ids first, then build GeoJSON for those rows only: OFFSET still walks the
    # skipped rows, but through the primary key index, without serialising them.
    sql = (
        f"SELECT {_feature_sql(collection)} FROM {collection.table} t "
        f"WHERE t.id IN (SELECT t.id FROM {collection.table} t WHERE {where} "
        "ORDER BY t.id LIMIT %s OFFSET %s) ORDER BY t.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, query.limit, query.offset])
        features = [json.loads(row[0]) for row in cursor.fetchall()]
    matched = None
    if query.offset == 0 and len(features) < query.limit:
        matched = len(features)
    elif _estimated_rows(collection.table) <= CHEAP_COUNT_ROWS:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {collection.table} t WHERE {where}",
                params,
            )
            matched = cursor.fetchone()[0]
    return ItemPage(features, matched)


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
