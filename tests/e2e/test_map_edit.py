"""Scenario 1 on the map: a planner moves วัดพระมหาธาตุ, saves, undoes; edits a road's surface.

The live server commits what the browser does, so each fixture puts its feature back. Those
fixtures come before `visit` in each test's arguments: set up before the test's transaction
and torn down after its rollback, so their clean-up is committed.
"""

from __future__ import annotations

import math

import pytest
from django.contrib.gis.geos import Point

from layers.history.selectors import feature_history
from layers.models import Landmark, Municipality, Road
from layers.tenancy import all_tenants_scope

NST = "nakhon-si-thammarat"
MAP = f"/m/{NST}/map/"
TEMPLE = "วัดพระมหาธาตุ"


@pytest.fixture
def temple(django_db_setup, django_db_blocker):
    """The demo's วัดพระมหาธาตุ (OSM); moved back afterwards if the test left it moved."""
    with django_db_blocker.unblock(), all_tenants_scope():
        landmark = Landmark.objects.get(municipality__code=NST, name_th__startswith=TEMPLE)
        original = landmark.geom.clone()
    yield landmark, original
    with django_db_blocker.unblock(), all_tenants_scope():
        current = Landmark.objects.get(pk=landmark.pk)
        if not current.geom.equals_exact(original, 0):
            current.geom = original
            current.save()


@pytest.fixture
def road(django_db_setup, django_db_blocker):
    """A straight-ish demo road near the temple; its surface put back afterwards."""
    with django_db_blocker.unblock(), all_tenants_scope():
        temple = Landmark.objects.get(municipality__code=NST, name_th__startswith=TEMPLE)
        found = (
            Road.objects.filter(municipality__code=NST, geom__dwithin=(temple.geom, 0.003))
            .exclude(surface="concrete")
            .order_by("id")
            .first()
        )
        surface = found.surface
    yield found
    with django_db_blocker.unblock(), all_tenants_scope():
        Road.objects.filter(pk=found.pk).update(surface=surface)


def _open_map_at(visit, lat: float, lon: float) -> None:
    visit.goto(MAP)
    visit.page.wait_for_function("window.mueangMap !== undefined")
    visit.page.evaluate(f"window.mueangMap.map.setView([{lat}, {lon}], 18, {{animate: false}})")


def _start_editing(visit, layer: str, feature_id: int) -> None:
    """Open the edit tools on `layer` and wait until the feature is drawn for editing."""
    page = visit.page
    page.click(".mueang-edit-toggle")
    page.select_option(".mueang-edit-layer select", layer)
    page.wait_for_selector(f"[data-feature-id='{feature_id}']")


def test_planner_moves_the_temple_saves_and_undoes_the_move(temple, visit):
    landmark, original = temple
    page = visit.page
    visit.login("nst-planner")
    _open_map_at(visit, original.y, original.x)
    _start_editing(visit, "landmarks", landmark.pk)

    marker = page.locator(f".mueang-edit-marker[data-feature-id='{landmark.pk}']")
    marker.click()
    assert page.locator(".mueang-edit-form input[name=name_th]").input_value().startswith(TEMPLE)
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 30, steps=8)
    page.mouse.move(x + 80, y + 60, steps=8)
    page.mouse.up()
    page.click(".mueang-edit-save")
    page.wait_for_selector(".mueang-edit-saved")

    with all_tenants_scope():
        moved = Landmark.objects.get(pk=landmark.pk).geom
    assert moved.distance(original) > 0.0001  # about 11 m at zoom 18, 80 px is about 50 m

    page.click(".mueang-edit-undo-button")
    page.wait_for_selector(".mueang-edit-undone")

    municipality = Municipality.objects.get(code=NST)
    with all_tenants_scope():
        assert Landmark.objects.get(pk=landmark.pk).geom.equals_exact(original, 0)
        versions = feature_history(
            municipality=municipality, layer="landmarks", feature_id=landmark.pk
        )
    move, undo = versions[-2], versions[-1]
    assert move.context == "map edit"
    assert "geom" in move.changed
    assert undo.context.startswith("restore")
    assert "geom" in undo.changed
    assert {move.username, undo.username} == {"nst-planner"}

    # The feature's history page shows both changes.
    page.click(".mueang-edit-undo a.mueang-edit-history")
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.history-versions tbody tr")
    assert rows.count() >= 2
    assert "nst-planner" in rows.nth(0).inner_text()
    assert "nst-planner" in rows.nth(1).inner_text()
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []


def test_planner_changes_a_roads_surface_in_the_form(road, visit):
    page = visit.page
    visit.login("nst-planner")
    (lon0, lat0), (lon1, lat1) = road.geom[0][0], road.geom[0][1]
    lon, lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2  # inside a segment: on this road only
    _open_map_at(visit, lat, lon)
    _start_editing(visit, "roads", road.pk)

    # Click the road where it is drawn, in the map's pixels.
    point = page.evaluate(
        f"""() => {{
            const map = window.mueangMap.map;
            const p = map.latLngToContainerPoint([{lat}, {lon}]);
            const r = map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }}"""
    )
    page.mouse.click(point[0], point[1])
    assert page.locator(".mueang-edit-title").inner_text().endswith(f"#{road.pk}")
    page.fill(".mueang-edit-form input[name=surface]", "concrete")
    page.click(".mueang-edit-save")
    page.wait_for_selector(".mueang-edit-saved")

    with all_tenants_scope():
        saved = Road.objects.get(pk=road.pk)
    assert saved.surface == "concrete"
    assert saved.geom.equals_exact(road.geom, 1e-7)
    assert visit.console_errors == []


@pytest.fixture
def drawn_landmarks(django_db_setup, django_db_blocker):
    """Landmarks the test draws (named below) are removed afterwards, whatever happened."""
    yield "จุดทดสอบวาดใหม่"
    with django_db_blocker.unblock(), all_tenants_scope():
        Landmark.objects.filter(name_th="จุดทดสอบวาดใหม่").delete()


def test_planner_draws_a_new_landmark_names_it_and_undoes_it(temple, drawn_landmarks, visit):
    landmark, original = temple
    page = visit.page
    visit.login("nst-planner")
    _open_map_at(visit, original.y, original.x)
    _start_editing(visit, "landmarks", landmark.pk)

    page.click(".leaflet-pm-toolbar .leaflet-pm-icon-marker")
    size = page.locator(".mueang-map-frame .folium-map").bounding_box()
    page.mouse.click(size["x"] + size["width"] / 2 - 120, size["y"] + size["height"] / 2 + 90)
    page.fill(".mueang-edit-form input[name=name_th]", drawn_landmarks)
    page.select_option(".mueang-edit-form select[name=category]", "shrine")
    page.click(".mueang-edit-save")
    page.wait_for_selector(".mueang-edit-saved")

    with all_tenants_scope():
        created = Landmark.objects.get(name_th=drawn_landmarks)
    assert created.category == "shrine"
    assert created.dataset.slug == "landmarks-osm"
    assert created.geom.distance(original) > 0.0001

    page.click(".mueang-edit-undo-button")
    page.wait_for_selector(".mueang-edit-undone")
    with all_tenants_scope():
        assert not Landmark.objects.filter(name_th=drawn_landmarks).exists()
    assert visit.console_errors == []


@pytest.fixture
def drawn_roads(django_db_setup, django_db_blocker):
    """Roads the test draws (named below) are removed afterwards, whatever happened."""
    yield "ซอยทดสอบวาดใหม่"
    with django_db_blocker.unblock(), all_tenants_scope():
        Road.objects.filter(name_th="ซอยทดสอบวาดใหม่").delete()


def _screen_point(page, lat: float, lon: float) -> tuple[float, float]:
    return page.evaluate(
        f"""() => {{
            const map = window.mueangMap.map;
            const p = map.latLngToContainerPoint([{lat}, {lon}]);
            const r = map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }}"""
    )


def test_a_drawn_road_snaps_onto_the_road_it_starts_near(road, drawn_roads, visit):
    page = visit.page
    visit.login("nst-planner")
    (lon0, lat0), (lon1, lat1) = road.geom[0][0], road.geom[0][1]
    lon, lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    _open_map_at(visit, lat, lon)
    _start_editing(visit, "roads", road.pk)

    page.click(".leaflet-pm-toolbar .leaflet-pm-icon-polyline")
    x, y = _screen_point(page, lat, lon)
    x1, y1 = _screen_point(page, lat1, lon1)
    length = math.hypot(x1 - x, y1 - y)
    across = ((y - y1) / length, (x1 - x) / length)  # a unit step at right angles to the road
    start = (x + 6 * across[0], y + 6 * across[1])  # 6 px (a few metres) off the road
    end = (x + 150 * across[0], y + 150 * across[1])
    page.mouse.move(*start, steps=4)
    page.mouse.click(*start)
    page.mouse.move(*end, steps=8)
    page.mouse.click(*end)
    page.click(".button-container.active .action-finish")  # Geoman's "Finish"
    page.fill(".mueang-edit-form input[name=name_th]", drawn_roads)
    page.click(".mueang-edit-save")
    page.wait_for_selector(".mueang-edit-saved")

    with all_tenants_scope():
        (drawn,) = Road.objects.filter(name_th=drawn_roads)
    first = Point(drawn.geom[0][0], srid=4326)
    assert first.distance(road.geom) < 1e-7  # on the road (about a centimetre), not 6 px off
    assert len(drawn.geom[0]) == 2
    assert visit.console_errors == []


def test_a_viewer_gets_no_edit_tools(visit):
    visit.login("nst-viewer")
    visit.goto(MAP)
    visit.page.wait_for_function("window.mueangMap !== undefined")

    assert visit.page.locator(".mueang-edit-toggle").count() == 0
    assert visit.page.locator("#mueang-edit-config").count() == 0
    assert not any("leaflet-geoman" in url for url in visit.requests)
