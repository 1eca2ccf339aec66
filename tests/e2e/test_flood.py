"""Khun Wichai's flood day in a real browser: the dashboard map, the aid list printed and exported.

What the map must draw comes from `analysis.flood` run here on the same layers, not from the
page code.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.utils import translation

from layers.models import FloodZone, Municipality
from tests.geoapp.test_flood_pages import assess

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
DASHBOARD = f"/m/{NST}/flood/"
AID = f"/m/{NST}/flood/aid/"
NEEDS = f"/m/{NST}/flood/needs/"


def drawn(page) -> dict[str, int]:
    """SVG paths Leaflet drew per flood layer (one per feature, multi-parts included)."""
    page.wait_for_function("() => window.mueangMap !== undefined")
    return page.evaluate(
        """() => ({
            impassable: document.querySelectorAll('path.mueang-impassable').length,
            landmarks: document.querySelectorAll('path.mueang-flooded-landmark').length,
            buildings: document.querySelectorAll('path.mueang-flooded-building').length,
            cut_off: document.querySelectorAll('path.mueang-cut-off').length,
        })"""
    )


def expected_drawing() -> dict[str, int]:
    a = assess(Municipality.objects.get(code=NST))
    return {
        "impassable": int(a.roads.pieces["impassable"].sum()),
        "landmarks": int(a.landmarks["affected"].sum()),
        "buildings": int(a.buildings["affected"].sum()),
        "cut_off": int(a.access.facilities["cut_off"].sum()),
    }


def overflow(page) -> int:
    """Pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_dashboard_map_draws_what_the_analysis_finds(visit):
    expected = expected_drawing()
    visit.login("nst-disaster")

    response = visit.goto(DASHBOARD)

    assert response.status == 200
    assert drawn(visit.page) == expected
    assert expected["impassable"] > 100
    assert expected["landmarks"] > 5
    layers = visit.page.evaluate("Object.keys(window.mueangMap.layers).sort()")
    assert {"impassable_roads", "landmarks", "buildings", "cut_off", "zones"} <= set(layers)
    # A tooltip names the road's class and flood class, built from text (never markup).
    visit.page.locator("path.mueang-impassable").first.dispatch_event("mouseover")
    tooltip = visit.page.locator(".leaflet-tooltip").first
    tooltip.wait_for()
    with translation.override("th"):
        hazard_labels = [str(label) for _value, label in FloodZone.HazardClass.choices]
    assert any(label in tooltip.inner_text() for label in hazard_labels)
    assert visit.foreign_hosts() == set()
    assert visit.dialogs == []
    assert visit.console_errors == []  # among others: no script refused by the CSP


def test_disaster_officer_prints_and_exports_the_aid_list(visit):
    """Scenario 3: from the dashboard to the printed list for village heads and the CSV."""
    expected = assess(Municipality.objects.get(code=NST)).priority
    visit.login("nst-disaster")
    visit.goto(DASHBOARD)
    people = visit.page.locator("#people-affected").inner_text()

    # Thai is the default language: the link reads "บัญชีครัวเรือนที่ต้องช่วยเหลือก่อน...".
    visit.page.locator("a.button", has_text="บัญชีครัวเรือนที่ต้องช่วยเหลือก่อน").click()
    visit.page.wait_for_load_state("networkidle")
    visit.page.fill("#flood-top", "40")
    visit.page.locator("form.flood-filter button[type=submit]").click()
    visit.page.wait_for_load_state("networkidle")

    assert people
    assert "/flood/aid/" in visit.page.url
    shown = [
        int(b)
        for b in visit.page.locator("tbody tr[data-building]").evaluate_all(
            "rows => rows.map(r => r.dataset.building)"
        )
    ]
    assert shown == expected["id"].head(40).astype(int).tolist()
    sizes = visit.page.evaluate(
        """() => [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
                .filter(rule => rule instanceof CSSPageRule)
                .map(rule => rule.style.getPropertyValue('size'))"""
    )
    assert any("a4" in size.lower() for size in sizes)

    with visit.page.expect_download() as download:
        visit.page.locator("a", has_text="CSV").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [int(r[1]) for r in rows] == shown

    visit.page.emulate_media(media="print")
    assert visit.page.locator(".site-header").is_hidden()
    assert visit.page.locator("form.flood-filter").is_hidden()
    assert visit.page.locator(".flood-print-head").is_visible()
    pdf = visit.page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes, "the PDF has pages"
    assert all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)
    assert visit.foreign_hosts() == set()
    assert visit.dialogs == []
    assert visit.console_errors == []


def test_viewer_sees_the_dashboard_but_not_the_household_list(visit):
    visit.login("nst-viewer")

    dashboard = visit.goto(DASHBOARD)
    links = visit.page.locator(f"a[href^='{AID}']").count()
    aid = visit.goto(AID)

    assert dashboard.status == 200
    assert links == 0
    assert aid.status == 403


@pytest.mark.parametrize("path", [DASHBOARD, f"{AID}?top=30", NEEDS])
def test_flood_pages_fit_a_phone_screen_without_horizontal_overflow(browser, app_url, db, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(app_url + "/accounts/login/")
    page.fill("#id_username", "nst-disaster")
    page.fill("#id_password", "mueang-demo-2569")
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")

    response = page.goto(app_url + path)
    page.wait_for_load_state("networkidle")

    assert response.status == 200
    assert overflow(page) <= 0
    if path == DASHBOARD:
        box = page.locator(".folium-map").bounding_box()
        assert box["width"] <= 390
        assert box["height"] > 300
    assert errors == []
    context.close()
