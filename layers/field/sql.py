"""Larval indices in PostGIS: the large-data path of `analysis.larval.larval_indices`.

The same rule (decision 0016) as one SQL statement: each house survey row is a visit; per
house and round `DISTINCT ON` keeps the latest surveyed visit (else the latest visit), then
the counted visits are summed per group. `tests/layers/test_field_larval.py` checks that this
and the pure path give the same counts on the same rows, so neither drifts from the rule.

One difference by construction: the pure path treats rows with the same house, round and time
as one visit, while here two survey rows are two visits even at the same time (the one with
the higher id counts). The service that records visits makes the phone's `client_uuid` unique,
so a visit sent twice is one row.

Row-level security applies: call inside a tenant scope that includes the municipality.
"""

from __future__ import annotations

from django.db import connection

from analysis.larval import LarvalIndices, group_sort_key
from layers.models import Municipality

#: ``by`` -> the SQL expression of the group over the counted visits.
GROUP_EXPRESSIONS = {
    "place": "place",
    "place_type": "place_type",
    "subdistrict": "subdistrict",
    "round": "round_number::text",
    "house_id": "house",
}

INDICES_SQL = """
WITH visits AS (
    SELECT s.id, s.status, s.surveyed_at, s.round_number,
           CASE WHEN s.building_id IS NOT NULL THEN 'b' || s.building_id
                ELSE 'p' || s.place_id || ':' || s.house_number END AS house,
           p.kind AS place_type, p.name AS place, COALESCE(sd.code, '') AS subdistrict,
           COALESCE(sum(c.containers), 0) AS containers,
           COALESCE(sum(c.positive), 0) AS positive
      FROM layers_housesurvey s
      JOIN layers_surveyplace p ON p.id = s.place_id
      LEFT JOIN layers_subdistrict sd ON sd.id = p.subdistrict_id
      LEFT JOIN layers_larvalcontainercount c ON c.survey_id = s.id
     WHERE s.municipality_id = %(municipality)s
       AND (%(round)s::integer IS NULL OR s.round_number = %(round)s::integer)
     GROUP BY s.id, p.kind, p.name, sd.code
), counted AS (
    SELECT DISTINCT ON (house, round_number) *
      FROM visits
     ORDER BY house, round_number, status = 'surveyed' DESC, surveyed_at DESC, id DESC
)
SELECT {group} AS value,
       count(*) FILTER (WHERE status = 'surveyed'),
       count(*) FILTER (WHERE status = 'surveyed' AND positive > 0),
       COALESCE(sum(containers) FILTER (WHERE status = 'surveyed'), 0),
       COALESCE(sum(positive) FILTER (WHERE status = 'surveyed'), 0),
       count(*) FILTER (WHERE status = 'vacant'),
       count(*) FILTER (WHERE status = 'refused'),
       count(*) FILTER (WHERE status = 'closed'),
       count(*) FILTER (WHERE status = 'surveyed' AND containers = 0),
       array_agg(DISTINCT place_type ORDER BY place_type)
  FROM counted
 GROUP BY 1
"""


def larval_indices_sql(
    *, municipality: Municipality, by: str | None = None, round_number: int | None = None
) -> tuple[LarvalIndices, tuple[tuple[object, LarvalIndices], ...]]:
    """The whole survey's counts and, with ``by``, each group's, summed in PostGIS.

    Raises
    ------
    ValueError
        If ``by`` is not a key of `GROUP_EXPRESSIONS`.
    """
    if by is not None and by not in GROUP_EXPRESSIONS:
        raise ValueError(f"by must be one of {', '.join(GROUP_EXPRESSIONS)}, not {by!r}")
    params = {"municipality": municipality.pk, "round": round_number}
    whole = _run(INDICES_SQL.format(group="NULL::text"), params)
    total = whole[0][1] if whole else LarvalIndices(0, 0, 0, 0)
    if by is None:
        return total, ()
    groups = _run(INDICES_SQL.format(group=GROUP_EXPRESSIONS[by]), params)
    return total, tuple(sorted(groups, key=lambda group: group_sort_key(group[0])))


def _run(sql: str, params: dict[str, object]) -> list[tuple[object, LarvalIndices]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (value, LarvalIndices(**_counts(counts), place_types=tuple(places)))
        for value, *counts, places in rows
    ]


#: The counts the statement selects, in its order.
COUNTS = (
    "houses_surveyed", "houses_positive", "containers", "containers_positive",
    "houses_vacant", "houses_refused", "houses_closed", "houses_without_containers",
)  # fmt: skip


def _counts(values: list[object]) -> dict[str, int]:
    return {name: int(value) for name, value in zip(COUNTS, values, strict=True)}  # type: ignore[call-overload]
