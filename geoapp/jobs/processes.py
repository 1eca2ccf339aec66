"""The analysis processes (OGC API - Processes): what each takes, who may run it, how it runs.

Each process is also a kind of background job (`geoapp.jobs.queue`): the API's execution
endpoint and the radius page both `submit` it, a worker runs it with progress and cancel, and its
result is the process's outputs. Inputs are checked strictly before anything is queued; a bad
one answers 400 with a message in Thai and in English that names the input and says what to send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoapp.jobs import queue as jobs
from geoapp.web.inputs import (
    EARLIEST_DATE,
    InputError,
    date_input,
    integer_input,
    is_integer,
    is_number,
    list_input,
    number_input,
)
from geoapp.web.permissions import Action
from layers.dengue import selectors as dengue
from layers.jobs import processes as analyses
from layers.models import DengueCase, Municipality
from layers.registry import layer_get

PLAN_DAYS_AHEAD = 60
MAX_CASE_IDS = 10_000
DEFAULT_ROUND_DAYS = (0, 7)  # DDC practice: spray on day 0 and day 7
MIN_PERMUTATIONS = 19  # the test's level (alpha = 0.05) needs at least 1 / alpha - 1
MAX_PERMUTATIONS = 99_999
#: Candidate radii of the page's "backtest every radius" job: 50 to 400 m by 25 m.
FULL_BACKTEST_RADII_M = tuple(float(r) for r in range(50, 401, 25))
FULL_BACKTEST_PERMUTATIONS = 999


# --- Reading inputs ----------------------------------------------------------------------------


def _reject_unknown(inputs: dict, known: set[str]) -> None:
    unknown = sorted(set(inputs) - known - {"municipality"})
    if unknown:
        name = unknown[0]
        allowed = ", ".join(sorted(known | {"municipality"}))
        raise InputError(
            name,
            lambda: (
                _("Unknown input %(name)s; this process takes %(allowed)s.")
                % {"name": name[:60], "allowed": allowed}
            ),
        )


# --- The processes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    """One process: its description (OGC), who may run it and how its inputs are read."""

    id: str
    title: Callable[[], str]
    description: Callable[[], str]
    action: Action
    inputs: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    parse: Callable[[dict, Municipality], dict]
    keywords: tuple[str, ...] = field(default=())


MUNICIPALITY_INPUT = {
    "title": "Municipality",
    "description": "The municipality's code, e.g. nakhon-si-thammarat",
    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    "minOccurs": 1,
    "maxOccurs": 1,
}
DATE_SCHEMA = {"type": "string", "format": "date"}


def _optional(title: str, description: str, schema: dict) -> dict[str, Any]:
    return {
        "title": title,
        "description": description,
        "schema": schema,
        "minOccurs": 0,
        "maxOccurs": 1,
    }


def _parse_spray_plan(inputs: dict, municipality: Municipality) -> dict:
    _reject_unknown(inputs, {"case_ids", "date_from", "date_to", "radius_m", "round_days"})
    today = timezone.localdate()
    latest = today + timedelta(days=PLAN_DAYS_AHEAD)
    on = date_input(inputs.get("date_to"), "date_to", default=today, latest=latest)
    date_from = date_input(inputs.get("date_from"), "date_from", default=EARLIEST_DATE, latest=on)
    if "case_ids" in inputs and "date_from" in inputs:
        raise InputError(
            "case_ids",
            lambda: _("Send either case_ids or a date window (date_from, date_to), not both."),
        )
    case_ids = _case_ids(inputs, municipality, on) if "case_ids" in inputs else None
    radius = number_input(
        inputs.get("radius_m", 100),
        "radius_m",
        default=100,
        low=10,
        high=1000,
        message=gettext_lazy("%(name)s must be a number of metres from %(low)s to %(high)s."),
        strict=True,
    )
    round_days = list_input(
        inputs.get("round_days"),
        "round_days",
        default=DEFAULT_ROUND_DAYS,
        item_ok=lambda v: is_integer(v) and 0 <= v <= 60,
        item_text=lambda: _("whole days from 0 to 60"),
        max_items=5,
    )
    return {
        "on": on.isoformat(),
        "date_from": date_from.isoformat() if "date_from" in inputs else None,
        "case_ids": case_ids,
        "radius_m": radius,
        "round_days": sorted(round_days),
    }


def _case_ids(inputs: dict, municipality: Municipality, on: date) -> list[int]:
    """The case numbers sent, each one of this municipality's cases reported by `on`."""
    case_ids = list_input(
        inputs.get("case_ids"),
        "case_ids",
        default=(),
        item_ok=lambda v: is_integer(v) and 0 < v < 2**63,
        item_text=lambda: _("case numbers"),
        max_items=MAX_CASE_IDS,
    )
    known = set(
        DengueCase.objects.filter(
            municipality=municipality, pk__in=case_ids, report_date__lte=on
        ).values_list("pk", flat=True)
    )
    missing = [pk for pk in case_ids if pk not in known]
    if missing:
        shown = ", ".join(str(pk) for pk in missing[:10])
        raise InputError(
            "case_ids",
            lambda: (
                _(
                    "No case %(ids)s in this municipality was reported by %(date)s; "
                    "check the case numbers or date_to."
                )
                % {"ids": shown, "date": on.isoformat()}
            ),
        )
    return case_ids


def _parse_radius(inputs: dict, municipality: Municipality) -> dict:
    _reject_unknown(inputs, {"known_on", "candidate_radii_m", "permutations", "seed"})
    today = timezone.localdate()
    known_on = date_input(inputs.get("known_on"), "known_on", default=today, latest=today)
    radii = list_input(
        inputs.get("candidate_radii_m"),
        "candidate_radii_m",
        default=dengue.RADIUS_OPTIONS_M,
        item_ok=lambda v: is_number(v) and 10 <= v <= 1000,
        item_text=lambda: _("radii from 10 to 1000 m"),
        max_items=30,
    )
    permutations = integer_input(
        inputs.get("permutations", dengue.RADIUS_PERMUTATIONS),
        "permutations",
        default=dengue.RADIUS_PERMUTATIONS,
        low=MIN_PERMUTATIONS,
        high=MAX_PERMUTATIONS,
        strict=True,
    )
    seed = integer_input(
        inputs.get("seed", dengue.RADIUS_SEED),
        "seed",
        default=dengue.RADIUS_SEED,
        low=0,
        high=2**32 - 1,
        strict=True,
    )
    return {
        "known_on": known_on.isoformat(),
        "radii_m": sorted(float(r) for r in radii),
        "permutations": permutations,
        "seed": seed,
    }


def _parse_flood_exposure(inputs: dict, municipality: Municipality) -> dict:
    _reject_unknown(inputs, {"hazard", "event", "exposures"})
    hazard = inputs.get("hazard", "zones")
    if hazard not in analyses.FLOOD_HAZARDS:
        kinds = ", ".join(analyses.FLOOD_HAZARDS)
        raise InputError(
            "hazard",
            lambda: _("hazard must be one of: %(kinds)s.") % {"kinds": kinds},
        )
    events = analyses.flood_event_names(municipality=municipality)
    event = inputs.get("event")
    if event is None:
        if not events:
            raise InputError(
                "event",
                lambda: _("This municipality has no flood zones yet; import a flood layer first."),
            )
        event = events[0]
    if not isinstance(event, str) or event not in events:
        shown = ", ".join(events[:10]) or "-"
        raise InputError(
            "event",
            lambda: (
                _("event must name one of this municipality's flood events: %(events)s.")
                % {"events": shown}
            ),
        )
    exposures = list_input(
        inputs.get("exposures"),
        "exposures",
        default=analyses.EXPOSURE_LAYERS,
        item_ok=lambda v: v in analyses.EXPOSURE_LAYERS,
        item_text=lambda: ", ".join(analyses.EXPOSURE_LAYERS),
        max_items=len(analyses.EXPOSURE_LAYERS),
    )
    ordered = [layer for layer in analyses.EXPOSURE_LAYERS if layer in exposures]
    return {"hazard": hazard, "event": event, "exposures": ordered}


def _radius_result_url(job) -> str | None:
    return reverse("dengue-radius", args=[job.municipality.code]) + f"?job={job.pk}"


FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"type": "object"}},
    },
}
EXPOSURE_ENTRY = {
    "type": "object",
    "required": ["name", "geometry", "total", "affected", "by_class", "by_type"],
    "properties": {
        "name": {"type": "string"},
        "geometry": {"type": "string", "enum": ["point", "line", "polygon"], "nullable": True},
        "total": {"type": "integer", "minimum": 0},
        "affected": {"type": "integer", "minimum": 0},
        "by_class": {"type": "object", "additionalProperties": {"type": "integer"}},
        "by_type": {"type": "object", "additionalProperties": {"type": "integer"}},
        "no_data": {"type": "integer"},
        "by_area": {"type": "object"},
        "length_m": {
            "type": "object",
            "properties": {
                "total": {"type": "number"},
                "affected": {"type": "number"},
                "impassable": {"type": "number"},
                "by_class": {"type": "object"},
            },
        },
    },
}

PROCESSES: dict[str, Process] = {
    "spray-plan": Process(
        id="spray-plan",
        title=lambda: _("Spray plan"),
        description=lambda: _(
            "Spray zones around the chosen dengue cases (merged where they overlap) with their "
            "rounds, streets, households and landmarks. No case or personal data in the output."
        ),
        action=Action.VIEW_CASES_EXACT,
        keywords=("dengue", "spraying"),
        inputs={
            "municipality": MUNICIPALITY_INPUT,
            "case_ids": _optional(
                "Case numbers",
                "Plan for these cases only (not with date_from)",
                {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1},
                    "minItems": 1,
                    "maxItems": MAX_CASE_IDS,
                    "uniqueItems": True,
                },
            ),
            "date_from": _optional(
                "Reported from", "Cases reported on or after this date", DATE_SCHEMA
            ),
            "date_to": _optional(
                "Plan date",
                "Cases reported by this date; the plan is for this date (default today)",
                DATE_SCHEMA,
            ),
            "radius_m": _optional(
                "Spray radius (m)",
                "Around each case house (default 100)",
                {"type": "number", "minimum": 10, "maximum": 1000, "default": 100},
            ),
            "round_days": _optional(
                "Round days",
                "Days after the latest report in a zone (default day 0 and day 7)",
                {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 60},
                    "minItems": 1,
                    "maxItems": 5,
                    "uniqueItems": True,
                    "default": list(DEFAULT_ROUND_DAYS),
                },
            ),
        },
        outputs={
            "summary": {"title": "Plan summary", "schema": {"type": "object"}},
            "zones": {
                "title": "Spray zones (EPSG:4326)",
                "schema": {**FEATURE_COLLECTION, "contentMediaType": "application/geo+json"},
            },
        },
        parse=_parse_spray_plan,
    ),
    "recommended-radius": Process(
        id="recommended-radius",
        title=lambda: _("Recommended spray radius"),
        description=lambda: _(
            "The spray radius this municipality's own case history supports (excess case pairs "
            "one generation apart), the cost of each candidate radius and its backtest."
        ),
        action=Action.VIEW_CASES_EXACT,
        keywords=("dengue", "spraying", "backtest"),
        inputs={
            "municipality": MUNICIPALITY_INPUT,
            "known_on": _optional(
                "Cases known on", "Use the cases reported by this date (default today)", DATE_SCHEMA
            ),
            "candidate_radii_m": _optional(
                "Candidate radii (m)",
                "Radii to cost and backtest besides the recommended ones",
                {
                    "type": "array",
                    "items": {"type": "number", "minimum": 10, "maximum": 1000},
                    "minItems": 1,
                    "maxItems": 30,
                    "uniqueItems": True,
                    "default": list(dengue.RADIUS_OPTIONS_M),
                },
            ),
            "permutations": _optional(
                "Permutations",
                "Random reshuffles of the onset dates for the envelope and the test",
                {
                    "type": "integer",
                    "minimum": MIN_PERMUTATIONS,
                    "maximum": MAX_PERMUTATIONS,
                    "default": dengue.RADIUS_PERMUTATIONS,
                },
            ),
            "seed": _optional(
                "Seed",
                "The same data and seed give the same answer",
                {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 2**32 - 1,
                    "default": dengue.RADIUS_SEED,
                },
            ),
        },
        outputs={
            "recommendation": {"title": "Recommendation", "schema": {"type": "object"}},
            "costs": {"title": "Cost of each radius", "schema": {"type": "array"}},
            "advice": {"title": "The advised radius", "schema": {"type": "object"}},
            "backtests": {"title": "Backtest of each radius", "schema": {"type": "array"}},
            "backtest": {"title": "Backtest summary", "schema": {"type": "object"}},
            "policy_radius_m": {"title": "Policy radius (m)", "schema": {"type": "number"}},
            "round_days": {"title": "Round days", "schema": {"type": "array"}},
            "first_onset": {"title": "First onset", "schema": {**DATE_SCHEMA, "nullable": True}},
            "last_onset": {"title": "Last onset", "schema": {**DATE_SCHEMA, "nullable": True}},
        },
        parse=_parse_radius,
    ),
    "flood-exposure": Process(
        id="flood-exposure",
        title=lambda: _("Flood exposure"),
        description=lambda: _(
            "Roads, landmarks and buildings under a flood: counts by hazard class and type, road "
            "lengths, per subdistrict. Counts only: no household data in the output."
        ),
        action=Action.VIEW_FLOOD,
        keywords=("flood", "exposure"),
        inputs={
            "municipality": MUNICIPALITY_INPUT,
            "hazard": _optional(
                "Hazard",
                "zones: the municipality's flood-zone layer (one event)",
                {"type": "string", "enum": sorted(analyses.FLOOD_HAZARDS), "default": "zones"},
            ),
            "event": _optional(
                "Flood event",
                "The event of the flood-zone layer (default the most recent)",
                {"type": "string", "minLength": 1},
            ),
            "exposures": _optional(
                "Exposure layers",
                "Default all: roads, landmarks, buildings",
                {
                    "type": "array",
                    "items": {"type": "string", "enum": list(analyses.EXPOSURE_LAYERS)},
                    "minItems": 1,
                    "maxItems": len(analyses.EXPOSURE_LAYERS),
                    "uniqueItems": True,
                },
            ),
        },
        outputs={
            "hazard": {"title": "Hazard", "schema": {"type": "object"}},
            "exposures": {
                "title": "Exposure per layer",
                "schema": {"type": "array", "items": EXPOSURE_ENTRY},
            },
        },
        parse=_parse_flood_exposure,
    ),
}


def process_get(process_id: str) -> Process | None:
    """The process called `process_id`, or None."""
    return PROCESSES.get(process_id)


# --- Running them as jobs ----------------------------------------------------------------------


def _progress(ctx: jobs.JobContext):
    def report(done: int, total: int, message: str | None = None) -> None:
        ctx.progress(done, total, message)

    return report


@jobs.register("spray-plan", title=lambda: _("Spray plan"), action=Action.VIEW_CASES_EXACT)
def spray_plan_job(ctx: jobs.JobContext, params: dict) -> dict:
    """Plan spray zones and rounds for the chosen cases."""
    result = analyses.spray_plan_outputs(
        municipality=ctx.municipality,
        on=date.fromisoformat(params["on"]),
        radius_m=float(params["radius_m"]),
        round_days=tuple(params["round_days"]),
        case_ids=params.get("case_ids"),
        reported_from=date.fromisoformat(params["date_from"]) if params.get("date_from") else None,
        progress=_progress(ctx),
        labels={
            "cases": _("Reading the cases"),
            "plan": _("Drawing the zones and their rounds"),
            "visits": _("Listing streets, households and landmarks"),
            "outlines": _("Writing the zone outlines"),
            "done": _("Done"),
        },
    )
    zones = result.pop("zones")
    return {"summary": {**result, "n_zones": len(zones["features"])}, "zones": zones}


@jobs.register(
    "recommended-radius",
    title=lambda: _("Recommended spray radius"),
    action=Action.VIEW_CASES_EXACT,
    result_url=_radius_result_url,
)
def recommended_radius_job(ctx: jobs.JobContext, params: dict) -> dict:
    """The radius evidence with the given candidate radii and permutations."""
    ctx.progress(0, None, _("Reshuffling onset dates"))

    def report(done: int, total: int) -> None:
        # Past the permutations, each step is a radius: few, and each one worth showing.
        backtesting = done >= params["permutations"]
        ctx.progress(done, total, _("Backtesting each radius") if backtesting else None)

    return dengue.dengue_radius_compute(
        municipality=ctx.municipality,
        known_on=date.fromisoformat(params["known_on"]),
        radii_m=tuple(params["radii_m"]),
        permutations=int(params["permutations"]),
        seed=int(params["seed"]),
        progress=report,
    )


@jobs.register("flood-exposure", title=lambda: _("Flood exposure"), action=Action.VIEW_FLOOD)
def flood_exposure_job(ctx: jobs.JobContext, params: dict) -> dict:
    """Exposure of the chosen layers to the flood hazard."""
    return analyses.flood_exposure_outputs(
        municipality=ctx.municipality,
        hazard=params["hazard"],
        options={"event": params["event"]},
        exposures=tuple(params["exposures"]),
        progress=_progress(ctx),
        labels={
            "hazard": _("Reading the flood hazard"),
            **{name: str(layer_get(name).brief_label) for name in analyses.EXPOSURE_LAYERS},
            "done": _("Done"),
        },
    )
