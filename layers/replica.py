"""Reads on a streaming replica when one is configured, and never a stale or unscoped one.

With `REPLICA_DATABASE_URL` set, the settings add a `replica` database and `ReplicaRouter`.
Reads go there only inside `replica_reads(...)`, which the read-only analysis and API paths
open; everything else (and every write) stays on the primary, so a page that writes and then
reads its own write never reads a replica. Inside the block:

- the replica's own transaction carries the same tenant scope as the caller's (row-level
  security holds there exactly as on the primary: the policies replicate with the schema);
- the block is used only if the replica has replayed everything the primary had written when
  the block opened (its replay LSN is at least the primary's current WAL LSN), so no read is
  older than what the caller could read on the primary: a lagging replica is skipped, not read;
- a replica that does not answer within `connect_timeout` is skipped for `DOWN_S` seconds
  (`replica_down_until`), and the block reads the primary.

`replica_reads` tells which database served it (`"replica"` or `"default"`), for logs and tests.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connections, transaction

from layers.tenancy import TENANTS_SETTING, USER_SETTING

REPLICA = "replica"
#: How long a replica that failed to answer is left alone before it is tried again.
DOWN_S = 30.0
_reading: contextvars.ContextVar[str | None] = contextvars.ContextVar("replica", default=None)
_down_until = 0.0


class ReplicaRouter:
    """Reads inside `replica_reads` go to the replica; all else goes to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        return _reading.get()

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == "default"


def read_connection():
    """The connection raw reads use now: the replica inside `replica_reads`, else the primary.

    The ORM follows `ReplicaRouter`; SQL written by hand asks here which connection to use.
    """
    return connections[_reading.get() or "default"]


def replica_configured() -> bool:
    """Whether the settings name a replica (`REPLICA_DATABASE_URL`)."""
    return REPLICA in connections.settings


def replica_down_until() -> float:
    """The monotonic time until which the replica is skipped (0 when it is not)."""
    return _down_until


@contextmanager
def replica_reads(*, municipality_ids: Iterable[int], user_id: int | None = None) -> Iterator[str]:
    """Run the block's ORM reads on the replica, under this tenant scope, when that is safe.

    Yields the alias that serves the reads. Without a replica, with a replica that is behind
    the primary or not answering, or inside another `replica_reads`, it yields "default" and
    the reads stay where they were.
    """
    if not replica_configured() or _reading.get() is not None or not _replica_current():
        yield "default"
        return
    tenants = ",".join(str(int(pk)) for pk in sorted(set(municipality_ids)))
    with transaction.atomic(using=REPLICA):
        with connections[REPLICA].cursor() as cursor:
            # is_local = true: the scope ends with this transaction, as on the primary.
            cursor.execute(
                "SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
                [TENANTS_SETTING, tenants, USER_SETTING, str(user_id or "")],
            )
        token = _reading.set(REPLICA)
        try:
            yield REPLICA
        finally:
            _reading.reset(token)


def _replica_current() -> bool:
    """Whether the replica answers and has replayed all the primary has written so far."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            (written,) = cursor.fetchone()
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= %s::pg_lsn",
                [written],
            )
            (current,) = cursor.fetchone()
    except DatabaseError:
        _down_until = time.monotonic() + DOWN_S
        connections[REPLICA].close_if_unusable_or_obsolete()
        return False
    return bool(current)
