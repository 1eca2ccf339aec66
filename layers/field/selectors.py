"""Reads of the field surveys: the larval survey of a municipality as the analysis takes it.

The indices are computed by `analysis.larval.larval_indices` on the rows read here, so the
pages, the command line and the tests share one rule (decision 0016).
"""

from __future__ import annotations

import pandas as pd

from analysis.larval import (
    DDC_CONTAINER_TYPES,
    ContainerType,
    LarvalSurvey,
    RiskThresholds,
    larval_indices,
)
from layers.models import (
    HouseSurvey,
    LarvalContainerCount,
    LarvalContainerType,
    LarvalRiskBands,
    Municipality,
)

#: Columns a municipality's survey can be grouped by.
GROUP_COLUMNS = ("place", "place_type", "subdistrict", "round", "house_id")
SURVEY_COLUMNS = [
    "house_id", "place_type", "place", "subdistrict", "round", "survey_date", "status",
    "container_type", "location", "containers", "positive",
]  # fmt: skip

#: Column of the survey table -> the HouseSurvey field it comes from.
VISIT_FIELDS = {
    "survey_id": "id",
    "place_id": "place_id",
    "place_type": "place__kind",
    "place": "place__name",
    "subdistrict": "place__subdistrict__code",
    "building_id": "building_id",
    "house_number": "house_number",
    "round": "round_number",
    "survey_date": "surveyed_at",
    "status": "status",
}


def container_type_list(*, municipality: Municipality) -> list[ContainerType]:
    """The municipality's container types as the analysis takes them (inactive ones too).

    Inactive types are off the form but still name the rows recorded with them. A
    municipality that has no list yet (`layers.field.services.container_types_seed` not run)
    gets the DDC list it would be seeded with.
    """
    rows = LarvalContainerType.objects.filter(municipality=municipality).order_by("number")
    types = [ContainerType(row.number, row.name_th, row.name_en) for row in rows]
    return types or list(DDC_CONTAINER_TYPES)


def larval_risk_bands(*, municipality: Municipality) -> RiskThresholds:
    """The bands in force: the municipality's newest saved, else TanRabad's defaults."""
    saved = LarvalRiskBands.objects.filter(municipality=municipality).first()
    if saved is None:
        return RiskThresholds()
    return RiskThresholds(
        hi_low_max=saved.hi_low_max,
        hi_moderate_max=saved.hi_moderate_max,
        ci_low_max=saved.ci_low_max,
        ci_moderate_max=saved.ci_moderate_max,
    )


def larval_survey_table(
    *, municipality: Municipality, round_number: int | None = None
) -> pd.DataFrame:
    """One row per container count, and one per visit without any (vacant, closed, none).

    The house is ``b<building id>`` for a mapped building, else ``p<place id>:<house number>``.
    """
    surveys = HouseSurvey.objects.filter(municipality=municipality)
    if round_number is not None:
        surveys = surveys.filter(round_number=round_number)
    visits = pd.DataFrame.from_records(
        surveys.values_list(*VISIT_FIELDS.values()), columns=list(VISIT_FIELDS)
    )
    counts = pd.DataFrame.from_records(
        LarvalContainerCount.objects.filter(survey__in=surveys).values_list(
            "survey_id", "container_type__number", "location", "containers", "positive"
        ),
        columns=["survey_id", "container_type", "location", "containers", "positive"],
    )
    table = visits.merge(counts, on="survey_id", how="left", validate="one_to_many")
    table["house_id"] = [
        # int(): a column holding unmapped houses too is float (b12.0), unlike the SQL's b12.
        f"b{int(building)}" if pd.notna(building) else f"p{place}:{number}"
        for building, place, number in zip(
            table["building_id"], table["place_id"], table["house_number"], strict=True
        )
    ]
    table["subdistrict"] = table["subdistrict"].fillna("")
    return table[SURVEY_COLUMNS].astype(object).where(table[SURVEY_COLUMNS].notna(), None)


def larval_indices_for(
    *,
    municipality: Municipality,
    by: str | None = None,
    round_number: int | None = None,
    thresholds: RiskThresholds | None = None,
) -> LarvalSurvey:
    """HI, CI and BI of the municipality's surveys (one round or all), whole and per ``by``.

    Risk levels use ``thresholds`` or else the municipality's bands (`larval_risk_bands`).

    Raises
    ------
    ValueError
        If ``by`` is not one of `GROUP_COLUMNS`.
    """
    if by is not None and by not in GROUP_COLUMNS:
        raise ValueError(f"by must be one of {', '.join(GROUP_COLUMNS)}, not {by!r}")
    return larval_indices(
        larval_survey_table(municipality=municipality, round_number=round_number),
        by=by,
        thresholds=thresholds or larval_risk_bands(municipality=municipality),
        container_types=container_type_list(municipality=municipality),
    )
