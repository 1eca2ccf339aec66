"""National batch analyses: the pure per-municipality analyses mapped over municipalities.

A national run answers the same question for every municipality (a spray plan, a recommended
radius, the flood exposure of buildings and roads, the larval indices of its surveys), each from
its own layers only, so the work
splits into independent tasks by municipality (``../shared/SCALE.md`` section 3): one function
per analysis takes a `PartitionInput` (one municipality's frames in its metric CRS) and returns
a frame; `run_national` maps it over municipalities in this process or on a Dask distributed
cluster and writes ``DIR/<code>.parquet`` (GeoParquet for geometries) per municipality.

Properties the tests check (``tests/analysis/test_national.py``):

* **Equal results**: a municipality's file does not depend on the engine, the number of
  workers or how municipalities are grouped into tasks: the functions are pure, and the one
  random analysis (the radius permutations) is seeded per municipality from
  ``SeedSequence([seed, municipality_id])``.
* **Resumable**: a municipality whose file exists is skipped; files are written under a
  temporary name and renamed, so a killed task leaves no half file, and a task retried after
  its worker died redoes only what it had not renamed yet.

Larval indices (HI, CI, BI of DESIGN.md section 3): the ``larval`` layer is a plain table (no
geometry) of one municipality's survey rows in the shape `analysis.larval.larval_indices` reads,
and `larval_indices` gives one row per municipality, round and place type (``all`` and each
type surveyed): what a national programme compares (rounds over time, communities by HI and
other places by CI), while houses and places stay with the municipality.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.dengue import recommended_radius, spray_zones, zone_contents
from analysis.flood.exposure import feature_exposure
from analysis.flood.hazard import zones_from_classes
from analysis.flood.roads import road_exposure
from analysis.larval import DDC_CONTAINER_TYPES, ContainerType, RiskThresholds
from analysis.larval import larval_indices as larval_survey_indices

__all__ = [
    "ALL_PLACES",
    "ANALYSES",
    "LARVAL_DTYPES",
    "LARVAL_INDEX_COLUMNS",
    "LAYERS",
    "TABLE_LAYERS",
    "UNAVAILABLE",
    "BatchParams",
    "BatchSummary",
    "Municipality",
    "PartitionInput",
    "SnapshotSource",
    "balanced_groups",
    "flood_exposure",
    "larval_frame",
    "larval_indices",
    "makespan_s",
    "municipality_seed",
    "output_path",
    "radius",
    "run_national",
    "simulated_efficiency",
    "snapshot_index_read",
    "snapshot_index_write",
    "snapshot_write",
    "spray_plan",
]

#: Layers a partition may carry, each a GeoDataFrame in the municipality's metric CRS, except
#: those of `TABLE_LAYERS`.
LAYERS: tuple[str, ...] = ("boundary", "buildings", "roads", "cases", "flood_zones", "larval")
#: Layers without geometry: plain tables (Parquet, not GeoParquet) and no CRS.
TABLE_LAYERS: frozenset[str] = frozenset({"larval"})
#: The ``larval`` layer: one row per container type x location of a house visit, plus one row
#: (container columns missing) per visit without any container (vacant, closed, refused, or
#: surveyed and none found); the columns of ``python -m analysis larval-indices`` plus ``place``.
LARVAL_DTYPES: dict[str, str] = {
    "house_id": "object",
    "place_type": "object",
    "place": "object",
    "round": "int64",
    "survey_date": "datetime64[ns, UTC]",
    "status": "object",
    "container_type": "Int64",
    "location": "object",
    "containers": "Int64",
    "positive": "Int64",
}
SNAPSHOT_INDEX = "municipalities.parquet"


@dataclass(frozen=True)
class Municipality:
    """What a national run needs to know of a municipality before reading its layers."""

    code: str
    municipality_id: int
    epsg: int
    weight: int = 1
    """Relative cost of its task (buildings); balances the groups."""


@dataclass(frozen=True)
class PartitionInput:
    """One municipality's layers (names of `LAYERS`) in its metric CRS."""

    municipality: Municipality
    frames: Mapping[str, Any]
    """GeoDataFrames, and pandas DataFrames for `TABLE_LAYERS`."""


@dataclass(frozen=True)
class BatchParams:
    """Parameters shared by every municipality of a run."""

    as_of: date | None = None
    """Day the spray zones' ``active`` flag is evaluated on (the latest onset if None)."""
    radius_m: float = 100.0
    active_days: float = 28.0
    permutations: int = 199
    seed: int = 2569
    """National seed; each municipality's permutations use `municipality_seed` of it."""


class Source(Protocol):
    """Where partitions come from (``on_workers``: `load` may run on a Dask worker)."""

    on_workers: bool

    def load(self, municipality: Municipality, layers: tuple[str, ...]) -> PartitionInput:
        """The municipality's frames named in `layers`."""


# --- The analyses, one municipality each -------------------------------------------------------


def municipality_seed(seed: int, municipality_id: int) -> int:
    """A municipality's own seed: the same whatever the partitioning or the worker.

    Examples
    --------
    >>> municipality_seed(2569, 7) == municipality_seed(2569, 7) != municipality_seed(2569, 8)
    True
    """
    state = np.random.SeedSequence([int(seed), int(municipality_id)]).generate_state(1)
    return int(state[0])


def spray_plan(part: PartitionInput, params: BatchParams) -> gpd.GeoDataFrame:
    """Spray zones of a municipality's cases, with the buildings inside each.

    Parameters
    ----------
    part : PartitionInput
        ``cases`` (points with ``id``, ``onset_date``) and ``buildings`` (footprints).
    params : BatchParams
        ``radius_m``, ``active_days`` and ``as_of``.

    Returns
    -------
    geopandas.GeoDataFrame
        `analysis.dengue.spray_zones` columns plus ``n_buildings`` (footprints touching the
        zone, `analysis.dengue.zone_contents`), led by ``municipality`` (the code).
    """
    cases, buildings = part.frames["cases"], part.frames["buildings"]
    zones = spray_zones(
        cases,
        radius_m=params.radius_m,
        active_days=params.active_days,
        as_of=params.as_of,
        id_col="id",
    )
    contents = zone_contents(zones, buildings=buildings)
    zones.insert(len(zones.columns) - 1, "n_buildings", contents["n_buildings"].to_numpy())
    zones.insert(0, "municipality", part.municipality.code)
    return zones


def radius(part: PartitionInput, params: BatchParams) -> pd.DataFrame:
    """The recommended spray radius of a municipality, permutations seeded per municipality.

    Parameters
    ----------
    part : PartitionInput
        ``cases`` (points with ``onset_date``).
    params : BatchParams
        ``permutations`` and the national ``seed``.

    Returns
    -------
    pandas.DataFrame
        One row: ``municipality``, ``seed`` (the municipality's), the scalar fields of
        `analysis.dengue.RadiusRecommendation` and ``rings`` (its rings as JSON text).
    """
    m = part.municipality
    seed = municipality_seed(params.seed, m.municipality_id)
    answer = recommended_radius(part.frames["cases"], permutations=params.permutations, seed=seed)
    record = answer.to_dict()
    row: dict[str, object] = {"municipality": m.code, "seed": seed}
    for name in (
        "radius_m_80",
        "radius_m_90",
        "clustering_end_m",
        "evidence",
        "reason",
        "n_cases",
        "n_pairs",
        "n_window_pairs",
        "share_in_window",
        "peak_excess",
        "p_value",
        "lag_distance_m",
    ):
        row[name] = record[name]
    row["rings"] = json.dumps(record["rings"], sort_keys=True)
    frame = pd.DataFrame([row])
    for name in ("clustering_end_m", "p_value", "share_in_window", "peak_excess"):
        frame[name] = frame[name].astype("float64")
    return frame


_EXPOSURE_COLUMNS = (
    "hazard_class",
    "class_rank",
    "depth_m",
    "affected",
    "length_m",
    "wet_length_m",
    "impassable_length_m",
)


def flood_exposure(part: PartitionInput, params: BatchParams) -> gpd.GeoDataFrame:
    """Flood exposure of a municipality's buildings and roads to its share of the national hazard.

    Parameters
    ----------
    part : PartitionInput
        ``flood_zones`` (polygons with ``hazard_class``: low/medium/high), ``buildings`` and
        ``roads`` (each with ``id``).
    params : BatchParams
        Unused (the classes are DESIGN.md's defaults).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per building (``layer`` "building": `analysis.flood.feature_exposure`) then
        per road (``layer`` "road": `analysis.flood.road_exposure`, lengths in metres by
        class), with ``municipality``, ``layer``, ``id`` and the columns of both (NaN where a
        column is the other layer's).
    """
    hazard = zones_from_classes(part.frames["flood_zones"], class_field="hazard_class")
    buildings = feature_exposure(part.frames["buildings"][["id", "geometry"]], hazard=hazard)
    roads = road_exposure(part.frames["roads"][["id", "road_class", "geometry"]], hazard=hazard)
    pieces = []
    for layer, frame in (("building", buildings), ("road", roads.roads)):
        piece = frame.reindex(columns=["id", *_EXPOSURE_COLUMNS, "geometry"])
        piece.insert(0, "layer", layer)
        pieces.append(piece)
    out = pd.concat(pieces, ignore_index=True)
    for name in ("depth_m", "length_m", "wet_length_m", "impassable_length_m"):
        out[name] = out[name].astype("float64")
    out["class_rank"] = out["class_rank"].astype("int64")
    out["affected"] = out["affected"].astype(bool)
    out.insert(0, "municipality", part.municipality.code)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=part.frames["buildings"].crs)


def larval_frame(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Survey rows as the ``larval`` layer holds them: `LARVAL_DTYPES`, missing cells as NA.

    Fixing the types here (not leaving object columns) makes a municipality without surveys an
    empty frame of the same schema, and a Parquet file read back equal to the frame written.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Rows with the columns of `LARVAL_DTYPES` (e.g. `layers.field.selectors
        .larval_survey_table`; other columns are dropped); none gives the empty layer.

    Examples
    --------
    >>> larval_frame().dtypes["containers"]
    Int64Dtype()
    """
    if table is None:
        table = pd.DataFrame(columns=list(LARVAL_DTYPES))
    out = pd.DataFrame(index=pd.RangeIndex(len(table)))
    for name, dtype in LARVAL_DTYPES.items():
        values = table[name].reset_index(drop=True)
        if dtype == "object":
            out[name] = values.astype(object).where(values.notna(), None)
        elif dtype.startswith("datetime"):
            out[name] = pd.to_datetime(values, utc=True).astype(dtype)
        else:
            out[name] = pd.to_numeric(values).astype(dtype)
    return out


#: Columns of the `larval_indices` result, in order.
LARVAL_INDEX_COLUMNS: dict[str, str] = {
    "municipality": "object",
    "round": "int64",
    "place_type": "object",
    "houses_surveyed": "int64",
    "houses_positive": "int64",
    "hi": "float64",
    "containers": "int64",
    "containers_positive": "int64",
    "ci": "float64",
    "bi": "float64",
    "houses_vacant": "int64",
    "houses_refused": "int64",
    "houses_closed": "int64",
    "houses_without_containers": "int64",
    "repeat_visits": "int64",
    "risk_index": "object",
    "risk_level": "object",
}
#: ``place_type`` of a round's row over every place type.
ALL_PLACES = "all"


def _container_types(rows: pd.DataFrame) -> list[ContainerType]:
    """The DDC list plus any other number the rows use (a municipality's own types).

    Types were checked against the municipality's list when the visit was recorded; here only
    the number travels, and the indices do not depend on the type.
    """
    known = {kind.number for kind in DDC_CONTAINER_TYPES}
    used = {int(n) for n in rows["container_type"].dropna().unique()} - known
    extra = [ContainerType(n, f"#{n}", f"type {n}") for n in sorted(used)]
    return [*DDC_CONTAINER_TYPES, *extra]


def larval_indices(part: PartitionInput, params: BatchParams) -> pd.DataFrame:
    """HI, CI and BI of a municipality per survey round, over all places and per place type.

    Each row is `analysis.larval.larval_indices` of the municipality's rows grouped by round
    (``place_type`` ``all``), or of the rows of one place type grouped by round: ratios of sums,
    a house counted once per round (the repeat-visit rule), vacant, closed and refused houses
    outside the denominators. A house has one place type, so the per-type rows split the
    ``all`` row's counts exactly. Risk uses TanRabad's default bands (`RiskThresholds`):
    a national comparison needs one scale, not each municipality's own bands.

    Parameters
    ----------
    part : PartitionInput
        ``larval`` (`larval_frame` rows).
    params : BatchParams
        Unused.

    Returns
    -------
    pandas.DataFrame
        `LARVAL_INDEX_COLUMNS`: ``municipality``, ``round``, ``place_type``, the counts and
        unrounded ``hi``/``ci``/``bi`` (NaN for a zero denominator), ``repeat_visits`` (visits of
        the round not counted because the house was visited again) and ``risk_index``/
        ``risk_level`` (HI for communities, CI for other places, None for ``all`` when both
        kinds were surveyed). Ordered by round, then ``all``, then place type; no rows for a
        municipality without surveys.
    """
    rows = part.frames["larval"]
    thresholds = RiskThresholds()
    types = _container_types(rows)
    records: list[dict[str, object]] = []
    subsets = [(ALL_PLACES, rows)]
    subsets += [
        (str(p), rows[rows["place_type"] == p]) for p in sorted(rows["place_type"].unique())
    ]
    for place_type, subset in subsets:
        if subset.empty:
            continue
        survey = larval_survey_indices(
            subset, by="round", thresholds=thresholds, container_types=types
        )
        repeats: dict[str, int] = {}
        for visit in survey.repeat_visits:
            repeats[str(visit.round)] = repeats.get(str(visit.round), 0) + 1
        for value, indices in survey.groups:
            risk = indices.risk(thresholds)
            records.append(
                {
                    "municipality": part.municipality.code,
                    "round": int(str(value)),
                    "place_type": place_type,
                    "houses_surveyed": indices.houses_surveyed,
                    "houses_positive": indices.houses_positive,
                    "hi": indices.hi,
                    "containers": indices.containers,
                    "containers_positive": indices.containers_positive,
                    "ci": indices.ci,
                    "bi": indices.bi,
                    "houses_vacant": indices.houses_vacant,
                    "houses_refused": indices.houses_refused,
                    "houses_closed": indices.houses_closed,
                    "houses_without_containers": indices.houses_without_containers,
                    "repeat_visits": repeats.get(str(value), 0),
                    "risk_index": None if risk is None else risk["index"],
                    "risk_level": None if risk is None else risk["level"],
                }
            )
    frame = pd.DataFrame.from_records(records, columns=list(LARVAL_INDEX_COLUMNS))
    frame = frame.astype(LARVAL_INDEX_COLUMNS)
    order = frame["place_type"].ne(ALL_PLACES)
    frame = frame.assign(_typed=order).sort_values(["round", "_typed", "place_type"], kind="stable")
    return frame.drop(columns="_typed").reset_index(drop=True)


Analysis = Callable[[PartitionInput, BatchParams], pd.DataFrame]

#: The analyses by name, with the layers each reads.
ANALYSES: dict[str, tuple[Analysis, tuple[str, ...]]] = {
    "spray-plan": (spray_plan, ("cases", "buildings")),
    "radius": (radius, ("cases",)),
    "flood-exposure": (flood_exposure, ("buildings", "roads", "flood_zones")),
    "larval-indices": (larval_indices, ("larval",)),
}
#: Analyses the issue asks for that cannot run yet, and why (none since larval indices run).
UNAVAILABLE: dict[str, str] = {}


# --- Files: outputs and GeoParquet snapshots ---------------------------------------------------


def output_path(out_dir: Path, code: str) -> Path:
    """``out_dir/<code>.parquet``."""
    return Path(out_dir) / f"{code}.parquet"


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write to a temporary name in the same folder, then rename: never a half file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        frame.to_parquet(temporary, index=False)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _snapshot_path(snapshot_dir: Path, code: str, layer: str) -> Path:
    return Path(snapshot_dir) / f"{code}.{layer}.parquet"


def snapshot_write(
    snapshot_dir: Path, municipality: Municipality, frames: Mapping[str, gpd.GeoDataFrame]
) -> None:
    """Write one municipality's layers as ``<code>.<layer>.parquet`` (GeoParquet) files."""
    Path(snapshot_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    for layer, frame in frames.items():
        if layer not in LAYERS:
            raise ValueError(f"unknown layer {layer!r}; expected one of {LAYERS}")
        _write_atomic(frame, _snapshot_path(snapshot_dir, municipality.code, layer))


def snapshot_index_write(snapshot_dir: Path, municipalities: Iterable[Municipality]) -> None:
    """Write the snapshot's list of municipalities (code, id, EPSG, weight)."""
    names = [f.name for f in fields(Municipality)]
    rows = [{name: getattr(m, name) for name in names} for m in municipalities]
    _write_atomic(pd.DataFrame(rows, columns=names), Path(snapshot_dir) / SNAPSHOT_INDEX)


def snapshot_index_read(snapshot_dir: Path) -> list[Municipality]:
    """The municipalities of a snapshot, largest first."""
    index = pd.read_parquet(Path(snapshot_dir) / SNAPSHOT_INDEX)
    units = [
        Municipality(
            code=str(row.code),
            municipality_id=int(row.municipality_id),
            epsg=int(row.epsg),
            weight=int(row.weight),
        )
        for row in index.itertuples(index=False)
    ]
    return sorted(units, key=lambda m: (-m.weight, m.code))


@dataclass(frozen=True)
class SnapshotSource:
    """Partitions read from a GeoParquet snapshot folder (on the workers, no database)."""

    snapshot_dir: Path
    on_workers: bool = True

    def load(self, municipality: Municipality, layers: tuple[str, ...]) -> PartitionInput:
        """Read the municipality's files of `layers`."""
        frames = {layer: self._read(municipality.code, layer) for layer in layers}
        return PartitionInput(municipality, frames)

    def _read(self, code: str, layer: str) -> pd.DataFrame:
        path = _snapshot_path(self.snapshot_dir, code, layer)
        if layer not in TABLE_LAYERS:
            return gpd.read_parquet(path)
        # A snapshot written before surveys were exported has no larval file: no surveys.
        return larval_frame(pd.read_parquet(path) if path.exists() else None)


# --- Running: groups, tasks, the driver --------------------------------------------------------


def balanced_groups(municipalities: Sequence[Municipality], n_groups: int) -> list[list[str]]:
    """Codes in `n_groups` groups of about equal weight (largest first onto the lightest group).

    Examples
    --------
    >>> ms = [Municipality(c, i, 32647, w) for i, (c, w) in enumerate(zip("abcd", [5, 4, 3, 2]))]
    >>> balanced_groups(ms, 2)
    [['a', 'd'], ['b', 'c']]
    """
    if n_groups < 1:
        raise ValueError(f"n_groups must be >= 1, got {n_groups}")
    groups: list[list[str]] = [[] for _ in range(min(n_groups, len(municipalities)))]
    load = np.zeros(len(groups))
    for m in sorted(municipalities, key=lambda m: (-m.weight, m.code)):
        k = int(np.argmin(load))
        groups[k].append(m.code)
        load[k] += m.weight
    return groups


def makespan_s(task_seconds: Iterable[float], workers: int) -> float:
    """Simulated wall time of tasks on `workers` workers, longest first to the least loaded.

    Examples
    --------
    >>> makespan_s([4, 3, 3, 2], 2)
    6.0
    """
    load = np.zeros(max(1, workers))
    for seconds in sorted(task_seconds, reverse=True):
        load[int(np.argmin(load))] += seconds
    return float(load.max())


@dataclass
class BatchSummary:
    """What a run did: municipalities done and skipped, time per municipality, wall time."""

    analysis: str
    total: int
    skipped: int
    wall_s: float
    task_s: dict[str, float] = field(default_factory=dict)
    """Seconds per municipality computed in this run (read, analyse, write)."""
    workers: int = 0
    """Dask workers (0: this process)."""

    @property
    def done(self) -> int:
        """Municipalities computed in this run."""
        return len(self.task_s)

    def slowest(self) -> tuple[str, float] | None:
        """The slowest municipality and its seconds."""
        if not self.task_s:
            return None
        code = max(self.task_s, key=lambda c: (self.task_s[c], c))
        return code, self.task_s[code]

    def text(self) -> str:
        """Two lines for people: counts, then time per task and the slowest."""
        lines = [
            f"{self.analysis}: {self.done} computed, {self.skipped} already there, "
            f"{self.total} municipalities, {self.wall_s:.1f} s wall"
            + (f" on {self.workers} Dask workers" if self.workers else " in one process")
        ]
        slowest = self.slowest()
        if slowest is not None:
            seconds = list(self.task_s.values())
            lines.append(
                f"per municipality: mean {np.mean(seconds):.3f} s, median "
                f"{np.median(seconds):.3f} s, total {sum(seconds):.1f} s; "
                f"slowest {slowest[0]} {slowest[1]:.2f} s"
            )
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {**asdict(self), "done": self.done, "slowest": self.slowest()}


Item = Municipality | PartitionInput


def _run_group(
    analysis: str | Analysis,
    items: Sequence[Item],
    *,
    out_dir: Path,
    params: BatchParams,
    source: Source | None,
) -> list[tuple[str, float]]:
    """Run one task's municipalities in turn; (code, seconds) of each computed here."""
    function, layers = _resolve(analysis)
    timings = []
    for item in items:
        municipality = item.municipality if isinstance(item, PartitionInput) else item
        path = output_path(out_dir, municipality.code)
        if path.exists():  # a retry after a lost worker keeps what was renamed already
            continue
        start = time.perf_counter()
        if isinstance(item, PartitionInput):
            part = item
        else:
            if source is None:
                raise ValueError("a source is needed to load municipalities on the workers")
            part = source.load(item, layers)
        _write_atomic(function(part, params), path)
        timings.append((municipality.code, time.perf_counter() - start))
    return timings


def _resolve(analysis: str | Analysis) -> tuple[Analysis, tuple[str, ...]]:
    if callable(analysis):
        return analysis, LAYERS
    if analysis in UNAVAILABLE:
        raise ValueError(f"{analysis}: {UNAVAILABLE[analysis]}")
    if analysis not in ANALYSES:
        raise ValueError(f"unknown analysis {analysis!r}; choose from {sorted(ANALYSES)}")
    return ANALYSES[analysis]


def run_national(
    analysis: str | Analysis,
    municipalities: Sequence[Municipality],
    *,
    out_dir: Path,
    source: Source,
    params: BatchParams | None = None,
    client: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    groups: Sequence[Sequence[str]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BatchSummary:
    """Run an analysis for every municipality, writing ``out_dir/<code>.parquet`` each.

    Parameters
    ----------
    analysis : str or callable
        A name of `ANALYSES`, or a function ``(PartitionInput, BatchParams) -> DataFrame``
        (given every layer of `LAYERS`).
    municipalities : sequence of Municipality
        Those to run; one whose output file exists is skipped (resumable).
    out_dir : pathlib.Path
        Output folder (created, mode 700: spray zones are drawn around case houses).
    source : Source
        Where partitions come from. With ``source.on_workers`` the workers read them; else
        this process reads each (e.g. from PostGIS under its tenant scope) and sends it.
    params : BatchParams, optional
        Shared parameters (defaults if omitted).
    client : distributed.Client, optional
        A connected Dask client; else `scheduler` or `workers`; else this process only.
    workers : int, optional
        Start a ``LocalCluster`` of this many single-threaded worker processes.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``).
    groups : sequence of sequences of codes, optional
        The tasks: municipalities run together, in order; default one task per municipality
        (largest first).
    progress : callable, optional
        Called with (municipalities finished, municipalities to do) after each task.

    Returns
    -------
    BatchSummary

    Raises
    ------
    ValueError
        For an unknown or unavailable analysis, or groups naming unknown municipalities.
    """
    _resolve(analysis)
    params = params or BatchParams()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    start = time.perf_counter()
    by_code = {m.code: m for m in municipalities}
    todo = {c for c, m in by_code.items() if not output_path(out_dir, m.code).exists()}
    tasks = _tasks(municipalities, groups, todo)
    summary = BatchSummary(
        analysis=analysis if isinstance(analysis, str) else getattr(analysis, "__name__", "?"),
        total=len(by_code),
        skipped=len(by_code) - len(todo),
        wall_s=0.0,
    )
    run = _Run(analysis, out_dir, params, source, by_code, len(todo), progress, summary)
    if client is None and workers is None and scheduler is None:
        run.local(tasks)
    else:
        run.distributed(tasks, client=client, workers=workers, scheduler=scheduler)
    summary.wall_s = time.perf_counter() - start
    return summary


def _tasks(
    municipalities: Sequence[Municipality],
    groups: Sequence[Sequence[str]] | None,
    todo: set[str],
) -> list[list[str]]:
    codes = [m.code for m in sorted(municipalities, key=lambda m: (-m.weight, m.code))]
    if groups is None:
        groups = [[c] for c in codes]
    named = [c for g in groups for c in g]
    if sorted(named) != sorted(codes):
        raise ValueError("groups must name every municipality exactly once")
    return [[c for c in g if c in todo] for g in groups if any(c in todo for c in g)]


@dataclass
class _Run:
    analysis: str | Analysis
    out_dir: Path
    params: BatchParams
    source: Source
    by_code: dict[str, Municipality]
    n_todo: int
    progress: Callable[[int, int], None] | None
    summary: BatchSummary

    def items(self, codes: Sequence[str]) -> list[Item]:
        municipalities = [self.by_code[c] for c in codes]
        if self.source.on_workers:
            return list(municipalities)
        _, layers = _resolve(self.analysis)
        return [self.source.load(m, layers) for m in municipalities]

    def record(self, timings: list[tuple[str, float]]) -> None:
        self.summary.task_s.update(timings)
        if self.progress is not None:
            self.progress(self.summary.done, self.n_todo)

    def local(self, tasks: list[list[str]]) -> None:
        for codes in tasks:
            self.record(
                _run_group(
                    self.analysis,
                    self.items(codes),
                    out_dir=self.out_dir,
                    params=self.params,
                    source=self.source,
                )
            )

    def distributed(
        self,
        tasks: list[list[str]],
        *,
        client: Any,
        workers: int | None,
        scheduler: str | None,
    ) -> None:
        from distributed import Client, LocalCluster

        cluster = None
        if client is None:
            if scheduler is not None:
                client = Client(scheduler)
            else:
                cluster = LocalCluster(
                    n_workers=workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                client = Client(cluster)
        try:
            self.summary.workers = len(client.scheduler_info(n_workers=-1)["workers"])
            self._submit_all(client, tasks)
        finally:
            if cluster is not None:
                client.close()
                cluster.close()
            elif scheduler is not None:
                client.close()

    def _submit_all(self, client: Any, tasks: list[list[str]]) -> None:
        from distributed import as_completed

        # Partitions read here are held until their task ends: keep a few per worker in flight.
        limit = max(4, 4 * max(self.summary.workers, 1))
        pending = iter(tasks)
        queue = as_completed()
        run_id = uuid.uuid4().hex[:8]

        def submit(codes: list[str]) -> None:
            queue.add(
                client.submit(
                    _run_group,
                    self.analysis,
                    self.items(codes),
                    out_dir=self.out_dir,
                    params=self.params,
                    source=self.source,
                    key=f"national-{run_id}-{codes[0]}",
                    pure=False,
                )
            )

        for codes in pending:
            submit(codes)
            if queue.count() >= limit and not self.source.on_workers:
                break
        for future in queue:
            self.record(future.result())
            if not self.source.on_workers:
                for codes in pending:
                    submit(codes)
                    break


def simulated_efficiency(task_seconds: Iterable[float], workers: int) -> float:
    """Ideal time (total / workers) over the simulated makespan: 1.0 is perfect scaling."""
    seconds = list(task_seconds)
    makespan = makespan_s(seconds, workers)
    return (sum(seconds) / workers) / makespan if makespan > 0 else math.nan
