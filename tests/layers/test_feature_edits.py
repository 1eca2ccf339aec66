"""The one service for map edits: checks, history in the same transaction, tags, undo."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from layers.editing.selectors import EDITABLE_LAYERS, editable_feature, feature_last_entry
from layers.editing.services import (
    EditRefused,
    feature_create,
    feature_delete,
    feature_edit_undo,
    feature_update,
)
from layers.history.selectors import feature_history
from layers.models import FeatureHistory, Landmark, Road

ROADS, LANDMARKS = "roads", "landmarks"


@pytest.fixture
def planner(db):
    return get_user_model().objects.get(username="nst-planner")


@pytest.fixture
def landmark(nst):
    return Landmark.objects.filter(municipality=nst).order_by("id").first()


def _tag(nst, layer: str, pk: int) -> str:
    return editable_feature(municipality=nst, layer=EDITABLE_LAYERS[layer], feature_id=pk)["etag"]


def _moved(landmark, d_lon: float = 0.0005) -> dict:
    return {"type": "Point", "coordinates": [landmark.geom.x + d_lon, landmark.geom.y]}


def test_moving_a_landmark_is_recorded_with_who_and_can_be_undone(nst, planner, landmark):
    before = (landmark.geom.x, landmark.geom.y)
    layer = EDITABLE_LAYERS[LANDMARKS]

    feature_update(
        municipality=nst,
        layer=layer,
        feature_id=landmark.pk,
        geometry=_moved(landmark),
        properties={},
        user=planner,
        if_match=_tag(nst, LANDMARKS, landmark.pk),
        replace=False,
    )
    moved = Landmark.objects.get(pk=landmark.pk)
    assert moved.geom.x == pytest.approx(before[0] + 0.0005)
    versions = feature_history(municipality=nst, layer=LANDMARKS, feature_id=landmark.pk)
    assert versions[-1].op == FeatureHistory.Op.UPDATE
    assert versions[-1].user_ref == planner.pk
    assert versions[-1].context == "map edit"
    assert "geom" in versions[-1].changed

    last = feature_last_entry(municipality=nst, layer=layer, feature_id=landmark.pk)
    feature_edit_undo(
        municipality=nst, layer=layer, feature_id=landmark.pk, user=planner, expected_last=last
    )

    back = Landmark.objects.get(pk=landmark.pk)
    assert (back.geom.x, back.geom.y) == before
    after_undo = feature_history(municipality=nst, layer=LANDMARKS, feature_id=landmark.pk)
    assert len(after_undo) == len(versions) + 1
    assert after_undo[-1].context.startswith("restore")
    assert after_undo[-1].user_ref == planner.pk


def test_a_stale_tag_is_refused_with_412_and_nothing_changes(nst, planner, landmark):
    layer = EDITABLE_LAYERS[LANDMARKS]
    seen = _tag(nst, LANDMARKS, landmark.pk)
    feature_update(
        municipality=nst,
        layer=layer,
        feature_id=landmark.pk,
        geometry=None,
        properties={"name_en": "First editor"},
        user=planner,
        if_match=seen,
        replace=False,
    )

    with pytest.raises(EditRefused) as refused:
        feature_update(
            municipality=nst,
            layer=layer,
            feature_id=landmark.pk,
            geometry=None,
            properties={"name_en": "Second editor"},
            user=planner,
            if_match=seen,
            replace=False,
        )

    assert refused.value.status == 412
    assert Landmark.objects.get(pk=landmark.pk).name_en == "First editor"


def test_a_road_surface_edit_changes_only_that_attribute(nst, planner):
    road = Road.objects.filter(municipality=nst).order_by("id").first()
    feature_update(
        municipality=nst,
        layer=EDITABLE_LAYERS[ROADS],
        feature_id=road.pk,
        geometry=None,
        properties={"surface": "asphalt"},
        user=planner,
        if_match=_tag(nst, ROADS, road.pk),
        replace=False,
    )

    changed = Road.objects.get(pk=road.pk)
    assert changed.surface == "asphalt"
    assert changed.name_th == road.name_th
    assert changed.geom.equals_exact(road.geom, 1e-12)
    last = feature_history(municipality=nst, layer=ROADS, feature_id=road.pk)[-1]
    assert [c for c in last.changed if c != "updated_at"] == ["surface"]


def test_a_drawn_road_joins_the_newest_roads_dataset_and_its_undo_deletes_it(nst, planner):
    layer = EDITABLE_LAYERS[ROADS]
    road = Road.objects.filter(municipality=nst).order_by("id").first()
    start = road.geom[0][0]
    line = {"type": "LineString", "coordinates": [list(start), [start[0] + 0.001, start[1]]]}

    pk = feature_create(
        municipality=nst,
        layer=layer,
        geometry=line,
        properties={"name_th": "ซอยใหม่", "road_class": "residential"},
        user=planner,
    )

    created = Road.objects.get(pk=pk)
    assert created.geom.geom_type == "MultiLineString"
    assert created.dataset.kind == "roads"
    last = feature_last_entry(municipality=nst, layer=layer, feature_id=pk)
    feature_edit_undo(
        municipality=nst, layer=layer, feature_id=pk, user=planner, expected_last=last
    )
    assert not Road.objects.filter(pk=pk).exists()
    ops = [v.op for v in feature_history(municipality=nst, layer=ROADS, feature_id=pk)]
    assert ops == ["insert", "delete"]


def test_a_deleted_landmark_comes_back_on_undo(nst, planner, landmark):
    layer = EDITABLE_LAYERS[LANDMARKS]
    feature_delete(
        municipality=nst,
        layer=layer,
        feature_id=landmark.pk,
        user=planner,
        if_match=_tag(nst, LANDMARKS, landmark.pk),
    )
    assert not Landmark.objects.filter(pk=landmark.pk).exists()

    last = feature_last_entry(municipality=nst, layer=layer, feature_id=landmark.pk)
    feature_edit_undo(
        municipality=nst, layer=layer, feature_id=landmark.pk, user=planner, expected_last=last
    )

    assert Landmark.objects.get(pk=landmark.pk).name_th == landmark.name_th


def test_undo_is_refused_when_someone_changed_the_feature_since(nst, planner, landmark):
    layer = EDITABLE_LAYERS[LANDMARKS]
    feature_update(
        municipality=nst,
        layer=layer,
        feature_id=landmark.pk,
        geometry=None,
        properties={"name_en": "mine"},
        user=planner,
        if_match=_tag(nst, LANDMARKS, landmark.pk),
        replace=False,
    )
    mine = feature_last_entry(municipality=nst, layer=layer, feature_id=landmark.pk)
    feature_update(
        municipality=nst,
        layer=layer,
        feature_id=landmark.pk,
        geometry=None,
        properties={"name_en": "theirs"},
        user=planner,
        if_match=_tag(nst, LANDMARKS, landmark.pk),
        replace=False,
    )

    with pytest.raises(EditRefused) as refused:
        feature_edit_undo(
            municipality=nst, layer=layer, feature_id=landmark.pk, user=planner, expected_last=mine
        )

    assert refused.value.code == "changed_since"
    assert Landmark.objects.get(pk=landmark.pk).name_en == "theirs"


def test_household_counts_of_buildings_are_not_editable_on_the_map():
    layer = EDITABLE_LAYERS["buildings"]
    from layers.editing.services import attributes_clean

    with pytest.raises(EditRefused) as refused:
        attributes_clean(layer=layer, properties={"bedridden": 3}, partial=True)

    assert refused.value.code == "attribute_unknown"
