"""Space-time dengue clusters in PostGIS: the large-data path of `space_time_clusters`.

Status: a tested reference, not called by the product. The pages and jobs cluster one
municipality's cases with `analysis.dengue` in memory; this
module is kept as the PostGIS answer to the same question, ready for tables too large to load
(DESIGN.md section 1: "where data is large, the same question is answered in PostGIS SQL"),
and `tests/layers/test_dengue_clusters_postgis.py` checks that both paths give the same
clusters, numbered the same, so neither drifts from the rule. Wire it into a selector before
deleting it.

The rule is the one of `analysis.dengue.space_time_clusters` (DESIGN.md section 3): two cases
are linked when they are at most `distance_m` apart in the municipality's metric CRS AND their
onsets at most `window_days` apart; clusters are the connected groups of linked cases with at
least `min_cases` members. PostGIS finds the links; the connected components and the numbering
are the same numpy code as the geopandas path, so both paths number clusters identically for
cases ordered by (onset_date, id).

The links come from a grid hash join, not from the GiST index: row-level security is forced
on `layers_denguecase`, and when this was written PostGIS's `&&` was not leakproof, so
PostgreSQL would not use the spatial index under the policy (EXPLAIN showed `geom && ...` as a
Filter). `&&` has since been declared LEAKPROOF (docs/decisions/0007), so an index join is now
possible; the grid join stays because it is linear, needs no index, and is tested. Each case
gets the cell `floor(x / d), floor(y / d)` of a `d = distance_m` grid in the metric CRS; two
cases within `d` are in the same or neighbouring cells, so an equality (hash) join over the 9
neighbour offsets finds every candidate in linear time, and `ST_DWithin` in metres decides.

Row-level security applies: call inside a tenant scope that includes the municipality (a
request, `tenant_scope`); outside it no case is visible and the answer is empty.
"""

from __future__ import annotations

import math

import numpy as np
from django.db import connection

from analysis.dengue import connected_components, number_clusters

CASES_SQL = """
SELECT id, onset_date
FROM layers_denguecase
WHERE municipality_id = %(municipality_id)s
ORDER BY onset_date, id
"""

LINKS_SQL = """
WITH cases AS MATERIALIZED (
    SELECT id, onset_date, ST_Transform(geom, %(srid)s) AS geom
    FROM layers_denguecase
    WHERE municipality_id = %(municipality_id)s
),
cells AS MATERIALIZED (
    SELECT id, onset_date, geom,
           floor(ST_X(geom) / %(cell_m)s)::bigint AS cx,
           floor(ST_Y(geom) / %(cell_m)s)::bigint AS cy
    FROM cases
),
offsets (dx, dy) AS (
    VALUES (-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 0), (0, 1), (1, -1), (1, 0), (1, 1)
)
SELECT a.id, b.id
FROM cells AS a
CROSS JOIN offsets AS o
JOIN cells AS b ON b.cx = a.cx + o.dx AND b.cy = a.cy + o.dy
WHERE a.id < b.id
  AND abs(b.onset_date - a.onset_date) <= %(window_days)s
  AND ST_DWithin(a.geom, b.geom, %(distance_m)s)
"""


def dengue_clusters_postgis(
    *,
    municipality_id: int,
    distance_m: float = 150,
    window_days: int = 14,
    min_cases: int = 2,
    srid: int,
) -> dict[int, int]:
    """Cluster id of every dengue case of a municipality (-1 for noise), computed in PostGIS.

    Parameters
    ----------
    municipality_id : int
        The municipality whose cases are clustered.
    distance_m : float, default 150
        Link distance in metres (inclusive), measured in ``srid``.
    window_days : int, default 14
        Link window in days (inclusive).
    min_cases : int, default 2
        Smallest group that counts as a cluster.
    srid : int
        Metric CRS of the municipality (``Municipality.metric_srid``: 32647 or 32648).

    Returns
    -------
    dict[int, int]
        Case id -> cluster id (``0, 1, ...`` by first onset, ``-1`` for noise).
    """
    if not math.isfinite(distance_m) or distance_m < 0:
        raise ValueError(f"distance_m must be a finite number >= 0, got {distance_m!r}")
    if window_days < 0 or min_cases < 1:
        raise ValueError("window_days must be >= 0 and min_cases >= 1")
    with connection.cursor() as cursor:
        cursor.execute(CASES_SQL, {"municipality_id": municipality_id})
        rows = cursor.fetchall()
        if not rows:
            return {}
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        first_day = rows[0][1]
        days = np.array([(row[1] - first_day).days for row in rows], dtype=np.float64)
        cursor.execute(
            LINKS_SQL,
            {
                "municipality_id": municipality_id,
                "srid": int(srid),
                # A cell no smaller than the link distance (and never zero).
                "cell_m": max(float(distance_m), 1.0),
                "window_days": int(window_days),
                "distance_m": float(distance_m),
            },
        )
        links = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)
    by_id = np.argsort(ids)
    source = by_id[np.searchsorted(ids, links[:, 0], sorter=by_id)]
    target = by_id[np.searchsorted(ids, links[:, 1], sorter=by_id)]
    labels = connected_components(len(ids), source, target)
    clusters = number_clusters(labels, days, min_size=int(min_cases))
    return dict(zip(ids.tolist(), clusters.tolist(), strict=True))
