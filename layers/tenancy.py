"""The database half of tenant isolation: which municipalities this transaction may touch.

Every table that carries `municipality_id` has PostgreSQL row-level security, forced even for the
table owner (migration `0002_row_level_security`). Its policies compare `municipality_id` with
the transaction-local setting `mueang.tenants` (a comma-separated list of municipality ids), so a
query that forgot its filter still sees only the current tenants, and a query run with no tenant
set sees no tenant rows at all. The application sets the scope per request
(`geoapp.middleware.TenantMiddleware`) and per command (`tenant_scope`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

TENANTS_SETTING = "mueang.tenants"
USER_SETTING = "mueang.user_id"


def _current() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting(%s, true), ''), "
            "coalesce(current_setting(%s, true), '')",
            [TENANTS_SETTING, USER_SETTING],
        )
        return cursor.fetchone()


def _set(tenants: str, user: str) -> None:
    with connection.cursor() as cursor:
        # is_local = true: the values end with the transaction, never leak to the next request.
        cursor.execute(
            "SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
            [TENANTS_SETTING, tenants, USER_SETTING, user],
        )


def tenant_scope_set(*, municipality_ids: Iterable[int], user_id: int | None = None) -> None:
    """Set the scope for the rest of the current transaction (call inside `atomic`)."""
    if not connection.in_atomic_block:
        raise RuntimeError("tenant_scope_set needs a transaction: SET LOCAL ends with it")
    _set(",".join(str(int(pk)) for pk in sorted(set(municipality_ids))), str(user_id or ""))


@contextmanager
def tenant_scope(*, municipality_ids: Iterable[int], user_id: int | None = None) -> Iterator[None]:
    """Run the block in a transaction that may touch only the given municipalities' rows."""
    with transaction.atomic():
        previous = _current()
        tenant_scope_set(municipality_ids=municipality_ids, user_id=user_id)
        try:
            yield
        finally:
            if connection.in_atomic_block and not connection.needs_rollback:
                _set(*previous)


def all_municipality_ids() -> list[int]:
    """Every municipality (the municipality table itself is not tenant-scoped)."""
    from layers.models import Municipality

    return list(Municipality.objects.values_list("id", flat=True))


@contextmanager
def all_tenants_scope() -> Iterator[None]:
    """Scope for platform tasks (demo loading, platform superusers): every municipality."""
    with tenant_scope(municipality_ids=all_municipality_ids()):
        yield
