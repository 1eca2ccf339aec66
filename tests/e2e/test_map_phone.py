"""The maps read as a municipal office's map on a phone (issue 17): a legend that folds, names
written on the map when zoomed in, a scale in metres, and the layers that matter to the role."""

from __future__ import annotations

import pytest

from layers.models import Landmark
from tests.e2e.test_phone_width import DESKTOP, MAP_READY, NST, PHONE, new_page

pytestmark = pytest.mark.e2e

MAP = f"/m/{NST}/map/"


def _open(browser, app_url, viewport, username, path=MAP):
    context, page, errors = new_page(browser, app_url, viewport, username)
    page.goto(app_url + path)
    page.wait_for_function(MAP_READY)
    page.wait_for_load_state("networkidle")
    return context, page, errors


@pytest.mark.parametrize(
    "path", [MAP, f"/m/{NST}/dengue/", f"/m/{NST}/flood/"], ids=["map", "dengue", "flood"]
)
def test_the_legend_is_folded_on_a_phone_and_opens_with_a_tap(browser, app_url, db, path):
    user = {"map": "nst-planner"}.get(path.rstrip("/").split("/")[-1], "nst-health")
    if "flood" in path:
        user = "nst-disaster"
    context, page, errors = _open(browser, app_url, PHONE, user, path)
    try:
        legend = page.locator("details.mueang-legend")
        summary = legend.locator("summary")
        map_box = page.locator(".folium-map").bounding_box()

        assert legend.evaluate("d => d.open") is False
        folded = legend.bounding_box()
        assert folded["height"] < 50
        assert folded["width"] * folded["height"] < 0.05 * map_box["width"] * map_box["height"]
        summary.tap()
        assert legend.evaluate("d => d.open") is True
        assert legend.locator(".mueang-legend-row").first.is_visible()
        assert errors == []
    finally:
        context.close()


def test_on_a_desk_the_legend_is_open(browser, app_url, db):
    context, page, errors = _open(browser, app_url, DESKTOP, "nst-planner")
    try:
        assert page.locator("details.mueang-legend").evaluate("d => d.open") is True
        assert page.locator("details.mueang-legend summary").inner_text() == "คำอธิบายสัญลักษณ์"
        assert errors == []
    finally:
        context.close()


def test_the_scale_is_in_metres_only(browser, app_url, db):
    context, page, errors = _open(browser, app_url, PHONE, "nst-planner")
    try:
        lines = page.locator(".leaflet-control-scale-line").all_inner_texts()

        assert len(lines) == 1
        assert lines[0].strip().endswith(("m", "km"))
        assert "mi" not in lines[0]
        assert "ft" not in lines[0]
        assert errors == []
    finally:
        context.close()


def test_landmark_names_are_written_on_the_map_when_zoomed_in(browser, app_url, db):
    context, page, errors = _open(browser, app_url, DESKTOP, "nst-planner")
    try:
        labels = page.locator(".leaflet-tooltip.mueang-label")
        assert labels.count() > 0
        assert labels.first.is_hidden()  # the town at once: names would bury the map

        page.evaluate("window.mueangMap.map.setZoom(17, {animate: false})")
        page.wait_for_timeout(300)

        shown = {t.strip() for t in labels.all_inner_texts() if t.strip()}
        names = set(
            Landmark.objects.filter(municipality__code=NST)
            .exclude(name_th="")
            .values_list("name_th", flat=True)
        )
        assert shown & names
        assert any(labels.nth(i).is_visible() for i in range(min(labels.count(), 200)))
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(
    ("username", "selector", "shown"),
    [
        ("nst-planner", "path.mueang-case-masked", False),
        ("nst-health", "path.mueang-case", True),
    ],
)
def test_case_points_are_on_for_health_officers_and_off_for_planners(
    browser, app_url, db, username, selector, shown
):
    context, page, errors = _open(browser, app_url, PHONE, username)
    try:
        on_map = page.locator(selector).count() > 0

        assert on_map is shown
        if not shown:  # still there for whoever asks, in the layer switcher
            page.locator(".leaflet-control-layers-toggle").tap()
            box = page.locator(".leaflet-control-layers-overlays input[type=checkbox]")
            assert box.count() >= 3
        assert errors == []
    finally:
        context.close()


def test_the_zoom_to_data_button_brings_the_layers_back_into_view(browser, app_url, db):
    context, page, errors = _open(browser, app_url, PHONE, "nst-planner")
    try:
        page.evaluate("window.mueangMap.map.setView([13.75, 100.5], 12, {animate: false})")
        button = page.get_by_role("button", name="ซูมให้เห็นข้อมูลทุกชั้นที่เปิดอยู่")

        button.tap()
        page.wait_for_timeout(500)

        inside = page.evaluate(
            """() => { const m = window.mueangMap.map, b = m.getBounds(); let n = 0, all = 0;
                m.eachLayer(l => {
                    if (l.getLatLng) { all++; if (b.contains(l.getLatLng())) n++; }
                });
                return [n, all]; }"""
        )
        assert inside[1] > 0
        assert inside[0] >= 0.9 * inside[1]  # the town's places are on screen again
        assert errors == []
    finally:
        context.close()
