"""Reads of raster datasets (COGs under MEDIA_ROOT): their file and a small preview grid.

A preview reads the COG's overviews (a decimated read picks the nearest overview level, so a
large raster costs no more than a small one) and warps the result to Web Mercator (EPSG:3857),
the grid Leaflet stretches an image overlay on, so the picture sits where the cells are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.warp import calculate_default_transform, reproject, transform_bounds

from analysis.gdal_guard import RASTER_DRIVER
from layers.imports.raster import GDAL_SAFE_ENV, raster_dataset_path
from layers.models import Dataset

WEB_MERCATOR = "EPSG:3857"
PREVIEW_MAX_PX = 800


@dataclass(frozen=True)
class RasterPreview:
    """A band on a Web Mercator grid: values in their units (scale and offset applied).

    ``values`` is float64 with NaN for nodata, row 0 north; ``bounds_latlon`` is
    ``((south, west), (north, east))`` as Leaflet takes it.
    """

    values: np.ndarray
    bounds_latlon: tuple[tuple[float, float], tuple[float, float]]


def raster_file(*, dataset: Dataset) -> Path | None:
    """The dataset's stored COG, or None when it is not a raster or the file is missing."""
    if dataset.kind != Dataset.Kind.RASTER:
        return None
    path = raster_dataset_path(municipality_code=dataset.municipality.code, slug=dataset.slug)
    return path if path.is_file() else None


def raster_preview(path: Path, *, band: int = 1, max_px: int = PREVIEW_MAX_PX) -> RasterPreview:
    """A downsampled copy of one band (from the overviews), warped to EPSG:3857."""
    with rasterio.Env(**GDAL_SAFE_ENV), rasterio.open(path, driver=RASTER_DRIVER) as src:
        factor = max(1.0, max(src.width, src.height) / max_px)
        height = max(1, math.ceil(src.height / factor))
        width = max(1, math.ceil(src.width / factor))
        data = src.read(band, out_shape=(height, width), masked=True, resampling=Resampling.nearest)
        values = np.ma.filled(data.astype(np.float64), np.nan)
        values = values * src.scales[band - 1] + src.offsets[band - 1]
        transform = src.transform @ rasterio.Affine.scale(src.width / width, src.height / height)
        crs = src.crs
    return _web_mercator(values, transform=transform, crs=crs)


def array_preview(
    values: np.ndarray, *, transform: rasterio.Affine, crs: object, max_px: int = PREVIEW_MAX_PX
) -> RasterPreview:
    """The same preview for an array in memory (a bathtub result): NaN is nodata."""
    step = max(1, math.ceil(max(values.shape) / max_px))
    decimated = np.asarray(values[::step, ::step], dtype=np.float64)
    return _web_mercator(
        decimated, transform=transform @ rasterio.Affine.scale(step, step), crs=crs
    )


def _web_mercator(values: np.ndarray, *, transform: rasterio.Affine, crs: object) -> RasterPreview:
    height, width = values.shape
    west, north = transform * (0, 0)
    east, south = transform * (width, height)
    dst_transform, dst_width, dst_height = calculate_default_transform(
        crs, WEB_MERCATOR, width, height, left=west, bottom=south, right=east, top=north
    )
    warped = np.full((dst_height, dst_width), np.nan)
    reproject(
        source=values,
        destination=warped,
        src_transform=transform,
        src_crs=crs,
        src_nodata=np.nan,
        dst_transform=dst_transform,
        dst_crs=WEB_MERCATOR,
        dst_nodata=np.nan,
        resampling=Resampling.nearest,
    )
    west, north = dst_transform * (0, 0)
    east, south = dst_transform * (dst_width, dst_height)
    lon0, lat0, lon1, lat1 = transform_bounds(WEB_MERCATOR, "EPSG:4326", west, south, east, north)
    return RasterPreview(values=warped, bounds_latlon=((lat0, lon0), (lat1, lon1)))
