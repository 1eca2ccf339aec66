"""Kernel density hot-spot surface of cases, a supporting analysis."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
from affine import Affine
from pyproj import CRS

from analysis.dengue._common import (
    check_positive,
    point_xy,
    require_columns,
    require_metric_frame,
)

__all__ = ["KdeSurface", "kde_surface"]

Kernel = Literal["quartic", "gaussian"]
#: The Gaussian kernel is cut at this many bandwidths (it keeps 99.97% of its mass).
_GAUSSIAN_CUTOFF = 4.0
#: Kernel evaluations per batch: bounds memory at a few hundred MB for 100,000 cases.
_BATCH = 4_000_000


@dataclass(frozen=True)
class KdeSurface:
    """A density raster: ``density[row, col]`` in cases per km2, row 0 at the north edge."""

    density: np.ndarray
    transform: Affine
    """Maps (col, row) to the cell's upper-left corner in ``crs`` (rasterio convention)."""
    crs: CRS
    bandwidth_m: float
    cell_m: float
    kernel: Kernel

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the raster."""
        rows, cols = self.density.shape
        minx, maxy = self.transform.c, self.transform.f
        return (minx, maxy - rows * self.cell_m, minx + cols * self.cell_m, maxy)


def kde_surface(
    cases: gpd.GeoDataFrame,
    *,
    bandwidth_m: float,
    cell_m: float,
    bounds: tuple[float, float, float, float] | None = None,
    kernel: Kernel = "quartic",
    weight_col: str | None = None,
) -> KdeSurface:
    """Kernel density of cases on a square grid (hot spots for a map).

    Each case spreads one unit (or its weight) with a quartic (biweight) kernel
    ``3 / (pi h^2) * (1 - d^2 / h^2)^2`` for ``d < h``, or a Gaussian of standard deviation
    ``h`` cut at ``4 h``; the surface is evaluated at cell centres and summed.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    bandwidth_m : float
        Kernel bandwidth ``h`` in metres.
    cell_m : float
        Cell size in metres.
    bounds : (minx, miny, maxx, maxy), optional
        Extent of the raster in the cases' CRS; by default the cases' bounds grown by the
        kernel's reach and snapped outwards to multiples of ``cell_m``.
    kernel : {"quartic", "gaussian"}, default "quartic"
        Kernel shape.
    weight_col : str, optional
        Column of case weights (default 1 per case).

    Returns
    -------
    KdeSurface
        ``density`` (cases per km2, float64, shape ``(rows, cols)``), its affine
        ``transform`` and ``crs``; with ``rasterio`` it can be written as a GeoTIFF as is.

    Raises
    ------
    TypeError
        If ``cases`` is not a GeoDataFrame.
    ValueError
        If the CRS is not metric, a parameter is out of range or the bounds are empty.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> cases = gpd.GeoDataFrame(geometry=[Point(500, 500)], crs="EPSG:32647")
    >>> surface = kde_surface(cases, bandwidth_m=100, cell_m=10)
    >>> round(float(surface.density.sum() * 10 * 10 / 1e6), 3)
    1.0
    """
    require_metric_frame(cases, name="cases")
    require_columns(cases, [weight_col], name="cases")
    check_positive(bandwidth_m=bandwidth_m, cell_m=cell_m)
    if kernel not in ("quartic", "gaussian"):
        raise ValueError(f"kernel must be 'quartic' or 'gaussian', got {kernel!r}")
    xy = point_xy(cases, name="cases")
    weights = np.ones(len(xy)) if weight_col is None else cases[weight_col].to_numpy(dtype=float)
    reach = bandwidth_m * (1.0 if kernel == "quartic" else _GAUSSIAN_CUTOFF)
    if bounds is None:
        if len(xy) == 0:
            raise ValueError("cases is empty: pass bounds= to get an empty surface")
        low, high = xy.min(axis=0) - reach, xy.max(axis=0) + reach
        minx, miny = np.floor(low / cell_m) * cell_m
        maxx, maxy = np.ceil(high / cell_m) * cell_m
    else:
        minx, miny, maxx, maxy = map(float, bounds)
    if not (maxx > minx and maxy > miny):
        raise ValueError(f"bounds must have maxx > minx and maxy > miny, got {bounds!r}")
    cols = max(1, math.ceil((maxx - minx) / cell_m - 1e-9))
    rows = max(1, math.ceil((maxy - miny) / cell_m - 1e-9))
    transform = Affine(cell_m, 0.0, minx, 0.0, -cell_m, maxy)

    density = np.zeros(rows * cols)
    col = np.floor((xy[:, 0] - minx) / cell_m).astype(np.int64)
    row = np.floor((maxy - xy[:, 1]) / cell_m).astype(np.int64)
    span = math.ceil(reach / cell_m) + 1
    offsets = np.arange(-span, span + 1)
    d_col, d_row = (a.ravel() for a in np.meshgrid(offsets, offsets))
    per_batch = max(1, _BATCH // max(len(xy), 1))
    for start in range(0, len(d_col), per_batch):
        c = col[:, None] + d_col[None, start : start + per_batch]
        r = row[:, None] + d_row[None, start : start + per_batch]
        cx = minx + (c + 0.5) * cell_m
        cy = maxy - (r + 0.5) * cell_m
        d2 = (cx - xy[:, [0]]) ** 2 + (cy - xy[:, [1]]) ** 2
        value = _kernel(d2, bandwidth_m, kernel) * weights[:, None]
        inside = (c >= 0) & (c < cols) & (r >= 0) & (r < rows) & (value > 0)
        density += np.bincount((r * cols + c)[inside], weights=value[inside], minlength=rows * cols)
    return KdeSurface(
        density=density.reshape(rows, cols) * 1e6,
        transform=transform,
        crs=CRS.from_user_input(cases.crs),
        bandwidth_m=float(bandwidth_m),
        cell_m=float(cell_m),
        kernel=kernel,
    )


def _kernel(d2: np.ndarray, h: float, kernel: Kernel) -> np.ndarray:
    """Kernel value per square metre at squared distance ``d2``."""
    if kernel == "quartic":
        u = 1.0 - d2 / (h * h)
        return np.where(u > 0, 3.0 / (math.pi * h * h) * u * u, 0.0)
    value = np.exp(-d2 / (2.0 * h * h)) / (2.0 * math.pi * h * h)
    return np.where(d2 <= (_GAUSSIAN_CUTOFF * h) ** 2, value, 0.0)
