"""Reads for the flood pages: events, the layers as frames, the needs profile, the assessment.

Every read is scoped to one municipality. The assessment (`analysis.flood.flood_assessment` on
the municipality's roads, landmarks, buildings and one event's flood zones) is cached per
municipality, event, layer versions and settings, so the dashboard and the aid list share it
and an edit of any layer or of the needs profile gives a fresh one at once.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import shapely
from django.contrib.postgres.aggregates import BoolOr
from django.db.models import Count, Max, Min

from analysis.flood import (
    BORROWED_DEFAULTS,
    BUILDING_TYPES,
    CURVE_SOURCE,
    DEFAULT_MINIMUM_NEEDS,
    DEFAULT_VALUES_BAHT_PER_M2,
    JRC_ASIA_CURVES,
    DamageCurve,
    DepthRaster,
    FloodAssessment,
    HazardScheme,
    bathtub_flood,
    building_damage,
    damage_summary,
    depth_scheme,
    flood_assessment,
    zones_from_classes,
)
from layers import selectors
from layers.caching import cached_result, layer_versions, result_key
from layers.catalogue.selectors import dataset_frame
from layers.frames import frame_from_queryset
from layers.models import (
    WGS84,
    Building,
    Dataset,
    FloodDamageCurve,
    FloodReplacementValue,
    FloodZone,
    MinimumNeedsProfile,
    Municipality,
)
from layers.rasters import RasterPreview, array_preview, raster_file, raster_preview
from layers.registry import FLOOD_EXPOSURE, FLOOD_HAZARD, LayerNames, layer_list

HOUSEHOLD_FIELDS = (
    "id",
    "name_th",
    "house_number",
    "building_type",
    "levels",
    "population",
    "elderly",
    "bedridden",
    "disabled",
    "infants",
)
#: Layers whose versions (bumped by database triggers on every change) key the cached assessment:
#: those the assessment reads (exposures and the flood zones), by their `layers.history` names.
VERSIONED_LAYERS = LayerNames(
    lambda: [
        layer.tracked_as
        for layer in layer_list()
        if layer.flood in (FLOOD_EXPOSURE, FLOOD_HAZARD) and layer.history
    ]
)
#: The areas the flood is summed over; the code keys them, names are looked up for display.
AGGREGATION_FIELD = "code"
CACHE_SECONDS = 15 * 60


# --- Events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloodEvent:
    """One flood event of the municipality: the flood zones that share an event name."""

    name: str
    zones: int
    observed_from: date | None
    observed_until: date | None
    is_forecast: bool
    classes: tuple[str, ...]


def flood_event_list(*, municipality: Municipality) -> list[FloodEvent]:
    """The municipality's flood events, most recently observed first (undated last)."""
    rows = (
        FloodZone.objects.filter(municipality=municipality)
        .values("event")
        .annotate(
            zones=Count("id"),
            observed_from=Min("observed_date"),
            observed_until=Max("observed_date"),
            forecast=BoolOr("is_forecast"),
        )
        .order_by("event")
    )
    classes: dict[str, set[str]] = {}
    for event, hazard_class in (
        FloodZone.objects.filter(municipality=municipality)
        .values_list("event", "hazard_class")
        .distinct()
    ):
        classes.setdefault(event, set()).add(hazard_class)
    order = {name: rank for rank, name in enumerate(("dry", "low", "medium", "high"))}
    events = [
        FloodEvent(
            name=row["event"],
            zones=row["zones"],
            observed_from=row["observed_from"],
            observed_until=row["observed_until"],
            is_forecast=bool(row["forecast"]),
            classes=tuple(sorted(classes.get(row["event"], ()), key=lambda c: order.get(c, 9))),
        )
        for row in rows
    ]
    events.sort(key=lambda e: e.observed_until or date.min, reverse=True)
    return events


def flood_event_zone_frame(*, municipality: Municipality, event: str) -> gpd.GeoDataFrame:
    """The flood zones of one event."""
    return frame_from_queryset(
        FloodZone.objects.filter(municipality=municipality, event=event).order_by("id"),
        fields=selectors.FLOOD_FIELDS,
    )


def household_frame(*, municipality: Municipality) -> gpd.GeoDataFrame:
    """Buildings with residents and vulnerable members (household-level data: check the role)."""
    frame = frame_from_queryset(
        Building.objects.filter(municipality=municipality).order_by("id"),
        fields=HOUSEHOLD_FIELDS,
    )
    frame["population"] = frame["population"].fillna(0).astype(int)
    return frame


# --- Hazards: flood zones, a depth raster, or a water level over a DEM ----------------------------

ZONES, DEPTH, BATHTUB = "zones", "depth", "bathtub"
HAZARD_KINDS = (ZONES, DEPTH, BATHTUB)
#: Datasets whose features may seed a connected bathtub: flood zones, or a vector file
#: (rivers, canals, drains).
SEED_KINDS = (Dataset.Kind.FLOOD_ZONES, Dataset.Kind.OTHER)


@dataclass(frozen=True)
class HazardChoice:
    """The flood the assessment runs on (DESIGN.md section 3: the three hazard forms).

    `kind` ZONES uses the flood zones of `event`; DEPTH the depth raster dataset `raster`
    (metres); BATHTUB the DEM dataset `dem` flooded to `level_m` metres from the features of
    the dataset `seed` (connected cells only).
    """

    kind: str
    event: str = ""
    raster: Dataset | None = None
    dem: Dataset | None = None
    seed: Dataset | None = None
    level_m: float | None = None

    def key(self) -> str:
        """What identifies the input (datasets by id and checksum or update time)."""

        def of(dataset: Dataset | None) -> str:
            if dataset is None:
                return "-"
            return f"{dataset.pk}:{dataset.source_checksum}:{dataset.updated_at.isoformat()}"

        return "|".join(
            [
                self.kind,
                self.event,
                of(self.raster),
                of(self.dem),
                of(self.seed),
                repr(self.level_m),
            ]
        )

    def query(self) -> dict[str, str]:
        """The query parameters that choose this hazard again (links, exports)."""
        if self.kind == ZONES:
            return {"hazard": ZONES, "event": self.event}
        if self.kind == DEPTH:
            return {"hazard": DEPTH, "raster": self.raster.slug}
        return {
            "hazard": BATHTUB,
            "dem": self.dem.slug,
            "level": f"{self.level_m:g}",
            "seed": self.seed.slug,
        }


def raster_dataset_list(*, municipality: Municipality) -> list[Dataset]:
    """The municipality's raster datasets with a stored file, by title."""
    datasets = Dataset.objects.filter(municipality=municipality, kind=Dataset.Kind.RASTER)
    return [
        d
        for d in datasets.select_related("municipality").order_by("title", "slug")
        if raster_file(dataset=d)
    ]


def seed_dataset_list(*, municipality: Municipality) -> list[Dataset]:
    """Datasets that can seed a bathtub flood: vector files first (drains, canals), then zones."""
    datasets = Dataset.objects.filter(municipality=municipality, kind__in=SEED_KINDS)
    order = {Dataset.Kind.OTHER: 0, Dataset.Kind.FLOOD_ZONES: 1}
    return sorted(
        datasets.select_related("municipality"), key=lambda d: (order[d.kind], d.title, d.slug)
    )


def seed_frame(*, dataset: Dataset) -> gpd.GeoDataFrame:
    """The seed dataset's geometries in EPSG:4326 (flood zones, or a vector file's features)."""
    if dataset.kind == Dataset.Kind.FLOOD_ZONES:
        return frame_from_queryset(
            FloodZone.objects.filter(municipality_id=dataset.municipality_id, dataset=dataset),
            fields=("id",),
        )

    frame = dataset_frame(dataset=dataset)
    return frame[frame.geometry.notna() & ~frame.geometry.is_empty]


# --- The minimum needs profile -----------------------------------------------------------------


@dataclass(frozen=True)
class NeedsProfile:
    """The profile in force: as officers enter it, and per person as the analysis takes it."""

    rice_kg: float
    drinking_water_l: float
    clean_water_l: float
    people_per_family_kit: float
    people_per_toilet: float
    per_person: dict[str, float]
    saved_by: str
    saved_at: datetime | None

    @property
    def is_default(self) -> bool:
        """No profile saved yet: the defaults of `analysis.flood.DEFAULT_MINIMUM_NEEDS`."""
        return self.saved_at is None

    def key(self) -> str:
        """A short fingerprint of the amounts (cache keys)."""
        text = ";".join(f"{k}={v!r}" for k, v in sorted(self.per_person.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _profile_of(row: MinimumNeedsProfile) -> NeedsProfile:
    user = row.saved_by
    return NeedsProfile(
        rice_kg=row.rice_kg,
        drinking_water_l=row.drinking_water_l,
        clean_water_l=row.clean_water_l,
        people_per_family_kit=row.people_per_family_kit,
        people_per_toilet=row.people_per_toilet,
        per_person=row.per_person(),
        saved_by=(user.get_full_name() or user.username) if user is not None else "",
        saved_at=row.saved_at,
    )


def default_needs_profile() -> NeedsProfile:
    """The analysis defaults, in the units of the form (people per kit and per toilet)."""
    d = DEFAULT_MINIMUM_NEEDS
    return NeedsProfile(
        rice_kg=d["rice_kg"],
        drinking_water_l=d["drinking_water_l"],
        clean_water_l=d["clean_water_l"],
        people_per_family_kit=1.0 / d["family_kits"],
        people_per_toilet=1.0 / d["toilets"],
        per_person=dict(d),
        saved_by="",
        saved_at=None,
    )


def needs_profile_current(*, municipality: Municipality) -> NeedsProfile:
    """The newest saved profile of the municipality, else the defaults."""
    row = (
        MinimumNeedsProfile.objects.filter(municipality=municipality)
        .select_related("saved_by")
        .order_by("-saved_at", "-id")
        .first()
    )
    return default_needs_profile() if row is None else _profile_of(row)


def needs_profile_history(*, municipality: Municipality, limit: int = 10) -> list[NeedsProfile]:
    """The latest saved profiles, newest first (who changed what, and when)."""
    rows = (
        MinimumNeedsProfile.objects.filter(municipality=municipality)
        .select_related("saved_by")
        .order_by("-saved_at", "-id")[:limit]
    )
    return [_profile_of(row) for row in rows]


# --- The assessment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FloodSituation:
    """One hazard's assessment and the frames it ran on (all frames in EPSG:4326).

    `key` names this exact input (municipality, hazard, layer versions, settings): what is built
    from the situation alone (the map) may be cached under it. `zones` are the flood zones of
    an event (empty for raster hazards); `depth` is a preview grid of a raster hazard's depths
    (None for zones); `flooded_cells` counts a bathtub's wet cells.
    """

    event: str
    scheme: HazardScheme
    zones: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    landmarks: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    subdistricts: gpd.GeoDataFrame
    assessment: FloodAssessment
    metric_srid: int
    key: str
    hazard: HazardChoice | None = None
    depth: RasterPreview | None = None
    flooded_cells: int | None = None


def flood_scheme(*, municipality: Municipality) -> HazardScheme:
    """The depth classes of DESIGN.md with the municipality's impassable depth."""
    return depth_scheme(impassable_m=float(municipality.impassable_depth_m))


def flood_layers_version(*, municipality: Municipality) -> str:
    """Changes whenever any roads, landmarks, buildings or flood zones of the municipality do."""
    return layer_versions(municipality_id=municipality.pk, layers=VERSIONED_LAYERS)


def _subdistricts_key(frame: gpd.GeoDataFrame) -> str:
    """Subdistricts carry no layer version: fingerprint their codes, names and shapes instead."""
    digest = hashlib.sha256()
    for row in frame.itertuples(index=False):
        digest.update(f"{row.code}|{row.name_th}|{row.name_en}|".encode())
        digest.update(shapely.to_wkb(row.geometry))
    return digest.hexdigest()[:12]


def flood_situation(
    *,
    municipality: Municipality,
    needs: NeedsProfile,
    event: str = "",
    hazard: HazardChoice | None = None,
) -> FloodSituation:
    """Run (or fetch from the cache) the whole flood assessment of one hazard.

    Without `hazard`, the flood zones of `event`. Distances and areas are measured in the
    municipality's metric CRS; a road is impassable from `municipality.impassable_depth_m`.
    Raises ValueError when a bathtub's seed does not touch its DEM.
    """
    hazard = hazard or HazardChoice(kind=ZONES, event=event)
    subdistricts = selectors.subdistrict_frame(municipality=municipality)
    scheme = flood_scheme(municipality=municipality)
    # Every member may see the whole assessment (the aid list's page checks its own role).
    key = result_key(
        "flood-situation",
        municipality_id=municipality.pk,
        tier="members",
        version=flood_layers_version(municipality=municipality),
        extra=[
            hazard.key(),
            _subdistricts_key(subdistricts),
            needs.key(),
            repr(scheme.impassable_m),
            str(municipality.metric_srid),
        ],
    )

    def compute() -> FloodSituation:
        return _flood_situation_compute(
            municipality=municipality,
            hazard=hazard,
            needs=needs,
            scheme=scheme,
            subdistricts=subdistricts,
            key=key,
        )

    return cached_result(key, compute, timeout=CACHE_SECONDS)


def _flood_situation_compute(
    *,
    municipality: Municipality,
    hazard: HazardChoice,
    needs: NeedsProfile,
    scheme: HazardScheme,
    subdistricts: gpd.GeoDataFrame,
    key: str,
) -> FloodSituation:
    """`flood_situation` without the cache."""
    roads = selectors.road_frame(municipality=municipality)
    landmarks = selectors.landmark_frame(municipality=municipality)
    households = household_frame(municipality=municipality)
    common = {
        "roads": roads,
        "landmarks": landmarks,
        "buildings": households,
        "aggregation": subdistricts,
        "aggregation_field": AGGREGATION_FIELD,
        "metric_crs": municipality.metric_srid,
        "needs_profile": needs.per_person,
    }
    zones = _no_zones()
    depth = None
    flooded_cells = None
    if hazard.kind == ZONES:
        zones = flood_event_zone_frame(municipality=municipality, event=hazard.event)
        assessment = flood_assessment(
            hazard=zones_from_classes(zones, class_field="hazard_class", scheme=scheme), **common
        )
    elif hazard.kind == DEPTH:
        path = raster_file(dataset=hazard.raster)
        assessment = flood_assessment(hazard=DepthRaster(path=path, scheme=scheme), **common)
        depth = raster_preview(path)
    else:
        result = bathtub_flood(
            dem=raster_file(dataset=hazard.dem),
            level_m=hazard.level_m,
            seed=seed_frame(dataset=hazard.seed),
            scheme=scheme,
        )
        # The exposure analyses read a depth raster window by window: the bathtub's depths go
        # to a private file for the length of the assessment.
        with tempfile.TemporaryDirectory(prefix="mueang-bathtub-") as directory:
            path = result.write(Path(directory) / "depth.tif")
            assessment = flood_assessment(hazard=DepthRaster(path=path, scheme=scheme), **common)
        depth = array_preview(result.depth_m, transform=result.transform, crs=result.crs)
        flooded_cells = result.flooded_cells
    situation = FloodSituation(
        event=hazard.event,
        scheme=scheme,
        zones=zones,
        roads=roads,
        landmarks=landmarks,
        households=households,
        subdistricts=subdistricts,
        assessment=assessment,
        metric_srid=municipality.metric_srid,
        key=key,
        hazard=hazard,
        depth=depth,
        flooded_cells=flooded_cells,
    )
    return situation


def _no_zones() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"event": [], "hazard_class": []}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84
    )
    return frame


# --- Damage: curves and replacement values in force, damage per building (issue 21) -------------

#: Where the defaults come from (shown on the page beside every default).
VALUES_SOURCE = "Huizinga et al. 2017 (JRC105688): construction cost, Thailand, 2010 € x 42 baht"


@dataclass(frozen=True)
class DamageTypeSettings:
    """The curve and the value per m2 in force for one building type, and who saved them."""

    building_type: str
    curve: DamageCurve
    curve_source: str
    curve_saved_by: str
    curve_saved_at: datetime | None
    baht_per_m2: float
    value_source: str
    value_saved_by: str
    value_saved_at: datetime | None
    borrowed_from: str = ""

    @property
    def curve_is_default(self) -> bool:
        """No curve saved for this type: the JRC Asia default applies."""
        return self.curve_saved_at is None

    @property
    def value_is_default(self) -> bool:
        """No value saved for this type: the JRC construction cost applies."""
        return self.value_saved_at is None


@dataclass(frozen=True)
class DamageSettings:
    """The damage model of a municipality: one `DamageTypeSettings` per building type."""

    types: tuple[DamageTypeSettings, ...]

    def curves(self) -> dict[str, DamageCurve]:
        """Curve per building type, as `analysis.flood.building_damage` takes them."""
        return {t.building_type: t.curve for t in self.types}

    def values(self) -> dict[str, float]:
        """Baht per m2 per building type."""
        return {t.building_type: t.baht_per_m2 for t in self.types}


def _saver(row: FloodDamageCurve | FloodReplacementValue | None) -> str:
    user = row.saved_by if row is not None else None
    return (user.get_full_name() or user.username) if user is not None else ""


def _newest_per_type(model: type, municipality: Municipality) -> dict[str, object]:
    rows = (
        model.objects.filter(municipality=municipality)
        .select_related("saved_by")
        .order_by("building_type", "-saved_at", "-id")
        .distinct("building_type")
    )
    return {row.building_type: row for row in rows}


def damage_settings_current(*, municipality: Municipality) -> DamageSettings:
    """The newest saved curve and value per building type, else the JRC defaults."""
    curves = _newest_per_type(FloodDamageCurve, municipality)
    values = _newest_per_type(FloodReplacementValue, municipality)
    return DamageSettings(
        types=tuple(_type_settings(k, curves.get(k), values.get(k)) for k in BUILDING_TYPES)
    )


def _type_settings(
    kind: str, curve: FloodDamageCurve | None, value: FloodReplacementValue | None
) -> DamageTypeSettings:
    if curve is None:
        points = JRC_ASIA_CURVES[kind]
    else:
        points = DamageCurve(depths_m=tuple(curve.depths_m), fractions=tuple(curve.fractions))
    return DamageTypeSettings(
        building_type=kind,
        curve=points,
        curve_source=CURVE_SOURCE if curve is None else curve.source,
        curve_saved_by=_saver(curve),
        curve_saved_at=None if curve is None else curve.saved_at,
        baht_per_m2=DEFAULT_VALUES_BAHT_PER_M2[kind] if value is None else value.baht_per_m2,
        value_source=VALUES_SOURCE if value is None else value.source,
        value_saved_by=_saver(value),
        value_saved_at=None if value is None else value.saved_at,
        borrowed_from=BORROWED_DEFAULTS.get(kind, "") if curve is None else "",
    )


@dataclass(frozen=True)
class DamageChange:
    """One saved curve or value, for the history list."""

    what: str  # "curve" or "value"
    building_type: str
    text: str
    source: str
    saved_by: str
    saved_at: datetime


def damage_settings_history(*, municipality: Municipality, limit: int = 20) -> list[DamageChange]:
    """The latest saved curves and values, newest first (who changed what, and when)."""
    changes = [
        DamageChange(
            what="curve",
            building_type=row.building_type,
            text=", ".join(
                f"{d:g} m: {f:g}" for d, f in zip(row.depths_m, row.fractions, strict=True)
            ),
            source=row.source,
            saved_by=_saver(row),
            saved_at=row.saved_at,
        )
        for row in FloodDamageCurve.objects.filter(municipality=municipality).select_related(
            "saved_by"
        )[:limit]
    ] + [
        DamageChange(
            what="value",
            building_type=row.building_type,
            text=f"{row.baht_per_m2:,.0f}",
            source=row.source,
            saved_by=_saver(row),
            saved_at=row.saved_at,
        )
        for row in FloodReplacementValue.objects.filter(municipality=municipality).select_related(
            "saved_by"
        )[:limit]
    ]
    changes.sort(key=lambda c: c.saved_at, reverse=True)
    return changes[:limit]


@dataclass(frozen=True)
class FloodDamage:
    """Damage per building of one situation, with its totals.

    `buildings` is `analysis.flood.building_damage` on the assessment's buildings (``area`` is
    the subdistrict code); `summary` is `damage_summary` split by subdistrict (``by_area``).
    """

    buildings: gpd.GeoDataFrame
    summary: dict[str, object]
    settings: DamageSettings


def flood_damage(*, situation: FloodSituation, settings: DamageSettings) -> FloodDamage:
    """Damage per building of the situation's hazard under the municipality's curves and values."""
    buildings = situation.assessment.buildings
    damaged = building_damage(
        buildings,
        scheme=situation.scheme,
        curves=settings.curves(),
        values_baht_per_m2=settings.values(),
        type_field="building_type",
        # A situation cached before the field was read has no levels: one floor each.
        floors_field="levels" if "levels" in buildings.columns else None,
        metric_crs=situation.metric_srid,
    )
    summary = damage_summary(damaged, by="area" if "area" in damaged.columns else None)
    return FloodDamage(buildings=damaged, summary=summary, settings=settings)
