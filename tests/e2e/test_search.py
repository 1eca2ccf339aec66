"""The header search in a real browser: type part of a Thai name, pick it, land on the map."""

from __future__ import annotations

import re

import pytest

from layers.models import DengueCase, Landmark, Road

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
TEMPLE = "วัดพระมหาธาตุ วรมหาวิหาร"


def test_planner_finds_the_temple_by_part_of_its_name_and_the_map_opens_at_it(visit):
    temple = Landmark.objects.get(municipality__code=NST, name_th=TEMPLE)
    visit.login("nst-planner")
    visit.goto(f"/m/{NST}/")
    page = visit.page

    box = page.locator("header").get_by_role("combobox")
    box.click()
    box.press_sequentially("มหาธาตุ", delay=30)
    option = page.get_by_role("option").filter(has_text=TEMPLE)
    option.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    # Keyboard only: down to the temple's suggestion, Enter opens it.
    position = page.get_by_role("option").all_inner_texts().index(option.inner_text())
    for _ in range(position + 1):
        box.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    box.press("Enter")

    page.wait_for_url(re.compile(rf"/m/{NST}/map/\?layer=landmarks&feature={temple.pk}$"))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert TEMPLE in popup.inner_text()
    centre = page.evaluate(
        "() => { const c = window.mueangMap.map.getCenter();"
        " return [c.lng, c.lat, window.mueangMap.map.getZoom()]; }"
    )
    assert centre[0] == pytest.approx(temple.geom.x, abs=1e-4)
    assert centre[1] == pytest.approx(temple.geom.y, abs=1e-4)
    assert centre[2] >= 17
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []


def test_enter_without_a_chosen_suggestion_opens_the_results_page(visit):
    visit.login("nst-planner")
    visit.goto(f"/m/{NST}/catalogue/")
    page = visit.page

    box = page.locator("header").get_by_role("combobox")
    box.fill("มหาทาตุ")  # one letter wrong
    box.press("Enter")

    page.wait_for_url(re.compile(rf"/m/{NST}/search/\?q="))
    results = page.locator(".search-results")
    assert TEMPLE in results.inner_text()
    results.get_by_role("link", name=TEMPLE).click()
    page.locator(".leaflet-popup-content").wait_for()
    assert TEMPLE in page.locator(".leaflet-popup-content").inner_text()


def test_escape_closes_the_suggestions_and_names_from_data_stay_text(visit):
    visit.login("nst-planner")
    visit.goto(f"/m/{NST}/")
    page = visit.page

    box = page.locator("header").get_by_role("combobox")
    box.press_sequentially("ราชดำเนิน", delay=20)
    page.get_by_role("option").first.wait_for()
    assert page.locator("#site-search-list li *:not(span)").count() == 0
    box.press("Escape")

    assert page.locator("#site-search-list").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"


def test_a_road_drawn_from_vector_tiles_is_focused_from_the_features_api(visit, settings):
    """Large towns get roads as vector tiles, not in the page: the map reads the one road."""
    settings.MUEANG_MAP_TILE_THRESHOLD = 0
    road = Road.objects.filter(municipality__code=NST, name_th__startswith="ถนนราชดำเนิน").first()
    visit.login("nst-planner")

    visit.goto(f"/m/{NST}/map/?layer=roads&feature={road.pk}")

    page = visit.page
    page.locator(".mueang-map-frame[data-focused-feature]").wait_for()
    assert page.locator("path.mueang-road").count() == 0  # roads are tiles here
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert road.name_th in popup.inner_text()
    assert page.locator("path.mueang-focus").count() >= 1
    assert visit.console_errors == []


def test_a_crafted_link_to_a_case_shows_nothing_to_a_role_without_case_access(visit):
    """The map and the Features API both refuse: no outline, no popup."""
    case = DengueCase.objects.filter(municipality__code=NST).first()
    visit.login("nst-planner")

    visit.goto(f"/m/{NST}/map/?layer=cases&feature={case.pk}")
    visit.page.wait_for_load_state("networkidle")

    assert visit.page.locator(".leaflet-popup-content").count() == 0
    assert visit.page.locator(".mueang-map-frame[data-focused-feature]").count() == 0


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_results_page_and_the_open_suggestions_pass_axe_and_fit_the_screen(visit, width):
    from tests.e2e.test_accessibility import AXE, BLOCKING, RUN_AXE, describe

    page = visit.page
    page.set_viewport_size({"width": width, "height": 800})
    visit.login("nst-planner")
    visit.goto(
        f"/m/{NST}/search/?q=%E0%B8%A1%E0%B8%AB%E0%B8%B2%E0%B8%98%E0%B8%B2%E0%B8%95%E0%B8%B8"
    )
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible():  # at phone width the search box sits behind the header's menu
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
    box = page.locator("header").get_by_role("combobox")
    box.fill("")
    box.press_sequentially("ราชดำเนิน", delay=20)
    page.get_by_role("option").first.wait_for()
    box.press("ArrowDown")

    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(RUN_AXE, [])
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert TEMPLE in page.locator(".search-results").inner_text()
