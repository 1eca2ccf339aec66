"""The office's larval reads: per zone and round in PostGIS equal to the pure rule, on the demo."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import shapely

from layers.dengue.selectors import dengue_situation
from layers.field.office import (
    ZoneOutline,
    larval_indices_by_zone,
    larval_indices_by_zone_sql,
    positive_houses,
    repeat_visit_count,
    zone_survey_progress,
)
from layers.field.selectors import larval_indices_for
from layers.models import Building, DengueCase, HouseSurvey, SurveyPlace
from layers.tenancy import tenant_scope_set

BANGKOK = dt.timezone(dt.timedelta(hours=7))


def demo_zones(municipality) -> list[ZoneOutline]:
    """The zones open on the generated cases' last report date (the demo surveyed them)."""
    last = DengueCase.objects.filter(municipality=municipality).latest("report_date").report_date
    zones = dengue_situation(municipality=municipality, on=last).active_zones.to_crs(4326)
    return [ZoneOutline(key, geom) for key, geom in zip(zones["key"], zones.geometry, strict=True)]


@pytest.fixture
def zones(nst):
    return demo_zones(nst)


def test_the_demo_surveys_both_rounds_with_every_status_and_one_repeat(nst, chon):
    for municipality in (nst, chon):
        survey = larval_indices_for(municipality=municipality, by="round")
        assert [int(v) for v, _ in survey.groups] == [1, 2]
        total = survey.total
        assert total.houses_surveyed > 50
        assert 0 < total.houses_positive < total.houses_surveyed / 3
        assert min(total.houses_vacant, total.houses_closed, total.houses_refused) > 0
        assert len(survey.repeat_visits) == 1
        kinds = {place.kind for place in SurveyPlace.objects.filter(municipality=municipality)}
        assert {"community", "school"} <= kinds


def test_the_demo_houses_lie_in_the_zones(nst, zones):
    found = larval_indices_by_zone_sql(municipality=nst, zones=zones)
    in_zones = sum(z.indices.houses_surveyed for z in found if z.round_number == 1)
    houses = HouseSurvey.objects.filter(municipality=nst, building__isnull=False, round_number=1)
    assert in_zones >= houses.filter(status="surveyed").values("building").distinct().count()
    assert len(zones) >= 2
    assert len({z.zone_key for z in found}) >= 2


@pytest.mark.parametrize("round_number", [None, 1, 2])
def test_postgis_and_pure_paths_agree_per_zone_and_round(nst, zones, round_number):
    sql = larval_indices_by_zone_sql(municipality=nst, zones=zones, round_number=round_number)
    pure = larval_indices_by_zone(municipality=nst, zones=zones, round_number=round_number)
    assert sql == pure
    assert sql
    assert any(z.indices.houses_positive for z in sql)


def test_a_repeat_in_a_zone_counts_once(nst, zones):
    before = {
        (z.zone_key, z.round_number): z.indices
        for z in larval_indices_by_zone_sql(municipality=nst, zones=zones)
    }
    first = HouseSurvey.objects.filter(
        municipality=nst, building__isnull=False, round_number=2, status="surveyed"
    ).first()
    HouseSurvey.objects.create(
        municipality=nst,
        client_uuid=uuid.uuid4(),
        place=first.place,
        building=first.building,
        round_number=2,
        surveyed_at=first.surveyed_at - dt.timedelta(hours=2),
        status="surveyed",
    )
    after = {
        (z.zone_key, z.round_number): z.indices
        for z in larval_indices_by_zone_sql(municipality=nst, zones=zones)
    }
    assert after == before
    assert larval_indices_by_zone(municipality=nst, zones=zones) == sorted(
        larval_indices_by_zone_sql(municipality=nst, zones=zones),
        key=lambda z: (z.zone_key, z.round_number),
    )


def test_another_municipality_sees_nothing_of_the_zones(nst, chon, zones):
    tenant_scope_set(municipality_ids=[chon.pk])
    assert larval_indices_by_zone_sql(municipality=nst, zones=zones) == []
    assert positive_houses(municipality=nst) == []


def test_progress_counts_distinct_houses_since_the_moment(nst, zones):
    zone = zones[0]
    since = dt.datetime(2000, 1, 1, tzinfo=BANGKOK)
    until = dt.datetime(2100, 1, 1, tzinfo=BANGKOK)
    everything = zone_survey_progress(municipality=nst, zones=[(zone, since)], until=until)
    got = everything[zone.key]
    assert 0 < got.houses_surveyed <= got.houses_visited
    later = zone_survey_progress(
        municipality=nst, zones=[(zone, got.last_visit + dt.timedelta(seconds=1))], until=until
    )
    assert later[zone.key].houses_visited == 0
    assert later[zone.key].last_visit is None


def test_positive_houses_are_points_without_names(nst):
    houses = positive_houses(municipality=nst)
    assert houses
    assert all(h.containers_positive > 0 and isinstance(h.geometry, shapely.Point) for h in houses)
    assert set(vars(houses[0])) == {
        "geometry",
        "place",
        "place_type",
        "round_number",
        "surveyed_on",
        "containers",
        "containers_positive",
    }
    total = larval_indices_for(municipality=nst).total
    assert len(houses) == total.houses_positive
    assert Building.objects.filter(municipality=nst).exists()


@pytest.mark.parametrize("round_number", [None, 1, 2])
def test_the_repeat_count_is_the_rules(nst, chon, round_number):
    for municipality in (nst, chon):
        pure = larval_indices_for(municipality=municipality, round_number=round_number)
        got = repeat_visit_count(municipality=municipality, round_number=round_number)
        assert got == len(pure.repeat_visits)


def test_the_api_views_speak_thai():
    from django.utils import translation

    from layers.models import LarvalHouseVisit, LarvalPlaceRound
    from layers.registry import layer_get

    def strings() -> list[str]:
        models = [LarvalHouseVisit, LarvalPlaceRound]
        texts = [str(m._meta.verbose_name) for m in models]
        texts += [str(m._meta.verbose_name_plural) for m in models]
        texts += [
            str(f.verbose_name)
            for m in models
            for f in m._meta.fields
            if f.name not in ("id", "municipality", "hi", "ci", "bi")
        ]
        return texts + [
            str(layer_get(n).label) for n in ("larval_place_rounds", "larval_house_visits")
        ]

    with translation.override("en"):
        english = strings()
    with translation.override("th"):
        thai = strings()
    assert [e for e, t in zip(english, thai, strict=True) if e == t] == []
