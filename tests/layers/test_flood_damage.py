"""The damage model of a municipality: defaults, saved versions, isolation, and the damage."""

from __future__ import annotations

import math

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError

from analysis.flood import (
    JRC_ASIA_CURVES,
    building_damage,
    depth_scheme,
    feature_exposure,
    zones_from_classes,
)
from layers import selectors
from layers.flood import selectors as flood
from layers.flood.services import damage_curve_save, replacement_value_save
from layers.frames import frame_from_queryset
from layers.models import Building, FloodDamageCurve, FloodReplacementValue, FloodZone
from layers.tenancy import tenant_scope_set


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def officer():
    return get_user_model().objects.get(username="nst-disaster")


def test_without_saved_rows_the_jrc_defaults_apply(db, nst):
    settings = flood.damage_settings_current(municipality=nst)

    assert [t.building_type for t in settings.types] == [
        "residential",
        "commercial",
        "industrial",
        "public",
    ]
    assert settings.curves() == JRC_ASIA_CURVES
    assert settings.values()["residential"] == 26_500
    assert all(t.curve_is_default and t.value_is_default for t in settings.types)
    assert settings.types[3].borrowed_from == "commercial"
    assert "JRC105688" in settings.types[0].curve_source


def test_each_save_is_a_version_and_the_newest_is_in_force(db, nst):
    replacement_value_save(
        municipality=nst, user=officer(), building_type="residential", baht_per_m2=9_000
    )
    replacement_value_save(
        municipality=nst,
        user=officer(),
        building_type="residential",
        baht_per_m2=12_000,
        source="สมาคมนักประเมินราคาอิสระไทย 2567",
    )
    damage_curve_save(
        municipality=nst,
        user=officer(),
        building_type="commercial",
        depths_m=[0, 1, 3],
        fractions=[0, 0.4, 1],
        source="survey",
    )

    settings = flood.damage_settings_current(municipality=nst)
    residential, commercial = settings.types[0], settings.types[1]
    assert residential.baht_per_m2 == 12_000
    assert residential.value_source == "สมาคมนักประเมินราคาอิสระไทย 2567"
    assert residential.value_saved_by == "nst-disaster"
    assert not residential.value_is_default
    assert commercial.curve.fractions == (0.0, 0.4, 1.0)
    assert commercial.borrowed_from == ""
    assert settings.types[2].curve_is_default
    history = flood.damage_settings_history(municipality=nst)
    assert [(h.what, h.text) for h in history] == [
        ("curve", "0 m: 0, 1 m: 0.4, 3 m: 1"),
        ("value", "12,000"),
        ("value", "9,000"),
    ]


@pytest.mark.parametrize(
    ("depths", "fractions"),
    [
        ([0, 1], [0.5, 0.2]),
        ([0, 0], [0, 1]),
        ([0], [0]),
        ([0, 1], [0, 1.5]),
        ([0, math.nan], [0, 1]),
    ],
)
def test_a_curve_that_is_not_a_curve_saves_nothing(db, nst, depths, fractions):
    before = FloodDamageCurve.objects.count()
    with pytest.raises(ValidationError):
        damage_curve_save(
            municipality=nst,
            user=officer(),
            building_type="residential",
            depths_m=depths,
            fractions=fractions,
        )
    assert FloodDamageCurve.objects.count() == before


@pytest.mark.parametrize(
    ("kind", "value"), [("residential", -1.0), ("residential", math.nan), ("boat", 100.0)]
)
def test_a_bad_value_saves_nothing(db, nst, kind, value):
    before = FloodReplacementValue.objects.count()
    with pytest.raises(ValidationError):
        replacement_value_save(
            municipality=nst, user=officer(), building_type=kind, baht_per_m2=value
        )
    assert FloodReplacementValue.objects.count() == before


def test_one_municipalitys_model_is_invisible_to_another(db, nst, chon):
    replacement_value_save(
        municipality=nst, user=officer(), building_type="public", baht_per_m2=1_000
    )
    tenant_scope_set(municipality_ids=[chon.pk])

    assert FloodReplacementValue.objects.count() == 0
    assert flood.damage_settings_current(municipality=chon).values()["public"] == 29_200


def test_damage_of_the_demo_flood_equals_the_analysis_run_on_frames_read_here(db, nst):
    event = FloodZone.objects.filter(municipality=nst).values_list("event", flat=True)[0]
    replacement_value_save(
        municipality=nst, user=officer(), building_type="residential", baht_per_m2=10_000
    )
    situation = flood.flood_situation(
        municipality=nst, needs=flood.default_needs_profile(), event=event
    )
    damage = flood.flood_damage(
        situation=situation, settings=flood.damage_settings_current(municipality=nst)
    )

    zones = frame_from_queryset(
        FloodZone.objects.filter(municipality=nst, event=event), fields=("hazard_class",)
    )
    buildings = frame_from_queryset(
        Building.objects.filter(municipality=nst).order_by("id"),
        fields=("id", "building_type", "levels"),
    )
    scheme = depth_scheme(impassable_m=float(nst.impassable_depth_m))
    exposed = feature_exposure(
        buildings,
        hazard=zones_from_classes(zones, class_field="hazard_class", scheme=scheme),
        aggregation=selectors.subdistrict_frame(municipality=nst),
        aggregation_field="code",
        metric_crs=nst.metric_srid,
    )
    direct = building_damage(
        exposed,
        scheme=scheme,
        values_baht_per_m2={"residential": 10_000},
        type_field="building_type",
        floors_field="levels",
        metric_crs=nst.metric_srid,
    )
    assert damage.summary["total_damage_baht"] == pytest.approx(direct["damage_baht"].sum())
    assert damage.summary["buildings_damaged"] == int(direct["damaged"].sum()) > 0
    assert sum(a["total_damage_baht"] for a in damage.summary["by_area"].values()) == (
        pytest.approx(damage.summary["total_damage_baht"])
    )
