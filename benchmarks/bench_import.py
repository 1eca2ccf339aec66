"""Import benchmark (issue 3): `import_layer` of a GeoPackage of 1,000,000 road segments against
`ogr2ogr -f PostgreSQL` of the same file, in the same run.

import.gpkg   The file: a street grid of two-vertex segments (``import.SEGMENTS``, scaled by
              ``MUEANG_BENCH_SCALE``) near Nakhon Ratchasima with an id, a Thai name, a highway
              class and lanes, generated once and cached in ``<tmp>/mueang-bench/``.
              Candidate: ``manage.py import_layer bench-import roads FILE`` in a child process
              (the command a municipality runs: every row checked, one transaction, row-level
              security) into the dataset ``bench-import-roads`` of the generated municipality
              ``bench-import``, whose boundary is the grid's box. Baseline: ``ogr2ogr -f
              PostgreSQL`` of the same file into a scratch table ``bench_import_ogr2ogr`` of the
              same database (``-overwrite``, GDAL's defaults: COPY, GiST index). Rows:
              ``import.seconds`` (wall time of each child), ``import.cpu_ms`` (CPU time,
              user + system, of the child and of its PostgreSQL backend together: the ratio
              that stays meaningful on a loaded machine), ``import.db_cpu_ms`` (the
              backend's share) and ``import.peak_rss_mb`` (the child's peak resident memory,
              VmHWM polled every 20 ms, or with the reader it forks, their summed PSS if
              higher). Goal: ratio <= 1.5, peak < 1 GB.
              The child's CPU time is its rusage; the backend is found in pg_stat_activity by
              the child's application_name (``PGAPPNAME``) and its CPU time read from
              /proc/<pid>/stat while the child runs (the database must run on this machine;
              otherwise the database rows are left out).
              The imported rows are deleted (and the table vacuumed) before each candidate run
              and at the end, and the scratch table dropped, outside the timings.
              What the candidate's database pays and the baseline's does not: binary COPY
              into a staging table (COPY into a table with row-level security is refused),
              then per row the casts from text, the policy check and three more indexes than
              the scratch table (dataset, the (municipality, id) paging index, the partial
              unique source id; both have the key and a GiST index, which GDAL creates before
              its COPY, so both pay for it row by row); per statement (50,000 rows,
              ``ImportLimits.write_rows``) the key checks (layers/0012) and the history entry
              (layers/0013). Those statement triggers read the rows from a transition table,
              which PostgreSQL fills row by row: about 1.2 s per million rows, measured with a
              trigger that does nothing, and as much as the two extra btree indexes.
              ``import.db_cpu_ms`` shows the database's share on its own. The candidate reads,
              checks and encodes in a forked process, so its wall time is the database's
              time plus Django's start-up (~1 s) and the first batch.

At full size one run takes minutes: the benchmark measures min(--repeat, 3) runs after its
warm-up run.
"""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.registry import Row, benchmark, elapsed_ms, sample

ROOT = Path(__file__).resolve().parent.parent
SEGMENTS = 1_000_000
SIDE_M = 30_000.0
LON0, LAT0 = 102.00, 14.90  # south-west corner, near Nakhon Ratchasima (no other bench town)
CODE = "bench-import"
TREE_POLL_EVERY = 10  # polls of 20 ms between two readings of a process tree's PSS
DATASET = "bench-import-roads"
SCRATCH_TABLE = "bench_import_ogr2ogr"
MAX_RUNS = 3
CLASSES = np.array(["residential", "tertiary", "secondary", "service", "primary_link"])
NAMES = np.array(["ถนนราชดำเนิน", "ซอยพัฒนาการ 3", "ถนนมิตรภาพ", "", "ซอยสุขสันต์"])


def progress(message: str) -> None:
    print(f"  import: {message}", file=sys.stderr, flush=True)


def segment_count() -> int:
    """SEGMENTS times ``MUEANG_BENCH_SCALE``."""
    scale = float(os.environ.get("MUEANG_BENCH_SCALE", "1"))
    if not 0 < scale <= 10:
        raise ValueError(f"MUEANG_BENCH_SCALE must be in (0, 10], got {scale}")
    return max(int(SEGMENTS * scale), 1)


def grid(segments: int) -> tuple[int, float, float]:
    """Nodes per row and node spacing in degrees (lon, lat)."""
    cols = math.ceil(math.sqrt(segments / 2))
    dlat = SIDE_M / 111_320.0 / cols
    dlon = SIDE_M / (111_320.0 * math.cos(math.radians(LAT0 + 0.135))) / cols
    return cols, dlon, dlat


def bbox(segments: int) -> tuple[float, float, float, float]:
    cols, dlon, dlat = grid(segments)
    rows = math.ceil(segments / 2 / cols)
    return LON0 - dlon, LAT0 - dlat, LON0 + (cols + 1) * dlon, LAT0 + (rows + 1) * dlat


def gpkg_path(segments: int) -> Path:
    """The cached GeoPackage of `segments` segments, generated when missing."""
    import pyogrio
    import shapely

    path = Path(tempfile.gettempdir()) / "mueang-bench" / f"roads-{segments}.gpkg"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    progress(f"generating {path} ({segments:,} segments)")
    cols, dlon, dlat = grid(segments)
    i = np.arange(segments, dtype=np.int64)
    vertical = i % 2
    row, col = (i // 2) // cols, (i // 2) % cols
    x0, y0 = LON0 + col * dlon, LAT0 + row * dlat
    x1, y1 = LON0 + (col + 1 - vertical) * dlon, LAT0 + (row + vertical) * dlat
    coords = np.stack([np.stack([x0, y0], axis=1), np.stack([x1, y1], axis=1)], axis=1)
    lines = shapely.linestrings(coords)
    partial = path.with_suffix(".partial.gpkg")
    partial.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        _frame(i, lines), partial, layer="roads", driver="GPKG", promote_to_multi=False
    )
    partial.rename(path)
    return path


def _frame(i: np.ndarray, lines: np.ndarray):
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {
            "id": np.char.add("r", i.astype(str)),
            "name": NAMES[i % len(NAMES)],
            "highway": CLASSES[(i * 7919) % len(CLASSES)],
            "lanes": (i % 4 + 1).astype(np.int32),
        },
        geometry=lines,
        crs="EPSG:4326",
    )


def bench_municipality(segments: int):
    """The municipality ``bench-import`` whose boundary is the grid's box."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from layers.models import Municipality

    municipality, _ = Municipality.objects.update_or_create(
        code=CODE,
        defaults={
            "name_th": "เทศบาลทดสอบการนำเข้า (ข้อมูลสร้างขึ้น)",
            "name_en": "Import benchmark town (generated)",
            "province_th": "นครราชสีมา",
            "province_en": "Nakhon Ratchasima",
            "boundary": MultiPolygon(Polygon.from_bbox(bbox(segments)), srid=4326),
        },
    )
    return municipality


def imported_rows_delete(municipality) -> None:
    """Remove the benchmark's imported roads, then vacuum, so every run starts alike."""
    from django.db import connection

    from layers.tenancy import tenant_scope

    with tenant_scope(municipality_ids=[municipality.pk]), connection.cursor() as cursor:
        cursor.execute("DELETE FROM layers_road WHERE municipality_id = %s", [municipality.pk])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE layers_road")


def _proc_mb(path: str, field: str) -> float | None:
    """A ``field:  N kB`` line of a /proc file, in MB; None once the process has ended."""
    try:
        with open(path, encoding="ascii") as lines:
            for line in lines:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _peak_mb(pid: int) -> float | None:
    """VmHWM (peak resident set since exec) of a running process, in MB."""
    return _proc_mb(f"/proc/{pid}/status", "VmHWM:")


def _descendants(pid: int) -> list[int]:
    """The processes a process has started (a forked reader), and theirs."""
    found = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            found = [int(child) for child in children.read().split()]
    except OSError:
        return []
    return found + [grandchild for child in found for grandchild in _descendants(child)]


def _pss_mb(pid: int) -> float:
    """Proportional set size (shared pages split between their users), in MB; 0 once ended."""
    return _proc_mb(f"/proc/{pid}/smaps_rollup", "Pss:") or 0.0


def _tree_mb(pid: int) -> float:
    """Memory of a process with the processes it started: their proportional set sizes summed.

    A forked reader shares its parent's pages until either writes them; PSS counts each such
    page once in all.
    """
    children = _descendants(pid)
    if not children:
        return 0.0
    return sum(_pss_mb(each) for each in [pid, *children])


@dataclass
class Measured:
    """One child run: wall seconds, peak resident MB, CPU seconds of the child and its backend."""

    seconds: float
    peak_mb: float
    cpu_s: float
    db_cpu_s: float | None  # None when the backend's /proc entry could not be read


def _backend_pids(application_name: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name]
        )
        return [pid for (pid,) in cursor.fetchall()]


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process from /proc/<pid>/stat, in seconds."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run_measured(command: list[str], env: dict[str, str], application_name: str) -> Measured:
    """Run a child to its end and measure it; raises if it fails.

    The peak is the child's VmHWM, polled every 20 ms until it exits (rusage's ru_maxrss would
    count the parent's memory the child had between fork and exec), or while it has processes
    of its own (`import_layer` forks its reader), the largest sum of their PSS seen (polled
    every `TREE_POLL_EVERY` polls), if higher.
    The child's CPU time is the growth of RUSAGE_CHILDREN over the run (its own children's
    too, once waited for; it is the only child started meanwhile). Its
    backends are the sessions named `application_name`; their CPU time is the last value read
    before they ended (at most one 20 ms poll is lost).
    """
    env = {**env, "PGAPPNAME": application_name}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    backends: dict[int, float | None] = {}
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        peak, polls = 0.0, 0
        while process.poll() is None:
            peak = max(peak, _peak_mb(process.pid) or 0.0)
            if polls % TREE_POLL_EVERY == 0:  # reading PSS walks page tables: not every poll
                peak = max(peak, _tree_mb(process.pid))
            polls += 1
            for pid in _backend_pids(application_name):
                backends.setdefault(pid, None)
            for pid in backends:
                seconds = _cpu_seconds(pid)
                if seconds is not None:
                    backends[pid] = seconds
            time.sleep(0.02)
        seconds = elapsed_ms(start) / 1000.0
        if process.returncode:
            errors.seek(0)
            raise RuntimeError(
                f"{' '.join(command[:5])} failed ({process.returncode}):\n"
                + errors.read().decode(errors="replace")[-3000:]
            )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    readable = [value for value in backends.values() if value is not None]
    db_cpu = sum(readable) if readable and len(readable) == len(backends) else None
    return Measured(seconds, peak, cpu, db_cpu)


def pg_connection() -> tuple[str, dict[str, str]]:
    """GDAL's PG: connection string for the configured database, the password in the env."""
    from django.db import connection

    settings = connection.settings_dict
    parts = [f"dbname={settings['NAME']}"]
    if settings.get("HOST"):
        parts.append(f"host={settings['HOST']}")
    if settings.get("PORT"):
        parts.append(f"port={settings['PORT']}")
    if settings.get("USER"):
        parts.append(f"user={settings['USER']}")
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return "PG:" + " ".join(parts), env


def scratch_drop() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")


@benchmark("import.gpkg")
def import_gpkg(repeat: int) -> list[Row]:
    """import_layer of a 1M-segment GeoPackage against ogr2ogr -f PostgreSQL of it."""
    segments = segment_count()
    path = gpkg_path(segments)
    municipality = bench_municipality(segments)
    pg, pg_env = pg_connection()
    candidate = [
        sys.executable, "manage.py", "import_layer", CODE, "roads", str(path),
        "--dataset", DATASET, "--title", "Benchmark roads (generated)",
    ]  # fmt: skip
    baseline = [
        "ogr2ogr", "-f", "PostgreSQL", pg, str(path), "roads", "-nln", SCRATCH_TABLE,
        "-overwrite", "-lco", "GEOMETRY_NAME=geom",
    ]  # fmt: skip
    child_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geoapp.settings.local"}

    def run() -> tuple[float, ...]:
        imported_rows_delete(municipality)
        progress(f"import_layer of {segments:,} segments")
        mine = _run_measured(candidate, child_env, "mueang-bench-import")
        progress(f"  {_described(mine)}; ogr2ogr")
        theirs = _run_measured(baseline, pg_env, "mueang-bench-ogr2ogr")
        progress(f"  ogr2ogr {_described(theirs)}")
        db = (theirs.db_cpu_s, mine.db_cpu_s)
        with_db = None not in db
        return (
            theirs.seconds,
            mine.seconds,
            theirs.cpu_s + (theirs.db_cpu_s or 0.0),
            mine.cpu_s + (mine.db_cpu_s or 0.0),
            db[0] if with_db else math.nan,
            db[1] if with_db else math.nan,
            theirs.peak_mb,
            mine.peak_mb,
        )

    try:
        values = sample(run, max(1, min(repeat, MAX_RUNS)))
    finally:
        imported_rows_delete(municipality)
        scratch_drop()
    ogr_s, import_s, ogr_cpu, import_cpu, ogr_db, import_db, ogr_mb, import_mb = values
    cpu_measures = "CPU time (user+sys) of the child and its PostgreSQL backend"
    rows = [
        Row(
            "import.seconds",
            f"import_layer {segments:,} segments (GPKG) vs ogr2ogr -f PostgreSQL",
            ogr_s * 1000.0,
            import_s * 1000.0,
            "ms",
        ),
        Row(
            "import.cpu_ms",
            cpu_measures if not math.isnan(ogr_db) else "CPU time (user+sys) of the child",
            ogr_cpu * 1000.0,
            import_cpu * 1000.0,
            "ms",
        ),
    ]
    if not (math.isnan(ogr_db) or math.isnan(import_db)):
        rows.append(
            Row(
                "import.db_cpu_ms",
                "CPU time of the PostgreSQL backend alone",
                ogr_db * 1000.0,
                import_db * 1000.0,
                "ms",
            )
        )
    rows.append(
        Row(
            "import.peak_rss_mb",
            "peak resident memory of the child: import_layer vs ogr2ogr",
            ogr_mb,
            import_mb,
            "MB",
        )
    )
    return rows


def _described(measured: Measured) -> str:
    db = "?" if measured.db_cpu_s is None else f"{measured.db_cpu_s:.1f}"
    return (
        f"{measured.seconds:.1f} s wall, CPU {measured.cpu_s:.1f} s + database {db} s, "
        f"peak {measured.peak_mb:.0f} MB"
    )
