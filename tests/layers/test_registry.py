"""The registry of layers: what it holds, the names it keeps, and that it drives every list.

The last tests register a throwaway layer and find it in every list the registry drives, with
no other edit: that is what "adding a layer touches the registry and its model only" means.
"""

from __future__ import annotations

import math

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils.translation import gettext_lazy as _

from geoapp.web.permissions import Action
from layers.api import features, tiles
from layers.catalogue import selectors as selectors_catalogue
from layers.flood import selectors as selectors_flood
from layers.history import selectors as history
from layers.home import selectors as selectors_dashboard
from layers.imports import KINDS, layer_import
from layers.jobs import processes
from layers.management.commands.feature_history import Command as FeatureHistoryCommand
from layers.management.commands.import_layer import Command as ImportLayerCommand
from layers.models import Dataset, DengueCase, FeatureModel, Landmark, Road
from layers.registry import (
    EDIT_INFRASTRUCTURE,
    Api,
    Imports,
    Layer,
    Tiles,
    layer_find,
    layer_get,
    layer_list,
    layer_register,
    layer_registered,
    layer_unregister,
    layers_with,
)
from tests.layers.import_data import inside_points, landmarks_frame, write_geojson

# --- What the registry holds -----------------------------------------------------------------


def test_the_registry_lists_the_layers_in_the_order_pages_and_the_api_show_them():
    assert [layer.name for layer in layer_list()] == [
        "roads",
        "landmarks",
        "buildings",
        "flood_zones",
        "dengue_cases",
        "subdistricts",
        "larval_place_rounds",
        "larval_house_visits",
    ]


@pytest.mark.parametrize("layer", layer_list(), ids=lambda layer: layer.name)
def test_each_layer_names_the_geometry_type_of_its_model(layer):
    assert layer.geometry.upper() == layer.model._meta.get_field("geom").geom_type


def _field_names(layer: Layer) -> set[str]:
    names = set()
    if layer.imports:
        names.update(layer.imports.fields)
    if layer.api:
        names.update((*layer.api.properties, *layer.api.queryables))
        names.update([layer.api.temporal] if layer.api.temporal else [])
    if layer.tiles:
        names.update(column.split("::")[0] for column in layer.tiles.columns)
        names.update([layer.tiles.class_column] if layer.tiles.class_column else [])
    names.update(column.split("__")[0] for column in layer.columns)
    names.update([layer.type_field] if layer.type_field else [])
    return names


@pytest.mark.parametrize("layer", layer_list(), ids=lambda layer: layer.name)
def test_every_field_a_layer_publishes_is_a_field_of_its_model(layer):
    for name in _field_names(layer):
        layer.model._meta.get_field(name)  # FieldDoesNotExist otherwise


@pytest.mark.parametrize("layer", layer_list(), ids=lambda layer: layer.name)
def test_who_may_read_edit_and_import_are_actions_of_geoapp_permissions(layer):
    actions = {action.value for action in Action}
    assert layer.read in actions
    assert layer.edit is None or layer.edit in actions
    assert layer.imports is None or layer.imports.action in actions


def test_labels_are_thai_and_english():
    cases = layer_get("dengue_cases")
    assert (cases.label_th, cases.label_en) == ("ผู้ป่วยไข้เลือดออก", "Dengue cases")
    assert layer_get("roads").label_th == "ถนน"


def test_only_dengue_cases_need_the_right_to_see_cases_and_keep_people_out_of_change_lists():
    # The larval house visits (issue 18) are read like cases: health officers only.
    assert [layer.name for layer in layers_with(read=Action.VIEW_CASES_EXACT.value)] == [
        "dengue_cases",
        "larval_house_visits",
    ]
    assert layer_get("dengue_cases").imports.action == Action.EDIT_CASES
    assert layer_get("dengue_cases").imports.default_visibility == Dataset.Visibility.PRIVATE


# --- Names: every public name kept as it was ---------------------------------------------------


def test_every_list_keeps_its_public_names():
    """Names drifted before the registry (`dengue_cases` / `cases`); each list keeps its own."""
    assert list(KINDS) == [
        "roads",
        "landmarks",
        "buildings",
        "flood_zones",
        "dengue_cases",
        "dataset",
    ]
    assert list(features.COLLECTIONS) == [
        "roads",
        "landmarks",
        "buildings",
        "flood_zones",
        "dengue_cases",
        "larval_place_rounds",
        "larval_house_visits",
    ]
    assert list(tiles.TILE_LAYERS) == ["roads", "landmarks", "buildings", "flood_zones", "cases"]
    assert list(history.LAYERS) == ["roads", "landmarks", "buildings", "flood_zones", "cases"]
    assert dict(history.KIND_LAYERS) == {
        "roads": "roads",
        "landmarks": "landmarks",
        "buildings": "buildings",
        "flood_zones": "flood_zones",
        "dengue_cases": "cases",
    }
    assert dict(history.LAYER_ALIASES) == {
        "dengue_cases": "cases",
        "road": "roads",
        "landmark": "landmarks",
    }
    assert tuple(selectors_catalogue.VECTOR_KINDS) == (
        "roads",
        "landmarks",
        "buildings",
        "flood_zones",
        "dengue_cases",
        "subdistricts",
        "dataset",
    )
    assert list(selectors_catalogue.KIND_COLUMNS["subdistricts"][1]) == [
        "code",
        "name_th",
        "name_en",
    ]
    assert selectors_dashboard.CHANGE_LAYERS == ("roads", "landmarks", "buildings", "flood_zones")
    assert selectors_flood.VERSIONED_LAYERS == ("roads", "landmarks", "buildings", "flood_zones")
    assert processes.EXPOSURE_LAYERS == ("roads", "landmarks", "buildings")
    assert dict(processes.EXPOSURE_TYPE_FIELDS) == {
        "roads": "road_class",
        "landmarks": "category",
        "buildings": "building_type",
    }


def test_a_layer_answers_to_its_name_its_tracked_name_and_its_aliases():
    assert layer_get("cases") is layer_get("dengue_cases")
    assert layer_get("road") is layer_get("roads")
    assert layer_find("nothing") is None
    with pytest.raises(KeyError):
        layer_get("nothing")


def test_a_name_already_taken_is_refused():
    clash = Layer(
        name="streets", model=Road, geometry="MultiLineString", label="x", aliases=("road",)
    )
    with pytest.raises(ValueError, match="road"):
        layer_register(clash)
    assert layer_find("streets") is None


@pytest.mark.django_db
def test_tracked_names_are_those_the_database_triggers_write():
    """The migrations name each table's layer in its triggers; the registry must agree."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname, split_part(encode(t.tgargs, 'escape'), '\\000', 1) "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgnargs > 0 AND c.relname LIKE 'layers_%%' "
            "AND (t.tgname LIKE '%%_version_%%' OR t.tgname LIKE '%%_history_%%')"
        )
        triggers = set(cursor.fetchall())
    assert triggers == {(layer.table, layer.tracked_as) for layer in layers_with(history=True)}


def _api_get(url: str) -> dict:
    """The site's own API, read as a planner of Nakhon Si Thammarat."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="nst-planner"))
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def _tile_of(lon: float, lat: float, *, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def _tables_behind_views(cursor, relations: list[str]) -> list[str]:
    """The relations with each view replaced by what it reads; every view must be
    `security_invoker` (else it would read its tables as their owner, past row-level security).
    """
    tables, pending, seen = [], list(relations), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        cursor.execute(
            "SELECT relkind, coalesce(reloptions, '{}') FROM pg_class WHERE relname = %s", [name]
        )
        kind, options = cursor.fetchone()
        if kind != "v":
            tables.append(name)
            continue
        assert "security_invoker=true" in options, name
        cursor.execute(
            "SELECT DISTINCT t.relname FROM pg_class v JOIN pg_rewrite r ON r.ev_class = v.oid "
            "JOIN pg_depend d ON d.objid = r.oid JOIN pg_class t ON t.oid = d.refobjid "
            "WHERE v.relname = %s AND t.oid <> v.oid AND t.relkind IN ('r', 'v', 'p')",
            [name],
        )
        behind = [found for (found,) in cursor.fetchall()]
        assert behind, name
        pending.extend(behind)
    return tables


@pytest.mark.django_db
def test_every_layer_table_has_forced_row_level_security_and_feature_tables_their_key_checks():
    """What a new layer's migration must give its table (`_rls.enable_rls`, `key_triggers`)."""
    tables = [layer.table for layer in layer_list()]
    with connection.cursor() as cursor:
        tables = _tables_behind_views(cursor, tables)
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND relrowsecurity AND relforcerowsecurity",
            [tables],
        )
        secured = {name for (name,) in cursor.fetchall()}
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE '%%_keys_insert'"
        )
        key_checked = {name for (name,) in cursor.fetchall()}
    assert secured == set(tables)
    assert key_checked >= {
        layer.table for layer in layer_list() if issubclass(layer.model, FeatureModel)
    }


# --- Adding a layer: the registry and its model only -------------------------------------------


@pytest.fixture
def street_lights():
    """A layer that exists for one test: street lights, kept in the landmark table."""
    layer = Layer(
        name="street_lights",
        model=Landmark,
        geometry="Point",
        label=_("Street lights"),
        edit=EDIT_INFRASTRUCTURE,
        tracked_as="street_lights",
        aliases=("street_light",),
        columns=("name_th", "category", "source_id"),
        imports=Imports(("name_th", "name_en", "category")),
        tiles=Tiles(("name_th",), min_zoom=15),
        api=Api("Street lights", ("name_th", "category"), ("category",)),
    )
    with layer_registered(layer):
        yield layer


def test_a_registered_layer_appears_in_every_list_the_registry_drives(street_lights):
    kind = KINDS["street_lights"]
    assert (kind.model, kind.geometry, kind.dataset_kind) == (Landmark, "Point", "street_lights")
    assert kind.fields == ("name_th", "name_en", "category")
    assert features.COLLECTIONS["street_lights"].table == "layers_landmark"
    assert features.COLLECTIONS["street_lights"].title == "Street lights"
    assert tiles.TILE_LAYERS["street_lights"].min_zoom == 15
    assert "layers_landmark t" in tiles.tile_sql("street_lights", 16)
    assert history.LAYERS["street_lights"] is Landmark
    assert history.KIND_LAYERS["street_lights"] == "street_lights"
    assert history.layer_name("street_light") == "street_lights"
    assert "street_lights" in selectors_catalogue.VECTOR_KINDS
    assert selectors_catalogue.KIND_COLUMNS["street_lights"] == (
        Landmark,
        ("name_th", "category", "source_id"),
    )
    assert "street_lights" in selectors_dashboard.CHANGE_LAYERS
    assert "flood_zones, cases, street_lights." in FeatureHistoryCommand().help
    assert "dengue_cases, street_lights, dataset." in ImportLayerCommand().help


def test_no_list_keeps_a_layer_once_it_is_removed(street_lights):
    layer_unregister("street_lights")
    try:
        assert layer_find("street_lights") is None
        assert "street_lights" not in KINDS
        assert "street_lights" not in features.COLLECTIONS
        assert "street_lights" not in tiles.TILE_LAYERS
        assert "street_lights" not in history.LAYERS
        assert "street_lights" not in selectors_catalogue.VECTOR_KINDS
        assert "street_lights" not in selectors_dashboard.CHANGE_LAYERS
    finally:
        layer_register(street_lights)  # the fixture removes it again


def test_the_registry_holds_only_its_own_layers_after_a_test_added_one():
    assert layer_find("street_lights") is None
    assert "street_lights" not in KINDS
    assert "street_lights" not in features.COLLECTIONS
    assert "street_lights" not in tiles.TILE_LAYERS
    assert "street_lights" not in history.LAYERS
    assert "street_lights" not in selectors_catalogue.VECTOR_KINDS
    assert "street_lights" not in selectors_dashboard.CHANGE_LAYERS


def test_a_registered_layer_imports_is_catalogued_served_as_tiles_and_by_the_api(
    street_lights, nst, tmp_path
):
    path = write_geojson(landmarks_frame(3), tmp_path / "lights.geojson")

    report = layer_import(municipality=nst, kind="street_lights", path=path, id_field="id")

    dataset = Dataset.objects.get(municipality=nst, slug=report.dataset)
    assert report.created == 3
    assert dataset.kind == "street_lights"
    assert selectors_catalogue.dataset_columns(dataset=dataset) == [
        "name_th",
        "category",
        "source_id",
    ]
    assert selectors_catalogue.dataset_feature_count(dataset=dataset) == 3
    frame = selectors_catalogue.dataset_frame(dataset=dataset)
    assert list(frame.columns) == ["id", "name_th", "category", "source_id", "geometry"]
    first = int(frame["id"].min())
    item = features.item_get(
        collection=features.COLLECTIONS["street_lights"],
        municipality=nst,
        item_id=first,
        public_only=False,
    )
    assert set(item["properties"]) == {"name_th", "category"}
    lon, lat = inside_points(1)[0]
    x, y = _tile_of(lon, lat, z=15)
    ids = [nst.pk]
    assert (
        tiles.tile_mvt(layer="street_lights", z=14, x=x // 2, y=y // 2, municipality_ids=ids) == b""
    )
    assert tiles.tile_mvt(layer="street_lights", z=15, x=x, y=y, municipality_ids=ids)  # min_zoom


def test_dengue_case_datasets_stay_readable_only_with_the_right_to_see_cases(nst):
    readable = selectors_catalogue.DatasetAccess(internal=True, private=True).readable()
    kinds = set(
        Dataset.objects.filter(municipality=nst).filter(readable).values_list("kind", flat=True)
    )
    assert Dataset.Kind.DENGUE_CASES not in kinds
    with_cases = selectors_catalogue.DatasetAccess(exact_cases=True).readable()
    assert DengueCase.objects.filter(municipality=nst).exists()
    assert (
        Dataset.objects.filter(municipality=nst, kind=Dataset.Kind.DENGUE_CASES)
        .filter(with_cases)
        .exists()
    )
