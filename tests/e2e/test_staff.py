"""Scenario 4 in a browser: the administrator adds a health officer, who sets a password and works.

Two browser contexts: the administrator's, and the new officer's own (no shared cookies), who
receives only the link.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from geoapp.models import Membership
from layers.tenancy import all_tenants_scope
from tests.e2e.test_accessibility import AXE, BLOCKING, EXCLUDE, RUN_AXE, describe
from tests.e2e.test_phone_width import DESKTOP, OVERFLOW, PHONE, new_page

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
PASSWORD = "ยุงลาย-หมดไป-ปี-2569"


@pytest.fixture
def new_username(django_db_setup, django_db_blocker):
    """A username of this run; what the live server committed for it is removed afterwards.

    The change log is append-only: its rows about the account stay, like in production.
    """
    username = f"malee-{time.time_ns()}"
    yield username
    with django_db_blocker.unblock(), all_tenants_scope():
        Membership.objects.filter(user__username=username).delete()
        get_user_model().objects.filter(username=username).delete()


def test_the_administrator_adds_a_health_officer_who_logs_in_with_the_link(
    visit, browser, app_url, new_username
):
    admin = visit.page
    visit.login("nst-admin")
    visit.goto(f"/m/{NST}/")
    admin.click("#nav-staff")
    admin.click("#staff-add")
    admin.fill("#id_username", new_username)
    admin.fill("#id_first_name", "มาลี")
    admin.fill("#id_last_name", "ใจดี")
    admin.check("#roles input[value=health_officer]")
    admin.click("#staff-add-form button[type=submit]")

    link = admin.input_value("#set-password-link")
    admin.evaluate(AXE.read_text(encoding="utf-8"))
    blocking = [v for v in admin.evaluate(RUN_AXE, EXCLUDE) if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)
    assert link.startswith(f"{app_url}/accounts/password/set/")
    admin.click("#copy-link")
    expect(admin.locator("#copy-link")).to_have_text("คัดลอกแล้ว")

    officer_context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        officer = officer_context.new_page()
        officer.goto(link)
        assert "/set-password/" in officer.url  # the token is gone from the address
        officer.fill("#id_new_password1", PASSWORD)
        officer.fill("#id_new_password2", PASSWORD)
        officer.click("#set-password-form button[type=submit]")
        expect(officer.locator("#password-set")).to_be_visible()
        officer.click("#go-to-login")
        officer.fill("#id_username", new_username)
        officer.fill("#id_password", PASSWORD)
        officer.click("form.login button[type=submit]")

        expect(officer).to_have_url(f"{app_url}/m/{NST}/dengue/")
        expect(officer.locator("h1")).to_contain_text("สถานการณ์ไข้เลือดออก")
        officer.goto(link)
        expect(officer.locator("#link-invalid")).to_be_visible()  # the link worked once
    finally:
        officer_context.close()

    visit.goto(f"/m/{NST}/staff/")
    row = admin.locator(f"tr[data-username='{new_username}']")
    assert "ใช้งานอยู่" in row.inner_text()
    visit.goto(f"/m/{NST}/staff/log/")
    log = admin.inner_text("#staff-log")
    assert new_username in log
    assert "สร้างบัญชี" in log
    assert visit.foreign_hosts() == set()


def _viewer_id() -> int:
    return get_user_model().objects.get(username="nst-viewer").pk


# name -> (path or a function returning it, user (None: anonymous))
PAGES: dict[str, tuple] = {
    "staff-list": (f"/m/{NST}/staff/", "nst-admin"),
    "staff-add": (f"/m/{NST}/staff/add/", "nst-admin"),
    "staff-member": (lambda: f"/m/{NST}/staff/{_viewer_id()}/", "nst-admin"),
    "staff-remove": (lambda: f"/m/{NST}/staff/{_viewer_id()}/remove/", "nst-admin"),
    "staff-link": (lambda: f"/m/{NST}/staff/{_viewer_id()}/link/", "nst-admin"),
    "staff-log": (f"/m/{NST}/staff/log/", "nst-admin"),
    "forgot-password": ("/accounts/password/forgot/", None),
    "set-password-invalid": ("/accounts/password/set/AAAA/abc-123/", None),
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", list(PAGES))
def test_staff_pages_are_accessible_and_fit_a_phone(browser, app_url, db, name, viewport):
    path, username = PAGES[name]
    path = path() if callable(path) else path
    context, page, errors = new_page(browser, app_url, viewport, username)
    try:
        response = page.goto(app_url + path)
        assert response.status == 200, f"{path}: HTTP {response.status}"
        page.wait_for_load_state("networkidle")

        page.evaluate(AXE.read_text(encoding="utf-8"))
        blocking = [v for v in page.evaluate(RUN_AXE, EXCLUDE) if v["impact"] in BLOCKING]
        found = page.evaluate(OVERFLOW, viewport["width"])

        assert not blocking, f"{path}:\n{describe(blocking)}"
        assert found["offenders"] == [], f"{path}: elements past the edge"
        assert found["scrollWidth"] <= found["width"] + 1, f"{path} scrolls sideways: {found}"
        assert errors == []
    finally:
        context.close()
