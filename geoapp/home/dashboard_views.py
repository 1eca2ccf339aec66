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
from geoapp.home.forms import DashboardSettingsForm
from geoapp.models import DashboardLayer, DashboardWidget
from geoapp.web import permissions
from layers.models import Municipality


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


def _saved(municipality: Municipality) -> dict:
    saved = dashboard_get(municipality=municipality)
    return {
        "widgets": saved.widgets,
        "map_layers": saved.map_layers,
        "stale_after_days": saved.stale_after_days,
    }


def _posted(form: DashboardSettingsForm) -> dict:
    """The settings as posted, to show again when they are not saved."""
    return {
        "widgets": [key for key in form.cleaned_data["widgets"] if key in DashboardWidget.values],
        "map_layers": [
            key for key in form.cleaned_data["map_layers"] if key in DashboardLayer.values
        ],
        "stale_after_days": form.stale_text,
    }


def _save(request: HttpRequest, municipality: Municipality, form: DashboardSettingsForm):
    """Save the posted settings; their errors per field (empty when saved)."""
    if not form.is_valid():
        return form.error_lists()
    try:
        dashboard_save(
            municipality=municipality,
            widgets=form.cleaned_data["widgets"],
            map_layers=form.cleaned_data["map_layers"],
            stale_after_days=form.cleaned_data["stale_after_days"],
            user=request.user,
        )
    except ValidationError as error:
        return error.message_dict
    messages.success(request, _("Saved. The home page now shows these widgets."))
    return {}


def _settings_context(municipality: Municipality, dashboard: dict, errors: dict) -> dict:
    return {
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


@login_required
def dashboard_settings(request: HttpRequest, code: str) -> HttpResponse:
    """Choose, order and save the widgets and map layers of the municipality's home page."""
    municipality = permissions.municipality_requiring(
        request.user, code, permissions.Action.MANAGE_DASHBOARD
    )
    settings_url = reverse("dashboard-settings", kwargs={"code": code})
    if request.method != "POST":
        context = _settings_context(municipality, _saved(municipality), {})
        return render(request, "geoapp/dashboard_settings.html", context)
    form = DashboardSettingsForm(request.POST)
    form.is_valid()
    if form.cleaned_data["action"] == "reset":
        dashboard_reset(municipality=municipality)
        messages.success(request, _("The home page is back to the default widgets."))
        return redirect(settings_url)
    errors = _save(request, municipality, form)
    if not errors:
        move = form.cleaned_data["move"]
        return redirect(settings_url + (f"#widget-{move.partition(':')[2]}" if move else ""))
    context = _settings_context(municipality, _posted(form), errors)
    return render(request, "geoapp/dashboard_settings.html", context, status=400)
