"""Reads behind the analysis processes (OGC API - Processes, run as background jobs).

Each function computes what a page computes, for the inputs a script sends, and returns plain
JSON-ready values without personal data: spray zones (outlines, what to cover, the rounds),
flood exposure (counts and lengths like `python -m analysis flood-exposure --json`). Callers
check the role first (the spray plan holds zone outlines around case houses).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date

import geopandas as gpd
import shapely

from analysis.flood import (
    Hazard,
    aggregation_labels,
    exposure_summary,
    feature_exposure,
    road_exposure,
    summary_by_area,
    zones_from_classes,
)
from analysis.flood._common import geometry_kind
from layers import selectors
from layers.dengue import selectors as dengue
from layers.flood import selectors as flood
from layers.models import WGS84, Municipality
from layers.registry import FLOOD_EXPOSURE, LayerMap, LayerNames, layers_with

Progress = Callable[[int, int, str], None]

#: The exposure layers of the flood-exposure process, in the order they are computed.
EXPOSURE_LAYERS = LayerNames(lambda: [layer.name for layer in layers_with(flood=FLOOD_EXPOSURE)])
#: Type field of each exposure layer (`by_type` counts the affected features by it).
EXPOSURE_TYPE_FIELDS: LayerMap[str] = LayerMap(
    lambda: {layer.name: layer.type_field for layer in layers_with(flood=FLOOD_EXPOSURE)}
)


def _no_progress(done: int, total: int, message: str) -> None:
    return None


# --- Spray plan --------------------------------------------------------------------------------


def spray_plan_outputs(
    *,
    municipality: Municipality,
    on: date,
    radius_m: float,
    round_days: tuple[int, ...],
    case_ids: list[int] | None = None,
    reported_from: date | None = None,
    progress: Progress = _no_progress,
    labels: dict[str, str] | None = None,
) -> dict:
    """Spray zones of the chosen cases on `on` with their rounds, as the spray plan page plans them.

    The cases are those reported by `on` (and from `reported_from`, or only `case_ids`). Every
    zone of those cases is listed (open or closed on `on`) with its cycle of rounds counted from
    its latest report; `plan_status` is what the plan of `on` says of it ("due", "overdue",
    "done" or null when it is not on that plan). Outlines are in EPSG:4326; no case, case id
    or personal field is in the output.
    """
    labels = labels or {}
    steps = 4
    progress(0, steps, labels.get("cases", "cases"))
    situation = dengue.dengue_situation(
        municipality=municipality,
        on=on,
        radius_m=radius_m,
        round_days=round_days,
        case_ids=case_ids,
        reported_from=reported_from,
    )
    progress(1, steps, labels.get("plan", "plan"))
    plan = dengue.spray_plan(situation)
    on_plan = {entry.zone_id: entry for entry in plan.rounds}
    progress(2, steps, labels.get("visits", "visits"))
    zones = situation.zones
    # An export: the zones as published, which do not point at case houses.
    visits = dengue.zone_visits(situation, [int(z) for z in zones["zone_id"]], published=True)
    progress(3, steps, labels.get("outlines", "outlines"))
    outlines = [visits[int(z)].geometry for z in zones["zone_id"]]
    outlines = gpd.GeoSeries(outlines, crs=zones.crs).to_crs(WGS84)
    outlines = shapely.set_precision(outlines.values, 1e-6)
    features = []
    for zone, outline in zip(zones.itertuples(), outlines, strict=True):
        zone_id = int(zone.zone_id)
        visit = visits[zone_id]
        entry = on_plan.get(zone_id)
        rounds = [
            {
                "round_number": number,
                "planned_date": planned.isoformat(),
                "done_on": done.done_on.isoformat() if done else None,
                "team": done.team if done else None,
            }
            for number, planned, done in dengue.zone_round_cycle(situation, zone.key) or []
        ]
        features.append(
            {
                "type": "Feature",
                "id": visit.key,
                "geometry": json.loads(shapely.to_geojson(outline)),
                "properties": {
                    "zone_key": visit.key,
                    "zone_name": str(visit.name),
                    "zone_number": visit.name.number,
                    "n_cases": int(zone.n_cases),
                    "first_onset": zone.first_onset.date().isoformat(),
                    "last_onset": zone.last_onset.date().isoformat(),
                    "closes_on": zone.closes_on.date().isoformat(),
                    "active": bool(zone.active),
                    "area_m2": round(visit.area_m2, 1),
                    "n_households": visit.n_households,
                    "streets": visit.streets,
                    "unnamed_streets": visit.unnamed_streets,
                    "landmarks": [{"name": n, "category": c} for n, c in visit.landmarks],
                    "rounds": rounds,
                    "plan_status": entry.status if entry else None,
                    "plan_round": entry.round_number if entry else None,
                },
            }
        )
    features.sort(key=lambda f: (f["properties"]["first_onset"], f["id"]))
    progress(steps, steps, labels.get("done", "done"))
    return {
        "plan_date": on.isoformat(),
        "radius_m": radius_m,
        "round_days": list(round_days),
        "n_cases": len(situation.cases),
        "zones": {"type": "FeatureCollection", "features": features},
    }


# --- Flood exposure ----------------------------------------------------------------------------


def _zones_hazard(municipality: Municipality, options: dict) -> tuple[Hazard, dict]:
    """The flood zones of one event of the municipality's flood-zone layer, by hazard class."""
    event = options["event"]
    zones = flood.flood_event_zone_frame(municipality=municipality, event=event)
    scheme = flood.flood_scheme(municipality=municipality)
    hazard = zones_from_classes(zones, class_field="hazard_class", scheme=scheme)
    return hazard, {"kind": "zones", "event": event, "zones": len(zones)}


#: Hazard sources by the `hazard` input's value: `(municipality, options) -> (hazard, about)`.
FLOOD_HAZARDS: dict[str, Callable[[Municipality, dict], tuple[Hazard, dict]]] = {
    "zones": _zones_hazard,
}


def flood_event_names(*, municipality: Municipality) -> list[str]:
    """Events of the municipality's flood-zone layer, most recent first."""
    return [event.name for event in flood.flood_event_list(municipality=municipality)]


def _rounded(block: dict) -> dict:
    return {k: _rounded(v) if isinstance(v, dict) else round(float(v), 3) for k, v in block.items()}


def _exposure_frame(municipality: Municipality, layer: str) -> gpd.GeoDataFrame:
    if layer == "roads":
        return selectors.road_frame(municipality=municipality)
    if layer == "landmarks":
        return selectors.landmark_frame(municipality=municipality)
    return flood.household_frame(municipality=municipality)


def flood_exposure_outputs(
    *,
    municipality: Municipality,
    hazard: str,
    options: dict,
    exposures: Sequence[str] = EXPOSURE_LAYERS,
    progress: Progress = _no_progress,
    labels: dict[str, str] | None = None,
) -> dict:
    """Roads, landmarks and buildings under a flood: the JSON of `flood-exposure`, per layer.

    Each exposure has `name`, `geometry` (point, line or polygon), `total`, `affected`,
    `by_class`, `by_type` (affected features by the layer's type field), `no_data`,
    `by_area` (per subdistrict code) and, for lines, `length_m`. Counts only: no household,
    resident or name is in the output. Measured in the municipality's metric CRS, with its
    impassable depth, as the flood pages measure.
    """
    labels = labels or {}
    total = len(exposures) + 1
    progress(0, total, labels.get("hazard", "hazard"))
    hazard_source, about = FLOOD_HAZARDS[hazard](municipality, options)
    scheme = hazard_source.scheme
    crs = municipality.metric_srid
    subdistricts = selectors.subdistrict_frame(municipality=municipality)
    area_field = flood.AGGREGATION_FIELD
    entries = []
    for done, layer in enumerate(exposures, start=1):
        progress(done, total, labels.get(layer, layer))
        frame = _exposure_frame(municipality, layer)
        field = EXPOSURE_TYPE_FIELDS[layer]
        kind = geometry_kind(frame.geometry)
        entry: dict[str, object] = {"name": layer, "geometry": kind, "type_field": field}
        if kind == "line":
            result = road_exposure(frame, hazard=hazard_source, type_field=field, metric_crs=crs)
            summary = result.summary(type_field=field)
            entry.update({k: v for k, v in summary.items() if k != "length_m"})
            entry["no_data"] = 0
            entry["length_m"] = _rounded(summary["length_m"])
            roads = result.roads.assign(
                area=aggregation_labels(
                    frame, aggregation=subdistricts, aggregation_field=area_field, metric_crs=crs
                )
            )
            entry["by_area"] = {
                name: {
                    **exposure_summary(group, scheme=scheme),
                    "length_m": {
                        "total": round(float(group["length_m"].sum()), 3),
                        "affected": round(float(group["wet_length_m"].sum()), 3),
                    },
                }
                for name, group in roads.groupby(roads["area"].fillna("").astype(str))
            }
        else:
            exposed = feature_exposure(
                frame,
                hazard=hazard_source,
                aggregation=subdistricts,
                aggregation_field=area_field,
                metric_crs=crs,
            )
            entry.update(exposure_summary(exposed, scheme=scheme, type_field=field))
            entry["by_area"] = summary_by_area(exposed, scheme=scheme)
        entries.append(entry)
    progress(total, total, labels.get("done", "done"))
    return {
        "hazard": {**about, "metric_crs": f"EPSG:{crs}", **scheme.as_dict()},
        "exposures": entries,
    }
