"""Aedes larval surveys: container types, row checks and the HI, CI and BI indices.

See `analysis.larval.indices` for the method (ratios of sums, the repeat-visit rule, statuses and
risk bands) and `analysis.larval.containers` for where the container list comes from.
"""

from analysis.larval.containers import (
    DDC_CONTAINER_TYPES,
    LOCATIONS,
    PLACE_TYPES,
    STATUSES,
    ContainerType,
    container_type_lookup,
)
from analysis.larval.indices import (
    LarvalIndices,
    LarvalSurvey,
    RepeatVisit,
    RiskThresholds,
    group_sort_key,
    larval_indices,
)
from analysis.larval.validation import (
    MAX_CONTAINERS_PER_ROW,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    RowProblem,
    SurveyInputError,
    survey_rows,
)

__all__ = [
    "DDC_CONTAINER_TYPES",
    "LOCATIONS",
    "MAX_CONTAINERS_PER_ROW",
    "OPTIONAL_COLUMNS",
    "PLACE_TYPES",
    "REQUIRED_COLUMNS",
    "STATUSES",
    "ContainerType",
    "LarvalIndices",
    "LarvalSurvey",
    "RepeatVisit",
    "RiskThresholds",
    "RowProblem",
    "SurveyInputError",
    "container_type_lookup",
    "group_sort_key",
    "larval_indices",
    "survey_rows",
]
