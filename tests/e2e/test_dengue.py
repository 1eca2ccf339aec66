"""Khun Malee's day in a real browser: the dengue dashboard, the spray plan, the printed order."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest
from django.utils import timezone

from analysis.dengue import space_time_clusters, spray_zones
from layers.models import DengueCase, Municipality, SprayRound
from layers.selectors import dengue_case_frame
from layers.tenancy import all_tenants_scope

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
DASHBOARD = f"/m/{NST}/dengue/"
PLAN_DAY = date(2026, 11, 21)
TEAM = "ทีม 2 (ทดสอบ e2e)"


def drawn(page) -> dict[str, int]:
    page.wait_for_function("window.mueangMap !== undefined")
    return page.evaluate(
        """() => ({
            cases: document.querySelectorAll('path.mueang-case').length,
            zones: document.querySelectorAll('path.mueang-zone').length,
            clusters: document.querySelectorAll('path.mueang-cluster').length,
        })"""
    )


def expected_on(on: date) -> dict[str, int]:
    """What the map must draw on a day, from the ORM and the analyses (not from the page code)."""
    municipality = Municipality.objects.get(code=NST)
    cases = dengue_case_frame(municipality=municipality).to_crs(municipality.metric_srid)
    cases = cases[cases["report_date"] <= on].reset_index(drop=True)
    cases["onset_date"] = pd.to_datetime(cases["onset_date"])
    zones = spray_zones(cases, radius_m=municipality.spray_radius_m, active_days=28, as_of=on)
    clusters = space_time_clusters(cases)
    last = clusters[clusters["cluster_id"] >= 0].groupby("cluster_id")["onset_date"].max()
    return {
        "cases": DengueCase.objects.filter(municipality=municipality, report_date__lte=on).count(),
        "zones": int(zones["active"].sum()),
        "clusters": int((last + pd.Timedelta(days=28) > pd.Timestamp(on)).sum()),
    }


def overflow(page) -> int:
    """Pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_dashboard_draws_every_case_the_open_zones_and_the_active_clusters(visit):
    visit.login("nst-health")

    response = visit.goto(DASHBOARD)

    assert response.status == 200
    counts = drawn(visit.page)
    expected = expected_on(timezone.localdate())
    assert counts == expected
    assert counts["cases"] == DengueCase.objects.filter(municipality__code=NST).count() == 156
    assert counts["zones"] > 0
    assert counts["clusters"] > 0
    assert visit.page.locator(".mueang-epi-bar").count() == 52
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []  # among others: no script refused by the CSP


def test_dashboard_as_of_an_earlier_day_draws_that_days_situation(visit):
    visit.login("nst-health")

    visit.goto(f"{DASHBOARD}?as_of=2026-07-01")

    assert drawn(visit.page) == expected_on(date(2026, 7, 1))
    assert visit.console_errors == []


@pytest.mark.parametrize(
    "path",
    [DASHBOARD, f"{DASHBOARD}spray/?date=2026-11-21", f"{DASHBOARD}radius/"],
    ids=["dashboard", "spray-plan", "radius"],
)
def test_pages_fit_a_phone_without_horizontal_scrolling(browser, app_url, db, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{app_url}/accounts/login/")
    page.fill("#id_username", "nst-health")
    page.fill("#id_password", "mueang-demo-2569")
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")

    response = page.goto(app_url + path)
    page.wait_for_load_state("networkidle")

    assert response.status == 200
    assert overflow(page) <= 0
    if path == DASHBOARD:
        assert drawn(page)["cases"] == 156
        box = page.locator(".dengue-map-frame").bounding_box()
        assert box["width"] <= 390
        assert box["height"] > 200
    assert errors == []
    context.close()


@pytest.fixture
def rounds_recorded_in_the_browser(django_db_setup, django_db_blocker):
    """Rounds the live server commits are deleted afterwards (after the test's rollback)."""
    yield
    with django_db_blocker.unblock(), all_tenants_scope():
        SprayRound.objects.filter(team=TEAM).delete()


def test_team_leader_prints_the_work_order_and_records_the_round(
    rounds_recorded_in_the_browser, visit
):
    visit.login("nst-health")
    visit.goto(f"{DASHBOARD}spray/?date={PLAN_DAY}")
    card = visit.page.locator("article.dengue-zone").first
    key = card.get_attribute("data-zone-key")

    card.locator("input[name=team]").first.fill(TEAM)
    card.get_by_role("button", name=re.compile("Print the work order|พิมพ์ใบสั่งงาน")).click()
    visit.page.wait_for_load_state("networkidle")

    assert f"/spray/{key}/print/" in visit.page.url
    assert TEAM in visit.page.locator(".work-order-team").inner_text()
    assert visit.page.locator("svg .mueang-zone-outline").count() == 1
    assert visit.page.locator(".mueang-case, [class*=case]").count() == 0

    visit.page.go_back()
    card = visit.page.locator(f"article[data-zone-key={key}]")
    card.locator("details.dengue-record summary").click()
    # The form offers the zone's first round not done (round 1 when it was missed); this
    # team does the round the card is on the plan for, the last one offered.
    rounds = card.locator("select[name=round] option")
    card.locator("select[name=round]").select_option(rounds.last.get_attribute("value"))
    card.locator("input[name=team]").last.fill(TEAM)
    card.locator("textarea[name=notes]").fill("บ้านปิด 2 หลัง")
    card.locator(".dengue-record-form button[type=submit]").click()
    visit.page.wait_for_load_state("networkidle")

    assert visit.page.locator(".dengue-message").count() == 1
    done = visit.page.locator(f"article[data-zone-key={key}]")
    assert "dengue-zone-done" in done.get_attribute("class")
    assert TEAM in done.inner_text()
    assert visit.console_errors == []


def test_work_order_prints_on_one_a4_sheet(visit):
    visit.login("nst-health")
    visit.goto(f"{DASHBOARD}spray/?date={PLAN_DAY}")
    key = visit.page.locator("article.dengue-zone").first.get_attribute("data-zone-key")

    response = visit.goto(f"{DASHBOARD}spray/{key}/print/?date={PLAN_DAY}&team=2")

    assert response.status == 200
    sizes = visit.page.evaluate(
        """() => [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
                .filter(rule => rule instanceof CSSPageRule)
                .map(rule => rule.style.getPropertyValue('size'))"""
    )
    assert any("a4" in size.lower() for size in sizes)
    visit.page.emulate_media(media="print")
    assert visit.page.locator(".work-order-tools").is_hidden()
    pdf = visit.page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes, "the PDF has pages"
    assert all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)
    assert len(boxes) == 1, "the work order fits one A4 sheet"
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []
