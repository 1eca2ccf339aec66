"""An administrator sets up an authenticator app in the browser, then logs in with a code."""

from __future__ import annotations

import time

import psycopg2
import pyotp
import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "totp-e2e-password-2569"


def _connect():
    """A committed connection beside the test's transaction: the live server must see the user."""
    from django.db import connection

    settings = connection.settings_dict
    db = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
    )
    db.autocommit = True
    return db


@pytest.fixture
def platform_admin(visit):
    """A platform superuser of its own, so enrolling never changes the demo logins."""
    from django.contrib.auth.hashers import make_password

    username = f"totp-e2e-{time.time_ns()}"
    db = _connect()
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, "
            "first_name, last_name, email, date_joined) "
            "VALUES (%s, %s, true, true, true, '', '', '', now()) RETURNING id",
            [username, make_password(PASSWORD)],
        )
        (user_id,) = cursor.fetchone()
    yield username
    with db.cursor() as cursor:
        cursor.execute(
            "DELETE FROM geoapp_totprecoverycode WHERE device_id IN "
            "(SELECT id FROM geoapp_totpdevice WHERE user_id = %s)",
            [user_id],
        )
        cursor.execute("DELETE FROM geoapp_totpdevice WHERE user_id = %s", [user_id])
        cursor.execute("DELETE FROM geoapp_loginfailure WHERE username = %s", [username])
        cursor.execute("DELETE FROM auth_user WHERE id = %s", [user_id])
    db.close()


def test_an_admin_enrols_and_then_logs_in_with_a_code(visit, platform_admin):
    page = visit.page
    visit.login(platform_admin, PASSWORD)
    assert page.url.endswith("/m/")

    page.click("a[href='/accounts/two-factor/']")
    page.click("#start-form button")
    assert page.locator(".totp-qr svg").is_visible()
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.fill("#confirm-form input[name=code]", pyotp.TOTP(secret).now())
    page.click("#confirm-form button")

    codes = page.locator("#recovery-codes li code")
    assert codes.count() == 10
    assert page.locator("#two-factor-on").is_visible()

    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_load_state("networkidle")
    visit.login(platform_admin, PASSWORD)
    assert page.url.endswith("/accounts/login/code/")
    assert page.locator("#login-code input[name=code]").is_visible()

    page.fill("#login-code input[name=code]", "000000")
    page.click("#login-code button")
    assert page.locator("#login-code [role=alert]").is_visible()
    assert page.url.endswith("/accounts/login/code/")

    # The code of the next 30-second step: the current one was used up by the enrolment.
    page.fill("#login-code input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("#login-code button")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/m/")

    admin = visit.goto("/admin/")
    assert admin.status == 200
    assert page.url.endswith("/admin/")
    assert page.locator("#site-name").is_visible()
    assert visit.foreign_hosts() == set()
