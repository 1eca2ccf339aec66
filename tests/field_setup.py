"""A field survey set-up shared by the sync API tests and the phone app's browser tests."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection

from layers.field.assignments import assignment_add, field_houses
from layers.field.services import container_types_seed
from layers.models import Municipality, SurveyPlace

PLACE_NAME = "ชุมชนทดสอบภาคสนาม"

# The building with the most others around it: the centre of a place with many houses.
_DENSEST = """
SELECT ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom))
  FROM layers_building a JOIN layers_building b
    ON b.municipality_id = a.municipality_id AND ST_DWithin(a.geom, b.geom, 0.0015)
 WHERE a.municipality_id = %s
 GROUP BY a.id, a.geom ORDER BY count(*) DESC, a.id LIMIT 1
"""


def field_place(municipality: Municipality, name: str = PLACE_NAME) -> SurveyPlace:
    """A community placed where the municipality's buildings are densest."""
    with connection.cursor() as cursor:
        cursor.execute(_DENSEST, [municipality.pk])
        lon, lat = cursor.fetchone()
    place, _created = SurveyPlace.objects.get_or_create(
        municipality=municipality,
        kind="community",
        name=name,
        defaults={"geom": Point(lon, lat, srid=4326)},
    )
    return place


def field_assign(municipality: Municipality, username: str, place: SurveyPlace):
    """Seed the container list and assign the user to the place (no zone)."""
    container_types_seed(municipality=municipality)
    user = get_user_model().objects.get(username=username)
    assignment_add(municipality=municipality, by=None, volunteer_id=user.pk, place=place)
    return list(field_houses(municipality=municipality, user_id=user.pk))
