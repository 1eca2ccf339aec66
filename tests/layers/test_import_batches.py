"""Reading, checking and writing a column and a batch at a time gives what a row at a time would:
the same rows in the same order, the same issues on the same rows and fields."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from decimal import Decimal

import geopandas as gpd
import numpy as np
import pytest
import shapely
from django.utils import timezone

from layers.imports import ImportLimits, ImportRefused, layer_import
from layers.imports.sources import read_ahead
from layers.imports.values import by_distinct_value
from layers.models import DengueCase, FloodZone, Road
from tests.layers.import_data import (
    csv_text,
    inside_points,
    roads_frame,
    write_geojson,
    write_gpkg,
)


def gpkg_with_gaps(tmp_path, *, deleted: list[int], ids: dict[int, str] | None = None, n=23):
    """Roads r1..rn (but `ids` {fid: id}) whose GeoPackage keys have gaps (rows deleted after
    writing)."""
    frame = roads_frame(n)
    for fid, value in (ids or {}).items():
        frame.loc[fid - 1, "id"] = value
    path = write_gpkg({"roads": frame}, tmp_path / "gaps.gpkg")
    with sqlite3.connect(path) as db:
        db.executemany("DELETE FROM roads WHERE fid = ?", [(fid,) for fid in deleted])
    return path


def test_a_geopackage_with_gaps_in_its_keys_is_read_whole_and_in_order(nst, tmp_path):
    path = gpkg_with_gaps(tmp_path, deleted=[3, 7, 8, 15])

    report = layer_import(
        municipality=nst, kind="roads", path=path, id_field="id", limits=ImportLimits(batch_size=4)
    )

    expected = [f"r{i}" for i in range(1, 24) if i not in (3, 7, 8, 15)]
    assert report.created == len(expected) == 19
    stored = Road.objects.filter(municipality=nst, dataset__slug="gaps").order_by("id")
    assert list(stored.values_list("source_id", flat=True)) == expected


def test_rows_after_gaps_in_the_keys_are_numbered_as_the_file_lists_them(nst, tmp_path):
    # fid 20 is the 16th feature once four earlier ones are gone
    path = gpkg_with_gaps(tmp_path, deleted=[3, 7, 8, 15], ids={20: "r2"})

    with pytest.raises(ImportRefused) as refused:
        layer_import(
            municipality=nst,
            kind="roads",
            path=path,
            id_field="id",
            limits=ImportLimits(batch_size=4),
        )

    assert "row 16, field id: id 'r2' already appears in row 2" in str(refused.value)


def test_rows_collected_for_one_write_are_all_written_in_file_order(nst, tmp_path):
    # 23 rows read 4 at a time and written 10 at a time: two full writes and a last partial
    # one (3 rows of a batch of 4 read after the second write, then the rest at the end)
    path = write_geojson(roads_frame(23), tmp_path / "collected.geojson")

    report = layer_import(
        municipality=nst, kind="roads", path=path, limits=ImportLimits(batch_size=4, write_rows=10)
    )

    assert report.created == 23
    stored = Road.objects.filter(municipality=nst, dataset__slug="collected").order_by("id")
    assert list(stored.values_list("name_th", flat=True)) == list(roads_frame(23)["name"])


def test_values_of_every_column_type_are_stored_as_the_file_gives_them(nst, tmp_path):
    # Rows travel to the database as text and are cast there: dates, booleans, decimals and
    # times must arrive exactly, NULL must stay NULL and an empty text stay empty.
    squares = [shapely.box(x, y, x + 0.001, y + 0.001) for x, y in inside_points(3)]
    zones = gpd.GeoDataFrame(
        {
            "event": ['น้ำท่วม "ธ.ค." 2568', "scenario, 1-in-100", "x\\y"],
            "observed_date": ["2025-12-03", "2026-01-15", None],
            "is_forecast": ["no", "yes", "no"],
            "depth_min_m": [0.05, 1.25, None],
            "depth_max_m": [0.5, 2.75, 12.5],
        },
        geometry=squares,
        crs="EPSG:4326",
    )
    layer_import(
        municipality=nst,
        kind="flood_zones",
        path=write_geojson(zones, tmp_path / "zones.geojson"),
        limits=ImportLimits(batch_size=2, write_rows=2),
    )
    stored = FloodZone.objects.filter(dataset__slug="zones").order_by("id")
    assert list(
        stored.values_list("event", "observed_date", "is_forecast", "depth_min_m", "depth_max_m")
    ) == [
        ('น้ำท่วม "ธ.ค." 2568', dt.date(2025, 12, 3), False, Decimal("0.05"), Decimal("0.50")),
        ("scenario, 1-in-100", dt.date(2026, 1, 15), True, Decimal("1.25"), Decimal("2.75")),
        ("x\\y", None, False, None, Decimal("12.50")),
    ]
    for zone, square in zip(stored, squares, strict=True):
        stored_geometry = shapely.normalize(shapely.from_wkb(bytes(zone.geom.wkb)))
        expected = shapely.normalize(shapely.MultiPolygon([square]))
        assert shapely.equals_exact(stored_geometry, expected, tolerance=1e-12)

    points = inside_points(2)
    cases = csv_text(
        ["case", "onset_date", "report_date", "investigated_at", "diagnosis", "lat", "lon"],
        [
            ["C1", "2026-01-02", "2026-01-05", "2026-01-05T09:30:00+07:00", "DF", *points[0][::-1]],
            ["C2", "2026-01-03", "2026-01-06", "", "DHF", *points[1][::-1]],
        ],
    )
    (tmp_path / "cases.csv").write_text(cases, encoding="utf-8")
    layer_import(municipality=nst, kind="dengue_cases", path=tmp_path / "cases.csv")
    stored = DengueCase.objects.filter(dataset__slug="cases").order_by("id")
    assert list(stored.values_list("onset_date", "investigated_at")) == [
        (dt.date(2026, 1, 2), dt.datetime(2026, 1, 5, 2, 30, tzinfo=dt.UTC)),
        (dt.date(2026, 1, 3), None),
    ]


def test_problems_are_listed_row_by_row_and_field_by_field_across_a_batch(nst, tmp_path):
    frame = roads_frame(6)
    frame["lanes"] = ["2", "many", "2", "99999", "many", "2"]
    frame["ref"] = ["", "", "", "x" * 41, "", ""]
    frame.loc[2, "geometry"] = None
    path = write_geojson(frame, tmp_path / "bad.geojson")

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="roads", path=path, limits=ImportLimits(batch_size=6))

    report = refused.value.report
    listed = [(i.row, i.field, i.code) for i in report.issues if i.row is not None]
    assert listed == [
        (2, "lanes", "invalid_number"),
        (3, None, "geometry_missing"),
        (4, "lanes", "number_out_of_range"),
        (4, "ref", "text_too_long"),
        (5, "lanes", "invalid_number"),
    ]
    assert report.rejected == 4
    assert report.features == 6
    assert "row 5, field lanes: invalid number 'many'" in str(refused.value)


def objects(*items) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def test_each_distinct_value_is_converted_once_and_spread_to_its_rows():
    calls = []

    def convert(value):
        calls.append(value)
        return value.upper()

    result = by_distinct_value(objects("a", "b", "a", "a", "b"), convert)

    assert result.tolist() == ["A", "B", "A", "A", "B"]
    assert sorted(calls) == ["a", "b"]


def test_equal_values_of_different_kinds_are_converted_one_by_one():
    # 1 == 1.0 == True, but a boolean column and a number column read them differently
    result = by_distinct_value(objects(1, 1.0, True, 1), lambda value: type(value).__name__)

    assert result.tolist() == ["int", "float", "bool", "int"]


def test_missing_values_keep_their_own_kind():
    values = objects("x", None, float("nan"), "x", None)

    result = by_distinct_value(values, lambda value: repr(value))

    assert result.tolist() == ["'x'", "None", "nan", "'x'", "None"]
    dates = np.array(["2026-01-05", "NaT"], dtype="datetime64[ms]")
    assert by_distinct_value(dates, lambda value: bool(np.isnat(value))).tolist() == [False, True]


def test_read_ahead_gives_every_item_in_order():
    assert list(read_ahead(iter(range(50)))) == list(range(50))


def test_read_ahead_raises_the_workers_error_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ImportRefused([])

    seen = []
    with pytest.raises(ImportRefused):
        seen.extend(read_ahead(items()))

    assert seen == [1, 2]


def test_read_ahead_stops_the_worker_when_the_caller_stops():
    produced = []

    def items():
        for i in range(1000):
            produced.append(i)
            yield i

    for item in read_ahead(items()):
        if item == 3:
            break

    assert len(produced) <= 6  # the item in use, one queued, one being made
    assert not any(t.name == "import-read-ahead" for t in threading.enumerate())


def test_read_ahead_runs_as_many_items_ahead_as_asked_and_no_more():
    produced = []

    def items():
        for i in range(100):
            produced.append(i)
            yield i

    taken = read_ahead(items(), ahead=4)
    assert next(taken) == 0
    deadline = time.monotonic() + 10
    while len(produced) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # room to run further, if it would

    # the item in use, four waiting, one made and waiting for room
    assert len(produced) == 6
    assert list(taken) == list(range(1, 100))
    with pytest.raises(ValueError, match="at least 1"):
        next(read_ahead(iter([1]), ahead=0))


def test_read_ahead_works_in_the_callers_time_zone():
    def zones():
        yield timezone.get_current_timezone_name()
        yield timezone.make_aware(dt.datetime(2026, 1, 5, 12, 0)).utcoffset()

    with timezone.override("UTC"):
        assert list(read_ahead(zones())) == ["UTC", dt.timedelta(0)]
