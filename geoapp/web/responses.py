"""The GeoJSON and CSV files the pages and the API hand out, written one way."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

from layers.csv_safe import SafeWriter

GEOJSON = "application/geo+json"
CSV = "text/csv; charset=utf-8"


def _attachment(response: HttpResponse, filename: str | None) -> HttpResponse:
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def geojson_response(
    body: dict | str, filename: str | None = None, *, ensure_ascii: bool = False
) -> HttpResponse:
    """GeoJSON (`application/geo+json`), Thai text as UTF-8; a download when `filename` is given.

    A `str` body is GeoJSON already written (by PostGIS) and is sent as it is.
    """
    text = (
        body
        if isinstance(body, str)
        else json.dumps(body, ensure_ascii=ensure_ascii, cls=DjangoJSONEncoder)
    )
    return _attachment(HttpResponse(text.encode("utf-8"), content_type=GEOJSON), filename)


def csv_response(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    filename: str,
    *,
    content_type: str = CSV,
) -> HttpResponse:
    """A CSV download: UTF-8 with a byte-order mark, formula-like text cells escaped.

    The byte-order mark makes Excel show the Thai text; `layers.csv_safe` escapes a text cell
    that starts like a formula, and numbers stay numbers.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = SafeWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type=content_type)
    return _attachment(response, filename)
