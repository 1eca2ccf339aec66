"""Django admin for tenancy and layers, scoped to the municipalities a staff user administers.

Registered here rather than in `layers/admin.py` because scoping needs memberships (geoapp),
and `layers` must not import `geoapp`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.gis import admin as gis_admin
from django.contrib.gis.forms.widgets import OSMWidget
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import Http404

from geoapp.accounts import staff
from geoapp.models import Membership, ReportRetention, Role
from geoapp.templatetags.thaiformat import datetime_text
from layers import models as layer_models


class LocalOSMWidget(OSMWidget):
    """Django's map widget with OpenLayers served by Mueang and no third-party basemap."""

    template_name = "gis/mueang-openlayers.html"
    default_lon = 100.5
    default_lat = 13.7
    default_zoom = 6

    class Media:
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js", "geoapp/js/map-widget.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget_options_id"] = f"{context['id']}_options"
        context["widget_options"] = {
            "geom_name": context["geom_type"],
            "id": context["id"],
            "map_id": f"{context['id']}_map",
            "map_srid": context["map_srid"],
            "name": context["name"],
            "default_lon": self.attrs["default_lon"],
            "default_lat": self.attrs["default_lat"],
            "default_zoom": self.attrs["default_zoom"],
            "basemap_url": settings.MUEANG_BASEMAP_URL,
            "basemap_attribution": settings.MUEANG_BASEMAP_ATTRIBUTION,
        }
        return context


def administered_municipality_ids(user) -> set[int]:
    """Municipalities where the user is an administrator (superusers: all)."""
    if user.is_superuser:
        return set(layer_models.Municipality.objects.values_list("id", flat=True))
    return set(
        Membership.objects.filter(user=user, role=Role.ADMIN).values_list(
            "municipality_id", flat=True
        )
    )


_DATE_COLUMNS: dict[tuple[type, str], object] = {}


def dated_column(model: type[models.Model], name):
    """A list column of a date field shown in the Buddhist era in Thai (Django's formats can't).

    Other columns are returned as they are; the column sorts by its field as before.
    """
    if not isinstance(name, str):
        return name
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    if not isinstance(field, models.DateField):  # DateTimeField is a DateField too
        return name
    if (model, name) not in _DATE_COLUMNS:

        @admin.display(description=field.verbose_name, ordering=name)
        def column(obj, _name=name):
            return datetime_text(getattr(obj, _name)) or "–"

        _DATE_COLUMNS[model, name] = column
    return _DATE_COLUMNS[model, name]


class TenantAdmin(gis_admin.GISModelAdmin):
    """Admin of a municipality-owned model: rows of other municipalities do not exist here."""

    gis_widget = LocalOSMWidget
    tenant_field = "municipality"

    def get_list_display(self, request):
        return [dated_column(self.model, name) for name in super().get_list_display(request)]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        ids = administered_municipality_ids(request.user)
        return queryset.filter(**{f"{self.tenant_field}__in": ids})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "municipality" and not request.user.is_superuser:
            kwargs["queryset"] = layer_models.Municipality.objects.filter(
                id__in=administered_municipality_ids(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _require_in_scope(self, request, object_id) -> None:
        if object_id and not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404("No such object")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_in_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)


@admin.register(layer_models.Municipality)
class MunicipalityAdmin(TenantAdmin):
    tenant_field = "id"
    list_display = ("name_th", "name_en", "code", "province_th", "metric_srid", "is_demo")
    search_fields = ("name_th", "name_en", "code")

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    """Read-only for municipality administrators, logged for platform superusers.

    Administrators manage members on the staff pages (`/m/<code>/staff/`), which keep the rules
    and the change log (`geoapp.accounts.staff`).
    """

    list_display = ("user", "municipality", "role", "created_at")
    list_filter = ("role", "municipality")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        previous = Membership.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        staff.membership_admin_saved(actor=request.user, membership=obj, previous=previous)

    def delete_model(self, request, obj):
        staff.membership_admin_deleted(actor=request.user, membership=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            staff.membership_admin_deleted(actor=request.user, membership=membership)
        super().delete_queryset(request, queryset)


@admin.register(layer_models.Subdistrict)
class SubdistrictAdmin(TenantAdmin):
    list_display = ("name_th", "name_en", "code", "municipality")
    search_fields = ("name_th", "name_en", "code")


@admin.register(layer_models.Dataset)
class DatasetAdmin(TenantAdmin):
    list_display = ("title", "kind", "division", "visibility", "updated_at", "municipality")
    list_filter = ("kind", "visibility", "municipality")
    search_fields = ("title", "description", "division")
    readonly_fields = ("created_at", "updated_at", "created_by", "updated_by")


@admin.register(layer_models.Road)
class RoadAdmin(TenantAdmin):
    list_display = ("__str__", "road_class", "surface", "municipality")
    list_filter = ("road_class", "municipality")
    search_fields = ("name_th", "name_en", "source_id", "ref")


@admin.register(layer_models.Landmark)
class LandmarkAdmin(TenantAdmin):
    list_display = ("__str__", "category", "municipality")
    list_filter = ("category", "municipality")
    search_fields = ("name_th", "name_en", "source_id")


@admin.register(layer_models.Building)
class BuildingAdmin(TenantAdmin):
    list_display = ("__str__", "building_type", "population", "municipality")
    list_filter = ("building_type", "municipality")
    search_fields = ("name_th", "name_en", "source_id")


@admin.register(layer_models.FloodZone)
class FloodZoneAdmin(TenantAdmin):
    list_display = ("event", "hazard_class", "observed_date", "is_forecast", "municipality")
    list_filter = ("hazard_class", "is_forecast", "municipality")
    search_fields = ("event", "source")


class DengueCaseAdmin(TenantAdmin):
    """Case points and dates only; personal fields (DengueCasePersonal) are not in the admin.

    Only municipality administrators get staff access, and they may see exact cases.
    """

    list_display = ("__str__", "onset_date", "report_date", "diagnosis", "status", "municipality")
    list_filter = ("diagnosis", "status", "is_generated", "municipality")
    date_hierarchy = "onset_date"


admin.site.register(layer_models.DengueCase, DengueCaseAdmin)


@admin.register(layer_models.SprayRound)
class SprayRoundAdmin(TenantAdmin):
    list_display = ("zone_key", "round_number", "planned_date", "done_on", "team", "municipality")
    list_filter = ("municipality",)
    date_hierarchy = "done_on"


@admin.register(layer_models.MinimumNeedsProfile)
class MinimumNeedsProfileAdmin(TenantAdmin):
    list_display = ("__str__", "municipality")
    list_filter = ("municipality",)


@admin.register(layer_models.LarvalContainerType)
class LarvalContainerTypeAdmin(TenantAdmin):
    """The municipality's container list (seeded with the DDC list); edits keep the numbers."""

    list_display = ("number", "name_th", "name_en", "active", "municipality")
    list_filter = ("active", "municipality")
    search_fields = ("name_th", "name_en")


@admin.register(layer_models.SurveyPlace)
class SurveyPlaceAdmin(TenantAdmin):
    list_display = ("name", "kind", "subdistrict", "municipality")
    list_filter = ("kind", "municipality")
    search_fields = ("name",)


@admin.register(layer_models.LarvalRiskBands)
class LarvalRiskBandsAdmin(TenantAdmin):
    list_display = ("__str__", "saved_at", "source", "municipality")
    list_filter = ("municipality",)
    readonly_fields = ("saved_by", "saved_at")

    def save_model(self, request, obj, form, change):
        obj.saved_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ReportRetention)
class ReportRetentionAdmin(TenantAdmin):
    """How long reporters' contacts are kept after closure (`geoapp.reports.retention`)."""

    list_display = ("municipality", "contact_days")
