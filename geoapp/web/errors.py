"""A database that is gone for a moment (restart, failover) answers 503 with Retry-After, not a 500.

Any request that fails because the connection broke (OperationalError, InterfaceError) gets a
short Thai and English page saying the database is unavailable and to try again; the broken
connection is closed at the end of the request (Django closes connections that had errors and
no longer answer; CONN_HEALTH_CHECKS tests a reused one first), so the next request connects
afresh and the app serves again without a restart.
"""

from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.db import connection
from django.db.utils import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER_S = 30
_FLAG = "_mueang_database_unavailable"
logger = logging.getLogger("geoapp.errors")


def database_unavailable_error(error: BaseException | None) -> bool:
    """Whether the error, or one it was raised from, says the database connection failed."""
    driver = getattr(connection, "Database", None)
    kinds: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
    if driver is not None:
        kinds += (driver.OperationalError, driver.InterfaceError)
    # Timeouts, cancelled statements and deadlocks are OperationalErrors of a working server.
    busy = tuple(
        getattr(driver.extensions, name)
        for name in ("QueryCanceledError", "TransactionRollbackError")
        if driver is not None and hasattr(getattr(driver, "extensions", None), name)
    )
    seen = 0
    while error is not None and seen < 10:
        if busy and isinstance(error, busy):
            return False
        if isinstance(error, kinds):
            # Django's OperationalError wraps the driver's: a timeout is not a lost server.
            return not (busy and isinstance(error.__cause__, busy))
        # `raise ... from None` says the earlier error is not the cause: do not follow it.
        following = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
        error, seen = following, seen + 1
    return False


@receiver(got_request_exception)
def _remember_database_error(sender, request=None, **kwargs) -> None:
    if request is not None and database_unavailable_error(sys.exc_info()[1]):
        setattr(request, _FLAG, True)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 page (Thai and English) with Retry-After; JSON under /api/ like every API error."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "code": "DatabaseUnavailable",
                "description": "The database is temporarily unavailable; try again later.",
            },
            status=503,
        )
    else:
        # Rendered without the request's context processors: nothing here may touch the database.
        body = render_to_string(
            "geoapp/database_unavailable.html", {"retry_after_s": RETRY_AFTER_S}
        )
        response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turn the 500 of a request that lost its database connection into a 503 page.

    Django turns an exception anywhere inside (view, session or tenant middleware, the commit at
    the end of the request's transaction) into a 500 and signals it; the signal marks the request
    and this middleware, outside all of those, answers 503 instead, with DEBUG on or off.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 500 and getattr(request, _FLAG, False):
            logger.warning("database unavailable during %s %s", request.method, request.path)
            return database_unavailable_response(request)
        return response
