"""A bounded load test on loopback: N users for S seconds over map pages, tiles and the API.

    .venv/bin/python scripts/loadtest.py [--users 50] [--seconds 60] [--workers 4]   (make loadtest)

Starts gunicorn on a free port against the configured database (demo data loaded), logs the
users in through the login form, then each user loops: a map page (1 in 5), a vector tile of the
town (3 in 5) or a page of API items (1 in 5). Prints p50/p95/max latency per kind and exits 1 if
any request failed. The client runs on the same machine as the server, so on a small machine the
figures include the client's own CPU use.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
NST = "nakhon-si-thammarat"
PASSWORD = "mueang-demo-2569"
USERS = ["nst-health", "nst-planner", "nst-viewer", "nst-disaster", "nst-editor", "nst-admin"]
TOWN = (99.935, 8.39, 99.98, 8.455)  # lon/lat box of the demo town


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geoapp.settings.local", "DEBUG": "0"}
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
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status = requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code
            if status == 200:
                return server
            print(f"[loadtest] the server answered {status} at start", file=sys.stderr)
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    server.terminate()
    sys.exit("[loadtest] the server did not start")


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    if "sessionid" not in session.cookies:
        sys.exit(f"[loadtest] could not log in as {username}: HTTP {done.status_code}")
    return session


def tile_path(rng: random.Random) -> str:
    z = rng.choice([14, 15, 16])
    lon = rng.uniform(TOWN[0], TOWN[2])
    lat = rng.uniform(TOWN[1], TOWN[3])
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    layer = rng.choice(["roads", "roads", "landmarks", "flood_zones"])
    return f"/tiles/{layer}/{z}/{x}/{y}.pbf"


def pick(rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.2:
        return "map page", f"/m/{NST}/map/"
    if roll < 0.8:
        return "tile", tile_path(rng)
    offset = rng.randrange(0, 1400, 100)
    return "api items", f"/api/collections/{NST}.roads/items?limit=100&offset={offset}"


def user_loop(base, session, seconds, seed, results, lock) -> None:
    rng = random.Random(seed)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kind, path = pick(rng)
        start = time.perf_counter()
        try:
            status = session.get(base + path, timeout=30).status_code
        except requests.RequestException as error:
            status = f"{type(error).__name__}"
        elapsed_ms = (time.perf_counter() - start) * 1000
        with lock:
            results[kind].append((elapsed_ms, status))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers)
    try:
        sessions = [login(base, USERS[i % len(USERS)]) for i in range(args.users)]
        results: dict[str, list] = defaultdict(list)
        lock = threading.Lock()
        threads = [
            threading.Thread(target=user_loop, args=(base, session, args.seconds, i, results, lock))
            for i, session in enumerate(sessions)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        for session in sessions:
            session.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    failures = 0
    print(f"{args.users} users, {wall:.0f} s, gunicorn {args.workers} workers x 4 threads")
    print(f"{'kind':<10} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, rows in sorted(results.items()):
        times = [ms for ms, _status in rows]
        errors = [s for _ms, s in rows if s not in (200, 304)]
        failures += len(errors)
        print(
            f"{kind:<10} {len(rows):>8} {len(errors):>6} {statistics.median(times):>8.1f} "
            f"{percentile(times, 0.95):>8.1f} {max(times):>8.1f}"
        )
        if errors:
            print(f"  failed with: {sorted(set(map(str, errors)))}")
    total = sum(len(rows) for rows in results.values())
    print(f"total {total} requests, {total / wall:.1f} per second, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
