"""Every main page at phone (390 x 844, touch) and desktop (1280 x 800) width, as its role.

Nothing may stick out sideways: the document is no wider than the window, and no element
reaches past either edge unless it sits inside a container declared to scroll (overflow-x
auto or scroll, e.g. `.table-scroll`) or inside a Leaflet map (which clips its own panes).
A full-page screenshot of each goes to $MUEANG_SCREENSHOT_DIR (default
tests/e2e/screenshots/phone-width/, git-ignored) for a look by eye. The maps must take touch:
a tap on a landmark opens its popup, a one-finger drag pans.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from layers.dengue.selectors import zone_key_for_case
from layers.models import DengueCase, Landmark

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
PASSWORD = "mueang-demo-2569"
PLAN_DAY = date(2026, 11, 21)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MAP_READY = "window.mueangMap !== undefined"
SCREENSHOTS = Path(
    os.environ.get("MUEANG_SCREENSHOT_DIR") or Path(__file__).parent / "screenshots" / "phone-width"
)


def _first_case_id() -> int:
    return DengueCase.objects.filter(municipality__code=NST).order_by("id").first().pk


def _first_report_id() -> int:
    from geoapp.models import Report

    return Report.objects.filter(municipality__code=NST).order_by("id").first().pk


def _first_category_id() -> int:
    from geoapp.models import ServiceCategory

    return ServiceCategory.objects.filter(municipality__code=NST).order_by("id").first().pk


def _zone_key() -> str:
    first = DengueCase.objects.filter(municipality__code=NST).order_by("report_date", "id")[0]
    return zone_key_for_case(municipality_id=first.municipality_id, case_id=first.pk)


# name -> (path or a function returning it, user (None: anonymous), waits for a map)
PAGES: dict[str, tuple] = {
    "landing": ("/", None, False),
    "login": ("/accounts/login/", None, False),
    "municipalities": ("/m/", "nst-planner", False),
    "home": (f"/m/{NST}/", "nst-planner", True),
    "home-admin": (f"/m/{NST}/", "nst-admin", True),
    "dashboard-settings": (f"/m/{NST}/dashboard/settings/", "nst-admin", False),
    "map": (f"/m/{NST}/map/", "nst-planner", True),
    "dengue": (f"/m/{NST}/dengue/", "nst-health", True),
    "dengue-radius": (f"/m/{NST}/dengue/radius/", "nst-health", False),
    "spray-plan": (f"/m/{NST}/dengue/spray/?date={PLAN_DAY}", "nst-health", False),
    "work-order": (
        lambda: f"/m/{NST}/dengue/spray/{_zone_key()}/print/?date={PLAN_DAY}&team=2",
        "nst-health",
        False,
    ),
    "cases": (f"/m/{NST}/cases/", "nst-health", False),
    "larval": (f"/m/{NST}/dengue/larval/", "nst-health", True),
    "larval-viewer": (f"/m/{NST}/dengue/larval/", "nst-viewer", True),
    "larval-bands": (f"/m/{NST}/dengue/larval/bands/", "nst-health", False),
    "case": (lambda: f"/m/{NST}/cases/{_first_case_id()}/", "nst-health", False),
    "flood": (f"/m/{NST}/flood/", "nst-disaster", True),
    "flood-aid": (f"/m/{NST}/flood/aid/", "nst-disaster", False),
    "flood-needs": (f"/m/{NST}/flood/needs/", "nst-disaster", False),
    "relief": (f"/m/{NST}/flood/relief/", "nst-disaster", False),
    "relief-new": (f"/m/{NST}/flood/relief/new/", "nst-disaster", False),
    "relief-rates": (f"/m/{NST}/flood/relief/rates/", "nst-admin", False),
    "relief-summary": (f"/m/{NST}/flood/relief/summary/", "nst-approver", False),
    "catalogue": (f"/m/{NST}/catalogue/", "nst-planner", False),
    "dataset": (f"/m/{NST}/catalogue/roads-osm/", "nst-planner", False),
    "pdpa-access-log": (f"/m/{NST}/pdpa/access-log/", "nst-admin", False),
    "pdpa-requests": (f"/m/{NST}/pdpa/requests/", "nst-admin", False),
    "reports-queue": (f"/m/{NST}/reports/", "nst-planner", True),
    "reports-report": (lambda: f"/m/{NST}/reports/{_first_report_id()}/", "nst-admin", False),
    "reports-summary": (f"/m/{NST}/reports/summary/", "nst-viewer", False),
    "reports-settings": (f"/m/{NST}/reports/settings/", "nst-admin", False),
    "reports-categories": (f"/m/{NST}/reports/categories/", "nst-admin", False),
    "reports-category": (
        lambda: f"/m/{NST}/reports/categories/{_first_category_id()}/",
        "nst-admin",
        False,
    ),
    "open-datasets": (f"/open/{NST}/datasets/", None, False),
    "open-dengue": (f"/open/{NST}/dengue/", None, False),
}

# Elements past an edge, outside any declared scroll container or map: what overflows.
# `width` is the viewport asked for: a mobile browser zooms out to fit a page that is too wide,
# so window.innerWidth grows with the overflow and cannot be the yardstick.
OVERFLOW = """(width) => {
    const contained = (element) => {
        const top = document.documentElement;
        for (let p = element.parentElement; p && p !== top; p = p.parentElement) {
            const style = getComputedStyle(p);
            if (style.overflowX === 'auto' || style.overflowX === 'scroll') return true;
            if (p.classList.contains('leaflet-container')) return true;
        }
        return false;
    };
    const describe = (element, box) => {
        const id = element.id ? '#' + element.id : '';
        const cls = typeof element.className === 'string' && element.className
            ? '.' + element.className.trim().split(/\\s+/).join('.') : '';
        const span = `[${Math.round(box.left)}..${Math.round(box.right)}]`;
        return `${element.tagName.toLowerCase()}${id}${cls} ${span}`;
    };
    const offenders = [];
    for (const element of document.body.querySelectorAll('*')) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        if (box.right <= width + 1 && box.left >= -1) continue;
        if (getComputedStyle(element).visibility === 'hidden') continue;
        if (contained(element)) continue;
        // Shapes inside an SVG are clipped to its viewport (unless it says overflow: visible).
        const svg = element.ownerSVGElement;
        if (svg && getComputedStyle(svg).overflow !== 'visible') continue;
        offenders.push(describe(element, box));
    }
    return {
        width: width,
        innerWidth: window.innerWidth,
        scrollWidth: document.scrollingElement.scrollWidth,
        offenders: offenders.slice(0, 15),
    };
}"""


def new_page(browser, app_url: str, viewport: dict, username: str | None):
    phone = viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport, has_touch=phone, is_mobile=phone, locale="th-TH"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    if username:
        page.goto(f"{app_url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/accounts/login/" not in page.url, f"{username} could not log in"
    return context, page, errors


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_the_width_without_sideways_overflow(browser, app_url, db, name, viewport):
    path, username, has_map = PAGES[name]
    path = path() if callable(path) else path
    context, page, errors = new_page(browser, app_url, viewport, username)
    try:
        response = page.goto(app_url + path)
        assert response.status == 200, f"{path}: HTTP {response.status}"
        if has_map:
            page.wait_for_function(MAP_READY)
        page.wait_for_load_state("networkidle")

        width = "phone" if viewport is PHONE else "desktop"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)

        found = page.evaluate(OVERFLOW, viewport["width"])
        assert found["offenders"] == [], f"{path} at {width} width: elements past the edge"
        assert found["scrollWidth"] <= found["width"] + 1, (
            f"{path} at {width} width scrolls sideways: {found}"
        )
        assert found["innerWidth"] == viewport["width"], f"{path}: the browser zoomed out"
        assert errors == []
    finally:
        context.close()


# --- touch -----------------------------------------------------------------------------------

LANDMARK_CENTRE = """() => {
    const paths = [...document.querySelectorAll('path.mueang-landmark')];
    for (const path of paths) {
        const box = path.getBoundingClientRect();
        const x = box.left + box.width / 2, y = box.top + box.height / 2;
        // Only a landmark that is on screen and on top (no control over it) can be tapped.
        if (x > 20 && y > 20 && x < innerWidth - 20 && y < innerHeight - 20
            && document.elementFromPoint(x, y) === path) {
            return {x: x, y: y};
        }
    }
    return null;
}"""


def touch_drag(page, start: tuple[float, float], end: tuple[float, float], steps: int = 8):
    """A one-finger drag through the DevTools protocol (real touch events, not mouse)."""
    session = page.context.new_cdp_session(page)
    (x0, y0), (x1, y1) = start, end
    session.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]}
    )
    for i in range(1, steps + 1):
        x, y = x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps
        session.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


@pytest.mark.parametrize(
    ("path", "username"),
    [(f"/m/{NST}/map/", "nst-planner"), (f"/m/{NST}/", "nst-planner")],
    ids=["map", "home"],
)
def test_the_map_takes_touch_on_a_phone(browser, app_url, db, path, username):
    context, page, errors = new_page(browser, app_url, PHONE, username)
    try:
        page.goto(app_url + path)
        page.wait_for_function(MAP_READY)
        page.wait_for_load_state("networkidle")
        page.locator(".folium-map").scroll_into_view_if_needed()

        handlers = page.evaluate(
            """() => { const m = window.mueangMap.map; return {
                touch: L.Browser.touch, dragging: m.dragging.enabled(),
                pinch: m.touchZoom.enabled() }; }"""
        )
        assert handlers == {"touch": True, "dragging": True, "pinch": True}

        centre = page.evaluate(LANDMARK_CENTRE)
        assert centre is not None, "a landmark on screen to tap"
        page.touchscreen.tap(centre["x"], centre["y"])
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=5000)
        names = set(
            Landmark.objects.filter(municipality__code=NST).values_list("name_th", flat=True)
        )
        assert any(name and name in popup.inner_text() for name in names)

        before = page.evaluate("window.mueangMap.map.getCenter()")
        box = page.locator(".folium-map").bounding_box()
        mid = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        touch_drag(page, mid, (mid[0] - 120, mid[1] - 60))
        page.wait_for_timeout(400)
        after = page.evaluate("window.mueangMap.map.getCenter()")
        assert after["lng"] > before["lng"]  # dragged left: the view moves east
        assert after["lat"] < before["lat"]  # dragged up: the view moves south

        # Nothing covers the zoom buttons; the layer switcher opens with a tap and folds again.
        zoom = page.locator(".leaflet-control-zoom-in").bounding_box()
        covered = page.evaluate(
            "([x, y]) => !document.elementFromPoint(x, y).closest('.leaflet-control-zoom-in')",
            [zoom["x"] + zoom["width"] / 2, zoom["y"] + zoom["height"] / 2],
        )
        assert not covered
        switcher = page.locator(".leaflet-control-layers")
        assert "leaflet-control-layers-expanded" not in switcher.get_attribute("class")
        toggle = page.locator(".leaflet-control-layers-toggle").bounding_box()
        page.touchscreen.tap(toggle["x"] + toggle["width"] / 2, toggle["y"] + toggle["height"] / 2)
        page.locator(".leaflet-control-layers-list").wait_for(state="visible", timeout=5000)
        assert errors == []
    finally:
        context.close()


def test_the_overflow_check_finds_a_wide_element_but_not_one_in_a_scroll_container(
    browser, app_url, db
):
    context, page, _errors = new_page(browser, app_url, PHONE, None)
    try:
        page.goto(app_url + "/")
        assert page.evaluate(OVERFLOW, PHONE["width"])["offenders"] == []
        page.evaluate(
            """() => {
                const scroller = document.createElement('div');
                scroller.className = 'table-scroll';
                scroller.innerHTML = '<table style="width: 900px"><tr><td>wide</td></tr></table>';
                document.querySelector('main').append(scroller);
            }"""
        )
        assert page.evaluate(OVERFLOW, PHONE["width"])["offenders"] == []

        page.evaluate(
            """() => {
                const wide = document.createElement('p');
                wide.id = 'too-wide';
                wide.style.width = '600px';
                wide.textContent = 'x';
                document.querySelector('main').append(wide);
            }"""
        )
        found = page.evaluate(OVERFLOW, PHONE["width"])
        assert any(o.startswith("p#too-wide") for o in found["offenders"]), found
        assert found["scrollWidth"] > found["width"] + 1
    finally:
        context.close()


# --- the header on a phone (issue 17) ----------------------------------------------------------

HEADER_PAGES = ["home", "dengue", "spray-plan", "flood", "flood-aid", "map", "catalogue"]


@pytest.mark.parametrize("name", HEADER_PAGES)
def test_the_header_folds_into_a_menu_button_under_80_px_on_a_phone(browser, app_url, db, name):
    path, username, has_map = PAGES[name]
    path = path() if callable(path) else path
    context, page, errors = new_page(browser, app_url, PHONE, username)
    try:
        page.goto(app_url + path)
        if has_map:
            page.wait_for_function(MAP_READY)
        header = page.locator(".site-header")
        button = page.locator(".menu-toggle")

        assert header.bounding_box()["height"] < 80
        assert button.is_visible()
        assert button.get_attribute("aria-expanded") == "false"
        assert page.locator("#site-menu nav a").first.is_hidden()
        box = button.bounding_box()
        assert box["width"] >= 44  # a thumb's target
        assert box["height"] >= 44

        button.tap()
        assert button.get_attribute("aria-expanded") == "true"
        links = page.locator("#site-menu nav a")
        assert links.first.is_visible()
        assert links.count() >= 2
        button.tap()
        assert button.get_attribute("aria-expanded") == "false"
        assert errors == []
    finally:
        context.close()


def test_the_menu_opens_and_closes_from_the_keyboard(browser, app_url, db):
    context, page, errors = new_page(browser, app_url, PHONE, "nst-planner")
    try:
        page.goto(app_url + f"/m/{NST}/catalogue/")
        button = page.locator(".menu-toggle")
        button.focus()

        page.keyboard.press("Enter")
        assert button.get_attribute("aria-expanded") == "true"
        focused = page.evaluate("document.activeElement.closest('#site-menu') !== null")
        assert focused  # the first item of the menu takes the focus
        page.keyboard.press("Escape")
        assert button.get_attribute("aria-expanded") == "false"
        assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
        page.keyboard.press("Space")
        assert button.get_attribute("aria-expanded") == "true"
        assert errors == []
    finally:
        context.close()


def test_on_a_desktop_the_header_shows_its_links_without_a_menu_button(browser, app_url, db):
    context, page, errors = new_page(browser, app_url, DESKTOP, "nst-planner")
    try:
        page.goto(app_url + f"/m/{NST}/catalogue/")

        assert page.locator(".menu-toggle").is_hidden()
        assert page.locator("#site-menu nav a").first.is_visible()
        assert errors == []
    finally:
        context.close()
