"""Results that cost a second to build, shared by every web worker and the job worker.

Each result is stored under a key that names, always and in this order, what decides it
(decision 0021):

- the **municipality** (its id): a result never answers for another tenant;
- the **role tier**: what the roles that may read the result are allowed to see, e.g. `exact`
  (exact case locations, health roles), `masked` (donut-masked cases), `none` (no case at all),
  `members` (what every member may see); a lower tier never reads a higher tier's entry;
- the **data version**: the layers' versions (`LayerVersion`, bumped by database triggers on
  every change, whichever path wrote it), so a change makes a new key and the next request
  computes afresh: nothing is ever invalidated by hand.

Values live in the "shared" cache (a PostgreSQL table, one per installation) and, once read, in
the process's own memory ("default"), so a warm worker does not fetch and unpickle a large
result from the database on every page. Both copies carry the same key, hence the same
version: the local copy cannot be staler than the shared one.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import caches
from django.db import connection

from layers.models import LayerVersion

T = TypeVar("T")

LOCAL_ALIAS = "default"
SHARED_ALIAS = "shared"
#: A process keeps its copy this long (the key changes with the data anyway).
LOCAL_SECONDS = 600
#: The tiers a key may name (what the reading role may see).
TIERS = ("exact", "masked", "none", "members", "public")


def layer_versions(*, municipality_id: int, layers: Iterable[str]) -> str:
    """The versions of these layers in one municipality, as `layer=version;...` (one query).

    A layer never changed has no row yet and reads as 0. Versions come from a sequence
    (layers migration 0008): a change that rolls back never hands its number to a later one,
    so a result cached inside a rolled-back transaction never answers for later data.
    """
    names = sorted(set(layers))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT layer, version FROM {LayerVersion._meta.db_table} "
            "WHERE municipality_id = %s AND layer = ANY(%s)",
            [municipality_id, names],
        )
        found = dict(cursor.fetchall())
    return ";".join(f"{name}={found.get(name, 0)}" for name in names)


def result_key(
    kind: str, *, municipality_id: int, tier: str, version: str, extra: Iterable[str] = ()
) -> str:
    """The cache key of a result: `mueang:<kind>:m<id>:<tier>:<digest of version and extra>`.

    The municipality and the tier stay readable in the key (the tenancy tests and a person
    reading the table see whose entry it is); the version and the other inputs are hashed to
    keep the key short.
    """
    if tier not in TIERS:
        raise ValueError(f"unknown role tier {tier!r}; one of {TIERS}")
    if not version:
        raise ValueError("a cached result needs the data version it was computed from")
    digest = hashlib.sha256("|".join([version, *extra]).encode()).hexdigest()[:32]
    return f"mueang:{kind}:m{int(municipality_id)}:{tier}:{digest}"


def cached_result(key: str, compute: Callable[[], T], *, timeout: int | None = None) -> T:
    """The value under `key`: from this process, else the shared cache, else `compute()`.

    A computed value is written to both. `timeout` (seconds) bounds the shared copy; the key
    carries the data version, so the bound only frees space. The shared copy is a zlib-compressed
    pickle: a flood assessment pickles to 6 MB, 0.4 MB compressed (level 1: ~30 ms).
    """
    local, shared = caches[LOCAL_ALIAS], caches[SHARED_ALIAS]
    value = local.get(key)
    if value is not None:
        return value
    packed = shared.get(key)
    if isinstance(packed, bytes):  # anything else was written in another format: a miss
        value = pickle.loads(zlib.decompress(packed))
    else:
        value = compute()
        shared.set(key, zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1), timeout)
    local.set(key, value, LOCAL_SECONDS if timeout is None else min(timeout, LOCAL_SECONDS))
    return value
