"""Vector tiles (Mapbox Vector Tile) straight from PostGIS with ST_AsMVT.

Rows are limited twice: by row-level security (the request's tenant scope) and by the
municipality ids the caller passes (a role may see a layer in some municipalities only).

Below a layer's `detail_zoom`, only its major classes go into tiles, merged by their
attributes (a street of fifty segments is one line): a town seen whole stays a few kilobytes
and a few hundred paths in the browser, instead of every residential lane.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from layers.models import LayerVersion
from layers.registry import MAJOR_ROAD_CLASSES as MAJOR_ROAD_CLASSES  # re-exported
from layers.registry import Layer, LayerMap, layers_with
from layers.tenancy import TENANTS_SETTING, USER_SETTING

MVT_EXTENT = 4096
MVT_BUFFER = 64
TILE_QUERY_SETTINGS = (
    "SELECT set_config('jit', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)


#: The tenant scope of `layers.tenancy.tenant_scope_set`, sent with the tile query (one round trip
#: less per tile drawn; transaction-local like it).
NARROW_SCOPE_SQL = (
    f"SELECT set_config('{TENANTS_SETTING}', %(scope_tenants)s, true), "
    f"set_config('{USER_SETTING}', %(scope_user)s, true)"
)


@dataclass(frozen=True)
class TileLayer:
    """A table published as tiles: which columns go into the tile, from which zoom."""

    table: str
    columns: tuple[str, ...]
    min_zoom: int = 0
    # Below detail_zoom, only rows whose class_column is one of `major` (merged by attributes).
    class_column: str = ""
    major: tuple[str, ...] = ()
    detail_zoom: int = 0


def _tile_layer(layer: Layer) -> TileLayer:
    spec = layer.tiles
    return TileLayer(
        layer.table,
        spec.columns,
        min_zoom=spec.min_zoom,
        class_column=spec.class_column,
        major=spec.major,
        detail_zoom=spec.detail_zoom,
    )


#: Layers published as tiles, by the name in their URL (the registry's `tracked_as`: tiles
#: are cached by layer version, which the database triggers keep under that name).
TILE_LAYERS: LayerMap[TileLayer] = LayerMap(
    lambda: {layer.tracked_as: _tile_layer(layer) for layer in layers_with(tiles=True)}
)


def tile_bounds_ok(z: int, x: int, y: int) -> bool:
    """Whether z/x/y names a tile of the Web Mercator pyramid (z up to 22)."""
    return 0 <= z <= 22 and 0 <= x < 2**z and 0 <= y < 2**z


def tile_version(
    *,
    layer: str,
    municipality_ids: Iterable[int],
    known: dict[tuple[int, str], int] | None = None,
) -> str:
    """A short hash of the layer's versions in these municipalities (changes with any edit).

    `known`: versions already read in this transaction ((municipality id, layer) -> version),
    e.g. with the request's tenant scope; read from the table otherwise.
    """
    ids = sorted(set(municipality_ids))
    if known is not None:
        versions = {pk: known[(pk, layer)] for pk in ids if (pk, layer) in known}
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT municipality_id, version FROM {LayerVersion._meta.db_table} "
                "WHERE layer = %s AND municipality_id = ANY(%s)",
                [layer, ids],
            )
            versions = dict(cursor.fetchall())
    key = ";".join(f"{pk}:{versions.get(pk, 0)}" for pk in ids)
    return hashlib.sha256(f"{layer}|{key}".encode()).hexdigest()[:20]


#: Features of public datasets only (anonymous tiles), as the Features API filters them.
PUBLIC_ONLY = "t.dataset_id IN (SELECT id FROM layers_dataset WHERE visibility = 'public')"


def tile_sql(layer: str, z: int, *, public_only: bool = False) -> str:
    """The ST_AsMVT query of one tile of a layer at zoom z (parameters: z, x, y, ids, ...)."""
    spec = TILE_LAYERS[layer]
    generalised = z < spec.detail_zoom
    columns = ", ".join(f"t.{c}" for c in (spec.columns if generalised else ("id", *spec.columns)))
    where = f"t.{spec.class_column} = ANY(%(major)s)" if generalised else "true"
    if public_only:
        where = f"{where} AND {PUBLIC_ONLY}"
    # The envelope is transformed once to the storage SRID so the GiST index on geom is used.
    features = f"""
        WITH bounds AS (
            SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS merc,
                   ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326)
                       AS wgs
        ), features AS (
            SELECT {columns},
                   ST_AsMVTGeom(ST_Transform(t.geom, 3857), bounds.merc,
                                %(extent)s, %(buffer)s, true) AS geom
            FROM {spec.table} t, bounds
            WHERE t.geom && bounds.wgs AND t.municipality_id = ANY(%(ids)s) AND {where}
        )"""
    if not generalised:
        return f"""{features}
        SELECT ST_AsMVT(features.*, %(name)s, %(extent)s, 'geom', 'id')
        FROM features WHERE geom IS NOT NULL
        """
    names = ", ".join(c.split(" AS ")[-1] for c in spec.columns)
    return f"""{features}, merged AS (
            SELECT {names}, ST_LineMerge(ST_Collect(part)) AS geom
            FROM (SELECT {names}, (ST_Dump(geom)).geom AS part
                  FROM features WHERE geom IS NOT NULL) AS parts
            GROUP BY {names}
        )
        SELECT ST_AsMVT(merged.*, %(name)s, %(extent)s, 'geom') FROM merged
        """


def tile_mvt(
    *,
    layer: str,
    z: int,
    x: int,
    y: int,
    municipality_ids: Iterable[int],
    public_only: bool = False,
    narrow_scope_for_user: int | None = None,
) -> bytes:
    """The MVT bytes of one tile of a layer, for these municipalities only.

    `public_only`: only features of public datasets (what anyone may read).
    `narrow_scope_for_user`: first narrow the transaction's tenant scope to these
    municipalities and this user, as `tenant_scope_set` does, in the same round trip.
    """
    spec = TILE_LAYERS[layer]
    ids = sorted(set(municipality_ids))
    if z < spec.min_zoom or not ids:
        return b""
    sql = tile_sql(layer, z, public_only=public_only)
    if narrow_scope_for_user is not None:
        if not connection.in_atomic_block:
            raise RuntimeError("narrowing the tenant scope needs a transaction: SET LOCAL")
        sql = f"{NARROW_SCOPE_SQL};\n{sql}"
    if connection.in_atomic_block:
        # ST_AsMVTGeom's high declared cost lifts a z14 tile's estimate over jit_above_cost
        # and into a parallel plan: JIT compilation (~100 ms) and worker start-up cost more
        # than the query itself (about 6 ms per 1,000 features) and make it 3-5x slower;
        # on 2 cores, workers also starve concurrent requests. Off for this transaction
        # only (SET LOCAL); requests and tenant scopes always run in one. Sent with the
        # query (psycopg2 returns the last statement's result): one round trip.
        sql = f"{TILE_QUERY_SETTINGS};\n{sql}"
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "z": z,
                "x": x,
                "y": y,
                "ids": ids,
                "name": layer,
                "extent": MVT_EXTENT,
                "buffer": MVT_BUFFER,
                "margin": MVT_BUFFER / MVT_EXTENT,
                "major": list(spec.major),
                "scope_tenants": ",".join(map(str, ids)),
                "scope_user": str(narrow_scope_for_user or ""),
            },
        )
        (data,) = cursor.fetchone()
    return bytes(data or b"")
