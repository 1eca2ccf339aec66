"""Home pages: where each role lands after logging in, and a municipality's dashboard settings."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoapp.models import (
    DEFAULT_DASHBOARD_LAYERS,
    DEFAULT_DASHBOARD_WIDGETS,
    DEFAULT_STALE_AFTER_DAYS,
    DashboardConfig,
    DashboardLayer,
    DashboardWidget,
    Membership,
    Role,
)
from layers.models import Municipality

#: Which dashboard a role opens on, strongest claim first: a user who is both a planner and a
#: health officer starts on dengue; administrators start on the infrastructure dashboard.
HOME_BY_ROLE: list[tuple[str, str]] = [
    (Role.ADMIN, "municipality-home"),
    (Role.HEALTH_OFFICER, "dengue-dashboard"),
    (Role.DISASTER_OFFICER, "flood-dashboard"),
    (Role.PLANNER, "municipality-home"),
    (Role.EDITOR, "municipality-home"),
    (Role.VIEWER, "municipality-home"),
]
STALE_AFTER_DAYS_MAX = 3650
STALE_NOT_WHOLE = gettext_lazy(
    "Days before data counts as stale: “%(value)s” is not a whole number."
)

#: Labels of the common OSM `surface` values; others show as recorded.
ROAD_SURFACES = {
    "asphalt": gettext_lazy("Asphalt"),
    "concrete": gettext_lazy("Concrete"),
    "paved": gettext_lazy("Paved (type not recorded)"),
    "paving_stones": gettext_lazy("Paving stones"),
    "compacted": gettext_lazy("Compacted"),
    "gravel": gettext_lazy("Gravel"),
    "unpaved": gettext_lazy("Unpaved"),
    "dirt": gettext_lazy("Dirt"),
    "ground": gettext_lazy("Earth"),
    "sand": gettext_lazy("Sand"),
    "wood": gettext_lazy("Wood"),
}


def role_home_url(roles: set[str], code: str) -> str:
    """The dashboard a user with these roles in the municipality opens first."""
    for role, url_name in HOME_BY_ROLE:
        if role in roles:
            return reverse(url_name, kwargs={"code": code})
    return reverse("municipality-home", kwargs={"code": code})


def home_url(user) -> str:
    """Where the user lands after logging in: their dashboard, or the chooser for several."""
    roles: dict[str, set[str]] = {}
    for code, role in Membership.objects.filter(user=user).values_list(
        "municipality__code", "role"
    ):
        roles.setdefault(code, set()).add(role)
    if len(roles) != 1:
        return reverse("municipality-list")
    [(code, held)] = roles.items()
    return role_home_url(held, code)


@dataclass(frozen=True)
class Dashboard:
    """What a municipality's home page shows: widgets in order, the map's first layers."""

    widgets: list[str]
    map_layers: list[str]
    stale_after_days: int
    is_default: bool


def dashboard_get(*, municipality: Municipality) -> Dashboard:
    """The municipality's saved dashboard, or the defaults when its administrator saved none."""
    config = DashboardConfig.objects.filter(municipality=municipality).first()
    if config is None:
        return Dashboard(
            widgets=[str(w) for w in DEFAULT_DASHBOARD_WIDGETS],
            map_layers=[str(layer) for layer in DEFAULT_DASHBOARD_LAYERS],
            stale_after_days=DEFAULT_STALE_AFTER_DAYS,
            is_default=True,
        )
    return Dashboard(
        widgets=list(config.widgets),
        map_layers=list(config.map_layers),
        stale_after_days=config.stale_after_days,
        is_default=False,
    )


def dashboard_validate(
    *, widgets: list[str], map_layers: list[str], stale_after_days: int
) -> dict[str, list[str]]:
    """Errors per field (empty when the settings can be saved), in the active language."""
    errors: dict[str, list[str]] = {}
    known_widgets = set(DashboardWidget.values)
    unknown = [key for key in widgets if key not in known_widgets]
    if unknown:
        errors.setdefault("widgets", []).append(
            _("Unknown widget: %(keys)s. Choose from: %(known)s.")
            % {"keys": ", ".join(unknown), "known": ", ".join(DashboardWidget.values)}
        )
    if len(set(widgets)) != len(widgets):
        errors.setdefault("widgets", []).append(_("A widget can appear only once."))
    if not widgets:
        errors.setdefault("widgets", []).append(_("Choose at least one widget."))
    known_layers = set(DashboardLayer.values)
    unknown = [key for key in map_layers if key not in known_layers]
    if unknown:
        errors.setdefault("map_layers", []).append(
            _("Unknown map layer: %(keys)s. Choose from: %(known)s.")
            % {"keys": ", ".join(unknown), "known": ", ".join(DashboardLayer.values)}
        )
    if len(set(map_layers)) != len(map_layers):
        errors.setdefault("map_layers", []).append(_("A map layer can appear only once."))
    if not 1 <= stale_after_days <= STALE_AFTER_DAYS_MAX:
        errors.setdefault("stale_after_days", []).append(
            _("Days before data counts as stale must be between 1 and %(max)d.")
            % {"max": STALE_AFTER_DAYS_MAX}
        )
    return errors


def dashboard_save(
    *,
    municipality: Municipality,
    widgets: list[str],
    map_layers: list[str],
    stale_after_days: int,
    user,
) -> DashboardConfig:
    """Validate and store the municipality's dashboard settings (ValidationError if invalid)."""
    errors = dashboard_validate(
        widgets=widgets, map_layers=map_layers, stale_after_days=stale_after_days
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        config, _created = DashboardConfig.objects.update_or_create(
            municipality=municipality,
            defaults={
                "widgets": widgets,
                "map_layers": map_layers,
                "stale_after_days": stale_after_days,
                "updated_by": user,
            },
        )
    return config


def dashboard_reset(*, municipality: Municipality) -> None:
    """Forget the municipality's settings: its home page shows the defaults again."""
    DashboardConfig.objects.filter(municipality=municipality).delete()
