"""The sync API of the phone app, under /m/<code>/field/api/ (session login and CSRF token).

Every write carries an `Idempotency-Key` header: the answer is kept under it, and a replay of the
same request gets the same answer and changes nothing (`layers.field.sync`). Answers are JSON.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from geoapp.web.permissions import Action, can, municipality_requiring
from geoapp.web.photos import PhotoRejected, photo_clean
from layers.field import sync
from layers.field.assignments import field_bootstrap, field_scope
from layers.models import Municipality

KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{8,100}")
#: A phone-resized photo is about 0.5 MB; anything above this was not resized by the app.
PHOTO_MAX_BYTES = 2 * 1024 * 1024
#: JSON bodies of one record are a few kilobytes.
RECORD_MAX_BYTES = 256 * 1024
HELD_MAX = 500


def _json(status: int, body: dict, **headers: str) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def _refuse(status: int, message: str) -> JsonResponse:
    return _json(status, {"status": "refused", "errors": {"request": [message]}})


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _body_json(request: HttpRequest):
    """The request's JSON; NaN and Infinity (which Python would accept) are refused."""
    return json.loads(request.body.decode("utf-8"), parse_constant=_no_constant)


def _idempotent(
    request: HttpRequest,
    municipality: Municipality,
    endpoint: str,
    handle: Callable[[], sync.SyncResult],
) -> JsonResponse:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not KEY_PATTERN.fullmatch(key):
        return _refuse(400, _("Every request needs an Idempotency-Key header."))
    digest = sync.body_digest(request.body)
    held = sync.receipt_find(municipality=municipality, user_id=request.user.pk, key=key)
    if held is not None:
        if held.body_digest != digest or held.endpoint != endpoint:
            return _refuse(422, _("This Idempotency-Key was used for another request."))
        return _json(held.status, held.response, **{"Idempotent-Replayed": "true"})
    result = handle()
    if not result.keep:
        return _json(result.status, result.body)
    sync.receipt_store(
        municipality=municipality,
        user_id=request.user.pk,
        key=key,
        endpoint=endpoint,
        digest=digest,
        result=result,
    )
    return _json(result.status, result.body)


def _scope(request: HttpRequest, municipality: Municipality):
    return field_scope(
        municipality=municipality,
        user_id=request.user.pk,
        supervisor=can(request.user, municipality, Action.FIELD_SUPERVISE),
    )


def _record_endpoint(request: HttpRequest, code: str, endpoint: str, write) -> JsonResponse:
    municipality = municipality_requiring(request.user, code, Action.FIELD_RECORD)
    if request.method == "GET":
        return _json(200, {"endpoint": endpoint, "method": "POST"})
    if int(request.META.get("CONTENT_LENGTH") or 0) > RECORD_MAX_BYTES:
        return _refuse(413, _("A record is at most 256 KB."))

    def handle() -> sync.SyncResult:
        try:
            data = _body_json(request)
        except (UnicodeDecodeError, ValueError):
            return sync.SyncResult(
                400, {"status": "refused", "errors": {"request": [_("This is not JSON.")]}}
            )
        scope = _scope(request, municipality)
        return write(municipality=municipality, user=request.user, scope=scope, data=data)

    return _idempotent(request, municipality, endpoint, handle)


@never_cache
@login_required
def bootstrap(request: HttpRequest, code: str) -> JsonResponse:
    """Everything the phone keeps for offline work, and a fresh CSRF token for its uploads."""
    municipality = municipality_requiring(request.user, code, Action.FIELD_RECORD)
    body = field_bootstrap(municipality=municipality, user_id=request.user.pk)
    body["csrf_token"] = get_token(request)
    body["username"] = request.user.get_username()
    return _json(200, body)


@login_required
@require_http_methods(["GET", "POST"])
def surveys(request: HttpRequest, code: str) -> JsonResponse:
    """POST one house survey with its container rows (GET describes the endpoint)."""
    return _record_endpoint(request, code, "surveys", sync.survey_sync)


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request: HttpRequest, code: str) -> JsonResponse:
    """POST one spray round with the paper report's fields (GET describes the endpoint)."""
    return _record_endpoint(request, code, "rounds", sync.spray_round_sync)


@never_cache
@login_required
def held(request: HttpRequest, code: str) -> JsonResponse:
    """Which of the client ids in `?uuid=` (repeated or comma-separated) the server holds."""
    municipality = municipality_requiring(request.user, code, Action.FIELD_RECORD)
    raw = [part for value in request.GET.getlist("uuid") for part in value.split(",") if part]
    if len(raw) > HELD_MAX:
        return _refuse(400, _("Ask for at most 500 ids at once."))
    try:
        uuids = [uuid.UUID(value) for value in raw]
    except ValueError:
        return _refuse(400, _("Not a record id made by the app."))
    return _json(200, {"held": sync.records_held(municipality=municipality, uuids=uuids)})


@login_required
@require_http_methods(["GET", "PUT"])
def photo(request: HttpRequest, code: str, photo_uuid: uuid.UUID) -> JsonResponse:
    """PUT a whole (phone-resized) photo of a survey under its client id; GET: is it held.

    A dropped upload is sent again whole: each photo is about half a megabyte, so resuming
    per file costs at most one photo and needs no partial state on the server (decision 0019).
    """
    municipality = municipality_requiring(request.user, code, Action.FIELD_RECORD)
    if request.method == "GET":
        held_ids = sync.records_held(municipality=municipality, uuids=[photo_uuid])
        return _json(200, {"client_uuid": str(photo_uuid), "held": str(photo_uuid) in held_ids})
    if int(request.META.get("CONTENT_LENGTH") or 0) > PHOTO_MAX_BYTES:
        return _refuse(413, _("A photo sent by the app is at most 2 MB: resize it first."))
    if len(request.body) > PHOTO_MAX_BYTES:
        return _refuse(413, _("A photo sent by the app is at most 2 MB: resize it first."))
    try:
        survey_uuid = uuid.UUID(request.GET.get("survey", ""))
    except ValueError:
        return _refuse(400, _("Say which survey the photo belongs to."))

    def handle() -> sync.SyncResult:
        try:
            clean = photo_clean(request.body)
        except PhotoRejected as error:
            return sync.SyncResult(400, {"status": "refused", "errors": {"photo": [str(error)]}})
        return sync.survey_photo_store(
            municipality=municipality,
            user=request.user,
            scope=_scope(request, municipality),
            photo_uuid=photo_uuid,
            survey_uuid=survey_uuid,
            jpeg=clean.jpeg,
            width=clean.width,
            height=clean.height,
            received_bytes=len(request.body),
        )

    return _idempotent(request, municipality, "photos", handle)
