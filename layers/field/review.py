"""What supervisors read of the field work: the round's house surveys and progress.

Approving and correcting a survey are writes of the sync's records, so they live beside its
checks (`layers.field.sync.survey_approve`, `survey_correct`). Progress is counted in PostGIS:
houses assigned (the buildings the volunteers' phones receive, `ASSIGNED_HOUSES_JOIN`), houses
visited (distinct houses with a survey of the round: surveyed, vacant, closed or refused) and
houses whose visit a supervisor approved in its current version.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from layers.field.assignments import ASSIGNED_HOUSES_JOIN, HOUSES_MAX, PLACE_RADIUS_M
from layers.models import (
    FieldAssignment,
    HouseSurvey,
    LarvalContainerCount,
    Municipality,
    SurveyPhoto,
)

APPROVAL_STATES = ("waiting", "approved", "corrected")


def current_round(*, municipality: Municipality) -> int:
    """The latest round with surveys or assignments (1 when there are none)."""
    rounds = [
        HouseSurvey.objects.filter(municipality=municipality)
        .order_by("-round_number")
        .values_list("round_number", flat=True)
        .first(),
        FieldAssignment.objects.filter(municipality=municipality)
        .order_by("-round_number")
        .values_list("round_number", flat=True)
        .first(),
    ]
    return max([r for r in rounds if r] or [1])


def _sum(column: str) -> Coalesce:
    counts = (
        LarvalContainerCount.objects.filter(survey=OuterRef("pk"))
        .order_by()
        .values("survey")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def survey_records(
    *,
    municipality: Municipality,
    round_number: int,
    volunteer_id: int | None = None,
    place_id: int | None = None,
    zone_key: str = "",
    status: str = "",
    approval: str = "",
) -> QuerySet[HouseSurvey]:
    """The round's house surveys, newest first, with their counts; filters already checked."""
    found = HouseSurvey.objects.filter(municipality=municipality, round_number=round_number)
    if volunteer_id:
        found = found.filter(surveyor_id=volunteer_id)
    if place_id:
        found = found.filter(place_id=place_id)
    if zone_key:
        places = FieldAssignment.objects.filter(
            municipality=municipality, zone_key=zone_key
        ).values("place_id")
        found = found.filter(place_id__in=places)
    if status:
        found = found.filter(status=status)
    corrected = found.filter(changes__kind="corrected").values("pk")
    if approval == "waiting":
        found = found.exclude(approved_version=F("version"))
    elif approval == "approved":
        found = found.filter(approved_version=F("version")).exclude(pk__in=corrected)
    elif approval == "corrected":
        found = found.filter(pk__in=corrected)
    photos = (
        SurveyPhoto.objects.filter(survey=OuterRef("pk"))
        .order_by()
        .values("survey")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        found.select_related("surveyor", "place", "building", "approved_by")
        .annotate(
            containers=_sum("containers"),
            positive=_sum("positive"),
            photo_count=Coalesce(Subquery(photos, output_field=IntegerField()), 0),
            correction_count=Count("changes", filter=Q(changes__kind="corrected")),
        )
        .order_by("-surveyed_at", "-id")
    )


@dataclass(frozen=True)
class Progress:
    """Houses assigned, visited and approved for one volunteer or one place, in one round."""

    key: int
    assigned: int
    visited: int
    approved: int

    @property
    def percent_visited(self) -> int | None:
        """Visited houses as a share of the assigned ones (None with none assigned)."""
        return round(100 * self.visited / self.assigned) if self.assigned else None


_PROGRESS_SQL = f"""
WITH assigned AS (
    SELECT DISTINCT a.volunteer_id, a.place_id, b.id AS house
      FROM layers_fieldassignment a
      JOIN layers_surveyplace p ON p.id = a.place_id
      {ASSIGNED_HOUSES_JOIN}
     WHERE a.municipality_id = %(municipality)s AND a.round_number = %(round)s
), visits AS (
    SELECT s.surveyor_id AS volunteer_id, s.place_id,
           CASE WHEN s.building_id IS NOT NULL THEN 'b' || s.building_id
                ELSE 'p' || s.place_id || ':' || s.house_number END AS house,
           s.approved_version IS NOT NULL AND s.approved_version = s.version AS approved
      FROM layers_housesurvey s
     WHERE s.municipality_id = %(municipality)s AND s.round_number = %(round)s
), counted AS (
    SELECT {{key}} AS key, count(DISTINCT house) AS assigned, 0 AS visited,
           0 AS approved
      FROM assigned WHERE {{key}} IS NOT NULL GROUP BY 1
    UNION ALL
    SELECT {{key}}, 0, count(DISTINCT house), count(DISTINCT house) FILTER (WHERE approved)
      FROM visits WHERE {{key}} IS NOT NULL GROUP BY 1
)
SELECT key, sum(assigned), sum(visited), sum(approved) FROM counted GROUP BY 1 ORDER BY 1
"""


def survey_progress(
    *, municipality: Municipality, round_number: int, by: str
) -> dict[int, Progress]:
    """Houses assigned, visited and approved in the round, per volunteer or per place."""
    column = {"volunteer": "volunteer_id", "place": "place_id"}[by]
    with connection.cursor() as cursor:
        cursor.execute(
            _PROGRESS_SQL.format(key=column),
            {
                "municipality": municipality.pk,
                "round": round_number,
                "radius": PLACE_RADIUS_M,
                "limit": HOUSES_MAX,
            },
        )
        return {
            int(key): Progress(int(key), int(assigned), int(visited), int(approved))
            for key, assigned, visited, approved in cursor.fetchall()
        }
