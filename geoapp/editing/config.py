"""What the map's edit tools need from the page: endpoints, editable fields, translated texts."""

from __future__ import annotations

import json

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext as _

from geoapp.web import permissions
from geoapp.web.permissions import Action
from layers.editing.selectors import EDIT_FIELDS, EDITABLE_LAYERS
from layers.models import Municipality
from layers.registry import Layer

#: The edit tools load features from this zoom on (a few streets across).
EDIT_MIN_ZOOM = 16


def _field(layer: Layer, name: str) -> dict[str, object]:
    field = layer.model._meta.get_field(name)
    described: dict[str, object] = {"name": name, "label": str(field.verbose_name)}
    if field.choices:
        described["choices"] = [[value, str(label)] for value, label in field.choices]
        described["default"] = field.get_default()
    elif field.get_internal_type() in ("PositiveSmallIntegerField", "PositiveIntegerField"):
        described["kind"] = "number"
    else:
        described["max_length"] = field.max_length
    return described


def _labels() -> dict[str, str]:
    return {
        "edit": _("Edit the map"),
        "stop": _("Stop editing"),
        "layer": _("Layer to edit"),
        "zoom_in": _("Zoom in to edit features."),
        "loading": _("Loading the features in view…"),
        "pick": _("Click a feature to edit it, or draw a new one with the tools on the left."),
        "truncated": _("Only the features nearest the centre are shown: zoom in to edit others."),
        "new_feature": _("New feature"),
        "save": _("Save"),
        "saving": _("Saving…"),
        "cancel": _("Cancel"),
        "delete": _("Delete"),
        "confirm_delete": _("Confirm: delete"),
        "saved": _("Saved."),
        "deleted": _("Deleted."),
        "undo": _("Undo"),
        "undone": _("Undone: the previous version is back."),
        "history": _("History"),
        "failed": _("Not saved:"),
        "unreadable": _("The server's answer could not be read."),
    }


def map_edit_config(request: HttpRequest, municipality: Municipality) -> str:
    """The edit tools' settings as JSON for an editor of the infrastructure, else "".

    The page puts it in a data attribute (escaped there), not a script element: only scripts
    that carry the request's nonce may exist on a page.
    """
    if not permissions.can(request.user, municipality, Action.EDIT_INFRASTRUCTURE):
        return ""
    layers = {}
    for name, layer in EDITABLE_LAYERS.items():
        items = reverse("map-edit-items", kwargs={"code": municipality.code, "layer": name})
        layers[name] = {
            "label": str(layer.label),
            "geometry": layer.geometry,
            "items_url": items,
            "fields": [_field(layer, field) for field in EDIT_FIELDS[name]],
        }
    config = {
        "layers": layers,
        "labels": _labels(),
        "min_zoom": EDIT_MIN_ZOOM,
        "csrf_token": get_token(request),
    }
    return json.dumps(config, ensure_ascii=False)
