"""Command-line adapter for the larval survey indices (`python -m analysis larval-indices`).

    python -m analysis larval-indices SURVEY [--by COLUMN] --json
        [--hi-bands LOW,MODERATE] [--ci-bands LOW,MODERATE]

SURVEY is a UTF-8 CSV (a byte-order mark and CRLF line ends are fine) with the columns
``house_id``, ``place_type``, ``container_type``, ``location``, ``containers``, ``positive``
and optionally ``survey_date``, ``round``, ``status`` (`analysis.larval`). The JSON holds the
whole survey's ``houses_surveyed``, ``houses_positive``, ``hi``, ``containers``,
``containers_positive``, ``ci``, ``bi``, ``houses_vacant``, ``houses_refused``,
``houses_closed``, ``houses_without_containers`` and ``risk``, then ``by``, ``groups`` (a list,
one object per value of ``--by`` with ``value`` and the same keys, ordered by value: numbers
numerically, then text, then blank), ``repeat_visits`` and ``thresholds``. Indices are percents
rounded to 2 decimals, ``null`` when their denominator is zero. Without ``--json`` a short table.

A refused survey prints, on stderr, the first problems each with its line, field and reason
(Thai, then English), and exits with status 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path

import pandas as pd

from analysis.larval import LarvalSurvey, RiskThresholds, SurveyInputError, larval_indices

EXIT_BAD_INPUT = 2
#: About 25 times the 1,000,000-row benchmark survey; larger files are split by round.
MAX_FILE_BYTES = 1 << 30
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class SurveyFileError(ValueError):
    """A survey file that cannot be read as a table; the message is printed as is."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``larval-indices`` to the `python -m analysis` parser."""
    parser = subparsers.add_parser(
        "larval-indices",
        help="house, container and Breteau indices (HI, CI, BI) of a larval survey CSV",
        description="HI, CI and BI of a house-to-house Aedes larval survey, from summed counts; "
        "a house visited twice in one round counts once (its latest surveyed visit).",
    )
    parser.add_argument("survey", metavar="SURVEY", type=Path, help="survey CSV (UTF-8)")
    parser.add_argument("--by", metavar="COLUMN", help="house-level column to group by")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--hi-bands",
        metavar="LOW,MODERATE",
        type=_bands,
        default=(10.0, 50.0),
        help="upper bounds of low and moderate HI (communities), default 10,50",
    )
    parser.add_argument(
        "--ci-bands",
        metavar="LOW,MODERATE",
        type=_bands,
        default=(0.0, 5.0),
        help="upper bounds of low and moderate CI (other places), default 0,5",
    )
    parser.set_defaults(handler=_run)


def _bands(text: str) -> tuple[float, float]:
    try:
        low, moderate = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"two numbers like 10,50, got {text!r}") from None
    return low, moderate


def _run(args: argparse.Namespace) -> int:
    try:
        thresholds = RiskThresholds(*args.hi_bands, *args.ci_bands)
        table = read_survey_csv(args.survey)
        survey = larval_indices(table, by=args.by, thresholds=thresholds)
    except (SurveyFileError, SurveyInputError, ValueError) as error:
        print(f"larval-indices: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(survey.to_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        _print_table(survey)
    return 0


def read_survey_csv(path: Path) -> pd.DataFrame:
    """The CSV as text cells, indexed by line number (``index.name == "line"``).

    Blank lines are skipped (their numbers kept). A cell holding a line break is refused, so
    that every line number is the one a spreadsheet shows.

    Raises
    ------
    SurveyFileError
        If the file is missing, too large, empty, not UTF-8 or not a table.
    """
    text = _read_text(path)
    try:
        header = next(csv.reader([_LINE_BREAK.split(text, maxsplit=1)[0]]))
    except csv.Error as error:
        raise SurveyFileError(f"{path}: อ่านหัวตารางไม่ได้ / cannot read the header: {error}") from None
    names = [name.strip() for name in header]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise SurveyFileError(f"{path}: คอลัมน์ซ้ำ / repeated column(s): {', '.join(repeated)}")
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, na_filter=False, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as error:
        raise SurveyFileError(f"{path}: อ่านเป็นตารางไม่ได้ / not a CSV table: {error}") from None
    if not isinstance(table.index, pd.RangeIndex):  # pandas took the extra first field as index
        raise SurveyFileError(
            f"{path}: ทุกแถวมีช่องข้อมูลมากกว่าหัวตาราง / every row has more fields than the header"
        )
    table.columns = names
    table.index = pd.RangeIndex(2, len(table) + 2, name="line")
    _refuse_line_breaks(table, path, physical_lines=_data_lines(text))
    return table[~(table == "").all(axis=1)]


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise SurveyFileError(f"{path}: ไม่พบไฟล์ / no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SurveyFileError(
            f"{path}: ไฟล์ใหญ่เกิน {MAX_FILE_BYTES:,} ไบต์ / larger than {MAX_FILE_BYTES:,} bytes"
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SurveyFileError(
            f"{path}: บรรทัด {line} ไม่ใช่ UTF-8 ให้บันทึกเป็น CSV UTF-8 / line {line} is not "
            "UTF-8; save the file as CSV UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)')"
        ) from None
    if "\x00" in text:
        raise SurveyFileError(f"{path}: มีอักขระ NUL ไม่ใช่ไฟล์ CSV / holds NUL bytes, not a CSV")
    if not text.strip():
        raise SurveyFileError(f"{path}: ไฟล์ว่าง / empty file")
    return text


def _data_lines(text: str) -> int:
    """Lines after the header, as pandas counts rows: the file's last line end ends a row."""
    breaks = len(_LINE_BREAK.findall(text))
    return breaks - 1 if _LINE_BREAK.search(text[-2:]) else breaks


def _refuse_line_breaks(table: pd.DataFrame, path: Path, *, physical_lines: int) -> None:
    """Refuse the first row with a line break inside a quoted cell (it shifts line numbers)."""
    if physical_lines == len(table):
        return
    broken = table.apply(lambda column: column.str.contains(r"[\r\n]", regex=True)).any(axis=1)
    line = broken.idxmax() if broken.any() else None
    where = f"บรรทัด {line}" if line is not None else "ไฟล์"
    where_en = f"line {line}" if line is not None else "the file"
    raise SurveyFileError(
        f"{path}: {where} มีการขึ้นบรรทัดใหม่ภายในช่องข้อมูล / {where_en}: a cell holds a line "
        "break; keep each row on one line"
    )


def _print_table(survey: LarvalSurvey) -> None:
    rows = [("", survey.total)] if survey.by is None else list(survey.groups)
    print(f"{survey.by or '':>16} {'houses':>8} {'HI':>7} {'containers':>10} {'CI':>7} {'BI':>7}")
    for value, indices in rows:
        print(
            f"{str(value)[:16]:>16} {indices.houses_surveyed:>8} {_shown(indices.hi):>7} "
            f"{indices.containers:>10} {_shown(indices.ci):>7} {_shown(indices.bi):>7}"
        )
    total = survey.total
    print(
        f"total: {total.houses_surveyed} houses surveyed, HI {_shown(total.hi)}, "
        f"CI {_shown(total.ci)}, BI {_shown(total.bi)}; vacant {total.houses_vacant}, "
        f"refused {total.houses_refused}, closed {total.houses_closed}; "
        f"{len(survey.repeat_visits)} repeat visit(s) not counted"
    )


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
