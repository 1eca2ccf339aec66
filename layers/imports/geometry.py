"""Geometries of a batch of features: checked, transformed to WGS 84, repaired and coerced.

In order, so that nothing expensive touches a hostile geometry: missing or unreadable, too
many vertices, NaN/infinite or absurd coordinates, empty; then the transformation to WGS 84
(and a range check of the result), `make_valid` for invalid ones (flagged as repaired),
coercion to the model's type (Point, MultiLineString, MultiPolygon), and the test against the
municipality's boundary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import GeometryType

from layers.imports.crs import ToWgs84
from layers.imports.messages import quoted

_POLYGONAL = {GeometryType.POLYGON, GeometryType.MULTIPOLYGON}
_TYPE_NAMES = {
    "Point": ("point", "จุด"),
    "MultiLineString": ("line", "เส้น"),
    "MultiPolygon": ("polygon", "รูปปิด"),
}
THAILAND_LAT = (5.0, 21.0)
THAILAND_LON = (97.0, 106.0)


@dataclass
class Problem:
    """A row's geometry problem: `code` names a message, `params` fill it."""

    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class PreparedBatch:
    """Geometries in WGS 84 (None where rejected), with the problems and repairs by index."""

    geometries: np.ndarray
    problems: dict[int, Problem]
    repaired: dict[int, str]
    outside: np.ndarray


def _from_wkb(wkb: np.ndarray) -> tuple[np.ndarray, dict[int, Problem]]:
    problems: dict[int, Problem] = {}
    try:
        return shapely.from_wkb(wkb, on_invalid="raise"), problems
    except shapely.errors.GEOSException:
        pass
    geometries = np.empty(len(wkb), dtype=object)
    for index, item in enumerate(wkb):
        try:
            geometries[index] = shapely.from_wkb(item, on_invalid="raise")
        except shapely.errors.GEOSException as error:
            problems[index] = Problem("geometry_unreadable", {"detail": quoted(error)})
    return geometries, problems


def geometry_coerce(geometry: shapely.Geometry, target: str | None) -> shapely.Geometry | None:
    """`geometry` as `target` ('Point', 'MultiLineString', 'MultiPolygon'), or None if it can't.

    Examples
    --------
    >>> geometry_coerce(shapely.Point(1, 2), "Point")
    <POINT (1 2)>
    >>> geometry_coerce(shapely.box(0, 0, 1, 1), "MultiPolygon").geom_type
    'MultiPolygon'
    """
    if target is None:
        return geometry
    parts = _flatten(geometry)
    dimensions = [int(shapely.get_dimensions(part)) for part in parts]
    if not parts:
        return None
    if target == "Point":
        return parts[0] if len(parts) == 1 and dimensions == [0] else None
    wanted = 1 if target == "MultiLineString" else 2
    # Lower-dimensional leftovers (a collapsed spike of a repaired polygon) are dropped.
    kept = [part for part, dim in zip(parts, dimensions, strict=True) if dim == wanted]
    if not kept or max(dimensions) > wanted:
        return None
    if wanted == 1:
        return shapely.MultiLineString([shapely.LineString(part.coords) for part in kept])
    return shapely.MultiPolygon(kept)


def _flatten(geometry: shapely.Geometry) -> list[shapely.Geometry]:
    if geometry is None or geometry.is_empty:
        return []
    if shapely.get_num_geometries(geometry) == 1 and not hasattr(geometry, "geoms"):
        return [geometry]
    flat = []
    for part in shapely.get_parts(geometry):
        flat.extend(_flatten(part))
    return flat


_TARGET_IDS = {
    "Point": GeometryType.POINT,
    "MultiLineString": GeometryType.MULTILINESTRING,
    "MultiPolygon": GeometryType.MULTIPOLYGON,
}
_SINGLE_OF = {
    "MultiLineString": (GeometryType.LINESTRING, shapely.multilinestrings),
    "MultiPolygon": (GeometryType.POLYGON, shapely.multipolygons),
}


def _coerce_simple(geometries: np.ndarray, alive: np.ndarray, target: str | None) -> None:
    """The common case at array speed: single LineStrings/Polygons wrapped as Multi."""
    if target not in _SINGLE_OF:
        return
    single, make_multi = _SINGLE_OF[target]
    indices = np.flatnonzero(alive)
    if not len(indices):
        return
    singles = indices[shapely.get_type_id(geometries[indices]) == single]
    if len(singles):
        geometries[singles] = make_multi(geometries[singles], indices=np.arange(len(singles)))


def _merge_overlapping_parts(
    geometries: np.ndarray,
    alive: np.ndarray,
    problems: dict[int, Problem],
    repaired: dict[int, str],
    target: str | None,
) -> None:
    """Merge parts of invalid MultiPolygons (from a file's collection, or from `make_valid`)."""
    if target != "MultiPolygon":
        return
    indices = np.flatnonzero(alive)
    if not len(indices):
        return
    for index in indices[~shapely.is_valid(geometries[indices])]:
        reason = shapely.is_valid_reason(geometries[index])
        merged = geometry_coerce(shapely.union_all(shapely.get_parts(geometries[index])), target)
        if merged is None or not merged.is_valid or merged.is_empty:
            problems[int(index)] = Problem("geometry_unrepairable", {"reason": reason})
            repaired.pop(int(index), None)
            alive[index] = False
            continue
        geometries[index] = merged
        repaired.setdefault(int(index), reason)


def _repair(geometry: shapely.Geometry) -> shapely.Geometry:
    if shapely.get_type_id(geometry) in _POLYGONAL:
        return shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    return shapely.make_valid(geometry)


def geometries_prepare(
    wkb: np.ndarray,
    *,
    to_wgs84: ToWgs84,
    source_limit: float,
    target: str | None,
    max_vertices: int,
    boundary: shapely.Geometry,
) -> PreparedBatch:
    """Check, transform, repair and coerce one batch of WKB geometries (see module docstring)."""
    count = len(wkb)
    missing = np.equal(wkb, None) if count else np.zeros(0, dtype=bool)
    present = np.flatnonzero(~missing)
    problems: dict[int, Problem] = {
        int(i): Problem("geometry_missing") for i in np.flatnonzero(missing)
    }
    geometries = np.full(count, None, dtype=object)
    parsed, unreadable = _from_wkb(wkb[present])
    geometries[present] = parsed
    problems.update({int(present[i]): problem for i, problem in unreadable.items()})

    alive = ~shapely.is_missing(geometries)
    alive[_indices(problems)] = False
    vertices = np.zeros(count, dtype=np.int64)
    vertices[alive] = shapely.get_num_coordinates(geometries[alive])
    for index in np.flatnonzero(alive & (vertices > max_vertices)):
        problems[int(index)] = Problem(
            "too_many_vertices", {"count": int(vertices[index]), "limit": max_vertices}
        )
    alive &= vertices <= max_vertices
    _check_coordinates(geometries, alive, problems, limit=source_limit)
    alive[_indices(problems)] = False
    empty = np.zeros(count, dtype=bool)
    empty[alive] = shapely.is_empty(geometries[alive])
    for index in np.flatnonzero(empty):
        problems[int(index)] = Problem("geometry_empty")
    alive &= ~empty

    if to_wgs84.transformer is not None and alive.any():
        geometries[alive] = shapely.transform(geometries[alive], to_wgs84)
    extra = alive.copy()  # Z or M values, dropped
    extra[alive] = shapely.has_z(geometries[alive]) | shapely.has_m(geometries[alive])
    geometries[extra] = shapely.force_2d(geometries[extra])
    _check_coordinates(geometries, alive, problems, limit=None)
    alive[_indices(problems)] = False

    repaired: dict[int, str] = {}
    valid = np.ones(count, dtype=bool)
    valid[alive] = shapely.is_valid(geometries[alive])
    for index in np.flatnonzero(alive & ~valid):
        reason = shapely.is_valid_reason(geometries[index])
        fixed = _repair(geometries[index])
        if fixed is None or fixed.is_empty:
            problems[int(index)] = Problem("geometry_unrepairable", {"reason": reason})
            alive[index] = False
            continue
        geometries[index] = fixed
        repaired[int(index)] = reason
    _coerce_simple(geometries, alive, target)
    others = np.zeros(count, dtype=bool)
    if target is not None:
        others[alive] = shapely.get_type_id(geometries[alive]) != _TARGET_IDS[target]
    for index in np.flatnonzero(others):
        coerced = geometry_coerce(geometries[index], target)
        if coerced is None:
            repaired.pop(int(index), None)
            problems[int(index)] = Problem(
                "geometry_wrong_type",
                {
                    "found": geometries[index].geom_type,
                    "expected": _TYPE_NAMES[target][0],
                },
            )
            alive[index] = False
            continue
        geometries[index] = coerced
    _merge_overlapping_parts(geometries, alive, problems, repaired, target)
    geometries[~alive] = None
    outside = np.zeros(count, dtype=bool)
    if alive.any():
        shapely.prepare(boundary)
        outside[alive] = ~shapely.intersects(boundary, geometries[alive])
    return PreparedBatch(
        geometries=geometries, problems=problems, repaired=repaired, outside=outside
    )


def _indices(problems: dict[int, Problem]) -> np.ndarray:
    return np.fromiter(problems, dtype=np.int64, count=len(problems))


def _check_coordinates(
    geometries: np.ndarray, alive: np.ndarray, problems: dict[int, Problem], *, limit: float | None
) -> None:
    """Flag NaN/infinite coordinates, and ones beyond `limit` (None: beyond lon/lat ranges)."""
    indices = np.flatnonzero(alive)
    if not len(indices):
        return
    coords, owner = shapely.get_coordinates(geometries[indices], return_index=True)
    if not len(coords):
        return
    finite = np.isfinite(coords).all(axis=1)
    for position in np.flatnonzero(~finite):
        problems.setdefault(int(indices[owner[position]]), Problem("coordinate_not_finite"))
    if limit is None:
        bad = finite & ((np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90))
    else:
        bad = finite & (np.abs(coords) > limit).any(axis=1)
    for position in np.flatnonzero(bad):
        x, y = coords[position]
        value = x if abs(x) > (limit or 180) else y
        problems.setdefault(
            int(indices[owner[position]]),
            Problem("coordinate_out_of_range", {"value": quoted(f"{value:g}")}),
        )


def parse_coordinate(value: object) -> float | None:
    """A coordinate from a CSV cell ('8.41', '๘.๔๑', 'nan'); None when blank or unparseable."""
    if value is None:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    text = str(value).strip().translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789"))
    if not text:
        return None
    try:
        return float(text.replace(" ", ""))
    except ValueError:
        return math.nan if text.casefold() in {"nan", "n/a", "na"} else None


def split_latlon(value: object) -> tuple[float | None, float | None]:
    """'8.41, 99.96' (as copied from a web map: latitude first) -> (lat, lon)."""
    if value is None:
        return None, None
    parts = [p for p in str(value).replace(";", ",").replace(" ", ",").split(",") if p]
    if len(parts) != 2:
        return None, None
    return parse_coordinate(parts[0]), parse_coordinate(parts[1])


def looks_like_degrees(x: np.ndarray, y: np.ndarray) -> bool:
    """All finite values within longitude and latitude ranges (either way round)."""
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return True
    x, y = np.abs(x[finite]), np.abs(y[finite])
    return bool(((x <= 180) & (y <= 90)).all() or ((x <= 90) & (y <= 180)).all())


def latlon_swapped(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether 'longitude' holds Thai latitudes (5-21) and 'latitude' Thai longitudes (97-106)."""
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return False
    x, y = x[finite], y[finite]
    right = (
        (x >= THAILAND_LON[0])
        & (x <= THAILAND_LON[1])
        & (y >= THAILAND_LAT[0])
        & (y <= THAILAND_LAT[1])
    )
    swapped = (
        (y >= THAILAND_LON[0])
        & (y <= THAILAND_LON[1])
        & (x >= THAILAND_LAT[0])
        & (x <= THAILAND_LAT[1])
    )
    return bool(swapped.sum() > right.sum() and swapped.mean() > 0.5)
