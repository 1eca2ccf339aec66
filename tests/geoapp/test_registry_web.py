"""The web side of the registry of layers: a layer registered later is served with no geoapp edit.

Two throwaway layers, kept in existing tables: street lights (every member reads them, planners
import them) and clinic visits (data about people: read with the right to see cases, imported
by health officers). Tiles, API collections and the import wizard pick both up, each with the
rights the registry gives it.
"""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from geoapp.imports.job import PEOPLE_KINDS, import_job_kind
from layers.models import DengueCase, Landmark
from layers.registry import (
    EDIT_CASES,
    EDIT_FLOOD,
    EDIT_INFRASTRUCTURE,
    VIEW_CASES_EXACT,
    Api,
    Imports,
    Layer,
    Tiles,
    layer_get,
    layer_registered,
)

NST = "nakhon-si-thammarat"
START = f"/m/{NST}/import/"


@pytest.fixture
def street_lights():
    """Street lights, kept in the landmark table: read by every member, imported by planners."""
    layer = Layer(
        name="street_lights",
        model=Landmark,
        geometry="Point",
        label=_("Street lights"),
        edit=EDIT_INFRASTRUCTURE,
        tracked_as="street_lights",
        columns=("name_th", "category", "source_id"),
        imports=Imports(("name_th", "name_en", "category")),
        tiles=Tiles(("name_th",)),
        api=Api("Street lights", ("name_th", "category"), ("category",)),
    )
    with layer_registered(layer):
        yield layer


@pytest.fixture
def clinic_visits():
    """Clinic visits, kept in the case table: data about people, as dengue cases are."""
    layer = Layer(
        name="clinic_visits",
        model=DengueCase,
        geometry="Point",
        label=_("Clinic visits"),
        read=VIEW_CASES_EXACT,
        edit=EDIT_CASES,
        tracked_as="clinic_visits",
        columns=("source_id", "onset_date", "diagnosis"),
        imports=Imports(("onset_date", "diagnosis"), action=EDIT_CASES),
        tiles=Tiles(("diagnosis",)),
        api=Api("Clinic visits", ("onset_date", "diagnosis"), ("diagnosis",)),
        people=True,
    )
    with layer_registered(layer):
        yield layer


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def first_tile_of(table: str, z: int) -> tuple[int, int]:
    """The tile under the first feature of the table in Nakhon Si Thammarat."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ST_X(t.geom), ST_Y(t.geom) FROM {table} t "
            "JOIN layers_municipality m ON m.id = t.municipality_id "
            "WHERE m.code = %s ORDER BY t.id LIMIT 1",
            [NST],
        )
        lon, lat = cursor.fetchone()
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def test_a_registered_layer_is_served_as_tiles_with_the_read_right_it_names(
    db, street_lights, clinic_visits
):
    x, y = first_tile_of("layers_landmark", 15)
    lights = client_for("nst-planner").get(f"/tiles/street_lights/15/{x}/{y}.pbf")
    assert lights.status_code == 200
    assert mapbox_vector_tile.decode(lights.content)["street_lights"]["features"]

    x, y = first_tile_of("layers_denguecase", 15)
    url = f"/tiles/clinic_visits/15/{x}/{y}.pbf"
    assert client_for("nst-planner").get(url).status_code == 404
    visits = client_for("nst-health").get(url)
    assert visits.status_code == 200
    assert mapbox_vector_tile.decode(visits.content)["clinic_visits"]["features"]


def test_a_registered_layer_is_an_api_collection_for_those_who_may_read_it(
    db, street_lights, clinic_visits
):
    def collection_ids(username: str) -> set[str]:
        response = client_for(username).get("/api/collections")
        assert response.status_code == 200
        return {collection["id"] for collection in response.json()["collections"]}

    assert f"{NST}.street_lights" in collection_ids("nst-planner")
    assert f"{NST}.clinic_visits" not in collection_ids("nst-planner")
    assert {f"{NST}.street_lights", f"{NST}.clinic_visits"} <= collection_ids("nst-health")

    items = client_for("nst-planner").get(f"/api/collections/{NST}.street_lights/items?limit=5")
    assert items.status_code == 200
    assert len(items.json()["features"]) == 5
    assert set(items.json()["features"][0]["properties"]) == {"name_th", "category"}
    hidden = client_for("nst-planner").get(f"/api/collections/{NST}.clinic_visits/items")
    assert hidden.status_code == 404


def test_the_import_wizard_offers_a_registered_layer_to_those_who_may_import_it(
    db, street_lights, clinic_visits
):
    planner = client_for("nst-planner").get(START).content.decode()
    health = client_for("nst-health").get(START).content.decode()

    assert 'value="street_lights"' in planner
    assert "Street lights" in planner
    assert 'value="clinic_visits"' not in planner
    assert 'value="clinic_visits"' in health
    assert 'value="street_lights"' not in health
    assert (import_job_kind("street_lights"), import_job_kind("clinic_visits")) == (
        "import_layer",
        "import_cases",
    )
    assert "clinic_visits" in PEOPLE_KINDS
    assert "street_lights" not in PEOPLE_KINDS


def test_whoever_may_import_a_registered_layer_reaches_the_wizard(db):
    """A layer imported with another right opens the wizard to those who have that right."""
    gauges = Layer(
        name="water_gauges",
        model=Landmark,
        geometry="Point",
        label=_("Water gauges"),
        imports=Imports(("name_th", "category"), action=EDIT_FLOOD),
    )
    assert client_for("nst-disaster").get(START).status_code == 403
    with layer_registered(gauges):
        page = client_for("nst-disaster").get(START)
        assert page.status_code == 200
        assert 'value="water_gauges"' in page.content.decode()
        assert 'value="roads"' not in page.content.decode()


def test_a_layer_removed_from_the_registry_is_offered_nowhere(db):
    planner = client_for("nst-planner").get(START).content.decode()
    assert 'value="street_lights"' not in planner
    assert client_for("nst-planner").get("/tiles/street_lights/0/0/0.pbf").status_code == 404
    assert tuple(PEOPLE_KINDS) == ("dengue_cases",)


def test_lists_short_of_room_keep_the_short_building_label():
    """Recent changes and flood-exposure progress said "Buildings" before the registry did."""
    buildings = layer_get("buildings")
    with translation.override("th"):
        assert (str(buildings.brief_label), str(buildings.label)) == ("อาคาร", "อาคารและครัวเรือน")
    with translation.override("en"):
        assert (str(buildings.brief_label), str(layer_get("roads").brief_label)) == (
            "Buildings",
            "Roads",
        )
