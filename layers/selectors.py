"""Reads of layer data, always scoped to one municipality."""

from __future__ import annotations

import geopandas as gpd
from django.conf import settings

from analysis.dengue.epiweeks import epi_week_starts
from analysis.privacy import donut_mask
from layers.frames import frame_from_queryset
from layers.models import (
    WGS84,
    Building,
    DengueCase,
    FloodZone,
    Landmark,
    Municipality,
    Road,
    Subdistrict,
)

ROAD_FIELDS = ("id", "name_th", "name_en", "road_class", "surface", "lanes", "ref")
LANDMARK_FIELDS = ("id", "name_th", "name_en", "category")
FLOOD_FIELDS = ("id", "event", "hazard_class", "depth_min_m", "depth_max_m", "is_forecast")
CASE_FIELDS = ("id", "onset_date", "report_date", "diagnosis", "status", "is_generated")


def road_frame(*, municipality: Municipality) -> gpd.GeoDataFrame:
    """Roads of the municipality."""
    return frame_from_queryset(
        Road.objects.filter(municipality=municipality).order_by("id"), fields=ROAD_FIELDS
    )


def landmark_frame(*, municipality: Municipality) -> gpd.GeoDataFrame:
    """Landmarks of the municipality."""
    return frame_from_queryset(
        Landmark.objects.filter(municipality=municipality).order_by("id"), fields=LANDMARK_FIELDS
    )


def flood_zone_frame(*, municipality: Municipality) -> gpd.GeoDataFrame:
    """Flood zones of the municipality."""
    return frame_from_queryset(
        FloodZone.objects.filter(municipality=municipality).order_by("id"), fields=FLOOD_FIELDS
    )


def dengue_case_frame(*, municipality: Municipality) -> gpd.GeoDataFrame:
    """Exact case locations and dates (no personal fields); callers check the role first."""
    return frame_from_queryset(
        DengueCase.objects.filter(municipality=municipality).order_by("onset_date", "id"),
        fields=CASE_FIELDS,
    )


def subdistrict_frame(*, municipality: Municipality) -> gpd.GeoDataFrame:
    """Subdistricts of the municipality."""
    return frame_from_queryset(
        Subdistrict.objects.filter(municipality=municipality).order_by("code"),
        fields=("code", "name_th", "name_en"),
    )


def boundary_frame(*, municipality: Municipality) -> gpd.GeoDataFrame:
    """The municipality's boundary as a one-row frame."""
    return frame_from_queryset(
        Municipality.objects.filter(pk=municipality.pk),
        fields=("code", "name_th", "name_en"),
        geom_field="boundary",
    )


def masked_case_frame(*, municipality: Municipality, k: int = 50) -> gpd.GeoDataFrame:
    """Cases for staff who may not see exact houses: donut-masked points, week-level dates.

    Each point moves at least as far as its household's k-th nearest household (k = 50) and
    stays in its subdistrict, to a place at least k households of the subdistrict, as viewers
    see the buildings, could have been moved to; the same case always lands on the same masked
    place (keyed by a secret). A case that cannot be hidden so is left out. No case id,
    diagnosis or exact date leaves this function.
    """
    cases = frame_from_queryset(
        DengueCase.objects.filter(municipality=municipality).order_by("id"),
        fields=("id", "onset_date", "is_generated", "subdistrict_id"),
    )
    columns = {"id": [], "onset_date": [], "is_generated": []}
    if cases.empty:
        return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    srid = municipality.metric_srid
    homes = frame_from_queryset(
        Building.objects.filter(municipality=municipality).order_by("id"), fields=("id",)
    ).to_crs(srid)
    subdistricts = subdistrict_frame(municipality=municipality).to_crs(srid)
    area_by_id = dict(
        zip(
            Subdistrict.objects.filter(municipality=municipality)
            .order_by("code")
            .values_list("id", flat=True),
            subdistricts.geometry,
            strict=True,
        )
    )
    boundary = boundary_frame(municipality=municipality).to_crs(srid).geometry.iloc[0]
    metric = cases.to_crs(srid)
    areas = gpd.GeoSeries(
        [area_by_id.get(sid, boundary) for sid in metric["subdistrict_id"]], crs=srid
    )
    secret = (settings.MUEANG_MASK_SECRET or settings.SECRET_KEY).encode()
    masked = donut_mask(
        metric.geometry.reset_index(drop=True),
        keys=[str(pk) for pk in metric["id"]],
        secret=secret,
        households=homes.geometry,
        areas=areas,
        k=k,
    )
    out = gpd.GeoDataFrame(
        {"onset_date": epi_week_starts(cases["onset_date"]), "is_generated": cases["is_generated"]},
        geometry=masked.points.to_crs(WGS84).values,
        crs=WGS84,
    )
    out = out[~out.geometry.is_empty]
    # Row order must not follow case ids: sort by week and place, then number the rows.
    out = out.assign(_x=out.geometry.x).sort_values(["onset_date", "_x"]).drop(columns="_x")
    out.insert(0, "id", range(1, len(out) + 1))
    return out.reset_index(drop=True)
