"""Which failures count as "the database is unavailable" (503) and which stay plain errors."""

from __future__ import annotations

import psycopg2
import psycopg2.extensions
import pytest
from django.db.utils import OperationalError

from geoapp.web.errors import database_unavailable_error


def _django_wrapped(driver_error: Exception) -> Exception:
    """What Django raises for a driver error: its own class, caused by the driver's."""
    try:
        try:
            raise driver_error
        except Exception as inner:
            raise OperationalError(str(inner)) from inner
    except Exception as outer:
        return outer


def test_a_lost_connection_is_unavailable():
    assert database_unavailable_error(_django_wrapped(psycopg2.OperationalError("server closed")))


@pytest.mark.parametrize(
    "busy",
    [
        psycopg2.extensions.QueryCanceledError("canceling statement due to statement timeout"),
        psycopg2.extensions.TransactionRollbackError("deadlock detected"),
    ],
)
def test_timeouts_and_deadlocks_of_a_working_server_are_not(busy):
    assert not database_unavailable_error(_django_wrapped(busy))


def test_an_error_raised_from_none_does_not_inherit_an_earlier_lost_connection():
    def handle() -> None:
        try:
            raise OperationalError("server closed the connection")
        except OperationalError:
            raise ValueError("a bug while handling it") from None

    with pytest.raises(ValueError, match="a bug") as caught:
        handle()

    assert not database_unavailable_error(caught.value)
