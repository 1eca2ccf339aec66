"""People affected and displaced, and their weekly minimum needs.

Affected people are area-weighted: a building's or census polygon's population is spread evenly
over its area, and the share of the area in each hazard class is affected in that class
(``weighting="area"``, DESIGN.md section 3). ``weighting="max"`` instead counts everyone in a
polygon in the highest class it touches (the household view used for the aid list).

Displaced = affected x a rate per class. Default rates are InaSAFE's for the same flood classes
(``flood_petabencana_hazard_classes`` in ``safe/definitions/hazard_classifications.py``, "estimated
from DMI analysis of historical flood data and IDP numbers"): low 1 %, medium 3 %, high 5 %; wet
(depth unknown) 1 %. A municipality that knows its own evacuation rates passes them instead.

Minimum needs are per displaced person per week; `DEFAULT_MINIMUM_NEEDS` documents each default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.flood._common import (
    assign_areas,
    default_label_field,
    geometry_array,
    geometry_kind,
    require_geoframe,
    resolve_metric_crs,
)
from analysis.flood.hazard import DepthRaster, Hazard, HazardZones

DEFAULT_DISPLACEMENT_RATES: Mapping[str, float] = {
    "dry": 0.0,
    "low": 0.01,
    "medium": 0.03,
    "high": 0.05,
    "wet": 0.01,
}

DEFAULT_MINIMUM_NEEDS: Mapping[str, float] = {
    # 400 g of rice per person per day (BNPB regulation 7/2008 as used by InaSAFE: 2.8 kg a
    # week); in line with the Sphere Handbook 2018 food standard of 2,100 kcal a day.
    "rice_kg": 2.8,
    # 2.5 L drinking water a day (Sphere Handbook 2018, water supply standard 2.1, survival
    # needs 2.5-3 L); InaSAFE's default is the same 17.5 L a week.
    "drinking_water_l": 17.5,
    # Sphere's minimum is 15 L a person a day for drinking, cooking and hygiene; the 12.5 L
    # beyond drinking water makes 87.5 L a week, so both lines together give 15 L a day.
    "clean_water_l": 87.5,
    # One family kit per household; Thai households average about 3.1 people (NSO Population
    # and Housing Census 2010), so 0.32 kits a person (InaSAFE uses 0.2 for households of five).
    "family_kits": 0.32,
    # One toilet per 20 people (Sphere Handbook 2018, excreta management standard 3.2).
    "toilets": 0.05,
}

MINIMUM_NEEDS_UNITS: Mapping[str, str] = {
    "rice_kg": "kg",
    "drinking_water_l": "L",
    "clean_water_l": "L",
    "family_kits": "kits",
    "toilets": "toilets",
}


@dataclass(frozen=True)
class PopulationImpact:
    """People affected and displaced, by hazard class and by aggregation area.

    Attributes
    ----------
    total : float
        Everyone in the population layer.
    affected_by_class : dict
        People in each class (the dry class holds the unaffected).
    displaced_by_class : dict
        Affected x displacement rate, per class.
    by_area : pandas.DataFrame
        With an aggregation: rows per area, columns ``total``, ``affected``, ``displaced``.
    """

    total: float
    affected_by_class: dict[str, float]
    displaced_by_class: dict[str, float]
    affected_classes: tuple[str, ...]
    by_area: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def affected(self) -> float:
        """People in affected classes."""
        return float(sum(self.affected_by_class[c] for c in self.affected_classes))

    @property
    def displaced(self) -> float:
        """People displaced, all classes."""
        return float(sum(self.displaced_by_class.values()))

    def as_dict(self) -> dict[str, object]:
        """JSON-ready figures (people rounded to one decimal)."""
        return {
            "total": round(self.total, 1),
            "affected": round(self.affected, 1),
            "displaced": round(self.displaced, 1),
            "affected_by_class": {k: round(v, 1) for k, v in self.affected_by_class.items()},
            "displaced_by_class": {k: round(v, 1) for k, v in self.displaced_by_class.items()},
        }


def class_area_shares(
    polygons: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    zones: HazardZones,
    metric_crs: object | None = None,
) -> np.ndarray:
    """Share of each polygon's area in each hazard class (rows add up to 1; dry is the rest).

    Parameters
    ----------
    polygons : geopandas.GeoDataFrame or geopandas.GeoSeries
        Buildings or census polygons with a CRS.
    zones : HazardZones
        Disjoint hazard zones.
    metric_crs : optional
        CRS for areas; default the polygons' own if metric, else UTM.

    Returns
    -------
    numpy.ndarray
        Shape (n polygons, n classes); rows of empty polygons are all zero.
    """
    require_geoframe(polygons, name="polygons")
    n_classes = len(zones.scheme.classes)
    shares = np.zeros((len(polygons), n_classes))
    if len(polygons) == 0:
        return shares
    crs = resolve_metric_crs(polygons, metric_crs)
    geoms = geometry_array(polygons.geometry.to_crs(crs))
    area = shapely.area(geoms)
    zone_frame = zones.to_crs(crs).frame if len(zones.frame) else zones.frame
    zone_geoms = geometry_array(zone_frame)
    if len(zone_geoms):
        shapely.prepare(zone_geoms)
        tree = shapely.STRtree(geoms)
        zone_idx, poly_idx = tree.query(zone_geoms, predicate="intersects")
        inside = shapely.contains_properly(zone_geoms[zone_idx], geoms[poly_idx])
        overlap = np.where(
            inside,
            area[poly_idx],
            shapely.area(shapely.intersection(geoms[poly_idx], zone_geoms[zone_idx])),
        )
        ranks = zone_frame["class_rank"].to_numpy()[zone_idx]
        np.add.at(shares, (poly_idx, ranks), overlap)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(area[:, None] > 0, shares / area[:, None], 0.0)
    shares = np.clip(shares, 0.0, 1.0)
    shares[:, 0] = np.where(area > 0, np.clip(1.0 - shares[:, 1:].sum(axis=1), 0.0, 1.0), 0.0)
    return shares


def population_impact(
    population: gpd.GeoDataFrame,
    *,
    hazard: Hazard,
    population_field: str = "population",
    weighting: Literal["area", "max"] = "area",
    displacement_rates: Mapping[str, float] | None = None,
    aggregation: gpd.GeoDataFrame | None = None,
    aggregation_field: str | None = None,
    metric_crs: object | None = None,
) -> PopulationImpact:
    """People affected (area-weighted) and displaced, by class and aggregation area.

    Parameters
    ----------
    population : geopandas.GeoDataFrame
        Buildings or census polygons (or points, counted whole) with a population column.
    hazard : HazardZones or DepthRaster
        The flood (a raster is polygonised for the area shares).
    population_field : str
        Column with people.
    weighting : {"area", "max"}
        Area shares per class, or everyone in the highest class touched.
    displacement_rates : mapping, optional
        Share of the affected displaced, per class; default `DEFAULT_DISPLACEMENT_RATES`
        (classes missing from the mapping displace nobody).
    aggregation : geopandas.GeoDataFrame, optional
        Areas; each polygon counts in the one holding its centroid.
    aggregation_field : str, optional
        Column naming the areas.
    metric_crs : optional
        CRS for areas and centroids.

    Returns
    -------
    PopulationImpact

    Examples
    --------
    A 100-person census block, a quarter of it under medium water:

    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from analysis.flood.hazard import zones_from_classes
    >>> zones = zones_from_classes(gpd.GeoDataFrame(
    ...     {"c": ["medium"]}, geometry=[box(0, 0, 50, 50)], crs=32647), class_field="c")
    >>> block = gpd.GeoDataFrame({"population": [100]}, geometry=[box(0, 0, 100, 100)], crs=32647)
    >>> impact = population_impact(block, hazard=zones)
    >>> impact.affected, impact.displaced
    (25.0, 0.75)
    """
    require_geoframe(population, name="population")
    if not isinstance(hazard, HazardZones | DepthRaster):
        raise TypeError(f"hazard must be HazardZones or DepthRaster, got {type(hazard).__name__}")
    if weighting not in ("area", "max"):
        raise ValueError(f"weighting must be 'area' or 'max', got {weighting!r}")
    if population_field not in population.columns:
        raise ValueError(f"population has no field {population_field!r}")
    scheme = hazard.scheme
    rates = DEFAULT_DISPLACEMENT_RATES if displacement_rates is None else displacement_rates
    bad = {k: v for k, v in rates.items() if not 0.0 <= float(v) <= 1.0}
    if bad:
        raise ValueError(f"displacement rates must lie in [0, 1], got {bad}")
    people = pd.to_numeric(population[population_field], errors="coerce").fillna(0).to_numpy(float)
    if (people < 0).any():
        raise ValueError("population must not be negative")
    classes = scheme.classes
    n = len(population)
    shares = np.zeros((n, len(classes)))
    if n:
        kind = geometry_kind(population.geometry)
        if weighting == "area" and kind == "polygon":
            zones = hazard.zones if isinstance(hazard, DepthRaster) else hazard
            shares = class_area_shares(population, zones=zones, metric_crs=metric_crs)
        else:
            from analysis.flood.exposure import feature_exposure

            ranks = feature_exposure(population, hazard=hazard)["class_rank"].to_numpy()
            shares[np.arange(n), ranks] = 1.0
    by_class = people[:, None] * shares
    rate_vector = np.array([float(rates.get(c, 0.0)) for c in classes])
    affected_mask = np.asarray(scheme.affected, dtype=bool)
    displaced = by_class * np.where(affected_mask, rate_vector, 0.0)
    by_area = pd.DataFrame()
    if aggregation is not None and n:
        require_geoframe(aggregation, name="aggregation")
        crs = resolve_metric_crs(population, metric_crs)
        label_field = aggregation_field or default_label_field(aggregation)
        centroids = geometry_array(population.geometry.to_crs(crs).centroid)
        labels = assign_areas(centroids, aggregation.to_crs(crs), label_field=label_field)
        frame = pd.DataFrame(
            {
                "area": pd.Series(labels, dtype=object).fillna("").astype(str),
                "total": people,
                "affected": by_class[:, affected_mask].sum(axis=1),
                "displaced": displaced.sum(axis=1),
            }
        )
        by_area = frame.groupby("area", sort=True).sum()
    return PopulationImpact(
        total=float(people.sum()),
        affected_by_class={c: float(by_class[:, i].sum()) for i, c in enumerate(classes)},
        displaced_by_class={c: float(displaced[:, i].sum()) for i, c in enumerate(classes)},
        affected_classes=scheme.affected_classes,
        by_area=by_area,
    )


def minimum_needs(
    *, displaced: float, profile: Mapping[str, float] | None = None, weeks: float = 1.0
) -> dict[str, int]:
    """Weekly minimum needs of displaced people, rounded up to whole units.

    Parameters
    ----------
    displaced : float
        People displaced.
    profile : mapping, optional
        Quantity per person per week for each item; the municipality's own profile, default
        `DEFAULT_MINIMUM_NEEDS` (rice, drinking water, clean water, family kits, toilets).
    weeks : float
        Weeks to plan for.

    Returns
    -------
    dict
        Item -> quantity (rounded up, so nobody is planned as a fraction).

    Examples
    --------
    >>> needs = minimum_needs(displaced=100)
    >>> needs["rice_kg"], needs["drinking_water_l"], needs["family_kits"], needs["toilets"]
    (280, 1750, 32, 5)
    """
    if not math.isfinite(displaced) or displaced < 0:
        raise ValueError(f"displaced must be a non-negative number, got {displaced}")
    if weeks <= 0:
        raise ValueError("weeks must be positive")
    items = DEFAULT_MINIMUM_NEEDS if profile is None else profile
    out: dict[str, int] = {}
    for item, per_person in items.items():
        if float(per_person) < 0:
            raise ValueError(f"minimum need {item!r} must not be negative")
        # Round away float noise (0.32 x 100 = 32.000000000000004) before rounding up.
        out[item] = math.ceil(round(displaced * float(per_person) * weeks, 6))
    return out
