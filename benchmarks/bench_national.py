"""National batch benchmark (issue 23): the spray plan for every municipality, Dask against a loop.

national.spray_plan  A synthetic nation (`fixtures.nation`, seed 2569) at
                     ``MUEANG_BENCH_NATIONAL_SCALE`` (default 0.05: 385 units, 1,000,000
                     buildings, about 5,000 cases) written once as a GeoParquet snapshot; then
                     `national_batch spray-plan` from the snapshot (read, spray zones, buildings
                     inside, GeoParquet out) as the single-process loop (baseline) and on a
                     2-worker LocalCluster (candidate, the cluster started before the clock).
                     Every output file must be identical. Goal (issue 23): ratio <= 0.8.
                     Row national.snapshot_s: the snapshot written (baseline) and read back
                     (candidate), for scale.
national.scaling_N   From the per-municipality times of the Dask runs, the makespan of N = 8,
                     32, 128 workers (longest task first to the least loaded worker) against the
                     ideal (total / N): ratio = 1 / efficiency. Goal: efficiency >= 0.8 at 32
                     workers. One task per municipality, so the largest municipality bounds it.
                     Only the tasks' own time (read, compute, write) is simulated: scheduler
                     overhead per task (about 1 ms) is not.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
from geopandas.testing import assert_geodataframe_equal

from benchmarks.registry import Row, benchmark

SEED = 2569
SIMULATED_WORKERS = (8, 32, 128)


def national_scale() -> float:
    """``MUEANG_BENCH_NATIONAL_SCALE`` (default 0.05; 1.0 is the full nation)."""
    value = float(os.environ.get("MUEANG_BENCH_NATIONAL_SCALE", "0.05"))
    if not 0 < value <= 1:
        raise ValueError(f"MUEANG_BENCH_NATIONAL_SCALE must be in (0, 1], got {value}")
    return value


def _same(first: Path, second: Path) -> None:
    names = sorted(p.name for p in first.iterdir())
    if names != sorted(p.name for p in second.iterdir()):
        raise AssertionError("the two runs wrote different files")
    for name in names:
        assert_geodataframe_equal(
            gpd.read_parquet(first / name),
            gpd.read_parquet(second / name),
            check_less_precise=False,
        )


@benchmark("national")
def national(repeat: int) -> list[Row]:
    from distributed import Client, LocalCluster

    from analysis.national import SnapshotSource, run_national, simulated_efficiency
    from fixtures.nation import nation_snapshot_write

    scale = national_scale()
    runs = max(1, min(repeat, 3))  # minutes per run at larger scales
    with tempfile.TemporaryDirectory(prefix="mueang-national-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        units = nation_snapshot_write(root / "snapshot", scale=scale, seed=SEED)
        write_s = time.perf_counter() - start
        source = SnapshotSource(root / "snapshot")
        start = time.perf_counter()
        for unit in units:
            source.load(unit, ("cases", "buildings"))
        read_s = time.perf_counter() - start
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        loop_s, dask_s, task_s = [], [], []
        with Client(cluster) as client:
            for k in range(runs + 1):  # the first pair warms up
                loop = run_national("spray-plan", units, out_dir=root / f"loop{k}", source=source)
                on_dask = run_national(
                    "spray-plan", units, out_dir=root / f"dask{k}", source=source, client=client
                )
                _same(root / f"loop{k}", root / f"dask{k}")
                if k:
                    loop_s.append(loop.wall_s)
                    dask_s.append(on_dask.wall_s)
                    task_s.append(on_dask.task_s)
        cluster.close()
    cases = sum(u.cases_per_year for u in units)
    buildings = sum(u.weight for u in units)
    rows = [
        Row(
            "national.spray_plan",
            f"{len(units)} municipalities, {buildings:,} buildings, ~{cases:,.0f} cases "
            f"(scale {scale}): loop vs Dask 2 workers",
            statistics.median(loop_s),
            statistics.median(dask_s),
            "s",
        ),
        Row("national.snapshot_s", "snapshot written vs read", write_s, read_s, "s"),
    ]
    times = list(task_s[-1].values())
    for workers in SIMULATED_WORKERS:
        efficiency = simulated_efficiency(times, workers)
        ideal = sum(times) / workers
        rows.append(
            Row(
                f"national.scaling_{workers}",
                f"simulated makespan vs ideal, {workers} workers (efficiency {efficiency:.2f})",
                ideal,
                ideal / efficiency,
                "s",
            )
        )
    return rows
