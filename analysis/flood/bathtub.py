"""Connected "bathtub" flood: a water level over a DEM, spreading only from a seed.

A cell floods when the ground is below the water level and it is connected (8 neighbours by
default) through other such cells to a seed cell: a river, canal or observed flood. Low ground
with no connection to the seed (a closed depression behind an embankment) stays dry; this is
what makes the connected bathtub better than a plain threshold. Depth = level - ground.

The DEM is read whole, because connectivity is global; a town-sized DEM is small. Nodata cells
never flood and do not connect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.features import rasterize, shapes
from scipy import ndimage

from analysis.flood._common import geometry_array, require_geoframe
from analysis.flood.hazard import (
    HazardScheme,
    HazardZones,
    band_values,
    check_raster,
    depth_scheme,
    make_zones,
)
from analysis.gdal_guard import RASTER_DRIVER

DEPTH_NODATA = -9999.0


@dataclass(frozen=True)
class BathtubFlood:
    """Result of `bathtub_flood`.

    Attributes
    ----------
    depth_m : numpy.ndarray
        float32 depths in metres on the DEM grid: 0 where dry, NaN where the DEM has no data.
    transform : affine.Affine
        Grid of the DEM.
    crs : rasterio.crs.CRS
        CRS of the DEM.
    zones : HazardZones
        The flooded cells as polygons by class (the affected classes), in the DEM's CRS.
    level_m : float
        The water level, in the DEM's vertical units (metres).
    seed_cells : int
        Cells under the seed geometry.
    """

    depth_m: np.ndarray
    transform: rasterio.Affine
    crs: object
    zones: HazardZones
    level_m: float
    seed_cells: int

    @property
    def flooded_cells(self) -> int:
        """Cells with water (depth > 0)."""
        return int(np.count_nonzero(np.nan_to_num(self.depth_m) > 0))

    def write(self, path: str | Path) -> Path:
        """Write the depths as a compressed GeoTIFF (nodata -9999); return the path."""
        path = Path(path)
        height, width = self.depth_m.shape
        profile = {
            "driver": "GTiff",
            "width": width,
            "height": height,
            "count": 1,
            "dtype": "float32",
            "crs": self.crs,
            "transform": self.transform,
            "nodata": DEPTH_NODATA,
            "compress": "deflate",
        }
        if width >= 256 and height >= 256:
            profile.update(tiled=True, blockxsize=256, blockysize=256)
        data = np.where(np.isnan(self.depth_m), DEPTH_NODATA, self.depth_m).astype(np.float32)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data, 1)
        return path


def bathtub_flood(
    *,
    dem: str | Path,
    level_m: float,
    seed: gpd.GeoDataFrame | gpd.GeoSeries,
    scheme: HazardScheme | None = None,
    connectivity: int = 8,
    band: int = 1,
) -> BathtubFlood:
    """Flood a DEM to `level_m`, keeping only water connected to the seed geometry.

    Parameters
    ----------
    dem : str or pathlib.Path
        Ground elevation raster in metres (any CRS, nodata respected).
    level_m : float
        Water surface elevation, in the DEM's vertical datum.
    seed : geopandas.GeoDataFrame or geopandas.GeoSeries
        Where the water comes from (rivers, canals, an observed flood), with a CRS; every cell
        it touches is a seed.
    scheme : HazardScheme, optional
        Depth classes for the zones; default `depth_scheme()`.
    connectivity : {4, 8}
        Neighbours through which water spreads.
    band : int
        DEM band.

    Returns
    -------
    BathtubFlood

    Raises
    ------
    ValueError
        When the seed does not touch the DEM, or arguments are invalid.

    Examples
    --------
    Two basins below the level, only the one holding the canal floods:

    >>> import tempfile, numpy as np, rasterio, geopandas as gpd
    >>> from rasterio.transform import from_origin
    >>> from shapely import Point
    >>> ground = np.array([[1, 1, 5, 1, 1]], dtype="int16")
    >>> path = tempfile.mkdtemp() + "/dem.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=5, height=1, count=1, dtype="int16",
    ...                    crs=32647, transform=from_origin(0, 10, 10, 10)) as dst:
    ...     dst.write(ground, 1)
    >>> canal = gpd.GeoSeries([Point(5, 5)], crs=32647)
    >>> bathtub_flood(dem=path, level_m=2.0, seed=canal).depth_m.tolist()
    [[1.0, 1.0, 0.0, 0.0, 0.0]]
    """
    require_geoframe(seed, name="seed")
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    if not np.isfinite(level_m):
        raise ValueError(f"level_m must be a number, got {level_m}")
    scheme = scheme or depth_scheme()
    with rasterio.open(dem, driver=RASTER_DRIVER) as src:
        check_raster(src, band=band)
        ground = src.read(band, masked=True)
        transform, crs, shape = src.transform, src.crs, (src.height, src.width)
        heights = band_values(src, np.ma.filled(ground.astype(np.float64), np.nan), band=band)
    valid = ~np.ma.getmaskarray(ground)
    valid &= ~np.isnan(heights)
    seed_geoms = geometry_array(seed.geometry.to_crs(crs))
    seed_geoms = seed_geoms[~(shapely.is_missing(seed_geoms) | shapely.is_empty(seed_geoms))]
    seeds = np.zeros(shape, dtype=bool)
    if len(seed_geoms):
        seeds = rasterize(
            ((g, 1) for g in seed_geoms),
            out_shape=shape,
            transform=transform,
            all_touched=True,
            fill=0,
            dtype="uint8",
        ).astype(bool)
    if not seeds.any():
        raise ValueError("the seed geometry does not touch the DEM")
    below = valid & (heights < level_m)
    structure = np.ones((3, 3), dtype=bool) if connectivity == 8 else None
    labels, _ = ndimage.label(below, structure=structure)
    seeded = np.unique(labels[seeds & below])
    seeded = seeded[seeded > 0]
    wet = np.isin(labels, seeded)
    depth = np.where(wet, level_m - heights, 0.0)
    depth = np.where(valid, depth, np.nan).astype(np.float32)
    zones = _zones(depth, transform=transform, crs=crs, scheme=scheme)
    return BathtubFlood(
        depth_m=depth,
        transform=transform,
        crs=crs,
        zones=zones,
        level_m=float(level_m),
        seed_cells=int(seeds.sum()),
    )


def _zones(
    depth: np.ndarray, *, transform: rasterio.Affine, crs: object, scheme: HazardScheme
) -> HazardZones:
    """Polygons of the wet cells by class and impassable flag."""
    rank = scheme.classify(depth)
    code = np.where(rank >= 0, rank * 2 + (depth >= scheme.impassable_m), -1).astype(np.int32)
    keep = (rank > 0) | ((rank == 0) & (depth >= scheme.impassable_m))
    geoms, values = [], []
    if keep.any():
        for geojson, value in shapes(code, mask=keep, connectivity=4, transform=transform):
            geoms.append(shapely.geometry.shape(geojson))
            values.append(int(value))
    codes = np.asarray(values, dtype=np.int64)
    return make_zones(
        np.asarray(geoms, dtype=object),
        ranks=codes // 2,
        impassable=(codes % 2).astype(bool),
        scheme=scheme,
        crs=crs,
        dissolve=False,
    )
