"""The one bridge between the ORM and geopandas."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
import shapely
from django.contrib.gis.db.models.functions import AsWKB
from django.db.models import QuerySet

from layers.models import WGS84


def frame_from_queryset(
    queryset: QuerySet, *, fields: Sequence[str], geom_field: str = "geom"
) -> gpd.GeoDataFrame:
    """Return the queryset's rows as a GeoDataFrame in EPSG:4326 (one query, geometry as WKB)."""
    rows = list(queryset.annotate(_wkb=AsWKB(geom_field)).values_list(*fields, "_wkb"))
    columns = list(fields)
    if not rows:
        empty = pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    data = pd.DataFrame([row[:-1] for row in rows], columns=columns)
    geometry = shapely.from_wkb([bytes(row[-1]) for row in rows])
    return gpd.GeoDataFrame(data, geometry=geometry, crs=WGS84)
