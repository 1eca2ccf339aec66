"""A planner deletes a dataset from its catalogue page; the catalogue says who and when."""

from __future__ import annotations

import pytest

from layers.catalogue.services import dataset_delete
from layers.imports import layer_import
from layers.models import Dataset, DatasetEvent, Municipality, Road
from layers.tenancy import all_tenants_scope
from tests.layers.import_data import roads_frame, write_geojson

NST = "nakhon-si-thammarat"
SLUG = "e2e-old-roads"


@pytest.fixture
def old_roads(django_db_setup, django_db_blocker, tmp_path):
    """A committed roads dataset of three roads; deleted afterwards if the test left it."""
    with django_db_blocker.unblock():
        municipality = Municipality.objects.get(code=NST)
        path = write_geojson(roads_frame(3), tmp_path / "old-roads.geojson")
        layer_import(
            municipality=municipality,
            kind="roads",
            path=path,
            dataset_slug=SLUG,
            dataset_title="ถนนชุดเก่า (ทดสอบ)",
            id_field="id",
        )
    yield SLUG
    with django_db_blocker.unblock(), all_tenants_scope():
        left = Dataset.objects.filter(municipality=municipality, slug=SLUG).first()
        if left is not None:
            dataset_delete(municipality=municipality, dataset=left, user=None)
        DatasetEvent.objects.filter(municipality=municipality, slug=SLUG).delete()


def test_a_planner_deletes_a_dataset_after_confirming(old_roads, visit):
    page = visit.page
    visit.login("nst-planner")
    visit.goto(f"/m/{NST}/catalogue/{old_roads}/")

    page.click(".dataset-delete-link")
    assert "3" in page.locator(".dataset-delete-warning").inner_text()
    page.click(".dataset-delete-confirm")
    page.wait_for_load_state("networkidle")

    assert page.url.endswith(f"/m/{NST}/catalogue/#deleted-title")
    assert "ถนนชุดเก่า (ทดสอบ)" in page.locator(".history-messages").inner_text()
    row = page.locator("table.dataset-events tr.dataset-event-deleted").first
    assert "ถนนชุดเก่า (ทดสอบ)" in row.inner_text()
    assert "nst-planner" in row.inner_text()
    with all_tenants_scope():
        assert not Dataset.objects.filter(municipality__code=NST, slug=old_roads).exists()
        assert not Road.objects.filter(municipality__code=NST, dataset__slug=old_roads).exists()
    assert visit.foreign_hosts() == set()


def test_a_viewer_sees_no_delete_link(visit):
    visit.login("nst-viewer")
    visit.goto(f"/m/{NST}/catalogue/roads-osm/")

    assert visit.page.locator(".dataset-delete-link").count() == 0
    assert visit.page.locator("#deleted-title").count() == 0
