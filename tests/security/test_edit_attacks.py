"""Hostile edits: every bad geometry or attribute is a clear 400, and nothing is written."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from layers.editing.services import MAX_VERTICES
from layers.models import Building, FeatureHistory, Landmark

NST = "nakhon-si-thammarat"


@pytest.fixture
def planner(db) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="nst-planner"))
    return client


def _url(layer: str, pk: int) -> str:
    return reverse("map-edit-item", kwargs={"code": NST, "layer": layer, "feature_id": pk})


def _patch(client: Client, layer: str, pk: int, raw: str):
    etag = client.get(_url(layer, pk))["ETag"]
    return client.patch(
        _url(layer, pk), data=raw, content_type="application/geo+json", headers={"If-Match": etag}
    )


def _point(x: float, y: float) -> str:
    return f'{{"geometry": {{"type": "Point", "coordinates": [{x}, {y}]}}}}'


def _square_ring(x: float, y: float, d: float = 0.0001) -> list:
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


@pytest.fixture
def temple(db):
    return Landmark.objects.get(municipality__code=NST, name_th__startswith="วัดพระมหาธาตุ")


def _landmark_attacks(temple) -> dict[str, tuple[str, str]]:
    x, y = temple.geom.x, temple.geom.y
    many = ",".join(f"[{x}, {y}]" for _ in range(MAX_VERTICES + 1))
    return {
        "NaN coordinates": (_point(float("nan"), y).replace("nan", "NaN"), "json"),
        "Infinity": ('{"geometry": {"type": "Point", "coordinates": [Infinity, 8.4]}}', "json"),
        "wrong type": (
            f'{{"geometry": {{"type": "LineString", "coordinates": [[{x}, {y}], [{x}, {y}]]}}}}',
            "geometry_type",
        ),
        "a MultiPoint of many": (
            f'{{"geometry": {{"type": "MultiPoint", "coordinates": [{many}]}}}}',
            "geometry_type",
        ),
        "outside the municipality": (_point(100.5, 13.75), "geometry_outside"),
        "off the globe": (_point(999, 8.4), "geometry_invalid"),
        "three coordinates": (
            f'{{"geometry": {{"type": "Point", "coordinates": [{x}, {y}, 5]}}}}',
            "geometry_invalid",
        ),
        "text coordinates": (
            '{"geometry": {"type": "Point", "coordinates": ["99.9", "8.4"]}}',
            "geometry_invalid",
        ),
        "wrong SRID (UTM named in crs)": (
            '{"geometry": {"type": "Point", "coordinates": [600000, 930000], "crs": '
            '{"type": "name", "properties": {"name": "EPSG:32647"}}}}',
            "geometry_crs",
        ),
        "no coordinates": (
            '{"geometry": {"type": "Point", "coordinates": []}}',
            "geometry_invalid",
        ),
        "a crs that is not an object": (
            '{"geometry": {"type": "Point", "coordinates": [99.96, 8.41], '
            '"crs": {"type": "name", "properties": "EPSG:32647"}}}',
            "geometry_crs",
        ),
        "unknown attribute": ('{"properties": {"municipality_id": 2}}', "attribute_unknown"),
        "dataset moved by attribute": ('{"properties": {"dataset_id": 1}}', "attribute_unknown"),
        "over-long name": ('{"properties": {"name_th": "' + "ก" * 201 + '"}}', "attribute_invalid"),
        "NUL in a name": ('{"properties": {"name_th": "a\\u0000b"}}', "attribute_invalid"),
        "a category not in the list": (
            '{"properties": {"category": "casino"}}',
            "attribute_invalid",
        ),
        "a name that is a list": ('{"properties": {"name_th": ["x"]}}', "attribute_invalid"),
        "properties not an object": ('{"properties": "x"}', "properties"),
        "not JSON": ("{geometry:", "json"),
        "a JSON list": ("[1, 2]", "json"),
    }


ATTACK_NAMES = list(_landmark_attacks(Landmark(geom="POINT(0 0)")).keys())


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_a_hostile_landmark_edit_is_refused_with_a_reason(planner, temple, name):
    raw, code = _landmark_attacks(temple)[name]
    entries = FeatureHistory.objects.filter(municipality_id=temple.municipality_id).count()

    response = _patch(planner, "landmarks", temple.pk, raw)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["description"]
    assert Landmark.objects.get(pk=temple.pk).geom.equals_exact(temple.geom, 0)
    assert Landmark.objects.get(pk=temple.pk).name_th == temple.name_th
    assert FeatureHistory.objects.filter(municipality_id=temple.municipality_id).count() == entries


def test_a_self_intersecting_footprint_is_refused(planner, db):
    building = Building.objects.filter(municipality__code=NST).order_by("id").first()
    x, y = building.geom.centroid.x, building.geom.centroid.y
    d = 0.0001
    bow_tie = [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]
    raw = f'{{"geometry": {{"type": "Polygon", "coordinates": [{bow_tie}]}}}}'

    response = _patch(planner, "buildings", building.pk, raw)

    assert response.status_code == 400
    assert response.json()["code"] == "geometry_invalid"
    assert "Self-intersection" in response.json()["english"]


def test_a_footprint_with_too_many_vertices_is_refused(planner, db):
    building = Building.objects.filter(municipality__code=NST).order_by("id").first()
    x, y = building.geom.centroid.x, building.geom.centroid.y
    ring = [[x + 0.0001 * i / MAX_VERTICES, y] for i in range(MAX_VERTICES)] + [
        [x, y + 0.0001],
        [x, y],
    ]
    raw = f'{{"geometry": {{"type": "Polygon", "coordinates": [{ring}]}}}}'

    response = _patch(planner, "buildings", building.pk, raw)

    assert response.status_code == 400
    assert response.json()["code"] == "geometry_too_large"


def test_household_counts_cannot_be_written_through_the_map(planner, db):
    building = Building.objects.filter(municipality__code=NST).order_by("id").first()

    response = _patch(planner, "buildings", building.pk, '{"properties": {"bedridden": 9}}')

    assert response.status_code == 400
    assert response.json()["code"] == "attribute_unknown"
    assert Building.objects.get(pk=building.pk).bedridden == building.bedridden


def test_a_body_over_the_limit_is_refused_before_it_is_read(planner, temple):
    raw = '{"properties": {"name_en": "' + "x" * (600 * 1024) + '"}}'

    response = _patch(planner, "landmarks", temple.pk, raw)

    assert response.status_code in (400, 413)
    assert Landmark.objects.get(pk=temple.pk).name_en == temple.name_en


def test_a_new_feature_outside_the_municipality_is_not_created(planner, db):
    before = Landmark.objects.filter(municipality__code=NST).count()

    response = planner.post(
        reverse("map-edit-items", kwargs={"code": NST, "layer": "landmarks"}),
        data='{"type": "Feature", "geometry": {"type": "Point", "coordinates": [100.99, 13.36]}, '
        '"properties": {"name_th": "นอกเขต"}}',
        content_type="application/geo+json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "geometry_outside"
    assert Landmark.objects.filter(municipality__code=NST).count() == before


def test_an_unknown_layer_is_404(planner, db):
    response = planner.get(
        reverse("map-edit-items", kwargs={"code": NST, "layer": "dengue_cases"}),
        {"bbox": "99.96,8.40,99.97,8.41"},
    )

    assert response.status_code == 404


def test_a_feature_id_past_bigint_is_404_not_an_error(planner, db):
    huge = 2**70
    url = reverse("map-edit-item", kwargs={"code": NST, "layer": "landmarks", "feature_id": huge})
    undo = reverse("map-edit-undo", kwargs={"code": NST, "layer": "landmarks", "feature_id": huge})

    assert planner.get(url).status_code == 404
    assert planner.delete(url, headers={"If-Match": '"x"'}).status_code == 404
    assert planner.post(undo, data='{"last": 1}', content_type="application/json").status_code == (
        404
    )


def test_an_undo_naming_no_change_is_refused(planner, temple):
    undo = reverse(
        "map-edit-undo", kwargs={"code": NST, "layer": "landmarks", "feature_id": temple.pk}
    )

    for body in ('{"last": "1"}', '{"last": true}', "{}", '{"last": 1}'):
        response = planner.post(undo, data=body, content_type="application/json")
        assert response.status_code in (400, 409), body
    assert Landmark.objects.get(pk=temple.pk).geom.equals_exact(temple.geom, 0)


@pytest.mark.parametrize(
    "coordinates",
    [
        "[[[99.96, 8.41], [99.961, 8.41], [99.961, 8.411]]]",  # ring not closed
        "[[[99.96, 8.41], [99.961, 8.41]]]",  # two points
        "[]",
        "[[]]",
    ],
    ids=["unclosed ring", "two-point ring", "no rings", "an empty ring"],
)
def test_a_broken_footprint_is_a_400_not_an_error(planner, db, coordinates):
    building = Building.objects.filter(municipality__code=NST).order_by("id").first()
    raw = f'{{"geometry": {{"type": "Polygon", "coordinates": {coordinates}}}}}'

    response = _patch(planner, "buildings", building.pk, raw)

    assert response.status_code == 400
    assert response.json()["code"] == "geometry_invalid"
    assert Building.objects.get(pk=building.pk).geom.equals_exact(building.geom, 0)
