"""Names people use for derived areas: the main street, the subdistrict, the nearest landmark.

A spray zone or a case cluster is a polygon the software derived; officers and spray teams know
places by their streets, subdistricts (ตำบล) and temples or communities. These functions find
those names from the municipality's own layers, in its metric CRS:

- `main_road_names`: the named road with the greatest length inside each area (lengths of
  pieces sharing a name are added up); an area with no named road inside takes the nearest
  named road;
- `containing_names`: the name of the area (e.g. subdistrict) holding each point, or the
  nearest one when the point lies outside all of them (a zone centre just over the boundary);
- `nearest_names`: the nearest named feature (e.g. landmark) to each geometry;
- `short_road_name`: the abbreviations Thai offices write (ถนน -> ถ., ซอย -> ซ.).

Empty names count as no name. No Django, no database.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from analysis.dengue._common import require_metric_crs

__all__ = ["containing_names", "main_road_names", "nearest_names", "short_road_name"]

#: Thai prefixes and the abbreviation officers write in addresses and on work orders.
_THAI_ABBREVIATIONS = (("ถนน", "ถ."), ("ซอย", "ซ."))


def short_road_name(name: str) -> str:
    """A road name as written in Thai addresses: ``ถนนพัฒนาการคูขวาง`` -> ``ถ.พัฒนาการคูขวาง``.

    Parameters
    ----------
    name : str
        The road's name; names without a Thai prefix are returned stripped, unchanged.

    Returns
    -------
    str

    Examples
    --------
    >>> short_road_name("ถนนราชดำเนิน 15")
    'ถ.ราชดำเนิน 15'
    >>> short_road_name("ซอย 3")
    'ซ.3'
    >>> short_road_name("Ratchadamnoen Road")
    'Ratchadamnoen Road'
    """
    name = " ".join(str(name or "").split())
    for prefix, short in _THAI_ABBREVIATIONS:
        if name.startswith(prefix) and len(name) > len(prefix):
            return short + name[len(prefix) :].lstrip()
    return name


def _named(frame: gpd.GeoDataFrame, name_col: str) -> gpd.GeoDataFrame:
    names = frame[name_col].fillna("").astype(str).str.strip()
    return frame.assign(**{name_col: names})[names != ""]


def main_road_names(
    areas: gpd.GeoSeries, *, roads: gpd.GeoDataFrame, name_col: str = "name_th"
) -> list[str]:
    """The main street of each area: the named road longest inside it, else the nearest.

    Parameters
    ----------
    areas : geopandas.GeoSeries
        Polygons in a projected CRS in metres.
    roads : geopandas.GeoDataFrame
        Road lines in the same CRS, with the column ``name_col``.
    name_col : str, default "name_th"
        The column holding the names.

    Returns
    -------
    list of str
        One name per area, in order; ``""`` when there is no named road at all.

    Examples
    --------
    >>> from shapely.geometry import LineString, Point
    >>> zone = gpd.GeoSeries([Point(0, 0).buffer(100)], crs=32647)
    >>> roads = gpd.GeoDataFrame(
    ...     {"name_th": ["ซอยสั้น", "ถนนยาว"]},
    ...     geometry=[LineString([(0, 0), (0, 50)]), LineString([(-90, 10), (90, 10)])],
    ...     crs=32647,
    ... )
    >>> main_road_names(zone, roads=roads)
    ['ถนนยาว']
    """
    require_metric_crs(areas.crs, name="areas")
    if len(areas) == 0:
        return []
    named = _named(roads, name_col)
    if named.empty:
        return [""] * len(areas)
    if named.crs != areas.crs:
        raise ValueError("roads must be in the CRS of the areas")
    lines = named.geometry.to_numpy()
    names = named[name_col].to_numpy()
    tree = shapely.STRtree(lines)
    out = []
    for area in areas:
        hits = tree.query(area, predicate="intersects")
        if len(hits):
            lengths: dict[str, float] = {}
            for i in hits:
                lengths[names[i]] = (
                    lengths.get(names[i], 0.0) + shapely.intersection(lines[i], area).length
                )
            # Longest first; equal lengths by name, so the answer does not depend on row order.
            out.append(min(lengths.items(), key=lambda item: (-round(item[1], 6), item[0]))[0])
        else:
            out.append(str(names[tree.nearest(area)]))
    return out


def containing_names(
    points: gpd.GeoSeries, *, areas: gpd.GeoDataFrame, name_col: str = "name_th"
) -> list[str]:
    """The name of the area holding each point (the nearest area when none holds it).

    Parameters
    ----------
    points : geopandas.GeoSeries
        Points in a projected CRS in metres.
    areas : geopandas.GeoDataFrame
        Polygons (e.g. subdistricts) in the same CRS, with the column ``name_col``.
    name_col : str, default "name_th"

    Returns
    -------
    list of str
        One name per point; ``""`` when there are no named areas.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> tambons = gpd.GeoDataFrame(
    ...     {"name_th": ["ในเมือง", "ท่าวัง"]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
    ...     crs=32647,
    ... )
    >>> containing_names(gpd.GeoSeries([Point(15, 5), Point(-3, 5)], crs=32647), areas=tambons)
    ['ท่าวัง', 'ในเมือง']
    """
    require_metric_crs(points.crs, name="points")
    named = _named(areas, name_col)
    if len(points) == 0 or named.empty:
        return [""] * len(points)
    if named.crs != points.crs:
        raise ValueError("areas must be in the CRS of the points")
    polygons = named.geometry.to_numpy()
    names = named[name_col].to_numpy()
    tree = shapely.STRtree(polygons)
    out = []
    for point in points:
        inside = tree.query(point, predicate="intersects")
        out.append(str(names[inside.min() if len(inside) else tree.nearest(point)]))
    return out


def nearest_names(
    geometries: gpd.GeoSeries, *, places: gpd.GeoDataFrame, name_col: str = "name_th"
) -> list[tuple[str, float]]:
    """The nearest named place to each geometry and its distance in metres.

    Parameters
    ----------
    geometries : geopandas.GeoSeries
        Geometries in a projected CRS in metres.
    places : geopandas.GeoDataFrame
        Features (e.g. landmarks) in the same CRS, with the column ``name_col``.
    name_col : str, default "name_th"

    Returns
    -------
    list of (str, float)
        One (name, distance_m) per geometry; ``("", nan)`` when no place has a name. A place
        inside or touching the geometry is at distance 0; ties go to the first name in order.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> marks = gpd.GeoDataFrame(
    ...     {"name_th": ["วัดใกล้", "วัดไกล"]}, geometry=[Point(30, 0), Point(500, 0)],
    ...     crs=32647,
    ... )
    >>> nearest_names(gpd.GeoSeries([Point(0, 0)], crs=32647), places=marks)
    [('วัดใกล้', 30.0)]
    """
    require_metric_crs(geometries.crs, name="geometries")
    named = _named(places, name_col)
    if len(geometries) == 0 or named.empty:
        return [("", float("nan"))] * len(geometries)
    if named.crs != geometries.crs:
        raise ValueError("places must be in the CRS of the geometries")
    named = named.sort_values(name_col, kind="stable")
    features = named.geometry.to_numpy()
    names = named[name_col].to_numpy()
    out = []
    for geometry in geometries:
        distances = shapely.distance(features, geometry)
        best = int(np.argmin(distances))
        out.append((str(names[best]), float(distances[best])))
    return out
