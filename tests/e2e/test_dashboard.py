"""Home pages in a browser: each role lands on its dashboard; an admin arranges the widgets."""

from __future__ import annotations

import re

import pytest

from geoapp.models import DashboardConfig
from layers.tenancy import all_tenants_scope

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"


@pytest.fixture
def settings_saved_in_the_browser(django_db_setup, django_db_blocker):
    """What the live server commits is removed afterwards (after the test's rollback)."""
    yield
    with django_db_blocker.unblock(), all_tenants_scope():
        DashboardConfig.objects.filter(municipality__code=NST).delete()


def widgets_on(page) -> list[str]:
    return page.eval_on_selector_all(
        ".dashboard-grid [data-widget]", "sections => sections.map(s => s.dataset.widget)"
    )


@pytest.mark.parametrize(
    ("username", "path", "heading"),
    [
        ("nst-planner", f"/m/{NST}/", re.compile("ภาพรวมโครงสร้างพื้นฐาน")),
        ("nst-health", f"/m/{NST}/dengue/", re.compile("สถานการณ์ไข้เลือดออก")),
        ("nst-disaster", f"/m/{NST}/flood/", re.compile("ภาพรวมสถานการณ์น้ำท่วม")),
    ],
)
def test_each_role_lands_on_its_dashboard(visit, username, path, heading):
    visit.login(username)

    assert visit.page.url == visit.base_url + path
    assert heading.search(visit.page.locator("h1").inner_text())
    assert visit.console_errors == []


def test_an_administrator_arranges_the_home_page_without_javascript(
    settings_saved_in_the_browser, db, browser, app_url
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="en-US"
    )
    page = context.new_page()
    page.goto(f"{app_url}/accounts/login/")
    page.fill("#id_username", "nst-admin")
    page.fill("#id_password", "mueang-demo-2569")
    page.click("form.login button[type=submit]")
    assert page.url == f"{app_url}/m/{NST}/"
    first, second, *rest = widgets_on(page)

    page.click("#customise-dashboard")
    page.click(f"#widget-{first} button[value='down:{first}']")
    assert page.locator(".dashboard-message").count() == 1
    page.uncheck(f"#widget-{rest[-1]} input[name=widgets]")
    page.check("input[name=map_layers][value=flood_zones]")
    page.fill("#id_stale_after_days", "90")
    page.press("#id_stale_after_days", "Enter")  # Enter saves; it must not move a widget

    page.goto(f"{app_url}/m/{NST}/")
    assert widgets_on(page) == [second, first, *rest[:-1]]
    assert "90 วัน" in page.locator("#widget-data_freshness").inner_text()
    context.close()
