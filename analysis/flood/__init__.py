"""Flood hazard x exposure (DESIGN.md section 3): pure geopandas/shapely/rasterio, no Django.

Public API
----------
Hazards: `depth_scheme`, `wet_dry_scheme`, `HazardScheme`, `HazardZones`, `DepthRaster`,
`zones_from_classes`, `zones_from_wet_dry`, `zones_from_depth_field`, `zones_from_depth_raster`,
`hazard_from_file`, `bathtub_flood` (`BathtubFlood`).
Exposure: `max_depth_m`, `feature_exposure`, `exposure_summary`, `summary_by_area`,
`class_table`, `road_exposure`
(`RoadExposure`), `overlay_lines`.
People: `population_impact` (`PopulationImpact`), `minimum_needs`, `DEFAULT_DISPLACEMENT_RATES`,
`DEFAULT_MINIMUM_NEEDS`.
Access and aid: `road_graph`, `access_impact` (`AccessImpact`), `aid_priority`
(`PriorityWeights`).
Damage: `building_damage`, `damage_summary`, `DamageCurve`, `JRC_ASIA_CURVES`,
`DEFAULT_VALUES_BAHT_PER_M2`, `BUILDING_TYPES`, `damage_type`, `class_depths_m`.
All together: `flood_assessment` (`FloodAssessment`).
"""

from analysis.flood.access import (
    DEFAULT_FACILITY_GROUPS,
    AccessImpact,
    RoadGraph,
    access_impact,
    road_graph,
)
from analysis.flood.assessment import FloodAssessment, flood_assessment
from analysis.flood.bathtub import BathtubFlood, bathtub_flood
from analysis.flood.damage import (
    BORROWED_DEFAULTS,
    BUILDING_TYPES,
    CURVE_SOURCE,
    DEFAULT_VALUES_BAHT_PER_M2,
    JRC_ASIA_CURVES,
    DamageCurve,
    building_damage,
    class_depths_m,
    damage_summary,
    damage_type,
)
from analysis.flood.exposure import (
    aggregation_labels,
    class_table,
    exposure_summary,
    feature_exposure,
    max_depth_m,
    summary_by_area,
)
from analysis.flood.hazard import (
    DEFAULT_DEPTH_BREAKS_M,
    DEFAULT_IMPASSABLE_M,
    DepthRaster,
    Hazard,
    HazardScheme,
    HazardZones,
    depth_scheme,
    hazard_from_file,
    wet_dry_scheme,
    zones_from_classes,
    zones_from_depth_field,
    zones_from_depth_raster,
    zones_from_wet_dry,
)
from analysis.flood.population import (
    DEFAULT_DISPLACEMENT_RATES,
    DEFAULT_MINIMUM_NEEDS,
    MINIMUM_NEEDS_UNITS,
    PopulationImpact,
    class_area_shares,
    minimum_needs,
    population_impact,
)
from analysis.flood.priority import PriorityWeights, aid_priority
from analysis.flood.roads import (
    IMPASSABLE_COLUMNS,
    LineOverlay,
    RoadExposure,
    impassable_roads_by_name,
    overlay_lines,
    road_exposure,
)

__all__ = [
    "BORROWED_DEFAULTS",
    "BUILDING_TYPES",
    "CURVE_SOURCE",
    "DEFAULT_DEPTH_BREAKS_M",
    "DEFAULT_DISPLACEMENT_RATES",
    "DEFAULT_FACILITY_GROUPS",
    "DEFAULT_IMPASSABLE_M",
    "DEFAULT_MINIMUM_NEEDS",
    "DEFAULT_VALUES_BAHT_PER_M2",
    "IMPASSABLE_COLUMNS",
    "JRC_ASIA_CURVES",
    "MINIMUM_NEEDS_UNITS",
    "AccessImpact",
    "BathtubFlood",
    "DamageCurve",
    "DepthRaster",
    "FloodAssessment",
    "Hazard",
    "HazardScheme",
    "HazardZones",
    "LineOverlay",
    "PopulationImpact",
    "PriorityWeights",
    "RoadExposure",
    "RoadGraph",
    "access_impact",
    "aggregation_labels",
    "aid_priority",
    "bathtub_flood",
    "building_damage",
    "class_area_shares",
    "class_depths_m",
    "class_table",
    "damage_summary",
    "damage_type",
    "depth_scheme",
    "exposure_summary",
    "feature_exposure",
    "flood_assessment",
    "hazard_from_file",
    "impassable_roads_by_name",
    "max_depth_m",
    "minimum_needs",
    "overlay_lines",
    "population_impact",
    "road_exposure",
    "road_graph",
    "summary_by_area",
    "wet_dry_scheme",
    "zones_from_classes",
    "zones_from_depth_field",
    "zones_from_depth_raster",
    "zones_from_wet_dry",
]
