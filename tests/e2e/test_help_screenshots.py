"""The user manual's screenshots, taken again on every run so they never show an old page.

Each manual under docs/th/ shows pages as `![...](img/<name>.png)`; SHOTS says which page and
which demo login each name is. The test logs in as that role, opens the page at 1280 x 800 and
writes docs/th/img/<name>.png. A name the manuals use but SHOTS does not know fails the test, so
a new screenshot cannot be referenced without being regenerated here.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from layers.dengue.selectors import zone_key_for_case
from layers.models import DengueCase
from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
PLAN_DAY = date(2026, 11, 21)
SIZE = {"width": 1280, "height": 800}
MAP_READY = "window.mueangMap !== undefined"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "th"
IMAGE_REFERENCE = re.compile(r"\]\(img/([a-z0-9-]+\.png)\)")


def _work_order() -> str:
    first = DengueCase.objects.filter(municipality__code=NST).order_by("report_date", "id")[0]
    zone = zone_key_for_case(municipality_id=first.municipality_id, case_id=first.pk)
    return f"/m/{NST}/dengue/spray/{zone}/print/?date={PLAN_DAY}&team=2"


# file name -> (path or a function returning it, demo login (None: anonymous), waits for a map)
SHOTS: dict[str, tuple] = {
    "login.png": ("/accounts/login/", None, False),
    "volunteer-landing.png": ("/", None, False),
    "planner-dashboard.png": (f"/m/{NST}/", "nst-planner", True),
    "planner-map.png": (f"/m/{NST}/map/", "nst-planner", True),
    "planner-catalogue.png": (f"/m/{NST}/catalogue/", "nst-planner", False),
    "planner-dataset.png": (f"/m/{NST}/catalogue/roads-osm/", "nst-planner", False),
    "planner-import.png": (f"/m/{NST}/import/", "nst-planner", False),
    "health-dengue.png": (f"/m/{NST}/dengue/", "nst-health", True),
    "health-spray-plan.png": (f"/m/{NST}/dengue/spray/?date={PLAN_DAY}", "nst-health", False),
    "health-work-order.png": (_work_order, "nst-health", False),
    "health-radius.png": (f"/m/{NST}/dengue/radius/", "nst-health", False),
    "health-cases.png": (f"/m/{NST}/cases/", "nst-health", False),
    "disaster-flood.png": (f"/m/{NST}/flood/", "nst-disaster", True),
    "disaster-aid.png": (f"/m/{NST}/flood/aid/", "nst-disaster", False),
    "disaster-needs.png": (f"/m/{NST}/flood/needs/", "nst-disaster", False),
    "admin-two-factor.png": ("/accounts/two-factor/", "nst-admin", False),
    "admin-dashboard-settings.png": (f"/m/{NST}/dashboard/settings/", "nst-admin", False),
    "admin-access-log.png": (f"/m/{NST}/pdpa/access-log/", "nst-admin", False),
    "admin-requests.png": (f"/m/{NST}/pdpa/requests/", "nst-admin", False),
}


def referenced_images() -> dict[str, str]:
    """Every screenshot the manuals show: file name -> the manual that shows it."""
    found = {}
    for manual in sorted(DOCS.glob("*.md")):
        for name in IMAGE_REFERENCE.findall(manual.read_text(encoding="utf-8")):
            found.setdefault(name, manual.name)
    return found


def test_every_screenshot_the_manuals_show_is_taken_here():
    referenced = referenced_images()

    assert referenced, "the manuals show no screenshot"
    unknown = {name: manual for name, manual in referenced.items() if name not in SHOTS}
    assert unknown == {}, "screenshots the manuals show but this test does not take"


@pytest.mark.parametrize("name", list(SHOTS))
def test_manual_screenshot_is_taken_from_the_page_it_describes(browser, app_url, db, name):
    path, username, has_map = SHOTS[name]
    path = path() if callable(path) else path
    context = browser.new_context(viewport=SIZE, locale="th-TH")
    page = context.new_page()
    try:
        if username:
            page.goto(f"{app_url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", DEMO_PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_load_state("networkidle")
            assert "/accounts/login/" not in page.url, f"{username} could not log in"
        response = page.goto(app_url + path)
        assert response.status == 200, f"{path}: HTTP {response.status}"
        if has_map:
            page.wait_for_function(MAP_READY)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "th"

        target = DOCS / "img" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target))
        assert target.stat().st_size > 0
    finally:
        context.close()


def test_every_image_the_manuals_show_exists_on_disk():
    """Runs after the screenshots (file order): a name with no file fails here."""
    missing = [name for name in referenced_images() if not (DOCS / "img" / name).is_file()]

    assert missing == []
