"""Residents' reports feeding the dengue and flood pages (categories flagged by `feeds`).

Breeding sites go to the dengue map and the spray zones' work orders; flooded roads to the flood
dashboard as observed flooding.

Read-only and inside the tenant scope; the frames hold the report's number, category, status,
time and place, never a contact (the contact table is not read) nor the tracking code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import geopandas as gpd
from django.db.models import Count, Max
from django.utils import timezone

from geoapp.models import Report, ReportFeed, ReportStatus
from layers.models import Municipality

#: How far back the dengue pages look for breeding-site reports, from the page's date.
BREEDING_SITE_DAYS = 60
#: How far back the flood dashboard shows flooded-road reports as observed flooding.
FLOODED_ROAD_DAYS = 14
#: Reports the municipality set aside do not feed anything.
_NOT_FEEDING = (ReportStatus.REJECTED, ReportStatus.DUPLICATE)
COLUMNS = ["id", "category", "status", "reported_at", "geometry"]


def _feeding(*, municipality: Municipality, feed: str, since: datetime, until: datetime):
    return (
        Report.objects.filter(
            municipality=municipality,
            category__feeds=feed,
            created_at__gte=since,
            created_at__lt=until,
        )
        .exclude(status__in=_NOT_FEEDING)
        .select_related("category")
        .order_by("created_at", "pk")
    )


def _frame(reports) -> gpd.GeoDataFrame:
    rows = list(reports)
    return gpd.GeoDataFrame(
        {
            "id": [r.pk for r in rows],
            "category": [r.category.name_th for r in rows],
            "status": [str(r.get_status_display()) for r in rows],
            "reported_at": [timezone.localtime(r.created_at) for r in rows],
        },
        geometry=gpd.points_from_xy([r.location.x for r in rows], [r.location.y for r in rows]),
        crs="EPSG:4326",
    )


def _day_end(on: date) -> datetime:
    return timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))


def breeding_sites_frame(*, municipality: Municipality, on: date) -> gpd.GeoDataFrame:
    """Breeding-site reports of the 60 days up to `on` (EPSG:4326; id, category, status, time)."""
    until = _day_end(on)
    reports = _feeding(
        municipality=municipality,
        feed=ReportFeed.BREEDING_SITE,
        since=until - timedelta(days=BREEDING_SITE_DAYS + 1),
        until=until,
    )
    return _frame(reports)


def flooded_roads_frame(
    *, municipality: Municipality, now: datetime | None = None
) -> gpd.GeoDataFrame:
    """Flooded-road reports of the last 14 days (EPSG:4326; id, category, status, time)."""
    until = now or timezone.now()
    reports = _feeding(
        municipality=municipality,
        feed=ReportFeed.FLOODED_ROAD,
        since=until - timedelta(days=FLOODED_ROAD_DAYS),
        until=until + timedelta(seconds=1),
    )
    return _frame(reports)


def feed_version(*, municipality: Municipality, feed: str) -> str:
    """Changes when a report of the feed is added or changes (for cached maps)."""
    found = Report.objects.filter(municipality=municipality, category__feeds=feed).aggregate(
        n=Count("pk"), last=Max("updated_at")
    )
    return f"{found['n']}:{found['last'].isoformat() if found['last'] else ''}"


@dataclass(frozen=True)
class ReportedSite:
    """A breeding site a resident reported inside a spray zone, for the work order."""

    number: int
    reported_at: datetime
    status: str


def breeding_sites_in_zone(
    *, municipality: Municipality, zone_geometry, metric_srid: int, on: date
) -> list[ReportedSite]:
    """Breeding-site reports (60 days up to `on`) inside a zone outline in the metric CRS."""
    sites = breeding_sites_frame(municipality=municipality, on=on)
    if sites.empty:
        return []
    inside = sites[sites.to_crs(metric_srid).within(zone_geometry)]
    return [
        ReportedSite(number=int(row.id), reported_at=row.reported_at, status=row.status)
        for row in inside.itertuples()
    ]
