"""Checking a larval survey table row by row, and naming every refused row in Thai and English.

The table has one row per container type x location of a house visit (columns in
`REQUIRED_COLUMNS`, optionally `OPTIONAL_COLUMNS`). Rows whose house was vacant, closed or
refused (``status``) may leave the container columns empty. Each check works on the distinct
values of a column (a survey has few), so a million rows are checked in about a second. Each
problem names its row by the table's index label; a table whose index is named ``line`` (as
`analysis.larval_cli.read_survey_csv` gives it: the CSV line numbers) is reported by line.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.larval.containers import (
    DDC_CONTAINER_TYPES,
    LOCATIONS,
    PLACE_TYPES,
    STATUSES,
    SURVEYED,
    ContainerType,
    container_type_lookup,
    normalise_label,
)

REQUIRED_COLUMNS = (
    "house_id",
    "place_type",
    "container_type",
    "location",
    "containers",
    "positive",
)
OPTIONAL_COLUMNS = ("survey_date", "round", "status")
#: More containers of one type in one place of one house is a typing error, not a survey.
MAX_CONTAINERS_PER_ROW = 10_000
MAX_TEXT_CHARS = 100
#: Problems listed in an error; the rest are counted.
MAX_LISTED_PROBLEMS = 20
#: Text starting like a spreadsheet formula (OWASP "CSV injection") is refused, not stored.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Thai records sometimes carry Buddhist-era years (2568 BE = 2025 CE).
_LATEST_GREGORIAN_YEAR = 2400
_EARLIEST_YEAR = 1900
MISSING = -1
SURVEYED_CODE = STATUSES.index(SURVEYED)

#: A reason: (English, Thai).
Reason = tuple[str, str]


@dataclass(frozen=True)
class RowProblem:
    """Why one row was refused: its label, the field and the reason in Thai and English."""

    row: object
    field: str
    reason_en: str
    reason_th: str

    def message(self, *, unit_en: str = "row", unit_th: str = "แถว") -> str:
        """One line, Thai first: ``แถว 5 คอลัมน์ positive: ... / row 5, field positive: ...``."""
        return (
            f"{unit_th} {self.row} คอลัมน์ {self.field}: {self.reason_th} / "
            f"{unit_en} {self.row}, field {self.field}: {self.reason_en}"
        )


class SurveyInputError(ValueError):
    """A survey table that cannot be used, with the first problems and how many there are."""

    def __init__(self, problems: list[RowProblem], *, total: int, line_numbers: bool) -> None:
        self.problems = problems
        self.total = total
        units = {"unit_en": "line", "unit_th": "บรรทัด"} if line_numbers else {}
        lines = [problem.message(**units) for problem in problems]
        if total > len(problems):
            lines.append(
                f"และอีก {total - len(problems)} ปัญหา / and {total - len(problems)} more problem(s)"
            )
        head = f"ไม่รับข้อมูลสำรวจ: พบ {total} ปัญหา / survey refused: {total} problem(s)"
        super().__init__("\n".join([head, *lines]))


@dataclass(frozen=True)
class SurveyRows:
    """A checked survey: one row per input row, in input order, all columns integers but one.

    ``frame`` columns: ``house``, ``round`` and ``group`` are codes into `house_labels`,
    `round_labels` and `group_labels`; ``date`` is datetime64 (NaT without a survey_date
    column); ``status`` indexes `STATUSES` (0 is surveyed) and ``place`` `PLACE_TYPES`;
    ``container_type`` is the DDC number (`MISSING` on a row recording a house without
    containers or not surveyed); ``location`` is a `LOCATIONS` code (0 on such rows);
    ``containers`` and ``positive`` are counts (0 on such rows); ``visit`` numbers the visits
    (same house, round and date).
    """

    frame: pd.DataFrame
    house_labels: np.ndarray
    round_labels: np.ndarray
    group_labels: np.ndarray


def survey_rows(
    table: pd.DataFrame,
    *,
    by: str | None = None,
    container_types: Iterable[ContainerType] = DDC_CONTAINER_TYPES,
) -> SurveyRows:
    """Check a survey table and return it typed; refuse it naming each bad row.

    Parameters
    ----------
    table
        One row per container type x location of a house visit; text or typed cells.
    by
        Column to group by; it must hold one value per visit (a house-level column).
    container_types
        The municipality's container types (default: the DDC list).

    Returns
    -------
    SurveyRows

    Raises
    ------
    SurveyInputError
        Naming the rows, fields and reasons (Thai and English) of the first problems.
    ValueError
        If a required column, or the ``by`` column, is missing.
    """
    _require_columns(table, by)
    problems = _Problems(table.index, line_numbers=table.index.name == "line")
    parsed, labels = _parse_fields(table, by, container_types, problems)
    problems.raise_if_any()
    frame = pd.DataFrame(parsed, index=table.index)
    _check_row_counts(frame, problems)
    problems.raise_if_any()
    _zero_rows_without_containers(frame)
    frame["visit"] = frame.groupby(["house", "round", "date"], sort=False, dropna=False).ngroup()
    _check_visits(frame, labels["group"] if by is not None else None, problems)
    problems.raise_if_any()
    return SurveyRows(
        frame.reset_index(drop=True),
        house_labels=labels["house"],
        round_labels=labels["round"],
        group_labels=labels["group"],
    )


def _require_columns(table: pd.DataFrame, by: str | None) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
    if missing:
        names = ", ".join(map(str, table.columns))
        raise ValueError(
            f"ไม่มีคอลัมน์ {', '.join(missing)} / missing column(s) {', '.join(missing)}; "
            f"columns are: {names}"
        )
    if by is not None and by not in table.columns:
        raise ValueError(f"ไม่มีคอลัมน์ {by} (--by) / no column {by!r} to group by")


# --- problems -------------------------------------------------------------------------------


class _Problems:
    """Problems found so far: row positions, field and reason (fixed or per position)."""

    def __init__(self, index: pd.Index, *, line_numbers: bool) -> None:
        self._index = index
        self._line_numbers = line_numbers
        self._found: list[tuple[np.ndarray, str, Callable[[int], Reason]]] = []
        self.units = ("line", "บรรทัด") if line_numbers else ("row", "แถว")

    def add(self, mask: np.ndarray, field: str, reason: Reason | Callable[[int], Reason]) -> None:
        positions = np.flatnonzero(mask)
        if len(positions):
            explain = reason if callable(reason) else (lambda _position, r=reason: r)
            self._found.append((positions, field, explain))

    def raise_if_any(self) -> None:
        if not self._found:
            return
        total = sum(len(positions) for positions, _, _ in self._found)
        first = sorted(
            (int(position), order)
            for order, (positions, _, _) in enumerate(self._found)
            for position in positions[:MAX_LISTED_PROBLEMS]
        )[:MAX_LISTED_PROBLEMS]
        listed = []
        for position, order in first:
            _, field, explain = self._found[order]
            reason_en, reason_th = explain(position)
            listed.append(RowProblem(self._index[position], field, reason_en, reason_th))
        self._found = []
        raise SurveyInputError(listed, total=total, line_numbers=self._line_numbers)


# --- one field at a time --------------------------------------------------------------------

#: Parses one distinct cell value: (value, None) or (placeholder, reason).
Parser = Callable[[Any], tuple[Any, Reason | None]]


def _parse_fields(
    table: pd.DataFrame,
    by: str | None,
    container_types: Iterable[ContainerType],
    problems: _Problems,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each column through its parser: typed arrays, and the labels of the text columns."""
    types = container_type_lookup(container_types)
    n = len(table)
    codes: dict[str, tuple[str, Parser, Any, Any]] = {
        "place": ("place_type", _choice(_indexed(PLACE_TYPES), "place_type"), -1, "int64"),
        "container_type": ("container_type", _container_type(types), MISSING, "int64"),
        "location": ("location", _choice(LOCATIONS, "location", empty=0), 0, "int64"),
        "containers": ("containers", _count, MISSING, "int64"),
        "positive": ("positive", _count, MISSING, "int64"),
        "status": ("status", _choice(_indexed(STATUSES), "status", empty=0), 0, "int64"),
        "date": ("survey_date", _date, np.datetime64("NaT", "ns"), "datetime64[ns]"),
    }
    parsed: dict[str, np.ndarray] = {}
    for name, (column, parser, absent, dtype) in codes.items():
        if column not in table.columns:
            parsed[name] = np.full(n, absent, dtype=dtype)
        else:
            parsed[name] = _parse_column(
                table[column], column, parser, problems, dtype=dtype, fill=absent
            )
    labels: dict[str, np.ndarray] = {}
    texts = {"house": ("house_id", True), "round": ("round", True), "group": (by, False)}
    for name, (text_column, required) in texts.items():
        if text_column is None or text_column not in table.columns:
            parsed[name] = np.zeros(n, dtype=np.int64)
            labels[name] = np.array([""], dtype=object)
        else:
            parsed[name], labels[name] = _text_codes(
                table[text_column], text_column, problems, required=required
            )
    return parsed, labels


def _indexed(names: Iterable[str]) -> dict[str, int]:
    return {name: index for index, name in enumerate(names)}


def _parse_column(
    values: pd.Series,
    column: str,
    parser: Parser,
    problems: _Problems,
    *,
    dtype: str,
    fill: Any,
) -> np.ndarray:
    """Parse the distinct values of a column once each, then spread the results to the rows.

    A value refused is ``fill`` in the array; the problem is recorded and raised later.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = [parser(value) for value in uniques] + [parser(None)]  # code -1: a missing cell
    out = np.array([fill if reason else value for value, reason in results], dtype=dtype)
    reasons = [reason for _, reason in results]
    bad = np.array([reason is not None for reason in reasons])
    problems.add(bad[codes], column, lambda position: reasons[codes[position]])
    return out[codes]


#: Text that a spreadsheet could run, or that holds control characters or line breaks.
_FORMULA = r"^[=+\-@]"
_CONTROL = r"[\x00-\x1f\x7f]"


def _text_codes(
    values: pd.Series, column: str, problems: _Problems, *, required: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Identifiers and labels (house, round, group): stripped, checked, numbered by value."""
    raw = values.astype("str").fillna("")
    text = raw.str.strip()
    if required:
        problems.add((text == "").to_numpy(), column, ("empty; a value is required", "ว่าง ต้องมีค่า"))
    shown = text.to_numpy(dtype=object)
    problems.add(
        text.str.contains(_FORMULA).to_numpy(dtype=bool),
        column,
        lambda p: (
            f"{_shown(shown[p])} starts like a spreadsheet formula; it is refused",
            f"{_shown(shown[p])} ขึ้นต้นเหมือนสูตรของโปรแกรมตารางคำนวณ จึงไม่รับ",
        ),
    )
    problems.add(
        (text.str.len() > MAX_TEXT_CHARS).to_numpy(dtype=bool),
        column,
        (f"longer than {MAX_TEXT_CHARS} characters", f"ยาวเกิน {MAX_TEXT_CHARS} ตัวอักษร"),
    )
    problems.add(
        raw.str.contains(_CONTROL).to_numpy(dtype=bool),
        column,
        ("holds a control character or a line break", "มีอักขระควบคุมหรือการขึ้นบรรทัดใหม่"),
    )
    codes, labels = pd.factorize(text)
    return codes.astype(np.int64), np.asarray(labels, dtype=object)


def _text(value: Any) -> str:
    """A cell as stripped text; missing cells (None, NaN, NaT) as ``""``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _shown(value: Any) -> str:
    text = _text(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _choice(options: Mapping[str, Any], column: str, *, empty: Any = None) -> Parser:
    """A parser accepting the keys of ``options`` (any case); ``empty`` for a blank cell."""
    known = {normalise_label(key): value for key, value in options.items()}
    listed = ", ".join(options)

    def parse(value: Any) -> tuple[Any, Reason | None]:
        key = normalise_label(_text(value))
        if key in known:
            return known[key], None
        if not key and empty is not None:
            return empty, None
        if not key:
            return None, ("empty; a value is required", "ว่าง ต้องมีค่า")
        return None, (
            f"unknown {column} {_shown(value)}; use one of: {listed}",
            f"ไม่รู้จัก {column} {_shown(value)} ใช้ได้เฉพาะ: {listed}",
        )

    return parse


def _container_type(types: Mapping[str, int]) -> Parser:
    """A parser of container types: the DDC number or the Thai name; blank is `MISSING`."""

    def parse(value: Any) -> tuple[Any, Reason | None]:
        key = normalise_label(_text(value))
        if not key:
            return MISSING, None
        if key in types:
            return types[key], None
        return MISSING, (
            f"unknown container type {_shown(value)}; use a DDC number or Thai name of the "
            "municipality's list",
            f"ไม่รู้จักประเภทภาชนะ {_shown(value)} ใช้เลขหรือชื่อภาชนะตามรายการของเทศบาล (กรมควบคุมโรค)",
        )

    return parse


def _count(value: Any) -> tuple[Any, Reason | None]:
    """A whole number of containers, 0 to `MAX_CONTAINERS_PER_ROW`; blank is `MISSING`."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        number = int(value)
    else:
        text = normalise_label(_text(value))
        if not text:
            return MISSING, None
        if text.startswith("-") and text[1:].isdigit():
            return MISSING, (f"negative number {text}", f"เป็นจำนวนลบ {text}")
        if not (text.isascii() and text.isdigit()):
            return MISSING, (
                f"{_shown(value)} is not a whole number",
                f"{_shown(value)} ไม่ใช่จำนวนเต็ม",
            )
        number = int(text)
    if number < 0:
        return MISSING, (f"negative number {number}", f"เป็นจำนวนลบ {number}")
    if number > MAX_CONTAINERS_PER_ROW:
        return MISSING, (
            f"{number} is more than {MAX_CONTAINERS_PER_ROW:,} containers in one row; check it",
            f"{number} มากกว่า {MAX_CONTAINERS_PER_ROW:,} ภาชนะในแถวเดียว ตรวจสอบตัวเลข",
        )
    return number, None


def _date(value: Any) -> tuple[Any, Reason | None]:
    """An ISO date (or date and time), Gregorian; a Buddhist-era year is refused with a hint."""
    if isinstance(value, dt.date):  # pd.Timestamp included
        stamp = pd.Timestamp(value)
    else:
        text = _text(value)
        if not text:
            return pd.NaT, ("empty; a date is required", "ว่าง ต้องมีวันที่")
        try:
            stamp = pd.Timestamp(dt.datetime.fromisoformat(text))
        except ValueError:
            return pd.NaT, (
                f"{_shown(value)} is not a date like 2025-06-30",
                f"{_shown(value)} ไม่ใช่วันที่ในรูปแบบ 2025-06-30",
            )
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    if stamp.year > _LATEST_GREGORIAN_YEAR:
        return pd.NaT, (
            f"year {stamp.year} looks Buddhist-era; subtract 543 (2568 BE = 2025 CE)",
            f"ปี {stamp.year} เป็นปี พ.ศ. ให้ลบ 543 (พ.ศ. 2568 = ค.ศ. 2025)",
        )
    if stamp.year < _EARLIEST_YEAR:
        return pd.NaT, (f"year {stamp.year} is too early", f"ปี {stamp.year} เก่าเกินไป")
    return stamp, None


# --- rows and visits ------------------------------------------------------------------------


def _check_row_counts(frame: pd.DataFrame, problems: _Problems) -> None:
    """Counts that fit the row: given where needed, positive <= containers, none if unsurveyed."""
    surveyed = (frame["status"] == SURVEYED_CODE).to_numpy()
    kind = frame["container_type"].to_numpy(dtype=np.int64)
    containers = frame["containers"].to_numpy(dtype=np.int64)
    positive = frame["positive"].to_numpy(dtype=np.int64)
    counted = surveyed & (kind != MISSING)
    required = (
        "empty; a number is required for a container type",
        "ว่าง ต้องระบุจำนวนเมื่อมีประเภทภาชนะ",
    )
    problems.add(counted & (containers == MISSING), "containers", required)
    problems.add(counted & (positive == MISSING), "positive", required)
    problems.add(
        counted & (frame["location"].to_numpy() == 0),
        "location",
        ("empty; use indoor or outdoor", "ว่าง ใช้ indoor (ในอาคาร) หรือ outdoor (นอกอาคาร)"),
    )
    problems.add(
        surveyed & (kind == MISSING) & ((containers > 0) | (positive > 0)),
        "container_type",
        (
            "empty while containers are counted; name the type",
            "ไม่ระบุประเภทภาชนะแต่มีจำนวนภาชนะ ให้ระบุประเภท",
        ),
    )
    problems.add(
        ~surveyed & ((containers > 0) | (positive > 0)),
        "status",
        (
            "a vacant, closed or refused house has no containers surveyed; leave them empty",
            "บ้านว่าง ปิด หรือปฏิเสธ ไม่มีการสำรวจภาชนะ ให้เว้นว่างจำนวนภาชนะ",
        ),
    )
    problems.add(
        (positive > containers) & (containers != MISSING),
        "positive",
        lambda p: (
            f"{positive[p]} positive containers is more than the {containers[p]} containers",
            f"ภาชนะที่พบลูกน้ำ {positive[p]} มากกว่าจำนวนภาชนะ {containers[p]}",
        ),
    )


def _zero_rows_without_containers(frame: pd.DataFrame) -> None:
    """Rows recording a house without containers (or not surveyed) count zero containers."""
    uncounted = (frame["status"] != SURVEYED_CODE) | (frame["container_type"] == MISSING)
    for column in ("containers", "positive"):
        values = frame[column].to_numpy(dtype=np.int64)
        frame[column] = np.where(uncounted.to_numpy(), 0, values).astype(np.int64)
    frame["container_type"] = np.where(uncounted, MISSING, frame["container_type"])
    frame["location"] = np.where(uncounted, 0, frame["location"])


def _check_visits(
    frame: pd.DataFrame, group_labels: np.ndarray | None, problems: _Problems
) -> None:
    """One place type per house; one status and one group per visit; each type once per visit."""
    _same_within(
        frame, "house", "place", "place_type", np.array(list(PLACE_TYPES), dtype=object), problems
    )
    _same_within(frame, "visit", "status", "status", np.array(STATUSES, dtype=object), problems)
    if group_labels is not None:
        _same_within(frame, "visit", "group", "--by", group_labels, problems)
    counted = (frame["container_type"] != MISSING).to_numpy()
    keys = frame[["visit", "container_type", "location"]]
    repeated = keys.duplicated(keep="first").to_numpy() & counted
    if repeated.any():
        first = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
        first_label = pd.Series(frame.index).groupby(first).transform("first").to_numpy()
        unit_en, unit_th = problems.units
        problems.add(
            repeated,
            "container_type",
            lambda p: (
                f"same container type and location as {unit_en} {first_label[p]} in the same "
                "visit (house, round, date); add them up in one row, or give each visit its "
                "survey_date",
                f"ประเภทภาชนะและตำแหน่งซ้ำกับ{unit_th} {first_label[p]} ในการสำรวจครั้งเดียวกัน "
                "(บ้าน รอบ วันที่เดียวกัน) ให้รวมเป็นแถวเดียว หรือระบุ survey_date ของแต่ละครั้ง",
            ),
        )


def _same_within(
    frame: pd.DataFrame,
    key: str,
    column: str,
    field: str,
    labels: np.ndarray,
    problems: _Problems,
) -> None:
    """Flag rows whose ``column`` differs from the first row of their ``key``."""
    first = frame.groupby(key, sort=False)[column].transform("first").to_numpy()
    values = frame[column].to_numpy()
    what_en, what_th = _WHAT[key]
    problems.add(
        values != first,
        field,
        lambda p: (
            f"{labels[values[p]]!r} differs from {labels[first[p]]!r} given before for the "
            f"same {what_en}",
            f"{labels[values[p]]!r} ไม่ตรงกับ {labels[first[p]]!r} ที่ระบุไว้ก่อนสำหรับ{what_th}เดียวกัน",
        ),
    )


_WHAT = {
    "house": ("house", "บ้าน"),
    "visit": ("visit (house, round, date)", "การสำรวจครั้ง (บ้าน รอบ วันที่)"),
}
