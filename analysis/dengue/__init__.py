"""Dengue analyses (DESIGN.md section 3): clusters, spray zones, the recommended radius and more.

Pure functions over GeoDataFrames of case points in a metric CRS; no Django, no database.
Methods, parameters and references: `analysis/dengue/README.md`.
"""

from analysis.dengue._common import connected_components, number_clusters
from analysis.dengue.advice import RadiusAdvice, radius_advice
from analysis.dengue.backtest import (
    BacktestComparison,
    BacktestResult,
    backtest,
    backtest_against_policy,
)
from analysis.dengue.channel import (
    CHANNEL_YEARS,
    ChannelAlert,
    channel_alert,
    endemic_channel,
    epi_week_number,
    monthly_to_weekly,
    scale_to_population,
)
from analysis.dengue.clusters import cluster_edges, space_time_clusters
from analysis.dengue.epiweeks import epi_curve, epi_week_start, epi_week_starts
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
from analysis.dengue.rolling import (
    DEFAULT_OPTIONS_M,
    BacktestOption,
    BacktestPeriod,
    RollingBacktest,
    follow_on_cases,
    rolling_backtest,
)
from analysis.dengue.rounds import (
    DEFAULT_ROUND_DAYS,
    CycleRound,
    PlanEntry,
    RecordedRound,
    round_cycle,
    round_on_plan,
    round_to_show,
)
from analysis.dengue.summaries import ClusterSummary, cluster_summaries
from analysis.dengue.timers import (
    INVESTIGATION_HOURS,
    SPRAY_WITHIN_DAYS,
    TIMER_WINDOW_DAYS,
    CaseTimers,
    Timer,
    case_timers,
    timer_status,
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
    "CHANNEL_YEARS",
    "DEFAULT_OPTIONS_M",
    "DEFAULT_ROUND_DAYS",
    "INVESTIGATION_HOURS",
    "POLICY_RADIUS_M",
    "SPRAY_WITHIN_DAYS",
    "TIMER_WINDOW_DAYS",
    "ZONE_COLUMNS",
    "BacktestComparison",
    "BacktestOption",
    "BacktestPeriod",
    "BacktestResult",
    "CaseTimers",
    "ChannelAlert",
    "ClusterSummary",
    "CycleRound",
    "KdeSurface",
    "KnoxResult",
    "LagBin",
    "PlanEntry",
    "RadiusAdvice",
    "RadiusParameters",
    "RadiusRecommendation",
    "RecordedRound",
    "Ring",
    "RollingBacktest",
    "Timer",
    "backtest",
    "backtest_against_policy",
    "case_timers",
    "channel_alert",
    "circle_polygons",
    "cluster_edges",
    "cluster_summaries",
    "connected_components",
    "endemic_channel",
    "epi_curve",
    "epi_week_number",
    "epi_week_start",
    "epi_week_starts",
    "follow_on_cases",
    "kde_surface",
    "knox_test",
    "monthly_to_weekly",
    "number_clusters",
    "radius_advice",
    "radius_costs",
    "recommended_radius",
    "rolling_backtest",
    "round_cycle",
    "round_on_plan",
    "round_to_show",
    "scale_to_population",
    "space_time_clusters",
    "spray_zones",
    "timer_status",
    "union_by_group",
    "zone_contents",
    "zone_features",
]
