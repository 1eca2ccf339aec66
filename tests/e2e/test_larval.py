"""The larval page in a real browser: what each role sees, the round filter, no third party."""

from __future__ import annotations

import pytest

from layers.field.office import positive_houses
from layers.models import DengueCase, Municipality
from layers.tenancy import all_tenants_scope

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
LARVAL = f"/m/{NST}/dengue/larval/"


def survey_day() -> str:
    with all_tenants_scope():
        last = DengueCase.objects.filter(municipality__code=NST).latest("report_date")
        return last.report_date.isoformat()


def drawn(page) -> dict[str, int]:
    page.wait_for_selector(".leaflet-container")
    return page.evaluate(
        """() => ({
            zones: document.querySelectorAll('path.mueang-larval-zone').length,
            places: document.querySelectorAll('path.mueang-larval-place').length,
            houses: document.querySelectorAll('path.mueang-larval-house').length,
        })"""
    )


def test_a_health_officer_sees_every_positive_house_on_the_map(visit):
    with all_tenants_scope():
        municipality = Municipality.objects.get(code=NST)
        expected = len(positive_houses(municipality=municipality))
    visit.login("nst-health")

    response = visit.goto(f"{LARVAL}?date={survey_day()}")

    assert response.status == 200
    counts = drawn(visit.page)
    assert counts["houses"] == expected > 0
    assert counts["zones"] > 0
    assert counts["places"] > 0
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []


def test_a_viewer_sees_zone_colours_but_no_house(visit):
    visit.login("nst-viewer")

    visit.goto(f"{LARVAL}?date={survey_day()}")

    counts = drawn(visit.page)
    assert counts["houses"] == 0
    assert counts["zones"] > 0
    assert visit.page.get_by_text("Houses with larvae").count() == 0
    assert visit.console_errors == []


def test_the_round_filter_shows_one_round(visit):
    visit.login("nst-health")
    visit.goto(LARVAL)

    visit.page.select_option("#larval-round", "2")
    visit.page.click("#larval-filter button[type=submit]")
    visit.page.wait_for_load_state("networkidle")

    assert "round=2" in visit.page.url
    rounds = visit.page.locator("table.larval-table tbody tr td:nth-child(2)").all_inner_texts()
    assert rounds
    assert set(rounds) == {"2"}
