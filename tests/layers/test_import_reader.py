"""The import's reader: a forked child process where that is safe, a thread otherwise.

Reading, checking and encoding a batch run beside the writing of the previous one. In a child
process that work never holds the writer's GIL; these tests pin what may not change with it:
every item arrives once and in order, an error arrives as itself, an early stop leaves no
process behind, and an import gives the same rows and the same report either way.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from layers.imports import ImportLimits, ImportRefused, layer_import, sources
from layers.imports.messages import Issue
from layers.imports.sources import fork_safe, read_ahead, read_in_child
from layers.models import DengueCase, Road
from tests.layers.import_data import inside_points, roads_frame, write_gpkg


@pytest.fixture
def forkable(monkeypatch):
    """Lets the test fork its reader beside the threads the test run itself may have left.

    After the browser tests, Playwright's asyncio threads and the live server's thread stay
    alive and idle (waiting on a queue, a socket or waitpid): none is inside GDAL, PROJ or
    GEOS, so forking beside them is as safe as beside the job worker's heartbeat.
    """
    current = threading.current_thread()
    idle = {thread.name for thread in threading.enumerate() if thread is not current}
    monkeypatch.setattr(sources, "FORK_SAFE_THREADS", sources.FORK_SAFE_THREADS | idle)
    assert fork_safe()


def pids(count: int):
    for index in range(count):
        yield index, os.getpid()


def test_items_are_made_in_a_child_process_and_arrive_in_order(forkable):
    received = list(read_in_child(pids(500), ahead=3))

    assert [index for index, _pid in received] == list(range(500))
    assert {pid for _index, pid in received} != {os.getpid()}
    assert len({pid for _index, pid in received}) == 1


def test_an_import_refusal_of_the_child_arrives_with_its_issues(forkable):
    def items():
        yield 1
        raise ImportRefused([Issue("unreadable", file="roads.gpkg", params={"detail": "'x'"})])

    seen = []
    with pytest.raises(ImportRefused) as refused:
        seen.extend(read_in_child(items()))

    assert seen == [1]
    assert [(issue.code, issue.file) for issue in refused.value.issues] == [
        ("unreadable", "roads.gpkg")
    ]


def test_answers_stay_plain_after_another_library_patched_exception_pickling(forkable):
    # dask's distributed installs tblib's reducers for every exception class on import; the
    # child's answers must not name them (the parent refuses them), whatever was imported first.
    from tblib import pickling_support

    pickling_support.install()

    def items():
        yield 1
        raise ImportRefused([Issue("unreadable", file="roads.gpkg", params={"detail": "'x'"})])

    with pytest.raises(ImportRefused) as refused:
        list(read_in_child(items()))

    assert [issue.code for issue in refused.value.issues] == ["unreadable"]


def test_an_error_that_cannot_travel_arrives_as_its_text(forkable):
    class Local(Exception):  # a class defined in a function cannot be pickled
        pass

    def items():
        yield 1
        raise Local("the reader broke")

    with pytest.raises(RuntimeError, match="the reader broke"):
        list(read_in_child(items()))


def test_stopping_early_ends_the_child(forkable):
    def endless():
        while True:
            yield os.getpid()

    reader = read_in_child(endless(), ahead=2)
    child = next(reader)
    reader.close()

    assert child != os.getpid()
    with pytest.raises(ProcessLookupError):  # killed and reaped: no such process any more
        os.kill(child, 0)
    assert not any(t.name == "import-read-ahead" for t in threading.enumerate())


def test_with_another_thread_running_the_items_are_made_in_a_thread_instead():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="a request being served", daemon=True)
    other.start()
    try:
        assert not fork_safe()
        received = list(read_in_child(pids(20)))
    finally:
        stop.set()
        other.join()

    assert [index for index, _pid in received] == list(range(20))
    assert {pid for _index, pid in received} == {os.getpid()}


def test_the_job_workers_heartbeat_does_not_prevent_forking(forkable):
    stop = threading.Event()
    heartbeat = threading.Thread(target=stop.wait, name="mueang-job-heartbeat", daemon=True)
    heartbeat.start()
    try:
        assert fork_safe()
        received = list(read_in_child(pids(3)))
    finally:
        stop.set()
        heartbeat.join()

    assert {pid for _index, pid in received} != {os.getpid()}


@pytest.mark.parametrize("reader", [read_ahead, read_in_child])
def test_the_caller_works_while_the_next_item_is_not_ready(reader, tmp_path, forkable):
    # The second item is made only after `on_wait` ran in the caller (a file tells the child).
    opened = tmp_path / "opened"

    def items():
        yield 1
        deadline = time.monotonic() + 10
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        yield 2 if opened.exists() else "on_wait never ran"

    assert list(reader(items(), on_wait=opened.touch)) == [1, 2]


def stored_roads(slug: str) -> list[tuple]:
    roads = Road.objects.filter(dataset__slug=slug).order_by("id")
    return [
        (road.source_id, road.name_th, road.road_class, road.lanes, road.geom.wkb.hex())
        for road in roads
    ]


def test_an_import_checks_and_stores_the_same_read_in_a_child_or_a_thread(nst, tmp_path, forkable):
    frame = roads_frame(40)
    frame.loc[5, "lanes"] = -1
    frame.loc[7, "geometry"] = shapely.LineString([(100.0, 8.4), (100.0, 8.4)])
    frame.loc[9, "geometry"] = shapely.LineString([(120.0, 40.0), (120.1, 40.1)])  # outside
    checked = write_gpkg({"roads": frame}, tmp_path / "checked.gpkg")
    imported = write_gpkg({"roads": frame.drop(index=[5, 7])}, tmp_path / "imported.gpkg")
    outcomes = {}
    for in_child in (True, False):
        slug = f"roads-{'child' if in_child else 'thread'}"
        limits = ImportLimits(batch_size=4, write_rows=10, read_in_child=in_child)
        dry = layer_import(
            municipality=nst, kind="roads", path=checked, dataset_slug=slug, dry_run=True,
            limits=limits,
        )  # fmt: skip
        report = layer_import(
            municipality=nst, kind="roads", path=imported, dataset_slug=slug,
            confirm_outside=True, limits=limits,
        )  # fmt: skip
        outcomes[in_child] = (
            [(issue.code, issue.row, issue.field) for issue in dry.issues],
            (dry.features, dry.created, dry.rejected, dry.outside),
            (report.features, report.created, report.rejected, report.outside),
            stored_roads(slug),
        )

    assert outcomes[True] == outcomes[False]
    issues, dry_counts, counts, stored = outcomes[True]
    assert {row for _code, row, _field in issues} >= {6, 8, 10}
    assert dry_counts == (40, 38, 2, 1)
    assert counts == (38, 38, 0, 1)
    assert len(stored) == 38


def test_times_in_a_geopackage_keep_their_utc_offset(nst, tmp_path):
    points = inside_points(3)
    cases = gpd.GeoDataFrame(
        {
            "case": ["C1", "C2", "C3"],
            "onset_date": ["2026-01-02"] * 3,
            "report_date": ["2026-01-05"] * 3,
            "investigated_at": [  # GDAL writes each with its own offset
                pd.Timestamp("2026-01-05T09:30:00+07:00"),
                pd.Timestamp("2026-01-05T09:30:00+00:00"),
                None,
            ],
            "diagnosis": ["DF", "DHF", "DF"],
        },
        geometry=[shapely.Point(x, y) for x, y in points],
        crs="EPSG:4326",
    )
    path = write_gpkg({"cases": cases}, tmp_path / "cases.gpkg")

    layer_import(municipality=nst, kind="dengue_cases", path=path)

    stored = DengueCase.objects.filter(dataset__slug="cases").order_by("id")
    assert list(stored.values_list("investigated_at", flat=True)) == [
        dt.datetime(2026, 1, 5, 2, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC),
        None,
    ]
