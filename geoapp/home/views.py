"""Home pages: landing, municipalities, a municipality's dashboard and its city map.

Views are thin: scope by membership, call selectors, build the map, render.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from geoapp.editing.config import map_edit_config
from geoapp.home.dashboard import ROAD_SURFACES, Dashboard, dashboard_get, role_home_url
from geoapp.home.maps import CityFrames, CityMapOptions, DashboardFrames, city_map, dashboard_map
from geoapp.models import DashboardWidget, Role
from geoapp.web import permissions
from geoapp.web.cached_maps import cached_map_fragments
from geoapp.web.maps import ATTRIBUTION, with_script_nonce
from geoapp.web.page_maps import map_assets
from layers import selectors
from layers.api.tiles import tile_version
from layers.caching import layer_versions
from layers.catalogue.selectors import DatasetAccess
from layers.home import selectors as selectors_dashboard
from layers.models import Dataset, FloodZone, Landmark, Municipality, Road
from layers.registry import layer_get, layers_with


def favicon(request: HttpRequest) -> HttpResponse:
    """The site icon, for browsers that ask for /favicon.ico."""
    return redirect(static("geoapp/favicon.svg"), permanent=True)


def landing(request: HttpRequest) -> HttpResponse:
    """Public landing page: what Mueang is and which municipalities publish open data."""
    municipalities = Municipality.objects.filter(
        dataset__visibility=Dataset.Visibility.PUBLIC
    ).distinct()
    return render(request, "geoapp/landing.html", {"municipalities": municipalities})


@login_required
def municipality_list(request: HttpRequest) -> HttpResponse:
    """The municipalities the user belongs to, with the user's roles in each."""
    memberships = request.user.memberships.select_related("municipality").order_by(
        "municipality__name_th", "role"
    )
    rows: dict[int, dict] = {}
    for membership in memberships:
        row = rows.setdefault(
            membership.municipality_id,
            {"municipality": membership.municipality, "roles": [], "held": set()},
        )
        row["roles"].append(membership.get_role_display())
        row["held"].add(membership.role)
    for row in rows.values():
        row["home"] = role_home_url(row["held"], row["municipality"].code)
    return render(request, "geoapp/municipality_list.html", {"rows": list(rows.values())})


@login_required
def municipality_home(request: HttpRequest, code: str) -> HttpResponse:
    """The infrastructure dashboard: the widgets the municipality's admin chose, in order."""
    municipality = permissions.municipality_for(request.user, code)
    actions = permissions.actions_of(request.user, municipality)
    dashboard = dashboard_get(municipality=municipality)
    context = {
        "municipality": municipality,
        "roles": [Role(r).label for r in permissions.roles_of(request.user, municipality)],
        "widgets": dashboard.widgets,
        "can_see_cases": permissions.Action.VIEW_CASES_EXACT in actions,
        "can_read_access_log": permissions.Action.VIEW_ACCESS_LOG in actions,
        "can_edit_flood": permissions.Action.EDIT_FLOOD in actions,
        "can_customise": permissions.Action.MANAGE_DASHBOARD in actions,
        "can_manage_members": permissions.Action.MANAGE_MEMBERS in actions,
        "can_view_reports": permissions.Action.VIEW_REPORTS in actions,
        "can_import": permissions.may_import(request.user, municipality),
        **dashboard_widgets(request, municipality, dashboard, actions),
    }
    return render(request, "geoapp/municipality_home.html", context)


def _road_widgets(municipality: Municipality, versions: dict[str, str]) -> dict:
    road_labels = dict(Road.RoadClass.choices)
    # Summing a large network's lengths takes seconds: keep the sums until the roads change.
    road_km = cache.get_or_set(
        f"dash:roadkm:{municipality.pk}:{versions['roads']}",
        lambda: selectors_dashboard.road_km(municipality=municipality),
        timeout=3600,
    )
    return {
        "roads_by_class": [(road_labels.get(k, k), km) for k, km in road_km.by_class.items()],
        "roads_by_class_total": sum(road_km.by_class.values()),
        "roads_by_surface": [(_surface_label(k), km) for k, km in road_km.by_surface.items()],
        "roads_by_surface_total": sum(road_km.by_surface.values()),
    }


def _landmark_widget(municipality: Municipality) -> dict:
    labels = dict(Landmark.Category.choices)
    counts = selectors_dashboard.landmark_count_by_category(municipality=municipality)
    return {
        "landmarks": [(labels.get(k, k), n) for k, n in counts.items()],
        "landmarks_total": sum(counts.values()),
    }


def _freshness_widget(
    municipality: Municipality, dashboard: Dashboard, access: DatasetAccess
) -> dict:
    freshness = selectors_dashboard.data_freshness(
        municipality=municipality,
        access=access,
        now=timezone.now(),
        stale_after_days=dashboard.stale_after_days,
    )
    return {"freshness": freshness, "stale_after_days": dashboard.stale_after_days}


def _changes_widget(
    municipality: Municipality, access: DatasetAccess, versions: dict[str, str]
) -> dict:
    layer_labels = {
        name: str(layer_get(name).brief_label) for name in selectors_dashboard.CHANGE_LAYERS
    }
    # Counting the feature history reads every entry of the window: keep the list until
    # data changes (history writes bump the layer versions).
    latest_dataset = Dataset.objects.filter(municipality=municipality).aggregate(
        at=Max("updated_at")
    )["at"]
    seen = f"{access}|{latest_dataset}|{'|'.join(versions.values())}"
    key = f"dash:changes:{municipality.pk}:{hashlib.sha256(seen.encode()).hexdigest()}"
    changes = cache.get_or_set(
        key,
        lambda: selectors_dashboard.recent_changes(municipality, 10, access=access),
        timeout=3600,
    )
    return {"changes": [(change, layer_labels.get(change.kind, "")) for change in changes]}


def dashboard_widgets(
    request: HttpRequest,
    municipality: Municipality,
    dashboard: Dashboard,
    actions: frozenset[permissions.Action],
) -> dict:
    """The data of the chosen widgets only (nothing is queried for a widget not shown)."""
    shown = set(dashboard.widgets)
    found: dict = {}
    versions = {
        layer: tile_version(layer=layer, municipality_ids=[municipality.pk])
        for layer in selectors_dashboard.CHANGE_LAYERS
    }
    if shown & {DashboardWidget.ROADS_BY_CLASS, DashboardWidget.ROADS_BY_SURFACE}:
        found |= _road_widgets(municipality, versions)
    if DashboardWidget.LANDMARKS_BY_CATEGORY in shown:
        found |= _landmark_widget(municipality)
    if DashboardWidget.LAYER_COUNTS in shown:
        found["layer_counts"] = selectors_dashboard.layer_counts(municipality=municipality)
    access = DatasetAccess(
        internal=permissions.Action.VIEW_LAYERS in actions,
        private=permissions.Action.MANAGE_DATASETS in actions,
        exact_cases=permissions.Action.VIEW_CASES_EXACT in actions,
    )
    if DashboardWidget.DATA_FRESHNESS in shown:
        found |= _freshness_widget(municipality, dashboard, access)
    if DashboardWidget.RECENT_CHANGES in shown:
        found |= _changes_widget(municipality, access, versions)
    if DashboardWidget.MAP in shown:
        found["map"] = with_script_nonce(
            _dashboard_map_fragments(municipality, dashboard.map_layers), request.csp_nonce
        )
    return found


def _surface_label(surface: str) -> str:
    return str(ROAD_SURFACES.get(surface, surface)) if surface else _("not recorded")


def _dashboard_map_fragments(municipality: Municipality, layers: list[str]) -> dict[str, str]:
    """The home page map, rendered once per data version, layer choice, language.

    Roads always come as vector tiles here: the home page stays small on a phone (the inline
    network of the demo town alone is over half a megabyte).
    """
    tiled = "roads" in layers
    versions = layer_versions(
        municipality_id=municipality.pk, layers=("roads", "landmarks", "flood_zones")
    )

    def build():
        frames = DashboardFrames(
            boundary=selectors.boundary_frame(municipality=municipality),
            roads_tiled=tiled,
            landmarks=selectors.landmark_frame(municipality=municipality)
            if "landmarks" in layers
            else None,
            flood_zones=selectors.flood_zone_frame(municipality=municipality)
            if "flood_zones" in layers
            else None,
            subdistricts=selectors.subdistrict_frame(municipality=municipality)
            if "subdistricts" in layers
            else None,
        )
        return dashboard_map(frames, _city_map_options(municipality))

    # No case on it: the same map for every member ("members" tier).
    return cached_map_fragments(
        "dashboard-map",
        municipality_id=municipality.pk,
        tier="members",
        version=versions,
        build=build,
        nonce="",
        extra=[",".join(sorted(layers)), str(tiled)],
    )


def _city_map_fragments(municipality: Municipality, *, cases_tier: str) -> dict[str, str]:
    """The city map, rendered once per data version, privacy tier, language and day.

    `cases_tier` is "exact", "masked" (donut-masked points) or "none" (no case at all).
    """
    # Large road networks come as vector tiles: the page stays small whatever the town's size.
    tiled = Road.objects.filter(municipality=municipality).count() > (
        settings.MUEANG_MAP_TILE_THRESHOLD
    )
    # The rendered map depends only on the data (layer versions), the privacy tier, the
    # language and the day (weeks since onset); it is cached without the per-request nonce.
    # The versions are those of every layer whose history the database keeps.
    versions = layer_versions(
        municipality_id=municipality.pk,
        layers=[layer.tracked_as for layer in layers_with(history=True) if layer.tracked_as],
    )

    def build():
        frames = CityFrames(
            boundary=selectors.boundary_frame(municipality=municipality),
            roads=None if tiled else selectors.road_frame(municipality=municipality),
            landmarks=selectors.landmark_frame(municipality=municipality),
            flood_zones=selectors.flood_zone_frame(municipality=municipality),
            subdistricts=selectors.subdistrict_frame(municipality=municipality),
            cases=(
                selectors.dengue_case_frame(municipality=municipality)
                if cases_tier == "exact"
                else None
            ),
            masked_cases=(
                selectors.masked_case_frame(municipality=municipality)
                if cases_tier == "masked"
                else None
            ),
        )
        return city_map(frames, _city_map_options(municipality))

    return cached_map_fragments(
        "city-map",
        municipality_id=municipality.pk,
        tier=cases_tier,
        version=versions,
        build=build,
        nonce="",
        extra=[str(tiled), str(timezone.localdate())],
    )


@login_required
def municipality_map(request: HttpRequest, code: str) -> HttpResponse:
    """The interactive map of roads, landmarks, flood zones and, for health roles, cases."""
    municipality = permissions.municipality_for(request.user, code)
    actions = permissions.actions_of(request.user, municipality)
    show_cases = permissions.Action.VIEW_CASES_EXACT in actions
    masked = permissions.Action.VIEW_CASES_MASKED in actions
    cases_tier = "exact" if show_cases else "masked" if masked else "none"
    fragments = _city_map_fragments(municipality, cases_tier=cases_tier)
    return render(
        request,
        "geoapp/municipality_map.html",
        {
            "municipality": municipality,
            "map": with_script_nonce(fragments, request.csp_nonce),
            "show_cases": show_cases,
            "edit_config": map_edit_config(request, municipality),
        },
    )


def _tile_url(layer: str, municipality: Municipality) -> str:
    url = reverse("vector-tile", kwargs={"layer": layer, "z": 0, "x": 0, "y": 0})
    return url.replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf") + f"?m={municipality.code}"


def _city_map_labels() -> dict[str, str]:
    """The city map's texts in the active language, by the keys its code uses."""
    return {
        "basemap": _("Basemap"),
        "boundary": _("Municipal boundary"),
        # The layers the city map draws (the keys its code uses), as the registry labels them.
        **{
            name: str(layer_get(name).label)
            for name in ("subdistricts", "roads", "landmarks", "flood_zones", "cases")
        },
        "masked_cases": _("Dengue cases (locations shifted for privacy)"),
        "masked_note": _("location shifted within its subdistrict to protect the patient"),
        "onset_week": _("Week of onset"),
        "masked": _("Note"),
        "cases_legend": _("Dengue cases: weeks since onset"),
        "cases_week_1": _("this week"),
        "cases_week_2": _("1 week ago"),
        "cases_week_4": _("2-3 weeks ago"),
        "cases_week_8": _("4-7 weeks ago"),
        f"cases_week_{10**6}": _("8 weeks or more"),
        "generated": _("generated data (not a real patient)"),
        "name_th": _("Name (Thai)"),
        "name_en": _("Name (English)"),
        "class_label": _("Road class"),
        "surface": _("Surface"),
        "category_label": _("Category"),
        "event": _("Event"),
        "hazard": _("Hazard class"),
        "onset_date": _("Onset date"),
        "diagnosis": _("Diagnosis"),
        "weeks": _("Weeks since onset"),
        "zoom_to_data": _("Zoom to the data switched on"),
    }


def _city_map_options(municipality: Municipality) -> CityMapOptions:
    return CityMapOptions(
        assets=map_assets(vector_tiles=True),
        labels=_city_map_labels(),
        road_class_labels={k: str(v) for k, v in Road.RoadClass.choices},
        landmark_category_labels={k: str(v) for k, v in Landmark.Category.choices},
        hazard_labels={k: str(v) for k, v in FloodZone.HazardClass.choices},
        attribution=str(ATTRIBUTION),
        today=timezone.localdate(),
        basemap_url=settings.MUEANG_BASEMAP_URL,
        basemap_attribution=settings.MUEANG_BASEMAP_ATTRIBUTION,
        roads_tile_url=_tile_url("roads", municipality),
    )
