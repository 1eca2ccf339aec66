"""Residents' reports on the dengue and flood pages: read-only, in the tenant, no contacts."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from geoapp.models import Report, ReportFeed, ReportStatus, ServiceCategory
from geoapp.reports.services import Contact, report_status_set
from geoapp.templatetags.thaidate import thai_datetime
from layers.dengue import selectors as dengue
from tests.geoapp.test_isolation import _zone_key
from tests.geoapp.test_reports_models import CHON_POINT, NST_POINT, category_make, report_make

NST = "nakhon-si-thammarat"
SECRET = Contact(name="นางลับ ยุงเยอะ", phone="0861112222", email="secret@example.org")


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _feed(municipality, feed) -> ServiceCategory:
    category = ServiceCategory.objects.get(municipality=municipality, feeds=feed)
    assert category.code in {"mosquito", "flood"}  # seeded by load_demo (fixtures/reports.py)
    return category


def _zone_centre(nst) -> tuple[str, tuple[float, float]]:
    key = _zone_key(NST, {})
    situation = dengue.dengue_situation(municipality=nst, on=timezone.localdate())
    order = dengue.work_order(situation, key)
    centre = gpd.GeoSeries([order.zone.geometry.centroid], crs=nst.metric_srid).to_crs(4326)[0]
    return key, (centre.x, centre.y)


def test_breeding_site_reports_are_on_the_dengue_map_of_their_town_only(nst, chon):
    site = report_make(nst, _feed(nst, ReportFeed.BREEDING_SITE), contact=SECRET)
    rejected = report_make(nst, _feed(nst, ReportFeed.BREEDING_SITE))
    report_status_set(report=rejected, status=ReportStatus.REJECTED, user=None, note="ไม่พบ")
    other_kind = report_make(nst, category_make(nst))
    chon_site = report_make(chon, _feed(chon, ReportFeed.BREEDING_SITE), lon_lat=CHON_POINT)

    response = client_for("nst-health").get(reverse("dengue-dashboard", kwargs={"code": NST}))
    body = response.content.decode()

    assert response.status_code == 200
    assert "mueang-breeding-site" in body
    assert f'"site_label": "#{site.pk}"' in body
    for absent in (rejected, other_kind, chon_site):
        assert f'"site_label": "#{absent.pk}"' not in body
    for private in (*SECRET.__dict__.values(), site.tracking_code):
        assert private not in body


def test_the_dengue_map_stays_closed_to_roles_without_cases(nst):
    report_make(nst, _feed(nst, ReportFeed.BREEDING_SITE))

    for username in ("nst-volunteer", "nst-viewer"):
        response = client_for(username).get(reverse("dengue-dashboard", kwargs={"code": NST}))
        assert response.status_code == 403


def test_the_work_order_lists_breeding_sites_reported_inside_its_zone(nst):
    key, inside = _zone_centre(nst)
    site = report_make(nst, _feed(nst, ReportFeed.BREEDING_SITE), lon_lat=inside, contact=SECRET)
    far = report_make(nst, _feed(nst, ReportFeed.BREEDING_SITE), lon_lat=NST_POINT)
    assert Report.objects.get(pk=far.pk).location.distance(Point(*inside, srid=4326)) > 0.005

    response = client_for("nst-health").get(
        reverse("dengue-work-order", kwargs={"code": NST, "zone_key": key})
    )
    body = response.content.decode()

    assert response.status_code == 200
    assert 'class="work-order-reported-sites"' in body
    assert f"#{site.pk}" in body
    assert f"#{far.pk}," not in body
    local = timezone.localtime(site.created_at)
    assert f"{local.year + 543}" in body  # the Buddhist-era year of the report
    for private in (*SECRET.__dict__.values(), site.tracking_code):
        assert private not in body


@pytest.fixture
def flooded(nst, chon):
    road = report_make(nst, _feed(nst, ReportFeed.FLOODED_ROAD), contact=SECRET)
    chon_road = report_make(chon, _feed(chon, ReportFeed.FLOODED_ROAD), lon_lat=CHON_POINT)
    light = report_make(nst, category_make(nst))
    return road, chon_road, light


def test_flooded_road_reports_are_observed_flooding_on_the_flood_dashboard(nst, flooded):
    road, chon_road, light = flooded

    response = client_for("nst-disaster").get(reverse("flood-dashboard", kwargs={"code": NST}))
    body = response.content.decode()

    assert response.status_code == 200
    assert "mueang-observed-flooding" in body
    assert f'"site_label": "#{road.pk}"' in body
    # The report's day and time, as the map's JSON carries it.
    assert json.dumps(thai_datetime(road.created_at))[1:-1] in body
    for absent in (chon_road, light):
        assert f'"site_label": "#{absent.pk}"' not in body
    for private in (*SECRET.__dict__.values(), road.tracking_code):
        assert private not in body


def test_a_new_flooded_road_report_reaches_the_cached_flood_map(nst):
    viewer = client_for("nst-viewer")
    url = reverse("flood-dashboard", kwargs={"code": NST})
    viewer.get(url)  # caches the map

    road = report_make(nst, _feed(nst, ReportFeed.FLOODED_ROAD))

    assert f'"site_label": "#{road.pk}"' in viewer.get(url).content.decode()
