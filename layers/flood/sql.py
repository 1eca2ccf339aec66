"""Flood overlays in PostGIS: the same answers as `analysis.flood`, for layers too large to load.

Status: a tested reference, not called by the product. The flood pages and jobs compute
exposure with `analysis.flood` on frames of one municipality, which the demo and today's
municipalities fit in memory; this module is kept as the PostGIS answer to the same questions,
ready for layers too large to load (DESIGN.md section 1), and
`tests/layers/test_flood_postgis.py` checks that both paths agree on the demo city, so neither
drifts from the rules. Wire it into a selector before deleting it.

The rules are those of `analysis.flood` (DESIGN.md section 3):

* flood zones of one municipality (and event) are made disjoint, the higher class winning where
  they overlap (low < medium < high; dry zones are ignored), and cut with ``ST_Subdivide``;
* a road is taken whole where ``ST_ContainsProperly`` holds and cut with ``ST_Intersection``
  only where it crosses a zone edge; lengths are measured in the municipality's metric CRS
  (`srid`, 32647 or 32648), never in degrees; the dry length is the rest of the road;
* a landmark takes the highest class it touches; a building the highest class it overlaps
  with a positive area (touching an edge is not enough); predicates run on the stored EPSG:4326
  geometries, which the GiST indexes cover;
* people are area-weighted: a building's residents spread evenly over its footprint.

Candidate pairs come from the GiST index on the stored geometries (``&&`` against the zone
tile's box, widened by 1e-6 degrees, about 0.1 m); exact tests and measures run in `srid`.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection

HAZARD_CLASSES = ("dry", "low", "medium", "high")
# The zone tile size ST_Subdivide aims for, as in analysis.flood.hazard.MAX_ZONE_VERTICES.
MAX_ZONE_VERTICES = 256
METRIC_SRIDS = frozenset({32647, 32648})

_RANK_SQL = (
    "CASE lower(trim(hazard_class)) WHEN 'low' THEN 1 WHEN 'medium' THEN 2 "
    "WHEN 'high' THEN 3 ELSE 0 END"
)

# Disjoint flood zones of one municipality (and event), by rank, cut into small tiles.
_ZONES_CTE = f"""
zone AS (
    SELECT {_RANK_SQL} AS rank, ST_Transform(ST_MakeValid(geom), %(srid)s) AS geom
    FROM layers_floodzone
    WHERE municipality_id = %(municipality_id)s
      AND (%(event)s::text IS NULL OR event = %(event)s::text)
),
by_rank AS (
    SELECT rank, ST_UnaryUnion(ST_Collect(geom)) AS geom FROM zone WHERE rank > 0 GROUP BY rank
),
disjoint AS (
    SELECT r.rank,
           COALESCE(
               ST_Difference(
                   r.geom, (SELECT ST_Union(h.geom) FROM by_rank h WHERE h.rank > r.rank)
               ),
               r.geom
           ) AS geom
    FROM by_rank r
),
tile AS (
    SELECT rank, tile_geom AS geom, ST_Expand(ST_Transform(tile_geom, 4326), 1e-6) AS box4326
    FROM disjoint, LATERAL ST_Subdivide(ST_CollectionExtract(geom, 3), {MAX_ZONE_VERTICES})
         AS tile_geom
)
"""

_ROAD_WET_SQL = f"""
WITH {_ZONES_CTE},
pair AS (
    SELECT r.road_class, t.rank, ST_Transform(r.geom, %(srid)s) AS road, t.geom AS tile
    FROM tile t
    JOIN layers_road r
      ON r.municipality_id = %(municipality_id)s AND r.geom && t.box4326
)
SELECT road_class, rank,
       SUM(CASE WHEN ST_ContainsProperly(tile, road) THEN ST_Length(road)
                ELSE ST_Length(ST_Intersection(road, tile)) END) AS length_m
FROM pair
WHERE ST_Intersects(road, tile)
GROUP BY road_class, rank
"""

_ROAD_TOTAL_SQL = """
SELECT road_class, SUM(ST_Length(ST_Transform(geom, %(srid)s))) AS length_m
FROM layers_road
WHERE municipality_id = %(municipality_id)s
GROUP BY road_class
"""

_ZONES_4326_CTE = f"""
zone AS (
    SELECT {_RANK_SQL} AS rank, ST_MakeValid(geom) AS geom
    FROM layers_floodzone
    WHERE municipality_id = %(municipality_id)s
      AND (%(event)s::text IS NULL OR event = %(event)s::text)
)
"""

_LANDMARK_SQL = f"""
WITH {_ZONES_4326_CTE},
highest AS (
    SELECT l.id, l.category, COALESCE(MAX(z.rank), 0) AS rank
    FROM layers_landmark l
    LEFT JOIN zone z ON z.rank > 0 AND ST_Intersects(l.geom, z.geom)
    WHERE l.municipality_id = %(municipality_id)s
    GROUP BY l.id, l.category
)
SELECT category, rank, COUNT(*) FROM highest GROUP BY category, rank
"""

_BUILDING_SQL = f"""
WITH {_ZONES_4326_CTE},
highest AS (
    SELECT b.id, COALESCE(b.population, 0) AS population, COALESCE(MAX(z.rank), 0) AS rank
    FROM layers_building b
    LEFT JOIN zone z
      ON z.rank > 0 AND ST_Intersects(b.geom, z.geom) AND NOT ST_Touches(b.geom, z.geom)
    WHERE b.municipality_id = %(municipality_id)s
    GROUP BY b.id, b.population
)
SELECT rank, COUNT(*), SUM(population) FROM highest GROUP BY rank
"""

_POPULATION_SQL = f"""
WITH {_ZONES_CTE},
building AS (
    SELECT id, COALESCE(population, 0) AS population, geom AS geom4326,
           ST_Transform(geom, %(srid)s) AS geom
    FROM layers_building
    WHERE municipality_id = %(municipality_id)s AND COALESCE(population, 0) > 0
)
SELECT t.rank,
       SUM(b.population * CASE WHEN ST_ContainsProperly(t.geom, b.geom) THEN 1.0
                               ELSE ST_Area(ST_Intersection(b.geom, t.geom))
                                    / NULLIF(ST_Area(b.geom), 0) END) AS people
FROM tile t
JOIN building b ON b.geom4326 && t.box4326 AND ST_Intersects(b.geom, t.geom)
GROUP BY t.rank
"""

_POPULATION_TOTAL_SQL = """
SELECT COALESCE(SUM(population), 0) FROM layers_building WHERE municipality_id = %(municipality_id)s
"""


def _params(*, municipality_id: int, event: str | None, srid: int | None = None) -> dict:
    if srid is not None and srid not in METRIC_SRIDS:
        raise ValueError(f"srid must be a metric UTM CRS ({sorted(METRIC_SRIDS)}), got {srid}")
    return {"municipality_id": municipality_id, "event": event, "srid": srid}


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def road_exposure_postgis(
    *, municipality_id: int, srid: int, event: str | None = None
) -> list[tuple[str, str, float]]:
    """Road metres by road class and hazard class (dry = the rest), measured in `srid`.

    Returns rows ``(road_class, hazard_class, length_m)`` for every road class present and
    every hazard class, sorted; lengths of one road class add up to its total length.
    """
    params = _params(municipality_id=municipality_id, event=event, srid=srid)
    totals = {road_class: float(length) for road_class, length in _fetch(_ROAD_TOTAL_SQL, params)}
    wet: dict[str, dict[int, float]] = defaultdict(dict)
    for road_class, rank, length in _fetch(_ROAD_WET_SQL, params):
        wet[road_class][int(rank)] = float(length)
    rows = []
    for road_class in sorted(totals):
        by_rank = wet.get(road_class, {})
        dry = max(totals[road_class] - sum(by_rank.values()), 0.0)
        rows.append((road_class, HAZARD_CLASSES[0], dry))
        rows.extend(
            (road_class, HAZARD_CLASSES[rank], by_rank.get(rank, 0.0)) for rank in (1, 2, 3)
        )
    return rows


def landmark_exposure_postgis(
    *, municipality_id: int, event: str | None = None
) -> list[tuple[str, str, int]]:
    """Landmarks by category and the highest hazard class they touch: ``(category, class, n)``."""
    params = _params(municipality_id=municipality_id, event=event)
    rows = [
        (category, HAZARD_CLASSES[int(rank)], int(count))
        for category, rank, count in _fetch(_LANDMARK_SQL, params)
    ]
    return sorted(rows)


def building_exposure_postgis(
    *, municipality_id: int, event: str | None = None
) -> list[tuple[str, int, int]]:
    """Buildings by the highest class they overlap: ``(class, buildings, residents)``."""
    params = _params(municipality_id=municipality_id, event=event)
    found = {
        int(rank): (int(n), int(people or 0)) for rank, n, people in _fetch(_BUILDING_SQL, params)
    }
    return [(name, *found.get(rank, (0, 0))) for rank, name in enumerate(HAZARD_CLASSES)]


def population_exposure_postgis(
    *, municipality_id: int, srid: int, event: str | None = None
) -> dict[str, float]:
    """Residents by hazard class, area-weighted over building footprints (dry = the rest)."""
    params = _params(municipality_id=municipality_id, event=event, srid=srid)
    (total,) = _fetch(_POPULATION_TOTAL_SQL, params)[0]
    people = {
        HAZARD_CLASSES[int(rank)]: float(value or 0)
        for rank, value in _fetch(_POPULATION_SQL, params)
    }
    result = {name: people.get(name, 0.0) for name in HAZARD_CLASSES[1:]}
    return {"dry": max(float(total) - sum(result.values()), 0.0), **result}
