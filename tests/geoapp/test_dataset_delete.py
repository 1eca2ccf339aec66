"""Datasets of any kind: delete with confirmation and a history line; imports undone from the page.

"Other dataset" imports (kept as a file) show their imports and roll back like layers; an
import that created its dataset takes the dataset with it when rolled back, and the
catalogue's history records that.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from layers.history.services import rollback_import
from layers.imports import layer_import
from layers.models import Dataset, DatasetEvent, FeatureHistory, ImportRun, Road
from layers.tenancy import all_municipality_ids, tenant_scope_set
from tests.layers.import_data import roads_frame, write_geojson

NST = "nakhon-si-thammarat"


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def rescope() -> None:
    """Requests scope the test's transaction to one municipality: look as the platform again."""
    tenant_scope_set(municipality_ids=all_municipality_ids())


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _import(nst, kind: str, slug: str, tmp_path, count: int = 3, name: str = "a.geojson"):
    path = write_geojson(roads_frame(count), tmp_path / name)
    planner = get_user_model().objects.get(username="nst-planner")
    return layer_import(
        municipality=nst, kind=kind, path=path, dataset_slug=slug, id_field="id", user=planner
    )


def _delete_url(slug: str) -> str:
    return reverse("catalogue-dataset-delete", kwargs={"code": NST, "slug": slug})


def test_a_planner_deletes_a_dataset_after_confirming_and_the_catalogue_says_who(nst, tmp_path):
    _import(nst, "roads", "old-roads", tmp_path)
    road_ids = list(Road.objects.filter(dataset__slug="old-roads").values_list("pk", flat=True))
    planner = client_for("nst-planner")

    confirm = planner.get(_delete_url("old-roads"))
    with translation.override("th"):
        deleted = planner.post(_delete_url("old-roads"), follow=True)
    rescope()

    assert confirm.status_code == 200
    assert "3" in confirm.content.decode()
    assert deleted.status_code == 200
    assert not Dataset.objects.filter(municipality=nst, slug="old-roads").exists()
    assert not Road.objects.filter(pk__in=road_ids).exists()
    event = DatasetEvent.objects.get(municipality=nst, slug="old-roads")
    assert (event.action, event.features, event.user.username) == ("deleted", 3, "nst-planner")
    deletions = FeatureHistory.objects.filter(
        municipality=nst, layer="roads", feature_id__in=road_ids, op="delete"
    )
    assert deletions.count() == 3
    assert {e.context for e in deletions} == {"dataset old-roads deleted"}
    page = deleted.content.decode()
    assert "dataset-event-deleted" in page
    assert "nst-planner" in page


@pytest.mark.parametrize(
    ("username", "status"),
    [("nst-viewer", 403), ("nst-health", 403), ("nst-disaster", 403), ("chon-planner", 404)],
)
def test_who_may_not_delete_a_dataset_cannot(db, username, status):
    client = client_for(username)

    shown = client.get(_delete_url("roads-osm"))
    posted = client.post(_delete_url("roads-osm"))
    rescope()

    assert (shown.status_code, posted.status_code) == (status, status)
    assert Dataset.objects.filter(municipality__code=NST, slug="roads-osm").exists()


def test_a_planner_cannot_delete_a_case_dataset_it_cannot_see(nst):
    cases = Dataset.objects.filter(municipality=nst, kind="dengue_cases").first()

    response = client_for("nst-planner").post(_delete_url(cases.slug))
    rescope()

    assert response.status_code == 404
    assert Dataset.objects.filter(pk=cases.pk).exists()


def test_an_other_dataset_shows_its_imports_and_its_rollback_removes_it_with_a_record(
    nst, tmp_path, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = _import(nst, "dataset", "pumps", tmp_path)
    planner = client_for("nst-planner")
    page = planner.get(reverse("catalogue-dataset", kwargs={"code": NST, "slug": "pumps"}))
    rollback_url = reverse(
        "catalogue-import-rollback",
        kwargs={"code": NST, "slug": "pumps", "import_id": report.import_run},
    )

    preview = planner.get(rollback_url)
    with django_capture_on_commit_callbacks(execute=True):
        done = planner.post(rollback_url)
    rescope()

    assert page.status_code == 200
    assert rollback_url in page.content.decode()
    assert preview.status_code == 200
    assert "history-dataset-removed" in preview.content.decode()
    assert done.status_code == 302
    assert done["Location"] == reverse("catalogue", kwargs={"code": NST})
    assert not Dataset.objects.filter(municipality=nst, slug="pumps").exists()
    event = DatasetEvent.objects.get(municipality=nst, slug="pumps")
    assert (event.action, event.import_ref, event.user.username) == (
        "rolled_back",
        report.import_run,
        "nst-planner",
    )
    assert ImportRun.objects.get(pk=report.import_run).rolled_back_at is not None


def test_rolling_back_the_import_that_made_a_layer_dataset_leaves_no_empty_dataset(nst, tmp_path):
    report = _import(nst, "roads", "new-roads", tmp_path)

    preview = rollback_import(municipality=nst, import_id=report.import_run, dry_run=True)
    result = rollback_import(municipality=nst, import_id=report.import_run)

    assert preview.dataset_removed
    assert result.dataset_removed
    assert result.removed == 3
    assert not Dataset.objects.filter(municipality=nst, slug="new-roads").exists()
    assert DatasetEvent.objects.get(municipality=nst, slug="new-roads").import_ref == (
        report.import_run
    )


def test_rolling_back_a_later_import_keeps_the_dataset(nst, tmp_path):
    _import(nst, "roads", "kept-roads", tmp_path)
    second = _import(nst, "roads", "kept-roads", tmp_path, count=5, name="b.geojson")

    result = rollback_import(municipality=nst, import_id=second.import_run)

    assert not result.dataset_removed
    assert Road.objects.filter(dataset__slug="kept-roads").count() == 3
    assert not DatasetEvent.objects.filter(slug="kept-roads").exists()


def test_a_dataset_with_features_added_after_its_import_stays_on_rollback(nst, tmp_path):
    report = _import(nst, "roads", "grown-roads", tmp_path)
    dataset = Dataset.objects.get(municipality=nst, slug="grown-roads")
    first = Road.objects.filter(dataset=dataset).first()
    Road.objects.create(municipality=nst, dataset=dataset, name_th="ถนนที่วาดเพิ่ม", geom=first.geom)

    result = rollback_import(municipality=nst, import_id=report.import_run)

    assert not result.dataset_removed
    assert Road.objects.filter(dataset=dataset).count() == 1
