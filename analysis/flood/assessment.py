"""The whole flood assessment of a municipality in one call (what the dashboard shows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.flood._common import require_geoframe, resolve_metric_crs
from analysis.flood.access import AccessImpact, access_impact
from analysis.flood.exposure import exposure_summary, feature_exposure, summary_by_area
from analysis.flood.hazard import DepthRaster, Hazard, HazardScheme, HazardZones
from analysis.flood.population import PopulationImpact, minimum_needs, population_impact
from analysis.flood.priority import PriorityWeights, aid_priority
from analysis.flood.roads import RoadExposure, road_exposure


@dataclass(frozen=True)
class FloodAssessment:
    """Everything `flood_assessment` computes; frames keep their inputs' index.

    Attributes
    ----------
    scheme : HazardScheme
        The hazard classes.
    roads : RoadExposure
        Road pieces and lengths by class (impassable roads included).
    landmarks : geopandas.GeoDataFrame
        Landmarks with ``hazard_class``, ``depth_m``, ``affected`` (and ``area``).
    buildings : geopandas.GeoDataFrame
        Buildings likewise.
    population : PopulationImpact
        People affected (area-weighted from the buildings) and displaced.
    needs : dict
        Weekly minimum needs of the displaced.
    access : AccessImpact
        Households cut off from shelters and health care, detours, facilities cut off.
    priority : geopandas.GeoDataFrame
        Households ranked for aid, with reasons.
    """

    scheme: HazardScheme
    roads: RoadExposure
    landmarks: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    population: PopulationImpact
    needs: dict[str, int]
    access: AccessImpact
    priority: gpd.GeoDataFrame

    def summary(self) -> dict[str, object]:
        """JSON-ready headline figures."""
        access = self.access
        households = access.households
        return {
            "hazard": self.scheme.as_dict(),
            "roads": self.roads.summary(type_field="road_class"),
            "landmarks": exposure_summary(
                self.landmarks, scheme=self.scheme, type_field="category"
            ),
            "landmarks_by_area": summary_by_area(self.landmarks, scheme=self.scheme),
            "buildings": exposure_summary(self.buildings, scheme=self.scheme),
            "population": self.population.as_dict(),
            "minimum_needs_per_week": self.needs,
            "access": {
                "households": len(households),
                "lost_every_route": int(households["lost_every_route"].sum())
                if len(households)
                else 0,
                "blocked_road_m": round(access.blocked_length_m, 1),
                "facilities_cut_off": int(access.facilities["cut_off"].sum())
                if len(access.facilities)
                else 0,
            },
            "aid_priority": {
                "households": len(self.priority),
                "top": self.priority["reasons"].head(5).tolist(),
            },
        }


def flood_assessment(
    *,
    hazard: Hazard,
    roads: gpd.GeoDataFrame,
    landmarks: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    aggregation: gpd.GeoDataFrame | None = None,
    aggregation_field: str | None = None,
    metric_crs: object | None = None,
    population_field: str = "population",
    displacement_rates: Mapping[str, float] | None = None,
    needs_profile: Mapping[str, float] | None = None,
    facility_groups: Mapping[str, Sequence[str]] | None = None,
    priority_weights: PriorityWeights | None = None,
) -> FloodAssessment:
    """Run every flood analysis on one municipality's layers.

    Parameters
    ----------
    hazard : HazardZones or DepthRaster
        The flood.
    roads, landmarks, buildings : geopandas.GeoDataFrame
        The layers (roads with ``road_class``, landmarks with ``category``, buildings with
        ``population`` and the vulnerable counts).
    aggregation : geopandas.GeoDataFrame, optional
        Subdistricts or villages.
    aggregation_field : str, optional
        Column naming the areas.
    metric_crs : optional
        The municipality's metric CRS (EPSG:32647/32648); default estimated from the roads.
    population_field : str
        Residents column of the buildings.
    displacement_rates, needs_profile, facility_groups, priority_weights : optional
        The municipality's own settings; defaults as documented in each module.

    Returns
    -------
    FloodAssessment
    """
    for frame, name in ((roads, "roads"), (landmarks, "landmarks"), (buildings, "buildings")):
        require_geoframe(frame, name=name)
    if not isinstance(hazard, HazardZones | DepthRaster):
        raise TypeError(f"hazard must be HazardZones or DepthRaster, got {type(hazard).__name__}")
    crs = resolve_metric_crs(roads, metric_crs)
    scheme = hazard.scheme
    road_result = road_exposure(roads, hazard=hazard, metric_crs=crs)
    common = {"aggregation": aggregation, "aggregation_field": aggregation_field, "metric_crs": crs}
    landmark_result = feature_exposure(landmarks, hazard=hazard, **common)
    building_result = feature_exposure(buildings, hazard=hazard, **common)
    people = population_impact(
        buildings,
        hazard=hazard,
        population_field=population_field,
        displacement_rates=displacement_rates,
        **common,
    )
    needs = minimum_needs(displaced=people.displaced, profile=needs_profile)
    residents = pd.to_numeric(buildings[population_field], errors="coerce").fillna(0)
    homes = buildings[residents.to_numpy() > 0]
    access = access_impact(
        roads=roads,
        households=homes,
        facilities=landmarks,
        hazard=hazard,
        facility_groups=facility_groups,
        **common,
    )
    ranked = aid_priority(
        building_result.loc[homes.index], scheme=scheme, access=access, weights=priority_weights
    )
    if not np.isfinite(people.total):
        raise ValueError("population total is not finite")
    return FloodAssessment(
        scheme=scheme,
        roads=road_result,
        landmarks=landmark_result,
        buildings=building_result,
        population=people,
        needs=needs,
        access=access,
        priority=ranked,
    )
