"""The map's edit endpoints: one feature of roads, landmarks or buildings at a time (JSON).

They follow OGC API - Features Part 4 (Create, Replace, Update and Delete): POST to the items
creates, PUT replaces, PATCH updates, DELETE deletes, each change naming the version it edits
with `If-Match` (a stale tag gets 412, a missing one 428). They live under the municipality's
map, for the page's session with its CSRF token, and need `EDIT_INFRASTRUCTURE` for every
method (the features for editing carry tags the read API does not). Writes go through
`layers.editing.services`, which checks geometry and attributes and records the history.
"""

from __future__ import annotations

import json
import math

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from geoapp.web import permissions
from geoapp.web.inputs import InputError, number_input, query_text
from geoapp.web.permissions import Action
from layers.editing.selectors import (
    EDITABLE_LAYERS,
    editable_feature,
    editable_features,
    feature_last_entry,
)
from layers.editing.services import (
    EditRefused,
    feature_create,
    feature_delete,
    feature_edit_undo,
    feature_update,
)
from layers.models import Dataset, Municipality
from layers.registry import Layer

#: The largest request body an edit may send (a footprint or a long road is a few kilobytes).
MAX_BODY_BYTES = 512 * 1024
#: The widest box of features sent for editing, in degrees (about 5.5 km at the equator).
MAX_BOX_DEGREES = 0.05
#: Ids are bigints: a larger number names no feature (and would be refused by PostgreSQL).
MAX_FEATURE_ID = 2**63 - 1
BBOX_MESSAGE = gettext_lazy("bbox: send west,south,east,north in degrees.")


def _editing(
    request: HttpRequest, code: str, layer_name: str, feature_id: int = 0
) -> tuple[Municipality, Layer]:
    """The municipality (its editors only) and the layer; 404 for a layer or id that is none."""
    municipality = permissions.municipality_requiring(
        request.user, code, Action.EDIT_INFRASTRUCTURE
    )
    layer = EDITABLE_LAYERS.get(layer_name)
    if layer is None or feature_id > MAX_FEATURE_ID:
        raise Http404("No such editable layer or feature")
    return municipality, layer


def _properties(body: dict) -> object:
    """The Feature's properties; absent or null is none (a change of geometry only)."""
    properties = body.get("properties")
    return {} if properties is None else properties


def _refused(error: EditRefused | InputError, status: int = 400) -> JsonResponse:
    if isinstance(error, InputError):
        body = {"code": "input", "description": error.text(), "english": error.text("en")}
    else:
        thai_first = translation.get_language() != "en"
        body = {
            "code": error.code,
            "description": error.thai if thai_first else error.english,
            "english": error.english,
        }
        status = error.status
    return JsonResponse(body, status=status)


def _body(request: HttpRequest) -> dict:
    """The JSON object sent, refusing what is too large, not JSON, or holds NaN/Infinity."""
    if len(request.body) > MAX_BODY_BYTES:  # Django refuses far larger bodies before this
        raise EditRefused("ข้อมูลที่ส่งมาใหญ่เกินไป", "the request is too large", code="too_large")

    def no_constants(name: str):
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        body = json.loads(request.body, parse_constant=no_constants)
    except (ValueError, UnicodeDecodeError):
        raise EditRefused(
            "ข้อมูลที่ส่งมาไม่ใช่ JSON ที่ถูกต้อง", "the body is not valid JSON", code="json"
        ) from None
    if not isinstance(body, dict):
        raise EditRefused(
            "ต้องส่งเป็นออบเจกต์ Feature ของ GeoJSON", "send a GeoJSON Feature", code="json"
        )
    return body


def _history_url(municipality: Municipality, feature: dict | None, feature_id: int) -> str:
    dataset_id = (feature or {}).get("properties", {}).get("dataset_id")
    slug = Dataset.objects.filter(pk=dataset_id).values_list("slug", flat=True).first()
    if slug is None:
        return ""
    kwargs = {"code": municipality.code, "slug": slug, "feature_id": feature_id}
    return reverse("catalogue-feature-history", kwargs=kwargs)


def _answer(
    municipality: Municipality, layer: Layer, feature_id: int, status: int = 200
) -> JsonResponse:
    """The feature as it is now (None once deleted), its tag, and the change an undo takes back."""
    feature = editable_feature(municipality=municipality, layer=layer, feature_id=feature_id)
    etag = feature["etag"] if feature else None
    response = JsonResponse(
        {
            "id": feature_id,
            "feature": feature,
            "etag": etag,
            "last_entry": feature_last_entry(
                municipality=municipality, layer=layer, feature_id=feature_id
            ),
            "history_url": _history_url(municipality, feature, feature_id),
        },
        status=status,
    )
    if etag:
        response["ETag"] = etag
    return response


def _bbox(request: HttpRequest) -> tuple[float, float, float, float]:
    text = query_text(request.GET, "bbox") or ""
    parts = text.split(",")
    if len(parts) != 4:
        raise InputError("bbox", BBOX_MESSAGE)
    west, south, east, north = (
        number_input(part, "bbox", default=math.nan, low=-180.0, high=180.0, message=BBOX_MESSAGE)
        for part in parts
    )
    if not (west < east and south < north) or max(east - west, north - south) > MAX_BOX_DEGREES:
        raise InputError("bbox", gettext_lazy("Zoom in: the box is empty or too large to edit."))
    return west, south, east, north


@login_required
@require_http_methods(["GET", "POST"])
def edit_items(request: HttpRequest, code: str, layer: str) -> HttpResponse:
    """GET: the layer's features in `bbox`, with tags; POST: create one (a GeoJSON Feature)."""
    municipality, found = _editing(request, code, layer)
    try:
        if request.method == "GET":
            features = editable_features(
                municipality=municipality, layer=found, bbox=_bbox(request)
            )
            return JsonResponse({**features.collection, "truncated": features.truncated})
        body = _body(request)
        feature_id = feature_create(
            municipality=municipality,
            layer=found,
            geometry=body.get("geometry"),
            properties=_properties(body),
            user=request.user,
            dataset_slug=query_text(request.GET, "dataset"),
        )
    except (EditRefused, InputError) as refused:
        return _refused(refused)
    response = _answer(municipality, found, feature_id, status=201)
    response["Location"] = reverse(
        "map-edit-item", kwargs={"code": code, "layer": layer, "feature_id": feature_id}
    )
    return response


@login_required
@require_http_methods(["GET", "PUT", "PATCH", "DELETE"])
def edit_item(request: HttpRequest, code: str, layer: str, feature_id: int) -> HttpResponse:
    """One feature: GET it with its tag; PUT replaces, PATCH updates, DELETE deletes it."""
    municipality, found = _editing(request, code, layer, feature_id)
    if_match = request.headers.get("If-Match")
    try:
        if request.method == "GET":
            if editable_feature(municipality=municipality, layer=found, feature_id=feature_id):
                return _answer(municipality, found, feature_id)
            raise Http404("No such feature")
        if request.method == "DELETE":
            feature_delete(
                municipality=municipality,
                layer=found,
                feature_id=feature_id,
                user=request.user,
                if_match=if_match,
            )
        else:
            body = _body(request)
            feature_update(
                municipality=municipality,
                layer=found,
                feature_id=feature_id,
                geometry=body.get("geometry"),
                properties=_properties(body),
                user=request.user,
                if_match=if_match,
                replace=request.method == "PUT",
            )
    except EditRefused as refused:
        return _refused(refused)
    return _answer(municipality, found, feature_id)


@login_required
@require_http_methods(["GET", "POST"])
def edit_undo(request: HttpRequest, code: str, layer: str, feature_id: int) -> HttpResponse:
    """GET: the change an undo would take back; POST `{"last": entry}`: take it back."""
    municipality, found = _editing(request, code, layer, feature_id)
    if request.method == "GET":
        if feature_last_entry(municipality=municipality, layer=found, feature_id=feature_id):
            return _answer(municipality, found, feature_id)
        raise Http404("No such feature")
    try:
        last = _body(request).get("last")
        if not isinstance(last, int) or isinstance(last, bool):
            raise EditRefused(
                "ต้องระบุการเปลี่ยนแปลงที่จะเลิกทำ (last)",
                "say which change to undo (last)",
                code="last",
            )
        feature_edit_undo(
            municipality=municipality,
            layer=found,
            feature_id=feature_id,
            user=request.user,
            expected_last=last,
        )
    except EditRefused as refused:
        return _refused(refused)
    return _answer(municipality, found, feature_id)
