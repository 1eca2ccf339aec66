"""The one GeoJSON and CSV writer: UTF-8 Thai text, a byte-order mark, formulas escaped."""

from __future__ import annotations

import json

from geoapp.web.responses import csv_response, geojson_response


def test_geojson_keeps_thai_text_as_utf8_and_names_the_download():
    body = {"type": "FeatureCollection", "name": "วัด", "features": []}

    response = geojson_response(body, "plan.geojson")

    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"] == 'attachment; filename="plan.geojson"'
    assert "วัด".encode() in response.content
    assert json.loads(response.content) == body


def test_geojson_without_a_filename_is_no_download_and_text_is_sent_as_it_is():
    response = geojson_response('{"type": "Feature"}')

    assert "Content-Disposition" not in response
    assert response.content == b'{"type": "Feature"}'


def test_csv_starts_with_a_byte_order_mark_and_escapes_formulas():
    response = csv_response(["ชื่อ", "n"], [["=1+1", -3.5]], "aid.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="aid.csv"'
    text = response.content.decode("utf-8")
    assert text == "\ufeffชื่อ,n\r\n'=1+1,-3.5\r\n"
