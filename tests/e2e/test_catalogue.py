"""The catalogue in a real browser: find a dataset, preview it, download it, on a phone too."""

from __future__ import annotations

import json

import pytest

from layers.models import Dataset, Landmark

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
CATALOGUE = f"/m/{NST}/catalogue/"
DEMO_PASSWORD = "mueang-demo-2569"


def test_planner_finds_previews_and_downloads_a_dataset(visit):
    visit.login("nst-planner")
    assert visit.goto(CATALOGUE).status == 200
    visit.page.fill("form.catalogue-filters input[name=q]", "สถานที่สำคัญ")
    visit.page.click("form.catalogue-filters button[type=submit]")
    visit.page.wait_for_load_state("networkidle")

    visit.page.locator("a.catalogue-dataset-link").first.click()
    visit.page.wait_for_load_state("networkidle")
    visit.page.wait_for_function("window.mueangPreview !== undefined")

    dataset = Dataset.objects.get(municipality__code=NST, slug="landmarks-osm")
    drawn = visit.page.locator("path.mueang-preview").count()
    assert drawn == Landmark.objects.filter(dataset=dataset).count() > 40
    rows = visit.page.locator("table.catalogue-table tbody tr").count()
    assert rows == min(50, drawn)
    assert visit.page.locator(".catalogue-licence").inner_text().startswith("ODbL")

    with visit.page.expect_download() as download:
        visit.page.locator("a.catalogue-download", has_text="GeoJSON").click()
    assert download.value.suggested_filename == "nakhon-si-thammarat-landmarks-osm.geojson"
    document = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert len(document["features"]) == drawn
    assert document["license"] == dataset.licence

    assert visit.foreign_hosts() == set()
    assert visit.dialogs == []
    assert visit.console_errors == []


@pytest.mark.parametrize(
    ("path", "username"),
    [
        (CATALOGUE, "nst-planner"),
        (f"{CATALOGUE}roads-osm/", "nst-planner"),
        (f"/open/{NST}/datasets/", None),
    ],
    ids=["catalogue", "dataset", "open-data"],
)
def test_catalogue_pages_fit_a_phone(browser, app_url, db, path, username):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    if username:
        page.goto(f"{app_url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_load_state("networkidle")

    response = page.goto(app_url + path)
    page.wait_for_load_state("networkidle")

    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    if "roads-osm" in path:
        box = page.locator(".catalogue-map-frame").bounding_box()
        assert box["width"] <= 390
        assert box["height"] > 200
    assert errors == []
    context.close()
