"""The map page in a real browser: what each role sees, isolation, escaping, no third parties."""

from __future__ import annotations

import pytest
from django.db.models import Q

from layers.models import DengueCase, FloodZone, Landmark, Municipality, Road
from layers.tenancy import all_tenants_scope

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
MAP = f"/m/{NST}/map/"
ROLES_WITH_CASES = {"health", "admin"}


def rendered_counts(page) -> dict[str, int]:
    """Count the SVG paths Leaflet drew for each layer (one per feature, multi-parts included).

    Every layer of the switcher is switched on first: some start off for some roles (the
    masked cases, for staff outside health, issue 17), and what a role may see is what it can
    switch on.
    """
    page.wait_for_function("window.mueangMap !== undefined")
    page.evaluate(
        """() => document.querySelectorAll('.leaflet-control-layers-overlays input')
            .forEach(box => { if (!box.checked) box.click(); })"""
    )
    return page.evaluate(
        """() => ({
            roads: document.querySelectorAll('path.mueang-road').length,
            landmarks: document.querySelectorAll('path.mueang-landmark').length,
            flood_zones: document.querySelectorAll('path.mueang-flood').length,
            cases: document.querySelectorAll('path.mueang-case').length,
            masked_cases: document.querySelectorAll('path.mueang-case-masked').length,
        })"""
    )


def database_counts(code: str, *, with_cases: bool) -> dict[str, int]:
    """What the map must draw: exact cases for health roles, masked ones for other staff."""
    municipality = Municipality.objects.get(code=code)
    scope = Q(municipality=municipality)
    cases = DengueCase.objects.filter(scope).count()
    return {
        "roads": Road.objects.filter(scope).count(),
        "landmarks": Landmark.objects.filter(scope).count(),
        "flood_zones": FloodZone.objects.filter(scope).count(),
        "cases": cases if with_cases else 0,
        "masked_cases": 0 if with_cases else cases,
    }


@pytest.mark.parametrize("role", ["viewer", "planner", "health", "disaster", "editor", "admin"])
def test_each_role_sees_every_feature_it_may_and_no_cases_it_may_not(visit, role):
    visit.login(f"nst-{role}")
    response = visit.goto(MAP)
    assert response.status == 200

    counts = rendered_counts(visit.page)

    expected = database_counts(NST, with_cases=role in ROLES_WITH_CASES)
    assert counts == expected
    assert expected["roads"] > 1000
    assert expected["landmarks"] > 40
    assert expected["flood_zones"] > 0
    assert expected["cases"] + expected["masked_cases"] > 50
    assert visit.foreign_hosts() == set()
    assert visit.dialogs == []
    assert visit.console_errors == []  # among others: no script refused by the CSP


def test_planner_of_another_municipality_sees_none_of_its_data(visit):
    visit.login("chon-planner")

    response = visit.goto(MAP)

    assert response.status == 404
    assert visit.page.evaluate("window.mueangMap === undefined")
    assert "วัดพระมหาธาตุ" not in visit.page.content()
    own = visit.goto("/m/chon-buri/map/")
    assert own.status == 200
    assert rendered_counts(visit.page) == database_counts("chon-buri", with_cases=False)


def test_case_house_count_is_zero_for_the_other_municipalitys_health_officer(visit):
    visit.login("chon-health")
    visit.goto("/m/chon-buri/map/")

    counts = rendered_counts(visit.page)

    assert counts["cases"] == DengueCase.objects.filter(municipality__code="chon-buri").count()
    assert visit.goto(MAP).status == 404


@pytest.fixture(scope="session")
def hostile_landmark(django_db_setup, django_db_blocker):
    """A committed landmark whose name is markup (the live server must see it)."""
    with django_db_blocker.unblock(), all_tenants_scope():
        municipality = Municipality.objects.get(code=NST)
        landmark = Landmark.objects.create(
            municipality=municipality,
            name_th="<img src=x onerror=alert(1)>",
            name_en="</script><script>alert(2)</script>",
            category=Landmark.Category.MARKET,
            geom=municipality.boundary.point_on_surface,
        )
    yield landmark
    with django_db_blocker.unblock(), all_tenants_scope():
        landmark.delete()


def test_markup_in_a_landmark_name_shows_as_text(visit, hostile_landmark):
    visit.login("nst-planner")
    visit.goto(MAP)
    visit.page.wait_for_function("window.mueangMap !== undefined")

    visit.page.evaluate(
        """(id) => {
            const layer = window.mueangMap.layers.landmarks.getLayers()
                .find(l => l.feature.id === id);
            window.mueangMap.map.setView(layer.getLatLng(), 19, {animate: false});
            layer.bringToFront();
            layer.getElement().setAttribute('data-testid', 'hostile-landmark');
        }""",
        hostile_landmark.pk,
    )
    visit.page.click("[data-testid=hostile-landmark]", force=True)
    popup = visit.page.locator(".leaflet-popup-content")
    popup.wait_for()

    assert "<img src=x onerror=alert(1)>" in popup.inner_text()
    assert "</script><script>alert(2)</script>" in popup.inner_text()
    assert visit.page.locator("img[src='x']").count() == 0
    assert visit.dialogs == []


def test_map_speaks_thai_by_default_and_english_on_request(visit):
    visit.login("nst-planner")
    visit.goto(MAP)
    layer_names = visit.page.locator(".leaflet-control-layers-overlays")

    assert "ถนน" in layer_names.inner_text()
    assert "สถานที่สำคัญ" in layer_names.inner_text()

    visit.page.click("button[name=language][value=en]")
    visit.page.wait_for_load_state("networkidle")

    assert "Roads" in visit.page.locator(".leaflet-control-layers-overlays").inner_text()
    assert "Landmarks" in visit.page.locator(".mueang-legend").inner_text()


def test_map_fits_a_phone_screen_without_horizontal_overflow(browser, app_url, db):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.goto(app_url + "/accounts/login/")
    page.fill("#id_username", "nst-health")
    page.fill("#id_password", "mueang-demo-2569")
    page.click("form.login button[type=submit]")
    page.goto(app_url + MAP)
    page.wait_for_function("window.mueangMap !== undefined")

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    map_box = page.locator(".folium-map").bounding_box()

    assert overflow <= 0
    assert map_box["width"] == pytest.approx(390, abs=1)
    assert map_box["height"] > 400
    context.close()


def test_admin_map_widget_draws_with_local_openlayers_under_the_csp(visit):
    road = Road.objects.filter(municipality__code=NST).first()
    visit.login("nst-admin")

    response = visit.goto(f"/admin/layers/road/{road.pk}/change/")
    visit.page.wait_for_selector(".dj_map .ol-viewport")

    assert response.status == 200
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []
    assert visit.page.evaluate("typeof window.geodjango_geom") == "object"


def test_a_large_road_network_comes_as_vector_tiles_with_escaped_popups(visit, settings):
    settings.MUEANG_MAP_TILE_THRESHOLD = 100  # the demo's 1,449 roads count as "large"
    visit.login("nst-planner")

    page = visit.goto(MAP)
    # Functions, not expression strings: Playwright polls strings with eval, which CSP forbids.
    visit.page.wait_for_function("() => document.querySelectorAll('path.mueang-road-tile').length")
    visit.page.evaluate("() => window.mueangMap.map.setZoom(15, {animate: false})")
    visit.page.wait_for_function(
        "() => document.querySelectorAll('path.mueang-road-tile').length > 100"
    )

    assert page.status == 200
    assert visit.page.locator("path.mueang-road").count() == 0  # no inline GeoJSON roads
    assert any("/tiles/roads/" in url for url in visit.requests)
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []
    assert "ถนน" in visit.page.locator(".leaflet-control-layers-overlays").inner_text()
    visit.page.evaluate(
        """() => window.mueangMap.layers.roads.fire("click", {
            latlng: window.mueangMap.map.getCenter(),
            layer: {properties: {name_th: "<img src=x onerror=alert(1)>", road_class: "primary"}},
        })"""
    )
    popup = visit.page.locator(".leaflet-popup-content")
    assert "<img src=x onerror=alert(1)>" in popup.inner_text()
    assert visit.page.locator("img[src='x']").count() == 0
    assert visit.dialogs == []
    tiled_bytes = len(page.body())
    settings.MUEANG_MAP_TILE_THRESHOLD = 100_000
    inline_bytes = len(visit.goto(MAP).body())
    assert tiled_bytes < inline_bytes - 300_000  # the roads left the page


def drawn_road_colours(page) -> set[str]:
    return set(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('path.mueang-road-tile'))
                .map(p => p.getAttribute('stroke'))"""
        )
    )


def test_a_tiled_map_still_shows_every_layer_and_minor_roads_from_z14(visit, settings):
    from geoapp.web.maps import ROAD_STYLES
    from layers.api.tiles import MAJOR_ROAD_CLASSES

    settings.MUEANG_MAP_TILE_THRESHOLD = 100
    visit.login("nst-health")
    response = visit.goto(MAP)
    visit.page.wait_for_function("() => document.querySelectorAll('path.mueang-road-tile').length")
    visit.page.evaluate("() => window.mueangMap.map.setZoom(13, {animate: false})")
    visit.page.wait_for_load_state("networkidle")
    overview = drawn_road_colours(visit.page)
    visit.page.evaluate("() => window.mueangMap.map.setZoom(15, {animate: false})")
    visit.page.wait_for_load_state("networkidle")
    detail = drawn_road_colours(visit.page)

    counts = rendered_counts(visit.page)
    expected = database_counts(NST, with_cases=True)
    major = {ROAD_STYLES[name][0] for name in MAJOR_ROAD_CLASSES}
    assert response.status == 200
    assert {k: counts[k] for k in ("landmarks", "flood_zones", "cases", "masked_cases")} == {
        k: expected[k] for k in ("landmarks", "flood_zones", "cases", "masked_cases")
    }
    assert counts["roads"] == 0  # roads come as tiles
    overlays = visit.page.locator(".leaflet-control-layers-overlays label")
    assert overlays.count() == 5  # subdistricts, flood zones, roads, landmarks, cases
    assert overview
    assert overview <= major  # below z14: major classes only
    assert ROAD_STYLES["residential"][0] in detail  # from z14: every class
    assert visit.console_errors == []
    assert visit.foreign_hosts() == set()
