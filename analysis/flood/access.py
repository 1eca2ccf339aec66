"""Access to shelters and health care on the road network, before and during a flood.

The road graph joins lines where they share a vertex (coordinates equal to 1 cm in the metric
CRS); every pair of consecutive vertices is an edge weighted by its length. A flood removes every
edge whose line runs through an impassable zone (water at least `impassable_m` deep, see
`analysis.flood.hazard`). A household reaches the network at its nearest vertex and a facility
likewise; the straight walk to the vertex is added to the road distance and is not flooded.

Shortest paths use scipy's Dijkstra from one virtual source joined to every facility of a group
(so each household gets the distance to its nearest facility of that group in one pass).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from analysis.flood._common import (
    assign_areas,
    default_label_field,
    geometry_array,
    require_geoframe,
    resolve_metric_crs,
)
from analysis.flood.hazard import DepthRaster, Hazard, HazardZones

DEFAULT_FACILITY_GROUPS: Mapping[str, Sequence[str]] = {
    "shelter": ("shelter",),
    "health": ("hospital", "health_centre"),
}
ANY_GROUP = "any"
NODE_PRECISION_M = 0.01
# Zero-length edges (duplicate vertices) still join their ends.
_MIN_EDGE_M = 1e-6


@dataclass(frozen=True)
class RoadGraph:
    """An undirected road graph in a metric CRS.

    Attributes
    ----------
    xy : numpy.ndarray
        Node coordinates, shape (n, 2).
    u, v : numpy.ndarray
        Edge end nodes.
    length_m : numpy.ndarray
        Edge lengths.
    segments : numpy.ndarray
        Edge lines (two vertices each).
    road : numpy.ndarray
        Position of the road each edge comes from.
    crs : object
        The metric CRS.
    """

    xy: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    segments: np.ndarray
    road: np.ndarray
    crs: object

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.xy)

    def matrix(
        self,
        *,
        keep: np.ndarray | None = None,
        extra_nodes: int = 0,
        extra_edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> csr_matrix:
        """Sparse adjacency (CSR, one entry per node pair, the shortest edge) of kept edges.

        `extra_nodes` are appended after the graph's nodes; `extra_edges` (u, v, weight) join them.
        """
        keep = np.ones(len(self.u), dtype=bool) if keep is None else keep
        u, v, w = self.u[keep], self.v[keep], self.length_m[keep]
        if extra_edges is not None:
            u = np.concatenate([u, extra_edges[0]])
            v = np.concatenate([v, extra_edges[1]])
            w = np.concatenate([w, extra_edges[2]])
        a, b = np.minimum(u, v), np.maximum(u, v)
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(a) else np.array([], bool)
        n = self.n_nodes + extra_nodes
        weights = np.maximum(w[first], _MIN_EDGE_M)
        return coo_matrix((weights, (a[first], b[first])), shape=(n, n)).tocsr()


def road_graph(roads: gpd.GeoDataFrame, *, metric_crs: object | None = None) -> RoadGraph:
    """Build the road graph: vertices shared by lines become junctions.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Road lines with a CRS.
    metric_crs : optional
        CRS to measure in; default the roads' own if metric, else UTM.

    Returns
    -------
    RoadGraph

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> roads = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0)]),
    ...                                    LineString([(100, 0), (100, 50)])], crs=32647)
    >>> graph = road_graph(roads)
    >>> graph.n_nodes, float(graph.length_m.sum())
    (3, 150.0)
    """
    require_geoframe(roads, name="roads")
    crs = resolve_metric_crs(roads, metric_crs) if len(roads) else roads.crs
    lines = geometry_array(roads.geometry.to_crs(crs)) if len(roads) else np.array([], object)
    parts, road = shapely.get_parts(lines, return_index=True)
    parts_ok = shapely.get_type_id(parts) == 1
    parts, road = parts[parts_ok], road[parts_ok]
    coords, part_of = shapely.get_coordinates(parts, return_index=True)
    if len(coords) == 0:
        empty_i = np.array([], np.int64)
        return RoadGraph(
            np.zeros((0, 2)), empty_i, empty_i, np.array([]), np.array([], object), empty_i, crs
        )
    keys = np.round(coords / NODE_PRECISION_M).astype(np.int64)
    unique, node = np.unique(keys, axis=0, return_inverse=True)
    node = node.ravel()
    same_part = part_of[1:] == part_of[:-1]
    a = np.flatnonzero(same_part)
    u, v = node[a], node[a + 1]
    segments = shapely.linestrings(np.stack([coords[a], coords[a + 1]], axis=1))
    length = shapely.length(segments)
    xy = unique.astype(float) * NODE_PRECISION_M
    not_loop = u != v
    return RoadGraph(
        xy=xy,
        u=u[not_loop],
        v=v[not_loop],
        length_m=length[not_loop],
        segments=segments[not_loop],
        road=road[part_of[a]][not_loop],
        crs=crs,
    )


def blocked_edges(graph: RoadGraph, *, zones: HazardZones) -> np.ndarray:
    """Edges whose line runs through an impassable zone (touching its edge only does not count)."""
    blocked = np.zeros(len(graph.u), dtype=bool)
    impassable = zones.impassable_frame()
    if len(blocked) == 0 or impassable.empty:
        return blocked
    zone_geoms = geometry_array(impassable.to_crs(graph.crs))
    shapely.prepare(zone_geoms)
    tree = shapely.STRtree(graph.segments)
    zone_idx, edge_idx = tree.query(zone_geoms, predicate="intersects")
    through = ~shapely.touches(zone_geoms[zone_idx], graph.segments[edge_idx])
    blocked[edge_idx[through]] = True
    return blocked


@dataclass(frozen=True)
class AccessImpact:
    """Result of `access_impact`.

    Attributes
    ----------
    households : pandas.DataFrame
        Indexed like the households, per facility group ``g`` (and ``any``): ``g_before_m`` and
        ``g_after_m`` (distance to the nearest facility; inf when none is reachable),
        ``g_lost`` (reachable before, not during the flood) and ``g_extra_m`` (the detour, NaN
        when lost or never reachable); plus ``lost_every_route`` (= ``any_lost``) and ``area``
        with an aggregation.
    facilities : pandas.DataFrame
        Indexed like the facilities of any group: ``category``, ``group``,
        ``households_before`` and ``households_after`` (households connected to it by road),
        ``cut_off`` (reachable from households before, from none during the flood).
    by_area : pandas.DataFrame
        Per aggregation area: ``households``, ``lost_every_route``, ``all_lost`` and the mean
        detour ``mean_extra_m`` of the others.
    groups : tuple of str
        Facility groups, ``any`` last.
    blocked_length_m : float
        Road length removed by the flood.
    """

    households: pd.DataFrame
    facilities: pd.DataFrame
    by_area: pd.DataFrame
    groups: tuple[str, ...]
    blocked_length_m: float


def access_impact(
    *,
    roads: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    hazard: Hazard,
    category_field: str = "category",
    facility_groups: Mapping[str, Sequence[str]] | None = None,
    aggregation: gpd.GeoDataFrame | None = None,
    aggregation_field: str | None = None,
    metric_crs: object | None = None,
    graph: RoadGraph | None = None,
) -> AccessImpact:
    """Which households lose every road route to a shelter or health care, and the detours.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Road lines.
    households : geopandas.GeoDataFrame
        Buildings or points; polygons reach the road from their representative point.
    facilities : geopandas.GeoDataFrame
        Landmarks with a category column.
    hazard : HazardZones or DepthRaster
        The flood; its impassable zones cut the roads.
    category_field : str
        Facility category column.
    facility_groups : mapping, optional
        Group name -> categories; default shelters and health care (hospital, health centre).
        A group without facilities reports inf distances and loses nothing.
    aggregation : geopandas.GeoDataFrame, optional
        Villages or subdistricts; households count in the one holding their centroid.
    aggregation_field : str, optional
        Column naming the areas.
    metric_crs : optional
        CRS to measure in; default the roads' own if metric, else UTM.
    graph : RoadGraph, optional
        A graph already built from `roads` (saves time on repeated calls).

    Returns
    -------
    AccessImpact
    """
    for frame, name in ((roads, "roads"), (households, "households"), (facilities, "facilities")):
        require_geoframe(frame, name=name)
    if not isinstance(hazard, HazardZones | DepthRaster):
        raise TypeError(f"hazard must be HazardZones or DepthRaster, got {type(hazard).__name__}")
    if len(facilities) and category_field not in facilities.columns:
        raise ValueError(f"facilities have no field {category_field!r}")
    groups = dict(DEFAULT_FACILITY_GROUPS if facility_groups is None else facility_groups)
    groups[ANY_GROUP] = tuple(sorted({c for cats in groups.values() for c in cats}))
    names = tuple(groups)
    graph = graph or road_graph(roads, metric_crs=metric_crs)
    zones = hazard.zones if isinstance(hazard, DepthRaster) else hazard
    blocked = blocked_edges(graph, zones=zones)
    house_table = pd.DataFrame(index=households.index)
    if graph.n_nodes == 0 or len(households) == 0:
        for g in names:
            house_table[f"{g}_before_m"] = np.inf
            house_table[f"{g}_after_m"] = np.inf
            house_table[f"{g}_lost"] = False
            house_table[f"{g}_extra_m"] = np.nan
        house_table["lost_every_route"] = False
        return AccessImpact(house_table, pd.DataFrame(), pd.DataFrame(), names, 0.0)
    node_tree = shapely.STRtree(shapely.points(graph.xy))
    house_pts = geometry_array(households.geometry.to_crs(graph.crs).representative_point())
    house_node, house_walk = _snap(node_tree, house_pts)
    categories = (
        facilities[category_field].astype(str).to_numpy()
        if len(facilities)
        else np.array([], dtype=object)
    )
    fac_pts = geometry_array(facilities.geometry.to_crs(graph.crs).representative_point())
    fac_node, fac_walk = _snap(node_tree, fac_pts) if len(fac_pts) else (np.array([], int), [])
    source = graph.n_nodes  # the virtual node joined to a group's facilities
    for g in names:
        members = np.isin(categories, np.asarray(groups[g], dtype=object))
        before = _distances(graph, None, source, fac_node[members], np.asarray(fac_walk)[members])
        after = _distances(
            graph, ~blocked, source, fac_node[members], np.asarray(fac_walk)[members]
        )
        d_before = before[house_node] + house_walk
        d_after = after[house_node] + house_walk
        lost = np.isfinite(d_before) & ~np.isfinite(d_after)
        both = np.isfinite(d_after) & np.isfinite(d_before)
        extra = np.full(len(d_before), np.nan)
        extra[both] = d_after[both] - d_before[both]
        house_table[f"{g}_before_m"] = d_before
        house_table[f"{g}_after_m"] = d_after
        house_table[f"{g}_lost"] = lost
        house_table[f"{g}_extra_m"] = np.maximum(extra, 0.0)
    house_table["lost_every_route"] = house_table[f"{ANY_GROUP}_lost"]
    facility_table = _facility_reach(
        graph, blocked, facilities, categories, fac_node, house_node, groups
    )
    by_area = pd.DataFrame()
    if aggregation is not None:
        require_geoframe(aggregation, name="aggregation")
        label_field = aggregation_field or default_label_field(aggregation)
        centroids = geometry_array(households.geometry.to_crs(graph.crs).centroid)
        labels = assign_areas(centroids, aggregation.to_crs(graph.crs), label_field=label_field)
        house_table["area"] = pd.Series(labels, index=households.index, dtype=object)
        grouped = house_table.assign(area=house_table["area"].fillna("").astype(str)).groupby(
            "area", sort=True
        )
        by_area = pd.DataFrame(
            {
                "households": grouped.size(),
                "lost_every_route": grouped["lost_every_route"].sum(),
                "mean_extra_m": grouped[f"{ANY_GROUP}_extra_m"].mean(),
            }
        )
        by_area["all_lost"] = by_area["lost_every_route"] == by_area["households"]
    return AccessImpact(
        households=house_table,
        facilities=facility_table,
        by_area=by_area,
        groups=names,
        blocked_length_m=float(graph.length_m[blocked].sum()),
    )


def _snap(tree: shapely.STRtree, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest graph node of each point and the straight distance to it."""
    (point_idx, node_idx), distance = tree.query_nearest(
        points, return_distance=True, all_matches=False
    )
    node = np.zeros(len(points), dtype=np.int64)
    walk = np.full(len(points), np.inf)
    node[point_idx] = node_idx
    walk[point_idx] = distance
    return node, walk


def _distances(
    graph: RoadGraph,
    keep: np.ndarray | None,
    source: int,
    facility_nodes: np.ndarray,
    facility_walk: np.ndarray,
) -> np.ndarray:
    """Road distance from every node to the nearest of the facilities (inf: none reachable)."""
    if len(facility_nodes) == 0:
        return np.full(graph.n_nodes + 1, np.inf)
    links = (
        np.full(len(facility_nodes), source, dtype=np.int64),
        np.asarray(facility_nodes, dtype=np.int64),
        np.maximum(np.asarray(facility_walk, dtype=float), _MIN_EDGE_M),
    )
    matrix = graph.matrix(keep=keep, extra_nodes=1, extra_edges=links)
    return dijkstra(matrix, directed=False, indices=source)


def _facility_reach(
    graph: RoadGraph,
    blocked: np.ndarray,
    facilities: gpd.GeoDataFrame,
    categories: np.ndarray,
    fac_node: np.ndarray,
    house_node: np.ndarray,
    groups: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    """Households connected by road to each facility, before and during the flood."""
    wanted = np.isin(categories, np.asarray(groups[ANY_GROUP], dtype=object))
    if not wanted.any():
        return pd.DataFrame(
            columns=["category", "group", "households_before", "households_after", "cut_off"]
        )
    counts = []
    for keep in (None, ~blocked):
        _, label = connected_components(graph.matrix(keep=keep), directed=False)
        per_component = np.bincount(label[house_node], minlength=label.max() + 1)
        counts.append(per_component[label[fac_node[wanted]]])
    group_of = {c: g for g, cats in groups.items() if g != ANY_GROUP for c in cats}
    table = pd.DataFrame(
        {
            "category": categories[wanted],
            "group": [group_of.get(c, ANY_GROUP) for c in categories[wanted]],
            "households_before": counts[0],
            "households_after": counts[1],
        },
        index=facilities.index[wanted],
    )
    table["cut_off"] = (table["households_before"] > 0) & (table["households_after"] == 0)
    return table
