"""Flood hazards: depth classes, classified zones and depth rasters (DESIGN.md section 3).

A hazard reaches the exposure analyses in one of two forms:

* `HazardZones`: disjoint polygons, each with a hazard class (and, where known, a depth). They
  come from classified polygons (`zones_from_classes`), wet/dry polygons (`zones_from_wet_dry`),
  polygons with a depth attribute (`zones_from_depth_field`) or a polygonised depth raster
  (`zones_from_depth_raster`).
* `DepthRaster`: a GeoTIFF of depths in metres, read window by window, so rasters larger than
  memory work. Points and polygons take the maximum depth of the cells they touch directly;
  lines and area weights use its polygonised zones.

Classes follow DESIGN.md: dry / caution < 0.1 m, low 0.1-0.7 m, medium 0.7-1.5 m, high >= 1.5 m
(the same breaks as InaSAFE's `flood_petabencana_hazard_classes`).

Impassable roads
----------------
A road is impassable where the water is at least `impassable_m` deep (0.3 m by default). With a
depth (raster or depth field) the rule is applied to the depth itself. With classes only, the depth
inside a class is unknown; by default (`impassable_rule="reaches"`) a class counts as impassable
when its depth range reaches the threshold (upper bound > `impassable_m`): with the default
breaks that makes low (0.1-0.7 m), medium and high impassable, the cautious choice for sending
vehicles. `impassable_rule="all"` counts a class only when its whole range is at or above the
threshold (lower bound >= `impassable_m`: medium and high). A wet/dry "wet" class is impassable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.features import shapes
from rasterio.windows import Window

from analysis.flood._common import geometry_array, require_geoframe
from analysis.gdal_guard import RASTER_DRIVER

DRY, LOW, MEDIUM, HIGH, WET = "dry", "low", "medium", "high", "wet"
DEFAULT_CLASSES: tuple[str, ...] = (DRY, LOW, MEDIUM, HIGH)
DEFAULT_DEPTH_BREAKS_M: tuple[float, ...] = (0.1, 0.7, 1.5)
DEFAULT_IMPASSABLE_M = 0.3
# Zone polygons with more vertices than this are cut into tiles so that every overlay test is small.
MAX_ZONE_VERTICES = 256
# Cells read at once from a raster (16 Mi cells: 64 MB as float32, 128 MB as float64).
DEFAULT_WINDOW_CELLS = 1 << 24
RASTER_SUFFIXES = frozenset({".tif", ".tiff", ".vrt", ".img", ".asc", ".jp2", ".nc"})

ImpassableRule = Literal["reaches", "all"]


@dataclass(frozen=True)
class HazardScheme:
    """Ordered hazard classes, mildest first (rank 0 is the dry / not affected class).

    Attributes
    ----------
    classes : tuple of str
        Class names by rank.
    lower_m, upper_m : tuple of float
        Depth range of each class, ``[lower, upper)`` in metres; NaN when classes carry no depth.
    affected : tuple of bool
        Whether features in the class count as affected.
    impassable : tuple of bool
        Whether a road in the class counts as impassable when only the class is known.
    breaks_m : tuple of float
        The depth breaks between classes (empty for wet/dry).
    impassable_m : float
        Depth from which a road is impassable.
    """

    classes: tuple[str, ...]
    lower_m: tuple[float, ...]
    upper_m: tuple[float, ...]
    affected: tuple[bool, ...]
    impassable: tuple[bool, ...]
    breaks_m: tuple[float, ...] = ()
    impassable_m: float = DEFAULT_IMPASSABLE_M

    def rank(self, name: str) -> int:
        """The rank of a class name (ValueError when unknown)."""
        try:
            return self.classes.index(name)
        except ValueError:
            raise ValueError(
                f"unknown hazard class {name!r}; expected one of {self.classes}"
            ) from None

    def classify(self, depth_m: np.ndarray | Sequence[float]) -> np.ndarray:
        """Class ranks of depths in metres; -1 where the depth is NaN (no data).

        Examples
        --------
        >>> depth_scheme().classify([0.0, 0.1, 0.69, 0.7, 1.5, float("nan")]).tolist()
        [0, 1, 1, 2, 3, -1]
        """
        if not self.breaks_m:
            raise ValueError("this scheme has no depth breaks (wet/dry); it cannot classify depths")
        depth = np.asarray(depth_m, dtype=float)
        ranks = np.searchsorted(np.asarray(self.breaks_m), depth, side="right").astype(np.int64)
        ranks[np.isnan(depth)] = -1
        return ranks

    @property
    def affected_classes(self) -> tuple[str, ...]:
        """Names of the classes that count as affected."""
        return tuple(c for c, a in zip(self.classes, self.affected, strict=True) if a)

    @property
    def impassable_classes(self) -> tuple[str, ...]:
        """Names of the classes treated as impassable when only the class is known."""
        return tuple(c for c, i in zip(self.classes, self.impassable, strict=True) if i)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready description of the scheme."""
        return {
            "classes": list(self.classes),
            "depth_breaks_m": list(self.breaks_m),
            "affected_classes": list(self.affected_classes),
            "impassable_m": self.impassable_m,
            "impassable_classes": list(self.impassable_classes),
        }


def depth_scheme(
    *,
    breaks_m: Sequence[float] = DEFAULT_DEPTH_BREAKS_M,
    impassable_m: float = DEFAULT_IMPASSABLE_M,
    impassable_rule: ImpassableRule = "reaches",
) -> HazardScheme:
    """The depth classes for the given breaks (default: DESIGN.md dry/low/medium/high).

    Parameters
    ----------
    breaks_m : sequence of float
        Strictly increasing, positive depth breaks in metres. Three breaks give the classes dry,
        low, medium and high; any other number gives labels such as ``"0.1-0.5 m"``.
    impassable_m : float
        Depth in metres from which a road is impassable.
    impassable_rule : {"reaches", "all"}
        How a class without a depth is judged (see the module docstring).

    Returns
    -------
    HazardScheme

    Examples
    --------
    >>> depth_scheme().impassable_classes
    ('low', 'medium', 'high')
    >>> depth_scheme(impassable_rule="all").impassable_classes
    ('medium', 'high')
    """
    breaks = tuple(float(b) for b in breaks_m)
    if not breaks or any(not math.isfinite(b) or b <= 0 for b in breaks):
        raise ValueError(f"depth breaks must be positive finite numbers, got {list(breaks_m)}")
    if any(b >= c for b, c in pairwise(breaks)):
        raise ValueError(f"depth breaks must be strictly increasing, got {list(breaks_m)}")
    if not math.isfinite(impassable_m) or impassable_m <= 0:
        raise ValueError(f"impassable_m must be a positive number of metres, got {impassable_m}")
    if impassable_rule not in ("reaches", "all"):
        raise ValueError(f"impassable_rule must be 'reaches' or 'all', got {impassable_rule!r}")
    lower = (-math.inf, *breaks)
    upper = (*breaks, math.inf)
    if len(breaks) == len(DEFAULT_CLASSES) - 1:
        names = DEFAULT_CLASSES
    else:
        names = (
            f"<{breaks[0]:g} m",
            *(f"{a:g}-{b:g} m" for a, b in pairwise(breaks)),
            f">={breaks[-1]:g} m",
        )
    if impassable_rule == "reaches":
        impassable = tuple(u > impassable_m for u in upper)
    else:
        impassable = tuple(lo >= impassable_m for lo in lower)
    return HazardScheme(
        classes=tuple(names),
        lower_m=lower,
        upper_m=upper,
        affected=(False,) + (True,) * len(breaks),
        impassable=impassable,
        breaks_m=breaks,
        impassable_m=float(impassable_m),
    )


def wet_dry_scheme(*, impassable_m: float = DEFAULT_IMPASSABLE_M) -> HazardScheme:
    """Two classes, dry and wet; wet is affected and (depth unknown) impassable."""
    nan = math.nan
    return HazardScheme(
        classes=(DRY, WET),
        lower_m=(nan, nan),
        upper_m=(nan, nan),
        affected=(False, True),
        impassable=(False, True),
        impassable_m=float(impassable_m),
    )


@dataclass(frozen=True)
class HazardZones:
    """Disjoint hazard polygons with their class, for overlays with exposures.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        One row per polygon: ``hazard_class`` (str), ``class_rank`` (int), ``impassable`` (bool),
        ``depth_m`` (float, NaN when unknown) and the polygon. Polygons never overlap (where the
        inputs overlapped, the higher class wins) and large ones are cut into tiles of at most
        `MAX_ZONE_VERTICES` vertices. Only classes that are affected or impassable are kept:
        everything outside the zones is dry.
    scheme : HazardScheme
        The classes the ranks refer to.
    """

    frame: gpd.GeoDataFrame
    scheme: HazardScheme

    @property
    def crs(self) -> object:
        """The CRS of the zone polygons."""
        return self.frame.crs

    def to_crs(self, crs: object) -> HazardZones:
        """The same zones in another CRS (tiles stay tiles; disjointness is kept)."""
        if self.frame.crs is not None and self.frame.crs == crs:
            return self
        return HazardZones(frame=self.frame.to_crs(crs), scheme=self.scheme)

    def impassable_frame(self) -> gpd.GeoDataFrame:
        """Only the zones where roads are impassable."""
        return self.frame[self.frame["impassable"].to_numpy(dtype=bool)]


@dataclass(frozen=True)
class DepthRaster:
    """A depth raster in metres (any CRS, nodata respected), read window by window.

    Attributes
    ----------
    path : pathlib.Path
        GeoTIFF (or any GDAL raster) of water depths in metres.
    scheme : HazardScheme
        Depth classes (`depth_scheme`).
    band : int
        Band holding the depths.
    window_cells : int
        Cells read at once.
    """

    path: Path
    scheme: HazardScheme
    band: int = 1
    window_cells: int = DEFAULT_WINDOW_CELLS

    @cached_property
    def zones(self) -> HazardZones:
        """The raster polygonised into hazard zones (computed once, on first use)."""
        return zones_from_depth_raster(
            self.path, scheme=self.scheme, band=self.band, window_cells=self.window_cells
        )


Hazard = HazardZones | DepthRaster


def _polygonal_parts(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single polygons of each geometry (made valid; lines and points dropped) and their owner."""
    valid = shapely.make_valid(geometries)
    parts, owner = shapely.get_parts(valid, return_index=True)
    # make_valid may return collections; a second pass flattens them.
    parts2, owner2 = shapely.get_parts(parts, return_index=True)
    owner = owner[owner2]
    keep = (shapely.get_type_id(parts2) == 3) & ~shapely.is_empty(parts2)
    keep &= shapely.area(parts2) > 0
    return parts2[keep], owner[keep]


def subdivide(
    geometries: np.ndarray, *, max_vertices: int = MAX_ZONE_VERTICES
) -> tuple[np.ndarray, np.ndarray]:
    """Cut polygons with more than `max_vertices` vertices into quadrants until all are small.

    The pieces tile the input exactly (like PostGIS ``ST_Subdivide``) so that every later
    intersection test involves a small polygon.

    Parameters
    ----------
    geometries : numpy.ndarray
        Polygons.
    max_vertices : int
        Largest number of vertices kept in one piece (at least 8).

    Returns
    -------
    tuple of numpy.ndarray
        The index into `geometries` each piece comes from, and the pieces.
    """
    if max_vertices < 8:
        raise ValueError("max_vertices must be at least 8")
    todo = np.asarray(geometries, dtype=object)
    todo_owner = np.arange(len(todo))
    done: list[np.ndarray] = []
    done_owner: list[np.ndarray] = []
    for _ in range(64):
        if len(todo) == 0:
            break
        big = shapely.get_num_coordinates(todo) > max_vertices
        done.append(todo[~big])
        done_owner.append(todo_owner[~big])
        todo, todo_owner = todo[big], todo_owner[big]
        if len(todo) == 0:
            break
        x0, y0, x1, y1 = shapely.bounds(todo).T
        wide = (x1 - x0) >= (y1 - y0)
        mid_x, mid_y = (x0 + x1) / 2, (y0 + y1) / 2
        first = shapely.box(x0, y0, np.where(wide, mid_x, x1), np.where(wide, y1, mid_y))
        second = shapely.box(np.where(wide, mid_x, x0), np.where(wide, y0, mid_y), x1, y1)
        halves = np.concatenate(
            [shapely.intersection(todo, first), shapely.intersection(todo, second)]
        )
        owners = np.concatenate([todo_owner, todo_owner])
        parts, idx = _polygonal_parts(halves)
        todo, todo_owner = parts, owners[idx]
    done.append(todo)
    done_owner.append(todo_owner)
    return np.concatenate(done_owner), np.concatenate(done)


def make_zones(
    geometries: np.ndarray,
    *,
    ranks: np.ndarray,
    scheme: HazardScheme,
    crs: object,
    impassable: np.ndarray | None = None,
    depth_m: np.ndarray | None = None,
    dissolve: bool = True,
) -> HazardZones:
    """Build `HazardZones` from polygons and their class ranks.

    Parameters
    ----------
    geometries : numpy.ndarray
        Polygons (or multipolygons) in `crs`.
    ranks : numpy.ndarray
        Class rank of each polygon (see `HazardScheme.rank`).
    scheme : HazardScheme
        The classes.
    crs : object
        CRS of the polygons.
    impassable : numpy.ndarray, optional
        Per-polygon impassable flag; default: the scheme's flag for the class.
    depth_m : numpy.ndarray, optional
        Per-polygon depth in metres; default NaN.
    dissolve : bool
        Union polygons per (class, impassable) and cut lower classes where higher ones overlap
        them. Set False only when the polygons are known to be disjoint (polygonised rasters).

    Returns
    -------
    HazardZones
    """
    geometries = np.asarray(geometries, dtype=object)
    ranks = np.asarray(ranks, dtype=np.int64)
    flags = np.asarray(scheme.impassable, dtype=bool)
    impassable = flags[ranks] if impassable is None else np.asarray(impassable, dtype=bool)
    depth = np.full(len(geometries), np.nan) if depth_m is None else np.asarray(depth_m, float)
    affected = np.asarray(scheme.affected, dtype=bool)[ranks]
    keep = (affected | impassable) & ~(shapely.is_empty(geometries) | pd.isna(geometries))
    geometries, ranks, impassable, depth = (
        geometries[keep],
        ranks[keep],
        impassable[keep],
        depth[keep],
    )
    parts, owner = _polygonal_parts(geometries)
    ranks, impassable, depth = ranks[owner], impassable[owner], depth[owner]
    if dissolve and len(parts):
        parts, ranks, impassable, depth = _disjoint(parts, ranks, impassable, depth)
    tile_owner, tiles = subdivide(parts)
    names = np.asarray(scheme.classes, dtype=object)
    frame = gpd.GeoDataFrame(
        {
            "hazard_class": names[ranks[tile_owner]] if len(tiles) else np.array([], object),
            "class_rank": ranks[tile_owner],
            "impassable": impassable[tile_owner],
            "depth_m": depth[tile_owner],
        },
        geometry=gpd.GeoSeries(tiles, crs=crs),
        crs=crs,
    )
    return HazardZones(frame=frame, scheme=scheme)


def _disjoint(
    parts: np.ndarray, ranks: np.ndarray, impassable: np.ndarray, depth: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Union per (rank, impassable, depth) and give overlaps to the highest (rank, impassable)."""
    key = pd.DataFrame({"rank": ranks, "imp": impassable, "depth": depth})
    groups = key.groupby(["rank", "imp", "depth"], dropna=False, sort=True).indices
    taken = None
    out_geoms, out_rank, out_imp, out_depth = [], [], [], []
    # Highest rank first, impassable before passable, deepest first.
    for rank, imp, dep in sorted(
        groups, key=lambda k: (k[0], k[1], np.nan_to_num(k[2], nan=-1)), reverse=True
    ):
        geometry = shapely.union_all(parts[groups[(rank, imp, dep)]])
        if taken is not None:
            geometry = shapely.difference(geometry, taken)
        taken = geometry if taken is None else shapely.union(taken, geometry)
        out_geoms.append(geometry)
        out_rank.append(rank)
        out_imp.append(imp)
        out_depth.append(dep)
    pieces, owner = _polygonal_parts(np.asarray(out_geoms, dtype=object))
    return (
        pieces,
        np.asarray(out_rank, dtype=np.int64)[owner],
        np.asarray(out_imp, dtype=bool)[owner],
        np.asarray(out_depth, dtype=float)[owner],
    )


def _normalise(value: object) -> str:
    return str(value).strip().lower()


def zones_from_classes(
    frame: gpd.GeoDataFrame, *, class_field: str, scheme: HazardScheme | None = None
) -> HazardZones:
    """Hazard zones from polygons with a class attribute (dry, low, medium, high).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygons with a CRS.
    class_field : str
        Column holding the class names of `scheme` (case and surrounding spaces ignored).
    scheme : HazardScheme, optional
        Default `depth_scheme()`.

    Returns
    -------
    HazardZones
        Disjoint zones; where polygons overlap, the higher class wins.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> zones = zones_from_classes(
    ...     gpd.GeoDataFrame({"c": ["low", "high"]}, geometry=[box(0, 0, 2, 1), box(1, 0, 3, 1)],
    ...                      crs=32647), class_field="c")
    >>> sorted(zip(zones.frame.hazard_class, zones.frame.area))
    [('high', 2.0), ('low', 1.0)]
    """
    require_geoframe(frame, name="hazard")
    scheme = scheme or depth_scheme()
    if class_field not in frame.columns:
        raise ValueError(f"hazard has no field {class_field!r}; fields: {_fields(frame)}")
    values = frame[class_field].map(_normalise)
    unknown = sorted(set(values) - set(scheme.classes))
    if unknown:
        raise ValueError(
            f"hazard field {class_field!r} holds unknown classes {unknown}; "
            f"expected {list(scheme.classes)}"
        )
    ranks = np.array([scheme.rank(v) for v in values], dtype=np.int64)
    return make_zones(geometry_array(frame), ranks=ranks, scheme=scheme, crs=frame.crs)


def zones_from_wet_dry(
    frame: gpd.GeoDataFrame,
    *,
    field: str,
    wet_values: Iterable[object],
    impassable_m: float = DEFAULT_IMPASSABLE_M,
) -> HazardZones:
    """Hazard zones from polygons with a wet/dry attribute; `wet_values` mark the wet ones.

    Values are compared as text (``"1"`` matches 1), so command-line values work on any type.
    """
    require_geoframe(frame, name="hazard")
    if field not in frame.columns:
        raise ValueError(f"hazard has no field {field!r}; fields: {_fields(frame)}")
    wet = {_normalise(v) for v in wet_values}
    if not wet:
        raise ValueError("give at least one wet value")
    scheme = wet_dry_scheme(impassable_m=impassable_m)
    ranks = frame[field].map(_normalise).isin(wet).to_numpy().astype(np.int64)
    return make_zones(geometry_array(frame), ranks=ranks, scheme=scheme, crs=frame.crs)


def zones_from_depth_field(
    frame: gpd.GeoDataFrame, *, depth_field: str, scheme: HazardScheme | None = None
) -> HazardZones:
    """Hazard zones from polygons with a water depth in metres; classes from the scheme's breaks."""
    require_geoframe(frame, name="hazard")
    scheme = scheme or depth_scheme()
    if depth_field not in frame.columns:
        raise ValueError(f"hazard has no field {depth_field!r}; fields: {_fields(frame)}")
    depth = pd.to_numeric(frame[depth_field], errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(depth)
    ranks = scheme.classify(depth[known])
    return make_zones(
        geometry_array(frame)[known],
        ranks=ranks,
        scheme=scheme,
        crs=frame.crs,
        impassable=depth[known] >= scheme.impassable_m,
        depth_m=depth[known],
    )


def check_raster(src: rasterio.io.DatasetReader, *, band: int = 1) -> None:
    """Raise ValueError for rasters the window readers cannot use (no CRS, rotated, bad band)."""
    if src.crs is None:
        raise ValueError(f"{src.name}: raster has no CRS")
    if src.transform.b != 0 or src.transform.d != 0:
        raise ValueError(f"{src.name}: rotated or sheared rasters are not supported")
    if not 1 <= band <= src.count:
        raise ValueError(f"{src.name}: no band {band} (the raster has {src.count})")


def read_window(src: rasterio.io.DatasetReader, window: Window, *, band: int = 1) -> np.ndarray:
    """One window of a band in its units (scale and offset applied) as float64, NaN for nodata."""
    data = src.read(band, window=window, masked=True)
    return band_values(src, np.ma.filled(data.astype(np.float64), np.nan), band=band)


def band_values(src: rasterio.io.DatasetReader, raw: np.ndarray, *, band: int = 1) -> np.ndarray:
    """Stored values to real ones: a band kept as int16 centimetres has scale 0.01."""
    scale, offset = src.scales[band - 1], src.offsets[band - 1]
    if scale in (None, 1) and offset in (None, 0):
        return raw
    return raw * (1.0 if scale is None else scale) + (0.0 if offset is None else offset)


def window_transform(transform: rasterio.Affine, window: Window) -> rasterio.Affine:
    """The transform of a window (rasterio's own still uses the deprecated ``*`` operator)."""
    return transform @ rasterio.Affine.translation(window.col_off, window.row_off)


def row_bands(height: int, width: int, *, window_cells: int) -> list[tuple[int, int]]:
    """Row ranges ``[start, stop)`` whose windows hold at most `window_cells` cells."""
    rows = max(1, window_cells // max(1, width))
    return [(start, min(height, start + rows)) for start in range(0, height, rows)]


def zones_from_depth_raster(
    path: str | Path,
    *,
    scheme: HazardScheme | None = None,
    band: int = 1,
    window_cells: int = DEFAULT_WINDOW_CELLS,
) -> HazardZones:
    """Polygonise a depth raster (metres) into hazard zones, window by window.

    Each cell gets its class from the scheme's breaks and an impassable flag (depth >=
    `scheme.impassable_m`); cells of one class and flag form polygons. Nodata cells and dry
    cells that are passable are left out. Polygons are split at window edges, which changes no
    length or area.

    Parameters
    ----------
    path : str or pathlib.Path
        The raster.
    scheme : HazardScheme, optional
        Default `depth_scheme()`.
    band : int
        Band with the depths.
    window_cells : int
        Cells read at once.

    Returns
    -------
    HazardZones
        In the raster's CRS, with ``depth_m`` NaN (a polygon spans many depths).
    """
    scheme = scheme or depth_scheme()
    geoms: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    with rasterio.open(path, driver=RASTER_DRIVER) as src:
        check_raster(src, band=band)
        crs = src.crs
        for start, stop in row_bands(src.height, src.width, window_cells=window_cells):
            window = Window(0, start, src.width, stop - start)
            depth = read_window(src, window, band=band)
            rank = scheme.classify(depth)
            code = np.where(rank >= 0, rank * 2 + (depth >= scheme.impassable_m), -1)
            keep = (rank > 0) | ((rank == 0) & (depth >= scheme.impassable_m))
            if not keep.any():
                continue
            results = shapes(
                code.astype(np.int32),
                mask=keep,
                connectivity=4,
                transform=window_transform(src.transform, window),
            )
            polys, values = [], []
            for geojson, value in results:
                polys.append(shapely.geometry.shape(geojson))
                values.append(int(value))
            geoms.append(np.asarray(polys, dtype=object))
            codes.append(np.asarray(values, dtype=np.int64))
    if not geoms:
        return make_zones(
            np.array([], object), ranks=np.array([], np.int64), scheme=scheme, crs=crs
        )
    all_codes = np.concatenate(codes)
    return make_zones(
        np.concatenate(geoms),
        ranks=all_codes // 2,
        impassable=(all_codes % 2).astype(bool),
        scheme=scheme,
        crs=crs,
        dissolve=False,
    )


def is_raster_path(path: str | Path) -> bool:
    """True for file names that look like rasters (GeoTIFF and friends)."""
    return Path(path).suffix.lower() in RASTER_SUFFIXES


def hazard_from_file(
    path: str | Path,
    *,
    class_field: str | None = None,
    hazard_field: str | None = None,
    wet_values: Sequence[str] | None = None,
    breaks_m: Sequence[float] = DEFAULT_DEPTH_BREAKS_M,
    impassable_m: float = DEFAULT_IMPASSABLE_M,
    impassable_rule: ImpassableRule = "reaches",
) -> Hazard:
    """Open a hazard file: a depth raster, or polygons with classes, wet/dry values or depths.

    Parameters
    ----------
    path : str or pathlib.Path
        A raster (``.tif`` ...: depths in metres) or any vector file geopandas reads.
    class_field : str, optional
        Vector: field with dry/low/medium/high.
    hazard_field : str, optional
        Vector: with `wet_values`, a wet/dry field; without, a numeric depth field (metres).
    wet_values : sequence of str, optional
        Values of `hazard_field` that mean wet.
    breaks_m : sequence of float
        Depth breaks between classes.
    impassable_m : float
        Depth from which roads are impassable.
    impassable_rule : {"reaches", "all"}
        How classes without a depth are judged impassable.

    Returns
    -------
    HazardZones or DepthRaster
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"hazard file not found: {path}")
    scheme = depth_scheme(
        breaks_m=breaks_m, impassable_m=impassable_m, impassable_rule=impassable_rule
    )
    if class_field and hazard_field:
        raise ValueError("give either --class-field or --hazard-field, not both")
    if wet_values and not hazard_field:
        raise ValueError("--wet-values needs --hazard-field")
    if is_raster_path(path):
        if class_field or hazard_field:
            raise ValueError("a raster hazard holds depths in metres; drop the field options")
        with rasterio.open(path, driver=RASTER_DRIVER) as src:
            check_raster(src)
        return DepthRaster(path=path, scheme=scheme)
    try:
        frame = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for unreadable files
        raise ValueError(f"cannot read hazard {path}: {error}") from error
    require_geoframe(frame, name=f"hazard {path.name}")
    if frame.empty:
        return make_zones(
            np.array([], object), ranks=np.array([], np.int64), scheme=scheme, crs=frame.crs
        )
    if hazard_field and wet_values:
        return zones_from_wet_dry(
            frame, field=hazard_field, wet_values=wet_values, impassable_m=impassable_m
        )
    if hazard_field:
        if not pd.api.types.is_numeric_dtype(frame.get(hazard_field, pd.Series(dtype=object))):
            raise ValueError(
                f"hazard field {hazard_field!r} is not numeric; give --wet-values for a wet/dry "
                "field or use --class-field for classes"
            )
        return zones_from_depth_field(frame, depth_field=hazard_field, scheme=scheme)
    if class_field is None:
        if "hazard_class" not in frame.columns:
            raise ValueError(
                "vector hazard: give --class-field F, or --hazard-field F with --wet-values "
                f"(fields: {_fields(frame)})"
            )
        class_field = "hazard_class"
    return zones_from_classes(frame, class_field=class_field, scheme=scheme)


def _fields(frame: gpd.GeoDataFrame) -> list[str]:
    return [c for c in frame.columns if c != frame.geometry.name]
