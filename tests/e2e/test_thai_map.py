"""The map in Thai, as a browser shows it: a metric scale and a Thai data credit."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

MAPS = ["/m/nakhon-si-thammarat/map/", "/m/nakhon-si-thammarat/dengue/"]


@pytest.mark.parametrize("path", MAPS)
def test_the_map_scale_is_in_metres_and_the_credit_in_thai(visit, path):
    visit.login("nst-health")
    visit.goto(path)
    scale = visit.page.locator(".leaflet-control-scale")
    scale.first.wait_for()

    lines = [t.strip() for t in scale.locator(".leaflet-control-scale-line").all_inner_texts()]
    credit = visit.page.locator(".leaflet-control-attribution").first.inner_text()

    assert len(lines) == 1, lines  # one line: metres, no miles ("1 mi") beneath
    assert re.fullmatch(r"\d+ k?m", lines[0]), lines
    assert "ผู้ร่วมพัฒนา OpenStreetMap" in credit
    assert "contributors" not in credit
