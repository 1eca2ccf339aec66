"""History on the dataset page: recent changes, a feature's versions, restore, rollback."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from layers.imports import layer_import
from layers.models import Dataset, DengueCase, ImportRun, Landmark, Road
from layers.tenancy import tenant_scope
from tests.geoapp.test_isolation import client_for
from tests.layers.import_data import roads_frame, write_geojson
from tests.layers.test_history import row_text, table_state

CODE = "nakhon-si-thammarat"


def history_url(slug: str, pk: int) -> str:
    return reverse(
        "catalogue-feature-history", kwargs={"code": CODE, "slug": slug, "feature_id": pk}
    )


def restore_url(slug: str, pk: int) -> str:
    return reverse(
        "catalogue-feature-restore", kwargs={"code": CODE, "slug": slug, "feature_id": pk}
    )


def first_road(nst) -> Road:
    return Road.objects.filter(municipality=nst, dataset__slug="roads-osm").order_by("id")[20]


def test_the_dataset_page_lists_recent_changes_with_who_and_a_link_to_the_feature(nst):
    planner = get_user_model().objects.get(username="nst-planner")
    road = first_road(nst)
    with tenant_scope(municipality_ids=[nst.pk], user_id=planner.pk):
        Road.objects.filter(pk=road.pk).update(surface="ทดสอบพื้นผิว")

    page = client_for("nst-viewer").get(
        reverse("catalogue-dataset", kwargs={"code": CODE, "slug": "roads-osm"})
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="history-title"' in html
    section = html[html.index('id="history-title"') :]
    body = section.index("<tbody>")
    first_change = section[body : section.index("</tr>", body)]
    assert (planner.get_full_name() or planner.username) in first_change
    assert "surface" in first_change
    assert history_url("roads-osm", road.pk) in first_change


def test_a_viewer_reads_a_features_history_but_cannot_restore(nst):
    road = first_road(nst)
    Road.objects.filter(pk=road.pk).update(name_th="ชื่อใหม่ทดสอบ")
    viewer = client_for("nst-viewer")

    page = viewer.get(history_url("roads-osm", road.pk))
    restore = viewer.post(restore_url("roads-osm", road.pk))

    html = page.content.decode()
    assert page.status_code == 200
    assert "ชื่อใหม่ทดสอบ" in html
    assert road.name_th in html
    assert "history-restore" not in html
    assert restore.status_code == 403
    assert Road.objects.get(pk=road.pk).name_th == "ชื่อใหม่ทดสอบ"


def test_a_planner_restores_a_deleted_road_from_its_history_page(nst):
    road = first_road(nst)
    original = row_text("layers_road", road.pk)
    Road.objects.filter(pk=road.pk).delete()
    planner = client_for("nst-planner")

    page = planner.get(history_url("roads-osm", road.pk)).content.decode()
    response = planner.post(restore_url("roads-osm", road.pk))
    after = planner.get(history_url("roads-osm", road.pk)).content.decode()

    assert "ถูกลบแล้ว" in page or "has been deleted" in page
    assert response.status_code == 302
    assert response["Location"] == history_url("roads-osm", road.pk)
    assert row_text("layers_road", road.pk) == original
    planner_user = get_user_model().objects.get(username="nst-planner")
    assert (planner_user.get_full_name() or "nst-planner") in after


def test_a_planner_restores_a_chosen_version(nst):
    landmark = Landmark.objects.filter(municipality=nst, dataset__slug="landmarks-osm").first()
    original = row_text("layers_landmark", landmark.pk)
    Landmark.objects.filter(pk=landmark.pk).update(name_th="หนึ่ง")
    Landmark.objects.filter(pk=landmark.pk).update(name_th="สอง")

    response = client_for("nst-planner").post(
        restore_url("landmarks-osm", landmark.pk), {"version": "1"}
    )

    assert response.status_code == 302
    assert row_text("layers_landmark", landmark.pk) == original


def test_a_refused_restore_says_why_in_thai(nst):
    road = first_road(nst)

    response = client_for("nst-planner").post(restore_url("roads-osm", road.pk))

    assert response.status_code == 409
    assert "ไม่มีรุ่นก่อนหน้าให้กู้คืน" in response.content.decode()


def test_a_feature_of_another_dataset_answers_404(nst, tmp_path):
    path = write_geojson(roads_frame(1), tmp_path / "other.geojson")
    layer_import(municipality=nst, kind="roads", path=path, dataset_slug="other")
    road = Road.objects.get(municipality=nst, dataset__slug="other")
    admin = client_for("nst-admin")

    assert admin.get(history_url("other", road.pk)).status_code == 200
    assert admin.get(history_url("roads-osm", road.pk)).status_code == 404
    assert admin.post(restore_url("roads-osm", road.pk)).status_code == 404


def test_case_history_is_for_exact_location_roles_only(nst):
    case = DengueCase.objects.filter(municipality=nst).first()
    slug = Dataset.objects.get(pk=case.dataset_id).slug

    planner = client_for("nst-planner").get(history_url(slug, case.pk))
    health = client_for("nst-health").get(history_url(slug, case.pk))

    assert planner.status_code == 404
    assert health.status_code == 200


def test_a_planner_rolls_back_an_import_from_the_dataset_page(nst, tmp_path):
    before = table_state("layers_road", nst.pk)
    path = write_geojson(roads_frame(3), tmp_path / "lights.geojson")
    report = layer_import(
        municipality=nst, kind="roads", path=path, id_field="id", dataset_slug="lights"
    )
    url = reverse(
        "catalogue-import-rollback",
        kwargs={"code": CODE, "slug": "lights", "import_id": report.import_run},
    )
    planner = client_for("nst-planner")
    dataset_page = planner.get(
        reverse("catalogue-dataset", kwargs={"code": CODE, "slug": "lights"})
    )

    preview = planner.get(url)
    imported = table_state("layers_road", nst.pk)
    viewer = client_for("nst-viewer").post(url)
    response = planner.post(url)

    assert viewer.status_code == 403
    assert url in dataset_page.content.decode()
    assert preview.status_code == 200
    assert preview.context["preview"].removed == 3
    assert imported != before
    assert response.status_code == 302
    assert table_state("layers_road", nst.pk) == before
    assert ImportRun.objects.get(pk=report.import_run).rolled_back_at is not None
    # The import had created the dataset: it went with it, so the page leads to the catalogue.
    assert response["Location"] == reverse("catalogue", kwargs={"code": CODE})
    assert not Dataset.objects.filter(municipality=nst, slug="lights").exists()
