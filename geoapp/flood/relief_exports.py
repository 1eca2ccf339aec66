"""The register's lists as files for the committee and the province: CSV and Excel (.xlsx).

Both carry the same rows. CSV goes through `geoapp.web.responses.csv_response` (UTF-8 with a
byte-order mark, formula-like text escaped); the workbook escapes text the same way
(`layers.csv_safe.safe_cell`), since a spreadsheet would run a cell starting with "=" there too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from geoapp.web.responses import csv_response
from layers.csv_safe import safe_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(
    header: Sequence[object], rows: Sequence[Sequence[object]], filename: str, *, title: str
) -> HttpResponse:
    """An Excel workbook of one sheet: a bold header row, then the rows (text escaped)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit for a sheet name
    sheet.append(safe_row(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(safe_row(_xml_safe(value) for value in row))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xml_safe(value: object) -> object:
    """Text without the control characters an .xlsx (XML) cannot hold; other values as they are."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def register_file(
    kind: str, header: Sequence[object], rows: Sequence[Sequence[object]], name: str, title: str
) -> HttpResponse:
    """The rows as `kind` ("csv" or "xlsx") named `name` plus its extension."""
    if kind == "xlsx":
        return xlsx_response(header, rows, f"{name}.xlsx", title=title)
    return csv_response(header, rows, f"{name}.csv")
