"""Accessibility of the main pages: axe-core finds no serious or critical violations.

axe-core is vendored (tests/e2e/vendor, see its README) and injected with `page.evaluate`, which
runs over the DevTools protocol and so is not subject to the pages' script-nonce CSP. Each page
is checked at desktop (1280 x 800) and phone (390 x 844) width; a full-page screenshot of each
goes to tests/e2e/screenshots/ (git-ignored) for a look by eye.
"""

from __future__ import annotations

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
    ("open_dengue", f"/open/{NST}/dengue/", False, False),
    ("api_collections", "/api/collections?f=html", True, False),
    ("home_planner", f"/m/{NST}/", True, True),
    ("dashboard_settings", f"/m/{NST}/dashboard/settings/", True, False),
    ("field_app", f"/m/{NST}/field/app/", True, False),
    ("field_assignments", f"/m/{NST}/field/", True, False),
    ("field_conflicts", f"/m/{NST}/field/conflicts/", True, False),
]
# Pages checked as another role than nst-health.
USERS = {
    "home_planner": "nst-planner",
    "dashboard_settings": "nst-admin",
    "field_app": "nst-volunteer",
}

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
