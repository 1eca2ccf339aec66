"""Spray zones safe to print: circles that cover the rule but do not point at the case house.

A zone drawn as the ``radius_m`` circle around a case house gives the house away (its centre).
The published zone of a case is instead a circle of radius ``radius_m + margin`` around a
centre ``c`` drawn at random (keyed, so a reprint shows the same zone) near the case house:

- it covers every house within ``radius_m`` of the case, because the case is at most
  ``margin`` from ``c`` (and the polygon is drawn around the circle, not inside it);
- it hides the house among at least ``k`` households. The rule is public, so an attacker who
  holds the zone knows ``c`` and ``margin`` and keeps the households ``g`` that could have
  drawn it: ``g`` within ``margin`` of ``c`` (else the circle would not cover ``g``'s own
  circle) and ``cap(g) >= margin``, where ``cap(g) = CAP_FACTOR * (distance from g to its
  k-th nearest household) + CAP_SLACK_M`` bounds both how far from its household a centre is
  drawn and the margin it may take. ``margin`` is the distance from ``c`` to its k-th nearest
  household, a function of ``c`` alone; a draw is kept only when the case is within it and at
  least ``k`` households pass both tests.

Households are counted as viewers see them (points; footprint centroids), and a household
counts only if it stays a candidate when every coordinate is off by up to ``tolerance_m``.
A case no draw can place (a house far from any k others) gets its subdistrict grown by the
radius instead: the same zone for every household of the subdistrict.

The price is area: about ``(radius_m + margin)**2 / radius_m**2`` per lone case; a circle
that holds the circles of k households cannot be much smaller
(docs/decisions/0001-spray-zones-hide-the-case-house.md gives the demo's numbers).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

__all__ = ["CoverCircles", "cap_radii_m", "cover_circles", "covering_zones"]

#: A centre is drawn within CAP_FACTOR * (distance to the k-th nearest household) + CAP_SLACK_M
#: of the case household, and the margin may not exceed that either.
CAP_FACTOR = 1.5
CAP_SLACK_M = 50.0


@dataclass(frozen=True)
class CoverCircles:
    """Published circle of each case: centre, margin added to the radius, candidates."""

    centre_xy: np.ndarray
    """Shape (n, 2); NaN where the case falls back to its grown area."""
    margin_m: np.ndarray
    candidates: np.ndarray
    """Households (counted with the tolerance) that could have produced the circle."""


def _kth_nearest_m(tree: cKDTree, n: int, at_xy: np.ndarray, k: int) -> np.ndarray:
    if n < k:
        return np.full(len(at_xy), np.inf)
    distances = tree.query(at_xy, k=k)[0]
    return np.asarray(distances).reshape(len(at_xy), -1)[:, -1]


def cap_radii_m(household_xy: np.ndarray, *, k: int, tolerance_m: float = 0.0) -> np.ndarray:
    """How far from each household a zone centre may be drawn, and how large its margin.

    ``CAP_FACTOR`` times the distance to the household's k-th nearest household (itself
    included), plus ``CAP_SLACK_M``; with a tolerance, the smallest value any published copy
    of the households (each point off by up to `tolerance_m`) could give.

    Parameters
    ----------
    household_xy : numpy.ndarray
        Households, shape (n, 2), metres.
    k : int
        Households to hide among.
    tolerance_m : float
        Largest error of a published coordinate.

    Returns
    -------
    numpy.ndarray
        One radius per household (``inf`` when fewer than `k` households exist).

    Examples
    --------
    >>> cap_radii_m(np.array([[0.0, 0.0], [30.0, 0.0], [100.0, 0.0]]), k=2).tolist()
    [95.0, 95.0, 155.0]
    """
    kth = _kth_nearest_m(cKDTree(household_xy), len(household_xy), household_xy, k)
    return CAP_FACTOR * (kth - 2 * tolerance_m) + CAP_SLACK_M


def cover_circles(
    case_xy: np.ndarray,
    *,
    keys: list[str],
    secret: bytes,
    household_xy: np.ndarray,
    k: int = 50,
    tolerance_m: float = 0.5,
    max_tries: int = 800,
) -> CoverCircles:
    """Draw each case's published circle (centre and margin), checked as an attacker would.

    A centre ``c`` is drawn uniformly within ``cap(h)`` of the case household ``h``; its
    margin is the distance from ``c`` to its k-th nearest household (plus the tolerance), a
    function of ``c`` alone. The draw is kept when the case is within the margin of ``c``,
    the margin is at most ``cap(h)``, and at least `k` households ``g`` could have drawn the
    same circle: ``g`` within the margin of ``c`` and ``cap(g)`` at least the margin.

    Parameters
    ----------
    case_xy : numpy.ndarray
        Case houses, shape (n, 2), metres.
    keys : list of str
        A stable identifier per case: draws are keyed by HMAC(secret, key).
    secret : bytes
        Masking secret.
    household_xy : numpy.ndarray
        Households as published, shape (m, 2), same CRS.
    k : int
        Households each published circle must be explainable by.
    tolerance_m : float
        Largest error of a published coordinate.
    max_tries : int
        Draws per case before it falls back to its grown area (NaN centre).

    Returns
    -------
    CoverCircles

    Examples
    --------
    >>> homes = np.array([(x, y) for x in range(0, 400, 20) for y in range(0, 400, 20)], float)
    >>> out = cover_circles(np.array([[200.0, 200.0]]), keys=["c1"], secret=b"s",
    ...                     household_xy=homes, k=20)
    >>> bool(np.hypot(*(out.centre_xy[0] - 200)) <= out.margin_m[0] and out.candidates[0] >= 20)
    True
    """
    if len(keys) != len(case_xy):
        raise ValueError("keys need one entry per case")
    n = len(case_xy)
    centres, margins = np.full((n, 2), np.nan), np.full(n, np.nan)
    found = np.zeros(n, dtype=int)
    if n == 0 or len(household_xy) < k:
        return CoverCircles(centres, margins, found)
    tree = cKDTree(household_xy)
    cap = cap_radii_m(household_xy, k=k)
    cap_safe = cap_radii_m(household_xy, k=k, tolerance_m=tolerance_m)
    nearest = tree.query(case_xy)[1]
    e = tolerance_m
    size = max(1, max_tries // 8)
    for i, (xy, key) in enumerate(zip(case_xy, keys, strict=True)):
        rng = _stream(secret, str(key))
        origin, reach = household_xy[nearest[i]], cap[nearest[i]]
        for _batch in range(max(1, max_tries // size)):
            theta = rng.uniform(0, 2 * np.pi, size)
            r = reach * np.sqrt(rng.uniform(0, 1, size))
            tries = origin + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
            margin = _kth_nearest_m(tree, len(household_xy), tries, k) + 2 * e
            ok = (np.hypot(*(tries - xy).T) <= margin) & (margin <= reach)
            for j in np.flatnonzero(ok):
                d = np.hypot(*(household_xy - tries[j]).T)
                # Households that could have drawn this circle, whatever copy the attacker has.
                held = int(((d + 2 * e <= margin[j]) & (cap_safe >= margin[j])).sum())
                if held >= k:
                    centres[i], margins[i], found[i] = tries[j], margin[j], held
                    break
            if found[i]:
                break
    return CoverCircles(centres, margins, found)


def covering_zones(
    cases: gpd.GeoDataFrame,
    *,
    zone_col: str,
    keys: list[str],
    secret: bytes,
    households: gpd.GeoSeries,
    areas: gpd.GeoSeries,
    radius_m: float,
    k: int = 50,
    quad_segs: int = 16,
) -> gpd.GeoDataFrame:
    """The published outline of each zone: the union of its cases' covering circles.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses (Points, metric CRS) with the zone of each in `zone_col`.
    zone_col : str
        Column of zone ids.
    keys : list of str
        A stable identifier per case (one per row).
    secret : bytes
        Masking secret.
    households : geopandas.GeoSeries
        Households as published (points, or footprints taken at their centroid).
    areas : geopandas.GeoSeries
        For each case, the area (subdistrict) whose outline, grown by `radius_m`, is its zone
        when no circle can hide it.
    radius_m : float
        Spray radius.
    k : int
        Households to hide each case among.
    quad_segs : int
        Segments per quarter circle; polygons are drawn around the circle, never inside it.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_id``, ``n_fallback`` (cases given their grown area), ``min_candidates``,
        ``area_m2`` and ``geometry``, one row per zone, in the cases' CRS.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> homes = gpd.GeoSeries([Point(x, y) for x in range(0, 600, 20) for y in range(0, 600, 20)],
    ...                       crs=32647)
    >>> cases = gpd.GeoDataFrame({"zone": [0]}, geometry=[Point(300, 300)], crs=32647)
    >>> zones = covering_zones(cases, zone_col="zone", keys=["a"], secret=b"s",
    ...     households=homes, areas=gpd.GeoSeries([box(0, 0, 600, 600)], crs=32647),
    ...     radius_m=100, k=20)
    >>> bool(zones.geometry[0].contains(Point(300, 300).buffer(100)))
    True
    """
    if cases.crs is None or not cases.crs.is_projected:
        raise ValueError(f"cases must be in a projected (metric) CRS, got {cases.crs}")
    columns = ["zone_id", "n_fallback", "min_candidates", "area_m2"]
    if len(cases) == 0:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=cases.crs)
    homes = households.to_crs(cases.crs)
    homes = homes.where(homes.geom_type == "Point", homes.centroid)
    home_xy = shapely.get_coordinates(homes.values) if len(homes) else np.zeros((0, 2))
    case_xy = shapely.get_coordinates(cases.geometry.values)
    circles = cover_circles(case_xy, keys=keys, secret=secret, household_xy=home_xy, k=k)
    # Polygon vertices on a circle slightly larger than the true one, so the whole circle fits.
    grow = 1 / math.cos(math.pi / (4 * quad_segs))
    pieces = []
    fallback = np.isnan(circles.margin_m)
    candidates = circles.candidates.copy()
    areas = areas.to_crs(cases.crs)
    for i in range(len(cases)):
        if fallback[i]:
            area = areas.values[i]
            pieces.append(area.buffer(radius_m * grow, quad_segs=quad_segs))
            candidates[i] = int(shapely.contains_xy(area, home_xy[:, 0], home_xy[:, 1]).sum())
        else:
            centre = shapely.Point(circles.centre_xy[i])
            reach = (radius_m + circles.margin_m[i]) * grow
            pieces.append(centre.buffer(reach, quad_segs=quad_segs))
    frame = gpd.GeoDataFrame(
        {
            "zone_id": cases[zone_col].to_numpy(),
            "fallback": fallback,
            "candidates": candidates,
        },
        geometry=pieces,
        crs=cases.crs,
    )
    out = frame.dissolve(
        by="zone_id", aggfunc={"fallback": "sum", "candidates": "min"}
    ).reset_index()
    out = out.rename(columns={"fallback": "n_fallback", "candidates": "min_candidates"})
    out["area_m2"] = out.geometry.area
    return out[[*columns, "geometry"]]


def _stream(secret: bytes, key: str) -> np.random.Generator:
    """A random stream fixed by (secret, key): a zone is always drawn the same way."""
    digest = hmac.new(secret, f"spray-zone:{key}".encode(), hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))
