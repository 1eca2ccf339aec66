"""Reads behind the OGC API - Features endpoints: collections, pages of items, single items.

A page is one query: its ids first, in id order through the (municipality_id, id) index (after
an `after` id: keyset paging, or LIMIT/OFFSET), then PostGIS writes the GeoJSON of those rows
only, as one text the response embeds without parsing it. `numberMatched` is only counted when
it is cheap (never a full count of a big table).

A bbox matches what its geometry intersects, not its envelope: `&&` (leakproof, so the GiST
index serves it under row-level security, decision 0007) stays beside the exact
`ST_Intersects`. Extents come from the data, cached per layer version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from django.contrib.gis.geos import Polygon
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models

from layers.api.tiles import tile_version
from layers.models import Dataset, Municipality
from layers.registry import Layer, LayerMap, layers_with
from layers.replica import read_connection

#: A box as minx, miny, maxx, maxy (in `ItemQuery.bbox_srid`).
Box = tuple[float, float, float, float]
#: The CRS the features are stored in (EPSG:4326 in longitude, latitude order: CRS84).
STORAGE_SRID = 4326
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: CRSs offered (OGC API - Features Part 2): URI -> (SRID, latitude first).
CRS_SRIDS: dict[str, tuple[int, bool]] = {
    CRS84: (STORAGE_SRID, False),
    "http://www.opengis.net/def/crs/EPSG/0/4326": (STORAGE_SRID, True),
    "http://www.opengis.net/def/crs/EPSG/0/3857": (3857, False),
    "http://www.opengis.net/def/crs/EPSG/0/32647": (32647, False),
    "http://www.opengis.net/def/crs/EPSG/0/32648": (32648, False),
    "http://www.opengis.net/def/crs/EPSG/0/24047": (24047, False),
}


@dataclass(frozen=True)
class Collection:
    """A layer published as a feature collection."""

    layer: str
    table: str
    title: str
    properties: tuple[str, ...]
    queryables: tuple[str, ...]
    temporal: str | None = None  # a date column for the `datetime` filter
    geometry: str = "Geometry"  # the GeoJSON type of every feature's geometry
    tracked_as: str | None = None  # the name its layer versions go by (None: not versioned)
    model: type[models.Model] | None = None  # the columns' types (queryables and schema)

    def field(self, name: str) -> models.Field | None:
        """The model field behind a property (None without a model or such a field)."""
        try:
            return self.model._meta.get_field(name) if self.model else None
        except FieldDoesNotExist:
            return None

    @property
    def filterable(self) -> tuple[str, ...]:
        """Properties a client may filter on: the queryables and the date column."""
        extra = (self.temporal,) if self.temporal and self.temporal not in self.queryables else ()
        return (*self.queryables, *extra)


def _collection(layer: Layer) -> Collection:
    api = layer.api
    return Collection(
        layer.name,
        layer.table,
        api.title,
        api.properties,
        api.queryables,
        temporal=api.temporal,
        geometry=layer.geometry,
        tracked_as=layer.tracked_as,
        model=layer.model,
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
# Extents are cached per layer version; a day bounds what a change of visibility leaves stale.
EXTENT_CACHE_S = 24 * 3600


@dataclass(frozen=True)
class ItemQuery:
    """A validated items request."""

    boxes: tuple[Box, ...] = ()  # features intersecting any of them (two across 180°)
    bbox_srid: int = STORAGE_SRID  # the boxes' CRS (4326: longitude, latitude)
    date_from: date | None = None
    date_to: date | None = None
    filters: tuple[tuple[str, object], ...] = ()
    # A CQL2 filter already written as SQL over the alias `t` (layers.api.cql), its parameters.
    filter_sql: tuple[str, tuple] | None = None
    limit: int = 10
    offset: int = 0
    after: int | None = None  # keyset paging: features with a greater id
    public_only: bool = False
    crs_srid: int = STORAGE_SRID  # the CRS geometries are written in
    lat_lon: bool = False  # EPSG:4326 as its definition orders the axes: latitude first


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
    if query.boxes:
        box_sql = _box_sql(query.bbox_srid)
        # `&&` is written out: only it can use the GiST index under row-level security.
        clauses.append(
            "("
            + " OR ".join(
                f"(t.geom && {box_sql} AND ST_Intersects(t.geom, {box_sql}))" for _ in query.boxes
            )
            + ")"
        )
        for box in query.boxes:
            params.extend(_box_params(box, query.bbox_srid) * 2)
    # A feature without a date matches any `datetime` (OGC API /req/core/fc-time-response C).
    if collection.temporal and query.date_from:
        clauses.append(f"(t.{collection.temporal} >= %s OR t.{collection.temporal} IS NULL)")
        params.append(query.date_from)
    if collection.temporal and query.date_to:
        clauses.append(f"(t.{collection.temporal} <= %s OR t.{collection.temporal} IS NULL)")
        params.append(query.date_to)
    for name, value in query.filters:
        if name not in collection.filterable:
            raise ValueError(f"{name} is not a queryable of {collection.layer}")
        clauses.append(f"t.{name} = %s")
        params.append(value)
    if query.filter_sql:
        clauses.append(f"({query.filter_sql[0]})")
        params.extend(query.filter_sql[1])
    if query.public_only:
        clauses.append(
            "t.dataset_id IN (SELECT id FROM layers_dataset WHERE visibility = 'public')"
        )
    return " AND ".join(clauses), params


def _box_sql(srid: int) -> str:
    """An envelope (four parameters) in the storage CRS."""
    if srid == STORAGE_SRID:
        return f"ST_MakeEnvelope(%s, %s, %s, %s, {STORAGE_SRID})"
    # Edges densified first: a projected box's straight edges curve in degrees. A box of no
    # width still gets a positive segment length (ST_Segmentize refuses 0).
    return (
        f"ST_Transform(ST_Segmentize(ST_MakeEnvelope(%s, %s, %s, %s, {int(srid)}), "
        f"GREATEST((%s - %s) / 16.0, 1.0)), {STORAGE_SRID})"
    )


def _box_params(box: Box, srid: int) -> list[float]:
    """The parameters of `_box_sql(srid)`."""
    return list(box) if srid == STORAGE_SRID else [*box, box[2], box[0]]


def _geometry_sql(query: ItemQuery | None) -> str:
    """The geometry as GeoJSON in the CRS asked for (options 0: no `crs` member)."""
    if query is None or (query.crs_srid == STORAGE_SRID and not query.lat_lon):
        return "ST_AsGeoJSON(t.geom, 7)"
    if query.crs_srid == STORAGE_SRID:
        return "ST_AsGeoJSON(ST_FlipCoordinates(t.geom), 7, 0)"
    return f"ST_AsGeoJSON(ST_Transform(t.geom, {int(query.crs_srid)}), 3, 0)"


def _feature_sql(collection: Collection, query: ItemQuery | None = None) -> str:
    props = ", ".join(f"'{p}', t.{p}" for p in collection.properties)
    return (
        "json_build_object('type', 'Feature', 'id', t.id, "
        f"'geometry', {_geometry_sql(query)}::json, "
        f"'properties', json_build_object({props}))::text"
    )


def _estimated_rows(table: str) -> int | None:
    """The planner's row estimate of the table; None before its first ANALYZE (-1)."""
    with read_connection().cursor() as cursor:
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
    with read_connection().cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {collection.table} t WHERE {where} "
            "LIMIT %s) AS capped",
            [*params, CHEAP_COUNT_ROWS + 1],
        )
        count = cursor.fetchone()[0]
    return count if count <= CHEAP_COUNT_ROWS else None


def _in_degrees(box: Box, srid: int) -> Box:
    if srid == STORAGE_SRID:
        return box
    polygon = Polygon.from_bbox(box)
    polygon.srid = srid
    polygon.transform(STORAGE_SRID)
    return polygon.extent


def _bbox_is_small(municipality: Municipality, boxes: tuple[Box, ...], srid: int) -> bool:
    minx, miny, maxx, maxy = municipality.boundary.extent
    area = (maxx - minx) * (maxy - miny)
    overlap = 0.0
    for box in boxes:
        x0, y0, x1, y1 = _in_degrees(box, srid)
        overlap += max(0.0, min(maxx, x1) - max(minx, x0)) * max(0.0, min(maxy, y1) - max(miny, y0))
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
    small_bbox = bool(query.boxes) and _bbox_is_small(municipality, query.boxes, query.bbox_srid)
    sql = (
        "SELECT count(*), max(t.id), "
        f"coalesce(string_agg({_feature_sql(collection, query)}, ',' ORDER BY t.id), '') "
        f"FROM ({_ids_sql(collection, page_where, small_bbox=small_bbox)}) AS page "
        f"JOIN {collection.table} t ON t.id = page.id"
    )
    if read_connection().in_atomic_block:
        sql = f"{PAGE_QUERY_SETTINGS};\n{sql}"  # one round trip: psycopg2 returns the last result
    with read_connection().cursor() as cursor:
        cursor.execute(sql, [*page_params, query.limit, query.offset])
        returned, last_id, features_json = cursor.fetchone()
    matched = None
    if query.after is None and returned < query.limit and (returned or query.offset == 0):
        matched = query.offset + returned  # the last page: everything before it was skipped
    else:
        matched = _cheap_count(collection, where, params)
    return ItemPage(features_json, returned, last_id, matched)


def item_get(
    *,
    collection: Collection,
    municipality: Municipality,
    item_id: int,
    public_only: bool,
    crs_srid: int = STORAGE_SRID,
    lat_lon: bool = False,
) -> dict | None:
    """One feature by id, or None."""
    query = ItemQuery(public_only=public_only, crs_srid=crs_srid, lat_lon=lat_lon)
    where, params = _where(collection, municipality, query)
    sql = (
        f"SELECT {_feature_sql(collection, query)} FROM {collection.table} t "
        f"WHERE {where} AND t.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, item_id])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


@dataclass(frozen=True)
class Extent:
    """Where and when a collection's features lie (None: no features, or no date)."""

    bbox: Box | None
    interval: tuple[date, date] | None


def _extent_key(collection: Collection, municipality: Municipality, public_only: bool) -> str:
    version = tile_version(layer=collection.tracked_as or "", municipality_ids=[municipality.pk])
    public = ""
    if public_only:
        # Which datasets are public is part of what the extent covers (no version tracks it).
        ids = Dataset.objects.filter(
            municipality=municipality, kind=collection.layer, visibility=Dataset.Visibility.PUBLIC
        ).values_list("id", flat=True)
        public = ",".join(str(pk) for pk in sorted(ids))
    return f"api-extent:{collection.layer}:{municipality.pk}:{version}:{public_only}:{public}"


def collection_extent(
    *, collection: Collection, municipality: Municipality, public_only: bool = False
) -> Extent:
    """The box (CRS84) and date range of the features, cached until the layer changes.

    A layer without versions (`tracked_as` None) is measured on every call. The date range
    is the layer's own date column (a case's onset, a flood's observation day); layers
    without one have no temporal extent: an edit time says nothing about the feature.
    """
    key = _extent_key(collection, municipality, public_only) if collection.tracked_as else None
    found = cache.get(key) if key else None
    if found is not None:
        return found
    where, params = _where(collection, municipality, ItemQuery(public_only=public_only))
    day = f"t.{collection.temporal}" if collection.temporal else "NULL::date"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), first, last FROM ("
            f"SELECT ST_Extent(t.geom) AS e, min({day}) AS first, max({day}) AS last "
            f"FROM {collection.table} t WHERE {where}) AS found",
            params,
        )
        minx, miny, maxx, maxy, first, last = cursor.fetchone()
    extent = Extent(
        bbox=None if minx is None else (minx, miny, maxx, maxy),
        interval=None if first is None else (first, last),
    )
    if key:
        cache.set(key, extent, timeout=EXTENT_CACHE_S)
    return extent
