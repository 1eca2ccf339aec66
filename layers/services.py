"""Writes to layers that are not tied to one page: upserting a dataset's features by source id.

The demo loader that used to live here is `fixtures.load` (`manage.py load_demo`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from django.contrib.gis.geos import GEOSGeometry

from layers.models import WGS84, Dataset, FeatureModel, Municipality


@dataclass(frozen=True)
class UpsertReport:
    created: int
    updated: int
    deleted: int
    skipped: bool = False


def _missing(value) -> bool:
    """None, NaN, NaT or pandas' NA: a value the database stores as NULL."""
    if isinstance(value, list | tuple | dict):
        return False
    return value is None or bool(pd.isna(value))


def geos_from_shapely(geometry) -> GEOSGeometry:
    """A shapely geometry (EPSG:4326, 2D) as the GEOS geometry a model field stores."""
    return GEOSGeometry(memoryview(shapely.to_wkb(geometry, output_dimension=2)), srid=WGS84)


def features_upsert(
    *,
    model: type[FeatureModel],
    municipality: Municipality,
    dataset: Dataset,
    frame: gpd.GeoDataFrame,
    fields: list[str],
) -> UpsertReport:
    """Make the dataset's features equal to `frame`, matched by `source_id`.

    New ids are created, known ids updated, ids no longer in the frame deleted. Runs inside the
    caller's transaction.
    """
    existing = dict(
        model.objects.filter(municipality=municipality, dataset=dataset).values_list(
            "source_id", "id"
        )
    )
    to_create, to_update = [], []
    records = frame[["source_id", *fields]].astype(object).to_dict("records")
    for row, geometry in zip(records, frame.geometry, strict=True):
        row = {key: None if _missing(value) else value for key, value in row.items()}
        obj = model(
            municipality=municipality, dataset=dataset, geom=geos_from_shapely(geometry), **row
        )
        if row["source_id"] in existing:
            obj.pk = existing[row["source_id"]]
            to_update.append(obj)
        else:
            to_create.append(obj)
    seen = set(frame["source_id"])
    stale = [pk for source_id, pk in existing.items() if source_id not in seen]
    model.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        model.objects.bulk_update(to_update, [*fields, "geom"], batch_size=500)
    if stale:
        model.objects.filter(pk__in=stale).delete()
    return UpsertReport(created=len(to_create), updated=len(to_update), deleted=len(stale))
