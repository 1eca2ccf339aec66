"""The map's edit endpoints: who may use them, tags and 412, undo, CSRF."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from layers.history.selectors import feature_history
from layers.models import Landmark, Road
from layers.tenancy import all_municipality_ids, tenant_scope_set

NST = "nakhon-si-thammarat"


def client_for(username: str, **options) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", **options)
    client.force_login(get_user_model().objects.get(username=username))
    return client


def item_url(layer: str, pk: int, code: str = NST) -> str:
    return reverse("map-edit-item", kwargs={"code": code, "layer": layer, "feature_id": pk})


def items_url(layer: str, code: str = NST) -> str:
    return reverse("map-edit-items", kwargs={"code": code, "layer": layer})


def send(client: Client, method: str, url: str, body: dict | None = None, **headers):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method.lower())(
        url, data=data, content_type="application/geo+json", headers=headers
    )


@pytest.fixture
def temple(nst):
    return Landmark.objects.get(municipality=nst, name_th__startswith="วัดพระมหาธาตุ")


def tag(client: Client, layer: str, pk: int) -> str:
    return client.get(item_url(layer, pk))["ETag"]


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("nst-planner", 200),
        ("nst-editor", 200),
        ("nst-admin", 200),
        ("nst-viewer", 403),
        ("nst-health", 403),
        ("nst-disaster", 403),
        ("chon-planner", 404),
    ],
)
def test_only_editors_of_infrastructure_get_features_to_edit(db, temple, username, status):
    response = client_for(username).get(item_url("landmarks", temple.pk))

    assert response.status_code == status


@pytest.mark.parametrize("username", ["nst-viewer", "nst-health", "nst-disaster"])
def test_other_roles_cannot_change_a_feature(db, temple, username):
    planner_tag = tag(client_for("nst-planner"), "landmarks", temple.pk)
    client = client_for(username)
    body = {"type": "Feature", "geometry": None, "properties": {"name_en": "taken"}}

    patch = send(client, "PATCH", item_url("landmarks", temple.pk), body, If_Match=planner_tag)
    delete = send(client, "DELETE", item_url("landmarks", temple.pk), If_Match=planner_tag)
    create = send(client, "POST", items_url("landmarks"), body)

    assert (patch.status_code, delete.status_code, create.status_code) == (403, 403, 403)
    assert Landmark.objects.get(pk=temple.pk).name_en == temple.name_en


def test_editing_another_municipalitys_feature_by_id_is_404_and_changes_nothing(db, temple):
    chon_planner = client_for("chon-planner")
    body = {"type": "Feature", "properties": {"name_en": "taken"}}

    through_own = send(
        chon_planner, "PATCH", item_url("landmarks", temple.pk, "chon-buri"), body, If_Match="*"
    )
    through_theirs = send(chon_planner, "PATCH", item_url("landmarks", temple.pk), body)
    undo = send(
        chon_planner,
        "POST",
        reverse(
            "map-edit-undo", kwargs={"code": "chon-buri", "layer": "landmarks", "feature_id": 1}
        ),
        {"last": 1},
    )

    assert through_own.status_code == 404
    assert through_theirs.status_code == 404
    assert undo.status_code in (404, 409)
    # The requests scoped this test's transaction to Chon Buri; look as the whole platform.
    tenant_scope_set(municipality_ids=all_municipality_ids())
    assert Landmark.objects.get(pk=temple.pk).name_en == temple.name_en


def test_a_stale_tag_gets_412_a_missing_one_428(db, temple):
    planner = client_for("nst-planner")
    seen = tag(planner, "landmarks", temple.pk)
    first = send(
        planner,
        "PATCH",
        item_url("landmarks", temple.pk),
        {"properties": {"name_en": "one"}},
        If_Match=seen,
    )

    stale = send(
        planner,
        "PATCH",
        item_url("landmarks", temple.pk),
        {"properties": {"name_en": "two"}},
        If_Match=seen,
    )
    missing = send(
        planner, "PATCH", item_url("landmarks", temple.pk), {"properties": {"name_en": "three"}}
    )

    assert first.status_code == 200
    assert first["ETag"] != seen
    assert stale.status_code == 412
    assert "แก้ไขโดยผู้อื่น" in stale.json()["description"]
    assert missing.status_code == 428
    assert Landmark.objects.get(pk=temple.pk).name_en == "one"


def test_save_then_undo_puts_the_temple_back_and_both_are_in_its_history(db, nst, temple):
    planner = client_for("nst-planner")
    moved = {"type": "Point", "coordinates": [temple.geom.x + 0.0003, temple.geom.y]}

    saved = send(
        planner,
        "PUT",
        item_url("landmarks", temple.pk),
        {
            "type": "Feature",
            "geometry": moved,
            "properties": {
                "name_th": temple.name_th,
                "name_en": temple.name_en,
                "category": temple.category,
                "source_kind": temple.source_kind,
            },
        },
        If_Match=tag(planner, "landmarks", temple.pk),
    )
    undone = send(
        planner,
        "POST",
        reverse(
            "map-edit-undo", kwargs={"code": NST, "layer": "landmarks", "feature_id": temple.pk}
        ),
        {"last": saved.json()["last_entry"]},
    )

    assert saved.status_code == 200
    assert undone.status_code == 200
    assert Landmark.objects.get(pk=temple.pk).geom.equals_exact(temple.geom, 0)
    versions = feature_history(municipality=nst, layer="landmarks", feature_id=temple.pk)
    assert versions[-2].context == "map edit"
    assert versions[-1].context.startswith("restore")
    assert undone.json()["history_url"].endswith(f"/features/{temple.pk}/history/")


def test_features_for_editing_are_bounded_by_the_box(db, temple):
    planner = client_for("nst-planner")
    x, y = temple.geom.x, temple.geom.y

    near = planner.get(
        items_url("landmarks"), {"bbox": f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}"}
    )
    too_wide = planner.get(items_url("roads"), {"bbox": "99.0,8.0,100.0,9.0"})

    assert near.status_code == 200
    assert temple.pk in [f["id"] for f in near.json()["features"]]
    assert all(f["etag"].startswith('"') for f in near.json()["features"])
    assert too_wide.status_code == 400


def test_writes_need_the_csrf_token(db, temple):
    planner = client_for("nst-planner", enforce_csrf_checks=True)
    seen = planner.get(item_url("landmarks", temple.pk))["ETag"]

    response = send(
        planner,
        "PATCH",
        item_url("landmarks", temple.pk),
        {"properties": {"name_en": "no token"}},
        If_Match=seen,
    )

    assert response.status_code == 403
    assert Landmark.objects.get(pk=temple.pk).name_en == temple.name_en


def test_a_road_surface_change_over_the_endpoint(db, nst):
    road = Road.objects.filter(municipality=nst).order_by("id").first()
    planner = client_for("nst-planner")

    response = send(
        planner,
        "PATCH",
        item_url("roads", road.pk),
        {"properties": {"surface": "gravel"}},
        If_Match=tag(planner, "roads", road.pk),
    )

    assert response.status_code == 200
    assert response.json()["feature"]["properties"]["surface"] == "gravel"
    assert Road.objects.get(pk=road.pk).surface == "gravel"
