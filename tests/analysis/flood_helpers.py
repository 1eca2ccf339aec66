"""Small builders shared by the flood tests: rasters and frames known by construction."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio

UTM47 = 32647
NODATA = -9999.0


def write_raster(
    path: Path,
    values: np.ndarray,
    *,
    crs: int | str = UTM47,
    origin: tuple[float, float] = (0.0, 0.0),
    cell: float | tuple[float, float] = 10.0,
    nodata: float | None = NODATA,
    dtype: str = "float32",
) -> Path:
    """A one-band GeoTIFF whose top-left corner is `origin` (x, y)."""
    values = np.asarray(values)
    cell_x, cell_y = (cell, cell) if np.isscalar(cell) else cell
    profile = {
        "driver": "GTiff",
        "width": values.shape[1],
        "height": values.shape[0],
        "count": 1,
        "dtype": dtype,
        "crs": crs,
        "transform": rasterio.Affine(cell_x, 0.0, origin[0], 0.0, -cell_y, origin[1]),
        "nodata": nodata,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype(dtype), 1)
    return path


def frame(geometries: list, crs: int | str = UTM47, **columns: list) -> gpd.GeoDataFrame:
    """A GeoDataFrame from geometries and columns, always with an explicit CRS."""
    return gpd.GeoDataFrame(columns, geometry=geometries, crs=crs)
