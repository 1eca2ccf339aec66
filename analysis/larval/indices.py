"""Aedes larval indices (HI, CI, BI) of a house-to-house survey, from summed counts.

Method
------
- **House index** HI = houses with at least one positive container / houses surveyed x 100.
- **Container index** CI = positive containers / containers x 100.
- **Breteau index** BI = positive containers / houses surveyed x 100.

Each index is a ratio of sums at every level (the whole survey and each ``by`` group), never an
average of house or zone ratios (TanRabad SURVEY computes CI the same way, ``ContainerIndex.java``;
FIELD.md section 1A). A zero denominator gives ``None`` (no houses surveyed, or no containers),
not 0. Values are kept unrounded; `LarvalIndices.to_dict` rounds for output only.

Repeat visits. A house counts once per round. Rows of one visit share house, round and
survey date; when a house has several visits in one round, the **counted visit** is the latest
*surveyed* visit by ``survey_date`` (a later vacant/closed/refused visit does not undo a survey),
or, when none was surveyed, the latest visit. Only the counted visit's containers count, so CI and
BI are not doubled either; the other visits are returned as `RepeatVisit` flags. Without a round
column the whole table is one round; without a survey_date column all rows of a house and round
are one visit. Over several rounds the totals add the rounds (a house surveyed in rounds 1 and 2
counts twice): group ``by="round"`` to see each round.

Statuses. Vacant, closed and refused houses are counted (``houses_vacant`` ...), never surveyed:
they are outside every denominator. A surveyed house without any container is in the HI and BI
denominators (``houses_without_containers``; FIELD.md section 4, goal 4).

Risk. Communities are judged by HI, other places (temples, schools, hospitals, factories,
shelters) by CI, with TanRabad's colour bands as defaults (`RiskThresholds`): HI <= 10 low
(green), <= 50 moderate (yellow), above high (red); CI = 0 low, <= 5 moderate, above high
(``SurveyResultDialogFragment.java``; FIELD.md sections 1A and 6.3: no DDC source states these
bands verbatim, so they are configurable per municipality). A group mixing communities and other
places has no single risk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.larval.containers import (
    DDC_CONTAINER_TYPES,
    HOUSE_INDEX_PLACE,
    PLACE_TYPES,
    STATUSES,
    ContainerType,
)
from analysis.larval.validation import SURVEYED_CODE, SurveyRows, survey_rows

OUTPUT_DIGITS = 2
PLACE_NAMES = np.array(list(PLACE_TYPES), dtype=object)
RISK_LEVELS = ("low", "moderate", "high")


@dataclass(frozen=True)
class RiskThresholds:
    """Upper bounds (inclusive, percent) of the low and moderate bands of HI and CI."""

    hi_low_max: float = 10.0
    hi_moderate_max: float = 50.0
    ci_low_max: float = 0.0
    ci_moderate_max: float = 5.0

    def __post_init__(self) -> None:
        for name in ("hi", "ci"):
            low, moderate = getattr(self, f"{name}_low_max"), getattr(self, f"{name}_moderate_max")
            if not (math.isfinite(low) and math.isfinite(moderate) and 0 <= low <= moderate <= 100):
                raise ValueError(
                    f"{name.upper()} bands must be 0 <= low <= moderate <= 100, "
                    f"got {low}, {moderate}"
                )

    def level(self, index: str, value: float | None) -> str | None:
        """``low``, ``moderate`` or ``high`` for a value of ``index`` (``hi`` or ``ci``)."""
        if value is None:
            return None
        low, moderate = getattr(self, f"{index}_low_max"), getattr(self, f"{index}_moderate_max")
        return RISK_LEVELS[0 if value <= low else 1 if value <= moderate else 2]

    def to_dict(self) -> dict[str, list[float]]:
        """``{"hi": [low_max, moderate_max], "ci": [...]}``."""
        return {
            "hi": [self.hi_low_max, self.hi_moderate_max],
            "ci": [self.ci_low_max, self.ci_moderate_max],
        }


@dataclass(frozen=True)
class LarvalIndices:
    """Summed counts of one level (the whole survey or a group) and the indices they give."""

    houses_surveyed: int
    houses_positive: int
    containers: int
    containers_positive: int
    houses_vacant: int = 0
    houses_refused: int = 0
    houses_closed: int = 0
    houses_without_containers: int = 0
    place_types: tuple[str, ...] = ()

    @property
    def hi(self) -> float | None:
        """House index (percent), None without surveyed houses."""
        return _percent(self.houses_positive, self.houses_surveyed)

    @property
    def ci(self) -> float | None:
        """Container index (percent), None without containers."""
        return _percent(self.containers_positive, self.containers)

    @property
    def bi(self) -> float | None:
        """Breteau index (positive containers per 100 houses), None without surveyed houses."""
        return _percent(self.containers_positive, self.houses_surveyed)

    def risk(self, thresholds: RiskThresholds) -> dict[str, str | None] | None:
        """``{"index": "hi" or "ci", "level": ...}``; None when places of both kinds mix."""
        kinds = {place == HOUSE_INDEX_PLACE for place in self.place_types}
        if len(kinds) != 1:
            return None
        index = "hi" if kinds == {True} else "ci"
        return {"index": index, "level": thresholds.level(index, getattr(self, index))}

    def to_dict(self, thresholds: RiskThresholds) -> dict[str, object]:
        """Counts, indices rounded to `OUTPUT_DIGITS`, and the risk."""
        return {
            "houses_surveyed": self.houses_surveyed,
            "houses_positive": self.houses_positive,
            "hi": _rounded(self.hi),
            "containers": self.containers,
            "containers_positive": self.containers_positive,
            "ci": _rounded(self.ci),
            "bi": _rounded(self.bi),
            "houses_vacant": self.houses_vacant,
            "houses_refused": self.houses_refused,
            "houses_closed": self.houses_closed,
            "houses_without_containers": self.houses_without_containers,
            "risk": self.risk(thresholds),
        }


@dataclass(frozen=True)
class RepeatVisit:
    """A visit not counted because the same house was visited again in the same round."""

    house_id: str
    round: str | None
    survey_date: pd.Timestamp | None
    counted_date: pd.Timestamp | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: dates as ISO text."""
        return {
            "house_id": self.house_id,
            "round": self.round,
            "survey_date": _iso(self.survey_date),
            "counted_date": _iso(self.counted_date),
        }


@dataclass(frozen=True)
class LarvalSurvey:
    """The indices of a whole survey, per group of ``by``, and the repeat visits flagged."""

    total: LarvalIndices
    by: str | None
    groups: tuple[tuple[object, LarvalIndices], ...]
    repeat_visits: tuple[RepeatVisit, ...]
    thresholds: RiskThresholds = field(default_factory=RiskThresholds)

    def to_dict(self) -> dict[str, object]:
        """The whole survey's keys, then ``by``, ``groups``, ``repeat_visits``, ``thresholds``.

        ``groups`` is a list of ``{"value": ..., <the same keys>}`` in group order.
        """
        return {
            **self.total.to_dict(self.thresholds),
            "by": self.by,
            "groups": [
                {"value": value, **indices.to_dict(self.thresholds)}
                for value, indices in self.groups
            ],
            "repeat_visits": [visit.to_dict() for visit in self.repeat_visits],
            "thresholds": self.thresholds.to_dict(),
        }


def larval_indices(
    table: pd.DataFrame,
    *,
    by: str | None = None,
    thresholds: RiskThresholds | None = None,
    container_types: Iterable[ContainerType] = DDC_CONTAINER_TYPES,
) -> LarvalSurvey:
    """HI, CI and BI of a larval survey, for the whole and per value of ``by``.

    Parameters
    ----------
    table
        One row per container type x location of a house visit: ``house_id``, ``place_type``,
        ``container_type``, ``location``, ``containers``, ``positive``, optionally
        ``survey_date``, ``round``, ``status`` (see `analysis.larval.validation`).
    by
        A house-level column (zone, community, subdistrict, round, ...) to group by.
    thresholds
        Risk bands; default `RiskThresholds()` (TanRabad's).
    container_types
        The municipality's container types (default: the DDC list).

    Returns
    -------
    LarvalSurvey
        Groups ordered by value (numbers numerically, then text, then blanks).

    Raises
    ------
    analysis.larval.SurveyInputError
        Naming the refused rows (field and reason, Thai and English).

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "house_id": ["1", "1", "2"], "place_type": "community",
    ...     "container_type": ["น้ำใช้", "3", "แจกัน"], "location": "indoor",
    ...     "containers": [4, 2, 1], "positive": [1, 0, 0]})
    >>> survey = larval_indices(table)
    >>> survey.total.hi, survey.total.ci, survey.total.bi
    (50.0, 14.285714285714286, 50.0)
    """
    rows = survey_rows(table, by=by, container_types=container_types)
    visits = _visits(rows.frame)
    counted = visits[visits["counted"]]
    groups: tuple[tuple[object, LarvalIndices], ...] = ()
    if by is not None:
        parts = {rows.group_labels[code]: part for code, part in counted.groupby("group")}
        groups = tuple(
            (value, _summarise(parts[value])) for value in sorted(parts, key=group_sort_key)
        )
    return LarvalSurvey(
        total=_summarise(counted),
        by=by,
        groups=groups,
        repeat_visits=_repeats(visits, rows, has_round="round" in table.columns),
        thresholds=thresholds or RiskThresholds(),
    )


def _visits(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per visit with its summed counts, and which visit of each house-round counts."""
    visit = rows["visit"].to_numpy()
    n_visits = int(visit.max()) + 1 if len(visit) else 0
    _, first = np.unique(visit, return_index=True)
    visits = rows.iloc[first][["house", "round", "date", "status", "place", "group"]]
    visits = visits.reset_index(drop=True)
    for column in ("containers", "positive"):
        sums = np.bincount(visit, weights=rows[column].to_numpy(), minlength=n_visits)
        visits[column] = sums.astype(np.int64)
    visits["surveyed"] = visits["status"] == SURVEYED_CODE
    house_round = visits.groupby(["house", "round"], sort=False).ngroup().to_numpy()
    dates = visits["date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)  # NaT is the least
    order = np.lexsort((dates, visits["surveyed"].to_numpy(), house_round))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = house_round[order][1:] != house_round[order][:-1]
    counted = np.zeros(len(visits), dtype=bool)
    counted[order[last]] = True
    visits["counted"] = counted
    counted_visit = np.empty(n_visits, dtype=np.int64)
    counted_visit[house_round[order[last]]] = order[last]
    visits["counted_date"] = visits["date"].to_numpy()[counted_visit[house_round]]
    return visits


def _summarise(visits: pd.DataFrame) -> LarvalIndices:
    """Sum the counted visits of one level."""
    surveyed = visits["surveyed"].to_numpy()
    containers = visits["containers"].to_numpy()
    status_counts = np.bincount(visits["status"].to_numpy(), minlength=len(STATUSES))
    return LarvalIndices(
        houses_surveyed=int(surveyed.sum()),
        houses_positive=int((visits["positive"].to_numpy() > 0).sum()),
        containers=int(containers.sum()),
        containers_positive=int(visits["positive"].sum()),
        houses_vacant=int(status_counts[STATUSES.index("vacant")]),
        houses_refused=int(status_counts[STATUSES.index("refused")]),
        houses_closed=int(status_counts[STATUSES.index("closed")]),
        houses_without_containers=int((surveyed & (containers == 0)).sum()),
        place_types=tuple(sorted(PLACE_NAMES[np.unique(visits["place"].to_numpy())])),
    )


def _repeats(visits: pd.DataFrame, rows: SurveyRows, *, has_round: bool) -> tuple[RepeatVisit, ...]:
    """The visits not counted, by house, round and date."""
    flagged = visits[~visits["counted"]].assign(
        house=lambda v: rows.house_labels[v["house"].to_numpy()],
        round=lambda v: rows.round_labels[v["round"].to_numpy()],
    )
    return tuple(
        RepeatVisit(
            house_id=row.house,
            round=row.round if has_round else None,
            survey_date=_stamp(row.date),
            counted_date=_stamp(row.counted_date),
        )
        for row in flagged.sort_values(["house", "round", "date"]).itertuples(index=False)
    )


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100.0 * part / whole


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, OUTPUT_DIGITS)


def _stamp(value: object) -> pd.Timestamp | None:
    return None if pd.isna(value) else pd.Timestamp(value)


def _iso(value: pd.Timestamp | None) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if value == value.normalize() else value.isoformat()


def group_sort_key(value: object) -> tuple[int, float, str]:
    """The order of groups: numbers in numeric order, then text, then blanks."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    if not text:
        return (2, 0.0, "")
    try:
        number = float(text)
    except ValueError:
        return (1, 0.0, text)
    return (0, number, text) if math.isfinite(number) else (1, 0.0, text)
