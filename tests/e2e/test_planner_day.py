"""Issue 16's planner, end to end in one browser: find วัดพระมหาธาตุ by typing "มหาธาตุ" in the
header, land on the map at it, move it, save, and undo the move.

The parts are tested on their own in `test_search.py` and `test_map_edit.py`; this follows them as
one planner does, so the search's map link and the edit tools are checked to work together.
"""

from __future__ import annotations

import re

import pytest

from layers.history.selectors import feature_history
from layers.models import Landmark, Municipality
from layers.tenancy import all_tenants_scope
from tests.e2e.test_map_edit import _start_editing, temple  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"


def test_planner_finds_the_temple_by_typing_moves_it_and_undoes_the_move(temple, visit):  # noqa: F811
    landmark, original = temple
    page = visit.page
    visit.login("nst-planner")
    visit.goto(f"/m/{NST}/")

    box = page.locator("header").get_by_role("combobox")
    box.click()
    box.press_sequentially("มหาธาตุ", delay=30)
    page.get_by_role("option").filter(has_text=landmark.name_th).click()
    page.wait_for_url(re.compile(rf"/m/{NST}/map/\?layer=landmarks&feature={landmark.pk}$"))
    page.locator(".leaflet-popup-content").wait_for()
    assert landmark.name_th in page.locator(".leaflet-popup-content").inner_text()

    # The map opened at the temple close enough to edit: no panning needed.
    _start_editing(visit, "landmarks", landmark.pk)
    marker = page.locator(f".mueang-edit-marker[data-feature-id='{landmark.pk}']")
    marker.click()
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 30, steps=8)
    page.mouse.move(x + 80, y + 60, steps=8)
    page.mouse.up()
    page.click(".mueang-edit-save")
    page.wait_for_selector(".mueang-edit-saved")
    with all_tenants_scope():
        assert Landmark.objects.get(pk=landmark.pk).geom.distance(original) > 0.0001

    page.click(".mueang-edit-undo-button")
    page.wait_for_selector(".mueang-edit-undone")
    with all_tenants_scope():
        assert Landmark.objects.get(pk=landmark.pk).geom.equals_exact(original, 0)
        versions = feature_history(
            municipality=Municipality.objects.get(code=NST),
            layer="landmarks",
            feature_id=landmark.pk,
        )
    move, undo = versions[-2], versions[-1]
    assert move.context == "map edit"
    assert "geom" in move.changed
    assert undo.context.startswith("restore")
    assert "geom" in undo.changed
    assert {move.username, undo.username} == {"nst-planner"}
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []
