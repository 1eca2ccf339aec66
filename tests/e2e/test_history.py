"""Scenario 1: a road deleted by mistake is restored from its history in the browser."""

from __future__ import annotations

import pytest
from django.db import connection

from layers.history.services import restore_feature
from layers.models import Municipality, Road
from layers.tenancy import all_tenants_scope

NST = "nakhon-si-thammarat"


def row_text(pk: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM layers_road t WHERE t.id = %s", [pk])
        found = cursor.fetchone()
    return found[0] if found else None


@pytest.fixture
def road_to_delete(django_db_setup, django_db_blocker):
    """A demo road; put back afterwards if the test left it deleted (the server commits)."""
    with django_db_blocker.unblock(), all_tenants_scope():
        road = Road.objects.filter(municipality__code=NST, dataset__slug="roads-osm").order_by(
            "-id"
        )[3]
        original = row_text(road.pk)
    yield road, original
    with django_db_blocker.unblock(), all_tenants_scope():
        if row_text(road.pk) is None:
            restore_feature(
                municipality=Municipality.objects.get(code=NST), layer="roads", feature_id=road.pk
            )


def test_an_administrator_restores_a_deleted_road_from_the_dataset_page(road_to_delete, visit):
    road, original = road_to_delete
    page = visit.page
    visit.login("nst-admin")

    # A colleague deletes the road in the admin by mistake.
    visit.goto(f"/admin/layers/road/{road.pk}/delete/")
    page.click("form input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert row_text(road.pk) is None

    # The dataset page's history shows the deletion and links to the road's history.
    visit.goto(f"/m/{NST}/catalogue/roads-osm/")
    change = page.locator("table.history-changes tbody tr").first
    assert "history-op-delete" in change.get_attribute("class")
    assert "nst-admin" in change.inner_text()
    change.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".history-state").inner_text() == "รายการนี้ถูกลบแล้ว"

    page.click(".history-restore-latest button")
    page.wait_for_load_state("networkidle")

    assert page.locator(".history-state").inner_text() == "รายการนี้มีอยู่"
    assert "กู้คืน" in page.locator(".history-messages").inner_text()
    assert page.locator("table.history-versions tbody tr").first.get_attribute("class") == (
        "history-op-insert"
    )
    assert row_text(road.pk) == original
    assert visit.foreign_hosts() == set()
