"""A bounded load test on loopback: a working morning of N users for S seconds, every page kind.

    .venv/bin/python scripts/loadtest.py [--users 50] [--seconds 60] [--workers 4]   (make loadtest)

Starts gunicorn on a free port against the configured database (demo data loaded) and logs the
users in through the login form, spread over both demo municipalities and every role (user i has
role i mod 6 and municipality (i div 6) mod 2: every role in both). Then:

1. **cold**: the first request of every page kind in each municipality, one at a time, on a server
   that has computed nothing yet: the shared cache (decision 0021) is emptied first, unless
   --keep-cache (as after a data change: every cached result is keyed by the layers' data
   version, so a change leaves exactly this state; the job worker, not started here, would
   have computed the dashboards already: geoapp/management/warm.py);
2. **morning**: each user loops over the pages its role opens, weighted as in MORNING below.

Prints p50/p95/max latency per kind, requests per second and whether each goal of the "every page
in under a second" issue is met, and exits 1 if any request failed. It always ends: gunicorn runs
in a process group of its own with its log in a temporary file (named on failure), a request
taking over 30 s counts as failed, and a run without its report --seconds + 300 s after the start
stops the server and exits 3; 2 when the server does not start or a login fails. The client runs
on the same machine as the server, so on a small machine the figures include its own CPU use.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
NST, CHON = "nakhon-si-thammarat", "chon-buri"
MUNICIPALITIES = {NST: "nst", CHON: "chon"}
PASSWORD = "mueang-demo-2569"
ROLES = ["viewer", "planner", "health", "disaster", "editor", "admin"]
# Lon/lat boxes of the demo towns, where the tiles are asked for.
TOWNS = {NST: (99.935, 8.39, 99.98, 8.455), CHON: (100.97, 13.35, 101.02, 13.40)}

# A working morning, per role: what each opens and how often (relative weights per request). A map
# page pulls a screenful of tiles (about 12 at a time as it pans), so tiles outweigh pages; each
# officer opens their own dashboard first and returns to it; planners and editors spend the morning
# on the map and the catalogue; scripts and GIS clients (QGIS) read the API.
MORNING: dict[str, list[tuple[str, int]]] = {
    "viewer": [("home", 3), ("map", 3), ("tile", 24), ("catalogue", 1), ("dataset", 1),
               ("api items", 2)],
    "planner": [("home", 2), ("map", 3), ("tile", 24), ("catalogue", 2), ("dataset", 2),
                ("api items", 3)],
    "health": [("home", 2), ("dengue", 4), ("spray plan", 2), ("radius", 1), ("case list", 3),
               ("map", 2), ("tile", 16)],
    "disaster": [("home", 2), ("flood zones", 2), ("flood depth", 1), ("flood level", 1),
                 ("aid list", 2), ("map", 2), ("tile", 16)],
    "editor": [("home", 2), ("catalogue", 2), ("dataset", 2), ("flood zones", 1), ("map", 3),
               ("tile", 24), ("api items", 2)],
    "admin": [("home", 3), ("dengue", 1), ("flood zones", 1), ("catalogue", 1), ("case list", 1),
              ("map", 1), ("tile", 12)],
}  # fmt: skip

# The goals (ms): every page p95 and max; tiles and API pages p95; the first request after a change.
PAGE_P95_MS, PAGE_MAX_MS, FAST_P95_MS, COLD_MS = 1000, 3000, 300, 2000
FAST_KINDS = ("tile", "api items")
# Bounds (s) that make the run end with its report, or fail loudly, never hang: gunicorn's
# start, one request (a page slower than this counts as failed), and the whole run beyond
# --seconds (start, logins, the cold pass and the last requests of the morning).
START_S, REQUEST_S, MARGIN_S = 120, 30, 300


class LoadTestError(RuntimeError):
    """The run cannot go on (server not starting, a login refused): said, and exit 2."""


def log(message: str) -> None:
    print(f"[loadtest] {message}", file=sys.stderr, flush=True)


def page_path(kind: str, code: str, rng: random.Random) -> str:
    """The URL of one request of `kind` in municipality `code`."""
    if kind == "tile":
        return tile_path(code, rng)
    if kind == "api items":
        offset = rng.randrange(0, 1400 if code == NST else 100, 100)
        return f"/api/collections/{code}.roads/items?limit=100&offset={offset}"
    return {
        "home": f"/m/{code}/",
        "map": f"/m/{code}/map/",
        "catalogue": f"/m/{code}/catalogue/",
        "dataset": f"/m/{code}/catalogue/roads-osm/",
        "dengue": f"/m/{code}/dengue/",
        "spray plan": f"/m/{code}/dengue/spray/",
        "radius": f"/m/{code}/dengue/radius/",
        "case list": f"/m/{code}/cases/",
        "flood zones": f"/m/{code}/flood/?hazard=zones",
        "flood depth": f"/m/{code}/flood/?hazard=depth",
        "flood level": f"/m/{code}/flood/?hazard=bathtub",
        "aid list": f"/m/{code}/flood/aid/",
    }[kind]


def empty_shared_cache() -> None:
    """Drop every shared result (the worst case of a data change: every page's keys moved)."""
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "manage.py",
            "shell",
            "-v",
            "0",
            "-c",
            "from django.core.cache import caches; caches['shared'].clear()",
        ],
        cwd=ROOT,
        check=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, log_path: Path) -> subprocess.Popen:
    """Gunicorn in a process group of its own, its output in `log_path`, answering `/`.

    Its own group, so `stop_server` ends the workers with the master even when the master is
    killed; its own log file, so no worker keeps this script's stdout (a pipe when run through
    make or a CI log) open after the script ends: that left readers waiting for ever.
    """
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geoapp.settings.local", "DEBUG": "0"}
    log_file = log_path.open("ab")
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "geoapp.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()
    return server


def wait_until_serving(server: subprocess.Popen, base: str, deadline: float) -> None:
    """Return once `/` answers 200; fail if gunicorn exits or `deadline` passes first.

    Every worker imports the views while it boots (geoapp/wsgi.py): on two busy cores that
    takes longer than one request's timeout, and a connection waits in the listen queue till
    then, so a timeout here means "not yet", not "failed".
    """
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise LoadTestError(f"gunicorn exited with {server.returncode} while starting")
        try:
            status = requests.get(f"{base}/", timeout=10).status_code
            if status == 200:
                return
            log(f"the server answered {status} at start")
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise LoadTestError("the server did not answer within the start-up time")


def stop_server(server: subprocess.Popen) -> None:
    """Stop gunicorn: TERM to the master (it stops and reaps its workers), then KILL the group.

    The KILL of the whole group, after the master has exited or 15 s, ends any worker that
    outlived it (the master killed, or stuck), so nothing keeps running after the report.
    """
    try:
        server.terminate()
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        log("gunicorn did not stop within 15 s; killed")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=REQUEST_S)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if found is None:
        raise LoadTestError(f"no login form for {username}: HTTP {page.status_code}")
    done = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": found[1]},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=REQUEST_S,
    )
    if "sessionid" not in session.cookies:
        raise LoadTestError(f"could not log in as {username}: HTTP {done.status_code}")
    return session


def login_all(base: str, usernames: list[str]) -> list[requests.Session]:
    """Log every user in, four at a time (each login hashes a password: ~0.3 s of CPU)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda name: login(base, name), usernames))


def tile_path(code: str, rng: random.Random) -> str:
    town = TOWNS[code]
    z = rng.choice([14, 15, 16])
    lon = rng.uniform(town[0], town[2])
    lat = rng.uniform(town[1], town[3])
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    layer = rng.choice(["roads", "roads", "landmarks", "flood_zones"])
    return f"/tiles/{layer}/{z}/{x}/{y}.pbf"


def user_loop(base, session, user, seconds, seed, results, lock) -> None:
    code, _role, kinds = user
    rng = random.Random(seed)
    names = [kind for kind, _weight in kinds]
    weights = [weight for _kind, weight in kinds]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kind = rng.choices(names, weights)[0]
        path = page_path(kind, code, rng)
        start = time.perf_counter()
        try:
            status = session.get(base + path, timeout=REQUEST_S).status_code
        except Exception as error:  # counted; the user goes on
            status = f"{type(error).__name__}"
        elapsed_ms = (time.perf_counter() - start) * 1000
        with lock:
            results[kind].append((elapsed_ms, status))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cold_pass(base: str, admins: dict[str, requests.Session]) -> tuple[dict, dict]:
    """The first request of every kind per municipality; the kinds each municipality offers."""
    rng = random.Random(0)
    cold: dict[str, list[float]] = defaultdict(list)
    offered: dict[str, set[str]] = {}
    kinds = sorted({kind for weights in MORNING.values() for kind, _weight in weights})
    for code, session in admins.items():
        offered[code] = set()
        for kind in kinds:
            start = time.perf_counter()
            try:
                status = session.get(base + page_path(kind, code, rng), timeout=REQUEST_S)
                status = status.status_code
            except requests.RequestException as error:
                status = type(error).__name__
            elapsed_ms = (time.perf_counter() - start) * 1000
            if status == 200:
                offered[code].add(kind)
                cold[kind].append(elapsed_ms)
            else:
                print(f"[loadtest] {code} does not offer {kind!r} (HTTP {status}); left out")
    return cold, offered


def morning_users(count: int, offered: dict[str, set[str]]) -> list[tuple[str, str, list]]:
    """(municipality, role, weighted kinds) of each user: roles and municipalities in turn."""
    users = []
    codes = list(MUNICIPALITIES)
    for i in range(count):
        code, role = codes[(i // len(ROLES)) % len(codes)], ROLES[i % len(ROLES)]
        kinds = [(kind, weight) for kind, weight in MORNING[role] if kind in offered[code]]
        users.append((code, role, kinds))
    return users


def report(results: dict, cold: dict, wall: float, args) -> int:
    """Print the figures and the goals; return the number of failed requests."""
    failures = 0
    print(f"{args.users} users, {wall:.0f} s, gunicorn {args.workers} workers x 4 threads")
    header = f"{'kind':<12} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    print(f"{header} {'cold ms':>8}  goals")
    for kind, rows in sorted(results.items()):
        times = [ms for ms, _status in rows]
        errors = [s for _ms, s in rows if s not in (200, 304)]
        failures += len(errors)
        p95, worst = percentile(times, 0.95), max(times)
        first = max(cold.get(kind, [0.0]))
        goals = [
            p95 < (FAST_P95_MS if kind in FAST_KINDS else PAGE_P95_MS),
            worst < PAGE_MAX_MS,
            first < COLD_MS,
            not errors,
        ]
        print(
            f"{kind:<12} {len(rows):>8} {len(errors):>6} {statistics.median(times):>8.1f} "
            f"{p95:>8.1f} {worst:>8.1f} {first:>8.1f}  {'met' if all(goals) else 'MISSED'}"
        )
        if errors:
            print(f"  failed with: {sorted(set(map(str, errors)))}")
    total = sum(len(rows) for rows in results.values())
    print(f"total {total} requests, {total / wall:.1f} per second, {failures} failed")
    print(
        f"goals: p95 < {PAGE_P95_MS} ms per page kind ({FAST_P95_MS} ms for tiles and API pages), "
        f"max < {PAGE_MAX_MS} ms, the first request after a change (cold) < {COLD_MS} ms, 0 errors"
    )
    return failures


def group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a process group.

    Linux /proc; 0 elsewhere. On a shared machine this, per request, is the figure that does not
    depend on what the other users of the cores are doing (PostgreSQL's own time not included).
    """
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ..., utime, stime
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def watchdog(bound_s: float, server: subprocess.Popen) -> threading.Timer:
    """After `bound_s`, say so, stop the server and exit 3: the run fails loudly, never hangs."""

    def expire() -> None:
        log(f"FAILED: no report within {bound_s:.0f} s; stopping the server (log: {LOG_PATH})")
        stop_server(server)
        os._exit(3)

    timer = threading.Timer(bound_s, expire)
    timer.daemon = True
    timer.start()
    return timer


LOG_PATH = Path(tempfile.gettempdir()) / f"mueang-loadtest-{os.getpid()}.log"


def run(args, server: subprocess.Popen, base: str) -> int:
    wait_until_serving(server, base, time.monotonic() + START_S)
    log("server up; logging in")
    admins = dict(
        zip(
            MUNICIPALITIES,
            login_all(base, [f"{s}-admin" for s in MUNICIPALITIES.values()]),
            strict=True,
        )
    )
    log("cold pass: the first request of every kind in each municipality")
    cold, offered = cold_pass(base, admins)
    users = morning_users(args.users, offered)
    sessions = login_all(base, [f"{MUNICIPALITIES[code]}-{role}" for code, role, _k in users])
    log(f"{len(sessions)} users logged in; the morning runs {args.seconds:.0f} s")
    results: dict[str, list] = defaultdict(list)
    lock = threading.Lock()
    threads = [
        threading.Thread(
            target=user_loop,
            args=(base, session, user, args.seconds, i, results, lock),
            daemon=True,
        )
        for i, (session, user) in enumerate(zip(sessions, users, strict=True))
    ]
    cpu_before = group_cpu_s(server.pid)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    # A user ends at --seconds plus its last request (at most REQUEST_S, then counted failed).
    last = started + args.seconds + REQUEST_S + 10
    for thread in threads:
        thread.join(timeout=max(0.0, last - time.monotonic()))
    wall = time.monotonic() - started
    server_cpu_s = group_cpu_s(server.pid) - cpu_before
    stuck = sum(thread.is_alive() for thread in threads)
    with lock:
        if stuck:
            results["(unfinished)"] = [(wall * 1000, "no answer")] * stuck
        snapshot = {kind: list(rows) for kind, rows in results.items()}
    for session in [*sessions, *admins.values()]:
        session.close()
    failed = report(snapshot, cold, wall, args)
    total = sum(len(rows) for rows in snapshot.values())
    print(
        f"gunicorn CPU during the morning: {server_cpu_s:.1f} s, "
        f"{1000 * server_cpu_s / max(total, 1):.1f} ms per request; load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} at the end ({os.cpu_count()} cores)"
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--keep-cache",
        action="store_true",
        help="keep the shared cache (by default it is emptied: the cold pass is truly cold)",
    )
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  (a pipe under make)
    if not args.keep_cache:
        empty_shared_cache()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers, LOG_PATH)
    # SIGTERM (make or CI cancelling) and Ctrl-C stop the server too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    timer = watchdog(args.seconds + MARGIN_S, server)
    try:
        return run(args, server, base)
    except LoadTestError as error:
        log(f"FAILED: {error} (server log: {LOG_PATH})")
        return 2
    finally:
        timer.cancel()
        stop_server(server)


if __name__ == "__main__":
    raise SystemExit(main())
