"""Donut masking checked against the attacker who knows the rule (pure).

The rule is public (Kerckhoffs): a case moves from its household to a random place between
``r_k(h)`` (the distance from its household ``h`` to the k-th nearest household, ``h`` itself
included) and ``spread * r_k(h)``, inside its subdistrict (Hampton et al. 2010, Am J Epidemiol
172:1062). Sizing the donut around the true house alone does not hide it among k: the attacker
reasons from the *published* point ``m`` and keeps the households whose own donut holds ``m``,
and near the edge of a dense block few do (issue 14: 26 of 156 demo points had under 50).

So every drawn point is checked the attacker's way before it is published: the households of
its area whose donut holds it are counted, and the draw is repeated (with the same keyed
stream, so the result stays fixed per case and secret) until at least ``k`` do. Households are
counted as a viewer sees them (centroids of the published footprints), and a house counts only
if it stays a candidate when every published coordinate is off by up to ``tolerance_m``. Each
house so counted could have produced ``m`` on its first draw, so the attacker's candidate set
holds at least ``k`` households whatever else he knows of the rule, including the larger
donuts tried when the first ones fail, and the donut of another household of the area tried
last, for a lone house. A case whose area cannot hide it is not published.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

__all__ = ["MaskedPoints", "household_points", "mask_points", "origin_radii_m"]

#: Donut levels tried in turn (outer radius spread * 2**level * r_k) before giving up.
LEVELS = 4


@dataclass(frozen=True)
class MaskedPoints:
    """Masked locations (empty where a case cannot be hidden) and what the check found."""

    points: gpd.GeoSeries
    displacement_m: np.ndarray
    min_radius_m: np.ndarray
    candidates: np.ndarray
    """Households (as counted, with the tolerance) whose donut holds each masked point."""


def household_points(households: gpd.GeoSeries) -> gpd.GeoSeries:
    """Households as a viewer can place them: points as given, footprints at their centroid."""
    points = households.geometry if hasattr(households, "geometry") else households
    return gpd.GeoSeries(
        np.where(points.geom_type == "Point", points.values, points.centroid.values),
        index=points.index,
        crs=points.crs,
    )


def origin_radii_m(household_xy: np.ndarray, *, k: int) -> np.ndarray:
    """Distance from each household to its k-th nearest household (itself included).

    Parameters
    ----------
    household_xy : numpy.ndarray
        Household coordinates, shape (n, 2), metres.
    k : int
        Households to hide among.

    Returns
    -------
    numpy.ndarray
        One radius per household; ``inf`` everywhere when fewer than ``k`` households exist.

    Examples
    --------
    >>> origin_radii_m(np.array([[0.0, 0.0], [3.0, 0.0], [10.0, 0.0]]), k=2).tolist()
    [3.0, 3.0, 7.0]
    """
    if len(household_xy) < k:
        return np.full(len(household_xy), np.inf)
    distances = cKDTree(household_xy).query(household_xy, k=k)[0]
    return np.asarray(distances).reshape(len(household_xy), -1)[:, -1]


def mask_points(
    points: gpd.GeoSeries,
    *,
    keys: list[str],
    secret: bytes,
    households: gpd.GeoSeries,
    areas: gpd.GeoSeries,
    k: int = 50,
    spread: float = 2.0,
    max_tries: int = 400,
    tolerance_m: float = 0.5,
) -> MaskedPoints:
    """Move each point into its household's donut, to a place where k households could be.

    Parameters
    ----------
    points : GeoSeries
        True locations, projected CRS (metres); each is masked from its nearest household.
    keys : list of str
        A stable identifier per point (e.g. the case id): the draws are keyed by
        HMAC(secret, key), so a case always lands on the same place.
    secret : bytes
        Masking secret.
    households : GeoSeries
        Households as published to the viewers (footprints or points), any CRS.
    areas : GeoSeries
        For each point, the polygon it must stay in (e.g. its subdistrict), as published.
    k : int
        Households each published point must be explainable by.
    spread : float
        Outer radius / inner radius of the donut.
    max_tries : int
        Draws in all (spread over the donut levels) before the point is left unpublished.
    tolerance_m : float
        Largest error of a published coordinate (rounding, centroid of a rounded footprint).

    Returns
    -------
    MaskedPoints
        Same index and CRS as `points`; an empty point where no draw passed the check.

    Raises
    ------
    ValueError
        If the CRS is not metric or `keys` and `areas` do not match `points`.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> homes = gpd.GeoSeries([Point(x, y) for x in range(0, 200, 10) for y in range(0, 200, 10)],
    ...                       crs=32647)
    >>> out = mask_points(gpd.GeoSeries([Point(100, 100)], crs=32647), keys=["c1"], secret=b"s",
    ...                   households=homes, areas=gpd.GeoSeries([box(-5, -5, 205, 205)],
    ...                   crs=32647), k=10)
    >>> bool(out.candidates[0] >= 10 and out.displacement_m[0] >= out.min_radius_m[0])
    True
    """
    if points.crs is None or not points.crs.is_projected:
        raise ValueError(f"points must be in a projected (metric) CRS, got {points.crs}")
    if len(keys) != len(points) or len(areas) != len(points):
        raise ValueError("keys and areas need one entry per point")
    empty = np.zeros(0)
    if len(points) == 0:
        return MaskedPoints(points.copy(), empty, empty, np.zeros(0, dtype=int))
    homes = household_points(households.to_crs(points.crs))
    home_xy = shapely.get_coordinates(homes.values) if len(homes) else np.zeros((0, 2))
    radii = origin_radii_m(home_xy, k=k)
    areas = areas.to_crs(points.crs)
    rule = _Rule(k=k, spread=spread, tolerance_m=tolerance_m)
    in_area: dict[bytes, tuple[object, np.ndarray]] = {}
    true_xy = shapely.get_coordinates(points.values)
    nearest = cKDTree(home_xy).query(true_xy)[1] if len(home_xy) else np.zeros(len(points), int)
    masked, inner, found = [], np.full(len(points), np.inf), np.zeros(len(points), dtype=int)
    for i, (key, area) in enumerate(zip(keys, areas.values, strict=True)):
        if len(home_xy) == 0 or not np.isfinite(radii[nearest[i]]):
            masked.append(shapely.Point())
            continue
        wkb = shapely.to_wkb(area)
        if wkb not in in_area:
            in_area[wkb] = _area_households(area, home_xy, tolerance_m)
        inside, members = in_area[wkb]
        origin, inner[i] = home_xy[nearest[i]], radii[nearest[i]]
        rng = _stream(secret, str(key))
        point, found[i] = rule.draw(
            rng, origin, inner[i], inside, home_xy[members], radii[members], max_tries
        )
        masked.append(point)
    out = gpd.GeoSeries(masked, index=points.index, crs=points.crs)
    shift = np.where(out.is_empty, np.nan, shapely.distance(out.values, points.values))
    return MaskedPoints(out, shift.astype(float), inner, found)


def _stream(secret: bytes, key: str) -> np.random.Generator:
    """A random stream fixed by (secret, key): the same case always moves to the same place."""
    digest = hmac.new(secret, key.encode(), hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def _area_households(area, home_xy: np.ndarray, tolerance_m: float) -> tuple[object, np.ndarray]:
    """The area shrunk by the tolerance (prepared) and the households safely inside it."""
    inside = area.buffer(-tolerance_m) if tolerance_m > 0 else area
    shapely.prepare(inside)
    members = np.flatnonzero(shapely.contains_xy(inside, home_xy[:, 0], home_xy[:, 1]))
    return inside, members


@dataclass(frozen=True)
class _Rule:
    k: int
    spread: float
    tolerance_m: float

    def candidates(self, xy: np.ndarray, home_xy: np.ndarray, radii: np.ndarray) -> int:
        """Households whose donut holds `xy` even with every coordinate off by the tolerance.

        Moving each point by at most e changes a distance and a k-th-neighbour radius by at
        most 2e each: hence 4e inside the inner edge and (2 spread + 2)e inside the outer one.
        """
        e = self.tolerance_m
        d = np.hypot(home_xy[:, 0] - xy[0], home_xy[:, 1] - xy[1])
        held = (d >= radii + 4 * e) & (d <= self.spread * radii - (2 * self.spread + 2) * e)
        return int(held.sum())

    def draw(self, rng, origin, inner_m, inside, home_xy, radii, max_tries):
        """The first keyed draw that stays inside and passes the check, else an empty point."""
        per_level = max(1, max_tries // LEVELS)
        for level in range(LEVELS):
            outer_m = self.spread * 2**level * inner_m
            for _ in range(per_level):
                theta = rng.uniform(0, 2 * np.pi)
                # Uniform in the annulus' area, not in radius.
                r = np.sqrt(rng.uniform(inner_m**2, outer_m**2))
                xy = (origin[0] + r * np.cos(theta), origin[1] + r * np.sin(theta))
                if not shapely.contains_xy(inside, *xy):
                    continue
                n = self.candidates(xy, home_xy, radii)
                if n >= self.k:
                    return shapely.Point(xy), n
        # A lone house far from the others: borrow the donut of a random household of the area
        # (sound, as the check is what guarantees k), rather than leave the case off the map.
        for _ in range(per_level if len(home_xy) >= self.k else 0):
            j = rng.integers(len(home_xy))
            theta = rng.uniform(0, 2 * np.pi)
            r = np.sqrt(rng.uniform(radii[j] ** 2, (self.spread * radii[j]) ** 2))
            xy = (home_xy[j, 0] + r * np.cos(theta), home_xy[j, 1] + r * np.sin(theta))
            if shapely.contains_xy(inside, *xy):
                n = self.candidates(xy, home_xy, radii)
                if n >= self.k:
                    return shapely.Point(xy), n
        return shapely.Point(), 0
