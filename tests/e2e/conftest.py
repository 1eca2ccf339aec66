"""Browser fixtures: Debian's chromium driven by Playwright against a live Mueang server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from tests.e2e.browser import CHROMIUM_ARGS, chromium_path

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make here are
# still synchronous, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_PASSWORD = "mueang-demo-2569"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class Visit:
    """One browser tab plus everything it requested and every dialog it opened."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("form.login button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def foreign_hosts(self) -> set[str]:
        own = urlparse(self.base_url).netloc
        return {
            urlparse(url).netloc
            for url in self.requests
            if not url.startswith(("data:", "blob:", "about:")) and urlparse(url).netloc != own
        }


@pytest.fixture(autouse=True)
def feature_history_left_as_found(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Erase the feature history a browser test committed through the live server.

    The live server commits what the browser does (a move and its undo, a case added), and the
    history triggers record it; left behind, those entries would show up in later tests' "recent
    changes" and history counts. Autouse, so it is set up first and torn down last: after the
    test's own clean-up fixtures, whose restores are recorded too. The erase goes through the
    history guard's PDPA path (`mueang.history_erase`), the only one that may delete.
    """
    from django.db import connection, transaction

    from layers.models import FeatureHistory
    from layers.tenancy import all_tenants_scope

    with django_db_blocker.unblock(), all_tenants_scope():
        mark = FeatureHistory.objects.order_by("-id").values_list("id", flat=True).first() or 0
    yield
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        all_tenants_scope(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('mueang.history_erase', 'pdpa', true)")
        cursor.execute("DELETE FROM layers_featurehistory WHERE id > %s", [mark])


@pytest.fixture(params=[(1280, 800), (390, 844)], ids=["desktop", "phone"])
def viewport(request) -> dict[str, int]:
    width, height = request.param
    return {"width": width, "height": height}


@pytest.fixture
def visit(browser, app_url, db) -> Iterator[Visit]:
    """A fresh browser context (no cookies) at desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    yield Visit(context.new_page(), app_url)
    context.close()
