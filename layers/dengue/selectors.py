"""Reads for the health officers' dengue pages, always scoped to one municipality.

The pages ask "what is the situation on a date": the cases known by then (reported on or before
it), their space-time clusters, the spray zones around them with what lies inside, the rounds of
spraying due and done, and the 3-3-1 timers of recent cases. The science and the rules are in
`analysis.dengue` (zones, clusters, `rounds`, `timers`, `epiweeks`); this module reads the rows,
turns them into frames in the municipality's metric CRS, applies the municipality's settings
(radius, rounds) and the current time zone, and calls them.

Callers check `Action.VIEW_CASES_EXACT` first: several results hold exact case locations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.dengue import (
    DEFAULT_ROUND_DAYS,
    INVESTIGATION_HOURS,
    POLICY_RADIUS_M,
    SPRAY_WITHIN_DAYS,
    TIMER_WINDOW_DAYS,
    CaseTimers,
    ClusterSummary,
    CycleRound,
    Timer,
    radius_advice,
    radius_costs,
    recommended_radius,
    rolling_backtest,
    space_time_clusters,
    spray_zones,
    zone_contents,
    zone_features,
)
from analysis.dengue import case_timers as _case_timers
from analysis.dengue import cluster_summaries as _cluster_summaries
from analysis.dengue import epi_curve as _epi_curve
from analysis.dengue.cover import covering_zones
from analysis.dengue.epiweeks import epi_week_start
from analysis.dengue.rounds import round_cycle, round_on_plan, round_to_show
from analysis.placenames import (
    containing_names,
    main_road_names,
    nearest_names,
    short_road_name,
)
from layers.caching import cached_result, layer_versions, result_key
from layers.frames import frame_from_queryset
from layers.imports.values import whole_number
from layers.models import Building, DengueCase, Municipality, SprayRound, SprayRoundChange
from layers.replica import replica_reads
from layers.selectors import boundary_frame, landmark_frame, road_frame, subdistrict_frame

#: Cluster rule (DESIGN.md section 3): within 150 m and 14 days of each other, chained.
CLUSTER_DISTANCE_M = 150.0
CLUSTER_WINDOW_DAYS = 14
#: A zone (and a cluster) closes 28 days after the last onset inside it.
ZONE_ACTIVE_DAYS = 28
# The 3-3-1 rule (TIMER_WINDOW_DAYS, INVESTIGATION_HOURS, SPRAY_WITHIN_DAYS, `Timer`,
# `CaseTimers`), the round days (DEFAULT_ROUND_DAYS), `ClusterSummary` and `epi_week_start`
# live in `analysis.dengue` and are imported above under their old names for the pages.
__all__ = [
    "DEFAULT_ROUND_DAYS",
    "INVESTIGATION_HOURS",
    "SPRAY_WITHIN_DAYS",
    "TIMER_WINDOW_DAYS",
    "CaseTimers",
    "ClusterSummary",
    "Timer",
    "epi_week_start",
]
#: Rounds planned or done longer ago than this cannot belong to an open zone's cycle.
ROUNDS_LOOKBACK_DAYS = 90
#: The radius analysis is cached this long per municipality and data version.
RADIUS_CACHE_SECONDS = 600
RADIUS_PERMUTATIONS = 199
RADIUS_SEED = 2569
#: The radius options the page costs and backtests (besides the recommended ones).
RADIUS_OPTIONS_M = (50.0, 100.0, 150.0, 200.0)
#: A printed or exported zone hides each case house among at least this many households.
ZONE_HIDE_AMONG = 50

CASE_FIELDS = (
    "id",
    "onset_date",
    "report_date",
    "investigated_at",
    "sprayed_at",
    "diagnosis",
    "is_generated",
)


# --- Frames ------------------------------------------------------------------------------------


def dengue_case_frame_known_on(*, municipality: Municipality, known_on: date) -> gpd.GeoDataFrame:
    """Cases reported on or before `known_on` (exact houses, no personal fields), EPSG:4326."""
    return frame_from_queryset(
        DengueCase.objects.filter(municipality=municipality, report_date__lte=known_on).order_by(
            "onset_date", "id"
        ),
        fields=CASE_FIELDS,
    )


def household_frame(*, municipality: Municipality) -> gpd.GeoDataFrame:
    """Buildings of the municipality, counted as households by the spray pages, EPSG:4326."""
    return frame_from_queryset(
        Building.objects.filter(municipality=municipality).order_by("id"),
        fields=("id", "population"),
    )


def spray_round_days(municipality: Municipality) -> tuple[int, ...]:
    """The municipality's rounds as days after the report, e.g. ``(0, 7)`` or ``(0, 3, 7)``."""
    days = set()
    for part in str(municipality.spray_round_days).replace(";", ",").split(","):
        day = whole_number(part.strip(), max_digits=3)
        if day is not None:
            days.add(day)
    return tuple(sorted(days)) or DEFAULT_ROUND_DAYS


def zone_key_for_case(*, municipality_id: int, case_id: int) -> str:
    """The key of the spray zone that a case opened: stable, and not the case id.

    A zone is named after its first reported case; the key is a hash so that work orders and
    exports never show a case id.
    """
    digest = hashlib.sha256(f"mueang-spray-zone:{municipality_id}:{case_id}".encode()).hexdigest()
    return f"z{digest[:10]}"


def dengue_data_version(*, municipality: Municipality) -> str:
    """Changes whenever a case or a building of the municipality is added, changed or deleted."""
    parts = []
    for model in (DengueCase, Building):
        row = model.objects.filter(municipality=municipality).aggregate(
            n=Count("id"), last_id=Max("id"), updated=Max("updated_at")
        )
        parts.append(f"{row['n']}:{row['last_id']}:{row['updated']}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


# --- The situation on a date -------------------------------------------------------------------


@dataclass
class DengueSituation:
    """Cases known on `on`, their clusters and zones, in the municipality's metric CRS.

    `cases` has `cluster_id` and `zone_id`; `zones` has the columns of `spray_zones` plus
    `key` (zone key), `keys` (the keys of all its cases: rounds recorded under an older key of
    a zone that has since merged still count), `anchor` (latest report date inside it: the day
    0 of its current round cycle) and the counts of `zone_contents`.
    """

    municipality: Municipality
    on: date
    cases: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    landmarks: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    rounds: list[SprayRound]
    round_days: tuple[int, ...]
    radius_m: float = POLICY_RADIUS_M
    #: The shared-cache key of its frames (`layers.caching`), empty when computed uncached.
    cache_key: str = ""

    @property
    def active_zones(self) -> gpd.GeoDataFrame:
        """Zones open on `on` (first onset on or before it, not yet closed)."""
        return self.zones[self.zones["active"]]

    def rounds_of_zone(self, zone_id: int) -> list[SprayRound]:
        """Recorded rounds of a zone (under any key of its cases)."""
        keys = self.zones.loc[self.zones["zone_id"] == zone_id, "keys"].iloc[0]
        return [r for r in self.rounds if r.zone_key in keys]


#: The layers the situation's frames are read from; their versions key its cache entry.
SITUATION_LAYERS = ("cases", "buildings", "landmarks")


def dengue_situation(
    *,
    municipality: Municipality,
    on: date,
    radius_m: float | None = None,
    round_days: tuple[int, ...] | None = None,
    case_ids: Collection[int] | None = None,
    reported_from: date | None = None,
) -> DengueSituation:
    """Everything the dashboard and the spray plan need about the cases known on `on`.

    The radius and the round days are the municipality's unless given; `case_ids` and
    `reported_from` narrow the cases (the spray-plan process plans for a chosen set).
    The frames (cases, clusters, zones, households, landmarks: 0.4 s for the demo town) come
    from the shared cache, keyed by municipality, the exact-cases tier and the versions of
    `SITUATION_LAYERS`; the spray rounds are read afresh on every call.
    """
    radius = float(municipality.spray_radius_m if radius_m is None else radius_m)
    key = ""
    if case_ids is None and reported_from is None:
        key = result_key(
            "dengue-situation",
            municipality_id=municipality.pk,
            tier="exact",
            version=layer_versions(municipality_id=municipality.pk, layers=SITUATION_LAYERS),
            extra=[f"{on:%Y%m%d}", repr(radius), str(municipality.metric_srid)],
        )
        cases, zones, households, landmarks = cached_result(
            key, lambda: _situation_frames(municipality=municipality, on=on, radius_m=radius)
        )
    else:
        cases, zones, households, landmarks = _situation_frames(
            municipality=municipality,
            on=on,
            radius_m=radius,
            case_ids=case_ids,
            reported_from=reported_from,
        )
    # Only recent rounds matter: the current cycles of open zones and the timers of the last
    # 28 days both start at most ROUNDS_LOOKBACK_DAYS before `on`.
    since = on - timedelta(days=ROUNDS_LOOKBACK_DAYS)
    rounds = list(
        SprayRound.objects.filter(municipality=municipality, withdrawn=False)
        .filter(Q(planned_date__gte=since) | Q(done_on__gte=since))
        .select_related("recorded_by")
    )
    return DengueSituation(
        municipality=municipality,
        on=on,
        cases=cases,
        zones=zones,
        landmarks=landmarks,
        households=households,
        rounds=rounds,
        round_days=spray_round_days(municipality) if round_days is None else tuple(round_days),
        radius_m=radius,
        cache_key=key,
    )


def _situation_frames(
    *,
    municipality: Municipality,
    on: date,
    radius_m: float,
    case_ids: Collection[int] | None = None,
    reported_from: date | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Cases with clusters and zones, zones, households and landmarks (`dengue_situation`)."""
    srid = municipality.metric_srid
    cases = dengue_case_frame_known_on(municipality=municipality, known_on=on)
    if case_ids is not None:
        cases = cases[cases["id"].isin(list(case_ids))]
    if reported_from is not None:
        cases = cases[pd.to_datetime(cases["report_date"]).dt.date >= reported_from]
    cases = cases.reset_index(drop=True).to_crs(srid)
    cases["onset_date"] = pd.to_datetime(cases["onset_date"])
    cases["report_date"] = pd.to_datetime(cases["report_date"])
    cases = space_time_clusters(
        cases, distance_m=CLUSTER_DISTANCE_M, window_days=CLUSTER_WINDOW_DAYS
    ).reset_index(drop=True)
    zones = spray_zones(
        cases,
        radius_m=radius_m,
        active_days=ZONE_ACTIVE_DAYS,
        as_of=on,
        id_col="id",
    )
    households = household_frame(municipality=municipality).to_crs(srid)
    landmarks = landmark_frame(municipality=municipality).to_crs(srid)
    zone_of_case: dict[int, int] = {}
    for zone_id, ids in zip(zones["zone_id"], zones["case_ids"], strict=True):
        zone_of_case.update(dict.fromkeys((int(i) for i in ids), int(zone_id)))
    cases["zone_id"] = [zone_of_case[int(i)] for i in cases["id"]]
    if len(zones):
        by_report = cases.sort_values(["report_date", "id"])
        first_reported = by_report.groupby("zone_id")["id"].first()
        zones["key"] = [
            zone_key_for_case(municipality_id=municipality.pk, case_id=int(first_reported[z]))
            for z in zones["zone_id"]
        ]
        zones["keys"] = [
            frozenset(
                zone_key_for_case(municipality_id=municipality.pk, case_id=int(i)) for i in ids
            )
            for ids in zones["case_ids"]
        ]
        zones["anchor"] = [
            d.date() for d in cases.groupby("zone_id")["report_date"].max()[zones["zone_id"]]
        ]
        zones["number"] = _zone_numbers(by_report, zones)
        contents = zone_contents(zones, households=households, landmarks=landmarks)
        zones["n_households"] = contents["n_households"].to_numpy()
    else:
        zones["key"] = pd.Series(dtype=object)
        zones["keys"] = pd.Series(dtype=object)
        zones["anchor"] = pd.Series(dtype=object)
        zones["number"] = pd.Series(dtype="int64")
        zones["n_households"] = pd.Series(dtype="int64")
    return cases, zones, households, landmarks


def _zone_numbers(by_report: pd.DataFrame, zones: gpd.GeoDataFrame) -> list[int]:
    """Each zone's number within the year of its first report: 1, 2, ... in report order.

    A zone keeps its number while cases join it, and later zones never renumber earlier ones
    (they are reported later); only a merge of two zones frees a number.
    """
    first = by_report.drop_duplicates("zone_id").set_index("zone_id")
    order = first.loc[list(zones["zone_id"]), ["report_date", "id"]].reset_index()
    order["year"] = order["report_date"].dt.year
    order = order.sort_values(["report_date", "id"])
    order["number"] = order.groupby("year").cumcount() + 1
    numbers = dict(zip(order["zone_id"], order["number"], strict=True))
    return [int(numbers[z]) for z in zones["zone_id"]]


@dataclass(frozen=True)
class ZoneName:
    """How people call a zone: its number in the year, main street and subdistrict."""

    number: int
    road: str
    """The named road longest inside the zone (else the nearest), abbreviated (ถ., ซ.)."""
    subdistrict: str
    """The subdistrict holding the zone's centre."""

    def __str__(self) -> str:
        if self.road and self.subdistrict:
            return _("Zone %(number)s: %(road)s, %(subdistrict)s") % vars(self)
        if self.road or self.subdistrict:
            return _("Zone %(number)s: %(place)s") % {
                "number": self.number,
                "place": self.road or _("subdistrict %(name)s") % {"name": self.subdistrict},
            }
        return _("Zone %(number)s") % {"number": self.number}


@dataclass(frozen=True)
class ClusterName:
    """How people call a cluster: the nearest named landmark (if close) and the subdistrict."""

    place: str
    distance_m: float
    subdistrict: str

    def __str__(self) -> str:
        if self.place and self.subdistrict:
            return _("Near %(place)s, %(subdistrict)s") % vars(self)
        if self.place:
            return _("Near %(place)s") % vars(self)
        if self.subdistrict:
            return _("subdistrict %(name)s") % {"name": self.subdistrict}
        return ""


#: A landmark further than this from a cluster does not name it ("near" would mislead).
CLUSTER_PLACE_WITHIN_M = 500.0


def _names_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`frame` with one `name` column: its Thai names, or English ones where none is in Thai.

    People name places by their Thai names; an OSM feature named only in English (often a
    description, "very colourful Chinese temple") names a place only when nothing has a Thai name.
    """
    thai = frame["name_th"].fillna("").astype(str).str.strip()
    if (thai != "").any():
        return frame.assign(name=thai)
    return frame.assign(name=frame["name_en"].fillna("").astype(str).str.strip())


def zone_names(
    situation: DengueSituation,
    zone_ids: Collection[int],
    *,
    roads: gpd.GeoDataFrame | None = None,
    published: gpd.GeoDataFrame | None = None,
) -> dict[int, ZoneName]:
    """The names of the given zones of the situation, by zone id.

    Names come from the published outlines (`published_zone_outlines`), never the exact ones:
    the name is printed and exported, and which street runs longest through the exact circle
    would point at the case house. `published` passes those outlines when already made.
    """
    zones = situation.zones[situation.zones["zone_id"].isin(list(zone_ids))]
    if zones.empty:
        return {}
    if published is None:
        published = _published_zones(situation, zones)
    srid = situation.zones.crs
    if roads is None:
        roads = road_frame(municipality=situation.municipality).to_crs(srid)
    subdistricts = subdistrict_frame(municipality=situation.municipality).to_crs(srid)
    streets = main_road_names(published.geometry, roads=_names_frame(roads), name_col="name")
    places = containing_names(
        published.geometry.centroid, areas=_names_frame(subdistricts), name_col="name"
    )
    return {
        int(zone_id): ZoneName(number=int(number), road=short_road_name(road), subdistrict=place)
        for zone_id, number, road, place in zip(
            published["zone_id"], published["number"], streets, places, strict=True
        )
    }


def cluster_names(
    situation: DengueSituation, clusters: list[ClusterSummary]
) -> dict[int, ClusterName]:
    """The names of the given clusters, by cluster id: nearest landmark and subdistrict."""
    if not clusters:
        return {}
    srid = situation.cases.crs
    areas = gpd.GeoSeries([c.area for c in clusters], crs=srid)
    subdistricts = subdistrict_frame(municipality=situation.municipality).to_crs(srid)
    marks = nearest_names(areas, places=_names_frame(situation.landmarks), name_col="name")
    places = containing_names(areas.centroid, areas=_names_frame(subdistricts), name_col="name")
    return {
        c.cluster_id: ClusterName(
            place=name if distance <= CLUSTER_PLACE_WITHIN_M else "",
            distance_m=distance,
            subdistrict=place,
        )
        for c, (name, distance), place in zip(clusters, marks, places, strict=True)
    }


# --- Clusters and the epidemic curve -----------------------------------------------------------


def cluster_summaries(situation: DengueSituation) -> list[ClusterSummary]:
    """Clusters of the situation, newest first; active while the zone rule keeps them open.

    Cached beside the situation's frames (same municipality, tier and versions) when they are.
    """

    def compute() -> list[ClusterSummary]:
        return _cluster_summaries(
            situation.cases,
            landmarks=situation.landmarks,
            as_of=situation.on,
            distance_m=CLUSTER_DISTANCE_M,
            active_days=ZONE_ACTIVE_DAYS,
        )

    if not situation.cache_key:
        return compute()
    key = result_key(
        "dengue-clusters",
        municipality_id=situation.municipality.pk,
        tier="exact",
        version=situation.cache_key,
    )
    return cached_result(key, compute)


def epi_curve(situation: DengueSituation, *, weeks: int = 52) -> list[tuple[date, int]]:
    """Cases per epidemiological week of onset (Sunday to Saturday), the last `weeks` weeks."""
    curve = _epi_curve(situation.cases["onset_date"], last_day=situation.on, weeks=weeks)
    return [(start, int(n)) for start, n in zip(curve["week_start"], curve["n_cases"], strict=True)]


# --- 3-3-1 timers ------------------------------------------------------------------------------


def timers_now(on: date) -> datetime:
    """The moment 3-3-1 timers are read at for the situation on `on`: now, or the end of `on`."""
    now = timezone.now()
    if on >= timezone.localdate(now):
        return now
    return datetime.combine(
        on + timedelta(days=1), time(0, 0), tzinfo=timezone.get_current_timezone()
    )


def case_timers(situation: DengueSituation, *, now: datetime) -> list[CaseTimers]:
    """3-3-1 timers of the cases reported in the last 28 days up to `situation.on`, at `now`.

    `now` is the moment the timers are read at: the current time for today, the end of the
    day for a past date (see `timers_now`). The rule, as far as the data can tell it, is
    `analysis.dengue.timers`; the deadlines are in the current time zone, and spraying counts
    the rounds done in each case's zone (under any key of its cases).
    """
    spray_days = {
        int(zone_id): [r.done_on for r in situation.rounds_of_zone(int(zone_id)) if r.done_on]
        for zone_id in situation.zones["zone_id"]
    }
    # A case marked sprayed (its 3-3-1 step) counts as a round done in its zone that day.
    for zone_id, sprayed_at in zip(
        situation.cases["zone_id"], situation.cases["sprayed_at"], strict=True
    ):
        if sprayed_at is not None and not pd.isna(sprayed_at):
            local_day = pd.Timestamp(sprayed_at).tz_convert(timezone.get_current_timezone()).date()
            spray_days.setdefault(int(zone_id), []).append(local_day)
    return _case_timers(
        situation.cases,
        on=situation.on,
        now=now,
        tz=timezone.get_current_timezone(),
        spray_days_by_zone=spray_days,
    )


# --- The spray plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneVisit:
    """What a spray team covers in a zone: its outline, streets, households and landmarks."""

    key: str
    name: ZoneName
    geometry: object
    """Zone outline in the municipality's metric CRS."""
    area_m2: float
    n_households: int
    streets: list[str]
    unnamed_streets: int
    landmarks: list[tuple[str, str]]
    """(name, category), sorted by category then name."""


@dataclass(frozen=True)
class PlannedRound:
    """A zone on the plan of a date, with the round to do: due that day, overdue, or done."""

    zone: ZoneVisit
    zone_id: int
    round_number: int
    planned_date: date
    status: str
    """"due" (planned for the plan's date), "overdue" (planned earlier, not recorded) or "done"."""
    done: SprayRound | None
    n_cases: int
    missed: tuple[tuple[int, date], ...] = ()
    """Earlier rounds of the cycle not recorded either: (round number, planned date)."""
    recorded: tuple[SprayRound, ...] = ()
    """Rounds of the zone's current cycle recorded as done, in round order."""
    next_due: tuple[int, date] | None = None
    """The round a team records next: the first of the cycle not done (None: all done)."""


@dataclass(frozen=True)
class SprayPlan:
    on: date
    round_days: tuple[int, ...]
    rounds: list[PlannedRound]
    radius_m: int
    n_sprayed: int = 0
    """Rounds sprayed as the plan of `on` counts them: recorded as done on `on` (any round,
    missed ones too, withdrawn ones aside), or the done round a zone is on the plan for."""

    def count(self, status: str) -> int:
        """Zones on the plan with this status ("due", "overdue" or "done")."""
        return sum(1 for entry in self.rounds if entry.status == status)


def _zone_rounds(situation: DengueSituation, zone) -> list[CycleRound[SprayRound]]:
    """(round number, planned date, recorded round or None) of the zone's current cycle."""
    return round_cycle(
        anchor=zone.anchor,
        round_days=situation.round_days,
        recorded=situation.rounds_of_zone(int(zone.zone_id)),
    )


def zone_landmarks(situation: DengueSituation) -> dict[int, list[tuple[str, str]]]:
    """(name, category) of the landmarks inside each active zone, by zone id."""
    zones = situation.active_zones
    if zones.empty or situation.landmarks.empty:
        return {}
    out: dict[int, list[tuple[str, str]]] = {}
    for row in zone_features(zones, situation.landmarks).itertuples():
        out.setdefault(int(row.zone_id), []).append(
            (row.name_th or row.name_en or "", row.category)
        )
    return out


def zone_round_cycle(situation: DengueSituation, key: str) -> list[CycleRound[SprayRound]] | None:
    """The current cycle of rounds of the zone named by `key` (None if no such zone)."""
    zone_id = zone_id_for_key(situation, key)
    if zone_id is None:
        return None
    zone = next(situation.zones[situation.zones["zone_id"] == zone_id].itertuples())
    return _zone_rounds(situation, zone)


def published_zone_outlines(situation: DengueSituation, zone_ids: list[int]) -> gpd.GeoDataFrame:
    """Outlines of zones as printed and exported: they cover the rule, not the case houses.

    Each case's circle is widened and moved at random (keyed by the masking secret and the
    case, so a reprint matches) so that at least `ZONE_HIDE_AMONG` households could have been
    the case house; see `analysis.dengue.cover` and docs/decisions/0001.
    """
    cases = situation.cases[situation.cases["zone_id"].isin(zone_ids)]
    municipality = situation.municipality
    srid = situation.zones.crs
    subdistricts = list(subdistrict_frame(municipality=municipality).to_crs(srid).geometry)
    boundary = boundary_frame(municipality=municipality).to_crs(srid).geometry.iloc[0]
    areas = [next((a for a in subdistricts if a.contains(p)), boundary) for p in cases.geometry]
    return covering_zones(
        cases,
        zone_col="zone_id",
        keys=[str(i) for i in cases["id"]],
        secret=(settings.MUEANG_MASK_SECRET or settings.SECRET_KEY).encode(),
        households=situation.households.geometry,
        areas=gpd.GeoSeries(areas, crs=srid),
        radius_m=situation.radius_m,
        k=ZONE_HIDE_AMONG,
    )


def _published_zones(situation: DengueSituation, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`zones` with the published outlines, their areas and the households inside them."""
    outlines = published_zone_outlines(situation, [int(z) for z in zones["zone_id"]])
    by_zone = dict(zip(outlines["zone_id"], outlines.geometry, strict=True))
    geometry = gpd.GeoSeries(
        [by_zone[z] for z in zones["zone_id"]], index=zones.index, crs=zones.crs
    )
    homes = situation.households.geometry.centroid
    x, y = homes.x.to_numpy(), homes.y.to_numpy()
    return zones.set_geometry(geometry).assign(
        area_m2=geometry.area,
        n_households=[int(shapely.contains_xy(g, x, y).sum()) for g in geometry],
    )


def zone_visits(
    situation: DengueSituation, zone_ids: list[int], *, published: bool = False
) -> dict[int, ZoneVisit]:
    """Streets, households and landmarks of the given zones (exact, or as published)."""
    if not zone_ids:
        return {}
    exact = situation.zones[situation.zones["zone_id"].isin(zone_ids)]
    outlines = _published_zones(situation, exact)
    zones = outlines if published else exact
    roads = road_frame(municipality=situation.municipality).to_crs(situation.zones.crs)
    called = zone_names(situation, zone_ids, roads=roads, published=outlines)
    on_roads = zone_features(zones, roads)
    in_zone = zone_features(zones, situation.landmarks)
    visits = {}
    for zone in zones.itertuples():
        streets = on_roads[on_roads["zone_id"] == zone.zone_id]
        names = [(s.name_th or s.name_en or "").strip() for s in streets.itertuples()]
        named = sorted({n for n in names if n})
        marks = in_zone[in_zone["zone_id"] == zone.zone_id]
        visits[int(zone.zone_id)] = ZoneVisit(
            key=zone.key,
            name=called[int(zone.zone_id)],
            geometry=zone.geometry,
            area_m2=float(zone.area_m2),
            n_households=int(zone.n_households),
            streets=named,
            unnamed_streets=sum(1 for n in names if not n),
            landmarks=sorted(
                ((m.name_th or m.name_en or "", m.category) for m in marks.itertuples()),
                key=lambda item: (item[1], item[0]),
            ),
        )
    return visits


def spray_plan(situation: DengueSituation, *, published: bool = False) -> SprayPlan:
    """The zones to spray on `situation.on`: one entry per zone, with the round to do.

    With `published`, the zones are drawn as printed and exported (`published_zone_outlines`):
    for files that leave the health officers' screen.

    Each active zone runs a cycle of rounds counted from its anchor, the latest report date
    inside it (a new case restarts the cycle): round n is planned on anchor + the n-th of the
    municipality's round days (default 0 and 7). A round is done when a `SprayRound` with one
    of the zone's keys, that number and that planned date has a date done.

    A zone is on the plan when the latest round of its cycle planned on or before the date is
    not done: "due" when it is planned for that date, "overdue" when earlier (with the earlier
    rounds not recorded either in `missed`). A zone whose latest round was done stays on the
    plan of that round's planned date and of the day it was done, as "done".
    """
    on = situation.on
    entries: list[tuple] = []
    for zone in situation.active_zones.itertuples():
        cycle = _zone_rounds(situation, zone)
        entry = round_on_plan(cycle, on=on)
        if entry is not None:
            due = next_round_due(cycle)
            entries.append(
                (
                    int(zone.zone_id),
                    entry.round_number,
                    entry.planned_date,
                    entry.status,
                    entry.done,
                    entry.missed,
                    tuple(done for _n, _p, done in cycle if done is not None),
                    (due.number, due.planned_date) if due is not None else None,
                )
            )
    visits = zone_visits(situation, sorted({e[0] for e in entries}), published=published)
    n_cases = dict(zip(situation.zones["zone_id"], situation.zones["n_cases"], strict=True))
    order = {"overdue": 0, "due": 1, "done": 2}
    rounds = [
        PlannedRound(
            zone=visits[zone_id],
            zone_id=zone_id,
            round_number=number,
            planned_date=planned,
            status=status,
            done=done,
            n_cases=int(n_cases[zone_id]),
            missed=missed,
            recorded=recorded,
            next_due=next_due,
        )
        for zone_id, number, planned, status, done, missed, recorded, next_due in entries
    ]
    rounds.sort(key=lambda r: (order[r.status], r.planned_date, r.zone.name.number, r.zone.key))
    return SprayPlan(
        on=on,
        round_days=situation.round_days,
        rounds=rounds,
        radius_m=int(situation.municipality.spray_radius_m),
        n_sprayed=len(
            {r.pk for r in situation.rounds if r.done_on == on}
            | {entry.done.pk for entry in rounds if entry.done is not None}
        ),
    )


@dataclass(frozen=True)
class WorkOrder:
    """A zone's work order for a date: the round to do, the visit list and the map layers.

    Holds no case, no case id and no date of onset: it goes to the spray team.
    """

    zone: ZoneVisit
    round_number: int
    planned_date: date
    done: SprayRound | None
    active: bool
    closes_on: date
    roads: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    landmarks: gpd.GeoDataFrame


def zone_id_for_key(situation: DengueSituation, key: str) -> int | None:
    """The zone (of the situation) holding the case a key was derived from, if any."""
    for zone_id, keys in zip(situation.zones["zone_id"], situation.zones["keys"], strict=True):
        if key in keys:
            return int(zone_id)
    return None


def work_order(situation: DengueSituation, key: str, *, margin_m: float = 40.0) -> WorkOrder | None:
    """The work order of the zone named by `key` on `situation.on` (None if no such zone).

    The round shown is the one the plan shows (the latest planned on or before the date);
    when that one is done, the next round of the cycle, if any. The zone is the published one
    (`published_zone_outlines`): the paper does not point at a case house.
    """
    zone_id = zone_id_for_key(situation, key)
    if zone_id is None:
        return None
    zone = next(situation.zones[situation.zones["zone_id"] == zone_id].itertuples())
    chosen = round_to_show(_zone_rounds(situation, zone), on=situation.on)
    visit = zone_visits(situation, [zone_id], published=True)[zone_id]
    frame = shapely.box(*shapely.buffer(visit.geometry, margin_m).bounds)
    roads = road_frame(municipality=situation.municipality).to_crs(situation.zones.crs)
    roads = roads[roads.intersects(frame)].copy()
    roads["geometry"] = roads.geometry.intersection(frame)
    buildings = situation.households[situation.households.intersects(frame)]
    landmarks = situation.landmarks[situation.landmarks.intersects(visit.geometry)]
    return WorkOrder(
        zone=visit,
        round_number=chosen[0],
        planned_date=chosen[1],
        done=chosen[2],
        active=bool(zone.active),
        closes_on=pd.Timestamp(zone.closes_on).date(),
        roads=roads,
        buildings=buildings,
        landmarks=landmarks.sort_values(["category", "name_th"]),
    )


# --- The recommended radius --------------------------------------------------------------------


def dengue_radius_evidence(*, municipality: Municipality, known_on: date) -> dict:
    """The advised radius, its out-of-sample backtest and the cost of each option, as plain values.

    Runs `recommended_radius` (199 permutations, fixed seed), `radius_costs`,
    `rolling_backtest` (the municipality's round days, spraying counted from the report date,
    zones clipped to its boundary) and `radius_advice` on all cases known on `known_on`. The
    result is cached for a few minutes per municipality and data version, so the page stays
    fast and the answer stable.
    """
    round_days = spray_round_days(municipality)
    key = result_key(
        "dengue-radius",
        municipality_id=municipality.pk,
        tier="exact",
        version=layer_versions(municipality_id=municipality.pk, layers=["cases", "buildings"]),
        extra=[
            f"{known_on:%Y%m%d}",
            ",".join(map(str, round_days)),
            str(RADIUS_PERMUTATIONS),
            str(RADIUS_SEED),
            str(municipality.metric_srid),
        ],
    )
    return cached_result(
        key,
        lambda: dengue_radius_compute(municipality=municipality, known_on=known_on),
        timeout=RADIUS_CACHE_SECONDS,
    )


def dengue_radius_compute(
    *,
    municipality: Municipality,
    known_on: date,
    radii_m: tuple[float, ...] = RADIUS_OPTIONS_M,
    permutations: int = RADIUS_PERMUTATIONS,
    seed: int = RADIUS_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """What `dengue_radius_evidence` returns, computed afresh for the given options.

    `radii_m` are the options costed and backtested (the policy and the 80% and 90% radii
    are added); `progress(done, total)` counts the ring analysis' permutations, then the costs
    and the backtest (weighed as `permutations // 50` and ten times that reshuffles).
    """
    srid = municipality.metric_srid
    # Read-only analysis: on the replica when one is configured and current (layers/replica.py).
    with replica_reads(municipality_ids=[municipality.pk]):
        cases = dengue_case_frame_known_on(municipality=municipality, known_on=known_on)
        households = household_frame(municipality=municipality).to_crs(srid)
        boundary = _metric_boundary(municipality)
    cases = cases.to_crs(srid)
    cases["onset_date"] = pd.to_datetime(cases["onset_date"])
    cases["report_date"] = pd.to_datetime(cases["report_date"])
    round_days = spray_round_days(municipality)
    stage = max(1, permutations // 50)
    total = permutations + 11 * stage
    done = 0

    def permuted(n: int) -> None:  # the ring analysis reports each batch of reshuffles
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    recommendation = recommended_radius(
        cases, permutations=permutations, seed=seed, progress=permuted if progress else None
    )
    costs = radius_costs(
        cases,
        households,
        radii_m=tuple(radii_m),
        recommendation=recommendation,
        active_days=ZONE_ACTIVE_DAYS,
    )
    if progress is not None:
        progress(permutations + stage, total)
    backtest = rolling_backtest(
        cases,
        households,
        radii_m=tuple(float(r) for r in costs["radius_m"]),
        round_days=round_days,
        report_col="report_date",
        seed=seed,
        boundary=boundary,
    )
    if progress is not None:
        progress(total, total)
    return {
        "recommendation": recommendation.to_dict(),
        "advice": radius_advice(recommendation, backtest).to_dict(),
        "costs": _records(costs),
        "backtests": [option.to_dict() for option in backtest.options],
        "backtest": {key: value for key, value in backtest.to_dict().items() if key != "options"},
        "policy_radius_m": POLICY_RADIUS_M,
        "round_days": round_days,
        "first_onset": cases["onset_date"].min().date() if len(cases) else None,
        "last_onset": cases["onset_date"].max().date() if len(cases) else None,
    }


def _metric_boundary(municipality: Municipality):
    """The municipality's boundary in its metric CRS (None when it has none)."""
    boundary = boundary_frame(municipality=municipality)
    if boundary.empty:
        return None
    return boundary.to_crs(municipality.metric_srid).geometry.union_all()


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict("records"):
        out.append(
            {
                k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in row.items()
            }
        )
    return out


# --- Recorded rounds and the case list ---------------------------------------------------------


def spray_round_get(*, municipality: Municipality, round_id: int) -> SprayRound | None:
    """A round recorded in the municipality (withdrawn ones too), or None."""
    return (
        SprayRound.objects.filter(municipality=municipality, pk=round_id)
        .select_related("recorded_by")
        .first()
    )


def spray_round_changes(spray_round: SprayRound) -> list[SprayRoundChange]:
    """The corrections and the withdrawal of a round, oldest first."""
    return list(spray_round.changes.order_by("at", "id"))


def next_round_due(cycle: list[CycleRound[SprayRound]]) -> CycleRound[SprayRound] | None:
    """The round a team records next: the first of the cycle not done (round 1 when none is)."""
    for entry in cycle:
        if entry.done is None:
            return entry
    return None


@dataclass(frozen=True)
class CaseFilters:
    """The case list's search and filters, as parsed from the query string."""

    search: str = ""
    epi_week: date | None = None
    """The Sunday starting the epidemiological week of onset."""
    subdistrict_id: int | None = None
    status: str = ""
    newest_first: bool = True


def case_list(*, municipality: Municipality, filters: CaseFilters):
    """The municipality's cases, filtered and sorted by onset (a queryset for the paginator).

    The search matches the case code (id in source), the case number and the subdistrict's
    names; personal fields are never searched (they are encrypted, and a list is no reason to
    decrypt them).
    """
    cases = DengueCase.objects.filter(municipality=municipality).select_related("subdistrict")
    text = filters.search.strip()
    if text:
        match = (
            Q(source_id__icontains=text)
            | Q(subdistrict__name_th__icontains=text)
            | Q(subdistrict__name_en__icontains=text)
        )
        number = text.removeprefix("#")
        if number.isascii() and number.isdigit() and len(number) < 12:
            match |= Q(pk=int(number))
        cases = cases.filter(match)
    if filters.epi_week is not None:
        cases = cases.filter(
            onset_date__gte=filters.epi_week, onset_date__lt=filters.epi_week + timedelta(days=7)
        )
    if filters.subdistrict_id is not None:
        cases = cases.filter(subdistrict_id=filters.subdistrict_id)
    if filters.status:
        cases = cases.filter(status=filters.status)
    order = ("-onset_date", "-id") if filters.newest_first else ("onset_date", "id")
    return cases.order_by(*order)


def case_subdistricts(*, municipality: Municipality) -> list[tuple[int, str]]:
    """(id, Thai name) of the municipality's subdistricts, for the case list's filter."""
    return list(municipality.subdistrict_set.order_by("name_th").values_list("id", "name_th"))


def buildings_matching(*, municipality: Municipality, text: str, limit: int = 20) -> list[Building]:
    """Buildings whose house name or number, or id in source, matches `text` (exact first)."""
    text = text.strip()
    if not text:
        return []
    exact = Q(name_th__iexact=text) | Q(name_en__iexact=text) | Q(source_id__iexact=text)
    found = list(
        Building.objects.filter(municipality=municipality).filter(exact).order_by("id")[:limit]
    )
    if found:
        return found
    near = Q(name_th__icontains=text) | Q(name_en__icontains=text) | Q(source_id__icontains=text)
    return list(
        Building.objects.filter(municipality=municipality).filter(near).order_by("id")[:limit]
    )
