"""The dashboard settings page: a municipality's administrator chooses and orders the widgets.

Works without JavaScript: every button posts the whole form; up and down move a widget and
save at once, so nothing chosen on the page is lost by moving.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from geoapp.home.dashboard import (
    DEFAULT_STALE_AFTER_DAYS,
    STALE_AFTER_DAYS_MAX,
    dashboard_get,
    dashboard_reset,
    dashboard_save,
)
from geoapp.models import DashboardLayer, DashboardWidget
from geoapp.web import permissions


def _moved(widgets: list[str], move: str) -> list[str]:
    """The widgets with one moved: `move` is "up:<key>" or "down:<key>"."""
    direction, _sep, key = move.partition(":")
    if key not in widgets or direction not in ("up", "down"):
        return widgets
    i = widgets.index(key)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(widgets):
        return widgets
    out = list(widgets)
    out[i], out[j] = out[j], out[i]
    return out


def _rows(widgets: list[str]) -> list[dict]:
    """Shown widgets in their order, then the others in the registry's order."""
    labels = dict(DashboardWidget.choices)
    shown = [key for key in widgets if key in labels]
    hidden = [key for key in DashboardWidget.values if key not in shown]
    return [
        {"key": key, "label": labels[key], "shown": key in shown, "first": i == 0,
         "last": i == len(shown) - 1}
        for i, key in enumerate(shown)
    ] + [{"key": key, "label": labels[key], "shown": False} for key in hidden]  # fmt: skip


@login_required
def dashboard_settings(request: HttpRequest, code: str) -> HttpResponse:
    """Choose, order and save the widgets and map layers of the municipality's home page."""
    municipality = permissions.municipality_requiring(
        request.user, code, permissions.Action.MANAGE_DASHBOARD
    )
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.POST.get("action") == "reset":
            dashboard_reset(municipality=municipality)
            messages.success(request, _("The home page is back to the default widgets."))
            return redirect(reverse("dashboard-settings", kwargs={"code": code}))
        chosen = set(request.POST.getlist("widgets"))
        order = request.POST.getlist("order")
        # Checked widgets in the page's order; a checked key the page did not list goes last.
        widgets = [key for key in order if key in chosen]
        widgets += [key for key in request.POST.getlist("widgets") if key not in widgets]
        move = request.POST.get("move", "")
        widgets = _moved(widgets, move)
        map_layers = request.POST.getlist("map_layers")
        stale_text = request.POST.get("stale_after_days", "").strip()
        try:
            stale_after_days = int(stale_text)
        except ValueError:
            stale_after_days = None
        try:
            if stale_after_days is None:
                message = _("Days before data counts as stale: “%(value)s” is not a whole number.")
                raise ValidationError({"stale_after_days": [message % {"value": stale_text}]})
            dashboard_save(
                municipality=municipality,
                widgets=widgets,
                map_layers=map_layers,
                stale_after_days=stale_after_days,
                user=request.user,
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("Saved. The home page now shows these widgets."))
            anchor = f"#widget-{move.partition(':')[2]}" if move else ""
            return redirect(reverse("dashboard-settings", kwargs={"code": code}) + anchor)
        dashboard = {
            "widgets": [key for key in widgets if key in DashboardWidget.values],
            "map_layers": [key for key in map_layers if key in DashboardLayer.values],
            "stale_after_days": stale_text,
        }
    else:
        saved = dashboard_get(municipality=municipality)
        dashboard = {
            "widgets": saved.widgets,
            "map_layers": saved.map_layers,
            "stale_after_days": saved.stale_after_days,
        }
    context = {
        "municipality": municipality,
        "rows": _rows(dashboard["widgets"]),
        "layers": [
            {"key": key, "label": label, "shown": key in dashboard["map_layers"]}
            for key, label in DashboardLayer.choices
        ],
        "stale_after_days": dashboard["stale_after_days"],
        "stale_after_days_default": DEFAULT_STALE_AFTER_DAYS,
        "stale_after_days_max": STALE_AFTER_DAYS_MAX,
        "errors": errors,
    }
    return render(request, "geoapp/dashboard_settings.html", context, status=400 if errors else 200)
