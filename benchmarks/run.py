"""Mueang benchmarks: every row compares a candidate with a baseline measured in the same run.

Usage
-----
    .venv/bin/python benchmarks/run.py [--repeat N] [--only NAME]      # `make bench`

Each benchmark runs once to warm up, then N times (default 7); the table shows the median of
the N runs for baseline and candidate, and ratio = candidate / baseline. The rows are also
written as JSON to benchmarks/results/latest.json (git-ignored). Needs the demo data
(`manage.py load_demo`); reads only, apart from the demo user's login session.

Benchmarks (`--only map_page` runs both; `--only map_page.server` needs no browser)
---------------------------------------------------------------------------------------
map_page.server   Render time and bytes of the demo map page (Django test Client, logged in
                  as nst-health), against fetching the same rows and columns as raw GeoJSON
                  from PostGIS (one json_agg(ST_AsGeoJSON) query per layer).
                  Rows: map_page.server_ms, map_page.bytes.
map_page.browser  Time from page.goto() until headless chromium has drawn the roads, and the
                  bytes of every response of that navigation (HTTP cache disabled), against
                  loading the login page in the same browser.
                  Rows: map_page.browser_ms, map_page.browser_bytes.

Adding one: write `def name(repeat: int) -> list[Row]`, decorate it with `@benchmark("name")`,
and use `sample()` so baseline and candidate are measured alternately in the same loop.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"

NST = "nakhon-si-thammarat"
USERNAME = "nst-health"
PASSWORD = "mueang-demo-2569"
MAP_PATH = f"/m/{NST}/map/"
LOGIN_PATH = "/accounts/login/"
HOST = "127.0.0.1"

MAP_READY = (
    "window.mueangMap !== undefined && document.querySelectorAll('path.mueang-road').length > 0"
)
LOGIN_READY = "document.querySelector('form.login button[type=submit]') !== null"


from benchmarks.registry import REGISTRY, Row, benchmark, elapsed_ms, sample  # noqa: E402

# --- map_page.server -------------------------------------------------------------------------

FEATURE_COLLECTION_SQL = (
    "SELECT json_build_object('type', 'FeatureCollection', 'features', "
    "COALESCE(json_agg(ST_AsGeoJSON(t.*)::json), '[]'::json))::text "
    "FROM (SELECT {columns} FROM {table} WHERE {where} = %s ORDER BY {order}) AS t"
)


def raw_geojson_queries() -> dict[str, str]:
    """One FeatureCollection query per map layer: the selectors' columns, rows and order."""
    from django.db import connection

    from layers import selectors

    q = connection.ops.quote_name
    tenant = "municipality_id"
    names = ("code", "name_th", "name_en")
    layers = {
        # layer: (table, columns, geometry column, scope column, order)
        "boundary": ("layers_municipality", names, "boundary", "id", "id"),
        "subdistricts": ("layers_subdistrict", names, "geom", tenant, "code"),
        "roads": ("layers_road", selectors.ROAD_FIELDS, "geom", tenant, "id"),
        "landmarks": ("layers_landmark", selectors.LANDMARK_FIELDS, "geom", tenant, "id"),
        "flood_zones": ("layers_floodzone", selectors.FLOOD_FIELDS, "geom", tenant, "id"),
        "cases": ("layers_denguecase", selectors.CASE_FIELDS, "geom", tenant, "onset_date, id"),
    }
    return {
        layer: FEATURE_COLLECTION_SQL.format(
            columns=", ".join(q(c) for c in (*columns, geom)),
            table=q(table),
            where=q(scope),
            order=order,
        )
        for layer, (table, columns, geom, scope, order) in layers.items()
    }


def fetch_raw_geojson(queries: dict[str, str], municipality_id: int) -> int:
    """Run every layer query and return the total UTF-8 bytes of the GeoJSON text.

    Like a request for the map page, the queries run in one transaction scoped to the
    municipality (row-level security), so the baseline pays the same scoping cost.
    """
    from django.db import connection

    from layers.tenancy import tenant_scope

    total = 0
    with tenant_scope(municipality_ids=[municipality_id]), connection.cursor() as cursor:
        for sql in queries.values():
            cursor.execute(sql, [municipality_id])
            (text,) = cursor.fetchone()
            total += len(text.encode())
    return total


@benchmark("map_page.server")
def map_page_server(repeat: int) -> list[Row]:
    """Server render time and bytes of the map page against raw GeoJSON from PostGIS."""
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.test import Client

    from layers.models import Municipality

    municipality_id = Municipality.objects.get(code=NST).pk
    queries = raw_geojson_queries()
    client = Client(HTTP_HOST=HOST)
    client.force_login(User.objects.get(username=USERNAME))

    def run() -> tuple[float, float, float, float, float]:
        start = time.perf_counter()
        raw_bytes = fetch_raw_geojson(queries, municipality_id)
        raw_ms = elapsed_ms(start)
        # Cold: the rendered map is cached per data version; drop it to time a full render.
        cache.clear()
        start = time.perf_counter()
        response = client.get(MAP_PATH)
        cold_ms = elapsed_ms(start)
        start = time.perf_counter()
        client.get(MAP_PATH)
        warm_ms = elapsed_ms(start)
        if response.status_code != 200 or b"mueang-case" not in response.content:
            raise RuntimeError(f"{MAP_PATH} as {USERNAME}: {response.status_code}, no cases")
        return raw_ms, cold_ms, warm_ms, raw_bytes, len(response.content)

    raw_ms, cold_ms, warm_ms, raw_bytes, page_bytes = sample(run, repeat)
    return [
        Row(
            "map_page.server_ms",
            "render map page, cold (test Client) vs raw GeoJSON SQL",
            raw_ms,
            cold_ms,
            "ms",
        ),
        Row(
            "map_page.server_cached_ms",
            "map page from the render cache vs raw GeoJSON SQL",
            raw_ms,
            warm_ms,
            "ms",
        ),
        Row(
            "map_page.bytes",
            "map page HTML vs raw GeoJSON of the same rows",
            raw_bytes,
            page_bytes,
            "bytes",
        ),
    ]


# --- map_page.browser ------------------------------------------------------------------------


@contextmanager
def live_server() -> Iterator[str]:
    """A threaded Django server (static files included) on a free port; yields its URL."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread(HOST, StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://{HOST}:{thread.port}"
    finally:
        thread.terminate()


def browser_login(page: Page, base_url: str) -> None:
    """Log in as the demo health officer through the login form."""
    page.goto(base_url + LOGIN_PATH)
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
    if page.url.startswith(base_url + LOGIN_PATH):
        raise RuntimeError(f"browser login as {USERNAME} failed")


def visit(page: Page, url: str, ready: str) -> tuple[float, int]:
    """Milliseconds from goto(url) until `ready` holds; body bytes of all responses until idle."""
    responses: list[Response] = []

    def on_response(response: Response) -> None:
        responses.append(response)

    page.on("response", on_response)
    try:
        start = time.perf_counter()
        response = page.goto(url)
        page.wait_for_function(ready)
        ms = elapsed_ms(start)
        # Fonts may still be on their way: count every byte the page pulls, not the race.
        page.wait_for_load_state("networkidle")
    finally:
        page.remove_listener("response", on_response)
    if response is None or response.status != 200:
        raise RuntimeError(f"{url}: {response.status if response else 'no response'}")
    size = sum(len(r.body()) for r in responses if not 300 <= r.status < 400)
    return ms, size


@benchmark("map_page.browser")
def map_page_browser(repeat: int) -> list[Row]:
    """Time to first rendered map and bytes downloaded, against the plain login page."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import CHROMIUM_ARGS, chromium_path

    with live_server() as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            browser_login(page, base_url)
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

            def run() -> tuple[float, float, float, float]:
                login_ms, login_bytes = visit(page, base_url + LOGIN_PATH, LOGIN_READY)
                map_ms, map_bytes = visit(page, base_url + MAP_PATH, MAP_READY)
                if not page.evaluate("document.querySelectorAll('path.mueang-case').length"):
                    raise RuntimeError(f"{MAP_PATH} drew no dengue cases for {USERNAME}")
                return login_ms, map_ms, login_bytes, map_bytes

            login_ms, map_ms, login_bytes, map_bytes = sample(run, repeat)
        finally:
            browser.close()
    return [
        Row(
            "map_page.browser_ms",
            "chromium: goto -> roads drawn vs login page",
            login_ms,
            map_ms,
            "ms",
        ),
        Row(
            "map_page.browser_bytes",
            "chromium, no cache: map page vs login page",
            login_bytes,
            map_bytes,
            "bytes",
        ),
    ]


# --- runner ----------------------------------------------------------------------------------


def setup_django() -> None:
    """Configure Django for the local database; allow the ORM next to Playwright's loop."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings.local")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()
    # The browser asks for /favicon.ico; its 404 warning is noise in the table.
    logging.getLogger("django.request").setLevel(logging.ERROR)


def selected(only: str | None) -> list[str]:
    """Names to run: all, or those equal to `only` or under it (`map_page` -> map_page.*)."""
    if only is None:
        return list(REGISTRY)
    return [name for name in REGISTRY if name == only or name.startswith(only + ".")]


def format_value(value: float, unit: str) -> str:
    """Milliseconds with one decimal, everything else as a whole number."""
    return f"{value:,.1f}" if unit == "ms" else f"{value:,.0f}"


def table(rows: list[Row]) -> str:
    """The rows as a fixed-width text table."""
    header = ("benchmark", "measures", "baseline", "candidate", "ratio", "unit")
    cells = [
        (
            row.name,
            row.measures,
            format_value(row.baseline, row.unit),
            format_value(row.candidate, row.unit),
            "-" if row.ratio is None else f"{row.ratio:.2f}x",
            row.unit,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (header, *cells)) for i in range(len(header))]
    right = {2, 3, 4}

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(c) for c in cells)])


def load_benchmark_modules() -> None:
    """Import every `benchmarks/bench_*.py`; each registers its benchmarks on import."""
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        importlib.import_module(f"benchmarks.{path.stem}")


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the selected benchmarks, print the table and write the JSON."""
    load_benchmark_modules()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="measured runs (default 7)")
    parser.add_argument("--only", metavar="NAME", help=f"one of: {', '.join(REGISTRY)}")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    names = selected(args.only)
    if not names:
        parser.error(f"no benchmark named {args.only!r}; choose from {', '.join(REGISTRY)}")

    setup_django()
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), postgis_lib_version()")
        postgres, postgis = cursor.fetchone()
    print(f"Mueang benchmarks  {datetime.now().isoformat(timespec='seconds')}")
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {postgres}, PostGIS {postgis}; "
        f"municipality {NST}, user {USERNAME}"
    )
    print(
        f"median of {args.repeat} runs after 1 warm-up; baseline measured in this run; "
        "ratio = candidate / baseline\n"
    )

    rows: list[Row] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(REGISTRY[name](args.repeat))
    print(table(rows))

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps([row.as_dict() for row in rows], indent=2) + "\n", encoding="utf-8"
    )
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
