"""Dengue analyses (DESIGN.md section 3): clusters, spray zones, the recommended radius and more.

Pure functions over GeoDataFrames of case points in a metric CRS; no Django, no database.
Methods, parameters and references: `analysis/dengue/README.md`.
"""

from analysis.dengue._common import connected_components, number_clusters
from analysis.dengue.backtest import (
    BacktestComparison,
    BacktestResult,
    backtest,
    backtest_against_policy,
)
from analysis.dengue.clusters import cluster_edges, space_time_clusters
from analysis.dengue.kde import KdeSurface, kde_surface
from analysis.dengue.knox import KnoxResult, knox_test
from analysis.dengue.radius import (
    POLICY_RADIUS_M,
    LagBin,
    RadiusParameters,
    RadiusRecommendation,
    Ring,
    radius_costs,
    recommended_radius,
)
from analysis.dengue.zones import (
    ZONE_COLUMNS,
    circle_polygons,
    spray_zones,
    union_by_group,
    zone_contents,
    zone_features,
)

__all__ = [
    "POLICY_RADIUS_M",
    "ZONE_COLUMNS",
    "BacktestComparison",
    "BacktestResult",
    "KdeSurface",
    "KnoxResult",
    "LagBin",
    "RadiusParameters",
    "RadiusRecommendation",
    "Ring",
    "backtest",
    "backtest_against_policy",
    "circle_polygons",
    "cluster_edges",
    "connected_components",
    "kde_surface",
    "knox_test",
    "number_clusters",
    "radius_costs",
    "recommended_radius",
    "space_time_clusters",
    "spray_zones",
    "union_by_group",
    "zone_contents",
    "zone_features",
]
