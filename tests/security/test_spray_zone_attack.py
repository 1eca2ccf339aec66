"""Printed and exported spray zones cover the rule but do not point at the case house.

The attacker holds a published zone (the GeoJSON export; the work order draws the same
outline) and the buildings a viewer receives, and knows the rule of `analysis.dengue.cover`:
a zone is a circle of radius ``r + margin`` whose centre was drawn within ``cap(h)`` of the
case household ``h``, with ``margin <= cap(h)``, ``cap(h) = 1.5 * (distance to the k-th
nearest household) + 50 m``, and the case within ``margin`` of the centre. A household is a
candidate when the rule, applied at it, could have drawn that circle. The attacker is written
here from the rule (scipy and numpy), not from the code under test.
"""

from __future__ import annotations

import math
from datetime import date

import geopandas as gpd
import numpy as np
import shapely
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from analysis.dengue.cover import covering_zones
from layers.dengue.selectors import dengue_situation
from layers.models import Municipality

K = 50
UTM = 32647
NST = "nakhon-si-thammarat"
PLAN_DAY = date(2026, 11, 21)  # the demo's "today" (tests/geoapp/test_dengue_pages.py)
QUAD_SEGS = 16
GROW = 1 / math.cos(math.pi / (4 * QUAD_SEGS))  # published polygons are drawn around the circle


# --- The attacker ------------------------------------------------------------------------------


def circle_of(polygon) -> tuple[np.ndarray, float] | None:
    """Centre and radius of a polygon drawn around a circle; None if it is not one circle."""
    xy = shapely.get_coordinates(polygon.exterior if polygon.geom_type == "Polygon" else polygon)
    centre = xy[:-1].mean(axis=0)
    reach = np.hypot(*(xy - centre).T)
    if reach.max() - reach.min() > 0.5:
        return None
    return centre, float(reach.mean() / GROW)


def zone_candidates(
    centre: np.ndarray, radius_m: float, spray_radius_m: float, house_xy: np.ndarray, k: int = K
) -> int:
    """Households that could have produced this circle under the published rule."""
    margin = radius_m - spray_radius_m
    cap = 1.5 * cKDTree(house_xy).query(house_xy, k=k)[0][:, -1] + 50.0
    d = np.hypot(*(house_xy - centre).T)
    return int(((d <= margin + 1e-6) & (cap >= margin - 1e-6)).sum())


def test_the_attacker_finds_the_house_behind_a_circle_centred_on_it():
    """Against the zone before issue 14 (the r-circle around the house) only one house is left."""
    houses = np.array([(x, y) for x in range(0, 600, 15) for y in range(0, 600, 15)], float)
    polygon = shapely.Point(houses[500]).buffer(100 * GROW, quad_segs=QUAD_SEGS)

    centre, radius = circle_of(polygon)

    assert zone_candidates(centre, radius, 100.0, houses) == 1


# --- Random towns -------------------------------------------------------------------------------


@st.composite
def towns(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    parts = [rng.uniform(-1500, 1500, size=(draw(st.integers(0, 200)), 2))]
    for _ in range(draw(st.integers(1, 3))):
        centre = rng.uniform(-1000, 1000, size=2)
        parts.append(
            centre + rng.normal(0, draw(st.floats(30, 300)), size=(draw(st.integers(20, 600)), 2))
        )
    houses = np.unique(np.round(np.clip(np.vstack(parts), -1999, 1999) / 6) * 6, axis=0)
    n_cases = min(draw(st.integers(1, 12)), len(houses))
    cases = houses[rng.choice(len(houses), size=n_cases, replace=False)]
    cases = cases + rng.uniform(-4, 4, size=cases.shape)
    radius = draw(st.sampled_from([50.0, 100.0, 150.0]))
    return houses, cases, radius, seed


@settings(max_examples=40, deadline=None)
@given(towns())
def test_a_published_zone_covers_the_rule_and_hides_the_house_among_k(town):
    houses, cases, radius, seed = town
    frame = gpd.GeoDataFrame(
        {"zone": range(len(cases))}, geometry=gpd.points_from_xy(*cases.T), crs=UTM
    )
    town_area = shapely.box(-2000, -2000, 2000, 2000)

    zones = covering_zones(
        frame,
        zone_col="zone",
        keys=[f"{seed}-{i}" for i in range(len(cases))],
        secret=b"town",
        households=gpd.GeoSeries(gpd.points_from_xy(*houses.T), crs=UTM),
        areas=gpd.GeoSeries([town_area] * len(cases), crs=UTM),
        radius_m=radius,
        k=K,
    )

    seen = np.round(houses, 1)  # as published: coordinates on a 0.1 m grid
    for case, zone in zip(cases, zones.geometry, strict=True):
        assert zone.contains(shapely.Point(case).buffer(radius))
        circle = circle_of(zone)
        if circle is None:  # a lone house: its whole area, grown by the radius
            assert zone.contains(town_area)
            continue
        centre, reach = circle
        assert zone_candidates(np.round(centre, 1), reach, radius, seen) >= K


# --- The demo, through the export a health officer downloads ---------------------------------


def test_the_demo_export_covers_every_house_near_a_case_and_hides_each_among_k(db):
    municipality = Municipality.objects.get(code=NST)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="nst-health"))
    viewer = Client(HTTP_HOST="127.0.0.1")
    viewer.force_login(get_user_model().objects.get(username="nst-viewer"))
    plan_url = reverse("dengue-spray-plan", kwargs={"code": NST})
    exported = client.get(f"{plan_url}?date={PLAN_DAY}&format=geojson").json()
    buildings = viewer.get(f"/api/collections/{NST}.buildings/items?limit=10000").json()
    srid = municipality.metric_srid
    zones = gpd.GeoDataFrame.from_features(exported["features"], crs=4326).to_crs(srid)
    houses = gpd.GeoDataFrame.from_features(buildings["features"], crs=4326).to_crs(srid)
    house_xy = shapely.get_coordinates(houses.geometry.centroid.values)
    situation = dengue_situation(municipality=municipality, on=PLAN_DAY)
    radius = float(municipality.spray_radius_m)
    assert len(zones)

    exact = situation.zones.set_index("key")
    single = 0
    for zone in zones.itertuples():
        ids = exact.loc[zone.zone_key, "case_ids"]
        for point in situation.cases[situation.cases["id"].isin(ids)].geometry:
            near = np.hypot(*(house_xy - [point.x, point.y]).T) <= radius - 0.5
            assert shapely.contains_xy(zone.geometry, *house_xy[near].T).all()
        circle = circle_of(zone.geometry)
        if len(ids) == 1 and circle is not None:
            single += 1
            assert zone_candidates(circle[0], circle[1], radius, house_xy) >= K
    assert single


def test_the_work_order_no_longer_says_around_the_patients_house(db):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="nst-health"))
    plan_url = reverse("dengue-spray-plan", kwargs={"code": NST})
    key = client.get(f"{plan_url}?date={PLAN_DAY}").context["plan"].rounds[0].zone.key
    order_url = reverse("dengue-work-order", kwargs={"code": NST, "zone_key": key})

    client.cookies["django_language"] = "en"
    page = client.get(f"{order_url}?date={PLAN_DAY}").content.decode()

    assert "around the houses where cases were found" not in page
    assert "does not show where a patient lives" in page
    client.cookies["django_language"] = "th"
    thai = client.get(f"{order_url}?date={PLAN_DAY}").content.decode()
    assert "ไม่ให้เอกสารนี้บอกได้ว่าผู้ป่วยอยู่บ้านหลังใด" in thai
    assert "รอบบ้านที่พบผู้ป่วย" not in thai
