"""Accessibility of the main pages: axe-core finds no serious or critical violations.

axe-core is vendored (tests/e2e/vendor, see its README) and injected with `page.evaluate`, which
runs over the DevTools protocol and so is not subject to the pages' script-nonce CSP. Each page
is checked at desktop (1280 x 800) and phone (390 x 844) width; a full-page screenshot of each
goes to tests/e2e/screenshots/ (git-ignored) for a look by eye.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"
BLOCKING = {"serious", "critical"}
MAP_READY = "window.mueangMap !== undefined"

# (name, path, logged in (as nst-health unless USERS says otherwise), wait for a map)
PAGES = [
    ("landing", "/", False, False),
    ("login", "/accounts/login/", False, False),
    ("municipalities", "/m/", True, False),
    ("home", f"/m/{NST}/", True, False),
    ("map", f"/m/{NST}/map/", True, True),
    ("dengue", f"/m/{NST}/dengue/", True, False),
    ("flood", f"/m/{NST}/flood/", True, False),
    ("flood_depth", f"/m/{NST}/flood/?hazard=bathtub", True, False),
    ("raster_dataset", f"/m/{NST}/catalogue/flood-depth-scenario-east/", True, False),
    ("cases", f"/m/{NST}/cases/", True, False),
    ("larval", f"/m/{NST}/dengue/larval/", True, False),
    ("larval_bands", f"/m/{NST}/dengue/larval/bands/", True, False),
    ("open_dengue", f"/open/{NST}/dengue/", False, False),
    ("api_collections", "/api/collections?f=html", True, False),
    ("home_planner", f"/m/{NST}/", True, True),
    ("dashboard_settings", f"/m/{NST}/dashboard/settings/", True, False),
    ("reports_queue", f"/m/{NST}/reports/", True, True),
    ("reports_report", lambda: f"/m/{NST}/reports/{_first_report_id()}/", True, False),
    ("reports_summary", f"/m/{NST}/reports/summary/", True, False),
    ("reports_categories", f"/m/{NST}/reports/categories/", True, False),
    (
        "reports_category",
        lambda: f"/m/{NST}/reports/categories/{_first_category_id()}/",
        True,
        False,
    ),
    ("field_app", f"/m/{NST}/field/app/", True, False),
    ("field_assignments", f"/m/{NST}/field/", True, False),
    ("field_conflicts", f"/m/{NST}/field/conflicts/", True, False),
]
# Pages checked as another role than nst-health.
USERS = {
    "home_planner": "nst-planner",
    "dashboard_settings": "nst-admin",
    "reports_report": "nst-admin",  # every form of the page: assign, status, done, override
    "reports_categories": "nst-admin",
    "reports_category": "nst-admin",
    "field_app": "nst-volunteer",
}


def _first_report_id() -> int:
    from geoapp.models import Report

    return Report.objects.filter(municipality__code=NST).order_by("id").first().pk


def _first_category_id() -> int:
    from geoapp.models import ServiceCategory

    return ServiceCategory.objects.filter(municipality__code=NST).order_by("id").first().pk


# Only markup we do not write is left out: the internals Leaflet (via folium) generates inside
# the map container. The container itself, our legend and our controls are still checked.
EXCLUDE = [
    [".leaflet-control-layers-list"],  # folium's layer switcher: unlabelled inputs it builds
    [".leaflet-marker-pane"],
    [".leaflet-tile-pane"],
]

RUN_AXE = """async (exclude) => {
    const result = await axe.run(
        {include: [document], exclude: exclude},
        {resultTypes: ['violations']},
    );
    return result.violations.map(v => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 8).map(n => n.target.join(' ')),
        count: v.nodes.length,
    }));
}"""


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['impact']}: {v['id']} ({v['help']}), {v['count']} nodes: {v['targets']}"
        for v in violations
    )


@pytest.mark.parametrize(("name", "path", "logged_in", "has_map"), PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_accessibility_violations(visit, viewport, name, path, logged_in, has_map):
    page = visit.page
    page.set_viewport_size(viewport)
    if logged_in:
        visit.login(USERS.get(name, "nst-health"))
    path = path() if callable(path) else path
    response = visit.goto(path)
    assert response is not None, path
    assert response.status == 200, f"{path}: HTTP {response.status}"
    if has_map:
        page.wait_for_function(MAP_READY)
    page.wait_for_load_state("networkidle")

    width = "phone" if viewport["width"] < 600 else "desktop"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}-{width}.png"), full_page=True)

    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(RUN_AXE, EXCLUDE)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{path} at {width} width:\n{describe(blocking)}"

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} at {width} width overflows by {overflow} px"


def test_the_open_phone_menu_has_no_serious_violations(visit):
    """The header's menu at 390 px, opened: a named button that says whether it is open."""
    page = visit.page
    page.set_viewport_size({"width": 390, "height": 844})
    visit.login("nst-planner")
    visit.goto(f"/m/{NST}/")
    page.wait_for_function(MAP_READY)
    button = page.get_by_role("button", name=re.compile("Menu|เมนู"))

    button.click()

    assert button.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("navigation", name=re.compile("Main menu|เมนูหลัก")).is_visible()
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(RUN_AXE, EXCLUDE)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)
