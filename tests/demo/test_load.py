"""Where the demo loader lives: `fixtures.load`; `layers.services` keeps only real services."""

from __future__ import annotations

import pytest

import fixtures.load
import layers.services


def test_the_load_demo_command_runs_the_fixtures_loader():
    from geoapp.management.commands import load_demo

    assert load_demo.demo_load is fixtures.load.demo_load


def test_layers_services_names_nothing_else_of_the_loader():
    with pytest.raises(AttributeError, match="demo_city_load"):
        layers.services.demo_city_load  # noqa: B018


def test_the_loader_writes_through_the_layers_upsert_service():
    assert fixtures.load.features_upsert is layers.services.features_upsert
    assert fixtures.load.UpsertReport is layers.services.UpsertReport
