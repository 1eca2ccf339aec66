"""Who surveys where: volunteers' assignments, the houses they may see, and the phone's download.

A volunteer (อสม.) sees the places and spray zones assigned to them and the houses inside:
buildings of the buildings layer, by id, point and house number (name) only. Nothing here reads
a case, and nothing tells a case house from another (DESIGN.md 6; decision 0001): a zone is
drawn from the outline published when it was assigned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction

from layers.models import (
    Building,
    FieldAssignment,
    HouseSurvey,
    LarvalContainerType,
    Municipality,
    SurveyPlace,
)

#: Houses of a place without a zone: buildings within this distance of the place's point.
PLACE_RADIUS_M = 250
#: At most this many houses per assignment reach a phone (a zone is a few hundred).
HOUSES_MAX = 3000
#: A GPS fix less accurate than this asks the volunteer to pick the house on the map.
GPS_LIMIT_M = 30
#: The phone app's version; a new one makes the phones' service worker update itself.
APP_VERSION = "2026.12.08-2"

#: The houses of an assignment `a` of place `p`: inside its zone, or around the place.
ASSIGNED_HOUSES_JOIN = """
  JOIN LATERAL (
       SELECT b.id, b.geom, b.name_th FROM layers_building b
        WHERE b.municipality_id = a.municipality_id
          AND CASE WHEN a.zone_outline IS NOT NULL
                   THEN b.geom && a.zone_outline
                        AND ST_Intersects(ST_PointOnSurface(b.geom), a.zone_outline)
                   ELSE p.geom IS NOT NULL AND b.geom && ST_Expand(p.geom, 0.005)
                        AND ST_DWithin(b.geom::geography, p.geom::geography, %(radius)s)
              END
        ORDER BY b.id LIMIT %(limit)s) b ON true
"""

HOUSES_SQL = f"""
SELECT a.place_id, b.id, ST_Y(ST_PointOnSurface(b.geom)), ST_X(ST_PointOnSurface(b.geom)),
       b.name_th
  FROM layers_fieldassignment a
  JOIN layers_surveyplace p ON p.id = a.place_id
  {ASSIGNED_HOUSES_JOIN}
 WHERE a.municipality_id = %(municipality)s AND a.volunteer_id = %(user)s
 ORDER BY a.place_id, b.id
"""


@dataclass(frozen=True)
class FieldHouse:
    place_id: int
    building_id: int
    lat: float
    lon: float
    label: str


@dataclass(frozen=True)
class FieldScope:
    """What one user may send from the field in one municipality.

    A supervisor (health officer, administrator) may record for any place and house of the
    municipality; a volunteer only for the places, houses and zones assigned to them.
    """

    municipality_id: int
    supervisor: bool
    places: frozenset[int]
    houses: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    zones: frozenset[str] = field(default_factory=frozenset)

    def place_allowed(self, place_id: int) -> bool:
        """Whether the user may record a survey in this place."""
        return place_id in self.places

    def house_allowed(self, place_id: int, building_id: int) -> bool:
        """Whether the user may record a survey of this building in this place."""
        if self.supervisor:
            return Building.objects.filter(
                municipality_id=self.municipality_id, pk=building_id
            ).exists()
        return (place_id, building_id) in self.houses

    def zone_allowed(self, zone_key: str) -> bool:
        """Whether the user may record a spray round of this zone."""
        if self.supervisor:
            return 0 < len(zone_key) <= 40
        return zone_key in self.zones


def field_houses(*, municipality: Municipality, user_id: int) -> list[FieldHouse]:
    """The houses of the user's assignments (the same house twice if two places share it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            HOUSES_SQL,
            {
                "municipality": municipality.pk,
                "user": user_id,
                "radius": PLACE_RADIUS_M,
                "limit": HOUSES_MAX,
            },
        )
        rows = cursor.fetchall()
    return [
        FieldHouse(place, building, round(lat, 7), round(lon, 7), label or "")
        for place, building, lat, lon, label in rows
    ]


def field_scope(*, municipality: Municipality, user_id: int, supervisor: bool) -> FieldScope:
    """What the user may send: everything of the municipality, or their assignments."""
    if supervisor:
        places = SurveyPlace.objects.filter(municipality=municipality).values_list("pk", flat=True)
        return FieldScope(municipality.pk, True, frozenset(places))
    assignments = FieldAssignment.objects.filter(municipality=municipality, volunteer_id=user_id)
    houses = field_houses(municipality=municipality, user_id=user_id)
    return FieldScope(
        municipality.pk,
        False,
        frozenset(assignments.values_list("place_id", flat=True)),
        frozenset((h.place_id, h.building_id) for h in houses),
        frozenset(k for k in assignments.values_list("zone_key", flat=True) if k),
    )


def field_bootstrap(*, municipality: Municipality, user_id: int) -> dict[str, Any]:
    """Everything the phone needs to work offline: the user's places, zones, houses and form."""
    assignments = list(
        FieldAssignment.objects.filter(municipality=municipality, volunteer_id=user_id)
        .select_related("place")
        .order_by("place__name", "zone_key")
    )
    places = {a.place_id: a.place for a in assignments}
    current_round = max((a.round_number for a in assignments), default=1)
    surveys = HouseSurvey.objects.filter(
        municipality=municipality, place_id__in=list(places), round_number=current_round
    ).prefetch_related("container_counts__container_type")
    return {
        "app_version": APP_VERSION,
        "gps_limit_m": GPS_LIMIT_M,
        "current_round": current_round,
        "places": [
            {
                "id": place.pk,
                "name": place.name,
                "kind": place.kind,
                "lat": place.geom.y if place.geom else None,
                "lon": place.geom.x if place.geom else None,
            }
            for place in places.values()
        ],
        "zones": [
            {
                "key": a.zone_key,
                "place_id": a.place_id,
                "round_number": a.round_number,
                "planned_date": a.planned_date.isoformat() if a.planned_date else None,
                "outline": _geojson(a.zone_outline),
            }
            for a in assignments
            if a.zone_key
        ],
        "houses": [
            {
                "id": h.building_id,
                "place_id": h.place_id,
                "lat": h.lat,
                "lon": h.lon,
                "label": h.label,
            }
            for h in field_houses(municipality=municipality, user_id=user_id)
        ],
        "container_types": [
            {"number": t.number, "name_th": t.name_th, "name_en": t.name_en}
            for t in LarvalContainerType.objects.filter(municipality=municipality, active=True)
        ],
        "surveys": [_survey_json(s) for s in surveys],
    }


def _geojson(geometry) -> dict | None:
    import json

    return json.loads(geometry.geojson) if geometry is not None else None


def _survey_json(survey: HouseSurvey) -> dict[str, Any]:
    return {
        "client_uuid": str(survey.client_uuid),
        "version": survey.version,
        "place_id": survey.place_id,
        "building_id": survey.building_id,
        "house_number": survey.house_number,
        "round_number": survey.round_number,
        "surveyed_at": survey.surveyed_at.isoformat(),
        "status": survey.status,
        "containers": sorted(
            (
                {
                    "type": c.container_type.number,
                    "location": c.location,
                    "containers": c.containers,
                    "positive": c.positive,
                }
                for c in survey.container_counts.all()
            ),
            key=lambda row: (row["type"], row["location"]),
        ),
    }


# --- Assignments (the supervisor's page) ------------------------------------------------------


@transaction.atomic
def assignment_add(
    *,
    municipality: Municipality,
    by,
    volunteer_id: int,
    place: SurveyPlace,
    zone_key: str = "",
    zone_outline=None,
    round_number: int = 1,
    planned_date: date | None = None,
) -> FieldAssignment:
    """Send a volunteer to a place (inside a zone, with its published outline in EPSG:4326)."""
    if zone_outline is not None and not isinstance(zone_outline, MultiPolygon):
        zone_outline = MultiPolygon(GEOSGeometry(zone_outline.wkt, srid=4326))
    assignment, _created = FieldAssignment.objects.update_or_create(
        municipality=municipality,
        volunteer_id=volunteer_id,
        place=place,
        zone_key=zone_key,
        defaults={
            "zone_outline": zone_outline,
            "round_number": round_number,
            "planned_date": planned_date,
            "assigned_by": by,
        },
    )
    return assignment


@transaction.atomic
def assignment_remove(*, municipality: Municipality, assignment_id: int) -> bool:
    """End an assignment; what the volunteer recorded stays."""
    deleted, _rows = FieldAssignment.objects.filter(
        municipality=municipality, pk=assignment_id
    ).delete()
    return bool(deleted)


def assignment_list(*, municipality: Municipality) -> list[FieldAssignment]:
    """Every assignment of the municipality, by place."""
    return list(
        FieldAssignment.objects.filter(municipality=municipality).select_related(
            "place", "volunteer"
        )
    )
