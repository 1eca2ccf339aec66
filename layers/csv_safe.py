"""CSV cells that a spreadsheet cannot run as a formula (OWASP "CSV injection").

Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`, `-` or `@` as a
formula, and a leading tab or carriage return can hide such a start. Every CSV that Mueang writes
passes its rows through `safe_row` (or writes with `SafeWriter`/`SafeDictWriter`): a *text* value
that starts with one of those characters gets a leading apostrophe, which spreadsheets show as
text and do not evaluate. Numbers are left alone, so `-3.5` in a numeric column stays a number;
a number the code formatted itself belongs in the row as a number, not as a string.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, or for text starting like a formula, the text behind an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through `safe_cell`."""
    return [safe_cell(value) for value in values]


class SafeWriter:
    """`csv.writer` whose rows (the header too) are escaped with `safe_row`."""

    def __init__(self, handle, **kwargs) -> None:
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """`csv.DictWriter` whose values (the header too) are escaped with `safe_cell`."""

    def writeheader(self) -> Any:
        return self.writer.writerow(safe_row(self.fieldnames))

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})
