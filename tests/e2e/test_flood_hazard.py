"""Switching the flood hazard in a real browser, at desktop and phone width.

The officer starts on the flood zones of the event, picks the depth raster, then a water level
over the DEM; each time the map draws the hazard and the figures follow the analysis run here
on the same stored rasters.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from layers.models import Municipality
from layers.rasters import raster_file
from tests.e2e.test_flood import overflow
from tests.geoapp.test_flood_hazards import DEPTH, assess_raster, dataset
from tests.geoapp.test_flood_pages import assess

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
DASHBOARD = f"/m/{NST}/flood/"


def login(page, app_url: str, username: str = "nst-disaster") -> None:
    page.goto(app_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "mueang-demo-2569")
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")


def choose(page, hazard: str) -> None:
    page.locator(f"input[name=hazard][value={hazard}]").check()
    page.locator("#flood-hazard-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => window.mueangMap !== undefined")


def figure(page, name: str) -> str:
    return page.locator(f"#{name}").inner_text().strip()


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_switching_the_hazard_redraws_the_map_and_the_figures(browser, app_url, db, viewport):
    cache.clear()
    nst = Municipality.objects.get(code=NST)
    zones = assess(nst)
    depth = assess_raster(nst, raster_file(dataset=dataset(DEPTH)))
    width, height = viewport
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=width < 500
    )
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("request", lambda request: requests.append(request.url))
    login(page, app_url)

    page.goto(app_url + DASHBOARD)
    page.wait_for_function("() => window.mueangMap !== undefined")
    assert page.locator("input[name=hazard][value=zones]").is_checked()
    assert page.locator("path.mueang-flood-zone").count() > 0
    assert figure(page, "buildings-affected") == f"{int(zones.buildings['affected'].sum()):,}"

    choose(page, "depth")
    assert "hazard=depth" in page.url
    assert page.locator("#flood-hazard-line").get_attribute("data-hazard") == "depth"
    assert page.locator("img.mueang-flood-depth").count() == 1
    assert page.locator("path.mueang-flood-zone").count() == 0
    assert page.evaluate("document.querySelector('img.mueang-flood-depth').naturalWidth") > 10
    assert figure(page, "buildings-affected") == f"{int(depth.buildings['affected'].sum()):,}"
    assert figure(page, "people-affected") == f"{depth.population.affected:,.0f}"
    assert overflow(page) <= 0

    page.fill("#flood-level", "4.5")
    choose(page, "bathtub")
    assert "hazard=bathtub" in page.url
    assert "level=4.5" in page.url
    assert page.locator("#flood-hazard-line").get_attribute("data-hazard") == "bathtub"
    assert page.locator("img.mueang-flood-depth").count() == 1
    higher = int(figure(page, "buildings-affected").replace(",", ""))
    assert higher > int(depth.buildings["affected"].sum())
    assert overflow(page) <= 0
    box = page.locator(".folium-map").bounding_box()
    assert box["width"] <= width

    # The aid list follows the hazard from the dashboard's link.
    page.locator("a.button", has_text="บัญชีครัวเรือนที่ต้องช่วยเหลือก่อน").click()
    page.wait_for_load_state("networkidle")
    assert "hazard=bathtub" in page.url
    assert page.locator("#flood-hazard-line").get_attribute("data-hazard") == "bathtub"
    assert overflow(page) <= 0

    own = app_url.split("//", 1)[1]
    assert {r.split("//", 1)[1].split("/", 1)[0] for r in requests if "//" in r} <= {own}
    assert errors == []
    context.close()
