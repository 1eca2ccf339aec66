"""The import wizard in a real browser with a real job worker, at desktop and phone width.

A planner uploads a GeoJSON from the catalogue, sees the features on the preview map and in the
table, picks a column the suggestions missed, runs the dry run, imports with the progress bar
reaching 100 %, opens the new dataset and downloads it.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Visit
from tests.geoapp.test_import_wizard import committed  # noqa: F401 (a fixture)
from tests.layers.import_data import landmarks_frame, write_geojson
from tests.worker import run_in_thread

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_planner_imports_a_file_through_the_wizard(browser, app_url, committed, tmp_path, width):  # noqa: F811
    frame = landmarks_frame(5)
    frame["english"] = [f"Place {i + 1}" for i in range(5)]
    path = write_geojson(frame, tmp_path / "wizard-e2e.geojson")
    slug = f"wizard-e2e-{width}"
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="th-TH")
    visit = Visit(context.new_page(), app_url)
    page = visit.page
    worker = run_in_thread(poll_s=0.1)
    try:
        visit.login("nst-planner")
        visit.goto(f"/m/{NST}/catalogue/")
        page.click("a.import-link")
        page.wait_for_load_state("networkidle")
        assert _fits(page)

        page.select_option("select[name=kind]", "landmarks")
        page.set_input_files("input[name=file]", str(path))
        page.click("form.import-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.wait_for_function("window.mueangImportPreview !== undefined")
        assert page.locator("path.mueang-import-preview").count() == 5
        assert page.locator("table.import-table tbody tr").count() == 5
        assert "สถานที่ 1" in page.locator("table.import-table").inner_text()
        assert _fits(page)

        page.click("button.import-next")
        page.wait_for_load_state("networkidle")
        assert page.locator("#field-name_th").input_value() == "ชื่อ"  # suggested
        assert page.locator("#field-name_en").input_value() == ""
        page.select_option("#field-name_en", "english")
        page.fill("input[name=dataset_slug]", slug)
        assert _fits(page)
        page.click("form.import-form button[type=submit]")

        # The dry run's progress block reloads the page with its report when it ends.
        page.wait_for_selector(".import-report", timeout=30_000)
        counts = page.locator("table.import-counts").inner_text()
        assert "5" in counts.split("\n")[0]
        assert _fits(page)
        page.click("button.import-go")

        page.wait_for_selector("a.import-dataset-link", timeout=30_000)
        assert page.locator(".job-bar").evaluate("bar => bar.value") == 1
        assert page.locator(".job-bar").text_content().strip() == "100%"
        assert _fits(page)
        page.click("a.import-dataset-link")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith(f"/m/{NST}/catalogue/{slug}/")
        page.wait_for_function("window.mueangPreview !== undefined")
        assert page.locator("path.mueang-preview").count() == 5

        with page.expect_download() as download:
            page.locator("a.catalogue-download", has_text="GeoJSON").click()
        document = json.loads(download.value.path().read_text(encoding="utf-8"))
        names = sorted(f["properties"]["name_en"] for f in document["features"])
        assert names == [f"Place {i + 1}" for i in range(5)]

        assert visit.foreign_hosts() == set()
        assert visit.dialogs == []
        assert visit.console_errors == []
    finally:
        worker.stopping.set()
        context.close()


def test_the_upload_page_fits_a_phone(browser, app_url, db):
    """Also makes pytest-django set up the test database when this file runs alone."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    visit = Visit(context.new_page(), app_url)
    visit.login("nst-planner")

    response = visit.goto(f"/m/{NST}/import/")
    visit.page.wait_for_load_state("networkidle")

    assert response.status == 200
    assert _fits(visit.page)
    assert visit.page.locator("select[name=kind] option[value=dengue_cases]").count() == 0
    context.close()
