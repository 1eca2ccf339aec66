"""Command-line adapters for the dengue analyses (`python -m analysis ...`).

    python -m analysis dengue-radius CASES --time-col T [coordinates] [options] [--json]
    python -m analysis dengue-clusters CASES --time-col T [coordinates] [--out FILE]
    python -m analysis spray-zones CASES --time-col T [coordinates] [--out FILE]

CASES is a CSV file or any vector file GDAL reads (GeoPackage, GeoJSON, Shapefile, ...).
Coordinates: ``--x-col/--y-col`` give metres in ``--crs`` (a projected CRS);
``--lon-col/--lat-col`` give WGS 84 degrees, projected to the UTM zone of the data (47N west
of 102°E, 48N east) or to ``--crs``. A vector file's own geometry is used otherwise; if it is
in degrees it is projected the same way, and ``--crs`` names its CRS when the file has none.
Errors in the input print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError

from analysis.crs import metric_epsg_for

EXIT_BAD_INPUT = 2
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None}
XY_OPTIONS = ("--x-col", "--y-col")
LONLAT_OPTIONS = ("--lon-col", "--lat-col")


class InputError(Exception):
    """Bad input that the user can fix; the message is printed as is."""


#: A subcommand's own options: flag, type, default, help.
Option = tuple[str, type | None, object, str]
OUT_OPTION: Option = ("--out", None, None, "GeoJSON file (default: stdout)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this topic's subcommands to the `python -m analysis` parser."""
    radius = _subcommand(
        subparsers,
        "dengue-radius",
        help="recommended spraying radius from the case history (excess case pairs)",
        description="Recommend a spraying radius: excess case pairs one transmission "
        "generation apart, by distance ring, against a permutation envelope (DESIGN.md).",
        options=[
            ("--min-gap-days", float, 8, "default 8"),
            ("--max-gap-days", float, 22, "default 22"),
            ("--ring-m", float, 10, "ring width, default 10"),
            ("--max-distance-m", float, 1000, "default 1000"),
            ("--permutations", int, 999, "default 999"),
            ("--seed", int, None, "seed for reproducible results"),
            ("--min-cases", int, 30, "default 30"),
        ],
        handler=_run_radius,
    )
    radius.add_argument("--json", action="store_true", help="print the full result as JSON")
    radius.add_argument(
        "--backtest",
        action="store_true",
        help="also backtest radius options out of sample (JSON key 'backtest', and 'advice')",
    )
    radius.add_argument(
        "--report-col", help="report date column: spraying counts from it in the backtest"
    )
    _subcommand(
        subparsers,
        "dengue-clusters",
        help="space-time clusters (150 m and 14 days, chained) as GeoJSON",
        description="Label chained space-time clusters and write the cases with a cluster_id "
        "(-1 for noise) as GeoJSON in WGS 84.",
        options=[
            ("--distance-m", float, 150, "default 150"),
            ("--window-days", float, 14, "default 14"),
            ("--min-cases", int, 2, "default 2"),
            OUT_OPTION,
        ],
        handler=_run_clusters,
    )
    _subcommand(
        subparsers,
        "spray-zones",
        help="spray zones (circles around case houses, merged) as GeoJSON",
        description="Write the spray zones as GeoJSON in WGS 84: zone_id, n_cases, first and "
        "last onset, closes_on, active, area_m2. Case ids are left out: zones go to teams.",
        options=[
            ("--radius-m", float, 100, "default 100"),
            ("--active-days", float, 28, "default 28"),
            ("--as-of", None, None, "date (or day number) for 'active'; default last onset"),
            OUT_OPTION,
        ],
        handler=_run_zones,
    )


def _subcommand(
    subparsers: argparse._SubParsersAction,
    name: str,
    *,
    help: str,
    description: str,
    options: list[Option],
    handler: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    """A subcommand reading a case file (`_input_options`) with its own options and handler."""
    parser = subparsers.add_parser(
        name, parents=[_input_options()], help=help, description=description
    )
    for flag, kind, default, text in options:
        metavar = "FILE" if flag == "--out" else None
        parser.add_argument(flag, type=kind, default=default, help=text, metavar=metavar)
    parser.set_defaults(handler=_guard(handler))
    return parser


def _input_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("cases", metavar="CASES", help="CSV or vector file of case houses")
    parent.add_argument("--time-col", required=True, help="onset column: dates or days")
    parent.add_argument("--x-col", help="easting column, metres in --crs")
    parent.add_argument("--y-col", help="northing column, metres in --crs")
    parent.add_argument("--lon-col", help="longitude column, degrees (WGS 84)")
    parent.add_argument("--lat-col", help="latitude column, degrees (WGS 84)")
    parent.add_argument(
        "--crs",
        help="e.g. EPSG:32647: CRS of --x-col/--y-col, target CRS "
        "of --lon-col/--lat-col, or CRS of a vector file that has none",
    )
    return parent


def _guard(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn input errors into one line on stderr and exit status 2."""

    def handler(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (InputError, ValueError, TypeError) as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except BrokenPipeError:
            # The reader (e.g. `| head`) left early; say nothing more on a closed pipe.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1

    return handler


# --- subcommands ------------------------------------------------------------------------------


def _run_radius(args: argparse.Namespace) -> int:
    from analysis.dengue import radius_advice, recommended_radius

    cases = load_cases(args)
    with _progress_bar(args.permutations, "permutations") as progress:
        answer = recommended_radius(
            cases,
            time_col=args.time_col,
            min_gap_days=args.min_gap_days,
            max_gap_days=args.max_gap_days,
            ring_m=args.ring_m,
            max_distance_m=args.max_distance_m,
            permutations=args.permutations,
            seed=args.seed,
            min_cases=args.min_cases,
            progress=progress,
        )
    backtest = _radius_backtest(cases, answer, args) if args.backtest else None
    if args.json:
        payload = {**answer.to_dict(), "crs": cases.crs.to_string()}
        if backtest is not None:
            payload["backtest"] = [_backtest_row(option) for option in backtest.options]
            payload["advice"] = radius_advice(answer, backtest).to_dict()
        print(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    print(f"cases: {answer.n_cases}, pairs within {args.max_distance_m:g} m: {answer.n_pairs}")
    print(f"evidence: {answer.evidence}" + (f" ({answer.reason})" if answer.reason else ""))
    print(f"clustering ends at: {answer.clustering_end_m} m; p = {answer.p_value}")
    print(f"recommended radius: {answer.radius_m_80} m (80%), {answer.radius_m_90} m (90%)")
    if backtest is not None:
        advice = radius_advice(answer, backtest)
        print(f"backtest ({backtest.n_follow_on} follow-on cases out of sample):")
        for option in backtest.options:
            share = "-" if option.share is None else f"{option.share:.0%}"
            print(f"  {option.radius_m:5.0f} m: covered {option.covered} ({share}), "
                  f"{option.area_km2:.2f} km2")  # fmt: skip
        print(f"advised radius: {advice.radius_m:g} m ({advice.reason}, {advice.confidence})")
    return 0


#: The keys of each option in the JSON's `backtest` list (more may follow; these stay).
BACKTEST_KEYS = (
    "radius_m", "covered", "secondary", "share", "share_low", "share_high", "area_km2",
    "share_per_km2", "households", "chance_share", "gain", "gain_low", "gain_high", "chance_gain",
)  # fmt: skip


def _radius_backtest(cases: gpd.GeoDataFrame, answer, args: argparse.Namespace):
    """The out-of-sample backtest of the policy, the options around it and the recommendation."""
    from analysis.dengue import DEFAULT_OPTIONS_M, rolling_backtest

    radii = sorted({*DEFAULT_OPTIONS_M, answer.radius_m_80, answer.radius_m_90})
    return rolling_backtest(
        cases, radii_m=radii, time_col=args.time_col, report_col=args.report_col, seed=args.seed
    )


def _backtest_row(option) -> dict[str, object]:
    values = option.to_dict()
    return {key: values[key] for key in BACKTEST_KEYS}


def _run_clusters(args: argparse.Namespace) -> int:
    from analysis.dengue import space_time_clusters

    cases = load_cases(args)
    labelled = space_time_clusters(
        cases,
        time_col=args.time_col,
        distance_m=args.distance_m,
        window_days=args.window_days,
        min_cases=args.min_cases,
    )
    n_clusters = int(labelled["cluster_id"].max() + 1) if len(labelled) else 0
    _write_geojson(labelled, args.out)
    print(f"{len(labelled)} cases, {n_clusters} clusters", file=sys.stderr)
    return 0


def _run_zones(args: argparse.Namespace) -> int:
    from analysis.dengue import spray_zones

    cases = load_cases(args)
    as_of = args.as_of
    if as_of is not None and pd.api.types.is_numeric_dtype(cases[args.time_col]):
        try:
            as_of = float(as_of)
        except ValueError as error:
            raise InputError(f"--as-of must be a day number like the onsets: {as_of!r}") from error
    zones = spray_zones(
        cases,
        radius_m=args.radius_m,
        active_days=args.active_days,
        as_of=as_of,
        time_col=args.time_col,
    )
    _write_geojson(zones.drop(columns="case_ids"), args.out)
    print(
        f"{len(cases)} cases, {len(zones)} zones, {int(zones['active'].sum())} active",
        file=sys.stderr,
    )
    return 0


# --- input ------------------------------------------------------------------------------------


def load_cases(args: argparse.Namespace) -> gpd.GeoDataFrame:
    """Read CASES into Points in a metric CRS, following the coordinate options."""
    path = Path(args.cases)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    xy_cols = _pair(args.x_col, args.y_col, "--x-col", "--y-col")
    lonlat_cols = _pair(args.lon_col, args.lat_col, "--lon-col", "--lat-col")
    if xy_cols and lonlat_cols:
        raise InputError("give either --x-col/--y-col or --lon-col/--lat-col, not both")
    target = _parse_crs(args.crs) if args.crs else None
    table = _read_table(path, need_geometry=not (xy_cols or lonlat_cols))
    _require_column(table, args.time_col, path, "--time-col")

    if xy_cols:
        if target is None:
            raise InputError("--crs is required with --x-col/--y-col (e.g. --crs EPSG:32647)")
        if not _is_metric(target):
            raise InputError(
                f"--crs {args.crs} is not a projected CRS in metres; with --x-col/--y-col the "
                "coordinates must be metres (use --lon-col/--lat-col for degrees)"
            )
        x, y = (_coordinates(table, c, path, o) for c, o in zip(xy_cols, XY_OPTIONS, strict=True))
        return _frame(table, x, y, target)
    if lonlat_cols:
        lon, lat = (
            _coordinates(table, c, path, o)
            for c, o in zip(lonlat_cols, LONLAT_OPTIONS, strict=True)
        )
        if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
            raise InputError(f"{path}: longitudes/latitudes out of range; are these metres?")
        frame = _frame(table, lon, lat, CRS.from_epsg(4326))
        return _to_metric(frame, target)
    if not isinstance(table, gpd.GeoDataFrame):
        raise InputError(
            f"{path} has no geometry: give --x-col/--y-col (with --crs) or --lon-col/--lat-col"
        )
    if table.crs is None:
        if target is None:
            raise InputError(f"{path} has no CRS; name it with --crs")
        return _to_metric(table.set_crs(target), None)
    return _to_metric(table, target)


def _pair(first: str | None, second: str | None, a: str, b: str) -> tuple[str, str] | None:
    if (first is None) != (second is None):
        raise InputError(f"{a} and {b} go together")
    return None if first is None else (first, second)


def _parse_crs(text: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except CRSError as error:
        raise InputError(f"--crs {text!r} is not a CRS: {error}") from error


def _is_metric(crs: CRS) -> bool:
    units = {axis.unit_name.lower() for axis in crs.axis_info}
    return crs.is_projected and units <= {"metre", "meter"}


def _read_table(path: Path, *, need_geometry: bool) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in TABLE_SUFFIXES:
            return pd.read_csv(path, sep=TABLE_SUFFIXES[suffix], engine="python")
        frame = gpd.read_file(path) if need_geometry else gpd.read_file(path, ignore_geometry=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read: {error}") from error
    except Exception as error:  # pyogrio's DataSourceError and friends
        if type(error).__module__.startswith(("pyogrio", "fiona")):
            raise InputError(f"{path}: cannot read: {error}") from error
        raise
    return frame


def _require_column(table: pd.DataFrame, column: str, path: Path, option: str) -> None:
    if column not in table.columns:
        names = ", ".join(str(c) for c in table.columns if c != "geometry")
        raise InputError(f"{path}: no column {column!r} ({option}); columns are: {names}")


def _coordinates(table: pd.DataFrame, column: str, path: Path, option: str) -> np.ndarray:
    _require_column(table, column, path, option)
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row = table.index[int(np.flatnonzero(bad)[0])]
        raise InputError(
            f"{path}: column {column!r} has {int(bad.sum())} missing or non-numeric value(s); "
            f"first at row {row!r}: {table[column].iloc[int(np.flatnonzero(bad)[0])]!r}"
        )
    return values


def _frame(table: pd.DataFrame, x: np.ndarray, y: np.ndarray, crs: CRS) -> gpd.GeoDataFrame:
    data = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(x, y), crs=crs)


def _to_metric(frame: gpd.GeoDataFrame, target: CRS | None) -> gpd.GeoDataFrame:
    """Project to ``target`` if given, else keep a metric CRS or pick the UTM zone."""
    if target is not None:
        if not _is_metric(target):
            raise InputError(f"--crs {target.to_string()} must be a projected CRS in metres")
        return frame.to_crs(target)
    if _is_metric(CRS.from_user_input(frame.crs)):
        return frame
    if len(frame) == 0:
        raise InputError("no cases, and no metric CRS to work in: pass --crs")
    lon = frame.to_crs(4326).geometry.representative_point().x
    return frame.to_crs(metric_epsg_for(float(lon.median())))


# --- output -----------------------------------------------------------------------------------


@contextmanager
def _progress_bar(total: int, unit: str) -> Iterator[Callable[[int], None] | None]:
    """A tqdm bar on stderr when it is a terminal; nothing when output is piped."""
    if total <= 0 or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit=unit, file=sys.stderr, leave=False) as bar:
        yield bar.update


def _write_geojson(frame: gpd.GeoDataFrame, out: str | None) -> None:
    """Write RFC 7946 GeoJSON (WGS 84) to ``out`` or stdout."""
    wgs84 = frame.to_crs(4326) if len(frame) else frame.set_crs(4326, allow_override=True)
    text = json.dumps(wgs84.to_geo_dict(drop_id=True), default=_json_value, ensure_ascii=False)
    if out is None:
        _write(sys.stdout, text)
        return
    with open(out, "w", encoding="utf-8") as handle:
        _write(handle, text)


def _write(handle: TextIO, text: str) -> None:
    handle.write(text)
    handle.write("\n")


def _json_value(value: object) -> object:
    """JSON for what geopandas leaves as Python objects: dates, numpy scalars, missing values."""
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NaT or value is pd.NA:
        return None
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
