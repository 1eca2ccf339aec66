"""The PostGIS flood overlays (layers.flood.sql) agree with analysis.flood on the demo city."""

import pandas as pd
import pytest

from analysis.flood import feature_exposure, population_impact, road_exposure, zones_from_classes
from layers.flood import sql as flood_sql
from layers.frames import frame_from_queryset
from layers.models import Building, FloodZone, Landmark, Road

pytestmark = pytest.mark.django_db


@pytest.fixture
def frames(nst):
    def load(model, fields):
        return frame_from_queryset(
            model.objects.filter(municipality=nst).order_by("id"), fields=fields
        )

    return {
        "roads": load(Road, ("id", "road_class")),
        "zones": load(FloodZone, ("id", "event", "hazard_class")),
        "landmarks": load(Landmark, ("id", "category")),
        "buildings": load(Building, ("id", "population")),
    }


@pytest.fixture
def zones(frames):
    assert set(frames["zones"]["hazard_class"]) == {"low", "medium", "high"}
    return zones_from_classes(frames["zones"], class_field="hazard_class")


def test_road_lengths_by_class_agree(nst, frames, zones):
    """Same road metres per (road class, hazard class) to the centimetre, in EPSG:32647."""
    expected = road_exposure(frames["roads"], hazard=zones, metric_crs=nst.metric_srid).lengths_m
    rows = flood_sql.road_exposure_postgis(municipality_id=nst.pk, srid=nst.metric_srid)
    got = pd.DataFrame(rows, columns=["road_class", "hazard_class", "length_m"]).pivot(
        index="road_class", columns="hazard_class", values="length_m"
    )[list(expected.columns)]
    assert sorted(got.index) == sorted(expected.index)
    assert got.loc[expected.index].to_numpy() == pytest.approx(expected.to_numpy(), abs=0.01)
    # Some of every class, so the comparison means something.
    assert (expected.sum() > 1000).all()


def test_landmark_classes_agree(nst, frames, zones):
    exposed = feature_exposure(frames["landmarks"], hazard=zones)
    expected = sorted(
        (category, hazard_class, int(n))
        for (category, hazard_class), n in exposed.groupby(["category", "hazard_class"])
        .size()
        .items()
    )
    assert flood_sql.landmark_exposure_postgis(municipality_id=nst.pk) == expected


def test_building_classes_and_residents_agree(nst, frames, zones):
    exposed = feature_exposure(frames["buildings"], hazard=zones)
    grouped = exposed.groupby("hazard_class")
    expected = [
        (name, int(grouped.size().get(name, 0)), int(grouped["population"].sum().get(name, 0)))
        for name in ("dry", "low", "medium", "high")
    ]
    assert flood_sql.building_exposure_postgis(municipality_id=nst.pk) == expected


def test_area_weighted_population_agrees(nst, frames, zones):
    impact = population_impact(frames["buildings"], hazard=zones, metric_crs=nst.metric_srid)
    got = flood_sql.population_exposure_postgis(municipality_id=nst.pk, srid=nst.metric_srid)
    assert got == pytest.approx(impact.affected_by_class, abs=0.01)


def test_event_filter_and_unknown_event(nst):
    event = FloodZone.objects.filter(municipality=nst).values_list("event", flat=True).first()
    with_event = flood_sql.road_exposure_postgis(municipality_id=nst.pk, srid=32647, event=event)
    assert with_event == flood_sql.road_exposure_postgis(municipality_id=nst.pk, srid=32647)
    none = flood_sql.road_exposure_postgis(municipality_id=nst.pk, srid=32647, event="no such")
    assert all(length == 0 for _, hazard, length in none if hazard != "dry")


def test_srid_must_be_metric(nst):
    with pytest.raises(ValueError, match="metric"):
        flood_sql.road_exposure_postgis(municipality_id=nst.pk, srid=4326)


def test_other_municipality_has_no_flood(chon):
    rows = flood_sql.landmark_exposure_postgis(municipality_id=chon.pk)
    assert rows
    assert {hazard for _, hazard, _ in rows} == {"dry"}
