"""The data side of national batches: partitions read from PostGIS, one tenant scope each.

`analysis.national` runs the analyses; this module gives it municipalities and their layers.
Every read of a municipality runs in its own `tenant_scope` for that municipality alone, as the
application role (no BYPASSRLS), so row-level security decides what a partition holds; the
frames go to the Dask workers already read (`PostgisSource.on_workers` is False: workers hold no
database connection and no Django). `snapshot_export` writes the same frames as a GeoParquet
snapshot that workers read themselves (`analysis.national.SnapshotSource`). The ``larval``
layer is the survey table of `layers.field.selectors.larval_survey_table` (the rows the
municipality's own larval pages compute from), typed by `analysis.national.larval_frame`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from analysis import national
from layers.field.selectors import larval_survey_table
from layers.frames import frame_from_queryset
from layers.models import Building, Municipality
from layers.selectors import boundary_frame, dengue_case_frame, flood_zone_frame, road_frame
from layers.tenancy import tenant_scope


def _cases(municipality: Municipality) -> gpd.GeoDataFrame:
    frame = dengue_case_frame(municipality=municipality)[
        ["id", "onset_date", "report_date", "diagnosis", "geometry"]
    ]
    for name in ("onset_date", "report_date"):
        frame[name] = pd.to_datetime(frame[name])
    return frame


def _buildings(municipality: Municipality) -> gpd.GeoDataFrame:
    return frame_from_queryset(
        Building.objects.filter(municipality=municipality).order_by("id"),
        fields=("id", "building_type", "levels", "population"),
    )


_READERS: dict[str, Callable[[Municipality], pd.DataFrame]] = {
    "boundary": lambda m: boundary_frame(municipality=m),
    "roads": lambda m: road_frame(municipality=m)[["id", "road_class", "geometry"]],
    "cases": _cases,
    "flood_zones": lambda m: flood_zone_frame(municipality=m)[
        ["id", "event", "hazard_class", "geometry"]
    ],
    "buildings": _buildings,
    "larval": lambda m: national.larval_frame(larval_survey_table(municipality=m)),
}


def batch_municipalities(codes: Sequence[str] | None = None) -> list[national.Municipality]:
    """The municipalities to run (all, or those of `codes`), weighted by their buildings.

    Raises
    ------
    ValueError
        Naming the codes that match no municipality.
    """
    rows = Municipality.objects.order_by("code")
    if codes:
        rows = rows.filter(code__in=codes)
        missing = sorted(set(codes) - {m.code for m in rows})
        if missing:
            raise ValueError(f"no municipality with code {', '.join(missing)}")
    out = []
    for m in rows:
        with tenant_scope(municipality_ids=[m.pk]):
            weight = Building.objects.filter(municipality=m).count()
        out.append(national.Municipality(m.code, m.pk, m.metric_srid, max(weight, 1)))
    return out


@dataclass(frozen=True)
class PostgisSource:
    """Partitions read here from PostGIS, each municipality under its own tenant scope."""

    on_workers: bool = False

    def load(
        self, municipality: national.Municipality, layers: tuple[str, ...]
    ) -> national.PartitionInput:
        """The municipality's `layers` in its metric CRS (rows of other tenants never visible)."""
        row = Municipality.objects.get(pk=municipality.municipality_id)
        with tenant_scope(municipality_ids=[row.pk]):
            frames = {name: _READERS[name](row) for name in layers}
        frames = {
            name: frame if name in national.TABLE_LAYERS else frame.to_crs(municipality.epsg)
            for name, frame in frames.items()
        }
        return national.PartitionInput(municipality, frames)


def snapshot_export(
    out_dir: Path,
    municipalities: Sequence[national.Municipality],
    *,
    progress: Callable[[national.Municipality], None] | None = None,
) -> None:
    """Write every layer of `municipalities` as ``<code>.<layer>.parquet``, then the index."""
    source = PostgisSource()
    for municipality in municipalities:
        part = source.load(municipality, national.LAYERS)
        national.snapshot_write(out_dir, municipality, part.frames)
        if progress is not None:
            progress(municipality)
    national.snapshot_index_write(out_dir, municipalities)
