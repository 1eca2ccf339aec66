"""Roads under water: segments split at zone edges, lengths in metres per road class and class.

The overlay takes a road whole where it lies inside one zone (a prepared ``contains_properly``
test) and cuts only the roads that cross a zone edge (``intersection`` with a small zone tile);
zones are disjoint and cut into tiles of a few hundred vertices (`hazard.subdivide`), so each cut
is cheap. The rare piece that runs exactly along a shared zone edge is given to the higher class
once, so lengths by class always add up to the road length.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.flood._common import geometry_array, require_geoframe, resolve_metric_crs
from analysis.flood.hazard import DepthRaster, Hazard, HazardScheme, HazardZones

# Relative tolerance when checking that pieces do not overlap.
_LENGTH_RTOL = 1e-9


@dataclass(frozen=True)
class LineOverlay:
    """Pieces of lines inside zones.

    Attributes
    ----------
    line : numpy.ndarray
        Index (position) of the line each piece comes from.
    zone : numpy.ndarray
        Index (position) of the zone tile holding the piece.
    geometry : numpy.ndarray
        The pieces (whole lines where they lie inside one zone).
    length : numpy.ndarray
        Length of each piece, in the units of the CRS.
    """

    line: np.ndarray
    zone: np.ndarray
    geometry: np.ndarray
    length: np.ndarray


def overlay_lines(
    lines: np.ndarray, zones: np.ndarray, *, zone_priority: np.ndarray | None = None
) -> LineOverlay:
    """Pieces of `lines` inside each of the disjoint polygons `zones` (shapely 2, vectorised).

    Parameters
    ----------
    lines : numpy.ndarray
        LineStrings or MultiLineStrings, in a metric CRS.
    zones : numpy.ndarray
        Polygons that do not overlap (they may share edges), in the same CRS; small ones are
        fastest (see `hazard.subdivide`).
    zone_priority : numpy.ndarray, optional
        Where a line runs exactly along an edge shared by two zones, the zone with the higher
        priority keeps that piece (ties: the lower index). Default: the lower index.

    Returns
    -------
    LineOverlay
        Pieces with a positive length only.
    """
    lines = np.asarray(lines, dtype=object)
    zones = np.asarray(zones, dtype=object)
    empty = LineOverlay(
        np.array([], np.int64), np.array([], np.int64), np.array([], object), np.array([])
    )
    if len(lines) == 0 or len(zones) == 0:
        return empty
    shapely.prepare(zones)
    tree = shapely.STRtree(lines)
    zone_idx, line_idx = tree.query(zones, predicate="intersects")
    if len(zone_idx) == 0:
        return empty
    inside = shapely.contains_properly(zones[zone_idx], lines[line_idx])
    cut_zone, cut_line = zone_idx[~inside], line_idx[~inside]
    cut = shapely.intersection(lines[cut_line], zones[cut_zone])
    cut_length = shapely.length(cut)
    # A piece lying along a zone's edge could be claimed by both neighbours: find those lines.
    on_edge = np.zeros(len(cut), dtype=bool)
    if len(cut):
        on_edge = shapely.relate_pattern(lines[cut_line], zones[cut_zone], "*1*******")
    line = np.concatenate([line_idx[inside], cut_line])
    zone = np.concatenate([zone_idx[inside], cut_zone])
    geometry = np.concatenate([lines[line_idx[inside]], cut])
    length = np.concatenate([shapely.length(lines[line_idx[inside]]), cut_length])
    if on_edge.any():
        shared = np.isin(line, np.unique(cut_line[on_edge]))
        fixed = _resolve_shared_edges(
            line[shared], zone[shared], geometry[shared], priority=zone_priority
        )
        line = np.concatenate([line[~shared], fixed.line])
        zone = np.concatenate([zone[~shared], fixed.zone])
        geometry = np.concatenate([geometry[~shared], fixed.geometry])
        length = np.concatenate([length[~shared], fixed.length])
    keep = length > 0
    return LineOverlay(line[keep], zone[keep], geometry[keep], length[keep])


def _resolve_shared_edges(
    line: np.ndarray, zone: np.ndarray, geometry: np.ndarray, *, priority: np.ndarray | None
) -> LineOverlay:
    """For lines with pieces along shared edges, drop what a higher-priority piece already holds."""
    rank = np.zeros(len(zone)) if priority is None else np.asarray(priority, float)[zone]
    order = np.lexsort((zone, -rank, line))
    out_geometry = geometry.copy()
    start = 0
    while start < len(order):
        stop = start
        while stop < len(order) and line[order[stop]] == line[order[start]]:
            stop += 1
        taken = None
        for i in order[start:stop]:
            piece = geometry[i]
            if taken is not None:
                piece = shapely.difference(piece, taken)
            out_geometry[i] = piece
            taken = piece if taken is None else shapely.union(taken, piece)
        start = stop
    return LineOverlay(line, zone, out_geometry, shapely.length(out_geometry))


@dataclass(frozen=True)
class RoadExposure:
    """Result of `road_exposure`.

    Attributes
    ----------
    roads : geopandas.GeoDataFrame
        The input roads (same index and geometry) with ``length_m``, ``wet_length_m`` (in
        affected classes), ``impassable_length_m``, ``length_<class>_m`` per class,
        ``hazard_class`` (highest class along the road), ``class_rank``, ``affected`` and
        ``impassable`` (any impassable piece).
    pieces : geopandas.GeoDataFrame
        The road pieces inside flood zones, in the metric CRS: ``road`` (index label of the
        road), ``hazard_class``, ``class_rank``, ``impassable``, ``length_m``.
    lengths_m : pandas.DataFrame
        Metres by road type (rows) and hazard class (columns; the dry class is the rest).
    scheme : HazardScheme
        The classes.
    metric_crs : object
        The CRS lengths were measured in.
    """

    roads: gpd.GeoDataFrame
    pieces: gpd.GeoDataFrame
    lengths_m: pd.DataFrame
    scheme: HazardScheme
    metric_crs: object

    def summary(self, *, type_field: str | None = None) -> dict[str, object]:
        """Counts and lengths for reports: the ``length_m`` block of the CLI JSON and counts."""
        roads = self.roads
        classes = self.scheme.classes
        counts = roads["hazard_class"].value_counts()
        by_type: dict[str, int] = {}
        if type_field is not None and type_field in roads.columns:
            affected = roads[roads["affected"].to_numpy(dtype=bool)]
            values = affected[type_field].fillna("").astype(str).value_counts().sort_index()
            by_type = {str(k): int(v) for k, v in values.items()}
        by_class_m = {c: float(roads[f"length_{c}_m"].sum()) for c in classes}
        return {
            "total": len(roads),
            "affected": int(roads["affected"].sum()),
            "by_class": {c: int(counts.get(c, 0)) for c in classes},
            "by_type": by_type,
            "length_m": {
                "total": float(roads["length_m"].sum()),
                "affected": float(roads["wet_length_m"].sum()),
                "impassable": float(roads["impassable_length_m"].sum()),
                "by_class": by_class_m,
            },
        }


def road_exposure(
    roads: gpd.GeoDataFrame,
    *,
    hazard: Hazard,
    type_field: str | None = "road_class",
    metric_crs: object | None = None,
) -> RoadExposure:
    """Split roads at flood-zone edges; lengths in metres by road type and hazard class.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Road centre lines (LineString/MultiLineString) with a CRS.
    hazard : HazardZones or DepthRaster
        The flood; a depth raster is polygonised once into zones by class and impassable depth.
    type_field : str or None
        Road class column for ``lengths_m`` (None or missing: one row ``""``).
    metric_crs : optional
        CRS to measure in; default the roads' own if metric, else their UTM zone.

    Returns
    -------
    RoadExposure

    Examples
    --------
    A 100 m road with its first 30 m in a low zone:

    >>> import geopandas as gpd
    >>> from shapely import LineString, box
    >>> from analysis.flood.hazard import zones_from_classes
    >>> zones = zones_from_classes(gpd.GeoDataFrame(
    ...     {"c": ["low"]}, geometry=[box(-10, -10, 30, 10)], crs=32647), class_field="c")
    >>> roads = gpd.GeoDataFrame({"road_class": ["residential"]},
    ...                          geometry=[LineString([(0, 0), (100, 0)])], crs=32647)
    >>> result = road_exposure(roads, hazard=zones)
    >>> result.lengths_m.loc["residential"].tolist()
    [70.0, 30.0, 0.0, 0.0]
    """
    require_geoframe(roads, name="roads")
    if not isinstance(hazard, HazardZones | DepthRaster):
        raise TypeError(f"hazard must be HazardZones or DepthRaster, got {type(hazard).__name__}")
    zones = hazard.zones if isinstance(hazard, DepthRaster) else hazard
    scheme = zones.scheme
    crs = resolve_metric_crs(roads, metric_crs) if len(roads) else zones.crs
    metric_roads = roads.geometry.to_crs(crs) if len(roads) else roads.geometry
    lines = geometry_array(metric_roads)
    type_ids = shapely.get_type_id(lines)
    bad = ~np.isin(type_ids, (-1, 1, 5)) & ~shapely.is_empty(lines)
    if bad.any():
        raise ValueError(f"roads must be lines, got {sorted(set(shapely.get_type_id(lines[bad])))}")
    zones_m = zones.to_crs(crs) if len(zones.frame) else zones
    zone_frame = zones_m.frame
    rank = zone_frame["class_rank"].to_numpy(dtype=np.int64)
    impassable = zone_frame["impassable"].to_numpy(dtype=bool)
    overlay = overlay_lines(lines, geometry_array(zone_frame), zone_priority=rank * 2 + impassable)
    piece_rank = rank[overlay.zone]
    piece_impassable = impassable[overlay.zone]
    n = len(roads)
    classes = scheme.classes
    length = shapely.length(lines) if n else np.array([])
    by_class = np.zeros((n, len(classes)))
    np.add.at(by_class, (overlay.line, piece_rank), overlay.length)
    # The dry class is whatever is not in a zone (zones hold only affected/impassable classes).
    by_class[:, 0] += np.maximum(length - by_class.sum(axis=1), 0.0)
    affected_cols = np.asarray(scheme.affected, dtype=bool)
    wet = by_class[:, affected_cols].sum(axis=1)
    impassable_len = np.zeros(n)
    np.add.at(impassable_len, overlay.line, np.where(piece_impassable, overlay.length, 0.0))
    top = np.zeros(n, dtype=np.int64)
    np.maximum.at(top, overlay.line, np.where(affected_cols[piece_rank], piece_rank, 0))
    out = roads.copy()
    out["length_m"] = length
    out["wet_length_m"] = wet
    out["impassable_length_m"] = impassable_len
    for i, name in enumerate(classes):
        out[f"length_{name}_m"] = by_class[:, i]
    out["hazard_class"] = np.asarray(classes, dtype=object)[top]
    out["class_rank"] = top
    out["affected"] = wet > 0
    out["impassable"] = impassable_len > 0
    pieces = gpd.GeoDataFrame(
        {
            "road": roads.index.to_numpy()[overlay.line],
            "hazard_class": np.asarray(classes, dtype=object)[piece_rank],
            "class_rank": piece_rank,
            "impassable": piece_impassable,
            "length_m": overlay.length,
        },
        geometry=gpd.GeoSeries(overlay.geometry, crs=crs),
        crs=crs,
    )
    types = (
        roads[type_field].fillna("").astype(str).to_numpy()
        if type_field is not None and type_field in roads.columns
        else np.full(n, "", dtype=object)
    )
    lengths = pd.DataFrame(by_class, columns=list(classes)).groupby(types, sort=True).sum()
    lengths.index.name = type_field or "type"
    return RoadExposure(out, pieces, lengths, scheme, crs)


#: Columns of `impassable_roads_by_name`, in order.
IMPASSABLE_COLUMNS = ("name", "road_class", "impassable_length_m", "class_rank", "hazard_class",
                      "n_segments")  # fmt: skip


def impassable_roads_by_name(
    roads: pd.DataFrame, *, name_col: str = "name", class_col: str = "road_class"
) -> pd.DataFrame:
    """Impassable roads as people name them: one row per road name, longest impassable first.

    Parameters
    ----------
    roads : pandas.DataFrame
        ``RoadExposure.roads`` (``impassable_length_m``, ``class_rank``, ``hazard_class``) with
        a name column and a road-class column. Segments sharing a name are one road to
        people (OSM splits a street at every junction); unnamed segments are grouped by road
        class, with an empty name.
    name_col : str, default "name"
    class_col : str, default "road_class"
        The class of a named road is that of its longest impassable segment.

    Returns
    -------
    pandas.DataFrame
        Columns `IMPASSABLE_COLUMNS`: ``impassable_length_m`` summed, ``class_rank`` and
        ``hazard_class`` the highest along the road, ``n_segments`` impassable segments;
        named roads first, each part by length (descending), then name.

    Examples
    --------
    >>> table = impassable_roads_by_name(pd.DataFrame({
    ...     "name": ["ถนนราชดำเนิน", "ถนนราชดำเนิน", "", "ถนนยมราช"],
    ...     "road_class": ["primary", "primary", "residential", "tertiary"],
    ...     "impassable_length_m": [120.0, 80.0, 50.0, 0.0],
    ...     "class_rank": [2, 3, 1, 0], "hazard_class": ["medium", "high", "low", "dry"]}))
    >>> table[["name", "impassable_length_m", "hazard_class", "n_segments"]].values.tolist()
    [['ถนนราชดำเนิน', 200.0, 'high', 2], ['', 50.0, 'low', 1]]
    """
    missing = {name_col, class_col, "impassable_length_m", "class_rank", "hazard_class"} - set(
        roads.columns
    )
    if missing:
        raise ValueError(f"roads lack {sorted(missing)}: pass RoadExposure.roads with names")
    wet = roads[pd.to_numeric(roads["impassable_length_m"], errors="coerce").fillna(0) > 0]
    if wet.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in IMPASSABLE_COLUMNS})
    wet = wet.assign(
        _name=wet[name_col].fillna("").astype(str).str.strip(),
        _class=wet[class_col].fillna("").astype(str),
    )
    wet = wet.assign(_key=np.where(wet["_name"] != "", wet["_name"], "\0" + wet["_class"]))
    wet = wet.sort_values("impassable_length_m", ascending=False, kind="stable")
    top = wet.sort_values("class_rank", ascending=False, kind="stable").groupby("_key").first()
    grouped = wet.groupby("_key")
    table = pd.DataFrame(
        {
            "name": grouped["_name"].first(),
            "road_class": grouped["_class"].first(),
            "impassable_length_m": grouped["impassable_length_m"].sum().astype(float),
            "class_rank": top["class_rank"],
            "hazard_class": top["hazard_class"],
            "n_segments": grouped.size().astype(int),
        }
    )
    table = table.assign(_unnamed=table["name"] == "").sort_values(
        ["_unnamed", "impassable_length_m", "name"], ascending=[True, False, True]
    )
    return table.drop(columns="_unnamed").reset_index(drop=True)[list(IMPASSABLE_COLUMNS)]
