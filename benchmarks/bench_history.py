"""Cost of the feature-history triggers (issue 3) on bulk writes to the roads table.

history.insert  ``INSERT INTO layers_road ... SELECT ... FROM generate_series(1, N)`` (N =
                1,000,000 x ``MUEANG_BENCH_SCALE``; short two-vertex segments with Thai names),
                with the history triggers, against the same statement with the history triggers
                disabled (the layer-version trigger stays in both). Each run is its own
                transaction, rolled back, in a scratch municipality created in that transaction,
                so nothing is left behind. The history trigger writes one key-only row per
                insert. Goal: ratio <= 1.5.
history.update  ``UPDATE layers_road SET surface = ...`` over the same N rows (inserted with the
                triggers off first, in the same transaction), with and without the history
                trigger, which keeps each old row (jsonb plus geometry) and the changed columns.

Disabling a trigger takes an exclusive lock on layers_road until the run's rollback: run it
on a quiet database.
"""

from __future__ import annotations

import os
import time

from benchmarks.registry import Row, benchmark, elapsed_ms, sample

ROWS = 1_000_000
HISTORY_TRIGGERS = ("insert", "update", "delete")

INSERT_SQL = """
    INSERT INTO layers_road (municipality_id, source_id, name_th, name_en, road_class, surface,
                             ref, geom, updated_at)
    SELECT %(m)s, '', 'ถนนทดสอบ ' || i, '', 'residential', 'concrete', '',
           ST_Multi(ST_MakeLine(
               ST_MakePoint(100.0 + (i %% 1000) * 0.0004, 14.0 + (i / 1000) * 0.0004),
               ST_MakePoint(100.0003 + (i %% 1000) * 0.0004, 14.0 + (i / 1000) * 0.0004))),
           now()
    FROM generate_series(1, %(n)s) AS i
"""


def _rows() -> int:
    scale = float(os.environ.get("MUEANG_BENCH_SCALE", "1"))
    if not 0 < scale <= 10:
        raise ValueError(f"MUEANG_BENCH_SCALE must be in (0, 10], got {scale}")
    return max(1000, int(ROWS * scale))


def _history_triggers(cursor, enabled: bool) -> None:
    verb = "ENABLE" if enabled else "DISABLE"
    for event in HISTORY_TRIGGERS:
        cursor.execute(f"ALTER TABLE layers_road {verb} TRIGGER layers_road_history_{event}")


def _scratch_municipality(cursor) -> int:
    cursor.execute(
        "INSERT INTO layers_municipality (code, tambon_code, name_th, name_en, province_th, "
        "province_en, boundary, metric_srid, spray_radius_m, spray_round_days, "
        "impassable_depth_m, is_demo) VALUES ('bench-history', '', 'ทดสอบประวัติ', '', '', '', "
        "ST_Multi(ST_MakeEnvelope(100, 14, 100.5, 14.5, 4326)), 32647, 100, '0,7', 0.3, false) "
        "RETURNING id"
    )
    return cursor.fetchone()[0]


def _timed(n: int, *, history: bool, statement: str) -> float:
    """Milliseconds of one statement over n roads, in a transaction that is rolled back."""
    from django.db import connection, transaction

    from layers.tenancy import tenant_scope_set

    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys checked per statement: ALTER TABLE refuses pending (deferred) checks.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        m = _scratch_municipality(cursor)
        tenant_scope_set(municipality_ids=[m])
        if statement == "update":
            _history_triggers(cursor, enabled=False)
            cursor.execute(INSERT_SQL, {"m": m, "n": n})
        _history_triggers(cursor, enabled=history)
        start = time.perf_counter()
        if statement == "insert":
            cursor.execute(INSERT_SQL, {"m": m, "n": n})
        else:
            cursor.execute(
                "UPDATE layers_road SET surface = 'asphalt' WHERE municipality_id = %s", [m]
            )
        assert cursor.rowcount == n
        took = elapsed_ms(start)
        transaction.set_rollback(True)
    return took


@benchmark("history")
def history_triggers(repeat: int) -> list[Row]:
    """Bulk insert and update of N roads with the history triggers against without them."""
    n = _rows()
    rows = []
    for statement in ("insert", "update"):

        def run(statement=statement) -> tuple[float, float]:
            return (
                _timed(n, history=False, statement=statement),
                _timed(n, history=True, statement=statement),
            )

        without, with_history = sample(run, repeat)
        rows.append(
            Row(
                f"history.{statement}",
                f"{statement} {n:,} roads: no history trigger vs with",
                without,
                with_history,
                "ms",
            )
        )
    return rows
