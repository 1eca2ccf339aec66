"""The office's reads of the larval surveys.

Indices per spray zone and round, 3-3-1 progress, positive houses.

Spray zones are not stored: they are derived from the cases on a date
(`layers.dengue.selectors.dengue_situation`), so the zones come in as outlines (EPSG:4326)
with their keys. A house lies in a zone when its building (else its place's point) touches
the outline. The counting rule is decision 0016's (`analysis.larval.larval_indices`): the
SQL here is `layers.field.sql`'s with the zones joined after the counted visit is chosen,
and `larval_indices_by_zone` is the pure path the tests hold it equal to
(`tests/layers/test_field_office.py`).

Row-level security applies: call inside a tenant scope that includes the municipality.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import shapely
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from analysis.larval import LarvalIndices, RiskThresholds, larval_indices
from layers.field.selectors import container_type_list, larval_survey_table
from layers.field.sql import COUNTS
from layers.models import Building, HouseSurvey, Municipality, SurveyPlace


@dataclass(frozen=True)
class ZoneOutline:
    """A spray zone as the survey office sees it: its key and outline (EPSG:4326)."""

    key: str
    geometry: shapely.Geometry


@dataclass(frozen=True)
class ZoneRoundIndices:
    """The indices of the houses of one zone in one survey round."""

    zone_key: str
    round_number: int
    indices: LarvalIndices

    def risk(self, thresholds: RiskThresholds) -> dict[str, str | None] | None:
        """Communities by HI, other places by CI; None when both kinds mix in the zone."""
        return self.indices.risk(thresholds)


ZONE_INDICES_SQL = """
WITH zones AS (
    SELECT z.key, ST_GeomFromWKB(z.wkb, 4326) AS geom
      FROM unnest(%(keys)s::text[], %(wkbs)s::bytea[]) AS z(key, wkb)
), visits AS (
    SELECT s.id, s.status, s.surveyed_at, s.round_number,
           CASE WHEN s.building_id IS NOT NULL THEN 'b' || s.building_id
                ELSE 'p' || s.place_id || ':' || s.house_number END AS house,
           COALESCE(b.geom, p.geom) AS geom, p.kind AS place_type,
           COALESCE(sum(c.containers), 0) AS containers,
           COALESCE(sum(c.positive), 0) AS positive
      FROM layers_housesurvey s
      JOIN layers_surveyplace p ON p.id = s.place_id
      LEFT JOIN layers_building b ON b.id = s.building_id
      LEFT JOIN layers_larvalcontainercount c ON c.survey_id = s.id
     WHERE s.municipality_id = %(municipality)s
       AND (%(round)s::integer IS NULL OR s.round_number = %(round)s::integer)
     GROUP BY s.id, b.geom, p.geom, p.kind
), counted AS (
    SELECT DISTINCT ON (house, round_number) *
      FROM visits
     ORDER BY house, round_number, status = 'surveyed' DESC, surveyed_at DESC, id DESC
)
SELECT z.key, c.round_number,
       count(*) FILTER (WHERE status = 'surveyed'),
       count(*) FILTER (WHERE status = 'surveyed' AND positive > 0),
       COALESCE(sum(containers) FILTER (WHERE status = 'surveyed'), 0),
       COALESCE(sum(positive) FILTER (WHERE status = 'surveyed'), 0),
       count(*) FILTER (WHERE status = 'vacant'),
       count(*) FILTER (WHERE status = 'refused'),
       count(*) FILTER (WHERE status = 'closed'),
       count(*) FILTER (WHERE status = 'surveyed' AND containers = 0),
       array_agg(DISTINCT place_type ORDER BY place_type)
  FROM counted c
  JOIN zones z ON ST_Intersects(z.geom, c.geom)
 GROUP BY 1, 2
 ORDER BY 1, 2
"""


def larval_indices_by_zone_sql(
    *, municipality: Municipality, zones: Sequence[ZoneOutline], round_number: int | None = None
) -> list[ZoneRoundIndices]:
    """HI, CI and BI per zone and survey round, summed in PostGIS (zones without surveys: none)."""
    if not zones:
        return []
    params = {
        "municipality": municipality.pk,
        "round": round_number,
        "keys": [zone.key for zone in zones],
        "wkbs": [shapely.to_wkb(zone.geometry) for zone in zones],
    }
    with connection.cursor() as cursor:
        cursor.execute(ZONE_INDICES_SQL, params)
        rows = cursor.fetchall()
    return [
        ZoneRoundIndices(
            zone_key=key,
            round_number=int(number),
            indices=LarvalIndices(
                **{name: int(value) for name, value in zip(COUNTS, counts, strict=True)},
                place_types=tuple(places),
            ),
        )
        for key, number, *counts, places in rows
    ]


def larval_indices_by_zone(
    *, municipality: Municipality, zones: Sequence[ZoneOutline], round_number: int | None = None
) -> list[ZoneRoundIndices]:
    """The same as `larval_indices_by_zone_sql` through `analysis.larval.larval_indices`."""
    table = larval_survey_table(municipality=municipality, round_number=round_number)
    if table.empty or not zones:
        return []
    where = house_locations(municipality=municipality)
    points = [where.get(house) for house in table["house_id"]]
    types = container_type_list(municipality=municipality)
    found = []
    for zone in zones:
        inside = [p is not None and shapely.intersects(zone.geometry, p) for p in points]
        rows = table[inside]
        if rows.empty:
            continue
        survey = larval_indices(rows, by="round", container_types=types)
        found += [
            ZoneRoundIndices(zone_key=zone.key, round_number=int(str(value)), indices=indices)
            for value, indices in survey.groups
        ]
    return sorted(found, key=lambda z: (z.zone_key, z.round_number))


def house_locations(*, municipality: Municipality) -> dict[str, shapely.Geometry]:
    """The surveyed houses' geometries (EPSG:4326) by the survey table's house id."""
    where: dict[str, shapely.Geometry] = {}
    buildings = HouseSurvey.objects.filter(
        municipality=municipality, building__isnull=False
    ).values_list("building_id", flat=True)
    for pk, geom in Building.objects.filter(pk__in=buildings).values_list("id", "geom"):
        where[f"b{pk}"] = shapely.from_wkb(bytes(geom.wkb))
    places = dict(
        SurveyPlace.objects.filter(municipality=municipality, geom__isnull=False).values_list(
            "id", "geom"
        )
    )
    unmapped = HouseSurvey.objects.filter(municipality=municipality, building__isnull=True)
    for place_id, number in unmapped.values_list("place_id", "house_number").distinct():
        if place_id in places:
            where[f"p{place_id}:{number}"] = shapely.from_wkb(bytes(places[place_id].wkb))
    return where


# --- 3-3-1 progress ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneSurveyProgress:
    """Houses of a zone surveyed (or found vacant, closed, refused) since a moment."""

    zone_key: str
    since: datetime
    houses_visited: int
    houses_surveyed: int
    last_visit: datetime | None


ZONE_PROGRESS_SQL = """
WITH zones AS (
    SELECT z.key, ST_GeomFromWKB(z.wkb, 4326) AS geom, z.since
      FROM unnest(%(keys)s::text[], %(wkbs)s::bytea[], %(since)s::timestamptz[])
           AS z(key, wkb, since)
), visits AS (
    SELECT s.status, s.surveyed_at,
           CASE WHEN s.building_id IS NOT NULL THEN 'b' || s.building_id
                ELSE 'p' || s.place_id || ':' || s.house_number END AS house,
           COALESCE(b.geom, p.geom) AS geom
      FROM layers_housesurvey s
      JOIN layers_surveyplace p ON p.id = s.place_id
      LEFT JOIN layers_building b ON b.id = s.building_id
     WHERE s.municipality_id = %(municipality)s AND s.surveyed_at <= %(until)s
)
SELECT z.key, count(DISTINCT v.house),
       count(DISTINCT v.house) FILTER (WHERE v.status = 'surveyed'), max(v.surveyed_at)
  FROM zones z
  JOIN visits v ON ST_Intersects(z.geom, v.geom) AND v.surveyed_at >= z.since
 GROUP BY 1
"""


def zone_survey_progress(
    *,
    municipality: Municipality,
    zones: Sequence[tuple[ZoneOutline, datetime]],
    until: datetime,
) -> dict[str, ZoneSurveyProgress]:
    """For each (zone, since): distinct houses visited and surveyed in it from then to ``until``."""
    if not zones:
        return {}
    params = {
        "municipality": municipality.pk,
        "until": until,
        "keys": [zone.key for zone, _ in zones],
        "wkbs": [shapely.to_wkb(zone.geometry) for zone, _ in zones],
        "since": [since for _, since in zones],
    }
    with connection.cursor() as cursor:
        cursor.execute(ZONE_PROGRESS_SQL, params)
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    return {
        zone.key: ZoneSurveyProgress(
            zone_key=zone.key,
            since=since,
            houses_visited=int(rows.get(zone.key, (0,))[0]),
            houses_surveyed=int(rows.get(zone.key, (0, 0))[1]),
            last_visit=rows.get(zone.key, (0, 0, None))[2],
        )
        for zone, since in zones
    }


# --- Positive houses and rounds ----------------------------------------------------------------


@dataclass(frozen=True)
class PositiveHouse:
    """A counted visit with larvae: where, which place, round and day; nobody's name."""

    geometry: shapely.Geometry
    place: str
    place_type: str
    round_number: int
    surveyed_on: date
    containers: int
    containers_positive: int


POSITIVE_HOUSES_SQL = """
WITH visits AS (
    SELECT s.id, s.status, s.surveyed_at, s.round_number,
           CASE WHEN s.building_id IS NOT NULL THEN 'b' || s.building_id
                ELSE 'p' || s.place_id || ':' || s.house_number END AS house,
           ST_AsBinary(ST_PointOnSurface(COALESCE(b.geom, p.geom))) AS point,
           p.name AS place, p.kind AS place_type,
           COALESCE(sum(c.containers), 0) AS containers,
           COALESCE(sum(c.positive), 0) AS positive
      FROM layers_housesurvey s
      JOIN layers_surveyplace p ON p.id = s.place_id
      LEFT JOIN layers_building b ON b.id = s.building_id
      LEFT JOIN layers_larvalcontainercount c ON c.survey_id = s.id
     WHERE s.municipality_id = %(municipality)s
       AND (%(round)s::integer IS NULL OR s.round_number = %(round)s::integer)
     GROUP BY s.id, b.geom, p.geom, p.name, p.kind
), counted AS (
    SELECT DISTINCT ON (house, round_number) *
      FROM visits
     ORDER BY house, round_number, status = 'surveyed' DESC, surveyed_at DESC, id DESC
)
SELECT point, place, place_type, round_number, surveyed_at, containers, positive
  FROM counted
 WHERE status = 'surveyed' AND positive > 0 AND point IS NOT NULL
 ORDER BY round_number, surveyed_at, house
"""


def positive_houses(
    *, municipality: Municipality, round_number: int | None = None
) -> list[PositiveHouse]:
    """The counted visits that found larvae, as points (EPSG:4326), for health officers only."""
    with connection.cursor() as cursor:
        cursor.execute(
            POSITIVE_HOUSES_SQL, {"municipality": municipality.pk, "round": round_number}
        )
        rows = cursor.fetchall()
    return [
        PositiveHouse(
            geometry=shapely.from_wkb(bytes(point)),
            place=place,
            place_type=kind,
            round_number=int(number),
            surveyed_on=surveyed_at.astimezone(timezone.get_current_timezone()).date(),
            containers=int(containers),
            containers_positive=int(positive),
        )
        for point, place, kind, number, surveyed_at, containers, positive in rows
    ]


def survey_rounds(*, municipality: Municipality) -> list[tuple[int, int]]:
    """The municipality's survey rounds and how many visits each holds, in order."""
    rows = (
        HouseSurvey.objects.filter(municipality=municipality)
        .values_list("round_number")
        .annotate(n=Count("id", filter=Q(municipality=municipality)))
        .order_by("round_number")
    )
    return [(int(number), int(n)) for number, n in rows]


def repeat_visit_count(*, municipality: Municipality, round_number: int | None = None) -> int:
    """Visits not counted because their house was visited again in the same round."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) - count(DISTINCT (round_number, COALESCE('b' || building_id, "
            "'p' || place_id || ':' || house_number))) FROM layers_housesurvey "
            "WHERE municipality_id = %s AND (%s::integer IS NULL OR round_number = %s::integer)",
            [municipality.pk, round_number, round_number],
        )
        return int(cursor.fetchone()[0])
